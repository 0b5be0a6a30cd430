"""Any architecture: AlexNet- and ResNet-style nets, branched dual-task nets and a user's own
model are ranked and lesioned as funcspec's VGG is, through the cut of their traced graph at the
lesion point."""

import subprocess
import sys

import numpy as np
import pytest
import torch
from test_lesion import direct_accuracy, setup  # noqa: F401 (a fixture)
from test_relevance import CLASSES, sampler
from workflow_helpers import architectures_config

from funcspec import models
from funcspec.ablation import ablated
from funcspec.config import ConfigError, load_yaml, validate
from funcspec.errors import FuncspecError
from funcspec.lesion import conditions, evaluate_lesions
from funcspec.relevance import disagreement, rank_fast, rank_pruned, rank_reference
from funcspec.train import fit_readout, load_model

torch.set_num_threads(1)

SIZE = 16
ARCHS = {
    "alexnet": {"family": "alexnet", "width": 0.0625, "input_size": SIZE},
    "alexnet_bn": {"family": "alexnet", "width": 0.0625, "batch_norm": True, "input_size": SIZE},
    "resnet": {"family": "resnet", "blocks": [1, 1], "width": 4, "input_size": SIZE},
    "resnet_inner": {
        "family": "resnet",
        "blocks": [1, 1],
        "width": 4,
        "units": "inner",
        "input_size": SIZE,
    },
    # A trunk (conv1) and two branches (conv2, fc3 each); the class layer reads both.
    "branched": {
        "family": "branched",
        "stages": [[4], [4]],
        "fc": [8],
        "dropout": 0.5,
        "split": "conv1",
        "input_size": SIZE,
    },
    # A user's model, imported by path; no blocks declared, so its units are each convolution.
    "custom": {
        "family": "custom",
        "function": "funcspec.families:ResNet",
        "kwargs": {"input_size": SIZE, "blocks": [1, 1], "width": 4},
        "input_size": SIZE,
    },
}


