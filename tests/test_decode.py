"""Held-out linear decoding with per-fold standardisation."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import StandardScaler

from funcspec import streams
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
    assert (result["chance"], result["folds"], result["n_images"], result["n_classes"]) == (
        0.25,
        5,
        80,
        4,
    )


def test_random_labels_decode_near_chance():
    """Bug guarded: a readout that sees its test images in training (fit on all images, or on
    folds that overlap the test fold), or folds that are not stratified, which with labels in
    class order leave a test fold's classes (nearly) absent from its training part.

    The features are noise, independent of the labels. Then, whatever the readout predicts for
    a test image, that image's label is any of its fold's labels alike, and stratified folds
    hold the 4 classes equally: each prediction is right with probability exactly 1/4. Over
    N = 1000 images the accuracy has mean 1/4 and a standard deviation of at most the
    binomial's, sqrt(1/4 * 3/4 / N) = 0.0137 (drawing labels without replacement within a
    fold only narrows it); 4 of those, 0.055, is the band. The leaks are far outside it: with
    D = 250 noise features for 800 training images a logistic readout fits its own training
    images to 0.6-0.7, and unstratified folds in class order score about 0.15."""
    n_classes, per_class, dim = 4, 250, 250
    rng = np.random.default_rng(1)
    features = rng.normal(size=(n_classes * per_class, dim))
    labels = np.repeat(np.arange(n_classes), per_class)  # in class order
    result = cross_validated(features, labels, folds=5)
    chance = 1 / n_classes
    assert (result["chance"], result["n_images"], result["folds"]) == (chance, labels.size, 5)
    band = 4 * np.sqrt(chance * (1 - chance) / labels.size)
    assert abs(result["accuracy"] - chance) < band, (result["accuracy"], band)


def test_summary_matches_the_folds():
    features, labels = separable(per_class=10, seed=2)
    features = features + np.random.default_rng(3).normal(
        0, 3e3, features.shape
    )  # make folds disagree
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
    assert (
        cross_validated(features, labels, seed=7)["fold_accuracies"]
        != cross_validated(features, labels, seed=8)["fold_accuracies"]
    )


def test_class_with_fewer_images_than_folds_is_named():
    features, labels = separable(n_classes=3, per_class=6)
    labels = np.append(labels, [7, 7, 7])
    features = np.vstack([features, features[:3]])
    with pytest.raises(ValueError, match=r"'7': 3"):
        cross_validated(features, labels, folds=5)


def decode_folds(labels, folds, seed):
    """The (train, test) index pairs cross_validated uses: its fold seed is derived from `seed`."""
    splitter = StratifiedKFold(
        n_splits=folds, shuffle=True, random_state=streams.seed_of("decode_folds", seed)
    )
    return list(splitter.split(np.zeros((labels.size, 1)), labels))


def by_hand(features, labels, folds, seed, scaler_sees):
    """Fold accuracies with the scaler fit on `scaler_sees(train, test)`'s rows."""
    accuracies = []
    for train, test in decode_folds(labels, folds, seed):
        scaler = StandardScaler().fit(features[scaler_sees(train, test)])
        readout = LogisticRegression(max_iter=1000).fit(
            scaler.transform(features[train]), labels[train]
        )
        accuracies.append(float(readout.score(scaler.transform(features[test]), labels[test])))
    return accuracies


def test_standardisation_never_sees_the_test_fold():
    """Bug guarded: standardising with statistics that include the test fold (a scaler fit on
    all images, or fit once outside the folds), which leaks the test images into the readout.

    Feature 0 separates two classes (means -1.5, +1.5, noise sd 1), features 1-5 are noise. In
    the first fold's test images feature 0 is 1000x larger. Fit on the training part only, the
    scaler leaves feature 0 informative and the scaled-up test images keep their sign: fold 0
    decodes well. Fit on all images, feature 0's standard deviation is inflated ~500x by the
    test images, its training values shrink to ~0.002 sd, the L2-penalised readout cannot use
    them and fold 0 falls to chance. The result must equal the per-fold computation."""
    folds, seed = 3, 5
    rng = np.random.default_rng(2)
    labels = np.repeat(np.arange(2), 30)
    features = rng.normal(0, 1, (labels.size, 6))
    features[:, 0] += np.where(labels == 1, 1.5, -1.5)
    first_test = decode_folds(labels, folds, seed)[0][1]
    features[first_test, 0] *= 1000

    honest = by_hand(features, labels, folds, seed, lambda train, test: train)
    leaky = by_hand(features, labels, folds, seed, lambda train, test: np.arange(labels.size))
    assert honest[0] >= 0.8 and leaky[0] <= 0.6  # the data tell the two apart
    assert cross_validated(features, labels, folds=folds, seed=seed)["fold_accuracies"] == honest
