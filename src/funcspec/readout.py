"""The readout of Figure 3: does a visualisation look like a face? A face-versus-object
classifier answers, one that shares nothing with the networks it judges: its own weights, seed
and random streams, trained on the held-out classes of the face and object datasets (classes no
network was trained on). It classifies every visualisation as an image file would show it, and
the noise each started from: the share of noise called a face is the readout's own bias on
images unlike any it was trained on.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from . import models, streams
from .atomic import atomic_path, write_csv
from .data import Pooled, centre_crop, normalise, open_tasks, to_input
from .errors import FuncspecError
from .gpu import pick_device
from .visualize import read

COLUMNS = [
    "network",
    "layer",
    "task",
    "unit",
    "rank",
    "p_face",
    "face",
    "p_face_start",
    "face_start",
    "classifier_accuracy",
]
VALIDATION = 0.2  # the share of held-out images kept from training to measure the classifier


def readout(
    face_dir,
    object_dir,
    visualizations,
    out,
    classifier_out,
    *,
    arch: dict,
    epochs: int,
    batch_size: int,
    lr: float,
    min_accuracy: float,
    seed: int,
    threads: int = 1,
) -> None:
    """The readout step: train the classifier, then classify every visualisation and the noise
    it started from."""
    torch.set_num_threads(threads)
    pooled = Pooled(open_tasks({"objects": object_dir, "faces": face_dir}, "heldout"))
    is_face = (pooled.task_of == 1).astype(np.int64)
    classifier, accuracy = train_classifier(
        pooled.images(np.arange(len(pooled))), is_face, arch, epochs, batch_size, lr, seed
    )
    if accuracy < min_accuracy:
        raise FuncspecError(
            f"the readout classifier reached {accuracy:.3f} on its held-out images, below "
            f"readout.min_accuracy {min_accuracy}: its verdicts would say nothing (train it "
            "longer with readout.epochs, or on more held-out images)"
        )
    rows = read(visualizations)
    sizes = {r["image"].shape[0] for r in rows}
    if sizes - {arch["input_size"]}:
        raise FuncspecError(
            f"visualisations of {sorted(sizes)} px; the readout classifies {arch['input_size']} px"
        )
    p_face = face_probability(classifier, np.stack([r.pop("image") for r in rows]))
    p_start = face_probability(classifier, np.stack([r.pop("start") for r in rows]))
    for r, p, q in zip(rows, p_face, p_start):
        r.update(
            p_face=float(p),
            face=bool(p > 0.5),
            p_face_start=float(q),
            face_start=bool(q > 0.5),
            classifier_accuracy=accuracy,
        )
    with atomic_path(classifier_out) as tmp:
        torch.save(
            {
                "arch": arch,
                "input_size": arch["input_size"],
                "state_dict": {k: v.cpu() for k, v in classifier.state_dict().items()},
                "validation_accuracy": accuracy,
            },
            tmp,
        )
    write_csv(out, [{k: r[k] for k in COLUMNS} for r in rows], COLUMNS)


def train_classifier(images, is_face, arch, epochs, batch_size, lr, seed):
    """A two-way network trained on uint8 images (N, H, W, 3) and 0/1 labels: the network and
    its accuracy on the VALIDATION share it never trained on."""
    device = pick_device()
    torch.manual_seed(streams.seed_of("readout_init", seed))
    net = models.build(arch, num_classes=2, input_size=arch["input_size"]).to(device)
    order = streams.rng("readout_validation", seed).permutation(len(images))
    n_val = max(1, round(VALIDATION * len(images)))
    val, fit = order[:n_val], order[n_val:]
    x = normalise(centre_crop(to_input(images, device), arch["input_size"]))
    y = torch.from_numpy(np.asarray(is_face)).to(device)
    optimizer = torch.optim.AdamW(net.parameters(), lr=lr)
    for epoch in range(epochs):
        torch.manual_seed(streams.seed_of("readout_dropout", seed, epoch))
        net.train()
        shuffled = streams.rng("readout_order", seed, epoch).permutation(fit)
        for start in range(0, len(shuffled), batch_size):
            idx = torch.from_numpy(shuffled[start : start + batch_size]).to(device)
            loss = nn.functional.cross_entropy(net(x[idx]), y[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    net.eval()
    with torch.no_grad():
        val = torch.from_numpy(val).to(device)
        accuracy = (net(x[val]).argmax(1) == y[val]).double().mean().item()
    return net, accuracy


@torch.no_grad()
def face_probability(classifier, images: np.ndarray) -> np.ndarray:
    """P(face) of uint8 images (N, H, W, 3)."""
    device = next(classifier.parameters()).device
    x = normalise(centre_crop(to_input(images, device), classifier.input_size))
    return torch.softmax(classifier(x), dim=1)[:, 1].cpu().numpy()
