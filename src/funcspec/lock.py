"""One writer per artifact: a job holds an exclusive lock on its output while it writes it.

After a kill -9 of Snakemake its jobs can live on, orphaned, while a rerun starts the same jobs
again; two writers of one artifact would interleave their writes. The lock is an flock on
`.<name>.lock` beside the output (beside, not inside: an output folder holds only what the job
writes), holding "pid host" of its holder. The kernel drops an flock when its holder dies, so a
killed job leaves at most an unlocked file, which the next holder takes over.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import socket
from pathlib import Path

from .errors import FuncspecError


class Locked(FuncspecError):
    """Another process holds the lock of an output."""


def lock_path(output) -> Path:
    output = Path(output)
    return output.with_name(f".{output.name}.lock")


@contextlib.contextmanager
def exclusive(output):
    """Hold the lock of `output` (a file, a folder or a file name prefix) while the block runs;
    raise Locked at once if another process holds it. None: nothing is written, nothing locked."""
    if output is None:
        yield
        return
    path = lock_path(output)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = _acquire(path, output)
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()} {socket.gethostname()}\n".encode())
        yield
    finally:
        # Removed while still locked, so whoever opens the name next creates a new file and
        # locks that, never this one.
        path.unlink(missing_ok=True)
        os.close(fd)


def _acquire(path: Path, output) -> int:
    """A descriptor of the lock file at `path`, exclusively locked."""
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 256, 0).decode(errors="replace").split()
            os.close(fd)
            raise Locked(
                f"{output} is being written by another job: {_who(holder)} holds "
                f"{path} (an orphan of a killed Snakemake? stop it first)"
            ) from None
        # The previous holder may have removed the file between our open and our lock: then
        # our lock is on a file no one else will open, and the lock is not ours yet.
        if _is_at(fd, path):
            return fd
        os.close(fd)


def _is_at(fd: int, path: Path) -> bool:
    try:
        return os.path.samestat(os.fstat(fd), os.stat(path))
    except FileNotFoundError:
        return False


def _who(holder: list[str]) -> str:
    if len(holder) != 2:  # the holder has locked the file but not yet written to it
        return "a process that has not yet named itself"
    pid, host = holder
    return f"pid {pid} on {host}"
