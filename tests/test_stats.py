"""Statistics on the segregation index from per-image lesion results (funcspec.stats)."""

import numpy as np
import pytest

from funcspec.stats import (
    Resamples,
    class_image_weights,
    drops,
    holm,
    interval,
    margin_weights,
    matched_picks,
    p_above,
    segregation_index,
    weights_of,
)
from funcspec.tables import dissociation


def images(
    correct: dict, groups=("faces", "objects"), network="dual_s1", layer="conv1", per_class=1
):
    """Per-image results as the lesion step saves them, built by hand: `correct` maps a lesion
    name to {task: list of 0/1 per test image of that task}; `per_class` consecutive images of a
    task share a class."""
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
        "labels": np.arange(member.shape[1]) // per_class,
        "consolidated": [],
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


def two_class_seed(face_after_face, object_after_face, face_after_object, object_after_object):
    """Two classes of two images per task, all correct unlesioned; lists per lesion and task."""
    return images(
        {
            "none": {"faces": [1] * 4, "objects": [1] * 4},
            "faces": {"faces": face_after_face, "objects": object_after_face},
            "objects": {"faces": face_after_object, "objects": object_after_object},
        },
        per_class=2,
    )


def enumerated_index(table) -> np.ndarray:
    """The index under every equally likely class-then-image draw of a two-class, two-image
    table, by hand: per task, two class slots, then two images of each drawn class."""
    c = table["correct"].astype(float)  # rows: none, faces lesion, objects lesion
    per_task = []
    for first in (0, 4):  # faces are images 0-3 (classes 0, 1), objects 4-7 (classes 2, 3)
        draws = []
        for classes in ((0, 0), (0, 1), (1, 0), (1, 1)):
            for a in (0, 1):
                for b in (0, 1):
                    for d in (0, 1):
                        for e in (0, 1):
                            picks = [first + 2 * classes[0] + a, first + 2 * classes[0] + b]
                            picks += [first + 2 * classes[1] + d, first + 2 * classes[1] + e]
                            draws.append(picks)
        per_task.append(draws)
    values = []
    for faces in per_task[0]:
        for objects in per_task[1]:
            drop = {lesion: 1 - c[lesion] for lesion in (1, 2)}  # unlesioned accuracy is 1
            f = drop[1][faces].mean() - drop[2][faces].mean()
            o = drop[2][objects].mean() - drop[1][objects].mean()
            values.append((f + o) / 2)
    return np.array(values)


def test_the_nested_bootstrap_has_the_distribution_of_seeds_classes_and_images():
    """Bug guarded: a level of resampling left out (classes were never drawn: the intervals were
    too narrow where classes differ), or one draw of classes shared by all seed slots. Checked
    against the enumerated distribution: the seed mean of 2 slots, each a random seed with its
    own equally likely class-then-image draw, has the seeds' pooled mean and half their pooled
    variance."""
    seeds = [
        two_class_seed([0, 0, 1, 1], [1, 1, 1, 1], [1, 1, 1, 1], [0, 0, 1, 1]),
        two_class_seed([0, 1, 1, 1], [1, 1, 0, 1], [1, 1, 1, 0], [0, 1, 0, 1]),
    ]
    exact = np.concatenate([enumerated_index(s) for s in seeds])
    resamples = Resamples.draw(seeds[0], 2, 200_000, np.random.default_rng(1))
    samples = resamples.apply(seeds, lambda s, w: segregation_index(s, "faces", "objects", 0.2, w))
    se = exact.std() / np.sqrt(2 * len(samples))
    assert samples.mean() == pytest.approx(exact.mean(), abs=4 * se)
    assert samples.var() == pytest.approx(exact.var() / 2, rel=0.02)


def test_class_then_image_weights_draw_whole_classes_then_their_images():
    """Each resample keeps every task's size; a class absent from a resample has no image in it;
    a class drawn k times has k times its images in all."""
    labels = np.array([0, 0, 0, 1, 1, 2, 2, 2])
    strata = [labels < 2, labels == 2]
    w = class_image_weights(labels, strata, 5000, np.random.default_rng(0))
    per_class = np.stack([w[:, labels == c].sum(1) for c in (0, 1, 2)], axis=1)
    sizes = np.array([3, 2, 3])
    times = per_class / sizes
    assert np.allclose(times, np.round(times))  # whole classes
    assert (times[:, 0] + times[:, 1] == 2).all() and (times[:, 2] == 1).all()
    assert {tuple(t) for t in times[:, :2].astype(int)} == {(2, 0), (1, 1), (0, 2)}


def test_p_above_counts_samples_not_above_the_baseline():
    assert p_above(np.array([0.5, 0.6, 0.1, 0.7]), np.array([0.2, 0.2, 0.2, 0.2])) == 2 / 5
    # never exactly zero: the resolution of a bootstrap is one sample
    assert p_above(np.array([1.0, 1.0, 1.0]), np.array([0.0, 0.0, 0.0])) == 1 / 4
    # undefined resamples are left out while they are a minority, and end the test beyond that
    assert p_above(np.array([1.0, 1.0, np.nan]), np.array([0.0, 2.0, 0.0])) == 2 / 3
    assert np.isnan(p_above(np.array([np.nan, np.nan, 1.0]), np.array([0.0, 0.0, 0.0])))
    assert np.isnan(interval(np.array([np.nan, np.nan, 1.0]), 0.9)[0])


