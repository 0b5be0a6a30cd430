"""One writer per artifact: the lock a job holds beside its output."""

import os
import re
import socket
import subprocess
import sys

import pytest

from funcspec.lock import Locked, exclusive

HOLD = """
import sys, time
from funcspec.lock import exclusive
with exclusive(sys.argv[1]):
    print("held", flush=True)
    time.sleep(120)
"""


def test_the_lock_lies_beside_its_output_and_goes_with_its_holder(tmp_path):
    out = tmp_path / "prepared" / "faces"
    with exclusive(out):
        assert os.listdir(tmp_path / "prepared") == [".faces.lock"]
        lock = tmp_path / "prepared" / ".faces.lock"
        assert lock.read_text() == f"{os.getpid()} {socket.gethostname()}\n"
        # flock locks belong to open file descriptions: a second open in one process conflicts.
        with pytest.raises(Locked, match=f"pid {os.getpid()} "):
            with exclusive(out):
                pass
        assert lock.exists()
    assert os.listdir(tmp_path / "prepared") == []


def test_a_second_writer_fails_at_once_naming_the_first(tmp_path):
    """Bug: an orphaned job of a killed Snakemake and the rerun's job wrote one artifact at
    once; the second writer must stop at once, saying which process (pid, host) writes it."""
    first = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(tmp_path / "model")], stdout=subprocess.PIPE, text=True
    )
    try:
        assert first.stdout.readline() == "held\n"
        with pytest.raises(Locked, match=re.escape(f"pid {first.pid} on {socket.gethostname()}")):
            with exclusive(tmp_path / "model"):
                pass
    finally:
        first.kill()
        first.wait()
    # Killed with -9, the holder leaves its lock file but the kernel has dropped the lock.
    assert (tmp_path / ".model.lock").exists()
    with exclusive(tmp_path / "model"):
        pass
    assert not (tmp_path / ".model.lock").exists()


def test_nothing_to_lock_without_an_output(tmp_path, monkeypatch):
    """Bug guarded: a command with no output (exclusive(None)) locked a made-up name anyway,
    such as `.None.lock` in the working folder, which leaves a stray file there and makes any
    two such commands started in one folder refuse each other."""
    monkeypatch.chdir(tmp_path)
    ran = []
    with exclusive(None):
        assert os.listdir(tmp_path) == [], "a lock file for no output"
        with exclusive(None):  # nothing is held, so a second one takes nothing from the first
            ran.append("inner")
        ran.append("outer")
    assert ran == ["inner", "outer"]
    assert os.listdir(tmp_path) == [], "a lock file left behind"
