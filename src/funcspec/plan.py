"""What a config will cost before it runs (`funcspec plan`): per phase the jobs, the images
processed, the floating-point work and the time it takes at a stated throughput; the disk for
prepared data and the DVC cache; the peak memory of one job; and the SLURM resources each rule
requests.

Network work is counted as benchmarks/bench_train.py counts it: convolutions and matrix
products, 2 FLOPs per multiply-add, a training step 3 forward passes. Work that is not a network
(drawing and decoding images) is costed per image at RATES, and every job pays STARTUP seconds
(Python, torch, reading its inputs); both were measured on the 2-core development machine, and
`--measured` takes a rehearsal's rates instead (benchmarks/rehearsal.sh). The result is a model:
docs/scaling.md ("What it will cost") compares it with a measured run.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import yaml

from .config import deep_merge, network_spec, overlapped, split_tasks, unit_counts, validate
from .errors import FuncspecError
from .grouping import candidates_per_step, group_size, shortlist_size
from .layers import layer_names, lesionable
from .prepare import read_class_list
from .seeds import epoch_of, instances, snapshots

REPO = Path(__file__).resolve().parents[2]
# The CPU rates, one core of the development machine. Seconds per image: drawing a generated
# image and preparing it (a 32 px PNG; logs/{generate,prepare}/*.tsv of the default run), and
# preparing a dataset of the published layouts (decoding a JPEG of the published sizes, cropping
# and resizing it to 256 px; benchmarks/rehearsal.sh). Images per second: the shard loader at
# 224 px with training's augmentation (benchmarks/rehearsal.sh).
RATES = {"generate": 0.0023, "prepare_png": 0.00035, "prepare_jpeg": 0.0018, "loader": 736.0}
STARTUP = 3.0  # seconds every job pays before its work
# Bytes every network job holds before its work: Python, torch, numpy, scipy and scikit-learn
# (peak resident memory after importing a ranking step's modules, development machine).
RUNTIME = 0.6e9
FIGURE_RULES = ["probe", "contact_sheet", "fig1", "fig2", "fig3", "fig4", "figS1", "figS2"]


def forward_flops(arch: dict, num_classes: int) -> dict[str, float]:
    """{layer: FLOPs of its linear part} for one image, input to class layer (of a unit layer
    of another family: of every conv and linear module inside it)."""
    if arch.get("family", "vgg") != "vgg":
        return _traced(arch, num_classes).flops
    size, channels, flops = arch["input_size"], 3, []
    for stage in arch["stages"]:
        for width in stage:
            flops.append(2 * size * size * channels * width * 9)
            channels = width
        size //= 2
    features = channels * size * size
    for width in [*arch["fc"], num_classes]:
        flops.append(2 * features * width)
        features = width
    return dict(zip(layer_names(arch), flops))


def dataset_images(name: str, ds: dict) -> dict[str, int]:
    """Images per split a dataset gives: train, test, heldout (and all, drawn or decoded)."""
    count = ds["classes"]["count"]
    if count == "all":
        if ds["classes"].get("include"):
            names = set(read_class_list(REPO / ds["classes"]["include"]))
            if ds["classes"].get("exclude"):
                names -= set(read_class_list(REPO / ds["classes"]["exclude"]))
            count = len(names)
        elif "generate" in ds:
            count = ds["generate"]["classes"] - ds["heldout"]["count"]
        else:
            raise FuncspecError(
                f"datasets.{name}.classes.count is all without an include list: the plan cannot "
                "know how many classes the dataset has; give a number"
            )
    images = {
        "classes": count,
        "train": count * ds["train_per_class"],
        "test": count * ds["test_per_class"],
        "heldout": ds["heldout"]["count"] * ds["heldout"]["images_per_class"],
    }
    images["all"] = images["train"] + images["test"] + images["heldout"]
    if "generate" in ds:
        images["drawn"] = ds["generate"]["classes"] * ds["generate"]["images_per_class"]
    return images


def plan(config: dict, gflops: dict[str, float], parallel: int, rates: dict = RATES) -> dict:
    """{"phases": rows, "disk": rows, "loader": row}. gflops: achieved GFLOP/s of "train" and
    "infer" work on one device, and of the fast ranking engine ("rank") where measured apart
    (else "infer"); parallel: jobs running at once (devices), which divides the wall time;
    rates: the CPU rates (RATES)."""
    data = {name: dataset_images(name, ds) for name, ds in config["datasets"].items()}
    nets = config["networks"]
    rows = _data_phases(config, data, gflops, rates)
    kinds = {"train": "train", "relevance": "rank" if "rank" in gflops else "infer"}
    for phase, (jobs, images, flops, memory) in _network_work(config, data).items():
        rows.append(
            _phase(
                gflops, phase, jobs, images, flops, kind=kinds.get(phase, "infer"), memory=memory
            )
        )
    rows.append(_readout_phase(config, data, gflops))
    rows.append(
        _phase(gflops, "figures and others", len(FIGURE_RULES) + 2 + 2 * len(instances(nets)), 0)
    )

    total = sum(r["device_hours"] for r in rows)
    disk = []
    for name, d in data.items():
        disk.append(
            {"dataset": name, "images": d["all"], "gb": d["all"] * _pixels(config, name) / 1e9}
        )
    train = next(r for r in rows if r["phase"] == "train")
    # The images per second a device trains on, which its job's loader has to deliver.
    needed = (
        gflops["train"] * 1e9 / (train["tflop"] * 1e12 / train["images"]) if train["images"] else 0
    )
    loader = {"needed": needed, "cores": needed / rates["loader"]}
    return {
        "phases": rows,
        "disk": disk,
        "loader": loader,
        "device_hours": total,
        "wall_hours": total / parallel,
    }


def _data_phases(config: dict, data: dict, gflops: dict, rates: dict) -> list[dict]:
    """Drawing the generated images (datasets drawn alike are drawn once) and preparing every
    dataset: a generated one from PNGs, one of the published layouts from JPEGs."""
    drawn = {}
    for ds in config["datasets"].values():
        if "generate" in ds:
            key = repr(sorted(ds["generate"].items()))
            drawn[key] = ds["generate"]["classes"] * ds["generate"]["images_per_class"]
    n_drawn = sum(drawn.values())
    prepared = sum(d["all"] for d in data.values())
    decoding = sum(
        d["all"]
        * rates["prepare_png" if "generate" in config["datasets"][name] else "prepare_jpeg"]
        for name, d in data.items()
    )
    return [
        _phase(gflops, "generate", len(drawn), n_drawn, seconds=rates["generate"] * n_drawn),
        _phase(gflops, "prepare", len(data), prepared, seconds=decoding),
    ]


def _phase(gflops, phase, jobs, images, flops=0.0, seconds=0.0, kind="infer", memory=0.0) -> dict:
    """A phase's row: its device time is its work at `gflops[kind]`, `seconds` of work that is
    not a network's, and every job's start-up."""
    busy = flops / (gflops[kind] * 1e9) + seconds + jobs * STARTUP
    return {
        "phase": phase,
        "jobs": jobs,
        "images": images,
        "tflop": flops / 1e12,
        "device_hours": busy / 3600,
        "peak_memory_gb": memory / 1e9,
    }


def _pixels(config: dict, ds: str) -> int:
    return config["datasets"][ds]["image"]["crop"] ** 2 * 3


# The phases whose work is the networks', in the order the plan lists them.
_NETWORK_PHASES = "train evaluate decode relevance lesion overlap selectivity visualize".split()


def _network_work(config: dict, data: dict) -> dict[str, list]:
    """{phase: [jobs, images, FLOPs, peak memory of one job]} summed over the network
    instances."""
    nets = config["networks"]
    work = {k: [0, 0, 0.0, 0.0] for k in _NETWORK_PHASES}
    ranked = instances(nets, config["relevance"]["networks"])
    visualized = instances(nets, config["visualize"]["networks"])
    decoded = instances(nets, config["decode"]["networks"])
    panel_d = instances(nets, overlapped(config))
    for name in instances(nets) + snapshots(config):
        net = _Network(config, data, name)
        _count_training(work, config, data, net, name in decoded, name in panel_d)
        if name not in ranked and epoch_of(name) is None:
            continue
        _count_ranking(work, config, net)
        if name in visualized:
            _count_visualizing(work, config, data, net)
    return work


def _count(work, phase, jobs, images, flops, memory):
    w = work[phase]
    w[0], w[1], w[2], w[3] = w[0] + jobs, w[1] + images, w[2] + flops, max(w[3], memory)


class _Network:
    """What a network instance's costs are computed from: per layer the forward FLOPs of one
    image (`flops`, in `order`), its weights and its activations."""

    def __init__(self, config: dict, data: dict, name: str):
        self.name = name
        self.spec = network_spec(config, name)
        self.tasks = self.spec["tasks"]
        consolidated = self.spec.get("consolidated", [])
        classes = sum(1 if t in consolidated else data[t]["classes"] for t in self.tasks)
        self.flops = forward_flops(self.spec["arch"], classes)
        self.order = list(self.flops)
        self.full = sum(self.flops.values())
        self.weights = _weights(self.spec["arch"], classes)
        self.activations = _activation_bytes(self.spec["arch"])
        self.test_images = sum(data[t]["test"] for t in self.tasks)

    def inference_memory(self, images: int, batch: int = 256) -> float:
        """A job that runs the trained network on `images` images in batches, without
        gradients: each layer's output is freed once the next has used it."""
        return RUNTIME + 4 * self.weights + min(batch, images) * _inference_bytes(self.spec["arch"])


