"""The lesion primitive and the greedy ranking: the fast engine equals the naive reference."""

import json
import re

import numpy as np
import pytest
import torch
import yaml
from test_train import prepare_tiny
from workflow_helpers import snakemake, workdir

from funcspec import cli, models, relevance
from funcspec.ablation import ablated
from funcspec.relevance import (
    LayerInputs,
    disagreement,
    first_order_losses,
    group_size,
    image_sampler,
    rank_audited,
    rank_fast,
    rank_pruned,
    rank_reference,
    recall,
)
from funcspec.train import train

torch.set_num_threads(1)

# conv1 -> conv2 in a stage, conv2 -> conv3 across a pool, conv3 -> fc3 through Flatten,
# fc3 -> fc4, fc4 -> the class layer fc5.
ARCH = {"stages": [[4, 6], [8]], "fc": [10, 12], "dropout": 0.5}
CLASSES = 5
HIDDEN = ["conv1", "conv2", "conv3", "fc3", "fc4"]


def net(seed, input_size=8):
    torch.manual_seed(seed)
    model = models.build(ARCH, CLASSES, input_size)
    # The paper's init gives near-zero logits and losses that differ only in the 6th digit;
    # He-scaled weights and non-zero biases give distinct losses (and exercise bias zeroing).
    for p in model.parameters():
        torch.nn.init.normal_(p, 0, (2 / p[0].numel()) ** 0.5 if p.dim() > 1 else 0.1)
    return model


def sampler(seed, input_size=8, n=48, fresh=True):
    """images(step): a fresh random batch per step, or the same batch at every step."""

    def images(step):
        g = torch.Generator().manual_seed(seed * 1000 + (step if fresh else 0))
        return (
            torch.randn(n, 3, input_size, input_size, generator=g),
            torch.randint(0, CLASSES, (n,), generator=g),
        )

    return images


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize(
    "group_fraction, fresh, input_size",
    [
        (0.016, False, 8),  # k = 1, fixed images
        (0.25, True, 8),  # k = 1, 1, 2, 2, 3
        (0.34, True, 16),  # k = 1, 2, 2, 3, 4; conv3 -> fc3 flattens 4x4 maps
    ],
)
def test_fast_ranking_equals_reference_for_every_layer(seed, group_fraction, fresh, input_size):
    model = net(seed, input_size)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    images = sampler(seed, input_size, fresh=fresh)
    for layer in HIDDEN:
        kwargs = dict(fraction=0.5, group_fraction=group_fraction, batch_size=20)
        ref = rank_reference(model, layer, images, **kwargs)
        fast = rank_fast(model, layer, images, candidate_batch=3, **kwargs)
        n = model.unit_layer(layer).weight.shape[0]
        assert len(ref["order"]) > 0.5 * n and len(ref["steps"]) >= 2
        assert (ref["method"], fast["method"]) == ("reference", "fast")
        assert disagreement(ref, fast) is None
        # Automatic candidate batching gives the same numbers.
        assert rank_fast(model, layer, images, **kwargs)["order"] == fast["order"]
    assert model.training
    assert all(torch.equal(v, before[k]) for k, v in model.state_dict().items())


@pytest.mark.parametrize("seed", [0, 1])
def test_fast_ranking_equals_reference_on_a_channels_last_network(seed):
    """Bug guarded: the fast engine reading activations as if NCHW-contiguous, which would rank
    wrongly on the GPU path, where `gpu.channels_last` makes every activation NHWC (forced here
    on the CPU, where convolutions of channels-last weights return channels-last maps too)."""
    model = net(seed, 16).to(memory_format=torch.channels_last)
    images = sampler(seed, 16)
    assert model(images(0)[0], stop="conv2").is_contiguous(memory_format=torch.channels_last)
    for layer in HIDDEN:
        kwargs = dict(fraction=0.5, group_fraction=0.25, batch_size=20)
        ref = rank_reference(model, layer, images, **kwargs)
        assert (
            disagreement(ref, rank_fast(model, layer, images, candidate_batch=3, **kwargs)) is None
        )


# What a pruned ranking records beyond a fast one: its engine and its M.
ENGINE_FIELDS = ("method", "engine", "candidates", "shortlist")


