"""Any class-folder tree: the label is the folder name and there is no split."""

from __future__ import annotations

from .common import (
    SourceImage,
    check_root,
    class_folder_images,
    layout_error,
    list_subdirs,
    require_images,
)

NAME = "folder"
SKETCH = """\
  <root>/
    <class>/<image>                   e.g. cat/0001.png
"""


def read(root) -> list[SourceImage]:
    root = check_root(root, NAME, SKETCH)
    if not list_subdirs(root):
        raise layout_error(NAME, SKETCH, root, "no class folders")
    return require_images(class_folder_images(root, None), NAME, SKETCH, root)
