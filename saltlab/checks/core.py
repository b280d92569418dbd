"""Cases, checks, outcomes and verdicts, and the registry of every check."""

import threading
import traceback
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .plaindata import to_plain


@dataclass(frozen=True)
class Case:
    """One input of a check: plain parameters plus arrays.

    Attributes
    ----------
    id : str
        Short, readable, unique within the check (``"101x101x3-f8-k5-bn"``).
    params : dict
        JSON values (shapes, modes, flags) shown to the student on failure.
    arrays : dict of str to np.ndarray
        Inputs too big to show (weights, images). Public cases are made by
        code from fixed seeds; the grader's hidden cases from a seed drawn at
        grading time.
    secret : dict of str to np.ndarray
        What the verdict needs but the probe must never see (the validation
        masks of the training check). The grader keeps it in its own process.
    """

    id: str
    params: dict
    arrays: dict = field(default_factory=dict)
    secret: dict = field(default_factory=dict)

    def describe(self):
        """The case as a student may read it: its parameters, never arrays."""
        shown = ", ".join(f"{k}={v!r}" for k, v in self.params.items() if not k.startswith("_"))
        return f"case {self.id} ({shown})" if shown else f"case {self.id}"


@dataclass(frozen=True)
class Outcome:
    """What happened when a probe ran on one case.

    Attributes
    ----------
    status : {'ok', 'not_implemented', 'error'}
    answer : dict
        The probe's plain data when ``status == 'ok'``.
    detail : str
        For 'not_implemented', the function named by the stub; for 'error',
        ``"<ExceptionType>: <message>"`` and where it was raised.
    """

    status: str
    answer: dict = field(default_factory=dict)
    detail: str = ""

    def to_plain(self):
        return {"status": self.status, "answer": self.answer, "detail": self.detail}

    @classmethod
    def from_plain(cls, data):
        """Rebuild from untrusted plain data, checking every field's type."""
        if not isinstance(data, dict) or data.get("status") not in ("ok", "not_implemented", "error"):
            return cls("error", detail="the probe returned malformed data")
        answer = data.get("answer")
        detail = data.get("detail")
        return cls(
            status=data["status"],
            answer=answer if isinstance(answer, dict) else {},
            detail=detail[:2000] if isinstance(detail, str) else "",
        )


@dataclass(frozen=True)
class Verdict:
    """Pass or fail of one check on one case, with a message for the student.

    ``measure`` is the number the verdict was decided on, when there is one
    (the validation IoU of a training check): the grader records it, and
    Gradescope's leaderboard can show it. ``figure`` is plain data a figure
    is drawn from (the training check's curve and predictions on public
    images, :mod:`.training_feedback`), made by the verdict, never by the probe.
    """

    passed: bool
    message: str = ""
    measure: float = None
    figure: dict = None


@dataclass(frozen=True)
class Check:
    """A graded check: cases, a probe and a verdict.

    Attributes
    ----------
    id : str
        ``"<function>.<aspect>"``, the key of the rubric (``tests/rubric.toml``).
    function : str
        The graded function under test (named in "not implemented yet").
    description : str
        One line: what is checked.
    public_cases : callable () -> list of Case
        The public cases, made by code from fixed seeds.
    probe : callable (impl, case) -> dict
        Runs the implementation; returns plain data.
    verdict : callable (case, got, expected) -> Verdict
        ``got`` is the probe's answer for the implementation under test,
        ``expected`` the reference probe's answer (``None`` when
        ``needs_reference`` is false).
    needs_reference : bool
        Whether the verdict compares with the reference's answer (stored by
        ``make fixtures`` for public cases).
    hint : str
        Shown with every failure: where to look, never the answer.
    concurrent : bool
        The probe takes :data:`PROBE_LOCK` itself, only around what draws
        random numbers or runs the implementation's Python code, and runs the
        rest (a traced training) outside it, so that trainings can run side by
        side. Every other probe runs holding the lock.
    """

    id: str
    function: str
    description: str
    public_cases: Callable
    probe: Callable
    verdict: Callable
    needs_reference: bool = True
    hint: str = ""
    concurrent: bool = False


PROBE_LOCK = threading.RLock()
"""Held while a probe seeds the random generators, builds layers or runs the implementation.

Seeding is process-wide (Python's, NumPy's, Keras's and TensorFlow's global
seeds): two threads seeding and building at once would draw each other's
initial weights. Only the training check runs work in other threads
(:mod:`.training_checks`), and it takes this lock for each seed-build-trace.
"""


REGISTRY = {}
"""Every check by id. Filled when :mod:`saltlab.checks` is imported (its
``__init__`` imports :mod:`.all_checks`), so it is complete whenever any
module of the package is in use; this module imports none of them."""


