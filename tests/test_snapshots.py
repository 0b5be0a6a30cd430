"""The snapshot figure: the segregation index by epoch, epoch 0 the untrained twin, each epoch
tested against it; and the check that every snapshot lies on its network's own trajectory."""

import csv

import numpy as np
import pytest
from test_fig2 import INDEX, SEEDS, per_image
from workflow_helpers import figure_files

from funcspec.errors import FuncspecError
from funcspec.figures.snapshots import snapshots
from funcspec.train import HISTORY_COLUMNS

LAYERS = ("conv2", "conv10", "fc11")
STATISTICS = {"bootstrap": 200, "level": 0.95, "seed": 0}
# epoch 0: the untrained twin; after epoch 2: dual_s2's lesions (index 0.25); the trained net,
# after its 3 epochs: dual_s1's (0.5).
LESIONED = {
    "random_features_s1": SEEDS["untrained_s1"],
    "dual_s1_e2": SEEDS["dual_s2"],
    "dual_s1": SEEDS["dual_s1"],
}


def history(epochs, loss=1.0):
    return [
        {
            "epoch": e,
            "task": task,
            "split": split,
            "images": 8,
            "loss": loss / e,
            "accuracy": 0.1 * e,
            "lr": 0.001,
        }
        for e in range(1, epochs + 1)
        for task in ("faces", "objects")
        for split in ("train", "validation")
    ]


def write_history(tmp_path, name, rows):
    path = tmp_path / "train" / name / "history.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as f:
        out = csv.DictWriter(f, HISTORY_COLUMNS, lineterminator="\n")
        out.writeheader()
        out.writerows(rows)
    return path


@pytest.fixture
def images_npz(tmp_path):
    paths = []
    for network, results in LESIONED.items():
        for layer in LAYERS:
            path = tmp_path / "lesion" / network / f"{layer}.npz"
            path.parent.mkdir(parents=True, exist_ok=True)
            np.savez(path, **per_image(network, layer, results))
            paths.append(path)
    return paths[::-1]


def draw(images_npz, histories, tmp_path):
    return snapshots(
        images_npz,
        histories,
        figure_files(tmp_path / "figures" / "snapshots"),
        "dual",
        "random_features",
        ("faces", "objects"),
        0.2,
        STATISTICS,
    )


def test_each_epoch_is_its_snapshot_and_is_tested_against_epoch_zero(images_npz, tmp_path):
    """Bugs guarded: a snapshot drawn at the trained network's epoch (or grouped with it, as
    the other figures group a network's instances), the trained network not at its last epoch,
    epoch 0 not the untrained twin, an epoch left untested against epoch 0."""
    histories = [
        write_history(tmp_path, "dual_s1", history(3)),
        write_history(tmp_path, "dual_s1_e2", history(2)),
    ]
    rows = draw(images_npz, histories, tmp_path)
    index = [r for r in rows if r["task"] == "segregation_index"]
    assert [(r["epoch"], r["layer"]) for r in index] == [(e, x) for e in (0, 2, 3) for x in LAYERS]
    expected = {0: INDEX["untrained_s1"], 2: INDEX["dual_s2"], 3: INDEX["dual_s1"]}
    for r in index:
        assert r["value"] == pytest.approx(expected[r["epoch"]])
        assert r["network"] == ("random_features" if r["epoch"] == 0 else "dual")
        assert ("p_untrained" in r) == (r["epoch"] > 0)
    later = [r for r in index if r["epoch"] > 0]
    assert all(r["p_untrained"] <= r["p_untrained_holm"] <= 6 * r["p_untrained"] for r in later)
    trends = [r for r in rows if r["task"] == "depth_slope"]
    assert [r["epoch"] for r in trends] == [0, 2, 3]
    assert all("p_untrained_holm" in r for r in trends[1:])
    assert (tmp_path / "figures" / "snapshots.png").stat().st_size > 0


@pytest.mark.parametrize(
    "snapshot_history, expected",
    [
        (history(2, loss=1.5), "epoch 1 faces train: loss 1.5, .* where the network had epoch 1"),
        (history(1), "it has no row where the network had epoch 2 faces train"),
    ],
)
def test_a_snapshot_off_its_networks_trajectory_is_refused(
    images_npz, tmp_path, snapshot_history, expected
):
    """Bug guarded: a snapshot trained differently from its network (say, on a device where
    training is not deterministic), or stopped before its epoch, drawn as the network's past."""
    histories = [
        write_history(tmp_path, "dual_s1", history(3)),
        write_history(tmp_path, "dual_s1_e2", snapshot_history),
    ]
    with pytest.raises(FuncspecError, match=f"snapshot dual_s1_e2 did not retrace .*{expected}"):
        draw(images_npz, histories, tmp_path)


def test_a_snapshot_at_or_after_an_early_stop_is_refused(images_npz, tmp_path):
    """Bug guarded (review): with train.stop_patience the network may stop before a snapshot's
    epoch; the snapshot job stops there too, so it is the trained network again, drawn at an
    epoch it never reached (or beside it as if it were another seed)."""
    histories = [
        write_history(tmp_path, "dual_s1", history(2)),
        write_history(tmp_path, "dual_s1_e2", history(2)),
    ]
    with pytest.raises(FuncspecError, match="dual_s1_e2 is not before the end .* after epoch 2"):
        draw(images_npz, histories, tmp_path)
