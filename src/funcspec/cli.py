"""The `funcspec` command: one subcommand per pipeline rule, of the same name.

Each step's module owns its command line: `add_arguments(parser)`, `main(args)` returning the
files it wrote, and `INPUTS`, the arguments that name what it reads. Only the module the
subcommand names is imported, so a figure job never loads torch. Rules pass every input, output
and parameter explicitly, so Snakemake's record of the shell command is a complete record of
what produced an artifact: a parameter is a flag, and a nested block of the config (a dataset,
a network, an architecture) is one flag holding its JSON. After a step has written its
outputs, `main` leaves a provenance record of the job beside them (funcspec.provenance); while
it writes them it holds their lock (funcspec.lock).
"""

from __future__ import annotations

import argparse
import importlib
import json
import shlex
import sys

from . import numerics, provenance
from .errors import FuncspecError
from .lock import exclusive

# subcommand: (its module, its help). funcspec.codedigest reads this table as text.
STEPS = {
    "generate": ("generate", "Draw a dataset into class folders of PNGs"),
    "prepare": ("prepare", "Select classes and images, write shards"),
    "probe": ("probe", "How well low-level statistics tell datasets apart"),
    "contact_sheet": ("contact_sheet", "A PNG of example images, one row per dataset"),
    "train": ("train", "Train one network, checkpointing every epoch"),
    "history": ("figures.history", "Plot a training history"),
    "evaluate": ("evaluate", "Top-1 accuracy on every task's test split"),
    "decode": ("decode", "Linear decoding of held-out classes"),
    "overlap": ("overlap", "Held-out classes decoded from each task's top units, and colour"),
    "relevance": ("relevance", "Greedy loss-based ranking of one layer's units for one task"),
    "lesion": ("lesion", "Accuracy of every task after lesioning ranked units"),
    "visualize": ("visualize", "Preferred images of one layer's units, by gradient ascent"),
    "selectivity": ("selectivity", "Each unit's face selectivity (d') and its group"),
    "readout": ("readout", "How much more like a face each visualisation looks than its noise"),
    "fig1": ("figures.fig1", "Figure 1: held-out decoding (B), top-1 accuracy (C)"),
    "fig2": ("figures.fig2", "Figure 2: lesions by layer, the segregation index"),
    "fig3": ("figures.fig3", "Figure 3: what face and object units prefer"),
    "fig4": ("figures.fig4", "Figure 4: faces, food and cars segregated from objects"),
    "figS1": ("figures.figS1", "Figure S1: the lesion controls"),
    "figS2": ("figures.figS2", "Figure S2: lesion effects at matched task performance"),
    "architectures": ("figures.architectures", "Segregation by depth in other architectures"),
    "snapshots": ("figures.snapshots", "Segregation by depth over training, from snapshots"),
    "metrics": ("metrics", "Headline numbers (DVC metrics and plots)"),
    "plan": ("plan", "What a config will cost: jobs, images, FLOPs, device-hours, SLURM"),
    "provenance": ("provenance", "Print an artifact's lineage; --verify re-hashes it"),
    "restore": ("tracking", "DVC pull, then mark the results up to date"),
}


def parse(argv: list[str]) -> tuple[argparse.Namespace, object]:
    """The arguments, and the module of the step they name (the only step module imported)."""
    parser = argparse.ArgumentParser(prog="funcspec", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="STEP")
    step = None
    for command, (module, help) in STEPS.items():
        p = commands.add_parser(command, help=help)
        if argv and argv[0] == command:
            step = importlib.import_module(f"{__package__}.{module}")
            step.add_arguments(p)
    return parser.parse_args(argv), step


def _inputs(args, step) -> tuple[list[str], dict]:
    """(paths the step reads, {external path: about}) from its arguments."""
    paths = []
    for name in getattr(step, "INPUTS", ()):
        value = getattr(args, name)
        for item in value if isinstance(value, list) else [value] if value else []:
            paths.append(item.partition("=")[2] if name == "data" else item)
    if not hasattr(step, "sources"):
        return paths, {}
    lists, external = step.sources(args)
    return paths + lists, external


def _parameters(args) -> dict:
    """The step's arguments, JSON specs decoded: the config values the job used."""
    parameters = {k: v for k, v in vars(args).items() if k != "command"}
    if "spec" in parameters:
        parameters["spec"] = json.loads(parameters["spec"])
    return parameters


def _first_output(args):
    """What the step's lock is named after: its first output, if it writes any."""
    return getattr(args, "out", None) or getattr(args, "pdf", None)


def _numerics(argv: list[str]) -> str:
    """The --numerics asked for, read before the step's module loads torch: portable numerics
    pin torch's kernels through the environment, which torch reads when it loads."""
    early = argparse.ArgumentParser(add_help=False, exit_on_error=False)
    early.add_argument("--numerics", choices=numerics.MODES, default="native")
    try:
        return early.parse_known_args(argv)[0].numerics
    except argparse.ArgumentError:
        return "native"  # a bad value: the step's own parser says so


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    started = provenance.now()
    try:
        numerics.use(_numerics(argv))
        args, step = parse(argv)
        # One writer at a time per output: an orphan of a killed Snakemake must not race its rerun.
        with exclusive(_first_output(args)):
            written = step.main(args)
            if written:
                inputs, external = _inputs(args, step)
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
        print(f"funcspec {argv[0]}: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
