"""Train one network on its tasks, with a checkpoint every epoch and exact resume.

A snapshot (spec key `snapshot`: E) is the same training stopped after epoch E: its weights are
the network's after E epochs, and its history the first E epochs of the network's.

Every random choice of an epoch (image order, crops, greyscale draws, dropout) is seeded by
(seed, epoch), so a job killed at any point and started again redoes the interrupted epoch from
the last checkpoint and ends with the same weights as an uninterrupted run. The checkpoint's
fingerprint (funcspec.atomic) covers the spec, the content of the prepared data and the code, so
only a job of the same inputs resumes it; any other starts afresh.

With `train.frozen_trunk`, every layer below the class layer keeps its initial weights and only
the class layer learns: a network of random features with a trained readout, the untrained
baseline of the lesion figures (an untrained network with a random class layer is at chance, and
its drops are ratios of a handful of correct images). The readout is fit to convergence on the
trunk's standardised penultimate features, not by the epochs of gradient steps the other
networks take: at initialisation those features are ~1e-3 in size, and 15 epochs of AdamW left
the class layer at chance.
"""

from __future__ import annotations

import hashlib
import json
import pickle
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from . import arguments, machine, models, numerics, streams
from .atomic import atomic_path, fingerprint, remove_leftovers, resumable, write_csv
from .codedigest import code_digest
from .data import Pooled, augment, eval_batches, load, normalise, open_tasks, to_input
from .errors import FuncspecError
from .gpu import FLOAT32, Precision, autocast, effective, pick_device, place
from .shards import read_manifest, sha256_file
from .versions import software

HISTORY_COLUMNS = ["epoch", "task", "split", "images", "loss", "accuracy", "lr"]


def trainable(model: models.VGG, frozen_trunk: bool) -> list:
    """The parameters training changes: all, or with a frozen trunk the class layer's alone
    (the others stop requiring gradients, so the backward pass stops at the class layer)."""
    if not frozen_trunk:
        return list(model.parameters())
    model.requires_grad_(False)
    model.head.requires_grad_(True)
    return list(model.head.parameters())


def fit_readout(
    model: models.VGG, pooled: Pooled, indices, num_classes: int, batch_size: int, device
) -> None:
    """Set the class layer to a multinomial logistic regression (L2, C = 1) fit to convergence on
    the penultimate features of images `indices`, standardised; the standardisation is folded
    into the layer's weights, so the network computes the fitted readout unchanged."""
    # Imported here: every step that loads a network imports this module, and sklearn takes ~1 s.
    from sklearn.linear_model import LogisticRegression

    model.eval()
    with torch.no_grad():
        features = np.concatenate(
            [
                model.features(x).cpu().double().numpy()
                for x, _, _ in eval_batches(pooled, indices, batch_size, model.input_size, device)
            ]
        )
    mean, std = features.mean(0), features.std(0)
    std[std == 0] = 1.0
    fit = LogisticRegression(max_iter=5000).fit((features - mean) / std, pooled.labels[indices])
    weight = np.zeros((num_classes, features.shape[1]))
    bias = np.full(num_classes, -np.inf)  # a class with no training image is never chosen
    weight[fit.classes_], bias[fit.classes_] = fit.coef_ / std, fit.intercept_
    bias[fit.classes_] -= (fit.coef_ / std) @ mean
    head = model.head
    if not isinstance(head, torch.nn.Linear):
        raise FuncspecError(
            f"the class layer is a {type(head).__name__}: a frozen trunk's readout is fit as a "
            "linear layer on its input features, so it needs an nn.Linear"
        )
    with torch.no_grad():
        head.weight.copy_(torch.from_numpy(weight))
        head.bias.copy_(torch.from_numpy(np.maximum(bias, np.finfo(np.float32).min)))


def _optimizer(params, cfg: dict):
    if cfg["name"] == "sgd":
        return torch.optim.SGD(
            params, lr=cfg["lr"], momentum=cfg["momentum"], weight_decay=cfg["weight_decay"]
        )
    return torch.optim.AdamW(params, lr=cfg["lr"], weight_decay=cfg["weight_decay"])


