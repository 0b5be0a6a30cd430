"""Fig. 4: do categories other than faces segregate from objects? The segregation index by depth
of each dual-task network that pairs a category (faces, food, cars) with the object task at a
matched training size (A), with the random-split and untrained baselines and a star on the
layers above both after Holm's correction; the unlesioned accuracy of every task (B), since a
poorly learned task cannot segregate; each category's index minus the face network's (C), the
comparison the study's claim makes; how far each category's features overlap with objects'
without lesions (D): its held-out classes decoded from its own top units of the penultimate
layer, from the object task's, and from colour alone. A, C and the tests are repeated with
every category task's test accuracy matched to the lowest of them, and every object task's
likewise (rows "matched"). Means over seeds; nested bootstrap
intervals over seeds, classes and test images (A, C), min..max over seeds (B, D). Every number
drawn is a row of fig4.csv, with each network's trend with depth (task depth_slope).
"""

from __future__ import annotations

import csv

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .. import streams
from ..errors import FuncspecError
from ..layers import depth_order
from ..seeds import split
from ..stats import (
    depth_slope,
    holm,
    interval,
    matched_picks,
    p_two_sided,
    real_tasks,
    task_images,
    unlesioned,
    weights_of,
)
from . import save
from .fig2 import COLUMNS, draw_index
from .save import save_figure
from .segregation import (
    by_network,
    index_rows,
    resamples_of,
    split_rows,
    tested_rows,
)
from .style import colour, draw_line, label


def tasks_of(layers: dict) -> list[str]:
    """The real tasks of a network's per-image results, in their saved order."""
    return real_tasks(next(iter(layers.values()))[0])


def accuracy_rows(network, layers: dict) -> list[dict]:
    """Each task's unlesioned test accuracy, over seeds (the same at every layer)."""
    seeds = layers[depth_order(layers)[0]]
    rows = []
    for task in tasks_of(layers):
        values = [unlesioned(images, task_images(images, task)).mean() for images in seeds]
        rows.append(
            {
                "panel": "B",
                "network": network,
                "baseline": "",
                "lesion": "none",
                "task": task,
                "value": float(np.mean(values)),
                "err_low": float(np.min(values)),
                "err_high": float(np.max(values)),
                "n_seeds": len(values),
            }
        )
    return rows


def fig4(
    images_npz,
    overlap_csvs,
    out,
    networks,
    object_tasks,
    fraction: float,
    statistics: dict,
    untrained: str | None = None,
) -> list[dict]:
    """Draw Fig. 4 from the per-image lesion results of its networks and baselines. Within each
    object task, the first network listed is the face network the others are compared with.
    Each network's random-split null is its own splits, where they were lesioned."""
    images, level = by_network(images_npz), statistics["level"]
    baselines, rows, samples, own, object_of, nulls = {}, [], {}, {}, {}, {}
    pair_of, resamples = {}, {}
    if untrained is not None:
        layers = images[untrained]
        extra, samples_of = index_rows(
            "A",
            untrained,
            layers,
            tasks_of(layers),
            fraction,
            statistics,
            resamples_of(untrained, layers, statistics),
            "untrained",
        )
        baselines["untrained"] = {None: samples_of}
        rows += extra
    for network in networks:
        layers = images[network]
        tasks = tasks_of(layers)
        objects = [t for t in tasks if t in object_tasks]
        if len(tasks) != 2 or len(objects) != 1:
            raise FuncspecError(
                f"{network} is lesioned on {tasks}; Fig. 4 needs a category and one of "
                f"{list(object_tasks)}"
            )
        category = next(t for t in tasks if t != objects[0])
        object_of[network], pair_of[network] = objects[0], (category, objects[0])
        resamples[network] = resamples_of(network, layers, statistics)
        own[network], samples[network] = index_rows(
            "A", network, layers, pair_of[network], fraction, statistics, resamples[network]
        )
        extra, nulls[network] = split_rows(
            "A", network, layers, fraction, statistics, resamples[network]
        )
        rows += extra
        if nulls[network]:
            baselines.setdefault("random split", {})[network] = nulls[network]
    for network, done in tested_rows(networks, own, samples, baselines, nulls, level).items():
        rows += done + accuracy_rows(network, images[network])
    rows += comparison_rows(networks, object_of, own, samples, level)
    kept, targets = accuracy_match(images, networks, pair_of, statistics["seed"])
    matched, matched_samples = {}, {}
    for network in networks:
        matched[network], matched_samples[network] = index_rows(
            "A",
            network,
            images[network],
            pair_of[network],
            fraction,
            statistics,
            resamples[network],
            kept=kept,
        )
        rows += matched[network]
    for row in comparison_rows(networks, object_of, matched, matched_samples, level):
        rows.append({**row, "lesion": f"{row['lesion']} matched"})
    rows += [
        {"panel": "B", "network": "matched", "lesion": "none", "task": kind, "value": target}
        for kind, target in zip(("category", "objects"), targets)
    ]
    rows += overlap_rows(overlap_csvs, networks)
    save_figure(lambda: _draw(rows, networks, object_of), rows, COLUMNS, out)
    return rows


