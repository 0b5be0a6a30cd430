"""The model builder, the augmentation, training and exact resume."""

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import torchvision
from fabricate import fabricate_folder
from PIL import Image

from funcspec import cli, models, streams
from funcspec.data import Pooled, augment, load, open_tasks
from funcspec.gpu import Precision
from funcspec.prepare import prepare
from funcspec.tasks import task_groups
from funcspec.train import HISTORY_COLUMNS, load_model, load_network, train

TINY = {"stages": [[4], [8]], "fc": [16], "dropout": 0.3, "input_size": 16}


def n_params(module):
    return sum(p.numel() for p in module.parameters())


@pytest.mark.parametrize("classes", [1000, 2137])
def test_vgg16_matches_the_reference_parameter_count(classes):
    ours = models.build(models.VGG16, classes, 224)
    assert n_params(ours) == n_params(torchvision.models.vgg16(num_classes=classes))
    if classes == 1000:
        assert n_params(ours) == 138_357_544  # Simonyan & Zisserman's VGG16
    assert ours.layer_names == [f"conv{i}" for i in range(1, 14)] + ["fc6", "fc7", "fc8"]
    assert ours.penultimate == "fc7"
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in ours.modules())


def test_paper_initialisation():
    net = models.build(models.VGG16, 10, 32)
    fc = net.unit_layer("fc7")
    assert abs(fc.weight.std().item() - 0.01) < 1e-3 and fc.bias.abs().sum() == 0
    conv = net.unit_layer("conv5")  # kaiming normal, fan_out: std = sqrt(2 / (256 * 9))
    assert abs(conv.weight.std().item() - (2 / (256 * 9)) ** 0.5) < 2e-3


def test_split_forward_equals_full_forward():
    torch.manual_seed(0)
    net = models.build(TINY, 5, 16).eval()
    x = torch.randn(3, 3, 16, 16)
    below = net(x, stop="conv1")
    torch.testing.assert_close(net(below, start="conv2"), net(x), rtol=0, atol=0)


def test_input_size_must_survive_the_pooling():
    with pytest.raises(ValueError, match="not divisible"):
        models.build(TINY, 5, 18)


def test_augment_crops_and_greys():
    x = torch.arange(2 * 3 * 6 * 6, dtype=torch.float).reshape(2, 3, 6, 6)
    g = torch.Generator().manual_seed(0)
    out = augment(x, 4, 0.0, g)
    assert out.shape == (2, 3, 4, 4)
    for n in range(2):  # each crop is a contiguous window of its own image
        top, left = divmod(int(out[n, 0, 0, 0] - x[n, 0, 0, 0]), 6)
        torch.testing.assert_close(out[n], x[n, :, top : top + 4, left : left + 4])
    grey = augment(x, 6, 1.0, g)
    assert torch.equal(grey[:, 0], grey[:, 1]) and torch.equal(grey[:, 1], grey[:, 2])
    torch.testing.assert_close(augment(x, 6, 0.0, g), x)


