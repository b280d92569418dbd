"""Correct metrics written with plain Python loops over the flattened masks."""

import numpy as np


def _count(y_true, y_pred):
    y_true = np.array(y_true)  # np.array copies: the caller's masks are never touched
    y_pred = np.array(y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError("shapes differ: " + str(y_true.shape) + " and " + str(y_pred.shape))
    tp = fp = fn = 0
    for t, p in zip(y_true.flatten().tolist(), y_pred.flatten().tolist()):
        if t not in (0, 1) or p not in (0, 1):
            raise ValueError("not a binary mask value: " + repr((t, p)))
        if t == 1 and p == 1:
            tp += 1
        elif p == 1:
            fp += 1
        elif t == 1:
            fn += 1
    return tp, fp, fn


def precision(y_true, y_pred, *, zero_division=1.0):
    tp, fp, fn = _count(y_true, y_pred)
    if tp + fp == 0:
        return float(zero_division)
    return tp / (tp + fp)


def recall(y_true, y_pred, *, zero_division=1.0):
    tp, fp, fn = _count(y_true, y_pred)
    if tp + fn == 0:
        return float(zero_division)
    return tp / (tp + fn)