def without_engine(result: dict) -> str:
    """A ranking's JSON text without the fields that name its engine."""
    return json.dumps({k: v for k, v in result.items() if k not in ENGINE_FIELDS})


def with_twin_units(model, layer, a, b):
    """Unit b of `layer` made an exact copy of unit a, in what it reads and in what the next
    layer reads from it: zeroing either gives bit-identical losses in the fast engine, so the
    tie is broken by unit order alone."""
    names = model.layer_names
    unit, nxt = model.unit_layer(layer), model.unit_layer(names[names.index(layer) + 1])
    with torch.no_grad():
        unit.weight[b], unit.bias[b] = unit.weight[a], unit.bias[a]
        nxt.weight[:, b] = nxt.weight[:, a] * 3  # a pair that matters: chosen in one group
        nxt.weight[:, a] = nxt.weight[:, b]
    return model


@pytest.mark.parametrize("seed", [0, 1])
def test_pruned_ranking_equals_fast_byte_for_byte_when_m_covers_every_candidate(seed):
    """Bug guarded: a pruned engine that is not the fast engine on its shortlist: the group
    chosen from the first-order scores instead of the exact losses, or a shortlist in an order
    (torch.topk's) that breaks an exact tie toward another unit than the fast engine's lower
    id. Twin units 0 and 1 of fc3 tie for certain (units that never fire tie too). With M =
    every unit it must give the fast engine's ranking, every number and unit in one order."""
    model = with_twin_units(net(seed, 16), "fc3", 0, 1)
    images = sampler(seed, 16)
    for layer in HIDDEN:
        kwargs = dict(fraction=0.5, group_fraction=0.25, batch_size=20, candidate_batch=3)
        fast = rank_fast(model, layer, images, **kwargs)
        n = fast["n_units"]
        for m in (n, f"{-(-n // fast['group_size'])} groups"):
            pruned = rank_pruned(model, layer, images, candidates=m, **kwargs)
            assert (pruned["method"], pruned["candidates"]) == ("pruned", m)
            assert without_engine(pruned) == without_engine(fast), (layer, m)
    twins = rank_fast(model, "fc3", images, fraction=0.5, group_fraction=0.25)["steps"]
    assert any({0, 1} <= set(step["added"]) for step in twins)  # the tie is in the ranking


@pytest.mark.parametrize("engine", ["fast", "pruned"])
def test_the_network_below_the_layer_runs_once_per_step_and_batch(engine, monkeypatch):
    """Bug guarded: the network below the ranked layer run again for each pass of a step (the
    baseline, the first-order shortlist, the exact losses, the step's loss): in the late layers
    that is most of the pruned engine's cost. And inputs kept for a step must be the ones a
    recomputation gives: with nothing kept (a budget of 2 elements) the ranking is the same,
    byte for byte."""
    model, images = net(2, 16), sampler(2, 16)
    kwargs = dict(fraction=0.5, group_fraction=0.25, batch_size=20)
    kwargs |= {"candidates": "1 groups, at least 3"} if engine == "pruned" else {}
    rank = rank_pruned if engine == "pruned" else rank_fast
    calls = []
    hook = model.layers["conv3"].register_forward_hook(lambda *_: calls.append(1))
    kept = rank(model, "fc3", images, **kwargs)
    assert len(calls) == len(kept["steps"]) * 3  # 48 images a step, in batches of 20
    monkeypatch.setattr(relevance, "chunk_elements", lambda device: 1)
    assert rank(model, "fc3", images, **kwargs) == kept
    assert len(calls) > len(kept["steps"]) * 3 * 3  # the check above compared recomputations
    hook.remove()


