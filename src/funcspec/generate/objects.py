"""Objects: basic-level categories from a small shape grammar.

A category is a recipe (single part with an optional hole, a row of parts, a radial
arrangement, a body on legs or with handles, concentric rings, or a stacked lamp/bottle
form) over six primitives, with a texture and two colours. Each image jitters the part
sizes and placement and, in a share `recolour` of images (0.15 by default), recolours the
whole object, so categories are told apart by shape and part structure first. Food's
overlap variants borrow their parts from this grammar (`recipe_part`, `vary`, `_sd_part`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from . import core
from .colours import contrasting, jitter, shared_colour
from .textures import Texture, draw_texture

PRIMITIVES = ("ellipse", "box", "polygon", "star", "blob", "capsule")
RECIPES = ("single", "row", "radial", "legs", "handles", "rings", "stack")


@dataclass(frozen=True)
class Part:
    kind: str
    x: float
    y: float
    w: float
    h: float
    angle: float = 0.0
    slot: int = 0  # 0: the category texture, 1: second colour, 2: detail colour
    n: int = 5  # polygon sides or star points
    wobble: tuple[float, ...] = ()  # radial harmonics of a blob
    hole: Part | None = None
    outline: float = 0.0  # > 0 draws only a band of this half-thickness (rings, handles)


def _sd_part(f: core.Frame, part: Part) -> np.ndarray:
    g = f.moved(part.x, part.y).rotated(part.angle)
    # Round shapes are drawn at width w and squashed to height h.
    squashed = core.Frame(g.x, g.y * float(part.w / part.h), g.px)
    if part.kind == "ellipse":
        d = core.sd_ellipse(g, part.w, part.h)
    elif part.kind == "box":
        d = core.sd_box(g, part.w, part.h, min(part.w, part.h) * 0.25)
    elif part.kind == "polygon":
        d = core.sd_regular_polygon(squashed, part.w, part.n)
    elif part.kind == "star":
        amps = np.zeros(part.n)
        amps[-1] = 0.35
        d = core.sd_radial(squashed, part.w, amps, np.zeros(part.n))
    elif part.kind == "blob":
        phases = np.arange(1, len(part.wobble) + 1) * 1.7
        d = core.sd_radial(squashed, part.w, np.array(part.wobble), phases)
    else:  # capsule along x
        r = min(part.w, part.h)
        d = core.sd_segment(g, -part.w + r, 0.0, part.w - r, 0.0, r)
    if part.outline:
        d = core.sd_ring(d, part.outline)
    if part.hole is not None:
        d = core.subtract(d, _sd_part(f, part.hole))
    return d


def _primitive(
    rng: np.random.Generator,
    x: float,
    y: float,
    w: float,
    h: float,
    slot: int = 0,
    kinds: tuple[str, ...] = PRIMITIVES,
) -> Part:
    kind = kinds[int(rng.integers(len(kinds)))]
    return Part(
        kind,
        x,
        y,
        w,
        h,
        slot=slot,
        n=int(rng.integers(3, 8)),
        wobble=tuple(rng.uniform(0.0, 0.18, 4)) if kind == "blob" else (),
    )


def _recipe_parts(recipe: str, rng: np.random.Generator) -> list[Part]:
    u = rng.uniform
    if recipe == "single":
        body = _primitive(rng, 0.0, 0.0, u(0.45, 0.7), u(0.3, 0.7))
        if rng.random() < 0.5:
            hole = _primitive(
                rng,
                u(-0.1, 0.1),
                u(-0.1, 0.1),
                body.w * u(0.25, 0.5),
                body.h * u(0.25, 0.5),
                kinds=("ellipse", "box", "polygon"),
            )
            body = replace(body, hole=hole)
        return [body]
    if recipe == "row":
        n = int(rng.integers(2, 5))
        sizes = u(0.14, 0.3, n)
        xs = np.linspace(-0.55, 0.55, n)
        bar = Part("box", 0.0, 0.0, 0.6, u(0.03, 0.08), slot=1)
        return [bar] + [
            _primitive(
                rng, float(x), u(-0.1, 0.1), float(s), float(s) * u(0.6, 1.4), slot=i % 2 * 2
            )
            for i, (x, s) in enumerate(zip(xs, sizes))
        ]
    if recipe == "radial":
        n = int(rng.integers(3, 9))
        length, width, reach = u(0.18, 0.35), u(0.06, 0.14), u(0.2, 0.4)
        kind = ("ellipse", "capsule", "box")[int(rng.integers(3))]
        petals = [
            Part(kind, reach * np.cos(a), reach * np.sin(a), length, width, angle=a)
            for a in np.arange(n) * 2 * np.pi / n
        ]
        return petals + [
            _primitive(
                rng, 0.0, 0.0, u(0.12, 0.25), u(0.12, 0.25), slot=1, kinds=("ellipse", "polygon")
            )
        ]
    if recipe == "legs":
        w, h, top = u(0.45, 0.7), u(0.08, 0.25), u(-0.4, -0.1)
        n = int(rng.integers(2, 5))
        leg_len, leg_w = u(0.3, 0.55), u(0.03, 0.07)
        splay = u(-0.3, 0.3)
        legs = [
            Part(
                "capsule",
                float(x) + np.sin(splay) * leg_len * np.sign(x) * 0.5,
                top + h + leg_len / 2,
                leg_len / 2 + leg_w,
                leg_w,
                angle=np.pi / 2 - splay * np.sign(x),
                slot=1,
            )
            for x in np.linspace(-w * 0.85, w * 0.85, n)
        ]
        return legs + [_primitive(rng, 0.0, top, w, h, kinds=("box", "ellipse", "capsule"))]
    if recipe == "handles":
        w, h = u(0.3, 0.5), u(0.35, 0.6)
        body = _primitive(rng, 0.0, 0.0, w, h, kinds=("box", "ellipse", "polygon"))
        r = u(0.12, 0.22)
        sides = (1.0,) if rng.random() < 0.5 else (-1.0, 1.0)
        handles = [
            Part(
                "ellipse",
                s * (w + r * 0.5),
                u(-0.1, 0.1),
                r,
                r * u(0.8, 1.5),
                outline=u(0.025, 0.05),
                slot=1,
            )
            for s in sides
        ]
        return handles + [body]
    if recipe == "rings":
        n = int(rng.integers(2, 5))
        outer = u(0.45, 0.7)
        kind = ("ellipse", "box", "polygon")[int(rng.integers(3))]
        sides = int(rng.integers(3, 8))
        aspect = u(0.6, 1.0)
        return [
            Part(
                kind,
                0.0,
                0.0,
                outer * (n - i) / n,
                outer * aspect * (n - i) / n,
                n=sides,
                slot=i % 2,
            )
            for i in range(n)
        ]
    # stack: base, neck and top of different widths, bottom to top
    widths = u(0.12, 0.5, 3)
    heights = u(0.1, 0.3, 3)
    bottoms = np.concatenate([[0.0], np.cumsum(2.0 * heights)[:-1]])
    ys = -(bottoms + heights)
    ys -= (ys[0] + heights[0] + ys[-1] - heights[-1]) / 2.0  # centre the whole stack
    return [
        _primitive(
            rng,
            0.0,
            float(ys[i]),
            float(widths[i]),
            float(heights[i]),
            slot=i % 2,
            kinds=("box", "ellipse", "polygon", "capsule"),
        )
        for i in range(3)
    ]


def _details(rng: np.random.Generator, host: Part) -> list[Part]:
    """Small marks (knobs, buttons, slots) on the front part: objects get fine internal
    structure on the scale of eyes and mouths, so detail alone does not mark faces."""
    marks = []
    for _ in range(int(rng.integers(0, 5))):
        r = float(rng.uniform(0.025, 0.06))
        x = host.x + float(rng.uniform(-0.6, 0.6)) * host.w
        y = host.y + float(rng.uniform(-0.6, 0.6)) * host.h
        kind = ("ellipse", "capsule", "box")[int(rng.integers(3))]
        marks.append(Part(kind, x, y, r * (2.5 if kind == "capsule" else 1.0), r, slot=2))
    return marks


def recipe_part(rng: np.random.Generator) -> Part:
    """One part of a random recipe, centred and in the category texture: a petal, a leg, a
    handle, a ring, a stack element or a whole body, as the grammar draws them."""
    recipe = RECIPES[int(rng.integers(len(RECIPES)))]
    parts = _recipe_parts(recipe, rng)
    part = parts[int(rng.integers(len(parts)))]
    hole = part.hole
    if hole is not None:  # a hole is placed in the object's frame, not its body's
        hole = replace(hole, x=hole.x - part.x, y=hole.y - part.y)
    return replace(part, x=0.0, y=0.0, slot=0, hole=hole)


def vary(part: Part, rng: np.random.Generator) -> Part:
    """A part as one image draws it: its size and placement jittered."""
    s = rng.uniform(0.88, 1.12, 2)
    return replace(
        part,
        x=part.x + rng.normal(0.0, 0.02),
        y=part.y + rng.normal(0.0, 0.02),
        w=part.w * s[0],
        h=part.h * s[1],
    )


def class_params(rng: np.random.Generator) -> dict:
    recipe = RECIPES[int(rng.integers(len(RECIPES)))]
    parts = _recipe_parts(recipe, rng)
    return {
        "recipe": recipe,
        "parts": parts + _details(rng, parts[-1]),
        "texture": draw_texture(rng),
        "second": shared_colour(rng),
        "free_rotation": bool(rng.random() < 0.5),
    }


def max_rotation(p: dict) -> float:
    return np.pi if p["free_rotation"] else np.radians(15.0)


def draw(canvas: np.ndarray, frame: core.Frame, p: dict, rng: np.random.Generator) -> None:
    texture: Texture = p["texture"]
    second = p["second"]
    if rng.random() < p["recolour"]:  # recoloured exemplar: colour is a hint, not the category
        texture = replace(texture, colour_a=shared_colour(rng), colour_b=shared_colour(rng))
        second = shared_colour(rng)
    texture = replace(
        texture,
        colour_a=jitter(texture.colour_a, rng, 0.06),
        colour_b=jitter(texture.colour_b, rng, 0.06),
    )
    colours = {1: jitter(second, rng, 0.06), 2: contrasting(texture.colour_a)}
    f = frame.scaled(rng.uniform(1.1, 1.35))
    for part in p["parts"]:
        d = _sd_part(f, vary(part, rng))
        colour = texture.field(f) if part.slot == 0 else colours[part.slot]
        core.fill(canvas, f, d, colour * core.shade(d, 0.12, 0.2))