def _count_training(work, config, data, net: _Network, decoded: bool, overlapped: bool):
    """Training and evaluating the network, and decoding from its features."""
    f, order, full, tasks = net.flops, net.order, net.full, net.tasks
    train_images = sum(data[t]["train"] for t in tasks)
    batch = net.spec["train"]["batch_size"]
    in_memory = train_images * _pixels(config, tasks[0]) if net.spec["train"]["in_memory"] else 0
    # a frozen trunk: one forward pass to the features its class layer is fit on
    epochs = 1 if net.spec["train"].get("frozen_trunk") else net.spec["train"]["epochs"]
    epochs = net.spec.get("snapshot", epochs)
    backward = 0 if net.spec["train"].get("frozen_trunk") else 2 * full
    _count(
        work,
        "train",
        1,
        epochs * train_images,
        (full + backward) * epochs * train_images,
        RUNTIME + 16 * net.weights + 2 * batch * net.activations + in_memory,
    )
    if "snapshot" in net.spec:  # ranked and lesioned, not evaluated
        return
    test = net.test_images
    _count(work, "evaluate", 1, test, full * test, net.inference_memory(test))
    if decoded:
        held = sum(data[d]["heldout"] for d in config["decode"]["datasets"])
        upto = sum(f[k] for k in order[:-1])
        _count(work, "decode", 1, held, upto * held, net.inference_memory(held))
    if overlapped:
        held = sum(data[t]["heldout"] for t in tasks)
        upto = sum(f[k] for k in order[:-1])
        _count(work, "overlap", 1, held, upto * held, net.inference_memory(held))


