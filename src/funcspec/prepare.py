"""Prepare one dataset: select classes, draw seeded per-class subsets, decode, resize, shard.

Done once per dataset, so that training and every analysis read the same images from a few
large files. Every choice (which classes, which files, which were skipped and why) is written
to the manifest, so the prepared data can be audited without rerunning this step.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import sys
from collections import defaultdict
from multiprocessing import Pool
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError
from tqdm import tqdm

from . import streams
from .atomic import atomic_path
from .datasets import read_layout
from .errors import FuncspecError
from .shards import ShardWriter


class PrepareError(FuncspecError):
    pass


def read_class_list(path) -> list[str]:
    """One class name per line; blank lines and # comments ignored."""
    path = Path(path)
    if not path.is_file():
        raise PrepareError(f"class list {path} does not exist")
    names = []
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            names.append(line)
    if not names:
        raise PrepareError(f"class list {path} is empty: list one class name per line")
    return names


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# An object repr such as "<_io.BytesIO object at 0x7f...>" holds a memory address, which
# differs between runs; kept in a reason, it would make identical runs' manifests differ.
_OBJECT_REPR = re.compile(r"<([\w.]+) object at 0x[0-9a-fA-F]+>")


def describe_error(exc: Exception) -> str:
    """Why a file could not be read, as text that is the same in every run (the manifest keeps
    it)."""
    if isinstance(exc, UnidentifiedImageError):
        # PIL's message only repeats the stream's repr, which says nothing about the file.
        return f"not a readable image ({type(exc).__name__})"
    message = _OBJECT_REPR.sub(r"<\1 object>", str(exc))
    return f"{type(exc).__name__}: {message}"


def load_image(task):
    """Decode, crop to the box, resize the shorter side, centre-crop a square.

    Returns (pixels or None, sha256 of the file bytes, error message or None); never raises,
    so one unreadable file does not kill a worker pool.
    """
    path, box, resize, crop = task
    try:
        data = Path(path).read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        with Image.open(io.BytesIO(data)) as im:
            im = im.convert("RGB")
    except Exception as exc:  # PIL raises many types for a corrupt file
        return None, None, describe_error(exc)
    if box is not None:
        left, top, right, bottom = box
        clipped = (max(0, left), max(0, top), min(im.width, right), min(im.height, bottom))
        if clipped[2] <= clipped[0] or clipped[3] <= clipped[1]:
            return None, None, f"crop box {box} misses the {im.width}x{im.height} image"
        im = im.crop(clipped)
    if min(im.size) != resize:
        scale = resize / min(im.size)
        size = (max(resize, round(im.width * scale)), max(resize, round(im.height * scale)))
        im = im.resize(size, Image.Resampling.BILINEAR)
    left, top = (im.width - crop) // 2, (im.height - crop) // 2
    im = im.crop((left, top, left + crop, top + crop))
    return np.asarray(im, dtype=np.uint8), digest, None


class _Decoder:
    """Decodes the first `n` readable images of a candidate list, in parallel."""

    def __init__(self, spec: dict, root: Path, workers: int):
        self.resize, self.crop = spec["image"]["resize"], spec["image"]["crop"]
        self.skip_bad = spec["on_bad_image"] == "skip"
        self.root = root
        self.pool = Pool(workers) if workers > 1 else None
        self.skipped: list[dict] = []

    def take(self, candidates: list, n: int) -> tuple[list[tuple], int]:
        """Up to n readable candidates as (source image, pixels, sha256), in candidate order,
        and how many candidates were used up (taken or skipped)."""
        taken, start = [], 0
        while len(taken) < n and start < len(candidates):
            batch = candidates[start : start + n - len(taken)]
            start += len(batch)
            tasks = [(str(s.path), s.box, self.resize, self.crop) for s in batch]
            results = self.pool.map(load_image, tasks) if self.pool else map(load_image, tasks)
            for source, (pixels, digest, error) in zip(batch, results):
                if error is None:
                    taken.append((source, pixels, digest))
                elif self.skip_bad:
                    self.skipped.append({"source": self.relative(source.path), "reason": error})
                    log(f"skipped unreadable image {source.path}: {error}")
                else:
                    raise PrepareError(
                        f"cannot read image {source.path}: {error} (set "
                        "on_bad_image: skip to skip and list such files instead)"
                    )
        return taken, start

    def relative(self, path) -> str:
        return Path(path).relative_to(self.root).as_posix()

    def close(self):
        if self.pool:
            self.pool.close()
            self.pool.join()


