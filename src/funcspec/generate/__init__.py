"""Procedural stand-ins for the study's datasets: faces, objects, cars and food.

Every image is a pure function of (domain, seed, class_index, index, size, greyscale):
class parameters come from the `class_appearance` stream of (seed, domain, class_index) and the
image's own nuisance from the `image` stream of (seed, domain, class_index, index)
(funcspec.streams), so any image can be regenerated alone, in any order, with identical pixels.
"""

from __future__ import annotations

import os
import shutil
from functools import lru_cache
from multiprocessing import get_context
from pathlib import Path

import numpy as np
from PIL import Image
from tqdm import tqdm

from .. import streams
from ..errors import FuncspecError
from . import cars, faces, food, objects, scene

DOMAINS = ("faces", "objects", "cars", "food")
_MODULES = {"faces": faces, "objects": objects, "cars": cars, "food": food}
_PREFIXES = {"faces": "face", "objects": "object", "cars": "car", "food": "food"}
_PNG_COMPRESS_LEVEL = 6  # fixed, so PNG bytes are identical across runs


def _check_domain(domain: str) -> None:
    if domain not in _MODULES:
        raise FuncspecError(f"unknown domain {domain!r}; valid domains: {', '.join(DOMAINS)}")


def _check_count(name: str, value: int, minimum: int = 1) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise FuncspecError(f"{name} must be an integer >= {minimum}, got {value!r}")


def class_name(domain: str, class_index: int) -> str:
    """Folder name of a class, e.g. 'face0007'."""
    _check_domain(domain)
    _check_count("class_index", class_index, 0)
    return f"{_PREFIXES[domain]}{class_index:04d}"


@lru_cache(maxsize=512)
def _class_params(domain: str, seed: int, class_index: int) -> dict:
    rng = streams.rng("class_appearance", seed, domain, class_index)
    return _MODULES[domain].class_params(rng)


def render(
    domain: str, seed: int, class_index: int, index: int, size: int, greyscale: bool = False
) -> np.ndarray:
    """One image as uint8 (size, size, 3); greyscale gives three equal luminance channels."""
    _check_domain(domain)
    _check_count("seed", seed, 0)
    _check_count("class_index", class_index, 0)
    _check_count("index", index, 0)
    _check_count("size", size)
    module = _MODULES[domain]
    params = _class_params(domain, int(seed), int(class_index))
    rng = streams.rng("image", seed, domain, class_index, index)
    canvas = scene.background(size, rng)
    scene.clutter(canvas, rng)
    frame = scene.pose(size, rng, module.max_rotation(params))
    module.draw(canvas, frame, params, rng)
    img = scene.finish(canvas, rng)
    return scene.to_greyscale(img) if greyscale else img


def _generate_class(job: tuple) -> None:
    """Render one class into a hidden folder, then rename it into place, so an interrupted
    run never leaves a class folder that looks complete."""
    domain, out_dir, class_index, images_per_class, size, seed, greyscale = job
    final = Path(out_dir) / class_name(domain, class_index)
    partial = final.with_name(f".{final.name}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    for index in range(images_per_class):
        img = render(domain, seed, class_index, index, size, greyscale)
        Image.fromarray(img).save(
            partial / f"{index:04d}.png", format="PNG", compress_level=_PNG_COMPRESS_LEVEL
        )
    shutil.rmtree(final, ignore_errors=True)
    os.replace(partial, final)


def generate(
    domain: str,
    out_dir,
    n_classes: int,
    images_per_class: int,
    size: int,
    seed: int,
    greyscale: bool = False,
    workers: int = 1,
    progress: bool = True,
) -> None:
    """Write out_dir/<class_name>/<index:04d>.png for every class and image index."""
    _check_domain(domain)
    _check_count("n_classes", n_classes)
    _check_count("images_per_class", images_per_class)
    _check_count("size", size)
    _check_count("seed", seed, 0)
    _check_count("workers", workers)
    jobs = [
        (domain, str(out_dir), c, images_per_class, size, seed, greyscale) for c in range(n_classes)
    ]
    bar = tqdm(total=n_classes, desc=f"generate {domain}", unit="class", disable=not progress)
    with bar:
        if workers == 1:
            for job in jobs:
                _generate_class(job)
                bar.update(1)
        else:
            # spawn, not fork: the caller may hold threads (torch) that fork would copy mid-lock.
            with get_context("spawn").Pool(min(workers, n_classes)) as pool:
                for _ in pool.imap_unordered(_generate_class, jobs):
                    bar.update(1)
