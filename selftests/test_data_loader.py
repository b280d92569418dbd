"""Loading folders in the Kaggle layout: real-file quirks, bad input, CLI."""

import json
import re
import subprocess
import sys
import warnings

import numpy as np
import pytest
from PIL import Image

import saltlab.data.writer as writer
from saltlab.data import (
    MARKER,
    DatasetError,
    ensure_default_dataset,
    generate_dataset,
    inspect_dataset,
    load_dataset,
    rle_encode,
    synthesize,
    write_dataset,
)


def _kaggle_set():
    """A small set with the real set's quirks: a constant image among them."""
    data = synthesize(12, seed=21)
    empty = np.flatnonzero(~data.masks.any(axis=(1, 2)))
    assert empty.size >= 2 and (data.masks.any(axis=(1, 2))).sum() >= 2
    data.images[empty[0]] = 97  # one constant image, with an empty mask
    return data


def _write_kaggle(data, folder, *, shuffle_csv=True):
    """Write ``data`` the way the Kaggle files are: RGB images, 16-bit salt
    masks with {0, 65535}, 8-bit all-zero empty masks, depths.csv also
    listing (unrelated) test ids, rows in no particular order."""
    (folder / "images").mkdir(parents=True)
    (folder / "masks").mkdir()
    for ident, image, mask in zip(data.ids, data.images, data.masks):
        Image.fromarray(np.stack([image] * 3, axis=-1)).save(
            folder / "images" / f"{ident}.png")
        if mask.any():
            Image.fromarray(mask.astype(np.uint16) * 65535).save(
                folder / "masks" / f"{ident}.png")
        else:
            Image.fromarray(np.zeros((101, 101), np.uint8)).save(
                folder / "masks" / f"{ident}.png")
    order = np.random.default_rng(0).permutation(len(data.ids)) if shuffle_csv \
        else np.arange(len(data.ids))
    depth_rows = [f"{data.ids[k]},{data.depths[k]}" for k in order]
    depth_rows += ["0123456789,512", "fedcba9876,77"]  # test ids: ignored
    (folder / "depths.csv").write_text("id,z\n" + "\n".join(depth_rows) + "\n")
    rle_rows = [f"{data.ids[k]},{rle_encode(data.masks[k])}" for k in order]
    (folder / "train.csv").write_text("id,rle_mask\n" + "\n".join(rle_rows) + "\n")


@pytest.fixture()
def clean(tmp_path):
    """A valid 8-pair folder in the synthetic layout."""
    return write_dataset(synthesize(8, seed=5), tmp_path / "clean")


def _assert_same(a, b):
    assert a.ids == b.ids
    assert np.array_equal(a.images, b.images) and a.images.dtype == b.images.dtype
    assert np.array_equal(a.masks, b.masks) and a.masks.dtype == b.masks.dtype
    assert np.array_equal(a.depths, b.depths)


# --------------------------------------------------------------------------
# Real-file quirks


def test_kaggle_quirks_load_like_the_synthetic_layout(tmp_path):
    data = _kaggle_set()
    _write_kaggle(data, tmp_path / "kaggle")
    # The fixture really has the quirks.
    some_salt = data.ids[int(np.flatnonzero(data.masks.any(axis=(1, 2)))[0])]
    some_empty = data.ids[int(np.flatnonzero(~data.masks.any(axis=(1, 2)))[0])]
    assert Image.open(tmp_path / "kaggle/images" / f"{some_salt}.png").mode == "RGB"
    assert Image.open(tmp_path / "kaggle/masks" / f"{some_salt}.png").mode.startswith("I")
    assert Image.open(tmp_path / "kaggle/masks" / f"{some_empty}.png").mode == "L"

    write_dataset(data, tmp_path / "synthetic")
    kaggle = load_dataset(tmp_path / "kaggle")
    synthetic = load_dataset(tmp_path / "synthetic")
    _assert_same(kaggle, synthetic)
    _assert_same(kaggle, data)
    assert set(np.unique(kaggle.masks)) == {0, 1}
    assert kaggle.skipped == []


def test_kaggle_train_subfolder_is_found(tmp_path):
    data = _kaggle_set()
    _write_kaggle(data, tmp_path / "tgs" / "train")
    _assert_same(load_dataset(tmp_path / "tgs"), data)


def test_unequal_rgb_channels_become_grey(tmp_path):
    data = synthesize(3, seed=2)
    folder = write_dataset(data, tmp_path / "set")
    rgb = np.zeros((101, 101, 3), np.uint8)
    rgb[..., 0], rgb[..., 1], rgb[..., 2] = 200, 100, 50
    Image.fromarray(rgb).save(folder / "images" / f"{data.ids[0]}.png")
    (folder / "train.csv").unlink()
    loaded = load_dataset(folder)
    assert (loaded.images[0] == round(0.299 * 200 + 0.587 * 100 + 0.114 * 50)).all()


