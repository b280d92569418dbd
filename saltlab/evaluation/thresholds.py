"""The decision threshold: precision-recall curves and the choice of the threshold.

Everything here works on the 101x101 image grid, like :mod:`.scores`. The
graded threshold search (``find_best_threshold``) comes from an
implementation of the graded functions (:mod:`saltlab.impl`), received as an
object: the reference for the demo and the experiments, the student's own in
the notebooks.

>>> THRESHOLD_GRID[:3], THRESHOLD_GRID[-1], len(THRESHOLD_GRID)
((0.05, 0.1, 0.15), 0.95, 19)
"""

import numpy as np

from ..impl import require_implementation
from .scores import evaluate_probabilities, tgs_image_scores

THRESHOLD_GRID = tuple(round(0.05 * k, 2) for k in range(1, 20))
"""The 19 candidate thresholds 0.05, 0.10, ..., 0.95 of the contract (``SPEC.md``),
where ``find_best_threshold(..., thresholds=None)`` searches."""

CURVE_THRESHOLDS = np.round(np.linspace(0.01, 0.99, 99), 2)
"""Thresholds of the precision-recall curve (a finer grid than the search's 19)."""


def precision_recall_curve(y_true, probabilities, *, thresholds=CURVE_THRESHOLDS):
    """Pooled precision, recall, F1 and IoU of salt pixels at each threshold.

    Parameters
    ----------
    y_true : array_like of {0, 1}, shape (N, H, W)
    probabilities : array_like of float in [0, 1], same shape
    thresholds : 1-D array_like of float, increasing, optional
        Default :data:`CURVE_THRESHOLDS` (0.01, 0.02, ..., 0.99).

    Returns
    -------
    curve : dict of str to numpy.ndarray, each shape (T,)
        ``threshold``, ``precision``, ``recall``, ``f1``, ``iou``. Precision
        is 1 where nothing is predicted salt, like the graded ``precision``.

    Notes
    -----
    One histogram per class instead of T comparisons over all pixels: the
    pixels with probability >= t are the histogram bins from t upwards, so the
    whole curve costs two passes over the data.

    Examples
    --------
    >>> curve = precision_recall_curve([0, 1, 1, 0], [0.1, 0.4, 0.8, 0.6], thresholds=[0.3, 0.5, 0.7])
    >>> curve["precision"].tolist(), curve["recall"].tolist()
    ([0.6666666666666666, 0.5, 1.0], [1.0, 0.5, 0.5])
    """
    truth = np.asarray(y_true).astype(bool).ravel()
    probs = np.asarray(probabilities, dtype=np.float64).ravel()
    if truth.shape != probs.shape:
        raise ValueError(f"y_true has {truth.size} elements but probabilities has {probs.size}")
    thresholds = np.asarray(thresholds, dtype=np.float64)
    if thresholds.ndim != 1 or thresholds.size == 0 or np.any(np.diff(thresholds) <= 0):
        raise ValueError(f"thresholds must be a non-empty increasing 1-D sequence, got {thresholds!r}")
    edges = np.concatenate([[-np.inf], thresholds, [np.inf]])
    pos = np.histogram(probs[truth], bins=edges)[0]
    neg = np.histogram(probs[~truth], bins=edges)[0]
    # Bin k+1 holds probabilities in [t_k, t_{k+1}): reverse cumulative sums count p >= t_k.
    tp = np.cumsum(pos[::-1])[::-1][1:].astype(np.float64)
    fp = np.cumsum(neg[::-1])[::-1][1:].astype(np.float64)
    fn = truth.sum() - tp
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(tp + fp > 0, tp / (tp + fp), 1.0)
        recall = np.where(tp + fn > 0, tp / (tp + fn), 1.0)
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
        jaccard = np.where(tp + fp + fn > 0, tp / (tp + fp + fn), 1.0)
    return {"threshold": thresholds, "precision": precision, "recall": recall, "f1": f1, "iou": jaccard}


def best_tgs_threshold(y_true, probabilities, *, thresholds=None):
    """The threshold that maximises the competition metric (a per-image score).

    Parameters
    ----------
    y_true : array_like of {0, 1}, shape (N, H, W)
    probabilities : array_like of float, shape (N, H, W)
    thresholds : 1-D array_like, optional
        Default :data:`THRESHOLD_GRID`, the 19 values 0.05, ..., 0.95 of ``find_best_threshold``.

    Returns
    -------
    threshold, score : float, float
        Ties go to the lowest threshold.
    """
    if thresholds is None:
        thresholds = THRESHOLD_GRID
    truth = np.asarray(y_true).astype(bool)
    probabilities = np.asarray(probabilities)
    scores = [float(tgs_image_scores(truth, probabilities >= t).mean()) for t in thresholds]
    best = int(np.argmax(scores))
    return float(thresholds[best]), scores[best]


def threshold_analysis(y_true, probabilities, *, impl):
    """Question 4's evidence: the curve, the best thresholds and their scores.

    Parameters
    ----------
    y_true : array_like of {0, 1}, shape (N, 101, 101)
        Validation masks.
    probabilities : array_like of float, shape (N, 101, 101)
        Validation probabilities on the image grid.
    impl : saltlab.impl.Implementation
        Whose ``find_best_threshold``, ``precision`` and ``recall`` to use.

    Returns
    -------
    analysis : dict
        ``curve`` (see :func:`precision_recall_curve`); ``thresholds``: a dict
        ``{"0.5": 0.5, "best F1": t, "best IoU": t, "best TGS metric": t}``;
        ``scores``: the same keys mapped to :func:`~.scores.evaluate_masks` dicts.

    Notes
    -----
    Pooled F1 equals pooled Dice, and Dice = 2 IoU / (1 + IoU) grows with
    IoU, so the best threshold by F1 and by IoU are the same up to ties: a
    fact worth discovering, not a bug. The competition metric scores images
    one by one (an empty image is all or nothing), so its best threshold can
    differ.
    """
    impl = require_implementation(impl, "threshold_analysis")
    y_true = (np.asarray(y_true) != 0).astype(np.uint8)
    probabilities = np.asarray(probabilities, dtype=np.float32)
    best_f1, _ = impl.find_best_threshold(y_true, probabilities, metric="f1")
    best_iou, _ = impl.find_best_threshold(y_true, probabilities, metric="iou")
    best_tgs, _ = best_tgs_threshold(y_true, probabilities)
    thresholds = {"0.5": 0.5, "best F1": float(best_f1), "best IoU": float(best_iou), "best TGS metric": best_tgs}
    scores = {
        name: evaluate_probabilities(y_true, probabilities, impl=impl, threshold=t) for name, t in thresholds.items()
    }
    return {"curve": precision_recall_curve(y_true, probabilities), "thresholds": thresholds, "scores": scores}
