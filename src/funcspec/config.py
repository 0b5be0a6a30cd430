"""Load and validate the pipeline configuration before any job runs.

Errors name the key path and what was expected, so a typo in a 200-line config is found at
once instead of hours later inside a cluster job.
"""

from __future__ import annotations

import copy

import jsonschema
import yaml

from .datasets import LAYOUTS, layout_options
from .errors import FuncspecError
from .grouping import group_size, shortlist_size
from .layers import depth_order, lesionable
from .seeds import epoch_of, split
from .tasks import dealt, halves, is_split


class ConfigError(FuncspecError):
    pass


def load_yaml(path) -> dict:
    with open(path) as f:
        return yaml.safe_load(f) or {}


def _key_path(error: jsonschema.ValidationError) -> str:
    return ".".join(str(p) for p in error.absolute_path) or "<top level>"


def _describe(error: jsonschema.ValidationError) -> str:
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        hint = f" (allowed keys: {', '.join(allowed)})" if allowed else ""
        return f"{error.message}{hint}"
    return error.message


def _apply_defaults(schema: dict, node, root: dict) -> None:
    """Fill schema defaults in place, so jobs see every value that shaped their output."""
    if "$ref" in schema:
        schema = _resolve_ref(root, schema["$ref"])
    if not isinstance(node, dict):
        return
    for key, sub in schema.get("properties", {}).items():
        if "$ref" in sub:  # keywords beside a $ref (a default) refine the referenced schema
            sub = {**_resolve_ref(root, sub["$ref"]), **sub}
        if key not in node and "default" in sub:
            node[key] = copy.deepcopy(sub["default"])
        if key in node:
            _apply_defaults(sub, node[key], root)
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict):
        for key, value in node.items():
            if key not in schema.get("properties", {}):
                _apply_defaults(extra, value, root)


def _resolve_ref(root: dict, ref: str) -> dict:
    node = root
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


def _errors(schema: dict, instance, prefix: str = "") -> list[str]:
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
    return [f"{prefix}{_key_path(e)}: {_describe(e)}" for e in errors]


def validate(config: dict, schema_path) -> dict:
    """Return a validated copy of `config` with defaults filled in; raise ConfigError otherwise."""
    schema = load_yaml(schema_path)
    config = copy.deepcopy(config)
    problems = _errors(schema, config)
    if not problems:
        _apply_defaults(schema, config, schema)
        problems = _check_consistency(config, schema)
    if problems:
        raise ConfigError(
            "invalid configuration:\n" + "\n".join(f"  config key {p}" for p in problems)
        )
    return config


def network_spec(config: dict, name: str) -> dict:
    """Everything that shapes network instance `name` (<network>_s<seed>): its tasks (and which
    are consolidated), architecture, seed and train settings."""
    network, seed = split(name)
    net = config["networks"][network]
    # Only where set: a network without it keeps the spec it had before the key existed.
    consolidated = {"consolidated": net["consolidated"]} if net.get("consolidated") else {}
    # A snapshot is its instance's training stopped after an epoch: the same spec, so the same
    # trajectory, and the instance's own spec is untouched by the snapshots taken of it.
    epoch = epoch_of(name)
    return {
        "name": name,
        "tasks": net["tasks"],
        "seed": seed,
        "arch": config["archs"][net["arch"]],
        "train": deep_merge(config["train"], net.get("train", {})),
        **consolidated,
        **({"snapshot": epoch} if epoch is not None else {}),
    }


def split_tasks(config: dict, name: str) -> list[str]:
    """The random-split halves network instance `name` is ranked on: both halves of each
    partition dealt to its seed (none if its network is not in relevance.random_split)."""
    network, seed = split(name)
    random_split = config["relevance"]["random_split"]
    # A snapshot's figure compares it with its untrained epoch 0, not with random splits.
    if network not in random_split["networks"] or epoch_of(name) is not None:
        return []
    seeds = config["networks"][network]["seeds"]
    dealt_here = dealt(random_split["partitions"], seeds.index(seed), len(seeds))
    return [half for partition in dealt_here for half in halves(partition)]


