"""The synthetic generator: determinism, the real set's statistics, looks."""

import hashlib
import re
import time

import numpy as np
import pytest

from saltlab.data import (
    DEFAULT_DIFFICULTY,
    MARKER,
    generate_dataset,
    load_dataset,
    synthesize,
)
from saltlab.data.synthetic import DEFAULT_LEVEL, coverage_quantile

# sha256 of ids, images, masks and depths of synthesize(n, seed=seed,
# level="easy"), computed with the generator as it was before the calibrated
# level existed (commit fe6ff99): the grader's training checks
# (training_checks.check_data: 480 images, seed 0; training_feedback.showcase:
# 24 images, seed 20260) must keep training on exactly those arrays.
EASY_SHA256 = {
    (40, 3): "8c87da76d07f774770841310a30a78f819e6c742b358fe6f6ae394c772b5c027",
    (24, 20260): "16a89c0f319112143b72974b89b2ea00f18ef7bbac1b47a14ce4e90723ba6fd1",
    (480, 0): "13cf5c6385c446cc9f603193aebce107b33f7a84f52e409fa9e8a09613f322be",
}


def _sha256(data):
    digest = hashlib.sha256()
    digest.update("".join(data.ids).encode())
    for array in (data.images, data.masks, data.depths):
        digest.update(array.tobytes())
    return digest.hexdigest()


@pytest.mark.parametrize("n, seed", sorted(EASY_SHA256))
def test_easy_level_is_the_pre_calibration_generator(n, seed):
    assert _sha256(synthesize(n, seed=seed, level="easy")) == EASY_SHA256[n, seed]


# sha256 of synthesize(40, seed=3) at the default level, per version of its
# generator (saltlab.data.synthetic.LEVEL_VERSIONS): a change of the tgs
# level's output must raise its version, so that data/synthetic folders made
# by the older generator are regenerated, and record its new sha here.
TGS_SHA256 = {2: "950d2c23756783ccf01cc7d90011c0847d255811d2eaaa93472df67a7b3811ad"}


def test_a_change_of_the_default_level_raises_its_version():
    from saltlab.data.synthetic import LEVEL_VERSIONS

    version = LEVEL_VERSIONS[DEFAULT_LEVEL]
    assert version in TGS_SHA256, f"record the sha256 of tgs version {version} in TGS_SHA256"
    assert _sha256(synthesize(40, seed=3)) == TGS_SHA256[version], (
        "the tgs level's output changed: raise LEVEL_VERSIONS['tgs'] and record the new sha256")


def test_grader_checks_train_on_the_easy_level():
    from saltlab.checks.training_checks import SIZE, check_data
    from saltlab.checks.training_feedback import SHOWCASE_SEED, showcase
    from saltlab.data import resize_for_check

    easy = synthesize(480, seed=0, level="easy")
    images, masks = check_data(480, 0)
    expected_images, expected_masks = resize_for_check(easy.images, easy.masks, SIZE)
    assert np.array_equal(images, expected_images) and np.array_equal(masks, expected_masks)
    shown = synthesize(24, seed=SHOWCASE_SEED, level="easy")
    assert _sha256(shown) == EASY_SHA256[24, SHOWCASE_SEED]
    x, shown_masks = showcase(SIZE)
    expected_x, expected_masks = resize_for_check(shown.images, shown.masks, SIZE)
    match = [i for i in range(24) if np.array_equal(expected_masks[i], shown_masks[0])]
    assert match and np.array_equal(expected_x[match[0]], x[0])  # the figure's images are the easy ones


def test_levels_share_geometry_not_pixels():
    tgs, easy = synthesize(30, seed=4), synthesize(30, seed=4, level="easy")
    assert DEFAULT_LEVEL == "tgs"
    assert tgs.ids == easy.ids and np.array_equal(tgs.depths, easy.depths)
    assert np.array_equal(tgs.masks, easy.masks)
    assert not np.array_equal(tgs.images, easy.images)
    with pytest.raises(ValueError, match="level must be one of .*'hard'"):
        synthesize(5, level="hard")


@pytest.fixture(scope="module")
def default_set(tmp_path_factory):
    """The 4000-image default set, generated once, written and loaded back."""
    folder = tmp_path_factory.mktemp("synthetic") / "set"
    # CPU time of this process, not wall time: the machine is shared (another
    # engineer's trainings on the same 2 cores once pushed the wall time past 30 s).
    start = time.process_time()
    generate_dataset(folder, n=4000, seed=0)
    took = time.process_time() - start
    return folder, load_dataset(folder), took


