"""Top-1 accuracy and its class-and-image bootstrap CI."""

import numpy as np
import pytest

from funcspec.evaluate import accuracy_table, bootstrap_ci, top1


def synthetic(n_classes, per_class, p, seed=0):
    """Correctness flags with per-class accuracies spread around p."""
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(n_classes), per_class)
    class_p = np.clip(rng.normal(p, 0.1, n_classes), 0, 1)
    correct = rng.random(labels.size) < class_p[labels]
    return correct, labels


def test_top1_counts_matching_predictions():
    labels = np.array([0, 0, 1, 1, 2, 2, 2, 3])
    predicted = np.array([0, 1, 1, 1, 0, 2, 2, 9])  # 5 of 8 right, one outside the label set
    assert top1(predicted, labels) == 5 / 8


def test_top1_rejects_mismatched_shapes():
    with pytest.raises(ValueError):
        top1(np.zeros(3), np.zeros(4))


def test_ci_contains_the_true_accuracy_and_brackets_the_estimate():
    # Many datasets drawn from the same world with accuracy 0.7: a 95% CI should cover 0.7
    # in most of them, and always bracket its own point estimate.
    covered = 0
    for seed in range(40):
        correct, labels = synthetic(40, 20, 0.7, seed=seed)
        low, high = bootstrap_ci(correct, labels, n_boot=500, seed=seed)
        assert low <= correct.mean() <= high
        covered += low <= 0.7 <= high
    assert covered >= 34


def test_ci_narrows_with_more_images_per_class():
    narrow = bootstrap_ci(*synthetic(30, 200, 0.6), n_boot=500)
    wide = bootstrap_ci(*synthetic(30, 5, 0.6), n_boot=500)
    assert narrow[1] - narrow[0] < 0.8 * (wide[1] - wide[0])


def test_ci_reflects_variation_between_classes():
    # Same overall accuracy and image count; classes all alike vs half perfect, half zero.
    labels = np.repeat(np.arange(20), 10)
    alike = np.tile([True] * 5 + [False] * 5, 20)
    split = labels < 10
    low_a, high_a = bootstrap_ci(alike, labels, n_boot=500)
    low_s, high_s = bootstrap_ci(split, labels, n_boot=500)
    assert high_s - low_s > 1.5 * (high_a - low_a)


def test_ci_is_deterministic_per_seed():
    correct, labels = synthetic(25, 10, 0.5)
    assert bootstrap_ci(correct, labels, seed=3) == bootstrap_ci(correct, labels, seed=3)
    assert bootstrap_ci(correct, labels, seed=3) != bootstrap_ci(correct, labels, seed=4)


def test_ci_of_all_correct_is_one():
    labels = np.repeat(np.arange(5), 4)
    assert bootstrap_ci(np.ones(20, bool), labels) == (1.0, 1.0)
    assert bootstrap_ci(np.zeros(20, bool), labels) == (0.0, 0.0)


def test_ci_pools_images_across_unequal_classes():
    # Replicates draw "a" twice (0 correct), "b" twice (all correct) or one of each, whose
    # statistic is 30/33 pooled over images, not 0.5 averaged over classes.
    labels = np.array(["a"] * 3 + ["b"] * 30)
    correct = np.array([False] * 3 + [True] * 30)
    assert bootstrap_ci(correct, labels, n_boot=2000) == (0.0, 1.0)
    assert bootstrap_ci(correct, labels, n_boot=2000, level=0.01) == pytest.approx(
        (30 / 33, 30 / 33)
    )


def test_accuracy_table_row():
    labels = np.repeat(np.arange(4), 5)
    predicted = labels.copy()
    predicted[:5] = 99  # class 0 all wrong
    row = accuracy_table("dual", "faces", predicted, labels, n_outputs=2137, n_boot=200, seed=1)
    assert row["network"] == "dual" and row["task"] == "faces"
    assert (row["n_images"], row["n_classes"]) == (20, 4)
    assert row["accuracy"] == 0.75
    assert row["chance"] == 1 / 2137
    assert row["ci_low"] <= 0.75 <= row["ci_high"] and row["ci_low"] < row["ci_high"]
