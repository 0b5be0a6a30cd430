"""The `funcspec` command: one subcommand per pipeline rule, each a thin call into the package.

Rules pass every input, output and parameter explicitly on the command line, so Snakemake's
record of the shell command is a complete record of what produced an artifact. Each command that
writes artifacts returns their paths, and `main` leaves a provenance record of the job beside
them (funcspec.provenance): inputs are the arguments named in INPUT_ARGS.
"""
from __future__ import annotations

import argparse
import csv
import json
import shlex
import sys
from pathlib import Path

from . import provenance
from .atomic import atomic_path
from .lock import exclusive
from .tracking import TrackingError


def _generate(args):
    from .synth import generate

    generate(args.domain, args.out, n_classes=args.classes, images_per_class=args.images_per_class,
             size=args.size, seed=args.seed, greyscale=args.greyscale, workers=args.workers)
    return [args.out]


def _prepare(args):
    from .prepare import prepare

    prepare(args.name, json.loads(args.spec), args.out, raw_root=args.raw, workers=args.workers)
    return [args.out]


def _sample(prepared_dir, n: int, seed: int):
    """n images of a prepared train split, drawn with a seed across all its classes."""
    import numpy as np

    from .shards import open_split

    split = open_split(prepared_dir, "train")
    rng = np.random.default_rng(seed)
    indices = np.sort(rng.choice(len(split), size=min(n, len(split)), replace=False))
    return split.images(indices)


def _probe(args):
    from .probe import domain_probe

    images = {Path(d).name: _sample(d, args.images_per_dataset, args.seed) for d in args.datasets}
    _write_csv(args.out, domain_probe(images, folds=args.folds, seed=args.seed))
    return [args.out]


def _contact_sheet(args):
    from .contact_sheet import contact_sheet

    rows = {Path(d).name: _sample(d, args.columns, args.seed) for d in args.datasets}
    contact_sheet(rows, args.out, columns=args.columns)
    return [args.out]


def _task_dirs(pairs: list[str]) -> dict:
    """["faces=results/prepared/faces", ...] -> {"faces": path}, order kept (it fixes labels)."""
    dirs = {}
    for pair in pairs:
        task, sep, path = pair.partition("=")
        if not sep:
            raise ValueError(f"--data expects TASK=PREPARED_DIR, got {pair!r}")
        dirs[task] = path
    return dirs


def _write_json(path, data) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(data, indent=1) + "\n")


def _write_csv(path, rows: list[dict]) -> None:
    with atomic_path(path) as tmp, open(tmp, "w", newline="") as f:
        out = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        out.writeheader()
        out.writerows(rows)


def _train(args):
    from .train import train

    train(json.loads(args.spec), _task_dirs(args.data), args.out, threads=args.threads)
    return [Path(args.out) / "model.pt", Path(args.out) / "history.csv"]


def _plot_history(args):
    from .figures.history import plot_history

    plot_history(args.history, args.out)
    return [args.out]


def _load(args, split: str):
    """The network of --model and the `split` of the --data folders, checked against each other."""
    import torch

    from .data import Pooled, open_tasks
    from .train import load_model, pick_device

    torch.set_num_threads(args.threads)
    device = pick_device()
    model, saved = load_model(args.model, device)
    dirs = _task_dirs(args.data)
    expected = [t["task"] for t in saved["tasks"]]
    if split != "heldout" and list(dirs) != expected:
        raise ValueError(f"{args.model} was trained on tasks {expected}; --data gives {list(dirs)}")
    return model, saved, Pooled(open_tasks(dirs, split)), device


