"""Cars: side-view silhouettes of car models.

A model fixes the body length and height, cabin placement and height, windscreen and rear
slopes, hood and trunk drops, overhangs and wheel size (body styles: sedan, hatchback, van,
pickup, coupe). Colour, livery and facing direction vary per image, as with photographs of
one model.
"""

from __future__ import annotations

import numpy as np

from . import core
from .colours import contrasting, darker, lighter, shared_colour
from .textures import draw_texture

MAX_ROTATION = np.radians(5.0)
WHEEL_Y = 0.22

# style: ranges for (rear cabin offset, front cabin offset) as fractions of the body length,
# then (cabin height, rear slope, windscreen slope) in frame units
_STYLES = {
    "sedan": ((0.14, 0.24), (0.28, 0.38), (0.15, 0.22), (0.10, 0.22), (0.12, 0.25)),
    "hatchback": ((0.01, 0.05), (0.28, 0.38), (0.16, 0.24), (0.03, 0.15), (0.12, 0.25)),
    "van": ((0.01, 0.04), (0.08, 0.18), (0.22, 0.30), (0.00, 0.06), (0.10, 0.20)),
    "pickup": ((0.42, 0.52), (0.24, 0.32), (0.17, 0.24), (0.00, 0.05), (0.06, 0.14)),
    "coupe": ((0.10, 0.20), (0.32, 0.42), (0.10, 0.15), (0.15, 0.30), (0.15, 0.28)),
}


def class_params(rng: np.random.Generator) -> dict:
    style = list(_STYLES)[int(rng.integers(len(_STYLES)))]
    rear, front, cabin_h, rear_slope, screen = (float(rng.uniform(*r)) for r in _STYLES[style])
    return {
        "style": style,
        "length": float(rng.uniform(0.68, 0.86)),
        "body_h": float(rng.uniform(0.13, 0.24)),
        "clearance": float(rng.uniform(0.0, 0.07)),
        "wheel_r": float(rng.uniform(0.10, 0.16)),
        "front_overhang": float(rng.uniform(0.12, 0.26)),
        "rear_overhang": float(rng.uniform(0.12, 0.26)),
        "hood_drop": float(rng.uniform(0.0, 0.07)),
        "trunk_drop": float(rng.uniform(0.0, 0.07)),
        "nose_run": float(rng.uniform(0.03, 0.14)),
        "rear_cabin": rear,
        "front_cabin": front,
        "cabin_h": cabin_h,
        "rear_slope": rear_slope,
        "screen": screen,
        "pillars": int(rng.integers(1, 3)),
    }


def max_rotation(p: dict) -> float:
    return MAX_ROTATION


def draw(canvas: np.ndarray, frame: core.Frame, p: dict, rng: np.random.Generator) -> None:
    f = frame.scaled(1.3)
    f = f.mirrored() if rng.random() < 0.5 else f
    paint = draw_texture(rng, kinds=("solid",) * 6 + ("stripes", "gradient"), period=(0.15, 0.4))
    body_colour = paint.colour_a
    L, r = p["length"], p["wheel_r"]
    bottom = WHEEL_Y + r * 0.35 - p["clearance"]
    belt = bottom - p["body_h"]
    roof = belt - p["cabin_h"]
    xr, xf = -L + 2 * L * p["rear_cabin"], L - 2 * L * p["front_cabin"]
    body = np.array(
        [
            (-L, bottom),
            (-L, belt + p["trunk_drop"]),
            (L - p["nose_run"], belt + p["hood_drop"]),
            (L, belt + p["hood_drop"] + p["body_h"] * 0.45),
            (L, bottom),
        ]
    )
    cabin = np.array(
        [
            (xr, belt + 0.03),
            (xr + p["rear_slope"], roof),
            (xf - p["screen"], roof),
            (xf, belt + 0.03),
        ]
    )
    wheels = (-L + p["rear_overhang"], L - p["front_overhang"])

    d_body = core.union(core.sd_polygon(f, body), core.sd_polygon(f, cabin)) - 0.02
    for x in wheels:
        d_body = core.subtract(d_body, core.sd_circle(f.moved(x, WHEEL_Y), r * 1.15))
    core.fill(canvas, f, d_body, paint.field(f) * core.shade(d_body, 0.1, 0.2))

    glass = contrasting(body_colour, 0.6)
    d_window = np.maximum(core.sd_polygon(f, cabin) + 0.035, f.y - belt + 0.01)
    for x in np.linspace(xr, xf, p["pillars"] + 2)[1:-1]:
        d_window = core.subtract(d_window, core.sd_box(f.moved(x, 0.0), 0.015, 1.0))
    core.fill(canvas, f, d_window, glass)

    light_y = belt + p["hood_drop"] + 0.05
    core.fill(
        canvas,
        f,
        core.sd_ellipse(f.moved(L - 0.03, light_y), 0.03, 0.02),
        lighter(body_colour, 0.7),
    )
    core.fill(
        canvas,
        f,
        core.sd_box(f.moved(-L + 0.02, belt + p["trunk_drop"] + 0.04), 0.02, 0.025),
        contrasting(body_colour, 0.5),
    )

    # Tyres are dark but not always black: a fixed black would give cars a luminance tail
    # of their own.
    tyre = darker(shared_colour(rng), rng.uniform(0.3, 0.9))
    hub = contrasting(tyre, 0.5)
    for x in wheels:
        w = f.moved(x, WHEEL_Y)
        core.fill(canvas, w, core.sd_circle(w, r), tyre)
        core.fill(canvas, w, core.sd_circle(w, r * 0.5), hub)
