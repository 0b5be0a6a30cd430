"""Config validation: every shipped config is valid; every mistake is named by its key path."""

import argparse
import copy
import re
from pathlib import Path

import pytest

from funcspec.config import ConfigError, deep_merge, load_yaml, network_spec, resolve, validate
from funcspec.grouping import parse_candidates, shortlist_size

CONFIG = Path(__file__).resolve().parents[1] / "config"
SCHEMA = CONFIG / "schema.yaml"


@pytest.fixture
def default():
    return load_yaml(CONFIG / "config.yaml")


@pytest.mark.parametrize("name", ["config.yaml", "smoke.yaml", "paper.yaml"])
def test_shipped_configs_are_valid(name):
    """Bug guarded: validation accepts a config but fills in no default, the wrong default, or
    overwrites a value the config gives. Defaults sit at every kind of place the filler must
    reach: inside a dataset (a schema under additionalProperties, via $ref), in a plain
    section (relevance), beside a $ref (contact_sheet.seed, figS1.networks) and in a section
    the config may omit altogether (figS1). Values are the schema's, written out: a silently
    changed default fails."""
    raw = load_yaml(CONFIG / name)
    validated = validate(raw, SCHEMA)
    assert validated["datasets"].keys() == raw["datasets"].keys()
    for key, ds in validated["datasets"].items():
        given = raw["datasets"][key]
        assert ds["shard_size"] == given.get("shard_size", 4096), key
        assert ds["on_bad_image"] == given.get("on_bad_image", "error"), key
        assert ds["on_small_class"] == given.get("on_small_class", "error"), key
        assert ds["split"] == given.get("split", "pooled"), key
    relevance = validated["relevance"]
    assert relevance["engine"] == raw["relevance"].get("engine", "fast")
    assert relevance["batch_size"] == raw["relevance"].get("batch_size", 128)
    assert relevance["candidates"] == raw["relevance"].get("candidates", "4 groups")
    assert validated["contact_sheet"].get("seed") == raw["contact_sheet"].get("seed", 0)
    assert validated["figures"]["figS1"]["networks"] == raw["figures"].get("figS1", {}).get(
        "networks", []
    )


def broken(config, path, value):
    config = copy.deepcopy(config)
    node = config
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return config


@pytest.mark.parametrize(
    "path, value, expected",
    [
        (
            ["datasets", "faces", "trian_per_class"],
            5,
            r"datasets\.faces: Additional properties are not allowed "
            r"\('trian_per_class' was unexpected\)",
        ),
        (
            ["datasets", "faces", "train_per_class"],
            "sixty",
            r"datasets\.faces\.train_per_class: 'sixty' is not of type 'integer'",
        ),
        (
            ["datasets", "faces", "test_per_class"],
            -1,
            r"datasets\.faces\.test_per_class: -1 is less than the minimum of 1",
        ),
        (
            ["datasets", "objects", "generate", "domain"],
            "animals",
            r"datasets\.objects\.generate\.domain: 'animals' is not one of",
        ),
        (
            ["datasets", "faces", "on_bad_image"],
            "ignore",
            r"datasets\.faces\.on_bad_image: 'ignore' is not one of \['error', 'skip'\]",
        ),
        (["probe", "folds"], 1, r"probe\.folds: 1 is less than the minimum of 2"),
        (["probe", "datasets"], ["faces", "pets"], r"probe\.datasets: 'pets' is not a dataset"),
        (
            ["datasets", "faces", "image"],
            {"resize": 32, "crop": 48},
            r"datasets\.faces\.image\.crop: 48 is larger than image\.resize 32",
        ),
        (["datasets", "faces", "layout"], "vggface2", r"datasets\.faces: give either `generate`"),
        (
            ["datasets", "faces", "split"],
            "published",
            r"datasets\.faces\.split: generated datasets have no published split",
        ),
        (["colour"], True, r"<top level>: Additional properties are not allowed \('colour'"),
    ],
)
def test_mistakes_name_the_key_path(default, path, value, expected):
    with pytest.raises(ConfigError, match=expected):
        validate(broken(default, path, value), SCHEMA)


def test_real_dataset_needs_layout_and_root(default):
    config = copy.deepcopy(default)
    del config["datasets"]["faces"]["generate"]
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


