"""What the default's ranking, and the pruned engine, give up against the paper's exact rule.

For each task and layer of one trained network of a finished default run, the paper's greedy
rule (groups of max(1, int(group_fraction N)) units, no cap on steps) ranks the units with the
exact fast engine on `--draws` disjoint draws of `--images` training images of the task, drawn
afresh at every step. Each exact ranking also notes, per step, where its group stands in the
first-order order the pruned engine would have shortlisted from the same state
(relevance.rank_audited), which gives the recall of any M: the share of the group among the first
M. The pruned engine then ranks draw 0 itself, once per `--candidates` M. Each ranking is compared
with the others and with the default's own ranking of the run
(results/relevance/<network>/<task>/<layer>.json):

- top overlap: the share of the top `fraction` (relevance.fraction) two rankings share;
- index: the segregation index (funcspec.tables) of the layer at `--lesion-fraction` when the
  top units of one set of rankings (one per task) are lesioned on the test images (funcspec.lesion);
  its spread over the exact draws is what another draw of images moves it by.

The criteria, printed per layer and M: every step's recall at least 0.95; the pruned
ranking's overlap with the exact one of the same draw at least the overlap of two exact draws;
its index within 0.02 of the exact draw's. Also printed: the smallest M that would have met the
recall criterion at every step.

    python benchmarks/ranking_fidelity.py RUN [--network dual_s1] [--layers conv2 conv4 fc5]
        [--images 1500] [--draws 3] [--candidates '4 groups' ...] [--threads 2] [--save FILE]
        [--next-layer]
    python benchmarks/ranking_fidelity.py RUN --report SAVED   # a --save's rankings again, against
                                                               # RUN's own, of the same network
    python benchmarks/ranking_fidelity.py RUN --quick   # 1 layer, 2 steps, 100 images a draw

The default's 6,000 training images per task hold 3 disjoint draws of 2,000; the default is 1,500
per draw so that the run finishes within the hour on 2 cores: at 1,500 the three layers' 18 exact
rankings took 53 minutes, the pruned rankings 3 more per M (2,000 would take over 70).

RUN is the folder of a finished default run (holding results/ and config/config.yaml); nothing
in it is written.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import torch

from funcspec import streams
from funcspec.config import load_yaml
from funcspec.data import centre_crop, normalise, to_input
from funcspec.grouping import parse_candidates, shortlist_size
from funcspec.lesion import conditions, evaluate_lesions
from funcspec.relevance import rank_audited, rank_pruned, recall
from funcspec.shards import sha256_file
from funcspec.tables import dissociation
from funcspec.tasks import task_groups
from funcspec.train import load_network

# What --layers, --images and --max-steps default to: the measurement, or a try.
FULL = {"layers": ["conv2", "conv4", "fc5"], "images": 1500, "max_steps": None}
QUICK = {"layers": ["conv2"], "images": 100, "max_steps": 2}
# What a --save's rankings were made with, restored by --report.
RANKED_WITH = (
    "network",
    "layers",
    "images",
    "draws",
    "max_steps",
    "candidates",
    "seed",
    "batch_size",
    "next_layer",
    "quick",
)


def disjoint_draws(pool: np.ndarray, n: int, draws: int, seed: int):
    """`draw -> (step -> image indices)`: at every step the pool is shuffled afresh and dealt
    into `draws` disjoint runs of n images, draw d taking the d-th. A run stays in its shuffled
    order, so that a step's first batch (the audit's screen) is a random sample of its images;
    sorted, it would hold the first few classes only (prepare writes class by class)."""
    if draws * n > len(pool):
        raise SystemExit(f"{draws} disjoint draws of {n} images need more than {len(pool)}")

    def draw(d: int):
        def step_images(step: int) -> np.ndarray:
            order = streams.rng("ranking_fidelity_images", seed, step).permutation(pool)
            return order[d * n : (d + 1) * n]

        return step_images

    return draw


def top(order: list[int], fraction: float, n_units: int) -> set[int]:
    return set(order[: round(fraction * n_units)])


def overlap(a: list[int], b: list[int], fraction: float, n_units: int) -> float:
    """The share of the top `fraction` two rankings share."""
    return len(top(a, fraction, n_units) & top(b, fraction, n_units)) / round(fraction * n_units)


def indices(run, layer: str, sources: dict, fraction: float, batch_size: int) -> dict:
    """{source: segregation index} of each set of rankings {source: {task: order}}, all lesioned
    in one pass over the test images."""
    named = {
        f"{name}/{task}": order for name, each in sources.items() for task, order in each.items()
    }
    n_units = run.model.unit_layer(layer).weight.shape[0]
    lesions = conditions(named, n_units, [fraction], random_draws=0, seed=0)
    rows = evaluate_lesions(
        run.model, layer, run.test, run.groups, lesions, batch_size, run.device
    )[0]
    task_a, task_b = run.groups
    out = {}
    for source in sources:
        drop = {
            (r["lesion"].split("/", 1)[1], r["task"]): r["drop"]
            for r in rows
            if r["lesion"].startswith(f"{source}/")
        }
        out[source] = dissociation(drop, task_a, task_b)["index"]
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path, help="a finished default run's folder")
    parser.add_argument("--network", default="dual_s1")
    parser.add_argument("--layers", nargs="+", help=f"default {FULL['layers']}")
    parser.add_argument("--images", type=int, help=f"per step and draw, default {FULL['images']}")
    parser.add_argument("--draws", type=int, default=3)
    parser.add_argument("--max-steps", type=int, help="cap on steps (default: the paper's rule)")
    parser.add_argument(
        "--candidates", type=parse_candidates, nargs="+", default=["4 groups"], help="M values"
    )
    parser.add_argument("--lesion-fraction", type=float, default=0.2, help="as Figure 2's")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help=f"try the script: {QUICK}")
    parser.add_argument("--save", type=Path, help="every ranking made, as JSON")
    parser.add_argument(
        "--report",
        type=Path,
        metavar="SAVED",
        help="report the rankings a --save wrote, with its settings, without ranking again",
    )
    parser.add_argument(
        "--next-layer",
        action="store_true",
        help="also audit relevance.next_layer_losses' shortlist (+40%% time in conv layers)",
    )
    args = parser.parse_args(argv)
    for key, value in (QUICK if args.quick else FULL).items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    saved = json.loads(args.report.read_text()) if args.report else None
    if saved:
        # The settings the rankings were made with, whatever this command line says.
        for key in RANKED_WITH:
            setattr(args, key, saved["args"][key])
    started = time.perf_counter()
    run = load_run(args)
    print(
        f"{args.network} of {args.run}: {args.draws} disjoint draws of {args.images} training "
        f"images per step and task; {rule(args)}; pruned M {', '.join(map(str, args.candidates))}; "
        f"index at lesion "
        f"fraction {args.lesion_fraction}; {args.threads} thread(s)"
        f"{'; QUICK' if args.quick else ''}",
        flush=True,
    )
    if saved:
        # Saves before the digest was recorded: their own run's network, if it is still there.
        made_on = Path(saved["args"]["run"]) / "results" / "train" / args.network / "model.pt"
        digest = saved.get("model") or (made_on.exists() and sha256_file(made_on))
        if digest != run.model_digest:
            raise SystemExit(f"{args.report} ranked another {args.network} than {args.run}'s")
        ranked = _keyed(saved["rankings"])
        for layer in args.layers:  # the default's rankings: RUN's, whatever run the save read
            ranked[layer]["default"] = _defaults(run, layer)
    else:
        ranked = {layer: rank_layer(run, layer, args) for layer in args.layers}
    if args.save:
        args.save.write_text(
            json.dumps(
                {
                    "args": vars(args) | {"run": str(args.run), "save": None, "report": None},
                    "model": run.model_digest,
                    "rankings": _listed(ranked),
                }
            )
        )
    verdicts = [line for layer in args.layers for line in report(run, layer, ranked[layer], args)]
    print(f"\nelapsed {time.perf_counter() - started:.0f} s")
    print("\n".join(verdicts))


def rule(args) -> str:
    return f"max steps {args.max_steps}" if args.max_steps else "the paper's rule (no cap)"


def load_run(args) -> SimpleNamespace:
    """The run's network, its training and test images, its tasks and ranking settings."""
    results = args.run / "results"
    config = load_yaml(args.run / "config" / "config.yaml")
    tasks = config["networks"][args.network.rsplit("_s", 1)[0]]["tasks"]
    data = {task: results / "prepare" / task for task in tasks}
    model_path = results / "train" / args.network / "model.pt"
    ranked = {
        (task, layer): results / "relevance" / args.network / task / f"{layer}.json"
        for task in tasks
        for layer in args.layers
    }
    missing = [p for p in [model_path, *data.values(), *ranked.values()] if not p.exists()]
    if missing:
        raise SystemExit(f"not in {args.run}: {', '.join(map(str, missing))}")
    model, saved, train, device = load_network(model_path, data, "train", args.threads)
    return SimpleNamespace(
        model=model,
        device=device,
        train=train,
        test=load_network(model_path, data, "test", args.threads)[2],
        groups=task_groups(saved, None),
        tasks=tasks,
        ranked=ranked,
        model_digest=sha256_file(model_path),
        fraction=config["relevance"]["fraction"],
        group_fraction=config["relevance"]["group_fraction"],
    )


