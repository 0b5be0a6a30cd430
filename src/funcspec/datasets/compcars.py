"""CompCars (web-nature part) as published: images by make, model and year, a box per image in
label/, and the classification split in train_test_split/.

A class is a car model, "<make_id>/<model_id>", with the images of all its release years. The
classification split lists only 431 of the 1,716 models; an image it does not list has no split,
so the study's 1,109 models x (45 + 5) need `split: pooled` (the paper config's choice).
"""

from __future__ import annotations

from pathlib import Path

from .common import SourceImage, check_root, layout_error, list_images, list_subdirs, require_images

NAME = "compcars"
SPLITS = ("train", "test")
SKETCH = """\
  <root>/                                        CompCars' data/ folder
    image/<make>/<model>/<year>/<name>.jpg       e.g. image/78/1/2014/3ac218c0c6c378.jpg
    label/<make>/<model>/<year>/<name>.txt       only with crop: viewpoint, box count, "x1 y1 x2 y2"
    train_test_split/classification/train.txt    one "<make>/<model>/<year>/<name>.jpg" per line
    train_test_split/classification/test.txt
"""


def read(root, *, crop: bool = False) -> list[SourceImage]:
    root = check_root(root, NAME, SKETCH)
    images_dir = root / "image"
    if not images_dir.is_dir():
        raise layout_error(NAME, SKETCH, images_dir, "missing image folder")
    split_of = {}
    for split in SPLITS:
        list_file = root / "train_test_split" / "classification" / f"{split}.txt"
        if not list_file.is_file():
            raise layout_error(NAME, SKETCH, list_file, "missing split file")
        for entry in list_file.read_text().split():
            split_of[entry] = split
    images, listed = [], set()
    for make in list_subdirs(images_dir):
        for model in list_subdirs(make):
            for year in list_subdirs(model):
                for path in list_images(year):
                    relative = path.relative_to(images_dir).as_posix()
                    listed.add(relative)
                    box = _box(root, path, relative) if crop else None
                    label = f"{make.name}/{model.name}"
                    images.append(SourceImage(path, label, split_of.get(relative), box))
    missing = sorted(set(split_of) - listed)
    if missing:
        raise layout_error(
            NAME,
            SKETCH,
            images_dir / missing[0],
            f"{len(missing)} images of the split files missing",
        )
    return require_images(images, NAME, SKETCH, root)


def _box(root: Path, path: Path, relative: str) -> tuple[int, int, int, int]:
    """The box of label/<...>.txt: line 1 the viewpoint, line 2 the box count, line 3 the box."""
    label = (root / "label" / relative).with_suffix(".txt")
    if not label.is_file():
        raise layout_error(NAME, SKETCH, label, "crop asked for but the image has no label file")
    lines = label.read_text().split("\n")
    try:
        x1, y1, x2, y2 = (int(v) for v in lines[2].split())
    except (IndexError, ValueError):
        raise layout_error(NAME, SKETCH, label, "no 'x1 y1 x2 y2' box on its third line") from None
    return (x1, y1, x2, y2)