def _permuted(items: list, rng: np.random.Generator) -> list:
    return [items[i] for i in rng.permutation(len(items))]


def _in_split(pools: dict, names, split: str) -> list[str]:
    """The classes whose images all lie in the layout's `split` (`any`: every class). VGGFace2's
    train and test identities are disjoint: the study trains on the first, decodes the second."""
    if split == "any":
        return list(names)
    return [c for c in names if all(s.split == split for s in pools[c]["all"])]


def _candidate_classes(spec: dict, pools: dict) -> list[str]:
    names = sorted(pools)
    selection = spec["classes"]
    if selection.get("include"):
        wanted = read_class_list(selection["include"])
        missing = [c for c in wanted if c not in pools]
        if missing:
            raise PrepareError(
                f"{len(missing)} classes of {selection['include']} are not in the "
                f"dataset, e.g. {', '.join(missing[:5])}"
            )
        names = sorted(set(wanted))
    if selection.get("exclude"):
        names = [c for c in names if c not in set(read_class_list(selection["exclude"]))]
    return _in_split(pools, names, selection["split"])


def _split_pools(spec: dict, sources: list) -> dict:
    """class -> {"train": [...], "test": [...], "all": [...]} of source images."""
    pools = defaultdict(lambda: {"train": [], "test": [], "all": []})
    published = spec["split"] == "published"
    if published and any(s.split is None for s in sources):
        raise PrepareError(
            f"split: published, but layout {spec.get('layout', 'folder')!r} "
            "defines no train/test split; use split: pooled"
        )
    for s in sources:
        pools[s.label]["all"].append(s)
        if published:
            pools[s.label][s.split].append(s)
    return pools


def _check_class_count(name: str, count, trained: list, wanted: int, dropped: list) -> None:
    """A numeric count is a requirement; with `all` the classes left after dropping the small
    ones are the selection (no further class could take a dropped one's place), so only an
    empty selection is an error."""
    if count != "all":
        if len(trained) < wanted:
            raise PrepareError(
                f"dataset {name}: only {len(trained)} of {wanted} classes have enough images"
            )
        return
    if not trained:
        raise PrepareError(
            f"dataset {name}: no class has enough images ({len(dropped)} of "
            f"{wanted} eligible classes dropped)"
        )
    if dropped:
        log(
            f"{name}: classes.count is all: dropped {len(dropped)} of {wanted} classes with too "
            f"few images: {', '.join(d['class'] for d in dropped)}"
        )


def source_files(spec: dict) -> dict[str, str]:
    """{key: path} of the files besides images that preparing a dataset reads: its class lists
    and, for ImageNet's flat val/, the label file. The Snakefile makes them the job's inputs."""
    files = {k: spec["classes"][k] for k in ("include", "exclude") if spec["classes"].get(k)}
    if spec["heldout"].get("include"):
        files["heldout_include"] = spec["heldout"]["include"]
    if spec.get("layout_options", {}).get("val_labels"):
        files["val_labels"] = spec["layout_options"]["val_labels"]
    return files


