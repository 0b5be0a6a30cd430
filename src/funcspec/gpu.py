"""Where a step computes, and in which number format on a GPU.

A step computes on CUDA when a GPU is present, else on the CPU. On the CPU it computes in float32
with NCHW tensors whatever it is asked: the CPU's results are the reference, and they stay
byte-identical when the GPU settings change. On CUDA a step may be asked for
- bf16: bfloat16 autocast (8 mantissa bits) for convolutions and matrix products;
- tf32: float32 convolutions and matrix products on TF32 tensor cores (10 mantissa bits). PyTorch's
  own defaults differ between the two (convolutions on, matrix products off); a step sets both;
- channels_last: NHWC activations, the layout tensor-core convolutions take without transposing.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class Precision:
    bf16: bool = False
    tf32: bool = False
    channels_last: bool = False

    @classmethod
    def of(cls, args) -> Precision:
        """The formats a step's --bf16, --tf32 and --channels-last flags ask for
        (funcspec.arguments.gpu)."""
        return cls(bf16=args.bf16, tf32=args.tf32, channels_last=args.channels_last)


FLOAT32 = Precision()  # what the CPU computes in, whatever it is asked


def pick_device(precision: Precision = FLOAT32) -> torch.device:
    """CUDA when present, else the CPU; on CUDA, TF32 set as `precision` says."""
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    use(device, precision)
    return device


def use(device: torch.device, precision: Precision) -> None:
    """Set TF32 for this process as `precision` says (on CUDA; the CPU never uses it)."""
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = precision.tf32
        torch.backends.cudnn.allow_tf32 = precision.tf32


def effective(device: torch.device, precision: Precision) -> Precision:
    """What `precision` computes in on `device`: the CPU ignores it."""
    return precision if device.type == "cuda" else FLOAT32


def autocast(device: torch.device, precision: Precision):
    """bfloat16 autocast on CUDA when asked, else nothing."""
    return bf16("cuda") if device.type == "cuda" and precision.bf16 else contextlib.nullcontext()


def bf16(device_type: str):
    """bfloat16 autocast on `device_type` (the CPU's rounds as CUDA's does: tests use it)."""
    # Without the cache: autocast keeps one bf16 copy of each weight for the whole context, and a
    # weight changed in place within it would never reach that copy.
    return torch.autocast(device_type, dtype=torch.bfloat16, cache_enabled=False)


def place(model: torch.nn.Module, device: torch.device, precision: Precision) -> torch.nn.Module:
    """The model on `device`, its weights channels-last on CUDA when asked (convolutions then
    also return channels-last activations)."""
    model = model.to(device)
    if device.type == "cuda" and precision.channels_last:
        model = model.to(memory_format=torch.channels_last)
    return model
