"""The `funcspec` command: one subcommand per pipeline rule, of the same name.

Each subcommand parses its arguments and calls the entry function of its step's module (the
module of the same name). Rules pass every input, output and parameter explicitly, so
Snakemake's record of the shell command is a complete record of what produced an artifact.
After a command has written its outputs, `main` leaves a provenance record of the job beside
them (funcspec.provenance), and while it writes them it holds their lock (funcspec.lock).
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

from . import numerics, provenance
from .errors import FuncspecError
from .lock import exclusive


def _generate(args):
    """Draw a dataset into class folders of PNGs."""
    from .generate import generate

    generate(
        args.domain,
        args.out,
        n_classes=args.classes,
        images_per_class=args.images_per_class,
        size=args.size,
        seed=args.seed,
        greyscale=args.greyscale,
        workers=args.workers,
        recolour=args.recolour,
        shared_parts=args.shared_parts,
    )
    return [args.out]


def _prepare(args):
    """Select classes and images, write shards."""
    from .prepare import prepare

    prepare(args.name, json.loads(args.spec), args.out, raw_root=args.raw, workers=args.workers)
    return [args.out]


def _probe(args):
    """How well low-level statistics tell datasets apart."""
    from .probe import probe

    probe(args.datasets, args.out, args.images_per_dataset, args.folds, args.seed)
    return [args.out]


def _contact_sheet(args):
    """A PNG of example images, one row per dataset."""
    from .contact_sheet import contact_sheet

    contact_sheet(args.datasets, args.out, args.columns, args.seed)
    return [args.out]


def _train(args):
    """Train one network, checkpointing every epoch."""
    from .train import train

    train(
        json.loads(args.spec),
        _task_dirs(args.data),
        args.out,
        args.history,
        threads=args.threads,
        precision=_precision(args),
    )
    return [args.out, args.history]


def _history(args):
    """Plot a training history."""
    from .figures.history import history

    history(args.history, args.out)
    return [args.out]


def _evaluate(args):
    """Top-1 accuracy on every task's test split."""
    from .evaluate import evaluate

    evaluate(
        args.model,
        _task_dirs(args.data),
        args.out,
        args.predictions,
        args.batch_size,
        args.bootstrap,
        args.seed,
        args.threads,
        _precision(args),
    )
    return [args.out, args.predictions]


def _decode(args):
    """Linear decoding of held-out classes."""
    from .decode import decode

    decode(
        args.model,
        _task_dirs(args.data),
        args.out,
        args.batch_size,
        args.folds,
        args.seed,
        args.threads,
    )
    return [args.out]


def _overlap(args):
    """Held-out classes decoded from each task's top units, and from colour."""
    from .overlap import overlap

    overlap(
        args.model,
        _task_dirs(args.data),
        args.relevance,
        args.out,
        fraction=args.fraction,
        batch_size=args.batch_size,
        folds=args.folds,
        seed=args.seed,
        threads=args.threads,
    )
    return [args.out]


def _relevance(args):
    """Greedy loss-based ranking of one layer's units for one task."""
    from .relevance import relevance

    relevance(
        args.model,
        _task_dirs(args.data),
        args.task,
        args.layer,
        args.out,
        fraction=args.fraction,
        group_fraction=args.group_fraction,
        max_steps=args.max_steps,
        images=args.images,
        fresh_images=args.fresh_images,
        engine=args.engine,
        batch_size=args.batch_size,
        seed=args.seed,
        split_seed=args.split_seed,
        threads=args.threads,
        precision=_precision(args),
    )
    return [args.out]


def _lesion(args):
    """Accuracy of every task after lesioning ranked units."""
    from .lesion import lesion

    lesion(
        args.model,
        _task_dirs(args.data),
        args.layer,
        args.relevance,
        args.out,
        args.images,
        fractions=args.fractions,
        random_draws=args.random_draws,
        batch_size=args.batch_size,
        seed=args.seed,
        split_seed=args.split_seed,
        threads=args.threads,
        precision=_precision(args),
    )
    return [args.out, args.images]


def _visualize(args):
    """Preferred images of one layer's top-ranked units, by gradient ascent."""
    from .visualize import visualize

    visualize(
        args.model,
        args.relevance,
        args.layer,
        args.out,
        face_task=args.face_task,
        object_task=args.object_task,
        fraction=args.fraction,
        units=None if args.units == "all" else int(args.units),
        restarts=args.restarts,
        steps=args.steps,
        step=args.step,
        jitter=args.jitter,
        blur_sigma=args.blur_sigma,
        blur_every=args.blur_every,
        decay=args.decay,
        seed=args.seed,
        threads=args.threads,
    )
    return [args.out]


