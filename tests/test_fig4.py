"""Fig. 4's comparison of each category with its face network (funcspec.figures.fig4)."""

import numpy as np
import pytest

from funcspec.figures.fig4 import comparison_rows


def own_rows(network, per_seed_by_layer):
    return [
        {
            "network": network,
            "layer": layer,
            "value": float(np.mean(values)),
            "per_seed": " ".join(f"{v:.4f}" for v in values),
        }
        for layer, values in per_seed_by_layer.items()
    ]


def test_each_category_is_compared_with_the_face_network_of_its_object_task():
    """Bugs guarded: "food segregates less than faces" read from two overlapping intervals
    instead of a test of the difference; a category compared with the face network of another
    size (the paper's food and car comparisons each have their own face network)."""
    rng = np.random.default_rng(0)
    layers = {"conv1": [0.1, 0.1], "fc2": [0.5, 0.5]}
    lower = {"conv1": [0.1, 0.1], "fc2": [0.2, 0.2]}
    networks = ["face_food", "food", "face_cars", "cars"]
    object_of = {"face_food": "obj_f", "food": "obj_f", "face_cars": "obj_c", "cars": "obj_c"}
    own = {n: own_rows(n, lower if n == "food" else layers) for n in networks}
    samples = {  # each network's resamples: its seed mean, bootstrap spread 0.01
        n: {r["layer"]: r["value"] + rng.normal(0, 0.01, 10_000) for r in own[n]} for n in networks
    }
    rows = comparison_rows(networks, object_of, own, samples, 0.95)
    assert [(r["lesion"], r["layer"]) for r in rows] == [
        ("food - face_food", "conv1"),
        ("food - face_food", "fc2"),
        ("food - face_food", "all"),
        ("cars - face_cars", "conv1"),
        ("cars - face_cars", "fc2"),
        ("cars - face_cars", "all"),
    ]
    by = {(r["lesion"], r["layer"]): r for r in rows}
    food_fc2 = by[("food - face_food", "fc2")]
    assert food_fc2["value"] == pytest.approx(-0.3)
    assert food_fc2["err_high"] < 0 and food_fc2["p_difference"] == pytest.approx(2 / 10_001)
    # Holm over the 4 layer comparisons of the figure
    assert food_fc2["p_difference_holm"] == pytest.approx(4 * 2 / 10_001)
    assert by[("cars - face_cars", "fc2")]["p_difference"] > 0.05
    # The trend: the slope of food's index over 2 layers is 0.1, of its face network's 0.4
    assert by[("food - face_food", "all")]["value"] == pytest.approx(-0.3)


def test_accuracy_matching_brings_every_category_and_object_task_to_the_lowest_accuracy():
    """Bug guarded: Figure 4's food-minus-faces read off networks whose category tasks are
    learned to different degrees (unlesioned faces 0.57, food 0.14 on the default), so that a
    difference in the index may be one of accuracy alone. After matching, every seed's kept test
    images give each category task the lowest category accuracy of the figure's networks (0.4)
    and each object task the lowest object accuracy (0.5); the counts make each removal whole."""
    from test_stats import images as hand_made

    from funcspec.figures.fig4 import accuracy_match

    def seed(network, category, hits, object_hits):
        row = {
            category: [1] * hits[0] + [0] * (10 - hits[0]),
            "objects": [1] * object_hits + [0] * (10 - object_hits),
        }
        return hand_made({"none": row}, groups=(category, "objects"), network=network)

    nets = {
        "face_object": [
            seed("face_object_s1", "faces", (7,), 6),
            seed("face_object_s2", "faces", (4,), 7),
        ],
        "food_object": [
            seed("food_object_s1", "food", (4,), 5),
            seed("food_object_s2", "food", (4,), 5),
        ],
    }
    by_network = {n: {"conv1": seeds} for n, seeds in nets.items()}
    pairs = {"face_object": ("faces", "objects"), "food_object": ("food", "objects")}
    kept, targets = accuracy_match(by_network, list(nets), pairs, seed=0)
    assert targets == [0.4, 0.5]
    for network, seeds in nets.items():
        for s in seeds:
            weights = kept[s["network"]][0]
            for k, task in enumerate(pairs[network]):
                member = s["member"][s["groups"].index(task)]
                hits = s["correct"][0] & member
                assert (weights * hits).sum() / (weights * member).sum() == pytest.approx(
                    targets[k]
                )


def test_a_consolidated_task_is_neither_matched_nor_a_target():
    """Bug guarded: the faces-consolidated control's detection accuracy (often every test face)
    set as the category target, or thinned to another network's identification accuracy: an
    all-correct task cannot be matched (the figure stopped), and detection against
    identification is no match."""
    from test_stats import images as hand_made

    from funcspec.figures.fig4 import accuracy_match

    def seed(network, category, hits, consolidated=()):
        row = {category: [1] * hits + [0] * (10 - hits), "objects": [1] * 5 + [0] * 5}
        made = hand_made({"none": row}, groups=(category, "objects"), network=network)
        return made | {"consolidated": list(consolidated)}

    nets = {
        "face_object": [seed("face_object_s1", "faces", 6)],
        "detect_object": [seed("detect_object_s1", "faces", 10, ["faces"])],
        "food_object": [seed("food_object_s1", "food", 4)],
    }
    pairs = {n: (nets[n][0]["groups"][0], "objects") for n in nets}
    kept, targets = accuracy_match({n: {"conv1": s} for n, s in nets.items()}, list(nets), pairs, 0)
    assert targets == [0.4, 0.5]
    detect = nets["detect_object"][0]
    faces = detect["member"][0]
    assert (kept["detect_object_s1"][0] * faces).sum() == 10  # every face kept, all correct


def test_figure4_is_drawn_without_overlap_tables_when_no_network_holds_classes_out():
    """Bug (found by the rehearsal): fig4 required at least one overlap table, so a config whose
    Figure 4 tasks hold no classes out (the paper's) could not draw Figure 4 at all."""
    from funcspec.cli import parse

    argv = ["fig4", "--images", "x.npz", "--overlap", "--networks", "a", "--object-tasks", "o"]
    argv += ["--fraction", "0.2", "--bootstrap", "10", "--level", "0.95"]
    argv += ["--statistics-seed", "0", "--pdf", "f.pdf", "--png", "f.png", "--csv", "f.csv"]
    assert parse(argv)[0].overlap == []
