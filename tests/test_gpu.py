"""The GPU number formats, tried with the CPU's bf16 autocast, which rounds as CUDA's does (the
steps themselves never use it on the CPU: tests/test_train.py checks that)."""

import copy

import pytest
import torch

from funcspec import models
from funcspec.ablation import ablated
from funcspec.gpu import bf16
from funcspec.relevance import disagreement, rank_fast, rank_reference

ARCH = {"stages": [[4, 6], [8]], "fc": [10, 12], "dropout": 0.5}


def net(seed):
    torch.manual_seed(seed)
    model = models.build(ARCH, 5, 8).eval()
    for p in model.parameters():  # distinct losses per unit, as in tests/test_relevance.py
        torch.nn.init.normal_(p, 0, (2 / p[0].numel()) ** 0.5 if p.dim() > 1 else 0.1)
    return model


def images(step):
    g = torch.Generator().manual_seed(step)
    return torch.randn(48, 3, 8, 8, generator=g), torch.randint(0, 5, (48,), generator=g)


def lesioned_by_hand(model, layer, units):
    """A copy of `model` with `units` of `layer` zeroed here (weight rows and bias entries)
    before any autocast context is entered: what a lesion of those units must compute."""
    twin = copy.deepcopy(model)
    module = twin.unit_layer(layer)
    with torch.no_grad():
        for unit in units:
            module.weight[unit] = 0
            module.bias[unit] = 0
    return twin


@pytest.mark.parametrize("layer", ["conv1", "conv3", "fc4"])
def test_a_lesion_reaches_a_network_computing_in_bf16(layer):
    """Bug guarded: autocast's weight cache keeps the bf16 copy of each weight made at its first
    use, so a lesion made within one autocast context (a lesion job's every condition, a
    ranking's chosen units) computed with the intact layer.

    Two units of the layer are lesioned, not all: the output must be exactly that of a copy
    of the network with those two units zeroed by hand before autocast began (so no stale copy
    can exist), and at the layer itself those two units must be 0 and every other unit as
    intact. Lesioning every unit and asking only for some change would also pass a lesion of
    the wrong units, or of all units when some were asked for."""
    units = [1, 3]
    model, x = net(0), images(0)[0]
    with torch.no_grad(), bf16("cpu"):
        expected = lesioned_by_hand(model, layer, units)(x)
    with torch.no_grad(), bf16("cpu"):
        intact, intact_units = model(x), model(x, stop=layer)
        with ablated(model, layer, units):
            lesioned, lesioned_units = model(x), model(x, stop=layer)
        restored = model(x)
    assert not torch.equal(expected, intact), "units 1 and 3 do not change the output here"
    assert torch.equal(lesioned, expected), "the lesion computed other scores than by hand"
    others = [u for u in range(intact_units.shape[1]) if u not in units]
    assert not lesioned_units[:, units].any(), "a lesioned unit is not 0"
    assert torch.equal(lesioned_units[:, others], intact_units[:, others]), "others changed"
    assert torch.equal(restored, intact), "the lesion was not undone"


def test_class_scores_stay_float32_under_bf16():
    """Bug guarded: class scores rounded to bf16's 8 bits, where near scores tie and argmax
    gives every tie to the lower label, the first task's."""
    model, x = net(0), images(0)[0]
    with torch.no_grad(), bf16("cpu"):
        scores = model(x)
        hidden = model(x, stop="fc4")
    assert scores.dtype == torch.float32 and hidden.dtype == torch.bfloat16
    assert torch.equal(scores, model.layers["fc5"](hidden.float()))


def test_a_bf16_ranking_ablates_its_chosen_units():
    """The same bug in a ranking: on the same images at every step, each step's loss is measured
    with the units chosen so far ablated, so it must move off the unlesioned loss, step by step."""
    model = net(1)
    with torch.no_grad(), bf16("cpu"):
        for rank in (rank_reference, rank_fast):
            ranking = rank(model, "conv2", lambda step: images(0), 0.5, 0.25, batch_size=48)
            losses = [ranking["baseline_loss"]] + [step["loss"] for step in ranking["steps"]]
            assert len(set(losses)) == len(losses), rank.__name__


def test_the_fast_engine_scores_the_penultimate_layer_in_float32_under_bf16():
    """Bug guarded: ranking the layer below the class layer, the fast engine computes the class
    scores itself (a subtraction, not the model's forward), and did so in bf16, so it ranked
    on other scores than the reference's float32 ones."""
    model = net(2)
    kwargs = dict(fraction=0.5, group_fraction=0.25, batch_size=48)
    with torch.no_grad(), bf16("cpu"):
        ref = rank_reference(model, "fc4", images, **kwargs)
        fast = rank_fast(model, "fc4", images, **kwargs)
    assert disagreement(ref, fast) is None
