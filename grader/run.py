"""Grade one submission: a worker answers, the grader judges.

:class:`Worker` owns one sandboxed worker process (:mod:`grader.worker`):
start it, send a probe request, read the answer within a deadline, kill it.
:func:`grade_submission` walks the plan's checks through one worker (so
TensorFlow loads once per submission), judges every answer here with the
reference's expected answer and the case's secret data, and turns anything
that goes wrong (a hang, a crash, a memory bomb, garbage on the channel)
into failed checks and a status, never into an exception. After a timeout
or a crash the worker is killed and a fresh one serves the next check.
"""

import builtins
import itertools
import os
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field

from saltlab.checks.core import Outcome, judge
from saltlab.impl import GRADED_FUNCTIONS

from . import cgroup, protocol
from .sandbox import Limits, hand_over, worker_command, worker_environment, worker_uid
from .untrusted import clean_data, clean_text

STATUS_ORDER = ("grader error", "bad archive", "bad folder", "link", "missing files", "syntax error",
                "import error", "timeout", "memory", "crash", "budget")
"""Row statuses, most fundamental first; a row lists every one that happened."""


@dataclass(frozen=True)
class Settings:
    """How workers run.

    Attributes
    ----------
    limits : grader.sandbox.Limits
    sandboxed : bool
        Whether to use bubblewrap.
    startup_timeout : float
        Seconds to import TensorFlow and the submission (a loaded machine
        takes 10 to 20 s; an ``import`` that loops forever hits this).
    max_restarts : int
        Fresh workers after crashes or timeouts before the remaining checks
        are failed unrun (bounds the time one submission can take).
    log_bytes : int
        How much of a worker's output (``print``, tracebacks) is kept in
        ``OUT/<student>/worker.log``; the rest is read and dropped.
    submission_budget : float
        Wall-clock seconds for the whole submission (every start, every
        check); checks not run by then fail with status ``budget``. Grading
        the reference takes about 50 s on an idle 2-core machine and 210 s on
        a heavily loaded one.
    keyring_filter : bool
        Install the seccomp filter that denies the kernel keyring.
    control_group : bool
        Put each worker's processes in a control group with one memory budget
        (``limits.total_memory_bytes``) where the machine allows it.
    """

    limits: Limits = field(default_factory=Limits)
    sandboxed: bool = True
    startup_timeout: float = 180.0
    max_restarts: int = 6
    log_bytes: int = 2**20
    submission_budget: float = 600.0
    keyring_filter: bool = True
    control_group: bool = True


class WorkerFailure(RuntimeError):
    """The worker did not answer: ``kind`` is 'timeout', 'memory' or 'crash'."""

    def __init__(self, kind, message):
        super().__init__(message)
        self.kind = kind


class OverBudget(WorkerFailure):
    """The submission's total time budget ran out; the worker was killed."""

    def __init__(self, budget):
        super().__init__("budget", f"your submission used its whole time budget ({budget:g} s for every check "
                                   "together); the checks not run by then failed")


class Cancelled(Exception):
    """The run was interrupted: the submission's grading is abandoned, nothing is written."""


_ACTIVE = set()
_ACTIVE_LOCK = threading.Lock()


def kill_all_workers():
    """Kill every running worker (on Ctrl-C: their checks are abandoned, not failed)."""
    with _ACTIVE_LOCK:
        processes = list(_ACTIVE)
    for process in processes:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


class Deadline(WorkerFailure):
    """The wall-clock limit passed; the worker was killed."""

    def __init__(self, message="timed out"):
        super().__init__("timeout", message)


