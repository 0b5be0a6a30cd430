"""Layer names of an architecture, without its weights (the Snakefile plans jobs per layer): a
VGG's from its config alone, any other family's from its unit map (families.py)."""

from __future__ import annotations

import re


def layer_names(arch: dict) -> list[str]:
    """conv1..convK, then fc<S+1>.. (S pooling stages): VGG16 has conv1-conv13, fc6, fc7, fc8."""
    convs = [f"conv{k}" for k in range(1, sum(len(stage) for stage in arch["stages"]) + 1)]
    first_fc = len(arch["stages"]) + 1
    return convs + [f"fc{first_fc + i}" for i in range(len(arch["fc"]) + 1)]


def depth_order(layers) -> list[str]:
    """Input to output: a VGG's conv layers by number, then its fc layers; module paths by
    their parts, numbers as numbers (families.py names its modules so that this is depth)."""
    return sorted(layers, key=_depth)


def _depth(name: str):
    if re.fullmatch(r"(conv|fc)\d+", name):
        return (0, name.startswith("fc"), int(re.sub(r"\D", "", name)))
    # re.split with a group alternates text and digits, so like parts are compared.
    return (1, [int(p) if i % 2 else p for i, p in enumerate(re.split(r"(\d+)", name))])


def lesionable(arch: dict) -> list[str]:
    """Every layer whose units are features: all but the class layer."""
    if arch.get("family", "vgg") == "vgg":
        return layer_names(arch)[:-1]
    from .families import unit_layers  # imports torch: only for the families that need it

    return [layer.name for layer in unit_layers(arch)]
