"""Food's generator options: recolouring at a set rate, and the overlap variants whose parts
come in a set share from the object shape grammar, read back from the tree's metadata."""

from __future__ import annotations

import numpy as np
import pytest

from funcspec import generate
from funcspec.generate import food, objects

SIZE = 16


def _recoloured_share(rate: float, n: int = 400) -> float:
    """Share of one class's images that recolouring at `rate` changes.

    An image differs from its twin drawn with recolour=0 exactly when it was recoloured: the
    decision is drawn in every image whatever the rate, and only a recoloured image draws
    anything more.
    """
    changed = [
        not np.array_equal(
            generate.render("food", 2, 1, i, SIZE, recolour=rate),
            generate.render("food", 2, 1, i, SIZE, recolour=0.0),
        )
        for i in range(n)
    ]
    return float(np.mean(changed))


def test_food_is_recoloured_at_the_configured_rate():
    assert _recoloured_share(0.0) == 0.0
    assert _recoloured_share(1.0) == 1.0
    # Binomial(400, 0.15): sd 0.018, so these bounds are 3.3 sd either side.
    assert 0.09 < _recoloured_share(0.15) < 0.21
    # The default is the rate faces and objects use.
    default = [generate.render("food", 2, 1, i, SIZE) for i in range(40)]
    explicit = [generate.render("food", 2, 1, i, SIZE, recolour=0.15) for i in range(40)]
    assert all(np.array_equal(a, b) for a, b in zip(default, explicit))


def test_recolouring_replaces_the_class_colours_with_shared_draws():
    params = generate._class_params("food", 2, 1, 1.0, 0.0)
    texture, topping = food.class_colours(params, np.random.default_rng(0))
    assert not np.allclose(texture.colour_a, params["texture"].colour_a)
    assert not np.allclose(topping, params["topping_colour"])
    kept = generate._class_params("food", 2, 1, 0.0, 0.0)
    texture, topping = food.class_colours(kept, np.random.default_rng(0))
    assert texture is kept["texture"] and topping is kept["topping_colour"]


@pytest.mark.parametrize("shared", [0.0, 0.5, 1.0])
def test_the_overlap_variants_share_of_object_parts_is_read_back_from_metadata(tmp_path, shared):
    generate.generate(
        "food",
        tmp_path,
        n_classes=3,
        images_per_class=2,
        size=SIZE,
        seed=4,
        shared_parts=shared,
        progress=False,
    )
    meta = generate.read_metadata(tmp_path)
    assert meta["shared_parts"] == shared and meta["domain"] == "food"
    assert [c["name"] for c in meta["per_class"]] == ["food0000", "food0001", "food0002"]
    assert [c["shared_parts"] for c in meta["per_class"]] == [shared] * 3
    # The share is what the class was drawn with, not the request echoed back.
    for c in range(3):
        parts = generate._class_params("food", 4, c, 0.15, shared).get("parts", [])
        drawn = sum(isinstance(part, objects.Part) for part in parts)
        assert drawn == round(shared * food.N_PARTS)


def test_overlap_variants_change_the_shapes_and_keep_the_surface():
    plain = generate._class_params("food", 0, 3, 0.15, 0.0)
    half = generate._class_params("food", 0, 3, 0.15, 0.5)
    # A variant keeps its category's surface: only the parts are drawn anew.
    for key in ("colour_a", "colour_b"):
        np.testing.assert_array_equal(getattr(plain["texture"], key), getattr(half["texture"], key))
    assert plain["topping"] == half["topping"] and plain["size"] == half["size"]
    assert "parts" not in plain and len(half["parts"]) == food.N_PARTS
    for i in range(3):
        a = generate.render("food", 0, 3, i, 32, recolour=0.0).astype(int)
        b = generate.render("food", 0, 3, i, 32, recolour=0.0, shared_parts=0.5).astype(int)
        assert np.abs(a - b).mean() > 1


def test_metadata_is_rewritten_with_identical_bytes(tmp_path):
    kwargs = dict(n_classes=2, images_per_class=1, size=SIZE, seed=1, progress=False)
    generate.generate("food", tmp_path / "a", shared_parts=0.25, recolour=0.3, **kwargs)
    first = (tmp_path / "a" / "generator.json").read_bytes()
    generate.generate("food", tmp_path / "a", shared_parts=0.25, recolour=0.3, **kwargs)
    generate.generate("food", tmp_path / "b", workers=2, shared_parts=0.25, recolour=0.3, **kwargs)
    assert (tmp_path / "a" / "generator.json").read_bytes() == first
    assert (tmp_path / "b" / "generator.json").read_bytes() == first
    assert generate.read_metadata(tmp_path / "a") == {
        "domain": "food",
        "classes": 2,
        "images_per_class": 1,
        "size": SIZE,
        "seed": 1,
        "greyscale": False,
        "recolour": 0.3,
        "shared_parts": 0.25,
        "per_class": [
            {"name": "food0000", "shared_parts": 0.25},
            {"name": "food0001", "shared_parts": 0.25},
        ],
    }
    assert not list((tmp_path / "a").glob(".*"))  # no temporary left behind


def test_read_metadata_names_a_tree_without_it(tmp_path):
    with pytest.raises(ValueError, match="generator.json"):
        generate.read_metadata(tmp_path)
