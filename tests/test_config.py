"""Config validation: every shipped config is valid; every mistake is named by its key path."""
import copy
from pathlib import Path

import pytest

from funcspec.config import ConfigError, deep_merge, load_yaml, resolve, validate

CONFIG = Path(__file__).resolve().parents[1] / "config"
SCHEMA = CONFIG / "schema.yaml"


@pytest.fixture
def default():
    return load_yaml(CONFIG / "config.yaml")


@pytest.mark.parametrize("name", ["config.yaml", "smoke.yaml", "paper.yaml"])
def test_shipped_configs_are_valid(name):
    validated = validate(load_yaml(CONFIG / name), SCHEMA)
    for ds in validated["datasets"].values():
        assert ds["on_bad_image"] == "error" or ds["on_bad_image"] == "skip"
        assert "shard_size" in ds, "defaults must be filled in"


def broken(config, path, value):
    config = copy.deepcopy(config)
    node = config
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return config


@pytest.mark.parametrize("path, value, expected", [
    (["datasets", "faces", "trian_per_class"], 5,
     r"datasets\.faces: Additional properties are not allowed \('trian_per_class' was unexpected\)"),
    (["datasets", "faces", "train_per_class"], "sixty",
     r"datasets\.faces\.train_per_class: 'sixty' is not of type 'integer'"),
    (["datasets", "faces", "test_per_class"], -1,
     r"datasets\.faces\.test_per_class: -1 is less than the minimum of 1"),
    (["datasets", "objects", "synthetic", "domain"], "animals",
     r"datasets\.objects\.synthetic\.domain: 'animals' is not one of"),
    (["datasets", "faces", "on_bad_image"], "ignore",
     r"datasets\.faces\.on_bad_image: 'ignore' is not one of \['error', 'skip'\]"),
    (["probe", "folds"], 1, r"probe\.folds: 1 is less than the minimum of 2"),
    (["probe", "datasets"], ["faces", "pets"], r"probe\.datasets: 'pets' is not a dataset"),
    (["datasets", "faces", "image"], {"resize": 32, "crop": 48},
     r"datasets\.faces\.image\.crop: 48 is larger than image\.resize 32"),
    (["datasets", "faces", "layout"], "vggface2",
     r"datasets\.faces: give either `synthetic`"),
    (["datasets", "faces", "split"], "published",
     r"datasets\.faces\.split: generated datasets have no published split"),
    (["colour"], True, r"<top level>: Additional properties are not allowed \('colour'"),
])
def test_mistakes_name_the_key_path(default, path, value, expected):
    with pytest.raises(ConfigError, match=expected):
        validate(broken(default, path, value), SCHEMA)


def test_real_dataset_needs_layout_and_root(default):
    config = copy.deepcopy(default)
    del config["datasets"]["faces"]["synthetic"]
    config["datasets"]["faces"]["root"] = "/data/vggface2"
    with pytest.raises(ConfigError, match=r"datasets\.faces: a dataset on disk needs both"):
        validate(config, SCHEMA)
    config["datasets"]["faces"]["layout"] = "vggface2"
    assert validate(config, SCHEMA)["datasets"]["faces"]["split"] == "pooled"


def test_default_is_used_only_without_a_configfile(default):
    overrides = {"probe": {"folds": 3}}
    merged = resolve(overrides, [], CONFIG / "config.yaml")
    assert merged["probe"]["folds"] == 3 and merged["datasets"] == default["datasets"]
    smoke = load_yaml(CONFIG / "smoke.yaml")
    assert resolve(smoke, [CONFIG / "smoke.yaml"], CONFIG / "config.yaml") is smoke


def test_deep_merge_keeps_untouched_keys():
    assert deep_merge({"a": {"b": 1, "c": 2}}, {"a": {"c": 3}}) == {"a": {"b": 1, "c": 3}}


@pytest.mark.parametrize("path, value, expected", [
    (["networks", "dual", "tasks"], ["faces", "animals"], r"networks\.dual\.tasks: 'animals' is not a dataset"),
    (["networks", "dual", "arch"], "resnet", r"networks\.dual\.arch: 'resnet' is not one of `archs`"),
    (["networks", "untrained", "training"], {"epochs": -1},
     r"networks\.untrained\.training \(merged over training\)\.epochs: -1 is less than the minimum of 0"),
    (["training", "optimizer", "name"], "adam", r"training\.optimizer\.name: 'adam' is not one of"),
    (["archs", "vgg_wide", "input_size"], 64, r"arch vgg_wide takes 64 px inputs but datasets\.faces\.image\.crop is only 32"),
    (["decoding", "networks"], ["face", "cat"], r"decoding\.networks: 'cat' is not a network"),
    (["figures", "fig1", "dual_net"], "duel", r"figures\.fig1\.dual_net: 'duel' is not a network"),
])
def test_network_mistakes_name_the_key_path(default, path, value, expected):
    with pytest.raises(ConfigError, match=expected):
        validate(broken(default, path, value), SCHEMA)


def test_network_training_overrides_merge_over_the_defaults(default):
    from funcspec.config import network_spec

    config = validate(default, SCHEMA)
    untrained = network_spec(config, "untrained")
    assert untrained["training"]["epochs"] == 0
    assert untrained["training"]["batch_size"] == config["training"]["batch_size"]
    assert untrained["arch"] == config["archs"]["vgg_wide"]
