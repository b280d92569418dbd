"""Segmentation scores beyond the graded ones: IoU, Dice, the TGS competition metric.

The graded ``precision`` and ``recall`` live in the assignment; these are
provided so reports and experiments can say how good a mask is.
"""

import numpy as np

TGS_IOU_THRESHOLDS = np.arange(0.50, 0.951, 0.05)
"""The competition's 10 IoU thresholds 0.50, 0.55, ..., 0.95."""


def _as_bool_pair(y_true, y_pred):
    truth, pred = np.asarray(y_true, dtype=bool), np.asarray(y_pred, dtype=bool)
    if truth.shape != pred.shape:
        raise ValueError(f"masks of different shapes: y_true {truth.shape}, y_pred {pred.shape}")
    return truth, pred


def iou(y_true, y_pred, *, empty=1.0):
    """Intersection over union of salt pixels, pooled over all elements.

    Parameters
    ----------
    y_true, y_pred : array_like of {0, 1}, same shape (e.g. (N, 101, 101))
    empty : float, optional
        Returned when both masks are empty (the union is 0). Default 1.0.

    Returns
    -------
    iou : float
        |true AND pred| / |true OR pred|.
    """
    truth, pred = _as_bool_pair(y_true, y_pred)
    union = np.count_nonzero(truth | pred)
    return float(empty) if union == 0 else np.count_nonzero(truth & pred) / union


def dice(y_true, y_pred, *, empty=1.0):
    """Dice coefficient 2|A AND B| / (|A| + |B|), pooled over all elements.

    Parameters
    ----------
    y_true, y_pred : array_like of {0, 1}, same shape
    empty : float, optional
        Returned when both masks are empty. Default 1.0.

    Returns
    -------
    dice : float
    """
    truth, pred = _as_bool_pair(y_true, y_pred)
    total = np.count_nonzero(truth) + np.count_nonzero(pred)
    return float(empty) if total == 0 else 2 * np.count_nonzero(truth & pred) / total


def tgs_image_scores(y_true, y_pred):
    """The competition score of each image.

    Parameters
    ----------
    y_true, y_pred : array_like of {0, 1}, shape (N, H, W)

    Returns
    -------
    scores : np.ndarray, float64, shape (N,)
        Per image, the mean over IoU thresholds 0.50, 0.55, ..., 0.95 of
        whether the image's IoU reaches the threshold. An empty true mask
        scores 1 when predicted empty and 0 otherwise.
    """
    truth, pred = _as_bool_pair(y_true, y_pred)
    if truth.ndim != 3:
        raise ValueError(f"expected masks of shape (N, H, W), got {truth.shape}")
    intersection = np.count_nonzero(truth & pred, axis=(1, 2))
    union = np.count_nonzero(truth | pred, axis=(1, 2))
    # Both empty: union 0, counted as a perfect match (IoU 1).
    image_iou = np.where(union == 0, 1.0, intersection / np.maximum(union, 1))
    return (image_iou[:, None] >= TGS_IOU_THRESHOLDS[None, :] - 1e-12).mean(axis=1)


def tgs_competition_metric(y_true, y_pred):
    """The TGS Salt Identification score: the mean of :func:`tgs_image_scores`.

    Parameters
    ----------
    y_true, y_pred : array_like of {0, 1}, shape (N, H, W)

    Returns
    -------
    score : float in [0, 1]
    """
    return float(tgs_image_scores(y_true, y_pred).mean())


def segmentation_report(y_true, y_pred):
    """IoU, Dice and the competition metric of predicted masks, in one dict.

    Parameters
    ----------
    y_true, y_pred : array_like of {0, 1}, shape (N, H, W)

    Returns
    -------
    report : dict of str to float
        ``{"iou", "dice", "tgs_metric"}``.
    """
    return {
        "iou": iou(y_true, y_pred),
        "dice": dice(y_true, y_pred),
        "tgs_metric": tgs_competition_metric(y_true, y_pred),
    }
