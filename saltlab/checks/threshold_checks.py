"""Checks of ``find_best_threshold``: a true optimum of the grid, ties, ``>=``, grids, errors."""

import numpy as np

from ..evaluation.thresholds import THRESHOLD_GRID
from .core import Case, Check, Verdict, call_capturing, register

TOL = 1e-9
"""Thresholds and scores are compared to 1e-9: a grid built as 0.05 * k or with
np.arange differs from round(0.05 * k, 2) by ~1e-17, which must not matter."""

HINT = ("score every candidate t on (y_prob >= t) and keep the first best in ascending order of t; "
        "F1 = 2PR/(P+R) from your precision and recall, IoU = TP/(TP+FP+FN)")


def name_threshold_mistake(*args):
    """:func:`.threshold_mistakes.name_threshold_mistake`, or ``""`` in the student bundle.

    That module is left out of the bundle (``saltlab.authoring.release``): each
    known mistake is a variation of a working grid search, which would hand
    students question 5. The instructor's grader and ``make test`` here name them.
    """
    try:
        from .threshold_mistakes import name_threshold_mistake as name
    except ImportError:
        return ""
    return name(*args)


def probability_case(case_id, metric, *, thresholds=None, shape=(4, 101, 101), seed=0, density=0.35,
                     truth_dtype="uint8", prob_dtype="float32", on_candidates=False):
    """Masks with blob-like salt and noisy, correlated probabilities, as a network gives.

    The hidden cases vary the arrangement: ``truth_dtype`` (bool, integer, float),
    ``prob_dtype`` (float32 or float64) and ``on_candidates``, which moves every
    probability onto its nearest candidate of a custom grid (float64 only: SPEC's
    Clarifications place float64 probabilities exactly on candidates, never float32
    ones), so that ``>=`` decides every pixel and equal scores are frequent.
    """
    rng = np.random.default_rng(seed)
    y_true = (rng.random(shape) < density).astype(np.uint8)
    logits = np.where(y_true == 1, 1.0, -1.0) * rng.uniform(0.2, 2.0) + rng.normal(0.0, 1.3, size=shape)
    y_prob = (1.0 / (1.0 + np.exp(-logits))).astype(prob_dtype)
    if not on_candidates:
        y_prob = _off_candidates(y_prob, THRESHOLD_GRID if thresholds is None else thresholds)
    if on_candidates:
        if thresholds is None or prob_dtype != "float64":
            raise ValueError("on_candidates needs a custom grid and float64 probabilities")
        grid = np.array(thresholds, dtype=np.float64)
        y_prob = grid[np.abs(y_prob[..., None] - grid).argmin(axis=-1)]
    params = {"metric": metric, "thresholds": thresholds, "shape": list(shape)}
    if (truth_dtype, prob_dtype, on_candidates) != ("uint8", "float32", False):
        params.update(truth_dtype=truth_dtype, prob_dtype=prob_dtype, on_candidates=on_candidates)
    return Case(case_id, params, {"y_true": y_true.astype(truth_dtype), "y_prob": y_prob})


def _off_candidates(y_prob, candidates):
    """``y_prob`` with every value too close to a candidate moved just above it.

    SPEC's Clarifications: graders never place a float32 probability within float32
    rounding of a candidate (float32 and float64 comparisons could disagree), nor a
    probability within 1e-9 of a value of the grid written another way. A margin of
    float32's epsilon covers both; seeded draws rarely need it, and then it moves one value.
    """
    margin = float(np.finfo(np.float32).eps)
    grid = np.asarray(candidates, dtype=np.float64)
    wide = y_prob.astype(np.float64)
    nearest = grid[np.abs(wide[..., None] - grid).argmin(axis=-1)]
    close = np.abs(wide - nearest) <= margin
    if not close.any():
        return y_prob
    moved = wide.copy()
    moved[close] = nearest[close] + 4 * margin
    return moved.astype(y_prob.dtype)


