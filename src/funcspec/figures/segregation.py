"""The segregation index by depth with its statistics, shared by Figures 2 and 4: per layer the
mean over seeds, each seed's value, a nested bootstrap interval (seeds, then classes, then test
images) and, with 3 or more seeds, an interval across seeds; tests against the random-split and
untrained baselines, Holm-corrected across the figure's layers (a layer is starred when its index
is above both after correction); and each network's primary test, the trend with depth.

One set of resamples per network measures every layer and its own random split, so the split's
test is paired; a baseline network on the same test images and seeds shares them too.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from .. import streams
from ..layers import depth_order
from ..seeds import split
from ..stats import (
    Resamples,
    across_seeds,
    depth_slope,
    holm,
    interval,
    load_images,
    p_above,
    segregation_index,
    split_index,
)
from ..tasks import split_pairs

BASELINES = ("random split", "untrained")


def layer_columns(lines: str) -> list[str]:
    """The leading columns of a figure's table of lesion effects by layer (Figures 2 and S2);
    column `lines` tells a panel's lines apart."""
    return [
        "panel",
        "network",
        lines,
        "layer",
        "depth",
        "lesion",
        "task",
        "value",
        "err_low",
        "err_high",
    ]


STATISTICS_COLUMNS = [
    "n_seeds",
    "per_seed",
    "seeds_low",
    "seeds_high",
    "p_random_split",
    "p_random_split_holm",
    "p_untrained",
    "p_untrained_holm",
    "above_baselines",
    "p_zero",
    "p_difference",
    "p_difference_holm",
]


def by_network(npz_paths) -> dict[str, dict[str, list[dict]]]:
    """{network: {layer: [per-image results of each seed, in seed order]}} from lesion .npz
    files (seed order aligns the seeds of one layer with those of the next)."""
    out = defaultdict(lambda: defaultdict(list))
    for path in dict.fromkeys(npz_paths):  # a network may be drawn twice (say, and as baseline)
        images = load_images(path)
        out[split(images["network"])[0]][images["layer"]].append(images)
    for layers in out.values():
        for seeds in layers.values():
            seeds.sort(key=lambda images: split(images["network"])[1])
    return out


def resamples_of(network: str, layers: dict, statistics: dict, like=None) -> Resamples:
    """The nested resamples of a network's seeds and test images; `like`, another network's
    resamples, is shared when it covers this network's seeds and test images (their tests
    against each other are then paired)."""
    first = layers[depth_order(layers)[0]]
    if like is not None and like.covers(first):
        return like
    rng = streams.rng("segregation_bootstrap", statistics["seed"], network)
    return Resamples.draw(first[0], len(first), statistics["bootstrap"], rng)


def index_rows(
    panel, network, layers: dict, tasks, fraction, statistics, resamples, baseline="", kept=None
):
    """One row per layer: the seed-mean index of the two tasks, its nested bootstrap interval in
    err_low..err_high, each seed's value and the interval across seeds; and the bootstrap
    samples by layer, for the tests. `kept`: {seed's network: (1, images) weights}, the test
    images each seed is measured on (default: all)."""

    def index(images, weights=None):
        if kept is None:
            return segregation_index(images, *tasks, fraction, weights)
        mine = kept[images["network"]]
        if weights is None:
            return float(segregation_index(images, *tasks, fraction, mine)[0])
        return segregation_index(images, *tasks, fraction, weights * mine)

    lesion = "+".join(tasks) + (" matched" if kept is not None else "")
    return _rows(panel, network, layers, lesion, index, statistics, resamples, baseline)


def split_rows(panel, network, layers: dict, fraction, statistics, resamples):
    """index_rows of the network's random class splits, each seed's partitions pooled: its null,
    on the same resamples; ([], None) when its splits were not lesioned."""
    if not all(split_pairs(seed["groups"]) for seeds in layers.values() for seed in seeds):
        return [], None

    def index(images, weights=None):
        return split_index(images, fraction, weights)

    return _rows(
        panel, network, layers, "random splits", index, statistics, resamples, "random split"
    )


