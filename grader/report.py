"""What a grading run writes: per-student results and feedback, the gradebook, the summary.

Per student, in ``OUT/<folder>/``:

- ``grade.json``: the full record (instructor only: it names hidden cases);
  the gradebook is rebuilt from these, so an interrupted run loses nothing.
- ``results.json``: the Gradescope autograder format.
- ``feedback.md``: per question, what passed and what failed and why, in
  words a student can act on. Hidden checks say only what kind of failure
  happened, never the hidden input or the expected value.

For the batch, in ``OUT/``: ``gradebook.csv`` (one row per student, no
timestamps, points rounded: two runs give the same bytes), ``summary.md``
(pass rates, distribution of totals) and ``totals.png``.

Every file is written to a temporary name and moved into place (:func:`saltlab.io.write_atomic`).
"""

import csv
import io
import json
import statistics
from pathlib import Path

from saltlab.checks.rubric import load_rubric
from saltlab.io import write_atomic  # noqa: F401  (the grader's writers use this one)

from .untrusted import csv_cell, markdown_block, markdown_inline

GRADE_FILE = "grade.json"


def fmt(points):
    """Points as text, the same on every run: at most 2 decimals, no trailing zeros.

    Examples
    --------
    >>> fmt(9.0), fmt(2.5), fmt(1 / 3)
    ('9', '2.5', '0.33')
    """
    text = f"{round(float(points), 2):.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def score(record):
    """Add ``questions`` (points per question), ``total`` and ``max_total`` to a record."""
    rubric = load_rubric()
    questions = {q: 0.0 for q in rubric.questions if any(r["question"] == q for r in record["checks"])}
    for row in record["checks"]:
        questions[row["question"]] += row["earned"]
    record["questions"] = {q: round(v, 4) for q, v in questions.items()}
    # Written answers not graded yet earn nothing so far, and are counted apart: never shown as a zero.
    record["pending_points"] = round(sum(r["points"] for r in record["checks"] if r.get("pending")), 4)
    record["total"] = round(sum(r["earned"] for r in record["checks"]), 4)
    record["max_total"] = round(sum(r["points"] for r in record["checks"]), 4)
    return record


def _test_name(row, title):
    prefix = "hidden: " if row["hidden"] else ""
    return f"{title} | {prefix}{row['check_id']}"


SUBMISSION_PROBLEMS = {"grader error", "bad archive", "bad folder", "link", "missing files", "syntax error",
                       "import error"}
"""Statuses about the submission as a whole, found before any hidden input is sent."""


def visible_problems(record):
    """The row statuses a student may see before publication.

    A status raised by a hidden check (it timed out, crashed, ran out of
    memory) would tell its outcome early: only statuses of the submission as
    a whole, and those of public checks, are shown.
    """
    from_public = {row["outcome"] for row in record["checks"] if not row["hidden"]}
    return [p for p in record["problems"] if p in SUBMISSION_PROBLEMS or p in from_public]


