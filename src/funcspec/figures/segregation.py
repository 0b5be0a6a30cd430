"""The segregation index by depth with its statistics, shared by Figures 2 and 4: the mean over
seeds, a bootstrap interval over seeds and test images, and one-sided tests against the
random-split and untrained baselines (a layer is marked when its index is above both)."""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from .. import streams
from ..layers import depth_order
from ..seeds import split
from ..stats import bootstrap, interval, load_images, p_above, segregation_index

BASELINES = ("random split", "untrained")
STATISTICS_COLUMNS = ["n_seeds", "p_random_split", "p_untrained", "above_baselines"]


def by_network(npz_paths) -> dict[str, dict[str, list[dict]]]:
    """{network: {layer: [per-image results of each seed]}} from lesion .npz files."""
    out = defaultdict(lambda: defaultdict(list))
    for path in dict.fromkeys(npz_paths):  # a network may be drawn twice (say, and as baseline)
        images = load_images(path)
        out[split(images["network"])[0]][images["layer"]].append(images)
    return out


def index_rows(panel, network, layers: dict, tasks, fraction, statistics, baseline=""):
    """One row per layer: the seed-mean index of the two tasks, its bootstrap interval in
    err_low..err_high; and the bootstrap samples by layer, for the tests."""
    rows, samples = [], {}
    for depth, layer in enumerate(depth_order(layers), 1):
        seeds = layers[layer]
        rng = streams.rng("segregation_bootstrap", statistics["seed"], network, layer, *tasks)
        samples[layer] = bootstrap(seeds, *tasks, fraction, statistics["bootstrap"], rng)
        low, high = interval(samples[layer], statistics["level"])
        value = float(np.mean([segregation_index(images, *tasks, fraction) for images in seeds]))
        rows.append(
            {
                "panel": panel,
                "network": network,
                "baseline": baseline,
                "layer": layer,
                "depth": depth,
                "lesion": "+".join(tasks),
                "task": "segregation_index",
                "value": value,
                "err_low": low,
                "err_high": high,
                "n_seeds": len(seeds),
            }
        )
    return rows, samples


def test_against(rows, samples, baselines: dict, level: float) -> None:
    """Add each baseline's p-value to the rows (in place) and mark the layers above both of
    them at 1 - level; a layer without both baselines measured is never marked."""
    for row in rows:
        above = set(baselines) == set(BASELINES)
        for name, by_layer in baselines.items():
            key = "p_" + name.replace(" ", "_")
            if row["layer"] in by_layer:
                row[key] = p_above(samples[row["layer"]], by_layer[row["layer"]])
                above &= row[key] < 1 - level
            else:
                above = False
        row["above_baselines"] = above
