"""Feeding prepared shards to a network: joint label space, batches, the paper's augmentation.

A multi-task network sees one pooled label space (faces 0..F-1, then objects F..F+O-1) and is
never told which task an image belongs to; shuffling the pooled images mixes the tasks in each
batch in proportion to their image counts.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import torch

from .shards import PreparedSplit, open_split


@dataclass
class TaskSplit:
    """One task's split, with its labels shifted into the network's joint label space. A
    consolidated task is one class, the task itself: all its classes share the label `offset`
    (face detection instead of face identification)."""

    task: str
    split: PreparedSplit
    offset: int
    consolidated: bool = False

    @property
    def classes(self) -> list[str]:
        return [self.task] if self.consolidated else self.split.classes

    @property
    def labels(self) -> np.ndarray:
        return self.split.labels * (not self.consolidated) + self.offset


def open_tasks(prepared_dirs: dict, split: str, consolidated=()) -> list[TaskSplit]:
    """{task: prepared dir} in label order -> TaskSplits with consecutive label offsets; the
    tasks in `consolidated` are one class each."""
    tasks, offset = [], 0
    for task, directory in prepared_dirs.items():
        tasks.append(TaskSplit(task, open_split(directory, split), offset, task in consolidated))
        offset += len(tasks[-1].classes)
    return tasks


class Pooled:
    """All images of several TaskSplits as one indexable set (images in memory when small)."""

    def __init__(self, tasks: list[TaskSplit], in_memory: bool = True):
        self.tasks = tasks
        self.labels = np.concatenate([t.labels for t in tasks])
        self.task_of = np.concatenate([np.full(len(t.split), i) for i, t in enumerate(tasks)])
        self._starts = np.cumsum([0] + [len(t.split) for t in tasks])
        # Small datasets are read once; large ones stay memory-mapped and are gathered per batch.
        self._images = np.concatenate([t.split.images() for t in tasks]) if in_memory else None
        self._resident = None

    def __len__(self) -> int:
        return len(self.labels)

    @property
    def in_memory(self) -> bool:
        return self._images is not None

    def images(self, indices: np.ndarray) -> np.ndarray:
        if self._images is not None:
            return self._images[indices]
        out = np.empty((len(indices), *self.tasks[0].split.shards[0].shape[1:]), np.uint8)
        for i, t in enumerate(self.tasks):
            mine = (indices >= self._starts[i]) & (indices < self._starts[i + 1])
            if mine.any():
                out[mine] = t.split.images(indices[mine] - self._starts[i])
        return out

    def resident(self, device) -> torch.Tensor | None:
        """The in-memory images as one uint8 tensor on a CUDA `device`, moved there whole and
        once, or None: on the CPU, for memory-mapped images, or where they would take more than a
        quarter of the GPU's free memory."""
        if device.type != "cuda" or not self.in_memory:
            return None
        if self._resident is None and self._images.nbytes < torch.cuda.mem_get_info(device)[0] / 4:
            self._resident = torch.from_numpy(self._images).to(device)
        return self._resident


def load(pooled: Pooled, batches: Iterable[np.ndarray], device) -> Iterator[torch.Tensor]:
    """The uint8 (n, H, W, 3) images of each batch of indices, on `device`, in order.

    Images resident on the GPU are gathered there. Memory-mapped ones are gathered by a thread one
    batch ahead, so reading the shards overlaps the network's work; on CUDA into pinned memory,
    copied without blocking. In-memory images on the CPU are gathered as each batch is asked for.
    """
    device = torch.device(device)
    resident = pooled.resident(device)
    if resident is not None:
        for idx in batches:
            yield resident[torch.from_numpy(idx).to(device)]
        return
    if pooled.in_memory and device.type != "cuda":
        for idx in batches:
            yield torch.from_numpy(pooled.images(idx))
        return

    def gather(idx):
        images = torch.from_numpy(pooled.images(idx))
        return images.pin_memory() if device.type == "cuda" else images

    with ThreadPoolExecutor(1) as reader:
        pending = None
        for idx in batches:
            ahead = reader.submit(gather, idx)
            if pending is not None:
                yield pending.result().to(device, non_blocking=True)
            pending = ahead
        if pending is not None:
            yield pending.result().to(device, non_blocking=True)


def to_input(images, device) -> torch.Tensor:
    """uint8 (N, H, W, 3), an array or a tensor -> float (N, 3, H, W) on `device`, in [0, 255]."""
    if isinstance(images, np.ndarray):
        images = torch.from_numpy(np.ascontiguousarray(images))
    return images.to(device).permute(0, 3, 1, 2).float()


def normalise(x: torch.Tensor) -> torch.Tensor:
    """[0, 255] -> [-1, 1]: the paper's mean 0.5, std 0.5 per channel."""
    return (x / 255.0 - 0.5) / 0.5


def centre_crop(x: torch.Tensor, size: int) -> torch.Tensor:
    top, left = (x.shape[2] - size) // 2, (x.shape[3] - size) // 2
    return x[:, :, top : top + size, left : left + size]


def augment(
    x: torch.Tensor, size: int, greyscale_p: float, generator: torch.Generator
) -> torch.Tensor:
    """The paper's training augmentation: random crop, random greyscale; no horizontal flip."""
    n, _, h, w = x.shape
    tops = torch.randint(0, h - size + 1, (n,), generator=generator)
    lefts = torch.randint(0, w - size + 1, (n,), generator=generator)
    rows = (tops[:, None] + torch.arange(size)).to(x.device)
    cols = (lefts[:, None] + torch.arange(size)).to(x.device)
    batch = torch.arange(n, device=x.device)[:, None, None]
    x = x.permute(0, 2, 3, 1)[batch, rows[:, :, None], cols[:, None, :]].permute(0, 3, 1, 2)
    grey = (torch.rand(n, generator=generator) < greyscale_p).to(x.device)
    luminance = (0.299 * x[:, 0] + 0.587 * x[:, 1] + 0.114 * x[:, 2]).unsqueeze(1)
    return torch.where(grey[:, None, None, None], luminance.expand_as(x), x)


def eval_batches(pooled: Pooled, indices: np.ndarray, batch_size: int, size: int, device):
    """(normalised centre-cropped inputs, labels, task indices) of `indices`, in order."""
    batches = [indices[start : start + batch_size] for start in range(0, len(indices), batch_size)]
    for idx, images in zip(batches, load(pooled, batches, device)):
        x = normalise(centre_crop(to_input(images, device), size))
        yield x, torch.from_numpy(pooled.labels[idx]).to(device), pooled.task_of[idx]
