"""Correct threshold search: a loop from the highest candidate down, keeping ties (>=) so the lowest wins."""

import numpy as np

from .metrics import precision, recall


def find_best_threshold(y_true, y_prob, *, thresholds=None, metric="f1"):
    y_true = np.array(y_true)
    y_prob = np.array(y_prob, dtype=float)
    if y_true.shape != y_prob.shape:
        raise ValueError("y_true and y_prob have different shapes: %s, %s" % (y_true.shape, y_prob.shape))
    if metric != "f1" and metric != "iou":
        raise ValueError("unknown metric " + repr(metric))
    if ((y_true != 0) & (y_true != 1)).any():
        raise ValueError("y_true is not a binary mask")
    if thresholds is None:
        thresholds = [round(0.05 * k, 2) for k in range(1, 20)]
    thresholds = [float(t) for t in thresholds]
    if len(thresholds) == 0:
        raise ValueError("no thresholds to try")
    best_t, best_score = None, None
    for t in sorted(thresholds, reverse=True):
        mask = (y_prob >= t).astype(int)
        if metric == "f1":
            p = precision(y_true, mask)
            r = recall(y_true, mask)
            score = 0.0 if p + r == 0 else 2 * p * r / (p + r)
        else:
            inter = int(((y_true == 1) & (mask == 1)).sum())
            union = int(((y_true == 1) | (mask == 1)).sum())
            score = 1.0 if union == 0 else inter / union
        if best_score is None or score >= best_score:  # going down: an equal score moves to the lower threshold
            best_t, best_score = t, score
    return best_t, best_score
