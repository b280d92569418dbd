"""Checks of ``find_best_threshold``: a true optimum of the grid, ties, ``>=``, grids, errors."""

import numpy as np

from ..evaluation.thresholds import THRESHOLD_GRID
from .core import Case, Check, Verdict, call_capturing, register

TOL = 1e-9
"""Thresholds and scores are compared to 1e-9: a grid built as 0.05 * k or with
np.arange differs from round(0.05 * k, 2) by ~1e-17, which must not matter."""

HINT = ("score every candidate t on (y_prob >= t) and keep the first best in ascending order of t; "
        "F1 = 2PR/(P+R) from your precision and recall, IoU = TP/(TP+FP+FN)")


def probability_case(case_id, metric, *, thresholds=None, shape=(4, 101, 101), seed=0, density=0.35):
    """Masks with blob-like salt and noisy, correlated probabilities, as a network gives."""
    rng = np.random.default_rng(seed)
    y_true = (rng.random(shape) < density).astype(np.uint8)
    logits = np.where(y_true == 1, 1.0, -1.0) * rng.uniform(0.2, 2.0) + rng.normal(0.0, 1.3, size=shape)
    y_prob = (1.0 / (1.0 + np.exp(-logits))).astype(np.float32)
    params = {"metric": metric, "thresholds": thresholds, "shape": list(shape)}
    return Case(case_id, params, {"y_true": y_true, "y_prob": y_prob})


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
    best = f(a["y_true"], a["y_prob"], thresholds=p["thresholds"], metric=p["metric"])
    grid = THRESHOLD_GRID if p["thresholds"] is None else p["thresholds"]
    scores = [float(f(a["y_true"], a["y_prob"], thresholds=[t], metric=p["metric"])[1]) for t in grid]
    return {"best": [_plain_number(v) for v in best], "grid": list(grid), "scores": scores,
            "types": [_type_name(v) for v in best]}


def _type_name(value):
    return "float" if isinstance(value, float) else type(value).__name__


def _plain_number(value):
    return float(value) if isinstance(value, (int, float, np.number)) else None


def verdict_optimum(case, got, expected):
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
    ]


def probe_hand(impl, case):
    p = case.params
    best = impl.find_best_threshold(np.array(p["y_true"]), np.array(p["y_prob"]), thresholds=p["thresholds"],
                                    metric=p["metric"])
    return {"best": [_plain_number(v) for v in best], "types": [_type_name(v) for v in best]}


def verdict_hand(case, got, expected):
    p = case.params
    what = (f"find_best_threshold(y_true={p['y_true']}, y_prob={p['y_prob']}, thresholds={p['thresholds']}, "
            f"metric={p['metric']!r})")
    want = p["_expected"]
    if got["best"] is None or None in got["best"] or not np.allclose(got["best"], want, rtol=0, atol=TOL):
        return Verdict(False, f"{what} returned {tuple(got['best'])}, expected {tuple(want)}")
    if got["types"] != ["float", "float"]:
        return Verdict(False, f"{what} returned ({', '.join(got['types'])}); return two Python floats")
    return Verdict(True)


def error_cases():
    y = np.array([[0, 1], [1, 0]], dtype=np.uint8)
    prob = np.array([[0.1, 0.7], [0.6, 0.4]])
    return [
        Case("unknown-metric", {"metric": "accuracy", "thresholds": None}, {"y_true": y, "y_prob": prob}),
        Case("empty-thresholds", {"metric": "f1", "thresholds": []}, {"y_true": y, "y_prob": prob}),
        Case("shapes-differ", {"metric": "f1", "thresholds": None}, {"y_true": y, "y_prob": prob.ravel()}),
    ]


def probe_error(impl, case):
    a = case.arrays
    record = call_capturing(impl.find_best_threshold, a["y_true"], a["y_prob"],
                            thresholds=case.params["thresholds"], metric=case.params["metric"])
    record.pop("value", None)
    return record


def verdict_error(case, got, expected):
    if got["raised"] == "ValueError":
        return Verdict(True)
    did = "returned normally" if got["raised"] is None else f"raised {got['raised']}"
    return Verdict(False, f"find_best_threshold with {case.id.replace('-', ' ')} {did}; expected ValueError")


register(Check("find_best_threshold.optimum", "find_best_threshold",
               "the best candidate is a true optimum of the grid (F1 and IoU, default and custom grids)",
               optimum_cases, probe_optimum, verdict_optimum, hint=HINT))
register(Check("find_best_threshold.conventions", "find_best_threshold",
               "ties go to the lowest threshold, salt is y_prob >= t, IoU of nothing is 1",
               hand_cases, probe_hand, verdict_hand, needs_reference=False, hint=HINT))
register(Check("find_best_threshold.errors", "find_best_threshold",
               "unknown metric, empty thresholds and different shapes raise ValueError",
               error_cases, probe_error, verdict_error, needs_reference=False,
               hint="validate metric, thresholds and shapes first"))