def _count_ranking(work, config, net: _Network):
    """Ranking each layer's units on every ranked task, and lesioning them."""
    f, order, full, test_images = net.flops, net.order, net.full, net.test_images
    relevance = config["relevance"]
    rankings = len(net.tasks) + len(split_tasks(config, net.name))
    lesion_sizes = len(config["lesion"]["fractions"])
    conditions = 1 + lesion_sizes * (rankings + config["lesion"]["random_draws"])
    units = unit_counts(net.spec["arch"])
    for layer in relevance["layers"] or lesionable(net.spec["arch"]):
        i = order.index(layer)
        # a candidate costs one input channel's share of the next layer (the fast engine
        # subtracts that term) and every layer above it
        above = f[order[i + 1]] / units[layer] + sum(f[k] for k in order[i + 2 :])
        group = group_size(
            units[layer],
            relevance["fraction"],
            relevance["group_fraction"],
            relevance["max_steps"],
        )
        steps = candidates_per_step(units[layer], group, relevance["fraction"])
        per_step = 2 * full  # the loss before and after the step's group is zeroed
        if relevance["engine"] == "pruned":
            kept = shortlist_size(relevance["candidates"], group)
            steps = [min(c, kept) for c in steps]
            # its first-order pass: a forward pass and, above the layer, a backward pass (about
            # twice a forward)
            per_step += full + 2 * sum(f[k] for k in order[i + 1 :])
        images = relevance["images"]
        flops = images * (sum(steps) * above + len(steps) * per_step)
        # the network on a batch of the step's images, the engine's candidate chunks on the CPU
        # (on CUDA a sixteenth of the GPU's memory), and the step's images, held at once: as
        # stored, as float32, and cropped to the input size and normalised (two copies)
        chunks = 3 * 64 * 2**20
        stored, size = _pixels(config, net.tasks[0]), net.spec["arch"]["input_size"]
        held = images * (5 * stored + 24 * size * size)
        memory = net.inference_memory(images, relevance["batch_size"]) + chunks + held
        _count(
            work, "relevance", rankings, rankings * images * len(steps), rankings * flops, memory
        )
        below = sum(f[k] for k in order[:i])
        lesion_flops = test_images * (below + conditions * sum(f[k] for k in order[i:]))
        memory = net.inference_memory(test_images, config["lesion"]["batch_size"])
        _count(work, "lesion", 1, test_images * conditions, lesion_flops, memory)