def test_a_tiny_net_overfits_a_tiny_batch():
    torch.manual_seed(0)
    net = models.build(TINY, 4, 16)
    x, y = torch.randn(8, 3, 16, 16), torch.arange(8) % 4
    opt = torch.optim.AdamW(net.parameters(), lr=1e-2)
    losses = []
    for _ in range(60):
        loss = torch.nn.functional.cross_entropy(net(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.2 * losses[0]


def prepare_spec(train_per_class: int, test_per_class: int, seed: int) -> dict:
    """A prepare spec for a tiny class-folder dataset of 20 px images, every class kept."""
    return {
        "classes": {"count": "all", "split": "any"},
        "train_per_class": train_per_class,
        "test_per_class": test_per_class,
        "heldout": {"count": 0, "images_per_class": 1, "split": "any", "include": None},
        "image": {"resize": 20, "crop": 20},
        "split": "pooled",
        "shard_size": 7,
        "on_bad_image": "error",
        "on_small_class": "error",
        "seed": seed,
        "generate": {},
    }


def prepare_tiny(root, seed=0) -> dict:
    """{task: prepared dir} of two tiny tasks; `seed` picks each class's train and test images."""
    dirs = {}
    for task, n_classes in (("faces", 3), ("objects", 2)):
        raw = fabricate_folder(
            root / f"raw_{task}", n_classes=n_classes, per_class=8, size=(20, 20)
        )
        prepare(task, prepare_spec(6, 2, seed), root / task, raw_root=raw)
        dirs[task] = root / task
    return dirs


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory):
    return prepare_tiny(tmp_path_factory.mktemp("data"))


def outputs(folder):
    """The files train writes, in a folder of their own."""
    return folder / "model.pt", folder / "history.csv"


def spec(epochs=3):
    return {
        "name": "dual",
        "tasks": ["faces", "objects"],
        "seed": 5,
        "arch": TINY,
        "train": {
            "epochs": epochs,
            "batch_size": 8,
            "greyscale_p": 0.5,
            "optimizer": {"name": "adamw", "lr": 3e-3, "weight_decay": 1e-4},
            "schedule": {"name": "onecycle"},
            "validation_fraction": 0.2,
            "stop_patience": None,
            "in_memory": True,
        },
    }


def test_killed_training_resumes_to_identical_weights(tiny_data, tmp_path):
    train(spec(), tiny_data, *outputs(tmp_path / "straight"), progress=False)

    class Killed(Exception):
        pass

    def kill_after_second_epoch(epoch):
        if epoch == 1:
            raise Killed

    with pytest.raises(Killed):
        train(
            spec(),
            tiny_data,
            *outputs(tmp_path / "resumed"),
            progress=False,
            on_epoch_end=kill_after_second_epoch,
        )
    assert (tmp_path / "resumed" / "checkpoint.pt").exists()
    assert not (tmp_path / "resumed" / "model.pt").exists()
    train(spec(), tiny_data, *outputs(tmp_path / "resumed"), progress=False)

    straight, meta = load_model(tmp_path / "straight" / "model.pt")
    resumed, _ = load_model(tmp_path / "resumed" / "model.pt")
    for (name, a), (_, b) in zip(straight.state_dict().items(), resumed.state_dict().items()):
        assert torch.equal(a, b), name
    assert (tmp_path / "straight" / "history.csv").read_text() == (
        tmp_path / "resumed" / "history.csv"
    ).read_text()
    assert not (tmp_path / "resumed" / "checkpoint.pt").exists()
    assert [t["offset"] for t in meta["tasks"]] == [0, 3] and meta["num_classes"] == 5


def test_a_snapshot_is_its_network_after_its_epoch_even_after_a_kill(tiny_data, tmp_path):
    """Bug guarded: a snapshot that is not its network's past. Trained as a network of fewer
    epochs, its one-cycle schedule would be shorter and its weights others; resumed into another
    trajectory, likewise. A snapshot after epoch 2 of 3, killed after its first epoch and
    resumed, must hold the weights the full run's checkpoint held after epoch 2, and the first 2
    epochs of its history."""
    after_two = {}

    def keep_second_epoch(epoch):
        if epoch == 1:
            saved = torch.load(tmp_path / "full" / "checkpoint.pt", weights_only=True)
            after_two.update(saved["model"])

    train(
        spec(),
        tiny_data,
        *outputs(tmp_path / "full"),
        progress=False,
        on_epoch_end=keep_second_epoch,
    )
    snapshot = {**spec(), "name": "dual_s5_e2", "snapshot": 2}
    with pytest.raises(RuntimeError, match="killed"):
        train(
            snapshot,
            tiny_data,
            *outputs(tmp_path / "snap"),
            progress=False,
            on_epoch_end=dies_after(0),
        )
    train(snapshot, tiny_data, *outputs(tmp_path / "snap"), progress=False)

    model, meta = load_model(tmp_path / "snap" / "model.pt")
    assert meta["network"] == "dual_s5_e2"
    for name, weights in model.state_dict().items():
        assert torch.equal(weights, after_two[name]), name
    full = (tmp_path / "full" / "history.csv").read_text().splitlines()
    past = [line for line in full if not line.startswith("3,")]
    assert (tmp_path / "snap" / "history.csv").read_text().splitlines() == past


def test_a_frozen_trunk_starts_from_the_weights_its_trained_twin_starts_from(tiny_data):
    """Bug guarded: epoch 0 of the snapshot figure (the untrained twin, a frozen trunk of the
    same seed) drawn from other initial weights than the network's own training started from."""
    from funcspec.gpu import FLOAT32
    from funcspec.train import _start

    frozen = {**spec(), "train": {**spec()["train"], "frozen_trunk": True}}
    trained = _start(spec(), tiny_data, torch.device("cpu"), FLOAT32, False).model
    twin = _start(frozen, tiny_data, torch.device("cpu"), FLOAT32, False).model
    for name, weights in trained.state_dict().items():
        assert torch.equal(weights, twin.state_dict()[name]), name


def test_history_has_loss_and_accuracy_per_epoch_task_and_split(tiny_data, tmp_path):
    train(spec(epochs=2), tiny_data, *outputs(tmp_path), progress=False)
    with open(tmp_path / "history.csv") as f:
        rows = list(csv.DictReader(f))
    assert {(r["epoch"], r["task"], r["split"]) for r in rows} == {
        (e, t, s) for e in ("1", "2") for t in ("faces", "objects") for s in ("train", "validation")
    }
    assert all(0 <= float(r["accuracy"]) <= 1 and float(r["loss"]) > 0 for r in rows)


def killed_after_first_epoch(spec, data, folder):
    """Train until the first epoch's checkpoint is on disk, then die."""
    with pytest.raises(RuntimeError):
        train(
            spec,
            data,
            *outputs(folder),
            progress=False,
            on_epoch_end=lambda epoch: (_ for _ in ()).throw(RuntimeError),
        )


def test_a_checkpoint_of_another_configuration_is_not_resumed(tiny_data, tmp_path):
    killed_after_first_epoch(spec(), tiny_data, tmp_path)
    other = spec()
    other["seed"] = 6
    train(other, tiny_data, *outputs(tmp_path), progress=False)
    fresh = tmp_path / "fresh"
    train(other, tiny_data, *outputs(fresh), progress=False)
    a, _ = load_model(tmp_path / "model.pt")
    b, _ = load_model(fresh / "model.pt")
    assert all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))