def test_exact_stage_corrects_a_first_order_misordering():
    """Bug guarded: a pruned engine that trusts its first-order scores beyond the shortlist
    (the group taken in score order), or shortlists units other than those scored highest.
    A hand-built fc4 whose units 2 and 5 are 1 for every image (the others 0): zeroing unit 2
    takes 1 from the true class's logit, zeroing 5 adds 20 to one wrong class and takes 19 from
    another. At a margin of 10 each wrong class has probability p ~ 5e-5, so the first order
    predicts 4p for unit 2 and only 20p - 19p = p for unit 5; but zeroing 5 flips the class
    (loss ~10) where zeroing 2 costs 3e-4. With both in a shortlist of 2, the exact stage must
    choose 5, as the fast engine does."""
    model = net(0).eval()
    fc4, fc5 = model.unit_layer("fc4"), model.unit_layer("fc5")
    a, b = 2, 5
    with torch.no_grad():
        fc4.weight.zero_()
        fc4.bias.zero_()
        fc4.bias[[a, b]] = 1.0  # activations 1 for every image, 0 elsewhere
        fc5.weight.zero_()
        fc5.weight[:, a] = torch.tensor([1.0, 0, 0, 0, 0])
        fc5.weight[:, b] = torch.tensor([0, -20.0, 19, 0, 0])
        fc5.bias.copy_(torch.tensor([9.0, 20, -19, 0, 0]))  # logits (10, 0, 0, 0, 0)
    x = sampler(0)(0)[0]
    y = torch.zeros(len(x), dtype=torch.long)
    predicted = first_order_losses(model, "fc4", [], LayerInputs(model, "fc4", x, y, 16))
    baseline = relevance._mean_loss(model, x, y, 16)
    exact = {}
    for u in (a, b):
        with ablated(model, "fc4", [u]):
            exact[u] = relevance._mean_loss(model, x, y, 16) - baseline
    others = [u for u in range(12) if u not in (a, b)]
    assert predicted[a] > predicted[b] > 0 and predicted[others].abs().max() == 0
    assert exact[b] > 9 and exact[a] < 1e-3  # the first order misorders the two

    def images(step):
        return x, y

    kwargs = dict(fraction=0.1, group_fraction=0.016)  # one unit per step, two steps
    fast = rank_fast(model, "fc4", images, **kwargs)
    pruned = rank_pruned(model, "fc4", images, candidates=2, **kwargs)
    assert fast["order"] == [b, a] and pruned["order"] == [b, a]
    assert pruned["shortlist"] == 2 and without_engine(pruned) == without_engine(fast)


@pytest.mark.parametrize("layer", HIDDEN)
def test_first_order_loss_is_the_derivative_along_the_lesion(layer):
    """Bug guarded: the gradient taken at the wrong point (the layer's input, the next
    layer's pre-activation), with the wrong sign or scale (summed, not mean, loss), or with the
    already chosen units left in. Shrinking a unit's weights and bias by a factor (1 - e)
    shrinks its output map by (1 - e) through ReLU and max-pool, e of the way to the lesion:
    the loss must change by e times the first-order estimate, to O(e^2) (float64 throughout)."""
    model = net(3).double().eval()
    x, y = sampler(3)(0)
    x = x.double()
    chosen, eps = [0], 1e-6
    predicted = first_order_losses(model, layer, chosen, LayerInputs(model, layer, x, y, 20))
    assert predicted[chosen].abs().max() == 0  # a zeroed unit has nothing left to lose
    unit = model.unit_layer(layer)
    with ablated(model, layer, chosen):
        baseline = relevance._mean_loss(model, x, y, 20)
        for u in range(1, unit.weight.shape[0]):
            with torch.no_grad():
                saved = unit.weight[u].clone(), unit.bias[u].clone()
                unit.weight[u] *= 1 - eps
                unit.bias[u] *= 1 - eps
            change = (relevance._mean_loss(model, x, y, 20) - baseline) / eps
            with torch.no_grad():
                unit.weight[u], unit.bias[u] = saved
            assert change == pytest.approx(predicted[u].item(), rel=1e-4, abs=1e-7), (layer, u)