def results_json(record):
    """The Gradescope ``results.json`` of one student (Gradescope's documented autograder format).

    Public checks are ``visible``; hidden ones ``after_published``, and
    nothing visible (the top-level output included) tells their points or
    outcome before publication. Test outputs are Markdown whose student text
    sits in fenced code blocks (:func:`grader.untrusted.markdown_block`), so
    nothing a student wrote is rendered. ``extra_data`` names the grader
    version, a fingerprint of the seed (never the seed) and a hash of the
    submission, so a regrade can be checked against the first grade.
    """
    rubric = load_rubric()
    questions = list(rubric.questions)
    tests, counters = [], {}
    for row in record["checks"]:
        position = questions.index(row["question"]) + 1
        counters[position] = counters.get(position, 0) + 1
        if row.get("pending"):
            output = f"awaiting grading by hand: {row['description']}"
        elif row["passed"]:
            output = f"passed: {row['description']}"
        else:
            output = f"failed: {row['description']}\n\n{markdown_block(row['feedback'])}"
        test = {"name": _test_name(row, rubric.questions[row["question"]]),
                "number": f"{position}.{counters[position]}",
                "score": round(row["earned"], 4), "max_score": round(row["points"], 4),
                "status": "passed" if row["passed"] else "failed",
                "output": output, "output_format": "md",
                "visibility": "after_published" if row["hidden"] else "visible",
                "tags": [row["question"]]}
        if row.get("pending"):  # no score and no status: Gradescope shows it ungraded, not failed
            del test["score"], test["status"]
        tests.append(test)
    public = [row for row in record["checks"] if not row["hidden"]]
    hidden_points = sum(row["points"] for row in record["checks"] if row["hidden"])
    lines = [f"Public checks: **{fmt(sum(r['earned'] for r in public))} / {fmt(sum(r['points'] for r in public))}** "
             "points."]
    if hidden_points:
        lines.append(f"Hidden checks ({fmt(hidden_points)} points) are shown when grades are published.")
    if record.get("pending_points"):
        lines.append(f"Written answers ({fmt(record['pending_points'])} points) await grading by hand.")
    shown = visible_problems(record)
    for problem in shown:
        lines.append(f"Status **{problem}**: {STATUS_ADVICE[problem]}")
    if shown and record["message"] and set(shown) & SUBMISSION_PROBLEMS:
        lines.append(markdown_block(record["message"]))
    results = {"score": round(record["total"], 4), "execution_time": round(record["timing"]["total_seconds"]),
               "output": "\n\n".join(lines), "output_format": "md", "visibility": "visible",
               "stdout_visibility": "hidden", "tests": tests,
               "extra_data": {"grader_version": record.get("grader_version", ""),
                              "seed_fingerprint": record.get("seed_fingerprint", ""),
                              "submission_hash": record.get("submission_hash", "")}}
    if record.get("leaderboard"):
        results["leaderboard"] = record["leaderboard"]
    return json.dumps(results, indent=2, sort_keys=True) + "\n"


STATUS_ADVICE = {
    "grader error": "The grader failed on your submission; this is not your fault, and your instructor has been told.",
    "bad archive": "The file you handed in could not be opened as a submission.",
    "bad folder": "Your submission is over a limit of the grader (files, sizes) or holds something that is not a "
                  "regular file.",
    "link": "Your submission has a symbolic link where graded files are looked for; links are never followed, "
            "so hand in the files themselves.",
    "missing files": "Some graded files were missing, so nothing could be run.",
    "syntax error": "A file does not parse, so nothing could be run: fix it (`make test` shows the same error).",
    "import error": "Importing your files failed, so nothing could be run (`make test` shows the same error).",
    "timeout": "Some of your code ran out of time; the checks it was running failed.",
    "memory": "Some of your code ran out of memory; the checks it was running failed.",
    "crash": "The process running your code died during some checks (os._exit, a crash); those checks failed.",
    "budget": "Your submission used its whole time budget; the checks not run by then failed.",
    "notebook missing": "A graded notebook was not in your submission: its cells earned no points.",
    "notebook invalid": "A graded notebook could not be read as a notebook of this assignment: its cells earned no "
                        "points.",
    "notebook timeout": "A notebook did not finish within its time budget: its cells earned no points.",
    "notebook crash": "The process running a notebook died or could not run it: its cells earned no points.",
}


