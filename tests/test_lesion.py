"""Lesion evaluation, the random class split and the segregation index."""

import numpy as np
import pytest
import torch

from funcspec import models
from funcspec.ablation import ablated
from funcspec.data import Pooled, TaskSplit, eval_batches
from funcspec.lesion import conditions, evaluate_lesions, identities
from funcspec.shards import PreparedSplit
from funcspec.tables import segregation
from funcspec.tasks import dealt, halves, random_split, task_groups

TINY = {"stages": [[4], [6]], "fc": [8], "dropout": 0.0, "input_size": 8}


@pytest.fixture
def setup():
    torch.manual_seed(0)
    torch.set_num_threads(1)
    model = models.build(TINY, 6, 8).eval()
    rng = np.random.default_rng(0)
    tasks = []
    for task, offset, n_classes in (("faces", 0, 4), ("objects", 4, 2)):
        labels = rng.integers(0, n_classes, 30)
        images = rng.integers(0, 256, (30, 8, 8, 3), dtype=np.uint8)
        split = PreparedSplit([f"{task}{i}" for i in range(n_classes)], labels, [images])
        tasks.append(TaskSplit(task, split, offset))
    saved = {
        "num_classes": 6,
        "tasks": [{"task": t.task, "offset": t.offset, "classes": t.split.classes} for t in tasks],
    }
    return model, Pooled(tasks), task_groups(saved, split_seed=3, tasks=["split2_a"])


def direct_accuracy(model, pooled, labels):
    predicted = torch.cat(
        [
            model(x).argmax(1)
            for x, _, _ in eval_batches(pooled, np.arange(len(pooled)), 16, 8, "cpu")
        ]
    )
    mine = np.isin(pooled.labels, labels)
    return float((predicted.numpy()[mine] == pooled.labels[mine]).mean())


def test_every_group_is_measured_even_where_groups_overlap(setup):
    model, pooled, groups = setup
    assert set(groups) == {"faces", "objects", "split2_a", "split2_b"}
    rows, *_ = evaluate_lesions(
        model,
        "conv2",
        pooled,
        groups,
        [{"lesion": "none", "draw": 0, "fraction": 0.0, "units": []}],
        16,
        "cpu",
    )
    by_task = {r["task"]: r for r in rows}
    for name, labels in groups.items():
        assert by_task[name]["n_images"] == np.isin(pooled.labels, labels).sum()
        assert by_task[name]["accuracy"] == pytest.approx(direct_accuracy(model, pooled, labels))
    assert by_task["faces"]["n_images"] + by_task["objects"]["n_images"] == len(pooled)
    assert by_task["split2_a"]["n_images"] + by_task["split2_b"]["n_images"] == len(pooled)


def test_lesioning_every_unit_makes_the_output_input_independent(setup):
    model, pooled, groups = setup
    everything = {"lesion": "all", "draw": 0, "fraction": 1.0, "units": list(range(6))}
    none = {"lesion": "none", "draw": 0, "fraction": 0.0, "units": []}
    rows, *_ = evaluate_lesions(model, "conv2", pooled, groups, [none, everything], 16, "cpu")
    rows = [r for r in rows if r["lesion"] == "all"]
    # every image gets the same prediction, so accuracy is that class's share of the images
    with torch.no_grad():
        with ablated(model, "conv2", range(6)):
            x = next(eval_batches(pooled, np.arange(len(pooled)), len(pooled), 8, "cpu"))[0]
            constant = int(model(x).argmax(1)[0])
    expected = np.mean(pooled.labels == constant)
    overall = sum(r["accuracy"] * r["n_images"] for r in rows if r["task"] in ("faces", "objects"))
    assert overall / len(pooled) == pytest.approx(expected)


def test_conditions_are_the_ranked_prefixes_and_nested_random_sets():
    rankings = {"faces": [5, 3, 1, 0], "objects": [2, 4, 0, 1]}
    lesions = conditions(rankings, 10, [0.1, 0.2, 0.4], random_draws=2, seed=0)
    assert lesions[0]["lesion"] == "none" and lesions[0]["units"] == []
    faces = [c["units"] for c in lesions if c["lesion"] == "faces"]
    assert faces == [[5], [5, 3], [5, 3, 1, 0]]
    random = [c["units"] for c in lesions if c["lesion"] == "random" and c["draw"] == 1]
    assert [len(u) for u in random] == [1, 2, 4] and random[1] == random[2][:2]
    with pytest.raises(ValueError, match="has 4 units, lesion fraction 0.5 needs 5"):
        conditions(rankings, 10, [0.5], 0, 0)


