"""Known mistakes of precision and recall, recomputed from a failing case's inputs, so the feedback can name them.

The blocks' are in :mod:`.block_mistakes`, ``find_best_threshold``'s in
:mod:`.threshold_mistakes`.

A verdict that fails compares the student's answer with what each known
mistake gives on the same inputs. The wrong answers are computed here, in
the verdict's process (the grader's, or the public tests'), from the case's
own inputs: nothing is stored, nothing is shipped to students as answers,
and a case drawn at grading time gets its diagnosis too.

Only mistakes students really make, each a line of NumPy, are listed; one
of them is named only when the student's value equals it and the contract's
value does not.
"""

import numpy as np

EXACT = dict(rtol=0.0, atol=1e-12)


def _counts(y_true, y_pred):
    t, p = np.asarray(y_true).astype(bool), np.asarray(y_pred).astype(bool)
    return int(np.sum(t & p)), int(np.sum(~t & p)), int(np.sum(t & ~p)), t.size


def _ratio(numerator, denominator, zero_division):
    return float(zero_division) if denominator == 0 else numerator / denominator


def _own_dtype_counts(y_true, y_pred):
    """TP and the wrong count of the other kind when the masks' own dtype does the arithmetic.

    ``(y_true + y_pred) == 2`` is never true for bool masks (``True + True``
    is ``True``), and ``y_pred - y_true > 0`` counts every false negative as
    well for unsigned masks (``0 - 1`` wraps around to 255).
    """
    t, p = np.asarray(y_true), np.asarray(y_pred)
    with np.errstate(over="ignore"):
        tp_sum = int(np.sum((t + p) == 2)) if t.dtype != object else None
        fp_wrap = int(np.count_nonzero(p - t > 0)) if t.dtype.kind == p.dtype.kind == "u" else None
        fn_wrap = int(np.count_nonzero(t - p > 0)) if t.dtype.kind == p.dtype.kind == "u" else None
    return tp_sum, fp_wrap, fn_wrap


def metric_mistakes(function, y_true, y_pred, zero_division=1.0):
    """What each known mistake returns for ``function`` on these masks.

    Parameters
    ----------
    function : {'precision', 'recall'}
    y_true, y_pred : array_like, binary, same shape (N, ...) or (P,)
    zero_division : float, optional

    Returns
    -------
    mistakes : list of (str, float)
        ``(what the student did, the value it gives)``.

    Examples
    --------
    >>> t = [[[1, 0], [0, 0]], [[1, 1], [1, 0]]]
    >>> p = [[[1, 1], [0, 0]], [[0, 1], [0, 0]]]
    >>> [value for what, value in metric_mistakes("precision", t, p) if "per image" in what]
    [0.75]
    """
    tp, fp, fn, size = _counts(y_true, y_pred)
    other = "recall" if function == "precision" else "precision"
    swapped = _ratio(tp, tp + fn, zero_division) if function == "precision" else _ratio(tp, tp + fp, zero_division)
    mistakes = [
        (f"the {other} (the two denominators swapped)", swapped),
        ("the IoU, TP / (TP + FP + FN)", _ratio(tp, tp + fp + fn, zero_division)),
        ("TP divided by the number of pixels", _ratio(tp, size, zero_division)),
        ("the accuracy, (TP + TN) / pixels", _ratio(size - fp - fn, size, zero_division)),
    ]
    t, p = np.asarray(y_true), np.asarray(y_pred)
    if t.ndim >= 2 and t.shape[0] > 1:  # a batch: the contract pools the counts over it
        per_image = [metric_value(function, t[i], p[i], zero_division) for i in range(t.shape[0])]
        mistakes.append(("what you get computed per image (each index of the first axis) and averaged",
                         float(np.mean(per_image))))
    wrong_kind = fp if function == "precision" else fn  # the count beside TP in the denominator
    if tp + wrong_kind:
        mistakes.append(("the ratio computed in float32 (np.float32 counts), which rounds it: compute it with "
                         "Python ints or float64", float(np.float32(tp) / np.float32(tp + wrong_kind))))
    tp_sum, fp_wrap, fn_wrap = _own_dtype_counts(y_true, y_pred)
    if tp_sum is not None:
        mistakes.append((f"TP counted as (y_true + y_pred) == 2 in the masks' own dtype ({t.dtype}), which is "
                         "never true for bool masks (True + True is True): convert with .astype(bool) and use &",
                         _ratio(tp_sum, tp_sum + wrong_kind, zero_division)))
    wrapped = fp_wrap if function == "precision" else fn_wrap
    if wrapped is not None:
        sign = "y_pred - y_true" if function == "precision" else "y_true - y_pred"
        mistakes.append((f"{sign} > 0 computed in {t.dtype}, where 0 - 1 wraps around to a large positive "
                         "number, so the other kind of error is counted too: compare booleans (& and ~) instead",
                         _ratio(tp, tp + wrapped, zero_division)))
    return mistakes