def prepare(name: str, spec: dict, out_dir, raw_root=None, workers: int = 1) -> dict:
    """Prepare dataset `name` (its config block `spec`) into `out_dir`; return the manifest."""
    if "generate" in spec:
        root, layout, options = Path(raw_root), "folder", {}
    else:
        root, layout, options = Path(spec["root"]), spec["layout"], spec.get("layout_options", {})
    root = root.resolve()
    sources = read_layout(layout, root, **options)
    pools = _split_pools(spec, sources)
    candidates = _drawn_classes(name, spec, pools, root)
    count = spec["classes"]["count"]
    wanted = len(candidates) if count == "all" else count

    out_dir = Path(out_dir)
    with atomic_path(out_dir) as tmp:
        tmp.mkdir()
        job = _Job(name, spec, tmp, root, workers)
        trained = _take_trained(job, pools, candidates, wanted)
        _check_class_count(name, count, trained, wanted, job.dropped)
        heldout = _take_heldout(job, pools, trained)
        job.decoder.close()
        if len(heldout) < spec["heldout"]["count"]:
            raise PrepareError(
                f"dataset {name}: {spec['heldout']['count']} held-out classes "
                f"requested, only {len(heldout)} classes are left with "
                f"{spec['heldout']['images_per_class']} images each"
            )

        classes = {"trained": sorted(trained), "heldout": sorted(heldout)}
        splits = {
            split: job.writers[split].close(classes["heldout" if split == "heldout" else "trained"])
            for split in job.writers
        }
        manifest = _manifest(job, layout, root, options, classes, splits)
        _write_manifest(tmp, manifest, job.rows, classes)
    log(
        f"{name}: {len(trained)} classes ({splits['train']['count']} train, "
        f"{splits['test']['count']} test), {len(heldout)} held-out classes "
        f"({splits['heldout']['count']} images); {len(job.decoder.skipped)} files skipped, "
        f"{len(job.dropped)} classes dropped"
    )
    return manifest


def _drawn_classes(name: str, spec: dict, pools: dict, root: Path) -> list[str]:
    """The candidate classes in the order they are tried: drawn at random for a numeric count,
    which they must reach."""
    candidates = _candidate_classes(spec, pools)
    count = spec["classes"]["count"]
    if count != "all":
        candidates = _permuted(candidates, streams.rng("class_draw", spec["seed"]))
        if len(candidates) < count:
            within = "" if spec["classes"]["split"] == "any" else f" {spec['classes']['split']}"
            raise PrepareError(
                f"dataset {name}: classes.count is {count} but only "
                f"{len(candidates)}{within} classes are available in {root}"
            )
    return candidates


class _Job:
    """One prepare job's shard writers and decoder, and what it has recorded so far: the
    manifest's rows and the classes dropped for too few images."""

    def __init__(self, name: str, spec: dict, tmp: Path, root: Path, workers: int):
        self.name, self.spec = name, spec
        self.writers = {
            split: ShardWriter(tmp, split, spec["shard_size"])
            for split in ("train", "test", "heldout")
        }
        self.decoder = _Decoder(spec, root, workers)
        self.rows, self.dropped = [], []

    def write(self, split, class_name, taken):
        for source, pixels, digest in taken:
            shard, offset = self.writers[split].add(pixels, class_name)
            self.rows.append(
                (split, shard, offset, class_name, self.decoder.relative(source.path), digest)
            )

    def too_small(self, class_name, need, have):
        message = (
            f"dataset {self.name}: class {class_name} has {have} usable images, {need} are needed"
        )
        if self.spec["on_small_class"] == "error":
            raise PrepareError(message + " (set on_small_class: drop to drop such classes)")
        log(f"dropped class: {message}")
        self.dropped.append({"class": class_name, "reason": message})


def _take_trained(job: _Job, pools: dict, candidates: list[str], wanted: int) -> list[str]:
    """The trained classes: candidates in turn, each drawing its train and test images, until
    `wanted` have enough of both."""
    spec = job.spec
    published = spec["split"] == "published"
    n_train, n_test = spec["train_per_class"], spec["test_per_class"]
    trained = []
    progress = tqdm(total=wanted, desc=f"{job.name}: classes", unit="class", file=sys.stderr)
    remaining = list(candidates)
    while remaining and len(trained) < wanted:
        class_name = remaining.pop(0)
        pool = pools[class_name]
        have = (len(pool["train"]), len(pool["test"])) if published else (len(pool["all"]), 0)
        if (have[0] < n_train or have[1] < n_test) if published else have[0] < n_train + n_test:
            job.too_small(
                class_name,
                f"{n_train} train + {n_test} test",
                f"{have[0]} train + {have[1]} test" if published else str(have[0]),
            )
            continue
        train, test = _train_and_test(job.decoder, spec, pool, class_name)
        if len(train) < n_train or len(test) < n_test:
            job.too_small(
                class_name,
                f"{n_train} train + {n_test} test",
                f"{len(train)} train + {len(test)} test",
            )
            continue
        job.write("train", class_name, train)
        job.write("test", class_name, test)
        trained.append(class_name)
        progress.update()
    progress.close()
    return trained


