"""Figure 3's readout: a face-vs-object classifier and the share of images it calls faces."""

import numpy as np
import pytest

from funcspec.figures.fig3 import face_shares
from funcspec.readout import face_probability, train_classifier
from funcspec.stats import binomial_interval

ARCH = {"stages": [[8], [16]], "fc": [32], "dropout": 0.0, "input_size": 16}


def hand_made(n_face: int, n_object: int, seed: int) -> np.ndarray:
    """Images whose class anyone can see: "faces" red, "objects" blue, over noise."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 60, size=(n_face + n_object, 16, 16, 3), dtype=np.uint8)
    images[:n_face, :, :, 0] += 180
    images[n_face:, :, :, 2] += 180
    return images


def test_the_face_share_of_hand_made_images_is_exact():
    """Bug guarded: shares counted over the wrong images, or verdicts flipped (P(object) read as
    P(face)). A classifier trained on red "faces" and blue "objects" calls 7 of 10 hand-made
    face-unit images faces (7 red, 3 blue) and none of the object-unit ones."""
    train = hand_made(60, 60, seed=0)
    is_face = np.r_[np.ones(60), np.zeros(60)].astype(np.int64)
    classifier, accuracy = train_classifier(train, is_face, ARCH, 15, 16, 0.005, seed=0)
    assert accuracy == 1.0
    shown = np.concatenate([hand_made(7, 3, seed=1), hand_made(0, 10, seed=2)])
    p_face = face_probability(classifier, shown)
    rows = [
        {
            "network": "dual_s1",
            "layer": "conv6",
            "depth": 5,
            "task": "faces" if i < 10 else "objects",
            "face": bool(p > 0.5),
            "face_start": False,
            "classifier_accuracy": accuracy,
        }
        for i, p in enumerate(p_face)
    ]
    shares = {r["task"]: r for r in face_shares(rows, 0.95)}
    assert shares["faces"]["value"] == 0.7 and shares["faces"]["n_images"] == 10
    assert shares["starting noise"]["value"] == 0.0 and shares["starting noise"]["n_images"] == 20
    assert shares["objects"]["value"] == 0.0
    assert shares["faces"]["network"] == "dual" and shares["faces"]["n_seeds"] == 1


@pytest.mark.parametrize(
    "k, n, expected",
    # Clopper-Pearson 95% intervals, from the beta quantiles written out by hand
    [(7, 10, (0.3475, 0.9333)), (0, 10, (0.0, 0.3085)), (10, 10, (0.6915, 1.0))],
)
def test_the_interval_of_a_share_is_the_exact_binomial_one(k, n, expected):
    assert binomial_interval(k, n, 0.95) == pytest.approx(expected, abs=1e-4)
