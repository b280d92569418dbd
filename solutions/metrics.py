"""Precision and recall of salt pixels.

Salt is the positive class: a pixel is a true positive when it is salt in
both the ground-truth mask and the prediction. Counts are pooled over every
element of the arrays, so a batch of masks counts as one big mask.
"""

import numpy as np


def _confusion_counts(y_true, y_pred):
    """Validate two binary masks and count TP, FP and FN over all elements.

    Parameters
    ----------
    y_true, y_pred : array_like, same shape (any, e.g. (N, H, W))
        Binary masks holding only 0 and 1 (bool, integer or float dtype).

    Returns
    -------
    tp, fp, fn : int
        Elements that are 1 in both, 1 in ``y_pred`` only, 1 in ``y_true`` only.

    Raises
    ------
    ValueError
        If the shapes differ (naming both) or a value is not 0 or 1.
    """
    y_true = np.asarray(y_true)
    y_pred = np.asarray(y_pred)
    ### BEGIN SOLUTION: check equal shapes and that every value is 0 or 1, then count with boolean masks
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true has shape {y_true.shape} but y_pred has shape {y_pred.shape}")
    for label, mask in (("y_true", y_true), ("y_pred", y_pred)):
        if not np.isin(mask, (0, 1)).all():
            bad = mask[~np.isin(mask, (0, 1))].flat[0]
            raise ValueError(f"{label} must hold only 0 and 1, found {bad!r}")
    truth = y_true.astype(bool)
    predicted = y_pred.astype(bool)
    tp = int(np.count_nonzero(truth & predicted))
    fp = int(np.count_nonzero(~truth & predicted))
    fn = int(np.count_nonzero(truth & ~predicted))
    ### END SOLUTION
    return tp, fp, fn


def precision(y_true, y_pred, *, zero_division=1.0):
    """Fraction of the pixels predicted salt that are salt: TP / (TP + FP).

    Parameters
    ----------
    y_true : array_like of {0, 1}, shape (...)
        Ground-truth mask(s); bool, integer or float dtype.
    y_pred : array_like of {0, 1}, same shape as ``y_true``
        Predicted mask(s).
    zero_division : float, optional
        Returned when nothing is predicted salt (TP + FP = 0). Default 1.0.

    Returns
    -------
    precision : float
        A Python float in [0, 1], or ``zero_division``.

    Raises
    ------
    ValueError
        If the shapes differ (naming both) or a value is not 0 or 1.

    Examples
    --------
    >>> precision([1, 1, 0, 0], [1, 0, 1, 0])
    0.5
    """
    ### BEGIN SOLUTION: TP / (TP + FP) pooled over all elements; zero_division when TP + FP == 0; validate shapes and values first
    tp, fp, _ = _confusion_counts(y_true, y_pred)
    if tp + fp == 0:
        return float(zero_division)
    result = tp / (tp + fp)
    ### END SOLUTION
    return float(result)


def recall(y_true, y_pred, *, zero_division=1.0):
    """Fraction of the salt pixels that are predicted salt: TP / (TP + FN).

    Parameters
    ----------
    y_true : array_like of {0, 1}, shape (...)
        Ground-truth mask(s); bool, integer or float dtype.
    y_pred : array_like of {0, 1}, same shape as ``y_true``
        Predicted mask(s).
    zero_division : float, optional
        Returned when there is no salt at all (TP + FN = 0). Default 1.0.

    Returns
    -------
    recall : float
        A Python float in [0, 1], or ``zero_division``.

    Raises
    ------
    ValueError
        If the shapes differ (naming both) or a value is not 0 or 1.

    Examples
    --------
    >>> recall([1, 1, 0, 0], [1, 0, 1, 0])
    0.5
    """
    ### BEGIN SOLUTION: TP / (TP + FN) pooled over all elements; zero_division when TP + FN == 0; validate shapes and values first
    tp, _, fn = _confusion_counts(y_true, y_pred)
    if tp + fn == 0:
        return float(zero_division)
    result = tp / (tp + fn)
    ### END SOLUTION
    return float(result)
