"""A labelled grid of example images, one row per dataset, for eyeballing generated data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from .atomic import atomic_path
from .errors import FuncspecError
from .shards import sample

_LABEL_WIDTH = 96
_GAP = 2


def contact_sheet(datasets, out, columns: int, seed: int) -> None:
    """The contact_sheet step: `columns` sampled images of each prepared dataset, one row each."""
    draw_sheet({Path(d).name: sample(d, columns, seed) for d in datasets}, out, columns=columns)


def draw_sheet(
    images_by_row: dict[str, np.ndarray], path, columns: int = 12, scale: int = 3
) -> None:
    """Save a PNG with one labelled row of `columns` upscaled examples per entry.

    Images are uint8 (N, H, W, 3) and share one size; rows with fewer than `columns`
    images leave the rest blank.
    """
    if not images_by_row:
        raise FuncspecError("contact_sheet needs at least one row of images")
    if columns < 1 or scale < 1:
        raise FuncspecError(f"columns and scale must be >= 1, got columns={columns}, scale={scale}")
    shapes = {images.shape[1:] for images in images_by_row.values()}
    if len(shapes) != 1 or len(next(iter(shapes))) != 3 or next(iter(shapes))[2] != 3:
        raise FuncspecError(
            f"all rows must hold uint8 (N, H, W, 3) images of one size, got shapes {sorted(shapes)}"
        )
    h, w, _ = next(iter(shapes))
    cell_h, cell_w = h * scale + _GAP, w * scale + _GAP
    sheet = Image.new(
        "RGB", (_LABEL_WIDTH + columns * cell_w, len(images_by_row) * cell_h), "white"
    )
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default()
    for row, (label, images) in enumerate(images_by_row.items()):
        top = row * cell_h
        draw.text((4, top + cell_h // 2 - 6), label, fill="black", font=font)
        for col, img in enumerate(images[:columns]):
            tile = np.repeat(
                np.repeat(np.asarray(img, dtype=np.uint8), scale, axis=0), scale, axis=1
            )
            sheet.paste(Image.fromarray(tile), (_LABEL_WIDTH + col * cell_w, top))
    with atomic_path(path) as tmp:
        sheet.save(tmp, format="PNG", compress_level=6)


INPUTS = ("datasets",)


def add_arguments(p) -> None:
    p.add_argument("--datasets", nargs="+", required=True, help="prepared dataset folders")
    p.add_argument("--columns", type=int, required=True)
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--out", required=True)


def main(args) -> list:
    contact_sheet(args.datasets, args.out, args.columns, args.seed)
    return [args.out]
