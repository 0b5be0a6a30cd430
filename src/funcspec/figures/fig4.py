"""Fig. 4: do categories other than faces segregate from objects? The segregation index by depth
of each dual-task network that pairs a category (faces, food, cars) with the object task at a
matched training size (A), with the random-split and untrained baselines and a star on the
layers above both; the unlesioned accuracy of every task (B), since a poorly learned task cannot
segregate. Means over seeds; intervals bootstrapped over seeds and test images (A), min..max
over seeds (B). Every number drawn is a row of fig4.csv.
"""

from __future__ import annotations

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..errors import FuncspecError
from ..layers import depth_order
from ..stats import task_images, unlesioned
from ..tasks import SPLIT
from .fig2 import COLUMNS, draw_index
from .save import save_figure
from .segregation import by_network, index_rows, test_against
from .style import colour, label


def tasks_of(layers: dict) -> list[str]:
    """The real tasks of a network's per-image results, in their saved order."""
    first = next(iter(layers.values()))[0]
    return [g for g in first["groups"] if g not in SPLIT]


def accuracy_rows(network, layers: dict) -> list[dict]:
    """Each task's unlesioned test accuracy, over seeds (the same at every layer)."""
    seeds = layers[depth_order(layers)[0]]
    rows = []
    for task in tasks_of(layers):
        values = [unlesioned(images, task_images(images, task)).mean() for images in seeds]
        rows.append(
            {
                "panel": "B",
                "network": network,
                "baseline": "",
                "lesion": "none",
                "task": task,
                "value": float(np.mean(values)),
                "err_low": float(np.min(values)),
                "err_high": float(np.max(values)),
                "n_seeds": len(values),
            }
        )
    return rows


def fig4(
    images_npz,
    out_prefix,
    networks,
    object_tasks,
    fraction: float,
    statistics: dict,
    untrained: str | None = None,
    split_net: str | None = None,
) -> list[dict]:
    """Draw Fig. 4 from the per-image lesion results of its networks and baselines."""
    images = by_network(images_npz)
    baselines, rows = {}, []
    if split_net is not None:
        extra, baselines["random split"] = index_rows(
            "A", split_net, images[split_net], SPLIT, fraction, statistics, "random split"
        )
        rows += extra
    if untrained is not None:
        pair = tasks_of(images[untrained])
        extra, baselines["untrained"] = index_rows(
            "A", untrained, images[untrained], pair, fraction, statistics, "untrained"
        )
        rows += extra
    for network in networks:
        tasks = tasks_of(images[network])
        objects = [t for t in tasks if t in object_tasks]
        if len(tasks) != 2 or len(objects) != 1:
            raise FuncspecError(
                f"{network} is lesioned on {tasks}; Fig. 4 needs a category and one of "
                f"{list(object_tasks)}"
            )
        object_task = objects[0]
        category = next(t for t in tasks if t != object_task)
        own, samples = index_rows(
            "A", network, images[network], (category, object_task), fraction, statistics
        )
        test_against(own, samples, baselines, statistics["level"])
        rows += own + accuracy_rows(network, images[network])
    save_figure(lambda: _draw(rows, networks), rows, COLUMNS, out_prefix)
    return rows


def _draw(rows, networks) -> Figure:
    fig = Figure(figsize=(8, 3.2))
    FigureCanvasAgg(fig)
    ax_a, ax_b = fig.subplots(1, 2, gridspec_kw={"width_ratios": [3, 2]})
    index = [r for r in rows if r["panel"] == "A"]
    for i, network in enumerate(networks):
        # each network's own rows; the baselines are drawn once, with the first
        own = [r for r in index if r["network"] == network and not r["baseline"]]
        draw_index(
            ax_a,
            own + ([r for r in index if r["baseline"]] if i == 0 else []),
            network,
            colour(network),
        )
    ax_a.set_title("A  Segregation index by depth (* above both baselines)")
    ax_a.set_ylabel("segregation index")
    ax_a.axhline(0, color="0.7", lw=0.5)
    ax_a.legend()
    accuracy = [r for r in rows if r["panel"] == "B"]
    for x, r in enumerate(accuracy):
        ax_b.bar(
            x,
            r["value"],
            yerr=[[r["value"] - r["err_low"]], [r["err_high"] - r["value"]]],
            color=colour(r["network"]),
            capsize=2,
        )
    ax_b.set_xticks(
        range(len(accuracy)), [f"{label(r['network'])}\n{r['task']}" for r in accuracy], rotation=60
    )
    ax_b.set_ylim(0, 1)
    ax_b.set_title("B  Unlesioned top-1 accuracy")
    fig.tight_layout()
    return fig
