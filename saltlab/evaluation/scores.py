"""Scores of predicted salt masks: IoU, Dice, the TGS competition metric, and all five together.

The graded ``precision`` and ``recall`` live in the assignment; IoU, Dice and
the competition metric are provided here so reports and experiments can say
how good a mask is. :func:`evaluate_masks` gathers the five scores a report
shows, with precision and recall taken from an implementation of the graded
functions (:mod:`saltlab.impl`), received as an object.

Masks are compared on the 101x101 image grid (network outputs cropped back
with :func:`saltlab.data.to_image_grid`), so scores never count the mirrored
padding.
"""

import numpy as np

from ..impl import require_implementation

TGS_IOU_THRESHOLDS = np.arange(0.50, 0.951, 0.05)
"""The competition's 10 IoU thresholds 0.50, 0.55, ..., 0.95."""

METRIC_NAMES = ("iou", "dice", "precision", "recall", "tgs_metric")
"""Keys of :func:`evaluate_masks`, in the order reports show them."""

METRIC_LABELS = {"iou": "IoU", "dice": "Dice", "precision": "precision", "recall": "recall", "tgs_metric": "TGS metric"}
"""How tables and figures name each of :data:`METRIC_NAMES`."""


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

    Examples
    --------
    >>> print(iou([1, 1, 0, 0], [1, 0, 1, 0]))  # 1 pixel in both, 3 in either
    0.3333333333333333
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

    Examples
    --------
    >>> print(dice([1, 1, 0, 0], [1, 0, 1, 0]))  # 2 * 1 / (2 + 2)
    0.5
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


def image_counts(y_true, y_pred):
    """Per-image pixel counts from which every pooled score can be re-pooled.

    Parameters
    ----------
    y_true, y_pred : array_like of {0, 1}, shape (N, H, W)

    Returns
    -------
    counts : dict of str to numpy.ndarray, int64, each shape (N,)
        ``truth_pixels`` and ``pred_pixels`` (salt pixels of each mask) and
        ``intersection`` (salt in both). Summed over any subset of images
        they give its pooled IoU, precision and recall
        (:func:`saltlab.evaluation.paired.ratio_counts`).

    Examples
    --------
    >>> counts = image_counts([[[1, 1], [0, 0]]], [[[1, 0], [1, 0]]])
    >>> {k: v.tolist() for k, v in counts.items()}
    {'truth_pixels': [2], 'pred_pixels': [2], 'intersection': [1]}
    """
    truth, pred = _as_bool_pair(y_true, y_pred)
    if truth.ndim != 3:
        raise ValueError(f"expected masks of shape (N, H, W), got {truth.shape}")
    return {
        "truth_pixels": np.count_nonzero(truth, axis=(1, 2)).astype(np.int64),
        "pred_pixels": np.count_nonzero(pred, axis=(1, 2)).astype(np.int64),
        "intersection": np.count_nonzero(truth & pred, axis=(1, 2)).astype(np.int64),
    }


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


def evaluate_masks(y_true, y_pred, *, impl):
    """IoU, Dice, precision, recall and the TGS metric of binary masks.

    Parameters
    ----------
    y_true, y_pred : array_like of {0, 1}, shape (N, 101, 101)
        True and predicted salt masks (any (N, H, W) works).
    impl : saltlab.impl.Implementation
        Whose ``precision`` and ``recall`` to use.

    Returns
    -------
    scores : dict of str to float
        Keys :data:`METRIC_NAMES`; precision and recall pool every pixel of
        the batch (salt is the positive class).
    """
    impl = require_implementation(impl, "evaluate_masks")
    y_true = (np.asarray(y_true) != 0).astype(np.uint8)
    y_pred = (np.asarray(y_pred) != 0).astype(np.uint8)
    return {
        "iou": float(iou(y_true, y_pred)),
        "dice": float(dice(y_true, y_pred)),
        "precision": float(impl.precision(y_true, y_pred)),
        "recall": float(impl.recall(y_true, y_pred)),
        "tgs_metric": float(tgs_competition_metric(y_true, y_pred)),
    }


def evaluate_probabilities(y_true, probabilities, *, impl, threshold=0.5):
    """:func:`evaluate_masks` of ``probabilities >= threshold``.

    Parameters
    ----------
    y_true : array_like of {0, 1}, shape (N, 101, 101)
    probabilities : array_like of float in [0, 1], shape (N, 101, 101)
    impl : saltlab.impl.Implementation
    threshold : float, optional
        A pixel is salt when its probability is at least this (default 0.5).

    Returns
    -------
    scores : dict of str to float
    """
    return evaluate_masks(y_true, np.asarray(probabilities) >= threshold, impl=impl)