def _evaluate(args):
    from .evaluate import accuracy_table
    from .inference import predictions

    model, saved, pooled, device = _load(args, "test")
    predicted = predictions(model, pooled, args.batch_size, device)
    rows = []
    for t, task in enumerate(pooled.tasks):
        mine = pooled.task_of == t
        rows.append(accuracy_table(saved["network"], task.task, predicted[mine], pooled.labels[mine],
                                   saved["num_classes"], args.bootstrap, args.seed))
    _write_csv(Path(args.out) / "accuracy.csv", rows)
    _write_csv(Path(args.out) / "predictions.csv", [
        {"task": pooled.tasks[t].task, "index": i, "label": int(y), "predicted": int(p)}
        for i, (t, y, p) in enumerate(zip(pooled.task_of, pooled.labels, predicted))])
    return [Path(args.out) / "accuracy.csv", Path(args.out) / "predictions.csv"]


def _decode(args):
    from .decode import decode
    from .inference import activations

    rows = []
    for task, directory in _task_dirs(args.data).items():
        one = argparse.Namespace(**{**vars(args), "data": [f"{task}={directory}"]})
        model, saved, pooled, device = _load(one, "heldout")
        features = activations(model, pooled, model.penultimate, args.batch_size, device)
        result = decode(features, pooled.labels, folds=args.folds, seed=args.seed)
        rows.append({"network": saved["network"], "dataset": task, "layer": model.penultimate,
                     **{k: result[k] for k in ("accuracy", "sem", "chance", "folds",
                                               "n_images", "n_classes")}})
    _write_csv(args.out, rows)
    return [args.out]


def _fig1(args):
    from .figures.fig1 import fig1

    fig1(args.accuracy, args.decoding, args.out_prefix, face_task=args.face_task,
         object_task=args.object_task, networks=tuple(args.networks))
    return _figure_files(args.out_prefix)


def _rank(args):
    import numpy as np
    import torch

    from .codedigest import code_digest
    from .data import centre_crop, normalise, to_input
    from .shards import sha256_file
    from .tasks import task_groups
    from .ranking import rank_fast, rank_reference
    from .train import data_digests

    model, saved, pooled, device = _load(args, "train")
    groups = task_groups(saved, args.split_seed)
    if args.task not in groups:
        raise ValueError(f"{args.model} has no task {args.task!r} (has {', '.join(groups)})")
    pool = np.flatnonzero(np.isin(pooled.labels, groups[args.task]))

    def images(step):
        # The same step always sees the same images, so a resumed ranking repeats it exactly.
        rng = np.random.default_rng([args.seed, step if args.fresh_images else 0])
        idx = np.sort(rng.choice(pool, size=min(args.images, len(pool)), replace=False))
        x = normalise(centre_crop(to_input(pooled.images(idx), device), model.input_size))
        return x, torch.from_numpy(pooled.labels[idx]).to(device)

    # The settings that shape the ranking besides the ranking function's own (layer, fractions,
    # max_steps), which it records itself.
    settings = {"task": args.task, "split_seed": args.split_seed, "images": args.images,
                "fresh_images": args.fresh_images, "seed": args.seed, "engine": args.engine,
                "batch_size": args.batch_size}
    inputs = {"config": settings, "model": sha256_file(args.model),
              "data": data_digests(_task_dirs(args.data)), "code": code_digest("rank")}
    engine = rank_fast if args.engine == "fast" else rank_reference
    out = Path(args.out)
    result = engine(model, args.layer, images, fraction=args.fraction,
                    group_fraction=args.group_fraction, max_steps=args.max_steps,
                    batch_size=args.batch_size, checkpoint=out.with_name(f".{out.name}.partial"),
                    inputs=inputs, progress=True)
    result.update(network=saved["network"], images_per_step=len(images(0)[1]), **settings)
    _write_json(out, result)
    out.with_name(f".{out.name}.partial").unlink(missing_ok=True)
    return [out]