def _selectivity(args):
    """Each unit's face selectivity (d') on held-out images, and its group."""
    from .selectivity import selectivity

    selectivity(
        args.model,
        args.faces,
        args.objects,
        args.relevance,
        args.out,
        face_task=args.face_task,
        object_task=args.object_task,
        fraction=args.fraction,
        threads=args.threads,
    )
    return [args.out]


def _readout(args):
    """How much more like a face each visualisation looks than its noise, to a classifier."""
    from .readout import readout

    readout(
        args.faces,
        args.objects,
        args.visualizations,
        args.out,
        args.classifier,
        arch=json.loads(args.arch),
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        unseen_classes=args.unseen_classes,
        min_accuracy=args.min_accuracy,
        seed=args.seed,
        threads=args.threads,
    )
    return [args.out, args.classifier]


def _fig1(args):
    """Figure 1: held-out decoding (B), top-1 accuracy (C)."""
    from .figures.fig1 import fig1

    fig1(
        args.accuracy,
        args.decode,
        args.out_prefix,
        face_task=args.face_task,
        object_task=args.object_task,
        networks=tuple(args.networks),
        baseline=args.baseline,
    )
    return _figure_files(args.out_prefix)


def _fig2(args):
    """Figure 2: lesions by layer, the segregation index."""
    from .figures.fig2 import fig2

    fig2(
        args.lesion,
        args.images,
        args.out_prefix,
        network=args.network,
        face_task=args.face_task,
        object_task=args.object_task,
        fraction=args.fraction,
        statistics=_statistics(args),
        untrained=args.untrained,
    )
    return _figure_files(args.out_prefix)


def _fig3(args):
    """Figure 3: what face and object units prefer: selectivity and visualisations."""
    from .figures.fig3 import fig3

    fig3(args.selectivity, args.visualizations, args.readout, args.out_prefix, _statistics(args))
    return _figure_files(args.out_prefix)


def _fig4(args):
    """Figure 4: segregation of faces, food and cars from objects at matched sizes."""
    from .figures.fig4 import fig4

    fig4(
        args.images,
        args.overlap,
        args.out_prefix,
        args.networks,
        args.object_tasks,
        args.fraction,
        _statistics(args),
        untrained=args.untrained,
    )
    return _figure_files(args.out_prefix)


def _figS2(args):
    """Figure S2: lesion effects at matched task performance."""
    from .figures.figS2 import figS2

    figS2(
        args.images,
        args.out_prefix,
        args.network,
        args.face_task,
        args.object_task,
        args.fraction,
        args.draws,
        args.bins,
        args.seed,
    )
    return _figure_files(args.out_prefix)


def _figS1(args):
    """Figure S1: the lesion controls."""
    from .figures.figS1 import figS1

    figS1(
        args.lesion,
        args.controls,
        args.out_prefix,
        network=args.network,
        face_task=args.face_task,
        object_task=args.object_task,
        fraction=args.fraction,
    )
    return _figure_files(args.out_prefix)


def _metrics(args):
    """Headline numbers (DVC metrics and plots)."""
    from .metrics import metrics

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


def _plan(args):
    """What a config will cost: jobs, images, FLOPs, device-hours, disk, memory, SLURM."""
    from .plan import load, plan, report, slurm_resources

    gflops = {"train": args.gflops[0], "infer": args.gflops[1]}
    if args.measured:
        gflops = json.loads(Path(args.measured).read_text())["gflops"]
    result = plan(load(*args.configfile), gflops, args.parallel)
    print(report(result, slurm_resources(Path(args.profile)), gflops, args.parallel))
    return []


def _provenance(args):
    """Print an artifact's lineage, or with --verify re-hash every file in it."""
    if not args.verify:
        print("\n".join(provenance.lineage(args.artifact)))
        return
    notes = []
    problems = provenance.verify(args.artifact, deep=args.deep, notes=notes)
    for line in notes:
        print(f"NOTE {line}")
    for line in problems:
        print(f"MISMATCH {line}")
    if problems:
        raise FuncspecError(f"{len(problems)} mismatch(es) in the lineage of {args.artifact}")
    print(f"{args.artifact}: every file in its lineage has its recorded hash")


def _restore(args):
    """DVC pull, then mark the results up to date."""
    from .tracking import restore

    restore(pull=not args.no_pull, remote=args.remote)


