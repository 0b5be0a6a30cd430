"""DVC records, restores and diffs what Snakemake builds, in a scratch git repository.

The repository is a copy of this one whose tracked config (config/config.yaml) is the smoke
config. One complete run is shared by the tests, which run in file order: record, no-op reruns,
a parameter change, a second change through `dvc repro`, push, clone, pull, verify.
"""

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from workflow_helpers import SNAKEMAKE, comparable, tracked_repository, tree_bytes

BIN = Path(sys.executable).parent


def sh(cwd, *args, check=True) -> subprocess.CompletedProcess:
    home = cwd.parent / "home"
    home.mkdir(exist_ok=True)
    env = {
        "PATH": f"{BIN}:/usr/bin:/bin",
        "HOME": str(home),
        "DVC_NO_ANALYTICS": "1",
        "DVC_SITE_CACHE_DIR": str(home / "dvc-site"),
        "GIT_AUTHOR_NAME": "test",
        "GIT_AUTHOR_EMAIL": "test@invalid",
        "GIT_COMMITTER_NAME": "test",
        "GIT_COMMITTER_EMAIL": "test@invalid",
    }
    args = [*SNAKEMAKE, *args[1:]] if args[0] == "snakemake" else list(args)
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True)
    if check and result.returncode != 0:
        raise AssertionError(
            f"{' '.join(map(str, args))} failed:\n{result.stdout}\n{result.stderr}"
        )
    return result


def executed_rules(result) -> set:
    return set(re.findall(r"^(?:local)?rule (\w+):$", result.stdout + result.stderr, re.M))


def dvc_diff(repo, *revs) -> set:
    """Files under results/ that DVC reports as added, deleted or modified."""
    changes = json.loads(sh(repo, "dvc", "diff", "--json", *revs).stdout or "{}")
    return {
        e["path"]
        for kind in ("added", "deleted", "modified")
        for e in changes.get(kind, [])
        if e["path"].startswith("results/") and not e["path"].endswith("/")
    }


def edit_config(repo, change) -> None:
    path = repo / "config" / "config.yaml"
    config = yaml.safe_load(path.read_text())
    change(config)
    path.write_text(yaml.safe_dump(config, sort_keys=False))


def changed_files(before: dict, after: dict) -> set:
    return {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}


@pytest.fixture(scope="module")
def origin(tmp_path_factory):
    """A git + DVC repository of the workflow with the smoke config as its tracked config,
    after one complete `snakemake` run; (repo, that run's output)."""
    repo = tracked_repository(tmp_path_factory.mktemp("dvc") / "origin")
    run = sh(repo, "snakemake", "--cores", "2")
    sh(repo, "git", "add", "-A")
    sh(repo, "git", "commit", "-qm", "results from scratch")
    return repo, run


def test_a_complete_run_is_recorded_in_dvc_lock(origin):
    repo, run = origin
    assert "every artifact under results/ is recorded in dvc.lock" in run.stderr + run.stdout
    assert "Data and pipelines are up to date" in sh(repo, "dvc", "status").stdout
    lock = yaml.safe_load((repo / "dvc.lock").read_text())["stages"]["pipeline"]
    outs = {out["path"]: out for out in lock["outs"]}
    assert outs.keys() == {"results", ".snakemake/metadata"}
    out = outs["results"]
    assert out["md5"].endswith(".dir")
    # the folder manifest holds the md5 of every file under results/
    manifest = repo / ".dvc" / "cache" / "files" / "md5" / out["md5"][:2] / out["md5"][2:]
    recorded = {e["relpath"]: e["md5"] for e in json.loads(manifest.read_text())}
    files = tree_bytes(repo / "results")
    assert recorded == {name: hashlib.md5(data).hexdigest() for name, data in files.items()}
    assert any(name.startswith("provenance/") for name in recorded)
    assert {p["path"] for p in lock["deps"]} >= {"Snakefile", "workflow", "src/funcspec"}
    assert lock["params"]["config/config.yaml"]["lesion"]["random_draws"] == 1