def accuracy_match(images, networks, pair_of: dict, seed: int):
    """Each seed's test images with unlesioned predictions removed at random until every
    category task has the lowest mean category accuracy among the figure's networks, and every
    object task the lowest object accuracy (as Fig. S2 matches faces and objects): {seed's
    network: (1, images) weights of the images kept}, and the two target accuracies. A task
    learned better then cannot make its network's index look different by that alone. A
    consolidated task keeps all its images."""

    def seeds(network):
        return images[network][depth_order(images[network])[0]]

    def accuracy(network, task):
        return np.mean([unlesioned(s, task_images(s, task)).mean() for s in seeds(network)])

    # A consolidated task's accuracy is detection, not identification: neither a target for
    # the others nor matched to theirs.
    def matched(network, task):
        return task not in seeds(network)[0]["consolidated"]

    targets = [
        min(accuracy(n, pair_of[n][k]) for n in networks if matched(n, pair_of[n][k]))
        for k in (0, 1)
    ]
    kept = {}
    for network in networks:
        for s in seeds(network):
            rng = streams.rng("performance_match", seed, s["network"], "fig4")
            picks = [
                matched_picks(s, t, target, rng) if matched(network, t) else task_images(s, t)
                for t, target in zip(pair_of[network], targets)
            ]
            kept[s["network"]] = weights_of(np.concatenate(picks), s["correct"].shape[1])
    return kept, [float(t) for t in targets]


def overlap_rows(paths, networks) -> list[dict]:
    """Panel D, overlap without lesions: each task's held-out classes decoded from each task's
    top units and from colour, as the share of the way from chance to perfect, mean over seeds
    (min..max)."""
    decoded = {}
    for path in paths:
        with open(path, newline="") as f:
            for r in csv.DictReader(f):
                chance = float(r["chance"])
                above = (float(r["accuracy"]) - chance) / (1 - chance)
                network = split(r["network"])[0]
                decoded.setdefault((network, r["decoded"], r["features"]), []).append(above)
    rows = []
    for (network, task, features), values in decoded.items():
        if network not in networks:
            raise FuncspecError(f"{path}: overlap of {network}, not a Figure 4 network")
        rows.append(
            {
                "panel": "D",
                "network": network,
                "baseline": "",
                "lesion": "none",
                "task": f"{task} from {features}",
                "value": float(np.mean(values)),
                "err_low": float(np.min(values)),
                "err_high": float(np.max(values)),
                "n_seeds": len(values),
            }
        )
    return rows


def comparison_rows(networks, object_of: dict, own: dict, samples: dict, level: float) -> list:
    """Each category's index minus its face network's (the first network on the same object
    task), per layer and for the trend with depth: the difference of the seed means, its
    bootstrap interval (the networks' resamples are independent), the two-sided p-value,
    Holm-corrected across the figure's layer comparisons."""
    rows = []
    for network in networks:
        face = next(n for n in networks if object_of[n] == object_of[network])
        if face == network:
            continue
        layers = [r["layer"] for r in own[network]]
        if layers != [r["layer"] for r in own[face]]:
            raise FuncspecError(f"{network} and {face} are lesioned in other layers")
        for depth, (mine, faces) in enumerate(zip(own[network], own[face]), 1):
            layer = mine["layer"]
            difference = samples[network][layer] - samples[face][layer]
            value = mine["value"] - faces["value"]
            rows.append(_difference_row(network, face, layer, depth, value, difference, level))
        slopes = [depth_slope(np.stack([samples[n][x] for x in layers])) for n in (network, face)]
        value = _seed_slope(own[network]) - _seed_slope(own[face])
        rows.append(_difference_row(network, face, "all", "", value, slopes[0] - slopes[1], level))
    for row, adjusted in zip(
        [r for r in rows if r["layer"] != "all"],
        holm([r["p_difference"] for r in rows if r["layer"] != "all"]),
    ):
        row["p_difference_holm"] = float(adjusted)
    return rows


def _seed_slope(rows) -> float:
    """The mean over seeds of each seed's slope of the index over depth."""
    return float(np.mean(depth_slope(np.array([_per_seed(r) for r in rows]))))