def test_loading_a_network_draws_no_initialisation_it_would_overwrite(
    tiny_data, tmp_path, monkeypatch
):
    """Bug guarded: load_model built the network with a fresh random initialisation, only to
    replace every weight with the saved ones: 1-2 s of each of the rehearsal's ~200 jobs that
    load VGG16. Loading leaves torch's random state alone and gives the saved weights exactly,
    none of them left unmaterialised. Nor does it call the paper's initialisers: even on the
    meta device the first kaiming_normal_ took 0.85 s, in each of the default's ~370 jobs that
    load a network."""
    train(spec(epochs=0), tiny_data, *outputs(tmp_path), progress=False)
    saved = torch.load(tmp_path / "model.pt", weights_only=True)["state_dict"]
    before = torch.random.get_rng_state()

    def refused(*args, **kwargs):
        raise AssertionError("an initialiser ran for weights that loading replaces")

    monkeypatch.setattr(torch.nn.init, "kaiming_normal_", refused)
    monkeypatch.setattr(torch.nn.init, "normal_", refused)
    net, _ = load_model(tmp_path / "model.pt")
    assert torch.equal(torch.random.get_rng_state(), before)
    loaded = net.state_dict()
    assert list(loaded) == list(saved)
    assert all(not t.is_meta and torch.equal(t, saved[k]) for k, t in loaded.items())
    assert net(torch.zeros(1, 3, 16, 16)).shape == (1, 5)


def test_a_network_saved_channels_last_loads_in_the_standard_layout(tiny_data, tmp_path):
    """Bug (found in review): loading by assignment kept the saved tensors' layout, so a network
    trained channels-last on CUDA (gpu.channels_last) ran channels-last kernels in every later
    CPU job, whatever `gpu` said, and its CPU results moved at rounding level."""
    train(spec(epochs=0), tiny_data, *outputs(tmp_path), progress=False)
    saved = torch.load(tmp_path / "model.pt", weights_only=True)
    weights = saved["state_dict"]
    for k, v in weights.items():
        if v.dim() == 4:
            weights[k] = v.to(memory_format=torch.channels_last)
    torch.save(saved, tmp_path / "channels_last.pt")
    net, _ = load_model(tmp_path / "channels_last.pt")
    assert all(
        t.is_contiguous() and torch.equal(t, weights[k]) for k, t in net.state_dict().items()
    )