def _task_dirs(pairs: list[str]) -> dict:
    """["faces=results/prepare/faces", ...] -> {"faces": path}, order kept (it fixes labels)."""
    dirs = {}
    for pair in pairs:
        task, sep, path = pair.partition("=")
        if not sep:
            raise FuncspecError(f"--data expects TASK=PREPARED_DIR, got {pair!r}")
        dirs[task] = path
    return dirs


def _figure_files(prefix) -> list[Path]:
    return [Path(f"{prefix}.{ext}") for ext in ("pdf", "png", "csv")]


def _prepare_sources(args) -> tuple[list[str], dict]:
    """What prepare reads besides its arguments: the class lists and a dataset root, from its
    spec (a dataset root is too large to hash per job: its manifest.csv lists each image's
    sha256, and the record keeps the root's fingerprint)."""
    from .datasets import root_fingerprint
    from .prepare import source_files

    spec = json.loads(args.spec)
    lists = list(source_files(spec).values())
    if "root" not in spec:
        return lists, {}
    return lists, {
        spec["root"]: {
            "note": f"{spec['layout']} dataset; each image's sha256 is in manifest.csv",
            "fingerprint": root_fingerprint(spec["root"]),
        }
    }


# The arguments that name the files and folders each command reads: its provenance inputs.
INPUTS = {
    "prepare": ("raw",),
    "probe": ("datasets",),
    "contact_sheet": ("datasets",),
    "train": ("data",),
    "history": ("history",),
    "evaluate": ("model", "data"),
    "decode": ("model", "data"),
    "overlap": ("model", "data", "relevance"),
    "relevance": ("model", "data"),
    "lesion": ("model", "data", "relevance"),
    "selectivity": ("model", "faces", "objects", "relevance"),
    "visualize": ("model", "relevance"),
    "readout": ("faces", "objects", "visualizations"),
    "fig1": ("accuracy", "decode"),
    "fig2": ("lesion", "images"),
    "fig3": ("selectivity", "visualizations", "readout"),
    "fig4": ("images", "overlap"),
    "figS1": ("lesion", "controls"),
    "figS2": ("images",),
    "metrics": ("accuracy", "decode", "lesion", "histories"),
}


def _command(commands, name, func):
    """A subcommand; its help is the first line of its function's docstring."""
    p = commands.add_parser(name, help=func.__doc__.splitlines()[0].rstrip("."))
    p.set_defaults(func=func)
    return p


def _network_args(p, data_help: str = "TASK=PREPARED_DIR") -> None:
    """The arguments of every command that runs a trained network over prepared data.

    Every argument that shapes a result is required, here and below: a default would decide
    an output without being a parameter of the rule, and without a part in its code digest.
    """
    p.add_argument("--model", required=True)
    p.add_argument("--data", nargs="+", required=True, help=data_help)
    p.add_argument("--batch-size", type=int, required=True)
    p.add_argument("--seed", type=int, required=True)
    _compute_args(p)


def _compute_args(p) -> None:
    """How a step that runs a network computes on the CPU (funcspec.numerics)."""
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--numerics", choices=numerics.MODES, default="native")


def _gpu_args(p) -> None:
    """The number formats of a step on CUDA (funcspec.gpu); the CPU ignores them."""
    p.add_argument("--bf16", action="store_true", help="bfloat16 autocast on CUDA")
    p.add_argument("--tf32", action="store_true", help="TF32 tensor cores on CUDA")
    p.add_argument("--channels-last", action="store_true", help="NHWC activations on CUDA")


def _precision(args):
    from .gpu import Precision

    return Precision(bf16=args.bf16, tf32=args.tf32, channels_last=args.channels_last)


def _statistics(args) -> dict:
    return {"bootstrap": args.bootstrap, "level": args.level, "seed": args.statistics_seed}


def _statistics_args(p) -> None:
    p.add_argument("--bootstrap", type=int, required=True, help="bootstrap samples")
    p.add_argument("--level", type=float, required=True, help="interval level; tests at 1-level")
    p.add_argument("--statistics-seed", type=int, required=True)
    p.add_argument("--untrained", help="the untrained network, a baseline (default: none)")


def _unit_group_args(p) -> None:
    """What makes a unit face-only, object-only or shared."""
    p.add_argument("--face-task", required=True)
    p.add_argument("--object-task", required=True)
    p.add_argument("--fraction", type=float, required=True, help="top share of each ranking")