def optimum_cases():
    return [
        probability_case("f1-default-grid", "f1", seed=51),
        probability_case("iou-default-grid", "iou", seed=52),
        probability_case("f1-sparse-salt", "f1", seed=53, density=0.05),
        probability_case("iou-dense-salt", "iou", seed=54, density=0.8, shape=(2, 64, 64)),
        probability_case("f1-custom-grid", "f1", thresholds=[0.9, 0.3, 0.55, 0.42, 0.1], seed=55, shape=(3, 40, 40)),
        probability_case("iou-custom-grid", "iou", thresholds=[0.25, 0.75, 0.5], seed=56, shape=(3, 40, 40)),
    ]


def probe_optimum(impl, case):
    """The best (threshold, score) on the grid, and the score of every single candidate."""
    p, a = case.params, case.arrays
    f = impl.find_best_threshold

    def inputs():  # fresh copies at each call: an implementation that modifies its input changes no case
        return a["y_true"].copy(), a["y_prob"].copy()

    best = f(*inputs(), thresholds=p["thresholds"], metric=p["metric"])
    grid = THRESHOLD_GRID if p["thresholds"] is None else p["thresholds"]
    scores = [float(f(*inputs(), thresholds=[t], metric=p["metric"])[1]) for t in grid]
    return {"best": [_plain_number(v) for v in best], "grid": list(grid), "scores": scores,
            "types": [_type_name(v) for v in best]}


def _type_name(value):
    return "float" if isinstance(value, float) else type(value).__name__


def _plain_number(value):
    return float(value) if isinstance(value, (int, float, np.number)) else None


def verdict_optimum(case, got, expected):
    verdict = _verdict_optimum(case, got, expected)
    if verdict.passed:
        return verdict
    grid = np.array(expected["grid"], dtype=float)
    scores = np.array(expected["scores"], dtype=float)
    best = scores.max()
    want = (grid[np.isclose(scores, best, rtol=0, atol=TOL)].min(), best)
    mistake = name_threshold_mistake(case.arrays["y_true"], case.arrays["y_prob"], case.params["thresholds"],
                                     case.params["metric"], got.get("best"), want)
    return Verdict(False, f"{verdict.message} ({mistake})") if mistake else verdict


def _verdict_optimum(case, got, expected):
    what = f"find_best_threshold on {case.describe()}"
    if got["types"] != ["float", "float"] or len(got["best"]) != 2:
        return Verdict(False, f"{what}: returned ({', '.join(got['types'])}); return two Python floats")
    threshold, score = got["best"]
    grid = np.array(expected["grid"], dtype=float)
    reference_scores = np.array(expected["scores"], dtype=float)
    matches = np.flatnonzero(np.isclose(grid, threshold, rtol=0, atol=TOL))
    if matches.size == 0:
        return Verdict(False, f"{what}: returned threshold {threshold!r}, which is not one of the candidates")
    best = reference_scores.max()
    # The true optimum: the lowest candidate reaching the best score.
    lowest_best = grid[np.isclose(reference_scores, best, rtol=0, atol=TOL)].min()
    if not np.isclose(threshold, lowest_best, rtol=0, atol=TOL):
        chosen = reference_scores[matches[0]]
        if chosen < best - TOL:
            return Verdict(False, f"{what}: threshold {threshold:g} scores {chosen:.6f}, but another candidate "
                                  f"scores {best:.6f}; check how each candidate is scored ({case.params['metric']})")
        return Verdict(False, f"{what}: threshold {threshold:g} ties for the best score, but ties go to the lowest threshold")
    if not np.isclose(score, best, rtol=0, atol=TOL):
        return Verdict(False, f"{what}: threshold {threshold:g} is right, but its score is {score!r}; expected {best:.6f}")
    return Verdict(True)


