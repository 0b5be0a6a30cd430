"""Statistics on the segregation index from per-image lesion results (funcspec.stats)."""

import numpy as np
import pytest

from funcspec.lesion import dissociation
from funcspec.stats import bootstrap, interval, matched_picks, p_above, segregation_index


def images(correct: dict, groups=("faces", "objects"), network="dual_s1", layer="conv1"):
    """Per-image results as the lesion step saves them, built by hand: `correct` maps a lesion
    name to {task: list of 0/1 per test image of that task}."""
    sizes = {g: len(next(iter(correct.values()))[g]) for g in groups}
    member = np.zeros((len(groups), sum(sizes.values())), dtype=bool)
    start = 0
    for k, g in enumerate(groups):
        member[k, start : start + sizes[g]] = True
        start += sizes[g]
    rows = np.array(
        [np.concatenate([correct[lesion][g] for g in groups]) for lesion in correct], dtype=bool
    )
    names = list(correct)
    return {
        "network": network,
        "layer": layer,
        "lesion": np.array(names),
        "draw": np.zeros(len(names), dtype=int),
        "fraction": np.array([0.0 if n == "none" else 0.2 for n in names]),
        "correct": rows,
        "groups": list(groups),
        "member": member,
    }


def seed(face_after_face, object_after_face, face_after_object, object_after_object):
    """Four face and four object test images, all correct unlesioned."""
    return images(
        {
            "none": {"faces": [1, 1, 1, 1], "objects": [1, 1, 1, 1]},
            "faces": {"faces": face_after_face, "objects": object_after_face},
            "objects": {"faces": face_after_object, "objects": object_after_object},
        }
    )


def test_index_of_a_hand_built_table():
    """A face lesion that removes 3 of 4 faces and 1 of 4 objects, and an object lesion that
    removes 2 of 4 objects and none of the faces: ((0.75 - 0) + (0.5 - 0.25)) / 2 = 0.5."""
    one = seed([0, 0, 0, 1], [0, 1, 1, 1], [1, 1, 1, 1], [0, 0, 1, 1])
    assert segregation_index(one, "faces", "objects", 0.2) == pytest.approx(0.5)


def test_bootstrap_interval_of_a_hand_built_table_equals_a_hand_computation():
    """Bug guarded: the bootstrap resamples the wrong axis (lesions instead of images), mixes
    the tasks' images, or does not draw seeds. The hand computation replays the same random
    draws: per sample, seeds with replacement, then each task's images with replacement."""
    seeds = [
        seed([0, 0, 0, 1], [0, 1, 1, 1], [1, 1, 1, 1], [0, 0, 1, 1]),
        seed([0, 0, 1, 1], [1, 1, 1, 1], [1, 0, 1, 1], [0, 0, 0, 1]),
    ]
    samples = bootstrap(seeds, "faces", "objects", 0.2, 200, np.random.default_rng(5))

    rng = np.random.default_rng(5)
    by_hand = []
    for _ in range(200):
        values = []
        for s in rng.integers(2, size=2):
            c = seeds[s]["correct"]  # rows: none, faces lesion, objects lesion; cols: 4 + 4
            f = rng.choice(np.arange(4), size=4)
            o = rng.choice(np.arange(4, 8), size=4)

            def drop(row, idx, c=c):
                base = c[0, idx].mean()
                return (base - c[row, idx].mean()) / base if base > 0 else np.nan

            values.append(((drop(1, f) - drop(2, f)) + (drop(2, o) - drop(1, o))) / 2)
        by_hand.append(np.mean(values))
    np.testing.assert_allclose(samples, by_hand)
    low, high = interval(samples, 0.9)
    finite = np.array(by_hand)[np.isfinite(by_hand)]
    assert (low, high) == pytest.approx(tuple(np.percentile(finite, [5, 95])))
    assert low < high


def test_p_above_counts_samples_not_above_the_baseline():
    assert p_above(np.array([0.5, 0.6, 0.1, 0.7]), np.array([0.2, 0.2, 0.2, 0.2])) == 2 / 5
    # never exactly zero: the resolution of a bootstrap is one sample
    assert p_above(np.array([1.0, 1.0, 1.0]), np.array([0.0, 0.0, 0.0])) == 1 / 4
    # undefined resamples are left out while they are a minority, and end the test beyond that
    assert p_above(np.array([1.0, 1.0, np.nan]), np.array([0.0, 2.0, 0.0])) == 2 / 3
    assert np.isnan(p_above(np.array([np.nan, np.nan, 1.0]), np.array([0.0, 0.0, 0.0])))
    assert np.isnan(interval(np.array([np.nan, np.nan, 1.0]), 0.9)[0])


def test_a_layer_is_starred_only_above_both_baselines():
    """Bug guarded: a star drawn against one baseline while the figure says "above both", or
    a layer starred whose index is not above a baseline."""
    from funcspec.figures.segregation import test_against

    high, low = np.linspace(0.5, 0.6, 100), np.linspace(0.0, 0.1, 100)
    rows = [{"layer": "conv1"}, {"layer": "conv2"}]
    samples = {"conv1": high, "conv2": low}
    test_against(rows, samples, {"random split": {"conv1": low, "conv2": low}}, 0.95)
    assert [r["above_baselines"] for r in rows] == [False, False]  # one baseline only
    both = {
        "random split": {"conv1": low, "conv2": low},
        "untrained": {"conv1": low, "conv2": high},
    }
    test_against(rows, samples, both, 0.95)
    assert [r["above_baselines"] for r in rows] == [True, False]
    assert rows[0]["p_random_split"] == rows[0]["p_untrained"] == 1 / 101
    assert rows[1]["p_untrained"] == 1.0


@pytest.mark.parametrize("target", [0.5, 0.6, 6 / 7])  # reachable exactly from 6 of 8
def test_matched_picks_reach_the_target_accuracy_exactly(target):
    """Bug guarded: performance matching removes the wrong kind of prediction, or the wrong
    number, so the two tasks do not start from the same accuracy."""
    hits = [1] * 6 + [0] * 2  # 0.75 unlesioned
    one = images(
        {"none": {"faces": hits, "objects": hits}, "faces": {"faces": hits, "objects": hits}}
    )
    picks = matched_picks(one, "faces", target, np.random.default_rng(0))
    assert one["correct"][0, picks].mean() == pytest.approx(target)
    assert set(picks) <= set(range(8))  # faces only
    kept_wrong = int((~one["correct"][0, picks]).sum())
    assert kept_wrong == (2 if target < 0.75 else 1)  # below: drop correct ones; above: wrong


def test_matching_that_cannot_reach_its_target_is_refused():
    """Bug guarded: a task with no wrong prediction is 'matched' by removing every image,
    leaving an empty set whose drops are NaN and drawn as if measured."""
    from funcspec.errors import FuncspecError

    perfect = [1] * 8
    one = images({"none": {"faces": perfect, "objects": perfect}})
    with pytest.raises(FuncspecError, match="faces starts at 8/8 correct"):
        matched_picks(one, "faces", 0.5, np.random.default_rng(0))
    assert len(matched_picks(one, "faces", 1.0, np.random.default_rng(0))) == 8


def test_dissociation_is_the_lesion_tables_index():
    drop = {("a", "a"): 0.8, ("b", "a"): 0.2, ("b", "b"): 0.6, ("a", "b"): 0.4}
    assert dissociation(drop, "a", "b")["index"] == pytest.approx((0.6 + 0.2) / 2)
