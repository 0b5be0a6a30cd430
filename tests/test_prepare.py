"""The prepare step: class selection, seeded subsets, shards, manifests, bad input."""

import csv
import json

import numpy as np
import pytest
from fabricate import (
    fabricate_corrupt_image,
    fabricate_folder,
    fabricate_food101,
    fabricate_imagenet,
    fabricate_vggface2,
)
from PIL import Image

from funcspec.prepare import PrepareError, prepare
from funcspec.shards import open_split, read_manifest


def spec_for(root, layout="folder", **overrides):
    spec = {
        "layout": layout,
        "root": str(root),
        "layout_options": {},
        "split": "pooled",
        "classes": {"count": 3},
        "train_per_class": 4,
        "test_per_class": 2,
        "heldout": {"count": 1, "images_per_class": 5},
        "image": {"resize": 24, "crop": 24},
        "shard_size": 5,
        "on_bad_image": "error",
        "on_small_class": "error",
        "seed": 3,
    }
    spec.update(overrides)
    # the schema's defaults, as validation fills them in
    spec["classes"] = {"split": "any", **spec["classes"]}
    spec["heldout"] = {"split": "any", "include": None, **spec["heldout"]}
    return spec


@pytest.fixture
def tree(tmp_path):
    return fabricate_folder(tmp_path / "raw", n_classes=5, per_class=8, size=(40, 32))


