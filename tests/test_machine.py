"""The machine that computed: recorded by every network step, reported by verify as information,
and logged when a checkpoint is resumed elsewhere."""

import json

import torch
from test_train import killed_after_first_epoch, outputs, spec, tiny_data  # noqa: F401

from funcspec import machine, provenance
from funcspec.train import train

KERNEL_FACTS = {"cpu", "arch", "cpu_capability", "onednn", "blas", "mkl", "threads", "numerics"}


def test_a_smoke_record_holds_the_machine_and_verify_notes_another(smoke_run):
    """Bug guarded: the record said only "cpu", so two honest runs of one commit on two CPUs
    disagreed with nothing to say why."""
    (record_file,) = sorted((smoke_run / "results/provenance/train").glob("face_s1/model.pt.json"))
    original = record_file.read_text()
    record = json.loads(original)
    assert KERNEL_FACTS <= record["machine"].keys()
    # the smoke config's `threads`: its training ran at 1
    assert record["machine"]["threads"] == 1 and record["machine"]["numerics"] == "native"
    artifact = smoke_run / "results/train/face_s1/model.pt"
    notes = []
    assert provenance.verify(artifact, notes=notes) == [] and notes == []
    record["machine"]["cpu"] = "AMD EPYC 9R14"
    try:
        record_file.write_text(json.dumps(record))
        assert provenance.verify(artifact, notes=notes) == []  # information, not a mismatch
        (note,) = notes
        assert "computed on another machine: cpu AMD EPYC 9R14 (here " in note
    finally:
        record_file.write_text(original)


def test_a_checkpoint_resumed_on_another_machine_says_so(tiny_data, tmp_path, capsys):  # noqa: F811
    killed_after_first_epoch(spec(), tiny_data, tmp_path)
    checkpoint = tmp_path / "checkpoint.pt"
    state = torch.load(checkpoint, weights_only=True)
    assert state["machine"] == machine.facts()
    state["machine"] = {**state["machine"], "onednn": "3.0.0"}
    torch.save(state, checkpoint)
    capsys.readouterr()
    train(spec(), tiny_data, *outputs(tmp_path), progress=False)
    err = capsys.readouterr().err
    assert "resuming dual after epoch 1" in err  # machine facts are beside the fingerprint
    here = machine.facts()["onednn"]
    assert f"begun on another machine: onednn 3.0.0 (here {here})" in err


def test_differences_name_each_fact_that_differs():
    recorded = {"cpu": "A", "threads": 2, "mkl": "2024.2"}
    assert machine.differences(recorded, {"cpu": "B", "threads": 1, "mkl": "2024.2"}) == [
        "cpu A (here B)",
        "threads 2 (here 1)",
    ]
    assert machine.differences(recorded, {"cpu": "B", "threads": 1}, machine.HARDWARE) == [
        "cpu A (here B)"
    ]
