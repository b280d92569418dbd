"""Grade a whole folder of submissions: in parallel, resumable, reproducible.

The grading seed is drawn with :mod:`secrets` at the first grading into an
output folder and kept in ``OUT/.grading-seed`` (never in anything a
student reads); a re-run into the same folder reuses it, so it gives the
same grades. A student whose files, grader version, seed and check
selection are unchanged since the last run is not graded again
(``force=True`` regrades). Each student's files are written as soon as that
student is done; the gradebook is rebuilt from them at the end.
"""

import hashlib
import json
import os
import secrets
import shutil
import sys
import tempfile
import threading
import time
import traceback
from collections import deque
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, replace
from pathlib import Path

from saltlab.machine import numeric_platform

from . import report
from .collect import collect
from .figures import FigureDrawer
from .plan import Plan, build_plan, compute_expected, grader_version, seed_fingerprint
from .grading import Cancelled, grade_submission
from .worker_process import Settings, kill_all_workers
from .sandbox import bwrap_status, fallback_identity, keyring_filter_status, public_worker_files
from .untrusted import clean_text
from .warm_start import WarmStart, cage

NOTEBOOKS_TOKEN = "notebooks"
"""The ``--only`` token that selects the notebooks' cells."""
NBGRADER_FOLDER = "nbgrader"
"""``OUT/nbgrader``: the course folder (:data:`grader.notebooks.COURSE_FOLDER`, not imported here: nbgrader is heavy)."""
SEED_FILE = ".grading-seed"
RUN_FILE = "run.json"
"""What a run graded and how (``OUT/run.json``): the summary's header is built from it, and
:mod:`grader.merge` checks that shards agree on it."""


class BatchError(RuntimeError):
    """The batch cannot be graded at all (no submissions, bad options)."""


@dataclass(frozen=True)
class Options:
    """Options of a grading run (the command line's, see ``python -m grader grade --help``)."""

    seed: int = None
    jobs: int = None
    force: bool = False
    only: str = None
    skip_training: bool = False
    check_timeout: float = 120.0
    training_timeout: float = 900.0
    progress: bool = True
    shard: tuple = None
    notebooks: bool = True
    notebook_budget: float = 180.0
    notebook_cell_timeout: int = 90
    warm_start: bool = True
    """Spawn each next worker while the current student is graded (:mod:`grader.warm_start`)."""


def grading_seed(out, override=None):
    """The seed of the hidden cases: ``override``, else stored in ``OUT/.grading-seed``, else drawn now.

    The seed used is always what ``OUT/.grading-seed`` holds afterwards (an
    override too), so ``python -m grader explain`` can grade a student again
    exactly as this run did.
    """
    path = Path(out) / SEED_FILE
    if override is None and path.is_file():
        return int(path.read_text().strip())
    seed = int(override) if override is not None else secrets.randbits(63)
    if not path.is_file() or path.read_text().strip() != str(seed):
        report.write_atomic(path, f"{seed}\n", mode=0o600)
    return seed


def resolve_settings(settings, *, no_sandbox=False):
    """Decide the sandbox: bubblewrap if it works and is not switched off; warn once otherwise.

    Also checks the seccomp keyring filter, which is needed in both modes;
    where it cannot be installed (not Linux, an unknown processor) workers
    run without it and the grader says so.
    """
    filter_works, filter_reason = keyring_filter_status()
    if settings.keyring_filter and not filter_works:
        print(f"warning: {filter_reason}: workers can use the kernel keyring, which outlives them",
              file=sys.stderr)
        settings = replace(settings, keyring_filter=False)
    if no_sandbox or os.environ.get("SALTLAB_GRADER_NO_SANDBOX") == "1":
        reason = "--no-sandbox was given"
    else:
        path, reason, _ = bwrap_status()
        if path is not None:
            return replace(settings, sandboxed=True)
    _, uid, identity_reason = fallback_identity()
    who = f"as uid {uid} and up (one per job)" if uid is not None else f"as the grader's user ({identity_reason})"
    print(f"warning: {reason}: student code runs WITHOUT a sandbox (resource limits and time limits only), "
          f"{who}; it can read what that user can read, and reach the network. Install bubblewrap "
          "(apt-get install bubblewrap) for real grading.", file=sys.stderr)
    return replace(settings, sandboxed=False)


