"""Known mistakes of ``find_best_threshold``, recomputed from a failing case's inputs, so the feedback can name them.

Each mistake is the contract's grid search with one rule changed (``>``
for ``>=``, the last of equal scores kept, the candidates in the order given,
another default grid, another score). They run here, in the verdict's
process, on the case's own inputs; nothing is stored or shipped.
"""

import numpy as np

from ..evaluation.thresholds import THRESHOLD_GRID

TOL = 1e-9


def _scorer(metric, *, iou_empty=1.0, zero_division=1.0, per_image=False):
    def counts(truth, hit):
        return np.count_nonzero(truth & hit), np.count_nonzero(~truth & hit), np.count_nonzero(truth & ~hit)

    def f1(truth, hit):
        tp, fp, fn = counts(truth, hit)
        p = zero_division if tp + fp == 0 else tp / (tp + fp)
        r = zero_division if tp + fn == 0 else tp / (tp + fn)
        return 0.0 if p + r == 0 else 2 * p * r / (p + r)

    def iou(truth, hit):
        tp, fp, fn = counts(truth, hit)
        return iou_empty if tp + fp + fn == 0 else tp / (tp + fp + fn)

    score = f1 if metric == "f1" else iou
    if per_image:
        return lambda truth, hit: float(np.mean([score(t, h) for t, h in zip(np.atleast_2d(truth), np.atleast_2d(hit))]))
    return score


def grid_search(y_true, y_prob, thresholds, metric, *, strict=False, keep_last=False, given_order=False,
                default_grid=THRESHOLD_GRID, return_index=False, **score_options):
    """The contract's search with the rules given; ``(threshold, score)``.

    Parameters
    ----------
    y_true, y_prob : array_like, same shape
    thresholds : sequence of float or None
    metric : {'f1', 'iou'}
    strict : bool
        Salt where ``y_prob > t`` (the contract: ``>=``).
    keep_last : bool
        Keep the last of equal scores (the contract: the first, in ascending order).
    given_order : bool
        Scan the candidates in the order given (the contract: ascending).
    default_grid : sequence of float
        The candidates when ``thresholds`` is None.
    return_index : bool
        Return the position of the best candidate instead of its value.
    **score_options
        ``iou_empty``, ``zero_division``, ``per_image`` of the score.

    Examples
    --------
    >>> grid_search([1, 1, 0, 0], [0.9, 0.8, 0.1, 0.2], [0.7, 0.5, 0.3], "f1")
    (0.3, 1.0)
    >>> grid_search([1, 1, 0, 0], [0.9, 0.8, 0.1, 0.2], [0.7, 0.5, 0.3], "f1", keep_last=True)
    (0.7, 1.0)
    """
    truth = np.asarray(y_true).astype(bool)
    y_prob = np.asarray(y_prob, dtype=float)
    candidates = [float(c) for c in (default_grid if thresholds is None else np.asarray(thresholds, dtype=float).ravel())]
    order = candidates if given_order else sorted(candidates)
    score = _scorer(metric, **score_options)
    best, best_score, best_index = None, -np.inf, None
    for index, t in enumerate(order):
        s = score(truth, y_prob > t if strict else y_prob >= t)
        if s > best_score or (keep_last and s == best_score):
            best, best_score, best_index = t, s, index
    return (float(best_index) if return_index else best), float(best_score)


THRESHOLD_MISTAKES = [
    ("salt where y_prob > t (the contract: y_prob >= t)", dict(strict=True)),
    ("keeping the last of equal scores in ascending order (the contract keeps the lowest threshold)", dict(keep_last=True)),
    ("keeping the first best in the order the thresholds are given, not the lowest", dict(given_order=True)),
    ("keeping the last best in the order the thresholds are given", dict(given_order=True, keep_last=True)),
    ("the F1 score used for metric='iou'", dict(metric="f1")),
    ("the IoU used for metric='f1'", dict(metric="iou")),
    ("the IoU of an empty truth and an empty prediction taken as 0 (the contract: 1)", dict(iou_empty=0.0)),
    ("precision and recall computed with zero_division=0 inside F1", dict(zero_division=0.0)),
    ("the score computed per image and averaged, not pooled over every pixel", dict(per_image=True)),
    ("the position of the best threshold returned instead of its value", dict(return_index=True)),
    ("the default grid np.arange(0.05, 0.95, 0.05), which misses 0.95",
     dict(default_grid=np.arange(0.05, 0.95, 0.05))),
    ("a default grid that misses 0.05", dict(default_grid=[k / 20 for k in range(2, 20)])),
    ("the default grid np.linspace(0.05, 0.95, 20), whose values are not 0.05, 0.10, ...",
     dict(default_grid=np.linspace(0.05, 0.95, 20))),
]
"""(what the student did, how the search changes)."""


def name_threshold_mistake(y_true, y_prob, thresholds, metric, got, want):
    """``"your result equals what you get with ..."`` for the mistakes ``got`` matches, or ``""``.

    Parameters
    ----------
    got, want : (float, float)
        The student's and the contract's ``(threshold, score)``.

    Examples
    --------
    >>> name_threshold_mistake([1, 0], [0.5, 0.2], [0.5, 0.6], "f1", got=(0.5, 0.0), want=(0.5, 1.0))
    'your result equals what you get with salt where y_prob > t (the contract: y_prob >= t)'
    >>> name_threshold_mistake([1, 0], [0.5, 0.2], [0.5, 0.6], "f1", got=(0.6, 0.5), want=(0.5, 1.0))
    ''
    >>> name_threshold_mistake([1, 0], [0.5, 0.2], [0.5, 0.6], "f1", got=(0.5, 1.0000000119), want=(0.5, 1.0))[:45]
    'the right threshold, a score 1e-08 off: the r'
    >>> name_threshold_mistake([1, 1, 0, 0], [0.9, 0.8, 0.1, 0.2], [0.7, 0.5, 0.3], "f1", (0.7, 1.0), (0.3, 1.0))
    'your result equals what you get with keeping the last of equal scores in ascending order (the contract keeps the lowest threshold), or keeping the first best in the order the thresholds are given, not the lowest'
    """
    try:  # the student's answer: plain data, but maybe not two numbers
        got = tuple(float(v) for v in got)
    except (TypeError, ValueError):
        return ""
    if len(got) != 2:
        return ""
    matches = []
    for what, change in THRESHOLD_MISTAKES:
        options = dict(change)
        chosen_metric = options.pop("metric", metric)
        if chosen_metric == metric and "metric" in change:
            continue
        if "default_grid" in options and thresholds is not None:
            continue
        value = grid_search(y_true, y_prob, thresholds, chosen_metric, **options)
        if np.allclose(value, want, rtol=0, atol=TOL):
            continue  # this mistake makes no difference on this case
        if np.allclose(got, value, rtol=0, atol=TOL):
            matches.append(what)
    if matches:
        return f"your result equals what you get with {', or '.join(matches)}"
    difference = abs(got[1] - want[1])
    if abs(got[0] - want[0]) <= TOL and 0 < difference <= 1e-6 * max(1.0, abs(want[1])):
        return (f"the right threshold, a score {difference:.1g} off: the rounding of float32 arithmetic "
                "somewhere (in the counts' ratio, or a np.float32 result); compute in float64")
    return ""
