"""Tiny dataset trees in the exact published layouts, for tests.

Each fabricate_<layout>(root, ...) writes real (tiny, decodable) images named as the published
release names them, plus the published metadata files, and returns root. Every image has its
own pixels (noise seeded by its relative path), so content hashes differ and are reproducible.
fabricate_lesion_table writes a lesion table as the lesion step writes it.
"""

from __future__ import annotations

import csv
import zlib
from pathlib import Path

import numpy as np
import scipy.io
from PIL import Image

from funcspec.atomic import write_csv

FOOD_CLASSES = [
    "apple_pie",
    "baby_back_ribs",
    "baklava",
    "beef_carpaccio",
    "beef_tartare",
    "beet_salad",
]
# The columns of a lesion table, in the order funcspec.lesion writes them.
LESION_COLUMNS = [
    "network",
    "layer",
    "n_units",
    "lesion",
    "draw",
    "fraction",
    "n_lesioned",
    "task",
    "n_images",
    "accuracy",
    "loss",
    "accuracy_unlesioned",
    "drop",
]
CAR_CLASSES = [
    "AM General Hummer SUV 2000",
    "Acura RL Sedan 2012",
    "Acura TL Sedan 2012",
    "Acura TL Type-S 2008",
    "Acura TSX Sedan 2012",
    "Acura Integra Type R 2001",
]


def class_names(published: list[str], n: int, stem: str) -> list[str]:
    """The first n published names, continued with made-up ones when n asks for more."""
    return published[:n] + [f"{stem}_{i}" for i in range(len(published), n)]


def write_image(path: Path, root: Path, size: tuple[int, int]) -> Path:
    """A small RGB noise image; its format follows the suffix (.JPEG included)."""
    seed = zlib.crc32(path.relative_to(root).as_posix().encode())
    pixels = np.random.default_rng(seed).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path)
    return path