def _count_visualizing(work, config, data, net: _Network):
    """The units' selectivity on the readout's held-out images, and their visualisation."""
    readout = config["readout"]
    held = data[readout["face"]]["heldout"] + data[readout["object"]]["heldout"]
    _count(work, "selectivity", 1, held, held * net.full, net.inference_memory(held))
    vis = config["visualize"]
    units = unit_counts(net.spec["arch"])
    for layer in vis["layers"]:
        upto = sum(net.flops[k] for k in net.order[: net.order.index(layer) + 1])
        # up to `units` of each of three groups and as many random units, each once
        drawn = units[layer] if vis["units"] == "all" else 4 * vis["units"]
        n = vis["restarts"] * min(drawn, units[layer])
        memory = RUNTIME + 4 * net.weights + 3 * n * net.activations
        # a step: forward, and backward to the input only (no weight gradients)
        _count(work, "visualize", 1, n, 2 * vis["steps"] * n * upto, memory)


def _readout_phase(config: dict, data: dict, gflops: dict) -> dict:
    """Training the readout on the held-out classes of its two tasks."""
    readout = config["readout"]
    arch = config["archs"][readout["arch"]]
    held = data[readout["face"]]["heldout"] + data[readout["object"]]["heldout"]
    f_readout = sum(forward_flops(arch, 2).values())
    passes = readout["epochs"] * held
    # every held-out image as a normalised float32 tensor, then the training state
    images = held * 4 * 3 * arch["input_size"] ** 2
    memory = RUNTIME + 16 * _weights(arch, 2) + readout["batch_size"] * _activation_bytes(arch)
    memory += images
    return _phase(gflops, "readout", 1, passes, 3 * f_readout * passes, kind="train", memory=memory)


