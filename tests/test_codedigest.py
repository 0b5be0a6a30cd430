"""The code digest of a subcommand: what it covers, and that only code counts."""

import shutil

import pytest
from workflow_helpers import REPO

from funcspec import codedigest, streams
from funcspec.codedigest import code_digest, code_pieces

FIGURES = {"fig1", "fig2", "fig3", "fig4", "figS1", "figS2"}
SUBCOMMANDS = [
    "generate",
    "prepare",
    "probe",
    "contact_sheet",
    "train",
    "history",
    "evaluate",
    "decode",
    "overlap",
    "relevance",
    "lesion",
    "selectivity",
    "visualize",
    "readout",
    "fig1",
    "fig2",
    "fig3",
    "fig4",
    "figS1",
    "figS2",
    "metrics",
]


@pytest.fixture
def source(tmp_path, monkeypatch):
    """A copy of the package source that the digest reads instead of the installed one."""
    copy = tmp_path / "funcspec"
    shutil.copytree(REPO / "src" / "funcspec", copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(codedigest, "SOURCE", copy)
    for cached in (codedigest._tree, codedigest.code_pieces):
        cached.cache_clear()
    yield copy
    for cached in (codedigest._tree, codedigest.code_pieces):
        cached.cache_clear()


def digests() -> dict:
    codedigest._tree.cache_clear()
    codedigest.code_pieces.cache_clear()
    return {command: code_digest(command) for command in SUBCOMMANDS}


def test_a_step_covers_its_module_and_every_module_it_imports():
    """Bug: a digest that misses a lazily imported module lets an edit there rerun nothing."""
    pieces = code_pieces("relevance")
    assert {
        "funcspec.relevance",
        "funcspec.arguments",
        "funcspec.train",
        "funcspec.streams",
        "funcspec.data",
    } <= pieces.keys()
    assert "funcspec.decode" not in pieces and "funcspec.cli" not in pieces
    assert "funcspec.figures.fig1" in code_pieces("fig1")


def test_an_edit_to_a_steps_argument_reruns_it_and_verify_flags_it(source):
    """Bug (review): the digest covered a step's handler but not the parser that feeds it, so
    an edit to an argument's type, choices or default reran nothing and `provenance --verify`
    still called the results clean."""
    before = digests()
    path = source / "lesion.py"
    text = path.read_text()
    edited = text.replace('"--split-seed", type=int,', '"--split-seed", type=int, default=0,', 1)
    assert edited != text
    path.write_text(edited)
    after = digests()
    assert {c for c in SUBCOMMANDS if after[c] != before[c]} == {"lesion"}


def test_the_numeric_mode_cli_sets_is_in_every_steps_digest(source):
    """Bug (review): cli.py decides the numeric mode before a step's module loads torch, but it
    was in no digest: moving that call after the import would silently compute natively under
    `--numerics portable`, rerunning nothing."""
    before = digests()
    path = source / "cli.py"
    text = path.read_text()
    path.write_text(text.replace("numerics.use(_numerics(argv))", "pass", 1))
    after = digests()
    assert all(after[c] != before[c] for c in SUBCOMMANDS)


def test_shared_arguments_of_one_kind_of_step_rerun_no_other(source):
    """Bug (review): one module held every shared argument group, so a figure's help text
    changed the digest of training, and a network argument every figure's."""
    before = digests()
    path = source / "figures" / "save.py"
    path.write_text(path.read_text().replace("one row each", "one row per number", 1))
    middle = digests()
    assert {c for c in SUBCOMMANDS if middle[c] != before[c]} == FIGURES
    path = source / "arguments.py"
    text = path.read_text()
    path.write_text(
        text.replace('"--batch-size", type=int,', '"--batch-size", type=int, default=1,')
    )
    after = digests()
    assert {c for c in SUBCOMMANDS if after[c] != middle[c]} & (FIGURES | {"metrics"}) == set()
    assert after["relevance"] != middle["relevance"]


def test_figure_digests_carry_no_training_code():
    """Bug (review): figures and metrics imported lesion.py for its table readers, so their
    digests covered train.py and gpu.py and an edit to training reran every figure."""
    for command in ("fig1", "fig2", "fig3", "fig4", "figS1", "figS2", "metrics", "history"):
        pieces = code_pieces(command)
        assert not {"funcspec.train", "funcspec.gpu", "funcspec.lesion"} & pieces.keys(), command


def test_a_new_stream_purpose_changes_only_the_steps_that_use_it(source):
    """Bug (review): every purpose was a line of one registry in nearly every step's digest,
    so adding a source of randomness reran nearly the whole pipeline."""
    before = digests()
    path = source / "visualize.py"
    path.write_text(
        path.read_text() + '\n\ndef _extra(seed):\n    return streams.rng("a_new_purpose", seed)\n'
    )
    after = digests()
    assert {c for c in SUBCOMMANDS if after[c] != before[c]} == {"visualize"}
    # and the purpose needs no line in streams.py to have its own stream
    assert streams.rng("a_new_purpose", 0).random() != streams.rng("visualize_start", 0).random()


def test_comments_docstrings_and_layout_do_not_count(source):
    """Bug: a comment-only edit would rerun every job of the steps that import the module."""
    before = digests()
    path = source / "lesion.py"
    text = path.read_text()
    path.write_text(
        text.replace('"""Lesions:', '# a new comment\n"""Lesions, reworded:', 1).replace(
            "def conditions(", "\n\ndef conditions(", 1
        )
    )
    assert digests() == before


def test_a_code_edit_changes_the_digest_of_exactly_the_steps_that_run_it(source):
    """Bug: without a digest of the code a step runs, editing it reran nothing."""
    before = digests()
    path = source / "decode.py"
    path.write_text(path.read_text() + "\nUNUSED_BUT_REAL_CODE = 1\n")
    after = digests()
    # overlap decodes with decode.py's decoder
    assert {c for c in SUBCOMMANDS if after[c] != before[c]} == {"decode", "overlap"}


def test_a_config_validation_edit_reruns_no_step(source):
    """Bug: prepare read its class lists through config.py, so any edit to config validation
    (which runs in the Snakefile, before any job) changed prepare's digest and reran the
    whole pipeline."""
    before = digests()
    path = source / "config.py"
    path.write_text(path.read_text() + "\nA_NEW_CHECK = 1\n")
    assert digests() == before


def test_the_digest_does_not_depend_on_what_was_computed_before(source):
    """Bug (review): docstrings were stripped from the cached syntax trees in place, so in a
    module whose body starts with two strings the second became a docstring on the next call,
    and the digest of a step depended on which digests the process had computed first."""
    path = source / "shards.py"
    path.write_text(path.read_text().replace('"""\n', '"""\n"a second leading string"\n', 1))
    alone = code_digest("relevance")
    codedigest._tree.cache_clear()
    codedigest.code_pieces.cache_clear()
    code_digest("prepare")  # shares shards.py with relevance
    assert code_digest("relevance") == alone


def test_an_unknown_subcommand_is_an_error():
    with pytest.raises(ValueError, match="no subcommand 'rank'"):
        code_digest("rank")
