"""A figure's files: PDF, PNG and the tidy CSV of every number drawn, written atomically; and
the arguments every figure step shares."""

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


def statistics(p) -> None:
    p.add_argument("--bootstrap", type=int, required=True, help="bootstrap samples")
    p.add_argument("--level", type=float, required=True, help="interval level; tests at 1-level")
    p.add_argument("--statistics-seed", type=int, required=True)


def figure(p) -> None:
    """A figure's three files, as its rule declares them."""
    p.add_argument("--pdf", required=True)
    p.add_argument("--png", required=True)
    p.add_argument("--csv", required=True, help="every number drawn, one row each")


def lesion_figure(p) -> None:
    """A figure of one dual-task network's lesions."""
    p.add_argument("--network", required=True, help="the dual-task network")
    p.add_argument("--face-task", required=True)
    p.add_argument("--object-task", required=True)
    p.add_argument("--fraction", type=float, required=True, help="lesion fraction drawn")
    figure(p)


def statistics_of(args) -> dict:
    return {"bootstrap": args.bootstrap, "level": args.level, "seed": args.statistics_seed}


def figure_files(args) -> list:
    return [args.pdf, args.png, args.csv]
