"""Fig. 2: lesions of face- and object-ranked filters in the dual net, layer by layer.

Panel A: proportional drop of each task after lesioning the top face filters; B: after the top
object filters; both with the random-lesion control (mean over draws, error bar = min..max).
Panel C: segregation index against depth, with the random class split as its baseline.
Every number drawn is a row of fig2.csv.
"""

from __future__ import annotations

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..layers import depth_order
from ..lesion import has_lesion, read_tables, segregation
from ..tasks import SPLIT
from .save import save_figure
from .style import colour, draw_line, label

# baseline: "random split" for the rows of a network's random class split, else empty.
COLUMNS = [
    "panel",
    "network",
    "baseline",
    "layer",
    "depth",
    "lesion",
    "task",
    "value",
    "err_low",
    "err_high",
]
RANDOM_SPLIT = "random split"


def _drops(rows, lesion, task, fraction):
    return [
        r["drop"]
        for r in rows
        if r["lesion"] == lesion and r["task"] == task and np.isclose(r["fraction"], fraction)
    ]


def _row(panel, network, layer, depth, lesion, task, values, baseline=""):
    values = np.asarray(values, dtype=float)
    return {
        "panel": panel,
        "network": network,
        "baseline": baseline,
        "layer": layer,
        "depth": depth,
        "lesion": lesion,
        "task": task,
        "value": float(values.mean()),
        "err_low": float(values.min()),
        "err_high": float(values.max()),
    }


def lesion_rows(network, layers: dict, tasks, fraction) -> list[dict]:
    """Drops of each task after each ranked lesion and after random lesions, per layer."""
    rows = []
    for depth, layer in enumerate(depth_order(layers), 1):
        table = layers[layer]
        for panel, lesion in zip("AB", tasks):
            for task in tasks:
                rows.append(
                    _row(
                        panel,
                        network,
                        layer,
                        depth,
                        lesion,
                        task,
                        _drops(table, lesion, task, fraction),
                    )
                )
                random = _drops(table, "random", task, fraction)
                if random:
                    rows.append(_row(panel, network, layer, depth, "random", task, random))
    return rows


def segregation_rows(panel, network, layers: dict, tasks, fraction) -> list[dict]:
    """Segregation index and ratio per layer for a pair of tasks, and for the network's random
    class split when it was ranked (its baseline)."""
    pairs = [(tasks, "")] + ([(SPLIT, RANDOM_SPLIT)] if has_lesion(layers, SPLIT[0]) else [])
    rows = []
    for pair, baseline in pairs:
        for depth, layer in enumerate(depth_order(layers), 1):
            s = segregation(layers[layer], *pair, fraction)
            for task, key in (("segregation_index", "index"), ("segregation_ratio", "ratio")):
                rows.append(
                    _row(panel, network, layer, depth, "+".join(pair), task, [s[key]], baseline)
                )
    return rows


def fig2(
    lesion_csvs, out_prefix, network="dual", face_task="faces", object_task="objects", fraction=0.2
) -> list[dict]:
    """Draw Fig. 2 from the network's lesion tables, write out_prefix.{pdf,png,csv}."""
    layers = read_tables(lesion_csvs)[network]
    tasks = (face_task, object_task)
    rows = lesion_rows(network, layers, tasks, fraction)
    rows += segregation_rows("C", network, layers, tasks, fraction)
    save_figure(lambda: _draw_fig2(rows, network, tasks), rows, COLUMNS, out_prefix)
    return rows


def _draw_fig2(rows, network, tasks) -> Figure:
    fig = Figure(figsize=(10, 3.2))
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, 3)
    task_colour = {tasks[0]: colour("face"), tasks[1]: colour("object")}
    for ax, panel, lesion in zip(axes, "AB", tasks):
        for task in tasks:
            draw_line(
                ax,
                [
                    r
                    for r in rows
                    if r["panel"] == panel and r["lesion"] == lesion and r["task"] == task
                ],
                f"{task} test",
                task_colour[task],
            )
            random = [
                r
                for r in rows
                if r["panel"] == panel and r["lesion"] == "random" and r["task"] == task
            ]
            if random:
                draw_line(ax, random, f"{task}, random lesion", task_colour[task], ":")
        ax.set_title(f"{panel}  Lesion of top {lesion} filters ({label(network)})")
        ax.set_ylabel("proportional drop in top-1 accuracy")
        ax.axhline(0, color="0.7", lw=0.5)
        ax.legend()
    ax = axes[2]
    for baseline in sorted({r["baseline"] for r in rows if r["panel"] == "C"}):
        draw_line(
            ax,
            [
                r
                for r in rows
                if r["panel"] == "C"
                and r["baseline"] == baseline
                and r["task"] == "segregation_index"
            ],
            f"{network} ({baseline})" if baseline else network,
            "0.5" if baseline else colour(network),
            ":" if baseline else "-",
        )
    ax.set_title("C  Segregation index by depth")
    ax.set_ylabel("segregation index")
    ax.axhline(0, color="0.7", lw=0.5)
    ax.legend()
    fig.tight_layout()
    return fig