def feedback_md(record):
    """The student's ``feedback.md``: per question, each check's result and what to do."""
    rubric = load_rubric()
    pending = record.get("pending_points", 0)
    later = f" ({fmt(pending)} points of written answers await grading by hand)" if pending else ""
    lines = [f"# Feedback for {markdown_inline(record['student_id'])}", "",
             f"**Total: {fmt(record['total'])} / {fmt(record['max_total'])} points{later}.**", ""]
    for problem in record["problems"]:
        lines.append(f"- Status **{problem}**: {STATUS_ADVICE[problem]}")
    if record["problems"] and record["message"]:
        lines += ["", markdown_block(record["message"])]
    if record["problems"]:
        lines.append("")
    for question, earned in record["questions"].items():
        rows = [r for r in record["checks"] if r["question"] == question]
        possible = sum(r["points"] for r in rows)
        lines += [f"## {rubric.questions[question]}: {fmt(earned)} / {fmt(possible)}", ""]
        for row in rows:
            what = f"hidden cases of {row['check_id']}" if row["hidden"] else f"{row['check_id']}: {row['description']}"
            if row.get("pending"):
                lines.append(f"- pending (-/{fmt(row['points'])}) {what}: awaiting grading by hand")
                continue
            mark = "passed" if row["passed"] else "graded" if row.get("manual") and row["outcome"] == "graded" \
                else "FAILED"
            lines.append(f"- {mark} ({fmt(row['earned'])}/{fmt(row['points'])}) {what}")
            if row.get("figure"):
                lines.append(f"  ![training loss against the reference's band, predictions on public images]"
                             f"({figure_name(row)})")
            if row["feedback"] and (not row["passed"] or row.get("manual")):
                lines += ["", markdown_block(row["feedback"], indent="  "), ""]
        lines.append("")
    lines.append("Hidden checks run the same checks as `make test` on inputs you cannot see; "
                 "they pass when your functions follow SPEC.md beyond the public examples.")
    return "\n".join(lines) + "\n"


def figure_name(row):
    """File name of a row's figure next to ``feedback.md`` (check ids are the rubric's, never a student's text)."""
    return f"{row['check_id']}.png"


def write_figures(folder, record, drawer=None):
    """The training checks' figures (:mod:`saltlab.checks.training_feedback`), PNG, byte-identical run to run.

    ``drawer`` (:class:`grader.figures.FigureDrawer`) holds figures already
    drawn in the background while the student was graded; without it they are drawn here.
    """
    from saltlab.checks.training_feedback import render_figure

    for row in record["checks"]:
        if row.get("figure"):
            png = drawer.png(row) if drawer is not None else render_figure(row["figure"], title=row["check_id"])
            write_atomic(folder / figure_name(row), png)


def write_student(out, record, drawer=None):
    """Write ``grade.json``, ``results.json``, ``feedback.md`` and the figures of one student."""
    folder = Path(out) / record["folder"]
    write_figures(folder, record, drawer)
    write_atomic(folder / "results.json", results_json(record))
    write_atomic(folder / "feedback.md", feedback_md(record))
    # Last: a grade.json present means the student is completely written. It is the
    # instructor's only: it names the hidden cases a student failed.
    write_atomic(folder / GRADE_FILE, json.dumps(record, indent=2, sort_keys=True) + "\n", mode=0o600)


def read_record(out, folder_name):
    """The stored record of one student, or None if absent or unreadable."""
    try:
        return json.loads((Path(out) / folder_name / GRADE_FILE).read_text())
    except (OSError, ValueError):
        return None


def _question_columns(records):
    rubric = load_rubric()
    present = {q for r in records for q in r["questions"]}
    return [q for q in rubric.questions if q in present]


def _question_cell(record, question):
    """A question's points, or ``pending`` (nothing graded yet), or ``4 (+3 pending)``: a missing grade is never 0."""
    rows = [r for r in record.get("checks", []) if r["question"] == question]
    pending = sum(r["points"] for r in rows if r.get("pending"))
    earned = fmt(record["questions"].get(question, 0.0))
    if not pending:
        return earned
    return "pending" if all(r.get("pending") for r in rows) else f"{earned} (+{fmt(pending)} pending)"


def gradebook_csv(records):
    """``student_id, <question ids>, total, max_total, [pending_points,] status``, sorted by student id.

    ``pending_points`` (points of written answers not graded by hand yet) is
    there when the notebooks were graded; ``total`` counts graded points only.
    """
    columns = _question_columns(records)
    with_pending = any(row.get("manual") for r in records for row in r.get("checks", []))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["student_id", *columns, "total", "max_total", *(["pending_points"] if with_pending else []),
                     "status"])
    for record in sorted(records, key=lambda r: r["student_id"]):
        pending = [fmt(record.get("pending_points", 0))] if with_pending else []
        writer.writerow([csv_cell(record["student_id"]), *(_question_cell(record, q) for q in columns),
                         fmt(record["total"]), fmt(record["max_total"]), *pending, record["status"]])
    return buffer.getvalue()


