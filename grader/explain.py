"""Explain one student's grade to the instructor, and check that it reproduces: for regrade requests.

``python -m grader explain STUDENT --out OUT`` reads what ``python -m grader
grade`` left in ``OUT`` (``run.json``: the options and the submissions
folder; ``.grading-seed``; the student's ``grade.json``), collects that one
student's submission again, and grades it again through the same path as
the run: :func:`grader.grading.grade_submission`, sandboxed workers, the
hidden cases of the stored seed, verdicts in this process. Then:

- every case is shown, hidden ones included (this is the instructor's
  view): its inputs, what the student's code returned against what was
  expected (shapes, dtypes, first differing elements, largest difference),
  the verdict and, where a known mistake matches, its name. A check stops at
  its first failing case when grading; the cases after it are run too, in a
  worker of their own, and shown as *not graded* (for information only);
- the fresh record is written to a temporary folder with the run's writers
  and compared with the stored files byte for byte: ``results.json``,
  ``feedback.md``, ``grade.json`` and the student's ``gradebook.csv`` row.
  Measured times (seconds per check, start-up, total, peak memory) are the
  only values taken from the stored record before writing: they are
  measurements, not grades, and differ at every run. Anything else that
  differs is listed with its likely cause (the submission changed since
  grading, another grader version, another seed, another sandbox) and the
  command exits with status 1.

Notebooks are not graded again here: when the run graded them, their rows
(and any grades merged from formgrader) are taken from the stored record,
and the report says so. ``OUT`` is never written to.
"""

import csv
import difflib
import io
import json
import shutil
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from saltlab.checks.core import judge

from . import report
from .batch import (RUN_FILE, SEED_FILE, Options, complete_record, grading_key, resolve_settings, run_plan,
                    run_selection)
from .collect import collect
from .grading import STATUS_ORDER, grade_submission
from .plan import compute_expected, grader_version, seed_fingerprint
from .sandbox import GIB, Limits, public_worker_files, reclaim
from .untrusted import clean_text, csv_cell
from .worker_process import CappedLog, Settings, Worker, WorkerFailure

COMPARED_FILES = ("results.json", "feedback.md", report.GRADE_FILE)
"""The per-student files a regrade must reproduce byte for byte."""
MAX_SHOWN_DIFFERENCES = 12
"""Differing fields listed per file: enough to see the cause, short enough to read."""
FIRST_DIFFERENCES = 3
"""Differing elements shown per compared array."""


class ExplainError(RuntimeError):
    """The grade cannot be explained at all: OUT is not a grading folder, unknown student, submission gone."""


@dataclass
class Grading:
    """What a grading run left in its output folder.

    Attributes
    ----------
    out : pathlib.Path
    run : dict
        ``OUT/run.json``.
    seed : int
        ``OUT/.grading-seed`` (or the ``--seed`` given to explain).
    options : grader.batch.Options
    settings : grader.worker_process.Settings
        The run's worker limits (sandbox mode decided later).
    notes : list of str
        What could not be read from the folder and was assumed.
    """

    out: Path
    run: dict
    seed: int
    options: Options
    settings: Settings
    notes: list = field(default_factory=list)


def _options_from_selection(selection):
    """``(only, skip_training)`` from ``run.json``'s selection text, for folders graded before options were kept.

    Examples
    --------
    >>> _options_from_selection("only=conv_block,metrics,skip-training")
    ('conv_block,metrics', True)
    >>> _options_from_selection("")
    (None, False)
    """
    skip = selection == "skip-training" or selection.endswith(",skip-training")
    text = selection[: -len("skip-training")].rstrip(",") if skip else selection
    return (text[len("only="):] or None) if text.startswith("only=") else None, skip


