"""The network builders: funcspec's VGG (the paper's VGG16 and the scaled variants of the small
configs) and, through their unit maps, the other families (families.py, mapped.py).

Every layer has a stable name (`conv1` ... `convK`, then `fc<S+1>` ... where S is the number of
pooling stages, so VGG16 has conv1-conv13 and fc6-fc8). Later phases address layers only by
these names: relevance ranking and lesions reuse them.
"""

from __future__ import annotations

import torch
from torch import nn

from . import families
from .errors import FuncspecError
from .layers import layer_names
from .mapped import Mapped

# VGG16, configuration D of Simonyan & Zisserman: five stages of 3x3 convs, each then max-pooled.
VGG16 = {
    "stages": [[64, 64], [128, 128], [256, 256, 256], [512, 512, 512], [512, 512, 512]],
    "fc": [4096, 4096],
    "dropout": 0.5,
}


class VGG(nn.Module):
    """Conv stages (conv + ReLU, max-pool closing each stage), hidden FC layers, a class layer."""

    def __init__(
        self, stages, fc, dropout: float, num_classes: int, input_size: int, init: bool = True
    ):
        super().__init__()
        self.input_size = input_size
        if input_size % (2 ** len(stages)):
            raise FuncspecError(
                f"input size {input_size} is not divisible by 2^{len(stages)} "
                f"({len(stages)} pooling stages)"
            )
        blocks = []
        channels = 3
        for stage in stages:
            for i, width in enumerate(stage):
                block = [nn.Conv2d(channels, width, 3, padding=1), nn.ReLU(inplace=True)]
                if i == len(stage) - 1:
                    block.append(nn.MaxPool2d(2))
                blocks.append(nn.Sequential(*block))
                channels = width
        spatial = input_size // 2 ** len(stages)
        features, head = channels * spatial * spatial, [nn.Flatten()]
        for width in fc:
            blocks.append(
                nn.Sequential(
                    *head, nn.Linear(features, width), nn.ReLU(inplace=True), nn.Dropout(dropout)
                )
            )
            features, head = width, []
        blocks.append(nn.Sequential(*head, nn.Linear(features, num_classes)))
        names = layer_names({"stages": stages, "fc": fc})
        self.layers = nn.ModuleDict(zip(names, blocks))
        if init:
            self._init_weights()

    def _init_weights(self):
        # The paper's (torchvision's VGG) initialisation.
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0, 0.01)
                nn.init.zeros_(m.bias)

    @property
    def layer_names(self) -> list[str]:
        return list(self.layers)

    @property
    def penultimate(self) -> str:
        """The last hidden layer (FC7 in VGG16): its post-ReLU output is what is decoded."""
        return self.layer_names[-2]

    def unit_layer(self, name: str) -> nn.Module:
        """The conv or linear module whose output channels are the units of layer `name`."""
        return next(m for m in self.layers[name] if isinstance(m, (nn.Conv2d, nn.Linear)))

    # What every step asks of a network (mapped.py answers the same for the other families).
    lesion_point = unit_layer

    def unstacked(self, layer: str) -> None:
        """Lesioned copies of any layer can be stacked (the fast engine subtracts them)."""

    def units(self, layer: str) -> int:
        return self.unit_layer(layer).weight.shape[0]

    def features(self, x):
        """What the class layer reads, one row per image."""
        return self(x, stop=self.penultimate).flatten(1)

    @property
    def head(self) -> nn.Module:
        return self.unit_layer(self.layer_names[-1])

    def below(self, x, layer: str):
        """The input of `layer`: what a lesion of it cannot change."""
        names = self.layer_names
        i = names.index(layer)
        return self(x, stop=names[i - 1]) if i else x

    def through(self, h, layer: str):
        return self(h, start=layer, stop=layer)

    def above(self, a, _h, layer: str):
        names = self.layer_names
        return self(a, start=names[names.index(layer) + 1])

    def forward(self, x, start: str | None = None, stop: str | None = None):
        """Run layers from `start` (inclusive; its input is x) up to `stop` (inclusive).

        Splitting the pass lets later phases cache the activations below a layer once and run
        only the layers above it for each lesion.
        """
        names = self.layer_names
        first = names.index(start) if start else 0
        last = names.index(stop) if stop else len(names) - 1
        for name in names[first : last + 1]:
            if name == names[-1] and torch.is_autocast_enabled(x.device.type):
                # Class scores in float32: in bf16, near scores tie, and argmax breaks every tie
                # toward the lower label, the first task's.
                with torch.autocast(x.device.type, enabled=False):
                    x = self.layers[name](x.float())
            else:
                x = self.layers[name](x)
        return x


def build(
    arch: dict, num_classes: int | list[int], input_size: int, init: bool = True
) -> VGG | Mapped:
    """`num_classes`: the class count, or each task's (families.build says why); `init`: the
    paper's initialisation of a VGG; off for a network whose weights will be replaced."""
    if arch.get("family", "vgg") == "vgg":
        total = num_classes if isinstance(num_classes, int) else sum(num_classes)
        return VGG(arch["stages"], arch["fc"], arch["dropout"], total, input_size, init)
    return Mapped(lambda: families.build(arch, num_classes), input_size, families.blocks(arch))
