"""Units of any model: a unit is (unit layer, channel), and a unit layer says where a lesion of
its channels is applied and where their activation is read.

The map is built from the model's structure alone, on the meta device (no weights, no data), so
that jobs can be planned from it. One forward pass of a meta tensor records which modules run,
in what order, how often, and their output's channels:

- every Conv2d and Linear but the class layer (the last to run) is a unit layer, if its output
  has channels on dim 1 ((N, C) or (N, C, H, W): not a Linear on tokens); the lesion
  point is the conv itself, or the BatchNorm it feeds (in eval mode a zeroed conv's channel
  leaves BN's constant beta - gamma * mu / sqrt(var + eps), not 0); the read point is the last
  of the elementwise modules (ReLU, pooling, dropout) its output then runs through alone;
  "alone" is read from the traced graph (torch.fx) where the model can be traced: a skip
  connection or side branch that reads the output too keeps the point where it is;
- a module that runs twice in one forward (ResNet's shared ReLU) is never a lesion or read
  point: zeroing its output would zero both uses;
- a container (nn.Sequential) ends where its last module does: its exit does not end a read;
- `blocks`: modules whose output is a unit layer of its own instead of the convs inside them
  (a ResNet's residual blocks: their output is the residual stream there).

The VGG family of funcspec keeps its names, conv1..fcN.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import fx, nn

# What a unit's channel runs through alone, on its way to the next layer: its read point is the
# last of them.
ELEMENTWISE = (
    nn.ReLU,
    nn.ReLU6,
    nn.LeakyReLU,
    nn.SiLU,
    nn.GELU,
    nn.Hardswish,
    nn.MaxPool2d,
    nn.AvgPool2d,
    nn.AdaptiveAvgPool2d,
    nn.Dropout,
    nn.Identity,
)


@dataclass(frozen=True)
class UnitLayer:
    name: str  # conv1..fcN in funcspec's VGG, else the module path of the lesioned layer
    lesion: str  # module path: channel c of its output is zeroed
    read: str  # module path: channel c of its output is the unit's activation (copy it: an
    # in-place ReLU or residual sum after it may overwrite the tensor)
    channels: int

    def json(self) -> dict:
        return asdict(self)


def _calls(model: nn.Module, input_size: int) -> list[tuple[str, nn.Module, int]]:
    """(path, module, output channels) of every module call of one forward, in the order the
    calls finish (a module after everything inside it)."""
    calls = []
    paths = {m: p for p, m in model.named_modules()}

    def record(module, _inputs, output):
        # A module that returns several tensors (attention), or a sequence of tokens (N, T, C),
        # has no channels on dim 1 to lesion.
        tensor = isinstance(output, torch.Tensor)
        channels = output.shape[1] if tensor and output.dim() in (2, 4) else 0
        calls.append((paths[module], module, channels))

    handles = [m.register_forward_hook(record) for m in paths if m is not model]
    try:
        with torch.no_grad():
            model(torch.empty(1, 3, input_size, input_size, device="meta"))
    finally:
        for h in handles:
            h.remove()
    return calls


def unit_map(build, input_size: int, blocks: tuple[type, ...] = ()) -> list[UnitLayer]:
    """The unit layers of the model `build()` makes, input to output. `build` is called under
    the meta device, so no weight is drawn or loaded."""
    with torch.device("meta"):
        model = build()
    model.eval()
    if hasattr(model, "layer_names"):  # funcspec's VGG: its blocks are its layers
        return [
            UnitLayer(name, _path(model, model.unit_layer(name)), f"layers.{name}", channels)
            for name, channels in _vgg_channels(model)
        ]
    calls = _calls(model, input_size)
    readers = _sole_readers(model, blocks)

    def alone(path, reader):
        """Whether `reader` is all that reads `path`'s output (unknown untraced: assumed)."""
        return readers is None or readers.get(path) == reader

    runs = {}
    for path, _, _ in calls:
        runs[path] = runs.get(path, 0) + 1
    inside = [p for p, m, _ in calls if isinstance(m, blocks)]
    outside = [(p, m, c) for p, m, c in calls if not any(p.startswith(b + ".") for b in inside)]
    kinds = (nn.Conv2d, nn.Linear, *blocks)
    last = max(i for i, (_, m, _) in enumerate(outside) if isinstance(m, (nn.Conv2d, nn.Linear)))
    layers = []
    for i, (path, module, channels) in enumerate(outside[:last]):
        if not isinstance(module, kinds) or runs[path] > 1 or not channels:
            continue
        lesion = read = path
        following = outside[i + 1 :]
        if (
            following
            and isinstance(following[0][1], nn.modules.batchnorm._BatchNorm)
            and runs[following[0][0]] == 1
            and following[0][2] == channels
            and alone(path, following[0][0])
        ):
            lesion = read = following[0][0]
            following = following[1:]
        for p, m, c in following:
            if isinstance(m, nn.Sequential):  # its output is its last module's, seen already
                continue
            if not isinstance(m, ELEMENTWISE) or runs[p] > 1 or c != channels or not alone(read, p):
                break
            read = p
        layers.append(UnitLayer(path, lesion, read, channels))
    return layers


class _Tracer(fx.Tracer):
    def __init__(self, blocks):
        super().__init__()
        self.blocks = blocks

    def is_leaf_module(self, m: nn.Module, qualname: str) -> bool:
        return isinstance(m, self.blocks) or super().is_leaf_module(m, qualname)


def _sole_readers(model: nn.Module, blocks) -> dict[str, str] | None:
    """{module path: the module that alone reads its output} from the traced graph, where one
    module does; None where the model cannot be traced. Call order alone would take a skip
    connection's or a side branch's module for the next step of a unit's path."""
    try:
        graph = _Tracer(blocks).trace(model)
    except Exception:  # noqa: BLE001 - tracing fails in many ways, all meaning the same
        return None
    readers = {}
    for node in graph.nodes:
        users = list(node.users)
        if node.op == "call_module" and len(users) == 1 and users[0].op == "call_module":
            readers[node.target] = users[0].target
    return readers


def class_layer(build, input_size: int) -> str:
    """The module path of the class layer: the last Conv2d or Linear to run."""
    with torch.device("meta"):
        model = build()
    model.eval()
    calls = _calls(model, input_size)
    return [p for p, m, _ in calls if isinstance(m, (nn.Conv2d, nn.Linear))][-1]


def _vgg_channels(model):
    for name in model.layer_names[:-1]:
        layer = model.unit_layer(name)
        yield name, layer.weight.shape[0]


def _path(model: nn.Module, module: nn.Module) -> str:
    return next(p for p, m in model.named_modules() if m is module)
