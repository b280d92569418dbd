"""Correct metrics with ``np.where``, ``np.logical_*`` and explicit float64 sums."""

import numpy as np


def _binary(name, mask):
    if not np.all(np.where((mask == 0) | (mask == 1), True, False)):
        raise ValueError(f"{name} holds values other than 0 and 1")
    return mask == 1


def precision(y_true, y_pred, *, zero_division=1.0):
    y_true, y_pred = np.asanyarray(y_true), np.asanyarray(y_pred)
    if np.shape(y_true) != np.shape(y_pred):
        raise ValueError(f"shape mismatch {np.shape(y_true)} != {np.shape(y_pred)}")
    truth, predicted = _binary("y_true", y_true), _binary("y_pred", y_pred)
    tp = np.sum(np.logical_and(truth, predicted), dtype=np.float64)
    predicted_count = np.sum(predicted, dtype=np.float64)
    return np.float64(zero_division) if predicted_count == 0 else np.float64(tp / predicted_count)


def recall(y_true, y_pred, *, zero_division=1.0):
    y_true, y_pred = np.asanyarray(y_true), np.asanyarray(y_pred)
    if np.shape(y_true) != np.shape(y_pred):
        raise ValueError(f"shape mismatch {np.shape(y_true)} != {np.shape(y_pred)}")
    truth, predicted = _binary("y_true", y_true), _binary("y_pred", y_pred)
    tp = np.sum(np.logical_and(truth, predicted), dtype=np.float64)
    true_count = np.sum(truth, dtype=np.float64)
    return np.float64(zero_division) if true_count == 0 else np.float64(tp / true_count)
