"""The readout of Figure 3: how much more like a face does a visualisation look than the noise
it started from? A face-versus-object classifier answers, one that shares nothing with the
networks it judges: its own weights, seed and random streams, trained on the held-out classes of
the face and object datasets (classes no network was trained on) but for a few of each kind, kept
from it to measure it on classes it never saw. A visualisation's score is its log-odds of "face"
minus that of its own starting noise, so the readout's bias on unnatural images cancels.
"""

from __future__ import annotations

import json

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from . import arguments, models, streams
from .atomic import atomic_path, write_csv
from .data import Pooled, centre_crop, normalise, open_tasks, to_input
from .errors import FuncspecError
from .gpu import pick_device
from .tables import read_visualizations

COLUMNS = [
    "network",
    "layer",
    "unit",
    "restart",
    "group",
    "random",
    "log_odds",
    "log_odds_start",
    "score",
    "classifier_accuracy",
]


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
    unseen_classes: int,
    min_accuracy: float,
    seed: int,
    threads: int = 1,
) -> None:
    """The readout step: train the classifier, measure it on held-out classes kept from it,
    then score every visualisation against the noise it started from."""
    torch.set_num_threads(threads)
    pooled = Pooled(open_tasks({"objects": object_dir, "faces": face_dir}, "heldout"))
    class_of = np.concatenate(
        [
            [f"{t.task}/{c}" for c in np.asarray(t.split.classes)[t.split.labels]]
            for t in pooled.tasks
        ]
    )
    classifier, record = train_classifier(
        pooled.images(np.arange(len(pooled))),
        (pooled.task_of == 1).astype(np.int64),
        class_of,
        unseen_classes,
        arch,
        epochs,
        batch_size,
        lr,
        seed,
    )
    accuracy = record["accuracy"]
    if accuracy < min_accuracy:
        raise FuncspecError(
            f"the readout classifier reached {accuracy:.3f} on the held-out classes kept from "
            f"it, below readout.min_accuracy {min_accuracy}: its verdicts would say nothing "
            "(train it longer with readout.epochs, or on more held-out classes)"
        )
    rows = read_visualizations(visualizations)
    sizes = {r["image"].shape[0] for r in rows}
    if sizes - {arch["input_size"]}:
        raise FuncspecError(
            f"visualisations of {sorted(sizes)} px; the readout classifies {arch['input_size']} px"
        )
    reached = face_log_odds(classifier, np.stack([r.pop("image") for r in rows]))
    began = face_log_odds(classifier, np.stack([r.pop("start") for r in rows]))
    for r, a, b in zip(rows, reached, began):
        r.update(log_odds=float(a), log_odds_start=float(b), score=float(a - b))
        r["classifier_accuracy"] = accuracy
    with atomic_path(classifier_out) as tmp:
        torch.save(
            {
                "arch": arch,
                "input_size": arch["input_size"],
                "state_dict": {k: v.cpu() for k, v in classifier.state_dict().items()},
                **record,
            },
            tmp,
        )
    write_csv(out, [{k: r[k] for k in COLUMNS} for r in rows], COLUMNS)


def train_classifier(images, is_face, class_of, unseen: int, arch, epochs, batch_size, lr, seed):
    """A two-way network trained on uint8 images (N, H, W, 3) and 0/1 labels, all but `unseen`
    classes of each kind: the network, and its record: the classes it trained on, the classes
    kept from it and its accuracy on their images."""
    device = pick_device()
    torch.manual_seed(streams.seed_of("readout_init", seed))
    net = models.build(arch, num_classes=2, input_size=arch["input_size"]).to(device)
    drawn = streams.rng("readout_validation", seed)
    kept = []
    for kind in (0, 1):
        classes = sorted(set(class_of[is_face == kind]))
        if len(classes) <= unseen:
            raise FuncspecError(
                f"readout.unseen_classes: {unseen} of {len(classes)} held-out classes would "
                "leave none to train the readout on"
            )
        kept += [str(c) for c in drawn.choice(classes, unseen, replace=False)]
    val = np.flatnonzero(np.isin(class_of, kept))
    fit = np.flatnonzero(~np.isin(class_of, kept))
    x = normalise(centre_crop(to_input(images, device), arch["input_size"]))
    y = torch.from_numpy(np.asarray(is_face)).to(device)
    optimizer = torch.optim.AdamW(net.parameters(), lr=lr)
    moves = torch.Generator().manual_seed(streams.seed_of("readout_augmentation", seed))
    for epoch in range(epochs):
        torch.manual_seed(streams.seed_of("readout_dropout", seed, epoch))
        net.train()
        shuffled = streams.rng("readout_order", seed, epoch).permutation(fit)
        for start in range(0, len(shuffled), batch_size):
            idx = torch.from_numpy(shuffled[start : start + batch_size]).to(device)
            loss = nn.functional.cross_entropy(net(_moved(x[idx], moves)), y[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    net.eval()
    with torch.no_grad():
        val = torch.from_numpy(val).to(device)
        accuracy = (net(x[val]).argmax(1) == y[val]).double().mean().item()
    record = {
        "trained_classes": sorted({str(c) for c in class_of[fit]}),
        "unseen_classes": sorted(kept),
        "accuracy": accuracy,
    }
    return net, record


def _moved(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """The batch shifted by up to an eighth of its size (edges reflected) and perhaps mirrored:
    without it the readout learns its training classes' images and misses unseen classes."""
    pad = x.shape[-1] // 8
    dy, dx = torch.randint(0, 2 * pad + 1, (2,), generator=generator).tolist()
    size = x.shape[-1]
    x = F.pad(x, (pad,) * 4, mode="reflect")[:, :, dy : dy + size, dx : dx + size]
    return x.flip(3) if torch.rand(1, generator=generator) < 0.5 else x


@torch.no_grad()
def face_log_odds(classifier, images: np.ndarray) -> np.ndarray:
    """log P(face) / P(object) of uint8 images (N, H, W, 3): the difference of the two logits."""
    device = next(classifier.parameters()).device
    x = normalise(centre_crop(to_input(images, device), classifier.input_size))
    logits = classifier(x)
    return (logits[:, 1] - logits[:, 0]).cpu().numpy()


INPUTS = ("faces", "objects", "visualizations")


def add_arguments(p) -> None:
    p.add_argument("--faces", required=True, help="prepared face dataset (its held-out split)")
    p.add_argument("--objects", required=True, help="prepared object dataset (held-out split)")
    p.add_argument("--visualizations", nargs="+", required=True, help="visualize .npz files")
    p.add_argument("--arch", required=True, help="the classifier's architecture as JSON")
    p.add_argument("--epochs", type=int, required=True)
    p.add_argument("--batch-size", type=int, required=True)
    p.add_argument("--lr", type=float, required=True)
    p.add_argument(
        "--unseen-classes", type=int, required=True, help="held-out classes of each kind kept"
    )
    p.add_argument(
        "--min-accuracy", type=float, required=True, help="refuse a classifier below this"
    )
    p.add_argument("--seed", type=int, required=True)
    arguments.compute(p)
    p.add_argument("--out", required=True, help="one row per visualisation (CSV)")
    p.add_argument("--classifier", required=True, help="the trained classifier (.pt)")


def main(args) -> list:
    readout(
        args.faces,
        args.objects,
        args.visualizations,
        args.out,
        args.classifier,
        arch=json.loads(args.arch),
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        unseen_classes=args.unseen_classes,
        min_accuracy=args.min_accuracy,
        seed=args.seed,
        threads=args.threads,
    )
    return [args.out, args.classifier]
