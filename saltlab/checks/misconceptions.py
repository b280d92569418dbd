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
    return mistakes


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
    matches = [what for what, value in metric_mistakes(function, y_true, y_pred, zero_division)
               if np.isclose(got, value, **EXACT) and not np.isclose(value, want, **EXACT)]
    return f"your value equals {', or '.join(matches)}" if matches else ""
