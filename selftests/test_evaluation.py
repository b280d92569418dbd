"""Evaluation: IoU, Dice and the TGS metric on hand-worked masks, the curve, the threshold, the clean-up."""

import numpy as np
import pytest

from saltlab.evaluation import (
    METRIC_NAMES,
    THRESHOLD_GRID,
    best_tgs_threshold,
    clean_masks,
    dice,
    evaluate_masks,
    iou,
    precision_recall_curve,
    tgs_competition_metric,
    tgs_image_scores,
)


def test_iou_and_dice_hand_worked():
    truth = np.array([[1, 1, 0, 0]])
    pred = np.array([[1, 0, 1, 0]])  # intersection 1, union 3, sizes 2 + 2
    assert iou(truth, pred) == 1 / 3
    assert dice(truth, pred) == 2 * 1 / 4
    assert iou(np.zeros(3), np.zeros(3)) == 1.0 and dice(np.zeros(3), np.zeros(3)) == 1.0


def test_tgs_metric_per_image():
    empty = np.zeros((1, 4, 4), dtype=np.uint8)
    salt = np.zeros((1, 4, 4), dtype=np.uint8)
    salt[0, :2, :] = 1  # 8 pixels
    half = salt.copy()
    half[0, 1, :] = 0  # 4 of the 8: IoU 0.5 -> reaches only the 0.50 threshold -> 1/10
    three_quarters = salt.copy()
    three_quarters[0, 1, :2] = 0  # 6 of 8: IoU 0.75 -> thresholds 0.50..0.75 -> 6/10
    assert tgs_image_scores(empty, empty).tolist() == [1.0]
    assert tgs_image_scores(empty, salt).tolist() == [0.0]
    assert tgs_image_scores(salt, empty).tolist() == [0.0]
    assert tgs_image_scores(salt, half).tolist() == [pytest.approx(0.1, abs=1e-12)]
    assert tgs_image_scores(salt, three_quarters).tolist() == [pytest.approx(0.6, abs=1e-12)]
    both = np.concatenate([empty, salt])
    assert tgs_competition_metric(both, np.concatenate([empty, three_quarters])) == pytest.approx(0.8, abs=1e-12)


def test_evaluate_masks_gathers_the_five_scores(reference):
    masks = np.ones((2, 3, 3))
    assert evaluate_masks(masks, masks, impl=reference) == dict.fromkeys(METRIC_NAMES, 1.0)
    with pytest.raises(TypeError, match="impl must be an Implementation"):
        evaluate_masks(masks, masks, impl="solutions")
    with pytest.raises(ValueError, match=r"\(2, 3, 3\).*\(3, 3\)"):
        iou(masks, masks[0])


def test_precision_recall_curve_matches_direct_counts(reference):
    rng = np.random.default_rng(1)
    truth = rng.integers(0, 2, (3, 20, 20))
    probs = np.clip(truth * 0.6 + rng.random((3, 20, 20)) * 0.5, 0, 1)
    curve = precision_recall_curve(truth, probs)
    for k in (0, 30, 49, 70, 98):
        t = curve["threshold"][k]
        pred = (probs >= t).astype(int)
        # Expected values: the reference's graded precision and recall at the same threshold.
        np.testing.assert_allclose(curve["precision"][k], reference.precision(truth, pred), rtol=0, atol=1e-12)
        np.testing.assert_allclose(curve["recall"][k], reference.recall(truth, pred), rtol=0, atol=1e-12)


def test_clean_masks_removes_specks_and_fills_holes():
    mask = np.zeros((1, 30, 30), dtype=np.uint8)
    mask[0, 5:25, 5:25] = 1
    mask[0, 10, 10] = 0
    mask[0, 0, 29] = 1
    cleaned = clean_masks(mask, min_object=5, max_hole=5)
    assert cleaned.dtype == np.uint8
    assert cleaned[0, 10, 10] == 1 and cleaned[0, 0, 29] == 0
    assert cleaned.sum() == 400


def test_threshold_grid_is_the_contracts(reference):
    # The reference's default grid (what find_best_threshold searches when thresholds=None).
    assert THRESHOLD_GRID == reference.modules["threshold"].DEFAULT_THRESHOLDS
    np.testing.assert_array_equal(THRESHOLD_GRID, np.round(np.arange(1, 20) * 0.05, 2))


def test_best_tgs_threshold_is_a_true_optimum_of_the_grid():
    rng = np.random.default_rng(3)
    truth = (rng.random((6, 12, 12)) < 0.4).astype(np.uint8)
    truth[0] = 0  # an empty image: all or nothing in the competition metric
    probs = np.clip(truth * 0.5 + rng.random(truth.shape) * 0.6, 0, 1)
    threshold, score = best_tgs_threshold(truth, probs)
    scores = [tgs_competition_metric(truth, probs >= t) for t in THRESHOLD_GRID]
    assert threshold in THRESHOLD_GRID and score == max(scores)
    assert threshold == THRESHOLD_GRID[scores.index(max(scores))]  # ties: the lowest threshold
