"""Readers of published dataset layouts, checked on fabricated trees in those exact layouts."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import numpy as np
import pytest
import scipy.io
from fabricate import (
    fabricate_compcars,
    fabricate_corrupt_image,
    fabricate_folder,
    fabricate_food101,
    fabricate_imagenet,
    fabricate_split_folders,
    fabricate_stanford_cars,
    fabricate_vggface2,
    write_image,
)
from PIL import Image

from funcspec.datasets import LAYOUTS, LayoutError, SourceImage, read_layout
from funcspec.errors import FuncspecError

SIZE = (40, 32)


def summary(images: list[SourceImage], root: Path) -> set[tuple]:
    """(relative path, label, split, box) of each image, after checking the list's invariants."""
    assert all(im.path.is_absolute() and im.path.is_file() for im in images)
    assert images == sorted(images, key=lambda im: (im.split or "", im.label, str(im.path)))
    rows = {
        (im.path.relative_to(root.absolute()).as_posix(), im.label, im.split, im.box)
        for im in images
    }
    assert len(rows) == len(images), "an image was listed twice"
    return rows


def add_junk(directory: Path) -> None:
    """Files every reader must skip: hidden, macOS resource fork, non-image."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / ".DS_Store").write_bytes(b"\0")
    (directory / "._0001.jpg").write_bytes(b"\0")
    (directory / "notes.txt").write_text("not an image")
    (directory / ".ipynb_checkpoints").mkdir(exist_ok=True)
    write_image(directory / ".ipynb_checkpoints" / "x.jpg", directory, SIZE)


def assert_layout_error(excinfo, path: Path, layout: str) -> None:
    message = str(excinfo.value)
    assert str(path.absolute()) in message
    assert f"{layout} layout" in message
    assert "expected layout:" in message and "<root>/" in message


# --- vggface2 ---------------------------------------------------------------------------------


def small_vggface2(tmp_path: Path) -> Path:
    return fabricate_vggface2(
        tmp_path / "vgg", n_classes=2, per_class=2, n_test_classes=1, test_per_class=1
    )


def test_vggface2_lists_both_splits_and_skips_junk(tmp_path):
    root = small_vggface2(tmp_path)
    add_junk(root / "train" / "n000001")
    add_junk(root / "train")
    assert summary(read_layout("vggface2", root), root) == {
        ("train/n000001/0001_01.jpg", "n000001", "train", None),
        ("train/n000001/0002_01.jpg", "n000001", "train", None),
        ("train/n000002/0001_01.jpg", "n000002", "train", None),
        ("train/n000002/0002_01.jpg", "n000002", "train", None),
        ("test/n000003/0001_01.jpg", "n000003", "test", None),
    }


def test_vggface2_crop_reads_loose_boxes(tmp_path):
    root = small_vggface2(tmp_path)
    # fabricated (X, Y, W, H) is (j + 1, 2, 20, 16) for the j-th image of an identity
    assert summary(read_layout("vggface2", root, crop=True), root) == {
        ("train/n000001/0001_01.jpg", "n000001", "train", (1, 2, 21, 18)),
        ("train/n000001/0002_01.jpg", "n000001", "train", (2, 2, 22, 18)),
        ("train/n000002/0001_01.jpg", "n000002", "train", (1, 2, 21, 18)),
        ("train/n000002/0002_01.jpg", "n000002", "train", (2, 2, 22, 18)),
        ("test/n000003/0001_01.jpg", "n000003", "test", (1, 2, 21, 18)),
    }


def test_vggface2_crop_margin_enlarges_and_clamps_left_top_only(tmp_path):
    root = tmp_path / "vgg"
    write_image(root / "train" / "n000009" / "0001_01.jpg", root, SIZE)
    (root / "bb_landmark").mkdir()
    (root / "bb_landmark" / "loose_bb_train.csv").write_text(
        '"NAME_ID","X","Y","W","H"\n"n000009/0001_01",-3,10,20,40\n'
    )
    [image] = read_layout("vggface2", root, crop=True, crop_margin=0.25)
    # x: -3 - 5 -> clamped 0, right 17 + 5; y: 10 - 10, bottom 50 + 10 (beyond the image: kept)
    assert image.box == (0, 0, 22, 60)
    [image] = read_layout("vggface2", root, crop=True)
    assert image.box == (0, 10, 17, 50)


def test_vggface2_one_split_is_enough(tmp_path):
    root = small_vggface2(tmp_path)
    shutil.rmtree(root / "test")
    assert {im.split for im in read_layout("vggface2", root, crop=True)} == {"train"}


def test_vggface2_without_split_folders_fails(tmp_path):
    root = tmp_path / "vgg"
    write_image(root / "n000001" / "0001_01.jpg", root, SIZE)  # root one level too deep
    with pytest.raises(LayoutError) as excinfo:
        read_layout("vggface2", root)
    assert_layout_error(excinfo, root, "vggface2")
    assert "train/<identity>/<image>.jpg" in str(excinfo.value)


def test_vggface2_crop_without_box_file_fails(tmp_path):
    root = small_vggface2(tmp_path)
    (root / "bb_landmark" / "loose_bb_test.csv").unlink()
    assert len(read_layout("vggface2", root)) == 5  # boxes are only needed for cropping
    with pytest.raises(LayoutError) as excinfo:
        read_layout("vggface2", root, crop=True)
    assert_layout_error(excinfo, root / "bb_landmark" / "loose_bb_test.csv", "vggface2")


def test_vggface2_image_without_box_row_fails(tmp_path):
    root = small_vggface2(tmp_path)
    extra = write_image(root / "train" / "n000002" / "0009_01.jpg", root, SIZE)
    with pytest.raises(LayoutError) as excinfo:
        read_layout("vggface2", root, crop=True)
    assert_layout_error(excinfo, extra, "vggface2")
    assert "n000002/0009_01" in str(excinfo.value)


def test_vggface2_rejects_negative_margin(tmp_path):
    with pytest.raises(ValueError, match="crop_margin"):
        read_layout("vggface2", small_vggface2(tmp_path), crop=True, crop_margin=-0.1)


# --- imagenet ---------------------------------------------------------------------------------

IMAGENET_EXPECTED = {
    ("train/n01440764/n01440764_1.JPEG", "n01440764", "train", None),
    ("train/n01440764/n01440764_2.JPEG", "n01440764", "train", None),
    ("train/n01440765/n01440765_1.JPEG", "n01440765", "train", None),
    ("train/n01440765/n01440765_2.JPEG", "n01440765", "train", None),
}
IMAGENET_FLAT_VAL = {
    ("val/ILSVRC2012_val_00000001.JPEG", "n01440764", "test", None),
    ("val/ILSVRC2012_val_00000002.JPEG", "n01440765", "test", None),
}


def test_imagenet_flat_val_labelled_by_solution_csv(tmp_path):
    root = fabricate_imagenet(tmp_path / "in", n_classes=2, per_class=2, val_per_class=1)
    add_junk(root / "val")
    add_junk(root / "train" / "n01440764")
    assert summary(read_layout("imagenet", root), root) == IMAGENET_EXPECTED | IMAGENET_FLAT_VAL


def test_imagenet_val_labels_option(tmp_path):
    labels = tmp_path / "kaggle" / "LOC_val_solution.csv"
    root = fabricate_imagenet(
        tmp_path / "in", n_classes=2, per_class=2, val_per_class=1, labels_csv=labels
    )
    assert (
        summary(read_layout("imagenet", root, val_labels=labels), root)
        == IMAGENET_EXPECTED | IMAGENET_FLAT_VAL
    )
    with pytest.raises(LayoutError) as excinfo:  # not at root/, so the default lookup fails
        read_layout("imagenet", root)
    assert_layout_error(excinfo, root / "LOC_val_solution.csv", "imagenet")


def test_imagenet_val_as_class_folders(tmp_path):
    root = fabricate_imagenet(
        tmp_path / "in", n_classes=2, per_class=2, val_per_class=1, flat_val=False
    )
    assert not (root / "LOC_val_solution.csv").exists()
    assert summary(read_layout("imagenet", root), root) == IMAGENET_EXPECTED | {
        ("val/n01440764/ILSVRC2012_val_00000001.JPEG", "n01440764", "test", None),
        ("val/n01440765/ILSVRC2012_val_00000002.JPEG", "n01440765", "test", None),
    }


def test_imagenet_val_image_missing_from_ground_truth_fails(tmp_path):
    root = fabricate_imagenet(tmp_path / "in", n_classes=2, per_class=1, val_per_class=1)
    stray = write_image(root / "val" / "ILSVRC2012_val_00000077.JPEG", root, SIZE)
    with pytest.raises(LayoutError) as excinfo:
        read_layout("imagenet", root)
    assert_layout_error(excinfo, stray, "imagenet")


def test_imagenet_mixed_val_fails(tmp_path):
    root = fabricate_imagenet(tmp_path / "in", n_classes=2, per_class=1, val_per_class=1)
    write_image(root / "val" / "n01440764" / "x.JPEG", root, SIZE)
    with pytest.raises(LayoutError) as excinfo:
        read_layout("imagenet", root)
    assert_layout_error(excinfo, root / "val", "imagenet")


def test_imagenet_without_train_or_val_fails(tmp_path):
    root = fabricate_imagenet(tmp_path / "in", n_classes=1, per_class=1, val_per_class=1)
    (root / "train").rename(root / "training")
    (root / "val").rename(root / "validation")
    with pytest.raises(LayoutError) as excinfo:
        read_layout("imagenet", root)
    assert_layout_error(excinfo, root, "imagenet")


# --- food101 ----------------------------------------------------------------------------------


def test_food101_split_comes_from_meta(tmp_path):
    root = fabricate_food101(tmp_path / "food", n_classes=2, per_class=2, test_per_class=1)
    add_junk(root / "images" / "apple_pie")
    write_image(
        root / "images" / "apple_pie" / "999.jpg", root, SIZE
    )  # unlisted: not in the dataset
    assert summary(read_layout("food101", root), root) == {
        ("images/apple_pie/100000.jpg", "apple_pie", "train", None),
        ("images/apple_pie/100001.jpg", "apple_pie", "train", None),
        ("images/apple_pie/100002.jpg", "apple_pie", "test", None),
        ("images/baby_back_ribs/200000.jpg", "baby_back_ribs", "train", None),
        ("images/baby_back_ribs/200001.jpg", "baby_back_ribs", "train", None),
        ("images/baby_back_ribs/200002.jpg", "baby_back_ribs", "test", None),
    }


@pytest.mark.parametrize("missing", ["meta/train.txt", "meta/test.txt", "images"])
def test_food101_missing_meta_or_images_fails(tmp_path, missing):
    root = fabricate_food101(tmp_path / "food", n_classes=1, per_class=1, test_per_class=1)
    target = root / missing
    shutil.rmtree(target) if target.is_dir() else target.unlink()
    with pytest.raises(LayoutError) as excinfo:
        read_layout("food101", root)
    assert_layout_error(excinfo, target, "food101")


def test_food101_listed_image_missing_fails(tmp_path):
    root = fabricate_food101(tmp_path / "food", n_classes=2, per_class=1, test_per_class=1)
    (root / "images" / "baby_back_ribs" / "200001.jpg").unlink()
    with pytest.raises(LayoutError) as excinfo:
        read_layout("food101", root)
    assert_layout_error(excinfo, root / "images" / "baby_back_ribs" / "200001.jpg", "food101")
    assert "test.txt" in str(excinfo.value)


# --- compcars ----------------------------------------------------------------------------------


def test_compcars_reads_models_over_years_with_split_and_boxes(tmp_path):
    """A class is make/model across release years; the classification split gives train/test
    to the images it lists and no split to the others; boxes come from label/."""
    root = fabricate_compcars(tmp_path / "data")
    add_junk(root / "image" / "1" / "1" / "2010")
    assert summary(read_layout("compcars", root, crop=True), root) == {
        ("image/1/1/2010/img00.jpg", "1/1", "train", (1, 2, 38, 31)),
        ("image/1/1/2011/img01.jpg", "1/1", "train", (2, 2, 38, 31)),
        ("image/1/1/2010/img02.jpg", "1/1", "test", (3, 2, 38, 31)),
        ("image/1/2/2010/img00.jpg", "1/2", None, (1, 2, 38, 31)),
        ("image/1/2/2011/img01.jpg", "1/2", None, (2, 2, 38, 31)),
        ("image/1/2/2010/img02.jpg", "1/2", None, (3, 2, 38, 31)),
    }
    assert {im.box for im in read_layout("compcars", root)} == {None}


@pytest.mark.parametrize(
    "remove, expected",
    [
        ("train_test_split/classification/test.txt", r"missing split file: .*test\.txt"),
        ("image/1/1/2010/img00.jpg", r"1 images of the split files missing: .*img00\.jpg"),
        ("label/1/2/2011/img01.txt", r"crop asked for but the image has no label file"),
    ],
)
def test_compcars_tree_without_its_files_is_refused_naming_the_file(tmp_path, remove, expected):
    root = fabricate_compcars(tmp_path / "data")
    (root / remove).unlink()
    with pytest.raises(LayoutError, match=expected):
        read_layout("compcars", root, crop=True)


# --- stanford_cars ----------------------------------------------------------------------------

CARS_EXPECTED = {
    # fabricated: class k % 2 + 1 and box (1 + k % 3, 2, 38, 31 - k % 2) for the k-th file
    ("cars_train/00001.jpg", "AM General Hummer SUV 2000", "train", (1, 2, 38, 31)),
    ("cars_train/00002.jpg", "Acura RL Sedan 2012", "train", (2, 2, 38, 30)),
    ("cars_train/00003.jpg", "AM General Hummer SUV 2000", "train", (3, 2, 38, 31)),
    ("cars_train/00004.jpg", "Acura RL Sedan 2012", "train", (1, 2, 38, 30)),
    ("cars_test/00001.jpg", "AM General Hummer SUV 2000", "test", (1, 2, 38, 31)),
    ("cars_test/00002.jpg", "Acura RL Sedan 2012", "test", (2, 2, 38, 30)),
}


def no_boxes(rows: set[tuple]) -> set[tuple]:
    return {(path, label, split, None) for path, label, split, _ in rows}


@pytest.mark.parametrize("test_labels_in", ["root", "devkit"])
def test_stanford_cars_reads_mat_files(tmp_path, test_labels_in):
    root = fabricate_stanford_cars(
        tmp_path / "cars", n_classes=2, per_class=2, test_per_class=1, test_labels_in=test_labels_in
    )
    add_junk(root / "cars_train")
    assert summary(read_layout("stanford_cars", root, crop=True), root) == CARS_EXPECTED
    assert summary(read_layout("stanford_cars", root), root) == no_boxes(CARS_EXPECTED)


def test_stanford_cars_single_annotation_struct(tmp_path):
    """A 1x1 struct array is where loadmat's nesting differs most; it must read the same."""
    root = fabricate_stanford_cars(tmp_path / "cars", n_classes=1, per_class=1, test_per_class=1)
    assert summary(read_layout("stanford_cars", root, crop=True), root) == {
        ("cars_train/00001.jpg", "AM General Hummer SUV 2000", "train", (1, 2, 38, 31)),
        ("cars_test/00001.jpg", "AM General Hummer SUV 2000", "test", (1, 2, 38, 31)),
    }


