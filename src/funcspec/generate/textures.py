"""Texture primitives shared by every domain: solid, stripes, checker, dots, gradient.

Textures are drawn in the frame of the surface they cover, so they move, scale and turn
with it. Every texture of every domain (hair, hats, clothing, object parts, food,
backgrounds, clutter) comes from `draw_texture`, so texture statistics cannot tell the
domains apart.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import FuncspecError
from .colours import shared_colour
from .core import Frame

KINDS = ("solid", "stripes", "checker", "dots", "gradient")


@dataclass(frozen=True)
class Texture:
    kind: str
    colour_a: np.ndarray
    colour_b: np.ndarray
    period: float  # in units of the frame the texture is painted in
    angle: float

    def field(self, f: Frame) -> np.ndarray:
        """(3, H, W) colour field over the frame ((3, 1, 1) for solid)."""
        if self.kind == "solid":
            return self.colour_a
        c, s = math.cos(self.angle), math.sin(self.angle)
        u = c * f.x + s * f.y
        v = -s * f.x + c * f.y
        # Each pattern is a soft mask of colour_b over colour_a, one pixel wide at its
        # edges, from the distance to the nearest pattern edge.
        w = self.period / (2.0 * np.pi * f.px)
        if self.kind == "stripes":
            t = np.clip(0.5 + np.sin(2.0 * np.pi * u / self.period) * w, 0.0, 1.0)
        elif self.kind == "checker":
            su = np.sin(2.0 * np.pi * u / self.period)
            sv = np.sin(2.0 * np.pi * v / self.period)
            t = np.clip(0.5 + np.sign(su * sv) * np.minimum(np.abs(su), np.abs(sv)) * w, 0.0, 1.0)
        elif self.kind == "dots":
            cu = (u / self.period) % 1.0 - 0.5
            cv = (v / self.period) % 1.0 - 0.5
            d = (np.sqrt(cu * cu + cv * cv) - 0.28) * self.period
            t = np.clip(0.5 - d / f.px, 0.0, 1.0)
        elif self.kind == "gradient":
            t = np.clip(0.5 + u / (4.0 * self.period), 0.0, 1.0)
        else:
            raise FuncspecError(f"unknown texture kind {self.kind!r}; valid: {KINDS}")
        return self.colour_a + t * (self.colour_b - self.colour_a)


def draw_texture(
    rng: np.random.Generator,
    kinds: tuple[str, ...] = KINDS,
    period: tuple[float, float] = (0.10, 0.35),
) -> Texture:
    """A random texture with two colours from the shared mixture."""
    return Texture(
        kind=kinds[int(rng.integers(len(kinds)))],
        colour_a=shared_colour(rng),
        colour_b=shared_colour(rng),
        period=float(rng.uniform(*period)),
        angle=float(rng.uniform(0.0, np.pi)),
    )