def family_net(name, seed=0, classes=CLASSES, size=SIZE):
    torch.manual_seed(seed)
    arch = {**ARCHS[name], "input_size": size}
    if "kwargs" in arch:
        arch["kwargs"] = {**arch["kwargs"], "input_size": size}
    if arch["family"] == "branched":  # each task's classes, so both branches are read
        classes = [classes // 2, classes - classes // 2]
    model = models.build(arch, classes, size)
    # Distinct losses, as in test_relevance.net, and batch norms that are not the identity.
    for p in model.parameters():
        torch.nn.init.normal_(p, 0, (2 / p[0].numel()) ** 0.5 if p.dim() > 1 else 0.1)
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.normal_(0, 0.1)
            m.running_var.uniform_(0.5, 2)
    return model.eval()


@pytest.mark.parametrize(
    "name, layer",
    [
        ("resnet_inner", "layer1.0.conv1"),  # inside the residual branch, after its BN
        ("resnet", "layer1.0"),  # a block's output, the residual stream
        ("resnet", "layer2.0"),  # a block with a downsample, and the pooled head above it
        ("custom", "layer2.0.downsample.0"),  # the skip connection's own unit
        ("alexnet", "conv.0"),
        ("alexnet", "fc.5"),  # AlexNet's head: the last hidden layer
        ("alexnet_bn", "conv.4"),
        ("branched", "shared.conv1.0"),  # the trunk: both branches above it
        ("branched", "split.1.conv2.0"),  # a branch: the other one computed once, below
        ("branched", "split.0.fc3.1"),  # a branch's last layer, beside the other's
    ],
)
def test_fast_ranking_equals_reference_in_every_family(name, layer):
    """Bug guarded: the fast engine's shared state or stacked copies giving another loss than a
    full forward pass of the lesioned network (a skip tensor lost or not repeated per copy)."""
    model = family_net(name)
    images = sampler(0, SIZE, n=24)
    kwargs = dict(fraction=0.5, group_fraction=0.25, batch_size=10)
    ref = rank_reference(model, layer, images, **kwargs)
    fast = rank_fast(model, layer, images, candidate_batch=3, **kwargs)
    assert len(ref["steps"]) >= 2
    assert disagreement(ref, fast) is None
    every = rank_pruned(model, layer, images, candidates=model.units(layer), **kwargs)
    assert every["order"] == fast["order"] and every["steps"] == fast["steps"]


def test_a_chunk_of_stacked_copies_fits_the_budget_with_all_it_runs_above(monkeypatch):
    """Bug guarded: the chunk was sized by the lesion point's output alone; at a ResNet's stem
    the copies' activations above are many times it, and on the CPU a chunk that outgrows the
    caches ranked the stem 2.2x slower than one copy at a time (bench_families)."""
    from funcspec import relevance

    model = family_net("resnet")
    images = sampler(0, SIZE, n=24)
    x = images(0)[0][:10]
    with torch.no_grad():
        state = model.below(x, "layer0.0")
        per_copy = model.above_elements(model.through(state, "layer0.0"), state, "layer0.0")
    monkeypatch.setattr(relevance, "_CHUNK_ELEMENTS", 3 * per_copy)
    stacked = []
    above = model.above
    monkeypatch.setattr(model, "above", lambda a, *args: stacked.append(len(a)) or above(a, *args))
    rank_fast(model, "layer0.0", images, fraction=0.25, group_fraction=0.25, batch_size=10)
    assert stacked and max(stacked) == 3 * 10, stacked


@pytest.mark.parametrize("name", ARCHS)
def test_lesions_through_the_cut_equal_a_full_network_lesion(name):
    """Bug guarded: the state shared by every lesion of a batch changed by the first (a skip
    tensor added to in place), so that later lesions are scored on another network."""
    model = family_net(name)
    x = sampler(1, SIZE, n=6)(0)[0]
    for layer in model.layer_names[:-1]:
        for units, through, whole in cut_lesions(model, x, layer):
            assert torch.equal(through, whole), (layer, units)


def cut_lesions(model, x, layer):
    """(units, the class scores through the cut, the whole model's) under lesions of `layer`'s
    units [0], [1, 2] and none, in turn, all from one shared state."""
    with torch.no_grad():
        state = model.below(x, layer)
        for units in ([0], [1, 2], []):
            with ablated(model, layer, units):
                yield units, model.above(model.through(state, layer), state, layer), model(x)


class InPlaceSkip(torch.nn.Module):
    """A user's model that adds to its skip tensor in place, after the lesioned conv."""

    def __init__(self, num_classes=CLASSES):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(3, 6, 3, padding=1)
        self.conv2 = torch.nn.Conv2d(6, 6, 3, padding=1)
        self.fc = torch.nn.Linear(6, num_classes)

    def forward(self, x):
        skip = torch.relu(self.conv1(x))
        skip.add_(self.conv2(skip))
        return self.fc(skip.mean((2, 3)))


def test_an_in_place_skip_leaves_the_shared_state_as_it_was():
    """Bug guarded: the state shared by a batch's lesions changed in place by the first one."""
    model = models.Mapped(InPlaceSkip, SIZE).eval()
    x = sampler(1, SIZE, n=6)(0)[0]
    for units, through, whole in cut_lesions(model, x, "conv2"):
        assert torch.equal(through, whole), units


@pytest.mark.parametrize("name", ["resnet", "resnet_inner", "alexnet_bn"])
def test_a_lesioned_unit_reads_zero_for_every_input(name):
    """Bug guarded: a lesion that zeroes a conv's weights leaves batch norm's constant, or one
    inside a block leaves the residual stream on; the unit must read 0 where it is read."""
    model = family_net(name)
    x = sampler(2, SIZE, n=6)(0)[0]
    for layer in model.layer_names[:-1]:
        with torch.no_grad(), ablated(model, layer, [1]):
            read = model(x, stop=layer)
        assert read[:, 1].abs().max() == 0, layer
        assert read.abs().max() > 0, layer


@pytest.mark.parametrize("name", ["alexnet_bn", "resnet", "branched", "custom"])
def test_a_family_lesion_table_equals_direct_lesioned_accuracy(setup, name):  # noqa: F811
    """Bug guarded: the lesion step's shared layers below giving another network's accuracy."""
    _, pooled, groups = setup
    model = family_net(name, classes=6, size=8)
    layer = model.layer_names[1]
    n = model.units(layer)
    lesions = conditions({"faces": list(range(n)), "objects": list(range(n))[::-1]}, n, [0.5], 1, 0)
    rows, *_ = evaluate_lesions(model, layer, pooled, groups, lesions, 7, "cpu")
    for lesion in lesions:
        with ablated(model, layer, lesion["units"]):
            for task, labels in groups.items():
                key = (lesion["lesion"], lesion["draw"], task)
                (row,) = [r for r in rows if (r["lesion"], r["draw"], r["task"]) == key]
                assert row["accuracy"] == direct_accuracy(model, pooled, labels)


class Untraceable(torch.nn.Module):
    """Control flow on a tensor's shape: torch.fx cannot trace it (a meta tensor still runs)."""

    def __init__(self, num_classes=CLASSES):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 6, 3, padding=1)
        self.fc = torch.nn.Linear(6, num_classes)

    def forward(self, x):
        h = torch.relu(self.conv(x))
        if h.shape[-1] > 8:
            h = h * 2
        return self.fc(h.mean((2, 3)))


