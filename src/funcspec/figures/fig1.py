"""Fig. 1B-C: held-out decoding from the penultimate layer, and top-1 accuracy of the face,
object and dual nets.

Every number drawn is also written to fig1.csv as a tidy row (panel, network, task, value,
err_low, err_high, n_seeds, chance), where value is the mean over the network's seeds and
err_low and err_high are the ends of the error bar: with one seed, mean -+ SEM over folds for
panel B and the bootstrapped 95% CI for panel C; with several, min..max over seeds.
"""

from __future__ import annotations

import csv
from collections import defaultdict

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from funcspec.figures import save
from funcspec.figures.save import save_figure
from funcspec.figures.style import colour, label

from ..errors import FuncspecError
from ..seeds import split

COLUMNS = ["panel", "network", "task", "value", "err_low", "err_high", "n_seeds", "chance"]
ACCURACY_COLUMNS = ["network", "task", "accuracy", "ci_low", "ci_high", "chance"]
DECODE_COLUMNS = ["network", "task", "accuracy", "sem", "chance"]


def fig1(
    accuracy_csvs: list,
    decode_csvs: list,
    out,
    face_task: str = "faces",
    object_task: str = "objects",
    networks=("face", "object", "dual"),
    baseline: str | None = "untrained",
) -> list[dict]:
    """Draw Fig. 1B-C from the per-network tables, write its files `out` (pdf, png, csv); return the
    CSV rows. `baseline` (the untrained network) is drawn in panel B as a marker."""
    tasks = (face_task, object_task)
    rows = _panel_b(_read(decode_csvs, DECODE_COLUMNS), tasks, networks, baseline) + _panel_c(
        _read(accuracy_csvs, ACCURACY_COLUMNS), tasks, networks
    )
    ticks = (
        {face_task: "Held-out identities", object_task: "Held-out objects"},
        {face_task: "Faces", object_task: "Objects"},
    )
    save_figure(lambda: _draw(rows, *ticks, baseline), rows, COLUMNS, out)
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


def _index(rows, low, high) -> dict:
    """{(network, task): (value, err_low, err_high, n_seeds)}, the seeds of a network pooled:
    one seed keeps its own error bar (`low`, `high` of its row), several give their mean and
    min..max. A repeated (instance, task) means two tables disagree on what to draw."""
    seen, by_key = set(), defaultdict(list)
    for row in rows:
        if (row["network"], row["task"]) in seen:
            raise FuncspecError(
                f"more than one row for network {row['network']!r} on {row['task']!r}"
            )
        seen.add((row["network"], row["task"]))
        by_key[(split(row["network"])[0], row["task"])].append(row)
    pooled = {}
    for key, group in by_key.items():
        values = [float(r["accuracy"]) for r in group]
        if len(group) == 1:
            err = (low(group[0]), high(group[0]))
        else:
            err = (min(values), max(values))
        pooled[key] = (sum(values) / len(values), *err, len(group), group[0]["chance"])
    return pooled


def _panel(panel, rows, tasks, networks, low, high) -> list[dict]:
    by_key = _index(rows, low, high)
    tidy = [
        _tidy(panel, network, task, *by_key[(network, task)])
        for task in tasks
        for network in dict.fromkeys(networks)
        if (network, task) in by_key
    ]
    if not tidy:
        raise FuncspecError(f"no rows for networks {list(networks)} on {list(tasks)}")
    return tidy


def _panel_b(rows, tasks, networks, baseline) -> list[dict]:
    """Decoding: mean -+ SEM over folds (one seed) or min..max over seeds."""
    networks = (*networks, baseline) if baseline else networks
    return _panel(
        "B",
        rows,
        tasks,
        networks,
        lambda r: float(r["accuracy"]) - float(r["sem"]),
        lambda r: float(r["accuracy"]) + float(r["sem"]),
    )


def _panel_c(rows, tasks, networks) -> list[dict]:
    """Top-1 accuracy: bootstrapped 95% CI (one seed) or min..max over seeds."""
    return _panel(
        "C", rows, tasks, networks, lambda r: float(r["ci_low"]), lambda r: float(r["ci_high"])
    )


def _tidy(panel, network, task, value, err_low, err_high, n_seeds, chance) -> dict:
    return {
        "panel": panel,
        "network": network,
        "task": task,
        "value": value,
        "err_low": err_low,
        "err_high": err_high,
        "n_seeds": n_seeds,
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


INPUTS = ("accuracy", "decode")


def add_arguments(p) -> None:
    p.add_argument("--accuracy", nargs="+", required=True, help="accuracy tables")
    p.add_argument("--decode", nargs="+", required=True, help="decoding tables")
    p.add_argument("--networks", nargs="+", required=True, help="face, object and dual net names")
    p.add_argument("--baseline", help="the untrained network, drawn as a marker (default: none)")
    p.add_argument("--face-task", required=True)
    p.add_argument("--object-task", required=True)
    save.figure(p)


def main(args) -> list:
    fig1(
        args.accuracy,
        args.decode,
        save.figure_files(args),
        face_task=args.face_task,
        object_task=args.object_task,
        networks=tuple(args.networks),
        baseline=args.baseline,
    )
    return save.figure_files(args)