def parse_shard(text):
    """``"I/N"`` (0 <= I < N) as ``(I, N)``.

    Examples
    --------
    >>> parse_shard("0/4"), parse_shard("3/4")
    ((0, 4), (3, 4))
    """
    try:
        index, count = (int(part) for part in str(text).split("/"))
    except ValueError:
        raise BatchError(f"--shard {text!r}: expected I/N, e.g. 0/4 (shards are numbered 0 to N-1)") from None
    if not 0 <= index < count:
        raise BatchError(f"--shard {text!r}: I must be between 0 and N-1 (shards are numbered 0 to {count - 1})")
    return index, count


def shard_of(student_id, count):
    """The shard (0 .. count-1) that grades ``student_id``: a hash of the id, whatever the order of listing."""
    digest = hashlib.sha256(student_id.encode("utf-8", "surrogatepass")).digest()
    return int.from_bytes(digest[:8], "big") % count


def summary_header(run, count):
    """The lines at the top of ``summary.md``, from ``run.json``'s description and the number of students."""
    checks = "all of tests/rubric.toml" if not run["selection"] else run["selection"]
    sandbox = "bubblewrap" if run["sandboxed"] else "NONE (limits only)"
    return [f"{count} students graded from {run['submissions']}",
            f"checks: {checks} ({run['checks']} entries, {report.fmt(run['points'])} points)",
            f"grader version {run['grader_version']}; sandbox: {sandbox}",
            *([f"shards graded on {len(run['platforms'])} kinds of machine: a training check's IoU may differ "
               "in its third decimal between them (run.json, `platforms`)"] if run.get("platforms") else []),
            "notebooks: autograded cells run in the sandbox; written answers graded in formgrader "
            f"({NBGRADER_FOLDER}/), merged with `python -m grader merge-manual`"
            if run.get("notebooks") else "notebooks: not graded in this run",
            "students may be given `<student>/results.json` and `feedback.md`; `grade.json` and "
            "`worker.log` are the instructor's (they name hidden cases and hold the student's output)"]


def finish_batch(out, run, skipped):
    """Rebuild ``gradebook.csv``, ``summary.md`` and ``totals.png`` from the students' stored records.

    The one way batch files are made, by a run and by :mod:`grader.merge`, so a
    merge of shards gives the same bytes as one run.

    Returns
    -------
    records : list of dict
    summary : str
    """
    records = [report.read_record(out, folder) for folder in run["students"]]
    records = sorted((r for r in records if r), key=lambda r: r["student_id"])
    summary = report.write_batch(out, records, skipped=skipped, header=summary_header(run, len(records)))
    return records, summary


def run_selection(plan, options, notebooks):
    """What the run graded, as it enters every student's :func:`grading_key` (notebooks and their limits too)."""
    return plan.selection + (f"; notebooks ({options.notebook_budget:g} s each, "
                             f"{options.notebook_cell_timeout} s per cell)" if notebooks else "")


def grades_notebooks(options):
    """Whether a run with these options grades the notebooks: by default, or when ``--only`` names them."""
    tokens = [t.strip() for t in (options.only or "").split(",") if t.strip()]
    return options.notebooks and (not tokens or NOTEBOOKS_TOKEN in tokens)


def run_plan(seed, options):
    """The plan of a run: ``--only``'s ``notebooks`` token selects the notebooks, its other tokens ``.py`` checks.

    Without ``--only`` both are graded; with an ``--only`` that names only the
    notebooks the plan has no ``.py`` check.
    """
    tokens = [t.strip() for t in (options.only or "").split(",") if t.strip()]
    python_only = ",".join(t for t in tokens if t != NOTEBOOKS_TOKEN) or None
    if tokens and python_only is None:
        return Plan([], selection=f"only={options.only}", seed_fingerprint=seed_fingerprint(seed))
    return build_plan(seed, only=python_only, skip_training=options.skip_training,
                      check_timeout=options.check_timeout, training_timeout=options.training_timeout)