def _histogram_counts(totals, maximum, bins=10):
    width = maximum / bins if maximum else 1.0
    counts = [0] * bins
    for total in totals:
        counts[min(int(total / width), bins - 1)] += 1
    return [(i * width, (i + 1) * width, c) for i, c in enumerate(counts)]


def summary_md(records, *, skipped=(), header=()):
    """Pass rate per check and per question, the distribution of totals, the problems."""
    rubric = load_rubric()
    lines = ["# Grading summary", ""] + [f"- {line}" for line in header] + [""]
    if not records:
        return "\n".join(lines + ["No submissions were graded."]) + "\n"
    n = len(records)
    lines += ["## Pass rate per check", "", "| check | points | passed | rate |", "|---|---:|---:|---:|"]
    keys = [row["key"] for row in records[0]["checks"]]
    for key in keys:
        rows = [row for r in records for row in r["checks"] if row["key"] == key]
        passed = sum(row["passed"] for row in rows)
        lines.append(f"| {key} | {fmt(rows[0]['points'])} | {passed}/{len(rows)} | {100 * passed / len(rows):.0f}% |")
    lines += ["", "## Per question", "", "| question | mean | max | full marks |", "|---|---:|---:|---:|"]
    for question in _question_columns(records):
        earned = [r["questions"].get(question, 0.0) for r in records]
        possible = sum(row["points"] for row in records[0]["checks"] if row["question"] == question)
        full = sum(e >= possible - 1e-9 for e in earned)
        waiting = sum(any(row.get("pending") for row in r["checks"] if row["question"] == question) for r in records)
        pending = f" ({waiting} students with answers pending)" if waiting else ""
        lines.append(f"| {rubric.questions[question]}{pending} | {fmt(statistics.mean(earned))} | {fmt(possible)} | "
                     f"{full}/{n} ({100 * full / n:.0f}%) |")
    totals = [r["total"] for r in records]
    maximum = max(r["max_total"] for r in records)
    lines += ["", "## Totals", "",
              f"{n} students; out of {fmt(maximum)}: min {fmt(min(totals))}, median {fmt(statistics.median(totals))}, "
              f"mean {fmt(statistics.mean(totals))}, max {fmt(max(totals))}.", "", "```"]
    for low, high, count in _histogram_counts(totals, maximum):
        lines.append(f"{fmt(low):>6} - {fmt(high):<6} {'#' * count} {count}")
    lines += ["```", "", "Histogram: totals.png", ""]
    statuses = {}
    for record in records:
        statuses.setdefault(record["status"], []).append(record["student_id"])
    lines += ["## Status", ""]
    for status, students in sorted(statuses.items()):
        shown = ", ".join(markdown_inline(s) for s in students[:20]) + (" ..." if len(students) > 20 else "")
        lines.append(f"- {status}: {len(students)}" + ("" if status == "ok" else f" ({shown})"))
    if skipped:
        lines += ["", "## Skipped entries", ""] + [f"- {markdown_inline(message)}" for message in skipped]
    return "\n".join(lines) + "\n"


def histogram_png(records, path):
    """A histogram of totals (matplotlib, Agg backend)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    totals = [r["total"] for r in records]
    maximum = max([r["max_total"] for r in records] or [1.0])
    figure, axes = plt.subplots(figsize=(6, 3.5))
    axes.hist(totals, bins=20, range=(0, maximum), color="#4c72b0", edgecolor="white")
    axes.set_xlabel(f"total points (out of {fmt(maximum)})")
    axes.set_ylabel("students")
    axes.set_title(f"Distribution of totals ({len(totals)} students)")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, metadata={"Software": None})
    plt.close(figure)
    write_atomic(path, buffer.getvalue())


def write_batch(out, records, *, skipped=(), header=()):
    """Write ``gradebook.csv``, ``summary.md`` and ``totals.png``; return the summary text."""
    out = Path(out)
    write_atomic(out / "gradebook.csv", gradebook_csv(records))
    summary = summary_md(records, skipped=skipped, header=header)
    write_atomic(out / "summary.md", summary)
    if records:
        histogram_png(records, out / "totals.png")
    return summary
