"""The lesion primitive: zero units (conv filters or FC units) of one layer, weights and bias.

A unit is one output channel of the layer's Conv2d or Linear, so zeroing its weight row and bias
entry makes its pre-activation exactly 0 for every input; after the ReLU (and max-pool) it
stays 0, which is what the fast ranking engine relies on.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch

from .models import VGG


def _rows(model: VGG, layer: str, units):
    module = model.unit_layer(layer)
    index = torch.as_tensor(list(units), dtype=torch.long, device=module.weight.device)
    return module, index


@contextlib.contextmanager
def ablated(model: VGG, layer: str, units) -> Iterator[None]:
    """Temporarily zero `units` of `layer`; the exact original values come back on exit."""
    module, index = _rows(model, layer, units)
    if not len(index):
        yield
        return
    with torch.no_grad():
        saved = [(p, p[index].clone()) for p in (module.weight, module.bias) if p is not None]
        for p, _ in saved:
            p[index] = 0
    try:
        yield
    finally:
        with torch.no_grad():
            for p, values in saved:
                p[index] = values
