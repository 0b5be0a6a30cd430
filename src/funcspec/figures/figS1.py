"""Fig. S1, the lesion controls: the segregation index of the main dual net beside every other
network lesioned on two tasks (e.g. a greyscale dual net), and each single-task net's drop under
its own lesion against random lesions. Every number drawn is a row of figS1.csv.
"""

from __future__ import annotations

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..lesion import ranked_tasks, read_tables
from .fig2 import COLUMNS, lesion_rows, segregation_rows
from .save import save_figure
from .style import colour, draw_line, label


def figS1(
    lesion_csvs,
    control_csvs,
    out_prefix,
    network="dual",
    face_task="faces",
    object_task="objects",
    fraction=0.2,
) -> list[dict]:
    """Draw Fig. S1 from the main network's and the controls' lesion tables."""
    tables = read_tables(list(lesion_csvs) + list(control_csvs))
    rows = segregation_rows("A", network, tables[network], (face_task, object_task), fraction)
    for name, layers in tables.items():
        ranked = ranked_tasks(layers)
        if name == network:
            continue
        if len(ranked) == 2:  # another multi-task net, e.g. the greyscale dual net
            rows += segregation_rows("A", name, layers, ranked, fraction)
        else:  # a single-task net, lesioned with its own ranking
            rows += [r | {"panel": "B"} for r in lesion_rows(name, layers, ranked[:1], fraction)]
    save_figure(lambda: _draw(rows), rows, COLUMNS, out_prefix)
    return rows


def _draw(rows) -> Figure:
    fig = Figure(figsize=(7, 3.2))
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, 2)
    lines = sorted({(r["network"], r["baseline"]) for r in rows if r["panel"] == "A"})
    for i, (name, baseline) in enumerate(lines):
        draw_line(
            axes[0],
            [
                r
                for r in rows
                if r["panel"] == "A"
                and r["network"] == name
                and r["baseline"] == baseline
                and r["task"] == "segregation_index"
            ],
            f"{name} ({baseline})" if baseline else name,
            f"C{i}",
        )
    axes[0].set_title("A  Segregation index: controls")
    axes[0].set_ylabel("segregation index")
    axes[0].axhline(0, color="0.7", lw=0.5)
    axes[0].legend()
    for name in sorted({r["network"] for r in rows if r["panel"] == "B"}):
        own = [r for r in rows if r["panel"] == "B" and r["network"] == name]
        draw_line(
            axes[1],
            [r for r in own if r["lesion"] == "random"],
            f"{label(name)}, random",
            colour(name),
            ":",
        )
        draw_line(
            axes[1],
            [r for r in own if r["lesion"] != "random"],
            f"{label(name)}, own lesion",
            colour(name),
        )
    axes[1].set_title("B  Single-task nets: own-task drop")
    axes[1].set_ylabel("proportional drop in top-1 accuracy")
    axes[1].legend()
    fig.tight_layout()
    return fig
