"""Fig. 1B-C: held-out decoding from the penultimate layer, and top-1 accuracy of the face,
object and dual nets.

Every number drawn is also written to fig1.csv as a tidy row (panel, network, task, value,
err_low, err_high, chance), where err_low and err_high are the ends of the error bar: mean -+ SEM
for panel B, the bootstrapped 95% CI for panel C.
"""

from __future__ import annotations

import csv
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from funcspec.figures.save import save_figure
from funcspec.figures.style import colour, label

from ..errors import FuncspecError

COLUMNS = ["panel", "network", "task", "value", "err_low", "err_high", "chance"]
ACCURACY_COLUMNS = ["network", "task", "accuracy", "ci_low", "ci_high", "chance"]
DECODE_COLUMNS = ["network", "task", "accuracy", "sem", "chance"]


def fig1(
    accuracy_csvs: list,
    decode_csvs: list,
    out_prefix,
    face_task: str = "faces",
    object_task: str = "objects",
    networks=("face", "object", "dual"),
    baseline: str | None = "untrained",
) -> list[dict]:
    """Draw Fig. 1B-C from the per-network tables, write out_prefix.{pdf,png,csv}; return the
    CSV rows. `baseline` (the untrained network) is drawn in panel B as a marker."""
    tasks = (face_task, object_task)
    rows = _panel_b(_read(decode_csvs, DECODE_COLUMNS), tasks, networks, baseline) + _panel_c(
        _read(accuracy_csvs, ACCURACY_COLUMNS), tasks, networks
    )
    ticks = (
        {face_task: "Held-out identities", object_task: "Held-out objects"},
        {face_task: "Faces", object_task: "Objects"},
    )
    save_figure(lambda: _draw(rows, *ticks, baseline), rows, COLUMNS, Path(str(out_prefix)))
    return rows


def _read(paths, required) -> list[dict]:
    rows = []
    for path in paths:
        with open(path, newline="") as f:
            reader = csv.DictReader(f)
            missing = sorted(set(required) - set(reader.fieldnames or ()))
            if missing:
                raise FuncspecError(f"{path}: missing columns {missing}")
            rows.extend(reader)
    return rows


def _index(rows) -> dict:
    """Rows keyed by (network, task); a repeated key means two tables disagree on what to draw."""
    by_key = {}
    for row in rows:
        key = (row["network"], row["task"])
        if key in by_key:
            raise FuncspecError(f"more than one row for network {key[0]!r} on {key[1]!r}")
        by_key[key] = row
    return by_key


def _panel_b(rows, tasks, networks, baseline) -> list[dict]:
    by_key = _index(rows)
    tidy = []
    for task in tasks:
        for network in dict.fromkeys((*networks, baseline) if baseline else networks):
            row = by_key.get((network, task))
            if row is not None:
                value, sem = float(row["accuracy"]), float(row["sem"])
                tidy.append(
                    _tidy("B", network, task, value, value - sem, value + sem, row["chance"])
                )
    if not tidy:
        raise FuncspecError(f"no decoding rows for networks {list(networks)} on {list(tasks)}")
    return tidy


def _panel_c(rows, tasks, networks) -> list[dict]:
    by_key = _index(rows)
    tidy = [
        _tidy(
            "C",
            network,
            task,
            float(row["accuracy"]),
            float(row["ci_low"]),
            float(row["ci_high"]),
            row["chance"],
        )
        for task in tasks
        for network in networks
        if (row := by_key.get((network, task))) is not None
    ]
    if not tidy:
        raise FuncspecError(f"no accuracy rows for networks {list(networks)} on {list(tasks)}")
    return tidy


def _tidy(panel, network, task, value, err_low, err_high, chance) -> dict:
    return {
        "panel": panel,
        "network": network,
        "task": task,
        "value": value,
        "err_low": err_low,
        "err_high": err_high,
        "chance": float(chance),
    }


def _draw_panel(ax, rows, tick_labels, baseline) -> None:
    """Grouped bars, one group per task; the untrained baseline is a marker in its own slot.

    A group holds only the networks measured on its task (the face net has no object-task
    accuracy), centred, in the order the rows come in.
    """
    tasks = list(dict.fromkeys(r["task"] for r in rows))
    groups = {t: [r["network"] for r in rows if r["task"] == t] for t in tasks}
    width = min(0.8 / max(len(g) for g in groups.values()), 0.25)  # two bars need not fill a group
    for row in rows:
        slots = groups[row["task"]]
        x = tasks.index(row["task"]) + (slots.index(row["network"]) - (len(slots) - 1) / 2) * width
        yerr = [[row["value"] - row["err_low"]], [row["err_high"] - row["value"]]]
        if row["network"] == baseline:
            ax.errorbar(
                x,
                row["value"],
                yerr=yerr,
                fmt="D",
                markersize=4,
                color=colour(baseline),
                capsize=2,
                label=label(baseline),
            )
        else:
            ax.bar(
                x,
                row["value"],
                width,
                yerr=yerr,
                color=colour(row["network"]),
                capsize=2,
                error_kw={"elinewidth": 0.8},
                label=label(row["network"]),
            )
        # Chance can differ between bars (the dual net chooses among more classes), so each
        # bar gets its own dash; adjacent dashes read as one line where they agree.
        ax.hlines(
            row["chance"],
            x - width / 2,
            x + width / 2,
            colors="black",
            linestyles="--",
            linewidth=0.8,
        )
    ax.set_xticks(range(len(tasks)), [tick_labels.get(t, t) for t in tasks])
    ax.set_xlim(-0.6, len(tasks) - 0.4)
    ax.set_ylim(0, 1)


def _draw(rows, decoding_ticks, accuracy_ticks, baseline) -> Figure:
    fig = Figure(figsize=(6.5, 2.6))
    FigureCanvasAgg(fig)
    ax_b, ax_c = fig.subplots(1, 2)
    for ax, panel, ticks, title, ylabel in [
        (ax_b, "B", decoding_ticks, "Decoding held-out classes", "Decoding accuracy"),
        (ax_c, "C", accuracy_ticks, "Top-1 accuracy", "Top-1 accuracy"),
    ]:
        _draw_panel(ax, [r for r in rows if r["panel"] == panel], ticks, baseline)
        ax.set_title(title)
        ax.set_ylabel(ylabel)
        ax.text(-0.18, 1.06, panel, transform=ax.transAxes, fontsize=11, fontweight="bold")
    handles = {}
    for ax in (ax_b, ax_c):
        for handle, name in zip(*ax.get_legend_handles_labels()):
            handles.setdefault(name, handle)
    fig.legend(
        handles.values(),
        handles.keys(),
        loc="lower center",
        ncol=len(handles),
        bbox_to_anchor=(0.5, -0.08),
    )
    fig.tight_layout()
    return fig