@pytest.mark.parametrize(
    "missing",
    [
        "devkit/cars_meta.mat",
        "devkit/cars_train_annos.mat",
        "cars_test_annos_withlabels.mat",
    ],
)
def test_stanford_cars_missing_mat_fails(tmp_path, missing):
    root = fabricate_stanford_cars(tmp_path / "cars", n_classes=2, per_class=1, test_per_class=1)
    (root / missing).unlink()
    assert (
        root / "devkit" / "cars_test_annos.mat"
    ).is_file()  # unlabelled: must not be used instead
    with pytest.raises(LayoutError) as excinfo:
        read_layout("stanford_cars", root)
    assert_layout_error(excinfo, root / missing, "stanford_cars")


def test_stanford_cars_annotated_image_missing_fails(tmp_path):
    root = fabricate_stanford_cars(tmp_path / "cars", n_classes=2, per_class=1, test_per_class=1)
    (root / "cars_test" / "00002.jpg").unlink()
    with pytest.raises(LayoutError) as excinfo:
        read_layout("stanford_cars", root)
    assert_layout_error(excinfo, root / "cars_test" / "00002.jpg", "stanford_cars")


def test_stanford_cars_unannotated_image_fails(tmp_path):
    root = fabricate_stanford_cars(tmp_path / "cars", n_classes=2, per_class=1, test_per_class=1)
    stray = write_image(root / "cars_train" / "09999.jpg", root, SIZE)
    with pytest.raises(LayoutError) as excinfo:
        read_layout("stanford_cars", root)
    assert_layout_error(excinfo, stray, "stanford_cars")


