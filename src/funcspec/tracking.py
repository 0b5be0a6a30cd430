"""DVC's record of the results: commit after a complete run, restore in a fresh clone.

Snakemake decides what to run; DVC only hashes, caches and moves what it wrote. After a
successful run of the whole pipeline on the tracked config (`config/config.yaml`),
`dvc commit` writes every artifact's hash to dvc.lock, so `dvc status` is clean and git +
dvc.lock pin the results. A partial run (a target, --until, --config overrides, another
--configfile), or a results folder holding files this run did not make, is not recorded:
dvc.lock would then claim results the tracked config never made.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

from .errors import FuncspecError
from .provenance import record_path

TRACKED_CONFIG = Path("config/config.yaml")
RESULTS = Path("results")
FALLBACK = "once the reason is gone, `dvc commit` records the results by hand"


class TrackingError(FuncspecError):
    pass


def _dvc(*args, root=".") -> str:
    try:
        done = subprocess.run(["dvc", *args], cwd=root, capture_output=True, text=True)
    except OSError as error:
        raise TrackingError(f"cannot run dvc: {error}") from error
    if done.returncode != 0:
        raise TrackingError(f"dvc {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def is_dvc_repository(root=".") -> bool:
    return (Path(root) / ".dvc").is_dir() and (Path(root) / "dvc.yaml").is_file()


def why_not_recorded(
    *, targets, configfiles, overrides, partial: bool, touch: bool, root="."
) -> str | None:
    """Why a successful Snakemake run of a DVC repository must not be committed to dvc.lock
    (None: commit it)."""
    if os.environ.get("DVC_STAGE"):
        return "running inside `dvc repro`, which records the stage itself"
    if touch:
        return "--touch marks files up to date without making them"
    if set(targets) - {"all"} or partial:
        return "only part of the pipeline was run (a target, --until, --omit-from or a rule filter)"
    configs = {Path(c).resolve() for c in configfiles}
    if configs and configs != {(Path(root) / TRACKED_CONFIG).resolve()}:
        return f"the run used {', '.join(map(str, configfiles))}; DVC tracks {TRACKED_CONFIG}"
    if overrides:
        return f"--config overrides ({', '.join(overrides)}) are not in {TRACKED_CONFIG}"
    return None


def stray_files(outputs, root=".") -> list[str]:
    """Files under results/ that no job of the run wrote (its outputs, files inside its output
    folders, and the provenance records of those jobs): left over from another config."""
    outputs = {Path(o).as_posix() for o in outputs}
    records = {record_path(o).as_posix() for o in outputs}

    def made(name: str) -> bool:
        parts = name.split("/")
        return name in records or any(
            "/".join(parts[:i]) in outputs for i in range(1, len(parts) + 1)
        )

    root = Path(root)
    return sorted(
        name
        for p in (root / RESULTS).rglob("*")
        if p.is_file() and not made(name := p.relative_to(root).as_posix())
    )


def record_run(root=".", *, outputs, **run) -> str:
    """Commit a finished run's results to dvc.lock, or say why not; returns the message.

    `outputs`: every output path of the run's DAG; `run`: what why_not_recorded reads.
    """
    if not is_dvc_repository(root):
        return ""
    reason = why_not_recorded(root=root, **run)
    if reason is None:
        stray = stray_files(outputs, root)
        if stray:
            reason = (
                f"{len(stray)} files under results/ were not made by this run "
                f"(e.g. {', '.join(stray[:3])}); remove them"
            )
    if reason is not None:
        return f"DVC: results not recorded in dvc.lock: {reason}; {FALLBACK}."
    _dvc("commit", "--force", "--quiet", root=root)
    return "DVC: every artifact under results/ is recorded in dvc.lock (commit it with git)."


def align_mtimes(folder=RESULTS) -> int:
    """Give every file and folder below `folder` one modification time; returns the count.

    Files restored by DVC get the time of the restore, in no particular order, so Snakemake
    would see inputs newer than outputs and rerun jobs. With one shared time no input is newer
    than an output; what made the files consistent is that DVC restored them exactly as
    committed after a complete run.
    """
    stamp = time.time()
    paths = [Path(folder), *Path(folder).rglob("*")]
    for path in paths:
        os.utime(path, (stamp, stamp), follow_symlinks=False)
    return len(paths)


def restore(pull: bool = True, remote: str | None = None, root=".") -> None:
    """`dvc pull` the committed results, check them against dvc.lock, align their mtimes."""
    root = Path(root)
    if pull:
        _dvc("pull", *(["--remote", remote] if remote else []), root=root)
    if json.loads(_dvc("status", "--json", root=root) or "{}"):
        raise TrackingError(
            "the results do not match dvc.lock (changed code, config or files); "
            f"rerun the pipeline instead:\n{_dvc('status', root=root)}"
        )
    count = align_mtimes(root / RESULTS)
    print(
        f"restored {count} files and folders under {root / RESULTS}; Snakemake sees them up to date"
    )


def add_arguments(p) -> None:
    p.add_argument("--remote", help="DVC remote to pull from (default: the repository's)")
    p.add_argument(
        "--no-pull",
        action="store_true",
        help="results already in place: check them against dvc.lock, align mtimes",
    )


def main(args) -> list:
    restore(pull=not args.no_pull, remote=args.remote)
    return []