def load_grading(out, *, seed=None):
    """Read the run's options and seed from ``out``.

    Raises
    ------
    ExplainError
        If ``out`` is not a grading output folder or holds no seed.
    """
    out = Path(out)
    if not out.is_dir():
        raise ExplainError(f"--out {out}: no such folder; give the --out folder of `python -m grader grade`")
    try:
        run = json.loads((out / RUN_FILE).read_text())
        if not isinstance(run, dict) or not isinstance(run.get("students"), list):
            raise ValueError("no list of students")
    except OSError:
        raise ExplainError(f"{out} is not a grading output folder (no {RUN_FILE}); give the --out folder of "
                           "`python -m grader grade`") from None
    except ValueError as error:
        raise ExplainError(f"{out / RUN_FILE} is not a grading run's description ({error})") from None
    notes = []
    if seed is None:
        try:
            seed = int((out / SEED_FILE).read_text().strip())
        except (OSError, ValueError):
            raise ExplainError(f"{out} has no readable {SEED_FILE} (it was graded with --seed by an older grader, "
                               "which did not store it): give the same --seed to explain") from None
    else:
        notes.append("seed given on the command line, not read from the folder")
    stored = run.get("options")
    if isinstance(stored, dict):
        options = Options(seed=seed, only=stored.get("only"), skip_training=bool(stored.get("skip_training")),
                          check_timeout=float(stored["check_timeout"]),
                          training_timeout=float(stored["training_timeout"]),
                          notebooks=bool(stored.get("notebooks")), notebook_budget=float(stored["notebook_budget"]),
                          notebook_cell_timeout=int(stored["notebook_cell_timeout"]), progress=False)
        settings = Settings(limits=Limits(memory_bytes=int(stored["memory_bytes"]),
                                          total_memory_bytes=int(stored["total_memory_bytes"])),
                            startup_timeout=float(stored["startup_timeout"]),
                            submission_budget=float(stored["submission_budget"]))
    else:
        only, skip = _options_from_selection(str(run.get("selection", "")))
        options = Options(seed=seed, only=only, skip_training=skip, notebooks=bool(run.get("notebooks")),
                          progress=False)
        settings = Settings(limits=Limits(memory_bytes=12 * GIB, total_memory_bytes=6 * GIB))
        notes.append(f"{RUN_FILE} keeps no options (graded by an older grader): --only and --skip-training "
                     "read from its selection, time and memory limits at their defaults")
    return Grading(out, run, int(seed), options, settings, notes)


def find_student(grading, student):
    """The stored record of ``student`` (an id or a folder name).

    Raises
    ------
    ExplainError
        If no student of the run has that id or folder, naming the closest ones.
    """
    records = [r for r in (report.read_record(grading.out, folder) for folder in grading.run["students"]) if r]
    for record in records:
        if student in (record["student_id"], record["folder"]):
            return record
    if student in grading.run["students"]:
        raise ExplainError(f"{student} is listed in {grading.out / RUN_FILE} but {grading.out / student} holds no "
                           f"readable {report.GRADE_FILE} (its grading was interrupted?); grade again first")
    names = sorted({r["student_id"] for r in records} | {r["folder"] for r in records})
    close = difflib.get_close_matches(student, names, n=5, cutoff=0.5)
    hint = (f"closest: {', '.join(close)}" if close
            else f"students: {', '.join(names[:10])}{' ...' if len(names) > 10 else ''}" if names else "no students")
    raise ExplainError(f"no student {student!r} in {grading.out} ({len(records)} graded); {hint}")


def recollect(grading, record, staging, submissions=None):
    """The student's submission as it is now, staged exactly as the run staged it.

    Every entry of the submissions folder is listed again (ids are made
    unique over all of them, as in the run) but only this student's is staged.

    Raises
    ------
    ExplainError
        If the submissions folder or the student's entry in it is gone.
    """
    options = grading.run.get("options") or {}
    folder = Path(submissions if submissions is not None
                  else options.get("submissions_path") or grading.run.get("submissions", ""))
    if not folder.is_dir():
        raise ExplainError(f"the submissions folder {folder} (from {grading.out / RUN_FILE}) is gone or not a "
                           "folder; give --submissions where it is now")
    found, _ = collect(folder, staging, select=lambda student_id: student_id == record["student_id"])
    if not found:
        raise ExplainError(f"{record['student_id']}'s submission is gone: no entry for it in {folder} (it was "
                           "graded from a folder or .zip named after the student id); give --submissions where "
                           "it is now")
    return found[0]