def test_stanford_cars_class_out_of_range_fails(tmp_path):
    root = fabricate_stanford_cars(tmp_path / "cars", n_classes=2, per_class=1, test_per_class=1)
    mat = root / "devkit" / "cars_meta.mat"
    scipy.io.savemat(mat, {"class_names": np.array([["AM General Hummer SUV 2000"]], dtype=object)})
    with pytest.raises(LayoutError) as excinfo:
        read_layout("stanford_cars", root)
    assert_layout_error(excinfo, root / "devkit" / "cars_train_annos.mat", "stanford_cars")
    assert "outside 1..1" in str(excinfo.value)


def test_stanford_cars_missing_field_fails(tmp_path):
    root = fabricate_stanford_cars(tmp_path / "cars", n_classes=1, per_class=1, test_per_class=1)
    mat = root / "devkit" / "cars_train_annos.mat"
    annotations = np.empty((1, 1), dtype=[("fname", object)])
    annotations[0, 0] = ("00001.jpg",)
    scipy.io.savemat(mat, {"annotations": annotations})
    with pytest.raises(LayoutError, match="bbox_x1") as excinfo:
        read_layout("stanford_cars", root)
    assert_layout_error(excinfo, mat, "stanford_cars")


# --- split_folders and folder -----------------------------------------------------------------


