"""``python -m grader explain``: a stored grade reproduced byte for byte, and every difference caught.

One batch (the reference, the stubs and three mutants of ``selftests/mutants.py``)
is graded once with ``--only conv_block,metrics,threshold`` and the options of
``test_grader_batch.FAST`` (no training, no notebooks); explain must read those
options back from the output folder and reproduce each stored grade. A tampered
stored grade and a submission changed since grading must each be reported,
with exit status 1. Workers are real (bubblewrap, hidden cases of the stored seed).
Cost: one grading of 5 submissions and 7 explains (about 13 worker starts), 3.5 to
6 min on 2 cores shared with other jobs (December 2026, noisy).
"""

import contextlib
import csv
import io
import json
import shutil
import subprocess
import sys

import pytest

from mutants import build_mutant, copy_reference
from test_grader_batch import FAST, make_submission_folder, needs_bwrap
from grader.__main__ import main
from saltlab.paths import REPO_ROOT, SOLUTIONS_DIR

ONLY = "conv_block,metrics,threshold"
CHOSEN = ("metrics_mean_per_image", "threshold_ties_to_highest", "conv_block_relu_before_bn")
"""One mutant per selected question, each failing a check whose cases compare numbers or arrays."""
STUDENTS = ("reference", "stubs", *CHOSEN)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The batch graded once: ``(submissions folder, output folder)``."""
    root = tmp_path_factory.mktemp("explain")
    subs = root / "submissions"
    copy_reference(subs / "reference")
    make_submission_folder("stubs", subs / "stubs")
    for name in CHOSEN:
        build_mutant(name, subs / name)
    out = root / "out"
    result = subprocess.run([sys.executable, "-m", "grader", "grade", str(subs), "--out", str(out), "--quiet",
                             "--only", ONLY, *FAST], cwd=REPO_ROOT, capture_output=True, text=True, timeout=1800)
    assert result.returncode == 0, result.stderr[-3000:]
    return subs, out


def explain(*args):
    """``python -m grader explain`` in this process (workers are still sandboxed subprocesses).

    Returns
    -------
    code : int
    text, err : str
        What it printed on stdout and stderr.
    """
    text, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(text), contextlib.redirect_stderr(err):
        code = main(["explain", *map(str, args)])
    return code, text.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def explained(graded, tmp_path_factory):
    """Each student of the batch explained once: ``{student: (code, text, explanation)}``.

    Only the stubs also run the cases their checks skipped (one more worker start
    each, about 15 s on a loaded machine); the others' graded cases are enough here.
    """
    _, out = graded
    folder = tmp_path_factory.mktemp("explained")
    found = {}
    for student in STUDENTS:
        extra = [] if student == "stubs" else ["--graded-cases-only"]
        code, text, err = explain(student, "--out", out, "--json", folder / f"{student}.json", *extra)
        assert code in (0, 1), err[-3000:]
        found[student] = (code, text + err[-3000:], json.loads((folder / f"{student}.json").read_text()))
    return found


@needs_bwrap
@pytest.mark.parametrize("student", STUDENTS)
def test_explain_reproduces_the_stored_grade(graded, explained, student):
    _, out = graded
    code, text, explanation = explained[student]
    assert code == 0, text[-5000:]
    assert "REPRODUCED byte for byte" in text
    assert explanation["reproduced"] and explanation["differences"] == []
    stored = json.loads((out / student / "grade.json").read_text())
    assert explanation["recomputed"]["total"] == stored["total"]
    # Every case of every selected entry is shown, hidden ones included.
    cases = [case for check in explanation["checks"] for case in check["cases"]]
    assert {check["check"] for check in explanation["checks"]} == {row["key"] for row in stored["checks"]}
    assert any(case["hidden"] for case in cases)
    failed = [case for case in cases if case["graded"] and not case["verdict"]["passed"]]
    if student == "reference":
        assert failed == [] and all(case["graded"] for case in cases)
    elif student == "stubs":  # the cases after each check's first failure were run too, and say so
        assert all(case["status"] == "not_implemented" for case in cases)
        assert sum(case["graded"] for case in cases) == len(explanation["checks"]) < len(cases)
        assert "not graded (after the check's first failure); run for information: not_implemented" in text
    else:
        assert failed, f"{student} fails no case in explain"


@needs_bwrap
def test_explain_shows_expected_against_got(explained):
    """The mutants' failing cases: the array difference located, the metrics mistake named."""
    _, text, explanation = explained["conv_block_relu_before_bn"]
    cases = [c for check in explanation["checks"] for c in check["cases"]
             if check["check"].endswith("conv_block.numerics") and c["status"] == "failed"]
    assert cases, "no failing numerics case"
    y = cases[0]["comparison"]["y"]
    assert not y["equal"] and y["differing"] > 0 and y["max_abs_diff"] > 1e-3 and len(y["first"]) >= 1
    assert "max |diff|" in text and "case hidden-" in text
    _, text, explanation = explained["metrics_mean_per_image"]
    diagnoses = [c["diagnosis"] for check in explanation["checks"] for c in check["cases"] if c.get("diagnosis")]
    assert any("per image" in d for d in diagnoses), diagnoses
    assert "diagnosis: your value equals what you get computed per image" in text


