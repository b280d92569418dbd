"""Known mistakes that make a graded function raise on a valid case, named from the exception and the case.

:func:`saltlab.checks.core.judge` reports an exception as ``<function>
failed on <case>: <type>: <message> (<file>:<line> in <function>)``. That
locates the mistake; the rules here name it when the exception and the case
together say which mistake it is. The exception's text is the student's
(a submission can raise anything), so it only selects one of these fixed
sentences: nothing of it is repeated.

precision and recall record their exceptions in their probe; theirs are
named in :func:`saltlab.checks.misconceptions.name_metric_error`.
"""

RULES = (
    (("conv_block", "downsample", "merge_skip"), "TypeError", "'NoneType' and 'str'",
     lambda case: True,
     "name is None by default: build the layers' names only when a name is given, and pass None on otherwise"),
    (("merge_skip",), "ValueError", "matching shapes except for the concatenation axis",
     lambda case: case.params.get("mode") == "concat",
     "the two tensors differ only in their channels, so concatenate on the last axis (axis=-1, the channels of "
     "an NHWC tensor)"),
    (("find_best_threshold",), "ZeroDivisionError", "",
     lambda case: case.params.get("metric") == "f1",
     "F1 = 2PR / (P + R) divides by zero when precision and recall are both 0; F1 is 0.0 then"),
    (("find_best_threshold",), "AttributeError", "'list' object has no attribute",
     lambda case: True,
     "y_true and y_prob are array_like, so lists are valid: call np.asarray on each before using .shape"),
)
"""``(functions, exception type, text in its message, condition on the case, what to say)``."""


def name_error(function, case, detail):
    """A sentence naming the mistake behind an exception, or ``""`` when no rule matches.

    Parameters
    ----------
    function : str
        The graded function that raised.
    case : saltlab.checks.core.Case
    detail : str
        ``"<type>: <message> (<where>)"`` as :func:`saltlab.checks.core.run_probe` wrote it.

    Examples
    --------
    >>> from saltlab.checks.core import Case
    >>> case = Case("f1", {"metric": "f1"}, {})
    >>> name_error("find_best_threshold", case, "ZeroDivisionError: float division by zero (threshold.py:64)")
    'F1 = 2PR / (P + R) divides by zero when precision and recall are both 0; F1 is 0.0 then'
    >>> name_error("find_best_threshold", Case("x", {"metric": "iou"}, {}), "ZeroDivisionError: division by zero")
    ''
    """
    raised, _, message = detail.partition(":")
    for functions, exception, text, applies, sentence in RULES:
        if function in functions and raised.strip() == exception and text in message and applies(case):
            return sentence
    return ""