def test_an_untraceable_model_is_lesioned_whole_and_ranked_by_the_reference_engine():
    model = models.Mapped(Untraceable, SIZE).eval()
    assert "cannot be traced" in model.unstacked("conv") and model.layer_names == ["conv", "fc"]
    images = sampler(3, SIZE, n=12)
    ranking = rank_reference(model, "conv", images, fraction=0.5, group_fraction=0.2)
    assert ranking["method"] == "reference" and len(ranking["order"]) > 3
    x = images(0)[0]
    with torch.no_grad(), ablated(model, "conv", [0, 1]):
        state = model.below(x, "conv")
        assert torch.equal(model.above(model.through(state, "conv"), state, "conv"), model(x))


BAD = [
    ({"family": "vit", "input_size": 16}, "family"),
    ({"family": "alexnet", "stages": [[4]], "input_size": 16}, "archs.bad.stages: not a key"),
    ({"family": "custom", "input_size": 16}, "family custom needs `function`"),
    ({"family": "custom", "function": "nowhere.at_all:net", "input_size": 16}, "cannot import"),
    ({"family": "alexnet", "input_size": 12}, "not divisible by 8"),
    ({"family": "resnet", "width": 4.5, "input_size": 16}, "whole number"),
    ({**ARCHS["branched"], "split": "fc3"}, "split: 'fc3' leaves no layer to branch; one of conv1"),
    ({**ARCHS["branched"], "split": "conv9"}, "split: 'conv9' leaves no layer"),
    ({**ARCHS["branched"], "branches": 3}, "networks.dual.tasks: 2 tasks for the 3 branches"),
    (ARCHS["branched"], "figures.fig2.network: network 'dual' is branched"),
]


@pytest.mark.parametrize("arch, expected", BAD)
def test_a_bad_arch_is_refused_before_any_job_naming_its_key(arch, expected):
    config = load_yaml("config/smoke.yaml")
    config["archs"]["bad"] = arch
    config["networks"]["dual"]["arch"] = "bad"
    with pytest.raises(ConfigError, match=expected):
        validate(config, "config/schema.yaml")


@pytest.mark.parametrize(
    "place, expected",
    [
        (lambda c: c["decode"]["networks"].append("branched_dual"), "decode.networks"),
        (lambda c: c["visualize"].update(networks=["branched_dual"]), "visualize.networks"),
        (lambda c: c["figures"]["fig1"].update(dual_net="branched_dual"), "fig1.dual_net"),
        (lambda c: c["figures"]["fig2"].update(network="branched_dual"), "fig2.network"),
    ],
)
def test_a_branched_net_is_refused_where_layers_are_one_chain(place, expected):
    """Bug guarded (review): a branched net decoded from its 'penultimate' layer, which is the
    last branch's alone (half of what its class layer reads), or drawn by depth in Figure 3 with
    one branch after the other, without a word."""
    config = architectures_config()
    place(config)
    with pytest.raises(ConfigError, match=f"{expected}: network 'branched_dual' is branched"):
        validate(config, "config/schema.yaml")


def test_a_branched_readout_is_refused():
    """Bug guarded (review): the readout built from the class total alone, its second branch
    computed and read by no class."""
    config = architectures_config()
    config["readout"]["arch"] = "branched_tiny"
    with pytest.raises(ConfigError, match="readout.arch: branched_tiny is branched"):
        validate(config, "config/schema.yaml")


def test_a_branched_net_with_a_frozen_trunk_is_refused():
    """Bug guarded: a readout fit on both branches' features, then read through the heads'
    block-diagonal weight: not the fitted readout."""
    config = load_yaml("config/smoke.yaml")
    config["archs"]["bad"] = ARCHS["branched"]
    config["networks"]["random_features"]["arch"] = "bad"
    with pytest.raises(ConfigError, match="random_features.train.frozen_trunk: a branched net"):
        validate(config, "config/schema.yaml")


