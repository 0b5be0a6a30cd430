"""Fig. S2, lesion effects at matched task performance. The face task of a small net is learned
less well than the object task, and a weakly learned task may fall further under any lesion.

Two matchings, beside none:
- accuracy (the authors'): remove unlesioned predictions at random (correct ones from the better
  task) until both tasks start from the same accuracy. It leaves each kept image's chance of
  surviving a lesion as it was, so it cannot remove an asymmetry that fragility makes;
- margin: weight each task's test images so that both have the same distribution of unlesioned
  margins (stats.margin_weights), which a fragility-only asymmetry does not survive.
Panels A and B: each task's drop after the object and the face lesion; C: the segregation index;
D: each task's drop after each ranked lesion divided by its drop after random lesions of the same
size (how much more than any lesion of that size). Lines: unmatched (dotted), accuracy-matched
(dashed), margin-matched (solid). Means over seeds (accuracy-matched: also over `draws` random
removals), error bars min..max over seeds. Every number drawn is a row of figS2.csv.
"""

from __future__ import annotations

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .. import streams
from ..layers import depth_order
from ..stats import drops, margin_weights, matched_picks, task_images, unlesioned, weights_of
from ..tables import dissociation
from . import save
from .save import save_figure
from .segregation import by_network, layer_columns
from .style import colour, draw_line

COLUMNS = [*layer_columns("matching"), "n_seeds"]
MATCHINGS = {"none": ":", "accuracy": "--", "margin": "-"}


def accuracy_matched_drops(images: dict, tasks, fraction: float, draws: int, seed: int) -> dict:
    """{(lesion, task): drop} averaged over `draws` random removals that equalise the two
    tasks' unlesioned accuracy at the lower of the two."""
    full = {t: task_images(images, t) for t in tasks}
    target = min(unlesioned(images, pool).mean() for pool in full.values())
    total = {}
    for draw in range(draws):
        rng = streams.rng("performance_match", seed, images["network"], images["layer"], draw)
        picks = np.concatenate([matched_picks(images, t, target, rng) for t in tasks])
        weights = weights_of(picks, images["correct"].shape[1])
        for key, value in drops(images, tasks, fraction, weights).items():
            total[key] = total.get(key, 0.0) + float(value[0]) / draws
    return total


def matched_drops(images, tasks, fraction, matching, draws, seed, bins) -> dict:
    """{(lesion, task): drop} of one seed's layer under `matching`."""
    if matching == "accuracy":
        return accuracy_matched_drops(images, tasks, fraction, draws, seed)
    weights = margin_weights(images, tasks, bins) if matching == "margin" else None
    return {k: float(v[0]) for k, v in drops(images, tasks, fraction, weights).items()}


def figS2(images_npz, out, network, face_task, object_task, fraction, draws, bins, seed=0):
    """Draw Fig. S2 from the per-image lesion results of every seed of `network`."""
    layers = by_network(images_npz)[network]
    tasks = (face_task, object_task)
    rows = []
    for depth, layer in enumerate(depth_order(layers), 1):
        for matching in MATCHINGS:
            per_seed = [
                matched_drops(images, tasks, fraction, matching, draws, seed, bins)
                for images in layers[layer]
            ]
            cells = [(panel, lesion, task) for panel, lesion in zip("BA", tasks) for task in tasks]
            values = {cell: [d[cell[1:]] for d in per_seed] for cell in cells}
            values[("C", "+".join(tasks), "segregation_index")] = [
                dissociation(d, *tasks)["index"] for d in per_seed
            ]
            for lesion in tasks:
                for task in tasks:
                    values[("D", f"{lesion} / random", task)] = [
                        d[(lesion, task)] / d[("random", task)]
                        if d[("random", task)] > 0
                        else np.nan
                        for d in per_seed
                    ]
            for (panel, lesion, task), v in values.items():
                rows.append(
                    {
                        "panel": panel,
                        "network": network,
                        "matching": matching,
                        "layer": layer,
                        "depth": depth,
                        "lesion": lesion,
                        "task": task,
                        "value": float(np.mean(v)),
                        "err_low": float(np.min(v)),
                        "err_high": float(np.max(v)),
                        "n_seeds": len(v),
                    }
                )
    save_figure(lambda: _draw(rows, tasks), rows, COLUMNS, out)
    return rows


def _draw(rows, tasks) -> Figure:
    fig = Figure(figsize=(13, 3.4))
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, 4)
    task_colour = {tasks[0]: colour("face"), tasks[1]: colour("object")}
    for ax, panel, lesion in zip(axes, "AB", tasks[::-1]):
        for task in tasks:
            for matching, style in MATCHINGS.items():
                line = [
                    r
                    for r in rows
                    if r["panel"] == panel and r["task"] == task and r["matching"] == matching
                ]
                draw_line(ax, line, f"{task} ({matching})", task_colour[task], style)
        ax.set_title(f"{panel}  Lesion of top {lesion} filters")
        ax.set_ylabel("proportional drop in top-1 accuracy")
        ax.legend(fontsize=6)
    for matching, style in MATCHINGS.items():
        line = [r for r in rows if r["panel"] == "C" and r["matching"] == matching]
        draw_line(axes[2], line, f"matched: {matching}", "0.2", style)
    axes[2].set_title("C  Segregation index")
    axes[2].axhline(0, color="0.7", lw=0.5)
    axes[2].legend(fontsize=6)
    for lesion, style in zip(tasks, ("-", "--")):
        for task in tasks:
            line = [
                r
                for r in rows
                if r["panel"] == "D"
                and r["matching"] == "margin"
                and r["lesion"] == f"{lesion} / random"
                and r["task"] == task
            ]
            draw_line(axes[3], line, f"{task} after {lesion} lesion", task_colour[task], style)
    axes[3].set_title("D  Drop / random-lesion drop (margin-matched)")
    axes[3].axhline(1, color="0.7", lw=0.5)
    axes[3].legend(fontsize=6)
    fig.tight_layout()
    return fig


INPUTS = ("images",)


def add_arguments(p) -> None:
    p.add_argument("--images", nargs="+", required=True, help="per-image lesion results (.npz)")
    p.add_argument("--draws", type=int, required=True, help="random removals averaged")
    p.add_argument("--bins", type=int, required=True, help="margin bins of the margin matching")
    p.add_argument("--seed", type=int, required=True)
    save.lesion_figure(p)


def main(args) -> list:
    figS2(
        args.images,
        save.figure_files(args),
        args.network,
        args.face_task,
        args.object_task,
        args.fraction,
        args.draws,
        args.bins,
        args.seed,
    )
    return save.figure_files(args)
