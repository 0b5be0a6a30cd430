"""VGGFace2 as published: identity folders per split, loose face boxes in bb_landmark/."""

from __future__ import annotations

import csv
from pathlib import Path

from ..errors import FuncspecError
from .common import SourceImage, check_root, class_folder_images, layout_error, require_images

NAME = "vggface2"
SPLITS = ("train", "test")
SKETCH = """\
  <root>/
    train/<identity>/<image>.jpg      e.g. train/n000002/0001_01.jpg
    test/<identity>/<image>.jpg       (train or test may be absent, not both)
    bb_landmark/loose_bb_train.csv    only with crop: "NAME_ID","X","Y","W","H"
    bb_landmark/loose_bb_test.csv
"""


def read(root, *, crop: bool = False, crop_margin: float = 0.0) -> list[SourceImage]:
    root = check_root(root, NAME, SKETCH)
    if crop_margin < 0:
        raise FuncspecError(f"{NAME} layout: crop_margin must be >= 0, got {crop_margin}")
    splits = [s for s in SPLITS if (root / s).is_dir()]
    if not splits:
        raise layout_error(NAME, SKETCH, root, "neither a 'train' nor a 'test' folder")
    images = []
    for split in splits:
        found = class_folder_images(root / split, split)
        if crop:
            found = _with_boxes(found, root, split, crop_margin)
        images += found
    return require_images(images, NAME, SKETCH, root)


def _with_boxes(
    images: list[SourceImage], root: Path, split: str, margin: float
) -> list[SourceImage]:
    csv_path = root / "bb_landmark" / f"loose_bb_{split}.csv"
    boxes = _read_boxes(csv_path)
    boxed = []
    for image in images:
        key = f"{image.label}/{image.path.stem}"  # NAME_ID carries no extension
        if key not in boxes:
            raise layout_error(NAME, SKETCH, image.path, f"image has no row {key!r} in {csv_path}")
        boxed.append(SourceImage(image.path, image.label, image.split, _box(*boxes[key], margin)))
    return boxed


def _read_boxes(csv_path: Path) -> dict[str, tuple[float, float, float, float]]:
    if not csv_path.is_file():
        raise layout_error(
            NAME, SKETCH, csv_path, "crop asked for but the loose box file is missing"
        )
    with open(csv_path, newline="") as f:
        rows = csv.DictReader(f)
        wanted = {"NAME_ID", "X", "Y", "W", "H"}
        if not wanted <= set(rows.fieldnames or ()):
            raise layout_error(
                NAME, SKETCH, csv_path, f"header {rows.fieldnames} lacks {sorted(wanted)}"
            )
        try:
            return {
                r["NAME_ID"]: (float(r["X"]), float(r["Y"]), float(r["W"]), float(r["H"]))
                for r in rows
            }
        except (TypeError, ValueError) as e:
            raise layout_error(NAME, SKETCH, csv_path, f"unreadable box row ({e})") from None


def _box(x: float, y: float, w: float, h: float, margin: float) -> tuple[int, int, int, int]:
    """Loose box enlarged by margin of its size on each side.

    Published boxes can start at negative coordinates; left/top are clamped here, right/bottom
    are left for the prepare step, which knows the image size.
    """
    dx, dy = margin * w, margin * h
    return (max(0, round(x - dx)), max(0, round(y - dy)), round(x + w + dx), round(y + h + dy))