@pytest.mark.parametrize("layer", ["layer1.0.relu", "layer9.0", "fc"])
def test_a_layer_that_is_no_unit_layer_of_a_ranked_network_is_refused(layer):
    """A module run twice in one forward (a block's shared ReLU), a path not in the model, and
    the class layer are no unit layers: the refusal lists the valid ones."""
    config = architectures_config()
    config["relevance"]["networks"] = ["resnet_dual"]
    config["relevance"]["random_split"]["networks"] = []
    config["relevance"]["layers"] = [layer]
    with pytest.raises(ConfigError, match="layer0.0, layer1.0, layer2.0"):
        validate(config, "config/schema.yaml")


class AliasedSkip(torch.nn.Module):
    """`h += ...` with h aliased: the model adds in place, torch.fx traces a new tensor."""

    def __init__(self, num_classes=CLASSES):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(3, 6, 3, padding=1)
        self.conv2 = torch.nn.Conv2d(6, 6, 3, padding=1)
        self.fc = torch.nn.Linear(6, num_classes)

    def forward(self, x):
        h = torch.relu(self.conv1(x))
        skip = h
        h += self.conv2(h)
        return self.fc((h + skip).mean((2, 3)))


class ChangedView(AliasedSkip):
    """An in-place change, after the lesion point, of a view of a tensor from below it, and
    F.relu(inplace=True) of a tensor read after the lesion point."""

    def forward(self, x):
        s = torch.relu(self.conv1(x))
        y = self.conv2(s)
        s[:, :3].add_(y[:, :3])
        z = y + s
        t = torch.nn.functional.relu(s, inplace=True)
        return self.fc((z + t).mean((2, 3)))


class BatchFromInput(AliasedSkip):
    """The batch size read from the input: stacked copies cannot run."""

    def forward(self, x):
        b = x.size(0)
        h = torch.relu(self.conv2(torch.relu(self.conv1(x))))
        return self.fc(h.view(b, 6, -1).mean(2))


class BatchStatistics(AliasedSkip):
    """Batch norm from the batch's statistics: stacked copies would mix."""

    def __init__(self, num_classes=CLASSES):
        super().__init__(num_classes)
        self.norm = torch.nn.BatchNorm2d(6, track_running_stats=False)

    def forward(self, x):
        return self.fc(torch.relu(self.norm(self.conv2(torch.relu(self.conv1(x))))).mean((2, 3)))


@pytest.mark.parametrize(
    "model, stacks",
    [(AliasedSkip, False), (ChangedView, True), (BatchFromInput, False), (BatchStatistics, False)],
)
def test_a_cut_that_does_not_compute_the_model_is_not_used(model, stacks):
    """Bug guarded: a traced graph that differs from the model (an in-place change fx does not
    see) or stacked copies that are not independent, silently ranking another network."""
    model = models.Mapped(model, SIZE).eval()
    x, y = sampler(4, SIZE, n=8)(0)
    for layer in ("conv1", "conv2"):
        for units, through, whole in cut_lesions(model, x, layer):
            assert torch.allclose(through, whole, atol=1e-6), (layer, units)
    assert bool(model.unstacked("conv1")) != stacks
    kwargs = dict(fraction=0.5, group_fraction=0.2)
    ranking = rank_reference(model, "conv1", sampler(4, SIZE, n=8), **kwargs)
    if stacks:
        fast = rank_fast(model, "conv1", sampler(4, SIZE, n=8), **kwargs)
        assert disagreement(ranking, fast) is None
    else:
        with pytest.raises(FuncspecError, match="with the reference engine"):
            rank_fast(model, "conv1", sampler(4, SIZE, n=8), **kwargs)
    with torch.no_grad():
        eager = torch.nn.functional.cross_entropy(model(x).double(), y).item()
    assert ranking["baseline_loss"] == pytest.approx(eager, rel=1e-6)


@pytest.mark.parametrize("name", ARCHS)
def test_the_features_are_what_the_class_layer_reads(name):
    """Bug guarded: a frozen trunk's readout fit on the last unit layer's read point, which in a
    ResNet with inner units is a branch's batch norm, not the pooled residual stream."""
    model = family_net(name)
    x = sampler(5, SIZE, n=4)(0)[0]
    with torch.no_grad():
        assert torch.equal(model.head(model.features(x)), model(x))


