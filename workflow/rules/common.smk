import json
import os
from pathlib import Path

from snakemake.exceptions import WorkflowError
from snakemake.logging import logger

from funcspec import config as funcspec_config
from funcspec import tracking
from funcspec.codedigest import code_digest
from funcspec.datasets import root_fingerprint
from funcspec.layers import lesionable
from funcspec.prepare import source_files
from funcspec import seeds
from funcspec.seeds import instance, instances, split

# No `configfile:` directive: see funcspec.config.resolve for why the default is loaded here.
_resolved = funcspec_config.validate(
    funcspec_config.resolve(
        config,
        workflow.config_settings.configfiles,
        Path(workflow.basedir) / "config" / "config.yaml",
    ),
    Path(workflow.basedir) / "config" / "schema.yaml",
)
config.clear()
config.update(_resolved)

# envs/funcspec.yaml installs the checkout from this variable: conda reads a copy of that file
# in the conda prefix, where no relative path reaches the checkout.
os.environ.update(FUNCSPEC_SOURCE=str(Path(workflow.basedir).resolve()))

DATASETS = list(config["datasets"])
# A network with several seeds is trained, ranked and lesioned once per seed: its instances.
NETWORKS = instances(config["networks"])
RANKED = instances(config["networks"], config["relevance"]["networks"])
SPLIT_RANKED = instances(config["networks"], config["relevance"]["random_split"]["networks"])
DECODED = instances(config["networks"], config["decode"]["networks"])
VISUALIZED = instances(config["networks"], config["visualize"]["networks"])
# Each seed of a network kept after an earlier epoch: trained, ranked and lesioned as a network.
SNAPSHOTS = seeds.snapshots(config)
# Laid over the default by config/architectures.yaml: not in the default's hour.
SNAPSHOT_FIGURE = config["figures"].get("snapshots")


def drawn_as(dataset):
    """The first dataset generated with the same settings: datasets that differ only in how
    they are split (say, a smaller matched training set) share its images."""
    settings = config["datasets"][dataset]["generate"]
    return next(name for name, ds in config["datasets"].items() if ds.get("generate") == settings)


GENERATED = sorted({drawn_as(name) for name, ds in config["datasets"].items() if "generate" in ds})


wildcard_constraints:
    dataset="|".join(DATASETS),
    network="|".join(NETWORKS + SNAPSHOTS),
    task="|".join(DATASETS + [r"split\d+_[ab]"]),
    layer=r"[A-Za-z_][A-Za-z0-9_.]*",


def get_dataset(wildcards):
    return config["datasets"][wildcards.dataset]


def get_generate_args(wildcards):
    s = get_dataset(wildcards)["generate"]
    greyscale = " --greyscale" if s["greyscale"] else ""
    return (
        f"--domain {s['domain']} --classes {s['classes']} "
        f"--images-per-class {s['images_per_class']} --size {s['size']} --seed {s['seed']} "
        f"--recolour {s['recolour']} --shared-parts {s['shared_parts']}{greyscale}"
    )


def get_prepare_inputs(wildcards):
    """Generated images for generated datasets; the class lists and label files it reads."""
    spec = get_dataset(wildcards)
    inputs = {}
    if "generate" in spec:
        inputs["raw"] = f"results/generate/{drawn_as(wildcards.dataset)}"
    elif not Path(spec["root"]).is_dir():
        raise WorkflowError(
            f"datasets.{wildcards.dataset}.root: {spec['root']} does not exist or is not a "
            f"folder; expected a dataset in the {spec['layout']!r} layout (see config/README.md)"
        )
    return {**inputs, **source_files(spec)}


def get_source_fingerprint(wildcards):
    """A real dataset's file list, sizes and times: a changed image reruns its preparation."""
    spec = get_dataset(wildcards)
    return root_fingerprint(spec["root"]) if "root" in spec else None


def get_raw_arg(wildcards, input):
    return f"--raw {input.raw}" if "raw" in input.keys() else ""


def get_network_spec(wildcards):
    return json.dumps(funcspec_config.network_spec(config, wildcards.network), sort_keys=True)


def prepared(datasets):
    """{dataset: prepared folder}, in the given order (it fixes the joint label space)."""
    return {name: f"results/prepare/{name}" for name in datasets}


def network_of(instance):
    return config["networks"][split(instance)[0]]


def get_network_data(wildcards):
    return prepared(network_of(wildcards.network)["tasks"])


def get_decode_data(wildcards):
    return prepared(config["decode"]["datasets"])


def as_data_args(folders):
    return " ".join(f"{name}={folder}" for name, folder in folders.items())


def get_data_args(wildcards):
    return as_data_args(get_network_data(wildcards))


def get_decode_args(wildcards):
    return as_data_args(get_decode_data(wildcards))


def ranked_layers(instance):
    """The layers ranked and lesioned: config's list, or every conv and hidden FC layer."""
    arch = config["archs"][network_of(instance)["arch"]]
    return config["relevance"]["layers"] or lesionable(arch)


