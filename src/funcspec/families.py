"""Architectures other than funcspec's VGG (`arch.family`), sized for 32 px inputs, and a user's
own model. Their units are found by `units.unit_map`, and named by module path.

- `alexnet`: five convolutions (5x5, 5x5, then three 3x3; max-pooled after the first, second
  and fifth) and two hidden FC layers with dropout, as AlexNet's, at 32 px; `batch_norm` and
  `width` (a multiplier: the authors' "double width" is 2) as in the authors' variants.
- `resnet`: a ResNet of basic blocks (ResNet-18's are [2, 2, 2, 2]) with a stride-2 3x3 stem
  and no stem pooling, so a 32 px image keeps 16 px in its first stage. A unit is a channel of
  a block's output, the residual stream (`units: blocks`), or of each convolution inside the
  blocks, after its batch norm (`units: inner`).
- `branched`: funcspec's VGG (`stages`, `fc`, `dropout`) shared up to and including the layer
  `split`, then one copy of the layers above it for each task (`branches`, 2 where absent),
  each as wide as the VGG's, as in the authors' split VGG. The class layer reads the branches'
  features side by side, each task's classes from their own branch alone (a block-diagonal
  weight), under one softmax over every class: the task is the dual net's, telling faces from
  objects included, so every later step reads the net as it reads the dual net. Per-head
  losses would hand the network the task label, which the dual net must infer.
- `custom`: `function: "package.module:function"`, called with `num_classes` and the plain
  values of `kwargs`, returning the model (so a saved network still loads `weights_only`).

Module paths are the unit layers' names, so each family names its modules so that they sort by
depth: `conv.*` before `fc.*`, `layer0` (the stem) before `layer1`, `shared.*` (a branched
net's trunk) before `split.*` (its branches, one after the other).
"""

from __future__ import annotations

import functools
import importlib
import json
from collections import OrderedDict

import torch
from torch import nn
from torch.nn import functional as F

from .errors import FuncspecError
from .units import UnitLayer, unit_map

FAMILIES = ("vgg", "alexnet", "resnet", "branched", "custom")