@pytest.mark.parametrize(
    "path, value, expected",
    [
        (
            ["networks", "dual", "tasks"],
            ["faces", "animals"],
            r"networks\.dual\.tasks: 'animals' is not a dataset",
        ),
        (
            ["networks", "dual", "arch"],
            "resnet",
            r"networks\.dual\.arch: 'resnet' is not one of `archs`",
        ),
        (
            ["networks", "untrained", "train"],
            {"epochs": -1},
            r"networks\.untrained\.train \(merged over train\)\.epochs: -1 is less than the "
            r"minimum of 0",
        ),
        (["train", "optimizer", "name"], "adam", r"train\.optimizer\.name: 'adam' is not one of"),
        (
            ["archs", "vgg_wide", "input_size"],
            64,
            r"arch vgg_wide takes 64 px inputs but datasets\.faces\.image\.crop is only 32",
        ),
        (["decode", "networks"], ["face", "cat"], r"decode\.networks: 'cat' is not a network"),
        (
            ["figures", "fig1", "dual_net"],
            "duel",
            r"figures\.fig1\.dual_net: 'duel' is not a network",
        ),
        (["networks", "dual", "seeds"], [], r"networks\.dual\.seeds: \[\] should be non-empty"),
        (
            ["datasets", "faces", "heldout", "split"],
            "test",
            r"datasets\.faces\.heldout\.split: only the vggface2 layout splits its classes",
        ),
        (
            ["networks", "dual", "seeds"],
            [1, 2, 1],
            r"networks\.dual\.seeds: \[1, 2, 1\] has non-unique elements",
        ),
        (
            ["networks", "food_object", "tasks"],
            ["food", "objects_nofood"],
            r"networks\.food_object\.tasks: 'objects_nofood' is not a dataset",
        ),
        (
            ["datasets", "faces_matched", "train_per_class"],
            65,
            r"datasets\.faces_matched\.train_per_class: 65 train \+ 10 test images per class is "
            r"more than the 70 that generate\.images_per_class makes",
        ),
        (
            ["datasets", "food", "classes"],
            {"count": 55},
            r"datasets\.food\.classes\.count: 55 classes \+ 10 held out is more than the 60",
        ),
        (
            ["datasets", "faces_matched", "train_per_class"],
            40,
            r"figures\.fig4\.networks: network face_object's tasks are not matched in size "
            r"\(faces_matched: 2000 training images, objects_matched: 3000 training images\)",
        ),
        (
            ["relevance", "networks"],
            [
                "dual",
                "random_features",
                "face",
                "object",
                "dual_grey",
                "face_object",
                "food_object",
            ],
            r"figures\.fig4\.networks: network 'car_object' is not ranked; add it to "
            r"relevance\.networks",
        ),
        (
            ["relevance", "networks"],
            ["dual", "face", "object", "dual_grey", "face_object", "food_object", "car_object"],
            r"figures\.fig2\.untrained_net: network 'random_features' is not ranked",
        ),
        (
            ["figures", "fig2", "untrained_net"],
            "food_object",
            r"figures\.fig2\.untrained_net: network food_object has tasks food, objects_matched; "
            r"the baseline needs faces and objects",
        ),
        (
            ["figures", "fig4", "untrained_net"],
            "face",
            r"figures\.fig4\.untrained_net: network face has tasks faces; the baseline needs two",
        ),
        (
            ["relevance", "random_split", "partitions"],
            2,
            r"relevance\.random_split\.partitions: 2 is fewer than the 3 seeds of network dual; "
            r"partitions are dealt to its seeds in turn, and each seed needs one of its own",
        ),
        (
            ["relevance", "random_split", "partitions"],
            0,
            r"config key relevance\.random_split\.partitions: 0 is less than the minimum of 1",
        ),
        (
            ["figures", "fig4", "object_tasks"],
            ["objects"],
            r"figures\.fig4\.networks: network face_object \(faces_matched, objects_matched\) "
            r"must have two tasks, one of them in figures\.fig4\.object_tasks",
        ),
        (
            ["visualize", "layers"],
            ["conv2", "conv9"],
            r"visualize\.layers: network dual has no ranked layer 'conv9' \(valid: conv1, conv2, "
            r"conv3, conv4, conv5, conv6, fc5, fc6\)",
        ),
        (
            ["visualize", "networks"],
            ["dual", "face"],
            r"visualize\.networks: network face has no task objects; its units are grouped by "
            r"the rankings of readout\.face and readout\.object",
        ),
        (
            ["readout", "unseen_classes"],
            50,
            r"readout\.unseen_classes: 50 of the 50 held-out classes of objects would leave none "
            r"to train the readout on",
        ),
        (
            ["visualize", "networks"],
            ["dual", "fcae"],
            r"visualize\.networks: 'fcae' is not a network in `networks`",
        ),
        (
            ["networks", "dual", "consolidated"],
            ["food"],
            r"networks\.dual\.consolidated: 'food' is not one of its tasks \(faces, objects\)",
        ),
        (
            ["networks", "face", "consolidated"],
            ["faces"],
            r"networks\.face\.consolidated: its one task as one class leaves nothing to tell apart",
        ),
        (
            ["networks", "dual", "consolidated"],
            ["faces"],
            r"relevance\.random_split: 'dual' has consolidated tasks",
        ),
        (["readout", "face"], "fcaes", r"readout\.face: 'fcaes' is not a dataset in `datasets`"),
        (["readout", "arch"], "vgg16", r"readout\.arch: 'vgg16' is not one of `archs`"),
        (["readout", "object"], "faces", r"readout\.object: the same dataset as readout\.face"),
        (
            ["datasets", "objects", "image"],
            {"resize": 24, "crop": 24},
            r"readout\.arch: vgg_wide takes 32 px but datasets\.objects\.image\.crop is only 24",
        ),
    ],
)
def test_network_mistakes_name_the_key_path(default, path, value, expected):
    with pytest.raises(ConfigError, match=expected):
        validate(broken(default, path, value), SCHEMA)


