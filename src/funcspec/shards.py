"""The prepared-data format: a few large uint8 arrays per split plus a manifest.

A split is stored as `<split>-NNN.npy` shards of shape (n, H, W, 3) and `<split>-labels.npy`.
Plain .npy files because they are byte-deterministic (zip-based .npz carries timestamps) and
memory-map, so training reads millions of images without a single per-image file open.
`manifest.json` holds the class lists, shard hashes and skipped files; `manifest.csv` lists
every image with its source path, class, split and content hash.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import streams
from .errors import FuncspecError


def sha256_file(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class ShardWriter:
    """Streams one split to disk, `shard_size` images per file, so memory stays bounded."""

    def __init__(self, directory, split: str, shard_size: int):
        self.directory = Path(directory)
        self.split = split
        self.shard_size = shard_size
        self.shards: list[dict] = []
        self.class_names: list[str] = []
        self._buffer: list[np.ndarray] = []

    def add(self, image: np.ndarray, class_name: str) -> tuple[str, int]:
        """Append one image; return (shard file, offset in it) for the manifest."""
        location = (self._shard_name(len(self.shards)), len(self._buffer))
        self._buffer.append(image)
        self.class_names.append(class_name)
        if len(self._buffer) == self.shard_size:
            self._flush()
        return location

    def close(self, classes: list[str]) -> dict:
        """Finish the split; labels index `classes`, known only once every class is accepted."""
        if self._buffer:
            self._flush()
        index = {name: i for i, name in enumerate(classes)}
        labels_file = f"{self.split}-labels.npy"
        np.save(
            self.directory / labels_file,
            np.array([index[c] for c in self.class_names], dtype=np.int64),
        )
        return {"count": len(self.class_names), "labels": labels_file, "shards": self.shards}

    def _shard_name(self, k: int) -> str:
        return f"{self.split}-{k:03d}.npy"

    def _flush(self) -> None:
        name = self._shard_name(len(self.shards))
        np.save(self.directory / name, np.stack(self._buffer))
        self.shards.append(
            {"file": name, "count": len(self._buffer), "sha256": sha256_file(self.directory / name)}
        )
        self._buffer = []


@dataclass
class PreparedSplit:
    """One split of a prepared dataset, memory-mapped."""

    classes: list[str]
    labels: np.ndarray
    shards: list[np.ndarray]

    def __len__(self) -> int:
        return len(self.labels)

    def images(self, indices=None) -> np.ndarray:
        """uint8 (n, H, W, 3) for the given global indices (all images when None)."""
        if indices is None:
            return np.concatenate(self.shards) if self.shards else np.empty((0, 0, 0, 3), np.uint8)
        indices = np.asarray(indices)
        sizes = np.array([len(s) for s in self.shards])
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        shard_of = np.searchsorted(starts, indices, side="right") - 1
        out = np.empty((len(indices), *self.shards[0].shape[1:]), dtype=np.uint8)
        for k in np.unique(shard_of):
            rows = shard_of == k
            out[rows] = self.shards[k][indices[rows] - starts[k]]
        return out


def sample(prepared_dir, n: int, seed: int) -> np.ndarray:
    """n images of a prepared train split, drawn with a seed across all its classes."""
    split = open_split(prepared_dir, "train")
    rng = streams.rng("sample", seed, Path(prepared_dir).name)
    indices = np.sort(rng.choice(len(split), size=min(n, len(split)), replace=False))
    return split.images(indices)


def read_manifest(prepared_dir) -> dict:
    with open(Path(prepared_dir) / "manifest.json") as f:
        return json.load(f)


def open_split(prepared_dir, split: str) -> PreparedSplit:
    prepared_dir = Path(prepared_dir)
    manifest = read_manifest(prepared_dir)
    if split not in manifest["splits"]:
        raise FuncspecError(
            f"{prepared_dir} has no split {split!r} (has {', '.join(manifest['splits'])})"
        )
    entry = manifest["splits"][split]
    classes = manifest["classes"]["heldout" if split == "heldout" else "trained"]
    return PreparedSplit(
        classes=classes,
        labels=np.load(prepared_dir / entry["labels"]),
        shards=[np.load(prepared_dir / s["file"], mmap_mode="r") for s in entry["shards"]],
    )
