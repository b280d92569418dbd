"""The hidden cases, as a property over grading seeds: lawful inputs, varied arrangements, fair to correct code.

The grader draws its hidden cases from the grading seed (``grader/hidden_cases.py``),
so they are property-based cases whose draw is fixed by the seed: a grade is the
same on every re-run. These tests check the property for a fixed set of seeds
(deterministic, like Hypothesis with ``derandomize=True``): every case stays inside
what SPEC.md allows (no float32 probability on a candidate, no probability within
1e-9 of a default-grid value), the arrangements vary across seeds (mask dtypes,
probability dtypes, probabilities on candidates), and the reference and every
unusual correct implementation of metrics and thresholds pass every case in-process.
The blocks' hidden cases are run by the grader itself in
``selftests/test_grader_mutants.py``.
"""

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # grader/ is instructor-only, not installed
from grader.hidden_cases import MASK_DTYPES, hidden_cases  # noqa: E402
from mutants import overlay  # noqa: E402
from saltlab.checks.core import get_check, run_probe  # noqa: E402
from saltlab.evaluation.thresholds import THRESHOLD_GRID  # noqa: E402
from saltlab.impl import load_implementation  # noqa: E402
from test_public_graders import UNUSUAL, UNUSUAL_STYLES  # noqa: E402

SEEDS = range(8)
FAST_HIDDEN = ("precision.random", "recall.random", "find_best_threshold.optimum")


def _cases(check_id):
    return [(seed, case) for seed in SEEDS for case in hidden_cases(check_id, seed)]


def test_hidden_threshold_cases_stay_inside_the_contract():
    default = np.asarray(THRESHOLD_GRID, dtype=np.float64)
    for seed, case in _cases("find_best_threshold.optimum"):
        y_prob, grid = case.arrays["y_prob"], case.params["thresholds"]
        if y_prob.dtype == np.float32:
            # SPEC: never a float32 probability within float32 rounding of a candidate.
            candidates = np.asarray(default if grid is None else grid, dtype=np.float64)
            gap = np.abs(y_prob.astype(np.float64)[..., None] - candidates).min()
            assert gap > np.finfo(np.float32).eps, (seed, case.id)
        if grid is None:
            # SPEC: never within 1e-9 of a default-grid value (0.15 and 0.15000000000000002 differ).
            assert np.abs(y_prob.astype(np.float64)[..., None] - default).min() > 1e-9, (seed, case.id)
        assert set(np.unique(case.arrays["y_true"]).tolist()) <= {0, 1}


def test_hidden_cases_vary_their_arrangement_across_seeds():
    threshold = _cases("find_best_threshold.optimum")
    truth_dtypes = {str(case.arrays["y_true"].dtype) for _, case in threshold}
    prob_dtypes = {str(case.arrays["y_prob"].dtype) for _, case in threshold}
    assert len(truth_dtypes) >= 4 and prob_dtypes == {"float32", "float64"}
    on_candidates = [case for _, case in threshold if case.params.get("on_candidates")]
    assert on_candidates and all(
        np.isin(case.arrays["y_prob"], np.asarray(case.params["thresholds"])).all() for case in on_candidates)
    metric_dtypes = {str(case.arrays["y_true"].dtype) for _, case in _cases("precision.random")}
    assert len(metric_dtypes) >= 4 and metric_dtypes <= set(MASK_DTYPES)


def _implementations():
    impls = [("reference", None, None)]
    impls += [(f"unusual/{p.name}", f"{p.stem}.py", p) for p in sorted(UNUSUAL.glob("*.py")) if p.stem != "blocks"]
    impls += [(f"unusual_styles/{p.name}", f"{p.stem.split('_')[0]}.py", p)
              for p in sorted(UNUSUAL_STYLES.glob("*.py")) if p.stem.split("_")[0] in ("metrics", "threshold")]
    return impls


@pytest.mark.parametrize("label, graded_file, source", _implementations(), ids=[i[0] for i in _implementations()])
def test_correct_code_passes_every_hidden_case_of_every_seed(label, graded_file, source, reference, tmp_path):
    impl = reference if source is None else load_implementation(overlay(tmp_path / "impl", {graded_file: source}))
    failures = []
    for check_id in FAST_HIDDEN:
        check = get_check(check_id)
        for seed, case in _cases(check_id):
            expected = run_probe(check, reference, case)
            got = run_probe(check, impl, case)
            verdict = check.verdict(case, got.answer, expected.answer) if got.status == "ok" else None
            if verdict is None or not verdict.passed:
                failures.append((check_id, seed, case.id, got.detail if verdict is None else verdict.message[:200]))
    assert failures == []