def _lesion(args):
    from .lesion import conditions, evaluate_lesions
    from .tasks import task_groups

    model, saved, pooled, device = _load(args, "test")
    rankings = {}
    for path in args.rankings:
        ranking = json.loads(Path(path).read_text())
        if ranking["layer"] != args.layer:
            raise ValueError(f"{path} ranks layer {ranking['layer']}, not {args.layer}")
        rankings[ranking["task"]] = ranking["order"]
    groups = task_groups(saved, args.split_seed)
    n_units = model.unit_layer(args.layer).weight.shape[0]
    lesions = conditions(rankings, n_units, args.fractions, args.random_draws, args.seed)
    rows = evaluate_lesions(model, args.layer, pooled, groups, lesions, args.batch_size, device)
    _write_csv(args.out, [{"network": saved["network"], "layer": args.layer, "n_units": n_units, **r}
                          for r in rows])
    return [args.out]


def _fig2(args):
    from .figures.fig2 import fig2

    fig2(args.lesions, args.out_prefix, network=args.network, face_task=args.face_task,
         object_task=args.object_task, fraction=args.fraction, control_csvs=args.controls,
         controls_prefix=args.controls_prefix)
    return _figure_files(args.out_prefix) + (
        _figure_files(args.controls_prefix) if args.controls_prefix else [])


def _figure_files(prefix) -> list[Path]:
    return [Path(f"{prefix}.{ext}") for ext in ("pdf", "png", "csv")]


def _metrics(args):
    from .metrics import headline_metrics

    out = Path(args.out)
    written = [out / "headline.json"]
    _write_json(written[0], headline_metrics(args.accuracy, args.decoding, args.lesions,
                                             args.fraction))
    for history in map(Path, args.histories):
        # One file per network in one folder: the shape DVC plots a folder of curves from.
        written.append(out / "training" / f"{history.parent.name}.csv")
        with atomic_path(written[-1]) as tmp:
            tmp.write_bytes(history.read_bytes())
    return written


def _provenance(args):
    """Print an artifact's lineage, or with --verify re-hash every file in it."""
    if not args.verify:
        print("\n".join(provenance.lineage(args.artifact)))
        return
    problems = provenance.verify(args.artifact, deep=args.deep)
    for line in problems:
        print(f"MISMATCH {line}")
    if problems:
        raise ValueError(f"{len(problems)} mismatch(es) in the lineage of {args.artifact}")
    print(f"{args.artifact}: every file in its lineage has its recorded hash")


def _restore(args):
    from .tracking import restore

    restore(pull=not args.no_pull, remote=args.remote)