def stored_options(options, settings, submissions_dir):
    """The options and worker settings of a run, as ``run.json`` keeps them for ``python -m grader explain``."""
    return {"only": options.only, "skip_training": options.skip_training, "check_timeout": options.check_timeout,
            "training_timeout": options.training_timeout, "notebooks": options.notebooks,
            "notebook_budget": options.notebook_budget, "notebook_cell_timeout": options.notebook_cell_timeout,
            "memory_bytes": settings.limits.memory_bytes, "total_memory_bytes": settings.limits.total_memory_bytes,
            "startup_timeout": settings.startup_timeout, "submission_budget": settings.submission_budget,
            "submissions_path": str(Path(submissions_dir).resolve())}


def complete_record(record, *, key, version, sandboxed, plan, submission):
    """Stamp a graded record with what decided it and add its points (a run and ``explain`` both use this)."""
    record.update(key=key, grader_version=version, sandboxed=sandboxed,
                  seed_fingerprint=plan.seed_fingerprint, submission_hash=submission.content_hash)
    return report.score(record)


def grading_key(submission, *, version, seed, selection, sandboxed):
    """What decides a student's grade; equal keys mean the stored grade still holds."""
    seed_hash = hashlib.sha256(str(seed).encode()).hexdigest()
    text = "\0".join([submission.content_hash, submission.problem, version, seed_hash, selection, str(sandboxed)])
    return hashlib.sha256(text.encode()).hexdigest()[:24]


class Progress:
    """One stderr line per finished student, with elapsed time and an estimate of what is left."""

    def __init__(self, total, enabled=True):
        self.total, self.done, self.enabled = total, 0, enabled
        self.started = time.monotonic()
        self.lock = threading.Lock()

    def update(self, record):
        with self.lock:
            self.done += 1
            if not self.enabled:
                return
            elapsed = time.monotonic() - self.started
            eta = elapsed / self.done * (self.total - self.done)
            width = len(str(self.total))
            bar = "#" * int(20 * self.done / self.total)
            print(f"[{bar:<20}] {self.done:>{width}}/{self.total} {record['student_id']}: "
                  f"{report.fmt(record['total'])}/{report.fmt(record['max_total'])} ({record['status']})  "
                  f"elapsed {_clock(elapsed)}, ETA {_clock(eta)}", file=sys.stderr, flush=True)


def _clock(seconds):
    minutes, seconds = divmod(int(seconds), 60)
    return f"{minutes}m{seconds:02d}s"


def _grade_one(submission, plan, settings, slot, out, key, version, cancel, course=None, warm=None, on_ready=None,
               drawer=None):
    """Grade one student and write its files; None if the run was interrupted meanwhile.

    ``drawer`` (:class:`grader.figures.FigureDrawer`) draws the training figures while the
    worker runs the next checks, so writing the files does not keep the next student waiting.
    """
    if cancel.is_set():
        return None
    (Path(out) / submission.folder_name).mkdir(parents=True, exist_ok=True)

    def finish(record):
        complete_record(record, key=key, version=version, sandboxed=settings.sandboxed, plan=plan,
                        submission=submission)
        report.write_student(out, record, drawer)
        return record

    try:
        return finish(grade_submission(submission, plan, settings, slot=slot, cancel=cancel, course=course,
                                       log_path=Path(out) / submission.folder_name / "worker.log", warm=warm,
                                       on_ready=on_ready, on_row=drawer.start if drawer is not None else None))
    except Cancelled:
        return None
    except Exception as error:  # a grader bug must not cost the rest of the batch
        traceback.print_exc()
        return finish(grade_submission(_broken(submission, error), plan, settings, course=course))


