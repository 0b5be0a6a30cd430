"""Readers for datasets in their published layouts.

They list images (path, label, split, optional crop box) and decode nothing: the prepare step
reads pixels later, so listing a million-image set stays cheap.
"""

from __future__ import annotations

import hashlib
import inspect
import os
from collections.abc import Callable
from pathlib import Path

from ..errors import FuncspecError
from . import compcars, folder, food101, imagenet, split_folders, stanford_cars, vggface2
from .common import IMAGE_EXTENSIONS, LayoutError, SourceImage

__all__ = [
    "IMAGE_EXTENSIONS",
    "LAYOUTS",
    "LayoutError",
    "SourceImage",
    "layout_options",
    "read_layout",
    "root_fingerprint",
]

LAYOUTS: dict[str, Callable[..., list[SourceImage]]] = {
    module.NAME: module.read
    for module in (vggface2, imagenet, food101, stanford_cars, compcars, split_folders, folder)
}


def root_fingerprint(root) -> str:
    """sha256 over the path, size and modification time of every file below a dataset root.

    Cheap (one stat per file, nothing read) and enough to see an image overwritten, added or
    deleted: prepare takes it as a parameter, so such a change reruns preparation. Hidden
    names are left out and linked folders followed, as the readers do.
    """
    root = Path(root)
    lines = []
    for parent, subfolders, files in os.walk(root, followlinks=True):
        subfolders[:] = sorted(d for d in subfolders if not d.startswith("."))
        for name in sorted(f for f in files if not f.startswith(".")):
            stat = os.stat(os.path.join(parent, name))
            relative = Path(parent, name).relative_to(root).as_posix()
            lines.append(f"{relative} {stat.st_size} {stat.st_mtime_ns}\n")
    return hashlib.sha256("".join(lines).encode()).hexdigest()


def layout_options(layout: str) -> list[str]:
    """The options a layout's reader accepts (its keyword-only parameters)."""
    parameters = inspect.signature(LAYOUTS[layout]).parameters.values()
    return [p.name for p in parameters if p.kind is p.KEYWORD_ONLY]


def read_layout(layout: str, root, **options) -> list[SourceImage]:
    """Images of the dataset at root, sorted by (split, label, path).

    Options are checked here rather than left to Python's call error so that the message names
    the layout and the options it does accept, which is what a config author needs to see.
    """
    if layout not in LAYOUTS:
        raise FuncspecError(
            f"unknown dataset layout {layout!r}; valid layouts: {', '.join(sorted(LAYOUTS))}"
        )
    accepted = layout_options(layout)
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise FuncspecError(
            f"dataset layout {layout!r} has no option {', '.join(map(repr, unknown))}; "
            f"its options: {', '.join(accepted) or 'none'}"
        )
    return LAYOUTS[layout](root, **options)