def test_a_layer_is_starred_only_above_both_baselines_after_correction():
    """Bug guarded: a star drawn against one baseline while the figure says "above both", a
    layer starred whose index is not above a baseline, or stars from uncorrected p-values."""
    from funcspec.figures.segregation import test_against

    high, low = np.linspace(0.5, 0.6, 100), np.linspace(0.0, 0.1, 100)
    rows = [{"network": "dual", "layer": "conv1"}, {"network": "dual", "layer": "conv2"}]
    samples = {("dual", "conv1"): high, ("dual", "conv2"): low}
    split = {"random split": {"dual": {"conv1": low, "conv2": low}}}
    test_against(rows, samples, split, 0.95)
    assert [r["above_baselines"] for r in rows] == [False, False]  # one baseline only
    both = {**split, "untrained": {"dual": {"conv1": low, "conv2": high}}}
    test_against(rows, samples, both, 0.95)
    assert [r["above_baselines"] for r in rows] == [True, False]
    assert rows[0]["p_random_split"] == rows[0]["p_untrained"] == 1 / 101
    assert rows[0]["p_random_split_holm"] == 2 / 101  # two layers tested
    assert rows[1]["p_untrained"] == 1.0
    # Just below 0.05 alone, not after Holm over the two layers.
    barely = high.copy()
    barely[:4] = 0.0  # 4 of 100 resamples not above: p = 5 / 101
    test_against(rows, {("dual", "conv1"): barely, ("dual", "conv2"): low}, both, 0.95)
    assert rows[0]["p_untrained"] < 0.05 and not rows[0]["above_baselines"]


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


def test_holm_equals_a_hand_computation():
    """p sorted 0.01, 0.02, 0.03, 0.04 of 4 tests: 4 x 0.01 = 0.04, 3 x 0.02 = 0.06,
    max(0.06, 2 x 0.03) = 0.06, max(0.06, 1 x 0.04) = 0.06; NaN is no test."""
    adjusted = holm([0.03, 0.01, np.nan, 0.04, 0.02])
    np.testing.assert_allclose(adjusted, [0.06, 0.04, np.nan, 0.06, 0.06])
    assert holm([0.5, 0.9]).tolist() == [1.0, 1.0]  # capped at 1


def test_a_paired_p_value_differs_from_the_unpaired_one():
    """Bug guarded: the null drawn on resamples of its own, so that a network whose index is
    above its null on every resample is tested against the null's whole spread. Here the null
    is the index less 0.01 on every resample: paired, p is the bootstrap's floor; on
    independent resamples the two spreads overlap."""
    table = two_class_seed([0, 0, 1, 1], [1, 1, 1, 1], [1, 1, 1, 1], [0, 0, 1, 1])
    index = lambda s, w: segregation_index(s, "faces", "objects", 0.2, w)  # noqa: E731
    null = lambda s, w: index(s, w) - 0.01  # noqa: E731
    same = Resamples.draw(table, 1, 2000, np.random.default_rng(0))
    other = Resamples.draw(table, 1, 2000, np.random.default_rng(1))
    paired = p_above(same.apply([table], index), same.apply([table], null))
    unpaired = p_above(same.apply([table], index), other.apply([table], null))
    assert paired == 1 / 2001
    assert unpaired > 0.3


def margin_table(faces_margin, objects_margin, object_lesion):
    """Four face and four object test images, all correct unlesioned, with the given margins;
    `object_lesion`: (faces, objects) correct after the object lesion; the face lesion and a
    random lesion leave every image correct."""
    table = images(
        {
            "none": {"faces": [1] * 4, "objects": [1] * 4},
            "faces": {"faces": [1] * 4, "objects": [1] * 4},
            "objects": dict(zip(("faces", "objects"), object_lesion)),
        }
    )
    table["margin"] = np.array(faces_margin + objects_margin, dtype=float)
    return table


def object_lesion_drops(table, weights=None):
    d = drops(table, ("faces", "objects"), 0.2, weights)
    return float(d[("objects", "faces")][0]), float(d[("objects", "objects")][0])


def test_margin_matching_removes_an_asymmetry_that_fragility_alone_makes():
    """Bug guarded: a matching that cannot remove what it controls for. The authors' removal of
    predictions leaves each image's chance of surviving a lesion as it was. Here the object
    lesion flips exactly the low-margin images, whichever task: faces have 3 of them, objects 1.
    Unmatched, objects' lesion hurts faces three times as much; both tasks start at 4/4, so
    accuracy matching changes nothing; margin matching gives both the pooled margins (half low,
    half high) and the same drop."""
    low, high = 0.1, 5.0
    table = margin_table(
        [low, low, low, high], [low, high, high, high], ([0, 0, 0, 1], [0, 1, 1, 1])
    )
    assert object_lesion_drops(table) == (0.75, 0.25)
    picks = np.concatenate(
        [matched_picks(table, t, 1.0, np.random.default_rng(0)) for t in ("faces", "objects")]
    )
    assert object_lesion_drops(table, weights_of(picks, 8)) == (0.75, 0.25)
    faces, objects = object_lesion_drops(table, margin_weights(table, ("faces", "objects"), 2))
    assert faces == pytest.approx(objects) == pytest.approx(0.5)


def test_margin_matching_keeps_an_asymmetry_that_is_real():
    """The object lesion flips every face image and no object image, at every margin: matched
    or not, it hurts faces only."""
    low, high = 0.1, 5.0
    table = margin_table(
        [low, low, high, high], [high, low, high, low], ([0, 0, 0, 0], [1, 1, 1, 1])
    )
    weights = margin_weights(table, ("faces", "objects"), 2)
    assert object_lesion_drops(table, weights) == object_lesion_drops(table) == (1.0, 0.0)
