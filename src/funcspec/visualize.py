"""Feature visualisation: the image a unit prefers, found by gradient ascent from seeded noise
(the authors' recipe, docs/methods.md), for face-only, object-only and shared units (the top of
the two tasks' rankings) and for random units of the same layer, their null.

Objective: the L2 norm of the unit's whole activation map (a single value for an FC unit) minus
`decay` times the L2 norm of the image. Each step shifts the image by a random jitter, adds the
gradient scaled to a fixed length, shifts it back and clamps it to the valid pixel range; every
`blur_every` steps it is blurred. Units are optimised together in one batch, but each from its
own noise and on its own objective: without batch norm, images in a batch do not interact.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from . import arguments, streams
from .atomic import atomic_path
from .data import normalise
from .errors import FuncspecError
from .gpu import pick_device
from .tables import GROUPS, unit_groups
from .train import load_model

LOW, HIGH = normalise(torch.tensor(0.0)).item(), normalise(torch.tensor(255.0)).item()


def visualize(
    model_path,
    relevance_paths,
    layer: str,
    out,
    *,
    face_task: str,
    object_task: str,
    fraction: float,
    units: int | None,
    restarts: int,
    steps: int,
    step: float,
    jitter: float,
    blur_sigma: float,
    blur_every: int,
    decay: float,
    seed: int,
    threads: int = 1,
) -> None:
    """The visualize step: the preferred images of up to `units` units of each group of
    `layer` (face-only, object-only, shared; None: all), drawn at random (`chosen`), and of as
    many random units of the layer (`random`), each unit once per restart, with the activation
    each image reaches and the activation of its starting noise."""
    torch.set_num_threads(threads)
    device = pick_device()
    model, saved = load_model(model_path, device)
    model.requires_grad_(False)
    rankings = {}
    for path in relevance_paths:
        ranking = json.loads(Path(path).read_text())
        if ranking["layer"] != layer:
            raise FuncspecError(f"{path} ranks layer {ranking['layer']}, not {layer}")
        rankings[ranking["task"]] = ranking
    missing = {face_task, object_task} - set(rankings)
    if missing:
        raise FuncspecError(f"no ranking of {layer} for task {', '.join(sorted(missing))}")
    face, obj = rankings[face_task], rankings[object_task]
    n_units = face["n_units"]
    groups = unit_groups(face["order"], obj["order"], n_units, fraction)
    drawn = streams.rng("visualize_units", seed, saved["network"], layer)
    chosen = set()
    for group in GROUPS:
        members = [u for u in range(n_units) if groups[u] == group]
        chosen.update(_draw(members, units, drawn))
    random = set(_draw(list(range(n_units)), units, drawn))
    targets = sorted(chosen | random)
    pixels, noise, reached, began = [], [], [], []
    for restart in range(restarts):
        start = starting_noise(targets, model.input_size, seed, layer, restart).to(device)
        image = preferred_images(
            model,
            layer,
            targets,
            start,
            steps=steps,
            step=step,
            jitter=round(jitter * model.input_size),
            blur_sigma=blur_sigma,
            blur_every=blur_every,
            decay=decay,
            shifts=streams.rng("visualize_jitter", seed, layer, restart),
        )
        pixels.append(to_pixels(image))
        noise.append(to_pixels(start))
        with torch.no_grad():
            for shown, into in ((pixels[-1], reached), (noise[-1], began)):
                x = normalise(from_pixels(shown, device))
                into.append(unit_activation(model, layer, x, targets).cpu().numpy())
    rank = {task: {u: i + 1 for i, u in enumerate(r["order"])} for task, r in rankings.items()}
    with atomic_path(out) as tmp, open(tmp, "wb") as f:
        np.savez_compressed(
            f,
            network=saved["network"],
            layer=layer,
            unit=np.tile(targets, restarts),
            restart=np.repeat(np.arange(restarts), len(targets)),
            group=np.tile([groups[u] for u in targets], restarts),
            chosen=np.tile([u in chosen for u in targets], restarts),
            random=np.tile([u in random for u in targets], restarts),
            face_rank=np.tile([rank[face_task].get(u, 0) for u in targets], restarts),
            object_rank=np.tile([rank[object_task].get(u, 0) for u in targets], restarts),
            images=np.concatenate(pixels),
            start=np.concatenate(noise),
            activation=np.concatenate(reached),
            start_activation=np.concatenate(began),
        )


def _draw(members: list[int], units: int | None, rng: np.random.Generator) -> list[int]:
    if units is None or len(members) <= units:
        return members
    return rng.choice(members, units, replace=False).tolist()


def starting_noise(units, size: int, seed: int, layer: str, restart: int = 0) -> torch.Tensor:
    """Each unit's own Gaussian noise image for this restart (the authors' randn), whatever
    else is optimised, clamped to the pixel range as their first step clamps it: the start is a
    valid image."""
    noise = torch.stack(
        [
            torch.randn(
                3,
                size,
                size,
                generator=streams.torch_generator("visualize_start", seed, layer, u, restart),
            )
            for u in units
        ]
    )
    return noise.clamp(LOW, HIGH)


def unit_activation(model, layer: str, x: torch.Tensor, units) -> torch.Tensor:
    """The L2 norm of image i's activation map of unit units[i] in `layer`."""
    maps = model(x, stop=layer)
    rows = torch.arange(len(units), device=maps.device)
    own = maps[rows, torch.as_tensor(units, device=maps.device)]
    return own.reshape(len(units), -1).norm(dim=1)


