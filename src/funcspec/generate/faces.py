"""Faces: many identities of one homogeneous category.

An identity is a vector of face-geometry parameters (oval, chin, hairline and hair shape,
eye placement and size, brows, nose, mouth, ears, beard, a tendency to wear glasses) and a
skin tone and hair colour. Clothing, hats and eye colours are drawn per image from the shared
mixture, and the skin tone and the hair colour are each redrawn in a share `recolour` of the
images (0.15 by default, the rate object and food colours follow too), so telling identities
apart rests on configuration, as with real faces, with colour only a hint.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from . import core
from .colours import contrasting, darker, jitter, lighter, shared_colour
from .textures import draw_texture

MAX_ROTATION = np.radians(10.0)

# name: (low, high); one identity is one uniform draw of each, in this order.
_IDENTITY_RANGES = {
    "face_w": (0.34, 0.46),
    "face_h": (0.46, 0.60),
    "face_y": (-0.14, -0.02),
    "chin_taper": (0.05, 0.40),
    "jaw_square": (0.0, 0.12),
    "hairline": (0.40, 0.70),
    "hairline_curve": (-0.6, 0.6),
    "hair_part": (-0.25, 0.25),
    "hair_volume": (0.02, 0.16),
    "hair_length": (-0.4, 0.8),
    "eye_dx": (0.14, 0.22),
    "eye_y": (-0.10, 0.04),
    "eye_w": (0.055, 0.10),
    "eye_h": (0.030, 0.055),
    "eye_tilt": (-0.25, 0.25),
    "iris": (0.45, 0.80),
    "brow_gap": (0.05, 0.12),
    "brow_len": (0.06, 0.12),
    "brow_thick": (0.012, 0.030),
    "brow_angle": (-0.35, 0.35),
    "brow_bend": (-2.5, 4.0),
    "nose_len": (0.12, 0.26),
    "nose_w": (0.035, 0.075),
    "mouth_gap": (0.07, 0.16),
    "mouth_w": (0.08, 0.16),
    "lip": (0.012, 0.030),
    "mouth_bend": (-1.5, 4.0),
    "ear_size": (0.05, 0.10),
    "ear_y": (-0.06, 0.08),
    "neck_w": (0.12, 0.20),
}


def class_params(rng: np.random.Generator) -> dict:
    p = {name: float(rng.uniform(lo, hi)) for name, (lo, hi) in _IDENTITY_RANGES.items()}
    p["beard"] = bool(rng.random() < 0.2)
    p["glasses_rate"] = 0.6 if rng.random() < 0.15 else 0.03
    p["skin"] = shared_colour(rng)
    p["hair"] = shared_colour(rng)
    return p


def _face_oval(f: core.Frame, p: dict) -> np.ndarray:
    # Narrow the lower half towards the chin by squeezing x as y goes down.
    below = np.clip(f.y / p["face_h"], 0.0, 1.0)
    squeeze = 1.0 - p["chin_taper"] * below * below
    oval = core.Frame(f.x / squeeze, f.y, f.px)
    d = core.sd_ellipse(oval, p["face_w"], p["face_h"])
    box = core.sd_box(oval, p["face_w"], p["face_h"], p["face_w"] * 0.7)
    return d + p["jaw_square"] * (box - d) / 0.12


def max_rotation(p: dict) -> float:
    return MAX_ROTATION


def draw(canvas: np.ndarray, frame: core.Frame, p: dict, rng: np.random.Generator) -> None:
    frame = frame.moved(0.0, 0.08).scaled(1.3)  # tight portrait crop, as in VGGFace2
    skin = shared_colour(rng) if rng.random() < p["recolour"] else jitter(p["skin"], rng, 0.06)
    hair = shared_colour(rng) if rng.random() < p["recolour"] else jitter(p["hair"], rng, 0.06)
    # Hair is one colour with a textured sheen, not two unrelated colours.
    hair_texture = replace(
        draw_texture(
            rng, kinds=("solid", "solid", "stripes", "gradient", "dots"), period=(0.05, 0.14)
        ),
        colour_a=hair,
        colour_b=jitter(hair, rng, 0.12),
    )
    head = frame.moved(0.0, p["face_y"])
    hair_field = hair_texture.field(head)
    yaw = rng.uniform(-0.12, 0.12)  # small head turn: inner features slide sideways
    inner = head.moved(yaw * 0.12, 0.0)

    _draw_shoulders(canvas, frame, head, p, rng, skin, hair_field)
    for side in (-1.0, 1.0):
        ear = head.moved(side * (p["face_w"] - 0.01 + yaw * side * 0.05), p["ear_y"])
        core.fill(
            canvas,
            ear,
            core.sd_ellipse(ear, p["ear_size"] * 0.6, p["ear_size"]),
            darker(skin, 0.88),
        )
    d_face = _face_oval(head, p)
    core.fill(canvas, head, d_face, skin * core.shade(d_face, 0.12, 0.25))
    if p["beard"]:
        jaw = inner.moved(0.0, p["face_h"] * 0.45)
        d_beard = core.subtract(
            np.maximum(d_face, -jaw.y),
            core.sd_ellipse(jaw.moved(0.0, p["mouth_gap"] * 0.5), p["mouth_w"], 0.05),
        )
        core.fill(canvas, head, d_beard, hair_field, opacity=0.9)
    core.fill(canvas, head, _sd_hair(head, p), hair_field)
    if rng.random() < 0.25:
        _draw_hat(canvas, head, p, rng)
    _draw_features(canvas, inner, p, rng, skin, hair)


def _draw_shoulders(
    canvas, frame: core.Frame, head: core.Frame, p: dict, rng, skin, hair_field
) -> None:
    """Long hair behind, then clothed shoulders and the neck."""
    if p["hair_length"] > 0.0:
        back = head.moved(0.0, p["hair_length"] / 2.0 - 0.2)
        w = p["face_w"] + p["hair_volume"] + 0.03
        core.fill(
            canvas, back, core.sd_box(back, w, p["hair_length"] / 2.0 + 0.3, w * 0.8), hair_field
        )
    clothes = draw_texture(rng)
    body = frame.moved(0.0, 1.05)
    core.fill(
        canvas, body, core.sd_ellipse(body, rng.uniform(0.7, 0.95), 0.55), clothes.field(body)
    )
    neck = frame.moved(0.0, 0.45)
    d_neck = core.sd_box(neck, p["neck_w"], 0.22, 0.03)
    core.fill(canvas, neck, d_neck, skin * core.shade(d_neck, 0.08, 0.3))


def _sd_hair(head: core.Frame, p: dict) -> np.ndarray:
    """A cap larger than the face, cut off below the hairline, with hair down the sides."""
    cap = head.moved(p["hair_part"] * 0.1, -0.04)
    d_cap = core.sd_ellipse(
        cap, p["face_w"] + p["hair_volume"], p["face_h"] * 0.8 + p["hair_volume"]
    )
    line = (
        -p["hairline"] * p["face_h"]
        + p["hairline_curve"] * head.x * head.x
        + p["hair_part"] * head.x * 0.5
    )
    line = np.minimum(
        line, p["eye_y"] - p["eye_h"] - p["brow_gap"] - 0.05
    )  # keep the eyes and brows clear
    d_hair = np.maximum(d_cap, head.y - line - 0.06 * np.clip(np.abs(head.x) / p["face_w"], 0, 1))
    d_hair = core.union(d_hair, np.maximum(d_cap, np.abs(head.x) - p["face_w"] + 0.03))
    return np.maximum(d_hair, head.y - p["face_h"] * (0.1 if p["hair_length"] <= 0 else 0.6))


def _draw_hat(canvas, head: core.Frame, p: dict, rng) -> None:
    hat = draw_texture(rng)
    top = head.moved(0.0, -p["face_h"] * 0.8 - p["hair_volume"] * 0.5)
    d_hat = core.union(
        core.sd_box(top, p["face_w"] * rng.uniform(0.8, 1.0), rng.uniform(0.12, 0.25), 0.08),
        core.sd_box(top.moved(0.0, 0.12), p["face_w"] + rng.uniform(0.02, 0.2), 0.035, 0.02),
    )
    core.fill(canvas, top, d_hat, hat.field(top))


def _draw_features(canvas, inner: core.Frame, p: dict, rng, skin, hair) -> None:
    """Eyes, brows, glasses, nose and mouth, with per-image expression."""
    dark = contrasting(skin, 0.6)
    brow_colour = darker(hair, 0.6) if hair.sum() < skin.sum() else dark
    openness = 0.15 if rng.random() < 0.05 else rng.uniform(0.7, 1.1)
    brow_raise = rng.uniform(-0.02, 0.03)
    gaze = rng.uniform(-0.3, 0.3, 2)
    iris_colour = darker(shared_colour(rng), 0.5)
    sclera = lighter(skin, 0.75)
    glasses = rng.random() < p["glasses_rate"]
    for side in (-1.0, 1.0):
        eye = inner.moved(side * p["eye_dx"], p["eye_y"]).rotated(side * p["eye_tilt"] * 0.5)
        d_eye = core.sd_ellipse(eye, p["eye_w"], p["eye_h"] * openness)
        core.fill(canvas, eye, d_eye, sclera)
        iris = eye.moved(gaze[0] * p["eye_w"] * 0.4, gaze[1] * p["eye_h"] * 0.3)
        r_iris = p["eye_h"] * p["iris"] * 1.3
        core.fill(canvas, iris, np.maximum(core.sd_circle(iris, r_iris), d_eye), iris_colour)
        core.fill(
            canvas,
            iris,
            np.maximum(core.sd_circle(iris, r_iris * 0.45), d_eye),
            darker(iris_colour, 0.3),
        )
        core.fill(canvas, eye, core.sd_ring(d_eye, 0.006), dark, opacity=0.7)

        brow = inner.moved(side * p["eye_dx"], p["eye_y"] - p["eye_h"] - p["brow_gap"] - brow_raise)
        brow = brow.rotated(side * p["brow_angle"] * 0.6)
        core.fill(
            canvas,
            brow,
            core.sd_arc(brow, p["brow_len"], -p["brow_bend"], p["brow_thick"]),
            brow_colour,
        )
        if glasses:
            core.fill(canvas, eye, core.sd_ring(core.sd_circle(eye, p["eye_w"] * 1.5), 0.012), dark)
    if glasses:
        core.fill(
            canvas,
            inner,
            core.sd_segment(
                inner,
                -p["eye_dx"] + p["eye_w"] * 1.5,
                p["eye_y"],
                p["eye_dx"] - p["eye_w"] * 1.5,
                p["eye_y"],
                0.012,
            ),
            dark,
        )

    nose_y = p["eye_y"] + p["nose_len"]
    core.fill(
        canvas,
        inner,
        core.sd_segment(inner, 0.015, p["eye_y"] + 0.03, 0.025, nose_y - 0.02, 0.012),
        darker(skin, 0.8),
        opacity=0.6,
    )
    tip = inner.moved(0.0, nose_y)
    core.fill(canvas, tip, core.sd_arc(tip, p["nose_w"], 4.0, 0.014), darker(skin, 0.6))

    mouth = inner.moved(0.0, nose_y + p["mouth_gap"])
    bend = p["mouth_bend"] + rng.uniform(-2.0, 3.0)
    lips = np.array([0.375, 0.175, 0.175], dtype=np.float32).reshape(3, 1, 1) + skin * 0.5
    core.fill(canvas, mouth, core.sd_arc(mouth, p["mouth_w"], bend, p["lip"]), darker(lips, 0.7))
    if rng.random() < 0.25:
        core.fill(
            canvas,
            mouth,
            core.sd_ellipse(
                mouth.moved(0.0, 0.01), p["mouth_w"] * 0.6, p["lip"] * rng.uniform(1.0, 2.2)
            ),
            darker(skin, 0.25),
        )
