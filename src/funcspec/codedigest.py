"""The digest of the code a `funcspec` subcommand runs, so a code change reruns its jobs.

Each rule passes `code_digest(<subcommand>)` as a parameter: Snakemake reruns a job whose
parameters changed, so an edit to a step's code reruns exactly the jobs that run it. The digest
covers the subcommand's handler in `cli.py`, the `cli.py` functions it calls, and every package
module they import, directly or through other modules (lazy imports inside functions included).
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


def _handler_functions(handler: str) -> dict[str, ast.FunctionDef]:
    """The handler's definition in cli.py and those of the cli.py functions it calls."""
    defined = {
        node.name: node
        for node in _tree(f"{PACKAGE}.cli").body
        if isinstance(node, ast.FunctionDef)
    }
    todo, found = [handler], {}
    while todo:
        name = todo.pop()
        if name in found:
            continue
        found[name] = defined[name]
        todo += [
            inner.id
            for inner in ast.walk(defined[name])
            if isinstance(inner, ast.Name) and inner.id in defined
        ]
    return found


def _cli_imports(names: set[str]) -> set[str]:
    """Package modules that cli.py imports at its top and whose names the functions use."""
    cli = f"{PACKAGE}.cli"
    modules = set()
    for node in _tree(cli).body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            bound = {alias.asname or alias.name.split(".")[0] for alias in node.names}
            if bound & names:
                modules |= modules_of(node, cli)
    return modules


def handler_name(command: str) -> str:
    """cli.py's function for a subcommand: `contact_sheet` -> `_contact_sheet`.

    Found by that naming rule, not by building cli's parser: importing cli here would put every
    module it imports into the digest of any module that imports this one.
    """
    name = f"_{command}"
    if not any(
        isinstance(node, ast.FunctionDef) and node.name == name
        for node in _tree(f"{PACKAGE}.cli").body
    ):
        raise FuncspecError(f"funcspec has no subcommand {command!r}")
    return name


@functools.cache
def code_pieces(command: str) -> dict[str, str]:
    """{piece: normalised source} of everything subcommand `command` runs: `cli.<function>`
    entries and package modules."""
    functions = _handler_functions(handler_name(command))
    cli = f"{PACKAGE}.cli"
    used = {
        inner.id
        for node in functions.values()
        for inner in ast.walk(node)
        if isinstance(inner, ast.Name)
    }
    modules = _cli_imports(used)
    for node in functions.values():
        modules |= modules_of(node, cli)
    modules.discard(cli)
    pieces = {f"{cli}.{name}": _normalised(node) for name, node in functions.items()}
    pieces.update({name: _normalised(_tree(name)) for name in modules})
    return pieces


def code_digest(command: str) -> str:
    """sha256 over the normalised code of subcommand `command` (see the module docstring)."""
    lines = "".join(f"{name}\n{source}\n" for name, source in sorted(code_pieces(command).items()))
    return hashlib.sha256(lines.encode()).hexdigest()
