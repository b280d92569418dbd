"""Grade one submission: a worker answers, the grader judges.

:func:`grade_submission` walks the plan's checks through one worker
(:mod:`grader.worker_process`; TensorFlow loads once per submission), judges
every answer here with the reference's expected answer and the case's secret
data, and turns anything that goes wrong (a hang, a crash, a memory bomb,
garbage on the channel, the submission's time budget) into failed checks and
a status, never into an exception. After a timeout or a crash the worker is
killed and a fresh one serves the next check. What a student may read of a
hidden check is one fixed kind of sentence.
"""

import builtins
import time

from saltlab.checks.core import judge
from saltlab.impl import GRADED_FUNCTIONS

from .sandbox import reclaim
from .untrusted import clean_text
from .worker_process import CappedLog, Deadline, OverBudget, Worker, WorkerFailure

STATUS_ORDER = ("grader error", "bad archive", "bad folder", "link", "missing files", "syntax error",
                "import error", "timeout", "memory", "crash", "budget", "notebook missing", "notebook invalid",
                "notebook timeout", "notebook crash")
"""Row statuses, most fundamental first; a row lists every one that happened."""


class Cancelled(Exception):
    """The run was interrupted: the submission's grading is abandoned, nothing is written."""


def _public_message(planned, verdict, outcome):
    message = verdict.message
    if outcome.status == "ok" and planned.check.hint:
        message += f"\n  hint: {planned.check.hint}"
    return message


def _hidden_message(planned, outcome=None, failure=None):
    """What a student may read about a failed hidden check: what kind of failure, never the input."""
    if failure is not None:
        why = {"timeout": f"your code ran out of time on a hidden case (the limit is {planned.timeout:g} s)",
               "memory": "your code ran out of memory on a hidden case",
               "crash": "the process running your code died on a hidden case",
               "budget": "your submission's total time budget ran out"}[failure.kind]
    elif outcome.status == "not_implemented":
        # Both names are the student's text: show them only when they are known names, so a
        # submission cannot spell a hidden input into its own feedback (raise type(f"H{x.shape}", ...)).
        shown = outcome.detail if outcome.detail in GRADED_FUNCTIONS else planned.check.function
        why = f"not implemented yet: {shown}"
    elif outcome.status == "error":
        raised = outcome.detail.split(":", 1)[0].strip()
        raised = raised if isinstance(getattr(builtins, raised, None), type) else "an exception"
        why = f"your function raised {raised} on an input not in the public tests"
    elif planned.is_training:
        why = "a U-Net built from your blocks did not learn well enough on a hidden dataset"
    else:
        why = "your function disagrees with the reference on inputs not in the public tests"
    return f"failed — {why}." + (f"\n  hint: {planned.check.hint}" if planned.check.hint else "")


MAX_ROW_TEXT = 4000
"""Characters kept of a check's message and feedback: every per-student file stays far below 1 MB."""


def _row(planned, passed, outcome_kind, message, feedback, seconds, measure=None, figure=None):
    row = {"key": planned.key, "check_id": planned.entry.check_id, "question": planned.entry.question,
            "hidden": planned.entry.hidden, "description": planned.check.description,
            "points": planned.entry.points, "earned": planned.entry.points if passed else 0.0,
            "passed": passed, "outcome": outcome_kind, "message": clean_text(message, MAX_ROW_TEXT),
            "feedback": clean_text(feedback, MAX_ROW_TEXT),
            "seconds": round(seconds, 3), "measure": None if measure is None else round(float(measure), 6)}
    if figure is not None and not planned.entry.hidden:
        # The verdict's own plain data (curve, band, predictions on public images); a hidden
        # check gets no figure: its curve would tell its outcome before grades are published.
        row["figure"] = figure
    return row


FAIL_ALL_FEEDBACK = 300
"""Characters of a whole-submission failure repeated in each check's feedback (the status line has it whole)."""


def _fail_all(plan, rows, kind, message):
    """Fail every check not run yet with one reason (short in each row: it is said once at the top)."""
    done = {row["key"] for row in rows}
    short = clean_text(message, FAIL_ALL_FEEDBACK)
    for planned in plan.checks:
        if planned.key not in done:
            rows.append(_row(planned, False, kind, message, short, 0.0))


