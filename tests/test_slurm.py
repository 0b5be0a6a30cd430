"""The smoke config through `snakemake --profile slurm` on a real single-node SLURM cluster.

The cluster (tests/slurm_cluster.py) has partitions `testcpu` and `testgpu` and a stand-in GPU.
The profile runs as shipped except for the site-specific values, overridden on the command
line: its partition names map to the test partitions and memory is capped to what this host
has. Checks: every artifact equals a local `--cores` run byte for byte (provenance records but
for their times, host and code version), DVC recorded the run in dvc.lock, and SLURM's own
job records show each rule in its partition, the GPU rules with a GPU and the CPU rules without.
"""

import os
import re
import subprocess
import sys
import uuid
from collections import Counter
from pathlib import Path

import pytest
from slurm_cluster import slurm_cluster  # noqa: F401  (the fixture)
from snakemake.profiles import ProfileConfigFileParser
from workflow_helpers import REPO, SNAKEMAKE, comparable, tracked_repository, tree_bytes

PROFILE = REPO / "slurm" / "config.yaml"
# those the smoke run reaches
GPU_RULES = {
    "train",
    "evaluate",
    "decode",
    "overlap",
    "relevance",
    "lesion",
    "selectivity",
    "visualize",
    "readout",
}
CPU_RULES = {"generate", "prepare"}


def profile_args() -> dict:
    """The profile as Snakemake reads it: {key: value or list of 'k=v' / 'rule:k=v'}."""
    with PROFILE.open() as stream:
        return ProfileConfigFileParser().parse(stream)


def key_value(item: str) -> tuple[str, str]:
    key, value = item.split("=", 1)
    return key, value


def profile_partitions() -> tuple[str, str]:
    """(CPU partition, GPU partition) named in the profile."""
    args = profile_args()
    cpu = dict(map(key_value, args["default-resources"]))["slurm_partition"]
    gpu = dict(map(key_value, args["set-resources"]))["train:slurm_partition"]
    assert cpu != gpu, "the profile routes train to the CPU partition"
    return cpu, gpu


def gpu_routed_rules() -> set:
    """Rules the profile sends to its GPU partition."""
    _, gpu = profile_partitions()
    return {
        k.split(":")[0]
        for k, v in map(key_value, profile_args()["set-resources"])
        if k.endswith(":slurm_partition") and v == gpu
    }


def site_overrides(cluster) -> list:
    """--default-resources/--set-resources: the profile's own entries with its partitions mapped
    to the test cluster's and memory capped to this host (a whole top-level key given on the
    command line replaces the profile's, so each is passed complete)."""
    cpu, gpu = profile_partitions()
    partitions = {cpu: cluster.cpu_partition, gpu: cluster.gpu_partition}
    mem_cap = cluster.mem_mb // cluster.cpus  # every CPU can run a job at once

    def site(item: str) -> str:
        key, value = key_value(item)
        resource = key.split(":")[-1]
        if resource == "slurm_partition":
            assert value in partitions, f"profile names an unknown partition: {item}"
            value = partitions[value]
        elif resource == "mem_mb":
            value = str(min(int(value), mem_cap))
        return f"{key}={value}"

    args = profile_args()
    return [
        "--default-resources",
        *map(site, args["default-resources"]),
        "--set-resources",
        *map(site, args["set-resources"]),
    ]


# The smoke run's 151 jobs took 1,641 s through SLURM on a 2-core CI machine (each job starts its
# own Snakemake): the limit only stops a hung cluster, inside CI's 90 minutes.
def run(work: Path, *args: str, extra_env=None, timeout=2700) -> str:
    venv_bin = Path(sys.executable).parent
    env = {"PATH": f"{venv_bin}:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin", "HOME": str(work)}
    if "PYTHONPATH" in os.environ:
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    env.update(extra_env or {})
    result = subprocess.run(
        [*SNAKEMAKE, *args], cwd=work, env=env, capture_output=True, text=True, timeout=timeout
    )
    if result.returncode != 0:
        logs = "\n".join(
            f"--- {p.relative_to(work)}\n{p.read_text(errors='replace')[-3000:]}"
            for p in sorted(
                [
                    *(work / ".snakemake" / "slurm_logs").rglob("*.log"),
                    *(work / "logs").rglob("*.log"),
                ]
            )
            if re.search(r"Error|Traceback", p.read_text(errors="replace"))
        )
        raise AssertionError(
            f"snakemake {' '.join(args)} failed:\n{result.stdout[-5000:]}\n"
            f"{result.stderr[-10000:]}\n{logs}"
        )
    return result.stdout + result.stderr


def job_rule(job: dict) -> str:
    """The rule of a job from the comment the plugin sets: rule_<name>[_wildcards_<values>]."""
    comment = job.get("Comment", "")
    assert comment.startswith("rule_"), f"job {job.get('JobId')} has comment {comment!r}"
    return comment[len("rule_") :].split("_wildcards_")[0]


