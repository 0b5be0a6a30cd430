"""The argument groups the steps that run a network share, and the parsing of their values
(a figure's are in funcspec.figures.save).

Every argument that shapes a result is required: a default would decide an output without being
a parameter of the rule. A step's parser lives in its module, so an edit to an argument here
changes the code digest of the steps that import this module, and of no figure
(funcspec.codedigest).
"""

from __future__ import annotations

from .errors import FuncspecError
from .numerics import MODES


def network(p, data_help: str = "TASK=PREPARED_DIR") -> None:
    """The arguments of every step that runs a trained network over prepared data."""
    p.add_argument("--model", required=True)
    p.add_argument("--data", nargs="+", required=True, help=data_help)
    p.add_argument("--batch-size", type=int, required=True)
    p.add_argument("--seed", type=int, required=True)
    compute(p)


def compute(p) -> None:
    """How a step that runs a network computes on the CPU (funcspec.numerics)."""
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--numerics", choices=MODES, default="native")


def gpu(p) -> None:
    """The number formats of a step on CUDA (funcspec.gpu.Precision); the CPU ignores them."""
    p.add_argument("--bf16", action="store_true", help="bfloat16 autocast on CUDA")
    p.add_argument("--tf32", action="store_true", help="TF32 tensor cores on CUDA")
    p.add_argument("--channels-last", action="store_true", help="NHWC activations on CUDA")


def unit_groups(p) -> None:
    """What makes a unit face-only, object-only or shared (funcspec.tables.unit_groups)."""
    p.add_argument("--face-task", required=True)
    p.add_argument("--object-task", required=True)
    p.add_argument("--fraction", type=float, required=True, help="top share of each ranking")


def task_dirs(pairs: list[str]) -> dict:
    """["faces=results/prepare/faces", ...] -> {"faces": path}, order kept (it fixes labels)."""
    dirs = {}
    for pair in pairs:
        task, sep, path = pair.partition("=")
        if not sep:
            raise FuncspecError(f"--data expects TASK=PREPARED_DIR, got {pair!r}")
        dirs[task] = path
    return dirs
