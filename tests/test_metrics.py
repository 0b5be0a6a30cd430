"""The headline metrics DVC reads."""

import json

from fabricate import fabricate_lesion_table
from test_fig2 import lesion_table

from funcspec.metrics import headline_metrics


def test_an_undefined_index_is_null_not_nan(tmp_path):
    """Bug guarded: a network with a task at zero accuracy (the untrained net, at chance on a
    small test set) has no defined drop; its index went into headline.json as NaN, which is
    not JSON, and `dvc metrics` cannot read the file."""
    drops = {("faces", 0): (0.5, 0.1, 0.0, 0.0), ("objects", 0): (0.2, 0.4, 0.0, 0.0)}
    rows = lesion_table("untrained_s1", "conv1", drops)
    for r in rows:
        if r["task"] == "faces":
            r.update(accuracy=0.0, accuracy_unlesioned=0.0, drop=float("nan"))
    path = fabricate_lesion_table(tmp_path / "conv1.csv", rows)
    metrics = headline_metrics([], [], [path], 0.2)
    assert metrics["segregation_index"] == {"untrained_s1": {"conv1": None}}
    json.loads(json.dumps(metrics, allow_nan=False))
