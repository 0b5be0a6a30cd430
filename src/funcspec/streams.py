"""Every source of randomness in the pipeline, named by its purpose.

A random generator is derived from (seed, purpose, keys): numpy's SeedSequence over the seed,
the purpose's number and the keys (class index, epoch, greedy step, ...). Two streams of
different purposes never share a generator, whatever their seeds and keys.

The purposes below are frozen: their numbers decide every published result. A new purpose is
not added here but named where it is used; its number comes from its name (`number`), so adding
one changes the code digest of the steps that use it and of no other (funcspec.codedigest).
"""

from __future__ import annotations

import zlib

import numpy as np

FROZEN = {
    # generate: the drawing of generated images
    "class_appearance": 1,  # a generated class's parameters (identity, shape, recipe)
    "image": 2,  # one generated image's pose, lighting, clutter, noise
    # prepare: which classes and images a dataset contributes
    "class_draw": 3,  # the order in which classes are drawn
    "heldout_draw": 4,  # the order in which held-out classes are drawn
    "class_images": 5,  # which images of a class go to train and test
    "heldout_images": 6,  # which images of a held-out class are taken
    # probe and contact_sheet: which prepared images they look at
    "sample": 7,
    "probe_folds": 8,
    # train
    "init": 9,  # initial weights
    "validation_split": 10,
    "epoch_order": 11,
    "augmentation": 12,  # crops and greyscale draws
    "dropout": 13,
    # evaluate, decode
    "bootstrap": 14,
    "decode_folds": 15,
    # relevance and lesion
    "random_split": 16,  # the two mixed pseudo-tasks of the split control
    "relevance_images": 17,  # the training images a greedy step is scored on
    "random_lesion": 18,  # the random unit sets of the lesion control
    # figures: statistics across seeds and test images
    "segregation_bootstrap": 19,
    "performance_match": 20,  # which predictions are removed to equalise baseline accuracy
    # visualize and readout (Figure 3)
    "visualize_start": 21,  # a unit's starting noise image
    "visualize_jitter": 22,  # the random shift of each gradient-ascent step
    "readout_init": 23,  # the readout classifier's own initial weights
    "readout_validation": 24,  # the held-out classes kept from it, to measure it on
    "readout_order": 25,
    "readout_dropout": 26,
    # classlists: the class lists drawn with the paper's counts (not a pipeline step)
    "class_list_draw": 27,
    # Figure 3
    "visualize_units": 28,  # which units of each group, and which random units, are visualised
    "unit_permutation": 29,  # the permutations and bootstrap of the unit-level tests
    "readout_augmentation": 30,  # the readout's random shifts and mirrors
}


def number(purpose: str) -> int:
    """A frozen purpose's number; any other's is its name's CRC-32 (tests/test_streams.py keeps
    every purpose in use clear of the others)."""
    return FROZEN[purpose] if purpose in FROZEN else zlib.crc32(purpose.encode())


def _entropy(seed: int, purpose: str, keys) -> list[int]:
    # A text key (a class name, a domain) enters as its CRC-32: SeedSequence takes integers.
    return [
        seed,
        number(purpose),
        *(zlib.crc32(k.encode()) if isinstance(k, str) else int(k) for k in keys),
    ]


def rng(purpose: str, seed: int, *keys) -> np.random.Generator:
    """The numpy generator of one purpose, seed and keys."""
    return np.random.default_rng(_entropy(seed, purpose, keys))


def seed_of(purpose: str, seed: int, *keys) -> int:
    """A 32-bit integer seed of the stream, for libraries that take an int (torch, sklearn)."""
    return int(np.random.SeedSequence(_entropy(seed, purpose, keys)).generate_state(1)[0])


def torch_generator(purpose: str, seed: int, *keys):
    import torch

    return torch.Generator().manual_seed(seed_of(purpose, seed, *keys))
