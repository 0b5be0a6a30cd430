"""Figure 3's primary analysis: each unit's face selectivity on held-out images, and its group."""

import numpy as np
import pytest

from funcspec.selectivity import d_prime
from funcspec.tables import unit_groups


def test_d_prime_of_a_hand_made_unit_equals_the_hand_computation():
    """Bug guarded: population variances, a sign flip (objects minus faces) or the root of
    the summed variances. Faces 1, 2, 3 (mean 2, variance 1); objects 0, 0, 3 (mean 1,
    variance 3): d' = (2 - 1) / sqrt((1 + 3) / 2) = 0.7071. A unit silent on both scores 0."""
    faces = np.array([[1.0, 0.0], [2.0, 0.0], [3.0, 0.0]])
    objects = np.array([[0.0, 0.0], [0.0, 0.0], [3.0, 0.0]])
    assert d_prime(faces, objects) == pytest.approx([1 / np.sqrt(2), 0.0])


def test_a_unit_in_both_top_sets_is_shared_and_in_neither_one_only_set():
    """Bug guarded: a unit in the top of both rankings counted as face-only or object-only.
    The top is round(fraction * units), the units the Fig. 2 lesion removes."""
    groups = unit_groups([5, 1, 2, 9, 4], [2, 7, 5, 3, 8], n_units=10, fraction=0.3)
    assert groups[5] == groups[2] == "shared"
    assert groups[1] == "face-only" and groups[7] == "object-only"
    assert groups[9] == groups[3] == groups[0] == "other"
