"""Portable numerics: a tiny training run and a tiny ranking, made through the command line in
portable mode, give the committed sha256s.

On the CPU model that made them (tests/golden/portable.json holds its machine facts) a mismatch
is a failure: portable mode stopped being reproducible. On another CPU it is an expected failure
that prints both machines' facts, so CI stays green while its output says whether portable mode
held there. Regenerate the file with `python tests/test_numerics.py` (only when the pipeline's
numbers are meant to change: a new torch, another training or ranking rule).
"""

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from test_train import prepare_tiny, spec

from funcspec import machine, numerics
from funcspec.errors import FuncspecError

GOLDEN = Path(__file__).parent / "golden" / "portable.json"


def run(*argv):
    """`funcspec ...` in a child process (the kernels are pinned before torch loads)."""
    done = subprocess.run(
        [sys.executable, "-m", "funcspec.cli", *map(str, argv)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return done


def facts_of_a_step(threads: int) -> dict:
    """The machine facts a portable step records, from a child process like the steps."""
    code = (
        "import json; from funcspec import machine, numerics; "
        f"numerics.use('portable'); import torch; torch.set_num_threads({threads}); "
        "print(json.dumps(machine.facts()))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def portable_hashes(root: Path, threads: int) -> dict:
    """sha256 of the tiny network's weights and of its conv2 ranking, made in portable mode."""
    data = prepare_tiny(root / "data")
    out = root / f"threads{threads}"
    run(
        "train",
        "--spec",
        json.dumps(spec(epochs=2)),
        "--data",
        *(f"{task}={folder}" for task, folder in data.items()),
        "--threads",
        threads,
        "--numerics",
        "portable",
        "--out",
        out / "model.pt",
        "--history",
        out / "history.csv",
    )
    # Each step's record says it computed in portable mode.
    record = json.loads((out / "provenance" / "model.pt.json").read_text())
    assert record["machine"]["numerics"] == "portable"
    weights = hashlib.sha256()
    for tensor in torch.load(out / "model.pt", weights_only=True)["state_dict"].values():
        weights.update(tensor.numpy().tobytes())
    ranking = out / "conv2.json"
    run(
        "relevance",
        "--model",
        out / "model.pt",
        "--data",
        *(f"{task}={folder}" for task, folder in data.items()),
        "--task",
        "faces",
        "--layer",
        "conv2",
        "--fraction",
        0.5,
        "--group-fraction",
        0.125,
        "--images",
        12,
        "--seed",
        0,
        "--batch-size",
        4,
        "--engine",
        "fast",
        "--threads",
        threads,
        "--numerics",
        "portable",
        "--out",
        ranking,
    )
    result = json.loads(ranking.read_text())
    made = json.dumps({k: result[k] for k in ("order", "steps")}, sort_keys=True)
    return {"train": weights.hexdigest(), "ranking": hashlib.sha256(made.encode()).hexdigest()}


@pytest.mark.parametrize("threads", [1, 2])
def test_portable_mode_gives_the_golden_bytes(threads, tmp_path):
    golden = json.loads(GOLDEN.read_text())
    made = portable_hashes(tmp_path, threads)
    here = facts_of_a_step(threads)
    if made == golden["hashes"]:
        return
    mismatch = (
        f"portable bytes {made}, golden {golden['hashes']}\n"
        f"  golden made on: {golden['machine']}\n  this machine:   {here}"
    )
    if machine.differences(golden["machine"], here, machine.HARDWARE):
        pytest.xfail(f"another machine: portable mode did not hold here.\n{mismatch}")
    pytest.fail(f"the machine that made the golden bytes no longer makes them.\n{mismatch}")


def test_portable_mode_is_refused_once_torch_has_loaded_unpinned(monkeypatch):
    """Bug guarded: pins set after torch loaded are silently ignored by MKL and ATen."""
    for name in numerics.PORTABLE_ENV:
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(FuncspecError, match="before torch loads"):
        numerics.use("portable")
    assert numerics.mode() == "native"


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        hashes = portable_hashes(Path(tmp), 2)
        assert portable_hashes(Path(tmp) / "again", 1) == hashes, "threads change the bytes"
    GOLDEN.parent.mkdir(exist_ok=True)
    GOLDEN.write_text(
        json.dumps({"hashes": hashes, "machine": facts_of_a_step(2)}, indent=1) + "\n"
    )
    print(f"wrote {GOLDEN}: {hashes}", file=sys.stderr)
