"""The class lists of config/paper.yaml: the script regenerates the committed files exactly."""

import os

import pytest

from funcspec import classlists
from funcspec.prepare import read_class_list


@pytest.fixture
def wordnet():
    if not (classlists.WORDNET / "data.noun").is_file():
        reason = f"WordNet 3.0 not in {classlists.WORDNET}: apt-get install wordnet-base"
        if os.environ.get("CI", "").lower() not in ("", "0", "false", "no"):
            pytest.fail(f"CI is set, but {reason}", pytrace=False)
        pytest.skip(reason)
    return classlists.WORDNET


def test_the_script_regenerates_the_committed_lists_byte_for_byte(wordnet, tmp_path):
    """Bug guarded: a committed list edited by hand, or a rule changed without its lists, so
    that nobody can say how the paper config's classes were chosen."""
    classlists.main(["--wordnet", str(wordnet), "--out", str(tmp_path)])
    made = sorted(p.name for p in tmp_path.iterdir())
    assert made == [
        "imagenet_food.txt",
        "imagenet_inanimate.txt",
        "imagenet_inanimate_423.txt",
        "imagenet_nofood_393.txt",
    ]
    for name in made:
        assert (tmp_path / name).read_bytes() == (classlists.CATEGORIES / name).read_bytes(), name


def test_the_lists_keep_their_rules_and_the_papers_counts():
    """Bug guarded: a draw that loses the paper's counts or mixes food into the no-food set."""
    lists = {
        name: read_class_list(classlists.CATEGORIES / name)
        for name in (
            "ilsvrc2012.txt",
            "imagenet_inanimate.txt",
            "imagenet_food.txt",
            "imagenet_inanimate_423.txt",
            "imagenet_nofood_393.txt",
        )
    }
    ilsvrc = lists["ilsvrc2012.txt"]
    assert len(ilsvrc) == len(set(ilsvrc)) == 1000
    food, nofood = set(lists["imagenet_food.txt"]), set(lists["imagenet_nofood_393.txt"])
    paper = set(lists["imagenet_inanimate_423.txt"])
    assert len(paper) == 423 and len(nofood) == 393
    assert nofood <= paper <= set(lists["imagenet_inanimate.txt"]) <= set(ilsvrc)
    assert not nofood & food and paper - nofood <= food
    # every list in class-index order
    for ids in lists.values():
        assert ids == sorted(ids, key=ilsvrc.index)
