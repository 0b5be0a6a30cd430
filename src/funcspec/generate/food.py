"""Food: texture- and colour-dominated dishes.

A dish is an amorphous textured pile (or a few pieces), optionally on a plate seen at an
angle; its category fixes the pile's colours and texture, the kind, colour, size and number
of toppings, and how often it comes on a plate. The outline of the pile is redrawn for
every image, so the category lies in surface, not shape, as with real dishes. In a share
`recolour` of images (0.15 by default, as for faces and objects) the pile and topping
colours are replaced by fresh draws, so colour hints at the category but never defines it.

The overlap variants (`shared_parts` > 0) test how much of that segregation is the shape
vocabulary: a variant dish has N_PARTS parts, round(shared_parts * N_PARTS) of them parts of
the object shape grammar (objects.recipe_part, fixed per category like an object's) and the
rest pile pieces with their toppings, all in the category's texture and colours. At 1.0 a
dish is built from object parts alone and stays food only in its surface. A shared_parts
that rounds to no object part (below 0.125) draws the dish of the first paragraph, with its
own one to three pieces, not a dish of N_PARTS pile pieces.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from . import core
from .colours import jitter, lighter, shared_colour
from .objects import Part, _sd_part, recipe_part, vary
from .textures import Texture, draw_texture

TOPPINGS = ("none", "dots", "sticks", "blobs")
N_PARTS = 4  # parts of a variant dish: 0.25 steps of shared_parts are exact
# Key of the recolouring's own stream below the image's (see class_colours).
_RECOLOUR_STREAM = 1


def class_params(rng: np.random.Generator, shared_parts: float = 0.0) -> dict:
    p = {
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
    n_object = round(shared_parts * N_PARTS)
    if n_object:
        # Drawn after the dish's own parameters, so a variant keeps its category's surface.
        p["parts"] = _variant_parts(rng, n_object)
    return p


def _variant_parts(rng: np.random.Generator, n_object: int) -> list[Part | None]:
    """The variant's parts in placement order: an object-grammar Part, or None for a pile
    piece."""
    parts = [recipe_part(rng) for _ in range(n_object)] + [None] * (N_PARTS - n_object)
    return [parts[i] for i in rng.permutation(N_PARTS)]


def object_share(p: dict) -> float:
    """Share of the category's parts that come from the object shape grammar."""
    parts = p.get("parts", ())
    return sum(isinstance(part, Part) for part in parts) / len(parts) if parts else 0.0


def max_rotation(p: dict) -> float:
    return np.pi  # a dish has no upright


def class_colours(p: dict, rng: np.random.Generator) -> tuple[Texture, np.ndarray]:
    """The pile texture and topping colour an image starts from: the category's own, or in a
    share p["recolour"] of images fresh draws from the shared mixture.

    The decision and the fresh colours come from a stream of their own below the image's,
    not from the image's: drawing them there would shift every later draw, so a recoloured
    image would differ from its twin in everything, and the images that are not recoloured
    would not keep their pixels from before recolouring existed.
    """
    seq = rng.bit_generator.seed_seq
    own = np.random.default_rng(
        np.random.SeedSequence(seq.entropy, spawn_key=(*seq.spawn_key, _RECOLOUR_STREAM))
    )
    if own.random() >= p["recolour"]:
        return p["texture"], p["topping_colour"]
    texture = replace(p["texture"], colour_a=shared_colour(own), colour_b=shared_colour(own))
    return texture, shared_colour(own)


def _toppings(
    canvas: np.ndarray,
    f: core.Frame,
    p: dict,
    rng: np.random.Generator,
    radius: float,
    mask: np.ndarray,
    topping_colour: np.ndarray,
) -> None:
    colour = jitter(topping_colour, rng, 0.06)
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


def _plate(canvas: np.ndarray, f: core.Frame, rng: np.random.Generator) -> None:
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


def _object_piece(
    canvas: np.ndarray,
    piece: core.Frame,
    part: Part,
    radius: float,
    texture: Texture,
    rng: np.random.Generator,
) -> None:
    """An object-grammar part in the place of a pile piece, its longer half-axis the piece's
    radius, shaded like the pile."""
    scale = float(radius / max(part.w, part.h))  # a float64 scalar would promote the grid
    d = _sd_part(piece.scaled(scale), vary(part, rng)) * scale
    core.fill(canvas, piece, d, texture.field(piece) * core.shade(d, 0.15, 0.3))


def draw(canvas: np.ndarray, frame: core.Frame, p: dict, rng: np.random.Generator) -> None:
    texture, topping_colour = class_colours(p, rng)
    tilt = rng.uniform(0.6, 1.0)  # seen from above (1) or at an angle
    f = core.Frame(frame.x, frame.y / tilt, frame.px / tilt)
    if rng.random() < p["plate_rate"]:
        _plate(canvas, f, rng)

    texture = replace(
        texture,
        colour_a=jitter(texture.colour_a, rng, 0.07),
        colour_b=jitter(texture.colour_b, rng, 0.07),
        angle=rng.uniform(0, np.pi),
    )
    parts = p.get("parts", [None] * p["pieces"])
    n = len(parts)
    radius = p["size"] / np.sqrt(n) * rng.uniform(0.9, 1.1)
    for i, part in enumerate(parts):
        angle = 2 * np.pi * i / n + rng.uniform(-0.4, 0.4)
        offset = 0.0 if n == 1 else p["size"] * 0.5
        piece = f.moved(offset * np.cos(angle), offset * np.sin(angle))
        if part is not None:
            _object_piece(canvas, piece, part, radius, texture, rng)
            continue
        d = core.sd_radial(
            piece, radius, rng.uniform(0.0, p["wobble"], 5), rng.uniform(0, 2 * np.pi, 5)
        )
        mask = core.fill(canvas, piece, d, texture.field(piece) * core.shade(d, 0.15, 0.3))
        if p["topping"] != "none":
            _toppings(canvas, piece, p, rng, radius, mask, topping_colour)