def _check_consistency(config: dict, schema: dict) -> list[str]:
    problems = []
    for name, ds in config["datasets"].items():
        problems += _check_dataset(name, ds)
    for name in config["probe"]["datasets"]:
        if name not in config["datasets"]:
            problems.append(
                f"probe.datasets: {name!r} is not a dataset in `datasets` "
                f"({', '.join(config['datasets'])})"
            )
    archs = _check_archs(config)
    if archs:  # every later check reads the archs' layers
        return problems + archs
    problems += _check_networks(config, schema)
    for name in config["decode"]["networks"]:
        if name not in config["networks"]:
            problems.append(f"decode.networks: {name!r} is not a network in `networks`")
        problems += _branched(config, "decode.networks", name)
    for name in config["decode"]["datasets"]:
        if name not in config["datasets"]:
            problems.append(f"decode.datasets: {name!r} is not a dataset in `datasets`")
    problems += _check_relevance(config)
    ranked = config["relevance"]["fraction"]
    for p in config["lesion"]["fractions"]:
        if p > ranked:
            problems.append(
                f"lesion.fractions: {p} is more than the ranked fraction "
                f"relevance.fraction {ranked}"
            )
    problems += _check_figures(config)
    problems += _check_visualize(config)
    problems += _check_fig1(config)
    return problems


def _check_dataset(name: str, ds: dict) -> list[str]:
    """Dataset `name` is either generated or on disk, and asks for nothing its source lacks."""
    where, problems = f"datasets.{name}", []
    if is_split(name):
        problems.append(f"{where}: the name of a random split's half (split<p>_a/b); rename it")
    is_generated = "generate" in ds
    is_real = "layout" in ds or "root" in ds
    if is_generated == is_real:
        problems.append(
            f"{where}: give either `generate` (generated images) or `layout` and "
            "`root` (a dataset on disk), exactly one of the two"
        )
    elif is_real and not ("layout" in ds and "root" in ds):
        problems.append(f"{where}: a dataset on disk needs both `layout` and `root`")
    if is_generated and ds["split"] == "published":
        problems.append(f"{where}.split: generated datasets have no published split; use pooled")
    for key in ("classes", "heldout"):
        # only VGGFace2's train and test folders hold different classes
        if ds[key]["split"] != "any" and ds.get("layout") != "vggface2":
            problems.append(
                f"{where}.{key}.split: only the vggface2 layout splits its classes into "
                f"train and test; this dataset's classes span both (use any)"
            )
    if is_real and ds.get("layout") in LAYOUTS:
        accepted = layout_options(ds["layout"])
        for option in sorted(set(ds["layout_options"]) - set(accepted)):
            problems.append(
                f"{where}.layout_options: layout {ds['layout']!r} has no option "
                f"{option!r} (its options: {', '.join(accepted) or 'none'})"
            )
    if is_generated:
        problems += _check_generated_counts(where, ds)
    if ds["image"]["crop"] > ds["image"]["resize"]:
        problems.append(
            f"{where}.image.crop: {ds['image']['crop']} is larger than "
            f"image.resize {ds['image']['resize']}"
        )
    return problems


# family: (keys it needs, keys it may have), besides input_size (families.py says what they do)
FAMILY_KEYS = {
    "vgg": ({"stages", "fc", "dropout"}, set()),
    "alexnet": (set(), {"width", "batch_norm", "dropout"}),
    "resnet": (set(), {"blocks", "width", "units"}),
    "branched": ({"stages", "fc", "dropout", "split"}, {"branches"}),
    "custom": ({"function"}, {"kwargs"}),
}


