"""Food: texture- and colour-dominated dishes.

A dish is an amorphous textured pile (or a few pieces), optionally on a plate seen at an
angle; its category fixes the pile's colours and texture, the kind, colour, size and number
of toppings, and how often it comes on a plate. The outline of the pile is redrawn for
every image, so the category lies in surface, not shape, as with real dishes.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from . import core
from .colours import jitter, lighter, shared_colour
from .textures import draw_texture

TOPPINGS = ("none", "dots", "sticks", "blobs")


def class_params(rng: np.random.Generator) -> dict:
    return {
        "texture": draw_texture(rng, period=(0.06, 0.22)),
        "pieces": int(rng.choice([1, 1, 2, 3])),
        "size": float(rng.uniform(0.4, 0.65)),
        "wobble": float(rng.uniform(0.04, 0.2)),
        "topping": TOPPINGS[int(rng.integers(len(TOPPINGS)))],
        "topping_colour": shared_colour(rng),
        "topping_size": float(rng.uniform(0.03, 0.08)),
        "topping_count": int(rng.integers(3, 12)),
        "plate_rate": float(rng.choice([0.0, 0.5, 0.9])),
    }


def max_rotation(p: dict) -> float:
    return np.pi  # a dish has no upright


def _toppings(
    canvas: np.ndarray,
    f: core.Frame,
    p: dict,
    rng: np.random.Generator,
    radius: float,
    mask: np.ndarray,
) -> None:
    colour = jitter(p["topping_colour"], rng, 0.06)
    s = p["topping_size"]
    for _ in range(p["topping_count"]):
        a, rr = rng.uniform(0, 2 * np.pi), radius * np.sqrt(rng.random()) * 0.85
        t = f.moved(rr * np.cos(a), rr * np.sin(a)).rotated(rng.uniform(0, np.pi))
        if p["topping"] == "dots":
            d = core.sd_circle(t, s * 0.7)
        elif p["topping"] == "sticks":
            d = core.sd_segment(t, -s * 2.0, 0.0, s * 2.0, 0.0, s * 0.4)
        else:
            d = core.sd_ellipse(t, s, s * rng.uniform(0.5, 1.0))
        core.paint(canvas, t.coverage(d) * mask, colour)


def draw(canvas: np.ndarray, frame: core.Frame, p: dict, rng: np.random.Generator) -> None:
    tilt = rng.uniform(0.6, 1.0)  # seen from above (1) or at an angle
    f = core.Frame(frame.x, frame.y / tilt, frame.px / tilt)
    if rng.random() < p["plate_rate"]:
        plate = shared_colour(rng)
        d_plate = core.sd_circle(f, 0.85)
        core.fill(canvas, f, d_plate, plate * core.shade(d_plate, 0.1, 0.15))
        core.fill(
            canvas,
            f,
            core.sd_ring(core.sd_circle(f, 0.72), 0.015),
            lighter(plate, 0.3),
            opacity=0.6,
        )

    texture = replace(
        p["texture"],
        colour_a=jitter(p["texture"].colour_a, rng, 0.07),
        colour_b=jitter(p["texture"].colour_b, rng, 0.07),
        angle=rng.uniform(0, np.pi),
    )
    n = p["pieces"]
    radius = p["size"] / np.sqrt(n) * rng.uniform(0.9, 1.1)
    for i in range(n):
        angle = 2 * np.pi * i / n + rng.uniform(-0.4, 0.4)
        offset = 0.0 if n == 1 else p["size"] * 0.5
        piece = f.moved(offset * np.cos(angle), offset * np.sin(angle))
        d = core.sd_radial(
            piece, radius, rng.uniform(0.0, p["wobble"], 5), rng.uniform(0, 2 * np.pi, 5)
        )
        mask = core.fill(canvas, piece, d, texture.field(piece) * core.shade(d, 0.15, 0.3))
        if p["topping"] != "none":
            _toppings(canvas, piece, p, rng, radius, mask)
