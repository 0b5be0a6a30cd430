"""Writes that survive a kill: leftovers of killed writes, fingerprints of partial results."""

import os

from funcspec.atomic import atomic_path, fingerprint, resumable


def test_writing_a_path_removes_the_leftovers_of_its_killed_writes(tmp_path, capsys):
    """Bug: a kill -9 mid-write left the temporary `.<name>.tmp<pid>` file or folder behind for
    good (a results/prepare/.faces.tmp31685/ folder blocked DVC); writing the path again must
    remove them, and nothing else."""
    (tmp_path / ".faces.tmp31685").mkdir()
    (tmp_path / ".faces.tmp31685" / "train-000.npy").write_bytes(b"half")
    (tmp_path / ".faces.tmp31686").write_bytes(b"half")
    others = [
        ".faces_large.tmp31687",
        ".faces.lock",
        ".faces.tmpdir",
        "faces.tmp31688",
        ".faces.csv.tmp31689",
    ]
    for name in others:
        (tmp_path / name).write_bytes(b"not ours")
    with atomic_path(tmp_path / "faces") as tmp:
        tmp.mkdir()
        (tmp / "manifest.json").write_text("{}")
    assert sorted(os.listdir(tmp_path)) == sorted(["faces", *others])
    err = capsys.readouterr().err
    assert str(tmp_path / ".faces.tmp31685") in err and str(tmp_path / ".faces.tmp31686") in err


def test_a_partial_result_resumes_only_under_its_own_fingerprint(capsys):
    made = fingerprint({"config": {"seed": 0, "lr": 0.1}, "data": [["faces", "ab"]], "code": "c1"})
    assert made == fingerprint(
        {"code": "c1", "data": [["faces", "ab"]], "config": {"lr": 0.1, "seed": 0}}
    )
    assert resumable("ckpt", made, made) and capsys.readouterr().err == ""
    other = fingerprint({"config": {"seed": 1, "lr": 0.1}, "data": [["faces", "ab"]], "code": "c2"})
    assert not resumable("ckpt", made, other)
    assert capsys.readouterr().err == "ignoring ckpt: written for other inputs (code, config)\n"
    # A file from before fingerprints (or of another layout) is never resumed.
    assert not resumable("ckpt", None, other)
