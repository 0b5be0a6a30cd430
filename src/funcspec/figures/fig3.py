"""Fig. 3: what the face and object units prefer.

Units are face-only, object-only or shared by the top of the two tasks' rankings (the units the
Fig. 2 lesion removes). Panel A: the preferred image of a few units of each group and of random
units, by network and layer. Panel B, by depth: left, each group's face selectivity on real
held-out images (d', the primary analysis), with the overlap of the two top sets against its
chance level; right, each group's visualisation score, the change in the readout's log-odds of
"face" from the image's own starting noise, with the random units as the null. Intervals
bootstrap units within seeds; tests permute group labels within seed and layer and are Holm-
corrected across layers. The study's claim predicts face-only units above object-only ones, more
so with depth. Every number drawn is a row of fig3.csv.
"""

from __future__ import annotations

import csv

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .. import streams
from ..layers import depth_order
from ..seeds import split
from ..stats import holm, overlap_p, permutation_p, unit_mean_interval
from ..tables import GROUPS, read_selectivity, read_visualizations
from . import save
from .save import save_figure
from .style import colour, draw_line

COLUMNS = [
    "panel",
    "measure",
    "network",
    "layer",
    "depth",
    "group",
    "unit",
    "restart",
    "chosen",
    "random",
    "face_rank",
    "object_rank",
    "activation",
    "start_activation",
    "log_odds",
    "log_odds_start",
    "value",
    "err_low",
    "err_high",
    "chance",
    "p",
    "p_holm",
    "n_units",
    "n_seeds",
    "shown",
    "classifier_accuracy",
]
SHOWN = 4  # units per group drawn in panel A; fig3.csv lists every one visualised
RANDOM = "random"
ALL = "all units"
COMPARISONS = [("face-only", "object-only"), ("face-only", RANDOM), ("object-only", RANDOM)]


def fig3(selectivities, visualizations, readout_csv, out, statistics: dict) -> list[dict]:
    """Draw Fig. 3 from the selectivity tables, the visualisations and the readout's scores."""
    units = read_selectivity(selectivities)
    images = read_visualizations(visualizations)
    with open(readout_csv, newline="") as f:
        scores = {
            (r["network"], r["layer"], int(r["unit"]), int(r["restart"])): r
            for r in csv.DictReader(f)
        }
    layers = depth_order({r["layer"] for r in units})
    shown = _shown(images)
    rows = []
    for i, r in enumerate(images):
        score = scores[(r["network"], r["layer"], r["unit"], r["restart"])]
        rows.append(
            {
                "panel": "A",
                "measure": "score",
                **{k: v for k, v in r.items() if k not in ("image", "start")},
                "depth": layers.index(r["layer"]),
                "log_odds": float(score["log_odds"]),
                "log_odds_start": float(score["log_odds_start"]),
                "value": float(score["score"]),
                "shown": i in shown,
                "classifier_accuracy": float(score["classifier_accuracy"]),
            }
        )
    rng = streams.rng("unit_permutation", statistics["seed"])
    scored = [r for r in rows if r["panel"] == "A"]
    groups = GROUPS
    rows += group_rows(
        "d_prime",
        units,
        layers,
        layers,
        [*groups, ALL],
        COMPARISONS[:1],
        "d_prime",
        statistics,
        rng,
    )
    networks = sorted({split(r["network"])[0] for r in units})
    rows += [
        overlap_row(units, n, layer, layers, statistics, rng) for n in networks for layer in layers
    ]
    visualised = [layer for layer in layers if any(r["layer"] == layer for r in scored)]
    scores = group_rows(
        "score",
        scored,
        visualised,
        layers,
        [*groups, RANDOM],
        COMPARISONS,
        "value",
        statistics,
        rng,
    )
    for r in scores:
        r["classifier_accuracy"] = scored[0]["classifier_accuracy"]
    rows += scores
    pictures = [r["image"] for r in images]
    level = statistics["level"]
    save_figure(lambda: _draw(rows, pictures, layers, level), rows, COLUMNS, out)
    return rows