def hand_cases():
    """Small cases worked out by hand: ties, the >= convention, zero denominators."""
    return [
        # Predictions equal at 0.3, 0.5 and 0.7 (all give [1, 1, 0, 0], F1 = 1): the lowest wins.
        Case("ties-to-lowest", {"y_true": [1, 1, 0, 0], "y_prob": [0.9, 0.8, 0.1, 0.2],
                                "thresholds": [0.7, 0.5, 0.3], "metric": "f1", "_expected": [0.3, 1.0]}),
        # y_prob == 0.5 is salt at t = 0.5 (>=): F1 = 1; at 0.6 nothing is predicted: P = 1, R = 0, F1 = 0.
        Case("greater-or-equal", {"y_true": [1, 0], "y_prob": [0.5, 0.2], "thresholds": [0.5, 0.6],
                                  "metric": "f1", "_expected": [0.5, 1.0]}),
        # IoU: at 0.4 -> pred [1,1,1,0]: TP 2, FP 1, FN 0 -> 2/3; at 0.6 -> [1,0,0,0]: TP 1, FN 1 -> 1/2.
        Case("iou-hand", {"y_true": [1, 1, 0, 0], "y_prob": [0.8, 0.45, 0.5, 0.1], "thresholds": [0.4, 0.6],
                          "metric": "iou", "_expected": [0.4, 2 / 3]}),
        # No salt anywhere and none predicted at t = 0.95: IoU's 0/0 counts as 1.0.
        Case("iou-empty", {"y_true": [0, 0, 0], "y_prob": [0.3, 0.9, 0.2], "thresholds": [0.25, 0.95],
                           "metric": "iou", "_expected": [0.95, 1.0]}),
        # F1 with no salt: at 0.25, P = 0/2 = 0 and R = 0/0 = 1 (zero_division) -> F1 0;
        # at 0.95 nothing is predicted: P = R = 1 -> F1 1.
        Case("f1-empty", {"y_true": [0, 0, 0], "y_prob": [0.3, 0.9, 0.2], "thresholds": [0.25, 0.95],
                          "metric": "f1", "_expected": [0.95, 1.0]}),
        # P + R = 0 (TP = 0, FP = FN = 1 at 0.5) gives F1 = 0, not a division by zero;
        # at 0.1 all three are predicted: P = 1/3, R = 1 -> F1 0.5.
        Case("f1-p-plus-r-zero", {"y_true": [1, 0, 0], "y_prob": [0.2, 0.9, 0.3], "thresholds": [0.5, 0.1],
                                  "metric": "f1", "_expected": [0.1, 0.5]}),
        # A float64 probability exactly on a candidate that float32 cannot hold (0.7): salt at t = 0.7.
        # At 0.8 only 0.9 is salt: P = 1, R = 1/2 -> 2/3.
        Case("on-candidate-0.7", {"y_true": [1, 1, 0], "y_prob": [0.7, 0.9, 0.2], "thresholds": [0.8, 0.7],
                                  "metric": "f1", "_expected": [0.7, 1.0]}),
        # The default grid's ends: only 0.95 separates [0.96, 0.97] from 0.93 (every lower
        # candidate predicts all three: F1 0.8), and only 0.05 keeps 0.07 (0.10 drops it: 2/3).
        Case("default-grid-top", {"y_true": [1, 1, 0], "y_prob": [0.96, 0.97, 0.93], "thresholds": None,
                                  "metric": "f1", "_expected": [0.95, 1.0]}),
        Case("default-grid-bottom", {"y_true": [1, 1, 0], "y_prob": [0.07, 0.5, 0.01], "thresholds": None,
                                     "metric": "f1", "_expected": [0.05, 1.0]}),
        # Between 0.15 and 0.20 of the default grid, IoU: at 0.15 [1, 1, 0, 0] is exact.
        Case("default-grid-iou", {"y_true": [1, 1, 0, 0], "y_prob": [0.17, 0.6, 0.12, 0.02], "thresholds": None,
                                  "metric": "iou", "_expected": [0.15, 1.0]}),
        # thresholds as an array and as a tuple (any 1-D sequence), descending: ties still go to the lowest.
        Case("thresholds-ndarray", {"y_true": [1, 1, 0, 0], "y_prob": [0.9, 0.8, 0.1, 0.2], "thresholds": [0.7, 0.5, 0.3],
                                    "_thresholds_as": "ndarray", "metric": "f1", "_expected": [0.3, 1.0]}),
        Case("thresholds-tuple", {"y_true": [1, 1, 0, 0], "y_prob": [0.9, 0.8, 0.1, 0.2], "thresholds": [0.6, 0.35, 0.3],
                                  "_thresholds_as": "tuple", "metric": "iou", "_expected": [0.3, 1.0]}),
        # Masks as plain lists, and a bool y_true in a 2-D batch. Lists: 0.4 and 0.5 both predict
        # [1, 0, 1, 1] (P = 2/3, R = 1, F1 0.8) and tie; 0.6 predicts [1, 0, 0, 1] (F1 0.5).
        Case("lists", {"y_true": [1, 0, 1, 0], "y_prob": [0.65, 0.35, 0.55, 0.6], "thresholds": [0.6, 0.5, 0.4],
                       "_masks_as": "list", "metric": "f1", "_expected": [0.4, 0.8]}),
        Case("bool-truth-2d", {"y_true": [[1, 0], [1, 1]], "y_prob": [[0.8, 0.3], [0.45, 0.6]], "thresholds": [0.5, 0.4],
                               "_masks_as": "bool", "metric": "iou", "_expected": [0.4, 1.0]}),
        # Probabilities 0.0 and 1.0 in a float64 array the caller keeps: it must come back unchanged.
        Case("inputs-unchanged", {"y_true": [1, 0, 1, 0], "y_prob": [1.0, 0.0, 0.6, 0.3], "thresholds": [0.5, 0.25],
                                  "metric": "f1", "_unchanged": True, "_expected": [0.5, 1.0]}),
        # The same in 2-D with a bool y_true, IoU: at 0.25 [[1, 1], [0, 1]] (IoU 2/3), at 0.75 [[1, 0], [0, 1]] (1).
        Case("inputs-unchanged-2d", {"y_true": [[1, 0], [0, 1]], "y_prob": [[1.0, 0.5], [0.0, 0.8]],
                                     "thresholds": [0.75, 0.25], "metric": "iou", "_masks_as": "bool", "_unchanged": True,
                                     "_expected": [0.75, 1.0]}),
    ]


