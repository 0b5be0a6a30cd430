"""Running the Snakemake workflow from tests, in scratch copies of the repository."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SNAKEMAKE = [sys.executable, "-m", "snakemake"]
# The smoke config with every other family laid over it (the config files of one run)
ARCHITECTURES = ("config/smoke.yaml", "config/smoke_architectures.yaml")


def workdir(tmp_path) -> Path:
    """A copy of the workflow files, so runs write results/ and .snakemake/ there, not here."""
    work = tmp_path / "work"
    work.mkdir()
    shutil.copy(REPO / "Snakefile", work)
    for folder in ("config", "workflow", "envs"):
        shutil.copytree(REPO / folder, work / folder)
    return work


def tracked_repository(repo: Path) -> Path:
    """A git repository at `repo` holding this checkout's files (tracked or not ignored), with
    the smoke config as its tracked config/config.yaml, committed: a DVC project in miniature."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    for name in listed:
        if (REPO / name).is_file():
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, repo / name)
    shutil.copy(REPO / "config" / "smoke.yaml", repo / "config" / "config.yaml")
    for command in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "workflow"]):
        subprocess.run(
            ["git", "-c", "user.name=test", "-c", "user.email=test@invalid", *command],
            cwd=repo,
            check=True,
            capture_output=True,
        )
    return repo


def edited_source(tmp_path, module: str, edit) -> Path:
    """A copy of the package source with `edit(text) -> text` applied to one module; put its
    folder first on PYTHONPATH and everything runs the edited code."""
    source = tmp_path / "edited" / "src"
    shutil.copytree(
        REPO / "src" / "funcspec", source / "funcspec", ignore=shutil.ignore_patterns("__pycache__")
    )
    path = source / "funcspec" / module
    path.write_text(edit(path.read_text()))
    return source


def snakemake(work, *args, check=True, pythonpath=None):
    env = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "HOME": str(work)}
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    result = subprocess.run([*SNAKEMAKE, *args], cwd=work, capture_output=True, text=True, env=env)
    if check and result.returncode != 0:
        raise AssertionError(
            f"snakemake {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
        )
    return result


def architectures_config() -> dict:
    """The config of the ARCHITECTURES run, merged as Snakemake merges its config files."""
    from funcspec.config import deep_merge, load_yaml

    smoke, overlay = (load_yaml(REPO / name) for name in ARCHITECTURES)
    return deep_merge(smoke, overlay)


def tree_bytes(root: Path) -> dict:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


# Fields of a provenance record that differ between two runs of the same job.
VOLATILE = ("started", "ended", "host", "code", "output_stats")


def comparable(tree: dict) -> dict:
    """tree_bytes of a results folder with what legitimately differs between two runs of the
    same jobs left out: the times, host and code version in each provenance record."""
    out = {}
    for name, data in tree.items():
        if name.startswith("provenance/"):
            data = {k: v for k, v in json.loads(data).items() if k not in VOLATILE}
        out[name] = data
    return out


def figure_files(prefix: Path) -> list[Path]:
    """A figure's (pdf, png, csv), as its rule declares them."""
    return [prefix.with_name(f"{prefix.name}.{ext}") for ext in ("pdf", "png", "csv")]