class CappedLog:
    """A log file that keeps the first ``limit`` bytes of everything written to it."""

    def __init__(self, path, limit):
        self.path, self.limit, self.size = path, limit, 0
        self.lock = threading.Lock()
        # The log holds whatever the student printed, hidden inputs included: the instructor's only.
        self.handle = os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") if path else None

    def write(self, data):
        with self.lock:
            if self.handle is None or self.size > self.limit:
                return
            room = self.limit - self.size
            self.handle.write(data[:room])
            self.size += len(data)
            if self.size > self.limit:
                self.handle.write(b"\n[... more output dropped: the log keeps the first %d bytes]\n" % self.limit)
            self.handle.flush()

    def close(self):
        with self.lock:
            if self.handle:
                self.handle.close()
                self.handle = None


def _exit_failure(returncode, limits):
    """Name what killed a worker from its exit code (bwrap reports 128 + signal)."""
    signum = -returncode if returncode < 0 else returncode - 128 if returncode > 128 else 0
    if signum == signal.SIGKILL:
        return WorkerFailure("memory", "the process was killed (SIGKILL), most likely for using more memory "
                                       "than its limit")
    if signum == signal.SIGXCPU:
        return WorkerFailure("timeout", f"the process used its {limits.cpu_seconds} s of CPU time")
    if signum == signal.SIGXFSZ:
        return WorkerFailure("crash", f"the process wrote a file larger than {limits.file_bytes // 2**20} MiB")
    if signum:
        try:
            name = signal.Signals(signum).name
        except ValueError:
            name = str(signum)
        return WorkerFailure("crash", f"the process died of signal {name}")
    return WorkerFailure("crash", f"the process exited (exit code {returncode}), e.g. os._exit() or a crash "
                                  "in native code")