@needs_bwrap
def test_explain_detects_a_tampered_grade(graded, tmp_path):
    """A stored results.json and a gradebook row edited after grading: both are named, exit status 1."""
    _, out = graded
    copy = tmp_path / "out"
    shutil.copytree(out, copy)
    results = json.loads((copy / "reference" / "results.json").read_text())
    results["score"] -= 1
    (copy / "reference" / "results.json").write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    with open(copy / "gradebook.csv", newline="") as handle:
        rows = list(csv.reader(handle))
    for row in rows[1:]:
        if row[0] == "reference":
            row[rows[0].index("metrics")] = "3"
    with open(copy / "gradebook.csv", "w", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)
    code, text, err = explain("reference", "--out", copy, "--graded-cases-only")
    assert code == 1, text[-2000:] + err[-2000:]
    assert "NOT REPRODUCED" in text and "the stored files were edited after grading" in text
    assert "differs: results.json: score: stored" in text
    assert "differs: gradebook.csv: stored" in text


@needs_bwrap
def test_explain_detects_a_changed_submission(graded, tmp_path):
    subs, out = graded
    moved = tmp_path / "submissions"
    shutil.copytree(subs, moved)
    # The student fixed precision after grading: the regrade is higher, and explain says why.
    (moved / "metrics_mean_per_image" / "metrics.py").write_text((SOLUTIONS_DIR / "metrics.py").read_text())
    code, text, err = explain("metrics_mean_per_image", "--out", out, "--submissions", moved,
                              "--graded-cases-only", "--json", tmp_path / "e.json")
    assert code == 1, text[-2000:] + err[-2000:]
    explanation = json.loads((tmp_path / "e.json").read_text())
    assert not explanation["reproduced"]
    assert any(cause.startswith("the submission changed since grading") for cause in explanation["causes"])
    assert explanation["recomputed"]["total"] > explanation["stored"]["total"]
    assert any(line.startswith("results.json: score: stored") for line in explanation["differences"])


def test_explain_errors_are_clear(graded, tmp_path):
    subs, out = graded
    code, _, err = explain("refrence", "--out", out)
    assert code == 2 and "no student 'refrence'" in err and "closest: reference" in err
    code, _, err = explain("reference", "--out", subs)
    assert code == 2 and "is not a grading output folder (no run.json)" in err
    code, _, err = explain("reference", "--out", tmp_path / "nowhere")
    assert code == 2 and "no such folder" in err
    (tmp_path / "empty").mkdir()
    code, _, err = explain("reference", "--out", out, "--submissions", tmp_path / "empty")
    assert code == 2 and "reference's submission is gone" in err
    code, _, err = explain("reference", "--out", out, "--submissions", tmp_path / "moved-away")
    assert code == 2 and "is gone or not a folder" in err