def test_a_second_run_and_dvc_repro_do_nothing(origin):
    repo, _ = origin
    before = {p: p.stat().st_mtime_ns for p in (repo / "results").rglob("*")}
    again = sh(repo, "snakemake", "--cores", "2")
    assert "Nothing to be done" in again.stdout + again.stderr
    repro = sh(repo, "dvc", "repro")
    assert "didn't change, skipping" in repro.stdout and "snakemake" not in repro.stdout
    assert {p: p.stat().st_mtime_ns for p in (repo / "results").rglob("*")} == before
    assert sh(repo, "git", "status", "--porcelain").stdout == ""


def test_a_parameter_change_reruns_only_the_jobs_that_read_it(origin):
    repo, _ = origin
    before = tree_bytes(repo / "results")
    edit_config(repo, lambda c: c["lesion"].update(random_draws=2))
    run = sh(repo, "snakemake", "--cores", "2")
    # the lesion tables, and what is drawn or summed up from them
    assert executed_rules(run) == {
        "lesion",
        "fig2",
        "fig4",
        "figS1",
        "figS2",
        "metrics",
        "all",
    }
    assert "Data and pipelines are up to date" in sh(repo, "dvc", "status").stdout
    changed = {f"results/{name}" for name in changed_files(before, tree_bytes(repo / "results"))}
    assert dvc_diff(repo, "HEAD") == changed
    assert {n for n in changed if not n.startswith("results/provenance/")} >= {
        "results/lesion/dual_s1/conv1.csv",
        "results/lesion/dual_s2/fc3.npz",
    }
    assert all(
        re.match(r"results/(provenance/)?(lesion|figures/fig[24S]|metrics)", n) for n in changed
    ), changed
    params = sh(repo, "dvc", "params", "diff", "HEAD").stdout
    assert "lesion.random_draws" in params
    sh(repo, "git", "commit", "-qam", "two random lesion draws")
    assert dvc_diff(repo, "HEAD~1", "HEAD") == changed


def test_dvc_repro_reruns_a_changed_figure_and_metrics_diff_shows_what_moved(origin):
    repo, _ = origin
    edit_config(repo, lambda c: c["figures"]["fig2"].update(fraction=0.1))
    repro = sh(repo, "dvc", "repro")
    assert executed_rules(repro) == {"fig2", "figS1", "figS2", "metrics", "all"}
    assert "Data and pipelines are up to date" in sh(repo, "dvc", "status").stdout
    assert "figures.fig2.fraction" in sh(repo, "dvc", "params", "diff", "HEAD").stdout
    moved = json.loads(sh(repo, "dvc", "metrics", "diff", "HEAD", "--json").stdout)
    moved = moved["results/metrics/headline.json"]
    assert any(k.startswith("segregation_index.dual_s2.") for k in moved), moved
    assert not any(k.startswith(("accuracy.", "decode.")) for k in moved), moved
    plots = json.loads(sh(repo, "dvc", "plots", "show", "--json").stdout)
    assert "results/metrics/training/dual_s1.csv" in plots["data"]
    sh(repo, "git", "commit", "-qam", "figure 2 at a 10% lesion")


@pytest.fixture(scope="module")
def clone(origin):
    """A fresh clone of the origin, with its results pulled from the local DVC remote."""
    repo, _ = origin
    sh(repo, "dvc", "push")
    clone = repo.parent / "clone"
    sh(repo.parent, "git", "clone", "-q", str(repo), str(clone))
    assert not (clone / "results").exists()
    return clone, sh(clone, "funcspec", "restore")


