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


if __name__ == "__main__":
    GOLDEN.mkdir(parents=True, exist_ok=True)
    for name in MODELS:
        (GOLDEN / f"{name}.json").write_text(json.dumps(made(name), indent=1) + "\n")
