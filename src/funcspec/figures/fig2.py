"""Fig. 2: lesions of face- and object-ranked filters in the dual net, layer by layer.

Panel A: proportional drop of each task after lesioning the top face filters; B: after the top
object filters; both with the random-lesion control (mean over seeds and draws, error bar =
min..max). Panel C: segregation index against depth (mean over seeds, nested bootstrap interval
over seeds, classes and test images), with the random class split and the untrained network as
baselines; a star marks the layers whose index is above both after Holm's correction across
layers. fig2.csv holds every number drawn, each seed's index, and the primary test: the trend of
the index with depth (task depth_slope).
"""

from __future__ import annotations

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..layers import depth_order
from ..seeds import split
from ..tables import read_tables
from . import save
from .save import save_figure
from .segregation import (
    STATISTICS_COLUMNS,
    by_network,
    index_rows,
    layer_columns,
    resamples_of,
    split_rows,
    test_against,
    trend_row,
)
from .style import colour, draw_line, label

# baseline: "random split" or "untrained" for the rows of a baseline, else empty.
COLUMNS = [*layer_columns("baseline"), *STATISTICS_COLUMNS]


def _drops(seeds, layer, lesion, task, fraction):
    return [
        r["drop"]
        for layers in seeds
        for r in layers[layer]
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


def seeds_of(tables: dict, network: str) -> list[dict]:
    """Each seed's {layer: rows} of a network, from lesion tables keyed by instance."""
    return [layers for name, layers in tables.items() if split(name)[0] == network]


def lesion_rows(network, seeds: list[dict], tasks, fraction) -> list[dict]:
    """Drops of each task after each ranked lesion and after random lesions, per layer, over
    the network's seeds (a list of {layer: rows})."""
    rows = []
    for depth, layer in enumerate(depth_order(seeds[0]), 1):
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
                        _drops(seeds, layer, lesion, task, fraction),
                    )
                )
                random = _drops(seeds, layer, "random", task, fraction)
                if random:
                    rows.append(_row(panel, network, layer, depth, "random", task, random))
    return rows


def baseline_rows(panel, images: dict, network, tasks, fraction, statistics, untrained=None):
    """The index of `network` on `tasks` by depth, its random class splits' and the untrained
    network's as baselines, each layer tested against both; then the network's trend with
    depth (its primary test), against zero and, paired, against its splits' trend."""
    layers, level = images[network], statistics["level"]
    resamples = resamples_of(network, layers, statistics)
    rows, own = index_rows(panel, network, layers, tasks, fraction, statistics, resamples)
    extra, split_samples = split_rows(panel, network, layers, fraction, statistics, resamples)
    rows += extra
    baselines = {"random split": {network: split_samples}} if split_samples else {}
    if untrained is not None:
        other = images[untrained]
        extra, baselines["untrained"] = index_rows(
            panel,
            untrained,
            other,
            tasks,
            fraction,
            statistics,
            resamples_of(untrained, other, statistics, like=resamples),
            "untrained",
        )
        baselines["untrained"] = {network: baselines["untrained"]}
        rows += extra
    tested = [r for r in rows if not r["baseline"]]
    test_against(tested, {(network, k): v for k, v in own.items()}, baselines, level)
    return rows + [trend_row(panel, network, tested, own, level, split_samples)]


def fig2(
    lesion_csvs,
    images_npz,
    out,
    network="dual",
    face_task="faces",
    object_task="objects",
    fraction=0.2,
    statistics=None,
    untrained=None,
) -> list[dict]:
    """Draw Fig. 2 from the network's lesion tables (every seed) and the per-image results of
    its lesions and the untrained network's; write its files `out` (pdf, png, csv)."""
    statistics = statistics or {"bootstrap": 10_000, "level": 0.95, "seed": 0}
    tasks = (face_task, object_task)
    rows = lesion_rows(network, seeds_of(read_tables(lesion_csvs), network), tasks, fraction)
    rows += baseline_rows(
        "C", by_network(images_npz), network, tasks, fraction, statistics, untrained
    )
    save_figure(lambda: _draw_fig2(rows, network, tasks), rows, COLUMNS, out)
    return rows


def draw_index(ax, rows, name, color):
    """A network's index by depth, stars on layers above all its baselines; the baselines
    dotted: its own random splits in its colour, the untrained network in grey."""
    by_depth = [r for r in rows if r["task"] == "segregation_index"]
    own = [r for r in by_depth if r["network"] == name and not r["baseline"]]
    draw_line(ax, own, label(name), color)
    for r in own:
        if r.get("above_baselines"):
            ax.plot(r["depth"], r["err_high"] + 0.03, "*", color=color, ms=5)
    for baseline, network in dict.fromkeys(
        (r["baseline"], r["network"]) for r in by_depth if r["baseline"]
    ):
        line = [r for r in by_depth if r["baseline"] == baseline and r["network"] == network]
        text = f"{baseline} ({label(network)})"
        draw_line(ax, line, text, color if baseline == "random split" else "0.6", ":")


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
    draw_index(ax, [r for r in rows if r["panel"] == "C"], network, colour(network))
    ax.set_title("C  Segregation index by depth")
    ax.set_ylabel("segregation index")
    ax.axhline(0, color="0.7", lw=0.5)
    ax.legend()
    fig.tight_layout()
    return fig


INPUTS = ("lesion", "images")


def add_arguments(p) -> None:
    p.add_argument("--lesion", nargs="+", required=True, help="lesion tables of the dual net")
    p.add_argument(
        "--images",
        nargs="+",
        required=True,
        help="per-image lesion results (.npz) of the dual net and the untrained net",
    )
    p.add_argument("--untrained", help="the untrained network, a baseline (default: none)")
    save.lesion_figure(p)
    save.statistics(p)


def main(args) -> list:
    fig2(
        args.lesion,
        args.images,
        save.figure_files(args),
        network=args.network,
        face_task=args.face_task,
        object_task=args.object_task,
        fraction=args.fraction,
        statistics=save.statistics_of(args),
        untrained=args.untrained,
    )
    return save.figure_files(args)
