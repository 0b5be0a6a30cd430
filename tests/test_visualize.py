"""Feature visualisation: the optimised image drives its own unit, deterministically."""

import json

import numpy as np
import pytest
import torch

from funcspec import models
from funcspec.data import normalise
from funcspec.visualize import (
    blur,
    from_pixels,
    preferred_images,
    starting_noise,
    unit_activation,
    visualize,
)

ARCH = {"stages": [[8], [16]], "fc": [32], "dropout": 0.0, "input_size": 16}


FACE_ORDER = [5, 11, 2, 9, 14, 1]
OBJECT_ORDER = [9, 3, 7, 0, 12, 6]  # unit 9 is in both top 4s (fraction 0.25 of 16 units)


@pytest.fixture
def network(tmp_path):
    """A small untrained network saved as the train step saves one, and face and object
    rankings of conv2."""
    torch.manual_seed(0)
    model = models.build(ARCH, 6, 16)
    path = tmp_path / "model.pt"
    torch.save(
        {
            "arch": ARCH,
            "num_classes": 6,
            "input_size": 16,
            "state_dict": model.state_dict(),
            "network": "tiny_s1",
            "tasks": [],
        },
        path,
    )
    rankings = []
    for task, order in (("faces", FACE_ORDER), ("objects", OBJECT_ORDER)):
        rankings.append(tmp_path / f"{task}.json")
        rankings[-1].write_text(
            json.dumps({"layer": "conv2", "task": task, "n_units": 16, "order": order})
        )
    return model.eval(), path, rankings


def run(network, out, seed=0, steps=60, units=2, restarts=1):
    _, path, rankings = network
    visualize(
        path,
        rankings,
        "conv2",
        out,
        face_task="faces",
        object_task="objects",
        fraction=0.25,
        units=units,
        restarts=restarts,
        steps=steps,
        step=0.0644,
        jitter=0.0714,
        blur_sigma=0.5,
        blur_every=10,
        decay=0.001,
        seed=seed,
    )
    with np.load(out) as f:
        return {k: f[k] for k in f.files}


def test_the_preferred_image_drives_its_own_unit(network, tmp_path):
    """Bug guarded: ascent on the wrong unit, the wrong sign, or a step that does nothing. Each
    image must raise its unit to at least twice its response to its starting noise and above
    its response to any of 200 other noise images, and drive its unit harder than the layer's
    other units on average."""
    model, _, _ = network
    made = run(network, tmp_path / "v.npz")
    assert (made["activation"] > 2 * made["start_activation"]).all()
    noise = starting_noise(range(200), 16, seed=99, layer="conv2")
    with torch.no_grad():
        by_noise = model(noise, stop="conv2").flatten(2).norm(dim=2)  # [image, unit]
    assert (made["activation"] > by_noise[:, made["unit"]].max(0).values.numpy()).all()
    with torch.no_grad():
        maps = model(normalise(from_pixels(made["images"])), stop="conv2")
        every_unit = maps.flatten(2).norm(dim=2)  # [image, unit]
    for i, unit in enumerate(made["unit"]):
        others = np.delete(every_unit[i].numpy(), unit)
        assert every_unit[i, unit] > 2 * others.mean()
        assert np.isclose(every_unit[i, unit], made["activation"][i], rtol=1e-5)
    own = unit_activation(model, "conv2", normalise(from_pixels(made["images"])), made["unit"])
    assert torch.allclose(own, torch.from_numpy(made["activation"]))


