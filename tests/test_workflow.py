"""The Snakemake workflow end to end, in a scratch copy of the repository."""

import json
import re
from pathlib import Path

import yaml
from fabricate import (
    fabricate_compcars,
    fabricate_food101,
    fabricate_imagenet,
    fabricate_vggface2,
)
from workflow_helpers import ARCHITECTURES, REPO, snakemake, tree_bytes, workdir


def planned_jobs(output: str) -> dict:
    """{rule: count} from a dry run's job table."""
    table = output.split("Job stats:", 1)[1].split("total", 1)[0]
    return {m[1]: int(m[2]) for m in re.finditer(r"^(\w+)\s+(\d+)$", table, re.M)}


def test_smoke_run_builds_every_artifact(smoke_run):
    results = smoke_run / "results"
    for dataset in ("faces", "objects"):
        manifest = yaml.safe_load((results / "prepare" / dataset / "manifest.json").read_text())
        assert manifest["splits"]["train"]["count"] == 5 * 8
        assert len(list((results / "generate" / dataset).glob("*/*.png"))) == 8 * 12
        assert (smoke_run / "logs" / "prepare" / f"{dataset}.log").stat().st_size > 0
    probe = (results / "probe" / "probe.csv").read_text().splitlines()
    assert probe[0].startswith("domain_a,domain_b,features")
    assert len(probe) > 1 and all(line.startswith("faces,objects,") for line in probe[1:])
    assert (results / "figures" / "contact_sheet.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    for figure in ("fig1", "fig2", "fig3", "fig4", "figS1", "figS2"):
        assert (results / "figures" / f"{figure}.pdf").read_bytes()[:5] == b"%PDF-"
        assert (results / "figures" / f"{figure}.png").stat().st_size > 0
    fig1 = (results / "figures" / "fig1.csv").read_text().splitlines()
    assert {line.split(",")[0] for line in fig1[1:]} == {"B", "C"}
    fig2 = (results / "figures" / "fig2.csv").read_text()
    for layer in ("conv1", "conv2", "fc3"):  # every lesionable layer of the smoke net
        assert f",dual,,{layer}," in fig2 and f",dual,random split,{layer}," in fig2
    for network in ("face", "object", "dual", "untrained", "food_object"):
        for seed in (1, 2):
            assert (results / "train" / f"{network}_s{seed}" / "model.pt").exists()
            assert not (results / "train" / f"{network}_s{seed}" / "checkpoint.pt").exists()
    # a second run has nothing to do
    assert (
        "Nothing to be done"
        in snakemake(smoke_run, "-n", "--configfile", "config/smoke.yaml").stdout
    )


def test_every_family_runs_through_to_the_architecture_figure(architectures_run):
    """Bug guarded: a network of another family (or the faces-consolidated control) is trained
    but never ranked or lesioned, or the architecture figure leaves one out. Laid over a
    finished smoke run, the overlay runs only what its networks add."""
    import csv

    results = architectures_run / "results"
    for name in ("alexnet_dual", "resnet_dual", "branched_dual", "custom_dual", "detect_object"):
        assert (results / "train" / f"{name}_s1" / "model.pt").exists()
        assert list((results / "lesion" / f"{name}_s1").glob("*.csv")), name
    # no figure draws a branched net: its index by layer, trunk and both branches, is a metric
    headline = json.loads((results / "metrics" / "headline.json").read_text())
    assert set(headline["segregation_index"]["branched_dual_s1"]) == {
        "shared.conv1.0",
        *(f"split.{k}.{layer}" for k in (0, 1) for layer in ("conv2.0", "fc3.1")),
    }
    assert (results / "figures" / "architectures.pdf").read_bytes()[:5] == b"%PDF-"
    with open(results / "figures" / "architectures.csv", newline="") as f:
        drawn = {row["network"] for row in csv.DictReader(f)}
    assert {"dual", "alexnet_dual", "resnet_dual", "custom_dual"} <= drawn
    assert (
        "Nothing to be done"
        in snakemake(architectures_run, "-n", "--configfile", *ARCHITECTURES).stdout
    )


def test_snapshots_retrain_nothing_and_draw_the_network_over_training(smoke_run, architectures_run):
    """Bug guarded: taking snapshots of a trained network retrains it (its spec or its rule's
    params changed by them), or a snapshot is ranked and lesioned but left out of the figure.
    The overlay keeps dual's seeds after epoch 3 of its 30, over the finished smoke run."""
    import csv

    for seed in (1, 2):
        trained = Path("results") / "train" / f"dual_s{seed}" / "model.pt"
        assert (architectures_run / trained).stat().st_mtime_ns == (
            (smoke_run / trained).stat().st_mtime_ns
        )
        name = f"dual_s{seed}_e3"
        assert len(list((architectures_run / "results" / "lesion" / name).glob("*.npz"))) == 3
    with open(architectures_run / "results" / "figures" / "snapshots.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    drawn = {(r["epoch"], r["layer"]) for r in rows if r["task"] == "segregation_index"}
    assert drawn == {(e, x) for e in ("0", "3", "30") for x in ("conv1", "conv2", "fc3")}


def test_the_snapshot_figure_without_its_config_says_which_key_to_set(tmp_path):
    """Bug guarded (review): `snakemake snapshots` on a config without figures.snapshots
    stopped with a TypeError ('NoneType' object is not subscriptable) instead of naming the key."""
    result = snakemake(
        workdir(tmp_path), "-n", "snapshots", "--configfile", "config/smoke.yaml", check=False
    )
    assert result.returncode != 0
    assert "figures.snapshots: not set" in result.stdout + result.stderr


def test_the_threads_key_reaches_every_step_that_runs_on_several(tmp_path):
    """Bug guarded: `threads` not reaching a rule's --threads, so the smoke run's tiny networks
    train on two threads, one job at a time (12.5 min for the overlaid smoke run, against 9)."""
    args = ("-n", "-p", "--cores", "4", "--configfile", "config/smoke.yaml")
    out = snakemake(workdir(tmp_path), *args, "--config", "threads=3").stdout
    for step in ("train", "evaluate", "decode", "overlap", "readout"):
        assert set(re.findall(rf"funcspec {step} .*?--threads (\d+)", out)) == {"3"}, step


def test_prepare_phase_is_byte_identical_from_scratch(smoke_run, tmp_path):
    again = workdir(tmp_path)
    snakemake(
        again,
        "results/prepare/faces",
        "results/prepare/objects",
        "--cores",
        "2",
        "--configfile",
        "config/smoke.yaml",
    )
    for dataset in ("faces", "objects"):
        first = tree_bytes(smoke_run / "results" / "prepare" / dataset)
        second = tree_bytes(again / "results" / "prepare" / dataset)
        assert first.keys() == second.keys() and first == second, dataset


def test_default_config_keys_do_not_leak_into_smoke(tmp_path):
    work = workdir(tmp_path)
    out = snakemake(work, "-n", "--configfile", "config/smoke.yaml").stdout
    assert planned_jobs(out)["prepare"] == 3
    assert "results/generate/cars" not in out and "results/generate/faces_grey" not in out
    default = snakemake(work, "-n").stdout
    default_datasets = yaml.safe_load((work / "config" / "config.yaml").read_text())["datasets"]
    assert planned_jobs(default)["prepare"] == len(default_datasets) > 2
    # datasets that differ only in how they are split share one set of generated images
    drawn = {yaml.safe_dump(ds["generate"]) for ds in default_datasets.values()}
    assert planned_jobs(default)["generate"] == len(drawn) < len(default_datasets)


def test_bad_config_fails_before_any_job(tmp_path):
    work = workdir(tmp_path)
    config = yaml.safe_load((work / "config" / "smoke.yaml").read_text())
    config["datasets"]["faces"]["train_per_class"] = -3
    (work / "bad.yaml").write_text(yaml.safe_dump(config))
    result = snakemake(work, "--cores", "1", "--configfile", "bad.yaml", check=False)
    assert result.returncode != 0
    assert "datasets.faces.train_per_class: -3 is less than the minimum of 1" in result.stderr
    assert not (work / "results").exists()


def paper_config_on_fabricated_trees(work: Path, data: Path) -> Path:
    config = yaml.safe_load((work / "config" / "paper.yaml").read_text())
    roots = {
        "faces": fabricate_vggface2(data / "vggface2"),
        "objects": fabricate_imagenet(data / "imagenet"),
        "food": fabricate_food101(data / "food-101"),
        "cars": fabricate_compcars(data / "CompCars" / "data"),
    }
    for task in ("faces_food", "faces_cars"):
        roots[task] = roots["faces"]
    for task in ("objects_food", "objects_cars"):
        roots[task] = roots["objects"]
    for name, root in roots.items():
        config["datasets"][name]["root"] = str(root)
    path = work / "paper_fabricated.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def test_paper_config_plans_every_job_of_every_figure(tmp_path):
    """Bug guarded: a paper-scale job left out of the DAG (or planned twice), found only on the
    cluster. On fabricated trees in the published layouts, `snakemake -n` on config/paper.yaml
    plans exactly the jobs per rule that the config implies: one per network instance and layer
    ranked, per task ranked (the split halves too), per visualised layer, per figure; and the
    cost plan counts the same jobs."""
    from funcspec.config import overlapped, validate
    from funcspec.layers import lesionable
    from funcspec.seeds import instances, split

    work = workdir(tmp_path)
    path = paper_config_on_fabricated_trees(work, tmp_path / "data")
    config = validate(yaml.safe_load(path.read_text()), REPO / "config" / "schema.yaml")
    jobs = planned_jobs(snakemake(work, "-n", "--configfile", path.name).stdout)
    networks = config["networks"]

    def of(key):
        return instances(networks, key)

    def layers(instance):
        return len(lesionable(config["archs"][networks[split(instance)[0]]["arch"]]))

    relevance = config["relevance"]
    halves = of(relevance["random_split"]["networks"])
    ranked = of(relevance["networks"])
    expected = {
        "prepare": len(config["datasets"]),
        "train": len(of(None)),
        "evaluate": len(of(None)),
        "history": len(of(None)),
        "decode": len(of(config["decode"]["networks"])),
        "relevance": sum(
            layers(i) * (len(networks[split(i)[0]]["tasks"]) + 2 * (i in halves)) for i in ranked
        ),
        "lesion": sum(layers(i) for i in ranked),
        "selectivity": len(of(config["visualize"]["networks"])),
        "visualize": len(of(config["visualize"]["networks"])) * len(config["visualize"]["layers"]),
        "overlap": len(of(overlapped(config))),
        **dict.fromkeys(["readout", "probe", "contact_sheet", "metrics", "all"], 1),
        **dict.fromkeys(["fig1", "fig2", "fig3", "fig4", "figS1", "figS2"], 1),
    }
    assert jobs == {rule: n for rule, n in expected.items() if n}
    # the paper's Figure 4 tasks hold no classes out (Food-101 trains on all 101): no panel D
    assert overlapped(config) == []
    # 68 rankings and 20 lesion jobs per layer: 3 seeds of dual and of each Figure 4 network (each
    # seed with one random split of its own), 3 of the random-features baseline, one of the face
    # and object nets
    assert jobs["relevance"] == 1020 and jobs["lesion"] == 300
    # and `funcspec plan` costs exactly these jobs
    from funcspec.plan import plan

    costed = plan(config, {"train": 1.0, "infer": 1.0}, 1)["phases"]
    for row in costed:
        if row["phase"] in jobs:
            assert row["jobs"] == jobs[row["phase"]], row["phase"]


def test_panel_d_leaves_out_a_network_without_held_out_classes_and_says_so(tmp_path):
    """Bug (found by the rehearsal): the paper config's Figure 4 tasks hold no classes out, yet
    every Figure 4 network got an overlap job, which crashed decoding nothing (numpy: "need at
    least one array to concatenate") and took Figure 4 with it. A network with a task that has
    no held-out classes gets no overlap job, and the run says why."""
    work = workdir(tmp_path)
    config = yaml.safe_load((work / "config" / "smoke.yaml").read_text())
    config["datasets"]["food"]["heldout"] = {"count": 0, "images_per_class": 1}
    (work / "no_food_heldout.yaml").write_text(yaml.safe_dump(config))
    result = snakemake(work, "-n", "--configfile", "no_food_heldout.yaml")
    assert planned_jobs(result.stdout)["overlap"] == 2  # dual's two seeds, not food_object's
    message = "Figure 4 panel D leaves out food_object: food has no held-out classes"
    assert message in result.stdout + result.stderr


def test_missing_dataset_root_names_path_and_layout(tmp_path):
    work = workdir(tmp_path)
    result = snakemake(work, "-n", "--configfile", "config/paper.yaml", check=False)
    assert result.returncode != 0
    assert "datasets.faces.root: /path/to/vggface2 does not exist" in result.stdout + result.stderr
    assert "'vggface2' layout" in result.stdout + result.stderr


def test_lint_is_clean():
    result = snakemake(REPO, "--lint", check=False)
    assert result.returncode == 0 and "Congratulations" in result.stdout + result.stderr, (
        result.stdout
    )


def test_report_has_every_figure_with_its_caption(architectures_run):
    snakemake(architectures_run, "--report", "report.html", "--configfile", *ARCHITECTURES)
    html = (architectures_run / "report.html").read_text()
    for figure in (
        "fig1.png",
        "fig2.png",
        "fig4.png",
        "figS1.png",
        "figS2.png",
        "architectures.png",
        "snapshots.png",
    ):
        assert figure in html, figure
    captions = ("fig1", "fig2", "fig4", "figS1", "figS2", "architectures", "snapshots")
    for caption in (*captions, "contact_sheet"):
        text = (REPO / "workflow" / "report" / f"{caption}.rst").read_text()
        first_words = " ".join(re.sub(r"[*`]", "", text).split()[:8])
        assert first_words in re.sub(r"<[^>]+>", "", html), caption
    for network in ("face_s1", "object_s2", "dual_s1"):
        assert f"Training history of network {network}" in html


def summary_outputs(work, *args) -> list[str]:
    """Every output file of the workflow's DAG, from `snakemake --summary`."""
    table = snakemake(work, "--summary", *args).stdout.splitlines()
    return [line.split("\t")[0] for line in table[1:] if line.strip()]


def test_dvc_stage_is_in_step_with_the_snakefile(tmp_path):
    """The one DVC stage runs Snakemake, tracks every file any rule writes, and depends on
    every file the workflow is made of; its metrics and plots are written by a rule."""
    dvc = yaml.safe_load((REPO / "dvc.yaml").read_text())
    (stage,) = dvc["stages"].values()
    assert stage["cmd"].split()[0] == "snakemake" and "--configfile" not in stage["cmd"]
    outs = [next(iter(o)) if isinstance(o, dict) else o for o in stage["outs"]]
    work = workdir(tmp_path)
    written = set()
    for config in ("config/config.yaml", "config/smoke.yaml"):
        outputs = summary_outputs(work, "--configfile", config)
        assert outputs, config
        written |= set(outputs)
        untracked = [f for f in outputs if not any(f == o or f.startswith(f"{o}/") for o in outs)]
        assert not untracked, f"rules write outside the DVC stage's outs: {untracked}"
    assert set(dvc["metrics"]) <= written
    for plot in dvc["plots"]:
        folder = next(iter(plot))
        assert any(f.startswith(f"{folder}/") for f in written), folder

    deps = stage["deps"]

    def tracked(path):
        return any(path == d or path.startswith(f"{d}/") for d in deps)

    workflow_files = [
        "Snakefile",
        *re.findall(r'^include: "(.+)"', (REPO / "Snakefile").read_text(), re.M),
    ]
    workflow_files += sorted(
        str(p.relative_to(REPO)) for p in (REPO / "workflow").rglob("*") if p.is_file()
    )
    for smk in (REPO / "workflow" / "rules").glob("*.smk"):
        for env in re.findall(r'"\.\./\.\./(envs/[^"]+)"', smk.read_text()):
            workflow_files.append(env)
    for config in (REPO / "config").glob("*.yaml"):
        for ds in (yaml.safe_load(config.read_text()).get("datasets") or {}).values():
            workflow_files += [
                ds["classes"][k]
                for k in ("include", "exclude")
                if isinstance(ds.get("classes"), dict) and ds["classes"].get(k)
            ]
    assert tracked("src/funcspec") and tracked("pyproject.toml")
    assert not [f for f in workflow_files if not tracked(f)], "missing from the stage's deps"
    assert {"config/config.yaml": None} in stage["params"]


# Steps whose outputs are figures: they write under results/figures/, not results/<step>/.
FIGURE_STEPS = {
    "contact_sheet",
    "history",
    "fig1",
    "fig2",
    "fig3",
    "fig4",
    "figS1",
    "figS2",
    "architectures",
    "snapshots",
}


def test_one_word_per_step():
    """A step's rule, `funcspec` subcommand, module, results folder and log folder share one
    name, so the provenance record names its rule from the subcommand and `grep -r <word>`
    finds the whole step."""
    from funcspec.cli import STEPS as subcommands

    rules = []
    for smk in (REPO / "workflow" / "rules").glob("*.smk"):
        for rule, body in re.findall(
            r"^rule (\w+):\n(.*?)(?=^rule |\Z)", smk.read_text(), re.M | re.S
        ):
            rules.append(rule)
            (shell,) = re.findall(r"shell:\n\s*(\"[^\"]*)", body)
            assert shell.startswith(f'"funcspec {rule} '), f"{smk.name}: {shell}"
            assert rule in subcommands, rule
            assert subcommands[rule][0].rpartition(".")[2] == rule, f"no module for step {rule}"
            (log,) = re.findall(r"log:\n\s*\"([^\"]+)\"", body)
            assert log.startswith(f"logs/{rule}/"), log
            folder = "figures" if rule in FIGURE_STEPS else rule
            (outputs,) = re.findall(r"output:\n(.*?)\n    \w+:", body, re.S)
            for output in re.findall(r'"(results/[^"]+)"', outputs):
                assert output.startswith(f"results/{folder}/"), f"{rule}: {output}"
    assert sorted(rules) == sorted(set(rules)) and len(rules) == 23


def test_each_step_computes_in_the_number_formats_config_gpu_gives_it(tmp_path):
    """Bug guarded: config `gpu` not reaching the jobs, so a cluster run computes in whatever
    formats the code defaults to (say, ranks in bf16 when the config keeps it float32)."""
    work = workdir(tmp_path)
    config = yaml.safe_load((work / "config" / "smoke.yaml").read_text())
    config["gpu"] = {
        "bf16": ["train"],
        "tf32": ["lesion"],
        "channels_last": ["relevance", "lesion"],
    }
    (work / "gpu.yaml").write_text(yaml.safe_dump(config))
    out = snakemake(work, "-n", "-p", "--configfile", "gpu.yaml").stdout
    expected = {
        "train": {"bf16"},
        "evaluate": set(),
        "relevance": {"channels-last"},
        "lesion": {"tf32", "channels-last"},
    }
    seen = set()
    for step, line in re.findall(r"funcspec (train|evaluate|relevance|lesion) (.*)", out):
        assert set(re.findall(r"--(bf16|tf32|channels-last)\b", line)) == expected[step], line
        seen.add(step)
    assert seen == set(expected)


def test_a_seed_list_expands_into_exactly_those_networks(tmp_path):
    """Bug guarded: seeds are ignored, or expand into other names, or a network's seeds share
    a result folder. Every step of a network runs once per seed, in <network>_s<seed>/."""
    work = workdir(tmp_path)
    config = yaml.safe_load((work / "config" / "smoke.yaml").read_text())
    config["networks"]["dual"]["seeds"] = [3, 7, 11]
    config["relevance"]["random_split"]["partitions"] = 3
    (work / "seeds.yaml").write_text(yaml.safe_dump(config))
    out = snakemake(work, "-n", "--configfile", "seeds.yaml").stdout
    trained = set(re.findall(r"results/train/(\w+)/model\.pt", out))
    assert {name for name in trained if name.startswith("dual_")} == {
        "dual_s3",
        "dual_s7",
        "dual_s11",
    }
    for partition, seed in enumerate((3, 7, 11), 1):
        assert f"results/lesion/dual_s{seed}/conv1.npz" in out
        assert f"results/relevance/dual_s{seed}/split{partition}_a/fc3.json" in out
        assert f"results/evaluate/dual_s{seed}/accuracy.csv" in out
    # (alexnet_dual_s1 is another network)
    assert "results/train/dual/" not in out and not re.search(r"(?<!\w)dual_s1/", out)


def test_the_power_config_is_laid_over_the_default_by_snakemake(tmp_path):
    """Bug guarded: docs/results.md's command for config/power.yaml replaces the default instead of
    merging into it, or its splits are not dealt to the added seeds: the dry run plans seed 5 of
    a Figure 4 network, ranked on partitions 5 and 10 of its own, with the default's datasets."""
    work = workdir(tmp_path)
    planned = snakemake(
        work, "-n", "--configfile", "config/config.yaml", "config/power.yaml"
    ).stdout
    for partition in (5, 10):
        assert f"results/relevance/food_object_s5/split{partition}_a/conv1.json" in planned
    assert "results/relevance/food_object_s5/split1_a/conv1.json" not in planned
    assert "results/prepare/faces_matched" in planned


def test_each_figure4_network_is_tested_against_its_own_random_splits(smoke_run, monkeypatch):
    """Bug guarded: every Figure 4 network was tested against one random split of the dual net
    (another network, other data, other epochs). Read back from the provenance records: Figure 4
    read each network's lesion results, each seed's were lesioned with the rankings of its own
    random splits (partition p dealt to one seed), and the null drawn for the network is the seed
    mean of those splits' index."""
    import csv

    import numpy as np

    from funcspec.provenance import Records
    from funcspec.stats import load_images, split_index

    monkeypatch.chdir(smoke_run)
    config = yaml.safe_load(Path("config/smoke.yaml").read_text())
    records = Records.of("results/figures/fig4.csv")
    read = records.producer("results/figures/fig4.csv")["inputs"]
    with open("results/figures/fig4.csv", newline="") as f:
        nulls = [r for r in csv.DictReader(f) if r["baseline"] == "random split"]
    networks = config["figures"]["fig4"]["networks"]
    assert {r["network"] for r in nulls} == set(networks)
    for network in networks:
        seeds = config["networks"][network]["seeds"]
        for layer in ("conv1", "conv2", "fc3"):
            index = []
            for partition, seed in enumerate(seeds, 1):
                images = f"results/lesion/{network}_s{seed}/{layer}.npz"
                assert images in read
                rankings = records.producer(images)["inputs"]
                own = {
                    p.split("/")[3] for p in rankings if p.startswith("results/relevance/")
                } - set(config["networks"][network]["tasks"])
                assert {
                    p.split("/")[2] for p in rankings if p.startswith("results/relevance/")
                } == {f"{network}_s{seed}"}
                assert own == {f"split{partition}_a", f"split{partition}_b"}
                index.append(split_index(load_images(images), 0.2))
            (row,) = [r for r in nulls if r["network"] == network and r["layer"] == layer]
            per_seed = [float(v) for v in row["per_seed"].split()]
            np.testing.assert_allclose(per_seed, index, atol=5e-5)  # written to 4 places
            np.testing.assert_allclose(float(row["value"]), np.mean(index))


def test_figure4_networks_train_on_matched_image_counts(smoke_run):
    """Bug guarded: a Figure 4 network's two tasks differ in size, so its segregation is
    compared at unequal training. Read back from what was prepared and what was trained."""
    results = smoke_run / "results"
    config = yaml.safe_load((smoke_run / "config" / "smoke.yaml").read_text())
    for network in config["figures"]["fig4"]["networks"]:
        tasks = config["networks"][network]["tasks"]
        prepared = {
            task: yaml.safe_load((results / "prepare" / task / "manifest.json").read_text())[
                "splits"
            ]["train"]["count"]
            for task in tasks
        }
        assert len(set(prepared.values())) == 1, (network, prepared)
        for seed in config["networks"][network]["seeds"]:
            history = (results / "train" / f"{network}_s{seed}" / "history.csv").read_text()
            rows = [line.split(",") for line in history.splitlines()[1:]]
            trained = {r[1]: int(r[3]) for r in rows if r[0] == "1" and r[2] == "train"}
            assert trained == prepared, (network, seed, trained, prepared)


def test_untrained_rankings_and_lesions_feed_the_baselines_of_figures_2_and_4(smoke_run):
    """Bug guarded: the untrained baseline (random features with a trained class layer) is
    trained but never ranked or lesioned, or its index is drawn from another network's results;
    Figure 4 drawn from one seed."""
    import csv

    import numpy as np

    from funcspec.stats import load_images, segregation_index

    results = smoke_run / "results"
    config = yaml.safe_load((smoke_run / "config" / "smoke.yaml").read_text())
    baseline = config["figures"]["fig2"]["untrained_net"]
    assert config["networks"][baseline]["train"]["frozen_trunk"]
    seeds = config["networks"][baseline]["seeds"]
    for seed in seeds:
        for task in ("faces", "objects"):
            for layer in ("conv1", "conv2", "fc3"):
                assert (
                    results / "relevance" / f"{baseline}_s{seed}" / task / f"{layer}.json"
                ).exists()
    for figure in ("fig2", "fig4"):
        with open(results / "figures" / f"{figure}.csv", newline="") as f:
            rows = list(csv.DictReader(f))
        untrained = {r["layer"]: r for r in rows if r["baseline"] == "untrained"}
        assert set(untrained) == {"conv1", "conv2", "fc3"}, figure
        for layer, row in untrained.items():
            index = [
                segregation_index(
                    load_images(results / "lesion" / f"{baseline}_s{seed}" / f"{layer}.npz"),
                    "faces",
                    "objects",
                    0.2,
                )
                for seed in seeds
            ]
            np.testing.assert_allclose(float(row["value"]), np.mean(index), err_msg=figure)
            assert row["network"] == baseline and int(row["n_seeds"]) == len(seeds)
        own = [
            r
            for r in rows
            if figure == "fig4"
            and r["panel"] == "A"
            and not r["baseline"]
            and r["task"] == "segregation_index"
            and not r["lesion"].endswith(" matched")  # accuracy-matched rows are not tested
        ]
        for r in own:
            assert int(r["n_seeds"]) == 2 and r["p_untrained"] != "" and r["p_random_split"] != ""
            raw, corrected = float(r["p_random_split"]), float(r["p_random_split_holm"])
            assert raw <= corrected or np.isnan(raw)  # undefined where a task has no correct image
    networks = {r["network"] for r in own}
    assert networks == set(config["figures"]["fig4"]["networks"])
    # Each network's primary test, and Figure 4's category against its face network.
    trends = {r["network"] for r in rows if r["task"] == "depth_slope" and r["panel"] == "A"}
    assert trends == networks
    compared = {r["lesion"] for r in rows if r["panel"] == "C"}
    assert compared == {"food_object - dual", "food_object - dual matched"}


def test_figure3_shows_every_unit_group_and_draws_its_numbers_from_them(smoke_run):
    """Bug guarded: a layer, seed or group missing from Figure 3, or a drawn mean that is not
    the mean over seeds of the units' own numbers. The smoke config visualises up to 2 units of
    each group and 2 random units in conv1, conv2 and fc3 of both seeds of the dual net, and
    measures every ranked layer's selectivity."""
    import csv

    import numpy as np
    import pytest

    with open(smoke_run / "results" / "figures" / "fig3.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    images = [r for r in rows if r["panel"] == "A"]
    assert {(r["network"], r["layer"]) for r in images} == {
        (f"dual_s{seed}", layer) for seed in (1, 2) for layer in ("conv1", "conv2", "fc3")
    }
    for r in images:  # every image is scored against its own starting noise
        assert float(r["value"]) == pytest.approx(
            float(r["log_odds"]) - float(r["log_odds_start"]), abs=1e-5
        )
    for key in {(r["network"], r["layer"]) for r in images}:
        own = [r for r in images if (r["network"], r["layer"]) == key]
        assert sum(r["random"] == "True" for r in own) == 2
        assert sum(r["chosen"] == "True" and r["group"] == "face-only" for r in own) <= 2
    scores = [r for r in rows if r["measure"] == "score" and r["panel"] == "B"]
    for row in scores:
        per_seed = [
            np.mean(values)
            for seed in (1, 2)
            if (
                values := [
                    float(r["value"])
                    for r in images
                    if r["network"] == f"dual_s{seed}"
                    and r["layer"] == row["layer"]
                    and (
                        r["random"] == "True"
                        if row["group"] == "random"
                        else r["group"] == row["group"] and r["chosen"] == "True"
                    )
                ]
            )
        ]
        if per_seed:
            assert float(row["value"]) == pytest.approx(np.mean(per_seed))
    selectivity = {r["layer"] for r in rows if r["measure"] == "d_prime"}
    assert selectivity == {"conv1", "conv2", "fc3"} | {
        r["layer"] for r in rows if r["measure"] == "overlap"
    }
    tests = [r for r in rows if r["measure"] == "score test"]
    assert {r["group"] for r in tests} == {
        "face-only - object-only",
        "face-only - random",
        "object-only - random",
    }


def test_the_readout_classifier_is_not_a_visualised_network(smoke_run):
    """Bug guarded: the readout judging a network's visualisations with that network itself
    (or a copy of its weights), which would make "looks like a face" circular. The readout job
    reads no trained network, and no weight of its classifier equals one of a visualised net."""
    import json

    import torch

    results = smoke_run / "results"
    record = json.loads((results / "provenance" / "readout" / "readout.csv.json").read_text())
    assert record["inputs"] and not [p for p in record["inputs"] if "results/train/" in p]
    classifier = torch.load(results / "readout" / "classifier.pt", weights_only=True)
    for seed in (1, 2):
        net = torch.load(results / "train" / f"dual_s{seed}" / "model.pt", weights_only=True)
        for name, weight in classifier["state_dict"].items():
            other = net["state_dict"].get(name)
            assert other is None or other.shape != weight.shape or not torch.equal(other, weight)


def test_a_readout_classifier_below_its_accuracy_floor_is_refused(smoke_run, tmp_path):
    """Bug guarded: a classifier at chance still gives shares with tight intervals; the readout
    step must stop instead, naming the key that sets the floor."""
    import pytest

    from funcspec.errors import FuncspecError
    from funcspec.readout import readout

    results = smoke_run / "results"
    with pytest.raises(FuncspecError, match=r"below readout\.min_accuracy 1\.01"):
        readout(
            results / "prepare" / "faces",
            results / "prepare" / "objects",
            sorted((results / "visualize").glob("*/*.npz")),
            tmp_path / "readout.csv",
            tmp_path / "classifier.pt",
            arch={"stages": [[8], [16]], "fc": [32], "dropout": 0.3, "input_size": 16},
            epochs=1,
            batch_size=64,
            lr=0.001,
            unseen_classes=1,
            min_accuracy=1.01,
            seed=0,
        )
    assert not (tmp_path / "readout.csv").exists()


def test_figure4_overlap_decodes_each_task_from_each_tasks_top_units_and_colour(smoke_run):
    """Bug guarded: overlap decoded from every unit of the layer instead of the top of one
    task's ranking, or panel D drawn from numbers other than the overlap tables. Each Figure 4
    network's table decodes each of its tasks from each task's top 20% of its last hidden layer
    (fc3: 6 of 32 units) and from colour histograms; panel D is each row's (accuracy - chance) /
    (1 - chance), the mean over seeds."""
    import csv

    import numpy as np
    import pytest

    results = smoke_run / "results"
    config = yaml.safe_load((smoke_run / "config" / "smoke.yaml").read_text())
    with open(results / "figures" / "fig4.csv", newline="") as f:
        panel = {(r["network"], r["task"]): r for r in csv.DictReader(f) if r["panel"] == "D"}
    for network in config["figures"]["fig4"]["networks"]:
        tasks = config["networks"][network]["tasks"]
        above = {}
        for seed in config["networks"][network]["seeds"]:
            with open(results / "overlap" / f"{network}_s{seed}.csv", newline="") as f:
                rows = list(csv.DictReader(f))
            features = [f"{t} units" for t in tasks] + ["colour"]
            assert [(r["decoded"], r["features"]) for r in rows] == [
                (t, x) for t in tasks for x in features
            ]
            for r in rows:
                assert r["features"] == "colour" or r["n_features"] == "6"
                chance = float(r["chance"])
                above.setdefault(f"{r['decoded']} from {r['features']}", []).append(
                    (float(r["accuracy"]) - chance) / (1 - chance)
                )
        for task, values in above.items():
            assert float(panel[(network, task)]["value"]) == pytest.approx(np.mean(values))


TABLE_STEPS = (
    "fig1",
    "fig2",
    "fig3",
    "fig4",
    "figS1",
    "figS2",
    "architectures",
    "snapshots",
    "metrics",
    "history",
)


def test_figure_and_metrics_jobs_do_not_load_torch(architectures_run, tmp_path):
    """Bug (review): the figures and metrics imported lesion.py for its table readers, and
    lesion.py imports torch and the training code; a figure job loaded torch to draw a table.
    Each job of the smoke run is rerun, on copies of its inputs, as its record says."""
    import json
    import shlex
    import shutil
    import subprocess
    import sys

    probe = (
        "import sys; from funcspec import cli; code = cli.main(sys.argv[1:]); "
        "print('torch' in sys.modules); sys.exit(code)"
    )
    records = {}
    for path in sorted((architectures_run / "results" / "provenance").rglob("*.json")):
        record = json.loads(path.read_text())
        records.setdefault(record["rule"], record)
    for step in TABLE_STEPS:
        record = records[step]
        work = tmp_path / step
        for path in record["inputs"]:
            (work / path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(architectures_run / path, work / path)
        argv = shlex.split(record["command"])[1:]
        done = subprocess.run(
            [sys.executable, "-c", probe, *argv], cwd=work, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.splitlines()[-1] == "False", f"funcspec {step} loaded torch"
        for path in record["outputs"]:
            assert (work / path).read_bytes() == (architectures_run / path).read_bytes(), path
