"""The headline numbers of a run in one JSON file, read by DVC as its metrics.

`accuracy.<network>.<task>`: top-1 test accuracy (joint argmax); `decoding.<network>.<dataset>`:
held-out linear decoding accuracy; `segregation_index.<network>.<layer>`: Fig. 2's index at the
lesion fraction drawn, for every network lesioned on two tasks, and
`segregation_index_random_split.<network>.<layer>` for its random class split.
"""
from __future__ import annotations

import csv

from .figures.fig2 import depth_order, has_lesion, ranked_tasks, read_lesions
from .lesion import segregation
from .tasks import SPLIT


def _rows(path) -> list[dict]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def headline_metrics(accuracy_csvs, decoding_csvs, lesion_csvs, fraction: float) -> dict:
    metrics = {"accuracy": {}, "decoding": {}, "segregation_index": {},
               "segregation_index_random_split": {}}
    for path in accuracy_csvs:
        for r in _rows(path):
            metrics["accuracy"].setdefault(r["network"], {})[r["task"]] = float(r["accuracy"])
    for path in decoding_csvs:
        for r in _rows(path):
            metrics["decoding"].setdefault(r["network"], {})[r["dataset"]] = float(r["accuracy"])
    for network, layers in read_lesions(lesion_csvs).items():
        pairs = {"segregation_index": ranked_tasks(layers)}
        if has_lesion(layers, SPLIT[0]):
            pairs["segregation_index_random_split"] = SPLIT
        for key, tasks in pairs.items():
            if len(tasks) == 2:
                metrics[key][network] = {layer: segregation(layers[layer], *tasks, fraction)["index"]
                                         for layer in depth_order(layers)}
    return {key: value for key, value in metrics.items() if value}