def ranked_tasks(instance):
    """Each task of the network, plus both halves of each random split dealt to this seed."""
    return list(network_of(instance)["tasks"]) + funcspec_config.split_tasks(config, instance)


def get_layer_relevance(wildcards):
    return [
        f"results/relevance/{wildcards.network}/{task}/{wildcards.layer}.json"
        for task in ranked_tasks(wildcards.network)
    ]


def lesion_tables(network, kind="csv"):
    """Every seed's lesion tables (csv), or their per-image results (npz), layer by layer."""
    return [
        f"results/lesion/{name}/{layer}.{kind}"
        for name in instances(config["networks"], [network])
        for layer in ranked_layers(name)
    ]


def get_split_seed_arg(wildcards):
    seed = config["relevance"]["random_split"]["seed"]
    return f"--split-seed {seed}" if wildcards.network in SPLIT_RANKED else ""


def gpu_flags(step):
    """The number formats `step` computes in on CUDA (config `gpu`), as its flags."""
    settings = ("bf16", "tf32", "channels_last")
    return " ".join(f"--{s.replace('_', '-')}" for s in settings if step in config["gpu"][s])


def numerics_arg():
    """How every step that runs a network computes on the CPU (config `numerics`)."""
    return f"--numerics {config['numerics']}"


def seeded(networks):
    """Every seed's instance of the named networks (None entries skipped)."""
    return instances(config["networks"], [n for n in networks if n])


def statistics_args():
    statistics = config["figures"]["statistics"]
    return (
        f"--bootstrap {statistics['bootstrap']} --level {statistics['level']} "
        f"--statistics-seed {statistics['seed']}"
    )


def record_with_dvc():
    """After a complete run of the tracked config, hash every artifact into dvc.lock."""
    dag = workflow.dag_settings
    try:
        message = tracking.record_run(
            outputs=[path for job in workflow.dag.jobs for path in job.output],
            targets=dag.targets,
            configfiles=workflow.config_settings.configfiles,
            overrides=list(workflow.config_settings.config),  # --config only, not --configfile
            partial=bool(
                dag.until or dag.omit_from or dag.allowed_rules or dag.batch or dag.target_jobs
            ),
            touch=workflow.touch,
        )
    except tracking.TrackingError as error:
        # The results are complete and correct; only DVC's record of them failed.
        logger.error(
            f"DVC: the results were NOT recorded in dvc.lock: {error}\n{tracking.FALLBACK}."
        )
        return
    if message:
        logger.info(message)


GROUPED_TASKS = [config["readout"]["face"], config["readout"]["object"]]


def get_visualized_relevance(wildcards):
    """The face and object rankings of this layer, which group its units."""
    return [
        f"results/relevance/{wildcards.network}/{task}/{wildcards.layer}.json"
        for task in GROUPED_TASKS
    ]


def get_grouped_relevance(wildcards):
    """The face and object rankings of every ranked layer."""
    return [
        f"results/relevance/{wildcards.network}/{task}/{layer}.json"
        for layer in ranked_layers(wildcards.network)
        for task in GROUPED_TASKS
    ]


def get_penultimate_relevance(wildcards):
    """The rankings of the network's own tasks at its last hidden layer."""
    layer = lesionable(config["archs"][network_of(wildcards.network)["arch"]])[-1]
    return [
        f"results/relevance/{wildcards.network}/{task}/{layer}.json"
        for task in network_of(wildcards.network)["tasks"]
    ]


def unit_group_args():
    """What makes a unit face-only, object-only or shared: the top of each task's ranking
    that the lesions remove."""
    return (
        f"--face-task {GROUPED_TASKS[0]} --object-task {GROUPED_TASKS[1]} "
        f"--fraction {config['relevance']['fraction']}"
    )


def snapshots_of(network):
    return [name for name in SNAPSHOTS if split(name)[0] == network]


def get_snapshot_figure_inputs(wildcards):
    """The lesions of every epoch: the untrained twin of each of the network's seeds (epoch 0),
    the snapshots and the trained network; and the histories that show the snapshots retrace it."""
    if not SNAPSHOT_FIGURE:
        raise WorkflowError(
            "figures.snapshots: not set, so there is no snapshot figure to draw "
            "(config/architectures.yaml sets it; config/README.md, `snapshots`)"
        )
    network, untrained = SNAPSHOT_FIGURE["network"], SNAPSHOT_FIGURE["untrained_net"]
    twins = [instance(untrained, seed) for seed in config["networks"][network]["seeds"]]
    return {
        "images": [
            f"results/lesion/{name}/{layer}.npz"
            for name in twins + snapshots_of(network) + seeded([network])
            for layer in ranked_layers(name)
        ],
        "histories": expand(
            rules.train.output.history, network=seeded([network]) + snapshots_of(network)
        ),
    }
