"""Achieved float32 throughput of training and ranking against this machine's measured peaks.

Peaks: a 2048^3 matrix multiply and a 3x3 convolution (64 x 256 x 16 x 16, 256 -> 256 channels,
forward, NCHW and channels-last), best of --repeats. Training: the default config's dual net
(models.build, faces + objects classes, AdamW as configured), forward + loss + backward + step
on random images at train.batch_size, after warm-up. Ranking: the layers the fast engine runs
per candidate when ranking --layer (those above the next layer; conv5 up for conv3) on
relevance.images cached activations (no grad), then the engine itself (relevance.rank_fast) on
--layer with random images and the config's relevance settings, --max-steps steps. FLOPs are
torch.utils.flop_counter's counts of convolutions and matrix products (2 per multiply-add, the
backward pass included; element-wise work, pooling and the optimizer are not counted), made in
runs apart from the timed ones: the counter dispatches every op through Python, and the fast
engine makes ~10^5 tiny ones. Its FLOPs are counted on a tenth of the images and scaled (they
are linear in the number of images).

The same training steps are then timed in portable numerics (funcspec.numerics), in a child
process: its kernels are pinned by environment variables that must be set before torch loads.
The ratio portable / native is what `numerics: portable` costs training on this CPU.

    .venv/bin/python benchmarks/bench_train.py [--threads 2] [--steps 20] [--layer conv3]
                                               [--max-steps 1] [--repeats 10] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from funcspec import models, numerics
from funcspec.config import load_yaml
from funcspec.relevance import rank_fast
from funcspec.train import _optimizer

ROOT = Path(__file__).resolve().parents[1]


def counted(run) -> int:
    """FLOPs of one call of run() (convolutions and matrix products, forward and backward)."""
    with FlopCounterMode(display=False) as counter:
        run()
    return counter.get_total_flops()


def best_of(repeats: int, run) -> float:
    run()  # warm-up: kernel selection and first-call allocations
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def peaks(repeats: int, seed: int) -> list[tuple[str, float]]:
    g = torch.Generator().manual_seed(seed)
    n = 2048
    a, b = torch.randn(n, n, generator=g), torch.randn(n, n, generator=g)
    rows = [(f"peak: matmul {n}^3", 2 * n**3 / best_of(repeats, lambda: a @ b))]
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    rows.append(("  same, 1 thread", 2 * n**3 / best_of(repeats, lambda: a @ b)))
    torch.set_num_threads(threads)
    conv = nn.Conv2d(256, 256, 3, padding=1).eval()
    x = torch.randn(64, 256, 16, 16, generator=g)
    flops = 2 * x.shape[0] * 256 * 256 * 9 * 16 * 16
    with torch.no_grad():
        rows.append(("peak: conv3x3 256ch 16px", flops / best_of(repeats, lambda: conv(x))))
        conv_cl = conv.to(memory_format=torch.channels_last)
        x_cl = x.contiguous(memory_format=torch.channels_last)
        rows.append(("peak: same, channels-last", flops / best_of(repeats, lambda: conv_cl(x_cl))))
    return rows


def dual_net(config: dict, seed: int):
    """The default config's dual net as train.train builds it, and its number of classes."""
    spec = config["networks"]["dual"]
    arch = config["archs"][spec["arch"]]
    classes = sum(config["datasets"][t]["classes"]["count"] for t in spec["tasks"])
    torch.manual_seed(seed)
    return models.build(arch, classes, arch["input_size"]), classes


def per_layer(model, x, repeats: int) -> None:
    """Forward time and throughput of each layer on the training batch (no grad)."""
    print(f"{'layer':6} {'input':>16} {'MFLOP/img':>10} {'ms':>7} {'GFLOP/s':>8}")
    with torch.no_grad():
        for name in model.layer_names:
            layer = model.layers[name]
            flops = counted(lambda layer=layer, x=x: layer(x))
            seconds = best_of(repeats, lambda layer=layer, x=x: layer(x))
            shape = "x".join(map(str, x.shape[1:]))
            print(
                f"{name:6} {shape:>16} {flops / len(x) / 1e6:10.2f} {seconds * 1e3:7.2f} "
                f"{flops / seconds / 1e9:8.1f}"
            )
            x = layer(x)


