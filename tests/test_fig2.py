"""Fig. 2: the figure files, and a tidy table of the numbers computed from the lesion tables
(panels A and B) and from the per-image lesion results (panel C)."""

import csv

import numpy as np
import pytest
from fabricate import fabricate_lesion_table
from workflow_helpers import figure_files

from funcspec.figures.fig2 import fig2

TASKS = ("faces", "objects", "split1_a", "split1_b")
N_UNITS = 20

# network -> layer -> {(lesion, draw): (drop of faces, objects, split1_a, split1_b)} at fraction
# 0.2. Layer names test depth ordering: conv2 < conv10 (by number, not as text) < fc11.
DROPS = {
    "dual_s1": {
        "conv2": {
            ("faces", 0): (0.30, 0.10, 0.21, 0.22),
            ("objects", 0): (0.05, 0.20, 0.23, 0.24),
            ("random", 0): (0.02, 0.04, 0.01, 0.01),
            ("random", 1): (0.06, 0.00, 0.01, 0.01),
            ("split1_a", 0): (0.11, 0.12, 0.10, 0.05),
            ("split1_b", 0): (0.13, 0.14, 0.04, 0.12),
        },
        "conv10": {
            ("faces", 0): (0.50, 0.10, 0.31, 0.32),
            ("objects", 0): (0.20, 0.40, 0.33, 0.34),
            ("random", 0): (0.10, 0.10, 0.02, 0.02),
            ("random", 1): (0.20, 0.30, 0.02, 0.02),
            ("split1_a", 0): (0.35, 0.36, 0.20, 0.15),
            ("split1_b", 0): (0.37, 0.38, 0.15, 0.25),
        },
        "fc11": {
            ("faces", 0): (0.80, 0.00, 0.41, 0.42),
            ("objects", 0): (0.00, 0.60, 0.43, 0.44),
            ("random", 0): (0.05, 0.15, 0.03, 0.03),
            ("random", 1): (0.15, 0.05, 0.03, 0.03),
            ("split1_a", 0): (0.45, 0.46, 0.30, 0.30),
            ("split1_b", 0): (0.47, 0.48, 0.30, 0.30),
        },
    },
    # Another network's table, which Fig. 2 of the dual net must not read.
    "face_s1": {
        "conv2": {("faces", 0): (0.99, 0.99, 0.99, 0.99), ("objects", 0): (0.99, 0.99, 0.99, 0.99)}
    },
}

