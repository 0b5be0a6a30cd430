"""What a change reruns, and what `funcspec provenance --verify` says about it: code edits,
real-dataset edits and config strings that try to reach the shell."""

import shutil
import subprocess
import sys
from pathlib import Path

import yaml
from fabricate import fabricate_folder
from test_workflow import planned_jobs
from workflow_helpers import edited_source, snakemake, workdir


def comment_only(text: str) -> str:
    return text.replace("\n\n\ndef ", "\n\n\n# a comment that changes nothing\ndef ", 1)


def changed_code(text: str) -> str:
    return text + "\n\nUNUSED_BUT_REAL_CODE = 1\n"


def test_a_code_edit_reruns_exactly_the_jobs_that_run_it(smoke_run, tmp_path):
    """Bug: rules call `funcspec ...`, so an edit to a step's Python code reran nothing and the
    results stayed those of the old code."""
    dry = ("-n", "--configfile", "config/smoke.yaml")
    unchanged = edited_source(tmp_path / "same", "decode.py", lambda text: text)
    assert "Nothing to be done" in snakemake(smoke_run, *dry, pythonpath=unchanged).stdout
    comment = edited_source(tmp_path / "comment", "decode.py", comment_only)
    assert "Nothing to be done" in snakemake(smoke_run, *dry, pythonpath=comment).stdout
    # decode.py runs in the decode jobs and in overlap (its decoder); fig1, fig4 and metrics
    # read what they write.
    code = edited_source(tmp_path / "code", "decode.py", changed_code)
    out = snakemake(smoke_run, *dry, pythonpath=code).stdout
    expected = {"decode": 8, "overlap": 4, "fig1": 1, "fig4": 1, "metrics": 1, "all": 1}
    assert planned_jobs(out) == expected
    figure = edited_source(tmp_path / "figure", "figures/fig1.py", changed_code)
    out = snakemake(smoke_run, *dry, pythonpath=figure).stdout
    assert planned_jobs(out) == {"fig1": 1, "all": 1}


def verify(work: Path, *args, pythonpath=None):
    env = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin"}
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    return subprocess.run(
        [sys.executable, "-m", "funcspec.cli", "provenance", "--verify", *args],
        cwd=work,
        capture_output=True,
        text=True,
        env=env,
    )


def test_verify_in_a_fresh_clone_flags_an_artifact_made_by_other_code(smoke_run, tmp_path):
    """Bug: provenance --verify re-hashed files only; results of old code passed as clean. In a
    fresh clone (results restored, no Snakemake records) it compares each job's recorded code
    digest with the working tree's code."""
    clone = tmp_path / "clone"
    shutil.copytree(smoke_run / "results", clone / "results")
    artifact = "results/decode/face_s1.csv"
    assert verify(clone, artifact).returncode == 0
    code = edited_source(tmp_path, "decode.py", changed_code)
    result = verify(clone, artifact, pythonpath=code)
    assert result.returncode == 1
    assert f"{artifact}: made by other code: `funcspec decode` was sha256:" in result.stdout, (
        result.stdout
    )
    assert result.stdout.count("made by other code") == 1  # training's code did not change


def real_faces_config(work: Path, root: Path) -> Path:
    """The smoke config with its faces read from a class-folder tree at `root`."""
    config = yaml.safe_load((work / "config" / "smoke.yaml").read_text())
    faces = config["datasets"]["faces"]
    del faces["generate"]
    faces.update(layout="folder", root=str(root))
    path = work / "real_faces.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def test_a_changed_source_image_reruns_preparation_and_fails_verify(tmp_path):
    """Bug: after one image of a real dataset was overwritten and another deleted,
    `snakemake -n` had nothing to do and `provenance --verify` said the lineage was clean.
    The folder's name also carries shell characters: the root reaches the job only quoted."""
    work = workdir(tmp_path)
    root = fabricate_folder(work / "data" / "faces; touch injected", n_classes=8, per_class=14)
    config = real_faces_config(work, root).name
    snakemake(work, "results/prepare/faces", "--cores", "1", "--configfile", config)
    assert not (work / "injected").exists()
    artifact = "results/prepare/faces"
    assert verify(work, artifact, "--deep").returncode == 0
    assert "Nothing to be done" in snakemake(work, "-n", artifact, "--configfile", config).stdout

    images = sorted(root.rglob("*.png"))
    listed = (work / artifact / "manifest.csv").read_text()
    used = [p for p in images if p.relative_to(root).as_posix() in listed]
    used[0].write_bytes(used[1].read_bytes())  # overwritten with another image's bytes
    used[2].unlink()
    out = snakemake(work, "-n", artifact, "--configfile", config).stdout
    assert planned_jobs(out) == {"prepare": 1}
    plain = verify(work, artifact)
    assert plain.returncode == 1
    assert "files added, removed or modified since prepare read it" in plain.stdout
    deep = verify(work, artifact, "--deep").stdout
    assert f"{used[0]}: content changed" in deep and f"{used[2]}: missing" in deep


def test_a_config_string_with_shell_characters_runs_nothing(tmp_path):
    """Bug: figures.fig2.face_task "faces; touch X" reached the fig2 shell line unquoted, ran
    `touch X`, and the run exited 0."""
    work = workdir(tmp_path)
    config = yaml.safe_load((work / "config" / "smoke.yaml").read_text())
    config["figures"]["fig2"]["face_task"] = "faces; touch injected"
    (work / "bad.yaml").write_text(yaml.safe_dump(config))
    result = snakemake(work, "--cores", "1", "--configfile", "bad.yaml", check=False)
    assert result.returncode != 0
    assert "figures.fig2.face_task: 'faces; touch injected' does not match" in result.stderr
    assert not (work / "injected").exists() and not (work / "results").exists()