@pytest.fixture(scope="module")
def runs(slurm_cluster, smoke_run, tmp_path_factory):  # noqa: F811
    """(local work dir, SLURM work dir, SLURM run's output, job name prefix)."""
    threads = str(min(2, slurm_cluster.cpus))
    local = smoke_run

    # a git + DVC repository whose tracked config is the smoke config, so the run is recorded
    work = tracked_repository(tmp_path_factory.mktemp("slurm") / "work")
    prefix = f"funcspec_{uuid.uuid4().hex[:8]}"
    out = run(
        work,
        "--profile",
        "slurm",
        *site_overrides(slurm_cluster),
        "--max-threads",
        threads,  # as the local run's --cores caps them
        "--slurm-status-command",
        "squeue",  # accounting is off: no sacct
        "--slurm-init-seconds-before-status-checks",
        "5",
        "--slurm-jobname-prefix",
        prefix,
        extra_env={"SLURM_CONF": str(slurm_cluster.conf)},
    )
    return local, work, out, prefix


def test_profile_routes_gpu_rules_to_gpu_partition():
    assert GPU_RULES <= gpu_routed_rules()
    assert not CPU_RULES & gpu_routed_rules()
    args = profile_args()
    assert args["executor"] == "slurm" and args["latency-wait"] == "60"
    # the GPU itself is requested by the rules (resources: gpu=1), never also by the profile
    assert not any(re.search(r":(gpu|gres|slurm_extra)=", item) for item in args["set-resources"])


def test_profile_configures_only_rules_of_the_workflow():
    """Bug: the profile sized a `visualize` rule that no workflow file defined; a renamed rule
    would likewise lose its resources without a word. And every rule that asks for a GPU must
    be routed to the GPU partition."""
    rules, gpu_rules = set(), set()
    for smk in (REPO / "workflow" / "rules").glob("*.smk"):
        for rule, body in re.findall(
            r"^rule (\w+):\n(.*?)(?=^rule |\Z)", smk.read_text(), re.M | re.S
        ):
            rules.add(rule)
            if re.search(r"resources:\n\s*gpu=1", body):
                gpu_rules.add(rule)
    configured = {k.split(":")[0] for k, _ in map(key_value, profile_args()["set-resources"])}
    assert configured <= rules, configured - rules
    assert gpu_rules == GPU_RULES and gpu_rules <= gpu_routed_rules()


def test_slurm_results_equal_local_run(runs):
    local, work, _, _ = runs
    expected = comparable(tree_bytes(local / "results"))
    actual = comparable(tree_bytes(work / "results"))
    assert expected.keys() == actual.keys()
    differ = sorted(k for k in expected if expected[k] != actual[k])
    assert not differ, f"differ between the local and the SLURM run: {differ}"


def test_a_slurm_run_is_recorded_by_dvc(runs):
    _, work, out, _ = runs
    assert "every artifact under results/ is recorded in dvc.lock" in out
    status = subprocess.run(
        ["dvc", "status"],
        cwd=work,
        capture_output=True,
        text=True,
        env={
            "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
            "HOME": str(work),
            "DVC_NO_ANALYTICS": "1",
        },
    )
    assert "Data and pipelines are up to date" in status.stdout, status.stdout + status.stderr


def test_slurm_records_gpu_for_gpu_rules_only(runs, slurm_cluster):  # noqa: F811
    _, _, out, prefix = runs
    jobs = [j for j in slurm_cluster.jobs() if j.get("JobName", "").startswith(prefix)]
    assert jobs, "SLURM has no record of the run's jobs"
    submitted = Counter(job_rule(j) for j in jobs)
    # every job Snakemake ran as a cluster job (not a localrule) is one SLURM job
    assert submitted == Counter(re.findall(r"^rule (\w+):$", out, re.M))
    assert GPU_RULES | CPU_RULES <= submitted.keys(), submitted
    assert "all" not in submitted and "fig1" not in submitted

    account = dict(map(key_value, profile_args()["default-resources"]))["slurm_account"]
    gpu_rules = gpu_routed_rules()
    for job in jobs:
        rule, tres = job_rule(job), job.get("TresPerJob", "(null)")
        where = f"job {job['JobId']} ({job['Comment']})"
        assert job["JobState"] == "COMPLETED", where
        assert job["Account"] == account, where
        if rule in gpu_rules:
            assert job["Partition"] == slurm_cluster.gpu_partition, where
            assert re.search(r"\bgpu[:=]1\b", tres), f"{where} asked for no GPU: {tres}"
        else:
            assert job["Partition"] == slurm_cluster.cpu_partition, where
            assert "gpu" not in tres, f"{where} asked for a GPU: {tres}"
