"""Running a trained network over a prepared split: predictions and layer activations."""
from __future__ import annotations

import numpy as np
import torch

from .data import Pooled, eval_batches


@torch.no_grad()
def predictions(model, pooled: Pooled, batch_size: int, device) -> np.ndarray:
    """Joint argmax over every class the network knows: calling a face an object is an error."""
    size = model.input_size
    out = [model(x).argmax(1).cpu().numpy()
           for x, _, _ in eval_batches(pooled, np.arange(len(pooled)), batch_size, size, device)]
    return np.concatenate(out)


@torch.no_grad()
def activations(model, pooled: Pooled, layer: str, batch_size: int, device) -> np.ndarray:
    """Output of `layer` (post-ReLU), flattened to (images, features)."""
    size = model.input_size
    out = [model(x, stop=layer).flatten(1).cpu().numpy()
           for x, _, _ in eval_batches(pooled, np.arange(len(pooled)), batch_size, size, device)]
    return np.concatenate(out)
