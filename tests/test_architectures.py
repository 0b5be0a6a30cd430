"""The architecture figure: each family's dual-task network tested against its own baselines,
its layers (module paths) in depth order, corrected across every layer of the figure."""

import math

import numpy as np
import pytest
from test_fig2 import INDEX, SEEDS, per_image
from workflow_helpers import architectures_config, figure_files

from funcspec.config import ConfigError, validate
from funcspec.figures.architectures import architectures, relative_depth

# The ResNet-style net's layers, out of text order: layer10.0 is deeper than layer2.0.
LAYERS = {"dual": ["conv2", "conv10", "fc11"], "resnet": ["layer0.0", "layer2.0", "layer10.0"]}
SPLIT = {"split1_a": ([0, 0, 1, 1], [1, 1, 1, 1]), "split1_b": ([1, 1, 1, 1], [1, 1, 0, 0])}


@pytest.fixture
def images_npz(tmp_path):
    paths = []
    for network, results in SEEDS.items():  # the dual net's two seeds and its untrained twin
        for layer in LAYERS["dual"]:
            paths.append(_save(tmp_path, network, layer, results | SPLIT))
    # The ResNet-style net: the dual net's first seed's lesions, and no untrained twin.
    for layer in LAYERS["resnet"]:
        paths.append(_save(tmp_path, "resnet_s1", layer, SEEDS["dual_s1"] | SPLIT))
    return paths[::-1]  # the file listing's order is not depth order


def _save(tmp_path, network, layer, results):
    path = tmp_path / "lesion" / network / f"{layer}.npz"
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, **per_image(network, layer, results))
    return path


def test_each_network_is_tested_against_its_own_baselines(images_npz, tmp_path):
    """Bugs guarded: a network tested against another family's untrained twin (or starred
    without one); module paths drawn in text order; Holm's correction per network rather than
    across the figure; a missing output file."""
    out = tmp_path / "figures" / "architectures"
    rows = architectures(
        images_npz,
        figure_files(out),
        {"dual": "untrained", "resnet": None},
        ("faces", "objects"),
        0.2,
        {"bootstrap": 200, "level": 0.95, "seed": 0},
    )
    own = [r for r in rows if r["task"] == "segregation_index" and not r["baseline"]]
    assert [(r["network"], r["layer"]) for r in own] == [
        (n, layer) for n in LAYERS for layer in LAYERS[n]
    ]
    for r in own:
        seeds = ["dual_s1"] if r["network"] == "resnet" else ["dual_s1", "dual_s2"]
        expected = np.mean([INDEX[s] for s in seeds])
        assert r["value"] == pytest.approx(expected)
        assert r["p_random_split"] <= r["p_random_split_holm"] <= 6 * r["p_random_split"]
    resnet = [r for r in own if r["network"] == "resnet"]
    assert all(math.isnan(r["p_untrained"]) and not r["above_baselines"] for r in resnet)
    assert all(not math.isnan(r["p_untrained"]) for r in own if r["network"] == "dual")
    untrained = [r for r in rows if r["baseline"] == "untrained"]
    assert {r["network"] for r in untrained} == {"untrained"} and len(untrained) == 3
    trends = [r for r in rows if r["task"] == "depth_slope"]
    assert [r["network"] for r in trends] == ["dual", "resnet"]
    assert relative_depth(resnet) == [0.0, 0.5, 1.0]
    assert sorted(p.name for p in out.parent.iterdir()) == [
        "architectures.csv",
        "architectures.pdf",
        "architectures.png",
    ]


@pytest.mark.parametrize(
    "networks, expected",
    [
        ({"resnet_dual": "random_features"}, "random_features has arch vgg_tiny"),
        ({"alexnet_dual": "alexnet_dual"}, "is not a frozen trunk"),
        ({"face": None}, "network face has tasks faces, not faces and objects"),
        ({"object": None}, "network 'object' is not ranked"),
    ],
)
def test_a_bad_architecture_figure_is_refused_before_any_job(networks, expected):
    config = architectures_config()
    config["figures"]["architectures"]["networks"] = networks
    with pytest.raises(ConfigError, match=expected):
        validate(config, "config/schema.yaml")
