"""The paper-shaped rehearsal (benchmarks/rehearsal.sh): its config is the paper's at rehearsal
size, and its fabricated trees are what the paper config's prepare steps accept.

The rehearsal itself (about 20 minutes) does not run in CI; these checks do, on every run."""

from __future__ import annotations

import fnmatch
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from funcspec.config import deep_merge, load_yaml
from funcspec.plan import load

REPO = Path(__file__).resolve().parents[1]
PAPER, REHEARSAL = REPO / "config" / "paper.yaml", REPO / "config" / "rehearsal.yaml"
sys.path.insert(0, str(REPO / "benchmarks"))

# What the rehearsal may change: sizes and effort. Everything else (architecture, image size,
# layouts, class lists, identity rule, objectives, statistics) must stay the paper's.
SIZES_AND_EFFORT = [
    "datasets.*.root",
    "datasets.*.classes.count",
    "datasets.*.train_per_class",
    "datasets.*.test_per_class",
    "datasets.*.heldout.count",
    "datasets.*.heldout.images_per_class",
    "probe.images_per_dataset",
    "probe.folds",
    "train.epochs",
    "train.batch_size",
    "networks.*.seeds",
    "networks.*.train.batch_size",
    "evaluate.bootstrap",
    "decode.folds",
    "relevance.layers",
    "relevance.random_split.partitions",
    "relevance.images",
    "relevance.max_steps",
    "lesion.random_draws",
    "visualize.layers",
    "visualize.units",
    "visualize.steps",
    "readout.epochs",
    "readout.batch_size",
    "readout.unseen_classes",
    "readout.min_accuracy",
    "figures.figS2.draws",
    "figures.statistics.bootstrap",
    "figures.statistics.min_resamples",
]


def leaves(tree: dict, prefix: str = "") -> dict:
    """{dotted key: value} of every non-mapping value."""
    out = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            out.update(leaves(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def outside_sizes_and_effort(overlay: dict, paper: dict) -> list[str]:
    """The overlay's keys that are not sizes or effort, or that the paper's config (its
    defaults filled in) does not have."""
    paper_keys = leaves(paper)
    return [
        key
        for key in leaves(overlay)
        if key not in paper_keys
        or not any(fnmatch.fnmatchcase(key, pattern) for pattern in SIZES_AND_EFFORT)
    ]


def test_the_rehearsal_overrides_sizes_and_effort_only():
    """Bug guarded: a rehearsal that passes because it changed what it should rehearse (a
    smaller network, another image size, a class list or an identity rule of its own)."""
    paper, overlay = load(PAPER), load_yaml(REHEARSAL)
    assert outside_sizes_and_effort(overlay, paper) == []
    # the check sees a change of architecture or image size
    bad = deep_merge(overlay, {"archs": {"vgg16": {"input_size": 64}}})
    bad["datasets"]["faces"]["image"] = {"resize": 72, "crop": 72}
    assert outside_sizes_and_effort(bad, paper) == [
        "datasets.faces.image.resize",
        "datasets.faces.image.crop",
        "archs.vgg16.input_size",
    ]
    merged = load(PAPER, REHEARSAL)  # valid, schema and consistency checks included
    assert merged["archs"] == paper["archs"]
    for name, ds in merged["datasets"].items():
        # a held-out design the paper has (or lacks) is kept, only smaller
        assert (ds["heldout"]["count"] > 0) == (paper["datasets"][name]["heldout"]["count"] > 0)
        assert ds["root"].startswith("rehearsal/")


def test_the_rehearsal_script_runs_the_paper_dag_from_a_scratch_clone():
    script = REPO / "benchmarks" / "rehearsal.sh"
    assert os.access(script, os.X_OK)
    subprocess.run(["bash", "-n", str(script)], check=True)
    text = script.read_text()
    assert "git clone" in text and "config/paper.yaml config/rehearsal.yaml" in text
    assert "provenance --verify" in text


@pytest.fixture(scope="module")
def trees(tmp_path_factory) -> tuple[Path, dict]:
    """The rehearsal's trees with every image a flat one of its size and mode: the layouts,
    names, boxes, split files and class counts are the rehearsal's, drawn in seconds."""
    from rehearsal_trees import build

    out = tmp_path_factory.mktemp("trees")
    config = load(PAPER, REHEARSAL)
    for path, _, _, _, size, mode in build(out, config):
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.new(mode, size, 128).save(path)
    return out, config


def test_every_paper_dataset_prepares_from_the_fabricated_trees(trees, tmp_path):
    """Bug guarded: trees the paper config cannot read (a class of the lists missing, an
    identity rule no fabricated identity meets, a box file out of step), found only when the
    rehearsal has already spent its time fabricating them."""
    from funcspec.prepare import prepare

    out, config = trees
    for name, ds in config["datasets"].items():
        spec = {**ds, "root": str(out / Path(ds["root"]).relative_to("rehearsal"))}
        manifest = prepare(name, spec, tmp_path / name)
        assert len(manifest["classes"]["trained"]) == ds["classes"]["count"], name
        assert len(manifest["classes"]["heldout"]) == ds["heldout"]["count"], name


def test_the_imagenet_tree_has_greyscale_and_cmyk_files(trees):
    out, _ = trees
    modes = {Image.open(p).mode for p in (out / "imagenet").rglob("*.JPEG")}
    assert modes == {"RGB", "L", "CMYK"}
