"""Food-101 as published: images/<class>/<id>.jpg, with the split given by meta/{train,test}.txt."""

from __future__ import annotations

from pathlib import Path

from .common import SourceImage, check_root, layout_error, list_images, require_images

NAME = "food101"
SPLITS = ("train", "test")
SKETCH = """\
  <root>/
    images/<class>/<id>.jpg           e.g. images/apple_pie/1005649.jpg
    meta/train.txt                    one "<class>/<id>" per line, e.g. apple_pie/1005649
    meta/test.txt
"""


def read(root) -> list[SourceImage]:
    root = check_root(root, NAME, SKETCH)
    images_dir = root / "images"
    if not images_dir.is_dir():
        raise layout_error(NAME, SKETCH, images_dir, "missing images folder")
    split_files = {split: root / "meta" / f"{split}.txt" for split in SPLITS}
    for path in split_files.values():
        if not path.is_file():
            raise layout_error(NAME, SKETCH, path, "missing split file")
    # One listing per class folder instead of one stat per listed image: ~100 calls, not ~100k.
    on_disk: dict[str, dict[str, Path]] = {}
    images = []
    for split, list_file in split_files.items():
        for entry in list_file.read_text().split():
            label, _, image_id = entry.partition("/")
            if label not in on_disk:
                class_dir = images_dir / label
                on_disk[label] = (
                    {p.stem: p for p in list_images(class_dir)} if class_dir.is_dir() else {}
                )
            path = on_disk[label].get(image_id)
            if not image_id or path is None:
                raise layout_error(
                    NAME,
                    SKETCH,
                    images_dir / f"{entry}.jpg",
                    f"image listed in {list_file} does not exist",
                )
            images.append(SourceImage(path, label, split))
    return require_images(images, NAME, SKETCH, root)