def test_without_csv_files(clean):
    (clean / "depths.csv").unlink()
    (clean / "train.csv").unlink()
    loaded = load_dataset(clean)
    assert len(loaded) == 8 and loaded.depths.shape == (0,)
    report = inspect_dataset(clean)
    assert "rle_mismatches" not in report and report["problems"] == []


# --------------------------------------------------------------------------
# Bad input: one clear message naming the file


def _first(folder, sub):
    return sorted((folder / sub).glob("*.png"))[0]


def _truncate(path):
    path.write_bytes(path.read_bytes()[:150])


def _mask_128(path):
    mask = np.zeros((101, 101), np.uint8)
    mask[:10] = 128
    Image.fromarray(mask).save(path)


def _wrong_size(path):
    Image.fromarray(np.zeros((100, 101), np.uint8)).save(path)


def _duplicate_depth(folder):
    lines = (folder / "depths.csv").read_text().splitlines()
    (folder / "depths.csv").write_text("\n".join(lines + [lines[3]]) + "\n")


def _duplicate_rle(folder):
    lines = (folder / "train.csv").read_text().splitlines()
    (folder / "train.csv").write_text("\n".join(lines + [lines[2]]) + "\n")


def _wrong_rle(folder):
    lines = (folder / "train.csv").read_text().splitlines()
    ident = lines[1].split(",")[0]
    lines[1] = f"{ident},1 5"
    mask = np.zeros((101, 101), np.uint8)
    mask[:3, 0] = 255  # 3 pixels where train.csv says 5
    Image.fromarray(mask).save(folder / "masks" / f"{ident}.png")
    (folder / "train.csv").write_text("\n".join(lines) + "\n")


def _dup_png(folder):
    path = _first(folder, "images")
    path.with_suffix(".PNG").write_bytes(path.read_bytes())
    return path.with_suffix(".PNG")


# (name, corrupt(folder) -> path named in the message, words expected)
BAD_CASES = [
    ("image without mask", lambda f: (_first(f, "masks").unlink(),
                                      f / "images" / _first(f, "images").name)[1],
     "image without mask"),
    ("mask without image", lambda f: (_first(f, "images").unlink(),
                                      f / "masks" / _first(f, "masks").name)[1],
     "mask without image"),
    ("wrong image size", lambda f: (_wrong_size(_first(f, "images")),
                                    _first(f, "images"))[1], "100 pixels, expected 101x101"),
    ("wrong mask size", lambda f: (_wrong_size(_first(f, "masks")),
                                   _first(f, "masks"))[1], "expected 101x101"),
    ("truncated image", lambda f: (_truncate(_first(f, "images")),
                                   _first(f, "images"))[1], "truncated PNG"),
    ("not a PNG", lambda f: (_first(f, "masks").write_text("hello"),
                             _first(f, "masks"))[1], "unreadable"),
    ("non-binary mask", lambda f: (_mask_128(_first(f, "masks")),
                                   _first(f, "masks"))[1], "not binary: values {0, 128}"),
    ("duplicate file id", _dup_png, "duplicate id"),
    ("id twice in depths.csv", lambda f: (_duplicate_depth(f), f / "depths.csv")[1],
     "listed twice"),
    ("id twice in train.csv", lambda f: (_duplicate_rle(f), f / "train.csv")[1],
     "listed twice"),
    ("train.csv disagrees", lambda f: (_wrong_rle(f), f / "train.csv")[1],
     "differs from masks/"),
]


@pytest.mark.parametrize("name, corrupt, words", BAD_CASES,
                         ids=[c[0] for c in BAD_CASES])
def test_bad_input_gives_one_message_naming_the_file(clean, name, corrupt, words):
    path = corrupt(clean)
    with pytest.raises(DatasetError) as caught:
        load_dataset(clean)
    message = str(caught.value)
    # The full path (for a duplicate: the folder and both file names).
    assert str(path.parent) in message and path.name in message
    assert words in message
    assert "\n" not in message
    assert isinstance(caught.value, ValueError)
    # inspect never raises and reports the same problem.
    report = inspect_dataset(clean)
    assert any(path.name in p and words in p for p in report["problems"])


def test_missing_folder(tmp_path):
    with pytest.raises(DatasetError, match=re.escape(str(tmp_path / "nope"))):
        load_dataset(tmp_path / "nope")
    (tmp_path / "half" / "images").mkdir(parents=True)
    with pytest.raises(DatasetError, match=re.escape(str(tmp_path / "half" / "masks"))):
        load_dataset(tmp_path / "half")


