"""Preprocessing, split, flips, tf.data batches and figures."""

import subprocess
import sys

import numpy as np
import pytest

from saltlab.data import (
    PAD_AFTER,
    PAD_BEFORE,
    coverage_classes,
    flip_pairs,
    from_network_output,
    make_batches,
    masks_to_network,
    stratified_split,
    synthesize,
    to_network_input,
)


@pytest.fixture(scope="module")
def data():
    return synthesize(300, seed=9)


# --------------------------------------------------------------------------
# 101 <-> 128


def test_network_input_shape_scale_and_reflection(data):
    x = to_network_input(data.images, standardize=False)
    assert x.shape == (300, 128, 128, 1) and x.dtype == np.float32
    assert x.min() >= 0.0 and x.max() <= 1.0
    assert PAD_BEFORE + 101 + PAD_AFTER == 128
    inner = x[:, PAD_BEFORE:PAD_BEFORE + 101, PAD_BEFORE:PAD_BEFORE + 101, 0]
    assert np.array_equal(np.rint(inner * 255).astype(np.uint8), data.images)
    # Mirror about the first and last original rows and columns.
    assert np.array_equal(x[:, PAD_BEFORE - 1], x[:, PAD_BEFORE + 1])
    assert np.array_equal(x[:, :, PAD_BEFORE + 100 + 1], x[:, :, PAD_BEFORE + 100 - 1])


def test_round_trip_is_exact(data):
    y = masks_to_network(data.masks)
    assert y.shape == (300, 128, 128, 1) and y.dtype == np.float32
    assert set(np.unique(y)) <= {0.0, 1.0}
    back = from_network_output(y)
    assert back.shape == (300, 101, 101) and back.dtype == np.float32
    assert np.array_equal(back, data.masks)
    assert np.array_equal(from_network_output(y[..., 0]), data.masks)
    x = to_network_input(data.images, standardize=False)
    assert np.array_equal(np.rint(from_network_output(x) * 255), data.images)
    # Every output pixel maps to exactly one image pixel.
    probs = np.random.default_rng(0).random((2, 128, 128, 1)).astype(np.float32)
    crop = from_network_output(probs)
    assert np.array_equal(crop, probs[:, 13:114, 13:114, 0])


@pytest.mark.parametrize("func, bad", [
    (to_network_input, np.zeros((2, 100, 101), np.uint8)),
    (to_network_input, np.zeros((2, 101, 101), np.float32)),
    (masks_to_network, np.zeros((101, 101))),
    (from_network_output, np.zeros((2, 101, 101, 1))),
])
def test_wrong_shapes_are_refused(func, bad):
    with pytest.raises(ValueError, match="expected"):
        func(bad)


# --------------------------------------------------------------------------
# split


def test_split_is_stratified_seeded_and_complete(data):
    train, val = stratified_split(data.masks, val_fraction=0.2, seed=1)
    assert len(val) == 60 and len(train) == 240
    assert np.array_equal(np.sort(np.concatenate([train, val])), np.arange(300))
    classes = coverage_classes(data.masks)
    counts = np.bincount(classes, minlength=11)
    val_counts = np.bincount(classes[val], minlength=11)
    assert (np.abs(val_counts - 0.2 * counts) < 1).all()
    again = stratified_split(data.masks, val_fraction=0.2, seed=1)
    assert all(np.array_equal(a, b) for a, b in zip((train, val), again))
    other = stratified_split(data.masks, val_fraction=0.2, seed=2)
    assert not np.array_equal(val, other[1])


def test_coverage_classes():
    masks = np.zeros((4, 10, 10))
    masks[1, 0, 0] = 1  # 0.01 -> class 1
    masks[2, :5] = 1  # 0.5 -> class 5
    masks[3] = 1  # 1.0 -> class 10
    assert coverage_classes(masks).tolist() == [0, 1, 5, 10]


def test_split_rejects_bad_fraction(data):
    with pytest.raises(ValueError, match="val_fraction"):
        stratified_split(data.masks, val_fraction=1.0)


# --------------------------------------------------------------------------
# flips


def test_flip_pairs_same_for_image_and_mask(data):
    images, masks, flipped = flip_pairs(data.images, data.masks, seed=3)
    assert 0.35 < flipped.mean() < 0.65
    assert np.array_equal(images[flipped], data.images[flipped][:, :, ::-1])
    assert np.array_equal(masks[flipped], data.masks[flipped][:, :, ::-1])
    assert np.array_equal(images[~flipped], data.images[~flipped])
    assert np.array_equal(flip_pairs(data.images, data.masks, seed=3)[0], images)
    assert not flip_pairs(data.images, data.masks, p=0.0)[2].any()


# --------------------------------------------------------------------------
# batches


def _tagged(n=70):
    """x whose pixel (0, 0) is the image's index, y a function of x."""
    rng = np.random.default_rng(0)
    x = rng.random((n, 128, 128, 1)).astype(np.float32)
    x[:, 0, :, 0] = np.arange(n)[:, None]  # whole first row: flip-proof tag
    y = (x > 0.5).astype(np.float32)
    return x, y


def _collect(dataset):
    return [(xb.numpy(), yb.numpy()) for xb, yb in dataset]