def test_p_values_from_too_few_resamples_are_refused(default):
    statistics = {"bootstrap": 1000, "level": 0.95, "seed": 0}
    with pytest.raises(
        ConfigError,
        match=r"figures\.statistics\.bootstrap: 1000 resamples, fewer than "
        r"figures\.statistics\.min_resamples \(10000\)",
    ):
        validate(broken(default, ["figures", "statistics"], statistics), SCHEMA)
    validate(
        broken(default, ["figures", "statistics"], {**statistics, "min_resamples": 1000}), SCHEMA
    )


def test_a_frozen_trunk_baseline_of_another_arch_is_refused(default):
    config = broken(default, ["archs", "vgg_narrow"], {**default["archs"]["vgg_wide"], "fc": [64]})
    config["networks"]["random_features"]["arch"] = "vgg_narrow"
    with pytest.raises(
        ConfigError,
        match=r"figures\.fig2\.untrained_net: random_features has arch vgg_narrow, the network it "
        r"is a baseline for, dual, has vgg_wide",
    ):
        validate(config, SCHEMA)


def test_network_training_overrides_merge_over_the_defaults(default):
    from funcspec.config import network_spec

    config = validate(default, SCHEMA)
    untrained = network_spec(config, "untrained_s1")
    assert untrained["train"]["epochs"] == 0
    assert untrained["train"]["batch_size"] == config["train"]["batch_size"]
    assert untrained["arch"] == config["archs"]["vgg_wide"]


@pytest.mark.parametrize(
    "options, expected",
    [
        (
            {"crop_marign": 0.1},
            r"datasets\.faces\.layout_options: Additional properties are not "
            r"allowed \('crop_marign' was unexpected\) \(allowed keys: crop, "
            r"crop_margin, val_labels\)",
        ),
        (
            {"val_labels": "x.csv"},
            r"datasets\.faces\.layout_options: layout 'vggface2' has no option "
            r"'val_labels' \(its options: crop, crop_margin\)",
        ),
        ({"crop": "yes"}, r"datasets\.faces\.layout_options\.crop: 'yes' is not of type 'boolean'"),
    ],
)
def test_layout_options_are_checked_before_any_job(options, expected):
    """Bug: a misspelled layout_options key surfaced as a traceback inside the prepare job."""
    paper = load_yaml(CONFIG / "paper.yaml")
    with pytest.raises(ConfigError, match=expected):
        validate(broken(paper, ["datasets", "faces", "layout_options"], options), SCHEMA)


