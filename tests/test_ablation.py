"""A lesion silences an activation: in funcspec's VGG bit for bit what zeroed weights gave, and
in models where zeroed weights do not silence a unit (batch norm, residual blocks), zero."""

import contextlib

import numpy as np
import pytest
import torch
import torchvision
from test_lesion import setup  # noqa: F401 (a fixture)
from test_relevance import HIDDEN, net, sampler
from torchvision.models.resnet import BasicBlock

from funcspec import ablation, relevance
from funcspec.errors import FuncspecError
from funcspec.lesion import conditions, evaluate_lesions
from funcspec.units import unit_map

torch.set_num_threads(1)


@contextlib.contextmanager
def zeroed_weights(model, layer, units):
    """The lesion before activations were silenced: the unit's weight rows and bias zeroed."""
    module, index = model.unit_layer(layer), torch.as_tensor(list(units), dtype=torch.long)
    saved = [(p, p[index].clone()) for p in (module.weight, module.bias)]
    with torch.no_grad():
        for p, _ in saved:
            p[index] = 0
    try:
        yield
    finally:
        with torch.no_grad():
            for p, values in saved:
                p[index] = values


def test_a_vgg_lesion_gives_the_zeroed_weights_numbers_bit_for_bit(monkeypatch):
    """Bug guarded: silencing the activation instead of the weights moves VGG's numbers (every
    ranking and lesion table made before would be stale)."""
    model = net(0).eval()
    images = sampler(0)
    x, _ = images(0)
    for layer in HIDDEN:
        with ablation.ablated(model, layer, [0, 2]):
            silenced = model(x)
        with zeroed_weights(model, layer, [0, 2]):
            assert torch.equal(model(x), silenced)
    rankings = {}
    for lesion in (ablation.ablated, zeroed_weights):
        monkeypatch.setattr(relevance, "ablated", lesion)
        rankings[lesion] = [
            rank(model, layer, images, group_fraction=0.25)
            for layer in HIDDEN
            for rank in (relevance.rank_reference, relevance.rank_fast)
        ] + [relevance.rank_pruned(model, "conv2", images, candidates=3, group_fraction=0.25)]
    assert rankings[ablation.ablated] == rankings[zeroed_weights]


def test_a_vgg_lesion_table_is_the_zeroed_weights_one_bit_for_bit(setup, monkeypatch):  # noqa: F811
    model, pooled, groups = setup
    tables = {}
    for lesion in (ablation.ablated, zeroed_weights):
        monkeypatch.setattr("funcspec.lesion.ablated", lesion)
        made = []
        for layer in ("conv1", "conv2", "fc3"):
            n = model.unit_layer(layer).weight.shape[0]
            ranked = {"faces": list(range(n)), "objects": list(range(n))[::-1]}
            lesions = conditions(ranked, n, [0.25, 0.5], random_draws=2, seed=0)
            rows, per_image, *_ = evaluate_lesions(model, layer, pooled, groups, lesions, 16, "cpu")
            made.append((rows, per_image))
        tables[lesion] = made
    for (rows, per_image), (old_rows, old_per_image) in zip(
        tables[ablation.ablated], tables[zeroed_weights]
    ):
        assert repr(rows) == repr(old_rows)  # repr: exact floats, and nan equal to nan
        assert np.array_equal(per_image, old_per_image)


def outputs(model, path, x):
    """The output of the module at `path` in one forward of x."""
    seen = []
    handle = model.get_submodule(path).register_forward_hook(lambda m, i, out: seen.append(out))
    try:
        logits = model(x)
    finally:
        handle.remove()
    return seen[0], logits


def test_a_resnet_block_lesion_zeroes_its_channel_for_every_input():
    """Bug guarded: a lesion that zeroes weights (or needs a VGG layer name) cannot silence the
    residual stream at a block's output."""
    torch.manual_seed(0)
    model = torchvision.models.resnet18(num_classes=7).eval()
    x = torch.randn(4, 3, 64, 64)
    c = 5

    def by_hand(_module, _inputs, out):
        out = out.clone()
        out[:, c] = 0
        return out

    handle = model.layer2[1].register_forward_hook(by_hand)
    with torch.no_grad():
        expected = model(x)
    handle.remove()
    with torch.no_grad(), ablation.ablated(model, "layer2.1", [c]):
        read, logits = outputs(model, "layer2.1", x)
    assert torch.equal(logits, expected)
    assert not read[:, c].any()
    assert read[:, c + 1].any()


def test_a_lesion_after_batch_norm_silences_what_zeroed_weights_leave_on():
    """Bug guarded: zeroing a conv before a batch norm leaves BN's constant, not a silent unit;
    the unit map puts the lesion after the norm."""
    torch.manual_seed(0)
    model = torchvision.models.resnet18(num_classes=7)
    for _ in range(3):  # running statistics away from BN's initial (0, 1)
        model(torch.randn(8, 3, 64, 64))
    model.eval()
    stem = unit_map(lambda: torchvision.models.resnet18(num_classes=7), 64, (BasicBlock,))[0]
    assert (stem.name, stem.lesion, stem.read) == ("conv1", "bn1", "maxpool")
    x = torch.randn(4, 3, 64, 64)
    with torch.no_grad():
        model.conv1.weight[3] = 0
        left_on, _ = outputs(model, stem.read, x)
        assert left_on[:, 3].abs().sum() > 0
        with ablation.ablated(model, stem.lesion, [3]):
            read, _ = outputs(model, stem.read, x)
    assert not read[:, 3].any()


def test_a_lesion_changes_no_parameter_and_ends_with_its_block():
    model = net(1).eval()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    x, _ = sampler(1)(0)
    clean = model(x)
    with ablation.ablated(model, "conv2", [1]):
        assert not torch.equal(model(x), clean)
        assert all(torch.equal(v, before[k]) for k, v in model.state_dict().items())
    assert torch.equal(model(x), clean)


@pytest.mark.parametrize("layer", ["conv9", "layers.nope"])
def test_an_unknown_layer_is_refused(layer):
    with pytest.raises(AttributeError):
        with ablation.ablated(net(0), layer, [0]):
            pass


def test_a_hook_on_the_lesion_point_reads_the_lesioned_output():
    """Bug guarded: where a unit layer's lesion and read points are one module (a ResNet block),
    a reader hook registered before the lesion read the unlesioned output."""
    torch.manual_seed(0)
    model = torchvision.models.resnet18(num_classes=7).eval()
    seen = []
    handle = model.layer2[1].register_forward_hook(lambda m, i, out: seen.append(out.clone()))
    with torch.no_grad(), ablation.ablated(model, "layer2.1", [5]):
        model(torch.randn(2, 3, 64, 64))
    handle.remove()
    assert not seen[0][:, 5].any()


def test_units_beyond_the_layer_are_refused_naming_it():
    """Bug guarded: on CUDA an index past the layer's channels is a device-side assert that
    names nothing."""
    model = net(0).eval()
    x, _ = sampler(0)(0)
    with pytest.raises(FuncspecError, match=r"units 2\.\.6 of conv1, which has 4"):
        with ablation.ablated(model, "conv1", [2, 6]):
            model(x)
