"""Layer names of a VGG architecture, without building it (the Snakefile plans jobs per layer)."""

from __future__ import annotations

import re


def layer_names(arch: dict) -> list[str]:
    """conv1..convK, then fc<S+1>.. (S pooling stages): VGG16 has conv1-conv13, fc6, fc7, fc8."""
    convs = [f"conv{k}" for k in range(1, sum(len(stage) for stage in arch["stages"]) + 1)]
    first_fc = len(arch["stages"]) + 1
    return convs + [f"fc{first_fc + i}" for i in range(len(arch["fc"]) + 1)]


def depth_order(layers) -> list[str]:
    """conv layers by number, then fc layers by number: input to output."""
    return sorted(layers, key=lambda n: (n.startswith("fc"), int(re.sub(r"\D", "", n))))


def lesionable(arch: dict) -> list[str]:
    """Every layer whose units are features: all but the class layer."""
    return layer_names(arch)[:-1]
