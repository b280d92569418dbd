"""Choosing the decision threshold that turns salt probabilities into a mask."""

import numpy as np

from .metrics import precision, recall

DEFAULT_THRESHOLDS = tuple(round(0.05 * k, 2) for k in range(1, 20))
"""The 19 candidates 0.05, 0.10, ..., 0.95 used when ``thresholds`` is None."""

METRICS = ("f1", "iou")


def find_best_threshold(y_true, y_prob, *, thresholds=None, metric="f1"):
    """Grid-search the threshold ``t`` (salt where ``y_prob >= t``) scoring best.

    Parameters
    ----------
    y_true : array_like of {0, 1}, shape (...)
        Ground-truth mask(s), e.g. (N, 101, 101).
    y_prob : array_like of float in [0, 1], same shape as ``y_true``
        Predicted salt probabilities.
    thresholds : sequence of float, optional
        1-D candidates; ``None`` means ``DEFAULT_THRESHOLDS`` (0.05 ... 0.95).
    metric : {'f1', 'iou'}, optional
        ``'f1'``: 2PR / (P + R) with :func:`precision` and :func:`recall`
        (zero_division 1.0), 0 when P + R = 0.
        ``'iou'``: TP / (TP + FP + FN) pooled over all pixels, 1.0 when the
        denominator is 0.

    Returns
    -------
    best_threshold : float
        The candidate with the highest score; ties go to the lowest threshold.
    best_score : float
        Its score.

    Raises
    ------
    ValueError
        For an unknown metric, empty ``thresholds``, shapes that differ, or a
        ``y_true`` holding a value other than 0 and 1.

    Examples
    --------
    >>> find_best_threshold([0, 1, 1], [0.2, 0.6, 0.9], thresholds=[0.1, 0.5, 0.95])
    (0.5, 1.0)
    """
    y_true = np.asarray(y_true)
    y_prob = np.asarray(y_prob, dtype=float)
    ### BEGIN SOLUTION: validate metric, thresholds and shapes; score every candidate with (y_prob >= t); keep the first maximum (lowest threshold wins ties)
    if metric not in METRICS:
        raise ValueError(f"find_best_threshold: metric must be one of {list(METRICS)}, got {metric!r}")
    if y_true.shape != y_prob.shape:
        raise ValueError(f"y_true has shape {y_true.shape} but y_prob has shape {y_prob.shape}")
    # F1 would refuse a non-binary mask through precision(); IoU counts it itself, so check here.
    if not np.isin(y_true, (0, 1)).all():
        raise ValueError("find_best_threshold: y_true must hold only 0 and 1")
    candidates = DEFAULT_THRESHOLDS if thresholds is None else np.asarray(thresholds, dtype=float).ravel()
    if len(candidates) == 0:
        raise ValueError("find_best_threshold: thresholds is empty, give at least one candidate")

    def score(predicted):
        if metric == "f1":
            p, r = precision(y_true, predicted), recall(y_true, predicted)
            return 0.0 if p + r == 0 else 2 * p * r / (p + r)
        truth, hit = y_true.astype(bool), predicted.astype(bool)
        union = np.count_nonzero(truth | hit)
        return 1.0 if union == 0 else np.count_nonzero(truth & hit) / union

    best_threshold, best_score = None, -np.inf
    # Ascending order, strict '>': among equal scores the lowest threshold wins.
    for t in sorted(float(c) for c in candidates):
        s = score((y_prob >= t).astype(np.uint8))
        if s > best_score:
            best_threshold, best_score = t, s
    ### END SOLUTION
    return float(best_threshold), float(best_score)
