"""Procedural stand-ins for the study's datasets: faces, objects, cars and food.

Every image is a pure function of (domain, seed, class_index, index, size, greyscale,
recolour, shared_parts): class parameters come from the `class_appearance` stream of (seed,
domain, class_index) and the options, and the image's own nuisance from the `image` stream of
(seed, domain, class_index, index) (funcspec.streams), so any image can be regenerated alone,
in any order, with identical pixels. `generate` also writes the options and each class's
share of object-grammar parts to out_dir/generator.json (`read_metadata`).
"""

from __future__ import annotations

import json
import os
import shutil
from functools import lru_cache
from multiprocessing import get_context
from pathlib import Path

import numpy as np
from PIL import Image
from tqdm import tqdm

from .. import streams
from ..atomic import atomic_path
from ..errors import FuncspecError
from . import cars, faces, food, objects, scene
from .colours import CLASS_RECOLOUR_RATE

DOMAINS = ("faces", "objects", "cars", "food")
_MODULES = {"faces": faces, "objects": objects, "cars": cars, "food": food}
_PREFIXES = {"faces": "face", "objects": "object", "cars": "car", "food": "food"}
_PNG_COMPRESS_LEVEL = 6  # fixed, so PNG bytes are identical across runs
METADATA = "generator.json"


def _check_domain(domain: str) -> None:
    if domain not in _MODULES:
        raise FuncspecError(f"unknown domain {domain!r}; valid domains: {', '.join(DOMAINS)}")


def _check_count(name: str, value: int, minimum: int = 1) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise FuncspecError(f"{name} must be an integer >= {minimum}, got {value!r}")


def _check_share(name: str, value: float) -> None:
    number = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
        value, bool
    )
    if not number or not 0.0 <= value <= 1.0:  # also refuses NaN
        raise FuncspecError(f"{name} must be a number in [0, 1], got {value!r}")


def _check_options(domain: str, recolour: float, shared_parts: float) -> None:
    _check_share("recolour", recolour)
    _check_share("shared_parts", shared_parts)
    if shared_parts and domain != "food":
        raise FuncspecError(
            f"shared_parts is food's alone (the share of a dish's parts drawn from the object "
            f"grammar); got {shared_parts!r} for {domain}"
        )


def class_name(domain: str, class_index: int) -> str:
    """Folder name of a class, e.g. 'face0007'."""
    _check_domain(domain)
    _check_count("class_index", class_index, 0)
    return f"{_PREFIXES[domain]}{class_index:04d}"


@lru_cache(maxsize=512)
def _class_params(
    domain: str,
    seed: int,
    class_index: int,
    recolour: float = CLASS_RECOLOUR_RATE,
    shared_parts: float = 0.0,
) -> dict:
    rng = streams.rng("class_appearance", seed, domain, class_index)
    if domain == "food":
        params = food.class_params(rng, shared_parts)
    else:
        params = _MODULES[domain].class_params(rng)
    return {**params, "recolour": recolour}


def _object_share(domain: str, params: dict) -> float:
    return food.object_share(params) if domain == "food" else 0.0


def render(
    domain: str,
    seed: int,
    class_index: int,
    index: int,
    size: int,
    greyscale: bool = False,
    *,
    recolour: float = CLASS_RECOLOUR_RATE,
    shared_parts: float = 0.0,
) -> np.ndarray:
    """One image as uint8 (size, size, 3); greyscale gives three equal luminance channels.

    recolour: the share of images whose class colours (a face's skin and, separately, its
    hair; an object's palette; a dish's pile and toppings) are replaced by fresh draws. Cars
    have no class colour, their paint being drawn for every image, so it leaves them as
    they are. shared_parts (food only): the share of a dish's parts drawn from the object
    grammar (funcspec.generate.food).
    """
    _check_domain(domain)
    _check_count("seed", seed, 0)
    _check_count("class_index", class_index, 0)
    _check_count("index", index, 0)
    _check_count("size", size)
    _check_options(domain, recolour, shared_parts)
    module = _MODULES[domain]
    params = _class_params(
        domain, int(seed), int(class_index), float(recolour), float(shared_parts)
    )
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
    domain, out_dir, class_index, images_per_class, size, seed, greyscale, options = job
    final = Path(out_dir) / class_name(domain, class_index)
    partial = final.with_name(f".{final.name}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    for index in range(images_per_class):
        img = render(domain, seed, class_index, index, size, greyscale, **options)
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
    *,
    recolour: float = CLASS_RECOLOUR_RATE,
    shared_parts: float = 0.0,
) -> None:
    """Write out_dir/<class_name>/<index:04d>.png for every class and image index, then
    out_dir/generator.json (see `render` for recolour and shared_parts)."""
    _check_domain(domain)
    _check_count("n_classes", n_classes)
    _check_count("images_per_class", images_per_class)
    _check_count("size", size)
    _check_count("seed", seed, 0)
    _check_count("workers", workers)
    _check_options(domain, recolour, shared_parts)
    options = {"recolour": float(recolour), "shared_parts": float(shared_parts)}
    # A tree being redrawn must not keep metadata of the arguments it was drawn with before.
    Path(out_dir, METADATA).unlink(missing_ok=True)
    jobs = [
        (domain, str(out_dir), c, images_per_class, size, seed, greyscale, options)
        for c in range(n_classes)
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
    args = dict(
        domain=domain,
        classes=int(n_classes),
        images_per_class=int(images_per_class),
        size=int(size),
        seed=int(seed),
        greyscale=bool(greyscale),
        **options,
    )
    _write_metadata(out_dir, _metadata(args))


def _metadata(args: dict) -> dict:
    """The generator's arguments and, per class, the share of its parts from the object
    grammar: what was drawn, which a request rounds to quarters (funcspec.generate.food)."""
    domain = args["domain"]

    def share(c: int) -> float:
        params = _class_params(domain, args["seed"], c, args["recolour"], args["shared_parts"])
        return _object_share(domain, params)

    per_class = [
        {"name": class_name(domain, c), "shared_parts": share(c)} for c in range(args["classes"])
    ]
    return {**args, "per_class": per_class}


def _write_metadata(out_dir, meta: dict) -> None:
    # Sorted keys and fixed indentation: the same arguments give the same bytes.
    with atomic_path(Path(out_dir) / METADATA) as tmp:
        tmp.write_text(json.dumps(meta, sort_keys=True, indent=1) + "\n")


def read_metadata(out_dir) -> dict:
    """The generator.json that `generate` wrote into out_dir."""
    path = Path(out_dir) / METADATA
    if not path.is_file():
        raise FuncspecError(
            f"no {METADATA} in {out_dir}: not drawn by funcspec.generate, or drawn before it "
            "recorded its arguments"
        )
    return json.loads(path.read_text())


def add_arguments(p) -> None:
    p.add_argument("--domain", required=True)
    p.add_argument("--classes", type=int, required=True)
    p.add_argument("--images-per-class", type=int, required=True)
    p.add_argument("--size", type=int, required=True)
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--greyscale", action="store_true")
    p.add_argument(
        "--recolour", type=float, required=True, help="share of images given shared colours"
    )
    p.add_argument(
        "--shared-parts", type=float, required=True, help="share of food parts from objects"
    )
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--out", required=True)


def main(args) -> list:
    generate(
        args.domain,
        args.out,
        n_classes=args.classes,
        images_per_class=args.images_per_class,
        size=args.size,
        seed=args.seed,
        greyscale=args.greyscale,
        workers=args.workers,
        recolour=args.recolour,
        shared_parts=args.shared_parts,
    )
    return [args.out]