def register(check):
    """Add a check to :data:`REGISTRY` (module import time) and return it."""
    if check.id in REGISTRY:
        raise ValueError(f"check {check.id!r} registered twice")
    REGISTRY[check.id] = check
    return check


def get_check(check_id):
    """The registered check ``check_id``.

    Raises
    ------
    KeyError
        For an unknown id, listing the known ones.
    """
    try:
        return REGISTRY[check_id]
    except KeyError:
        raise KeyError(f"unknown check {check_id!r}; known: {sorted(REGISTRY)}") from None


def _where(error):
    """The innermost frame of a traceback, as ``file:line in function``."""
    frames = traceback.extract_tb(error.__traceback__)
    if not frames:
        return ""
    frame = frames[-1]
    return f"{frame.filename.rsplit('/', 1)[-1]}:{frame.lineno} in {frame.name}"


def run_probe(check, impl, case):
    """Run ``check.probe`` on ``case`` and turn whatever happens into an Outcome.

    A stub's ``NotImplementedError("conv_block: ...")`` becomes
    ``not_implemented`` naming ``conv_block``; any other exception becomes
    ``error`` with its type, message and place. The answer is forced through
    the plain-data format so nothing but data leaves the probe.
    """
    try:
        if check.concurrent:
            answer = check.probe(impl, case)
        else:
            with PROBE_LOCK:
                answer = check.probe(impl, case)
        answer = to_plain(answer)
    except NotImplementedError as error:
        function = str(error).split(":", 1)[0].strip() or check.function
        return Outcome("not_implemented", detail=function)
    except Exception as error:  # the student's code may raise anything
        message = str(error).strip().splitlines()[0][:300] if str(error).strip() else ""
        return Outcome("error", detail=f"{type(error).__name__}: {message} ({_where(error)})")
    return Outcome("ok", answer=answer)


def judge(check, case, outcome, expected):
    """Turn an Outcome into a Verdict (in the grader's or the test's process).

    Parameters
    ----------
    expected : dict or None
        The reference's answer for this case (None when not needed).
    """
    if outcome.status == "not_implemented":
        return Verdict(False, f"not implemented yet: {outcome.detail}")
    if outcome.status == "error":
        from .error_mistakes import name_error

        named = name_error(check.function, case, outcome.detail)
        return Verdict(False, f"{check.function} failed on {case.describe()}: {outcome.detail}"
                              + (f" ({named})" if named else ""))
    try:
        return check.verdict(case, outcome.answer, expected)
    except Exception as error:  # a malformed answer must fail the check, not the grader
        return Verdict(
            False,
            f"{check.function} on {case.describe()}: the result could not be checked "
            f"({type(error).__name__}: {error})",
        )


def call_capturing(function, *args, **kwargs):
    """Call ``function`` and record its result or the exception it raised.

    Used by probes of the error-handling checks, which must report an
    exception as data. ``NotImplementedError`` propagates (a stub is a stub).

    Returns
    -------
    record : dict
        ``{"raised": None, "value": <plain>}`` or
        ``{"raised": "<ExceptionType>", "message": "<text>"}``.
    """
    try:
        value = function(*args, **kwargs)
    except NotImplementedError:
        raise
    except Exception as error:
        return {"raised": type(error).__name__, "message": str(error)[:500]}
    return {"raised": None, "value": value}


def compare_arrays(what, got, expected, *, rtol, atol, note=""):
    """Verdict of an array answer: same shape, and close to ``rtol``/``atol``.

    Parameters
    ----------
    what : str
        Names the call and the case (``"conv_block on case 9x9x6-f5-k5-bn (...)"``).
    got, expected : array_like
    note : str, optional
        Appended to a failure message (a diagnosis of a common mistake).
    """
    got, expected = np.asarray(got), np.asarray(expected)
    if got.shape != expected.shape:
        return Verdict(False, f"{what}: output shape {got.shape}, expected {expected.shape}{note}")
    if np.allclose(got, expected, rtol=rtol, atol=atol):
        return Verdict(True)
    return Verdict(False, f"{what}: {first_difference(got, expected, rtol=rtol, atol=atol)}{note}")


def first_difference(got, expected, *, rtol, atol):
    """Describe where two arrays differ: index, got, expected. Shapes must match."""
    got = np.asarray(got, dtype=float)
    expected = np.asarray(expected, dtype=float)
    close = np.isclose(got, expected, rtol=rtol, atol=atol)
    bad = np.argwhere(~close)
    index = tuple(int(i) for i in bad[0])
    return (
        f"{len(bad)} of {close.size} values differ (rtol={rtol:.2g}, atol={atol:.2g}); "
        f"first at index {index}: got {got[index]:.6g}, expected {expected[index]:.6g}"
    )