# --- what the student's code returned against what was expected ---------------------------------------------------

def _numeric(value):
    """``value`` as a numeric ndarray, or None when it is not numbers (strings, dicts, ragged lists)."""
    if isinstance(value, (bool, str, dict)) or value is None:
        return None
    try:
        array = np.asarray(value)
    except (ValueError, TypeError):
        return None
    return array if array.dtype.kind in "biuf" else None


def _number(value):
    return f"{float(value):.6g}" if isinstance(value, (float, np.floating)) else repr(value.item() if
                                                                                       hasattr(value, "item") else value)


def describe(value, limit=160):
    """A one-line summary of a plain value: dtype, shape, range and, when small, the values.

    Examples
    --------
    >>> describe(np.zeros((2, 8), np.float32))
    'float32 (2, 8) in [0, 0]'
    >>> describe(np.array([1, 0], np.uint8))
    'uint8 (2,) in [0, 1] = [1, 0]'
    >>> describe([0.5, 1.0])
    '[0.5, 1.0]'
    """
    if isinstance(value, np.ndarray):
        if value.size == 0 or value.dtype.kind not in "biuf":
            return f"{value.dtype} {value.shape}"
        shown = f"{value.dtype} {value.shape} in [{_number(value.min())}, {_number(value.max())}]"
        return shown + (f" = {value.tolist()}" if value.size <= 6 else "")
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {describe(v, 60)}" for k, v in value.items()) + "}" if len(str(value)) > limit \
            else clean_text(repr(value), limit)
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} characters)"


def compare_field(got, expected):
    """How ``got`` differs from ``expected`` (arrays: shape, dtype, count, largest and first differences).

    Returns
    -------
    comparison : dict
        ``equal`` (bool) and, for numbers of one shape, ``max_abs_diff``,
        ``differing`` (count of unequal elements), ``first`` (up to
        :data:`FIRST_DIFFERENCES` of ``[index, got, expected]``).

    Examples
    --------
    >>> compare_field([1.0, 2.0, 3.5], [1.0, 2.0, 3.0])["first"]
    [[[2], 3.5, 3.0]]
    """
    g, e = _numeric(got), _numeric(expected)
    result = {"got": describe(got), "expected": describe(expected)}
    if g is None or e is None:
        result["equal"] = _plain_equal(got, expected)
        return result
    if g.shape != e.shape:
        return {**result, "equal": False, "shapes": [list(g.shape), list(e.shape)]}
    gf, ef = g.astype(np.float64), e.astype(np.float64)
    unequal = ~((gf == ef) | (np.isnan(gf) & np.isnan(ef)))
    result.update(equal=not unequal.any(), differing=int(unequal.sum()), size=int(gf.size))
    if g.dtype != e.dtype:
        result["dtypes"] = [str(g.dtype), str(e.dtype)]
    if gf.size:
        with np.errstate(invalid="ignore"):
            result["max_abs_diff"] = float(np.nanmax(np.abs(gf - ef))) if unequal.any() else 0.0
    result["first"] = [[[int(i) for i in index], float(gf[tuple(index)]), float(ef[tuple(index)])]
                       for index in np.argwhere(unequal)[:FIRST_DIFFERENCES]]
    return result


def _plain_equal(a, b):
    try:
        return bool(a == b) if not isinstance(a, np.ndarray) else False
    except (ValueError, TypeError):
        return False


def compare_answers(got, expected):
    """Field by field comparison of a probe's answer with the expected one (both plain dicts)."""
    if not isinstance(got, dict) or not isinstance(expected, dict):
        return {}
    return {key: compare_field(got.get(key), expected.get(key)) for key in expected}


def contract_answer(case, got):
    """The expected answer a check without a reference answer carries in its case (``_expected``), shaped like ``got``."""
    if "_expected" not in case.params or not isinstance(got, dict):
        return None
    field_name = "best" if "best" in got else "value"
    return {field_name: case.params["_expected"]}


