"""ImageNet (ILSVRC-2012 classification): wnid folders for train; val as folders or flat + CSV."""

from __future__ import annotations

import csv
from pathlib import Path

from .common import (
    SourceImage,
    check_root,
    class_folder_images,
    layout_error,
    list_images,
    list_subdirs,
    require_images,
)

NAME = "imagenet"
SOLUTION_CSV = "LOC_val_solution.csv"
SKETCH = f"""\
  <root>/
    train/<wnid>/<image>.JPEG         e.g. train/n01440764/n01440764_10026.JPEG
    val/<wnid>/<image>.JPEG           either class folders ...
    val/<image>.JPEG                  ... or flat, labelled by {SOLUTION_CSV}
    {SOLUTION_CSV}              header ImageId,PredictionString (or option val_labels)
  (train or val may be absent, not both; val becomes split "test")
"""


def read(root, *, val_labels=None) -> list[SourceImage]:
    root = check_root(root, NAME, SKETCH)
    train, val = root / "train", root / "val"
    if not train.is_dir() and not val.is_dir():
        raise layout_error(NAME, SKETCH, root, "neither a 'train' nor a 'val' folder")
    images = class_folder_images(train, "train") if train.is_dir() else []
    if val.is_dir():
        images += _read_val(
            val, Path(val_labels) if val_labels is not None else root / SOLUTION_CSV
        )
    return require_images(images, NAME, SKETCH, root)


def _read_val(val: Path, labels_csv: Path) -> list[SourceImage]:
    flat, folders = list_images(val), list_subdirs(val)
    if flat and folders:
        # Half-sorted val (e.g. an interrupted reorganisation script): neither reading is right.
        raise layout_error(NAME, SKETCH, val, "val holds both loose images and class folders")
    if not flat:
        return class_folder_images(val, "test")
    labels = _read_solution(labels_csv.expanduser().absolute())
    images = []
    for path in flat:
        if path.stem not in labels:
            raise layout_error(NAME, SKETCH, path, f"val image has no ground truth in {labels_csv}")
        images.append(SourceImage(path, labels[path.stem], "test"))
    return images


def _read_solution(labels_csv: Path) -> dict[str, str]:
    """ImageId -> wnid; the PredictionString's boxes all carry the one class, so its first word."""
    if not labels_csv.is_file():
        raise layout_error(
            NAME, SKETCH, labels_csv, "val images are flat but the ground-truth CSV is missing"
        )
    with open(labels_csv, newline="") as f:
        rows = csv.DictReader(f)
        if not {"ImageId", "PredictionString"} <= set(rows.fieldnames or ()):
            raise layout_error(
                NAME,
                SKETCH,
                labels_csv,
                f"header {rows.fieldnames} is not ImageId,PredictionString",
            )
        labels = {}
        for row in rows:
            words = (row["PredictionString"] or "").split()
            if not words:
                raise layout_error(
                    NAME, SKETCH, labels_csv, f"empty PredictionString for {row['ImageId']!r}"
                )
            labels[row["ImageId"]] = words[0]
    return labels