def test_untrained_network_is_saved_at_initialisation(tiny_data, tmp_path):
    train(spec(epochs=0), tiny_data, *outputs(tmp_path), progress=False)
    net, _ = load_model(tmp_path / "model.pt")
    torch.manual_seed(streams.seed_of("init", 5))
    assert torch.equal(
        net.unit_layer("conv1").weight, models.build(TINY, 5, 16).unit_layer("conv1").weight
    )
    history = (tmp_path / "history.csv").read_text().splitlines()
    assert history == [",".join(HISTORY_COLUMNS)]  # header only


def test_a_consolidated_task_is_learnt_as_one_class(tiny_data, tmp_path):
    """Bug guarded: the faces-consolidated control trained on face identities after all (or its
    ranking and lesions scoring identities), so that it could not ask whether face detection
    alone segregates."""
    consolidated = spec(epochs=1) | {"consolidated": ["faces"]}
    train(consolidated, tiny_data, *outputs(tmp_path), progress=False)
    net, saved = load_model(tmp_path / "model.pt")
    assert saved["num_classes"] == 1 + 2 and net(torch.zeros(1, 3, 16, 16)).shape == (1, 3)
    assert saved["tasks"] == [
        {"task": "faces", "offset": 0, "classes": ["faces"], "consolidated": True},
        {"task": "objects", "offset": 1, "classes": ["class_0", "class_1"]},
    ]
    for split in ("train", "test"):
        pooled = load_network(tmp_path / "model.pt", tiny_data, split)[2]
        faces = pooled.task_of == 0
        assert set(pooled.labels[faces]) == {0}
        assert set(pooled.labels[~faces]) == {1, 2}
    groups = task_groups(saved, None)
    assert {task: labels.tolist() for task, labels in groups.items()} == {
        "faces": [0],
        "objects": [1, 2],
    }
    # Not consolidated, the same tasks are 3 + 2 classes.
    assert [len(t.classes) for t in open_tasks(tiny_data, "train")] == [3, 2]


def dies_after(last_epoch):
    """An on_epoch_end hook that kills the job once `last_epoch`'s checkpoint is on disk."""

    def on_epoch_end(epoch):
        if epoch == last_epoch:
            raise RuntimeError("killed")

    return on_epoch_end


def same_weights(a, b) -> bool:
    x, _ = load_model(a)
    y, _ = load_model(b)
    return all(torch.equal(v, y.state_dict()[k]) for k, v in x.state_dict().items())


def test_a_checkpoint_written_for_other_data_is_not_resumed(tmp_path, capsys):
    """Bug: the checkpoint was matched on the network's spec alone, so a job killed and rerun
    after its prepared data changed (a dataset's seed) resumed the old run and ended with
    weights that no run on the new data gives."""
    data = prepare_tiny(tmp_path / "data", seed=0)
    with pytest.raises(RuntimeError, match="killed"):
        train(spec(), data, *outputs(tmp_path / "net"), progress=False, on_epoch_end=dies_after(0))
    before = (data["faces"] / "manifest.json").read_text()
    prepare_tiny(tmp_path / "data", seed=1)
    assert (data["faces"] / "manifest.json").read_text() != before
    capsys.readouterr()

    train(spec(), data, *outputs(tmp_path / "net"), progress=False)
    assert "checkpoint.pt: written for other inputs (data)" in capsys.readouterr().err
    train(spec(), data, *outputs(tmp_path / "fresh"), progress=False)
    assert same_weights(tmp_path / "net" / "model.pt", tmp_path / "fresh" / "model.pt")