def _shown(images) -> set[int]:
    """Panel A's images: the first restart of the first SHOWN units of each group (and of the
    random units) of each network and layer."""
    counts, shown = {}, set()
    for i, r in enumerate(images):
        if r["restart"]:
            continue
        for group in (r["group"] if r["chosen"] else None, RANDOM if r["random"] else None):
            key = (r["network"], r["layer"], group)
            if group in (*GROUPS, RANDOM) and counts.get(key, 0) < SHOWN:
                counts[key] = counts.get(key, 0) + 1
                shown.add(i)
    return shown


def _by_seed(rows, network, layer, group, value: str) -> list[np.ndarray]:
    """Per seed of `network`, the values of the units of `group` in `layer` (restarts of a
    unit averaged: a unit is the unit of inference)."""
    out = []
    for instance in sorted({r["network"] for r in rows if split(r["network"])[0] == network}):
        per_unit = {}
        for r in rows:
            if r["network"] == instance and r["layer"] == layer and _in(r, group):
                per_unit.setdefault(r["unit"], []).append(r[value])
        out.append(np.array([np.mean(v) for v in per_unit.values()]))
    return out


def _in(row, group) -> bool:
    """A selectivity row is in its group; a visualisation counts for the group it was drawn
    for, and for the random units if it was drawn as one."""
    if group == ALL:
        return True
    if group == RANDOM:
        return row["random"]
    return row["group"] == group and row.get("chosen", True)


def _summary(measure, network, layer, depth, group, by_seed, statistics, rng) -> dict:
    low, high = unit_mean_interval(by_seed, statistics["level"], statistics["bootstrap"], rng)
    filled = [v for v in by_seed if len(v)]
    return {
        "panel": "B",
        "measure": measure,
        "network": network,
        "layer": layer,
        "depth": depth,
        "group": group,
        "value": float(np.mean([v.mean() for v in filled])) if filled else float("nan"),
        "err_low": low,
        "err_high": high,
        "n_units": sum(len(v) for v in by_seed),
        "n_seeds": len(filled),
    }


def _tests(measure, network, layers, order, rows, comparisons, value, statistics, rng):
    """Each comparison at each layer, Holm-corrected across layers."""
    out = []
    for a, b in comparisons:
        tests = []
        for layer in layers:
            difference, p = permutation_p(
                _by_seed(rows, network, layer, a, value),
                _by_seed(rows, network, layer, b, value),
                statistics["bootstrap"],
                rng,
            )
            tests.append(
                {
                    "panel": "B",
                    "measure": f"{measure} test",
                    "network": network,
                    "layer": layer,
                    "depth": order.index(layer),
                    "group": f"{a} - {b}",
                    "value": difference,
                    "p": p,
                }
            )
        for t, adjusted in zip(tests, holm([t["p"] for t in tests])):
            t["p_holm"] = float(adjusted)
        out += tests
    return out


def group_rows(measure, rows, layers, order, groups, comparisons, value, statistics, rng):
    """Per network and layer of `layers`: each group's mean `value` with its interval, and the
    comparisons, each Holm-corrected across the layers (depth is the place in `order`)."""
    out = []
    for network in sorted({split(r["network"])[0] for r in rows}):
        for layer in layers:
            for group in groups:
                by_seed = _by_seed(rows, network, layer, group, value)
                depth = order.index(layer)
                out.append(
                    _summary(measure, network, layer, depth, group, by_seed, statistics, rng)
                )
        out += _tests(measure, network, layers, order, rows, comparisons, value, statistics, rng)
    return out


def overlap_row(units, network, layer, layers, statistics, rng) -> dict:
    """The share of each top set that is shared, mean over seeds, against its chance level."""
    overlaps, tops, sizes = [], set(), set()
    for instance in sorted({r["network"] for r in units if split(r["network"])[0] == network}):
        own = [r for r in units if r["network"] == instance and r["layer"] == layer]
        shared = sum(r["group"] == "shared" for r in own)
        overlaps.append(shared)
        tops.add(shared + sum(r["group"] == "face-only" for r in own))
        sizes.add(len(own))
    (top,), (n_units,) = tops, sizes
    values = np.array(overlaps) / top
    return {
        "panel": "B",
        "measure": "overlap",
        "network": network,
        "layer": layer,
        "depth": layers.index(layer),
        "group": "shared",
        "value": float(values.mean()),
        "chance": top / n_units,
        "p": overlap_p(overlaps, top, n_units, statistics["bootstrap"], rng),
        "n_units": top,
        "n_seeds": len(overlaps),
    }


