"""Held-out linear decoding with per-fold standardisation."""
import numpy as np
import pytest

from funcspec.decode import cross_validated


def separable(n_classes=4, per_class=20, dim=16, seed=0):
    """Tight clusters around far-apart class means, on wildly different feature scales."""
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(n_classes), per_class)
    means = rng.normal(0, 5, (n_classes, dim))
    features = means[labels] + rng.normal(0, 0.5, (labels.size, dim))
    return features * np.logspace(-3, 3, dim), labels


def test_separable_features_decode_perfectly():
    features, labels = separable()
    result = cross_validated(features, labels, folds=5)
    assert result["accuracy"] == pytest.approx(1.0)
    assert result["fold_accuracies"] == [1.0] * 5
    assert result["sem"] == 0.0
    assert (result["chance"], result["folds"], result["n_images"], result["n_classes"]) == (0.25, 5, 80, 4)


def test_random_labels_decode_near_chance():
    rng = np.random.default_rng(1)
    features = rng.normal(size=(200, 20))
    labels = rng.permutation(np.repeat(np.arange(4), 50))
    result = cross_validated(features, labels, folds=5)
    assert abs(result["accuracy"] - 0.25) < max(3 * result["sem"], 0.08)
    assert result["accuracy"] < 0.4


def test_summary_matches_the_folds():
    features, labels = separable(per_class=10, seed=2)
    features = features + np.random.default_rng(3).normal(0, 3e3, features.shape)  # make folds disagree
    result = cross_validated(features, labels, folds=5)
    folds = np.array(result["fold_accuracies"])
    assert len(folds) == 5
    assert result["accuracy"] == pytest.approx(folds.mean())
    assert result["sem"] == pytest.approx(folds.std(ddof=1) / np.sqrt(5))


def test_decoding_is_deterministic_per_seed():
    rng = np.random.default_rng(4)
    features = rng.normal(size=(60, 8))
    labels = np.repeat(np.arange(3), 20)
    assert cross_validated(features, labels, seed=7) == cross_validated(features, labels, seed=7)
    assert cross_validated(features, labels, seed=7)["fold_accuracies"] != cross_validated(features, labels, seed=8)["fold_accuracies"]


def test_class_with_fewer_images_than_folds_is_named():
    features, labels = separable(n_classes=3, per_class=6)
    labels = np.append(labels, [7, 7, 7])
    features = np.vstack([features, features[:3]])
    with pytest.raises(ValueError, match=r"'7': 3"):
        cross_validated(features, labels, folds=5)
