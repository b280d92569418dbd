"""Run checks in this process, with the reference's answers read from the fixtures.

This is how the public tests run (:mod:`.pytest_plugin`): the student's own
code, in the student's own process, which is fine for self-assessment. The
instructor's grader never does this with a submission (see ``grader/``).
"""

from .core import REGISTRY, Verdict, judge, run_probe
from .fixtures import load_expected


def run_check_locally(check, impl):
    """Run ``check`` on every public case; the first failing verdict, or a pass.

    Parameters
    ----------
    check : Check
    impl : Implementation

    Returns
    -------
    verdict : Verdict
        On failure the message ends with the check's hint (unless the function
        is simply not implemented yet). On a pass, what the last verdict said
        (the training checks: the IoU and the curve's pattern). Its
        ``figure`` (training checks) is kept, passed or failed.

    Raises
    ------
    FixtureError
        If a reference answer the check needs is missing or stale.
    """
    figure, said = None, ""
    for case in check.public_cases():
        outcome = run_probe(check, impl, case)
        expected = load_expected(check.id, case) if check.needs_reference and outcome.status == "ok" else None
        verdict = judge(check, case, outcome, expected)
        figure = verdict.figure if verdict.figure is not None else figure
        said = verdict.message or said
        if not verdict.passed:
            if outcome.status == "ok" and check.hint:
                return Verdict(False, f"{verdict.message}\n  hint: {check.hint}", verdict.measure, verdict.figure)
            return verdict
    return Verdict(True, said, figure=figure)


def score_locally(impl, check_ids=None, *, include_training=False):
    """Run several public checks in-process.

    Parameters
    ----------
    impl : Implementation
    check_ids : list of str, optional
        Default: every registered check (training checks only with ``include_training``).

    Returns
    -------
    results : dict of str to Verdict
    """
    ids = check_ids or [c for c in sorted(REGISTRY) if include_training or not c.startswith("training.")]
    return {check_id: run_check_locally(REGISTRY[check_id], impl) for check_id in ids}
