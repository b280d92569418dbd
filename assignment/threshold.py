# Generated from the reference solution by `make stubs` (python -m saltlab.authoring.stubgen).
# Replace each `raise NotImplementedError(...)` with your code; keep the signatures.
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
    raise NotImplementedError('find_best_threshold: validate metric, thresholds and shapes; score every candidate with (y_prob >= t); keep the first maximum (lowest threshold wins ties)')
    return float(best_threshold), float(best_score)