@pytest.mark.parametrize("layer", HIDDEN)
def test_next_layer_loss_is_exact_through_the_next_block_and_first_order_above(layer, monkeypatch):
    """Bug guarded: a next-layer score that subtracts the wrong channel, skips the next block's
    ReLU or pooling, or takes the gradient anywhere but the next block's output. Against the
    lesioned network itself (float64): the next block's output B_c with the unit zeroed, B
    without, G = dL/dB; the score is mean sum(G * (B_c - B)), and below the class layer the
    exact rise of the loss."""
    model = net(3).double().eval()
    x, y = sampler(3)(0)
    x = x.double()
    chosen, units = [0], list(range(1, model.unit_layer(layer).weight.shape[0]))
    inputs = LayerInputs(model, layer, x, y, 20)
    scored = relevance.next_layer_losses(model, layer, chosen, units, inputs)
    monkeypatch.setattr(relevance, "chunk_elements", lambda device: 1)  # a candidate a chunk
    assert relevance.next_layer_losses(model, layer, chosen, units, inputs) == pytest.approx(
        scored, rel=1e-12
    )
    names = model.layer_names
    nxt = names[names.index(layer) + 1]
    with ablated(model, layer, chosen):
        baseline = relevance._mean_loss(model, x, y, 20)
        b = model(x, stop=nxt).requires_grad_()
        if nxt != names[-1]:
            above = names[names.index(nxt) + 1]
            (grad,) = torch.autograd.grad(relevance._losses(model(b, start=above), y).sum(), b)
    for u, score in zip(units, scored):
        with ablated(model, layer, chosen + [u]), torch.no_grad():
            if nxt == names[-1]:
                expected = relevance._mean_loss(model, x, y, 20) - baseline
            else:
                expected = ((model(x, stop=nxt) - b) * grad).sum().item() / len(x)
        assert score == pytest.approx(expected, rel=1e-9, abs=1e-12), (layer, u)


def test_audited_ranking_is_the_fast_one_with_the_shortlists_ranks():
    """Bug guarded: the fidelity benchmark's recall measured on a ranking other than the exact
    one, or against another state's shortlist: the audited ranking is the fast one, and its
    first step's ranks are the places of its group in the pruned engine's first-order order
    from the same (empty) state, so a shortlist of M holds exactly the units ranked below M."""
    model, images = net(1, 16), sampler(1, 16)
    kwargs = dict(fraction=0.5, group_fraction=0.25)
    fast = rank_fast(model, "conv3", images, **kwargs)
    audited = rank_audited(model, "conv3", images, next_layer=True, **kwargs)
    first = audited["steps"][0]
    x, y = images(0)
    model.eval()  # as the ranking has it: dropout off
    inputs = LayerInputs(model, "conv3", x, y, 128)
    order = relevance.first_order_order(model, "conv3", [], list(range(8)), inputs)
    assert first["first_order_ranks"] == [order.index(u) for u in first["added"]]
    for kept in range(1, 9):
        listed = relevance.shortlist(model, "conv3", [], list(range(8)), inputs, kept)
        share = len(set(listed) & set(first["added"])) / len(first["added"])
        assert recall(audited, kept)[0] == share
    scored = relevance.next_layer_losses(model, "conv3", [], list(range(8)), inputs)
    order = sorted(range(8), key=lambda u: -scored[u])
    assert first["next_layer_ranks"] == [order.index(u) for u in first["added"]]
    # The screen's ranks: the places in the order of the exact losses on the first batch alone.
    screened = rank_audited(model, "conv3", images, batch_size=16, **kwargs)["steps"][0]
    losses = relevance._fast_losses(
        model,
        "conv3",
        [],
        list(range(8)),
        LayerInputs(model, "conv3", x[:16], y[:16], 16),
        id,
        None,
    )
    order = sorted(range(8), key=lambda u: -losses[u])
    assert screened["screen_ranks"] == [order.index(u) for u in screened["added"]]
    whole = relevance._fast_losses(
        model, "conv3", [], list(range(8)), LayerInputs(model, "conv3", x, y, 16), id, None
    )
    assert order != sorted(range(8), key=lambda u: -whole[u])  # else the check could not fail
    for s in audited["steps"]:
        del s["first_order_ranks"], s["screen_ranks"], s["next_layer_ranks"]
    assert audited == fast


def test_a_shortlist_smaller_than_a_group_is_refused():
    with pytest.raises(ValueError, match="candidates: 2 is fewer than fc4's group of 3 units"):
        rank_pruned(net(0), "fc4", sampler(0), fraction=0.5, group_fraction=0.25, candidates=2)


