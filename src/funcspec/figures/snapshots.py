"""Segregation over training: the segregation index of a dual-task network's layers against
the epoch of training, from snapshots of each seed taken after configured epochs (config
`snapshots`). Epoch 0 is the network's initial trunk with a trained class layer (its untrained
twin: the same seed draws the same initial weights), the last epoch the trained network itself.

Panel A: each layer's index by epoch, a line per layer, dark for the deepest; a star where the
index is above the same layer's at epoch 0 (Holm across every layer of every later epoch).
Panel B, the primary test: the trend with depth at each epoch against epoch 0's (paired: the
same seeds and test images), Holm across epochs. Means over seeds; nested bootstrap intervals
over seeds, classes and test images. Every number drawn is a row of snapshots.csv.

A snapshot is its network's training stopped early, so its history must be the first epochs of
the network's: the figure refuses snapshots whose history is not, since they would not show the
network's own past (say, training that is not deterministic on the device it ran on).
"""

from __future__ import annotations

import csv
import sys
from collections import defaultdict
from itertools import zip_longest

import numpy as np
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..errors import FuncspecError
from ..layers import depth_order
from ..seeds import epoch_of, instance, split
from ..stats import depth_slope, holm, load_images, p_above
from . import save
from .save import save_figure
from .segregation import (
    STATISTICS_COLUMNS,
    index_rows,
    layer_columns,
    resamples_of,
    trend_row,
)
from .style import label

COLUMNS = [
    *layer_columns("epoch"),
    *STATISTICS_COLUMNS[:4],  # the seeds: how many, each one's index, their interval
    "p_untrained",
    "p_untrained_holm",
    "p_zero",
]


def last_epochs(history_paths) -> dict[str, int]:
    """{instance or snapshot: the last epoch of its history}, after checking that each
    snapshot's history is the first epochs of its trained instance's, row for row."""
    histories = {}
    for path in history_paths:
        with open(path, newline="") as f:
            rows = list(csv.DictReader(f))
        if not rows:
            raise FuncspecError(f"{path}: an empty training history")
        histories[path] = rows
    by_name = {_name_of(path): rows for path, rows in histories.items()}
    last = {name: max(int(r["epoch"]) for r in rows) for name, rows in by_name.items()}
    for name, rows in by_name.items():
        epoch = epoch_of(name)
        if epoch is None:
            continue
        of = instance(*split(name))
        trained = by_name.get(of)
        if trained is None:
            raise FuncspecError(f"the history of {name} came without {of}'s")
        if last[of] <= epoch:
            raise FuncspecError(
                f"snapshot {name} is not before the end of {of}'s training, which stopped "
                f"after epoch {last[of]} (train.stop_patience): take snapshots before the stop"
            )
        past = [r for r in trained if int(r["epoch"]) <= epoch]
        for own, theirs in zip_longest(rows, past):
            if own != theirs:
                raise FuncspecError(
                    f"snapshot {name} did not retrace {of}'s training: it has "
                    f"{_row_text(own)} where the network had {_row_text(theirs)}. Training "
                    "is not deterministic where they ran; rerun both on one device"
                )
    return last


def _name_of(history_path) -> str:
    """The instance a history belongs to: results/train/<instance>/history.csv."""
    parts = str(history_path).replace("\\", "/").split("/")
    return parts[-2]


def _row_text(row) -> str:
    if row is None:
        return "no row"
    return (
        f"epoch {row['epoch']} {row['task']} {row['split']}: loss {row['loss']}, "
        f"accuracy {row['accuracy']}"
    )


def by_epoch(npz_paths, network: str, untrained: str, last: dict) -> dict[int, dict]:
    """{epoch: {layer: [per-image results of each seed, in seed order]}}: the untrained twin's
    at 0, each snapshot's at its epoch and the trained network's at its last epoch."""
    out = defaultdict(lambda: defaultdict(list))
    for path in dict.fromkeys(npz_paths):
        images = load_images(path)
        name = str(images["network"])
        base, seed = split(name)
        if base == untrained:
            epoch = 0
        elif base == network:
            epoch = epoch_of(name)
            epoch = last[name] if epoch is None else epoch
        else:
            raise FuncspecError(f"{path}: lesions of {name}, neither {network} nor {untrained}")
        out[epoch][str(images["layer"])].append(images)
    finals = {e for name, e in last.items() if epoch_of(name) is None}
    if len(finals) > 1:
        raise FuncspecError(
            f"the seeds of {network} ended training after different epochs ({sorted(finals)}); "
            "the figure draws one last epoch"
        )
    for layers in out.values():
        for seeds in layers.values():
            seeds.sort(key=lambda images: split(str(images["network"]))[1])
    return dict(sorted(out.items()))


