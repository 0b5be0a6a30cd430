"""Class folders under train/ and test/, the usual re-release of a set (e.g. a car-model set)."""

from __future__ import annotations

from .common import SourceImage, check_root, class_folder_images, layout_error, require_images

NAME = "split_folders"
SPLITS = ("train", "test")
SKETCH = """\
  <root>/
    train/<class>/<image>
    test/<class>/<image>              (train or test may be absent, not both)
"""


def read(root) -> list[SourceImage]:
    root = check_root(root, NAME, SKETCH)
    splits = [s for s in SPLITS if (root / s).is_dir()]
    if not splits:
        raise layout_error(NAME, SKETCH, root, "neither a 'train' nor a 'test' folder")
    images = [image for split in splits for image in class_folder_images(root / split, split)]
    return require_images(images, NAME, SKETCH, root)
