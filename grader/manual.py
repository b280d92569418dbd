"""Bring the grades people gave in nbgrader's formgrader back into the grader's records.

``make grade`` leaves an nbgrader course folder, ``OUT/nbgrader/``, with
every student's executed notebooks and a ``gradebook.db`` that already holds
the autograded scores (:mod:`grader.notebooks`). Teaching assistants grade
the written answers there (``nbgrader formgrader``); then::

    python -m grader merge-manual OUT/nbgrader/gradebook.db --out OUT

puts their points and comments into every student's ``grade.json``,
``results.json`` and ``feedback.md`` and rebuilds ``gradebook.csv``. A
written answer nobody has graded yet stays *pending*, shown as such
(``pending`` in its gradebook column, ``pending_points``), never as a zero.
A score a person gave to an autograded test cell (an override in
formgrader) replaces the autograder's, and the feedback says so.

nbgrader's CSV export (``nbgrader export``) holds one score per
assignment, neither per answer nor comments, and counts an ungraded answer
as 0: it cannot tell pending from zero, so only the gradebook database is
accepted.
"""

import os
import sys
from pathlib import Path

from saltlab.authoring.notebooks import ASSIGNMENT_NAME

from . import report
from .untrusted import clean_text


class ManualError(ValueError):
    """The gradebook or the output folder cannot be merged (wrong file, not a grading output)."""


def read_grades(db_path, *, student=None):
    """Every grade and comment of the assignment in an nbgrader gradebook.

    Parameters
    ----------
    db_path : str or pathlib.Path
        An nbgrader ``gradebook.db`` (SQLite).
    student : str, optional
        Only this student's grades.

    Returns
    -------
    grades : dict
        ``{(student, notebook, grade_id): {"manual": float or None, "auto": float or None,
        "max": float, "comment": str or None}}``. Comments are the graders'
        text, cleaned (:func:`grader.untrusted.clean_text`) before anything
        stores them.

    Raises
    ------
    ManualError
        If the file is not an nbgrader gradebook holding this assignment.
    """
    from nbgrader.api import Gradebook, MissingEntry

    db_path = Path(db_path)
    if not db_path.is_file():
        raise ManualError(f"{db_path}: no such file; give the gradebook.db of the course folder make grade wrote "
                          "(OUT/nbgrader/gradebook.db)")
    if db_path.suffix.lower() == ".csv":
        raise ManualError(f"{db_path}: nbgrader's CSV export has one score per assignment and counts an ungraded "
                          "answer as 0; give the gradebook.db itself (OUT/nbgrader/gradebook.db)")
    # nbgrader runs `alembic` (its migrations) as a program when it opens a gradebook of another
    # version: it must be found next to this interpreter even when the venv is not activated.
    bin_dir = str(Path(sys.executable).parent)
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")
    grades = {}
    try:
        with Gradebook(f"sqlite:///{db_path.resolve()}") as gradebook:
            assignment = gradebook.find_assignment(ASSIGNMENT_NAME)
            for submission in assignment.submissions:
                if student is not None and submission.student.id != student:
                    continue
                for notebook in submission.notebooks:
                    comments = {c.name: c.manual_comment for c in notebook.comments}
                    for grade in notebook.grades:
                        grades[(submission.student.id, notebook.name, grade.name)] = {
                            "manual": grade.manual_score, "auto": grade.auto_score,
                            "max": float(grade.max_score or 0.0),
                            "comment": None if comments.get(grade.name) is None
                            else clean_text(comments[grade.name], 3000)}
    except MissingEntry:
        raise ManualError(f"{db_path}: the gradebook has no assignment {ASSIGNMENT_NAME!r}") from None
    except ManualError:
        raise
    except Exception as error:  # sqlalchemy's errors for a file that is not a gradebook
        raise ManualError(f"{db_path}: not an nbgrader gradebook ({type(error).__name__}: "
                          f"{clean_text(str(error), 200)})") from None
    return grades


def apply_grades(rows, student, grades):
    """Put the people's grades into a student's notebook rows (in place); return how many rows changed.

    A written answer with a manual score becomes graded (points scaled to the
    rubric's); one without stays pending. A test cell with a manual score
    (an override) takes it. Rows of a notebook that could not be graded
    (missing, invalid) are left as they are: there was nothing to grade.
    """
    changed = 0
    for row in rows:
        if "notebook" not in row or row["outcome"] not in ("pending", "graded", "passed", "failed"):
            continue
        grade = grades.get((student, row["notebook"], row["check_id"]))
        if grade is None or grade["manual"] is None or not grade["max"]:
            continue
        earned = row["points"] * max(0.0, min(float(grade["manual"]), grade["max"])) / grade["max"]
        comment = grade["comment"] or ""
        if row["manual"]:
            row.update(earned=round(earned, 4), pending=False, outcome="graded", passed=earned >= row["points"],
                       feedback=comment, message=comment)
        else:
            why = f"score set by hand: {report.fmt(earned)} of {report.fmt(row['points'])}"
            row.update(earned=round(earned, 4), passed=earned >= row["points"],
                       outcome="passed" if earned >= row["points"] else "failed",
                       feedback="\n".join(filter(None, [why, comment])), message=why)
        changed += 1
    return changed


def merge_manual(db_path, out):
    """Merge a formgrader gradebook into the grading output folder ``out``.

    Returns
    -------
    records : list of dict
    counts : dict
        ``{"graded": written answers now graded, "pending": still pending, "changed": rows updated}``.

    Raises
    ------
    ManualError
        If ``out`` is not a grading output folder (no ``run.json``) or the gradebook is unusable.
    """
    import json

    from .batch import RUN_FILE, finish_batch

    out = Path(out)
    grades = read_grades(db_path)
    try:
        run = json.loads((out / RUN_FILE).read_text())
    except (OSError, ValueError):
        raise ManualError(f"{out}: not a grading output folder (no readable {RUN_FILE}); give the --out of "
                          "make grade") from None
    counts = {"graded": 0, "pending": 0, "changed": 0}
    for folder in run["students"]:
        record = report.read_record(out, folder)
        if record is None:
            continue
        counts["changed"] += apply_grades(record["checks"], folder, grades)
        counts["graded"] += sum(1 for r in record["checks"] if r.get("manual") and r["outcome"] == "graded")
        counts["pending"] += sum(1 for r in record["checks"] if r.get("pending"))
        report.score(record)
        report.write_student(out, record)
    records, _ = finish_batch(out, run, run.get("skipped", []))
    return records, counts
