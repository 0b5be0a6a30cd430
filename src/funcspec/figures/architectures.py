"""Does segregation hold in other architectures? The segregation index of the face and object
tasks by depth in dual-task networks of several families (funcspec's VGG, AlexNet-style,
ResNet-style), each with its own baselines: its random class splits and its untrained twin (the
same architecture's initial trunk with a trained class layer). One panel per network (as Fig.
2C), a star on the layers above both baselines after Holm's correction across every layer of
the figure; the last panel sets the networks side by side by relative depth (0: the first
hidden layer, 1: the last). Means over seeds; nested bootstrap intervals over seeds, classes and
test images. Every number drawn is a row of architectures.csv, with each network's trend with
depth (task depth_slope) against zero and against its splits' trend.
"""

from __future__ import annotations

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..errors import FuncspecError
from . import save
from .fig2 import COLUMNS, draw_index
from .save import save_figure
from .segregation import by_network, index_rows, resamples_of, split_rows, tested_rows
from .style import colour, label


def architectures(images_npz, out, networks: dict, tasks, fraction, statistics) -> list[dict]:
    """Draw the figure from the per-image lesion results of `networks`, {network: its untrained
    twin or None}, and of their twins; write its files `out` (pdf, png, csv)."""
    images, level = by_network(images_npz), statistics["level"]
    rows, own, samples, nulls, baselines = [], {}, {}, {}, {}
    for network, untrained in networks.items():
        if network not in images:
            raise FuncspecError(f"no lesion results of {network}")
        layers = images[network]
        resamples = resamples_of(network, layers, statistics)
        own[network], samples[network] = index_rows(
            "A", network, layers, tasks, fraction, statistics, resamples
        )
        extra, nulls[network] = split_rows("A", network, layers, fraction, statistics, resamples)
        rows += extra
        if nulls[network]:
            baselines.setdefault("random split", {})[network] = nulls[network]
        if untrained is not None:
            twin = images[untrained]
            extra, baselines.setdefault("untrained", {})[network] = index_rows(
                "A",
                untrained,
                twin,
                tasks,
                fraction,
                statistics,
                resamples_of(untrained, twin, statistics, like=resamples),
                "untrained",
            )
            rows += extra
    for done in tested_rows(networks, own, samples, baselines, nulls, level).values():
        rows += done
    save_figure(lambda: _draw(rows, networks), rows, COLUMNS, out)
    return rows


def relative_depth(rows: list[dict]) -> list[float]:
    """Each row's depth as a share of its network's: 0 at the first hidden layer, 1 at the last."""
    last = max(r["depth"] for r in rows)
    return [(r["depth"] - 1) / max(1, last - 1) for r in rows]


def _draw(rows, networks) -> Figure:
    fig = Figure(figsize=(3.4 * (len(networks) + 1), 3.2))
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, len(networks) + 1, sharey=True)
    by_depth = [r for r in rows if r["task"] == "segregation_index"]
    for ax, (panel, (network, untrained)) in zip(axes, enumerate(networks.items())):
        mine = [
            r
            for r in by_depth
            if r["network"] == network or (untrained and r["network"] == untrained)
        ]
        draw_index(ax, mine, network, colour(network))
        ax.set_title(f"{chr(ord('A') + panel)}  {label(network)}")
        ax.axhline(0, color="0.7", lw=0.5)
        ax.legend()
    axes[0].set_ylabel("segregation index")
    ax = axes[-1]
    for network in networks:
        line = sorted(
            (r for r in by_depth if r["network"] == network and not r["baseline"]),
            key=lambda r: r["depth"],
        )
        ax.plot(
            relative_depth(line),
            [r["value"] for r in line],
            "o-",
            ms=3,
            color=colour(network),
            label=label(network),
        )
    ax.set_title(f"{chr(ord('A') + len(networks))}  By relative depth")
    ax.set_xlabel("relative depth (first to last hidden layer)")
    ax.axhline(0, color="0.7", lw=0.5)
    ax.legend()
    fig.tight_layout()
    return fig


INPUTS = ("images",)


def add_arguments(p) -> None:
    p.add_argument(
        "--images",
        nargs="+",
        required=True,
        help="per-image lesion results (.npz) of the networks and their untrained twins",
    )
    p.add_argument(
        "--networks",
        nargs="+",
        required=True,
        help="NETWORK or NETWORK=UNTRAINED_TWIN, one per architecture",
    )
    p.add_argument("--face-task", required=True)
    p.add_argument("--object-task", required=True)
    p.add_argument("--fraction", type=float, required=True, help="lesion fraction drawn")
    save.figure(p)
    save.statistics(p)


def main(args) -> list:
    networks = {}
    for item in args.networks:
        network, _, twin = item.partition("=")
        networks[network] = twin or None
    architectures(
        args.images,
        save.figure_files(args),
        networks,
        (args.face_task, args.object_task),
        args.fraction,
        save.statistics_of(args),
    )
    return save.figure_files(args)
