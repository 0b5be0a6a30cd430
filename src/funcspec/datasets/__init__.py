"""Readers for datasets in their published layouts.

They list images (path, label, split, optional crop box) and decode nothing: the prepare step
reads pixels later, so listing a million-image set stays cheap.
"""
from __future__ import annotations

import inspect
from typing import Callable

from . import folder, food101, imagenet, split_folders, stanford_cars, vggface2
from .common import IMAGE_EXTENSIONS, LayoutError, SourceImage

__all__ = ["IMAGE_EXTENSIONS", "LAYOUTS", "LayoutError", "SourceImage", "read_layout"]

LAYOUTS: dict[str, Callable[..., list[SourceImage]]] = {
    module.NAME: module.read
    for module in (vggface2, imagenet, food101, stanford_cars, split_folders, folder)
}


def read_layout(layout: str, root, **options) -> list[SourceImage]:
    """Images of the dataset at root, sorted by (split, label, path).

    Options are checked here rather than left to Python's call error so that the message names
    the layout and the options it does accept, which is what a config author needs to see.
    """
    if layout not in LAYOUTS:
        raise ValueError(f"unknown dataset layout {layout!r}; valid layouts: {', '.join(sorted(LAYOUTS))}")
    reader = LAYOUTS[layout]
    accepted = [p.name for p in inspect.signature(reader).parameters.values() if p.kind is p.KEYWORD_ONLY]
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise TypeError(
            f"dataset layout {layout!r} has no option {', '.join(map(repr, unknown))}; "
            f"its options: {', '.join(accepted) or 'none'}"
        )
    return reader(root, **options)
