"""A real single-node SLURM cluster for tests: munged, slurmctld and slurmd on this host.

State, spool, logs, pid files, the munge key and socket live in a private temporary directory,
on free ports, so a system munge is left alone. Only slurm.conf and gres.conf go to SLURM's
default place, /etc/slurm: Snakemake's job step strips SLURM_CONF (every SLURM_* variable)
before its `srun` inside a job, so the commands there find their config only at the default
path. The fixture refuses to overwrite a slurm.conf it did not write, and removes its own.

The node declares a stand-in GPU (`Gres=gpu:1`, backed by /dev/null), so a job that asks for
`--gpus=1` is scheduled and recorded with `TresPerJob=gres:gpu:1` although the host has no GPU.
`MinJobAge` is long, so `scontrol show job` still lists finished jobs: that is how tests read
SLURM's own record of what each job asked for (accounting, hence `sacct`, is off).

Needs root and Debian's slurmctld, slurmd, slurm-client and munge (.ci/install-slurm.sh).
Where they are missing the fixture skips, except under CI (env CI set), where it fails.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

BINARIES = ("munged", "slurmctld", "slurmd", "sbatch", "squeue", "sinfo", "scontrol", "scancel")
SBIN = ("/usr/sbin", "/usr/bin", "/sbin", "/bin")
CONF_DIR = Path("/etc/slurm")
MARKER = "# Written by tests/slurm_cluster.py"


def _which(name: str) -> str | None:
    path = os.pathsep.join([os.environ.get("PATH", ""), *SBIN])
    return shutil.which(name, path=path)


def _free_ports(count: int) -> list[int]:
    socks = [socket.socket() for _ in range(count)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def _mem_total_mb() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) // 1024
    raise RuntimeError("no MemTotal in /proc/meminfo")


def _slurmd_hardware() -> dict:
    """{'CPUs': n, 'RealMemory': mb} from `slurmd -C`, or {} if it cannot tell."""
    try:
        out = subprocess.run(
            [_which("slurmd"), "-C"], capture_output=True, text=True, timeout=30
        ).stdout
    except (OSError, subprocess.SubprocessError, TypeError):
        return {}
    return {k: int(v) for k, v in re.findall(r"\b(CPUs|RealMemory)=(\d+)", out)}


def _ours(path: Path) -> bool:
    return path.is_file() and path.read_text(errors="replace").startswith(MARKER)


def unavailable_reason(conf_dir: Path = CONF_DIR) -> str | None:
    """Why a cluster cannot be started here, or None."""
    if os.geteuid() != 0:
        return "the SLURM test cluster needs root (it starts munged, slurmctld and slurmd)"
    missing = [b for b in BINARIES if _which(b) is None]
    if missing:
        return f"SLURM/munge not installed (missing {', '.join(missing)}); run .ci/install-slurm.sh"
    for name in ("slurm.conf", "gres.conf"):
        if (conf_dir / name).exists() and not _ours(conf_dir / name):
            return f"{conf_dir / name} belongs to another SLURM setup; not overwriting it"
    return None


def parse_show_job(text: str) -> list[dict]:
    """`scontrol -o show job` output -> one {key: value} per job."""
    jobs = []
    for line in text.splitlines():
        if line.strip():
            # a value runs to the next ' Key=' (some values, e.g. Command, can hold spaces)
            fields = re.split(r"\s+(?=[A-Za-z][\w:/.]*=)", line.strip())
            jobs.append(dict(f.split("=", 1) for f in fields if "=" in f))
    return jobs


class SlurmCluster:
    """A single-node cluster: write_config(), start(), then client commands with `env`."""

    def __init__(
        self,
        root: Path,
        conf_dir: Path = CONF_DIR,
        cpu_partition: str = "testcpu",
        gpu_partition: str = "testgpu",
    ):
        self.root = root
        self.conf_dir = conf_dir
        self.conf = conf_dir / "slurm.conf"
        self.host = socket.gethostname().split(".")[0]
        # the node as slurmd itself sees it, so that it does not drain the node as misconfigured
        hardware = _slurmd_hardware()
        self.cpus = hardware.get("CPUs") or len(os.sched_getaffinity(0))
        memory = min(hardware.get("RealMemory") or _mem_total_mb(), _mem_total_mb())
        self.mem_mb = max(memory - 2048, 1024)  # leave room for the OS and the submitter
        self.cpu_partition = cpu_partition
        self.gpu_partition = gpu_partition
        self.munge_socket = root / "munge" / "munge.socket"
        self.logs = root / "log"
        self._procs: list[tuple[str, subprocess.Popen]] = []

    @property
    def env(self) -> dict:
        env = dict(os.environ)
        env["SLURM_CONF"] = str(self.conf)
        env["PATH"] = os.pathsep.join([env.get("PATH", ""), *SBIN])
        return env

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(
            list(args), env=self.env, capture_output=True, text=True, check=check, timeout=60
        )

    # ---------------------------------------------------------------- configuration
    def write_config(self) -> None:
        for sub in ("munge", "log", "state", "spool"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        os.chmod(self.root / "munge", 0o700)
        key = self.root / "munge" / "munge.key"
        key.write_bytes(os.urandom(1024))
        os.chmod(key, 0o600)
        ctld_port, slurmd_port = _free_ports(2)
        r = self.root
        self.conf_dir.mkdir(parents=True, exist_ok=True)
        self.conf.write_text(f"""\
{MARKER}: a throwaway single-node test cluster; removed when the tests end.
ClusterName=funcspectest
SlurmctldHost={self.host}(127.0.0.1)
SlurmctldPort={ctld_port}
SlurmdPort={slurmd_port}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={self.munge_socket}
StateSaveLocation={r}/state
SlurmdSpoolDir={r}/spool
SlurmctldPidFile={r}/state/slurmctld.pid
SlurmdPidFile={r}/state/slurmd.pid
SlurmctldLogFile={self.logs}/slurmctld.log
SlurmdLogFile={self.logs}/slurmd.log
# no cgroups here: plain process tracking, no task binding
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
# accounting off (no slurmdbd): sacct does not work, squeue does
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
# keep finished jobs in slurmctld (scontrol show job) for an hour: tests read them back
MinJobAge=3600
GresTypes=gpu
NodeName={self.host} NodeAddr=127.0.0.1 CPUs={self.cpus} RealMemory={self.mem_mb} \
Gres=gpu:1 State=UNKNOWN
PartitionName={self.cpu_partition} Nodes={self.host} Default=YES MaxTime=INFINITE State=UP
PartitionName={self.gpu_partition} Nodes={self.host} MaxTime=INFINITE State=UP
""")
        # a stand-in GPU: SLURM schedules and records it; the jobs themselves run on CPU
        (self.conf_dir / "gres.conf").write_text(
            f"{MARKER}\nNodeName={self.host} Name=gpu File=/dev/null\n"
        )

    def remove_config(self) -> None:
        for name in ("slurm.conf", "gres.conf"):
            if _ours(self.conf_dir / name):
                (self.conf_dir / name).unlink()

    # ---------------------------------------------------------------- daemons
    def _start(self, name: str, *cmd: str) -> None:
        with open(self.logs / f"{name}.out", "wb") as log:
            proc = subprocess.Popen(
                list(cmd),
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self._procs.append((name, proc))

    def start(self, timeout: float = 90) -> None:
        m = self.root / "munge"
        self._start(
            "munged",
            _which("munged"),
            "--foreground",
            "--force",
            f"--socket={self.munge_socket}",
            f"--key-file={m / 'munge.key'}",
            f"--pid-file={m / 'munged.pid'}",
            f"--seed-file={m / 'munged.seed'}",
            f"--log-file={self.logs / 'munged.log'}",
        )
        self._wait(self.munge_socket.exists, 20, "munged to create its socket")
        self._start("slurmctld", _which("slurmctld"), "-D", "-i", "-f", str(self.conf))
        self._wait(
            lambda: "UP" in self.run("scontrol", "ping", check=False).stdout,
            30,
            "slurmctld to answer scontrol ping",
        )
        self._start("slurmd", _which("slurmd"), "-D", "-f", str(self.conf), "-N", self.host)
        self._wait(self._node_idle, timeout, f"node {self.host} to be idle in sinfo")

    def _node_idle(self) -> bool:
        states = set(
            self.run("sinfo", "-h", "-N", "-n", self.host, "-o", "%T", check=False).stdout.split()
        )
        if states & {"down", "down*", "drained", "drained*", "draining"}:
            self.run("scontrol", "update", f"nodename={self.host}", "state=resume", check=False)
        return bool(states) and states <= {"idle"}

    def _wait(self, ready, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, proc in self._procs:
                if proc.poll() is not None:
                    raise RuntimeError(
                        f"{name} exited with {proc.returncode} while waiting for "
                        f"{what}\n{self.log_tail()}"
                    )
            if ready():
                return
            time.sleep(0.5)
        raise RuntimeError(f"timed out after {timeout}s waiting for {what}\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(
            f"--- {log.name}\n" + "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
            for log in sorted(self.logs.glob("*"))
        )

    def stop(self) -> None:
        """Cancel what is left of the jobs, then stop the daemons this object started."""
        if any(name == "slurmctld" and p.poll() is None for name, p in self._procs):
            self.run(
                "scancel",
                "--full",
                "--partition",
                f"{self.cpu_partition},{self.gpu_partition}",
                check=False,
            )
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                queue = self.run("squeue", "-h", "-t", "PD,R,CG,CF,S", "-o", "%i", check=False)
                if queue.returncode != 0 or not queue.stdout.strip():
                    break
                time.sleep(1)
        for _, proc in reversed(self._procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        self._procs.clear()

    # ---------------------------------------------------------------- queries
    def jobs(self) -> list[dict]:
        """SLURM's record of every job it knows, finished ones included (MinJobAge)."""
        out = self.run("scontrol", "-o", "show", "job", check=False)
        if out.returncode != 0 and "No jobs in the system" not in out.stdout + out.stderr:
            raise RuntimeError(f"scontrol show job failed: {out.stderr}")
        return parse_show_job(out.stdout)


def start_cluster(**kwargs):
    """Yield a running SlurmCluster, torn down afterwards; skip (fail under CI) if impossible."""
    reason = unavailable_reason(kwargs.get("conf_dir", CONF_DIR))
    if reason:
        if os.environ.get("CI", "").lower() not in ("", "0", "false", "no"):
            pytest.fail(f"CI is set, but {reason}", pytrace=False)
        pytest.skip(reason)
    root = Path(tempfile.mkdtemp(prefix="funcspec-slurm-"))
    cluster = SlurmCluster(root, **kwargs)
    try:
        cluster.write_config()
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
        cluster.remove_config()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def slurm_cluster():
    """A running single-node SLURM cluster with partitions `testcpu` and `testgpu`."""
    yield from start_cluster()
