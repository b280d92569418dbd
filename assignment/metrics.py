# Generated from the reference solution by `make stubs` (python -m saltlab.authoring.stubgen).
# Replace each `raise NotImplementedError(...)` with your code; keep the signatures.
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
    raise NotImplementedError('_confusion_counts: check equal shapes and that every value is 0 or 1, then count with boolean masks')
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
    raise NotImplementedError('precision: TP / (TP + FP) pooled over all elements; zero_division when TP + FP == 0; validate shapes and values first')
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
    raise NotImplementedError('recall: TP / (TP + FN) pooled over all elements; zero_division when TP + FN == 0; validate shapes and values first')
    return float(result)