ZERO_DENOMINATOR_MISTAKES = (
    ("0.0 although the denominator is 0: return float(zero_division) then", 0.0),
    ("NaN, what 0 / 0 gives: check the denominator first and return float(zero_division) when it is 0",
     float("nan")),
)
"""What a zero denominator gives when ``zero_division`` is ignored; named alone when it matches,
since the formulas above then all give 0 by coincidence."""


def metric_value(function, y_true, y_pred, zero_division=1.0):
    """The contract's value (pooled counts), for the per-image mistake."""
    tp, fp, fn, _ = _counts(y_true, y_pred)
    return _ratio(tp, tp + fp, zero_division) if function == "precision" else _ratio(tp, tp + fn, zero_division)


def name_metric_mistake(function, y_true, y_pred, got, want, zero_division=1.0):
    """A sentence naming the mistakes ``got`` matches, or ``""`` when none does.

    On small inputs several mistakes can give the same value; then all are
    named, as possibilities, rather than one picked at random.

    Examples
    --------
    >>> name_metric_mistake("precision", [1, 1, 0, 0], [1, 0, 1, 1], got=0.5, want=1 / 3)
    'your value equals the recall (the two denominators swapped)'
    >>> t, p = [[1, 1, 0], [0, 1, 0], [0, 0, 0]], [[1, 0, 1], [0, 1, 1], [0, 0, 0]]
    >>> message = name_metric_mistake("precision", t, p, got=2 / 3, want=0.5)
    >>> message.count(", or ")  # recall, accuracy and the per-row mean all give 2/3 here: all named
    2
    >>> name_metric_mistake("precision", [1, 1, 0, 0], [1, 0, 1, 1], got=0.9, want=1 / 3)
    ''
    """
    def matching(candidates):
        return [what for what, value in candidates
                if np.isclose(got, value, equal_nan=True, **EXACT) and not np.isclose(value, want, **EXACT)]

    tp, fp, fn, _ = _counts(y_true, y_pred)
    if (tp + fp if function == "precision" else tp + fn) == 0:
        matches = matching(ZERO_DENOMINATOR_MISTAKES)
        if matches:
            return f"your value is {matches[0]}"
    matches = matching(metric_mistakes(function, y_true, y_pred, zero_division))
    return f"your value equals {', or '.join(matches)}" if matches else ""


def name_metric_error(y_true, y_pred, raised, message):
    """A sentence naming why precision or recall raised on valid masks, or ``""`` when it is not known.

    Examples
    --------
    >>> name_metric_error([[1, 0]], [[1, 1]], "AttributeError", "'list' object has no attribute 'shape'")
    'nested lists are array_like masks too: call np.asarray on each mask before using .shape or .astype'
    >>> import numpy as np
    >>> name_metric_error(np.zeros(0), np.zeros(0), "ValueError", "zero-size array to reduction operation minimum")
    'min() and max() raise on empty masks: check the values with np.isin(mask, (0, 1)).all(), which is True for an empty mask'
    >>> name_metric_error([1], [1], "ZeroDivisionError", "division by zero")
    ''
    """
    if raised == "AttributeError" and "'list' object" in message:
        return "nested lists are array_like masks too: call np.asarray on each mask before using .shape or .astype"
    if np.asarray(y_true).size == 0 and "zero-size array" in message:
        return ("min() and max() raise on empty masks: check the values with np.isin(mask, (0, 1)).all(), which is "
                "True for an empty mask")
    return ""