def _difference_row(network, face, layer, depth, value, difference, level) -> dict:
    """A row of panel C: a layer's difference, or the trend's (layer "all")."""
    low, high = interval(difference, level)
    return {
        "panel": "C",
        "network": network,
        "baseline": "",
        "layer": layer,
        "depth": depth,
        "lesion": f"{network} - {face}",
        "task": "depth_slope" if layer == "all" else "segregation_index",
        "value": value,
        "err_low": low,
        "err_high": high,
        "p_difference": p_two_sided(difference),
    }


def _per_seed(row) -> list[float]:
    return [float(v) for v in row["per_seed"].split()]


def _draw(rows, networks, object_of) -> Figure:
    fig = Figure(figsize=(15, 3.4))
    FigureCanvasAgg(fig)
    ax_a, ax_b, ax_c, ax_d = fig.subplots(1, 4, gridspec_kw={"width_ratios": [3, 2, 3, 2]})
    index = [r for r in rows if r["panel"] == "A" and not r["lesion"].endswith(" matched")]
    for i, network in enumerate(networks):
        # each network's rows and its own splits; the untrained baseline once, with the first
        own = [r for r in index if r["network"] == network]
        untrained = [r for r in index if r["baseline"] == "untrained"] if i == 0 else []
        draw_index(ax_a, own + untrained, network, colour(network))
    ax_a.set_title("A  Segregation index by depth (* above both baselines)")
    ax_a.set_ylabel("segregation index")
    ax_a.axhline(0, color="0.7", lw=0.5)
    ax_a.legend()
    accuracy = [r for r in rows if r["panel"] == "B" and r["network"] != "matched"]
    for x, r in enumerate(accuracy):
        ax_b.bar(
            x,
            r["value"],
            yerr=[[r["value"] - r["err_low"]], [r["err_high"] - r["value"]]],
            color=colour(r["network"]),
            capsize=2,
        )
    ax_b.set_xticks(
        range(len(accuracy)), [f"{label(r['network'])}\n{r['task']}" for r in accuracy], rotation=60
    )
    ax_b.set_ylim(0, 1)
    ax_b.set_title("B  Unlesioned top-1 accuracy")
    for network in dict.fromkeys(r["network"] for r in rows if r["panel"] == "C"):
        line = [r for r in rows if r["panel"] == "C" and r["network"] == network]
        for matched, style in ((False, "-"), (True, "--")):
            drawn = [
                r
                for r in line
                if r["layer"] != "all" and r["lesion"].endswith(" matched") == matched
            ]
            name = label(network) + (", accuracy matched" if matched else "")
            draw_line(ax_c, drawn, name, colour(network), style)
    ax_c.set_title("C  Index minus the face network's (dashed: accuracy matched)")
    ax_c.set_ylabel("difference in segregation index")
    ax_c.axhline(0, color="0.7", lw=0.5)
    ax_c.legend()
    decoded = [
        r
        for r in rows
        if r["panel"] == "D" and not r["task"].startswith(f"{object_of[r['network']]} from")
    ]
    for x, r in enumerate(decoded):
        ax_d.bar(
            x,
            r["value"],
            yerr=[[r["value"] - r["err_low"]], [r["err_high"] - r["value"]]],
            color=colour(r["network"]),
            alpha=1.0 if "units" in r["task"] else 0.4,
            capsize=2,
        )
    ax_d.set_xticks(range(len(decoded)), [r["task"] for r in decoded], rotation=60, fontsize=5)
    if not decoded:
        ax_d.text(0.5, 0.5, "no held-out classes to decode", ha="center", transform=ax_d.transAxes)
    ax_d.set_ylabel("held-out decoding (chance 0, perfect 1)")
    ax_d.set_title("D  Categories decoded without lesions")
    fig.tight_layout()
    return fig


INPUTS = ("images", "overlap")


def add_arguments(p) -> None:
    p.add_argument("--images", nargs="+", required=True, help="per-image lesion results (.npz)")
    p.add_argument(
        "--overlap", nargs="*", default=[], help="overlap decoding tables (panel D; may be none)"
    )
    p.add_argument("--networks", nargs="+", required=True, help="category+object networks")
    p.add_argument("--object-tasks", nargs="+", required=True, help="the object task of each")
    p.add_argument("--fraction", type=float, required=True, help="lesion fraction drawn")
    p.add_argument("--untrained", help="the untrained network, a baseline (default: none)")
    save.statistics(p)
    save.figure(p)


def main(args) -> list:
    fig4(
        args.images,
        args.overlap,
        save.figure_files(args),
        args.networks,
        args.object_tasks,
        args.fraction,
        save.statistics_of(args),
        untrained=args.untrained,
    )
    return save.figure_files(args)