def test_disagreement_ignores_ties_only():
    result = rank_fast(net(0), "fc4", sampler(0), fraction=0.5, group_fraction=0.25)
    assert disagreement(result, result) is None
    shifted = json.loads(json.dumps(result))
    shifted["steps"][1]["losses"][0] += 1e-2
    assert "losses" in disagreement(result, shifted)
    other = json.loads(json.dumps(result))
    outsider = next(u for u in range(12) if u not in result["order"])
    other["steps"][0]["added"][0] = outsider
    assert "chosen by one ranking only" in disagreement(result, other)
    # Two units tied within the tolerance may swap places, inside a group or across its boundary.
    tied = json.loads(json.dumps(result))
    tied["steps"][0]["losses"] = [result["steps"][0]["losses"][0]] * 3
    swapped = json.loads(json.dumps(tied))
    swapped["steps"][0]["added"].reverse()
    assert disagreement(tied, swapped) is None
    swapped["steps"][0]["added"][0] = outsider
    assert disagreement(tied, swapped) is None


def test_max_steps_grows_the_group_to_reach_the_fraction():
    """Bug guarded: a max_steps cap that truncates the ranking instead of growing the group
    (fewer units than the fraction, or more steps than allowed), or a grown group that re-picks
    chosen units or is not the greedy choice the reference engine makes with the same cap."""
    model = net(0)  # fc4 has 12 units: 0.5 * 12 = 6 must be passed in 2 steps -> groups of 4
    kwargs = dict(fraction=0.5, group_fraction=0.1, max_steps=2)
    result = rank_fast(model, "fc4", sampler(0), **kwargs)
    assert [s["step"] for s in result["steps"]] == [0, 1]
    assert result["group_size"] == 4 and len(result["order"]) == 8
    added = [s["added"] for s in result["steps"]]
    assert [len(a) for a in added] == [4, 4] and result["order"] == added[0] + added[1]
    assert len(set(result["order"])) == 8  # step 1 chose among the 8 units step 0 left
    for s in result["steps"]:  # each group is taken in descending loss order
        assert s["losses"] == sorted(s["losses"], reverse=True)
    assert disagreement(rank_reference(model, "fc4", sampler(0), **kwargs), result) is None
    assert group_size(256, 0.2, 0.016, max_steps=4) == 13 and group_size(256, 0.2, 0.016) == 4
    assert group_size(2000, 0.2, 0.016, max_steps=100) == 32  # the paper's k when it suffices


POOL = np.arange(100, 160, 3)  # 20 image indices, not 0..19, so positions are not indices


def test_image_sampler_draws_n_sorted_images_of_the_pool():
    """Bug guarded: a greedy step scored on images outside the task's pool (positions taken for
    indices), on duplicates, on the wrong number of images, or unsorted (a shuffled batch
    reads a memory-mapped shard out of order)."""
    step_images = image_sampler(POOL, 8, seed=0, fresh=True)
    for step in range(5):
        idx = step_images(step)
        assert len(idx) == 8 and len(set(idx.tolist())) == 8
        assert set(idx.tolist()) <= set(POOL.tolist())
        assert idx.tolist() == sorted(idx.tolist())


def test_image_sampler_draws_afresh_per_step_only_when_fresh():
    """Bug guarded: `fresh_images` ignored: every step scored on the same images when fresh
    (or steps' draws repeating), or a fixed sample that changes from step to step."""
    fresh = image_sampler(POOL, 8, seed=0, fresh=True)
    draws = {tuple(fresh(step).tolist()) for step in range(6)}
    assert len(draws) == 6
    fixed = image_sampler(POOL, 8, seed=0, fresh=False)
    assert {tuple(fixed(step).tolist()) for step in range(6)} == {tuple(fixed(0).tolist())}
    # ... and the fixed sample is a draw, seeded like the rest.
    assert fixed(0).tolist() != image_sampler(POOL, 8, seed=1, fresh=False)(0).tolist()


@pytest.mark.parametrize("fresh", [True, False])
@pytest.mark.parametrize("n", [20, 50])
def test_image_sampler_takes_the_whole_pool_when_n_is_not_smaller(n, fresh):
    """Bug guarded: n >= len(pool) raising (a draw without replacement of more than there is)
    or drawing with replacement: every step then sees the whole pool, once each, sorted."""
    step_images = image_sampler(POOL, n, seed=3, fresh=fresh)
    for step in range(3):
        assert step_images(step).tolist() == POOL.tolist()


