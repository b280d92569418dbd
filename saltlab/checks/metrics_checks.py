"""Checks of ``precision`` and ``recall``: hand-worked values, random masks, conventions, errors."""

import numpy as np

from .core import Case, Check, Verdict, call_capturing, register

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
    f = impl.function(case.params["function"])
    return call_capturing(f, case.arrays["y_true"], case.arrays["y_pred"], **kwargs)


def probe_value(impl, case):
    record = _call(impl, case, **case.params.get("kwargs", {}))
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
        return Verdict(False, f"{function} on {what} raised {got['raised']}: {got['message']}")
    if got["type"] != "float":
        return Verdict(False, f"{function} on {what} returned a {got['type']}; return a Python float (float(...))")
    if got["value"] is None or not np.isclose(got["value"], want, **EXACT):
        return Verdict(False, f"{function} on {what}: got {got['value']!r}, expected {want!r}. {HINT[function]}")
    return Verdict(True)


def verdict_hand(case, got, expected):
    what = f"y_true={case.params['y_true']}, y_pred={case.params['y_pred']}"
    return _value_verdict(case, got, case.params["_expected"], what)


def random_cases(function, *, seed=40, shapes=((4, 101, 101), (3, 17, 9), (1000,)), densities=(0.3, 0.05, 0.6)):
    cases = []
    for index, (shape, density) in enumerate(zip(shapes, densities)):
        rng = np.random.default_rng(seed + index)
        y_true = (rng.random(shape) < density).astype(np.uint8)
        # Predictions correlated with the truth, as a network's would be.
        flip = rng.random(shape) < 0.2
        y_pred = np.where(flip, 1 - y_true, y_true).astype(np.uint8)
        cases.append(Case(f"random-{'x'.join(map(str, shape))}", {"function": function, "shape": list(shape)},
                          {"y_true": y_true, "y_pred": y_pred}))
    return cases


def verdict_random(case, got, expected):
    return _value_verdict(case, got, expected["value"], f"random masks of shape {tuple(case.params['shape'])} (seeded)")


def convention_cases():
    """zero_division and dtypes: bool, integer and float masks give the same value."""
    empty = np.zeros((3, 4), dtype=np.uint8)
    some = np.array([[0, 1, 1, 0], [1, 0, 0, 0], [0, 0, 1, 1]], dtype=np.uint8)
    cases = []
    for function in ("precision", "recall"):
        # precision's denominator is empty when nothing is predicted; recall's when nothing is true.
        y_true, y_pred = (some, empty) if function == "precision" else (empty, some)
        for zd in (1.0, 0.0, 0.25):
            cases.append(Case(f"{function}-zero-division-{zd}", {"function": function, "kwargs": {"zero_division": zd},
                              "_expected": zd, "_what": f"a zero denominator with zero_division={zd}"},
                              {"y_true": y_true, "y_pred": y_pred}))
        truth = np.array([[1, 1, 0], [0, 1, 1]])
        pred = np.array([[1, 0, 0], [1, 1, 1]])  # TP=3, FP=1, FN=1
        for dtype in ("bool", "int64", "float32", "float64"):
            cases.append(Case(f"{function}-{dtype}", {"function": function, "_expected": 3 / 4, "_what": f"{dtype} masks"},
                              {"y_true": truth.astype(dtype), "y_pred": pred.astype(dtype)}))
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
    return cases


def probe_error(impl, case):
    record = _call(impl, case)
    record.pop("value", None)
    return record


def verdict_error(case, got, expected):
    function = case.params["function"]
    shapes = tuple(case.arrays["y_true"].shape), tuple(case.arrays["y_pred"].shape)
    if case.params["_kind"] == "shape":
        what = f"masks of shapes {shapes[0]} and {shapes[1]}"
    else:
        what = f"y_true={case.arrays['y_true'].tolist()}, y_pred={case.arrays['y_pred'].tolist()}"
    if got["raised"] != "ValueError":
        did = "returned a value" if got["raised"] is None else f"raised {got['raised']}"
        return Verdict(False, f"{function} on {what} {did}; expected ValueError")
    if case.params["_kind"] == "shape" and not all(str(s) in got["message"] for s in shapes):
        return Verdict(False, f"{function} on {what} raised ValueError, but the message {got['message']!r} "
                              f"should name both shapes {shapes[0]} and {shapes[1]}")
    return Verdict(True)


for _function in ("precision", "recall"):
    register(Check(f"{_function}.hand", _function, "tiny masks with values worked out by hand",
                   (lambda f=_function: hand_cases(f)), probe_value, verdict_hand, needs_reference=False,
                   hint=HINT[_function]))
    register(Check(f"{_function}.random", _function, "random masks against the reference",
                   (lambda f=_function: random_cases(f)), probe_value, verdict_random, hint=HINT[_function]))
register(Check("metrics.conventions", "precision", "zero_division, and bool/int/float masks, for both functions",
               convention_cases, probe_value, verdict_convention, needs_reference=False,
               hint="return zero_division when the denominator is 0; convert masks with .astype(bool)"))
register(Check("metrics.errors", "precision", "different shapes and non-binary values raise ValueError",
               error_cases, probe_error, verdict_error, needs_reference=False,
               hint="check y_true.shape == y_pred.shape and that every value is 0 or 1 before counting"))
