"""Training curves: loss and top-1 accuracy per epoch, one line per task and split."""

from __future__ import annotations

import csv
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from ..atomic import atomic_path  # noqa: E402


def history(history_csv, out_png) -> None:
    """The history step: a network's training curves as a PNG."""
    curves = defaultdict(lambda: defaultdict(list))
    with open(history_csv) as f:
        for row in csv.DictReader(f):
            curve = curves[f"{row['task']} ({row['split']})"]
            for key in ("epoch", "loss", "accuracy"):
                curve[key].append(float(row[key]))
    fig, axes = plt.subplots(1, 2, figsize=(8, 3))
    for label, curve in sorted(curves.items()):
        for ax, key in zip(axes, ("loss", "accuracy")):
            ax.plot(curve["epoch"], curve[key], marker=".", label=label)
    for ax, key in zip(axes, ("cross-entropy loss", "top-1 accuracy")):
        ax.set_xlabel("epoch")
        ax.set_ylabel(key)
    if curves:
        axes[1].legend(fontsize="small")
    else:
        axes[0].text(0.5, 0.5, "not trained (0 epochs)", ha="center", transform=axes[0].transAxes)
    fig.tight_layout()
    with atomic_path(out_png) as tmp:
        fig.savefig(tmp, format="png", dpi=100, metadata={"Software": None})
    plt.close(fig)


INPUTS = ("history",)


def add_arguments(p) -> None:
    p.add_argument("--history", required=True, help="the training history CSV")
    p.add_argument("--out", required=True)


def main(args) -> list:
    history(args.history, args.out)
    return [args.out]