def _train_and_test(decoder: _Decoder, spec: dict, pool: dict, class_name: str):
    """A class's readable train and test images, from the published split or one pooled draw."""
    n_train, n_test = spec["train_per_class"], spec["test_per_class"]
    # Keyed by the class name: a class's files do not depend on which other classes exist.
    rng = streams.rng("class_images", spec["seed"], class_name)
    if spec["split"] == "published":
        train, _ = decoder.take(_permuted(pool["train"], rng), n_train)
        test, _ = decoder.take(_permuted(pool["test"], rng), n_test)
    else:
        order = _permuted(pool["all"], rng)
        train, used = decoder.take(order, n_train)
        test, _ = decoder.take(order[used:], n_test)
    return train, test


def _take_heldout(job: _Job, pools: dict, trained: list[str]) -> list[str]:
    """Held-out classes, drawn from those neither trained nor dropped, until `heldout.count`
    have enough readable images."""
    spec, seed = job.spec, job.spec["seed"]
    n_heldout = spec["heldout"]["images_per_class"]
    heldout = []
    others = [c for c in sorted(pools) if c not in set(trained) | {d["class"] for d in job.dropped}]
    others = _in_split(pools, others, spec["heldout"]["split"])
    if spec["heldout"]["include"]:
        eligible = set(read_class_list(spec["heldout"]["include"]))
        others = [c for c in others if c in eligible]
    others = _permuted(others, streams.rng("heldout_draw", seed))
    while others and len(heldout) < spec["heldout"]["count"]:
        class_name = others.pop(0)
        taken, _ = job.decoder.take(
            _permuted(pools[class_name]["all"], streams.rng("heldout_images", seed, class_name)),
            n_heldout,
        )
        if len(taken) < n_heldout:
            job.too_small(class_name, f"{n_heldout} held-out", str(len(taken)))
            continue
        job.write("heldout", class_name, taken)
        heldout.append(class_name)
    return heldout


def _manifest(job: _Job, layout: str, root: Path, options: dict, classes: dict, splits: dict):
    return {
        "dataset": job.name,
        "source": {
            "layout": layout,
            "root": str(root) if "generate" not in job.spec else None,
            "options": options,
        },
        "image_size": job.spec["image"]["crop"],
        "classes": classes,
        "splits": splits,
        "skipped": job.decoder.skipped,
        "dropped_classes": job.dropped,
    }


def _write_manifest(directory: Path, manifest: dict, rows: list, classes: dict) -> None:
    with open(directory / "manifest.json", "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
        f.write("\n")
    index = {
        "trained": {c: i for i, c in enumerate(classes["trained"])},
        "heldout": {c: i for i, c in enumerate(classes["heldout"])},
    }
    with open(directory / "manifest.csv", "w", newline="") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(["split", "shard", "offset", "label", "class", "source", "sha256"])
        for split, shard, offset, class_name, source, digest in rows:
            label = index["heldout" if split == "heldout" else "trained"][class_name]
            out.writerow([split, shard, offset, label, class_name, source, digest])


INPUTS = ("raw",)


def add_arguments(p) -> None:
    p.add_argument("--name", required=True, help="dataset name (its key under `datasets`)")
    p.add_argument("--spec", required=True, help="the dataset's config block as JSON")
    p.add_argument("--raw", help="folder of generated images (generated datasets only)")
    p.add_argument("--workers", type=int, default=1, help="image decoding processes")
    p.add_argument("--out", required=True)


def main(args) -> list:
    prepare(args.name, json.loads(args.spec), args.out, raw_root=args.raw, workers=args.workers)
    return [args.out]


def sources(args) -> tuple[list[str], dict]:
    """What prepare reads besides its arguments: the class lists and a dataset root, from its
    spec (a dataset root is too large to hash per job: its manifest.csv lists each image's
    sha256, and the record keeps the root's fingerprint)."""
    from .datasets import root_fingerprint

    spec = json.loads(args.spec)
    lists = list(source_files(spec).values())
    if "root" not in spec:
        return lists, {}
    return lists, {
        spec["root"]: {
            "note": f"{spec['layout']} dataset; each image's sha256 is in manifest.csv",
            "fingerprint": root_fingerprint(spec["root"]),
        }
    }
