"""Drawing core: coordinate frames, signed-distance shapes and compositing.

Every shape is a signed distance field (negative inside) evaluated on a pixel grid that
has been mapped into the drawn thing's own frame. Coverage is the distance in pixels
clipped to [0, 1], which gives soft one-pixel edges without supersampling and keeps a
whole image to a few hundred small numpy operations.

Images are float32 and channel-first (3, H, W), colours (3, 1, 1): at these sizes numpy's
per-call overhead dominates, and broadcasting over a trailing axis of 3 or in float64
(whose transcendental functions are not vectorised) costs several times more.
"""

from __future__ import annotations

import cmath
import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np


@lru_cache(maxsize=8)
def pixel_grid(size: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixel centres in [-1, 1], x to the right and y downwards (row order)."""
    c = ((np.arange(size) + 0.5) / size * 2.0 - 1.0).astype(np.float32)
    y, x = np.meshgrid(c, c, indexing="ij")
    y.flags.writeable = False
    x.flags.writeable = False
    return x, y


@dataclass(frozen=True)
class Frame:
    """The pixel grid expressed in some drawing frame; px is one pixel in frame units."""

    x: np.ndarray
    y: np.ndarray
    px: float

    @classmethod
    def image(cls, size: int) -> Frame:
        x, y = pixel_grid(size)
        return cls(x, y, 2.0 / size)

    def moved(self, dx: float, dy: float) -> Frame:
        """Frame whose origin sits at (dx, dy) of this one."""
        # float(): a NumPy float64 scalar would promote the float32 grid to float64.
        return Frame(self.x - float(dx), self.y - float(dy), self.px)

    def scaled(self, s: float) -> Frame:
        """Frame whose unit is s units of this one."""
        s = float(s)
        return Frame(self.x / s, self.y / s, self.px / s)

    def rotated(self, theta: float) -> Frame:
        """Frame turned by theta radians (clockwise on screen, as y points down)."""
        c, s = math.cos(theta), math.sin(theta)
        return Frame(c * self.x + s * self.y, -s * self.x + c * self.y, self.px)

    def mirrored(self) -> Frame:
        return Frame(-self.x, self.y, self.px)

    def coverage(self, d: np.ndarray) -> np.ndarray:
        a = 0.5 - d / self.px
        np.minimum(a, 1.0, out=a)  # in place: np.clip's dispatch costs more than the work here
        return np.maximum(a, 0.0, out=a)


# --- signed distance fields -------------------------------------------------------------
# Size arguments go through float(): NumPy float64 scalars would promote the float32 grid.


def length(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Euclidean norm; np.hypot's overflow care makes it several times slower."""
    return np.sqrt(x * x + y * y)


def sd_circle(f: Frame, r: float) -> np.ndarray:
    return length(f.x, f.y) - float(r)


def sd_ellipse(f: Frame, a: float, b: float) -> np.ndarray:
    a, b = float(a), float(b)
    # Quilez's first-order ellipse distance: exact on the boundary, which is all soft
    # edges need, and far cheaper than the exact quartic solution.
    k0 = length(f.x / a, f.y / b)
    k1 = length(f.x / (a * a), f.y / (b * b))
    return k0 * (k0 - 1.0) / np.maximum(k1, 1e-9)


def sd_box(f: Frame, w: float, h: float, r: float = 0.0) -> np.ndarray:
    """Box of half-sizes w, h with corners rounded by r."""
    w, h = float(w), float(h)
    r = min(float(r), w, h)
    qx = np.abs(f.x) - w + r
    qy = np.abs(f.y) - h + r
    outside = length(np.maximum(qx, 0.0), np.maximum(qy, 0.0))
    return outside + np.minimum(np.maximum(qx, qy), 0.0) - r


def sd_segment(f: Frame, x0: float, y0: float, x1: float, y1: float, r: float) -> np.ndarray:
    """Capsule: all points within r of the segment (x0, y0)-(x1, y1)."""
    x0, y0, x1, y1, r = float(x0), float(y0), float(x1), float(y1), float(r)
    dx, dy = x1 - x0, y1 - y0
    px, py = f.x - x0, f.y - y0
    t = np.clip((px * dx + py * dy) / max(dx * dx + dy * dy, 1e-12), 0.0, 1.0)
    return length(px - t * dx, py - t * dy) - r


def sd_arc(f: Frame, half_width: float, bend: float, thickness: float) -> np.ndarray:
    """Stroke along the parabola y = bend * (x^2 - half_width^2), ends at y = 0.

    Positive bend curves the middle up (a smile seen on screen), negative down.
    """
    half_width, bend, thickness = float(half_width), float(bend), float(thickness)
    curve = bend * (f.x * f.x - half_width * half_width)
    slope = 2.0 * bend * f.x
    across = np.abs(f.y - curve) / np.sqrt(1.0 + slope * slope) - thickness
    along = np.abs(f.x) - half_width
    return np.maximum(across, along)


def sd_polygon(f: Frame, points: np.ndarray) -> np.ndarray:
    """Exact distance to a closed polygon given as (n, 2) vertices (Quilez's winding test)."""
    d = (f.x - float(points[0, 0])) ** 2 + (f.y - float(points[0, 1])) ** 2
    sign = np.ones_like(f.x)
    n = len(points)
    for i in range(n):
        ax, ay = (float(v) for v in points[i - 1])  # Python floats keep the grid's float32
        bx, by = (float(v) for v in points[i])
        ex, ey = ax - bx, ay - by
        wx, wy = f.x - bx, f.y - by
        t = np.clip((wx * ex + wy * ey) / (ex * ex + ey * ey), 0.0, 1.0)
        d = np.minimum(d, (wx - ex * t) ** 2 + (wy - ey * t) ** 2)
        c1 = f.y >= by
        c2 = f.y < ay
        c3 = ex * wy > ey * wx
        flip = (c1 & c2 & c3) | (~c1 & ~c2 & ~c3)
        sign = np.where(flip, -sign, sign)
    return sign * np.sqrt(d)


def sd_radial(f: Frame, radius: float, harmonics: np.ndarray, phases: np.ndarray) -> np.ndarray:
    """Star-shaped outline r(theta) = radius * (1 + sum_k a_k cos(k theta + phi_k)).

    harmonics[k-1] is a_k. The radial gap is divided by the outline's slope so the edge
    stays about one pixel soft however wavy the outline is.
    """
    r = length(f.x, f.y)
    # Powers of the unit complex number e^{i theta} give every cos(k theta + phi) and its
    # derivative with one multiply per harmonic instead of an arctan and two trig calls.
    z = (f.x + 1j * f.y) / np.maximum(r, 1e-9)  # complex64, as the grid is float32
    zk = np.ones_like(z)
    wave = np.zeros_like(z)
    slope = np.zeros_like(z)
    for k, (a, phi) in enumerate(zip(harmonics, phases), start=1):
        zk = zk * z
        if a:
            term = complex(a * cmath.exp(1j * phi)) * zk
            wave += term
            slope += k * term
    radius = float(radius)
    rt = radius * (1.0 + wave.real)
    drt = -radius * slope.imag
    return (r - rt) / np.sqrt(1.0 + (drt / np.maximum(rt, 1e-6)) ** 2)


def sd_regular_polygon(f: Frame, r: float, n: int) -> np.ndarray:
    """Regular n-gon with circumradius r, a vertex pointing up."""
    sector = 2.0 * np.pi / n
    theta = np.arctan2(f.x, -f.y)
    local = (theta + sector / 2.0) % sector - sector / 2.0
    dist = length(f.x, f.y)
    apothem = float(r) * math.cos(sector / 2.0)
    return dist * np.cos(local) - apothem


def sd_ring(d: np.ndarray, thickness: float) -> np.ndarray:
    """Turn any filled shape's field into an outline of the given half-thickness."""
    return np.abs(d) - float(thickness)


def union(*ds: np.ndarray) -> np.ndarray:
    return np.minimum.reduce(ds)


def subtract(d: np.ndarray, cut: np.ndarray) -> np.ndarray:
    return np.maximum(d, -cut)


# --- compositing ------------------------------------------------------------------------


def paint(canvas: np.ndarray, alpha: np.ndarray, colour: np.ndarray) -> None:
    """Composite colour (a (3, 1, 1) colour or a (3, H, W) field) over canvas in place."""
    canvas += alpha * (colour - canvas)


def fill(
    canvas: np.ndarray, f: Frame, d: np.ndarray, colour: np.ndarray, opacity: float = 1.0
) -> np.ndarray:
    """Paint the inside of d; returns the coverage so callers can reuse it as a mask."""
    a = f.coverage(d)
    paint(canvas, a * opacity if opacity != 1.0 else a, colour)
    return a


def shade(d: np.ndarray, depth: float, strength: float) -> np.ndarray:
    """Multiplicative rim darkening from a shape's field, so filled shapes look rounded."""
    return 1.0 - strength * np.clip(1.0 + d / depth, 0.0, 1.0)
