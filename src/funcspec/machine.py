"""What computed a result: the CPU, the kernels torch chose on it, the libraries and thread count
behind them, and on CUDA the GPU, its driver and cuDNN. Two runs of one commit give the same
bytes only where these agree (funcspec.numerics says why), so provenance records, checkpoints and
partial rankings keep them."""

from __future__ import annotations

import platform
import re
import subprocess
import sys
from functools import cache

from . import numerics

# The facts of the machine itself; the others (threads, numeric mode, the kernels these select)
# are the job's own choices.
HARDWARE = ("cpu", "arch", "onednn", "blas", "mkl", "gpu", "driver", "cuda", "cudnn")


@cache
def cpu_model() -> str:
    """The CPU's name, with its family, model and stepping: a virtual machine's name is often
    generic ('Intel(R) Xeon(R) Processor'), the numbers still tell its generation."""
    try:
        with open("/proc/cpuinfo") as f:
            info = dict(line.partition(":")[::2] for line in f.read().split("\n\n")[0].splitlines())
    except OSError:
        return platform.processor() or platform.machine()
    info = {k.strip(): v.strip() for k, v in info.items()}
    numbers = ", ".join(f"{k} {info[k]}" for k in ("cpu family", "model", "stepping") if k in info)
    return f"{info.get('model name', platform.machine())} ({numbers})"


def _built_with(pattern: str, text: str) -> str | None:
    found = re.search(pattern, text)
    return found.group(1) if found else None


def _driver() -> str | None:
    try:
        done = subprocess.run(
            ["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.splitlines()[0].strip() if done.returncode == 0 and done.stdout else None


def facts(load_torch: bool = False) -> dict:
    """This process's machine facts; the kernel facts only where the process has loaded torch (a
    step that ran no network computed nothing they decide) or `load_torch` asks to."""
    found = {"cpu": cpu_model(), "arch": platform.machine()}
    if load_torch:
        import torch  # noqa: F401
    torch = sys.modules.get("torch")
    if torch is None:
        return found
    built = torch.__config__.show()
    found.update(
        cpu_capability=torch.backends.cpu.get_cpu_capability(),
        onednn=_built_with(r"MKL-DNN v(\S+)", built),
        blas=_built_with(r"BLAS_INFO=(\w+)", built),
        mkl=_built_with(r"Math Kernel Library Version (\S+?)-", built),
        threads=torch.get_num_threads(),
        numerics=numerics.mode(),
    )
    if torch.cuda.is_available():
        found.update(
            gpu=torch.cuda.get_device_name(0),
            driver=_driver(),
            cuda=torch.version.cuda,
            cudnn=torch.backends.cudnn.version(),
        )
    return found


def differences(recorded: dict, current: dict, names=None) -> list[str]:
    """'<fact> <recorded> (here <current>)' for every fact (of `names`, default all) that both
    hold and that differs."""
    shared = recorded.keys() & current.keys() & set(names or recorded)
    return [
        f"{name} {recorded[name]} (here {current[name]})"
        for name in sorted(shared)
        if recorded[name] != current[name]
    ]


def note_resume(path, recorded: dict | None) -> None:
    """Say on stderr that the partial result at `path` is resumed on another machine than the one
    that began it, and how they differ: its steps so far are that machine's numbers."""
    differ = differences(recorded or {}, facts())
    if differ:
        print(f"resuming {path}, begun on another machine: {', '.join(differ)}", file=sys.stderr)