def snapshots(
    images_npz, histories, out, network, untrained, tasks, fraction, statistics
) -> list[dict]:
    """Draw the figure from the per-image lesion results of the network, its snapshots and its
    untrained twin; write its files `out` (pdf, png, csv)."""
    epochs = by_epoch(images_npz, network, untrained, last_epochs(histories))
    if 0 not in epochs or len(epochs) < 2:
        raise FuncspecError(
            f"lesion results of {untrained} (epoch 0) and of {network} are both needed"
        )
    level = statistics["level"]
    last = max(epochs)
    resamples = resamples_of(network, epochs[last], statistics)
    rows, samples, slopes, trends = {}, {}, {}, {}
    for epoch, layers in epochs.items():
        name = untrained if epoch == 0 else network
        if resamples_of(name, layers, statistics, like=resamples) is not resamples:
            raise FuncspecError(
                f"epoch {epoch} of {network} was lesioned on other test images or seeds than "
                "its last epoch: the comparison between epochs would not be paired"
            )
        rows[epoch], samples[epoch] = index_rows(
            "A", name, layers, tasks, fraction, statistics, resamples
        )
        trends[epoch] = trend_row("B", name, rows[epoch], samples[epoch], level)
        order = depth_order(layers)
        slopes[epoch] = depth_slope(np.stack([samples[epoch][layer] for layer in order]))
    later = [e for e in epochs if e > 0]
    _test(
        [r for e in later for r in rows[e]],
        [samples[e][r["layer"]] for e in later for r in rows[e]],
        [samples[0][r["layer"]] for e in later for r in rows[e]],
    )
    _test([trends[e] for e in later], [slopes[e] for e in later], [slopes[0]] * len(later))
    table = []
    for epoch in epochs:
        for row in rows[epoch] + [trends[epoch]]:
            row.pop("baseline", None)
            table.append({**row, "epoch": epoch})
            undefined = row["per_seed"].split().count("nan")
            if undefined and row["task"] == "segregation_index":
                print(
                    f"epoch {epoch}, {row['layer']}: the index of {undefined} of "
                    f"{row['n_seeds']} seeds is undefined (a task with no correct test image "
                    "before the lesion), so is their mean",
                    file=sys.stderr,
                )
    save_figure(lambda: _draw(table, network, level), table, COLUMNS, out)
    return table


def _test(rows, samples, nulls) -> None:
    """Each row's p-value of not being above its epoch-0 null, raw and Holm-corrected across
    `rows` (in place)."""
    for row, own, null in zip(rows, samples, nulls):
        row["p_untrained"] = p_above(own, null)
    for row, adjusted in zip(rows, holm([row["p_untrained"] for row in rows])):
        row["p_untrained_holm"] = float(adjusted)


def _draw(rows, network, level) -> Figure:
    fig = Figure(figsize=(9, 3.4))
    FigureCanvasAgg(fig)
    a, b = fig.subplots(1, 2)
    by_layer = [r for r in rows if r["task"] == "segregation_index"]
    layers = sorted({r["layer"]: r["depth"] for r in by_layer}.items(), key=lambda x: x[1])
    shades = colormaps["viridis_r"](np.linspace(0.15, 1.0, len(layers)))
    for (layer, _), shade in zip(layers, shades):
        line = sorted((r for r in by_layer if r["layer"] == layer), key=lambda r: r["epoch"])
        _errorbar(a, line, shade, layer)
        for r in line:
            if r.get("p_untrained_holm", 1.0) < 1 - level:
                a.plot(r["epoch"], r["err_high"] + 0.02, "*", color=shade, ms=5)
    a.set_title(f"A  {label(network)}: index by layer")
    a.set_ylabel("segregation index")
    a.legend(fontsize=6, ncol=2)
    trend = sorted((r for r in rows if r["task"] == "depth_slope"), key=lambda r: r["epoch"])
    _errorbar(b, trend, "0.2", "trend with depth")
    for r in trend:
        if r.get("p_untrained_holm", 1.0) < 1 - level:
            b.plot(r["epoch"], r["err_high"] + 0.005, "*", color="0.2", ms=5)
    b.set_title("B  Trend with depth (primary test)")
    b.set_ylabel("slope of the index per layer")
    for ax in (a, b):
        ax.set_xlabel("epoch (0: untrained trunk)")
        ax.axhline(0, color="0.7", lw=0.5)
    fig.tight_layout()
    return fig


def _errorbar(ax, rows, color, text) -> None:
    x = [r["epoch"] for r in rows]
    y = np.array([r["value"] for r in rows])
    lo = np.maximum(0, y - np.array([r["err_low"] for r in rows]))
    hi = np.maximum(0, np.array([r["err_high"] for r in rows]) - y)
    ax.errorbar(x, y, yerr=[lo, hi], marker="o", ms=3, color=color, label=text, capsize=2)


INPUTS = ("images", "histories")


def add_arguments(p) -> None:
    p.add_argument(
        "--images",
        nargs="+",
        required=True,
        help="per-image lesion results (.npz) of the network, its snapshots and its twin",
    )
    p.add_argument(
        "--histories",
        nargs="+",
        required=True,
        help="training histories of the network's seeds and of their snapshots",
    )
    p.add_argument("--untrained", required=True, help="the untrained twin: epoch 0")
    save.lesion_figure(p)
    save.statistics(p)


def main(args) -> list:
    snapshots(
        args.images,
        args.histories,
        save.figure_files(args),
        args.network,
        args.untrained,
        (args.face_task, args.object_task),
        args.fraction,
        save.statistics_of(args),
    )
    return save.figure_files(args)
