"""Nuisance shared by every domain: background, clutter, pose, lighting, contrast, noise.

All of it is drawn from the same distributions whatever the domain, so that only the
drawn thing itself (its shape and configuration) differs between domains.
"""
from __future__ import annotations

import numpy as np

from . import core
from .colours import shared_colour
from .textures import draw_texture

_LUMA = np.array([0.299, 0.587, 0.114])


def background(size: int, rng: np.random.Generator) -> np.ndarray:
    """Two-colour gradient, sometimes overlaid with a faint texture."""
    f = core.Frame.image(size)
    a, b = shared_colour(rng), shared_colour(rng)
    angle = rng.uniform(0.0, 2.0 * np.pi)
    t = np.clip(0.5 + 0.5 * (np.cos(angle) * f.x + np.sin(angle) * f.y), 0.0, 1.0)
    canvas = a + t[..., None] * (b - a)
    if rng.random() < 0.35:
        texture = draw_texture(rng, kinds=("stripes", "checker", "dots"))
        core.paint(canvas, np.full(f.x.shape, rng.uniform(0.15, 0.45)), texture.field(f))
    return canvas


def _clutter_shape(f: core.Frame, rng: np.random.Generator) -> np.ndarray:
    kind = int(rng.integers(5))
    r = rng.uniform(0.08, 0.35)
    if kind == 0:
        return core.sd_ellipse(f, r, r * rng.uniform(0.3, 1.0))
    if kind == 1:
        return core.sd_box(f, r, r * rng.uniform(0.2, 1.0), r * rng.uniform(0.0, 0.5))
    if kind == 2:
        return core.sd_regular_polygon(f, r, int(rng.integers(3, 7)))
    if kind == 3:
        return core.sd_segment(f, -r, 0.0, r, 0.0, r * rng.uniform(0.1, 0.3))
    return core.sd_ring(core.sd_circle(f, r), r * rng.uniform(0.1, 0.25))


def clutter(canvas: np.ndarray, rng: np.random.Generator, count: tuple[int, int] = (1, 5)) -> None:
    """A few translucent, sometimes textured shapes anywhere in the image."""
    image = core.Frame.image(canvas.shape[0])
    for _ in range(int(rng.integers(count[0], count[1] + 1))):
        f = image.moved(rng.uniform(-1.0, 1.0), rng.uniform(-1.0, 1.0)).rotated(rng.uniform(0, np.pi))
        d = _clutter_shape(f, rng)
        texture = draw_texture(rng, period=(0.08, 0.25))
        core.fill(canvas, f, d, texture.field(f), opacity=rng.uniform(0.3, 0.8))


def pose(size: int, rng: np.random.Generator, max_rotation: float) -> core.Frame:
    """Frame of the drawn thing: shifted, scaled and turned within shared ranges."""
    shift = rng.uniform(-0.13, 0.13, 2)
    scale = rng.uniform(0.65, 1.05)
    rotation = rng.uniform(-max_rotation, max_rotation)
    return core.Frame.image(size).moved(*shift).scaled(scale).rotated(rotation)


def finish(canvas: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Lighting, colour cast, contrast equalisation and noise; returns uint8 RGB.

    Luminance mean and spread are reset to a per-image target from one distribution
    shared by all domains, so busier images (faces) cannot be told from plainer ones
    (objects) by global contrast or brightness.
    """
    f = core.Frame.image(canvas.shape[0])
    angle = rng.uniform(0.0, 2.0 * np.pi)
    gain = 1.0 + rng.uniform(-0.35, 0.35) * (np.cos(angle) * f.x + np.sin(angle) * f.y)
    img = canvas * gain[..., None] * (1.0 + rng.normal(0.0, 0.06, 3))
    luminance = img @ _LUMA
    spread = max(float(luminance.std()), 1e-3)
    target_mean = rng.uniform(0.35, 0.65)
    target_std = rng.uniform(0.10, 0.22)
    img = (img - luminance.mean()) * min(target_std / spread, 4.0) + target_mean
    img += rng.normal(0.0, 0.04, img.shape)
    return (np.clip(img, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def to_greyscale(img: np.ndarray) -> np.ndarray:
    """Three equal channels of luminance."""
    luminance = (img.astype(np.float64) @ _LUMA + 0.5).astype(np.uint8)
    return np.repeat(luminance[..., None], 3, axis=2)
