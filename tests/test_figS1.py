"""Fig. S1, the lesion controls: the dual net's segregation beside the controls'."""

import pytest
from fabricate import fabricate_lesion_table
from test_fig2 import (  # noqa: F401 (a fixture)
    KEYS,
    SEGREGATION,
    comparable,
    lesion_csvs,
    lesion_table,
)
from workflow_helpers import figure_files

from funcspec.figures.figS1 import figS1


def test_figS1_holds_the_dual_nets_index_and_each_controls_own_lesion(lesion_csvs, tmp_path):  # noqa: F811
    """Bugs guarded: the dual net's segregation index or ratio paired wrongly, or its random
    class split not marked as the baseline; a single-task control drawn with another task's
    lesion, or without its random-lesion control; a control's rows mixed into the dual net's."""
    dual = [p for p in lesion_csvs if p.parent.name == "dual_s1"]
    # A single-task net: its own (faces) lesion, and two random draws (mean 0.2, range 0.1-0.3).
    drops = {
        ("faces", 0): (0.5, 0.0, 0.0, 0.0),
        ("random", 0): (0.1, 0.0, 0.0, 0.0),
        ("random", 1): (0.3, 0.0, 0.0, 0.0),
    }
    rows = [r for r in lesion_table("face_s1", "conv2", drops) if r["task"] == "faces"]
    face = fabricate_lesion_table(tmp_path / "lesion" / "face_s1" / "conv2.csv", rows)

    s1 = figS1(
        dual,
        [face],
        figure_files(tmp_path / "figS1"),
        network="dual",
        face_task="faces",
        object_task="objects",
        fraction=0.2,
    )
    expected = [dict(zip(KEYS, row)) | {"panel": "A"} for row in SEGREGATION]
    assert comparable([r for r in s1 if r["network"] == "dual_s1"]) == expected
    own = [
        (r["panel"], r["lesion"], r["task"], r["value"], r["err_low"], r["err_high"])
        for r in s1
        if r["network"] == "face_s1"
    ]
    assert own == [
        ("B", "faces", "faces", 0.5, 0.5, 0.5),
        ("B", "random", "faces", pytest.approx(0.2), 0.1, 0.3),
    ]
    assert (tmp_path / "figS1.png").read_bytes().startswith(b"\x89PNG")