class TouchesWhenUnpickled:
    """Unpickling it calls Path.touch: a harmless stand-in for the code a crafted file can run."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return Path.touch, (self.path,)


def test_a_model_file_that_runs_code_when_loaded_is_refused(tiny_data, tmp_path):
    """Bug: load_model unpickled with weights_only=False, so a crafted model.pt ran whatever
    code it carried the moment a later step loaded it."""
    train(spec(epochs=0), tiny_data, *outputs(tmp_path), progress=False)
    saved = torch.load(tmp_path / "model.pt", weights_only=True)
    marker = tmp_path / "ran"
    torch.save({**saved, "note": TouchesWhenUnpickled(marker)}, tmp_path / "crafted.pt")
    with pytest.raises(ValueError, match="crafted.pt"):
        load_model(tmp_path / "crafted.pt")
    assert not marker.exists()


def test_checkpoints_hold_plain_values_only(tiny_data, tmp_path):
    """Bug: the checkpoint held numpy floats (history, best loss), which only an unsafe
    weights_only=False load could read back."""
    with pytest.raises(RuntimeError, match="killed"):
        train(spec(), tiny_data, *outputs(tmp_path), progress=False, on_epoch_end=dies_after(0))
    state = torch.load(tmp_path / "checkpoint.pt", weights_only=True)
    assert state["epoch"] == 0 and type(state["best"]) is float
    assert all(type(row["loss"]) is float for row in state["history"])


def cli_train(data, folder, epochs=1) -> int:
    model, history = outputs(Path(folder))
    return cli.main(
        [
            "train",
            "--spec",
            json.dumps(spec(epochs)),
            "--data",
            *[f"{task}={path}" for task, path in data.items()],
            "--out",
            str(model),
            "--history",
            str(history),
        ]
    )


def test_a_rerun_removes_the_leftovers_of_killed_writes(tiny_data, tmp_path, monkeypatch, capsys):
    """Bug: the temporary `.<name>.tmp<pid>` files of writes cut short by a kill -9 stayed for
    good (and blocked DVC); a rerun must remove those of the files it writes, and only those."""
    monkeypatch.chdir(tmp_path)
    models_dir = Path("results/train")
    stale = [
        models_dir / "dual" / f".{name}.tmp999999"
        for name in ("checkpoint.pt", "model.pt", "history.csv")
    ]
    kept = [
        models_dir / "dual" / ".history.png.tmp999999",  # another step's file
        models_dir / "other" / ".model.pt.tmp999999",
    ]  # another network's
    for path in stale + kept:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"half")
    assert cli_train(tiny_data, models_dir / "dual") == 0
    err = capsys.readouterr().err
    assert all(str(path) in err for path in stale)
    assert not any(path.exists() for path in stale) and all(path.exists() for path in kept)
    assert sorted(os.listdir(models_dir)) == ["dual", "other"]
    assert sorted(os.listdir(models_dir / "dual")) == [
        ".history.png.tmp999999",
        "history.csv",
        "model.pt",
    ]  # no lock file left either


HOLD = """
import fcntl, os, socket, sys, time
with open(sys.argv[1], "a+") as f:
    fcntl.flock(f, fcntl.LOCK_EX)
    f.write(f"{os.getpid()} {socket.gethostname()}")
    f.flush()
    print("held", flush=True)
    time.sleep(120)
"""


def test_a_second_training_of_one_network_fails_at_once_naming_the_first(
    tiny_data, tmp_path, monkeypatch, capsys
):
    """Bug: after a kill -9 of Snakemake an orphaned training job kept running while the rerun
    trained the same network into the same folder: nothing kept two writers of one artifact
    apart. The lock is `.<output>.lock` beside the output, holding "pid host"."""
    monkeypatch.chdir(tmp_path)
    Path("results/train/dual").mkdir(parents=True)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, "results/train/dual/.model.pt.lock"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline() == "held\n"
        assert cli_train(tiny_data, "results/train/dual") == 1
    finally:
        holder.kill()
        holder.wait()
    err = capsys.readouterr().err
    assert f"pid {holder.pid}" in err and os.uname().nodename in err
    assert len(err.strip().splitlines()) == 1
    assert not Path("results/train/dual/model.pt").exists()
    # The holder died and the kernel dropped its lock: the next writer goes ahead.
    assert cli_train(tiny_data, "results/train/dual") == 0


def test_gpu_settings_change_nothing_on_the_cpu(tiny_data, tmp_path):
    """Bug guarded: a GPU number format (bf16 autocast, TF32, channels-last) reaching the CPU.
    The CPU's results are the reference, byte-identical whatever config `gpu` asks of CUDA."""
    every = Precision(bf16=True, tf32=True, channels_last=True)
    train(spec(1), tiny_data, *outputs(tmp_path / "float32"), progress=False)
    train(spec(1), tiny_data, *outputs(tmp_path / "every"), precision=every, progress=False)
    assert same_weights(tmp_path / "float32" / "model.pt", tmp_path / "every" / "model.pt")
    assert (tmp_path / "float32" / "history.csv").read_bytes() == (
        tmp_path / "every" / "history.csv"
    ).read_bytes()


