"""Writing a figure: PDF, PNG and the tidy CSV of every number drawn, each atomically."""

from __future__ import annotations

from ..atomic import atomic_path, write_csv
from .style import figure_style


def save_figure(draw, rows: list[dict], columns: list[str], out) -> None:
    """`draw()` builds the matplotlib Figure inside the shared style; `out` is (pdf, png, csv)."""
    pdf, png, csv = out
    with figure_style():
        fig = draw()
        # Without a timestamp and software tag the bytes depend only on the numbers drawn.
        with atomic_path(pdf) as tmp:
            fig.savefig(tmp, format="pdf", metadata={"CreationDate": None})
        with atomic_path(png) as tmp:
            fig.savefig(tmp, format="png", dpi=150, metadata={"Software": None})
    write_csv(csv, rows, columns)