def diagnose(planned, case, outcome, verdict):
    """The known mistake a failing answer matches (:mod:`saltlab.checks.misconceptions`), or ``""``."""
    from saltlab.checks.misconceptions import name_metric_mistake

    if verdict is None or verdict.passed or outcome is None or outcome.status != "ok":
        return ""
    got = outcome.answer.get("value")
    function = case.params.get("function")
    if function in ("precision", "recall") and isinstance(got, float) and "y_true" in case.arrays:
        want = case.params.get("_expected")
        if want is None:
            return ""  # a random case: the verdict's message has named it against the reference's value
        zero_division = case.params.get("kwargs", {}).get("zero_division", 1.0)
        return name_metric_mistake(function, case.arrays["y_true"], case.arrays["y_pred"], got, want, zero_division)
    return ""


def inputs_summary(case):
    """The case's inputs: every parameter (hidden and internal ones too), each array summarised."""
    return {"params": dict(case.params), "arrays": {name: describe(a) for name, a in case.arrays.items()},
            "secret": {name: describe(a) for name, a in case.secret.items()}}


def case_entry(planned, case, observed, expected, *, graded, unrun="not run"):
    """One case as explain shows it (a plain dict, the JSON output's unit); ``unrun`` says why a case has no outcome."""
    outcome, verdict, failure = observed if observed else (None, None, None)
    entry = {"check": planned.key, "check_id": planned.entry.check_id, "hidden": planned.entry.hidden,
             "case": case.id, "graded": graded, "inputs": inputs_summary(case)}
    if observed is None:
        entry.update(status="not run", verdict=None, why=unrun)
        return entry
    if failure is not None:
        entry.update(status=failure.kind, verdict={"passed": False, "message": str(failure)})
        return entry
    want = expected if expected is not None else contract_answer(case, outcome.answer)
    entry.update(status=outcome.status if outcome.status != "ok" else "passed" if verdict.passed else "failed",
                 verdict={"passed": verdict.passed, "message": verdict.message, "measure": verdict.measure},
                 detail=outcome.detail, expected_from="reference" if expected is not None
                 else "the case (worked out by hand)" if want is not None else "the contract (in the verdict)",
                 comparison=compare_answers(outcome.answer, want) if outcome.status == "ok" and want else {},
                 got=({k: describe(v) for k, v in outcome.answer.items()} if outcome.status == "ok" else {}),
                 diagnosis=diagnose(planned, case, outcome, verdict))
    return entry


# --- the cases a check did not reach when grading --------------------------------------------------------------------

def run_ungraded(submission, plan, settings, observed, log):
    """Run the cases the grading skipped (after a check's first failure) in a fresh worker, for information.

    Returns
    -------
    extra : dict
        ``{(entry key, case id): (outcome, verdict, failure)}``; cases left
        unrun (a worker that could not start) are absent.
    """
    extra, worker, restarts = {}, None, 0
    try:
        for planned in plan.checks:
            pending = [case for case in planned.cases if (planned.key, case.id) not in observed]
            deadline = time.monotonic() + planned.timeout
            for case in pending:
                if worker is None:
                    if restarts > settings.max_restarts:
                        return extra
                    worker = Worker(submission.staged, settings, 0, log)
                    try:
                        if not worker.start()["ready"]:
                            return extra
                    except WorkerFailure:
                        return extra
                try:
                    outcome = worker.ask(planned.entry.check_id, case, deadline)
                except WorkerFailure as failure:
                    extra[(planned.key, case.id)] = (None, None, failure)
                    worker.stop()
                    worker, restarts = None, restarts + 1
                    break  # the check's other cases would meet the same fate
                extra[(planned.key, case.id)] = (outcome, judge(planned.check, case, outcome,
                                                                plan.expected.get((planned.key, case.id))), None)
    finally:
        if worker is not None:
            worker.stop()
        reclaim(submission.staged)
    return extra


# --- byte for byte ---------------------------------------------------------------------------------------------------

def copy_measurements(fresh, stored):
    """Put the stored record's measured times into ``fresh``: they differ at every run and decide no point."""
    fresh["timing"] = stored.get("timing", fresh["timing"])
    seconds = {row["key"]: row.get("seconds") for row in stored.get("checks", [])}
    for row in fresh["checks"]:
        if row["key"] in seconds:
            row["seconds"] = seconds[row["key"]]


