"""Fig. 2: lesions of face- and object-ranked filters in the dual net, layer by layer.

Panel A: proportional drop of each task after lesioning the top face filters; B: after the top
object filters; both with the random-lesion control (mean over draws, error bar = min..max).
Panel C: segregation index against depth, with the random class split as its baseline.
figS1 (controls): the segregation index of every lesioned multi-task net (e.g. a greyscale dual
net) and each single-task net's drop under its own lesion against random lesions.
Every number drawn is a row of figN.csv.
"""
from __future__ import annotations

import csv
import re
from collections import defaultdict

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..lesion import segregation
from ..tasks import SPLIT
from .save import save_figure
from .style import colour, label

COLUMNS = ["panel", "network", "layer", "depth", "lesion", "task", "value", "err_low", "err_high"]


def read_lesions(paths) -> dict[str, dict[str, list[dict]]]:
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


def depth_order(layers) -> list[str]:
    """conv layers by number, then fc layers by number: input to output."""
    return sorted(layers, key=lambda n: (n.startswith("fc"), int(re.sub(r"\D", "", n))))


def _drops(rows, lesion, task, fraction):
    return [r["drop"] for r in rows if r["lesion"] == lesion and r["task"] == task
            and np.isclose(r["fraction"], fraction)]


def _row(panel, network, layer, depth, lesion, task, values):
    values = np.asarray(values, dtype=float)
    return {"panel": panel, "network": network, "layer": layer, "depth": depth, "lesion": lesion,
            "task": task, "value": float(values.mean()),
            "err_low": float(values.min()), "err_high": float(values.max())}


def lesion_rows(network, layers: dict, tasks, fraction) -> list[dict]:
    """Drops of each task after each ranked lesion and after random lesions, per layer."""
    rows = []
    for depth, layer in enumerate(depth_order(layers), 1):
        table = layers[layer]
        for panel, lesion in zip("AB", tasks):
            for task in tasks:
                rows.append(_row(panel, network, layer, depth, lesion, task,
                                 _drops(table, lesion, task, fraction)))
                random = _drops(table, "random", task, fraction)
                if random:
                    rows.append(_row(panel, network, layer, depth, "random", task, random))
    return rows


def segregation_rows(panel, network, layers: dict, tasks, fraction) -> list[dict]:
    """Segregation index and ratio per layer for a pair of tasks (real or the random split)."""
    rows = []
    for depth, layer in enumerate(depth_order(layers), 1):
        s = segregation(layers[layer], *tasks, fraction)
        lesion = "+".join(tasks)
        rows.append(_row(panel, network, layer, depth, lesion, "segregation_index", [s["index"]]))
        rows.append(_row(panel, network, layer, depth, lesion, "segregation_ratio", [s["ratio"]]))
    return rows


def has_lesion(layers: dict, task) -> bool:
    return any(r["lesion"] == task for rows in layers.values() for r in rows)


def ranked_tasks(layers: dict) -> tuple:
    """The real tasks a network was lesioned by (its own rankings), in table order."""
    seen = dict.fromkeys(r["lesion"] for rows in layers.values() for r in rows)
    return tuple(t for t in seen if t not in ("none", "random", *SPLIT))


def fig2(lesion_csvs, out_prefix, network="dual", face_task="faces", object_task="objects",
         fraction=0.2, control_csvs=(), controls_prefix=None) -> list[dict]:
    tables = read_lesions(list(lesion_csvs) + list(control_csvs))
    tasks = (face_task, object_task)
    main = tables[network]
    rows = lesion_rows(network, main, tasks, fraction)
    rows += segregation_rows("C", network, main, tasks, fraction)
    if has_lesion(main, SPLIT[0]):
        rows += segregation_rows("C", f"{network} (random split)", main, SPLIT, fraction)
    save_figure(lambda: _draw_fig2(rows, network, tasks), rows, COLUMNS, out_prefix)

    if controls_prefix is not None:
        control = [r | {"panel": "A"} for r in rows if r["panel"] == "C"]
        for name, layers in tables.items():
            ranked = ranked_tasks(layers)
            if name == network:
                continue
            if len(ranked) == 2:   # another multi-task net, e.g. the greyscale dual net
                control += segregation_rows("A", name, layers, ranked, fraction)
            else:                  # a single-task net, lesioned with its own ranking
                control += [r | {"panel": "B"} for r in lesion_rows(name, layers, ranked[:1], fraction)]
        save_figure(lambda: _draw_controls(control), control, COLUMNS, controls_prefix)
    return rows


def _line(ax, rows, key_label, color, style="-"):
    rows = sorted(rows, key=lambda r: r["depth"])
    x = [r["depth"] for r in rows]
    y = np.array([r["value"] for r in rows])
    lo = y - np.array([r["err_low"] for r in rows])
    hi = np.array([r["err_high"] for r in rows]) - y
    ax.errorbar(x, y, yerr=[lo, hi], marker="o", ms=3, ls=style, color=color, label=key_label, capsize=2)
    ax.set_xticks(x, [r["layer"] for r in rows], rotation=60)


def _draw_fig2(rows, network, tasks) -> Figure:
    fig = Figure(figsize=(10, 3.2))
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, 3)
    task_colour = {tasks[0]: colour("face"), tasks[1]: colour("object")}
    for ax, panel, lesion in zip(axes, "AB", tasks):
        for task in tasks:
            _line(ax, [r for r in rows if r["panel"] == panel and r["lesion"] == lesion
                       and r["task"] == task], f"{task} test", task_colour[task])
            random = [r for r in rows if r["panel"] == panel and r["lesion"] == "random" and r["task"] == task]
            if random:
                _line(ax, random, f"{task}, random lesion", task_colour[task], ":")
        ax.set_title(f"{panel}  Lesion of top {lesion} filters ({label(network)})")
        ax.set_ylabel("proportional drop in top-1 accuracy")
        ax.axhline(0, color="0.7", lw=0.5)
        ax.legend()
    ax = axes[2]
    for name in sorted({r["network"] for r in rows if r["panel"] == "C"}):
        _line(ax, [r for r in rows if r["panel"] == "C" and r["network"] == name
                   and r["task"] == "segregation_index"], name,
              "0.5" if "random split" in name else colour(network), ":" if "random split" in name else "-")
    ax.set_title("C  Segregation index by depth")
    ax.set_ylabel("segregation index")
    ax.axhline(0, color="0.7", lw=0.5)
    ax.legend()
    fig.tight_layout()
    return fig


def _draw_controls(rows) -> Figure:
    fig = Figure(figsize=(7, 3.2))
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, 2)
    names = sorted({r["network"] for r in rows if r["panel"] == "A"})
    for i, name in enumerate(names):
        _line(axes[0], [r for r in rows if r["panel"] == "A" and r["network"] == name
                        and r["task"] == "segregation_index"], name, f"C{i}")
    axes[0].set_title("A  Segregation index: controls")
    axes[0].set_ylabel("segregation index")
    axes[0].axhline(0, color="0.7", lw=0.5)
    axes[0].legend()
    for name in sorted({r["network"] for r in rows if r["panel"] == "B"}):
        own = [r for r in rows if r["panel"] == "B" and r["network"] == name]
        _line(axes[1], [r for r in own if r["lesion"] == "random"], f"{label(name)}, random",
              colour(name), ":")
        _line(axes[1], [r for r in own if r["lesion"] != "random"], f"{label(name)}, own lesion", colour(name))
    axes[1].set_title("B  Single-task nets: own-task drop")
    axes[1].set_ylabel("proportional drop in top-1 accuracy")
    axes[1].legend()
    fig.tight_layout()
    return fig
