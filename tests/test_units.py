"""Unit maps: where each model's units are lesioned and read, built without weights, and held
stable by committed golden maps (tests/golden/units/). Regenerate them with
`python tests/test_units.py`, only when the rule for a unit is meant to change."""

import json
from pathlib import Path

import pytest
import torch
import torchvision
from torchvision.models.resnet import BasicBlock, Bottleneck

from funcspec import models
from funcspec.units import unit_map

GOLDEN = Path(__file__).parent / "golden" / "units"
RESNET_BLOCKS = (BasicBlock, Bottleneck)
# name: (builder, input size, modules that are unit layers as a whole)
MODELS = {
    "alexnet": (torchvision.models.alexnet, 224, ()),
    "vgg16_bn": (torchvision.models.vgg16_bn, 224, ()),
    "resnet18": (torchvision.models.resnet18, 224, RESNET_BLOCKS),
    "resnet50": (torchvision.models.resnet50, 224, RESNET_BLOCKS),
    "resnet18_inner": (torchvision.models.resnet18, 224, ()),
}


def made(name):
    build, size, blocks = MODELS[name]
    return [layer.json() for layer in unit_map(build, size, blocks)]


@pytest.mark.parametrize("name", MODELS)
def test_unit_maps_are_the_golden_ones(name):
    """Bug guarded: a change of the unit rule silently moves or renames every unit of a model."""
    assert made(name) == json.loads((GOLDEN / f"{name}.json").read_text())


def test_a_module_run_twice_is_never_a_lesion_or_read_point():
    """Bug guarded: ResNet's BasicBlock runs one ReLU module twice; a hook there would zero the
    unit's channel at both uses."""
    points = {p for layer in made("resnet18_inner") for p in (layer["lesion"], layer["read"])}
    assert not any(p.endswith(".relu") for p in points)
    assert "layer1.0.bn1" in points  # the read point falls back to the norm before it


def test_the_class_layer_is_not_a_unit_layer():
    assert made("alexnet")[-1]["name"] == "classifier.4"
    assert made("resnet18")[-1]["name"] == "layer4.1"


def test_a_unit_map_draws_and_loads_no_weight(monkeypatch):
    """Bug guarded: building the map on the CPU would draw every weight (seconds for VGG16),
    when the Snakefile only needs the layers."""
    built = []

    def build():
        model = torchvision.models.resnet18()
        built.append(next(model.parameters()).device)
        return model

    unit_map(build, 64, RESNET_BLOCKS)
    assert built == [torch.device("meta")]


def test_funcspec_vgg_keeps_its_layer_names():
    arch = {"stages": [[4, 6], [8]], "fc": [10, 12], "dropout": 0.5}
    layers = unit_map(lambda: models.build(arch, 5, 8), 8)
    assert [(u.name, u.lesion, u.read, u.channels) for u in layers] == [
        ("conv1", "layers.conv1.0", "layers.conv1", 4),
        ("conv2", "layers.conv2.0", "layers.conv2", 6),
        ("conv3", "layers.conv3.0", "layers.conv3", 8),
        ("fc3", "layers.fc3.1", "layers.fc3", 10),
        ("fc4", "layers.fc4.0", "layers.fc4", 12),
    ]


class PreActivation(torch.nn.Module):
    """A pre-activation residual block after the stem: the skip connection reads the stem's
    output beside the block's first batch norm."""

    def __init__(self):
        super().__init__()
        self.stem = torch.nn.Conv2d(3, 8, 3, padding=1)
        self.bn1, self.conv1 = torch.nn.BatchNorm2d(8), torch.nn.Conv2d(8, 8, 3, padding=1)
        self.fc = torch.nn.Linear(8, 5)

    def forward(self, x):
        s = self.stem(x)
        return self.fc((self.conv1(torch.relu(self.bn1(s))) + s).mean((2, 3)))


class SideBranch(torch.nn.Module):
    """A pooled side branch of the stem that runs after conv_a, with conv_a's channels; and
    conv_a's output scaled by a squeeze-excitation-like gate that pools it."""

    def __init__(self):
        super().__init__()
        self.stem = torch.nn.Conv2d(3, 8, 3, padding=1)
        self.conv_a = torch.nn.Conv2d(8, 8, 1)
        self.pool_b = torch.nn.MaxPool2d(3, 1, 1)
        self.gate = torch.nn.AdaptiveAvgPool2d(1)
        self.fc = torch.nn.Linear(16, 5)

    def forward(self, x):
        s = torch.relu(self.stem(x))
        a = self.conv_a(s)
        b = self.pool_b(s)
        a = a * torch.sigmoid(self.gate(a))
        return self.fc(torch.cat([a, b], 1).mean((2, 3)))


def test_a_lesion_or_read_point_follows_the_data_not_the_call_order():
    """Bug guarded: the module called next taken for the next step of a unit's path, when a
    skip connection or a side branch reads the unit too (its lesion would leave the skip on;
    its read would be another tensor)."""
    (stem, _) = unit_map(PreActivation, 8)
    assert (stem.lesion, stem.read) == ("stem", "stem")
    units = {u.name: u for u in unit_map(SideBranch, 8)}
    assert (units["conv_a"].lesion, units["conv_a"].read) == ("conv_a", "conv_a")


def test_a_linear_layer_on_tokens_is_no_unit_layer():
    """Bug guarded: a Linear applied to (N, T, C) tokens counted T units on dim 1."""

    class Tokens(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = torch.nn.Conv2d(3, 6, 4, stride=4)
            self.mlp = torch.nn.Linear(6, 6)
            self.fc = torch.nn.Linear(6, 5)

        def forward(self, x):
            tokens = self.embed(x).flatten(2).transpose(1, 2)
            return self.fc(self.mlp(tokens).mean(1))

    assert [u.name for u in unit_map(Tokens, 8)] == ["embed"]


if __name__ == "__main__":
    GOLDEN.mkdir(parents=True, exist_ok=True)
    for name in MODELS:
        (GOLDEN / f"{name}.json").write_text(json.dumps(made(name), indent=1) + "\n")