def _network_args(p, batch_size: int, data_help: str = "TASK=PREPARED_DIR") -> None:
    """The arguments of every command that runs a trained network over prepared data."""
    p.add_argument("--model", required=True)
    p.add_argument("--data", nargs="+", required=True, help=data_help)
    p.add_argument("--batch-size", type=int, default=batch_size)
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--threads", type=int, default=1)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="funcspec", description=__doc__.splitlines()[0])
    parser.add_argument("--rule", help="the Snakemake rule running this command (provenance)")
    commands = parser.add_subparsers(dest="command", required=True)

    p = commands.add_parser("generate", help="draw a synthetic dataset into class folders of PNGs")
    p.add_argument("--domain", required=True)
    p.add_argument("--classes", type=int, required=True)
    p.add_argument("--images-per-class", type=int, required=True)
    p.add_argument("--size", type=int, required=True)
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--greyscale", action="store_true")
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--out", required=True)
    p.set_defaults(func=_generate)

    p = commands.add_parser("prepare", help="select classes and images, write shards + manifest")
    p.add_argument("--name", required=True, help="dataset name (its key under `datasets`)")
    p.add_argument("--spec", required=True, help="the dataset's config block as JSON")
    p.add_argument("--raw", help="folder of generated images (synthetic datasets only)")
    p.add_argument("--workers", type=int, default=1, help="image decoding processes")
    p.add_argument("--out", required=True)
    p.set_defaults(func=_prepare)

    p = commands.add_parser("probe", help="how well low-level image statistics tell datasets apart")
    p.add_argument("--datasets", nargs="+", required=True, help="prepared dataset folders")
    p.add_argument("--images-per-dataset", type=int, required=True)
    p.add_argument("--folds", type=int, required=True)
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--out", required=True, help="CSV of accuracy per pair and feature set")
    p.set_defaults(func=_probe)

    p = commands.add_parser("contact-sheet", help="a PNG of example images, one row per dataset")
    p.add_argument("--datasets", nargs="+", required=True, help="prepared dataset folders")
    p.add_argument("--columns", type=int, required=True)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", required=True)
    p.set_defaults(func=_contact_sheet)

    p = commands.add_parser("train", help="train one network, checkpointing every epoch")
    p.add_argument("--spec", required=True, help="the network's resolved config as JSON")
    p.add_argument("--data", nargs="+", required=True, help="TASK=PREPARED_DIR, in label order")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--out", required=True, help="folder for model.pt and history.csv")
    p.set_defaults(func=_train)

    p = commands.add_parser("plot-history", help="plot a training history")
    p.add_argument("--history", required=True)
    p.add_argument("--out", required=True)
    p.set_defaults(func=_plot_history)

    for name, func, help_ in (("evaluate", _evaluate, "top-1 accuracy on every task's test split"),
                              ("decode", _decode, "linear decoding of held-out classes")):
        p = commands.add_parser(name, help=help_)
        _network_args(p, 256)
        p.add_argument("--out", required=True)
        p.set_defaults(func=func)
        if name == "evaluate":
            p.add_argument("--bootstrap", type=int, required=True, help="bootstrap resamples")
        else:
            p.add_argument("--folds", type=int, required=True)

    p = commands.add_parser("rank", help="greedy loss-based ranking of one layer's units for one task")
    _network_args(p, 128, "TASK=PREPARED_DIR of the network's tasks")
    p.add_argument("--task", required=True, help="a task of the network, or split_a / split_b")
    p.add_argument("--split-seed", type=int, help="seed of the random class split (split_a/b)")
    p.add_argument("--layer", required=True)
    p.add_argument("--fraction", type=float, required=True, help="rank until more than this is chosen")
    p.add_argument("--group-fraction", type=float, required=True, help="units added per step, as a fraction")
    p.add_argument("--max-steps", type=int, help="cap on greedy steps (default: none)")
    p.add_argument("--images", type=int, required=True, help="training images per step")
    p.add_argument("--fresh-images", action="store_true", help="draw new images at every step")
    p.add_argument("--engine", choices=["fast", "reference"], default="fast")
    p.add_argument("--out", required=True, help="ranking JSON")
    p.set_defaults(func=_rank)

    p = commands.add_parser("lesion", help="accuracy of every task after lesioning ranked units")
    _network_args(p, 256, "TASK=PREPARED_DIR of the network's tasks")
    p.add_argument("--layer", required=True)
    p.add_argument("--rankings", nargs="+", required=True, help="ranking JSONs of this layer")
    p.add_argument("--split-seed", type=int, help="seed of the random class split, if ranked")
    p.add_argument("--fractions", type=float, nargs="+", required=True)
    p.add_argument("--random-draws", type=int, required=True)
    p.add_argument("--out", required=True, help="lesion table CSV")
    p.set_defaults(func=_lesion)

    p = commands.add_parser("fig1", help="Figure 1: held-out decoding (B) and top-1 accuracy (C)")
    p.add_argument("--accuracy", nargs="+", required=True)
    p.add_argument("--decoding", nargs="+", required=True)
    p.add_argument("--networks", nargs="+", required=True, help="face, object and dual net names")
    p.add_argument("--face-task", required=True)
    p.add_argument("--object-task", required=True)
    p.add_argument("--out-prefix", required=True)
    p.set_defaults(func=_fig1)

    p = commands.add_parser("fig2", help="Figure 2: lesions by layer and the segregation index")
    p.add_argument("--lesions", nargs="+", required=True, help="lesion tables of the dual net")
    p.add_argument("--network", required=True)
    p.add_argument("--face-task", required=True)
    p.add_argument("--object-task", required=True)
    p.add_argument("--fraction", type=float, required=True, help="lesion fraction drawn")
    p.add_argument("--controls", nargs="*", default=[], help="lesion tables of control nets")
    p.add_argument("--out-prefix", required=True)
    p.add_argument("--controls-prefix", help="where the controls' figure (figS1) goes")
    p.set_defaults(func=_fig2)

    p = commands.add_parser("metrics", help="headline numbers as one JSON file (DVC metrics)")
    p.add_argument("--accuracy", nargs="+", required=True, help="accuracy tables")
    p.add_argument("--decoding", nargs="*", default=[], help="held-out decoding tables")
    p.add_argument("--lesions", nargs="*", default=[], help="lesion tables")
    p.add_argument("--histories", nargs="*", default=[],
                   help="training histories, results/models/<network>/history.csv")
    p.add_argument("--fraction", type=float, required=True, help="lesion fraction of the index")
    p.add_argument("--out", required=True,
                   help="folder for headline.json and training/<network>.csv")
    p.set_defaults(func=_metrics)

    p = commands.add_parser("provenance", help="an artifact's lineage; --verify re-hashes it")
    p.add_argument("artifact", help="a file or folder under results/")
    p.add_argument("--verify", action="store_true",
                   help="re-hash every file in the lineage and compare the code that made it "
                        "with the working tree's; exit 1 on any mismatch")
    p.add_argument("--deep", action="store_true",
                   help="with --verify, also re-hash every source image of a dataset on disk "
                        "against its manifest.csv")
    p.set_defaults(func=_provenance)

    p = commands.add_parser("restore", help="dvc pull, then mark the results up to date")
    p.add_argument("--remote", help="DVC remote to pull from (default: the repository's)")
    p.add_argument("--no-pull", action="store_true",
                   help="results already in place: check them against dvc.lock, align mtimes")
    p.set_defaults(func=_restore)
    return parser


