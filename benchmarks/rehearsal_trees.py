"""Fabricated source trees in the published layouts, for the paper-shaped rehearsal.

    python benchmarks/rehearsal_trees.py OUT [--configfile config/paper.yaml config/rehearsal.yaml]

Writes OUT/vggface2 (train/ and test/ identities, loose boxes), OUT/imagenet (train/<wnid>/, a
flat val/ labelled by LOC_val_solution.csv), OUT/food-101 (images/, meta/{train,test}.txt) and
OUT/CompCars/data (image/<make>/<model>/<year>/, label/ boxes, the classification split), as the
releases lay them out. Every image is a JPEG of the synthetic generator's domain (faces, objects,
food, cars), so it carries the signal the networks learn, at the published sizes: faces about
250x300, ImageNet about 400x350 with varied aspect ratios and, as in ILSVRC-2012, a few
greyscale and CMYK files. Every ImageNet synset of the configured class lists gets a folder, since
preparing checks that the lists' classes exist; each class has as many images as the config asks
of any dataset that draws from it, and a few identities and car models have too few, so the
paper's on_small_class: drop is exercised.
"""

from __future__ import annotations

import argparse
import csv
from multiprocessing import Pool
from pathlib import Path

import numpy as np
from PIL import Image
from tqdm import tqdm

from funcspec.config import deep_merge, load_yaml
from funcspec.generate import render
from funcspec.prepare import read_class_list

SEED = 1
SMALL = 2  # classes fabricated with too few images, per layout that drops small classes
FOOD_NAMES = ["apple_pie", "baby_back_ribs", "baklava", "beef_carpaccio", "beef_tartare"]