class _Traced:
    """What the plan needs of a model of another family, from one forward pass of a meta
    tensor (no weights): per unit layer the FLOPs of its conv and linear modules, the weights,
    and the bytes of every module's output for one image."""

    def __init__(self, arch: dict, num_classes: int):
        import torch  # only for the families that need it: the plan of a VGG imports none
        from torch import nn

        from .families import build
        from .units import class_layer

        names = [*lesionable(arch), class_layer(lambda: build(arch, 2), arch["input_size"])]
        with torch.device("meta"):
            model = build(arch, num_classes)
        self.flops = dict.fromkeys(names, 0.0)
        self.weights = float(sum(p.numel() for p in model.parameters()))
        sizes = []

        def record(module, inputs, output):
            sizes.append((inputs[0].numel(), output.numel()))
            if isinstance(module, nn.Conv2d):
                per_output = module.weight[0].numel()
            elif isinstance(module, nn.Linear):
                per_output = module.in_features
            else:
                return
            path = paths[module]
            # A conv run twice is no unit layer of its own: its work goes to the layer before.
            owner[0] = next((n for n in names if path == n or path.startswith(f"{n}.")), owner[0])
            self.flops[owner[0]] += 2.0 * output.numel() * per_output

        owner = [names[0]]
        paths = {m: p for p, m in model.named_modules()}
        leaves = [m for m in paths if not any(True for _ in m.children())]
        handles = [m.register_forward_hook(record) for m in leaves]
        size = arch["input_size"]
        with torch.no_grad():
            model.eval()(torch.empty(1, 3, size, size, device="meta"))
        for h in handles:
            h.remove()
        self.inference_bytes = 4.0 * max(i + o for i, o in sizes)
        self.activation_bytes = 4.0 * (3 * size * size + sum(o for _, o in sizes))


@functools.cache
def _traced_json(arch: str, num_classes: int) -> _Traced:
    return _Traced(json.loads(arch), num_classes)


def _traced(arch: dict, num_classes: int = 2) -> _Traced:
    return _traced_json(json.dumps(arch, sort_keys=True), num_classes)