def test_batches_are_deterministic_and_cover_every_image():
    x, y = _tagged()
    first = _collect(make_batches(x, y, batch_size=32, augment=True, seed=4))
    second = _collect(make_batches(x, y, batch_size=32, augment=True, seed=4))
    assert [b[0].shape[0] for b in first] == [32, 32, 6]
    for (xa, ya), (xb, yb) in zip(first, second):
        assert np.array_equal(xa, xb) and np.array_equal(ya, yb)
        assert xa.dtype == np.float32 and xa.shape[1:] == (128, 128, 1)
    seen = np.concatenate([b[0][:, 0, 0, 0] for b in first]).astype(int)
    assert sorted(seen) == list(range(70))
    assert seen.tolist() != list(range(70))  # shuffled
    other = _collect(make_batches(x, y, batch_size=32, augment=True, seed=5))
    assert not np.array_equal(first[0][0], other[0][0])


def test_augmented_batches_flip_image_and_mask_together():
    x, y = _tagged()
    flips = 0
    dataset = make_batches(x, y, batch_size=16, augment=True, seed=0)
    for _epoch in range(2):  # a new draw each epoch
        for xb, yb in _collect(dataset):
            assert np.array_equal(yb, (xb > 0.5).astype(np.float32))
            for img in xb:
                k = int(img[0, 0, 0])
                if np.array_equal(img, x[k]):
                    continue
                assert np.array_equal(img, x[k][:, ::-1])
                flips += 1
    assert 0.3 * 140 < flips < 0.7 * 140


def test_unshuffled_batches_keep_order():
    x, y = _tagged(40)
    got = np.concatenate([b[0] for b in _collect(
        make_batches(x, y, batch_size=16, shuffle=False))])
    assert np.array_equal(got, x)


def test_importing_saltlab_data_does_not_import_tensorflow():
    code = ("import sys, saltlab.data, saltlab.plots; "
            "print('tensorflow' in sys.modules)")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True,
                         text=True, timeout=60)
    assert run.stdout.strip() == "False", run.stderr


# --------------------------------------------------------------------------
# figures


def test_plots_write_readable_pngs(tmp_path, data):
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    from saltlab.plots import plot_coverage_histogram, plot_examples

    salt = np.flatnonzero(data.masks.any(axis=(1, 2)))[:6]
    fig = plot_examples(data.images[salt], data.masks[salt],
                        pred_masks=data.masks[salt][:, :, ::-1].astype(float),
                        ncols=3, title="examples", path=tmp_path / "f" / "ex.png")
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 6
    assert (tmp_path / "f" / "ex.png").stat().st_size > 10_000
    floats = from_network_output(to_network_input(data.images[:5], standardize=False))
    fig = plot_examples(floats, data.masks[:5])  # floats in [0, 1]
    assert isinstance(fig, Figure)
    with pytest.raises(ValueError, match="from_network_output"):
        plot_examples(to_network_input(data.images[:5]), data.masks[:5])
    fig = plot_coverage_histogram(data.masks, path=tmp_path / "hist.png")
    assert isinstance(fig, Figure) and (tmp_path / "hist.png").is_file()
    with pytest.raises(ValueError, match="5 images but 4 masks"):
        plot_examples(data.images[:5], data.masks[:4])


def test_standardized_input_has_zero_mean_unit_variance_per_image():
    data = synthesize(6, seed=4)
    x = to_network_input(data.images)
    assert x.dtype == np.float32 and x.shape == (6, 128, 128, 1)
    means, stds = x.mean(axis=(1, 2, 3)), x.std(axis=(1, 2, 3))
    constant = data.images.reshape(6, -1).std(axis=1) == 0
    np.testing.assert_allclose(means, 0.0, atol=1e-5)
    np.testing.assert_allclose(stds[~constant], 1.0, rtol=1e-4)


def test_to_network_at_64_and_back_keeps_the_image_grid():
    from saltlab.data import to_image_grid, to_network

    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (2, 101, 101), dtype=np.uint8)
    masks = np.zeros((2, 101, 101), dtype=np.uint8)
    masks[:, 50:] = 1
    x, y = to_network(images, masks, 64)
    assert x.shape == y.shape == (2, 64, 64, 1) and x.dtype == np.float32
    back = to_image_grid(y)
    assert back.shape == (2, 101, 101)
    # Half-resolution round trip: the mask comes back except near its edge.
    assert np.mean((back >= 0.5) == masks) > 0.97
    x128, y128 = to_network(images, masks, 128)
    np.testing.assert_array_equal(to_image_grid(y128), masks.astype(np.float32))


def test_resize_for_check_shapes_and_standardisation():
    from saltlab.data import resize_for_check, synthesize

    data = synthesize(4, seed=0)
    x, y = resize_for_check(data.images, data.masks, 64)
    assert x.shape == (4, 64, 64, 1) and x.dtype == np.float32
    assert y.shape == (4, 64, 64) and y.dtype == np.uint8 and set(np.unique(y)) <= {0, 1}
    np.testing.assert_allclose(x.mean(axis=(1, 2, 3)), 0.0, rtol=0, atol=1e-5)


def test_network_arrays_split_one_sample_the_same_way_every_time():
    from saltlab.data import network_arrays, synthesize

    saltset = synthesize(30, seed=1)
    first = network_arrays(saltset, n_images=20, val_fraction=0.25, input_size=128, seed=0)
    again = network_arrays(saltset, n_images=20, val_fraction=0.25, input_size=128, seed=0)
    assert first["x_train"].shape == (15, 128, 128, 1) and first["masks_val"].shape == (5, 101, 101)
    for key in first:
        np.testing.assert_array_equal(first[key], again[key])
