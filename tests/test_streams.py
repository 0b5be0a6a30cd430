"""Random streams: frozen numbers for today's purposes, names for new ones."""

import ast
import difflib

from workflow_helpers import REPO

from funcspec import streams

STREAM_CALLS = {"rng", "seed_of", "torch_generator"}


def purposes_in_use() -> set[str]:
    """Every purpose named by a literal at a call site in the package."""
    found = set()
    for path in (REPO / "src" / "funcspec").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "attr", getattr(node.func, "id", None)) in STREAM_CALLS
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                found.add(node.args[0].value)
    return found


def test_no_two_purposes_share_a_number():
    """Bug: a purpose whose number (frozen, or derived from its name) equals another's would
    draw the other's random numbers whenever their seeds and keys agree."""
    names = purposes_in_use() | set(streams.FROZEN)
    numbers = [streams.number(name) for name in names]
    assert len(set(numbers)) == len(numbers)


def test_the_frozen_numbers_are_todays():
    """Bug: renumbering a frozen purpose silently changes every published result drawn from
    it. These are the numbers the results in docs/ were computed with."""
    assert streams.FROZEN == {name: i for i, name in enumerate(streams.FROZEN, start=1)}
    assert len(streams.FROZEN) == 30
    assert list(streams.FROZEN)[-1] == "readout_augmentation"


def test_every_frozen_purpose_is_still_used():
    """Bug: a call site that misspells a frozen purpose gets a new stream of its own (new
    purposes need no registration); the frozen one then falls out of use."""
    assert set(streams.FROZEN) <= purposes_in_use()


def test_no_new_purpose_is_a_misspelt_frozen_one():
    """Bug (review): new purposes need no registration, so a call site that misspells a frozen
    one ("visualise_start") silently draws another stream, and a purpose shared by two call
    sites ("sample") stops being shared."""
    frozen = list(streams.FROZEN)
    for name in purposes_in_use() - set(frozen):
        close = difflib.get_close_matches(name, frozen, n=1, cutoff=0.8)
        assert not close, f"stream purpose {name!r} looks like the frozen {close[0]!r}"