def _files(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_same_seed_gives_byte_identical_files(tmp_path):
    generate_dataset(tmp_path / "a", n=60, seed=11)
    generate_dataset(tmp_path / "b", n=60, seed=11)
    a, b = _files(tmp_path / "a"), _files(tmp_path / "b")
    assert len(a) == 2 * 60 + 3  # images, masks, depths.csv, train.csv, marker
    assert a == b


def test_different_seed_gives_different_data(tmp_path):
    one, two = synthesize(40, seed=1), synthesize(40, seed=2)
    assert set(one.ids).isdisjoint(two.ids)
    assert not np.array_equal(one.images, two.images)
    assert not np.array_equal(one.masks, two.masks)


def test_in_memory_api_shapes_and_ids():
    data = synthesize(50, seed=3)
    assert data.images.shape == data.masks.shape == (50, 101, 101)
    assert data.images.dtype == data.masks.dtype == np.uint8
    assert set(np.unique(data.masks)) <= {0, 1}
    assert data.depths.shape == (50,) and data.depths.dtype.kind == "i"
    assert data.depths.min() >= 50 and data.depths.max() <= 959
    assert data.ids == sorted(data.ids) and len(set(data.ids)) == 50
    assert all(re.fullmatch(r"[0-9a-f]{10}", i) for i in data.ids)
    assert data.skipped == []


def test_synthesize_600_is_fast():
    synthesize(10, seed=0)  # imports, first allocations
    start = time.process_time()  # CPU time: insensitive to other work on the machine
    synthesize(600, seed=5)
    assert time.process_time() - start < 4.0  # about 1 s on 2 cores


def test_generation_of_4000_is_fast(default_set):
    _, _, took = default_set
    assert took < 30.0  # about 8 s including the PNG writes


def test_difficulty_knob():
    easy = synthesize(30, seed=4, difficulty=0.0)
    hard = synthesize(30, seed=4, difficulty=1.0)
    assert np.array_equal(easy.masks, hard.masks)  # same geometry, other noise
    # Noise and blur lower the pixel-to-pixel correlation of the texture...
    def roughness(images):
        d = np.diff(images.astype(float), axis=2)
        return np.median(d.std(axis=(1, 2)) / (images.std(axis=(1, 2)) + 1e-9))
    assert roughness(hard.images) != roughness(easy.images)
    assert 0.0 <= DEFAULT_DIFFICULTY <= 1.0
    for bad in (-0.1, 1.5):
        with pytest.raises(ValueError, match="difficulty"):
            synthesize(5, difficulty=bad)


def test_coverage_quantile_matches_targets():
    u = (np.arange(100_000) + 0.5) / 100_000
    q = coverage_quantile(u)
    assert q.mean() == pytest.approx(0.41, abs=0.005)
    assert np.median(q) == pytest.approx(0.36, abs=0.005)
    assert np.percentile(q, 10) == pytest.approx(0.02, abs=0.005)
    assert np.percentile(q, 90) == pytest.approx(0.90, abs=0.005)
    assert q.max() < 1.0


def test_statistics_of_the_default_set(default_set):
    folder, data, _ = default_set
    assert (folder / MARKER).is_file()
    assert len(data) == 4000
    cover = data.coverage
    nonempty = cover[cover > 0]
    assert (cover == 0).mean() == pytest.approx(0.39, abs=0.03)
    assert cover.mean() == pytest.approx(0.25, abs=0.03)
    assert nonempty.mean() == pytest.approx(0.41, abs=0.04)
    assert np.median(nonempty) == pytest.approx(0.36, abs=0.05)
    assert np.percentile(nonempty, 10) <= 0.05
    assert np.percentile(nonempty, 90) == pytest.approx(0.90, abs=0.05)
    assert cover.max() < 1.0
    # Extra mass below 0.1 in an otherwise fairly flat histogram.
    hist = np.histogram(nonempty, bins=10, range=(0, 1))[0] / nonempty.size
    assert hist[0] > hist[1:].max()
    assert hist[1:].min() > 0.03
    flat = data.images.reshape(len(data), -1)
    constant = flat.min(axis=1) == flat.max(axis=1)
    assert constant.mean() == pytest.approx(0.02, abs=0.01)
    assert (cover[constant] == 0).all()
    assert np.median(flat.std(axis=1)) == pytest.approx(28, abs=5)


def _salt_contrasts(data):
    """Medians of the salt's local detail inside/outside and top edge/interior amplitude."""
    big = np.flatnonzero((data.coverage > 0.3) & (data.coverage < 0.7))[:200]
    inside, outside, top, interior = [], [], [], []
    for k in big:
        image, mask = data.images[k].astype(float), data.masks[k].astype(bool)
        # Local contrast: absolute vertical second difference.
        detail = np.abs(np.diff(image, 2, axis=0))
        m = mask[1:-1]
        # Amplitude (deviation from the image mean) at the salt's top edge.
        edge = mask & ~np.roll(mask, 1, axis=0)
        edge[0] = False
        if edge.sum() < 20:
            continue  # salt entering from the top: no top-of-salt reflector
        dev = np.abs(image - image.mean())
        inside.append(detail[m].mean())
        outside.append(detail[~m].mean())
        top.append(dev[edge].mean())
        interior.append(dev[mask & ~edge].mean())
    assert len(top) > 50
    return np.median(inside) / np.median(outside), np.median(top) / np.median(interior)


def test_easy_salt_is_easy_to_see():
    """Easy level: a weak chaotic interior, a strong reflection at the top of salt."""
    detail, top = _salt_contrasts(synthesize(1000, seed=0, level="easy"))
    assert detail < 0.7
    assert top > 1.5


def test_calibrated_salt_is_hard_to_see(default_set):
    """Default level: the interior as textured as the sediments, a faint top of salt."""
    detail, top = _salt_contrasts(default_set[1])
    assert 0.75 < detail < 1.3
    assert top < 1.3


def test_sediments_are_layered():
    """Traces oscillate along depth (wavelet) and are continuous across x."""
    data = synthesize(100, seed=8, difficulty=0.3)
    empty = [k for k in range(100) if not data.masks[k].any()
             and data.images[k].std() > 0]
    lateral, vertical = [], []
    for k in empty:
        img = data.images[k].astype(float) - data.images[k].mean()
        lateral.append(np.corrcoef(img[:, :-1].ravel(), img[:, 1:].ravel())[0, 1])
        vertical.append(np.corrcoef(img[:-4].ravel(), img[4:].ravel())[0, 1])
    assert np.median(lateral) > 0.8  # layers run across the section
    assert np.median(vertical) < 0.5  # but alternate down it