@pytest.mark.parametrize(
    "settings, expected",
    [
        (
            {"engine": "exact"},
            r"config key relevance\.engine: 'exact' is not one of "
            r"\['fast', 'reference', 'pruned'\]",
        ),
        (
            {"engine": "pruned", "candidates": 34, "max_steps": 3},  # fc5: floor(0.2 * 512 / 3) + 1
            r"config key relevance\.candidates: 34 is fewer than the 35 units a step adds in "
            r"layer fc5 of arch vgg_wide",
        ),
        # the paper's rule: fc5 adds int(0.016 * 512) = 8 units per step, conv1 int(0.016 * 32) = 1
        (
            {"engine": "pruned", "candidates": 7, "max_steps": None},
            r"relevance\.candidates: 7 is fewer than the 8 units a step adds in layer fc5",
        ),
        (
            {"candidates": "0 groups"},
            r"config key relevance\.candidates: '0 groups' is not valid under any of the given",
        ),
        (
            {"candidates": "4 groups, at least 0"},
            r"config key relevance\.candidates: '4 groups, at least 0' is not valid under any",
        ),
        (
            {"candidates": "4 groups\n"},
            r"config key relevance\.candidates: '4 groups\\n' is not valid under any of the",
        ),
    ],
)
def test_an_unknown_engine_or_a_shortlist_below_a_group_is_refused(default, settings, expected):
    """Bug guarded: a pruned ranking that cannot choose its group (M below the group size of
    some ranked layer), or an engine no ranking has, found only inside a job. Both are refused
    before any job, naming the key; M counts in the widest group among the ranked layers."""
    default["relevance"].update(settings)
    with pytest.raises(ConfigError, match=expected):
        validate(default, SCHEMA)


def test_a_shortlist_of_one_group_or_more_is_accepted(default):
    """Bug guarded: a check that refuses M equal to the widest group, or M in group sizes
    (valid in every layer, whatever its width)."""
    default["relevance"].update(engine="pruned", candidates=35, max_steps=3)
    assert validate(default, SCHEMA)["relevance"]["candidates"] == 35
    default["relevance"].update(candidates="1 groups")
    assert validate(default, SCHEMA)["relevance"]["candidates"] == "1 groups"
    default["relevance"].update(candidates=8, max_steps=None)  # the paper's groups: 1 to 8
    assert validate(default, SCHEMA)["relevance"]["candidates"] == 8
    default["relevance"].update(candidates="4 groups, at least 16")
    assert validate(default, SCHEMA)["relevance"]["candidates"] == "4 groups, at least 16"


def test_a_shortlists_floor_holds_in_narrow_layers_only():
    """Bug guarded: a floor that replaces the groups (or is ignored) instead of raising M
    where k groups are few units: M is the larger of k groups and the floor."""
    m = "4 groups, at least 16"
    assert [shortlist_size(m, group) for group in (1, 2, 4, 8)] == [16, 16, 16, 32]
    assert parse_candidates(m) == m
    with pytest.raises(argparse.ArgumentTypeError):
        parse_candidates("4 groups, at least")


def test_lesion_layers_are_checked_before_any_job(default):
    """Bug: a wrong name in lesions.layers (now relevance.layers) failed only after training,
    inside a ranking job."""
    with pytest.raises(
        ConfigError,
        match=r"relevance\.layers: network dual \(arch vgg_wide\) has "
        r"no lesionable layer 'conv9' \(its layers: conv1, "
        r"conv2, conv3, conv4, conv5, conv6, fc5, fc6\)",
    ):
        validate(broken(default, ["relevance", "layers"], ["conv1", "conv9"]), SCHEMA)
    fewer = broken(default, ["relevance", "layers"], ["conv1", "fc6"])
    assert validate(broken(fewer, ["visualize", "layers"], ["conv1", "fc6"]), SCHEMA)


