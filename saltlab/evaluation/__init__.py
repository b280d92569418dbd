"""Evaluation: every score, curve and threshold choice of predicted salt masks.

Modules: :mod:`.scores` (IoU, Dice, the TGS metric, the five scores of a
report), :mod:`.thresholds` (the precision-recall curve and the choice of the
decision threshold), :mod:`.postprocess` (question 4's strategies: flip
test-time augmentation and morphological clean-up), :mod:`.paired` (paired
differences between two variants with confidence intervals over seeds and
over images).

Functions that need the graded ``precision``, ``recall`` or
``find_best_threshold`` take the implementation as an object
(``impl=``, see :mod:`saltlab.impl`); nothing here loads one.
"""

from .postprocess import clean_masks, predict_flip_tta
from .scores import (
    METRIC_LABELS,
    METRIC_NAMES,
    dice,
    evaluate_masks,
    evaluate_probabilities,
    image_counts,
    iou,
    tgs_competition_metric,
    tgs_image_scores,
)
from .thresholds import CURVE_THRESHOLDS, THRESHOLD_GRID, best_tgs_threshold, precision_recall_curve, threshold_analysis

__all__ = [
    "CURVE_THRESHOLDS", "METRIC_LABELS", "METRIC_NAMES", "THRESHOLD_GRID", "best_tgs_threshold", "clean_masks",
    "dice", "evaluate_masks", "evaluate_probabilities", "image_counts", "iou", "precision_recall_curve", "predict_flip_tta",
    "tgs_competition_metric", "tgs_image_scores", "threshold_analysis",
]