GROUP_COLOURS = {
    "face-only": colour("face"),
    "object-only": colour("object"),
    "shared": colour("dual"),
    RANDOM: colour("untrained"),
    ALL: colour("untrained"),
}


def _draw(rows, pictures, layers, level) -> Figure:
    shown = [(r, p) for r, p in zip((r for r in rows if r["panel"] == "A"), pictures) if r["shown"]]
    lines = sorted(
        {(r["network"], r["layer"]) for r, _ in shown}, key=lambda k: (k[0], layers.index(k[1]))
    )
    blocks = [*GROUPS, RANDOM]
    columns = SHOWN * len(blocks)
    fig = Figure(figsize=(0.5 * columns + 1.0, 0.55 * len(lines) + 3.2))
    FigureCanvasAgg(fig)
    top, bottom = fig.subfigures(2, 1, height_ratios=[0.55 * len(lines), 3.2])
    grid = top.subplots(len(lines), columns, squeeze=False)
    for i, line in enumerate(lines):
        for b, block in enumerate(blocks):
            members = [
                (r, p) for r, p in shown if (r["network"], r["layer"]) == line and _in(r, block)
            ][:SHOWN]
            for j in range(SHOWN):
                ax = grid[i][b * SHOWN + j]
                ax.set_xticks([])
                ax.set_yticks([])
                if j >= len(members):
                    ax.set_axis_off()
                    continue
                ax.imshow(members[j][1], interpolation="nearest")
                for spine in ax.spines.values():
                    spine.set_color(GROUP_COLOURS[block])
                if b == 0 and j == 0:
                    ax.set_ylabel(f"{line[0]}\n{line[1]}", fontsize=5)
    for b, block in enumerate(blocks):
        grid[0][b * SHOWN].set_title(block, fontsize=6, loc="left", color=GROUP_COLOURS[block])
    top.suptitle("A  Preferred images (first restart)", x=0.02, ha="left", fontsize=9)
    left, right = bottom.subplots(1, 2)
    _panel(left, rows, "d_prime", [*GROUPS, ALL], "face selectivity (d')", level)
    for r in (r for r in rows if r["measure"] == "overlap"):
        left.annotate(
            f"{r['value']:.2f}/{r['chance']:.2f}",
            (r["depth"], left.get_ylim()[1]),
            fontsize=5,
            ha="center",
            va="top",
        )
    left.set_title("B  Selectivity on held-out images (top: overlap / chance)", fontsize=8)
    _panel(
        right,
        rows,
        "score",
        [*GROUPS, RANDOM],
        "Δ log-odds of face vs own noise",
        level,
    )
    accuracy = next(r["classifier_accuracy"] for r in rows if r["measure"] == "score")
    right.set_title(f"Visualisations (readout {accuracy:.2f} on unseen classes)", fontsize=8)
    return fig


def _panel(ax, rows, measure, groups, ylabel, level) -> None:
    """Each group's line by depth; a star where face-only and object-only units differ."""
    for group in groups:
        own = [
            r for r in rows if r["panel"] == "B" and r["measure"] == measure and r["group"] == group
        ]
        if own:
            draw_line(ax, own, group, GROUP_COLOURS[group], ":" if group in (RANDOM, ALL) else "-")
    ax.axhline(0, color="0.8", lw=0.5)
    for t in rows:
        if (
            t["measure"] == f"{measure} test"
            and t["group"] == "face-only - object-only"
            and t["p_holm"] < 1 - level
        ):
            ax.annotate("*", (t["depth"], 0.02), xycoords=("data", "axes fraction"), ha="center")
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=5)


INPUTS = ("selectivity", "visualizations", "readout")


def add_arguments(p) -> None:
    p.add_argument("--selectivity", nargs="+", required=True, help="selectivity CSVs")
    p.add_argument("--visualizations", nargs="+", required=True, help="visualize .npz files")
    p.add_argument("--readout", required=True, help="the readout's CSV")
    save.statistics(p)
    save.figure(p)


def main(args) -> list:
    files = save.figure_files(args)
    fig3(args.selectivity, args.visualizations, args.readout, files, save.statistics_of(args))
    return files