# Fig. 2's rows, worked out by hand from DROPS. Ranked lesions have one draw: value = low = high.
# Random lesions: mean over the two draws, error bar min..max; e.g. conv2 faces (0.02 + 0.06) / 2.
# Segregation (own = a task's drop after its own lesion, other = after the other task's lesion):
#   conv2   faces own 0.30 other 0.05, objects own 0.20 other 0.10
#           index ((0.30 - 0.05) + (0.20 - 0.10)) / 2 = 0.175
#           ratio (0.25 / 0.35 + 0.10 / 0.30) / 2 = (5/7 + 1/3) / 2 = 11/21
#   conv10  faces 0.50 / 0.20, objects 0.40 / 0.10: index (0.3 + 0.3) / 2 = 0.3,
#           ratio (0.3 / 0.7 + 0.3 / 0.5) / 2 = (3/7 + 3/5) / 2 = 18/35
#   fc11    faces 0.80 / 0.00, objects 0.60 / 0.00: index 0.7, ratio (1 + 1) / 2 = 1
# The random class split, the same with split1_a and split1_b:
#   conv2   a 0.10 / 0.04, b 0.12 / 0.05: index (0.06 + 0.07) / 2 = 0.065,
#           ratio (0.06 / 0.14 + 0.07 / 0.17) / 2 = (3/7 + 7/17) / 2 = 50/119
#   conv10  a 0.20 / 0.15, b 0.25 / 0.15: index (0.05 + 0.10) / 2 = 0.075,
#           ratio (0.05 / 0.35 + 0.10 / 0.40) / 2 = (1/7 + 1/4) / 2 = 11/56
#   fc11    every drop 0.30: index 0, ratio 0
SPLIT = "random split"
# panel, baseline, layer, depth, lesion, task, value, err_low, err_high: Fig. 2's panels A-B;
# SEGREGATION: the index and ratio that Fig. S1 computes from the same tables.
EXPECTED = [
    ("A", "", "conv2", 1, "faces", "faces", 0.30, 0.30, 0.30),
    ("A", "", "conv2", 1, "random", "faces", 0.04, 0.02, 0.06),
    ("A", "", "conv2", 1, "faces", "objects", 0.10, 0.10, 0.10),
    ("A", "", "conv2", 1, "random", "objects", 0.02, 0.00, 0.04),
    ("B", "", "conv2", 1, "objects", "faces", 0.05, 0.05, 0.05),
    ("B", "", "conv2", 1, "random", "faces", 0.04, 0.02, 0.06),
    ("B", "", "conv2", 1, "objects", "objects", 0.20, 0.20, 0.20),
    ("B", "", "conv2", 1, "random", "objects", 0.02, 0.00, 0.04),
    ("A", "", "conv10", 2, "faces", "faces", 0.50, 0.50, 0.50),
    ("A", "", "conv10", 2, "random", "faces", 0.15, 0.10, 0.20),
    ("A", "", "conv10", 2, "faces", "objects", 0.10, 0.10, 0.10),
    ("A", "", "conv10", 2, "random", "objects", 0.20, 0.10, 0.30),
    ("B", "", "conv10", 2, "objects", "faces", 0.20, 0.20, 0.20),
    ("B", "", "conv10", 2, "random", "faces", 0.15, 0.10, 0.20),
    ("B", "", "conv10", 2, "objects", "objects", 0.40, 0.40, 0.40),
    ("B", "", "conv10", 2, "random", "objects", 0.20, 0.10, 0.30),
    ("A", "", "fc11", 3, "faces", "faces", 0.80, 0.80, 0.80),
    ("A", "", "fc11", 3, "random", "faces", 0.10, 0.05, 0.15),
    ("A", "", "fc11", 3, "faces", "objects", 0.00, 0.00, 0.00),
    ("A", "", "fc11", 3, "random", "objects", 0.10, 0.05, 0.15),
    ("B", "", "fc11", 3, "objects", "faces", 0.00, 0.00, 0.00),
    ("B", "", "fc11", 3, "random", "faces", 0.10, 0.05, 0.15),
    ("B", "", "fc11", 3, "objects", "objects", 0.60, 0.60, 0.60),
    ("B", "", "fc11", 3, "random", "objects", 0.10, 0.05, 0.15),
]
SEGREGATION = [
    ("C", "", "conv2", 1, "faces+objects", "segregation_index", 0.175, 0.175, 0.175),
    ("C", "", "conv2", 1, "faces+objects", "segregation_ratio", 11 / 21, 11 / 21, 11 / 21),
    ("C", "", "conv10", 2, "faces+objects", "segregation_index", 0.3, 0.3, 0.3),
    ("C", "", "conv10", 2, "faces+objects", "segregation_ratio", 18 / 35, 18 / 35, 18 / 35),
    ("C", "", "fc11", 3, "faces+objects", "segregation_index", 0.7, 0.7, 0.7),
    ("C", "", "fc11", 3, "faces+objects", "segregation_ratio", 1.0, 1.0, 1.0),
    ("C", SPLIT, "conv2", 1, "random splits", "segregation_index", 0.065, 0.065, 0.065),
    ("C", SPLIT, "conv2", 1, "random splits", "segregation_ratio", 50 / 119, 50 / 119, 50 / 119),
    ("C", SPLIT, "conv10", 2, "random splits", "segregation_index", 0.075, 0.075, 0.075),
    ("C", SPLIT, "conv10", 2, "random splits", "segregation_ratio", 11 / 56, 11 / 56, 11 / 56),
    ("C", SPLIT, "fc11", 3, "random splits", "segregation_index", 0.0, 0.0, 0.0),
    ("C", SPLIT, "fc11", 3, "random splits", "segregation_ratio", 0.0, 0.0, 0.0),
]
KEYS = ["panel", "baseline", "layer", "depth", "lesion", "task", "value", "err_low", "err_high"]