def train_steps(model, config: dict, classes: int, steps: int, seed: int):
    """(images/s, FLOPs per step, seconds per step, {phase: seconds per step})."""
    batch, size = config["train"]["batch_size"], model.input_size
    optimizer = _optimizer(model.parameters(), config["train"]["optimizer"])
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(batch, 3, size, size, generator=g)
    y = torch.randint(0, classes, (batch,), generator=g)
    model.train()

    def forward_backward():
        loss = nn.functional.cross_entropy(model(x).float(), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()

    flops = counted(forward_backward)
    phases = dict(forward=0.0, backward=0.0, optimizer=0.0)
    for i in range(3 + steps):  # 3 warm-up steps: AdamW's state is allocated on the first
        if i == 3:
            phases = dict.fromkeys(phases, 0.0)
            began = time.perf_counter()
        t0 = time.perf_counter()
        loss = nn.functional.cross_entropy(model(x).float(), y)
        t1 = time.perf_counter()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        t2 = time.perf_counter()
        optimizer.step()
        t3 = time.perf_counter()
        phases["forward"] += t1 - t0
        phases["backward"] += t2 - t1
        phases["optimizer"] += t3 - t2
    per_step = (time.perf_counter() - began) / steps
    return batch / per_step, flops, per_step, {k: v / steps for k, v in phases.items()}


def portable_training(args) -> float:
    """Training images/s of the same steps in portable numerics, timed in a child process."""
    done = subprocess.run(
        [sys.executable, __file__, "--train-only", "--numerics", "portable"]
        + ["--threads", str(args.threads), "--steps", str(args.steps)]
        + ["--config", args.config, "--seed", str(args.seed)],
        env={**os.environ, **numerics.PORTABLE_ENV},
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(done.stdout.splitlines()[-1])
    assert result["numerics"] == "portable", result
    return result["images_per_s"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", type=int, default=20, help="timed training steps")
    parser.add_argument("--layer", default="conv3", help="the ranked layer")
    parser.add_argument("--max-steps", type=int, default=1, help="greedy steps of rank_fast")
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--quick", action="store_true", help="fewer steps and repeats")
    parser.add_argument("--config", default=str(ROOT / "config/config.yaml"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--numerics", choices=numerics.MODES, default="native")
    parser.add_argument(
        "--train-only", action="store_true", help="print only the training images/s, as JSON"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.steps, args.repeats = 5, 3
    numerics.use(args.numerics)
    torch.set_num_threads(args.threads)
    config = load_yaml(args.config)
    if args.train_only:
        model, classes = dual_net(config, args.seed)
        img_s = train_steps(model, config, classes, args.steps, args.seed)[0]
        print(json.dumps({"numerics": numerics.mode(), "images_per_s": img_s}))
        return
    rel = config["relevance"]
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} of {os.cpu_count()} CPUs, "
        f"CPU capability {torch.backends.cpu.get_cpu_capability()}, "
        f"load average {os.getloadavg()[0]:.2f} (other processes on these CPUs lower every number)"
    )

    rows = peaks(args.repeats, args.seed)
    model, classes = dual_net(config, args.seed)
    batch = config["train"]["batch_size"]
    print(
        f"\ndual net: layers {' '.join(model.layer_names)}, {classes} classes, "
        f"{model.input_size} px, batch {batch}; per-layer forward:"
    )
    g = torch.Generator().manual_seed(args.seed)
    per_layer(
        model.eval(),
        torch.randn(batch, 3, model.input_size, model.input_size, generator=g),
        args.repeats,
    )

    img_s, flops, per_step, phases = train_steps(model, config, classes, args.steps, args.seed)
    forward = counted(lambda: model(torch.zeros(batch, 3, model.input_size, model.input_size)))
    print(
        f"\ntraining: {img_s:.0f} images/s, {per_step * 1e3:.1f} ms/step "
        f"({', '.join(f'{k} {v * 1e3:.1f}' for k, v in phases.items())} ms), "
        f"{flops / batch / 1e6:.1f} MFLOP/image (forward {forward / batch / 1e6:.1f})"
    )
    rows.append((f"train step, batch {batch}", flops / per_step))
    rows.append(("  its forward", forward / phases["forward"]))
    rows.append(("  its backward", (flops - forward) / phases["backward"]))
    portable = portable_training(args)
    print(
        f"training in portable numerics: {portable:.0f} images/s, "
        f"{portable / img_s:.2f}x native ({img_s:.0f})"
    )

    # Ranking: the network above the layer after --layer on cached activations, as the fast
    # engine runs it per candidate (it subtracts each candidate from the next layer's input).
    model.eval()
    names = model.layer_names
    nxt = names[names.index(args.layer) + 1]
    x = torch.randn(rel["images"], 3, model.input_size, model.input_size, generator=g)
    with torch.no_grad():
        cached = model(x, stop=nxt)
        above = names[names.index(nxt) + 1]
        flops = counted(lambda: model(cached, start=above))
        seconds = best_of(args.repeats, lambda: model(cached, start=above))
        cached_cl = cached.contiguous(memory_format=torch.channels_last)
        seconds_cl = best_of(args.repeats, lambda: model(cached_cl, start=above))
    print(
        f"\nranking: {above} upward on {len(x)} cached {nxt} outputs: {seconds * 1e3:.1f} ms "
        f"(channels-last {seconds_cl * 1e3:.1f} ms), {flops / len(x) / 1e6:.1f} MFLOP/image"
    )
    rows.append((f"{above}+ forward, batch {len(x)}", flops / seconds))
    rows.append(("  same, channels-last", flops / seconds_cl))

    y = torch.randint(0, config["datasets"]["faces"]["classes"]["count"], (len(x),), generator=g)
    settings = dict(
        fraction=rel["fraction"],
        group_fraction=rel["group_fraction"],
        max_steps=args.max_steps,
        batch_size=rel.get("batch_size", 128),
    )
    start = time.perf_counter()
    result = rank_fast(model, args.layer, lambda step: (x, y), **settings)
    seconds = time.perf_counter() - start
    tenth = max(1, len(x) // 10)
    flops = counted(
        lambda: rank_fast(model, args.layer, lambda step: (x[:tenth], y[:tenth]), **settings)
    )
    flops = flops * len(x) / tenth
    n_cand = sum(result["n_units"] - result["group_size"] * s for s in range(len(result["steps"])))
    print(
        f"rank_fast {args.layer}: {len(result['steps'])} step(s), {n_cand} candidates x {len(x)} "
        f"images in {seconds:.2f} s ({n_cand * len(x) / seconds:.0f} candidate-images/s), "
        f"{flops / 1e9:.0f} GFLOP, batch {settings['batch_size']}"
    )
    rows.append((f"rank_fast {args.layer}", flops / seconds))

    mm, conv = rows[0][1], max(rows[2][1], rows[3][1])
    print(f"\nload average at the end {os.getloadavg()[0]:.2f} (this run's own threads included)")
    print(f"\n{'':28} {'GFLOP/s':>8} {'/matmul':>8} {'/conv':>8}   (conv: the better layout)")
    for name, rate in rows:
        print(f"{name:28} {rate / 1e9:8.1f} {rate / mm:8.2f} {rate / conv:8.2f}")


if __name__ == "__main__":
    main()
