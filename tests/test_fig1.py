"""Fig. 1B-C: the figure files, and a tidy table holding exactly the numbers it was given."""

import csv

import pytest
from workflow_helpers import figure_files

from funcspec.figures.fig1 import fig1

ACCURACY = {  # network -> rows of (task, n_images, n_classes, accuracy, ci_low, ci_high, chance)
    "face": [("faces", 100, 10, 0.81, 0.77, 0.85, 0.1)],
    "object": [("objects", 80, 8, 0.66, 0.6, 0.71, 0.125)],
    "dual": [
        ("faces", 100, 10, 0.79, 0.74, 0.83, 1 / 18),
        ("objects", 80, 8, 0.63, 0.58, 0.69, 1 / 18),
    ],
}
DECODING = {  # network -> rows of (task, accuracy, sem, chance, folds, n_images, n_classes)
    "face": [("faces", 0.9, 0.02, 0.2, 5, 50, 5), ("objects", 0.41, 0.03, 0.25, 5, 40, 4)],
    "object": [
        ("faces", 0.55, 0.04, 0.2, 5, 50, 5),
        ("objects", 0.77, 0.025, 0.25, 5, 40, 4),
        ("cars", 0.5, 0.01, 0.5, 5, 20, 2),
    ],  # a dataset Fig. 1 does not show
    "untrained": [("faces", 0.3, 0.05, 0.2, 5, 50, 5), ("objects", 0.33, 0.01, 0.25, 5, 40, 4)],
}


