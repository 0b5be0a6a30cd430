"""Tasks as groups of classes in a network's joint label space.

The real tasks (faces, objects) or the two halves of a random class split: the control that asks
whether *any* partition of the classes would look segregated. A network's splits are numbered
partitions 1..P, each drawn from the split seed and its number, with halves `split<p>_a` and
`split<p>_b`; they are dealt to the network's seeds in turn, so each seed is ranked on its own
partitions and the null pools all of them. Kept free of torch so the Snakefile can plan ranking
jobs per task cheaply.
"""

from __future__ import annotations

import re

import numpy as np

from . import streams

_HALF = re.compile(r"split(?P<partition>\d+)_[ab]")


def halves(partition: int) -> tuple[str, str]:
    """The two pseudo-tasks of one random split."""
    return f"split{partition}_a", f"split{partition}_b"


def is_split(task: str) -> bool:
    return _HALF.fullmatch(task) is not None


def partitions_in(tasks) -> list[int]:
    """The numbers of the random splits whose halves are among `tasks`, in order."""
    return sorted({int(m["partition"]) for m in map(_HALF.fullmatch, tasks) if m})


def split_pairs(tasks) -> list[tuple[str, str]]:
    """The halves of each random split among `tasks`, in partition order."""
    return [halves(p) for p in partitions_in(tasks)]


def dealt(partitions: int, slot: int, n_seeds: int) -> list[int]:
    """The partitions (1..partitions) the seed in position `slot` of `n_seeds` is ranked on:
    dealt in turn, so every seed has one when there are at least as many partitions as seeds."""
    return [p for p in range(1, partitions + 1) if (p - 1) % n_seeds == slot]


def random_split(num_classes: int, seed: int, partition: int) -> dict[str, np.ndarray]:
    """All classes pooled and split at random into two mixed pseudo-tasks of (nearly) equal size."""
    order = streams.rng("random_split", seed, partition).permutation(num_classes)
    half = num_classes // 2
    a, b = halves(partition)
    return {a: np.sort(order[:half]), b: np.sort(order[half:])}


def task_groups(saved: dict, split_seed: int | None, tasks=()) -> dict[str, np.ndarray]:
    """{group name: class labels}: the network's tasks, plus both halves of every random split
    named in `tasks`."""
    groups = {
        t["task"]: np.arange(t["offset"], t["offset"] + len(t["classes"])) for t in saved["tasks"]
    }
    if split_seed is not None:
        for partition in partitions_in(tasks):
            groups.update(random_split(saved["num_classes"], split_seed, partition))
    return groups