def lesion_table(network, layer, drops):
    """The rows funcspec.lesion writes for one layer: no lesion, then every lesion at fractions
    0.2 (the drops given) and 0.1 (decoys of drop 0.9, which Fig. 2 at 0.2 must not read)."""
    rows = []
    for (lesion, draw), values in [(("none", 0), (0.0,) * 4), *drops.items()]:
        fractions = [(0.0, False)] if lesion == "none" else [(0.1, True), (0.2, False)]
        for fraction, decoy in fractions:
            for task, drop in zip(TASKS, values):
                drop = 0.9 if decoy else drop
                rows.append(
                    {
                        "network": network,
                        "layer": layer,
                        "n_units": N_UNITS,
                        "lesion": lesion,
                        "draw": draw,
                        "fraction": fraction,
                        "n_lesioned": round(fraction * N_UNITS),
                        "task": task,
                        "n_images": 50,
                        "accuracy": 0.8 * (1 - drop),
                        "loss": 1.0 + drop,
                        "accuracy_unlesioned": 0.8,
                        "drop": drop,
                    }
                )
    return rows


@pytest.fixture
def lesion_csvs(tmp_path):
    paths = []
    for network, layers in DROPS.items():
        for layer, drops in layers.items():
            path = tmp_path / "lesion" / network / f"{layer}.csv"
            paths.append(fabricate_lesion_table(path, lesion_table(network, layer, drops)))
    # Out of depth order, as a file listing may give them: fc11, conv2, conv10, face's conv2.
    return [paths[2], paths[0], paths[1], paths[3]]


def comparable(rows):
    return [
        {
            **{k: r[k] for k in KEYS[:6]},
            "depth": int(r["depth"]),
            **{k: pytest.approx(float(r[k]), abs=1e-12) for k in KEYS[6:]},
        }
        for r in rows
    ]


def per_image(network, layer, results):
    """Per-image lesion results as the lesion step saves them, for four face and four object
    test images, all correct unlesioned; split1_a is the first two of each, split1_b the rest.
    `results` maps a lesion to (faces correct, objects correct) lists."""
    lesions = {"none": ([1] * 4, [1] * 4), **results}
    faces = np.r_[np.ones(4, bool), np.zeros(4, bool)]
    split1_a = np.array([1, 1, 0, 0, 1, 1, 0, 0], bool)
    return {
        "network": np.array(network),
        "layer": np.array(layer),
        "lesion": np.array(list(lesions)),
        "draw": np.zeros(len(lesions), int),
        "fraction": np.array([0.0 if n == "none" else 0.2 for n in lesions]),
        "correct": np.array([f + o for f, o in lesions.values()], bool),
        "groups": np.array(["faces", "objects", "split1_a", "split1_b"]),
        "member": np.stack([faces, ~faces, split1_a, ~split1_a]),
        "labels": np.array([0, 0, 1, 1, 2, 2, 3, 3]),  # two classes of two images per task
    }


# index = ((faces own - other) + (objects own - other)) / 2, drops in quarters of 4 images.
# dual_s1: face lesion loses 3 faces, 1 object; object lesion 0 faces, 2 objects:
#          ((0.75 - 0) + (0.5 - 0.25)) / 2 = 0.5
# dual_s2: face lesion loses 1 face; object lesion 1 object: (0.25 + 0.25) / 2 = 0.25
# untrained: both lesions lose 2 faces and 2 objects: 0
SEEDS = {
    "dual_s1": {"faces": ([0, 0, 0, 1], [0, 1, 1, 1]), "objects": ([1, 1, 1, 1], [0, 0, 1, 1])},
    "dual_s2": {"faces": ([0, 1, 1, 1], [1, 1, 1, 1]), "objects": ([1, 1, 1, 1], [0, 1, 1, 1])},
    "untrained_s1": {
        "faces": ([0, 0, 1, 1], [0, 0, 1, 1]),
        "objects": ([0, 0, 1, 1], [0, 0, 1, 1]),
    },
}
INDEX = {"dual_s1": 0.5, "dual_s2": 0.25, "untrained_s1": 0.0}