def test_random_split_halves_all_classes():
    split = random_split(7, seed=1, partition=1)
    assert list(split) == list(halves(1))
    assert sorted(np.concatenate(list(split.values())).tolist()) == list(range(7))
    assert {len(h) for h in split.values()} == {3, 4}
    assert not np.array_equal(split["split1_a"], random_split(7, seed=2, partition=1)["split1_a"])


def test_each_partition_is_its_own_split_and_each_seed_gets_its_own_partitions():
    """Bug guarded: one random split was borrowed by every seed (and by other networks), so the
    null was a single partition. Partitions differ, and dealing 5 of them to 3 seeds gives every
    seed its own, none twice."""
    first, second = random_split(40, seed=0, partition=1), random_split(40, seed=0, partition=2)
    assert not np.array_equal(first["split1_a"], second["split2_a"])
    dealt_to = [dealt(5, slot, 3) for slot in range(3)]
    assert dealt_to == [[1, 4], [2, 5], [3]]
    assert dealt(3, 0, 3) == [1] and dealt(2, 2, 3) == []


def drop_row(lesion, task, drop, fraction=0.2, draw=0):
    return {"lesion": lesion, "task": task, "drop": drop, "draw": draw, "fraction": fraction}


def test_segregation_index_of_a_known_double_dissociation():
    """Bug guarded: segregation() pairing the wrong drops (a task's drop after the other
    lesion taken from the other task, own and other swapped, the two tasks' ratios mixed) or
    reading rows of another fraction or another draw. Numbers are pinned, not recomputed.

    own_faces = 0.8 (faces after the faces lesion),
    other_faces = 0.2 (faces after the objects lesion)
    own_objects = 0.3, other_objects = 0.1 (objects after the faces lesion)
    index = ((0.8 - 0.2) + (0.3 - 0.1)) / 2 = (0.6 + 0.2) / 2 = 0.4
    ratio = (0.6 / 1.0 + 0.2 / 0.4) / 2 = (0.6 + 0.5) / 2 = 0.55
    (with the two "other" drops swapped: index 0.4 still, ratio (0.7/0.9 + 0.1/0.5) / 2 = 0.489.)
    """
    rows = [
        drop_row("faces", "faces", 0.8),
        drop_row("faces", "objects", 0.1),
        drop_row("objects", "objects", 0.3),
        drop_row("objects", "faces", 0.2),
        # Rows segregation() must ignore: another fraction, a second draw, random lesions.
        drop_row("faces", "faces", 0.05, fraction=0.1),
        drop_row("objects", "faces", 0.9, fraction=0.1),
        drop_row("faces", "objects", 0.7, draw=1),
        drop_row("random", "faces", 0.5),
    ]
    s = segregation(rows, "faces", "objects", 0.2)
    assert s["index"] == pytest.approx(0.4)
    assert s["ratio"] == pytest.approx(0.55)
    # The pair in the other order is the same number (the index is symmetric in the tasks).
    assert segregation(rows, "objects", "faces", 0.2) == pytest.approx(s)


def test_segregation_index_is_one_for_a_complete_double_dissociation():
    """Bug guarded: the documented scale is wrong: a complete double dissociation (each lesion
    abolishes its own task, 1, and spares the other, 0) must give index 1 and ratio 1.

    index = ((1 - 0) + (1 - 0)) / 2 = 1; ratio = (1/1 + 1/1) / 2 = 1."""
    rows = [
        drop_row("faces", "faces", 1.0),
        drop_row("faces", "objects", 0.0),
        drop_row("objects", "objects", 1.0),
        drop_row("objects", "faces", 0.0),
    ]
    assert segregation(rows, "faces", "objects", 0.2) == {"index": 1.0, "ratio": 1.0}