def test_split_folders(tmp_path):
    root = fabricate_split_folders(tmp_path / "sf", n_classes=2, per_class=2, test_per_class=1)
    add_junk(root / "test" / "Acura RL Sedan 2012")
    Image.new("RGB", SIZE).save(root / "train" / "Acura RL Sedan 2012" / "UPPER.JPG")
    assert summary(read_layout("split_folders", root), root) == {
        ("train/AM General Hummer SUV 2000/0000.png", "AM General Hummer SUV 2000", "train", None),
        ("train/AM General Hummer SUV 2000/0001.png", "AM General Hummer SUV 2000", "train", None),
        ("train/Acura RL Sedan 2012/0000.png", "Acura RL Sedan 2012", "train", None),
        ("train/Acura RL Sedan 2012/0001.png", "Acura RL Sedan 2012", "train", None),
        ("train/Acura RL Sedan 2012/UPPER.JPG", "Acura RL Sedan 2012", "train", None),
        ("test/AM General Hummer SUV 2000/0000.png", "AM General Hummer SUV 2000", "test", None),
        ("test/Acura RL Sedan 2012/0000.png", "Acura RL Sedan 2012", "test", None),
    }


def test_split_folders_without_splits_fails(tmp_path):
    root = fabricate_folder(tmp_path / "f", n_classes=1, per_class=1)
    with pytest.raises(LayoutError) as excinfo:
        read_layout("split_folders", root)
    assert_layout_error(excinfo, root, "split_folders")


