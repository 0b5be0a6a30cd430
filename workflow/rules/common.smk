import json
from pathlib import Path

from snakemake.exceptions import WorkflowError
from snakemake.logging import logger

from funcspec import config as funcspec_config
from funcspec import tracking
from funcspec.codedigest import code_digest
from funcspec.datasets import root_fingerprint
from funcspec.layers import lesionable
from funcspec.tasks import SPLIT

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

DATASETS = list(config["datasets"])
NETWORKS = list(config["networks"])
SYNTHETIC = [name for name, ds in config["datasets"].items() if "synthetic" in ds]


wildcard_constraints:
    dataset="|".join(DATASETS),
    network="|".join(NETWORKS),
    task="|".join(DATASETS + ["split_a", "split_b"]),
    layer=r"(conv|fc)\d+",


def dataset_spec(wildcards):
    return config["datasets"][wildcards.dataset]


def synthetic_args(wildcards):
    s = dataset_spec(wildcards)["synthetic"]
    greyscale = " --greyscale" if s["greyscale"] else ""
    return (
        f"--domain {s['domain']} --classes {s['classes']} "
        f"--images-per-class {s['images_per_class']} --size {s['size']} --seed {s['seed']}"
        + greyscale
    )


def prepare_inputs(wildcards):
    """Generated images for synthetic datasets; the class lists a selection reads."""
    spec = dataset_spec(wildcards)
    inputs = {}
    if "synthetic" in spec:
        inputs["raw"] = f"results/raw/{wildcards.dataset}"
    elif not Path(spec["root"]).is_dir():
        raise WorkflowError(
            f"datasets.{wildcards.dataset}.root: {spec['root']} does not exist or is not a "
            f"folder; expected a dataset in the {spec['layout']!r} layout (see config/README.md)"
        )
    for key in ("include", "exclude"):
        if spec["classes"].get(key):
            inputs[key] = spec["classes"][key]
    return inputs


def source_fingerprint(wildcards):
    """A real dataset's file list, sizes and times: a changed image reruns its preparation."""
    spec = dataset_spec(wildcards)
    return root_fingerprint(spec["root"]) if "root" in spec else None


def raw_arg(wildcards, input):
    return f"--raw {input.raw}" if "raw" in input.keys() else ""


def network_spec(wildcards):
    return funcspec_config.network_spec(config, wildcards.network)


def prepared(datasets):
    """{dataset: prepared folder}, in the given order (it fixes the joint label space)."""
    return {name: f"results/prepared/{name}" for name in datasets}


def network_data(wildcards):
    return prepared(config["networks"][wildcards.network]["tasks"])


def decoding_data(wildcards):
    return prepared(config["decoding"]["datasets"])


def as_data_args(folders):
    return " ".join(f"{name}={folder}" for name, folder in folders.items())


def data_args(wildcards):
    return as_data_args(network_data(wildcards))


def decoding_args(wildcards):
    return as_data_args(decoding_data(wildcards))


LESIONED = config["lesions"]["networks"]
SPLIT_RANKED = config["lesions"]["random_split"]["networks"]


def lesion_layers(network):
    """The layers ranked and lesioned: config's list, or every conv and hidden FC layer."""
    arch = config["archs"][config["networks"][network]["arch"]]
    return config["lesions"]["layers"] or lesionable(arch)


def ranking_tasks(network):
    """Each task of the network, plus the two random-split halves for the split control."""
    tasks = list(config["networks"][network]["tasks"])
    return tasks + (list(SPLIT) if network in SPLIT_RANKED else [])


def layer_rankings(wildcards):
    return [
        f"results/relevance/{wildcards.network}/{task}/{wildcards.layer}.json"
        for task in ranking_tasks(wildcards.network)
    ]


def network_lesions(network):
    return [f"results/lesions/{network}/{layer}.csv" for layer in lesion_layers(network)]


def split_seed_arg(wildcards):
    seed = config["lesions"]["random_split"]["seed"]
    return f"--split-seed {seed}" if wildcards.network in SPLIT_RANKED else ""


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