def _run_check(planned, worker, expected, budget_deadline=None, budget=None, observe=None):
    """Every case of one check through the worker; stops at the first failing case.

    Parameters
    ----------
    budget_deadline : float, optional
        ``time.monotonic()`` when the submission's whole budget ends; the
        check's own deadline never goes past it.
    observe : callable, optional
        Called as ``observe(planned, case, outcome, verdict, failure)`` for each
        case run (``outcome`` and ``verdict`` None after a worker failure):
        ``python -m grader explain`` shows them. It decides nothing.

    Returns
    -------
    row : dict
    failure : WorkerFailure or None
        Set when the worker is gone (timeout, crash, budget) and must be replaced.
    problem : str or None
        A row status raised without losing the worker ('memory' on MemoryError).
    """
    start = time.monotonic()
    deadline = start + planned.timeout
    capped = budget_deadline is not None and budget_deadline < deadline
    if capped:
        deadline = budget_deadline
    problem, measure, figure = None, None, None
    for case in planned.cases:
        try:
            outcome = worker.ask(planned.entry.check_id, case, deadline)
        except WorkerFailure as failure:
            if isinstance(failure, Deadline):
                failure = OverBudget(budget) if capped and time.monotonic() >= budget_deadline else Deadline(
                    f"timed out: {planned.entry.check_id} took more than {planned.timeout:g} s "
                    "(an endless loop, or far slower than needed)")
            if observe is not None:
                observe(planned, case, None, None, failure)
            detail = f"{failure} on {case.describe()}"
            feedback = (_hidden_message(planned, failure=failure) if planned.entry.hidden
                        else f"on {case.describe()}: {failure}")
            return _row(planned, False, failure.kind, detail, feedback, time.monotonic() - start), failure, None
        if outcome.status == "error" and outcome.detail.startswith("MemoryError"):
            problem = "memory"
        verdict = judge(planned.check, case, outcome, expected.get((planned.key, case.id)))
        if observe is not None:
            observe(planned, case, outcome, verdict, None)
        if not verdict.passed:
            kind = "memory" if problem else "failed"
            feedback = (_hidden_message(planned, outcome=outcome) if planned.entry.hidden
                        else _public_message(planned, verdict, outcome))
            return _row(planned, False, kind, f"{case.id}: {verdict.message}", feedback,
                        time.monotonic() - start, verdict.measure, verdict.figure), None, problem
        measure = verdict.measure if verdict.measure is not None else measure
        figure = verdict.figure if verdict.figure is not None else figure
    return _row(planned, True, "passed", "", "", time.monotonic() - start, measure, figure), None, problem


AFTER_HIDDEN = ("the process running your code had to be restarted after a hidden check and then failed to "
                "start ({kind}); the remaining checks were not run")
"""What a student reads when a worker fails to start after hidden inputs were sent. Its own words
(an import error's text) are never shown then: a submission could carry a hidden input across a
restart and spell it into its error message."""