def test_folder_relative_root_gives_absolute_paths(tmp_path, monkeypatch):
    fabricate_folder(tmp_path / "f", n_classes=2, per_class=2)
    add_junk(tmp_path / "f")
    add_junk(tmp_path / "f" / "class_1")
    monkeypatch.chdir(tmp_path)
    assert summary(read_layout("folder", "f"), tmp_path / "f") == {
        ("class_0/0000.png", "class_0", None, None),
        ("class_0/0001.png", "class_0", None, None),
        ("class_1/0000.png", "class_1", None, None),
        ("class_1/0001.png", "class_1", None, None),
    }


@pytest.mark.parametrize("content", ["nothing", "loose images", "empty class folders"])
def test_folder_without_class_images_fails(tmp_path, content):
    root = tmp_path / "f"
    root.mkdir()
    if content == "loose images":
        write_image(root / "a.png", root, SIZE)
    if content == "empty class folders":
        (root / "cats").mkdir()
        add_junk(root / "dogs")
    with pytest.raises(LayoutError) as excinfo:
        read_layout("folder", root)
    assert_layout_error(excinfo, root, "folder")


def test_corrupt_image_is_listed_not_decoded(tmp_path):
    root = fabricate_folder(tmp_path / "f", n_classes=1, per_class=1)
    bad = fabricate_corrupt_image(root / "class_0" / "bad.jpg")
    with pytest.raises(Image.UnidentifiedImageError):
        Image.open(bad)
    assert bad.absolute() in {im.path for im in read_layout("folder", root)}