def _weights(arch: dict, num_classes: int) -> float:
    if arch.get("family", "vgg") != "vgg":
        return _traced(arch, num_classes).weights
    channels, n = 3, 0
    for stage in arch["stages"]:
        for width in stage:
            n += channels * width * 9 + width
            channels = width
    features = channels * (arch["input_size"] // 2 ** len(arch["stages"])) ** 2
    for width in [*arch["fc"], num_classes]:
        n += features * width + width
        features = width
    return float(n)


def _inference_bytes(arch: dict) -> float:
    """float32 bytes of the largest layer input and output together, for one image: the peak of
    a forward pass without gradients."""
    if arch.get("family", "vgg") != "vgg":
        return _traced(arch).inference_bytes
    size, channels, peak = arch["input_size"], 3, 0
    for stage in arch["stages"]:
        for width in stage:
            peak = max(peak, size * size * (channels + width))
            channels = width
        size //= 2
    return 4.0 * max(peak, channels * size * size + max(arch["fc"], default=0))


def _activation_bytes(arch: dict) -> float:
    """float32 bytes of every layer's output for one image (kept for the backward pass)."""
    if arch.get("family", "vgg") != "vgg":
        return _traced(arch).activation_bytes
    size, total = arch["input_size"], 3 * arch["input_size"] ** 2
    for stage in arch["stages"]:
        for width in stage:
            total += size * size * width * 2  # conv output and its ReLU
        size //= 2
    total += sum(arch["fc"]) * 2
    return 4.0 * total


def slurm_resources(profile: Path) -> list[dict]:
    """Partition, runtime and memory per rule, from the profile's set-resources over its
    default-resources, with the site values of its __definitions__ (`name = "value"`)."""
    text = yaml.safe_load(profile.read_text())
    sites = dict(
        (name.strip(), value.split("#")[0].strip().strip('"'))
        for name, _, value in (d.partition("=") for d in text.get("__definitions__", []))
    )
    default = text.get("default-resources", {})
    rows = []
    for rule, resources in text.get("set-resources", {}).items():
        merged = {**default, **resources}
        rows.append(
            {
                "rule": rule,
                "partition": sites.get(str(merged.get("slurm_partition", "")).lstrip("?"), ""),
                "runtime_min": merged.get("runtime"),
                "mem_mb": merged.get("mem_mb"),
            }
        )
    return rows


def load(*configfiles, schema=REPO / "config" / "schema.yaml") -> dict:
    """The config of the files merged in order, key by key, as Snakemake merges --configfile's."""
    config = {}
    for path in configfiles:
        with open(path) as f:
            config = deep_merge(config, yaml.safe_load(f))
    return validate(config, schema)


def report(
    result: dict, resources: list[dict], gflops: dict, parallel: int, rates: dict, rates_from: str
) -> str:
    ranking = f", ranking {gflops['rank']:g}" if "rank" in gflops else ""
    loader = result["loader"]
    lines = [
        f"Throughput: training {gflops['train']:g} GFLOP/s, inference {gflops['infer']:g}"
        f"{ranking} GFLOP/s per device; {parallel} job(s) at a time; {STARTUP:g} s start-up per "
        "job.",
        f"CPU rates per core, measured ({rates_from}): preparing "
        f"{rates['prepare_png'] * 1000:.2f} ms per generated PNG, "
        f"{rates['prepare_jpeg'] * 1000:.2f} ms per JPEG of the published sizes; the shard "
        f"loader {rates['loader']:,.0f} images/s at 224 px with augmentation. Training at "
        f"{gflops['train']:g} GFLOP/s takes {loader['needed']:,.0f} images/s: "
        f"{loader['cores']:.1f} cores of loading per training job.",
        "",
        f"{'phase':<20}{'jobs':>7}{'images':>14}{'TFLOP':>16}{'device h':>10}{'peak GB':>9}",
    ]
    for r in result["phases"]:
        lines.append(
            f"{r['phase']:<20}{r['jobs']:>7}{r['images']:>14,}{r['tflop']:>16,.2f}"
            f"{r['device_hours']:>10.2f}{r['peak_memory_gb']:>9.2f}"
        )
    lines += [
        f"{'total':<20}{'':>37}{result['device_hours']:>10.2f}",
        f"Wall time with {parallel} at a time: {result['wall_hours']:.2f} h.",
        "",
        "Prepared data (uint8 shards; the DVC cache holds a second copy unless its link type is "
        "reflink, hardlink or symlink):",
    ]
    for d in result["disk"]:
        lines.append(f"  {d['dataset']:<18}{d['images']:>12,} images {d['gb']:>9.2f} GB")
    total = sum(d["gb"] for d in result["disk"])
    lines += [f"  {'total':<18}{'':>19}{total:>9.2f} GB", "", "SLURM resources per rule:"]
    for r in resources:
        lines.append(
            f"  {r['rule']:<12} partition {r['partition']:<14} runtime {r['runtime_min']} min, "
            f"{r['mem_mb']} MB"
        )
    return "\n".join(lines)


def add_arguments(p) -> None:
    p.add_argument(
        "--configfile",
        nargs="+",
        default=["config/config.yaml"],
        help="config file(s), merged in order as Snakemake merges them",
    )
    p.add_argument(
        "--gflops",
        type=float,
        nargs=2,
        default=[128.0, 169.0],
        metavar=("TRAIN", "INFER"),
        help="achieved GFLOP/s of training and inference on one device (default: this "
        "project's 2-core development machine, benchmarks/bench_train.py)",
    )
    p.add_argument(
        "--measured",
        nargs="+",
        default=[],
        help="JSON files of measured rates: benchmarks/bench_gpu.py's (its training, inference "
        "and ranking GFLOP/s replace --gflops) and benchmarks/rehearsal.sh's rates.json (its "
        "JPEG and loader rates replace the development machine's)",
    )
    p.add_argument("--parallel", type=int, default=1, help="jobs running at once (devices)")
    p.add_argument(
        "--profile",
        default="slurm",
        help="the SLURM profile to read: its folder, as Snakemake's --profile takes it, or its "
        "config.yaml",
    )


def main(args) -> list:
    gflops, rates = {"train": args.gflops[0], "infer": args.gflops[1]}, dict(RATES)
    rates_from = "the 2-core development machine, benchmarks/rehearsal.sh"
    for path in args.measured:
        measured = json.loads(Path(path).read_text())
        gflops = measured.get("gflops", gflops)
        if "rates" in measured:
            rates.update(measured["rates"])
            rates_from = f"JPEG and loader rates from {path}"
    result = plan(load(*args.configfile), gflops, args.parallel, rates)
    profile = Path(args.profile)
    resources = slurm_resources(profile / "config.yaml" if profile.is_dir() else profile)
    print(report(result, resources, gflops, args.parallel, rates, rates_from))
    return []
