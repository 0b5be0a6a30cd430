"""The fidelity benchmark's image draws (benchmarks/ranking_fidelity.py)."""

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from ranking_fidelity import disjoint_draws  # noqa: E402


def test_a_steps_first_batch_is_a_sample_of_every_class_not_the_first_few():
    """Bug guarded: each step's images sorted by index, so that the audit's screen (the step's
    first batch) held only the first classes, prepare having written them class by class:
    100 classes of 60 images, draws of 1,500, a first batch of 256 must hold most classes."""
    labels = np.repeat(np.arange(100), 60)
    draw = disjoint_draws(np.arange(len(labels)), 1500, 3, seed=0)
    steps = [draw(d)(step) for d in range(3) for step in range(2)]
    same_step = np.concatenate([draw(d)(0) for d in range(3)])
    assert len(np.unique(same_step)) == 4500  # a step's 3 draws are disjoint
    for images in steps:
        assert len(np.unique(labels[images[:256]])) > 80