def grade_submission(submission, plan, settings, *, slot=0, log_path=None, cancel=None, course=None, warm=None,
                     on_ready=None, observe=None, on_row=None):
    """Run every planned check on one submission and judge it.

    Parameters
    ----------
    submission : grader.collect.Submission
    plan : grader.plan.Plan
        With the reference's expected answers.
    settings : grader.worker_process.Settings
    slot : int, optional
        The job slot running this submission.
    log_path : pathlib.Path, optional
        Where the worker's output goes (capped).
    cancel : threading.Event, optional
        Set when the run is interrupted.
    course : grader.notebooks.Course, optional
        Grade the notebooks too (after the ``.py`` checks, in fresh sandboxed
        processes with their own budget): their rows follow the checks'.
    observe : callable, optional
        Sees every case run and its verdict (see :func:`_run_check`).
    on_row : callable (row) -> None, optional
        Called with each check's row as soon as it is judged, while the
        worker goes on: the batch starts drawing a training figure then
        (:class:`grader.figures.FigureDrawer`). It decides nothing.

    Returns
    -------
    record : dict
        ``student_id``, ``status``, ``problems``, ``message``, ``checks``
        (one row per planned check), ``timing``. Points are added by
        :mod:`grader.report`. Every string a student controls in it went
        through :mod:`grader.untrusted`.
    warm : grader.warm_start.WarmStart, optional
        A worker already spawned for this submission (TensorFlow loaded while
        the previous student was graded): used as the first worker, with its log
        (``log_path`` is then ignored).
    on_ready : callable () -> None, optional
        Called once, when the first worker has imported the submission: the
        batch spawns the next student's worker then, so that its start-up
        overlaps this student's checks rather than this student's start-up.

    Raises
    ------
    Cancelled
        If ``cancel`` is set while the submission is being graded.
    """
    rows, problems, timing = [], [], {"startup_seconds": [], "total_seconds": 0.0, "warm_start": warm is not None}
    started = time.monotonic()
    budget_deadline = started + settings.submission_budget
    message = submission.message
    peaks = []
    if submission.problem:
        problems.append(submission.problem)
        _fail_all(plan, rows, submission.problem, submission.message)
        if course is not None:
            from .notebooks import rows_not_run

            rows += rows_not_run(submission.problem, submission.message)
    else:
        log = warm.log if warm is not None else CappedLog(log_path, settings.log_bytes)
        worker, restarts, hidden_sent = None, 0, False
        ahead = warm.worker if warm is not None else None
        try:
            for planned in plan.checks:
                if cancel is not None and cancel.is_set():
                    raise Cancelled(submission.student_id)
                if time.monotonic() >= budget_deadline:
                    failure = OverBudget(settings.submission_budget)
                    problems.append(failure.kind)
                    _fail_all(plan, rows, failure.kind, str(failure))
                    break
                if worker is None:
                    if restarts > settings.max_restarts:
                        _fail_all(plan, rows, "not run", f"not run: the process running your code died or hung "
                                                         f"{restarts} times, so the remaining checks were skipped")
                        break
                    worker, ahead = ahead or Worker(submission.staged, settings, slot, log), None
                    t0 = time.monotonic()
                    try:
                        report = worker.start()
                    except WorkerFailure as failure:
                        problems.append(failure.kind)
                        message = (AFTER_HIDDEN.format(kind=failure.kind) if hidden_sent
                                   else f"while importing your files: {failure}")
                        _fail_all(plan, rows, failure.kind, message)
                        break
                    timing["startup_seconds"].append(round(time.monotonic() - t0, 3))
                    if on_ready is not None:
                        on_ready()
                        on_ready = None
                    if not report["ready"]:
                        kind = report["kind"] if report.get("kind") in ("syntax error", "import error") \
                            else "import error"
                        problems.append(kind)
                        message = AFTER_HIDDEN.format(kind=kind) if hidden_sent else clean_text(report.get("error"))
                        _fail_all(plan, rows, kind, message)
                        break
                hidden_sent = hidden_sent or planned.entry.hidden
                row, failure, problem = _run_check(planned, worker, plan.expected, budget_deadline,
                                                   settings.submission_budget, observe)
                if cancel is not None and cancel.is_set():
                    raise Cancelled(submission.student_id)  # the worker was killed by Ctrl-C, not by the code
                rows.append(row)
                if on_row is not None:
                    on_row(row)
                if problem:
                    problems.append(problem)
                if failure is not None:
                    problems.append(failure.kind)
                    worker.stop()
                    peaks.append(worker.peak_memory_bytes)
                    worker, restarts = None, restarts + 1
            if course is not None:
                if worker is not None:  # its memory is the notebooks' now
                    worker.stop()
                    peaks.append(worker.peak_memory_bytes)
                    worker = None
                from .notebooks import grade_all

                notebook_rows, notebook_problems, timing["notebook_seconds"] = grade_all(
                    submission, course, settings, slot=slot, log=log, cancel=cancel)
                if cancel is not None and cancel.is_set():
                    raise Cancelled(submission.student_id)
                rows += notebook_rows
                problems += notebook_problems
        finally:
            for left in (worker, ahead):  # ahead: spawned for this submission but never asked (cancelled)
                if left is not None:
                    left.stop()
                    peaks.append(left.peak_memory_bytes)
            log.close()
            reclaim(submission.staged)
    problems = [p for p in STATUS_ORDER if p in problems]
    timing["total_seconds"] = round(time.monotonic() - started, 3)
    known = [p for p in peaks if p is not None]
    if known:
        timing["peak_memory_bytes"] = max(known)
    return {"student_id": submission.student_id, "folder": submission.folder_name,
            "status": ", ".join(problems) or "ok", "problems": problems, "message": clean_text(message),
            "notes": [clean_text(note, 300) for note in submission.notes[:20]], "checks": rows, "timing": timing}