class _Queue:
    """The students still to grade, handed out one at a time to the job slots."""

    def __init__(self, submissions):
        self._left = deque(submissions)
        self._lock = threading.Lock()

    def take(self):
        """The next submission, or None when every one has been handed out."""
        with self._lock:
            return self._left.popleft() if self._left else None


def _run_slot(slot, jobs, queue, grade, spawn_ahead, done, cancel):
    """One job slot: grade students one after another, each next worker spawned during the current student.

    Parameters
    ----------
    slot, jobs : int
        This slot and the number of slots (for :func:`grader.warm_start.cage`).
    queue : _Queue
    grade : callable (submission, cage, warm, on_ready) -> record or None
    spawn_ahead : callable (submission, cage) -> WarmStart or None
    done : callable (record) -> None
        Called with each record written.
    cancel : threading.Event
    """
    submission, warm, turn = queue.take(), None, 0
    try:
        while submission is not None and not cancel.is_set():
            following = {}

            def on_ready(turn=turn):
                # The current student's files are imported: start the next one's TensorFlow now.
                following["submission"] = queue.take()
                if following["submission"] is not None and not cancel.is_set():
                    following["warm"] = spawn_ahead(following["submission"], cage(slot, jobs, turn + 1))

            record = grade(submission, cage(slot, jobs, turn), warm, on_ready)
            warm = following.get("warm")
            if record is not None:
                done(record)
            submission = following["submission"] if "submission" in following else queue.take()
            turn += 1
    finally:
        if warm is not None:
            warm.discard()