def test_figure4s_overlap_needs_the_last_hidden_layer_ranked(default):
    """Bug guarded: relevance.layers without the last hidden layer fails only after training,
    when the overlap job finds no ranking to read."""
    fewer = broken(default, ["relevance", "layers"], ["conv1", "fc5"])
    with pytest.raises(
        ConfigError,
        match=r"relevance\.layers: Figure 4's overlap decodes the units of each ranking of fc6, "
        r"the last hidden layer of face_object; rank it too",
    ):
        validate(broken(fewer, ["visualize", "layers"], ["conv1"]), SCHEMA)


INJECTION = "faces; touch injected"
# String values that name files, not things of the config: they reach a job only inside the
# quoted JSON of --spec (tests/test_workflow.py runs one with shell characters in it).
PATH_KEYS = {"root", "include", "exclude", "val_labels"}


def string_values(node, path=()):
    """(key path, value) of every string in a config, list items included."""
    items = (
        node.items()
        if isinstance(node, dict)
        else enumerate(node)
        if isinstance(node, list)
        else ()
    )
    for key, value in items:
        if isinstance(value, str) and key not in PATH_KEYS:
            yield [*path, key], value
        yield from string_values(value, (*path, key))


def renamed(config, path, new):
    config = copy.deepcopy(config)
    parent = config
    for key in path[:-1]:
        parent = parent[key]
    parent[new] = parent.pop(path[-1])
    return config


@pytest.mark.parametrize("name", ["config.yaml", "smoke.yaml", "paper.yaml"])
def test_no_config_string_can_inject_a_shell_command(name):
    """Bug: figures.fig2.face_task "faces; touch X" was not validated, reached the fig2 shell
    line unquoted and ran `touch`. Every string of the config (and every name it defines) is
    checked against what it must name before any job runs."""
    config = load_yaml(CONFIG / name)
    strings = list(string_values(config))
    assert len(strings) > 20  # the walk reaches the figures, networks, lesions, decoding, ...
    for path, _ in strings:
        key = ".".join(map(str, path[:-1] if isinstance(path[-1], int) else path))
        with pytest.raises(ConfigError, match=re.escape(key)):
            validate(broken(config, path, INJECTION), SCHEMA)
    for section in ("datasets", "networks", "archs"):
        for defined in config[section]:
            with pytest.raises(ConfigError, match=re.escape(section)):
                validate(renamed(config, [section, defined], INJECTION), SCHEMA)
    with pytest.raises(ConfigError, match=r"relevance\.layers\.0"):
        validate(broken(config, ["relevance", "layers"], [INJECTION]), SCHEMA)


def test_a_name_may_not_end_in_a_newline(default):
    """Bug (review): JSON-schema patterns are searched with Python's re, where `$` also matches
    before a final newline, so a dataset named "faces\\n" passed and split its shell lines."""
    config = renamed(default, ["datasets", "faces"], "faces\n")
    with pytest.raises(ConfigError, match=r"datasets: 'faces\\n' does not match"):
        validate(config, SCHEMA)


def test_a_visualised_network_must_be_ranked(default):
    default["relevance"]["networks"].remove("dual")
    default["relevance"]["random_split"]["networks"] = []
    default["figures"]["fig2"]["network"] = "face_object"
    with pytest.raises(
        ConfigError,
        match=r"visualize\.networks: network 'dual' is not ranked; "
        r"add it to relevance\.networks",
    ):
        validate(default, SCHEMA)


def test_the_power_config_holds_at_least_the_minimums_the_default_leaves_out(default):
    """Bug guarded: config/power.yaml, laid over the default, stops validating or holds less than
    what the default defers to it: at least 5 seeds of the dual net, of its random-features
    baseline and of every Figure 4 network, and at least 10 random splits of each of them but
    the baseline."""
    power = validate(deep_merge(default, load_yaml(CONFIG / "power.yaml")), SCHEMA)
    plotted = [power["figures"]["fig2"]["network"], *power["figures"]["fig4"]["networks"]]
    for name in [*plotted, power["figures"]["fig2"]["untrained_net"]]:
        assert len(power["networks"][name]["seeds"]) >= 5, name
    assert set(plotted) <= set(power["relevance"]["random_split"]["networks"])
    assert power["relevance"]["random_split"]["partitions"] >= 10
    assert power["networks"]["dual"]["tasks"] == default["networks"]["dual"]["tasks"]