def _rows(panel, network, layers, lesion, index, statistics, resamples, baseline):
    rows, samples = [], {}
    level = statistics["level"]
    for depth, layer in enumerate(depth_order(layers), 1):
        seeds = layers[layer]
        samples[layer] = resamples.apply(seeds, index)
        per_seed = [float(index(images)) for images in seeds]
        low, high = interval(samples[layer], level)
        seeds_low, seeds_high = across_seeds(per_seed, level)
        rows.append(
            {
                "panel": panel,
                "network": network,
                "baseline": baseline,
                "layer": layer,
                "depth": depth,
                "lesion": lesion,
                "task": "segregation_index",
                "value": float(np.mean(per_seed)),
                "err_low": low,
                "err_high": high,
                "n_seeds": len(seeds),
                "per_seed": " ".join(f"{v:.4f}" for v in per_seed),
                "seeds_low": seeds_low,
                "seeds_high": seeds_high,
            }
        )
    return rows, samples


def test_against(rows, samples, baselines: dict, level: float) -> None:
    """Add each baseline's p-value to the rows (in place), raw and Holm-corrected across all of
    `rows` (every layer of every network of one figure), and mark the layers above both
    baselines after correction at 1 - level. A layer without both baselines is never marked.

    `samples`: {(network, layer): index resamples}; `baselines`: {name: {network or None:
    {layer: resamples}}}, None for a baseline every network is tested against."""
    for name in BASELINES:
        key = "p_" + name.replace(" ", "_")
        by_network = baselines.get(name, {})
        for row in rows:
            null = by_network.get(row["network"], by_network.get(None, {})).get(row["layer"])
            row[key] = (
                float("nan")
                if null is None
                else p_above(samples[(row["network"], row["layer"])], null)
            )
        for row, adjusted in zip(rows, holm([row[key] for row in rows])):
            row[key + "_holm"] = float(adjusted)
    for row in rows:
        adjusted = [row["p_" + name.replace(" ", "_") + "_holm"] for name in BASELINES]
        row["above_baselines"] = bool(all(p < 1 - level for p in adjusted))


def tested_rows(networks, own: dict, samples: dict, baselines: dict, nulls: dict, level) -> dict:
    """{network: its index rows, tested against its baselines (Holm across every network's
    layers), then its trend row} for the networks of one figure, in their order."""
    test_against(
        [r for network in networks for r in own[network]],
        {(n, layer): v for n in networks for layer, v in samples[n].items()},
        baselines,
        level,
    )
    return {n: own[n] + [trend_row("A", n, own[n], samples[n], level, nulls[n])] for n in networks}


def trend_row(panel, network, rows, samples: dict, level: float, null=None, baseline="") -> dict:
    """The primary test of "segregation grows with depth" for one network: the slope of its
    seed-mean index over layer position, each seed's slope, the nested bootstrap interval and
    the one-sided p-value of a slope not above 0 (or, given `null` layer samples from the same
    resamples, not above the null's slope: p_random_split)."""
    layers = [r["layer"] for r in rows]
    slopes = depth_slope(np.stack([samples[layer] for layer in layers]))
    per_seed = depth_slope(np.array([[float(v) for v in r["per_seed"].split()] for r in rows]))
    low, high = interval(slopes, level)
    seeds_low, seeds_high = across_seeds(per_seed, level)
    row = {
        "panel": panel,
        "network": network,
        "baseline": baseline,
        "layer": "all",
        "depth": "",
        "lesion": rows[0]["lesion"],
        "task": "depth_slope",
        "value": float(np.mean(per_seed)),
        "err_low": low,
        "err_high": high,
        "n_seeds": len(per_seed),
        "per_seed": " ".join(f"{v:.4f}" for v in per_seed),
        "seeds_low": seeds_low,
        "seeds_high": seeds_high,
        "p_zero": p_above(slopes, np.zeros_like(slopes)),
    }
    if null is not None:
        row["p_random_split"] = p_above(slopes, depth_slope(np.stack([null[x] for x in layers])))
    return row