def test_a_unit_in_both_top_sets_is_visualised_once_and_counted_only_as_shared(network, tmp_path):
    """Bug guarded: a unit in the top of both rankings visualised for each task (the same image
    twice, two cells that are not independent) or counted as face-only or object-only too.
    Every unit of each group is visualised once per restart, in its one group; Figure 3's
    groups hold unit 9 in shared only."""
    from funcspec.figures.fig3 import _by_seed

    made = run(network, tmp_path / "v.npz", units=None, restarts=2, steps=2)
    for restart in (0, 1):
        mine = made["restart"] == restart
        units = made["unit"][mine].tolist()
        assert len(units) == len(set(units)) == 16  # units=None: every unit is also "random"
        groups = dict(zip(units, made["group"][mine].tolist()))
        assert groups[9] == "shared"
        assert {u for u, g in groups.items() if g == "face-only"} == {5, 11, 2}
        assert {u for u, g in groups.items() if g == "object-only"} == {3, 7, 0}
    rows = [
        {
            "network": "tiny_s1",
            "layer": "conv2",
            "unit": int(u),
            "group": str(g),
            "value": 1.0,
            "random": bool(r),
        }
        for u, g, r in zip(made["unit"], made["group"], made["random"])
    ]
    assert _by_seed(rows, "tiny", "conv2", "shared", "value")[0].tolist() == [1.0]
    for group in ("face-only", "object-only"):
        assert len(_by_seed(rows, "tiny", "conv2", group, "value")[0]) == 3


def test_a_draw_takes_at_most_units_of_each_group_and_as_many_random_ones(network, tmp_path):
    made = run(network, tmp_path / "v.npz", steps=2)
    chosen = made["group"][made["chosen"]].tolist()
    assert chosen.count("face-only") == chosen.count("object-only") == 2
    assert chosen.count("shared") == 1 and made["random"].sum() == 2


def test_the_same_seed_gives_the_same_bytes(network, tmp_path):
    """Bug guarded: unseeded noise, jitter or unit draws, so Figure 3 changes on every run."""
    first = run(network, tmp_path / "a.npz", seed=3)
    again = run(network, tmp_path / "b.npz", seed=3)
    other = run(network, tmp_path / "c.npz", seed=4)
    assert first["images"].tobytes() == again["images"].tobytes()
    assert (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()
    assert first["images"].tobytes() != other["images"].tobytes()


def test_a_ranking_shorter_than_its_top_is_refused(network, tmp_path):
    _, _, rankings = network
    rankings[1].write_text(
        json.dumps({"layer": "conv2", "task": "objects", "n_units": 16, "order": [9, 3]})
    )
    with pytest.raises(Exception, match=r"a ranking of 16 units is shorter than its top 4"):
        run(network, tmp_path / "v.npz")


def test_each_step_lands_where_its_gradient_points_despite_the_jitter():
    """Bug guarded: a jitter that is applied but not undone, so the image drifts by the random
    shifts and each update lands beside the pixel that asked for it. A unit that sees one bright
    pixel must see it brighten in place."""
    arch = {"stages": [[3]], "fc": [4], "dropout": 0.0, "input_size": 8}
    model = models.build(arch, 2, 8).eval().requires_grad_(False)
    conv = model.unit_layer("conv1")
    conv.weight.zero_()
    conv.bias.zero_()
    for c in range(3):
        conv.weight[c, c, 1, 1] = 1.0  # each unit is its own input channel
    start = torch.full((1, 3, 8, 8), -1.0)
    start[0, 0, 5, 5] = 0.5
    settings = dict(steps=3, step=0.0644, jitter=3, blur_sigma=0.5, blur_every=10, decay=0.0)
    shifts = np.random.default_rng(1).integers(0, 4, size=(3, 2))
    assert shifts.any()
    image = preferred_images(
        model, "conv1", [0], start, shifts=np.random.default_rng(1), **settings
    )
    brightest = divmod(int(image[0, 0].argmax()), 8)
    assert brightest == (5, 5) and image[0, 0, 5, 5] > 0.5


def test_the_blur_is_scipys_gaussian_filter():
    from scipy.ndimage import gaussian_filter1d

    x = torch.randn(2, 3, 32, 32)
    for sigma in (0.5, 1.0, 2.0):
        expected = gaussian_filter1d(gaussian_filter1d(x.numpy(), sigma, axis=2), sigma, axis=3)
        assert np.allclose(blur(x, sigma).numpy(), expected, atol=1e-6)