def rank_layer(run, layer: str, args) -> dict:
    """{"exact": {(task, draw): audited ranking}, "pruned": {(task, M): ranking of draw 0},
    "default": {task: the run's ranking}} of `layer`."""
    settings = dict(
        fraction=run.fraction,
        group_fraction=run.group_fraction,
        max_steps=args.max_steps,
        batch_size=args.batch_size,
    )
    ranked = {"exact": {}, "pruned": {}, "default": {}}
    for task in run.tasks:
        pool = np.flatnonzero(np.isin(run.train.labels, run.groups[task]))
        draw = disjoint_draws(pool, args.images, args.draws, args.seed)
        for d in range(args.draws):
            clock = time.perf_counter()
            images = batches(run, draw(d))
            ranking = rank_audited(run.model, layer, images, next_layer=args.next_layer, **settings)
            ranked["exact"][task, d] = ranking
            print(
                f"  {layer} {task} exact, draw {d}: {len(ranking['steps'])} steps of "
                f"{ranking['group_size']}, {time.perf_counter() - clock:.1f} s",
                flush=True,
            )
        for m in args.candidates:
            clock = time.perf_counter()
            images = batches(run, draw(0))
            ranking = rank_pruned(run.model, layer, images, candidates=m, **settings)
            ranked["pruned"][task, m] = ranking
            print(
                f"  {layer} {task} pruned (M {ranking['shortlist']}), draw 0: "
                f"{time.perf_counter() - clock:.1f} s",
                flush=True,
            )
    ranked["default"] = _defaults(run, layer)
    return ranked