# Arguments that name files or folders a command reads: they are the inputs of its provenance.
INPUT_ARGS = ("raw", "model", "data", "datasets", "history", "histories", "accuracy", "decoding",
              "rankings", "lesions", "controls")


def _inputs(args) -> tuple[list[str], dict]:
    """(paths the command reads, {external path: note}) from its arguments."""
    paths = []
    for name in INPUT_ARGS:
        value = getattr(args, name, None)
        for item in value if isinstance(value, list) else [value] if value else []:
            paths.append(item.partition("=")[2] if name == "data" else item)
    external = {}
    if args.command == "prepare":
        spec = json.loads(args.spec)
        paths += [spec["classes"][key] for key in ("include", "exclude") if spec["classes"].get(key)]
        if "root" in spec:
            from .datasets import root_fingerprint

            # A real dataset is too large to hash per job; prepare lists every image's sha256.
            external[spec["root"]] = {
                "note": f"{spec['layout']} dataset; each image's sha256 is in manifest.csv",
                "fingerprint": root_fingerprint(spec["root"])}
    return paths, external


def _parameters(args) -> dict:
    """The command's arguments, JSON specs decoded: the config values the job used."""
    parameters = {k: v for k, v in vars(args).items() if k not in ("func", "rule", "command")}
    if "spec" in parameters:
        parameters["spec"] = json.loads(parameters["spec"])
    return parameters


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser().parse_args(argv)
    started = provenance.now()
    try:
        # Every command that writes names its output with --out or --out-prefix: one writer
        # at a time per output (an orphan of a killed Snakemake must not race its rerun).
        with exclusive(getattr(args, "out", None) or getattr(args, "out_prefix", None)):
            written = args.func(args)
        if written:
            inputs, external = _inputs(args)
            provenance.write_record(rule=args.rule or args.command, subcommand=args.command,
                                    command=shlex.join(["funcspec", *argv]),
                                    parameters=_parameters(args), inputs=inputs,
                                    outputs=written, started=started, external=external)
    except (ValueError, OSError, KeyError, TrackingError) as exc:
        # Known failure modes (bad data, bad config) get one clear line, not a traceback.
        print(f"funcspec {args.command}: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