def _check_archs(config: dict) -> list[str]:
    """Each arch has its family's keys and no other, and a model with unit layers is built from
    it (on the meta device: no weights); a custom function is imported to do so."""
    problems = []
    for name, arch in config["archs"].items():
        where, family = f"archs.{name}", arch.get("family", "vgg")
        needed, allowed = FAMILY_KEYS[family]
        given = set(arch) - {"family", "input_size"}
        found = [f"{where}: family {family} needs `{key}`" for key in sorted(needed - given)]
        found += [
            f"{where}.{key}: not a key of family {family} (its keys: "
            f"{', '.join(sorted(needed | allowed | {'input_size'}))})"
            for key in sorted(given - needed - allowed)
        ]
        if family == "resnet" and not float(arch.get("width", 32)).is_integer():
            found.append(f"{where}.width: {arch['width']} channels is not a whole number")
        if not found and family != "vgg":
            try:
                names = lesionable(arch)
                if not names:
                    found.append(f"{where}: its model has no conv or linear layer but the last")
                elif depth_order(names) != names:
                    first = next(a for a, b in zip(depth_order(names), names) if a != b)
                    found.append(
                        f"{where}: its unit layers ({', '.join(names)}) do not sort by depth as "
                        f"module paths ({first} sorts too early), and figures order layers by "
                        "path: name the modules so that they do (a wrapper module can)"
                    )
            except FuncspecError as exc:
                found.append(f"{where}: {exc}")
            except Exception as exc:  # noqa: BLE001 - a user's model can fail in any way
                found.append(f"{where}: building its model failed: {type(exc).__name__}: {exc}")
        problems += found
    return problems


def _check_networks(config: dict, schema: dict) -> list[str]:
    """Each network's tasks and arch exist, its inputs are no larger than its datasets' crops,
    and its train settings merged over `train` are valid."""
    problems = []
    train_schema = {**schema["$defs"]["train"], "$defs": schema["$defs"]}
    for name, net in config["networks"].items():
        where = f"networks.{name}"
        for task in net["tasks"]:
            if task not in config["datasets"]:
                problems.append(f"{where}.tasks: {task!r} is not a dataset in `datasets`")
        for task in net.get("consolidated", []):
            if task not in net["tasks"]:
                problems.append(
                    f"{where}.consolidated: {task!r} is not one of its tasks "
                    f"({', '.join(net['tasks'])})"
                )
        if len(net["tasks"]) == 1 and net.get("consolidated"):
            problems.append(
                f"{where}.consolidated: its one task as one class leaves nothing to tell apart"
            )
        if net["arch"] not in config["archs"]:
            problems.append(
                f"{where}.arch: {net['arch']!r} is not one of `archs` "
                f"({', '.join(config['archs'])})"
            )
        else:
            size = config["archs"][net["arch"]]["input_size"]
            for task in set(net["tasks"]) & set(config["datasets"]):
                if config["datasets"][task]["image"]["crop"] < size:
                    problems.append(
                        f"{where}: arch {net['arch']} takes {size} px inputs but "
                        f"datasets.{task}.image.crop is only "
                        f"{config['datasets'][task]['image']['crop']}"
                    )
        merged = deep_merge(config["train"], net.get("train", {}))
        problems += _errors(train_schema, merged, f"{where}.train (merged over train).")
        arch = config["archs"].get(net["arch"], {})
        if arch.get("family") == "branched":
            if len(net["tasks"]) != arch.get("branches", 2):
                problems.append(
                    f"{where}.tasks: {len(net['tasks'])} tasks for the "
                    f"{arch.get('branches', 2)} branches of arch {net['arch']} (archs."
                    f"{net['arch']}.branches): a branch serves one task"
                )
            if merged.get("frozen_trunk"):
                problems.append(
                    f"{where}.train.frozen_trunk: a branched net's class layer reads each branch "
                    "apart, not a readout fit on all its features; train it whole"
                )
    return problems


