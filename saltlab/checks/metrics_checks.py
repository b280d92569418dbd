"""Checks of ``precision`` and ``recall``: hand-worked values, random masks, conventions, errors."""

import numpy as np

from .core import Case, Check, Verdict, call_capturing, register
from .misconceptions import name_metric_error, name_metric_mistake

EXACT = dict(rtol=0.0, atol=1e-12)
"""Ratios of integer counts: exact up to the last bit of a float64 division."""

HINT = {
    "precision": "precision = TP / (TP + FP): of the pixels predicted salt, the fraction that are salt",
    "recall": "recall = TP / (TP + FN): of the salt pixels, the fraction predicted salt",
}


def _hand_cases():
    """Tiny masks worked out by hand. Counts: TP, FP, FN written next to each."""
    t = [[1, 1, 0], [0, 1, 0], [0, 0, 0]]
    p = [[1, 0, 1], [0, 1, 1], [0, 0, 0]]  # TP=2 (0,0),(1,1); FP=2 (0,2),(1,2); FN=1 (0,1)
    batch_t = [[[1, 0], [0, 0]], [[1, 1], [1, 0]]]
    batch_p = [[[1, 1], [0, 0]], [[0, 1], [0, 0]]]  # pooled over both: TP=2, FP=1, FN=2
    return [
        # id, y_true, y_pred, precision, recall
        ("3x3", t, p, 2 / 4, 2 / 3),
        ("1d", [1, 1, 0, 0, 1], [1, 0, 1, 0, 1], 2 / 3, 2 / 3),  # TP=2, FP=1, FN=1
        ("batch-pooled", batch_t, batch_p, 2 / 3, 2 / 4),  # pooled, not a mean of per-image values
        ("all-correct", [[0, 1], [1, 1]], [[0, 1], [1, 1]], 1.0, 1.0),
        ("none-right", [[1, 0], [0, 0]], [[0, 1], [0, 0]], 0.0, 0.0),
    ]


def hand_cases(function):
    column = 3 if function == "precision" else 4
    return [
        Case(case_id, {"function": function, "y_true": yt, "y_pred": yp, "_expected": row[column]},
             {"y_true": np.array(yt, dtype=np.uint8), "y_pred": np.array(yp, dtype=np.uint8)})
        for row in _hand_cases() for case_id, yt, yp in [row[:3]]
    ]


def _call(impl, case, **kwargs):
    """Call the function on copies of the case's masks; return the record and the copies it was given.

    Copies, so that a function that modifies its input cannot change the case
    (whose inputs identify the reference's stored answer) for the next call.
    """
    f = impl.function(case.params["function"])
    y_true, y_pred = case.arrays["y_true"].copy(), case.arrays["y_pred"].copy()
    if case.params.get("_as_lists"):  # array_like: nested Python lists, as a student may pass them
        y_true, y_pred = y_true.tolist(), y_pred.tolist()
    return call_capturing(f, y_true, y_pred, **kwargs), {"y_true": y_true, "y_pred": y_pred}


def probe_value(impl, case):
    record, given = _call(impl, case, **case.params.get("kwargs", {}))
    if case.params.get("_unchanged"):
        # SPEC: a graded function never modifies the arrays it is given.
        record["unchanged"] = all(
            isinstance(given[key], np.ndarray) and given[key].dtype == case.arrays[key].dtype
            and given[key].shape == case.arrays[key].shape and np.array_equal(given[key], case.arrays[key])
            for key in given)
    if record["raised"] is None:
        value = record["value"]
        # A float subclass (np.float64 is one) is a float; its value is read with float(),
        # so an object with a rigged __eq__ gains nothing.
        record["type"] = "float" if isinstance(value, float) else type(value).__name__
        record["value"] = float(value) if isinstance(value, (int, float, np.number)) else None
    return record


def _value_verdict(case, got, want, what):
    function = case.params["function"]
    if got["raised"] is not None:
        mistake = ""
        if "y_true" in case.arrays:
            mistake = name_metric_error(case.arrays["y_true"], case.arrays["y_pred"], got["raised"], got["message"])
        return Verdict(False, f"{function} on {what} raised {got['raised']}: {got['message']}"
                              + (f" ({mistake})" if mistake else ""))
    if got["type"] != "float":
        return Verdict(False, f"{function} on {what} returned a {got['type']}; return a Python float (float(...))")
    if got["value"] is None or not np.isclose(got["value"], want, **EXACT):
        mistake = ""
        if got["value"] is not None and "y_true" in case.arrays:
            zero_division = case.params.get("kwargs", {}).get("zero_division", 1.0)
            mistake = name_metric_mistake(function, case.arrays["y_true"], case.arrays["y_pred"],
                                          got["value"], want, zero_division)
        named = f" ({mistake})" if mistake else ""
        return Verdict(False, f"{function} on {what}: got {got['value']!r}, expected {want!r}{named}. {HINT[function]}")
    if case.params.get("_unchanged") and not got.get("unchanged"):
        return Verdict(False, f"{function} on {what} changed the arrays it was given; work on a copy "
                              "(np.asarray(...).astype(bool) makes one) and leave the caller's masks as they were")
    return Verdict(True)