class Worker:
    """One worker process serving one submission.

    Parameters
    ----------
    submission : pathlib.Path
        The staged folder of the student's files.
    settings : Settings
    slot : int
        The parallel job slot (picks the sandbox uid).
    log : CappedLog
        Receives the worker's stdout and stderr.
    """

    _names = itertools.count()

    def __init__(self, submission, settings, slot, log):
        self.submission, self.settings, self.slot, self.log = submission, settings, slot, log
        self.process = None
        self.group = None
        self.peak_memory_bytes = None
        self.seq = 0

    def start(self):
        """Spawn the worker and wait for its import report.

        Returns
        -------
        report : dict
            ``{"ready": bool, "kind": "syntax error" | "import error" | "", "error": str}``.

        Raises
        ------
        WorkerFailure
            If it does not report within ``startup_timeout`` or dies first.
        """
        limits = self.settings.limits
        hand_over(self.submission, worker_uid(self.slot, self.settings.sandboxed))
        if self.settings.control_group:
            self.group, _ = cgroup.create(f"saltlab-{os.getpid()}-{next(self._names)}",
                                          memory_bytes=limits.total_memory_bytes, processes=limits.processes)
        argv, cwd = worker_command(self.submission, limits=limits, slot=self.slot, sandboxed=self.settings.sandboxed,
                                   cgroups=self.group.folders if self.group else (),
                                   keyring_filter=self.settings.keyring_filter)
        self.process = subprocess.Popen(argv, cwd=cwd, env=worker_environment(), stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
        with _ACTIVE_LOCK:
            _ACTIVE.add(self.process)
        os.set_blocking(self.process.stdin.fileno(), False)
        self._drain = threading.Thread(target=self._drain_output, daemon=True)
        self._drain.start()
        report = self._read(time.monotonic() + self.settings.startup_timeout,
                            f"importing your files (more than {self.settings.startup_timeout:g} s)")
        if report.get("seq") != 0 or not isinstance(report.get("ready"), bool):
            self.stop()
            raise WorkerFailure("crash", "the process wrote something other than its import report on the "
                                         "grader's channel")
        return report

    def _drain_output(self):
        stream = self.process.stderr
        while chunk := stream.read1(1 << 16):
            self.log.write(chunk)

    def _read(self, deadline, doing):
        """The next frame, every string in it cleaned (:mod:`grader.untrusted`): it is the student's data."""
        try:
            return clean_data(protocol.read_frame(self.process.stdout.fileno(), deadline=deadline))
        except protocol.FrameTimeout:
            self.stop()
            raise Deadline(f"timed out while {doing}") from None
        except protocol.ProtocolError as error:
            raise self._failure(error) from None

    def _failure(self, error):
        """The process broke the channel: name why (exit code) and make sure it is gone."""
        try:
            returncode = self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.stop()
            return WorkerFailure("crash", f"the process broke the grader's channel ({error})")
        self.stop()
        return _exit_failure(returncode, self.settings.limits)

    def ask(self, check_id, case, deadline):
        """Run the probe of ``check_id`` on ``case`` in the worker.

        Only the case's id, parameters and input arrays are sent; its
        ``secret`` never leaves this process.

        Returns
        -------
        outcome : saltlab.checks.core.Outcome

        Raises
        ------
        WorkerFailure
            Timeout, death, or a reply that is not the answer to this request.
        """
        self.seq += 1
        request = {"seq": self.seq, "check_id": check_id, "case_id": case.id,
                   "params": case.params, "arrays": case.arrays}
        try:
            protocol.write_frame(self.process.stdin.fileno(), request, deadline=deadline)
        except protocol.FrameTimeout:
            self.stop()
            raise Deadline() from None
        except protocol.ProtocolError as error:
            raise self._failure(error) from None
        response = self._read(deadline, "running")
        if response.get("seq") != self.seq:
            self.stop()
            raise WorkerFailure("crash", "the process wrote a reply that does not belong to the request "
                                         "on the grader's channel")
        return Outcome.from_plain(response.get("outcome"))

    def stop(self):
        """Kill the worker's whole process group (bubblewrap takes the sandbox with it)."""
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.process.wait()
        if self.group is not None:
            self.peak_memory_bytes = self.group.peak_memory_bytes()
            self.group.remove()
            self.group = None
        with _ACTIVE_LOCK:
            _ACTIVE.discard(self.process)
        for stream in (self.process.stdin, self.process.stdout):
            try:
                stream.close()
            except OSError:
                pass
        self._drain.join(timeout=5)
        self.process.stderr.close()
        self.process = None


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


def _row(planned, passed, outcome_kind, message, feedback, seconds):
    return {"key": planned.key, "check_id": planned.entry.check_id, "question": planned.entry.question,
            "hidden": planned.entry.hidden, "description": planned.check.description,
            "points": planned.entry.points, "earned": planned.entry.points if passed else 0.0,
            "passed": passed, "outcome": outcome_kind, "message": clean_text(message, MAX_ROW_TEXT),
            "feedback": clean_text(feedback, MAX_ROW_TEXT),
            "seconds": round(seconds, 3)}


def _fail_all(plan, rows, kind, message):
    done = {row["key"] for row in rows}
    for planned in plan.checks:
        if planned.key not in done:
            rows.append(_row(planned, False, kind, message, message, 0.0))


def _run_check(planned, worker, expected, budget_deadline=None, budget=None):
    """Every case of one check through the worker; stops at the first failing case.

    Parameters
    ----------
    budget_deadline : float, optional
        ``time.monotonic()`` when the submission's whole budget ends; the
        check's own deadline never goes past it.

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
    problem = None
    for case in planned.cases:
        try:
            outcome = worker.ask(planned.entry.check_id, case, deadline)
        except WorkerFailure as failure:
            if isinstance(failure, Deadline):
                failure = OverBudget(budget) if capped and time.monotonic() >= budget_deadline else Deadline(
                    f"timed out: {planned.entry.check_id} took more than {planned.timeout:g} s "
                    "(an endless loop, or far slower than needed)")
            detail = f"{failure} on {case.describe()}"
            feedback = (_hidden_message(planned, failure=failure) if planned.entry.hidden
                        else f"on {case.describe()}: {failure}")
            return _row(planned, False, failure.kind, detail, feedback, time.monotonic() - start), failure, None
        if outcome.status == "error" and outcome.detail.startswith("MemoryError"):
            problem = "memory"
        verdict = judge(planned.check, case, outcome, expected.get((planned.key, case.id)))
        if not verdict.passed:
            kind = "memory" if problem else "failed"
            feedback = (_hidden_message(planned, outcome=outcome) if planned.entry.hidden
                        else _public_message(planned, verdict, outcome))
            return _row(planned, False, kind, f"{case.id}: {verdict.message}", feedback,
                        time.monotonic() - start), None, problem
    return _row(planned, True, "passed", "", "", time.monotonic() - start), None, problem


AFTER_HIDDEN = ("the process running your code had to be restarted after a hidden check and then failed to "
                "start ({kind}); the remaining checks were not run")
"""What a student reads when a worker fails to start after hidden inputs were sent. Its own words
(an import error's text) are never shown then: a submission could carry a hidden input across a
restart and spell it into its error message."""


def grade_submission(submission, plan, settings, *, slot=0, log_path=None, cancel=None):
    """Run every planned check on one submission and judge it.

    Parameters
    ----------
    submission : grader.collect.Submission
    plan : grader.plan.Plan
        With the reference's expected answers.
    settings : Settings
    slot : int, optional
        The job slot running this submission.
    log_path : pathlib.Path, optional
        Where the worker's output goes (capped).
    cancel : threading.Event, optional
        Set when the run is interrupted.

    Returns
    -------
    record : dict
        ``student_id``, ``status``, ``problems``, ``message``, ``checks``
        (one row per planned check), ``timing``. Points are added by
        :mod:`grader.report`. Every string a student controls in it went
        through :mod:`grader.untrusted`.

    Raises
    ------
    Cancelled
        If ``cancel`` is set while the submission is being graded.
    """
    rows, problems, timing = [], [], {"startup_seconds": [], "total_seconds": 0.0}
    started = time.monotonic()
    budget_deadline = started + settings.submission_budget
    message = submission.message
    peaks = []
    if submission.problem:
        problems.append(submission.problem)
        _fail_all(plan, rows, submission.problem, submission.message)
    else:
        log = CappedLog(log_path, settings.log_bytes)
        worker, restarts, hidden_sent = None, 0, False
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
                    worker = Worker(submission.staged, settings, slot, log)
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
                    if not report["ready"]:
                        kind = report["kind"] if report.get("kind") in ("syntax error", "import error") \
                            else "import error"
                        problems.append(kind)
                        message = AFTER_HIDDEN.format(kind=kind) if hidden_sent else clean_text(report.get("error"))
                        _fail_all(plan, rows, kind, message)
                        break
                hidden_sent = hidden_sent or planned.entry.hidden
                row, failure, problem = _run_check(planned, worker, plan.expected, budget_deadline,
                                                   settings.submission_budget)
                if cancel is not None and cancel.is_set():
                    raise Cancelled(submission.student_id)  # the worker was killed by Ctrl-C, not by the code
                rows.append(row)
                if problem:
                    problems.append(problem)
                if failure is not None:
                    problems.append(failure.kind)
                    worker.stop()
                    peaks.append(worker.peak_memory_bytes)
                    worker, restarts = None, restarts + 1
        finally:
            if worker is not None:
                worker.stop()
                peaks.append(worker.peak_memory_bytes)
            log.close()
    problems = [p for p in STATUS_ORDER if p in problems]
    timing["total_seconds"] = round(time.monotonic() - started, 3)
    known = [p for p in peaks if p is not None]
    if known:
        timing["peak_memory_bytes"] = max(known)
    return {"student_id": submission.student_id, "folder": submission.folder_name,
            "status": ", ".join(problems) or "ok", "problems": problems, "message": clean_text(message),
            "notes": [clean_text(note, 300) for note in submission.notes[:20]], "checks": rows, "timing": timing}