def _figure_args(p) -> None:
    p.add_argument("--network", required=True, help="the dual-task network")
    p.add_argument("--face-task", required=True)
    p.add_argument("--object-task", required=True)
    p.add_argument("--fraction", type=float, required=True, help="lesion fraction drawn")
    p.add_argument("--out-prefix", required=True, help="writes PREFIX.pdf, .png and .csv")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="funcspec", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    p = _command(commands, "generate", _generate)
    p.add_argument("--domain", required=True)
    p.add_argument("--classes", type=int, required=True)
    p.add_argument("--images-per-class", type=int, required=True)
    p.add_argument("--size", type=int, required=True)
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--greyscale", action="store_true")
    p.add_argument(
        "--recolour", type=float, required=True, help="share of images given shared colours"
    )
    p.add_argument(
        "--shared-parts", type=float, required=True, help="share of food parts from objects"
    )
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--out", required=True)

    p = _command(commands, "prepare", _prepare)
    p.add_argument("--name", required=True, help="dataset name (its key under `datasets`)")
    p.add_argument("--spec", required=True, help="the dataset's config block as JSON")
    p.add_argument("--raw", help="folder of generated images (generated datasets only)")
    p.add_argument("--workers", type=int, default=1, help="image decoding processes")
    p.add_argument("--out", required=True)

    p = _command(commands, "probe", _probe)
    p.add_argument("--datasets", nargs="+", required=True, help="prepared dataset folders")
    p.add_argument("--images-per-dataset", type=int, required=True)
    p.add_argument("--folds", type=int, required=True)
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--out", required=True, help="CSV of accuracy per pair and feature set")

    p = _command(commands, "contact_sheet", _contact_sheet)
    p.add_argument("--datasets", nargs="+", required=True, help="prepared dataset folders")
    p.add_argument("--columns", type=int, required=True)
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--out", required=True)

    p = _command(commands, "train", _train)
    p.add_argument("--spec", required=True, help="the network's resolved config as JSON")
    p.add_argument("--data", nargs="+", required=True, help="TASK=PREPARED_DIR, in label order")
    _compute_args(p)
    _gpu_args(p)
    p.add_argument("--out", required=True, help="the trained network (model.pt)")
    p.add_argument("--history", required=True, help="the training history CSV")

    p = _command(commands, "history", _history)
    p.add_argument("--history", required=True, help="the training history CSV")
    p.add_argument("--out", required=True)

    p = _command(commands, "evaluate", _evaluate)
    _network_args(p)
    _gpu_args(p)
    p.add_argument("--bootstrap", type=int, required=True, help="bootstrap resamples")
    p.add_argument("--out", required=True, help="accuracy table CSV")
    p.add_argument("--predictions", required=True, help="predictions CSV")

    p = _command(commands, "decode", _decode)
    _network_args(p)
    p.add_argument("--folds", type=int, required=True)
    p.add_argument("--out", required=True, help="decoding table CSV")

    p = _command(commands, "overlap", _overlap)
    _network_args(p)
    p.add_argument("--relevance", nargs="+", required=True, help="penultimate layer's rankings")
    p.add_argument("--fraction", type=float, required=True, help="top share of each ranking")
    p.add_argument("--folds", type=int, required=True)
    p.add_argument("--out", required=True, help="decoding table CSV")

    p = _command(commands, "relevance", _relevance)
    _network_args(p, "TASK=PREPARED_DIR of the network's tasks")
    _gpu_args(p)
    p.add_argument(
        "--task", required=True, help="a task of the network, or split<p>_a / split<p>_b"
    )
    p.add_argument("--split-seed", type=int, help="seed of the random class splits (split<p>_a/b)")
    p.add_argument("--layer", required=True)
    p.add_argument(
        "--fraction", type=float, required=True, help="rank until more than this is chosen"
    )
    p.add_argument(
        "--group-fraction", type=float, required=True, help="units added per step, as a fraction"
    )
    p.add_argument("--max-steps", type=int, help="cap on greedy steps (default: none)")
    p.add_argument("--images", type=int, required=True, help="training images per step")
    p.add_argument("--fresh-images", action="store_true", help="draw new images at every step")
    p.add_argument("--engine", choices=["fast", "reference"], required=True)
    p.add_argument("--out", required=True, help="ranking JSON")

    p = _command(commands, "lesion", _lesion)
    _network_args(p, "TASK=PREPARED_DIR of the network's tasks")
    _gpu_args(p)
    p.add_argument("--layer", required=True)
    p.add_argument("--relevance", nargs="+", required=True, help="ranking JSONs of this layer")
    p.add_argument("--split-seed", type=int, help="seed of the random class split, if ranked")
    p.add_argument("--fractions", type=float, nargs="+", required=True)
    p.add_argument("--random-draws", type=int, required=True)
    p.add_argument("--out", required=True, help="lesion table CSV")
    p.add_argument(
        "--images", required=True, help="each image's correctness under each lesion (npz)"
    )

    p = _command(commands, "visualize", _visualize)
    p.add_argument("--model", required=True)
    p.add_argument("--relevance", nargs="+", required=True, help="ranking JSONs of this layer")
    p.add_argument("--layer", required=True)
    _unit_group_args(p)
    p.add_argument("--units", required=True, help="units drawn per group, or 'all'")
    p.add_argument("--restarts", type=int, required=True, help="images per unit, each its noise")
    p.add_argument("--steps", type=int, required=True, help="gradient-ascent steps")
    p.add_argument("--step", type=float, required=True, help="RMS change per input value")
    p.add_argument("--jitter", type=float, required=True, help="largest shift / input size")
    p.add_argument("--blur-sigma", type=float, required=True, help="Gaussian blur, in pixels")
    p.add_argument("--blur-every", type=int, required=True, help="steps between blurs")
    p.add_argument("--decay", type=float, required=True, help="weight of the image's L2 norm")
    p.add_argument("--seed", type=int, required=True)
    _compute_args(p)
    p.add_argument("--out", required=True, help="images and activations (.npz)")

    p = _command(commands, "selectivity", _selectivity)
    p.add_argument("--model", required=True)
    p.add_argument("--faces", required=True, help="prepared face dataset (its held-out split)")
    p.add_argument("--objects", required=True, help="prepared object dataset (held-out split)")
    p.add_argument("--relevance", nargs="+", required=True, help="ranking JSONs of both tasks")
    _unit_group_args(p)
    _compute_args(p)
    p.add_argument("--out", required=True, help="one row per unit (CSV)")

    p = _command(commands, "readout", _readout)
    p.add_argument("--faces", required=True, help="prepared face dataset (its held-out split)")
    p.add_argument("--objects", required=True, help="prepared object dataset (held-out split)")
    p.add_argument("--visualizations", nargs="+", required=True, help="visualize .npz files")
    p.add_argument("--arch", required=True, help="the classifier's architecture as JSON")
    p.add_argument("--epochs", type=int, required=True)
    p.add_argument("--batch-size", type=int, required=True)
    p.add_argument("--lr", type=float, required=True)
    p.add_argument(
        "--unseen-classes", type=int, required=True, help="held-out classes of each kind kept"
    )
    p.add_argument(
        "--min-accuracy", type=float, required=True, help="refuse a classifier below this"
    )
    p.add_argument("--seed", type=int, required=True)
    _compute_args(p)
    p.add_argument("--out", required=True, help="one row per visualisation (CSV)")
    p.add_argument("--classifier", required=True, help="the trained classifier (.pt)")

    p = _command(commands, "fig1", _fig1)
    p.add_argument("--accuracy", nargs="+", required=True, help="accuracy tables")
    p.add_argument("--decode", nargs="+", required=True, help="decoding tables")
    p.add_argument("--networks", nargs="+", required=True, help="face, object and dual net names")
    p.add_argument("--baseline", help="the untrained network, drawn as a marker (default: none)")
    p.add_argument("--face-task", required=True)
    p.add_argument("--object-task", required=True)
    p.add_argument("--out-prefix", required=True, help="writes PREFIX.pdf, .png and .csv")

    p = _command(commands, "fig2", _fig2)
    p.add_argument("--lesion", nargs="+", required=True, help="lesion tables of the dual net")
    p.add_argument(
        "--images",
        nargs="+",
        required=True,
        help="per-image lesion results (.npz) of the dual net and the untrained net",
    )
    _figure_args(p)
    _statistics_args(p)

    p = _command(commands, "fig3", _fig3)
    p.add_argument("--selectivity", nargs="+", required=True, help="selectivity CSVs")
    p.add_argument("--visualizations", nargs="+", required=True, help="visualize .npz files")
    p.add_argument("--readout", required=True, help="the readout's CSV")
    p.add_argument("--bootstrap", type=int, required=True, help="resamples and permutations")
    p.add_argument("--level", type=float, required=True, help="interval level; tests at 1-level")
    p.add_argument("--statistics-seed", type=int, required=True)
    p.add_argument("--out-prefix", required=True, help="writes PREFIX.pdf, .png and .csv")

    p = _command(commands, "fig4", _fig4)
    p.add_argument("--images", nargs="+", required=True, help="per-image lesion results (.npz)")
    p.add_argument("--overlap", nargs="+", required=True, help="overlap decoding tables")
    p.add_argument("--networks", nargs="+", required=True, help="category+object networks")
    p.add_argument("--object-tasks", nargs="+", required=True, help="the object task of each")
    p.add_argument("--fraction", type=float, required=True, help="lesion fraction drawn")
    p.add_argument("--out-prefix", required=True, help="writes PREFIX.pdf, .png and .csv")
    _statistics_args(p)

    p = _command(commands, "figS2", _figS2)
    p.add_argument("--images", nargs="+", required=True, help="per-image lesion results (.npz)")
    p.add_argument("--draws", type=int, required=True, help="random removals averaged")
    p.add_argument("--bins", type=int, required=True, help="margin bins of the margin matching")
    p.add_argument("--seed", type=int, required=True)
    _figure_args(p)

    p = _command(commands, "figS1", _figS1)
    p.add_argument("--lesion", nargs="+", required=True, help="lesion tables of the dual net")
    p.add_argument("--controls", nargs="*", default=[], help="lesion tables of control nets")
    _figure_args(p)

    p = _command(commands, "metrics", _metrics)
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

    p = _command(commands, "plan", _plan)
    p.add_argument(
        "--configfile",
        nargs="+",
        default=["config/config.yaml"],
        help="config file(s), merged in order as Snakemake merges them",
    )
    p.add_argument(
        "--gflops",
        type=float,
        nargs=2,
        default=[128.0, 169.0],
        metavar=("TRAIN", "INFER"),
        help="achieved GFLOP/s of training and inference on one device (default: this "
        "project's 2-core development machine, benchmarks/bench_train.py)",
    )
    p.add_argument(
        "--measured",
        help="the JSON benchmarks/bench_gpu.py saved: its training, inference and ranking "
        "GFLOP/s replace --gflops",
    )
    p.add_argument("--parallel", type=int, default=1, help="jobs running at once (devices)")
    p.add_argument("--profile", default="slurm/config.yaml", help="the SLURM profile to read")

    p = _command(commands, "provenance", _provenance)
    p.add_argument("artifact", help="a file or folder under results/")
    p.add_argument(
        "--verify",
        action="store_true",
        help="re-hash every file in the lineage and compare the code that made it "
        "with the working tree's; exit 1 on any mismatch",
    )
    p.add_argument(
        "--deep",
        action="store_true",
        help="with --verify, also re-hash every source image of a dataset on disk "
        "against its manifest.csv",
    )

    p = _command(commands, "restore", _restore)
    p.add_argument("--remote", help="DVC remote to pull from (default: the repository's)")
    p.add_argument(
        "--no-pull",
        action="store_true",
        help="results already in place: check them against dvc.lock, align mtimes",
    )
    return parser


