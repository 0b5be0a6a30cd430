"""Writing a figure: PDF, PNG and the tidy CSV of every number drawn, each atomically."""

from __future__ import annotations

from pathlib import Path

from ..atomic import atomic_path, write_csv
from .style import figure_style


def save_figure(draw, rows: list[dict], columns: list[str], out_prefix) -> None:
    """`draw()` builds the matplotlib Figure; it runs inside the shared style."""
    out_prefix = Path(str(out_prefix))
    with figure_style():
        fig = draw()
        # Without a timestamp and software tag the bytes depend only on the numbers drawn.
        with atomic_path(out_prefix.with_name(out_prefix.name + ".pdf")) as tmp:
            fig.savefig(tmp, format="pdf", metadata={"CreationDate": None})
        with atomic_path(out_prefix.with_name(out_prefix.name + ".png")) as tmp:
            fig.savefig(tmp, format="png", dpi=150, metadata={"Software": None})
    write_csv(out_prefix.with_name(out_prefix.name + ".csv"), rows, columns)
