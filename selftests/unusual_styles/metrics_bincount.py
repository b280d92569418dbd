"""Correct metrics counted with ``np.bincount``: one pass gives TN, FN, FP, TP."""

import numpy as np


def _counts(y_true, y_pred):
    t = np.asarray(y_true)
    p = np.asarray(y_pred)
    if t.shape != p.shape:
        raise ValueError(f"y_true {t.shape} and y_pred {p.shape} differ")
    for mask in (t, p):
        if mask.size and not np.isin(np.unique(mask), [0, 1]).all():
            raise ValueError(f"masks must be binary, found {np.unique(mask)}")
    # code = 2 * truth + prediction: 0 = TN, 1 = FP, 2 = FN, 3 = TP
    codes = 2 * t.astype(np.int64).ravel() + p.astype(np.int64).ravel()
    tn, fp, fn, tp = np.bincount(codes, minlength=4)
    return tp, fp, fn


def precision(y_true, y_pred, *, zero_division=1.0):
    tp, fp, _ = _counts(y_true, y_pred)
    return float(zero_division) if tp + fp == 0 else float(tp / (tp + fp))


def recall(y_true, y_pred, *, zero_division=1.0):
    tp, _, fn = _counts(y_true, y_pred)
    return float(zero_division) if tp + fn == 0 else float(tp / (tp + fn))