def _defaults(run, layer: str) -> dict:
    return {task: json.loads(run.ranked[task, layer].read_text()) for task in run.tasks}


def batches(run, step_images):
    """The ranking engines' `images(step)`: the step's inputs and labels."""

    def images(step):
        idx = step_images(step)
        x = normalise(
            centre_crop(to_input(run.train.images(idx), run.device), run.model.input_size)
        )
        return x, torch.from_numpy(run.train.labels[idx]).to(run.device)

    return images


def report(run, layer: str, ranked: dict, args) -> list[str]:
    """Print one layer's overlaps, indices and recalls; return its lines of verdicts, one per
    M."""
    exact, pruned, default = ranked["exact"], ranked["pruned"], ranked["default"]
    some, theirs = exact[run.tasks[0], 0], default[run.tasks[0]]
    n_units, group, draws = some["n_units"], some["group_size"], range(args.draws)
    print(
        f"\n{layer}: {n_units} units, ranked here in groups of {group} "
        f"({len(some['steps'])} steps, {rule(args)}); the default's in groups of "
        f"{theirs['group_size']} ({len(theirs['steps'])} steps of {theirs['images_per_step']} "
        f"images)"
    )

    def share(a, b):
        return overlap(a["order"], b["order"], run.fraction, n_units)

    print(f"  top-{run.fraction:.0%} overlap {'exact draws':>18} {'default~exact':>18}")
    worst_pair = 1.0
    for task in run.tasks:
        pairs = [share(exact[task, a], exact[task, b]) for a, b in itertools.combinations(draws, 2)]
        with_default = [share(default[task], exact[task, d]) for d in draws]
        worst_pair = min([worst_pair, *pairs])
        print(f"  {task:<17} {_spread(pairs):>18} {_spread(with_default):>18}")
    sources = {f"exact{d}": {t: exact[t, d]["order"] for t in run.tasks} for d in draws}
    sources["default"] = {t: default[t]["order"] for t in run.tasks}
    sources |= {
        f"pruned {m}": {t: pruned[t, m]["order"] for t in run.tasks} for m in args.candidates
    }
    index = indices(run, layer, sources, args.lesion_fraction, args.batch_size)
    exact_index = [index[f"exact{d}"] for d in draws]
    sd = np.std(exact_index, ddof=1) if args.draws > 1 else float("nan")
    print(
        f"  index: exact draws {' '.join(f'{i:.3f}' for i in exact_index)} (sd {sd:.3f}); "
        f"default {index['default']:.3f}"
    )
    audited = list(exact.values())
    steps = sum(len(r["steps"]) for r in audited)
    orders = [
        ("first_order_ranks", "the first-order shortlist"),
        ("screen_ranks", f"a screen on {args.batch_size} of each step's images"),
    ]
    if args.next_layer:
        orders.append(("next_layer_ranks", "the next-layer shortlist"))
    for ranks, source in orders:
        needed = [
            sorted(s[ranks])[math.ceil(0.95 * len(s["added"])) - 1] + 1
            for r in audited
            for s in r["steps"]
        ]
        print(
            f"  recall >= 0.95 at every step of {steps} ({args.draws} draws x {len(run.tasks)} "
            f"tasks) needs M >= {max(needed)} units from {source}; at 90% of steps, "
            f"{sorted(needed)[math.ceil(0.9 * len(needed)) - 1]}"
        )
    verdicts = []
    for m in args.candidates:
        kept = shortlist_size(m, group)
        recalls = [r for ranking in audited for r in recall(ranking, kept)]
        same = [share(pruned[t, m], exact[t, 0]) for t in run.tasks]
        moved = index[f"pruned {m}"] - index["exact0"]
        print(
            f"  pruned, M {m} ({kept} units): recall min {min(recalls):.2f}, mean "
            f"{np.mean(recalls):.2f}, >= 0.95 at {sum(r >= 0.95 for r in recalls)} of "
            f"{len(recalls)} steps; overlap with exact draw 0 "
            f"{', '.join(f'{t} {o:.2f}' for t, o in zip(run.tasks, same))}; index "
            f"{index[f'pruned {m}']:.3f}, {moved:+.3f} from exact draw 0"
        )
        checks = {
            "recall >= 0.95 at every step": min(recalls) >= 0.95,
            "pruned overlap >= exact draws'": min(same) >= worst_pair,
            "|pruned - exact index| <= 0.02": abs(moved) <= 0.02,
        }
        verdicts.append(
            f"{layer}, M {m}: "
            + "; ".join(f"{k}: {'yes' if v else 'NO'}" for k, v in checks.items())
        )
    return verdicts


def _listed(ranked: dict) -> dict:
    """`ranked` with its (task, draw or M) keys joined by "/", for JSON."""
    return {
        layer: {
            kind: {"/".join(map(str, k)) if isinstance(k, tuple) else k: v for k, v in each.items()}
            for kind, each in kinds.items()
        }
        for layer, kinds in ranked.items()
    }


def _keyed(listed: dict) -> dict:
    """`_listed`'s inverse."""

    def key(kind, text):
        if kind == "default":
            return text
        task, rest = text.split("/", 1)
        return task, int(rest) if kind == "exact" else parse_candidates(rest)

    return {
        layer: {kind: {key(kind, k): v for k, v in each.items()} for kind, each in kinds.items()}
        for layer, kinds in listed.items()
    }


def _spread(values) -> str:
    """mean [min-max] of a few numbers."""
    if not values:
        return "-"
    return f"{np.mean(values):.2f} [{min(values):.2f}-{max(values):.2f}]"


if __name__ == "__main__":
    main()
