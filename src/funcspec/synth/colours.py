"""The one colour distribution every domain draws from.

A prototype that drew faces in skin and hair hues and objects in saturated palettes let
colour-tuned channels tell the domains apart (see SYNTHETIC.md), so every painted surface
of every domain (face skin, hair, clothing, hats, object parts, car bodies, food,
backgrounds, clutter) takes its colour from this single mixture.
"""
from __future__ import annotations

import numpy as np

# (weight, hue range, saturation range, value range); hues as fractions of the circle.
_COMPONENTS = (
    (0.30, (0.01, 0.11), (0.20, 0.60), (0.35, 0.95)),  # skin-like
    (0.20, (0.02, 0.13), (0.15, 0.70), (0.08, 0.60)),  # hair-like, dark to blond
    (0.35, (0.00, 1.00), (0.45, 1.00), (0.35, 1.00)),  # saturated, any hue
    (0.15, (0.00, 1.00), (0.00, 0.10), (0.08, 0.98)),  # greys
)
_WEIGHTS = np.array([c[0] for c in _COMPONENTS])
_CUMULATIVE = np.cumsum(_WEIGHTS / _WEIGHTS.sum())


def hsv_to_rgb(h: float, s: float, v: float) -> np.ndarray:
    k = (np.array([5.0, 3.0, 1.0]) + h * 6.0) % 6.0
    return v - v * s * np.clip(np.minimum(k, 4.0 - k), 0.0, 1.0)


def shared_colour(rng: np.random.Generator) -> np.ndarray:
    """One RGB colour in [0, 1] from the shared mixture."""
    component = int(np.searchsorted(_CUMULATIVE, rng.random()))
    _, hue, sat, val = _COMPONENTS[component]
    return hsv_to_rgb(rng.uniform(*hue), rng.uniform(*sat), rng.uniform(*val))


def jitter(colour: np.ndarray, rng: np.random.Generator, amount: float) -> np.ndarray:
    """Small per-image variation of a class colour."""
    return np.clip(colour + rng.normal(0.0, amount, 3), 0.0, 1.0)


def darker(colour: np.ndarray, factor: float) -> np.ndarray:
    return colour * factor


def lighter(colour: np.ndarray, factor: float) -> np.ndarray:
    return colour + (1.0 - colour) * factor


def contrasting(colour: np.ndarray, amount: float = 0.55) -> np.ndarray:
    """Detail colour (eyes, windows, holes) that stands out from the surface it sits on."""
    luminance = float(colour @ np.array([0.299, 0.587, 0.114]))
    return darker(colour, 1.0 - amount) if luminance > 0.35 else lighter(colour, amount)