def verdict_hand(case, got, expected):
    what = f"y_true={case.params['y_true']}, y_pred={case.params['y_pred']}"
    return _value_verdict(case, got, case.params["_expected"], what)


def random_cases(function, *, seed=40, shapes=((4, 101, 101), (3, 17, 9), (1000,)), densities=(0.3, 0.05, 0.6),
                 dtypes=None):
    """Seeded random masks; ``dtypes`` (one per shape, default uint8) lets the hidden cases vary the dtype."""
    cases = []
    for index, (shape, density) in enumerate(zip(shapes, densities)):
        rng = np.random.default_rng(seed + index)
        y_true = (rng.random(shape) < density).astype(np.uint8)
        # Predictions correlated with the truth, as a network's would be.
        flip = rng.random(shape) < 0.2
        y_pred = np.where(flip, 1 - y_true, y_true).astype(np.uint8)
        params = {"function": function, "shape": list(shape)}
        if dtypes is not None:
            y_true, y_pred = y_true.astype(dtypes[index]), y_pred.astype(dtypes[index])
            params["dtype"] = dtypes[index]
        cases.append(Case(f"random-{'x'.join(map(str, shape))}", params, {"y_true": y_true, "y_pred": y_pred}))
    return cases


def verdict_random(case, got, expected):
    return _value_verdict(case, got, expected["value"], f"random masks of shape {tuple(case.params['shape'])} (seeded)")


def convention_cases():
    """zero_division (float or int), empty masks, dtypes, lists, and inputs left unchanged.

    Every clause of SPEC.md's "Masks and arrays" and "Python float" in more than one
    arrangement (tests/CLAUSES.md): bool, integer and float masks, mixed dtypes,
    nested lists, 1-D to 3-D, empty arrays.
    """
    empty = np.zeros((3, 4), dtype=np.uint8)
    some = np.array([[0, 1, 1, 0], [1, 0, 0, 0], [0, 0, 1, 1]], dtype=np.uint8)
    cases = []
    for function in ("precision", "recall"):
        # precision's denominator is empty when nothing is predicted; recall's when nothing is true.
        y_true, y_pred = (some, empty) if function == "precision" else (empty, some)
        # An int zero_division must come back as float(zero_division): a Python float.
        for zd in (1.0, 0.0, 0.25, 0, 1):
            cases.append(Case(f"{function}-zero-division-{zd!r}", {"function": function, "kwargs": {"zero_division": zd},
                              "_expected": zd, "_what": f"a zero denominator with zero_division={zd!r}"},
                              {"y_true": y_true, "y_pred": y_pred}))
        # Empty masks: both counts are 0, so the denominator is 0 (not NaN, not an error).
        for shape in ((0,), (2, 0, 3)):
            cases.append(Case(f"{function}-empty-{'x'.join(map(str, shape))}", {"function": function, "_expected": 1.0,
                              "_what": f"empty masks of shape {shape}"},
                              {"y_true": np.zeros(shape, np.uint8), "y_pred": np.zeros(shape, np.uint8)}))
        truth = np.array([[1, 1, 0], [0, 1, 1]])
        pred = np.array([[1, 0, 0], [1, 1, 1]])  # TP=3, FP=1, FN=1
        for dtype in ("bool", "int64", "float32", "float64", "uint8", "int32"):
            cases.append(Case(f"{function}-{dtype}", {"function": function, "_expected": 3 / 4, "_what": f"{dtype} masks"},
                              {"y_true": truth.astype(dtype), "y_pred": pred.astype(dtype)}))
        cases.append(Case(f"{function}-bool-truth-float-prediction", {"function": function, "_expected": 3 / 4,
                          "_what": "a bool y_true with a float64 y_pred"},
                          {"y_true": truth.astype(bool), "y_pred": pred.astype(np.float64)}))
        cases.append(Case(f"{function}-lists", {"function": function, "_as_lists": True, "_expected": 3 / 4,
                          "_what": f"nested Python lists y_true={truth.tolist()}, y_pred={pred.tolist()}"},
                          {"y_true": truth, "y_pred": pred}))
        # Batch of 3 bool masks: the caller's arrays (every dtype) must come back untouched.
        batch_t = np.array([[[1, 0], [1, 1]], [[0, 0], [1, 0]], [[1, 1], [0, 0]]])
        batch_p = np.array([[[1, 1], [0, 1]], [[0, 1], [1, 0]], [[0, 1], [0, 1]]])  # TP=4, FP=3, FN=2
        for dtype in ("bool", "uint8", "float64"):
            cases.append(Case(f"{function}-unchanged-{dtype}", {"function": function, "_unchanged": True,
                              "_expected": 4 / 7 if function == "precision" else 4 / 6,
                              "_what": f"a batch of three {dtype} masks (inputs must not be modified)"},
                              {"y_true": batch_t.astype(dtype), "y_pred": batch_p.astype(dtype)}))
    return cases