def json_differences(stored, fresh, path=""):
    """Paths where two JSON values differ, as ``path: stored -> recomputed`` lines."""
    if isinstance(stored, dict) and isinstance(fresh, dict):
        found = []
        for key in sorted(set(stored) | set(fresh), key=str):
            where = f"{path}.{key}" if path else str(key)
            if key not in fresh:
                found.append(f"{where}: only in the stored file")
            elif key not in stored:
                found.append(f"{where}: only in the recomputed one")
            else:
                found += json_differences(stored[key], fresh[key], where)
        return found
    if isinstance(stored, list) and isinstance(fresh, list):
        found = [] if len(stored) == len(fresh) else [f"{path}: {len(stored)} items stored, {len(fresh)} recomputed"]
        for index, (a, b) in enumerate(zip(stored, fresh)):
            found += json_differences(a, b, f"{path}[{index}]")
        return found
    if stored != fresh or type(stored) is not type(fresh):
        return [f"{path}: stored {describe(stored, 80)}, recomputed {describe(fresh, 80)}"]
    return []


def file_differences(name, stored_bytes, fresh_bytes):
    """Why two versions of one per-student file differ, in a few lines."""
    if stored_bytes is None:
        return [f"{name}: missing from the output folder"]
    if name.endswith(".json"):
        try:
            found = json_differences(json.loads(stored_bytes), json.loads(fresh_bytes))
        except ValueError:
            found = ["the stored file is not valid JSON"]
        found = found or ["same values, other bytes (formatting)"]
    else:
        lines = difflib.unified_diff(stored_bytes.decode("utf-8", "replace").splitlines(),
                                     fresh_bytes.decode("utf-8", "replace").splitlines(),
                                     "stored", "recomputed", n=0, lineterm="")
        found = [clean_text(line, 200) for line in lines if not line.startswith(("---", "+++", "@@"))]
    shown = found[:MAX_SHOWN_DIFFERENCES]
    if len(found) > len(shown):
        shown.append(f"... and {len(found) - len(shown)} more")
    return [f"{name}: {line}" for line in shown]


def gradebook_row(text, student_id):
    """``(header, row)`` of ``student_id`` in a gradebook's CSV text (row None if absent)."""
    rows = list(csv.reader(io.StringIO(text)))
    header = rows[0] if rows else []
    cell = csv_cell(student_id)
    return header, next((row for row in rows[1:] if row and row[0] == cell), None)


def reproduction(grading, stored, fresh, fresh_folder):
    """Compare the recomputed student files and gradebook row with the stored ones.

    Returns
    -------
    differences : list of str
        Empty when every byte is the same.
    """
    differences = []
    for name in COMPARED_FILES:
        path = grading.out / stored["folder"] / name
        stored_bytes = path.read_bytes() if path.is_file() else None
        fresh_bytes = (fresh_folder / name).read_bytes()
        if stored_bytes != fresh_bytes:
            differences += file_differences(name, stored_bytes, fresh_bytes)
    records = [r for r in (report.read_record(grading.out, folder) for folder in grading.run["students"]) if r]
    records = [fresh if r["folder"] == stored["folder"] else r for r in records]
    try:
        stored_text = (grading.out / "gradebook.csv").read_text()
    except OSError:
        return differences + ["gradebook.csv: missing from the output folder"]
    want = gradebook_row(report.gradebook_csv(records), fresh["student_id"])
    have = gradebook_row(stored_text, fresh["student_id"])
    if have != want:
        differences.append(f"gradebook.csv: stored {have[0]} / {have[1]}, recomputed {want[0]} / {want[1]}")
    return differences