# --- read_layout dispatch ---------------------------------------------------------------------


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_missing_root_names_path_and_layout(tmp_path, layout):
    with pytest.raises(LayoutError) as excinfo:
        read_layout(layout, tmp_path / "nowhere")
    assert_layout_error(excinfo, tmp_path / "nowhere", layout)
    assert "does not exist" in str(excinfo.value)


def test_root_that_is_a_file_fails(tmp_path):
    path = tmp_path / "archive.tar"
    path.write_bytes(b"")
    with pytest.raises(LayoutError, match="not a directory"):
        read_layout("folder", path)


def test_unknown_layout_lists_valid_ones(tmp_path):
    with pytest.raises(ValueError) as excinfo:
        read_layout("coco", tmp_path)
    assert "coco" in str(excinfo.value)
    for layout in ("vggface2", "imagenet", "food101", "stanford_cars", "split_folders", "folder"):
        assert layout in str(excinfo.value)


@pytest.mark.parametrize(
    "layout, option", [("folder", "crop"), ("food101", "crop"), ("vggface2", "val_labels")]
)
def test_unknown_option_is_named(tmp_path, layout, option):
    with pytest.raises(FuncspecError) as excinfo:
        read_layout(layout, tmp_path, **{option: True})
    assert repr(option) in str(excinfo.value) and repr(layout) in str(excinfo.value)


def test_fabricated_vggface2_box_file_has_published_format(tmp_path):
    root = fabricate_vggface2(
        tmp_path / "vgg", n_classes=1, per_class=1, n_test_classes=1, test_per_class=1
    )
    lines = (root / "bb_landmark" / "loose_bb_train.csv").read_text().splitlines()
    assert lines[0] == '"NAME_ID","X","Y","W","H"'
    assert lines[1] == '"n000001/0001_01",1,2,20,16'
    assert list(csv.reader(lines))[1][0] == "n000001/0001_01"


def test_the_root_fingerprint_sees_into_linked_folders(tmp_path):
    """Bug (review): os.walk does not follow linked folders, which the readers read, so an
    image edited or added under a linked class folder left the fingerprint (and the prepare
    job) unchanged."""
    from funcspec.datasets import root_fingerprint

    shared = fabricate_folder(tmp_path / "shared", n_classes=1, per_class=2)
    root = tmp_path / "root"
    root.mkdir()
    (root / "class_0").symlink_to(shared / "class_0")
    before = root_fingerprint(root)
    (shared / "class_0" / "0001.png").write_bytes(b"an edited image")
    assert root_fingerprint(root) != before
