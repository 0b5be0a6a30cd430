"""Unit relevance: greedy, loss-based ranking of one layer's units for one task (the lesion
method of Dobs et al. 2022).

At each step every not-yet-chosen unit is ablated together with the already chosen ones, the
task's mean cross-entropy is measured on that step's images, and the k = max(1, int(group_fraction
* N)) units whose ablation raises the loss most join the chosen set, in descending loss order;
steps repeat until more than fraction * N units are chosen. `max_steps` caps the cost: the group
grows to k = max(k, floor(fraction * N / max_steps) + 1), so the fraction is still reached, in at
most that many steps (a coarser greedy, never a truncated ranking).

Two engines give the same ranking:
- `rank_reference`, the naive algorithm: one full forward pass per candidate.
- `rank_fast`: the layers below the lesioned one run once per step (`LayerInputs`), and since the
  next layer is linear in each channel of the lesioned layer's output A, each candidate's effect
  on the next pre-activation is a subtraction, Z_c = Z - W[:, c] * A[:, c]; only the network above
  the next layer's linear part runs per candidate, for many candidates at once.

A third, `rank_pruned`, evaluates fewer candidates: at each step one backward pass gives every
candidate's first-order loss change (`first_order_losses`), and only the M it predicts to matter
most are evaluated exactly, as the fast engine does; the group is chosen from those exact losses.
When M covers every candidate it is the fast engine, byte for byte.

Their losses agree within LOSS_TOLERANCE: the fast engine's float32 activations are the same sums
taken in another order (a subtraction instead of a recomputation), a few ulps apart. Losses are
computed in float64 from the logits, so the loss adds no rounding of its own; on the wide net the
engines differed by at most 1.6e-6 with logits up to 60, and 1e-5 leaves a 6x margin. Candidates
whose losses tie within it may be ranked in either order. (On CUDA, with TF32 or bf16 (config
`gpu`), expect ~1000x larger differences or more: rankings are compared with both off.)
"""

from __future__ import annotations

import json
from contextlib import nullcontext
from functools import partial
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from tqdm import tqdm

from . import arguments, machine, numerics, streams
from .ablation import ablated
from .atomic import atomic_path, fingerprint, resumable, write_json
from .codedigest import code_digest
from .data import centre_crop, normalise, to_input
from .errors import FuncspecError
from .gpu import FLOAT32, Precision, autocast, effective
from .grouping import candidates_per_step, group_size, parse_candidates, shortlist_size
from .mapped import Mapped
from .models import VGG
from .shards import sha256_file
from .tasks import task_groups
from .train import data_digests, load_network
from .versions import software

LOSS_TOLERANCE = 1e-5

# Elements of the next layer's pre-activation per candidate chunk on the CPU (64 MiB in float32):
# large enough to keep the matrix kernels busy, small enough that the activations above stay in
# memory.
_CHUNK_ELEMENTS = 2**24