def _check_relevance(config: dict) -> list[str]:
    """The ranked and randomly split networks exist, each split network has a partition per
    seed, the ranked layers are lesionable layers of every ranked network, and the pruned
    engine's shortlist holds a group of each."""
    relevance, problems = config["relevance"], []
    for key in ("networks", "random_split"):
        names = relevance[key] if key == "networks" else relevance[key]["networks"]
        for name in names:
            if name not in config["networks"]:
                problems.append(f"relevance.{key}: {name!r} is not a network in `networks`")
            elif key == "random_split" and name not in relevance["networks"]:
                problems.append(f"relevance.random_split: {name!r} is not in relevance.networks")
            elif key == "random_split" and config["networks"][name].get("consolidated"):
                problems.append(
                    f"relevance.random_split: {name!r} has consolidated tasks; a random split of "
                    "its classes would put a whole task in one half"
                )
            elif (
                key == "random_split"
                and len(config["networks"][name]["seeds"])
                > (relevance["random_split"]["partitions"])
            ):
                problems.append(
                    f"relevance.random_split.partitions: {relevance['random_split']['partitions']} "
                    f"is fewer than the {len(config['networks'][name]['seeds'])} seeds of "
                    f"network {name}; partitions are dealt to its seeds in turn, and each seed "
                    "needs one of its own"
                )
    for name in (n for n in relevance["networks"] if n in config["networks"]):
        arch = config["archs"].get(config["networks"][name]["arch"])
        valid = lesionable(arch) if arch else []
        for layer in relevance["layers"] or []:
            if arch and layer not in valid:
                problems.append(
                    f"relevance.layers: network {name} (arch "
                    f"{config['networks'][name]['arch']}) has no lesionable layer "
                    f"{layer!r} (its layers: {', '.join(valid)})"
                )
    ranked = (
        config["networks"][n]["arch"] for n in relevance["networks"] if n in config["networks"]
    )
    for arch in dict.fromkeys(a for a in ranked if a in config["archs"]):
        problems += _check_shortlist(relevance, arch, config["archs"][arch])
    return problems


def _check_shortlist(relevance: dict, name: str, arch: dict) -> list[str]:
    """relevance.candidates holds a group of each ranked layer of arch `name`: the pruned
    engine chooses a group among them."""
    units = unit_counts(arch)
    settings = (relevance["fraction"], relevance["group_fraction"], relevance["max_steps"])
    groups = {
        layer: group_size(units[layer], *settings)
        for layer in relevance["layers"] or units
        if layer in units
    }
    widest = max(groups, key=groups.get, default=None)
    if widest is None or shortlist_size(relevance["candidates"], groups[widest]) >= groups[widest]:
        return []
    return [
        f"relevance.candidates: {relevance['candidates']} is fewer than the {groups[widest]} "
        f"units a step adds in layer {widest} of arch {name}; give at least that many, "
        "or a multiple of the group size ('<k> groups')"
    ]


def _check_fig1(config: dict) -> list[str]:
    """Figure 1's networks exist and its tasks are theirs."""
    fig1, problems = config["figures"]["fig1"], []
    for key in ("face_net", "object_net", "dual_net", "untrained_net"):
        if fig1.get(key) is not None and fig1[key] not in config["networks"]:
            problems.append(f"figures.fig1.{key}: {fig1[key]!r} is not a network in `networks`")
        elif fig1.get(key) is not None:
            problems += _branched(config, f"figures.fig1.{key}", fig1[key])
    for key, nets in (
        ("face_task", ("face_net", "dual_net")),
        ("object_task", ("object_net", "dual_net")),
    ):
        for net in (fig1[n] for n in nets if fig1[n] in config["networks"]):
            if fig1[key] not in config["networks"][net]["tasks"]:
                problems.append(
                    f"figures.fig1.{key}: {fig1[key]!r} is not a task of network "
                    f"{net} ({', '.join(config['networks'][net]['tasks'])})"
                )
    return problems


