"""Writes that survive a kill: a killed job leaves either the old file or the new one, never half
of one, and what it leaves to resume from is resumed only by a job of the same inputs.

A write goes to a temporary sibling, `.<name>.tmp<pid>`, renamed into place when complete; a kill
-9 leaves that sibling behind, and the next write of the same path removes it. That is safe
because one job at a time writes an artifact (funcspec.lock): no live writer can own it.

A partial result (a training checkpoint, a partial ranking) carries a fingerprint: per part of
what determines the final result (config, input contents, code), a sha256 of its canonical JSON.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import json
import os
import re
import shutil
import sys
from pathlib import Path


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary sibling of `path` to write to; rename it into place on success."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_leftovers(path)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        yield tmp
        if path.is_dir():
            shutil.rmtree(path)
        os.replace(tmp, path)
    finally:
        _remove(tmp)


def remove_leftovers(path) -> None:
    """Remove the temporaries that killed writes of `path` left, saying so on stderr."""
    path = Path(path)
    mine = re.compile(rf"\.{re.escape(path.name)}\.tmp\d+")
    for leftover in sorted(path.parent.iterdir()):
        if mine.fullmatch(leftover.name):
            _remove(leftover)
            print(f"removed {leftover}, left by an interrupted write", file=sys.stderr)


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()


def fingerprint(parts: dict) -> dict[str, str]:
    """{part: sha256 of the part's canonical JSON}, part by part so a mismatch can say which."""
    return {
        name: hashlib.sha256(
            json.dumps(value, sort_keys=True, separators=(",", ":")).encode()
        ).hexdigest()
        for name, value in parts.items()
    }


def resumable(path, saved: dict | None, current: dict) -> bool:
    """Whether the partial result at `path`, of fingerprint `saved`, may be continued by a job of
    fingerprint `current`; if not, say on stderr which parts differ."""
    saved = saved or {}
    differ = sorted(
        name for name in saved.keys() | current.keys() if saved.get(name) != current.get(name)
    )
    if differ:
        print(f"ignoring {path}: written for other inputs ({', '.join(differ)})", file=sys.stderr)
    return not differ


def write_csv(path, rows: list[dict], fields: list[str] | None = None) -> None:
    """A table, atomically: one row per dict, columns in `fields` order (default: the first
    row's keys)."""
    with atomic_path(path) as tmp, open(tmp, "w", newline="") as f:
        out = csv.DictWriter(f, fieldnames=fields or list(rows[0]), lineterminator="\n")
        out.writeheader()
        out.writerows(rows)


def write_json(path, data) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(data, indent=1) + "\n")
