"""Correct threshold search as a sorted sweep: sort the probabilities once, count with cumsum.

F1 is written 2TP / (2TP + FP + FN), which SPEC.md's Clarifications accept
(it equals 2PR / (P + R) up to rounding; scores within 1e-12 are ties).
"""

import numpy as np


def find_best_threshold(y_true, y_prob, *, thresholds=None, metric="f1"):
    if metric not in ("f1", "iou"):
        raise ValueError(f"metric must be 'f1' or 'iou', got {metric!r}")
    truth = np.asarray(y_true)
    prob = np.asarray(y_prob, dtype=np.float64)
    if truth.shape != prob.shape:
        raise ValueError(f"shapes differ: {truth.shape} vs {prob.shape}")
    if not np.isin(truth, (0, 1)).all():
        raise ValueError("y_true must be binary")
    grid = np.round(np.arange(1, 20) * 0.05, 2) if thresholds is None else np.asarray(thresholds, dtype=np.float64)
    if grid.size == 0:
        raise ValueError("thresholds is empty")
    grid = np.sort(grid.ravel())
    order = np.argsort(prob, axis=None)
    sorted_prob = prob.ravel()[order]
    sorted_truth = truth.ravel()[order].astype(np.int64)
    # salt_above[i] = number of salt pixels among sorted positions i..end
    salt_above = np.concatenate([np.cumsum(sorted_truth[::-1])[::-1], [0]])
    total_salt = int(sorted_truth.sum())
    first = np.searchsorted(sorted_prob, grid, side="left")  # first index with prob >= t
    tp = salt_above[first]
    predicted = prob.size - first
    fp = predicted - tp
    fn = total_salt - tp
    if metric == "f1":
        denominator = 2 * tp + fp + fn
        scores = np.where(denominator == 0, 1.0, 2 * tp / np.maximum(denominator, 1))
    else:
        denominator = tp + fp + fn
        scores = np.where(denominator == 0, 1.0, tp / np.maximum(denominator, 1))
    best = int(np.flatnonzero(scores >= scores.max() - 1e-12)[0])  # sorted grid: the lowest of ties
    return float(grid[best]), float(scores[best])