@pytest.fixture
def images_npz(tmp_path):
    paths = []
    for network, results in SEEDS.items():
        # the random split's lesions: split1_a's loses its faces, split1_b's its objects
        split = {"split1_a": ([0, 0, 1, 1], [1, 1, 1, 1]), "split1_b": ([1, 1, 1, 1], [1, 1, 0, 0])}
        for layer in ("conv2", "conv10", "fc11"):
            path = tmp_path / "lesion" / network / f"{layer}.npz"
            path.parent.mkdir(parents=True, exist_ok=True)
            np.savez(path, **per_image(network, layer, results | split))
            paths.append(path)
    return paths


def test_fig2_table_holds_the_hand_computed_drops(lesion_csvs, images_npz, tmp_path):
    """Bugs guarded: layers drawn in text order (conv10 before conv2) or fc before conv;
    random-lesion bars that are one draw rather than the mean with a min..max error bar; rows
    of another lesion fraction, another network or the wrong lesion read into a panel; a
    missing output file."""
    out = tmp_path / "figures" / "fig2"
    rows = fig2(
        lesion_csvs,
        images_npz,
        figure_files(out),
        network="dual",
        face_task="faces",
        object_task="objects",
        fraction=0.2,
        statistics={"bootstrap": 50, "level": 0.95, "seed": 0},
        untrained="untrained",
    )
    expected = [dict(zip(KEYS, row)) for row in EXPECTED]
    assert comparable([r for r in rows if r["panel"] != "C"]) == expected
    assert {r["network"] for r in rows if r["panel"] != "C"} == {"dual"}
    assert sorted(p.name for p in (tmp_path / "figures").iterdir()) == [
        "fig2.csv",
        "fig2.pdf",
        "fig2.png",
    ]
    assert (tmp_path / "figures" / "fig2.pdf").read_bytes().startswith(b"%PDF")
    with open(tmp_path / "figures" / "fig2.csv", newline="") as f:
        written = list(csv.DictReader(f))
    assert comparable([r for r in written if r["panel"] != "C"]) == expected


def test_fig2_index_is_the_seed_mean_with_both_baselines(lesion_csvs, images_npz, tmp_path):
    """Bugs guarded: one seed drawn as if it were all of them; the untrained network or the
    random split missing as baselines, or the baseline of another network; a layer starred
    without being above both baselines."""
    rows = fig2(
        lesion_csvs,
        images_npz,
        figure_files(tmp_path / "fig2"),
        fraction=0.2,
        statistics={"bootstrap": 200, "level": 0.95, "seed": 0},
        untrained="untrained",
    )
    c = [r for r in rows if r["panel"] == "C" and r["task"] == "segregation_index"]
    own = [r for r in c if not r["baseline"]]
    assert [r["layer"] for r in own] == ["conv2", "conv10", "fc11"]
    for r in own:
        assert r["value"] == pytest.approx((INDEX["dual_s1"] + INDEX["dual_s2"]) / 2)
        assert r["n_seeds"] == 2 and r["err_low"] <= r["value"] <= r["err_high"]
        assert r["per_seed"] == "0.5000 0.2500"
        assert r["above_baselines"] == (
            r["p_random_split_holm"] < 0.05 and r["p_untrained_holm"] < 0.05
        )
        assert r["p_random_split"] <= r["p_random_split_holm"] <= 3 * r["p_random_split"]
    untrained = [r for r in c if r["baseline"] == "untrained"]
    assert [(r["network"], r["value"], r["n_seeds"]) for r in untrained] == [
        ("untrained", 0.0, 1)
    ] * 3
    # split1_a's lesion loses split1_a's two faces (2 of its 4 images), none of split1_b's;
    # split1_b's loses split1_b's two objects: ((0.5 - 0) + (0.5 - 0)) / 2 in both seeds
    split = [r for r in c if r["baseline"] == SPLIT]
    assert [(r["network"], r["value"], r["n_seeds"]) for r in split] == [("dual", 0.5, 2)] * 3
    # The primary test: the index is flat with depth in both seeds.
    (trend,) = [r for r in rows if r["task"] == "depth_slope"]
    assert (trend["network"], trend["value"], trend["per_seed"]) == ("dual", 0.0, "0.0000 0.0000")
    assert trend["p_zero"] == 1.0
