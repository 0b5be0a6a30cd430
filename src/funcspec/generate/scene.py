"""Nuisance shared by every domain: background, clutter, pose, lighting, contrast, noise.

All of it is drawn from the same distributions whatever the domain, so that only the
drawn thing itself (its shape and configuration) differs between domains.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from . import core
from .colours import shared_colour
from .textures import draw_texture

_LUMA = (0.299, 0.587, 0.114)
SPECTRUM_MATCH = 0.65  # how far each image's amplitude spectrum is pulled to its target


def luminance(img: np.ndarray) -> np.ndarray:
    """Rec. 601 luma of a (3, ...) image, without BLAS: a matmul this small spends its time
    starting threads, and parallel generator processes then fight over the cores."""
    return img[0] * _LUMA[0] + img[1] * _LUMA[1] + img[2] * _LUMA[2]


def background(size: int, rng: np.random.Generator) -> np.ndarray:
    """Two-colour gradient, often split by a wall or table edge, sometimes faintly textured."""
    f = core.Frame.image(size)
    a, b = shared_colour(rng), shared_colour(rng)
    angle = rng.uniform(0.0, 2.0 * np.pi)
    t = np.clip(0.5 + 0.5 * (math.cos(angle) * f.x + math.sin(angle) * f.y), 0.0, 1.0)
    canvas = a + t * (b - a)
    if rng.random() < 0.5:
        # A large surface edge gives every domain the same coarse layout structure that
        # head-and-shoulders framing gives faces.
        upside_down = np.pi if rng.random() < 0.2 else 0.0
        edge = f.rotated(rng.uniform(-0.6, 0.6) + upside_down).moved(0.0, rng.uniform(-0.2, 0.8))
        surface = draw_texture(rng, period=(0.12, 0.4))
        core.fill(canvas, edge, -edge.y, surface.field(edge))
    if rng.random() < 0.35:
        texture = draw_texture(rng, kinds=("stripes", "checker", "dots"))
        core.paint(
            canvas, np.full(f.x.shape, rng.uniform(0.15, 0.45), dtype=np.float32), texture.field(f)
        )
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
    image = core.Frame.image(canvas.shape[1])
    for _ in range(int(rng.integers(count[0], count[1] + 1))):
        f = image.moved(rng.uniform(-1.0, 1.0), rng.uniform(-1.0, 1.0)).rotated(
            rng.uniform(0, np.pi)
        )
        d = _clutter_shape(f, rng)
        texture = draw_texture(rng, period=(0.08, 0.25))
        core.fill(canvas, f, d, texture.field(f), opacity=rng.uniform(0.3, 0.8))


def pose(size: int, rng: np.random.Generator, max_rotation: float) -> core.Frame:
    """Frame of the drawn thing: shifted, scaled and turned within shared ranges."""
    shift = rng.uniform(-0.13, 0.13, 2)
    scale = rng.uniform(0.65, 1.05)
    rotation = rng.uniform(-max_rotation, max_rotation)
    return core.Frame.image(size).moved(*shift).scaled(scale).rotated(rotation)


def _blur(img: np.ndarray, sigma: float) -> np.ndarray:
    """Separable Gaussian blur with edge replication."""
    radius = int(np.ceil(2.5 * sigma))
    taps = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    taps /= taps.sum()
    n = img.shape[1]
    padded = np.pad(img, ((0, 0), (radius, radius), (radius, radius)), mode="edge")
    rows = sum(w * padded[:, i : i + n] for i, w in enumerate(taps.astype(np.float32)))
    return sum(w * rows[:, :, i : i + n] for i, w in enumerate(taps.astype(np.float32)))


@lru_cache(maxsize=8)
def _frequency_rings(size: int) -> tuple[np.ndarray, np.ndarray]:
    """Integer radial frequency of each cell of a real FFT's half plane, and cells per ring."""
    fy = np.fft.fftfreq(size)[:, None] * size
    fx = np.fft.rfftfreq(size)[None, :] * size
    rings = np.rint(np.hypot(fy, fx)).astype(np.int64)
    return rings, np.bincount(rings.ravel())


def _match_spectrum(img: np.ndarray, slope: float, strength: float) -> np.ndarray:
    """Pull the radially averaged amplitude spectrum towards 1/f^slope, keeping phases.

    As in SHINE's spectrum matching, but only part of the way (strength < 1) so the
    drawn shapes keep their look; what is left of a domain's spectral signature is
    then small next to the spread of the shared per-image targets.
    """
    size = img.shape[1]
    rings, counts = _frequency_rings(size)
    spectrum = np.fft.rfft2(img)
    amplitude = np.abs(luminance(spectrum))  # the transform is linear, so luma commutes with it
    profile = np.bincount(rings.ravel(), weights=amplitude.ravel()) / np.maximum(counts, 1)
    if len(profile) < 2:  # a 1-pixel image has no spectrum to shape
        return img
    energy = profile**2 * counts
    target = np.maximum(np.arange(len(profile)), 1.0) ** -slope
    target *= np.sqrt(energy[1:].sum() / (target[1:] ** 2 * counts[1:]).sum())
    gain = (target / np.maximum(profile, 1e-9)) ** strength
    gain[0] = 1.0
    return np.fft.irfft2(spectrum * gain[rings], s=(size, size)).astype(np.float32)


def _equalise(img: np.ndarray, mean: float, std: float) -> np.ndarray:
    luma = luminance(img)
    gain = min(std / max(float(luma.std()), 1e-3), 4.0)
    return np.clip((img - luma.mean()) * gain + mean, 0.0, 1.0)


def finish(canvas: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Lighting, colour cast, focus, contrast equalisation and noise; returns uint8 (H, W, 3).

    Luminance mean and spread are reset to a per-image target from one distribution
    shared by all domains, so busier images (faces) cannot be told from plainer ones
    (objects) by global contrast or brightness. The random focus blur widens every
    domain's spread of fine-detail energy, so the share of it that a domain's content
    sets matters less.
    """
    size = canvas.shape[1]
    f = core.Frame.image(size)
    angle = rng.uniform(0.0, 2.0 * np.pi)
    gain = 1.0 + rng.uniform(-0.35, 0.35) * (math.cos(angle) * f.x + math.sin(angle) * f.y)
    img = canvas * gain * (1.0 + rng.normal(0.0, 0.06, (3, 1, 1))).astype(np.float32)
    sigma = 0.9 * rng.random() ** 2 * size / 32.0  # mostly sharp, sometimes soft
    if sigma > 0.25:
        img = _blur(img, sigma)
    img = _match_spectrum(img, rng.uniform(1.0, 1.6), SPECTRUM_MATCH)
    target_mean = rng.uniform(0.35, 0.65)
    target_std = rng.uniform(0.10, 0.22)
    # Clipping eats into the spread of high-contrast images, so equalise twice.
    img = _equalise(_equalise(img, target_mean, target_std), target_mean, target_std)
    img += 0.04 * rng.standard_normal(img.shape, dtype=np.float32)
    pixels = (np.clip(img, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    return np.ascontiguousarray(pixels.transpose(1, 2, 0))


def to_greyscale(img: np.ndarray) -> np.ndarray:
    """Three equal channels of luminance."""
    luma = (luminance(img.transpose(2, 0, 1).astype(np.float64)) + 0.5).astype(np.uint8)
    return np.repeat(luma[..., None], 3, axis=2)