def preferred_images(
    model,
    layer: str,
    units,
    start: torch.Tensor,
    *,
    steps: int,
    step: float,
    jitter: int,
    blur_sigma: float,
    blur_every: int,
    decay: float,
    shifts: np.random.Generator,
) -> torch.Tensor:
    """Gradient ascent on each image's own unit; normalised inputs, clamped to the pixel range.

    `step` is the root-mean-square change per input value of one step: the whole step has L2
    length step * sqrt(values), the same per value at any image size.
    """
    x = start.clone()
    length = step * x[0].numel() ** 0.5
    for t in range(steps):
        dy, dx = (int(v) for v in shifts.integers(0, jitter + 1, size=2))
        x = torch.roll(x, (dy, dx), dims=(2, 3)).requires_grad_(True)
        objective = unit_activation(model, layer, x, units) - decay * x.flatten(1).norm(dim=1)
        (grad,) = torch.autograd.grad(objective.sum(), x)
        norm = grad.flatten(1).norm(dim=1).clamp_min(1e-12)[:, None, None, None]
        x = torch.roll(x.detach() + length * grad / norm, (-dy, -dx), dims=(2, 3))
        x = x.clamp(LOW, HIGH)
        if t % blur_every == 0:
            x = blur(x, blur_sigma)
    return x


def blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """Gaussian blur over height and width, on x's device: scipy's gaussian_filter1d along each
    (the authors' blur), whose kernel reaches int(4 sigma + 0.5) pixels and whose edges reflect
    (d c b a | a b c d)."""
    radius = int(4 * sigma + 0.5)
    taps = torch.arange(-radius, radius + 1, dtype=torch.float64, device=x.device)
    kernel = torch.exp(-0.5 * (taps / sigma) ** 2)
    kernel = (kernel / kernel.sum()).to(x.dtype)
    channels = x.shape[1]
    for dim in (2, 3):
        n = x.shape[dim]
        # half-sample symmetric edges; at most n pixels of it, as scipy's reflect gives
        index = torch.arange(-radius, n + radius, device=x.device)
        index = torch.where(index < 0, -index - 1, index)
        index = torch.where(index >= n, 2 * n - index - 1, index).clamp(0, n - 1)
        shape = (1, 1, -1, 1) if dim == 2 else (1, 1, 1, -1)
        weight = kernel.view(shape).repeat(channels, 1, 1, 1)
        x = F.conv2d(x.index_select(dim, index), weight, groups=channels)
    return x


def to_pixels(x: torch.Tensor) -> np.ndarray:
    """Normalised (N, 3, H, W) -> uint8 (N, H, W, 3), the layout of prepared images."""
    pixels = ((x * 0.5 + 0.5) * 255.0).round().clamp(0, 255).to(torch.uint8)
    return pixels.permute(0, 2, 3, 1).cpu().numpy()


def from_pixels(pixels: np.ndarray, device="cpu") -> torch.Tensor:
    return torch.from_numpy(pixels).to(device).permute(0, 3, 1, 2).float()


INPUTS = ("model", "relevance")


def add_arguments(p) -> None:
    p.add_argument("--model", required=True)
    p.add_argument("--relevance", nargs="+", required=True, help="ranking JSONs of this layer")
    p.add_argument("--layer", required=True)
    arguments.unit_groups(p)
    p.add_argument("--units", required=True, help="units drawn per group, or 'all'")
    p.add_argument("--restarts", type=int, required=True, help="images per unit, each its noise")
    p.add_argument("--steps", type=int, required=True, help="gradient-ascent steps")
    p.add_argument("--step", type=float, required=True, help="RMS change per input value")
    p.add_argument("--jitter", type=float, required=True, help="largest shift / input size")
    p.add_argument("--blur-sigma", type=float, required=True, help="Gaussian blur, in pixels")
    p.add_argument("--blur-every", type=int, required=True, help="steps between blurs")
    p.add_argument("--decay", type=float, required=True, help="weight of the image's L2 norm")
    p.add_argument("--seed", type=int, required=True)
    arguments.compute(p)
    p.add_argument("--out", required=True, help="images and activations (.npz)")


def main(args) -> list:
    visualize(
        args.model,
        args.relevance,
        args.layer,
        args.out,
        face_task=args.face_task,
        object_task=args.object_task,
        fraction=args.fraction,
        units=None if args.units == "all" else int(args.units),
        restarts=args.restarts,
        steps=args.steps,
        step=args.step,
        jitter=args.jitter,
        blur_sigma=args.blur_sigma,
        blur_every=args.blur_every,
        decay=args.decay,
        seed=args.seed,
        threads=args.threads,
    )
    return [args.out]