class AlexNet(nn.Module):
    def __init__(self, num_classes, input_size, width=1.0, batch_norm=False, dropout=0.5):
        super().__init__()
        if input_size % 8:
            raise FuncspecError(f"input size {input_size} is not divisible by 8 (3 poolings)")
        widths = [round(w * width) for w in (64, 192, 384, 256, 256)]
        kernels, pooled = (5, 5, 3, 3, 3), (True, True, False, False, True)
        blocks, channels = [], 3
        for w, k, pool in zip(widths, kernels, pooled):
            blocks += [nn.Conv2d(channels, w, k, padding=k // 2)]
            blocks += [nn.BatchNorm2d(w)] if batch_norm else []
            blocks += [nn.ReLU(inplace=True)] + ([nn.MaxPool2d(2)] if pool else [])
            channels = w
        self.conv = nn.Sequential(*blocks)
        hidden = round(512 * width)
        self.fc = nn.Sequential(
            nn.Flatten(),
            nn.Dropout(dropout),
            nn.Linear(channels * (input_size // 8) ** 2, hidden),
            nn.ReLU(inplace=True),
            nn.Dropout(dropout),
            nn.Linear(hidden, hidden),
            nn.ReLU(inplace=True),
            nn.Linear(hidden, num_classes),
        )

    def forward(self, x):
        return self.fc(self.conv(x))


def _basic_block() -> type:
    # Imported when a ResNet is built: torchvision.models imports torch._dynamo, about 2 s of the
    # start of every job that loads a network, in a run of hundreds of short jobs.
    from torchvision.models.resnet import BasicBlock

    return BasicBlock


class ResNet(nn.Module):
    def __init__(self, num_classes, input_size, blocks=(2, 2, 2, 2), width=32):
        super().__init__()
        BasicBlock = _basic_block()  # noqa: N806 - torchvision's class
        self.layer0 = nn.Sequential(
            nn.Conv2d(3, width, 3, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(width),
            nn.ReLU(inplace=True),
        )
        channels = width
        for stage, count in enumerate(blocks, 1):
            out, stride = width * 2 ** (stage - 1), 1 if stage == 1 else 2
            stack = []
            for i in range(count):
                downsample = None
                if i == 0 and (stride != 1 or channels != out):
                    downsample = nn.Sequential(
                        nn.Conv2d(channels, out, 1, stride=stride, bias=False),
                        nn.BatchNorm2d(out),
                    )
                stack.append(BasicBlock(channels, out, stride if i == 0 else 1, downsample))
                channels = out
            setattr(self, f"layer{stage}", nn.Sequential(*stack))
        self.stages = len(blocks)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(channels, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d) and m.weight.device.type != "meta":
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x):
        x = self.layer0(x)
        for stage in range(1, self.stages + 1):
            x = getattr(self, f"layer{stage}")(x)
        return self.fc(torch.flatten(self.pool(x), 1))


class Heads(nn.Linear):
    """A branched net's class layer: task k's classes read branch k's features alone."""

    def __init__(self, features: int, classes: list[int]):
        super().__init__(features * len(classes), sum(classes))
        # A buffer, so a saved net keeps its assignment of classes to branches.
        self.register_buffer("mask", torch.zeros(sum(classes), features * len(classes)))
        row = 0
        for branch, count in enumerate(classes):
            self.mask[row : row + count, branch * features : (branch + 1) * features] = 1
            row += count

    def forward(self, x):
        return F.linear(x, self.weight * self.mask, self.bias)


class Branched(nn.Module):
    def __init__(self, classes: list[int], input_size, stages, fc, dropout, split):
        super().__init__()
        from .models import VGG  # models builds every family through this module

        def chain():  # a VGG of its own, so each branch draws its own initial weights
            return VGG(stages, fc, dropout, 1, input_size).layers

        layers = chain()
        names = list(layers)
        if split not in names[:-2]:
            raise FuncspecError(
                f"arch.split: {split!r} leaves no layer to branch; one of {', '.join(names[:-2])}"
            )
        trunk, above = names[: names.index(split) + 1], names[names.index(split) + 1 : -1]
        self.shared = nn.Sequential(OrderedDict((name, layers[name]) for name in trunk))
        self.split = nn.ModuleList(
            nn.Sequential(OrderedDict((name, own[name]) for name in above))
            for own in [layers, *(chain() for _ in classes[1:])]
        )
        self.heads = Heads(layers[names[-1]][-1].in_features, classes)
        nn.init.normal_(self.heads.weight, 0, 0.01)
        nn.init.zeros_(self.heads.bias)

    def forward(self, x):
        x = self.shared(x)
        return self.heads(torch.cat([branch(x).flatten(1) for branch in self.split], 1))


def blocks(arch: dict) -> tuple[type, ...]:
    """Modules that are unit layers as a whole: a ResNet's blocks, unless `units: inner`."""
    if arch.get("family") == "resnet" and arch.get("units", "blocks") == "blocks":
        return (_basic_block(),)
    return ()


def build(arch: dict, num_classes: int | list[int]) -> nn.Module:
    """`num_classes`: the class count, or each task's, in label order (a branched net's heads
    need them; the total alone, where a branched net's weights will be loaded, gives its first
    branch every class until its saved assignment replaces it)."""
    family, size = arch["family"], arch["input_size"]
    if family == "branched":
        branches = arch.get("branches", 2)
        classes = num_classes if isinstance(num_classes, list) else [num_classes]
        classes = [*classes, *[0] * (branches - len(classes))]
        if len(classes) != branches:
            raise FuncspecError(f"arch.branches: {branches} branches for {len(classes)} tasks")
        return Branched(classes, size, arch["stages"], arch["fc"], arch["dropout"], arch["split"])
    num_classes = num_classes if isinstance(num_classes, int) else sum(num_classes)
    if family == "alexnet":
        return AlexNet(
            num_classes,
            size,
            arch.get("width", 1.0),
            arch.get("batch_norm", False),
            arch.get("dropout", 0.5),
        )
    if family == "resnet":
        blocks_per_stage = tuple(arch.get("blocks", (2, 2, 2, 2)))
        return ResNet(num_classes, size, blocks_per_stage, int(arch.get("width", 32)))
    if family == "custom":
        return imported(arch["function"])(num_classes=num_classes, **arch.get("kwargs", {}))
    raise FuncspecError(f"arch.family: {family!r} is not one of {', '.join(FAMILIES)}")


def unit_layers(arch: dict) -> list[UnitLayer]:
    """The unit map of `arch` (the class count does not change it), built without weights."""
    return list(_unit_layers(json.dumps(arch, sort_keys=True)))


@functools.cache
def _unit_layers(arch: str) -> tuple[UnitLayer, ...]:
    spec = json.loads(arch)
    return tuple(unit_map(lambda: build(spec, 2), spec["input_size"], blocks(spec)))


def imported(function: str):
    """The callable named "package.module:function"."""
    module, _, name = function.partition(":")
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError, ValueError) as exc:
        raise FuncspecError(
            f"arch.function: cannot import {function!r} ({exc}); give it as "
            '"package.module:function", importable where the jobs run'
        ) from exc