def test_each_task_of_a_branched_net_reads_its_own_branch_alone():
    """Bug guarded: a class layer that reads both branches makes the branched net a wider dual
    net: silencing one branch would change the other task's scores."""
    model = family_net("branched")
    x = sampler(5, SIZE, n=4)(0)[0]
    first = CLASSES // 2  # the first task's classes, read from split.0
    with torch.no_grad():
        scores = model(x)
        with ablated(model, "split.1.fc3.1", range(model.units("split.1.fc3.1"))):
            silenced = model(x)
    assert torch.equal(silenced[:, :first], scores[:, :first])
    assert not torch.equal(silenced[:, first:], scores[:, first:])


def test_a_saved_branched_net_keeps_its_classes_branches(tmp_path):
    """Bug guarded: a loaded branched net rebuilt from its class total alone, every class read
    from the first branch."""
    arch, classes = ARCHS["branched"], [2, 3]
    model = models.build(arch, classes, SIZE).eval()
    path = tmp_path / "net.pt"
    saved = {"arch": arch, "num_classes": sum(classes), "input_size": SIZE}
    torch.save({**saved, "state_dict": model.state_dict()}, path)
    loaded, _ = load_model(path)
    x = sampler(6, SIZE, n=2)(0)[0]
    with torch.no_grad():
        assert torch.equal(loaded(x), model(x))


def test_a_job_that_runs_a_vgg_does_not_import_torchvision():
    """Bug guarded: families.py imported torchvision.models at the top, which imports
    torch._dynamo: about 2 s at the start of every job of a run of hundreds of short jobs
    (benchmarks/bench_startup.py)."""
    code = (
        "import sys, funcspec.train, funcspec.relevance, funcspec.lesion, funcspec.evaluate\n"
        "from funcspec import models\n"
        "models.build({'stages': [[4]], 'fc': [], 'dropout': 0.0}, 3, 8)\n"
        "print(sorted(m for m in sys.modules if m.startswith('torchvision')))"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "[]"


class Backwards(torch.nn.Module):
    """A user's model whose module paths sort against depth."""

    def __init__(self, num_classes=CLASSES):
        super().__init__()
        self.zeta = torch.nn.Conv2d(3, 4, 3, padding=1)
        self.alpha = torch.nn.Conv2d(4, 4, 3, padding=1)
        self.fc = torch.nn.Linear(4, num_classes)

    def forward(self, x):
        return self.fc(torch.relu(self.alpha(torch.relu(self.zeta(x)))).mean((2, 3)))


def test_module_paths_that_do_not_sort_by_depth_are_refused():
    """Bug guarded: figures draw a custom model's layers in path order, silently not by depth."""
    config = architectures_config()
    config["archs"]["custom_tiny"] = {
        "family": "custom",
        "function": "test_families:Backwards",
        "input_size": SIZE,
    }
    with pytest.raises(ConfigError, match="do not sort by depth"):
        validate(config, "config/schema.yaml")


class Unsaved(Backwards):
    """A constant held outside the state dict (a non-persistent buffer)."""

    def __init__(self, num_classes=CLASSES):
        super().__init__(num_classes)
        self.register_buffer("scale", torch.full((1, 3, 1, 1), 2.0), persistent=False)

    def forward(self, x):
        return super().forward(x * self.scale)


def test_a_saved_custom_model_with_an_unsaved_buffer_loads(tmp_path):
    arch = {"family": "custom", "function": "test_families:Unsaved", "input_size": SIZE}
    model = models.build(arch, CLASSES, SIZE).eval()
    path = tmp_path / "net.pt"
    saved = {"arch": arch, "num_classes": CLASSES, "input_size": SIZE}
    torch.save({**saved, "state_dict": model.state_dict()}, path)
    loaded, _ = load_model(path)
    x = sampler(6, SIZE, n=2)(0)[0]
    with torch.no_grad():
        assert torch.equal(loaded(x), model(x))


def test_a_frozen_trunk_readout_is_fit_on_what_the_class_layer_reads(setup):  # noqa: F811
    """Bug guarded: the readout fit on the last unit layer's read point, in a ResNet with inner
    units a branch's batch norm of another width than the pooled stream the class layer reads."""
    _, pooled, _ = setup
    model = family_net("resnet_inner", classes=6, size=8)
    fit_readout(model, pooled, np.arange(len(pooled)), 6, 16, "cpu")
    x = torch.from_numpy(pooled.images(np.arange(4))).permute(0, 3, 1, 2).float()
    with torch.no_grad():
        assert torch.equal(model.head(model.features(x)), model(x))