def _inputs(args) -> tuple[list[str], dict]:
    """(paths the command reads, {external path: about}) from its arguments."""
    paths = []
    for name in INPUTS.get(args.command, ()):
        value = getattr(args, name)
        for item in value if isinstance(value, list) else [value] if value else []:
            paths.append(item.partition("=")[2] if name == "data" else item)
    if args.command != "prepare":
        return paths, {}
    lists, external = _prepare_sources(args)
    return paths + lists, external


def _parameters(args) -> dict:
    """The command's arguments, JSON specs decoded: the config values the job used."""
    skip = ("func", "command")
    parameters = {k: v for k, v in vars(args).items() if k not in skip}
    if "spec" in parameters:
        parameters["spec"] = json.loads(parameters["spec"])
    return parameters


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser().parse_args(argv)
    started = provenance.now()
    try:
        # One writer at a time per output: an orphan of a killed Snakemake must not race its rerun.
        with exclusive(getattr(args, "out", None) or getattr(args, "out_prefix", None)):
            numerics.use(getattr(args, "numerics", "native"))
            written = args.func(args)
            if written:
                inputs, external = _inputs(args)
                provenance.write_record(
                    rule=args.command,
                    subcommand=args.command,
                    command=shlex.join(["funcspec", *argv]),
                    parameters=_parameters(args),
                    inputs=inputs,
                    outputs=written,
                    started=started,
                    external=external,
                )
    except FuncspecError as exc:
        # The project's own failures (bad data, bad config, a held lock) get one clear line;
        # anything else is a bug and shows its traceback.
        print(f"funcspec {args.command}: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