def test_memory_mapped_batches_arrive_whole_and_in_order(tiny_data):
    """Bug guarded: the thread that gathers memory-mapped batches one ahead drops the last
    batch, hands them over out of order, or swallows a failed read."""
    mapped = Pooled(open_tasks(tiny_data, "train"), in_memory=False)
    batches = [np.array([5, 0, 3]), np.array([1]), np.array([2, 4]), np.array([7])]
    loaded = list(load(mapped, batches, torch.device("cpu")))
    assert len(loaded) == len(batches)
    for images, idx in zip(loaded, batches):
        assert np.array_equal(images.numpy(), mapped.images(idx))

    def unreadable(idx):
        raise OSError("a shard could not be read")

    mapped.images = unreadable
    with pytest.raises(OSError, match="could not be read"):
        list(load(mapped, batches, torch.device("cpu")))


def test_memory_mapped_training_equals_in_memory_training(tiny_data, tmp_path):
    """Bug guarded: the paper config's path (`in_memory: false`, batches read ahead by a thread)
    trains on other images than the default's."""
    mapped = spec(1)
    mapped["train"]["in_memory"] = False
    train(spec(1), tiny_data, *outputs(tmp_path / "memory"), progress=False)
    train(mapped, tiny_data, *outputs(tmp_path / "mapped"), progress=False)
    assert same_weights(tmp_path / "memory" / "model.pt", tmp_path / "mapped" / "model.pt")


def coloured_tasks(root) -> dict:
    """{task: prepared dir}: faces 3 classes, objects 2, each class a colour under heavy noise,
    12 images per class (10 train, 2 test), 20 px: a signal random features can carry."""
    dirs = {}
    colours = iter([(200, 40, 40), (40, 200, 40), (40, 40, 200), (200, 200, 40), (40, 200, 200)])
    rng = np.random.default_rng(0)
    for task, n_classes in (("faces", 3), ("objects", 2)):
        raw = root / f"raw_{task}"
        for c in range(n_classes):
            colour = np.array(next(colours))
            for j in range(12):
                pixels = np.clip(colour + rng.normal(0, 60, (20, 20, 3)), 0, 255)
                (raw / f"class_{c}").mkdir(parents=True, exist_ok=True)
                Image.fromarray(pixels.astype(np.uint8)).save(raw / f"class_{c}" / f"{j:04d}.png")
        prepare(task, prepare_spec(10, 2, 0), root / task, raw_root=raw)
        dirs[task] = root / task
    return dirs


def test_a_frozen_trunk_keeps_its_initial_features_and_trains_its_class_layer(tmp_path):
    """Bugs guarded: the untrained baseline of the lesion figures was a network at chance (its
    drops were ratios of a handful of correct images); then its class layer, trained by gradient
    steps on features ~1e-3 in size, stayed at chance too. With a frozen trunk every layer below
    the class layer stays byte-identical to its initialisation (that of any network of the seed),
    the class layer is fit, and on a 5-class fixture (TINY arch, the training settings of every
    other test here) it is at least 3x chance (0.2, a joint argmax over 5 classes) on both tasks'
    held-out validation images."""
    data = coloured_tasks(tmp_path)
    frozen = spec(epochs=15)
    frozen["train"] |= {"frozen_trunk": True, "greyscale_p": 0.0, "validation_fraction": 0.3}
    initial = spec(epochs=0)
    train(frozen, data, *outputs(tmp_path / "frozen"), progress=False)
    train(initial, data, *outputs(tmp_path / "initial"), progress=False)
    trained, _ = load_model(tmp_path / "frozen" / "model.pt")
    start, _ = load_model(tmp_path / "initial" / "model.pt")
    head = trained.layer_names[-1]
    for (name, a), (_, b) in zip(trained.state_dict().items(), start.state_dict().items()):
        if name.startswith(f"layers.{head}."):
            assert not torch.equal(a, b), name
        else:
            assert torch.equal(a, b), name
    with open(tmp_path / "frozen" / "history.csv", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["split"] == "validation"]
    last = rows[-2:]
    assert {r["task"]: float(r["accuracy"]) >= 0.6 for r in last} == {
        "faces": True,
        "objects": True,
    }, last