def default_jobs():
    """Submissions graded at once when ``--jobs`` is not given: one per two usable cores.

    A worker keeps about two cores busy while its public trainings run side
    by side (:class:`saltlab.checks.training_checks.TrainingsAhead`), and one
    otherwise. Measured with ``make bench-grade`` on 2 cores: 18.4 s per
    student one at a time against 21.6 s two at a time on an AMD EPYC (the
    machine shared with other work in both); 9.0 s against 8.3 s on an
    Intel Xeon, within the second that its runs differ by.
    """
    return max(1, usable_cores() // 2)


def usable_cores():
    """Cores this process may run on: its CPU affinity capped by a container's CPU quota (:mod:`saltlab.machine`)."""
    from saltlab.machine import usable_cores as cores

    return cores()


def _broken(submission, error):
    """The submission marked 'grader error': its row says so (the traceback went to the instructor's terminal)."""
    message = (f"grader error: {type(error).__name__}: {clean_text(str(error), 300)}; the instructor has the "
               "traceback")
    return replace(submission, problem="grader error", message=message)


def grade_folder(submissions_dir, out, options=Options(), settings=Settings(), *, no_sandbox=False):
    """Grade every submission in ``submissions_dir`` into ``out``.

    Parameters
    ----------
    submissions_dir, out : pathlib.Path
    options : Options
    settings : grader.worker_process.Settings
        Limits and time limits of the workers.
    no_sandbox : bool, optional
        Run workers without bubblewrap (tests of the fallback; warns).

    Returns
    -------
    records : list of dict
        Every student's record (graded now or earlier), sorted by student id.
    summary : str
        The text of ``summary.md``.

    Raises
    ------
    grader.collect.CollectError
        If the submissions folder does not exist or is not a folder.
    BatchError
        If it holds no submission.
    """
    out = Path(out)
    staging = Path(tempfile.mkdtemp(prefix="saltlab-grading-"))
    # Others may pass through (the sandbox's uid reaches its own staged folder) but not list it;
    # each staged folder is readable by its worker's uid only (sandbox.hand_over).
    staging.chmod(0o711)
    try:
        select = None
        if options.shard is not None:
            index, count = options.shard
            if options.seed is None and not (out / SEED_FILE).is_file():
                raise BatchError("--shard needs the seed every shard uses: give --seed (or grade into an output "
                                 f"folder that holds {SEED_FILE})")
            select = lambda student_id: shard_of(student_id, count) == index  # noqa: E731
        submissions, skipped = collect(submissions_dir, staging, select=select)
        for message in skipped:
            print(f"skipped: {message}", file=sys.stderr)
        if not submissions and options.shard is None:
            raise BatchError(f"no submissions in {submissions_dir}: expected one folder or .zip per student, "
                             "named by the student id, each holding assignment/ (blocks.py, metrics.py, threshold.py)")
        out.mkdir(parents=True, exist_ok=True)
        seed = grading_seed(out, options.seed)
        version = grader_version()
        settings = resolve_settings(settings, no_sandbox=no_sandbox)
        settings = replace(settings, public_dir=public_worker_files(staging / ".worker"))
        plan = run_plan(seed, options)
        course = None
        if grades_notebooks(options):
            from .notebooks import COURSE_FOLDER, NotebookOptions, prepare_course

            course = prepare_course(out / COURSE_FOLDER, options=NotebookOptions(budget=options.notebook_budget,
                                                                   cell_timeout=options.notebook_cell_timeout))
        selection = run_selection(plan, options, course is not None)
        keys = {s.folder_name: grading_key(s, version=version, seed=seed, selection=selection,
                                           sandboxed=settings.sandboxed) for s in submissions}
        todo = [s for s in submissions if options.force
                or (report.read_record(out, s.folder_name) or {}).get("key") != keys[s.folder_name]]
        jobs = max(1, options.jobs or default_jobs())
        print(f"{len(submissions)} submissions: {len(todo)} to grade, {len(submissions) - len(todo)} up to date"
              f"{' (--force regrades them)' if len(todo) < len(submissions) else ''}; {len(plan.checks)} checks, "
              f"{jobs} in parallel", file=sys.stderr)
        if any(not s.problem for s in todo):
            from saltlab.impl import load_implementation

            compute_expected(plan, load_implementation("solutions"))
        progress = Progress(len(todo), options.progress)
        cancel = threading.Event()
        drawer = FigureDrawer()

        def grade(submission, slot, warm, on_ready):
            return _grade_one(submission, plan, settings, slot, out, keys[submission.folder_name], version, cancel,
                              course, warm, on_ready, drawer)

        def spawn_ahead(submission, slot):
            if submission.problem or not options.warm_start:
                return None  # nothing to import: graded without a worker
            (out / submission.folder_name).mkdir(parents=True, exist_ok=True)
            try:
                return WarmStart(submission, settings, slot, out / submission.folder_name / "worker.log")
            except Exception:  # noqa: BLE001  (it is then started the usual way, and any failure reported)
                traceback.print_exc()
                return None

        queue = _Queue(todo)
        with drawer, ThreadPoolExecutor(max_workers=jobs) as pool:
            futures = [pool.submit(_run_slot, slot, jobs, queue, grade, spawn_ahead, progress.update, cancel)
                       for slot in range(min(jobs, len(todo)))]
            try:
                for future in as_completed(futures):
                    future.result()  # a slot's own failure (not a student's) stops the run
            except KeyboardInterrupt:
                # Students already written stay; the ones in progress are abandoned, not failed.
                cancel.set()
                for future in futures:
                    future.cancel()
                kill_all_workers()
                raise
        run = {"submissions": str(submissions_dir), "selection": plan.selection, "checks": len(plan.checks),
               "points": plan.max_total(), "grader_version": version, "sandboxed": settings.sandboxed,
               "seed_fingerprint": plan.seed_fingerprint, "shard": list(options.shard) if options.shard else None,
               "students": sorted(s.folder_name for s in submissions), "skipped": skipped,
               "notebooks": course is not None, "options": stored_options(options, settings, submissions_dir),
               "platform": numeric_platform()}
        report.write_atomic(out / RUN_FILE, json.dumps(run, indent=2, sort_keys=True) + "\n", mode=0o600)
        records, summary = finish_batch(out, run, skipped)
        return records, summary
    finally:
        shutil.rmtree(staging, ignore_errors=True)
