"""GPU throughput of the paper's VGG16 at 224 px, and the fast ranking engine checked on CUDA.

Training images/s, evaluation images/s and ranking candidates/s, each in float32 NCHW (the
baseline, measured in the same run) and in the number formats config `gpu` gives the step (bf16,
TF32, channels-last), with their ratio. Images start on the GPU as uint8 and go through the
pipeline's own augmentation there; the pinned host-to-GPU copy rate is printed beside them, to
show whether loading could keep up. Ranking is one greedy step of `relevance.rank_fast` over all
of --layer's units on --images images.

Then the fast engine against the reference on this device in float32 with TF32 off (a small
random net, the default config's `vgg_wide`): they must agree within relevance.LOSS_TOLERANCE,
and the script exits non-zero if they do not.

Work is counted as `funcspec plan` counts it (plan.forward_flops), so the GFLOP/s saved to --out
are what `funcspec plan --measured FILE` divides by.

    python benchmarks/bench_gpu.py [--configfile config/paper.yaml] [--network dual]
        [--steps 20] [--layer conv10] [--images 256] [--out results/benchmarks/gpu.json]
    python benchmarks/bench_gpu.py --cpu   # a few steps on the CPU: tries the script, saves
                                           # nothing unless --out is given
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch

from funcspec import models
from funcspec.config import load_yaml, network_spec, unit_counts
from funcspec.data import augment, centre_crop, normalise, to_input
from funcspec.gpu import FLOAT32, Precision, autocast, place, use
from funcspec.plan import dataset_images, forward_flops, load
from funcspec.relevance import disagreement, rank_fast, rank_reference
from funcspec.train import _optimizer, step

ROOT = Path(__file__).resolve().parents[1]


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def seconds_per_call(device, run, repeats: int) -> float:
    run()  # warm-up: kernel selection, the optimizer's state, the allocator's first blocks
    sync(device)
    start = time.perf_counter()
    for _ in range(repeats):
        run()
    sync(device)
    return (time.perf_counter() - start) / repeats


def precision_of(config: dict, step: str) -> Precision:
    gpu = config["gpu"]
    return Precision(**{setting: step in gpu[setting] for setting in vars(FLOAT32)})


def images_on(device, n: int, size: int, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, 256, (n, size, size, 3), dtype=torch.uint8, generator=g).to(device)


def train_rate(spec, classes, stored, device, precision, steps, seed) -> float:
    """Training images/s: augmentation, forward, loss, backward and the optimizer's step."""
    torch.manual_seed(seed)
    size, batch = spec["arch"]["input_size"], spec["train"]["batch_size"]
    model = place(models.build(spec["arch"], classes, size), device, precision).train()
    optimizer = _optimizer(model.parameters(), spec["train"]["optimizer"])
    images = images_on(device, batch, stored, seed)
    y = torch.randint(0, classes, (batch,), generator=torch.Generator().manual_seed(seed))
    y = y.to(device)
    generator = torch.Generator().manual_seed(seed)

    def one_step():
        x = augment(to_input(images, device), size, spec["train"]["greyscale_p"], generator)
        step(model, optimizer, normalise(x), y, precision)

    return batch / seconds_per_call(device, one_step, steps)


@torch.no_grad()
def evaluate_rate(spec, classes, stored, batch, device, precision, steps, seed) -> float:
    size = spec["arch"]["input_size"]
    model = place(models.build(spec["arch"], classes, size), device, precision).eval()
    images = images_on(device, batch, stored, seed)

    def step():
        with autocast(device, precision):
            model(normalise(centre_crop(to_input(images, device), size))).argmax(1)

    return batch / seconds_per_call(device, step, steps)


def rank_rate(spec, classes, layer, n_images, batch, device, precision, seed) -> float:
    """Candidates/s of one greedy step over every unit of `layer` on n_images images."""
    torch.manual_seed(seed)
    size = spec["arch"]["input_size"]
    model = place(models.build(spec["arch"], classes, size), device, precision).eval()
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n_images, 3, size, size, generator=g).to(device)
    y = torch.randint(0, classes, (n_images,), generator=g).to(device)
    units = model.unit_layer(layer).weight.shape[0]

    def step():
        with autocast(device, precision):
            rank_fast(model, layer, lambda _: (x, y), fraction=0.2, max_steps=1, batch_size=batch)

    return units / seconds_per_call(device, step, 1)


def copy_rate(device, batch, stored, repeats) -> float:
    """Images/s of uint8 batches copied from pinned host memory to the device."""
    host = torch.zeros(batch, stored, stored, 3, dtype=torch.uint8)
    if device.type == "cuda":
        host = host.pin_memory()
    return batch / seconds_per_call(device, lambda: host.to(device, non_blocking=True), repeats)