def _scheduler(optimizer, cfg: dict, epochs: int, steps_per_epoch: int):
    if cfg["name"] == "onecycle":
        return torch.optim.lr_scheduler.OneCycleLR(
            optimizer,
            max_lr=optimizer.param_groups[0]["lr"],
            total_steps=max(1, epochs * steps_per_epoch),
        )
    if cfg["name"] == "plateau":
        return torch.optim.lr_scheduler.ReduceLROnPlateau(
            optimizer, factor=cfg["factor"], patience=cfg["patience"]
        )
    return None


def prepared_digest(folder) -> str:
    """sha256 of a prepared dataset's content: its manifest.json holds every shard's sha256;
    the label files it only names are hashed here."""
    folder = Path(folder)
    splits = read_manifest(folder)["splits"].values()
    files = ["manifest.json"] + sorted(split["labels"] for split in splits)
    return hashlib.sha256(
        "".join(f"{name} {sha256_file(folder / name)}\n" for name in files).encode()
    ).hexdigest()


def data_digests(prepared: dict) -> list[list[str]]:
    """[[task, prepared_digest], ...] in label order, which the labels depend on."""
    return [[task, prepared_digest(folder)] for task, folder in prepared.items()]


def _load(path, device):
    """torch.load of tensors and plain values only: unpickling anything else could run code."""
    try:
        return torch.load(path, map_location=device, weights_only=True)
    except pickle.UnpicklingError as exc:
        raise FuncspecError(
            f"{path} holds more than tensors and plain values: not loaded, "
            "since unpickling it could run code"
        ) from exc


def load_model(path, device="cpu", precision=FLOAT32) -> tuple[models.VGG, dict]:
    """A trained network and its metadata (arch, tasks with class lists and label offsets)."""
    saved = _load(path, device)
    # Built without initialising its weights, which the saved ones replace: drawing VGG16's
    # 138M random numbers took 1-2 s of every job that loads a paper-scale network, and even on
    # the meta device the first kaiming_normal_ takes 0.85 s, of every job of the default.
    with torch.device("meta"):
        model = models.build(saved["arch"], saved["num_classes"], saved["input_size"], init=False)
    # In the built model's dtypes and the standard layout, as copying into it gave them: a
    # network trained channels-last on CUDA keeps that layout in its file.
    wanted = model.state_dict()
    state = {k: v.to(wanted.get(k, v).dtype).contiguous() for k, v in saved["state_dict"].items()}
    model.load_state_dict(state, assign=True)
    _rebuild_unsaved(model, saved)
    return place(model, torch.device(device), precision).eval(), saved


def _rebuild_unsaved(model, saved) -> None:
    """A user's model may hold buffers outside its state dict (non-persistent): still on the
    meta device after loading, they are taken from a model built on the CPU."""
    unsaved = [name for name, buffer in model.named_buffers() if buffer.is_meta]
    if not unsaved:
        return
    built = models.build(saved["arch"], saved["num_classes"], saved["input_size"], init=False)
    for name in unsaved:
        path, _, attribute = name.rpartition(".")
        owner = model.get_submodule(path)
        owner._buffers[attribute] = built.get_buffer(name)


def load_network(model_path, data: dict, split: str, threads: int = 1, precision=FLOAT32):
    """A trained network and the `split` of its prepared data {task: folder}, checked against
    each other: (model, saved metadata, pooled images, device), the device set to `precision`."""
    torch.set_num_threads(threads)
    device = pick_device(precision)
    model, saved = load_model(model_path, device, precision)
    expected = [t["task"] for t in saved["tasks"]]
    if split != "heldout" and list(data) != expected:
        raise FuncspecError(
            f"{model_path} was trained on tasks {expected}; the data given are {list(data)}"
        )
    # Held-out classes are decoded by identity, whatever the network was trained on.
    consolidated = [t["task"] for t in saved["tasks"] if t.get("consolidated")]
    tasks = open_tasks(data, split, consolidated if split != "heldout" else ())
    return model, saved, Pooled(tasks), device