def fabricate_corrupt_image(path) -> Path:
    """A file with an image suffix whose bytes are not an image."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"this is not an image\x00\xff\x13" * 4)
    return path


def vggface2_box(index: int, size: tuple[int, int]) -> tuple[int, int, int, int]:
    """The loose box (X, Y, W, H) fabricated for the index-th image of an identity."""
    return (index + 1, 2, size[0] // 2, size[1] // 2)


def fabricate_vggface2(
    root, n_classes=3, per_class=4, size=(40, 32), n_test_classes=2, test_per_class=2
) -> Path:
    """train/n000001.. and test/ identities (disjoint, as published), images NNNN_01.jpg,
    bb_landmark/loose_bb_{train,test}.csv with a box row for every image."""
    root = Path(root)
    identity = 0
    for split, classes, per in (
        ("train", n_classes, per_class),
        ("test", n_test_classes, test_per_class),
    ):
        rows = []
        for _ in range(classes):
            identity += 1
            name = f"n{identity:06d}"
            for j in range(per):
                write_image(root / split / name / f"{j + 1:04d}_01.jpg", root, size)
                rows.append([f"{name}/{j + 1:04d}_01", *vggface2_box(j, size)])
        (root / "bb_landmark").mkdir(parents=True, exist_ok=True)
        with open(root / "bb_landmark" / f"loose_bb_{split}.csv", "w", newline="") as f:
            writer = csv.writer(
                f, quoting=csv.QUOTE_NONNUMERIC
            )  # published: quoted header, bare numbers
            writer.writerow(["NAME_ID", "X", "Y", "W", "H"])
            writer.writerows(rows)
    return root


def imagenet_wnid(index: int) -> str:
    return f"n{1440764 + index:08d}"


def fabricate_imagenet(
    root, n_classes=3, per_class=4, size=(40, 32), val_per_class=2, flat_val=True, labels_csv=None
) -> Path:
    """train/<wnid>/<wnid>_N.JPEG; val/ flat ILSVRC2012_val_NNNNNNNN.JPEG labelled by
    LOC_val_solution.csv (at root, or at labels_csv), or val/<wnid>/ folders if not flat_val."""
    root = Path(root)
    rows, val_index = [], 0
    for i in range(n_classes):
        wnid = imagenet_wnid(i)
        for j in range(per_class):
            write_image(root / "train" / wnid / f"{wnid}_{j + 1}.JPEG", root, size)
        for _ in range(val_per_class):
            val_index += 1
            image_id = f"ILSVRC2012_val_{val_index:08d}"
            val_dir = root / "val" if flat_val else root / "val" / wnid
            write_image(val_dir / f"{image_id}.JPEG", root, size)
            rows.append(
                [image_id, f"{wnid} 1 2 20 30 {wnid} 3 4 25 28 "]
            )  # published: trailing space
    if flat_val:
        labels_csv = Path(labels_csv) if labels_csv is not None else root / "LOC_val_solution.csv"
        labels_csv.parent.mkdir(parents=True, exist_ok=True)
        with open(labels_csv, "w", newline="") as f:
            csv.writer(f).writerows([["ImageId", "PredictionString"], *rows])
    return root


def fabricate_food101(root, n_classes=3, per_class=4, size=(40, 32), test_per_class=2) -> Path:
    """images/<class>/<id>.jpg, meta/{train,test}.txt and meta/classes.txt; the first per_class
    ids of a class are train, the next test_per_class test."""
    root = Path(root)
    lines = {"train": [], "test": []}
    for i, label in enumerate(class_names(FOOD_CLASSES, n_classes, "food")):
        for j in range(per_class + test_per_class):
            image_id = str(100000 * (i + 1) + j)
            write_image(root / "images" / label / f"{image_id}.jpg", root, size)
            lines["train" if j < per_class else "test"].append(f"{label}/{image_id}")
    (root / "meta").mkdir(parents=True, exist_ok=True)
    for split, entries in lines.items():
        (root / "meta" / f"{split}.txt").write_text("\n".join(entries) + "\n")
    (root / "meta" / "classes.txt").write_text(
        "\n".join(class_names(FOOD_CLASSES, n_classes, "food")) + "\n"
    )
    return root


def cars_bbox(index: int, size: tuple[int, int]) -> tuple[int, int, int, int]:
    """(x1, y1, x2, y2) fabricated for the index-th image of a split."""
    return (1 + index % 3, 2, size[0] - 2, size[1] - 1 - index % 2)


def _cars_annotations(
    entries: list[tuple[str, int, tuple[int, int, int, int]]], with_class: bool
) -> np.ndarray:
    """A 1xN MATLAB struct array shaped as published: every field a 1x1 matrix or a string."""
    fields = (
        ["bbox_x1", "bbox_y1", "bbox_x2", "bbox_y2"] + (["class"] if with_class else []) + ["fname"]
    )
    annotations = np.empty((1, len(entries)), dtype=[(f, object) for f in fields])
    for k, (fname, class_index, box) in enumerate(entries):
        values = [np.array([[v]], dtype=np.uint16) for v in box]
        if with_class:
            values.append(np.array([[class_index]], dtype=np.uint8))
        annotations[0, k] = (*values, fname)
    return annotations


def fabricate_stanford_cars(
    root, n_classes=3, per_class=4, size=(40, 32), test_per_class=2, test_labels_in="root"
) -> Path:
    """cars_train/, cars_test/ (NNNNN.jpg), devkit/cars_meta.mat, devkit/cars_train_annos.mat,
    devkit/cars_test_annos.mat (unlabelled, as published) and cars_test_annos_withlabels.mat in
    root/ or root/devkit/ (test_labels_in="root" or "devkit"). Classes interleave over file
    numbers."""
    root = Path(root)
    devkit = root / "devkit"
    devkit.mkdir(parents=True, exist_ok=True)
    splits = {"train": ("cars_train", per_class), "test": ("cars_test", test_per_class)}
    annotations = {}
    for split, (folder, per) in splits.items():
        entries = []
        for k in range(n_classes * per):
            fname = f"{k + 1:05d}.jpg"
            write_image(root / folder / fname, root, size)
            entries.append((fname, k % n_classes + 1, cars_bbox(k, size)))
        annotations[split] = entries
    names = np.empty((1, n_classes), dtype=object)
    names[0, :] = class_names(CAR_CLASSES, n_classes, "Car Model")
    scipy.io.savemat(devkit / "cars_meta.mat", {"class_names": names})
    scipy.io.savemat(
        devkit / "cars_train_annos.mat",
        {"annotations": _cars_annotations(annotations["train"], True)},
    )
    scipy.io.savemat(
        devkit / "cars_test_annos.mat",
        {"annotations": _cars_annotations(annotations["test"], False)},
    )
    labelled_dir = {"root": root, "devkit": devkit}[test_labels_in]
    scipy.io.savemat(
        labelled_dir / "cars_test_annos_withlabels.mat",
        {"annotations": _cars_annotations(annotations["test"], True)},
    )
    return root


def fabricate_compcars(root, models=((1, 1), (1, 2)), per_model=3, size=(40, 32)) -> Path:
    """CompCars' data/ tree: image/<make>/<model>/<year>/<name>.jpg over two years, a label file
    per image (viewpoint, box count, box), and a classification split listing the first model's
    images only (as the published split lists 431 of 1,716 models)."""
    root = Path(root)
    split = {"train": [], "test": []}
    for m, (make, model) in enumerate(models):
        for k in range(per_model):
            relative = f"{make}/{model}/{2010 + k % 2}/img{k:02d}.jpg"
            write_image(root / "image" / relative, root, size)
            label = (root / "label" / relative).with_suffix(".txt")
            label.parent.mkdir(parents=True, exist_ok=True)
            label.write_text(f"3\n1\n{1 + k} 2 {size[0] - 2} {size[1] - 1}\n")
            if m == 0:
                split["test" if k == per_model - 1 else "train"].append(relative)
    lists = root / "train_test_split" / "classification"
    lists.mkdir(parents=True, exist_ok=True)
    for name, entries in split.items():
        (lists / f"{name}.txt").write_text("".join(f"{e}\n" for e in entries))
    return root


def fabricate_split_folders(
    root, n_classes=3, per_class=4, size=(40, 32), test_per_class=2
) -> Path:
    """train/<class>/NNNN.png and test/<class>/NNNN.png."""
    root = Path(root)
    for split, per in (("train", per_class), ("test", test_per_class)):
        for label in class_names(CAR_CLASSES, n_classes, "Car Model"):
            for j in range(per):
                write_image(root / split / label / f"{j:04d}.png", root, size)
    return root


def fabricate_folder(root, n_classes=3, per_class=4, size=(40, 32)) -> Path:
    """<class>/NNNN.png with classes class_0, class_1, ..."""
    root = Path(root)
    for i in range(n_classes):
        for j in range(per_class):
            write_image(root / f"class_{i}" / f"{j:04d}.png", root, size)
    return root


def fabricate_lesion_table(path, rows: list[dict]) -> Path:
    """A lesion table of `rows` at `path`, written by the writer the lesion step uses."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_csv(path, rows, LESION_COLUMNS)
    return path