def verdict_convention(case, got, expected):
    return _value_verdict(case, got, case.params["_expected"], case.params["_what"])


def error_cases():
    cases = []
    for function in ("precision", "recall"):
        cases.append(Case(f"{function}-shapes", {"function": function, "_kind": "shape"},
                          {"y_true": np.zeros((2, 3), np.uint8), "y_pred": np.zeros((3, 2), np.uint8)}))
        cases.append(Case(f"{function}-value-2", {"function": function, "_kind": "value"},
                          {"y_true": np.array([0, 1, 2]), "y_pred": np.array([0, 1, 1])}))
        cases.append(Case(f"{function}-value-0.5", {"function": function, "_kind": "value"},
                          {"y_true": np.array([0.0, 1.0, 1.0]), "y_pred": np.array([0.0, 0.5, 1.0])}))
        # Shapes that broadcast are still different shapes (SPEC, Clarifications).
        cases.append(Case(f"{function}-shapes-broadcast", {"function": function, "_kind": "shape"},
                          {"y_true": np.array([[0, 1, 1]], np.uint8), "y_pred": np.eye(3, dtype=np.uint8)}))
        cases.append(Case(f"{function}-shapes-extra-axis", {"function": function, "_kind": "shape"},
                          {"y_true": np.ones((4,), np.uint8), "y_pred": np.ones((1, 4), np.uint8)}))
        cases.append(Case(f"{function}-value-minus-1", {"function": function, "_kind": "value"},
                          {"y_true": np.array([[0, 1], [1, 0]]), "y_pred": np.array([[0, -1], [1, 0]])}))
    return cases


def probe_error(impl, case):
    record, _ = _call(impl, case)
    record.pop("value", None)
    return record


def _which_is_wrong(case):
    """Say which argument is invalid when only one is: a check of that one alone is the usual mistake."""
    if case.params["_kind"] != "value":
        return ""
    bad = [name for name in ("y_true", "y_pred") if not np.isin(case.arrays[name], (0, 1)).all()]
    if len(bad) != 1:
        return ""
    good = "y_pred" if bad == ["y_true"] else "y_true"
    return (f" (only {bad[0]} holds a value other than 0 and 1 here, {good} is binary: check the values of both "
            "masks)")


def verdict_error(case, got, expected):
    function = case.params["function"]
    shapes = tuple(case.arrays["y_true"].shape), tuple(case.arrays["y_pred"].shape)
    if case.params["_kind"] == "shape":
        what = f"masks of shapes {shapes[0]} and {shapes[1]}"
    else:
        what = f"y_true={case.arrays['y_true'].tolist()}, y_pred={case.arrays['y_pred'].tolist()}"
    if got["raised"] != "ValueError":
        did = "returned a value" if got["raised"] is None else f"raised {got['raised']}"
        return Verdict(False, f"{function} on {what} {did}; expected ValueError{_which_is_wrong(case)}")
    if case.params["_kind"] == "shape" and not all(str(s) in got["message"] for s in shapes):
        # NumPy's own broadcasting error reaches the caller when the shapes are not compared first.
        numpy_said = (" (this is NumPy's broadcasting error, not a check of yours: compare y_true.shape with "
                      "y_pred.shape first, since shapes that broadcast raise nothing)"
                      if "could not be broadcast" in got["message"] else "")
        return Verdict(False, f"{function} on {what} raised ValueError, but the message {got['message']!r} "
                              f"should name both shapes {shapes[0]} and {shapes[1]}{numpy_said}")
    return Verdict(True)


for _function in ("precision", "recall"):
    register(Check(f"{_function}.hand", _function, "tiny masks with values worked out by hand",
                   (lambda f=_function: hand_cases(f)), probe_value, verdict_hand, needs_reference=False,
                   hint=HINT[_function]))
    register(Check(f"{_function}.random", _function, "random masks against the reference",
                   (lambda f=_function: random_cases(f)), probe_value, verdict_random, hint=HINT[_function]))
register(Check("metrics.conventions", "precision",
               "zero_division (float or int), empty masks, bool/int/float/mixed masks, lists, inputs left unchanged",
               convention_cases, probe_value, verdict_convention, needs_reference=False,
               hint="return float(zero_division) when the denominator is 0; np.asarray(...).astype(bool) a copy of each mask"))
register(Check("metrics.errors", "precision",
               "different shapes (broadcastable ones too) and non-binary values raise ValueError",
               error_cases, probe_error, verdict_error, needs_reference=False,
               hint="check y_true.shape == y_pred.shape and that every value is 0 or 1 before counting"))