def _save_model(path, model, spec, tasks, num_classes):
    with atomic_path(path) as tmp:
        torch.save(
            {
                "network": spec["name"],
                "arch": spec["arch"],
                "input_size": spec["arch"]["input_size"],
                "num_classes": num_classes,
                "seed": spec["seed"],
                "tasks": [
                    {"task": t.task, "offset": t.offset, "classes": t.classes}
                    | ({"consolidated": True} if t.consolidated else {})
                    for t in tasks
                ],
                "state_dict": {k: v.cpu() for k, v in model.state_dict().items()},
            },
            tmp,
        )


def _history_rows(epoch: int, split: str, sums, tasks, lr: float) -> list[dict]:
    # Plain floats, not numpy's: the checkpoint must load with weights_only=True.
    return [
        {
            "epoch": epoch,
            "task": task.task,
            "split": split,
            "images": int(sums[t, 2]),
            "loss": float(sums[t, 0] / max(1, sums[t, 2])),
            "accuracy": float(sums[t, 1] / max(1, sums[t, 2])),
            "lr": lr,
        }
        for t, task in enumerate(tasks)
    ]


def _evaluate_loss(model, pooled, indices, batch_size, size, device, n_tasks, precision):
    """Loss sum, correct count and image count per task on the given images (eval mode)."""
    sums = np.zeros((n_tasks, 3))
    model.eval()
    with torch.no_grad(), autocast(device, precision):
        for x, y, task_of in eval_batches(pooled, indices, batch_size, size, device):
            _accumulate(sums, model(x), y, task_of)
    return sums


def _accumulate(sums, logits, y, task_of):
    losses = nn.functional.cross_entropy(logits.float(), y, reduction="none").detach().cpu().numpy()
    correct = (logits.argmax(1) == y).cpu().numpy()
    for t in np.unique(task_of):
        mine = task_of == t
        sums[t] += (losses[mine].sum(), correct[mine].sum(), mine.sum())


def step(model, optimizer, x, y, precision: Precision):
    """One training step on a batch: forward, loss, backward, the optimizer's update."""
    with autocast(x.device, precision):
        logits = model(x)
    loss = nn.functional.cross_entropy(logits.float(), y)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    return logits, loss


