"""The digest of the code a `funcspec` subcommand runs, so a code change reruns its jobs.

Each rule passes `code_digest(<subcommand>)` as a parameter: Snakemake reruns a job whose
parameters changed, so an edit to a step's code reruns exactly the jobs that run it. The digest
covers the step's module (its command line included: funcspec.cli), every package module it
imports, directly or through other modules (lazy imports inside functions included), and the
functions of cli.py that run before every step.
Each piece is hashed as its syntax tree without docstrings, so comments, docstrings and
formatting do not count. Provenance records carry the digest, and `funcspec provenance
--verify` compares it with the code in the working tree.
"""

from __future__ import annotations

import ast
import copy
import functools
import hashlib
from pathlib import Path

from .errors import FuncspecError

PACKAGE = "funcspec"
SOURCE = Path(__file__).resolve().parent
# What cli.py does before every step runs (the numeric mode it computes in, the parse of its
# arguments): part of every step's digest. Its STEPS table is not: a new step reruns no other.
CLI_FUNCTIONS = ("_numerics", "parse", "main")


def _module_file(module: str) -> Path | None:
    """The source file of a package module (None if `module` is no module of the package)."""
    parts = module.split(".")[1:]
    candidates = [SOURCE.joinpath(*parts, "__init__.py")]
    if parts:
        candidates.append(SOURCE.joinpath(*parts).with_suffix(".py"))
    return next((path for path in candidates if path.is_file()), None)


@functools.cache
def _tree(module: str) -> ast.Module:
    return ast.parse(_module_file(module).read_text())


def _without_docstrings(node: ast.AST) -> ast.AST:
    node = copy.deepcopy(node)  # the cached tree stays whole for the next caller
    for inner in ast.walk(node):
        body = getattr(inner, "body", None)
        if (
            isinstance(inner, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            inner.body = body[1:] or [ast.Pass()]
    return node


def _normalised(node: ast.AST) -> str:
    # Source regenerated from the tree: comments and layout are gone, and unlike ast.dump the
    # text does not change with the Python version that parsed it.
    return ast.unparse(_without_docstrings(node))


def _package_of(module: str) -> str:
    """The package a module's relative imports start from."""
    is_package = _module_file(module).name == "__init__.py"
    return module if is_package else module.rpartition(".")[0]


def _imported(node: ast.AST, module: str) -> set[str]:
    """Package modules imported anywhere inside `node`, a part of `module`."""
    found = set()
    for inner in ast.walk(node):
        if isinstance(inner, ast.Import):
            names = [alias.name for alias in inner.names]
        elif isinstance(inner, ast.ImportFrom):
            base = inner.module or ""
            if inner.level:
                anchor = _package_of(module).split(".")
                anchor = anchor[: len(anchor) - inner.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            # `from .x import y`: y may be a module of package x, or a name defined in x.
            names = [base] + [f"{base}.{alias.name}" for alias in inner.names]
        else:
            continue
        found |= {
            name
            for name in names
            if name.split(".")[0] == PACKAGE and _module_file(name) is not None
        }
    return found


def _with_parents(module: str) -> set[str]:
    """A module and the packages above it, whose __init__ runs when it is imported."""
    parts = module.split(".")
    return {".".join(parts[:i]) for i in range(1, len(parts) + 1)}


def modules_of(node: ast.AST, module: str) -> set[str]:
    """Every package module `node` imports, followed through the modules' own imports."""
    todo = {parent for name in _imported(node, module) for parent in _with_parents(name)}
    done: set[str] = set()
    while todo:
        name = todo.pop()
        done.add(name)
        for found in _imported(_tree(name), name):
            todo |= _with_parents(found) - done
    return done


def _steps() -> dict[str, str]:
    """{subcommand: module} from cli.py's STEPS table, read as text: importing cli here would
    put every module it imports into the digest of any module that imports this one."""
    for node in _tree(f"{PACKAGE}.cli").body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "STEPS":
            table = ast.literal_eval(node.value)
            return {command: f"{PACKAGE}.{module}" for command, (module, _) in table.items()}
    raise FuncspecError("cli.py has no STEPS table")


@functools.cache
def code_pieces(command: str) -> dict[str, str]:
    """{module: normalised source} of everything subcommand `command` runs."""
    steps = _steps()
    if command not in steps:
        raise FuncspecError(f"funcspec has no subcommand {command!r}")
    module = steps[command]
    modules = _with_parents(module) | modules_of(_tree(module), module)
    pieces = {name: _normalised(_tree(name)) for name in modules}
    pieces.update(
        {
            f"{PACKAGE}.cli.{node.name}": _normalised(node)
            for node in _tree(f"{PACKAGE}.cli").body
            if isinstance(node, ast.FunctionDef) and node.name in CLI_FUNCTIONS
        }
    )
    return pieces


def code_digest(command: str) -> str:
    """sha256 over the normalised code of subcommand `command` (see the module docstring)."""
    lines = "".join(f"{name}\n{source}\n" for name, source in sorted(code_pieces(command).items()))
    return hashlib.sha256(lines.encode()).hexdigest()
