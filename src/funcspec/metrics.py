"""The headline numbers of a run in one JSON file, read by DVC as its metrics.

`accuracy.<network>.<task>`: top-1 test accuracy (joint argmax); `decode.<network>.<task>`:
held-out linear decoding accuracy; `segregation_index.<network>.<layer>`: Fig. 2's index at the
lesion fraction drawn, for every network lesioned on two tasks (null where a task starts at zero
accuracy, so no drop is defined), and
`segregation_index_random_split.<network>.<layer>` for its random class splits (the mean over
the seed's partitions). The training
curves are copied, one file per network in one folder: the shape DVC plots a folder of curves from.
"""

from __future__ import annotations

import csv
import math
import shutil

from .atomic import atomic_path, write_json
from .errors import FuncspecError
from .layers import depth_order
from .tables import has_splits, ranked_tasks, read_tables, segregation, split_segregation


def metrics(
    accuracy_csvs, decode_csvs, lesion_csvs, history_csvs, fraction: float, out, training_out
) -> None:
    """The metrics step: headline.json, and each history.csv copied to its place in
    `training_out` (same order)."""
    write_json(out, headline_metrics(accuracy_csvs, decode_csvs, lesion_csvs, fraction))
    if len(history_csvs) != len(training_out):
        raise FuncspecError(f"{len(history_csvs)} histories for {len(training_out)} training files")
    for history, copy in zip(history_csvs, training_out):
        with atomic_path(copy) as tmp:
            shutil.copyfile(history, tmp)


def _rows(path) -> list[dict]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def _number(value: float) -> float | None:
    """JSON has no NaN: an index with no defined drop (a task at zero accuracy) is null."""
    return value if math.isfinite(value) else None


def headline_metrics(accuracy_csvs, decode_csvs, lesion_csvs, fraction: float) -> dict:
    metrics = {
        "accuracy": {},
        "decode": {},
        "segregation_index": {},
        "segregation_index_random_split": {},
    }
    for key, paths in (("accuracy", accuracy_csvs), ("decode", decode_csvs)):
        for path in paths:
            for r in _rows(path):
                metrics[key].setdefault(r["network"], {})[r["task"]] = float(r["accuracy"])
    for network, layers in read_tables(lesion_csvs).items():
        tasks = ranked_tasks(layers)
        if len(tasks) == 2:
            metrics["segregation_index"][network] = {
                layer: _number(segregation(layers[layer], *tasks, fraction)["index"])
                for layer in depth_order(layers)
            }
        if has_splits(layers):
            metrics["segregation_index_random_split"][network] = {
                layer: _number(split_segregation(layers[layer], fraction)["index"])
                for layer in depth_order(layers)
            }
    return {key: value for key, value in metrics.items() if value}


INPUTS = ("accuracy", "decode", "lesion", "histories")


def add_arguments(p) -> None:
    p.add_argument("--accuracy", nargs="+", required=True, help="accuracy tables")
    p.add_argument("--decode", nargs="*", default=[], help="decoding tables")
    p.add_argument("--lesion", nargs="*", default=[], help="lesion tables")
    p.add_argument("--histories", nargs="*", default=[], help="training histories")
    p.add_argument("--fraction", type=float, required=True, help="lesion fraction of the index")
    p.add_argument("--out", required=True, help="headline.json")
    p.add_argument(
        "--training",
        nargs="*",
        default=[],
        help="where each history is copied for DVC plots, in --histories order",
    )


def main(args) -> list:
    metrics(
        args.accuracy,
        args.decode,
        args.lesion,
        args.histories,
        args.fraction,
        args.out,
        args.training,
    )
    return [args.out, *args.training]