def test_image_sampler_draw_depends_on_seed_and_step_only():
    """Bug guarded: a sampler with state (one generator advanced per call, a draw depending on
    how many steps were asked before): a ranking resumed at step 3 would score steps 3.. on
    other images than the uninterrupted ranking did. Two samplers asked in different orders,
    and a fresh one asked for a single late step, give every step the same images."""
    forward = image_sampler(POOL, 8, seed=4, fresh=True)
    backward = image_sampler(POOL, 8, seed=4, fresh=True)
    steps = [0, 1, 2, 3, 4, 5]
    first = {step: forward(step).tolist() for step in steps}
    second = {step: backward(step).tolist() for step in reversed(steps)}
    assert first == second
    assert image_sampler(POOL, 8, seed=4, fresh=True)(3).tolist() == first[3]  # a resumed run
    assert forward(2).tolist() == first[2]  # asking again does not advance anything
    other_seed = image_sampler(POOL, 8, seed=5, fresh=True)
    assert any(other_seed(step).tolist() != first[step] for step in steps)


def test_empty_ablation_is_bit_identical_and_exceptions_restore():
    model = net(0).eval()
    x, _ = sampler(0)(0)
    out = model(x)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    for layer in model.layer_names:
        with ablated(model, layer, []):
            assert torch.equal(model(x), out)
        with pytest.raises(RuntimeError, match="boom"):
            with ablated(model, layer, [0, 2]):
                assert not torch.equal(model(x), out)
                raise RuntimeError("boom")
    assert all(torch.equal(v, before[k]) for k, v in model.state_dict().items())
    assert torch.equal(model(x), out)


@pytest.mark.parametrize("layer", HIDDEN)
def test_ablating_a_whole_layer_leaves_chance(layer):
    model = net(1).eval()
    x, y = sampler(1, n=200)(0)
    with ablated(model, layer, range(model.unit_layer(layer).weight.shape[0])):
        logits = model(x)
    # Nothing of the input passes the layer: every image gets the same logits.
    assert torch.allclose(logits, logits[:1].expand_as(logits), atol=1e-6)
    guess = logits.argmax(1)
    assert (guess == guess[0]).all()
    assert (guess == y).float().mean() == (y == guess[0]).float().mean()


def test_killed_ranking_resumes_to_the_uninterrupted_result(tmp_path):
    model = net(2)
    images = sampler(2)
    kwargs = dict(fraction=0.5, group_fraction=0.016)  # conv3: 8 units, 1 per step, 5 steps
    uninterrupted = rank_fast(model, "conv3", images, **kwargs)
    checkpoint = tmp_path / "conv3.json"

    def dies_at_step_2(step):
        if step == 2:
            raise KeyboardInterrupt
        return images(step)

    with pytest.raises(KeyboardInterrupt):
        rank_fast(model, "conv3", dies_at_step_2, checkpoint=checkpoint, **kwargs)
    assert len(json.loads(checkpoint.read_text())["steps"]) == 2

    asked = []

    def recording(step):
        asked.append(step)
        return images(step)

    resumed = rank_fast(model, "conv3", recording, checkpoint=checkpoint, **kwargs)
    assert asked == [2, 3, 4]
    assert resumed == uninterrupted
    # The checkpoint is method-independent: the reference continues a finished fast run as is.
    assert (
        rank_reference(model, "conv3", recording, checkpoint=checkpoint, **kwargs)["order"]
        == uninterrupted["order"]
    )
    # Other parameters: the checkpoint is not used.
    other = dict(fraction=0.3, group_fraction=0.016)
    assert rank_fast(model, "conv3", images, checkpoint=checkpoint, **other) == rank_fast(
        model, "conv3", images, **other
    )


def test_class_layer_is_rejected():
    model = net(0)
    for rank in (rank_fast, rank_reference, rank_pruned):
        with pytest.raises(ValueError, match="class layer"):
            rank(model, "fc5", sampler(0))