def test_bad_csv_header_names_the_file(clean):
    (clean / "depths.csv").write_text("name,depth\nabc,5\n")
    with pytest.raises(DatasetError, match=r"depths\.csv: header .* expected 'id,z'"):
        load_dataset(clean)


def test_skip_bad_skips_and_reports(clean):
    _truncate(_first(clean, "images"))
    _mask_128(sorted((clean / "masks").glob("*.png"))[-1])
    with pytest.warns(UserWarning, match=r"skipped 2 of 8 pairs"):
        loaded = load_dataset(clean, skip_bad=True)
    assert len(loaded) == 6 == loaded.images.shape[0] == loaded.depths.shape[0]
    assert len(loaded.skipped) == 2
    files = [f for f, _ in loaded.skipped]
    reasons = " ".join(r for _, r in loaded.skipped)
    assert any(f.endswith(".png") and "images" in f for f in files)
    assert "truncated" in reasons and "not binary" in reasons
    with pytest.raises(DatasetError, match="and 1 more problem"):
        load_dataset(clean)


def test_load_without_problems_does_not_warn(clean):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_dataset(clean, skip_bad=True)


# --------------------------------------------------------------------------
# Writing: the --force rule


def test_refuses_foreign_non_empty_folder(tmp_path):
    foreign = tmp_path / "kaggle"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    with pytest.raises(DatasetError) as caught:
        generate_dataset(foreign, n=5)
    assert str(foreign) in str(caught.value) and "--force" in str(caught.value)
    assert not (foreign / "images").exists()
    generate_dataset(foreign, n=5, force=True)
    assert len(list((foreign / "images").glob("*.png"))) == 5
    assert (foreign / "notes.txt").read_text() == "mine"


def test_rewrites_own_folder_and_removes_stale_files(tmp_path):
    folder = generate_dataset(tmp_path / "syn", n=10, seed=1)
    assert (folder / MARKER).is_file()
    generate_dataset(folder, n=4, seed=2)  # ours: no force needed
    loaded = load_dataset(folder)
    assert len(loaded) == 4
    assert loaded.ids == synthesize(4, seed=2).ids


def test_empty_existing_folder_is_fine(tmp_path):
    (tmp_path / "empty").mkdir()
    generate_dataset(tmp_path / "empty", n=3)
    assert len(load_dataset(tmp_path / "empty")) == 3


def test_ensure_default_dataset(tmp_path, monkeypatch):
    target = tmp_path / "data" / "synthetic"
    monkeypatch.setattr(writer, "default_dataset_path", lambda: target)
    calls = []
    real = writer.generate_dataset
    monkeypatch.setattr(writer, "generate_dataset",
                        lambda folder, **kw: calls.append(folder) or real(folder, n=6))
    assert ensure_default_dataset() == target and calls == [target]
    assert ensure_default_dataset() == target and calls == [target]  # no redo
    assert len(load_dataset(target)) == 6


def test_ensure_default_dataset_replaces_an_easy_set(tmp_path, monkeypatch):
    """A data/synthetic written before the calibration (no level: easy) is regenerated."""
    target = tmp_path / "data" / "synthetic"
    monkeypatch.setattr(writer, "default_dataset_path", lambda: target)
    real = writer.generate_dataset
    real(target, n=4, level="easy")
    marker = target / writer.MARKER
    marker.write_text(marker.read_text().replace(', "level": "easy"', ""))  # as the old writer wrote it
    monkeypatch.setattr(writer, "generate_dataset", lambda folder, **kw: real(folder, n=6))
    assert ensure_default_dataset() == target
    assert len(load_dataset(target)) == 6 and '"level": "tgs"' in marker.read_text()


def test_ensure_default_dataset_replaces_a_set_of_an_older_generator(tmp_path, monkeypatch):
    """A data/synthetic of the first calibration (level tgs, no version: 1) is regenerated."""
    from saltlab.data.synthetic import LEVEL_VERSIONS

    target = tmp_path / "data" / "synthetic"
    monkeypatch.setattr(writer, "default_dataset_path", lambda: target)
    real = writer.generate_dataset
    real(target, n=4)
    marker = target / writer.MARKER
    version = f', "version": {LEVEL_VERSIONS["tgs"]}'
    assert version in marker.read_text() and LEVEL_VERSIONS["tgs"] >= 2
    marker.write_text(marker.read_text().replace(version, ""))  # as the first calibration's writer wrote it
    monkeypatch.setattr(writer, "generate_dataset", lambda folder, **kw: real(folder, n=6))
    assert ensure_default_dataset() == target
    assert len(load_dataset(target)) == 6 and version in marker.read_text()
    assert ensure_default_dataset() == target and len(load_dataset(target)) == 6  # current: kept