def chunk_elements(device: torch.device) -> int:
    """Elements of the next layer's pre-activation per candidate chunk: on CUDA as many as fill
    a sixteenth of the GPU's memory in float32, at most 2^30. The activations above take at most
    as much again in VGG (each stage halves the elements per image), except above the penultimate
    layer, where the chunk is the class scores and the losses take float64 copies: about five
    times the chunk, a third of the GPU. Sized from the total, not the free memory, so that a
    ranking is chunked alike in every run on one kind of GPU: the GPU must be the job's own."""
    if device.type != "cuda":
        return _CHUNK_ELEMENTS
    return min(2**30, torch.cuda.get_device_properties(device).total_memory // (4 * 16))


def relevance(
    model_path,
    data: dict,
    task: str,
    layer: str,
    out,
    *,
    fraction: float,
    group_fraction: float,
    max_steps: int | None,
    images: int,
    fresh_images: bool,
    engine: str,
    batch_size: int,
    seed: int,
    candidates: int | str | None = None,
    split_seed: int | None = None,
    threads: int = 1,
    precision: Precision = FLOAT32,
) -> None:
    """The relevance step: rank `layer`'s units for `task` of the network at `model_path`, on
    its training images, and write the ranking with every setting that shaped it and the images
    each step scored (`step_images`: indices into the network's pooled training images).
    `candidates`: the pruned engine's M (and only its)."""
    if (engine == "pruned") != (candidates is not None):
        raise FuncspecError("--candidates goes with --engine pruned, and only with it")
    model, saved, pooled, device = load_network(model_path, data, "train", threads, precision)
    groups = task_groups(saved, split_seed, [task])
    if task not in groups:
        raise FuncspecError(f"{model_path} has no task {task!r} (has {', '.join(groups)})")
    pool = np.flatnonzero(np.isin(pooled.labels, groups[task]))
    step_images = image_sampler(pool, images, seed, fresh_images)

    def batch(step):
        idx = step_images(step)
        x = normalise(centre_crop(to_input(pooled.images(idx), device), model.input_size))
        return x, torch.from_numpy(pooled.labels[idx]).to(device)

    # The settings that shape the ranking besides the engine's own (layer, fractions,
    # max_steps, candidates), which it records itself.
    settings = {
        "task": task,
        "split_seed": split_seed,
        "images": images,
        "fresh_images": fresh_images,
        "seed": seed,
        "engine": engine,
        "batch_size": batch_size,
    }
    inputs = {
        "config": settings,
        "model": sha256_file(model_path),
        "data": data_digests(data),
        "code": code_digest("relevance"),
        "software": software(),
        "precision": vars(effective(device, precision)),
        "numerics": numerics.mode(),
    }
    refused = model.unstacked(layer) if engine != "reference" else None
    if refused:
        tqdm.write(f"{refused}: ranking with the reference engine (the ranking's method)")
        engine, candidates = "reference", None
    options = {"candidates": candidates} if engine == "pruned" else {}
    out = Path(out)
    partial = out.with_name(f".{out.name}.partial")
    with autocast(device, precision):
        result = ENGINES[engine](
            model,
            layer,
            batch,
            fraction=fraction,
            group_fraction=group_fraction,
            max_steps=max_steps,
            batch_size=batch_size,
            checkpoint=partial,
            inputs=inputs,
            progress=True,
            **options,
        )
    used = [step_images(step).tolist() for step in range(len(result["steps"]))]
    result.update(
        network=saved["network"], images_per_step=len(used[0]), **settings, step_images=used
    )
    write_json(out, result)
    partial.unlink(missing_ok=True)


def image_sampler(pool: np.ndarray, n: int, seed: int, fresh: bool):
    """`step -> sorted image indices` the greedy step is scored on: n of `pool` (all of it when
    smaller), drawn afresh for every step when `fresh`, else the same for all steps. A step's
    draw depends on (seed, step) alone, so a resumed ranking scores each step on the images an
    uninterrupted one would have used."""

    def step_images(step: int) -> np.ndarray:
        rng = streams.rng("relevance_images", seed, step if fresh else 0)
        return np.sort(rng.choice(pool, size=min(n, len(pool)), replace=False))

    return step_images


def rank_reference(
    model: VGG,
    layer: str,
    images,
    fraction=0.2,
    group_fraction=0.016,
    max_steps=None,
    batch_size=128,
    checkpoint=None,
    inputs=None,
    progress=False,
) -> dict:
    """The naive ranking: a full forward pass of the network per candidate.

    `checkpoint`: a JSON file the steps are saved to as they are made, and resumed from.
    `inputs`: {part: JSON value} of what else the ranking depends on (the model's and the
    images' content, their settings, the code): a checkpoint written for others is not resumed.
    """
    return _greedy("reference", _reference_losses, **locals())  # locals(): the parameters


def rank_fast(
    model: VGG,
    layer: str,
    images,
    fraction=0.2,
    group_fraction=0.016,
    max_steps=None,
    batch_size=128,
    candidate_batch=None,
    checkpoint=None,
    inputs=None,
    progress=False,
    candidates=None,
) -> dict:
    """The same ranking as `rank_reference`, reusing everything a candidate does not change.

    `candidate_batch` candidates are evaluated per pass (stacked along the batch dimension);
    None picks as many as fit (`chunk_elements`). `candidates`: see `rank_pruned`.
    """
    settings = dict(locals())  # the parameters
    score = partial(_fast_losses, candidate_batch=settings.pop("candidate_batch"))
    return _greedy("fast" if candidates is None else "pruned", score, **settings)


def rank_pruned(model: VGG, layer: str, images, candidates="4 groups", **ranking) -> dict:
    """The fast engine on a shortlist: each step evaluates exactly only the M = `candidates`
    (a unit count, "<k> groups": k group sizes, or "<k> groups, at least <n>") that
    `first_order_losses` ranks first, and chooses the group from their exact losses. M must
    hold a group. `ranking`: the other arguments of `rank_fast`, by name."""
    return rank_fast(model, layer, images, candidates=candidates, **ranking)


def rank_audited(
    model: VGG,
    layer: str,
    images,
    fraction=0.2,
    group_fraction=0.016,
    max_steps=None,
    batch_size=128,
    progress=False,
    next_layer=False,
) -> dict:
    """The exact fast ranking, each step also noting where its group stands in the pruned
    engine's first-order order from the same state: `first_order_ranks`, each added unit's
    place (0: predicted to matter most). A unit is in a shortlist of M exactly when its rank is
    below M, so one audit gives the recall of every M. (Compared with a pruned ranking instead,
    a step after the two parted would measure one state's shortlist against another's group.)
    `screen_ranks`: the places in the order of the exact losses on the step's first batch
    alone, what a screen on `batch_size` of its images would shortlist (a random sample only
    if `images` gives them in random order). With `next_layer`, `next_layer_ranks`: the places
    in the order of `next_layer_losses` (which adds about 40% to a conv layer's time)."""
    settings = dict(locals())  # the parameters
    settings.pop("next_layer")
    ranks = []

    def score(model, layer, chosen, remaining, inputs, advance):
        screened = []
        first_order = first_order_order(model, layer, chosen, remaining, inputs)
        losses = _fast_losses(model, layer, chosen, remaining, inputs, advance, None, screened)
        orders = {"first_order": first_order, "screen": _by_loss(remaining, screened)}
        if next_layer:
            scored = next_layer_losses(model, layer, chosen, remaining, inputs)
            orders["next_layer"] = _by_loss(remaining, scored)
        ranks.append({k: {u: place for place, u in enumerate(o)} for k, o in orders.items()})
        return losses

    result = _greedy("fast", score, checkpoint=None, inputs=None, **settings)
    for step, places in zip(result["steps"], ranks):
        for kind, place in places.items():
            step[f"{kind}_ranks"] = [place[u] for u in step["added"]]
    return result


def _by_loss(units: list[int], losses: list[float]) -> list[int]:
    """`units`, the highest loss first; ties keep `units`' order."""
    return [units[i] for i in sorted(range(len(units)), key=lambda i: -losses[i])]


def recall(audited: dict, kept: int, ranks="first_order_ranks") -> list[float]:
    """Per step of an audited ranking, the share of its group among the first `kept` units of
    the first-order order (or of `ranks`' order): what a pruned step from the same state would
    have evaluated."""
    return [sum(r < kept for r in step[ranks]) / len(step["added"]) for step in audited["steps"]]


def disagreement(ref: dict, other: dict, tolerance=LOSS_TOLERANCE) -> str | None:
    """Where two rankings of one layer differ beyond ties within `tolerance`; None if nowhere.

    A tie at a group's boundary may send two engines down different, equally valid paths, so
    the comparison ends at such a tie.
    """

    def close(a, b):
        return abs(a - b) <= tolerance

    for key in ("layer", "n_units", "group_size"):
        if ref[key] != other[key]:
            return f"{key}: {ref[key]} != {other[key]}"
    if not close(ref["baseline_loss"], other["baseline_loss"]):
        return f"baseline loss {ref['baseline_loss']} != {other['baseline_loss']}"
    for a, b in zip(ref["steps"], other["steps"]):
        where = f"{ref['layer']} step {a['step']}"
        # The k largest losses are the same numbers whichever tied unit carries them.
        if not all(map(close, a["losses"], b["losses"])) or not close(a["loss"], b["loss"]):
            return f"{where}: losses {a['losses']}, {a['loss']} != {b['losses']}, {b['loss']}"
        if set(a["added"]) != set(b["added"]):
            # A unit only one ranking chose must tie with the group's last (lowest) loss.
            untied = [
                u
                for x, y in ((a, b), (b, a))
                for u in set(x["added"]) - set(y["added"])
                if not close(x["losses"][x["added"].index(u)], x["losses"][-1])
            ]
            return f"{where}: units {untied} chosen by one ranking only" if untied else None
        for j, u in enumerate(a["added"]):
            if not close(a["losses"][j], b["losses"][b["added"].index(u)]):
                return f"{where}: unit {u} has loss {a['losses'][j]} in one ranking only"
    if len(ref["steps"]) != len(other["steps"]):
        return f"{len(ref['steps'])} steps != {len(other['steps'])}"
    return None


def _greedy(
    method,
    score,
    model,
    layer,
    images,
    fraction,
    group_fraction,
    max_steps,
    batch_size,
    checkpoint,
    inputs,
    progress,
    candidates=None,
) -> dict:
    """The ranking every engine gives, `score` their losses of the candidates. Called with the
    engine's own arguments (all but candidate_batch), by name. `candidates`: the pruned engine's
    M; None evaluates every candidate."""
    names = model.layer_names
    if layer not in names:
        raise FuncspecError(f"unknown layer {layer!r} (layers: {', '.join(names)})")
    if layer == names[-1]:
        raise FuncspecError(
            f"{layer} is the class layer: its units are classes, not features, "
            "so it cannot be ranked"
        )
    n_units = model.units(layer)
    group = group_size(n_units, fraction, group_fraction, max_steps)
    kept = None if candidates is None else shortlist_size(candidates, group)
    if kept is not None and kept < group:
        raise FuncspecError(
            f"candidates: {candidates} is fewer than {layer}'s group of {group} units; "
            "a step could not choose its group"
        )
    params = {
        "layer": layer,
        "n_units": n_units,
        "group_size": group,
        "fraction": fraction,
        "group_fraction": group_fraction,
        "max_steps": max_steps,
        "candidates": candidates,
        "shortlist": kept,  # M in units, None: every candidate
    }
    made_from = fingerprint({"ranking": params, **(inputs or {})})
    state = _resume(checkpoint, made_from) or {"order": [], "steps": [], "baseline_loss": None}
    plan = [min(c, kept or c) for c in candidates_per_step(n_units, group, fraction)]
    parameter = next(model.parameters())

    was_training = model.training
    model.eval()
    try:
        with (
            torch.no_grad(),
            tqdm(
                total=sum(plan),
                initial=sum(plan[: len(state["steps"])]),
                disable=not progress,
                desc=f"ranking {layer}",
                bar_format="{l_bar}{bar}| {n:.0f}/{total} candidates [{elapsed}<{remaining}]",
            ) as bar,
        ):
            while len(state["steps"]) < len(plan):
                step = len(state["steps"])
                x, y = images(step)
                inputs = LayerInputs(
                    model,
                    layer,
                    x.to(parameter.device, parameter.dtype),
                    y.to(parameter.device),
                    batch_size,
                )
                if step == 0:
                    state["baseline_loss"] = _lesioned_loss(model, layer, [], inputs)
                chosen = state["order"]
                taken = set(chosen)
                remaining = [u for u in range(n_units) if u not in taken]
                if kept is not None:
                    remaining = shortlist(model, layer, chosen, remaining, inputs, kept)
                losses = score(model, layer, chosen, remaining, inputs, bar.update)
                # Stable sort: exact ties go to the lower unit id in every engine.
                added = _by_loss(remaining, losses)[:group]
                state["order"] = chosen + added
                loss = _lesioned_loss(model, layer, state["order"], inputs)
                state["steps"].append(
                    {
                        "step": step,
                        "added": added,
                        "losses": [losses[remaining.index(u)] for u in added],
                        "loss": loss,
                    }
                )
                bar.set_postfix(step=step, loss=f"{loss:.4f}")
                if checkpoint is not None:
                    _save(checkpoint, made_from, state)
    finally:
        model.train(was_training)
    return {
        **params,
        "order": state["order"],
        "steps": state["steps"],
        "baseline_loss": state["baseline_loss"],
        "method": method,
    }


def _batches(x, y, batch_size):
    for start in range(0, len(x), batch_size):
        yield x[start : start + batch_size], y[start : start + batch_size]


class LayerInputs:
    """A step's images as `layer` receives them, batch by batch with their labels. A lesion of
    the layer leaves the network below it unchanged, so that part runs once per step where the
    step's inputs fit in twice a candidate chunk (`chunk_elements`), kept for every pass of the
    step; where they do not (the paper's 6,400 images at 224 px), once per pass."""

    def __init__(self, model: VGG | Mapped, layer: str, x, y, batch_size: int):
        self._model, self._layer = model, layer
        self.x, self.y, self.batch_size = x, y, batch_size
        self._budget = 2 * chunk_elements(x.device)
        self._kept = None

    def __len__(self) -> int:
        return len(self.x)

    def __iter__(self):
        if self._kept is not None:
            yield from self._kept
            return
        kept, size = [], 0
        for xb, yb in _batches(self.x, self.y, self.batch_size):
            with torch.no_grad():
                h = self._model.below(xb, self._layer)
            size += sum(v.numel() for v in _tensors(h))
            if size <= self._budget:
                kept.append((h, yb))
            yield h, yb
        if size <= self._budget:
            self._kept = kept


def _losses(logits, y) -> torch.Tensor:
    # In float32, log-sum-exp near log(150) has an ulp of 5e-7, the size of the loss differences
    # between candidates in an untrained net.
    return F.cross_entropy(logits.double(), y, reduction="none")


def _mean_loss(model, x, y, batch_size) -> float:
    total = sum(
        _losses(model(xb), yb).sum(dtype=torch.float64) for xb, yb in _batches(x, y, batch_size)
    )
    return (total / len(x)).item()


def _lesioned_loss(model, layer, units, inputs: LayerInputs) -> float:
    """The mean loss with `units` of `layer` lesioned: `_mean_loss`, from the layer's inputs."""
    with ablated(model, layer, units):
        total = sum(
            _losses(model.above(model.through(h, layer), h, layer), yb).sum(dtype=torch.float64)
            for h, yb in inputs
        )
    return (total / len(inputs)).item()


def _tensors(h) -> list[torch.Tensor]:
    """The tensors of what `below` gave: one (VGG) or a tuple of values (mapped.py)."""
    values = h if isinstance(h, tuple) else (h,)
    return [v for v in values if isinstance(v, torch.Tensor)]


def _reference_losses(model, layer, chosen, candidates, inputs, advance) -> list[float]:
    losses = []
    for c in candidates:
        with ablated(model, layer, chosen + [c]):
            losses.append(_mean_loss(model, inputs.x, inputs.y, inputs.batch_size))
        advance(1)
    return losses


def first_order_losses(model, layer, chosen, inputs: LayerInputs) -> torch.Tensor:
    """Every unit's rise of the mean loss, to first order, when it is zeroed beside `chosen`:
    -sum(A_c * dL/dA_c) over the images and the unit's map, A the layer's output (after its ReLU
    and pooling: what the next layer reads), L the mean loss, in one backward pass.

    A lesion zeroes the unit's channel of the layer's linear part: its pre-activation is 0 for
    every input, and through ReLU and max-pool so is its channel of A. The change is exactly
    A_c -> 0, the term the fast engine subtracts, so the gradient is taken at A. (At the
    pre-activation Z the sum is the same: ReLU passes the gradient only where A = Z, max-pool
    only to the maximum.)
    """
    _stackable(model, layer)
    total = torch.zeros(model.units(layer), dtype=torch.float64)
    with ablated(model, layer, chosen):
        for h, yb in inputs:
            with torch.no_grad():
                a = model.through(h, layer)
            a.requires_grad_()
            with torch.enable_grad():
                loss = _losses(model.above(a, h, layer), yb).sum()
                (grad,) = torch.autograd.grad(loss, a)
            term = (a.detach().double() * grad.double()).transpose(0, 1).flatten(1)
            total -= term.sum(1).cpu()
    return total / len(inputs)


def first_order_order(model, layer, chosen, remaining, inputs: LayerInputs) -> list[int]:
    """`remaining` in the order `first_order_losses` predicts them to raise the loss, most
    first; ties to the lower unit."""
    predicted = first_order_losses(model, layer, chosen, inputs)[remaining]
    return _by_loss(remaining, predicted.tolist())


def shortlist(model, layer, chosen, remaining, inputs: LayerInputs, kept) -> list[int]:
    """The first `kept` units of `first_order_order`, in unit order: the fast engine's order,
    so that exact ties break alike."""
    return sorted(first_order_order(model, layer, chosen, remaining, inputs)[:kept])


def _fast_losses(
    model, layer, chosen, candidates, inputs: LayerInputs, advance, candidate_batch, screened=None
) -> list[float]:
    """Each candidate's mean loss; `screened`, a list, receives each one's mean loss on the
    first batch alone, at no extra cost."""
    if not isinstance(model, VGG):
        return _stacked_losses(model, layer, chosen, candidates, inputs, advance, candidate_batch)
    above, head, linear, tail = _around(model, layer)
    device = inputs.x.device
    cands = torch.tensor(candidates, device=device)
    sums = torch.zeros(len(candidates), dtype=torch.float64, device=device)

    # Where the next layer is the class layer, its scores are float32 under autocast too, as in
    # VGG.forward.
    def scores():
        return torch.autocast(device.type, enabled=False) if above is None else nullcontext()

    with ablated(model, layer, chosen):
        for h, yb in inputs:
            a = model.layers[layer](h)
            with scores():
                a = a if above else a.float()
                z = linear(head(a))
                chunk = candidate_batch or max(1, chunk_elements(device) // z.numel())
                for start in range(0, len(candidates), chunk):
                    c = cands[start : start + chunk]
                    out = tail(_without_each(linear, a, z, c))
                    logits = model(out, start=above) if above else out
                    losses = _losses(logits, yb.repeat(len(c))).view(len(c), -1)
                    sums[start : start + chunk] += losses.sum(1, dtype=torch.float64)
                    advance(len(c) * len(yb) / len(inputs))
            if screened is not None and not screened:
                screened.extend((sums / len(yb)).tolist())
    return (sums / len(inputs)).tolist()


def _stacked_losses(model, layer, chosen, candidates, inputs, advance, candidate_batch):
    """Each candidate's mean loss in any traced model: copies of the lesion point's output,
    each with its candidate's channel zeroed, stacked along the batch and run through what
    depends on it (mapped.py)."""
    _stackable(model, layer)
    device = inputs.x.device
    cands = torch.tensor(candidates, device=device)
    sums = torch.zeros(len(candidates), dtype=torch.float64, device=device)
    with ablated(model, layer, chosen):
        for h, yb in inputs:
            a = model.through(h, layer)
            # Sized by all that runs above, not by `a`: at a stem the copies' activations are
            # many times `a`, and a chunk that outgrows the caches is slower than one copy.
            above = model.above_elements(a, h, layer)
            chunk = candidate_batch or max(1, chunk_elements(device) // above)
            for start in range(0, len(candidates), chunk):
                c = cands[start : start + chunk]
                copies = a.unsqueeze(0).repeat(len(c), *[1] * a.dim())
                copies[torch.arange(len(c), device=device), :, c] = 0
                logits = model.above(copies.flatten(0, 1), h, layer)
                losses = _losses(logits, yb.repeat(len(c))).view(len(c), -1)
                sums[start : start + chunk] += losses.sum(1, dtype=torch.float64)
                advance(len(c) * len(yb) / len(inputs))
    return (sums / len(inputs)).tolist()


def _stackable(model, layer) -> None:
    """Refuse an engine that works on the lesion point's output where it is not shared
    (mapped.py); the relevance step falls back to the reference engine before."""
    refused = model.unstacked(layer)
    if refused:
        raise FuncspecError(f"{refused}: rank {layer} with the reference engine")


def _around(model, layer):
    """(the layer above the next, and the next block's parts before, at and after its linear
    part): the next block is [Flatten,] linear part, nonlinearity [, pool or dropout]."""
    names = model.layer_names
    i = names.index(layer)
    above = names[i + 2] if i + 2 < len(names) else None
    nxt = model.layers[names[i + 1]]
    linear = model.unit_layer(names[i + 1])
    split = list(nxt).index(linear)
    return above, nxt[:split], linear, nxt[split + 1 :]


def next_layer_losses(model, layer, chosen, candidates, inputs: LayerInputs) -> list[float]:
    """Each candidate's rise of the mean loss, exact through the next block (its linear part,
    nonlinearity and pooling) and to first order above it: sum(G * (B_c - B)), B the next
    block's output, B_c the same with the candidate's channel removed (the fast engine's
    subtraction), G = dL/dB from one backward pass. Where the next layer is the class layer
    the rise is exact. Costs the next layer's subtraction per candidate, not the layers above."""
    above, head, linear, tail = _around(model, layer)
    device = inputs.x.device
    cands = torch.tensor(candidates, device=device)
    sums = torch.zeros(len(candidates), dtype=torch.float64)
    with ablated(model, layer, chosen):
        for h, yb in inputs:
            with torch.no_grad():
                a = model.layers[layer](h)
                z = linear(head(a))
                b = tail(z.clone())  # the ReLU is in place; z stays the pre-activation
            if above is None:
                grad, baseline = None, _losses(b, yb).sum()
            else:
                b.requires_grad_()
                with torch.enable_grad():
                    loss = _losses(model(b, start=above), yb).sum()
                    (grad,) = torch.autograd.grad(loss, b)
            chunk = max(1, chunk_elements(device) // z.numel())
            for start in range(0, len(candidates), chunk):
                c = cands[start : start + chunk]
                bc = tail(_without_each(linear, a, z, c)).reshape(len(c), *b.shape)
                if grad is None:
                    rise = _losses(bc.flatten(0, 1), yb.repeat(len(c))).view(len(c), -1).sum(1)
                    rise -= baseline
                else:
                    rise = ((bc - b.detach()) * grad).flatten(1).sum(1, dtype=torch.float64)
                sums[start : start + chunk] += rise.cpu()
    return (sums / len(inputs)).tolist()


def _without_each(linear: nn.Module, a: torch.Tensor, z: torch.Tensor, c: torch.Tensor):
    """The next layer's pre-activation with channel c of A removed, for each c: Z minus c's term
    through `linear` (its bias stays), candidates stacked along the batch, (len(c) * n, ...)."""
    n, channels = a.shape[:2]
    outputs = z.shape[1]
    if isinstance(linear, nn.Conv2d):
        # One channel's term is a product of its unfolded kernel windows (n * positions, k) with
        # W[:, c] (k, outputs): it lands in channels-last layout, which the layers above run
        # fastest in, so Z is brought into that layout too.
        positions = z.shape[2] * z.shape[3]
        windows = F.unfold(
            a[:, c].flatten(0, 1).unsqueeze(1),
            linear.kernel_size,
            linear.dilation,
            linear.padding,
            linear.stride,
        )
        windows = (
            windows.view(n, len(c), -1, positions)
            .permute(1, 0, 3, 2)
            .reshape(len(c), n * positions, -1)
        )
        rows = z.permute(0, 2, 3, 1).reshape(n * positions, outputs)
        w = linear.weight[:, c].flatten(2).permute(1, 2, 0)
        zc = torch.baddbmm(rows, windows, w, alpha=-1)
        return zc.view(len(c) * n, *z.shape[2:], outputs).permute(0, 3, 1, 2)
    # Flatten lays out (C, H, W), so channel c owns a contiguous run of H*W input features.
    w = linear.weight.view(outputs, channels, -1)[:, c].permute(1, 2, 0)
    features = a.reshape(n, channels, -1)[:, c].transpose(0, 1)
    return torch.baddbmm(z, features, w, alpha=-1).flatten(0, 1)


def _resume(checkpoint, made_from: dict) -> dict | None:
    if checkpoint is None or not Path(checkpoint).exists():
        return None
    with open(checkpoint) as f:
        saved = json.load(f)
    if not resumable(checkpoint, saved.get("fingerprint"), made_from):
        return None
    machine.note_resume(checkpoint, saved.get("machine"))
    return {k: saved[k] for k in ("order", "steps", "baseline_loss")}


def _save(checkpoint, made_from: dict, state) -> None:
    with atomic_path(checkpoint) as tmp, open(tmp, "w") as f:
        json.dump({"fingerprint": made_from, "machine": machine.facts(), **state}, f)


ENGINES = {"fast": rank_fast, "reference": rank_reference, "pruned": rank_pruned}
INPUTS = ("model", "data")


def add_arguments(p) -> None:
    arguments.network(p, "TASK=PREPARED_DIR of the network's tasks")
    arguments.gpu(p)
    p.add_argument(
        "--task", required=True, help="a task of the network, or split<p>_a / split<p>_b"
    )
    p.add_argument("--split-seed", type=int, help="seed of the random class splits (split<p>_a/b)")
    p.add_argument("--layer", required=True)
    p.add_argument(
        "--fraction", type=float, required=True, help="rank until more than this is chosen"
    )
    p.add_argument(
        "--group-fraction", type=float, required=True, help="units added per step, as a fraction"
    )
    p.add_argument("--max-steps", type=int, help="cap on greedy steps (default: none)")
    p.add_argument("--images", type=int, required=True, help="training images per step")
    p.add_argument("--fresh-images", action="store_true", help="draw new images at every step")
    p.add_argument("--engine", choices=list(ENGINES), required=True)
    p.add_argument(
        "--candidates",
        type=parse_candidates,
        help="the pruned engine's M: candidates evaluated exactly per step, a unit count, "
        "'<k> groups' (k group sizes) or '<k> groups, at least <n>'",
    )
    p.add_argument("--out", required=True, help="ranking JSON")


def main(args) -> list:
    relevance(
        args.model,
        arguments.task_dirs(args.data),
        args.task,
        args.layer,
        args.out,
        fraction=args.fraction,
        group_fraction=args.group_fraction,
        max_steps=args.max_steps,
        images=args.images,
        fresh_images=args.fresh_images,
        engine=args.engine,
        batch_size=args.batch_size,
        seed=args.seed,
        candidates=args.candidates,
        split_seed=args.split_seed,
        threads=args.threads,
        precision=Precision.of(args),
    )
    return [args.out]
