"""The lesion primitive: silence units of one layer, by zeroing their channel of the lesion
point's output for every input (units.py says where that point is in each kind of model).

In funcspec's VGG the lesion point is the layer's conv or linear part: its channel is 0, and
after the ReLU (and max-pool) it stays 0, which is what the fast ranking engine relies on. This
is bit for bit what zeroing the unit's weights and bias gave, without touching a weight, and it
also silences a unit where zeroed weights would not (after a batch norm, the channel would be
BN's constant; in a ResNet, the block's output is the residual stream, not one conv's).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch
from torch import nn

from .errors import FuncspecError


def lesion_point(model: nn.Module, layer: str) -> nn.Module:
    """The module whose output channels a lesion of `layer` zeroes: the conv or linear part
    of funcspec's VGG layers, else the module at path `layer` (a unit map's `lesion`)."""
    if hasattr(model, "lesion_point") and layer in model.layer_names:
        return model.lesion_point(layer)
    return model.get_submodule(layer)


@contextlib.contextmanager
def ablated(model: nn.Module, layer: str, units) -> Iterator[None]:
    """Temporarily silence `units` (channels) of `layer`; nothing is changed on exit."""
    units = list(units)
    if not units:
        yield
        return
    module = lesion_point(model, layer)
    index = {}

    def silence(_module, _inputs, output):
        if output.device not in index:
            # Checked here, not by the kernel: on CUDA a bad index is a device-side assert.
            if not 0 <= min(units) <= max(units) < output.shape[1]:
                raise FuncspecError(
                    f"units {min(units)}..{max(units)} of {layer}, which has {output.shape[1]}"
                )
            index[output.device] = torch.as_tensor(units, dtype=torch.long, device=output.device)
        return output.index_fill(1, index[output.device], 0)

    # First of the module's hooks: any other (a read point at the same module) sees the lesion.
    handle = module.register_forward_hook(silence, prepend=True)
    try:
        yield
    finally:
        handle.remove()
