"""The `funcspec` command: one subcommand per pipeline rule, each a thin call into the package.

Rules pass every input, output and parameter explicitly on the command line, so Snakemake's
record of the shell command is a complete record of what produced an artifact.
"""
from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

from .atomic import atomic_path


def _generate(args):
    from .synth import generate

    generate(args.domain, args.out, n_classes=args.classes, images_per_class=args.images_per_class,
             size=args.size, seed=args.seed, greyscale=args.greyscale, workers=args.workers)


def _prepare(args):
    from .prepare import prepare

    prepare(args.name, json.loads(args.spec), args.out, raw_root=args.raw, workers=args.workers)


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
    rows = domain_probe(images, folds=args.folds, seed=args.seed)
    with atomic_path(args.out) as tmp, open(tmp, "w", newline="") as f:
        out = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        out.writeheader()
        out.writerows(rows)


def _contact_sheet(args):
    from .contact_sheet import contact_sheet

    rows = {Path(d).name: _sample(d, args.columns, args.seed) for d in args.datasets}
    contact_sheet(rows, args.out, columns=args.columns)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="funcspec", description=__doc__.splitlines()[0])
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
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except (ValueError, OSError, KeyError) as exc:
        # Known failure modes (bad data, bad config) get one clear line, not a traceback.
        print(f"funcspec {args.command}: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