def test_a_dataset_may_not_be_named_like_a_random_split_half(default):
    """Bug guarded: a dataset named split1_a was taken for the half of a random split, so its
    ranking was left out of the network's tasks and drawn as a baseline."""
    with pytest.raises(ConfigError, match=r"datasets\.split1_a: the name of a random split's half"):
        validate(renamed(default, ["datasets", "faces"], "split1_a"), SCHEMA)


def test_consolidation_is_in_the_spec_of_its_network_only(default):
    """Bug guarded: the key in the spec of every network, consolidating or not, so that each
    one's spec, and its training fingerprint, differs from what it was before the key existed."""
    config = broken(default, ["networks", "detect"], {**default["networks"]["dual"]})
    config["networks"]["detect"]["consolidated"] = ["faces"]
    assert network_spec(config, "detect_s1")["consolidated"] == ["faces"]
    assert network_spec(config, "dual_s1") == network_spec(default, "dual_s1")
    assert "consolidated" not in network_spec(config, "dual_s1")


def test_the_architectures_config_ranks_its_control_and_draws_it_beside_faces(default):
    """Bug guarded: config/architectures.yaml, laid over the default, stops validating, drops a
    network the default ranks, or leaves the faces-consolidated control out of Figure 4, whose
    first network (faces beside the same object task) it is compared with."""
    merged = validate(deep_merge(default, load_yaml(CONFIG / "architectures.yaml")), SCHEMA)
    control = merged["networks"]["detect_object"]
    assert control["consolidated"] == ["faces_matched"]
    assert set(default["relevance"]["networks"]) < set(merged["relevance"]["networks"])
    fig4 = merged["figures"]["fig4"]["networks"]
    assert fig4[0] == "face_object" and "detect_object" in fig4
    assert control["tasks"] == merged["networks"]["face_object"]["tasks"]


@pytest.mark.parametrize(
    "change, expected",
    [
        (
            lambda c: c["snapshots"].update(epochs=[3, 30]),
            r"snapshots\.epochs: 30 is not before the end of dual's training \(30 epochs\)",
        ),
        (
            lambda c: c["snapshots"].update(networks=["random_features"]),
            r"snapshots\.networks: random_features is a frozen trunk",
        ),
        (
            lambda c: c["figures"]["snapshots"].update(network="face"),
            r"figures\.snapshots\.network: 'face' is not in snapshots\.networks \(dual\)",
        ),
        (
            lambda c: c["figures"]["snapshots"].update(untrained_net="untrained"),
            r"figures\.snapshots\.untrained_net: untrained is not a frozen trunk",
        ),
        (
            lambda c: c["networks"]["random_features"].update(seeds=[1]),
            r"figures\.snapshots\.untrained_net: random_features lacks seeds \[2\] of dual",
        ),
        (
            lambda c: c["figures"].pop("snapshots"),
            r"snapshots\.networks: nothing draws dual's snapshots; figures\.snapshots draws none",
        ),
        (
            lambda c: c["figures"]["snapshots"].update(untrained_net="detect_object"),
            r"detect_object has consolidated \['faces'\], dual has None; epoch 0 is dual's",
        ),
    ],
)
def test_a_snapshot_config_that_cannot_show_the_network_over_training_is_refused(change, expected):
    """Bug guarded: snapshots after the end of training (they would be the trained network
    again), of a net with no epochs, or a figure whose epoch 0 is not the network's own initial
    trunk of every seed, accepted and drawn."""
    from workflow_helpers import architectures_config

    config = architectures_config()
    validate(copy.deepcopy(config), SCHEMA)
    change(config)
    with pytest.raises(ConfigError, match=expected):
        validate(config, SCHEMA)


def test_a_snapshot_is_its_network_stopped_after_its_epoch(default):
    """Bug guarded: a snapshot's spec differing from its network's in anything but its name and
    its epoch (another trajectory), or the network's own spec changed by its snapshots (taking
    them would retrain it)."""
    config = validate(default, SCHEMA)
    before = network_spec(config, "dual_s2")
    config["snapshots"] = {"networks": ["dual"], "epochs": [3]}
    assert network_spec(config, "dual_s2") == before
    assert network_spec(config, "dual_s2_e3") == {**before, "name": "dual_s2_e3", "snapshot": 3}
