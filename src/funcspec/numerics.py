"""The CPU's numeric mode: `native` (torch's fastest kernels for this CPU) or `portable` (one
kernel path for every x86-64 CPU with AVX2).

Native float32 results are byte-identical only on the same CPU type and thread count: torch picks
its vectorised kernels by instruction set (ATen's CPU capability), oneDNN its convolutions by
instruction set and cache sizes, MKL its matrix products by processor, and training amplifies
the last-bit differences into other networks. Portable mode pins each of these:
- ATen's kernels to AVX2 (`ATEN_CPU_CAPABILITY`);
- convolutions off oneDNN and NNPACK, onto im2col and MKL's matrix product;
- MKL to its AVX2 code path with conditional numerical reproducibility in strict mode
  (`MKL_CBWR`, `MKL_ENABLE_INSTRUCTIONS`, which would otherwise override it).
The variables are read when torch loads, so they must be set before: the `funcspec` command sets
them itself. On CUDA nothing the GPU computes changes.
"""

from __future__ import annotations

import os
import sys

from .errors import FuncspecError

MODES = ("native", "portable")
PORTABLE_ENV = {
    "ATEN_CPU_CAPABILITY": "avx2",
    "MKL_CBWR": "AVX2,STRICT",
    "MKL_ENABLE_INSTRUCTIONS": "AVX2",
}


def pinned() -> bool:
    """Whether this process's environment pins the kernels as portable mode needs."""
    return all(os.environ.get(name) == value for name, value in PORTABLE_ENV.items())


def use(mode: str) -> None:
    """Compute in `mode` from here on; portable mode must be asked for before torch loads."""
    if mode not in MODES:
        raise FuncspecError(f"numerics must be one of {', '.join(MODES)}, not {mode!r}")
    if mode == "native":
        return
    if not pinned():
        if "torch" in sys.modules:
            raise FuncspecError(
                "portable numerics must be chosen before torch loads: set "
                + " ".join(f"{k}={v}" for k, v in PORTABLE_ENV.items())
                + " in the environment, or run the step through the funcspec command"
            )
        os.environ.update(PORTABLE_ENV)
    import torch

    if torch.backends.cpu.get_cpu_capability() != "AVX2":
        raise FuncspecError(
            "portable numerics need an x86-64 CPU with AVX2; torch computes with "
            f"{torch.backends.cpu.get_cpu_capability()} here"
        )
    torch.backends.mkldnn.enabled = False
    torch.backends.nnpack.set_flags(False)


def mode() -> str:
    """The mode this process computes in."""
    torch = sys.modules.get("torch")
    if torch is None or torch.backends.mkldnn.enabled or not pinned():
        return "native"
    return "portable"