def draw(job: tuple) -> None:
    """Render one generator image at about half the published size, scale it up (rendering
    cost grows with the area; a JPEG's decoding cost, which the rehearsal measures, with its
    pixels) and save it in its mode."""
    path, domain, class_index, index, (width, height), mode = job
    pixels = render(domain, SEED, class_index, index, max(width, height) // 2)
    image = Image.fromarray(pixels).resize((width, height), Image.Resampling.BILINEAR)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.convert(mode).save(path, quality=90)


def size_of(rng: np.random.Generator, width: int, height: int) -> tuple[int, int]:
    """A published-looking size: the typical one, each side varied by up to a quarter."""
    return tuple(int(s * rng.uniform(0.75, 1.25)) for s in (width, height))


def vggface2(root: Path, identities: int, test_identities: int, per_class: int, jobs: list):
    rng = np.random.default_rng(0)
    number = 0
    for split, count in (("train", identities), ("test", test_identities)):
        rows = []
        for i in range(count + SMALL):
            number += 1
            name = f"n{number:06d}"
            for j in range(per_class if i < count else 1):
                width, height = size_of(rng, 250, 300)
                stem = f"{j + 1:04d}_01"
                jobs.append(
                    (
                        root / split / name / f"{stem}.jpg",
                        "faces",
                        number,
                        j,
                        (width, height),
                        "RGB",
                    )
                )
                box = (int(0.15 * width), int(0.1 * height), int(0.7 * width), int(0.8 * height))
                rows.append([f"{name}/{stem}", *box])
        (root / "bb_landmark").mkdir(parents=True, exist_ok=True)
        with open(root / "bb_landmark" / f"loose_bb_{split}.csv", "w", newline="") as f:
            writer = csv.writer(f, quoting=csv.QUOTE_NONNUMERIC)
            writer.writerows([["NAME_ID", "X", "Y", "W", "H"], *rows])


def imagenet(root: Path, wnids: list[str], train: int, val: int, jobs: list):
    rng = np.random.default_rng(1)
    rows, number = [], 0
    for c, wnid in enumerate(wnids):
        for j in range(train + val):
            mode = "L" if number % 97 == 13 else "CMYK" if number % 131 == 7 else "RGB"
            number += 1
            if j < train:
                path = root / "train" / wnid / f"{wnid}_{j + 1}.JPEG"
            else:
                image_id = f"ILSVRC2012_val_{number:08d}"
                path = root / "val" / f"{image_id}.JPEG"
                rows.append([image_id, f"{wnid} 10 12 200 180 "])
            jobs.append((path, "objects", c, j, size_of(rng, 400, 350), mode))
    root.mkdir(parents=True, exist_ok=True)
    with open(root / "LOC_val_solution.csv", "w", newline="") as f:
        csv.writer(f).writerows([["ImageId", "PredictionString"], *rows])


def food101(root: Path, classes: int, per_class: int, jobs: list):
    rng = np.random.default_rng(2)
    names = FOOD_NAMES + [f"dish_{i}" for i in range(len(FOOD_NAMES), classes)]
    lists = {"train": [], "test": []}
    for c, name in enumerate(names[:classes]):
        for j in range(per_class):
            image_id = str(100000 + 1000 * c + j)
            jobs.append(
                (
                    root / "images" / name / f"{image_id}.jpg",
                    "food",
                    c,
                    j,
                    size_of(rng, 512, 384),
                    "RGB",
                )
            )
            lists["train" if j < 0.75 * per_class else "test"].append(f"{name}/{image_id}")
    (root / "meta").mkdir(parents=True, exist_ok=True)
    for split, entries in lists.items():
        (root / "meta" / f"{split}.txt").write_text("".join(e + "\n" for e in entries))


def compcars(root: Path, models: int, per_class: int, jobs: list):
    """Models of make 1..; each model's images spread over two release years. The published
    classification split lists only some models; the rest have no split (hence split: pooled)."""
    rng = np.random.default_rng(3)
    lists = {"train": [], "test": []}
    for m in range(models + SMALL):
        make, model = 1 + m // 3, 1 + m
        for j in range(per_class if m < models else 1):
            relative = f"{make}/{model}/{2010 + j % 2}/{m:04d}{j:04d}.jpg"
            width, height = size_of(rng, 480, 360)
            jobs.append((root / "image" / relative, "cars", m, j, (width, height), "RGB"))
            label = root / "label" / Path(relative).with_suffix(".txt")
            label.parent.mkdir(parents=True, exist_ok=True)
            box = f"{width // 10} {height // 8} {width - width // 10} {height - height // 8}"
            label.write_text(f"1\n1\n{box}\n")
            if m % 2 == 0:
                lists["train" if j else "test"].append(relative)
    split_dir = root / "train_test_split" / "classification"
    split_dir.mkdir(parents=True, exist_ok=True)
    for split, entries in lists.items():
        (split_dir / f"{split}.txt").write_text("".join(e + "\n" for e in entries))


def needs(config: dict, layout: str) -> tuple[int, int, int]:
    """(trained classes, held-out classes, images per class) the datasets of a layout ask for."""
    specs = [ds for ds in config["datasets"].values() if ds.get("layout") == layout]
    trained = max(ds["classes"]["count"] for ds in specs if ds["classes"]["count"] != "all")
    heldout = max(ds["heldout"]["count"] for ds in specs)
    per_class = max(
        max(ds["train_per_class"] + ds["test_per_class"], ds["heldout"]["images_per_class"])
        for ds in specs
    )
    return trained, heldout, per_class


def build(out: Path, config: dict) -> list[tuple]:
    """The trees' metadata files, and the images to draw."""
    jobs = []
    trained, heldout, per_class = needs(config, "vggface2")
    vggface2(out / "vggface2", 2 * trained, heldout + 1, per_class, jobs)
    objects = [ds for ds in config["datasets"].values() if ds.get("layout") == "imagenet"]
    wnids = sorted({w for ds in objects for w in read_class_list(ds["classes"]["include"])})
    extra = sorted(set(read_class_list(objects[0]["heldout"]["include"])) - set(wnids))
    train = max(ds["train_per_class"] for ds in objects)
    val = max(ds["test_per_class"] for ds in objects)
    imagenet(out / "imagenet", wnids + extra[:5], train, val, jobs)
    trained, _, per_class = needs(config, "food101")
    food101(out / "food-101", trained + 1, per_class, jobs)
    trained, _, per_class = needs(config, "compcars")
    compcars(out / "CompCars" / "data", 2 * trained, per_class, jobs)
    return jobs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument(
        "--configfile", nargs="+", default=["config/paper.yaml", "config/rehearsal.yaml"]
    )
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    config = {}
    for path in args.configfile:
        config = deep_merge(config, load_yaml(path))
    jobs = build(args.out, config)
    with Pool(args.workers) as pool:
        for _ in tqdm(pool.imap_unordered(draw, jobs, chunksize=16), total=len(jobs), desc="JPEGs"):
            pass


if __name__ == "__main__":
    main()
