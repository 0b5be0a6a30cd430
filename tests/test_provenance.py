"""Provenance records, lineage and verification; DVC recording rules; headline metrics."""

import csv
import hashlib
import json
import os
import platform
import socket
import subprocess
from importlib.metadata import version
from pathlib import Path

import pytest
from snakemake.settings.types import ConfigSettings

import funcspec
from funcspec import cli, provenance, tracking
from funcspec.datasets import root_fingerprint
from funcspec.errors import FuncspecError
from funcspec.tasks import halves


@pytest.fixture
def chain(tmp_path, monkeypatch):
    """Two jobs in a results tree: `make` writes a folder, `use` reads it and a class list."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "classes.txt").write_text("a\nb\n")
    (tmp_path / "data" / "set").mkdir(parents=True)
    (tmp_path / "data" / "set" / "image.png").write_text("pixels")
    raw = tmp_path / "results" / "generate" / "x"
    raw.mkdir(parents=True)
    (raw / "one.txt").write_text("1")
    (raw / "two.txt").write_text("2")
    provenance.write_record(
        rule="make",
        command="funcspec make",
        parameters={"seed": 3},
        inputs=[],
        outputs=["results/generate/x"],
        started=provenance.now(),
        external={
            "data/set": {"note": "a dataset on disk", "fingerprint": root_fingerprint("data/set")}
        },
    )
    (tmp_path / "results" / "used.csv").write_text("a,b\n")
    provenance.write_record(
        rule="use",
        command="funcspec use",
        parameters={"spec": {"seed": 4, "synthetic": {"seed": 5}}},
        inputs=["results/generate/x", "classes.txt"],
        outputs=["results/used.csv"],
        started=provenance.now(),
    )
    return tmp_path


def sha256(data: bytes) -> str:
    """The digest of some bytes, computed here rather than by the module under test."""
    return hashlib.sha256(data).hexdigest()


def source_commit() -> str | None:
    """The git commit of funcspec's source folder, asked of git here (None outside a clone)."""
    done = subprocess.run(
        ["git", "rev-parse", "HEAD"],
        cwd=Path(funcspec.__file__).parent,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip() if done.returncode == 0 else None


def test_a_record_holds_what_the_job_read_and_wrote(chain):
    """Bug guarded: a record whose digests are not the sha256 of what the job read and wrote
    (a hash of something else, a truncated one, a folder digest over other names), or whose
    code, software and host say something other than what ran. Compared with the record
    module's own hash_path, such a record passes: --verify recomputes it with the same code.
    So every value is computed here, from the bytes the fixture wrote."""
    one, two = sha256(b"1"), sha256(b"2")
    # a folder's digest: sha256 over "<path inside the folder> <file sha256>" lines, by path
    folder = sha256(f"one.txt {one}\ntwo.txt {two}\n".encode())
    record = json.loads((chain / "results" / "provenance" / "used.csv.json").read_text())
    assert record["rule"] == "use" and record["command"] == "funcspec use"
    assert record["seeds"] == {"spec.seed": 4, "spec.synthetic.seed": 5}
    assert record["inputs"] == {"results/generate/x": folder, "classes.txt": sha256(b"a\nb\n")}
    assert record["outputs"] == {"results/used.csv": sha256(b"a,b\n")}
    used = os.stat(chain / "results" / "used.csv")
    assert record["output_stats"] == {
        "results/used.csv": [used.st_size, used.st_mtime_ns, used.st_ino]
    }
    assert record["external_inputs"] == {}
    software = record["software"]
    assert software["python"] == platform.python_version()
    assert (software["torch"], software["numpy"]) == (version("torch"), version("numpy"))
    assert record["device"] == "cpu" and record["host"] == socket.gethostname()
    commit = source_commit()
    assert record["code"] == {
        "funcspec": version("funcspec"),
        "git_commit": commit,
        "git_dirty": record["code"]["git_dirty"],  # whether src/ has edits: checked below
        "subcommand": None,  # written by write_record directly, not by a command
        "digest": None,
    }
    assert record["code"]["git_dirty"] in ((False, True) if commit else (None,))
    assert record["started"] <= record["ended"]

    made = json.loads((chain / "results" / "provenance" / "generate" / "x.json").read_text())
    assert made["outputs"] == {
        "results/generate/x/one.txt": one,
        "results/generate/x/two.txt": two,
    }
    # a dataset root's fingerprint: sha256 over "<path> <size> <mtime ns>" lines, by path
    image = os.stat(chain / "data" / "set" / "image.png")
    fingerprint = sha256(f"image.png {image.st_size} {image.st_mtime_ns}\n".encode())
    assert made["external_inputs"] == {
        "data/set": {"note": "a dataset on disk", "fingerprint": fingerprint}
    }


def test_a_folder_digest_ignores_snakemakes_timestamp(chain):
    before = provenance.hash_path("results/generate/x")
    (chain / "results" / "generate" / "x" / ".snakemake_timestamp").touch()
    assert provenance.hash_path("results/generate/x") == before


def test_recording_trusts_an_unchanged_stat_and_verify_does_not(chain):
    """A job records an input written by the pipeline from its producer's record while the
    file's size and mtime are the recorded ones; --verify re-reads every byte regardless."""
    one = chain / "results" / "generate" / "x" / "one.txt"
    stat = one.stat()
    known = provenance.recorded_files(["results/generate/x"])
    assert provenance.hash_path("results/generate/x", known) == provenance.hash_path(
        "results/generate/x"
    )
    one.write_text("9")  # same size, and the old mtime put back
    os.utime(one, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert provenance.hash_path("results/generate/x", known) != provenance.hash_path(
        "results/generate/x"
    )
    assert any(
        p.startswith("results/generate/x/one.txt: content changed")
        for p in provenance.verify("results/used.csv")
    )
    os.utime(one)  # a new mtime: read again
    assert provenance.hash_path("results/generate/x", known) == provenance.hash_path(
        "results/generate/x"
    )


def test_lineage_is_a_tree_down_to_files_no_job_wrote(chain):
    lines = provenance.lineage("results/used.csv")
    assert lines[0].startswith("results/used.csv  sha256:") and "<- use" in lines[0]
    assert any(
        "results/generate/x" in line and "(folder, 2 files)" in line and "<- make" in line
        for line in lines
    )
    assert any("classes.txt" in line and "not written by the pipeline" in line for line in lines)
    assert any("data/set  external: a dataset on disk" in line for line in lines)
    os.chdir(chain / "results")  # the same lineage from elsewhere, by an absolute path
    assert provenance.lineage(chain / "results" / "used.csv") == lines


def test_verify_names_a_changed_a_missing_and_a_stale_file(chain):
    assert provenance.verify("results/used.csv") == []
    (chain / "results" / "used.csv").write_text("a,c\n")
    (problem,) = provenance.verify("results/used.csv")
    assert problem.startswith("results/used.csv: content changed: use wrote sha256:")
    (chain / "results" / "used.csv").write_text("a,b\n")

    (chain / "results" / "generate" / "x" / "two.txt").unlink()
    assert any(
        p.startswith("results/generate/x/two.txt: missing")
        for p in provenance.verify("results/used.csv")
    )
    (chain / "results" / "generate" / "x" / "two.txt").write_text("2")

    (chain / "classes.txt").write_text("a\n")  # an input no job wrote
    (problem,) = provenance.verify("results/used.csv")
    assert problem.startswith("classes.txt: use read sha256:")
    (chain / "classes.txt").write_text("a\nb\n")

    # `make` reran with new output, `use` did not: its record shows it read the old folder
    (chain / "results" / "generate" / "x" / "one.txt").write_text("changed")
    provenance.write_record(
        rule="make",
        command="funcspec make",
        parameters={},
        inputs=[],
        outputs=["results/generate/x"],
        started=provenance.now(),
    )
    (problem,) = provenance.verify("results/used.csv")
    assert problem.startswith("results/generate/x: use read sha256:")


def test_an_artifact_without_a_record_is_an_error(chain):
    with pytest.raises(FuncspecError, match="no provenance record lists results/nothing"):
        provenance.lineage("results/nothing")


def generate_faces(classes: int, seed: int) -> int:
    """`funcspec generate` of `classes` x `classes` tiny faces into results/generate/faces."""
    n = str(classes)
    return cli.main(
        [
            "generate",
            "--domain",
            "faces",
            "--classes",
            n,
            "--images-per-class",
            n,
            "--size",
            "16",
            "--seed",
            str(seed),
            "--recolour",
            "0.15",
            "--shared-parts",
            "0",
            "--out",
            "results/generate/faces",
        ]
    )


def test_the_command_line_records_every_command_that_writes(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert generate_faces(classes=2, seed=7) == 0
    record = json.loads((tmp_path / "results/provenance/generate/faces.json").read_text())
    assert record["rule"] == "generate" and record["seeds"] == {"seed": 7}
    assert record["command"].startswith("funcspec generate --domain")
    assert len(record["outputs"]) == 5 and record["parameters"]["size"] == 16
    assert cli.main(["provenance", "--verify", "results/generate/faces"]) == 0
    (tmp_path / "results/generate/faces/face0000/0000.png").write_bytes(b"not a png")
    assert cli.main(["provenance", "--verify", "results/generate/faces"]) == 1
    assert (
        "MISMATCH results/generate/faces/face0000/0000.png: content changed"
        in capsys.readouterr().out
    )


def run_settings(*args, **config) -> dict:
    """What the Snakefile's onsuccess hands to record_run, from Snakemake's own settings."""
    settings = ConfigSettings(configfiles=[Path(a) for a in args], config=config)
    return dict(
        targets=set(),
        configfiles=settings.configfiles,
        partial=False,
        touch=False,
        overrides=list(settings.config),
    )


def test_only_a_complete_run_of_the_tracked_config_is_recorded(tmp_path, monkeypatch):
    monkeypatch.delenv("DVC_STAGE", raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.yaml").write_text("a: 1\n")
    (tmp_path / "config" / "smoke.yaml").write_text("a: 2\n")
    assert tracking.record_run(outputs=[], **run_settings()) == ""  # not a DVC repository
    assert tracking.why_not_recorded(**run_settings()) is None
    assert tracking.why_not_recorded(**run_settings("config/config.yaml")) is None
    assert tracking.why_not_recorded(**{**run_settings(), "targets": {"all"}}) is None
    for settings, says in (
        (run_settings("config/smoke.yaml"), "config/smoke.yaml"),
        (run_settings(a="3"), "--config overrides (a)"),
        ({**run_settings(), "targets": {"fig1"}}, "only part"),
        ({**run_settings(), "partial": True}, "only part"),
        ({**run_settings(), "touch": True}, "--touch"),
    ):
        assert says in tracking.why_not_recorded(**settings), says
    monkeypatch.setenv("DVC_STAGE", "pipeline")
    assert "dvc repro" in tracking.why_not_recorded(**run_settings())


def test_files_no_job_of_the_run_wrote_are_stray(tmp_path):
    for name in (
        "results/prepare/faces/train-000.npy",
        "results/prepare/faces/.snakemake_timestamp",
        "results/evaluate/face/accuracy.csv",
        "results/provenance/evaluate/face/accuracy.csv.json",
        "results/provenance/prepare/faces.json",
        "results/prepare/old/manifest.json",
        "results/provenance/evaluate/old/accuracy.csv.json",
    ):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).touch()
    outputs = [
        "results/prepare/faces",
        "results/evaluate/face/accuracy.csv",
        "results/evaluate/face/predictions.csv",
    ]
    assert tracking.stray_files(outputs, tmp_path) == [
        "results/prepare/old/manifest.json",
        "results/provenance/evaluate/old/accuracy.csv.json",
    ]


def test_aligned_mtimes_leave_no_file_newer_than_another(tmp_path):
    for i, name in enumerate(("a", "b/c", "b/d/e")):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(name)
        os.utime(tmp_path / name, (1000 + i, 1000 + i))
    assert tracking.align_mtimes(tmp_path) == 6
    assert len({p.stat().st_mtime_ns for p in [tmp_path, *tmp_path.rglob("*")]}) == 1


def test_headline_metrics_match_the_tables_they_summarise(smoke_run):
    """The headline numbers, recomputed here from the tables they summarise (not by
    headline_metrics itself): accuracy from evaluate's table, the segregation index from the
    drops in the lesion tables, and the same index as Figure 2 draws it."""
    results = smoke_run / "results"
    headline = json.loads((results / "metrics" / "headline.json").read_text())
    with open(results / "evaluate" / "face_s1" / "accuracy.csv") as f:
        (row,) = csv.DictReader(f)
    assert headline["accuracy"]["face_s1"]["faces"] == float(row["accuracy"])
    with open(results / "decode" / "object_s2.csv") as f:
        decoded = {r["task"]: float(r["accuracy"]) for r in csv.DictReader(f)}
    assert headline["decode"]["object_s2"] == decoded
    with open(results / "figures" / "fig2.csv") as f:
        drawn = {
            (r["baseline"], r["layer"]): float(r["value"])
            for r in csv.DictReader(f)
            if r["task"] == "segregation_index" and r["network"] == "dual"
        }
    for layer in ("conv1", "conv2", "fc3"):
        for key, pairs, baseline in (
            ("segregation_index", [("faces", "objects")] * 2, ""),
            # the smoke config deals one random split to each seed
            ("segregation_index_random_split", [halves(1), halves(2)], "random split"),
        ):
            seeds = []
            for name, (a, b) in zip(("dual_s1", "dual_s2"), pairs):
                with open(results / "lesion" / name / f"{layer}.csv") as f:
                    drop = {
                        (r["lesion"], r["task"]): float(r["drop"])
                        for r in csv.DictReader(f)
                        if r["draw"] == "0" and float(r["fraction"]) == 0.2
                    }
                seeds.append(((drop[a, a] - drop[b, a]) + (drop[b, b] - drop[a, b])) / 2)
                assert headline[key][name][layer] == pytest.approx(seeds[-1], abs=1e-12)
            # Figure 2 draws the mean over seeds
            assert drawn[baseline, layer] == pytest.approx(sum(seeds) / 2, abs=1e-12)
    assert set(headline["decode"]) == {
        f"{net}_s{seed}" for net in ("face", "object", "dual", "untrained") for seed in (1, 2)
    }


def test_verify_flags_a_record_of_unknown_code_or_other_software(tmp_path, monkeypatch):
    """Bug (review): a record written before code digests, or by other package versions,
    passed --verify as clean against any code and any software."""
    monkeypatch.chdir(tmp_path)
    assert generate_faces(classes=1, seed=0) == 0
    assert provenance.verify("results/generate/faces") == []
    record_file = tmp_path / "results/provenance/generate/faces.json"
    record = json.loads(record_file.read_text())

    old = {
        **record,
        "code": {k: v for k, v in record["code"].items() if k not in ("subcommand", "digest")},
    }
    record_file.write_text(json.dumps(old))
    (problem,) = provenance.verify("results/generate/faces")
    assert "made by code of unknown digest" in problem

    other = {**record, "software": {**record["software"], "torch": "1.0.0"}}
    record_file.write_text(json.dumps(other))
    (problem,) = provenance.verify("results/generate/faces")
    assert "made with other software: torch 1.0.0 (now " in problem


def test_a_record_of_a_dataset_root_lists_its_label_file_and_fingerprint(tmp_path):
    """Bug (review): ImageNet's val_labels file, which decides the test labels, was neither an
    input of the prepare job nor in its record, so editing it went unseen. And the root's
    fingerprint must change with any image's name, size or modification time: it is checked
    against the value computed here, not against root_fingerprint's own."""
    root = tmp_path / "imagenet"
    root.mkdir()
    spec = {
        "layout": "imagenet",
        "root": str(root),
        "classes": {"count": "all"},
        "heldout": {"count": 0, "images_per_class": 1},
        "layout_options": {"val_labels": str(tmp_path / "labels.csv")},
    }
    # Two images with set sizes and (whole-second) modification times, and a hidden file.
    for name, data, mtime_ns in (
        ("n01440764/a.JPEG", b"fish", 1_600_000_000_000_000_000),
        ("val/b.JPEG", b"hound", 1_700_000_000_000_000_000),
        (".DS_Store", b"finder", 1_500_000_000_000_000_000),
    ):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
        os.utime(root / name, ns=(mtime_ns, mtime_ns))
    # the fingerprint: sha256 over "<path> <size> <mtime ns>" lines, by path, hidden names out
    fingerprint = sha256(
        b"n01440764/a.JPEG 4 1600000000000000000\nval/b.JPEG 5 1700000000000000000\n"
    )
    args, step = cli.parse(
        ["prepare", "--name", "objects", "--spec", json.dumps(spec), "--out", "x"]
    )
    inputs, external = cli._inputs(args, step)
    assert inputs == [str(tmp_path / "labels.csv")]
    assert list(external) == [str(root)]
    assert external[str(root)]["fingerprint"] == fingerprint
    assert external[str(root)]["note"].startswith("imagenet dataset")