def _check_visualize(config: dict) -> list[str]:
    """Figure 3's units exist: each visualised network is ranked in each named layer, on the
    readout's two tasks; the readout's datasets keep classes from it and see its image size."""
    vis, relevance, problems = config["visualize"], config["relevance"], []
    sizes = set()
    for name in vis["networks"]:
        if name not in config["networks"]:
            problems.append(f"visualize.networks: {name!r} is not a network in `networks`")
            continue
        if name not in relevance["networks"]:
            problems.append(
                f"visualize.networks: network {name!r} is not ranked; add it to "
                "relevance.networks to rank it"
            )
            continue
        problems += _branched(config, "visualize.networks", name)
        arch = config["archs"].get(config["networks"][name]["arch"])
        if arch is None:
            continue
        sizes.add(arch["input_size"])
        ranked = relevance["layers"] or lesionable(arch)
        for layer in vis["layers"]:
            if layer not in ranked:
                problems.append(
                    f"visualize.layers: network {name} has no ranked layer {layer!r} "
                    f"(valid: {', '.join(ranked)})"
                )
                continue
        missing = {config["readout"]["face"], config["readout"]["object"]} - set(
            config["networks"][name]["tasks"]
        )
        if missing:
            problems.append(
                f"visualize.networks: network {name} has no task {', '.join(sorted(missing))}; "
                "its units are grouped by the rankings of readout.face and readout.object"
            )
    readout = config["readout"]
    for key in ("face", "object"):
        if readout[key] not in config["datasets"]:
            problems.append(
                f"readout.{key}: {readout[key]!r} is not a dataset in `datasets` "
                f"({', '.join(config['datasets'])})"
            )
        elif config["datasets"][readout[key]]["heldout"]["count"] <= readout["unseen_classes"]:
            problems.append(
                f"readout.unseen_classes: {readout['unseen_classes']} of the "
                f"{config['datasets'][readout[key]]['heldout']['count']} held-out classes of "
                f"{readout[key]} would leave none to train the readout on"
            )
    if readout["face"] == readout["object"]:
        problems.append(f"readout.object: the same dataset as readout.face ({readout['face']})")
    if readout["arch"] not in config["archs"]:
        problems.append(
            f"readout.arch: {readout['arch']!r} is not one of `archs` "
            f"({', '.join(config['archs'])})"
        )
    elif config["archs"][readout["arch"]].get("family") == "branched":
        problems.append(
            f"readout.arch: {readout['arch']} is branched: a branch per task, and the readout "
            "has one task (face or not)"
        )
    elif sizes - {config["archs"][readout["arch"]]["input_size"]}:
        problems.append(
            f"readout.arch: {readout['arch']} takes "
            f"{config['archs'][readout['arch']]['input_size']} px; the visualised networks "
            f"take {', '.join(map(str, sorted(sizes)))} px"
        )
    else:
        size = config["archs"][readout["arch"]]["input_size"]
        for key in ("face", "object"):
            ds = config["datasets"].get(readout[key])
            if ds and ds["image"]["crop"] < size:
                problems.append(
                    f"readout.arch: {readout['arch']} takes {size} px but datasets."
                    f"{readout[key]}.image.crop is only {ds['image']['crop']}"
                )
    return problems


def unit_counts(arch: dict) -> dict[str, int]:
    """{layer: units} of every lesionable layer."""
    if arch.get("family", "vgg") != "vgg":
        from .families import unit_layers

        return {layer.name: layer.channels for layer in unit_layers(arch)}
    widths = [width for stage in arch["stages"] for width in stage] + list(arch["fc"])
    return dict(zip(lesionable(arch), widths))


