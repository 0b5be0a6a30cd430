"""Face selectivity of every unit, measured on real images no network trained on (Figure 3's
primary analysis, which needs no pictures): d' between a unit's mean response to held-out faces
and to held-out objects, and the unit's group in the two rankings.

A unit is face-only when it is in the top `fraction` of the face task's ranking only (the units
the Fig. 2 lesion removes), object-only when in the object task's only, shared when in both.
"""

from __future__ import annotations

import json

import numpy as np
import torch

from . import arguments
from .atomic import write_csv
from .data import Pooled, centre_crop, normalise, open_tasks, to_input
from .errors import FuncspecError
from .gpu import pick_device
from .tables import unit_groups
from .train import load_model

COLUMNS = ["network", "layer", "unit", "group", "d_prime", "face_rank", "object_rank"]


def d_prime(face: np.ndarray, objects: np.ndarray) -> np.ndarray:
    """d' of each column (unit) of two (images, units) response tables: the difference of means
    over the root mean of the two variances; 0 for a unit silent on both."""
    spread = np.sqrt((face.var(0, ddof=1) + objects.var(0, ddof=1)) / 2)
    difference = face.mean(0) - objects.mean(0)
    return np.divide(difference, spread, out=np.zeros_like(difference), where=spread > 0)


@torch.no_grad()
def responses(model, x: torch.Tensor, layer: str, batch_size: int = 256) -> np.ndarray:
    """Each unit's response to each image: its activation map averaged over space."""
    out = []
    for start in range(0, len(x), batch_size):
        maps = model(x[start : start + batch_size], stop=layer)
        out.append(maps.flatten(2).mean(2) if maps.dim() == 4 else maps)
    return torch.cat(out).double().cpu().numpy()


def selectivity(
    model_path,
    face_dir,
    object_dir,
    relevance_paths,
    out,
    *,
    face_task: str,
    object_task: str,
    fraction: float,
    threads: int = 1,
) -> None:
    """The selectivity step: every ranked unit's d' on the held-out images of `face_dir` and
    `object_dir`, with its group."""
    torch.set_num_threads(threads)
    device = pick_device()
    model, saved = load_model(model_path, device)
    rankings = {}
    for path in relevance_paths:
        ranking = json.loads(open(path).read())
        rankings[(ranking["layer"], ranking["task"])] = ranking
    pooled = Pooled(open_tasks({"faces": face_dir, "objects": object_dir}, "heldout"))
    x = normalise(
        centre_crop(to_input(pooled.images(np.arange(len(pooled))), device), model.input_size)
    )
    is_face = pooled.task_of == 0
    rows = []
    for layer in dict.fromkeys(layer for layer, _ in rankings):
        missing = [t for t in (face_task, object_task) if (layer, t) not in rankings]
        if missing:
            raise FuncspecError(f"no ranking of {layer} for task {', '.join(missing)}")
        face, obj = rankings[(layer, face_task)], rankings[(layer, object_task)]
        r = responses(model, x, layer)
        scores = d_prime(r[is_face], r[~is_face])
        groups = unit_groups(face["order"], obj["order"], face["n_units"], fraction)
        face_rank = {u: i + 1 for i, u in enumerate(face["order"])}
        object_rank = {u: i + 1 for i, u in enumerate(obj["order"])}
        rows += [
            {
                "network": saved["network"],
                "layer": layer,
                "unit": u,
                "group": groups[u],
                "d_prime": float(scores[u]),
                "face_rank": face_rank.get(u, ""),
                "object_rank": object_rank.get(u, ""),
            }
            for u in range(face["n_units"])
        ]
    write_csv(out, rows, COLUMNS)


INPUTS = ("model", "faces", "objects", "relevance")


def add_arguments(p) -> None:
    p.add_argument("--model", required=True)
    p.add_argument("--faces", required=True, help="prepared face dataset (its held-out split)")
    p.add_argument("--objects", required=True, help="prepared object dataset (held-out split)")
    p.add_argument("--relevance", nargs="+", required=True, help="ranking JSONs of both tasks")
    arguments.unit_groups(p)
    arguments.compute(p)
    p.add_argument("--out", required=True, help="one row per unit (CSV)")


def main(args) -> list:
    selectivity(
        args.model,
        args.faces,
        args.objects,
        args.relevance,
        args.out,
        face_task=args.face_task,
        object_task=args.object_task,
        fraction=args.fraction,
        threads=args.threads,
    )
    return [args.out]
