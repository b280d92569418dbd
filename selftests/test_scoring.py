"""IoU, Dice and the TGS competition metric on hand-worked masks (exact ratios)."""

import numpy as np
import pytest

from saltlab.scoring import dice, iou, segmentation_report, tgs_competition_metric, tgs_image_scores


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


def test_report_and_errors():
    masks = np.ones((2, 3, 3))
    assert segmentation_report(masks, masks) == {"iou": 1.0, "dice": 1.0, "tgs_metric": 1.0}
    with pytest.raises(ValueError, match=r"\(2, 3, 3\).*\(3, 3\)"):
        iou(masks, masks[0])