def test_prepare_writes_consistent_shards_and_manifest(tree, tmp_path):
    manifest = prepare("toy", spec_for(tree), tmp_path / "out")
    assert len(manifest["classes"]["trained"]) == 3
    assert len(manifest["classes"]["heldout"]) == 1
    assert not set(manifest["classes"]["trained"]) & set(manifest["classes"]["heldout"])
    train, test, heldout = (open_split(tmp_path / "out", s) for s in ("train", "test", "heldout"))
    assert (len(train), len(test), len(heldout)) == (12, 6, 5)
    assert train.images().shape == (12, 24, 24, 3)
    assert np.bincount(train.labels).tolist() == [4, 4, 4]
    # 12 train images in shards of 5: 5 + 5 + 2
    assert [s["count"] for s in manifest["splits"]["train"]["shards"]] == [5, 5, 2]
    # gathering by index across shards returns the same pixels as reading everything
    np.testing.assert_array_equal(train.images([11, 0, 6]), train.images()[[11, 0, 6]])

    with open(tmp_path / "out" / "manifest.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 23
    sources = [r["source"] for r in rows]
    assert len(set(sources)) == len(sources), "an image was used twice"
    for r in rows:
        class_name = manifest["classes"]["heldout" if r["split"] == "heldout" else "trained"][
            int(r["label"])
        ]
        assert r["class"] == class_name and r["source"].startswith(class_name + "/")
        assert len(r["sha256"]) == 64


def test_prepare_is_byte_identical_across_runs(tree, tmp_path):
    prepare("toy", spec_for(tree), tmp_path / "a")
    prepare("toy", spec_for(tree), tmp_path / "b", workers=2)
    files = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert files == sorted(p.name for p in (tmp_path / "b").iterdir())
    for name in files:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_seed_changes_the_draw(tree, tmp_path):
    a = prepare("toy", spec_for(tree), tmp_path / "a")
    b = prepare("toy", spec_for(tree, seed=4), tmp_path / "b")
    assert (tmp_path / "a" / "manifest.csv").read_text() != (
        tmp_path / "b" / "manifest.csv"
    ).read_text()
    assert a["classes"] != b["classes"] or a["splits"] != b["splits"]


RAMP = 6  # grey levels per source pixel: 40 pixels span 0..234


def ramp_image(path, width, height):
    """Red rises with the column, green with the row (RAMP levels a pixel); blue says the
    orientation: 0 landscape, 250 portrait."""
    x, y = np.meshgrid(np.arange(width), np.arange(height))
    blue = np.full_like(x, 0 if width > height else 250)
    pixels = np.stack([RAMP * x, RAMP * y, blue], axis=-1).astype(np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path)


def test_resize_shorter_side_then_centre_crop(tmp_path):
    """Bug guarded: squashing the image to a square (or resizing the wrong side, or cropping
    off centre) instead of scaling its shorter side to `resize`, keeping the aspect ratio,
    and cutting the centre `crop` square. The shape is the same either way; the pixels are not.

    Each source is a linear ramp (red along x, green along y), 40x20 or 20x40. A filter that
    resamples a ramp returns the ramp at the output pixel's centre, so each output pixel's
    value says where in the source it was taken from. Shorter side 20 -> 16 is a scale of 0.8
    (40x20 -> 32x16), and the centre 12 of 32 starts at 10: output column j's centre is at
    (10 + j + 0.5) / 0.8 in the source, i.e. source pixel (10 + j + 0.5) / 0.8 - 0.5; along
    the short side the crop starts at (16 - 12) / 2 = 2. A squash to 16x16 would take column
    j from (2 + j + 0.5) * 2.5 - 0.5 instead."""
    resize, crop, scale = 16, 12, 16 / 20
    long_offset, short_offset = (32 - crop) // 2, (16 - crop) // 2
    along_long = (long_offset + np.arange(crop) + 0.5) / scale - 0.5  # 12.625, 13.875, ...
    along_short = (short_offset + np.arange(crop) + 0.5) / scale - 0.5  # 2.625, 3.875, ...
    for c in range(4):
        for k in range(8):
            width, height = (40, 20) if k % 2 == 0 else (20, 40)
            ramp_image(tmp_path / "raw" / f"class_{c}" / f"{k:04d}.png", width, height)
    prepare(
        "toy", spec_for(tmp_path / "raw", image={"resize": resize, "crop": crop}), tmp_path / "out"
    )
    columns, rows = np.meshgrid(np.arange(crop), np.arange(crop))
    landscape = np.stack(
        [RAMP * along_long[columns], RAMP * along_short[rows], np.zeros((crop, crop))], axis=-1
    )
    portrait = np.stack(
        [RAMP * along_short[columns], RAMP * along_long[rows], np.full((crop, crop), 250)], axis=-1
    )
    seen = set()
    for split in ("train", "test", "heldout"):
        for i, image in enumerate(open_split(tmp_path / "out", split).images()):
            assert image.shape == (crop, crop, 3)
            orientation = "landscape" if image[0, 0, 2] == 0 else "portrait"
            expected = landscape if orientation == "landscape" else portrait
            seen.add(orientation)
            # within 1 grey level: PIL resamples in fixed point and rounds to uint8
            np.testing.assert_allclose(
                image, expected, atol=1, err_msg=f"{split} image {i} ({orientation})"
            )
    assert seen == {"landscape", "portrait"}


def test_corrupt_image_is_an_error_naming_the_file(tree, tmp_path):
    bad = fabricate_corrupt_image(tree / "class_0" / "zz_broken.jpg")
    spec = spec_for(
        tree,
        classes={"count": "all"},
        heldout={"count": 0, "images_per_class": 1},
        train_per_class=6,
        test_per_class=2,
    )  # uses every file of class_0
    with pytest.raises(PrepareError, match="zz_broken.jpg"):
        prepare("toy", spec, tmp_path / "out")
    assert not (tmp_path / "out").exists(), "a failed job must not leave a partial output"
    spec["on_bad_image"] = "skip"
    manifest = prepare("toy", spec, tmp_path / "out")
    # the literal text: comparing the reason with itself would accept any reason at all
    assert manifest["skipped"] == [
        {
            "source": "class_0/zz_broken.jpg",
            "reason": "not a readable image (UnidentifiedImageError)",
        }
    ]
    assert "zz_broken" not in (tmp_path / "out" / "manifest.csv").read_text()
    assert bad.exists()


def test_skip_reason_is_the_same_text_in_every_run(tree, tmp_path):
    """Bug: the skip reason of an unreadable image quoted PIL's message, which holds the repr of
    a BytesIO object with its memory address ("<_io.BytesIO object at 0x7f...>"), so two
    identical prepare runs wrote different manifest.json files."""
    fabricate_corrupt_image(tree / "class_0" / "zz_broken.jpg")
    spec = spec_for(
        tree,
        classes={"count": "all"},
        heldout={"count": 0, "images_per_class": 1},
        on_bad_image="skip",
        train_per_class=6,
        test_per_class=2,
    )
    manifest = prepare("toy", spec, tmp_path / "a")
    prepare("toy", spec, tmp_path / "b", workers=2)
    reason = manifest["skipped"][0]["reason"]
    assert "0x" not in reason and " object at " not in reason, reason
    assert (tmp_path / "a" / "manifest.json").read_bytes() == (
        tmp_path / "b" / "manifest.json"
    ).read_bytes()


def test_small_class_is_an_error_or_dropped(tmp_path):
    tree = fabricate_folder(tmp_path / "raw", n_classes=4, per_class=8)
    for extra in sorted((tree / "class_1").iterdir())[5:]:
        extra.unlink()  # class_1 keeps 5 images; 4 + 2 are needed
    spec = spec_for(tree, classes={"count": "all"}, heldout={"count": 0, "images_per_class": 1})
    with pytest.raises(PrepareError, match=r"class_1 has 5 usable images, 4 train \+ 2 test"):
        prepare("toy", spec, tmp_path / "out")
    spec["on_small_class"] = "drop"
    spec["classes"]["count"] = 3
    manifest = prepare("toy", spec, tmp_path / "out")
    assert "class_1" not in manifest["classes"]["trained"]
    assert len(manifest["classes"]["trained"]) == 3
    assert manifest["dropped_classes"][0]["class"] == "class_1"


def test_count_all_with_drop_keeps_every_class_with_enough_images(tmp_path, capsys):
    """Bug: classes.count: all with on_small_class: drop always failed ("only 3 of 4 classes
    have enough images"), since every eligible class was still required after the drop; drop
    must keep the classes with enough images and list the dropped ones."""
    tree = fabricate_folder(tmp_path / "raw", n_classes=4, per_class=8)
    for extra in sorted((tree / "class_1").iterdir())[5:]:
        extra.unlink()  # class_1 keeps 5 images; 4 + 2 are needed
    spec = spec_for(
        tree,
        classes={"count": "all"},
        on_small_class="drop",
        heldout={"count": 0, "images_per_class": 1},
    )
    manifest = prepare("toy", spec, tmp_path / "out")
    assert manifest["classes"]["trained"] == ["class_0", "class_2", "class_3"]
    on_disk = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert [d["class"] for d in on_disk["dropped_classes"]] == ["class_1"]
    assert "dropped 1 of 4 classes with too few images: class_1" in capsys.readouterr().err
    # dropping every class leaves nothing to train on: still an error
    spec["train_per_class"] = 9
    with pytest.raises(PrepareError, match="no class has enough images"):
        prepare("toy", spec, tmp_path / "out2")


def test_too_few_classes_names_the_counts(tree, tmp_path):
    with pytest.raises(PrepareError, match="classes.count is 9 but only 5"):
        prepare("toy", spec_for(tree, classes={"count": 9}), tmp_path / "out")


def test_include_and_exclude_lists(tree, tmp_path):
    include = tmp_path / "include.txt"
    include.write_text("# wanted\nclass_0\nclass_2\nclass_4\n")
    exclude = tmp_path / "exclude.txt"
    exclude.write_text("class_2\n")
    spec = spec_for(
        tree, classes={"count": "all", "include": str(include), "exclude": str(exclude)}
    )
    manifest = prepare("toy", spec, tmp_path / "out")
    assert manifest["classes"]["trained"] == ["class_0", "class_4"]
    include.write_text("class_0\nnot_a_class\n")
    with pytest.raises(PrepareError, match="not_a_class"):
        prepare("toy", spec, tmp_path / "out2")
    include.write_text("# nothing yet\n")
    with pytest.raises(ValueError, match="is empty"):
        prepare("toy", spec, tmp_path / "out3")


def test_published_split_draws_test_images_from_the_test_split(tmp_path):
    root = fabricate_food101(tmp_path / "food", n_classes=3, per_class=6, test_per_class=3)
    spec = spec_for(
        root,
        layout="food101",
        split="published",
        train_per_class=4,
        test_per_class=3,
        heldout={"count": 0, "images_per_class": 1},
    )
    prepare("food", spec, tmp_path / "out")
    meta_test = {line.strip() for line in (root / "meta" / "test.txt").read_text().splitlines()}
    with open(tmp_path / "out" / "manifest.csv") as f:
        for row in csv.DictReader(f):
            in_test = row["source"].removeprefix("images/").rsplit(".", 1)[0] in meta_test
            assert in_test == (row["split"] == "test"), row


def test_identities_are_trained_from_train_and_held_out_from_test(tmp_path):
    """The paper config's identity rule: VGGFace2's train and test identities are disjoint; the
    trained identities are drawn among train/ (with enough images), the decoding ones among
    test/. Bug guarded: held-out identities drawn from unselected train identities, or trained
    identities from test/."""
    root = fabricate_vggface2(tmp_path / "vgg", n_classes=4, per_class=6, n_test_classes=3)
    spec = spec_for(
        root,
        layout="vggface2",
        classes={"count": 2, "split": "train"},
        heldout={"count": 2, "images_per_class": 2, "split": "test"},
    )
    manifest = prepare("faces", spec, tmp_path / "out")
    train_ids = {p.name for p in (root / "train").iterdir()}
    test_ids = {p.name for p in (root / "test").iterdir()}
    assert len(manifest["classes"]["trained"]) == 2 and len(manifest["classes"]["heldout"]) == 2
    assert set(manifest["classes"]["trained"]) <= train_ids
    assert set(manifest["classes"]["heldout"]) <= test_ids
    with pytest.raises(PrepareError, match=r"classes\.count is 5 but only 4 train classes"):
        spec["classes"]["count"] = 5
        prepare("faces", spec, tmp_path / "again")


def test_held_out_classes_come_only_from_their_list(tree, tmp_path):
    """The paper config draws held-out objects among inanimate classes: without the list they
    would mostly be animals, and the readout of Figure 3 would learn animal faces as "object"."""
    trained = prepare("toy", spec_for(tree), tmp_path / "free")["classes"]["trained"]
    untrained = sorted({f"class_{i}" for i in range(5)} - set(trained))
    allowed = tmp_path / "heldout.txt"
    allowed.write_text(f"{untrained[-1]}\n{trained[0]}\n")
    spec = spec_for(tree, heldout={"count": 1, "images_per_class": 2, "include": str(allowed)})
    assert prepare("toy", spec, tmp_path / "out")["classes"]["heldout"] == [untrained[-1]]
    spec["heldout"]["count"] = 2  # a trained class is never held out, listed or not
    with pytest.raises(PrepareError, match="2 held-out classes requested, only 1"):
        prepare("toy", spec, tmp_path / "again")


def test_published_split_needs_a_layout_with_splits(tree, tmp_path):
    with pytest.raises(PrepareError, match="defines no train/test split"):
        prepare("toy", spec_for(tree, split="published"), tmp_path / "out")


def test_imagenet_flat_val_feeds_the_test_split(tmp_path):
    root = fabricate_imagenet(tmp_path / "in", n_classes=3, per_class=5, val_per_class=2)
    spec = spec_for(
        root,
        layout="imagenet",
        split="published",
        train_per_class=5,
        test_per_class=2,
        heldout={"count": 0, "images_per_class": 1},
    )
    manifest = prepare("objects", spec, tmp_path / "out")
    assert manifest["splits"]["test"]["count"] == 6
    with open(tmp_path / "out" / "manifest.csv") as f:
        assert {r["source"].split("/")[0] for r in csv.DictReader(f) if r["split"] == "test"} == {
            "val"
        }
    assert (
        json.loads((tmp_path / "out" / "manifest.json").read_text())["source"]["layout"]
        == "imagenet"
    )
    assert read_manifest(tmp_path / "out")["dataset"] == "objects"


def test_a_box_outside_its_image_is_a_reported_bad_image_not_a_crash(tmp_path):
    """Bug (found building the rehearsal's trees): a crop box that misses its image (right of
    the image's right edge, or empty) raised PIL's ValueError inside load_image, which promises
    never to raise, and killed the prepare job instead of going to on_bad_image."""
    from funcspec.prepare import load_image

    path = tmp_path / "face.jpg"
    Image.new("RGB", (24, 20), 128).save(path)
    for box in [(37, 2, 60, 18), (5, 5, 5, 15)]:
        pixels, digest, error = load_image((path, box, 16, 16))
        assert pixels is None
        assert error == f"crop box {box} misses the 24x20 image"
    pixels, _, error = load_image((path, (-3, 2, 30, 18), 16, 16))  # clipped, as published
    assert error is None and pixels.shape == (16, 16, 3)
