"""The Snakemake workflow end to end, in a scratch copy of the repository."""

import re
from pathlib import Path

import yaml
from fabricate import (
    fabricate_food101,
    fabricate_imagenet,
    fabricate_split_folders,
    fabricate_vggface2,
)
from workflow_helpers import REPO, snakemake, tree_bytes, workdir


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
    for figure in ("fig1", "fig2", "figS1"):
        assert (results / "figures" / f"{figure}.pdf").read_bytes()[:5] == b"%PDF-"
        assert (results / "figures" / f"{figure}.png").stat().st_size > 0
    fig1 = (results / "figures" / "fig1.csv").read_text().splitlines()
    assert {line.split(",")[0] for line in fig1[1:]} == {"B", "C"}
    fig2 = (results / "figures" / "fig2.csv").read_text()
    for layer in ("conv1", "conv2", "fc3"):  # every lesionable layer of the smoke net
        assert f",dual,,{layer}," in fig2 and f",dual,random split,{layer}," in fig2
    for network in ("face", "object", "dual", "untrained"):
        assert (results / "train" / network / "model.pt").exists()
        assert not (results / "train" / network / "checkpoint.pt").exists()
    # a second run has nothing to do
    assert (
        "Nothing to be done"
        in snakemake(smoke_run, "-n", "--configfile", "config/smoke.yaml").stdout
    )


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
    assert planned_jobs(out)["prepare"] == 2
    assert "results/generate/cars" not in out and "results/generate/food" not in out
    default = snakemake(work, "-n").stdout
    default_datasets = yaml.safe_load((work / "config" / "config.yaml").read_text())["datasets"]
    assert planned_jobs(default)["prepare"] == len(default_datasets) > 2


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
        "cars": fabricate_split_folders(data / "cars"),
    }
    roots["objects_nofood"] = roots["objects"]
    for name, root in roots.items():
        config["datasets"][name]["root"] = str(root)
    path = work / "paper_fabricated.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def test_paper_config_plans_prepare_jobs(tmp_path):
    work = workdir(tmp_path)
    config = paper_config_on_fabricated_trees(work, tmp_path / "data")
    out = snakemake(work, "-n", "--configfile", config.name).stdout
    jobs = planned_jobs(out)
    assert jobs["prepare"] == 5 and "generate" not in jobs


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


def test_report_has_every_figure_with_its_caption(smoke_run):
    snakemake(smoke_run, "--report", "report.html", "--configfile", "config/smoke.yaml")
    html = (smoke_run / "report.html").read_text()
    for figure in ("fig1.png", "fig2.png", "figS1.png", "contact_sheet.png"):
        assert figure in html, figure
    for caption in ("fig1", "fig2", "figS1", "contact_sheet"):
        text = (REPO / "workflow" / "report" / f"{caption}.rst").read_text()
        first_words = " ".join(re.sub(r"[*`]", "", text).split()[:8])
        assert first_words in re.sub(r"<[^>]+>", "", html), caption
    for network in ("face", "object", "dual"):
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
FIGURE_STEPS = {"contact_sheet", "history", "fig1", "fig2", "figS1"}


def test_one_word_per_step():
    """A step's rule, `funcspec` subcommand, module, results folder and log folder share one
    name, so the provenance record names its rule from the subcommand and `grep -r <word>`
    finds the whole step."""
    from funcspec.cli import build_parser

    subcommands = next(a for a in build_parser()._actions if a.dest == "command").choices
    package = REPO / "src" / "funcspec"
    rules = []
    for smk in (REPO / "workflow" / "rules").glob("*.smk"):
        for rule, body in re.findall(
            r"^rule (\w+):\n(.*?)(?=^rule |\Z)", smk.read_text(), re.M | re.S
        ):
            rules.append(rule)
            (shell,) = re.findall(r"shell:\n\s*(\"[^\"]*)", body)
            assert shell.startswith(f'"funcspec {rule} '), f"{smk.name}: {shell}"
            assert rule in subcommands, rule
            modules = [
                package / f"{rule}.py",
                package / rule / "__init__.py",
                package / "figures" / f"{rule}.py",
            ]
            assert any(m.exists() for m in modules), f"no module for step {rule}"
            (log,) = re.findall(r"log:\n\s*\"([^\"]+)\"", body)
            assert log.startswith(f"logs/{rule}/"), log
            folder = "figures" if rule in FIGURE_STEPS else rule
            (outputs,) = re.findall(r"output:\n(.*?)\n    \w+:", body, re.S)
            for output in re.findall(r'"(results/[^"]+)"', outputs):
                assert output.startswith(f"results/{folder}/"), f"{rule}: {output}"
    assert sorted(rules) == sorted(set(rules)) and len(rules) == 14
