"""Tasks as groups of classes in a network's joint label space.

The real tasks (faces, objects) or the two halves of a random class split: the control that asks
whether *any* partition of the classes would look segregated. Kept free of torch so the
Snakefile can plan ranking jobs per task cheaply.
"""

from __future__ import annotations

import numpy as np

from . import streams

SPLIT = ("split_a", "split_b")


def random_split(num_classes: int, seed: int) -> dict[str, np.ndarray]:
    """All classes pooled and split at random into two mixed pseudo-tasks of (nearly) equal size."""
    order = streams.rng("random_split", seed).permutation(num_classes)
    half = num_classes // 2
    return {SPLIT[0]: np.sort(order[:half]), SPLIT[1]: np.sort(order[half:])}


def task_groups(saved: dict, split_seed: int | None) -> dict[str, np.ndarray]:
    """{group name: class labels}: the network's tasks, plus the random split when asked for."""
    groups = {
        t["task"]: np.arange(t["offset"], t["offset"] + len(t["classes"])) for t in saved["tasks"]
    }
    if split_seed is not None:
        groups.update(random_split(saved["num_classes"], split_seed))
    return groups