def _check_generated_counts(where: str, ds: dict) -> list[str]:
    """A generated dataset must be able to give every image its splits ask for."""
    problems = []
    made = ds["generate"]
    per_class = ds["train_per_class"] + ds["test_per_class"]
    if per_class > made["images_per_class"]:
        problems.append(
            f"{where}.train_per_class: {ds['train_per_class']} train + {ds['test_per_class']} "
            f"test images per class is more than the {made['images_per_class']} that "
            f"generate.images_per_class makes"
        )
    count = ds["classes"]["count"]
    classes = made["classes"] if count == "all" else count
    if classes + ds["heldout"]["count"] > made["classes"]:
        problems.append(
            f"{where}.classes.count: {classes} classes + {ds['heldout']['count']} held out is "
            f"more than the {made['classes']} that generate.classes makes"
        )
    if ds["heldout"]["count"] and ds["heldout"]["images_per_class"] > made["images_per_class"]:
        problems.append(
            f"{where}.heldout.images_per_class: more than the {made['images_per_class']} that "
            "generate.images_per_class makes"
        )
    return problems


def train_images(ds: dict) -> int | None:
    """Training images a dataset gives, when the config alone says (a class count is given)."""
    count = ds["classes"]["count"]
    if count == "all":
        count = ds["generate"]["classes"] - ds["heldout"]["count"] if "generate" in ds else None
    return None if count is None else count * ds["train_per_class"]


def _ranked(config: dict, key: str, name: str) -> list[str]:
    if name not in config["networks"]:
        return [f"figures.{key}: {name!r} is not a network in `networks`"]
    if name not in config["relevance"]["networks"]:
        return [
            f"figures.{key}: network {name!r} is not ranked; add it to relevance.networks "
            "to rank and lesion it"
        ]
    return _branched(config, f"figures.{key}", name)


def _branched(config: dict, key: str, name: str) -> list[str]:
    """A branched net has no one chain of layers: figures draw layers by depth along one, and
    decoding reads the one last hidden layer."""
    arch = config["archs"].get(config["networks"].get(name, {}).get("arch"), {})
    if arch.get("family") != "branched":
        return []
    return [
        f"{key}: network {name!r} is branched: its branches stand side by side, with no one "
        "chain of layers to draw by depth nor one last hidden layer to decode; its index by "
        "layer is in results/metrics/headline.json"
    ]


def _task_of(config: dict, key: str, network: str, task: str) -> list[str]:
    tasks = config["networks"].get(network, {}).get("tasks", [])
    if network in config["networks"] and task not in tasks:
        return [f"figures.{key}: {task!r} is not a task of network {network} ({', '.join(tasks)})"]
    return []


def _baseline_arch(config: dict, key: str, fig_name: str) -> list[str]:
    """A frozen-trunk baseline has the architecture of every network it is a baseline for: its
    random features are those networks' starting point."""
    fig, networks = config["figures"][fig_name], config["networks"]
    baseline = networks.get(fig["untrained_net"])
    if baseline is None or not baseline.get("train", {}).get("frozen_trunk"):
        return []
    tested = [fig["network"]] if fig_name == "fig2" else fig["networks"]
    return [
        f"figures.{key}: {fig['untrained_net']} has arch {baseline['arch']}, the network it is a "
        f"baseline for, {name}, has {networks[name]['arch']}"
        for name in tested
        if name in networks and networks[name]["arch"] != baseline["arch"]
    ]