def causes(stored, fresh):
    """What changed in what decides a grade, named (the submission, the grader, the seed, the sandbox)."""
    found = []
    if stored.get("submission_hash") != fresh["submission_hash"]:
        found.append(f"the submission changed since grading (hash {stored.get('submission_hash', '?')[:12]} then, "
                     f"{fresh['submission_hash'][:12]} now)")
    if stored.get("grader_version") != fresh["grader_version"]:
        found.append(f"another grader version (graded by {stored.get('grader_version')}, this is "
                     f"{fresh['grader_version']}: the grader, saltlab, the rubric or the reference changed)")
    if stored.get("seed_fingerprint") != fresh["seed_fingerprint"]:
        found.append(f"another seed (fingerprint {stored.get('seed_fingerprint')} then, {fresh['seed_fingerprint']} "
                     f"now: {SEED_FILE} changed)")
    if stored.get("sandboxed") != fresh["sandboxed"]:
        found.append(f"another sandbox (bubblewrap {'on' if stored.get('sandboxed') else 'off'} then, "
                     f"{'on' if fresh['sandboxed'] else 'off'} now)")
    if not found and stored.get("key") != fresh["key"]:
        found.append("another selection of checks or notebook limits than the stored grade's")
    return found


# --- the whole explanation -------------------------------------------------------------------------------------------

def explain(student, out, *, submissions=None, seed=None, no_sandbox=False, run_ungraded_cases=True):
    """Grade one student again as the run did, explain every case, and compare with the stored grade.

    Parameters
    ----------
    student : str
        A student id or output folder name.
    out : pathlib.Path
        The grading output folder (``python -m grader grade ... --out OUT``).
    submissions : pathlib.Path, optional
        Where the submissions folder is now (default: where the run found it).
    seed : int, optional
        Only for folders graded with ``--seed`` by a grader that did not store it.
    no_sandbox : bool, optional
        Run workers without bubblewrap (the comparison then reports the sandbox differs
        from a sandboxed run).
    run_ungraded_cases : bool, optional
        Also run the cases a check did not reach when grading (for information).

    Returns
    -------
    explanation : dict
        ``student``, ``reproduced`` (bool), ``causes`` and ``differences``
        (lists of str), ``stored`` and ``recomputed`` points, ``notes`` and
        ``checks`` (one dict per rubric entry, its ``cases`` each a
        :func:`case_entry`).

    Raises
    ------
    ExplainError
        If OUT is not a grading folder, the student is unknown or the submission is gone.
    """
    from saltlab.impl import load_implementation

    grading = load_grading(out, seed=seed)
    stored = find_student(grading, student)
    work = Path(tempfile.mkdtemp(prefix="saltlab-explain-"))
    work.chmod(0o711)  # as a run's staging: a worker's uid may pass through to its own folder
    try:
        submission = recollect(grading, stored, work / "staging", submissions)
        plan = run_plan(grading.seed, grading.options)
        settings = resolve_settings(grading.settings, no_sandbox=no_sandbox or not grading.run.get("sandboxed", True))
        settings = replace(settings, public_dir=public_worker_files(work / "staging" / ".worker"))
        if plan.checks and not submission.problem:
            compute_expected(plan, load_implementation("solutions"))
        observed = {}

        def observe(planned, case, outcome, verdict, failure):
            observed[(planned.key, case.id)] = (outcome, verdict, failure)

        fresh = grade_submission(submission, plan, settings, log_path=work / "worker.log", observe=observe)
        notes = list(grading.notes)
        if grading.run.get("notebooks"):
            kept = [row for row in stored.get("checks", []) if "notebook" in row]
            fresh["checks"] += kept
            problems = set(fresh["problems"]) | {p for p in stored.get("problems", []) if p.startswith("notebook")}
            fresh["problems"] = [p for p in STATUS_ORDER if p in problems]
            fresh["status"] = ", ".join(fresh["problems"]) or "ok"
            notes.append(f"notebooks are not graded again here: their {len(kept)} rows (and grades merged from "
                         "formgrader) are the stored ones")
        version = grader_version()
        key = grading_key(submission, version=version, seed=grading.seed, sandboxed=settings.sandboxed,
                          selection=run_selection(plan, grading.options, bool(grading.run.get("notebooks"))))
        complete_record(fresh, key=key, version=version, sandboxed=settings.sandboxed, plan=plan,
                        submission=submission)
        copy_measurements(fresh, stored)
        fresh_folder = work / "fresh"
        (fresh_folder / fresh["folder"]).mkdir(parents=True)
        report.write_student(fresh_folder, fresh)
        differences = reproduction(grading, stored, fresh, fresh_folder / fresh["folder"])
        extra = {}
        if run_ungraded_cases and not submission.problem:
            log = CappedLog(work / "worker-ungraded.log", settings.log_bytes)
            try:
                extra = run_ungraded(submission, plan, settings, observed, log)
            finally:
                log.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    rows = {row["key"]: row for row in fresh["checks"]}
    stored_rows = {row["key"]: row for row in stored.get("checks", [])}
    unrun = ("the submission could not be run: see the check's message" if submission.problem
             else "not reached when grading; --graded-cases-only" if not run_ungraded_cases
             else "the worker failed or could not start: see the check's message")
    checks = []
    for planned in plan.checks:
        cases = [case_entry(planned, case, observed.get((planned.key, case.id), extra.get((planned.key, case.id))),
                            plan.expected.get((planned.key, case.id)), graded=(planned.key, case.id) in observed,
                            unrun=unrun)
                 for case in planned.cases]
        row, old = rows.get(planned.key, {}), stored_rows.get(planned.key, {})
        checks.append({"check": planned.key, "question": planned.entry.question, "hidden": planned.entry.hidden,
                       "description": planned.check.description, "points": planned.entry.points,
                       "earned": row.get("earned"), "stored_earned": old.get("earned"),
                       "outcome": row.get("outcome"), "message": row.get("message", ""),
                       "feedback": row.get("feedback", ""), "cases": cases})
    found_causes = causes(stored, fresh) if differences else []
    return {"student": stored["student_id"], "folder": stored["folder"], "out": str(grading.out),
            "reproduced": not differences, "causes": found_causes, "differences": differences,
            "stored": {"total": stored.get("total"), "max_total": stored.get("max_total"),
                       "status": stored.get("status")},
            "recomputed": {"total": fresh["total"], "max_total": fresh["max_total"], "status": fresh["status"]},
            "grader_version": {"stored": stored.get("grader_version"), "now": fresh["grader_version"]},
            "seed_fingerprint": seed_fingerprint(grading.seed), "selection": plan.selection,
            "sandboxed": settings.sandboxed, "submission": {"source": clean_text(str(submission.source), 300),  # a file name: the student's
                                                            "stored_hash": stored.get("submission_hash"),
                                                            "hash": submission.content_hash,
                                                            "problem": submission.problem},
            "notes": notes, "checks": checks}


