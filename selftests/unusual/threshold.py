"""Correct but unusual threshold search: vectorised, argmax over a sorted grid."""

import numpy as np

from .metrics import precision, recall


def find_best_threshold(y_true, y_prob, *, thresholds=None, metric="f1"):
    y_true, y_prob = np.asarray(y_true), np.asarray(y_prob)
    if metric not in {"f1", "iou"}:
        raise ValueError(metric)
    if np.shape(y_true) != np.shape(y_prob):
        raise ValueError("shapes")
    if not np.all((y_true == 0) | (y_true == 1)):
        raise ValueError("y_true must be binary")
    grid = np.sort(np.arange(0.05, 0.951, 0.05) if thresholds is None else np.asarray(thresholds, float))
    if grid.size == 0:
        raise ValueError("no thresholds")
    scores = []
    for t in grid:
        predicted = y_prob >= t
        if metric == "f1":
            p, r = precision(y_true, predicted), recall(y_true, predicted)
            scores.append(2 * p * r / (p + r) if p + r > 0 else 0.0)
        else:
            truth = y_true == 1
            union = np.logical_or(truth, predicted).sum()
            scores.append(np.logical_and(truth, predicted).sum() / union if union else 1.0)
    best = int(np.argmax(scores))  # argmax returns the first maximum: the lowest threshold
    return float(grid[best]), float(scores[best])
