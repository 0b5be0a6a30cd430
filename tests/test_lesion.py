"""Lesion evaluation, the random class split and the segregation index."""
import numpy as np
import pytest
import torch

from funcspec import models
from funcspec.ablation import ablated
from funcspec.data import Pooled, TaskSplit, eval_batches
from funcspec.lesion import conditions, evaluate_lesions, segregation
from funcspec.shards import PreparedSplit
from funcspec.tasks import SPLIT, random_split, task_groups

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
    saved = {"num_classes": 6, "tasks": [{"task": t.task, "offset": t.offset,
                                          "classes": t.split.classes} for t in tasks]}
    return model, Pooled(tasks), task_groups(saved, split_seed=3)


def direct_accuracy(model, pooled, labels):
    predicted = torch.cat([model(x).argmax(1)
                           for x, _, _ in eval_batches(pooled, np.arange(len(pooled)), 16, 8, "cpu")])
    mine = np.isin(pooled.labels, labels)
    return float((predicted.numpy()[mine] == pooled.labels[mine]).mean())


def test_every_group_is_measured_even_where_groups_overlap(setup):
    model, pooled, groups = setup
    assert set(groups) == {"faces", "objects", *SPLIT}
    rows = evaluate_lesions(model, "conv2", pooled, groups,
                            [{"lesion": "none", "draw": 0, "fraction": 0.0, "units": []}], 16, "cpu")
    by_task = {r["task"]: r for r in rows}
    for name, labels in groups.items():
        assert by_task[name]["n_images"] == np.isin(pooled.labels, labels).sum()
        assert by_task[name]["accuracy"] == pytest.approx(direct_accuracy(model, pooled, labels))
    assert by_task["faces"]["n_images"] + by_task["objects"]["n_images"] == len(pooled)
    assert by_task["split_a"]["n_images"] + by_task["split_b"]["n_images"] == len(pooled)


def test_lesioning_every_unit_makes_the_output_input_independent(setup):
    model, pooled, groups = setup
    everything = {"lesion": "all", "draw": 0, "fraction": 1.0, "units": list(range(6))}
    none = {"lesion": "none", "draw": 0, "fraction": 0.0, "units": []}
    rows = evaluate_lesions(model, "conv2", pooled, groups, [none, everything], 16, "cpu")
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
    halves = random_split(7, seed=1)
    assert sorted(np.concatenate(list(halves.values())).tolist()) == list(range(7))
    assert {len(h) for h in halves.values()} == {3, 4}
    assert not np.array_equal(halves[SPLIT[0]], random_split(7, seed=2)[SPLIT[0]])


def test_segregation_index_of_a_known_double_dissociation():
    def row(lesion, task, drop):
        return {"lesion": lesion, "task": task, "drop": drop, "draw": 0, "fraction": 0.2}
    rows = [row("faces", "faces", 0.6), row("faces", "objects", 0.2),
            row("objects", "objects", 0.5), row("objects", "faces", 0.1)]
    s = segregation(rows, "faces", "objects", 0.2)
    assert s["index"] == pytest.approx(((0.6 - 0.1) + (0.5 - 0.2)) / 2)
    assert s["ratio"] == pytest.approx(((0.5 / 0.7) + (0.3 / 0.7)) / 2)
    same = [row("faces", "faces", 0.3), row("faces", "objects", 0.3),
            row("objects", "objects", 0.3), row("objects", "faces", 0.3)]
    assert segregation(same, "faces", "objects", 0.2) == {"index": 0.0, "ratio": 0.0}