def _hand_inputs(p):
    """The hand case's inputs in the arrangement it names (arrays by default)."""
    kind = p.get("_masks_as")
    if kind == "list":
        y_true, y_prob = list(p["y_true"]), list(p["y_prob"])
    else:
        y_true = np.array(p["y_true"], dtype=bool if kind == "bool" else None)
        y_prob = np.array(p["y_prob"], dtype=np.float64)
    thresholds = p["thresholds"]
    if p.get("_thresholds_as") == "ndarray":
        thresholds = np.array(thresholds, dtype=np.float64)
    elif p.get("_thresholds_as") == "tuple":
        thresholds = tuple(thresholds)
    return y_true, y_prob, thresholds


def probe_hand(impl, case):
    p = case.params
    y_true, y_prob, thresholds = _hand_inputs(p)
    kept = [np.array(y_true, copy=True), np.array(y_prob, copy=True)]
    best = impl.find_best_threshold(y_true, y_prob, thresholds=thresholds, metric=p["metric"])
    answer = {"best": [_plain_number(v) for v in best], "types": [_type_name(v) for v in best]}
    if p.get("_unchanged"):
        # SPEC: a graded function never modifies the arrays it is given.
        answer["unchanged"] = all(np.array_equal(a, np.asarray(b)) and a.dtype == np.asarray(b).dtype
                                  for a, b in zip(kept, (y_true, y_prob)))
    return answer


def verdict_hand(case, got, expected):
    p = case.params
    arrangement = "".join(f", {key[1:]}={p[key]!r}" for key in ("_masks_as", "_thresholds_as") if key in p)
    what = (f"find_best_threshold(y_true={p['y_true']}, y_prob={p['y_prob']}, thresholds={p['thresholds']}, "
            f"metric={p['metric']!r}){' with' + arrangement[1:] if arrangement else ''}")
    want = p["_expected"]
    if got["best"] is None or None in got["best"] or not np.allclose(got["best"], want, rtol=0, atol=TOL):
        y_true, y_prob, thresholds = _hand_inputs(p)
        mistake = name_threshold_mistake(y_true, y_prob, thresholds, p["metric"], got["best"], want)
        return Verdict(False, f"{what} returned {tuple(got['best'])}, expected {tuple(want)}"
                              + (f" ({mistake})" if mistake else ""))
    if got["types"] != ["float", "float"]:
        return Verdict(False, f"{what} returned ({', '.join(got['types'])}); return two Python floats")
    if p.get("_unchanged") and not got.get("unchanged"):
        return Verdict(False, f"{what} changed the arrays it was given; work on a copy of y_prob and y_true")
    return Verdict(True)


