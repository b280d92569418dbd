"""Correct but unusual metrics: np.float64 results, sums of products, a shared core."""

import numpy as np


def _ratio(y_true, y_pred, which, zero_division):
    a, b = np.asarray(y_true), np.asarray(y_pred)
    if a.shape != b.shape:
        raise ValueError("shape mismatch: {} vs {}".format(a.shape, b.shape))
    if not (np.all((a == 0) | (a == 1)) and np.all((b == 0) | (b == 1))):
        raise ValueError("masks must be binary")
    a, b = a.astype(np.int64), b.astype(np.int64)
    tp = np.sum(a * b)
    denominator = np.sum(b) if which == "precision" else np.sum(a)
    return np.float64(zero_division) if denominator == 0 else np.float64(tp) / denominator


def precision(y_true, y_pred, *, zero_division=1.0):
    return _ratio(y_true, y_pred, "precision", zero_division)


def recall(y_true, y_pred, *, zero_division=1.0):
    return _ratio(y_true, y_pred, "recall", zero_division)
