"""What every layout reader shares: the record it returns, its error, and image listing."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import FuncspecError

# Lower-case; suffixes are compared case-insensitively because ImageNet ships ".JPEG".
IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".webp", ".ppm"})


@dataclass(frozen=True)
class SourceImage:
    path: Path  # absolute path of the image file
    label: str  # class name as the layout spells it
    split: str | None  # "train" / "test" where the layout defines a split, else None
    box: tuple[int, int, int, int] | None = (
        None  # (left, top, right, bottom) when cropping is asked for
    )


class LayoutError(FuncspecError):
    """A dataset on disk does not match the layout it was declared to have."""


def layout_error(layout: str, sketch: str, path: Path, problem: str) -> LayoutError:
    """An error naming the offending path, the problem and the tree the layout expects.

    The sketch is included because the usual cause is a root pointing one level too high or
    too low, which the user can only see by comparing with the expected tree.
    """
    return LayoutError(f"{layout} layout: {problem}: {path}\nexpected layout:\n{sketch.rstrip()}")


def check_root(root, layout: str, sketch: str) -> Path:
    """The root as an absolute path (symlinks kept: users often link datasets in), or an error."""
    root = Path(root).expanduser().absolute()
    if not root.is_dir():
        problem = (
            "dataset root is not a directory" if root.exists() else "dataset root does not exist"
        )
        raise layout_error(layout, sketch, root, problem)
    return root


def is_image_name(name: str) -> bool:
    # Hidden names also cover macOS "._x.jpg" resource forks, which carry an image suffix.
    return not name.startswith(".") and os.path.splitext(name)[1].lower() in IMAGE_EXTENSIONS


def list_images(directory: Path) -> list[Path]:
    """Image files directly inside directory, sorted.

    os.scandir rather than Path.iterdir: it gets the file type from the directory entry, which
    matters on cluster file systems for folders of a million images.
    """
    with os.scandir(directory) as entries:
        return sorted(directory / e.name for e in entries if is_image_name(e.name) and e.is_file())


def list_subdirs(directory: Path) -> list[Path]:
    """Non-hidden subdirectories, sorted (hidden ones are e.g. .ipynb_checkpoints, not classes)."""
    with os.scandir(directory) as entries:
        return sorted(
            directory / e.name for e in entries if not e.name.startswith(".") and e.is_dir()
        )


def class_folder_images(directory: Path, split: str | None) -> list[SourceImage]:
    """Images of a directory/<class>/<image> tree, labelled by folder name."""
    return [
        SourceImage(path, class_dir.name, split)
        for class_dir in list_subdirs(directory)
        for path in list_images(class_dir)
    ]


def sort_images(images: list[SourceImage]) -> list[SourceImage]:
    return sorted(images, key=lambda im: (im.split or "", im.label, str(im.path)))


def require_images(
    images: list[SourceImage], layout: str, sketch: str, root: Path
) -> list[SourceImage]:
    """Sorted images, or an error: an empty dataset is always a wrong root, never a valid input."""
    if not images:
        raise layout_error(layout, sketch, root, "no image files found")
    return sort_images(images)