@pytest.fixture(scope="module")
def saved_net(tmp_path_factory):
    """(model.pt, prepared dir): a one-task network as `train` saves it, and its data."""
    root = tmp_path_factory.mktemp("saved_net")
    faces = prepare_tiny(root)["faces"]
    spec = {
        "name": "faces_net",
        "tasks": ["faces"],
        "seed": 3,
        "arch": {"stages": [[4], [8]], "fc": [16], "dropout": 0.3, "input_size": 16},
        "train": {
            "epochs": 1,
            "batch_size": 6,
            "greyscale_p": 0.0,
            "optimizer": {"name": "adamw", "lr": 3e-3, "weight_decay": 1e-4},
            "schedule": {"name": "onecycle"},
            "validation_fraction": 0.0,
            "stop_patience": None,
            "in_memory": True,
        },
    }
    train(
        spec,
        {"faces": faces},
        root / "net" / "model.pt",
        root / "net" / "history.csv",
        progress=False,
    )
    return root / "net" / "model.pt", faces


def relevance_argv(saved_net, out, **settings) -> list[str]:
    """`funcspec relevance` of conv2 (8 units, one per step, 5 steps), `settings` overriding."""
    model, data = saved_net
    settings = {
        "task": "faces",
        "layer": "conv2",
        "fraction": 0.5,
        "group_fraction": 0.016,
        "images": 8,
        "seed": 0,
        "batch_size": 4,
        "engine": "fast",
        **settings,
    }
    argv = ["relevance", "--model", str(model), "--data", f"faces={data}", "--out", str(out)]
    for name, value in settings.items():
        flag = "--" + name.replace("_", "-")
        argv += [flag] if value is True else [flag, str(value)]
    return argv


def test_a_partial_ranking_made_with_another_seed_is_not_resumed(
    saved_net, tmp_path, monkeypatch, capsys
):
    """Bug: a killed ranking's partial file was matched on the ranking parameters alone, so a
    rerun with another --seed (or model, data, image count, engine, task...) kept the steps the
    old seed had made."""
    out = tmp_path / "conv2.json"
    save = relevance._save

    def dies_after_2_steps(checkpoint, *args):
        save(checkpoint, *args)
        if len(json.loads(checkpoint.read_text())["steps"]) == 2:
            raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(relevance, "_save", dies_after_2_steps)
        with pytest.raises(KeyboardInterrupt):
            cli.main(relevance_argv(saved_net, out, seed=0))
    assert (tmp_path / ".conv2.json.partial").exists()
    capsys.readouterr()

    assert cli.main(relevance_argv(saved_net, out, seed=1)) == 0
    assert ".conv2.json.partial: written for other inputs (config)" in capsys.readouterr().err
    assert cli.main(relevance_argv(saved_net, tmp_path / "fresh.json", seed=1)) == 0
    assert json.loads(out.read_text()) == json.loads((tmp_path / "fresh.json").read_text())
    assert not (tmp_path / ".conv2.json.partial").exists()


def test_a_ranking_records_every_setting_that_shaped_it(saved_net, tmp_path):
    """Bug: fraction, group_fraction and max_steps lived only in the partial file, deleted at
    the end, so the ranking JSON did not say how it was made."""
    settings = {
        "task": "faces",
        "layer": "conv2",
        "fraction": 0.5,
        "group_fraction": 0.1,
        "max_steps": 3,
        "images": 8,
        "fresh_images": True,
        "seed": 4,
        "engine": "reference",
        "batch_size": 5,
        "split_seed": 7,
    }
    assert cli.main(relevance_argv(saved_net, tmp_path / "conv2.json", **settings)) == 0
    result = json.loads((tmp_path / "conv2.json").read_text())
    expected = {**settings, "method": "reference", "images_per_step": 8, "network": "faces_net"}
    assert {key: result.get(key) for key in expected} == expected


