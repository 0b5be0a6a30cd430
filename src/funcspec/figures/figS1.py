"""Fig. S1, the lesion controls: the segregation index of the main dual net beside every other
network lesioned on two tasks (e.g. a greyscale dual net), and each single-task net's drop under
its own lesion against random lesions. Every number drawn is a row of figS1.csv.
"""

from __future__ import annotations

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..layers import depth_order
from ..seeds import split
from ..tables import has_splits, ranked_tasks, read_tables, segregation, split_segregation
from . import save
from .fig2 import COLUMNS, _row, lesion_rows
from .save import save_figure
from .style import colour, draw_line, label


def segregation_rows(panel, network, layers: dict, tasks, fraction) -> list[dict]:
    """Segregation index and ratio per layer for a pair of tasks, and for the network's random
    class splits (their mean) when they were ranked: its baseline."""
    measures = [("+".join(tasks), "", lambda rows: segregation(rows, *tasks, fraction))]
    if has_splits(layers):
        measures.append(
            ("random splits", "random split", lambda rows: split_segregation(rows, fraction))
        )
    out = []
    for lesion, baseline, measure in measures:
        for depth, layer in enumerate(depth_order(layers), 1):
            s = measure(layers[layer])
            for task, key in (("segregation_index", "index"), ("segregation_ratio", "ratio")):
                out.append(_row(panel, network, layer, depth, lesion, task, [s[key]], baseline))
    return out


def figS1(
    lesion_csvs,
    control_csvs,
    out,
    network="dual",
    face_task="faces",
    object_task="objects",
    fraction=0.2,
) -> list[dict]:
    """Draw Fig. S1 from the main network's and the controls' lesion tables, one line per
    network instance (seed)."""
    rows = []
    for name, layers in read_tables(list(lesion_csvs) + list(control_csvs)).items():
        ranked = ranked_tasks(layers)
        if split(name)[0] == network:
            rows += segregation_rows("A", name, layers, (face_task, object_task), fraction)
        elif len(ranked) == 2:  # another multi-task net, e.g. the greyscale dual net
            rows += segregation_rows("A", name, layers, ranked, fraction)
        else:  # a single-task net, lesioned with its own ranking
            rows += [r | {"panel": "B"} for r in lesion_rows(name, [layers], ranked[:1], fraction)]
    save_figure(lambda: _draw(rows), rows, COLUMNS, out)
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


INPUTS = ("lesion", "controls")


def add_arguments(p) -> None:
    p.add_argument("--lesion", nargs="+", required=True, help="lesion tables of the dual net")
    p.add_argument("--controls", nargs="*", default=[], help="lesion tables of control nets")
    save.lesion_figure(p)


def main(args) -> list:
    figS1(
        args.lesion,
        args.controls,
        save.figure_files(args),
        network=args.network,
        face_task=args.face_task,
        object_task=args.object_task,
        fraction=args.fraction,
    )
    return save.figure_files(args)