def test_ensure_default_dataset_replaces_a_set_missing_files(tmp_path, monkeypatch):
    """A current marker and train.csv are not enough: deleted images or masks mean a rewrite."""
    target = tmp_path / "data" / "synthetic"
    monkeypatch.setattr(writer, "default_dataset_path", lambda: target)
    real = writer.generate_dataset
    calls = []
    monkeypatch.setattr(writer, "generate_dataset",
                        lambda folder, **kw: calls.append(folder) or real(folder, n=5))
    ensure_default_dataset()
    for sub in ("images", "masks"):
        victim = sorted((target / sub).glob("*.png"))[2]
        victim.unlink()
        assert ensure_default_dataset() == target and victim.is_file()
    assert len(calls) == 3 and len(load_dataset(target)) == 5
    ensure_default_dataset()
    assert len(calls) == 3  # complete again: kept


def test_ensure_default_dataset_waits_for_a_generation_under_way(tmp_path, monkeypatch):
    """A second caller waits on the lock, then finds the set the first made.

    Without the lock it would see a half-written folder, find it incomplete
    and regenerate it, deleting the files the first caller is writing.
    """
    import fcntl
    import threading

    target = tmp_path / "data" / "synthetic"
    monkeypatch.setattr(writer, "default_dataset_path", lambda: target)
    real = writer.generate_dataset
    calls = []
    monkeypatch.setattr(writer, "generate_dataset", lambda folder, **kw: calls.append(folder) or real(folder, n=4))
    lock = target.with_name("synthetic.lock")
    lock.parent.mkdir(parents=True)
    with open(lock, "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # "the first caller", mid-generation
        second = threading.Thread(target=ensure_default_dataset)
        second.start()
        second.join(timeout=0.5)
        assert second.is_alive(), "ensure_default_dataset did not wait for the lock"
        real(target, n=4)  # the first caller finishes its set
        fcntl.flock(held, fcntl.LOCK_UN)
    second.join(timeout=60)
    assert not second.is_alive()
    assert calls == []  # found the finished set, did not regenerate it
    assert len(load_dataset(target)) == 4


def test_ensure_default_dataset_reads_a_set_whose_lock_cannot_be_made(tmp_path, monkeypatch):
    """A read-only repository (a grading sandbox) still serves a finished set."""
    target = tmp_path / "data" / "synthetic"
    monkeypatch.setattr(writer, "default_dataset_path", lambda: target)
    real = writer.generate_dataset
    real(target, n=3)
    target.with_name("synthetic.lock").mkdir()  # open(..., "a") fails with an OSError
    monkeypatch.setattr(writer, "generate_dataset", lambda folder, **kw: pytest.fail("regenerated"))
    assert ensure_default_dataset() == target


def test_default_path_is_repository_data_synthetic():
    import saltlab
    from pathlib import Path
    expected = Path(saltlab.__file__).resolve().parents[1] / "data" / "synthetic"
    assert writer.default_dataset_path() == expected


# --------------------------------------------------------------------------
# inspect


def test_inspect_on_kaggle_and_synthetic(tmp_path):
    data = _kaggle_set()
    _write_kaggle(data, tmp_path / "kaggle")
    write_dataset(data, tmp_path / "synthetic")
    reports = [inspect_dataset(tmp_path / name) for name in ("kaggle", "synthetic")]
    for report in reports:
        assert report["pairs"] == 12
        assert report["problems"] == [] and report["rle_mismatches"] == 0
        assert report["constant_images"] == 1
        cover = data.coverage
        assert report["empty_fraction"] == pytest.approx((cover == 0).mean())
        assert report["coverage_mean"] == pytest.approx(cover.mean())
        assert report["coverage_median_nonempty"] == pytest.approx(
            np.median(cover[cover > 0]))
        json.dumps(report)
    drop = {"folder"}
    assert ({k: v for k, v in reports[0].items() if k not in drop}
            == {k: v for k, v in reports[1].items() if k not in drop})


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "saltlab.data", *args],
                          capture_output=True, text=True, timeout=120)


def test_cli_generate_and_inspect(tmp_path):
    out = tmp_path / "syn"
    run = _cli("generate", "--out", str(out), "--n", "20", "--seed", "3")
    assert run.returncode == 0, run.stderr
    assert "20" in run.stdout and str(out) in run.stdout and " s" in run.stdout
    run = _cli("inspect", str(out))
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    for key in ("pairs", "empty_fraction", "coverage_mean",
                "coverage_median_nonempty", "constant_images",
                "rle_mismatches", "problems"):
        assert key in report
    assert report["pairs"] == 20
    _mask_128(_first(out, "masks"))
    run = _cli("inspect", str(out))
    assert run.returncode == 1
    assert json.loads(run.stdout)["problems"]
    run = _cli("generate", "--out", str(tmp_path), "--n", "2")  # not ours
    assert run.returncode != 0 and "--force" in run.stderr