def _check_figures(config: dict) -> list[str]:
    """Each figure's networks are ranked, its tasks are theirs, its fraction is lesioned, and
    Figure 4's networks pair their category with the object task at a matched size."""
    figures, problems = config["figures"], []
    fractions = config["lesion"]["fractions"]
    for name, fig in figures.items():
        if "fraction" in fig and not any(abs(fig["fraction"] - p) < 1e-9 for p in fractions):
            problems.append(
                f"figures.{name}.fraction: {fig['fraction']} is not one of lesion.fractions"
            )
    statistics = figures["statistics"]
    if statistics["bootstrap"] < statistics["min_resamples"]:
        problems.append(
            f"figures.statistics.bootstrap: {statistics['bootstrap']} resamples, fewer than "
            f"figures.statistics.min_resamples ({statistics['min_resamples']}): too few to "
            "resolve the p-values the figures report"
        )
    fig2 = figures["fig2"]
    problems += _ranked(config, "fig2.network", fig2["network"])
    for key in ("face_task", "object_task"):
        problems += _task_of(config, f"fig2.{key}", fig2["network"], fig2[key])
    for name in figures["figS1"]["networks"]:
        problems += _ranked(config, "figS1.networks", name)
    for fig_name in ("fig2", "fig4"):
        fig, key = figures[fig_name], f"{fig_name}.untrained_net"
        if fig["untrained_net"] is None:
            continue
        problems += _ranked(config, key, fig["untrained_net"])
        problems += _baseline_arch(config, key, fig_name)
        tasks = config["networks"].get(fig["untrained_net"], {}).get("tasks", [])
        # the baseline is the same index on the same kind of task pair
        wanted = {fig2["face_task"], fig2["object_task"]} if fig_name == "fig2" else None
        if fig["untrained_net"] in config["networks"] and (
            len(tasks) != 2 or (wanted and set(tasks) != wanted)
        ):
            problems.append(
                f"figures.{key}: network {fig['untrained_net']} has tasks "
                f"{', '.join(tasks)}; the baseline needs "
                + (" and ".join(sorted(wanted)) if wanted else "two tasks")
            )
    problems += _check_architectures(config)
    problems += _check_snapshots(config)
    fig4 = figures.get("fig4")
    if fig4:
        for name in fig4["networks"]:
            key = "fig4.networks"
            problems += _ranked(config, key, name)
            tasks = config["networks"].get(name, {}).get("tasks", [])
            if len(tasks) != 2 or len(set(tasks) & set(fig4["object_tasks"])) != 1:
                problems.append(
                    f"figures.{key}: network {name} ({', '.join(tasks)}) must have two tasks, "
                    f"one of them in figures.fig4.object_tasks ({', '.join(fig4['object_tasks'])})"
                )
                continue
            counts = {
                t: train_images(config["datasets"][t]) for t in tasks if t in config["datasets"]
            }
            if None not in counts.values() and max(counts.values()) > 1.02 * min(counts.values()):
                problems.append(
                    f"figures.{key}: network {name}'s tasks are not matched in size ("
                    + ", ".join(f"{t}: {n} training images" for t, n in counts.items())
                    + "); set their classes.count and train_per_class to within 2%"
                )
            arch = config["archs"].get(config["networks"][name]["arch"])
            ranked = config["relevance"]["layers"]
            if (
                name in overlapped(config)
                and arch
                and ranked
                and lesionable(arch)[-1] not in ranked
            ):
                problems.append(
                    f"relevance.layers: Figure 4's overlap decodes the units of each ranking of "
                    f"{lesionable(arch)[-1]}, the last hidden layer of {name}; rank it too"
                )
    return problems


def _check_architectures(config: dict) -> list[str]:
    """The architecture figure's networks and their twins are ranked, have its two tasks, and
    each twin is a frozen trunk of its network's arch."""
    fig, networks, problems = config["figures"].get("architectures"), config["networks"], []
    for name, twin in (fig or {}).get("networks", {}).items():
        key = "architectures.networks"
        problems += _ranked(config, key, name)
        for network in [name] + ([twin] if twin else []):
            tasks = networks.get(network, {}).get("tasks")
            if tasks is not None and set(tasks) != {fig["face_task"], fig["object_task"]}:
                problems.append(
                    f"figures.{key}: network {network} has tasks {', '.join(tasks)}, not "
                    f"{fig['face_task']} and {fig['object_task']}"
                )
        if twin is None:
            continue
        problems += _ranked(config, key, twin)
        if twin in networks and name in networks:
            if networks[twin]["arch"] != networks[name]["arch"]:
                problems.append(
                    f"figures.{key}: {twin} has arch {networks[twin]['arch']}, the network it is "
                    f"the untrained twin of, {name}, has {networks[name]['arch']}"
                )
            if not networks[twin].get("train", {}).get("frozen_trunk"):
                problems.append(
                    f"figures.{key}: {twin}, the untrained twin of {name}, is not a frozen trunk "
                    "(train: {frozen_trunk: true})"
                )
    return problems


