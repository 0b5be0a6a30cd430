"""The one colour distribution every domain draws from.

A prototype that drew faces in skin and hair hues and objects in saturated palettes let
colour-tuned channels tell the domains apart (see docs/methods.md), so every painted surface
of every domain (face skin, hair, clothing, hats, object parts, car bodies, food,
backgrounds, clutter) takes its colour from this single mixture.
"""

from __future__ import annotations

import bisect
import colorsys
import itertools

import numpy as np

# (weight, hue range, saturation range, value range); hues as fractions of the circle.
_COMPONENTS = (
    (0.30, (0.01, 0.11), (0.20, 0.60), (0.35, 0.95)),  # skin-like
    (0.20, (0.02, 0.13), (0.15, 0.70), (0.08, 0.60)),  # hair-like, dark to blond
    (0.35, (0.00, 1.00), (0.45, 1.00), (0.35, 1.00)),  # saturated, any hue
    (0.15, (0.00, 1.00), (0.00, 0.10), (0.08, 0.98)),  # greys
)
# Share of images in which a class's own colours (an identity's skin, an object category's
# palette) are replaced by fresh draws: colour hints at the class but never defines it.
CLASS_RECOLOUR_RATE = 0.15

_CUMULATIVE = list(
    itertools.accumulate(c[0] / sum(c[0] for c in _COMPONENTS) for c in _COMPONENTS)
)[:-1]


def hsv_to_rgb(h: float, s: float, v: float) -> np.ndarray:
    return np.array(colorsys.hsv_to_rgb(h, s, v), dtype=np.float32).reshape(3, 1, 1)


def shared_colour(rng: np.random.Generator) -> np.ndarray:
    """One RGB colour in [0, 1], shaped (3, 1, 1), from the shared mixture."""
    pick, h, s, v = rng.random(
        4
    ).tolist()  # one call, plain floats: this runs a dozen times per image
    _, hue, sat, val = _COMPONENTS[bisect.bisect_right(_CUMULATIVE, pick)]
    return hsv_to_rgb(
        hue[0] + h * (hue[1] - hue[0]),
        sat[0] + s * (sat[1] - sat[0]),
        val[0] + v * (val[1] - val[0]),
    )


def jitter(colour: np.ndarray, rng: np.random.Generator, amount: float) -> np.ndarray:
    """Small per-image variation of a class colour."""
    return np.clip(colour + rng.normal(0.0, amount, (3, 1, 1)).astype(np.float32), 0.0, 1.0)


def darker(colour: np.ndarray, factor: float) -> np.ndarray:
    return colour * factor


def lighter(colour: np.ndarray, factor: float) -> np.ndarray:
    return colour + (1.0 - colour) * factor


def contrasting(colour: np.ndarray, amount: float = 0.55) -> np.ndarray:
    """Detail colour (eyes, windows, holes) that stands out from the surface it sits on."""
    luminance = float(0.299 * colour[0, 0, 0] + 0.587 * colour[1, 0, 0] + 0.114 * colour[2, 0, 0])
    return darker(colour, 1.0 - amount) if luminance > 0.35 else lighter(colour, amount)
