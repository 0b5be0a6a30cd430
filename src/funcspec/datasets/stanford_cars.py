"""Stanford Cars, original release: flat image folders, labels and boxes in MATLAB .mat files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import scipy.io

from .common import SourceImage, check_root, layout_error, list_images, require_images

NAME = "stanford_cars"
TEST_LABELS = "cars_test_annos_withlabels.mat"
SKETCH = f"""\
  <root>/
    cars_train/<nnnnn>.jpg
    cars_test/<nnnnn>.jpg
    devkit/cars_meta.mat              class_names
    devkit/cars_train_annos.mat       annotations: bbox_x1, bbox_y1, bbox_x2, bbox_y2, class, fname
    {TEST_LABELS}  (in <root>/ or <root>/devkit/; devkit/cars_test_annos.mat has no labels)
  (cars_train or cars_test may be absent, not both)
"""
ANNOTATION_FIELDS = ("bbox_x1", "bbox_y1", "bbox_x2", "bbox_y2", "class", "fname")


def read(root, *, crop: bool = False) -> list[SourceImage]:
    root = check_root(root, NAME, SKETCH)
    devkit = root / "devkit"
    folders = {"train": root / "cars_train", "test": root / "cars_test"}
    if not any(d.is_dir() for d in folders.values()):
        raise layout_error(NAME, SKETCH, root, "neither a 'cars_train' nor a 'cars_test' folder")
    class_names = [
        _unwrap(name, devkit / "cars_meta.mat", "class_names")
        for name in np.ravel(_load(devkit / "cars_meta.mat", "class_names"))
    ]
    annotation_files = {
        "train": devkit / "cars_train_annos.mat",
        "test": _find_test_labels(root, devkit),
    }
    images = []
    for split, folder in folders.items():
        if folder.is_dir():
            images += _read_split(folder, split, annotation_files[split], class_names, crop)
    return require_images(images, NAME, SKETCH, root)


def _find_test_labels(root: Path, devkit: Path) -> Path:
    for candidate in (root / TEST_LABELS, devkit / TEST_LABELS):
        if candidate.is_file():
            return candidate
    return root / TEST_LABELS  # missing: _load reports it if cars_test is there to need it


def _read_split(
    folder: Path, split: str, mat_path: Path, class_names: list[str], crop: bool
) -> list[SourceImage]:
    annotations = {}
    for record in np.ravel(_load(mat_path, "annotations")):
        fields = record.dtype.names or ()
        missing = [f for f in ANNOTATION_FIELDS if f not in fields]
        if missing:
            raise layout_error(NAME, SKETCH, mat_path, f"annotations lack fields {missing}")
        values = {f: _unwrap(record[f], mat_path, f) for f in ANNOTATION_FIELDS}
        class_index = int(values["class"])  # 1-based, MATLAB style
        if not 1 <= class_index <= len(class_names):
            raise layout_error(
                NAME,
                SKETCH,
                mat_path,
                f"class {class_index} of {values['fname']} is outside 1..{len(class_names)}",
            )
        box = tuple(int(values[f]) for f in ANNOTATION_FIELDS[:4]) if crop else None
        annotations[str(values["fname"])] = (class_names[class_index - 1], box)
    on_disk = {path.name: path for path in list_images(folder)}
    for fname in annotations:
        if fname not in on_disk:
            raise layout_error(
                NAME, SKETCH, folder / fname, f"image annotated in {mat_path} does not exist"
            )
    images = []
    for fname, path in on_disk.items():
        if fname not in annotations:
            raise layout_error(NAME, SKETCH, path, f"image has no annotation in {mat_path}")
        label, box = annotations[fname]
        images.append(SourceImage(path, label, split, box))
    return images


def _load(mat_path: Path, variable: str) -> np.ndarray:
    if not mat_path.is_file():
        raise layout_error(NAME, SKETCH, mat_path, "missing annotation file")
    try:
        contents = scipy.io.loadmat(mat_path)
    except Exception as e:  # scipy raises several unrelated types for a damaged file
        raise layout_error(NAME, SKETCH, mat_path, f"unreadable .mat file ({e})") from None
    if variable not in contents:
        raise layout_error(NAME, SKETCH, mat_path, f"no variable {variable!r}")
    return contents[variable]


def _unwrap(value, mat_path: Path, field: str):
    """The one scalar or string inside loadmat's nesting, e.g. array([[array(['x'])]])."""
    while isinstance(value, np.ndarray):
        if value.size != 1:
            raise layout_error(
                NAME, SKETCH, mat_path, f"field {field!r} holds {value.size} values, expected one"
            )
        value = value.flat[0]
    return str(value) if isinstance(value, str) else value