def error_cases():
    y = np.array([[0, 1], [1, 0]], dtype=np.uint8)
    prob = np.array([[0.1, 0.7], [0.6, 0.4]])
    return [
        Case("unknown-metric", {"metric": "accuracy", "thresholds": None}, {"y_true": y, "y_prob": prob}),
        Case("empty-thresholds", {"metric": "f1", "thresholds": []}, {"y_true": y, "y_prob": prob}),
        Case("shapes-differ", {"metric": "f1", "thresholds": None}, {"y_true": y, "y_prob": prob.ravel()}),
        # Shapes that broadcast are different shapes; the ValueError is the function's own.
        Case("shapes-broadcast", {"metric": "iou", "thresholds": None}, {"y_true": y[:1], "y_prob": prob}),
        Case("empty-thresholds-array", {"metric": "iou", "thresholds": [], "_thresholds_as": "ndarray"},
             {"y_true": y, "y_prob": prob}),
        # Non-binary y_true (SPEC, Clarifications), under both metrics: IoU uses no precision() to refuse it.
        Case("non-binary-truth-f1", {"metric": "f1", "thresholds": None},
             {"y_true": np.array([[0, 2], [1, 0]]), "y_prob": prob}),
        Case("non-binary-truth-iou", {"metric": "iou", "thresholds": [0.5, 0.3]},
             {"y_true": np.array([[0, 1], [0.5, 0]]), "y_prob": prob}),
    ]


def probe_error(impl, case):
    a = case.arrays
    thresholds = case.params["thresholds"]
    if case.params.get("_thresholds_as") == "ndarray":
        thresholds = np.array(thresholds, dtype=np.float64)
    record = call_capturing(impl.find_best_threshold, a["y_true"].copy(), a["y_prob"].copy(),
                            thresholds=thresholds, metric=case.params["metric"])
    record.pop("value", None)
    return record


def verdict_error(case, got, expected):
    if got["raised"] == "ValueError":
        return Verdict(True)
    did = "returned normally" if got["raised"] is None else f"raised {got['raised']}"
    why = _ERROR_MISTAKES.get(case.id, "") if got["raised"] is None else ""
    return Verdict(False, f"find_best_threshold with {case.id.replace('-', ' ')} {did}; expected ValueError{why}")


_ERROR_MISTAKES = {
    "non-binary-truth-iou": " (metric='iou' counts pixels itself, so it must refuse a y_true holding values other "
                            "than 0 and 1, as precision() does for F1)",
    "shapes-broadcast": " (shapes that broadcast are still different shapes: compare y_true.shape with y_prob.shape)",
    "empty-thresholds": " (an empty list is not None: `if not thresholds` takes it for 'use the default grid')",
}
"""What a search that returns normally on an error case has done, by case."""


register(Check("find_best_threshold.optimum", "find_best_threshold",
               "the best candidate is a true optimum of the grid (F1 and IoU, default and custom grids)",
               optimum_cases, probe_optimum, verdict_optimum, hint=HINT))
register(Check("find_best_threshold.conventions", "find_best_threshold",
               "ties go to the lowest threshold, salt is y_prob >= t, empty cases, the default grid's ends, "
               "thresholds as list/tuple/array, masks as lists/bool, inputs left unchanged",
               hand_cases, probe_hand, verdict_hand, needs_reference=False, hint=HINT))
register(Check("find_best_threshold.errors", "find_best_threshold",
               "unknown metric, empty thresholds, different shapes (broadcastable too), non-binary y_true raise ValueError",
               error_cases, probe_error, verdict_error, needs_reference=False,
               hint="validate metric, thresholds, shapes and y_true's values first"))