def write_tables(folder, tables, header, seed=1):
    """One table per network instance (<network>_s<seed>), as the workflow writes them."""
    paths = []
    for network, rows in tables.items():
        path = folder / f"{network}_s{seed}.csv"
        with open(path, "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(header)
            writer.writerows((f"{network}_s{seed}", *row) for row in rows)
        paths.append(path)
    return paths


@pytest.fixture
def inputs(tmp_path):
    acc = write_tables(
        tmp_path,
        ACCURACY,
        ["network", "task", "n_images", "n_classes", "accuracy", "ci_low", "ci_high", "chance"],
    )
    (tmp_path / "dec").mkdir()
    dec = write_tables(
        tmp_path / "dec",
        DECODING,
        ["network", "task", "accuracy", "sem", "chance", "folds", "n_images", "n_classes"],
    )
    return acc, dec


def read_rows(path):
    with open(path, newline="") as f:
        return [
            {k: (v if k in ("panel", "network", "task") else float(v)) for k, v in row.items()}
            for row in csv.DictReader(f)
        ]


def expected_rows():
    b = [
        ("B", net, task, acc, acc - sem, acc + sem, 1, chance)
        for task in ("faces", "objects")
        for net in ("face", "object", "dual", "untrained")
        for (t, acc, sem, chance, *_) in DECODING.get(net, [])
        if t == task
    ]
    c = [
        ("C", net, task, acc, low, high, 1, chance)
        for task in ("faces", "objects")
        for net in ("face", "object", "dual")
        for (t, _, _, acc, low, high, chance) in ACCURACY[net]
        if t == task
    ]
    keys = ["panel", "network", "task", "value", "err_low", "err_high", "n_seeds", "chance"]
    return [dict(zip(keys, row)) for row in b + c]


def test_writes_pdf_png_and_a_csv_of_exactly_the_inputs(inputs, tmp_path):
    out = tmp_path / "figures" / "fig1"
    rows = fig1(*inputs, figure_files(out))
    assert (tmp_path / "figures" / "fig1.pdf").read_bytes().startswith(b"%PDF")
    assert (tmp_path / "figures" / "fig1.png").read_bytes().startswith(b"\x89PNG")
    assert sorted(p.name for p in (tmp_path / "figures").iterdir()) == [
        "fig1.csv",
        "fig1.pdf",
        "fig1.png",
    ]
    assert read_rows(tmp_path / "figures" / "fig1.csv") == expected_rows() == rows
    assert len(rows) == 6 + 4  # B: face, object, untrained on 2 datasets (no dual); C: 4 bars
    assert not any(r["task"] == "cars" for r in rows)
    assert not any(r["panel"] == "C" and r["network"] == "untrained" for r in rows)


def test_outputs_are_byte_identical_across_runs_and_input_order(inputs, tmp_path):
    acc, dec = inputs
    fig1(acc, dec, figure_files(tmp_path / "one"))
    fig1(acc[::-1], dec[::-1], figure_files(tmp_path / "two"))
    for ext in ("csv", "pdf", "png"):
        assert (tmp_path / f"one.{ext}").read_bytes() == (tmp_path / f"two.{ext}").read_bytes(), ext


def test_dual_decoding_and_custom_task_names(tmp_path):
    acc = write_tables(
        tmp_path,
        {"face": [("vgg", 10, 2, 0.5, 0.4, 0.6, 0.5)]},
        ["network", "task", "n_images", "n_classes", "accuracy", "ci_low", "ci_high", "chance"],
    )
    (tmp_path / "dec").mkdir()
    dec = write_tables(
        tmp_path / "dec",
        {"dual": [("imnet", 0.7, 0.1, 0.5, 5, 10, 2)]},
        ["network", "task", "accuracy", "sem", "chance", "folds", "n_images", "n_classes"],
    )
    rows = fig1(acc, dec, figure_files(tmp_path / "f"), face_task="vgg", object_task="imnet")
    assert [(r["panel"], r["network"], r["task"], r["value"]) for r in rows] == [
        ("B", "dual", "imnet", 0.7),
        ("C", "face", "vgg", 0.5),
    ]


def test_missing_column_is_reported(inputs, tmp_path):
    acc, dec = inputs
    with pytest.raises(ValueError, match="sem"):
        fig1(acc, [acc[0]], figure_files(tmp_path / "bad"))


def test_duplicate_rows_are_refused(inputs, tmp_path):
    acc, dec = inputs
    with pytest.raises(ValueError, match="more than one row"):
        fig1(acc + acc[:1], dec, figure_files(tmp_path / "dup"))
    assert not list(tmp_path.glob("dup*"))


def test_the_baseline_is_the_configured_network(inputs, tmp_path):
    """Bug (review): the baseline's name was fixed to "untrained" in the module, so an untrained
    network configured under another name was silently left out of panel B."""
    acc, dec = inputs
    init = dec[-1].with_name("init.csv")
    init.write_text(dec[-1].read_text().replace("untrained_s1,", "init_s1,"))
    rows = fig1(acc, dec[:-1] + [init], figure_files(tmp_path / "fig1"), baseline="init")
    assert {r["network"] for r in rows if r["panel"] == "B"} == {"face", "object", "init"}
    rows = fig1(acc, dec, figure_files(tmp_path / "fig1"), baseline=None)
    assert {r["network"] for r in rows if r["panel"] == "B"} == {"face", "object"}


def test_several_seeds_are_drawn_as_their_mean_and_range(inputs, tmp_path):
    """Bug guarded: a second seed of a network read as a duplicate, dropped, or drawn as one
    seed's error bar rather than the spread across seeds."""
    acc, dec = inputs
    header = ["network", "task", "n_images", "n_classes", "accuracy", "ci_low", "ci_high"]
    (tmp_path / "s2").mkdir()
    second = {"dual": [("faces", 100, 10, 0.71, 0.6, 0.8, 1 / 18)]}
    acc2 = write_tables(tmp_path / "s2", second, [*header, "chance"], seed=2)
    rows = fig1(acc + acc2, dec, figure_files(tmp_path / "fig1"))
    (dual,) = [
        r for r in rows if r["panel"] == "C" and r["network"] == "dual" and r["task"] == "faces"
    ]
    assert (dual["value"], dual["err_low"], dual["err_high"], dual["n_seeds"]) == (
        pytest.approx(0.75),
        0.71,
        0.79,
        2,
    )
    (face,) = [r for r in rows if r["panel"] == "C" and r["network"] == "face"]
    assert (face["err_low"], face["err_high"], face["n_seeds"]) == (0.77, 0.85, 1)
