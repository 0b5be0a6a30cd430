"""How far a category's features overlap with objects' in a network trained on both (Figure 4),
measured without lesions: each task's held-out classes decoded (Figure 1B's decoder) from the
penultimate layer's units that the other task relies on (the top of its ranking) and from those
its own task relies on; and from colour alone (the probe's colour histograms), the share of a
category that colour defines.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from threadpoolctl import threadpool_limits

from . import arguments
from .atomic import write_csv
from .data import Pooled, open_tasks
from .decode import activations, cross_validated
from .errors import FuncspecError
from .gpu import pick_device
from .probe import lowlevel_features
from .train import load_model

COLUMNS = ["network", "decoded", "features", "n_features", "accuracy", "sem", "chance"]


def overlap(
    model_path,
    data: dict,
    relevance_paths,
    out,
    *,
    fraction: float,
    batch_size: int,
    folds: int,
    seed: int,
    threads: int = 1,
) -> None:
    """The overlap step: each task's held-out classes decoded from each task's top units of the
    penultimate layer, and from colour histograms."""
    torch.set_num_threads(threads)
    device = pick_device()
    model, saved = load_model(model_path, device)
    units = {}
    for path in relevance_paths:
        ranking = json.loads(Path(path).read_text())
        if ranking["layer"] != model.penultimate:
            raise FuncspecError(f"{path} ranks {ranking['layer']}, not {model.penultimate}")
        units[ranking["task"]] = ranking["order"][: round(fraction * ranking["n_units"])]
    missing = set(data) - set(units)
    if missing:
        raise FuncspecError(f"no ranking of {model.penultimate} for {', '.join(sorted(missing))}")
    rows = []
    for task, folder in data.items():
        pooled = Pooled(open_tasks({task: folder}, "heldout"))
        if not len(pooled):
            raise FuncspecError(f"{task} has no held-out images to decode ({folder})")
        features = activations(model, pooled, model.penultimate, batch_size, device)
        sets = {f"{other} units": features[:, units[other]] for other in data}
        sets["colour"] = lowlevel_features(pooled.images(np.arange(len(pooled))))[
            "colour_histogram"
        ]
        for name, x in sets.items():
            with threadpool_limits(threads):
                result = cross_validated(x, pooled.labels, folds=folds, seed=seed)
            rows.append(
                {
                    "network": saved["network"],
                    "decoded": task,
                    "features": name,
                    "n_features": x.shape[1],
                    **{k: result[k] for k in ("accuracy", "sem", "chance")},
                }
            )
    write_csv(out, rows, COLUMNS)


INPUTS = ("model", "data", "relevance")


def add_arguments(p) -> None:
    arguments.network(p)
    p.add_argument("--relevance", nargs="+", required=True, help="penultimate layer's rankings")
    p.add_argument("--fraction", type=float, required=True, help="top share of each ranking")
    p.add_argument("--folds", type=int, required=True)
    p.add_argument("--out", required=True, help="decoding table CSV")


def main(args) -> list:
    overlap(
        args.model,
        arguments.task_dirs(args.data),
        args.relevance,
        args.out,
        fraction=args.fraction,
        batch_size=args.batch_size,
        folds=args.folds,
        seed=args.seed,
        threads=args.threads,
    )
    return [args.out]
