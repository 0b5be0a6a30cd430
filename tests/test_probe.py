"""The low-level shortcut probe and the contact sheet."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from funcspec.contact_sheet import draw_sheet
from funcspec.probe import FEATURE_SETS, domain_probe, lowlevel_features


def _noise(rng, n, size, tint):
    base = rng.uniform(0, 255, (n, size, size, 3)) * 0.5 + np.array(tint) * 0.5
    return np.clip(base, 0, 255).astype(np.uint8)


def test_lowlevel_features_shapes():
    images = _noise(np.random.default_rng(0), 6, 16, (128, 128, 128))
    features = lowlevel_features(images)
    assert set(features) == set(FEATURE_SETS)
    assert all(f.shape[0] == 6 and np.isfinite(f).all() for f in features.values())
    widths = [features[k].shape[1] for k in FEATURE_SETS[:-1]]
    assert features["all"].shape[1] == sum(widths)


def test_lowlevel_features_rejects_bad_input():
    with pytest.raises(ValueError, match="uint8"):
        lowlevel_features(np.zeros((2, 8, 8, 3), dtype=np.float32))


def test_probe_separates_red_from_blue_and_not_a_set_from_itself():
    rng = np.random.default_rng(1)
    red, blue = _noise(rng, 60, 16, (255, 0, 0)), _noise(rng, 60, 16, (0, 0, 255))
    same_a, same_b = _noise(rng, 60, 16, (128, 128, 128)), _noise(rng, 60, 16, (128, 128, 128))
    rows = domain_probe({"red": red, "blue": blue}, folds=4)
    assert [(r["domain_a"], r["domain_b"], r["features"]) for r in rows] == [
        ("blue", "red", name) for name in FEATURE_SETS
    ]
    by_set = {r["features"]: r for r in rows}
    assert by_set["colour_histogram"]["accuracy"] > 0.95
    assert by_set["all"]["accuracy"] > 0.95
    null = domain_probe({"a": same_a, "b": same_b}, folds=4)
    assert all(abs(r["accuracy"] - 0.5) < 0.2 for r in null)
    assert all(r["chance"] == 0.5 and r["n_per_domain"] == 60 and r["folds"] == 4 for r in null)


def test_probe_balances_and_is_deterministic():
    rng = np.random.default_rng(2)
    data = {
        "x": _noise(rng, 40, 12, (200, 50, 50)),
        "y": _noise(rng, 25, 12, (50, 50, 200)),
        "z": _noise(rng, 30, 12, (50, 200, 50)),
    }
    rows = domain_probe(data, folds=5, seed=3)
    assert len(rows) == 3 * len(FEATURE_SETS)
    assert {r["n_per_domain"] for r in rows if {r["domain_a"], r["domain_b"]} == {"x", "y"}} == {25}
    assert rows == domain_probe(data, folds=5, seed=3)


def test_contact_sheet_size_and_bytes(tmp_path):
    rng = np.random.default_rng(0)
    rows = {"faces": _noise(rng, 5, 10, (0, 0, 0)), "objects": _noise(rng, 3, 10, (0, 0, 0))}
    draw_sheet(rows, tmp_path / "sheet.png", columns=4, scale=2)
    draw_sheet(rows, tmp_path / "again.png", columns=4, scale=2)
    with Image.open(tmp_path / "sheet.png") as sheet:
        width, height = sheet.size
    assert height == 2 * (10 * 2 + 2)
    assert width > 4 * (10 * 2 + 2)
    assert (tmp_path / "sheet.png").read_bytes() == (tmp_path / "again.png").read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["again.png", "sheet.png"]