def engines_agree(device, layers, n_images: int, seed: int) -> str | None:
    """Where the fast engine departs from the reference on `device` (float32, TF32 off)."""
    use(device, FLOAT32)
    arch = load_yaml(ROOT / "config" / "config.yaml")["archs"]["vgg_wide"]
    torch.manual_seed(seed)
    model = models.build(arch, 150, arch["input_size"]).to(device).eval()
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n_images, 3, arch["input_size"], arch["input_size"], generator=g).to(device)
    y = torch.randint(0, 150, (n_images,), generator=g).to(device)
    for layer in layers:
        args = dict(fraction=0.2, group_fraction=0.016, max_steps=3, batch_size=32)
        ref = rank_reference(model, layer, lambda _: (x, y), **args)
        fast = rank_fast(model, layer, lambda _: (x, y), **args)
        where = disagreement(ref, fast)
        print(f"  {layer}: {'agree' if where is None else where}")
        if where is not None:
            return where
    return None


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configfile", default=str(ROOT / "config" / "paper.yaml"))
    parser.add_argument("--network", default="dual", help="the network whose spec is timed")
    parser.add_argument("--steps", type=int, default=20, help="timed steps per measurement")
    parser.add_argument("--layer", default="conv10", help="the ranked layer")
    parser.add_argument("--images", type=int, default=256, help="ranking images per step")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cpu", action="store_true", help="try the script on the CPU, tiny sizes")
    parser.add_argument("--out", help="save the rates as JSON (for funcspec plan --measured)")
    args = parser.parse_args(argv)

    device = torch.device("cpu" if args.cpu else "cuda")
    if not args.cpu and not torch.cuda.is_available():
        print("bench_gpu: no CUDA device here; --cpu tries the script on the CPU", file=sys.stderr)
        return 2
    config = load(args.configfile)
    spec = network_spec(config, f"{args.network}_s{config['networks'][args.network]['seeds'][0]}")
    data = {t: dataset_images(t, config["datasets"][t]) for t in spec["tasks"]}
    classes = sum(d["classes"] for d in data.values())
    stored = config["datasets"][spec["tasks"][0]]["image"]["crop"]
    train_batch, eval_batch = spec["train"]["batch_size"], config["evaluate"]["batch_size"]
    n_images, rank_batch = args.images, config["relevance"]["batch_size"]
    if args.cpu:  # minutes of CPU time at the GPU's sizes
        args.steps, args.layer = (
            2,
            [name for name in unit_counts(spec["arch"]) if "conv" in name][-1],
        )
        train_batch, eval_batch, n_images, rank_batch = 2, 4, 4, 4
        spec["train"]["batch_size"] = train_batch
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU"
    print(
        f"{name}, torch {torch.__version__}; {args.network}: {spec['arch']['input_size']} px, "
        f"{classes} classes, batches {train_batch} (train) / {eval_batch} (evaluate), "
        f"ranking {args.layer} on {n_images} images"
        + ("; the CPU ignores the GPU formats, both columns are float32 NCHW" if args.cpu else "")
    )

    flops = forward_flops(spec["arch"], classes)
    order = list(flops)
    nxt = order[order.index(args.layer) + 1]
    units = unit_counts(spec["arch"])[args.layer]
    per_candidate = flops[nxt] / units + sum(flops[k] for k in order[order.index(nxt) + 1 :])
    work = {
        "train": 3 * sum(flops.values()),
        "infer": sum(flops.values()),
        "rank": n_images * per_candidate,
    }
    measure = {
        "train": lambda p: train_rate(spec, classes, stored, device, p, args.steps, args.seed),
        "infer": lambda p: evaluate_rate(
            spec, classes, stored, eval_batch, device, p, args.steps, args.seed
        ),
        "rank": lambda p: rank_rate(
            spec, classes, args.layer, n_images, rank_batch, device, p, args.seed
        ),
    }
    steps = {"train": "train", "infer": "evaluate", "rank": "relevance"}
    units_of = {"train": "images/s", "infer": "images/s", "rank": "candidates/s"}
    rates = {}
    for kind, run in measure.items():
        precision = precision_of(config, steps[kind])
        use(device, FLOAT32)
        baseline = run(FLOAT32)
        use(device, precision)
        rate = run(precision)
        rates[kind] = {
            "per_s": rate,
            "float32_per_s": baseline,
            "gflops": rate * work[kind] / 1e9,
            "precision": vars(precision),
        }
        print(
            f"{steps[kind]:<10} {rate:10.1f} {units_of[kind]:<13} ({rates[kind]['gflops']:,.0f} "
            f"GFLOP/s as planned) with {vars(precision)}; float32 NCHW {baseline:.1f}: "
            f"{rate / baseline:.2f}x"
        )
    copies = copy_rate(device, train_batch, stored, args.steps)
    print(f"host to device, pinned uint8: {copies:,.0f} images/s")

    print("fast ranking engine against the reference, float32, TF32 off:")
    if args.cpu:  # the reference engine's full passes take minutes per layer on the CPU
        where = engines_agree(device, ["conv1"], 16, args.seed)
    else:
        where = engines_agree(device, ["conv2", "conv4", "fc5"], 64, args.seed)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        saved = {
            "device": name,
            "torch": torch.__version__,
            "configfile": args.configfile,
            "network": args.network,
            "layer": args.layer,
            "images": n_images,
            "gflops": {kind: r["gflops"] for kind, r in rates.items()},
            "rates": rates,
            "copy_images_per_s": copies,
            "engines_agree": where is None,
        }
        Path(args.out).write_text(json.dumps(saved, indent=1) + "\n")
        print(f"saved {args.out}")
    return 0 if where is None else 1


if __name__ == "__main__":
    sys.exit(main())
