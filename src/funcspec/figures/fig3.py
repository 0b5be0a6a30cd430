"""Fig. 3: what the face and object filters encode. Panel A: the preferred image of each
top-ranked unit (rows: network and layer; each task's units side by side, labelled with unit
and rank). Panel B: the share of each task's visualisations that the independent readout
classifier calls faces, by depth, pooled over units and seeds, with its exact binomial interval;
beside them the share of the starting noise it calls faces, its bias on unnatural images.
The study's claim predicts a share rising with depth for face units and staying low for object
units. Every image and every share is a row of fig3.csv.
"""

from __future__ import annotations

import csv

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..layers import depth_order
from ..seeds import split
from ..stats import binomial_interval
from ..visualize import read
from .save import save_figure
from .style import colour, label

COLUMNS = [
    "panel",
    "network",
    "layer",
    "depth",
    "task",
    "unit",
    "rank",
    "activation",
    "start_activation",
    "p_face",
    "face",
    "p_face_start",
    "face_start",
    "value",
    "err_low",
    "err_high",
    "n_images",
    "n_seeds",
    "classifier_accuracy",
]


def fig3(visualizations, readout_csv, out_prefix, level: float) -> list[dict]:
    """Draw Fig. 3 from the visualisations and the readout's verdict on each."""
    images = read(visualizations)
    with open(readout_csv, newline="") as f:
        verdicts = {
            (r["network"], r["layer"], r["task"], int(r["unit"])): r for r in csv.DictReader(f)
        }
    layers = depth_order({r["layer"] for r in images})
    rows = []
    for r in images:
        verdict = verdicts[(r["network"], r["layer"], r["task"], r["unit"])]
        rows.append(
            {
                "panel": "A",
                **{k: v for k, v in r.items() if k not in ("image", "start")},
                "depth": layers.index(r["layer"]),
                "p_face": float(verdict["p_face"]),
                "face": verdict["face"] == "True",
                "p_face_start": float(verdict["p_face_start"]),
                "face_start": verdict["face_start"] == "True",
                "classifier_accuracy": float(verdict["classifier_accuracy"]),
            }
        )
    rows += face_shares(rows, level)
    pictures = [r["image"] for r in images]
    save_figure(lambda: _draw(rows, pictures, layers), rows, COLUMNS, out_prefix)
    return rows


NOISE = "starting noise"


def face_shares(image_rows: list[dict], level: float) -> list[dict]:
    """Per network (seeds pooled), layer and task: the share of visualisations called faces;
    per network and layer, the share of their starting noise images (task NOISE)."""
    groups = {}
    for r in image_rows:
        network = split(r["network"])[0]
        groups.setdefault((network, r["layer"], r["task"], "face"), []).append(r)
        groups.setdefault((network, r["layer"], NOISE, "face_start"), []).append(r)
    shares = []
    for (network, layer, task, verdict), members in groups.items():
        k, n = sum(r[verdict] for r in members), len(members)
        low, high = binomial_interval(k, n, level)
        shares.append(
            {
                "panel": "B",
                "network": network,
                "layer": layer,
                "depth": members[0]["depth"],
                "task": task,
                "value": k / n,
                "err_low": low,
                "err_high": high,
                "n_images": n,
                "n_seeds": len({r["network"] for r in members}),
                "classifier_accuracy": members[0]["classifier_accuracy"],
            }
        )
    return shares


def _draw(rows, pictures, layers) -> Figure:
    shown = [r for r in rows if r["panel"] == "A"]
    lines = sorted(
        {(r["network"], r["layer"]) for r in shown}, key=lambda k: (k[0], layers.index(k[1]))
    )
    columns = max(sum(1 for r in shown if (r["network"], r["layer"]) == line) for line in lines)
    fig = Figure(figsize=(max(6.0, 0.8 * columns + 1.0), 0.95 * len(lines) + 3.0))
    FigureCanvasAgg(fig)
    top, bottom = fig.subfigures(2, 1, height_ratios=[0.95 * len(lines), 3.0])
    grid = top.subplots(len(lines), columns, squeeze=False)
    for i, line in enumerate(lines):
        members = [(r, p) for r, p in zip(shown, pictures) if (r["network"], r["layer"]) == line]
        for j, ax in enumerate(grid[i]):
            ax.set_xticks([])
            ax.set_yticks([])
            if j >= len(members):
                ax.set_axis_off()
                continue
            r, picture = members[j]
            ax.imshow(picture, interpolation="nearest")
            ax.set_title(f"{r['task']} #{r['rank']}, unit {r['unit']}", fontsize=5, pad=2)
            if j == 0:
                ax.set_ylabel(f"{line[0]}\n{line[1]}", fontsize=6)
    top.suptitle("A  Preferred images of the top-ranked units", x=0.02, ha="left", fontsize=9)
    ax = bottom.subplots()
    shares = [r for r in rows if r["panel"] == "B"]
    pairs = sorted({(r["network"], r["task"]) for r in shares})
    for i, (network, task) in enumerate(pairs):
        shift = 0.06 * (i - (len(pairs) - 1) / 2)  # equal shares stay visible side by side
        own = sorted(
            (r for r in shares if (r["network"], r["task"]) == (network, task)),
            key=lambda r: r["depth"],
        )
        y = np.array([r["value"] for r in own])
        ax.errorbar(
            [r["depth"] + shift for r in own],
            y,
            yerr=[y - [r["err_low"] for r in own], [r["err_high"] for r in own] - y],
            label=f"{label(network)}: {task}" + ("" if task == NOISE else " units"),
            color=colour(task.split("_")[0].rstrip("s")),  # faces_matched -> face
            marker="o",
            linestyle=":" if task == NOISE else "-",
            capsize=2,
        )
    ax.set_xticks(range(len(layers)), layers)
    ax.set_ylim(-0.02, 1.02)
    ax.set_ylabel("called a face")
    accuracy = shares[0]["classifier_accuracy"]
    ax.set_title(
        f"B  Visualisations the readout calls faces (its held-out accuracy {accuracy:.2f})"
    )
    ax.legend()
    return fig