def test_a_fresh_clone_pulls_identical_results_with_nothing_to_rerun(origin, clone):
    repo, _ = origin
    clone, restored = clone
    assert "Snakemake sees them up to date" in restored.stdout
    assert tree_bytes(clone / "results") == tree_bytes(repo / "results")
    assert "Nothing to be done" in sh(clone, "snakemake", "-n").stdout
    assert "Data and pipelines are up to date" in sh(clone, "dvc", "status").stdout
    # Snakemake's metadata came along: a changed parameter still reaches its jobs
    edit_config(clone, lambda c: c["lesion"].update(random_draws=5))
    assert executed_rules(sh(clone, "snakemake", "-n")) == {
        "lesion",
        "fig2",
        "fig4",
        "figS1",
        "figS2",
        "metrics",
        "all",
    }
    sh(clone, "git", "checkout", "config/config.yaml")


def test_the_same_config_from_scratch_gives_the_same_artifacts(origin, smoke_run):
    """The origin's first run and the session's smoke run were both built from nothing."""
    repo, _ = origin
    first = comparable(tree_bytes(smoke_run / "results"))
    first_run = sh(repo, "git", "log", "--format=%H", "--grep=^results from scratch$").stdout
    sh(repo, "git", "checkout", "-q", first_run.strip())
    sh(repo, "dvc", "checkout", "--force")
    try:
        assert comparable(tree_bytes(repo / "results")) == first
    finally:
        sh(repo, "git", "checkout", "-q", "main")
        sh(repo, "dvc", "checkout", "--force")


def test_provenance_verify_passes_then_names_the_changed_file(clone):
    clone, _ = clone
    artifact = "results/figures/fig2.csv"
    lineage = sh(clone, "funcspec", "provenance", artifact).stdout
    for ancestor in (
        "results/lesion/dual_s1/conv1.csv",
        "results/train/dual_s2/model.pt",
        "results/prepare/faces",
        "results/generate/faces",
    ):
        assert ancestor in lineage
    assert "<- generate" in lineage
    assert sh(clone, "funcspec", "provenance", "--verify", artifact).returncode == 0

    model = clone / "results" / "train" / "dual_s2" / "model.pt"
    data = bytearray(model.read_bytes())
    data[len(data) // 2] ^= 0xFF
    os.chmod(model, 0o644)
    model.write_bytes(bytes(data))
    failed = sh(clone, "funcspec", "provenance", "--verify", artifact, check=False)
    assert failed.returncode != 0
    assert "MISMATCH results/train/dual_s2/model.pt: content changed" in failed.stdout
    assert "results/prepare/faces" not in failed.stdout  # only what changed is named


@pytest.mark.parametrize("link", ["hardlink", "symlink"])
def test_linked_cache_is_safe_with_the_pipelines_atomic_writes(tmp_path, link):
    """Paper scale keeps one copy of the results: the DVC cache links them into the workspace
    (docs/scaling.md, "At paper scale"). Bug guarded: a job rewriting a linked file in place
    would write through the link into the cache and corrupt the recorded version. The pipeline
    writes a temporary file and renames it over the old one, which replaces the link and leaves
    the cache intact; DVC then sees the file as changed."""
    from funcspec.atomic import atomic_path

    repo = tmp_path / "repo"
    repo.mkdir()
    sh(repo, "git", "init", "-q")
    sh(repo, "dvc", "init", "-q")
    sh(repo, "dvc", "config", "cache.type", link)
    result = repo / "results" / "table.csv"
    result.parent.mkdir()
    result.write_text("recorded\n")
    sh(repo, "dvc", "add", "-q", "results")
    assert result.is_symlink() if link == "symlink" else result.stat().st_nlink == 2
    cached = [p for p in (repo / ".dvc" / "cache").rglob("*") if p.is_file()]
    with atomic_path(result) as tmp:
        tmp.write_text("rewritten\n")
    assert result.read_text() == "rewritten\n" and not result.is_symlink()
    assert "recorded\n" in {p.read_text() for p in cached if not p.name.endswith(".dir")}
    assert "modified" in sh(repo, "dvc", "status").stdout