def test_segregation_index_is_zero_when_lesions_hurt_both_alike():
    """Bug guarded: a nonzero index (or a division by zero in the ratio) when the two lesions
    do not dissociate: each task drops the same whichever units are lesioned.

    faces drop 0.4 after either lesion, objects drop 0.1 after either:
    index = ((0.4 - 0.4) + (0.1 - 0.1)) / 2 = 0; ratio = (0/0.8 + 0/0.2) / 2 = 0.
    No drop at all: own + other = 0, ratio defined as 0."""
    rows = [
        drop_row("faces", "faces", 0.4),
        drop_row("faces", "objects", 0.1),
        drop_row("objects", "objects", 0.1),
        drop_row("objects", "faces", 0.4),
    ]
    assert segregation(rows, "faces", "objects", 0.2) == {"index": 0.0, "ratio": 0.0}
    nothing = [
        drop_row(lesion, task, 0.0)
        for lesion in ("faces", "objects")
        for task in ("faces", "objects")
    ]
    assert segregation(nothing, "faces", "objects", 0.2) == {"index": 0.0, "ratio": 0.0}


@pytest.mark.parametrize(
    "layer, units", [("conv1", [0, 2]), ("conv2", [1, 4, 5]), ("fc3", [0, 3, 6])]
)
def test_partial_lesion_through_the_cache_equals_direct_ablation(setup, layer, units):
    """Bug guarded: evaluate_lesions runs the layers below the lesioned one once per batch and
    shares that activation across lesions; caching one layer too high (the lesioned layer's
    own, unablated output), ablating outside the shared pass or mixing lesions' sums would make
    a lesion's row differ from the whole network run with the units zeroed."""
    model, pooled, groups = setup
    # The paper's init gives near-zero logits, which a lesion barely moves: He-scaled weights
    # and non-zero biases (zeroed by the lesion too) make its effect visible.
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0, (2 / p[0].numel()) ** 0.5 if p.dim() > 1 else 0.1)
    none = {"lesion": "none", "draw": 0, "fraction": 0.0, "units": []}
    partial = {"lesion": "faces", "draw": 0, "fraction": 0.5, "units": units}
    rows, *_ = evaluate_lesions(model, layer, pooled, groups, [none, partial], 16, "cpu")
    got = {r["task"]: r for r in rows if r["lesion"] == "faces"}
    logits, labels = [], []
    with torch.no_grad(), ablated(model, layer, units):
        for x, y, _ in eval_batches(pooled, np.arange(len(pooled)), 16, 8, "cpu"):
            logits.append(model(x))
            labels.append(y)
    logits, labels = torch.cat(logits), torch.cat(labels)
    correct = (logits.argmax(1) == labels).numpy()
    loss = torch.nn.functional.cross_entropy(logits, labels, reduction="none").double().numpy()
    unlesioned = {r["task"]: r for r in rows if r["lesion"] == "none"}
    for name, classes in groups.items():
        mine = np.isin(labels.numpy(), classes)
        assert got[name]["n_lesioned"] == len(units)
        assert got[name]["n_images"] == mine.sum()
        assert got[name]["accuracy"] == correct[mine].mean(), name
        assert got[name]["loss"] == pytest.approx(loss[mine].mean(), rel=0, abs=1e-6), name
    # The lesion did something, so equality is not that of two unlesioned passes.
    assert all(abs(got[t]["loss"] - unlesioned[t]["loss"]) > 1e-3 for t in groups)
    assert any(got[t]["accuracy"] != unlesioned[t]["accuracy"] for t in groups)


def test_a_consolidated_tasks_images_keep_their_classes_for_the_bootstrap(setup):
    """Bug guarded: the faces-consolidated control's test faces saved as one class, so that the
    bootstraps over classes resampled its images only and its intervals came out too narrow."""
    _, pooled, _ = setup
    faces, objects = pooled.tasks
    consolidated = Pooled(
        [
            TaskSplit("faces", faces.split, 0, consolidated=True),
            TaskSplit("objects", objects.split, 1),
        ]
    )
    assert set(consolidated.labels[consolidated.task_of == 0]) == {0}
    assert identities(consolidated).tolist() == pooled.labels.tolist()  # 4 face, 2 object classes
    assert identities(pooled).tolist() == pooled.labels.tolist()