# --- text ------------------------------------------------------------------------------------------------------------

def _params_text(params):
    return ", ".join(f"{k}={describe(v, 80)}" for k, v in params.items())


def _case_lines(entry):
    if entry["verdict"] is None:
        status = f"not run ({entry['why']})"
    elif entry["graded"]:
        status = entry["status"]
    else:
        status = f"not graded (after the check's first failure); run for information: {entry['status']}"
    lines = [f"  case {entry['case']}: {status}"]
    inputs = entry["inputs"]
    shown = [_params_text(inputs["params"])] if inputs["params"] else []
    shown += [f"{name} {text}" for name, text in inputs["arrays"].items()]
    shown += [f"{name} {text} (secret: never sent to the worker)" for name, text in inputs["secret"].items()]
    lines.append(f"    inputs: {'; '.join(shown) or '(none)'}")
    if entry["verdict"] is None:
        return lines
    for name, comparison in entry.get("comparison", {}).items():
        if comparison["equal"]:
            lines.append(f"    {name}: got = expected: {comparison['got']}")
            continue
        lines.append(f"    {name}: got {comparison['got']}")
        lines.append(f"    {' ' * len(name)}  expected {comparison['expected']} (from {entry['expected_from']})")
        if "shapes" in comparison:
            lines.append(f"    {' ' * len(name)}  shapes differ: {tuple(comparison['shapes'][0])} against "
                         f"{tuple(comparison['shapes'][1])}")
        if comparison.get("differing"):
            first = "; ".join(f"{tuple(i)}: {g:.6g} vs {e:.6g}" for i, g, e in comparison["first"])
            lines.append(f"    {' ' * len(name)}  {comparison['differing']} of {comparison['size']} differ, "
                         f"max |diff| {comparison['max_abs_diff']:.3g}; first: {first}")
        if "dtypes" in comparison:
            lines.append(f"    {' ' * len(name)}  dtypes {comparison['dtypes'][0]} against {comparison['dtypes'][1]}")
    if not entry.get("comparison") and entry.get("got"):
        lines.append(f"    got: {'; '.join(f'{k} {v}' for k, v in entry['got'].items())} (expected: "
                     f"{entry.get('expected_from', 'the contract')})")
    if entry.get("detail") and entry["status"] == "error":  # not_implemented's detail is the verdict's name
        lines.append(f"    raised: {entry['detail']}")
    verdict = entry["verdict"]
    measure = f" (measure {verdict['measure']:.4g})" if verdict.get("measure") is not None else ""
    message = verdict["message"].replace("\n", "\n      ")
    lines.append(f"    verdict: {'passed' if verdict['passed'] else 'failed'}{measure}"
                 + (f": {message}" if message else ""))
    if entry.get("diagnosis"):
        lines.append(f"    diagnosis: {entry['diagnosis']}")
    return lines