def train(
    spec: dict,
    prepared: dict,
    model_path,
    history_path,
    threads: int = 1,
    precision: Precision = FLOAT32,
    progress: bool = True,
    on_epoch_end=None,
) -> None:
    """Train network `spec` on {task: prepared dir}; write the network and its history.

    The checkpoint lies beside the network while training runs. `on_epoch_end(epoch)` is called
    after each epoch's checkpoint is on disk (tests use it to simulate a kill).
    """
    model_path = Path(model_path)
    model_path.parent.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(threads)
    device = pick_device(precision)
    run = _start(spec, prepared, device, precision, progress)
    checkpoint = model_path.with_name("checkpoint.pt")
    made_from = _made_from(spec, prepared, device, precision)
    history, start, best, stale = _resume(run, checkpoint, made_from)
    if run.frozen:
        history += _fit_frozen(run)
    # A snapshot stops after its epoch; the schedule still spans every epoch, as in the run
    # it is a snapshot of.
    last = 0 if run.frozen else spec.get("snapshot", run.cfg["epochs"])
    for epoch in range(start, last):
        rows = _epoch(run, epoch)
        lr = run.optimizer.param_groups[0]["lr"]
        for split, sums in rows:
            history += _history_rows(epoch + 1, split, sums, run.tasks, lr)
        monitored = rows[-1][1]
        monitored_loss = float(monitored[:, 0].sum() / monitored[:, 2].sum())
        if isinstance(run.scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
            run.scheduler.step(monitored_loss)
        best, stale = (monitored_loss, 0) if monitored_loss < best else (best, stale + 1)
        _write_checkpoint(checkpoint, made_from, run, epoch, best, stale, history)
        if on_epoch_end is not None:
            on_epoch_end(epoch)
        if _stops_early(spec, epoch, stale):
            break

    _save_model(model_path, run.model.eval(), spec, run.tasks, run.num_classes)
    _write_history(history_path, history)
    checkpoint.unlink(missing_ok=True)
    # A checkpoint write killed in an earlier run left its temporary even if this run wrote none.
    remove_leftovers(checkpoint)


@dataclass
class _Run:
    """One training job's network, optimizer and data, which every epoch works with."""

    spec: dict
    tasks: list
    pooled: Pooled
    num_classes: int
    model: models.VGG
    val_idx: np.ndarray
    train_idx: np.ndarray
    steps: int
    optimizer: torch.optim.Optimizer
    scheduler: object
    device: torch.device
    precision: Precision
    progress: bool

    @property
    def cfg(self) -> dict:
        return self.spec["train"]

    @property
    def frozen(self) -> bool:
        return self.cfg.get("frozen_trunk", False)

    def evaluate(self, indices):
        return _evaluate_loss(
            self.model,
            self.pooled,
            indices,
            self.cfg["batch_size"],
            self.spec["arch"]["input_size"],
            self.device,
            len(self.tasks),
            self.precision,
        )


def _start(spec: dict, prepared: dict, device, precision: Precision, progress: bool) -> _Run:
    """The initial network, its optimizer and the train/validation split of the data."""
    cfg, seed = spec["train"], spec["seed"]
    size = spec["arch"]["input_size"]
    tasks = open_tasks(prepared, "train", spec.get("consolidated", ()))
    pooled = Pooled(tasks, in_memory=cfg["in_memory"])
    num_classes = sum(len(t.classes) for t in tasks)

    torch.manual_seed(streams.seed_of("init", seed))
    classes = [len(t.classes) for t in tasks]  # in label order: a branched net's heads
    model = place(models.build(spec["arch"], classes, size), device, precision)
    order = streams.rng("validation_split", seed).permutation(len(pooled))
    n_val = int(round(cfg["validation_fraction"] * len(pooled)))
    val_idx, train_idx = np.sort(order[:n_val]), np.sort(order[n_val:])
    steps = -(-len(train_idx) // cfg["batch_size"])
    optimizer = _optimizer(trainable(model, cfg.get("frozen_trunk", False)), cfg["optimizer"])
    scheduler = _scheduler(optimizer, cfg["schedule"], cfg["epochs"], steps)
    return _Run(
        spec,
        tasks,
        pooled,
        num_classes,
        model,
        val_idx,
        train_idx,
        steps,
        optimizer,
        scheduler,
        device,
        precision,
        progress,
    )


def _made_from(spec: dict, prepared: dict, device, precision: Precision) -> dict:
    """The fingerprint a checkpoint must carry to be resumed by this job."""
    return fingerprint(
        {
            "config": spec,
            "data": data_digests(prepared),
            "code": code_digest("train"),
            "software": software(),
            "precision": vars(effective(device, precision)),
            "numerics": numerics.mode(),
        }
    )


def _resume(run: _Run, checkpoint: Path, made_from: dict) -> tuple[list, int, float, int]:
    """(history, first epoch to run, best monitored loss, epochs without improvement), restored
    from the checkpoint when it was written by a job of the same inputs, else a fresh start."""
    state = _checkpoint(checkpoint, made_from, run.device)
    if state is None:
        return [], 0, float("inf"), 0
    run.model.load_state_dict(state["model"])
    run.optimizer.load_state_dict(state["optimizer"])
    if run.scheduler is not None:
        run.scheduler.load_state_dict(state["scheduler"])
    start = state["epoch"] + 1
    print(f"resuming {run.spec['name']} after epoch {start}", file=sys.stderr)
    machine.note_resume(checkpoint, state.get("machine"))
    return state["history"], start, state["best"], state["stale"]


def _fit_frozen(run: _Run) -> list[dict]:
    """Fit a frozen trunk's readout; its history rows, as epoch 1."""
    fit_readout(
        run.model, run.pooled, run.train_idx, run.num_classes, run.cfg["batch_size"], run.device
    )
    history = []
    for split, indices in (("train", run.train_idx), ("validation", run.val_idx)):
        if len(indices):
            history += _history_rows(1, split, run.evaluate(indices), run.tasks, 0.0)
    return history


def _epoch(run: _Run, epoch: int) -> list[tuple[str, np.ndarray]]:
    """Train one epoch; [(split, per-task loss sum, correct count, image count)] of the training
    images as trained on and, when there are any, of the validation images after it."""
    cfg, seed, size = run.cfg, run.spec["seed"], run.spec["arch"]["input_size"]
    batch_size, steps, pooled, device = cfg["batch_size"], run.steps, run.pooled, run.device
    run.model.train()
    generator = streams.torch_generator("augmentation", seed, epoch)
    torch.manual_seed(streams.seed_of("dropout", seed, epoch))
    epoch_order = streams.rng("epoch_order", seed, epoch).permutation(run.train_idx)
    sums = np.zeros((len(run.tasks), 3))
    began = time.perf_counter()
    batches = [epoch_order[step * batch_size : (step + 1) * batch_size] for step in range(steps)]
    bar = tqdm(
        zip(batches, load(pooled, batches, device)),
        total=steps,
        desc=f"{run.spec['name']} epoch {epoch + 1}/{cfg['epochs']}",
        unit="batch",
        file=sys.stderr,
        disable=not run.progress,
    )
    for idx, images in bar:
        y = torch.from_numpy(pooled.labels[idx]).to(device)
        x = augment(to_input(images, device), size, cfg["greyscale_p"], generator)
        logits, loss = step(run.model, run.optimizer, normalise(x), y, run.precision)
        if isinstance(run.scheduler, torch.optim.lr_scheduler.OneCycleLR):
            run.scheduler.step()
        _accumulate(sums, logits, y, pooled.task_of[idx])
        bar.set_postfix(
            loss=f"{loss.item():.3f}",
            img_s=f"{sums[:, 2].sum() / (time.perf_counter() - began):.0f}",
        )
    rows = [("train", sums)]
    if len(run.val_idx):
        rows.append(("validation", run.evaluate(run.val_idx)))
    return rows


def _write_checkpoint(checkpoint, made_from, run: _Run, epoch, best, stale, history) -> None:
    with atomic_path(checkpoint) as tmp:
        torch.save(
            {
                "fingerprint": made_from,
                "machine": machine.facts(),
                "epoch": epoch,
                "model": run.model.state_dict(),
                "optimizer": run.optimizer.state_dict(),
                "best": best,
                "stale": stale,
                "scheduler": run.scheduler.state_dict() if run.scheduler is not None else None,
                "history": history,
            },
            tmp,
        )


def _stops_early(spec: dict, epoch: int, stale: int) -> bool:
    """Whether the monitored loss has not improved in `train.stop_patience` epochs (and say so)."""
    patience = spec["train"]["stop_patience"]
    if patience is not None and stale >= patience:
        print(
            f"{spec['name']}: stopping after epoch {epoch + 1}, no improvement in "
            f"{patience} epochs",
            file=sys.stderr,
        )
        return True
    return False


def _write_history(history_path, history: list[dict]) -> None:
    write_csv(
        history_path,
        [
            {k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in row.items()}
            for row in history
        ],
        HISTORY_COLUMNS,
    )


def _checkpoint(path: Path, made_from: dict, device) -> dict | None:
    """The checkpoint at `path` if it was written for the same fingerprint, else None."""
    if not path.exists():
        return None
    try:
        state = _load(path, device)
    except ValueError as exc:  # written before checkpoints held plain values only
        print(f"ignoring {exc}", file=sys.stderr)
        return None
    return state if resumable(path, state.get("fingerprint"), made_from) else None


INPUTS = ("data",)


def add_arguments(p) -> None:
    p.add_argument("--spec", required=True, help="the network's resolved config as JSON")
    p.add_argument("--data", nargs="+", required=True, help="TASK=PREPARED_DIR, in label order")
    arguments.compute(p)
    arguments.gpu(p)
    p.add_argument("--out", required=True, help="the trained network (model.pt)")
    p.add_argument("--history", required=True, help="the training history CSV")


def main(args) -> list:
    train(
        json.loads(args.spec),
        arguments.task_dirs(args.data),
        args.out,
        args.history,
        threads=args.threads,
        precision=Precision.of(args),
    )
    return [args.out, args.history]
