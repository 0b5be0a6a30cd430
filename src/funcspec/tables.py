"""The result tables that figures and metrics read, and what is computed from them alone.

Nothing here imports torch: a figure job reads tables, not networks, and its code digest
(funcspec.codedigest) covers none of the code that trains or runs them.
"""

from __future__ import annotations

import csv
from collections import defaultdict

import numpy as np

from .errors import FuncspecError
from .tasks import is_split, split_pairs

GROUPS = ("face-only", "object-only", "shared")


def unit_groups(face_order, object_order, n_units: int, fraction: float) -> list[str]:
    """Each unit's group: face-only, object-only, shared or other."""
    top = round(fraction * n_units)
    face, obj = set(face_order[:top]), set(object_order[:top])
    if len(face_order) < top or len(object_order) < top:
        raise FuncspecError(f"a ranking of {n_units} units is shorter than its top {top}")
    names = {(True, False): "face-only", (False, True): "object-only", (True, True): "shared"}
    return [names.get((u in face, u in obj), "other") for u in range(n_units)]


def segregation(rows: list[dict], task_a: str, task_b: str, fraction: float) -> dict:
    """How specific the two tasks' units are, at one lesion fraction.

    index: mean of (a's drop after an a-lesion minus a's drop after a b-lesion) and the same for b;
    0 when the two lesions hurt each task alike, 1 for a complete double dissociation.
    ratio: mean over the tasks of (own - other) / (own + other), scale-free, so it does not
    saturate when every lesion of a small net drives accuracy near chance.
    """
    drop = {
        (r["lesion"], r["task"]): r["drop"]
        for r in rows
        if r["draw"] == 0 and np.isclose(r["fraction"], fraction)
    }
    return dissociation(drop, task_a, task_b)


def split_segregation(rows: list[dict], fraction: float) -> dict:
    """segregation() of a seed's random class splits, averaged over its partitions."""
    pairs = split_pairs(dict.fromkeys(r["lesion"] for r in rows))
    each = [segregation(rows, *pair, fraction) for pair in pairs]
    return {key: float(np.mean([s[key] for s in each])) for key in ("index", "ratio")}


def dissociation(drop: dict, task_a: str, task_b: str) -> dict:
    """The segregation index and ratio from {(lesion, task): proportional drop}."""
    own_a, other_a = drop[(task_a, task_a)], drop[(task_b, task_a)]
    own_b, other_b = drop[(task_b, task_b)], drop[(task_a, task_b)]

    def ratio(own, other):
        return (own - other) / (own + other) if own + other > 0 else 0.0

    return {
        "index": ((own_a - other_a) + (own_b - other_b)) / 2,
        "ratio": (ratio(own_a, other_a) + ratio(own_b, other_b)) / 2,
    }


def read_tables(paths) -> dict[str, dict[str, list[dict]]]:
    """{network: {layer: rows}} from lesion tables, numbers parsed."""
    out = defaultdict(dict)
    for path in paths:
        with open(path, newline="") as f:
            rows = list(csv.DictReader(f))
        for r in rows:
            for key in ("fraction", "accuracy", "loss", "drop", "accuracy_unlesioned"):
                r[key] = float(r[key])
            r["draw"] = int(r["draw"])
        out[rows[0]["network"]][rows[0]["layer"]] = rows
    return out


def has_splits(layers: dict) -> bool:
    """Whether the network's random class splits were ranked and lesioned."""
    return any(is_split(r["lesion"]) for rows in layers.values() for r in rows)


def ranked_tasks(layers: dict) -> tuple:
    """The real tasks a network was lesioned by (its own rankings), in table order."""
    seen = dict.fromkeys(r["lesion"] for rows in layers.values() for r in rows)
    return tuple(t for t in seen if t not in ("none", "random") and not is_split(t))


def read_selectivity(paths) -> list[dict]:
    """Every unit of the given selectivity tables."""
    rows = []
    for path in paths:
        with open(path, newline="") as f:
            rows += [
                {**r, "unit": int(r["unit"]), "d_prime": float(r["d_prime"])}
                for r in csv.DictReader(f)
            ]
    return rows


def read_visualizations(paths) -> list[dict]:
    """Every visualisation of the given files, one dict per image."""
    rows = []
    for path in paths:
        with np.load(path) as f:
            for i in range(len(f["unit"])):
                rows.append(
                    {
                        "network": str(f["network"]),
                        "layer": str(f["layer"]),
                        **{
                            k: int(f[k][i]) for k in ("unit", "restart", "face_rank", "object_rank")
                        },
                        "group": str(f["group"][i]),
                        "chosen": bool(f["chosen"][i]),
                        "random": bool(f["random"][i]),
                        "activation": float(f["activation"][i]),
                        "start_activation": float(f["start_activation"][i]),
                        "image": f["images"][i],
                        "start": f["start"][i],
                    }
                )
    return rows