def _check_snapshots(config: dict) -> list[str]:
    """Snapshots are taken of networks that train past them; the snapshot figure's network is
    one of them, ranked, and its epoch 0 is a frozen trunk of the same arch, tasks and seeds
    (a trunk initialised as the network's was: the same seed draws the same weights)."""
    snapshots, networks, problems = config["snapshots"], config["networks"], []
    fig = config["figures"].get("snapshots")
    for name in snapshots["networks"]:
        if name not in networks:
            problems.append(f"snapshots.networks: {name!r} is not a network in `networks`")
            continue
        if not fig or fig["network"] != name:
            problems.append(
                f"snapshots.networks: nothing draws {name}'s snapshots; figures.snapshots draws "
                + (f"only {fig['network']}'s" if fig else "none (set figures.snapshots)")
            )
        train = deep_merge(config["train"], networks[name].get("train", {}))
        if train.get("frozen_trunk"):
            problems.append(f"snapshots.networks: {name} is a frozen trunk; it has no epochs")
        for epoch in snapshots["epochs"]:
            if epoch >= train["epochs"]:
                problems.append(
                    f"snapshots.epochs: {epoch} is not before the end of {name}'s training "
                    f"({train['epochs']} epochs); the trained network is its last epoch"
                )
    if not fig:
        return problems
    name, twin, key = fig["network"], fig["untrained_net"], "snapshots"
    if name not in snapshots["networks"]:
        problems.append(
            f"figures.snapshots.network: {name!r} is not in snapshots.networks "
            f"({', '.join(snapshots['networks']) or 'none'})"
        )
    problems += _ranked(config, key, name) + _ranked(config, key, twin)
    for task in (fig["face_task"], fig["object_task"]):
        problems += _task_of(config, key, name, task)
    if name in networks and twin in networks:
        where = f"figures.snapshots.untrained_net: {twin}"
        for k in ("arch", "tasks", "consolidated"):
            if networks[name].get(k) != networks[twin].get(k):
                problems.append(
                    f"{where} has {k} {networks[twin].get(k)}, {name} has "
                    f"{networks[name].get(k)}; epoch 0 is {name}'s initial trunk"
                )
        missing = sorted(set(networks[name]["seeds"]) - set(networks[twin]["seeds"]))
        if missing:
            problems.append(f"{where} lacks seeds {missing} of {name}")
        if not networks[twin].get("train", {}).get("frozen_trunk"):
            problems.append(
                f"figures.snapshots.untrained_net: {twin} is not a frozen trunk "
                "(train: {frozen_trunk: true})"
            )
    return problems


def overlapped(config: dict) -> list[str]:
    """The Figure 4 networks whose panel D decodes held-out classes: those whose every task
    has some. The paper's Food-101 trains on all its 101 classes, so none is left to hold out."""
    fig4 = config["figures"].get("fig4") or {"networks": []}
    return [
        name
        for name in fig4["networks"]
        if all(
            config["datasets"].get(task, {}).get("heldout", {}).get("count", 0) > 0
            for task in config["networks"].get(name, {}).get("tasks", [])
        )
    ]


def resolve(snakemake_config: dict, configfiles, default_path) -> dict:
    """The config a run uses: the given --configfile(s), or else the embedded default.

    Snakemake would merge a --configfile recursively over a `configfile:` directive, letting
    keys of the default (say, a dataset the smoke run does not define) leak into every run.
    The Snakefile therefore declares no `configfile:` and loads the default only when the user
    named none; --config overrides are applied on top either way.
    """
    if configfiles:
        return snakemake_config
    return deep_merge(load_yaml(default_path), snakemake_config)


def deep_merge(base: dict, override: dict) -> dict:
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged
