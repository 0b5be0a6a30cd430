"""The cost plan: its FLOP counts are the network's, its jobs are the DAG's."""

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from funcspec import models
from funcspec.config import load_yaml
from funcspec.plan import REPO, dataset_images, forward_flops, load, plan


@pytest.mark.parametrize(
    "arch", ["vgg_wide", "vgg_tiny", "alexnet_tiny", "resnet_tiny", "branched_tiny", "custom_tiny"]
)
def test_forward_flops_are_the_ones_torch_counts(arch):
    """Bug guarded: a layer's work counted at the wrong resolution or width, so every hour the
    plan prints is off. The per-layer counts must sum to torch's own count of a forward pass."""
    archs = {**load_yaml(REPO / "config" / "config.yaml")["archs"]}
    for overlay in ("smoke.yaml", "smoke_architectures.yaml"):
        archs |= load_yaml(REPO / "config" / overlay)["archs"]
    spec = archs[arch]
    model = models.build(spec, 150, spec["input_size"]).eval()
    x = torch.zeros(1, 3, spec["input_size"], spec["input_size"])
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model(x)
    assert sum(forward_flops(spec, 150).values()) == counter.get_total_flops()


def test_a_conv_run_twice_is_costed_with_the_layer_before():
    """Bug guarded: a shared conv (no unit layer of its own) stopping the plan."""
    spec = {"family": "custom", "function": "test_plan:SharedConv", "input_size": 8}
    model = models.build(spec, 5, 8).eval()
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model(torch.zeros(1, 3, 8, 8))
    flops = forward_flops(spec, 5)
    assert sum(flops.values()) == counter.get_total_flops() and list(flops) == ["stem", "fc"]


class SharedConv(torch.nn.Module):
    def __init__(self, num_classes=5):
        super().__init__()
        self.stem = torch.nn.Conv2d(3, 4, 3, padding=1)
        self.twice = torch.nn.Conv2d(4, 4, 3, padding=1)
        self.fc = torch.nn.Linear(4, num_classes)

    def forward(self, x):
        return self.fc(self.twice(self.twice(self.stem(x))).mean((2, 3)))


def test_paper_image_counts_follow_the_class_lists():
    config = load(REPO / "config" / "paper.yaml")
    objects = dataset_images("objects", config["datasets"]["objects"])
    assert objects["classes"] == 423 and objects["train"] == 423_000
    food = dataset_images("objects_food", config["datasets"]["objects_food"])
    assert food["classes"] == 393 and food["train"] == 393 * 231


def test_plan_counts_every_job_of_the_default_dag():
    """The jobs per phase are the ones `snakemake -n` plans on the default;
    tests/test_workflow.py checks the same counts on the paper config."""
    result = plan(load(REPO / "config" / "config.yaml"), {"train": 1.0, "infer": 1.0}, 1)
    jobs = {r["phase"]: r["jobs"] for r in result["phases"]}
    assert jobs["train"] == 13 and jobs["relevance"] == 224 and jobs["lesion"] == 96
    assert jobs["visualize"] == 9 and jobs["readout"] == 1 and jobs["generate"] == 6


def test_snapshots_are_costed_as_networks_trained_to_their_epoch():
    """Bug guarded: the plan leaves snapshots out. The smoke config with its overlay keeps dual's
    2 seeds after epoch 3: 2 more trainings (of 3 epochs, not 30), each ranked on dual's 2 tasks
    (no random splits) and lesioned at its 3 layers, none evaluated: the counts `snakemake -n`
    plans for that run (the overlay's other networks, the branched net's 5 layers included,
    counted as before)."""
    smoke = load(REPO / "config" / "smoke.yaml", REPO / "config" / "smoke_architectures.yaml")
    rates = {"train": 1.0, "infer": 1.0}
    result = plan(smoke, rates, 1)
    jobs = {r["phase"]: r["jobs"] for r in result["phases"]}
    assert jobs["train"] == 19 and jobs["relevance"] == 114 and jobs["lesion"] == 45
    assert jobs["evaluate"] == 17
    smoke["snapshots"]["networks"] = []
    images = {r["phase"]: r["images"] for r in result["phases"]}
    before = {r["phase"]: r["images"] for r in plan(smoke, rates, 1)["phases"]}
    # 2 seeds x 3 epochs x (2 tasks x 5 classes x 8 training images)
    assert images["train"] - before["train"] == 2 * 3 * 80


def test_the_plan_merges_config_files_as_snakemake_does():
    """Bug guarded: `funcspec plan --configfile config/config.yaml config/power.yaml` costs only
    one of the files. Merged, 5 seeds of dual and of each of the 5 Figure 4 networks (the two
    food overlap variants with them) rank their 2 tasks and 2 halves of each of their 2
    partitions (10 dealt to 5 seeds), 5 seeds of the random-features net their 2 tasks, face and
    object 1 task, dual_grey 2: over 8 layers."""
    config = load(REPO / "config" / "config.yaml", REPO / "config" / "power.yaml")
    jobs = {r["phase"]: r["jobs"] for r in plan(config, {"train": 1.0, "infer": 1.0}, 1)["phases"]}
    assert jobs["relevance"] == 8 * (6 * 5 * 6 + 5 * 2 + 1 + 1 + 2)


def test_a_frozen_trunk_is_costed_as_one_forward_pass():
    """Bug guarded: the random-features baseline, whose class layer is fit on one pass of the
    training images' features, costed as 15 epochs of training: on the default, its 3 seeds
    x 12,000 images x 14 epochs too many."""
    config = load(REPO / "config" / "config.yaml")
    trained = load(REPO / "config" / "config.yaml")
    trained["networks"]["random_features"]["train"]["frozen_trunk"] = False

    def images(c):
        return next(
            r for r in plan(c, {"train": 1.0, "infer": 1.0}, 1)["phases"] if r["phase"] == "train"
        )["images"]

    assert images(trained) - images(config) == 3 * 12_000 * 14


def test_a_consolidated_task_is_costed_as_one_class():
    """Bug guarded: the faces-consolidated control's class layer costed at 100 face classes, when
    it has one."""
    from funcspec.plan import _Network

    config = load(REPO / "config" / "config.yaml")
    config["networks"]["dual"]["consolidated"] = ["faces"]
    data = {task: {"classes": n, "test": 1} for task, n in (("faces", 100), ("objects", 50))}
    consolidated, plain = (
        _Network(config, data, "dual_s1"),
        _Network(load(REPO / "config" / "config.yaml"), data, "dual_s1"),
    )
    assert plain.weights - consolidated.weights == 99 * (512 + 1)


def paper_plan(capsys, *options) -> str:
    """What `funcspec plan` prints for the paper config with the SLURM profile."""
    from funcspec import cli

    paper, profile = REPO / "config" / "paper.yaml", REPO / "slurm" / "config.yaml"
    assert cli.main(["plan", "--configfile", str(paper), "--profile", str(profile), *options]) == 0
    return capsys.readouterr().out


def test_a_measured_ranking_rate_costs_the_ranking(tmp_path, capsys):
    """Bug guarded: the ranking rate benchmarks/bench_gpu.py saves is ignored, so ranking, most
    of the paper's device-hours, is costed at the evaluation rate. With `--measured`, ranking
    takes the measured "rank" GFLOP/s and every other phase its own."""

    config = load(REPO / "config" / "paper.yaml")
    infer = plan(config, {"train": 1000.0, "infer": 1000.0}, 1)["phases"]
    ranked = plan(config, {"train": 1000.0, "infer": 1000.0, "rank": 4000.0}, 1)["phases"]
    for before, after in zip(infer, ranked):
        startup = before["jobs"] * 3.0 / 3600  # plan.STARTUP seconds per job
        scale = 4 if before["phase"] == "relevance" else 1
        assert after["device_hours"] - startup == pytest.approx(
            (before["device_hours"] - startup) / scale
        ), before["phase"]
    saved = tmp_path / "gpu.json"
    saved.write_text('{"gflops": {"train": 1000.0, "infer": 1000.0, "rank": 4000.0}}')
    out = paper_plan(capsys, "--measured", str(saved))
    assert "ranking 4000 GFLOP/s" in out
    total = sum(r["device_hours"] for r in ranked)
    assert f"{'total':<20}{'':>37}{total:>10.2f}" in out


def test_the_pruned_engine_is_costed_by_its_shortlist():
    """Bug guarded: the pruned engine costed as the exact one (every candidate evaluated, no
    first-order pass), so a plan cannot show what pruning saves. Its steps evaluate at most M
    candidates each, and add a forward and a backward pass: with M covering every unit it
    costs a little more than the fast engine (on the default, 8% more), with M one group less
    than half as much."""
    config = load(REPO / "config" / "config.yaml")

    def relevance_tflop(**settings):
        config["relevance"].update(settings)
        phases = plan(config, {"train": 1.0, "infer": 1.0}, 1)["phases"]
        return next(r for r in phases if r["phase"] == "relevance")["tflop"]

    fast = relevance_tflop(engine="fast")
    every = relevance_tflop(engine="pruned", candidates=512)
    one_group = relevance_tflop(engine="pruned", candidates="1 groups")
    assert fast < every < 1.2 * fast and one_group < fast / 2


def test_the_paper_plan_prepares_jpegs_at_the_measured_jpeg_rate(tmp_path, capsys):
    """Bug guarded: the paper's datasets (JPEGs of the published layouts) costed at the rate of
    the default's 32 px PNGs, a lower bound, while a rehearsal has measured the real one; and a
    plan that does not say which rates it used. With `--measured` a rehearsal's rates.json
    replaces the development machine's, and the report names the file."""
    from funcspec.plan import RATES, STARTUP

    config = load(REPO / "config" / "paper.yaml")

    def prepare_hours(rates):
        phases = plan(config, {"train": 1.0, "infer": 1.0}, 1, rates)["phases"]
        return next(r for r in phases if r["phase"] == "prepare")["device_hours"]

    images = sum(dataset_images(name, ds)["all"] for name, ds in config["datasets"].items())
    startup = len(config["datasets"]) * STARTUP
    assert prepare_hours(RATES) * 3600 == pytest.approx(images * RATES["prepare_jpeg"] + startup)
    slower = {**RATES, "prepare_jpeg": 2 * RATES["prepare_jpeg"]}
    assert prepare_hours(slower) * 3600 == pytest.approx(images * slower["prepare_jpeg"] + startup)

    saved = tmp_path / "rates.json"
    saved.write_text('{"rates": {"prepare_jpeg": 0.0125, "loader": 40.0}}')
    out = paper_plan(capsys, "--measured", str(saved))
    assert f"measured (JPEG and loader rates from {saved})" in out
    assert "12.50 ms per JPEG of the published sizes" in out and "loader 40 images/s" in out
    out = paper_plan(capsys)
    assert "measured (the 2-core development machine, benchmarks/rehearsal.sh)" in out


def test_every_network_jobs_peak_memory_holds_the_runtime_the_network_and_its_images():
    """Bug (found by the rehearsal): a ranking job's peak was costed as the network's weights and
    the candidate chunks alone, 0.74 GB for VGG16 at 224 px, where the rehearsal's ranking jobs
    peaked at 2.06 GB: the plan left out the Python and torch runtime and the batch of images.
    Every network job holds the runtime and the loaded network, and a ranking job also the
    activations of its batch and its step's images."""
    from funcspec.plan import RUNTIME, _weights

    config = load(REPO / "config" / "paper.yaml")

    def peaks(c):
        phases = plan(c, {"train": 1.0, "infer": 1.0}, 1)["phases"]
        return {r["phase"]: r["peak_memory_gb"] * 1e9 for r in phases}

    network = 4 * _weights(config["archs"]["vgg16"], 1714 + 423)
    jobs = "train evaluate decode relevance lesion selectivity visualize".split()
    assert all(peaks(config)[job] > RUNTIME + network for job in jobs)
    before = peaks(config)["relevance"]
    config["relevance"]["batch_size"] *= 2
    assert peaks(config)["relevance"] > before
    # a step holds all its images at once (found in review: 6,400 at 224 px are ~10 GB)
    before = peaks(config)["relevance"]
    config["relevance"]["images"] *= 2
    assert peaks(config)["relevance"] > before + 5e9


def test_the_slurm_profile_gives_every_rule_the_plans_paper_scale_peak():
    """Bug guarded: a rule whose SLURM memory request is below what its job needs at paper
    scale, killed for memory after hours in the queue. The plan's peaks are the model the
    rehearsal checks against measured jobs (docs/scaling.md); the profile must cover them."""
    from funcspec.plan import slurm_resources

    config = load(REPO / "config" / "paper.yaml")
    requested = {r["rule"]: r["mem_mb"] for r in slurm_resources(REPO / "slurm" / "config.yaml")}
    for row in plan(config, {"train": 1.0, "infer": 1.0}, 1)["phases"]:
        if row["jobs"] and row["peak_memory_gb"]:
            assert requested[row["phase"]] >= 1000 * row["peak_memory_gb"], row["phase"]


def test_the_profile_is_named_as_snakemake_names_it(capsys):
    """Bug guarded: `funcspec plan --profile slurm`, the folder as `snakemake --profile slurm`
    takes it, died with a bare IsADirectoryError. The folder and its config.yaml read alike."""
    folder, file = (
        paper_plan(capsys, "--profile", str(p))
        for p in (REPO / "slurm", REPO / "slurm" / "config.yaml")
    )
    assert folder == file and "train        partition gpu" in folder