def test_a_ranking_records_its_engine_its_m_and_its_images(saved_net, tmp_path):
    """Bug guarded: a pruned ranking indistinguishable from an exact one, or silent about the
    images each step scored. The JSON names the engine, M as configured and in units, and each
    step's images: `images` of the task's training images, afresh per step."""
    out = tmp_path / "conv2.json"
    draws = dict(images=6, fresh_images=True)
    argv = relevance_argv(saved_net, out, engine="pruned", candidates="2 groups", **draws)
    assert cli.main(argv) == 0
    result = json.loads(out.read_text())
    assert (result["engine"], result["method"]) == ("pruned", "pruned")
    assert (result["candidates"], result["shortlist"]) == ("2 groups", 2 * result["group_size"])
    used = result["step_images"]
    assert len(used) == len(result["steps"]) and all(len(step) == 6 for step in used)
    assert len({tuple(step) for step in used}) == len(used)
    exact = tmp_path / "fast.json"
    assert cli.main(relevance_argv(saved_net, exact, **draws)) == 0
    fast = json.loads(exact.read_text())
    assert (fast["engine"], fast["candidates"], fast["shortlist"]) == ("fast", None, None)
    assert fast["step_images"] == used  # the same draws, whatever the engine


def test_candidates_without_the_pruned_engine_are_refused(saved_net, tmp_path, capsys):
    """Bug guarded: --candidates given to an exact engine and silently ignored (or recorded as
    if it had shaped the ranking)."""
    assert cli.main(relevance_argv(saved_net, tmp_path / "x.json", candidates=4)) == 1
    assert "--candidates goes with --engine pruned" in capsys.readouterr().err
    assert not (tmp_path / "x.json").exists()


def smoke_config_with(work, relevance_settings: dict) -> str:
    """The smoke config with `relevance_settings` set, written in `work`: its file name."""
    config = yaml.safe_load((work / "config" / "smoke.yaml").read_text())
    config["relevance"].update(relevance_settings)
    (work / "engine.yaml").write_text(yaml.safe_dump(config))
    return "engine.yaml"


def relevance_commands(work, relevance_settings: dict) -> dict[str, str]:
    """{ranking output: its `funcspec relevance` command} of a dry run of the smoke config
    with `relevance_settings` set."""
    config = smoke_config_with(work, relevance_settings)
    out = snakemake(work, "-n", "-p", "--configfile", config).stdout
    lines = re.findall(r"funcspec relevance .*--out (\S+)", out)
    commands = re.findall(r"(funcspec relevance .*)", out)
    assert len(lines) == len(commands) > 10
    return dict(zip(lines, commands))


def test_a_change_of_engine_or_m_changes_every_rankings_command(tmp_path):
    """Bug guarded: `relevance.engine` or `relevance.candidates` not reaching the job's
    parameters, so that Snakemake (which reruns a job whose parameters changed) keeps rankings
    made by another engine or M. M shapes only pruned rankings: under fast it changes nothing."""
    work = workdir(tmp_path)
    fast = relevance_commands(work, {"engine": "fast"})
    fast_other_m = relevance_commands(work, {"engine": "fast", "candidates": 7})
    pruned = relevance_commands(work, {"engine": "pruned"})
    pruned_other_m = relevance_commands(work, {"engine": "pruned", "candidates": 7})
    assert fast.keys() == pruned.keys() == pruned_other_m.keys()
    assert fast == fast_other_m
    for out, command in fast.items():
        assert "--engine fast " in command and "--candidates" not in command
        assert "--engine pruned --candidates '4 groups' " in pruned[out]
        assert "--engine pruned --candidates 7 " in pruned_other_m[out]


@pytest.mark.parametrize(
    "settings, expected",
    [
        ({"engine": "exact"}, "relevance.engine: 'exact' is not one of"),
        (
            {"engine": "pruned", "candidates": 3},
            "relevance.candidates: 3 is fewer than the 4 units a step adds in layer fc3",
        ),
    ],
)
def test_a_bad_engine_or_shortlist_stops_the_workflow_before_any_job(tmp_path, settings, expected):
    """Bug guarded: an unknown engine, or a shortlist that cannot hold a group, found only
    when the first ranking runs, hours into a run: the workflow refuses it, naming the key,
    before any job (no results/)."""
    work = workdir(tmp_path)
    config = smoke_config_with(work, settings)
    result = snakemake(work, "--cores", "1", "--configfile", config, check=False)
    assert result.returncode != 0 and expected in result.stderr
    assert not (work / "results").exists()