def explanation_text(explanation):
    """The human report printed on stdout."""
    e = explanation
    fmt = report.fmt
    version = e["grader_version"]
    lines = [f"Grade of {e['student']} ({e['out']}/{e['folder']}), graded again with the stored seed "
             f"(fingerprint {e['seed_fingerprint']})",
             f"  checks: {e['selection'] or 'all of tests/rubric.toml'}; sandbox: "
             f"{'bubblewrap' if e['sandboxed'] else 'NONE'}; grader version {version['now']}"
             + ("" if version["now"] == version["stored"] else f" (graded by {version['stored']})"),
             f"  submission: {e['submission']['source']} (hash {str(e['submission']['hash'])[:12]}"
             + (", unchanged)" if e["submission"]["hash"] == e["submission"]["stored_hash"]
                else f", graded as {str(e['submission']['stored_hash'])[:12]}: CHANGED)")
             + (f"; problem: {e['submission']['problem']}" if e["submission"]["problem"] else "")]
    lines += [f"  note: {note}" for note in e["notes"]]
    for check in e["checks"]:
        earned = "?" if check["earned"] is None else fmt(check["earned"])
        was = "" if check["stored_earned"] == check["earned"] else f" (stored: {check['stored_earned']})"
        lines += ["", f"[{'hidden' if check['hidden'] else 'public'}] {check['check']}: {earned} / "
                      f"{fmt(check['points'])} points, {check['outcome']}{was} — {check['description']}"]
        for entry in check["cases"]:
            lines += _case_lines(entry)
        if check["outcome"] != "passed" and check["feedback"]:
            lines.append("  the student reads: " + check["feedback"].replace("\n", "\n    "))
    stored, fresh = e["stored"], e["recomputed"]
    lines += ["", f"Recomputed: {fmt(fresh['total'])} / {fmt(fresh['max_total'])} ({fresh['status']}); stored: "
                  f"{fmt(stored['total'])} / {fmt(stored['max_total'])} ({stored['status']})"]
    if e["reproduced"]:
        lines.append("REPRODUCED byte for byte: " + ", ".join(COMPARED_FILES) + " and the gradebook.csv row "
                     "(measured times taken from the stored grade)")
    else:
        lines.append("NOT REPRODUCED: the stored grade differs from the one recomputed now")
        lines += [f"  cause: {cause}" for cause in e["causes"]]
        if not e["causes"]:
            lines.append("  cause: nothing that decides a grade changed (submission, grader, seed, sandbox): the "
                         "stored files were edited after grading, or the submission's code behaves differently "
                         "from run to run (time limits, randomness)")
        lines += [f"  differs: {line}" for line in e["differences"]]
    return "\n".join(lines) + "\n"


def write_json(explanation, path):
    """The machine-readable explanation (0600: it names hidden cases)."""
    report.write_atomic(Path(path), json.dumps(explanation, indent=2, sort_keys=True, default=_jsonable) + "\n",
                        mode=0o600)


def _jsonable(value):
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return describe(value)
