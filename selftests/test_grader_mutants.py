"""The instructor's grader on the mutant library and the unusual correct implementations, in one batch.

``selftests/test_public_graders.py`` checks both kinds in the public runner
(``score_locally``, what ``make test`` runs); this module checks them in the
other runner: real sandboxed workers, the hidden cases of one grading seed,
verdicts in the grader's process. Every mutant (``selftests/mutants.py``) must
lose points, at least on the public checks its mistake breaks; every correct
implementation in ``selftests/unusual/`` and ``selftests/unusual_styles/`` must
keep full marks, hidden cases included. One batch, graded once without the
training checks (``--skip-training --jobs 2``), serves every assertion: about
17 s of worker time per submission, most of it importing TensorFlow (85
submissions: 13.5 min on 2 cores shared with other jobs, December 2026).
"""

import json
import subprocess
import sys

import pytest

from mutants import MUTANTS, build_mutant, copy_reference, overlay
from test_grader_batch import FAST, needs_bwrap
from test_public_graders import UNUSUAL, UNUSUAL_STYLES, graded_file_of_style
from saltlab.checks.rubric import load_rubric
from saltlab.paths import REPO_ROOT

RUBRIC = load_rubric()
FULL = sum(e.points for e in RUBRIC.entries() if e.question != "training")

UNUSUAL_FILES = {f"unusual_{p.stem}": (f"{p.stem}.py", p) for p in sorted(UNUSUAL.glob("*.py"))}
UNUSUAL_FILES.update({f"style_{p.stem}": (graded_file_of_style(p.stem), p) for p in sorted(UNUSUAL_STYLES.glob("*.py"))})
"""Submission folder name -> (graded file it replaces, the correct implementation)."""


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Every mutant, every unusual correct implementation and the reference, graded in one batch."""
    root = tmp_path_factory.mktemp("mutants")
    subs = root / "submissions"
    copy_reference(subs / "reference")
    for name in MUTANTS:
        build_mutant(name, subs / name)
    for folder, (graded_file, source) in UNUSUAL_FILES.items():
        overlay(subs / folder, {graded_file: source})
    out = root / "out"
    result = subprocess.run([sys.executable, "-m", "grader", "grade", str(subs), "--out", str(out), "--quiet", *FAST],
                            cwd=REPO_ROOT, capture_output=True, text=True, timeout=3600)
    assert result.returncode == 0, result.stderr[-3000:]
    return out


def _record(out, folder):
    return json.loads((out / folder / "grade.json").read_text())


@needs_bwrap
def test_reference_keeps_full_marks(graded):
    record = _record(graded, "reference")
    assert record["status"] == "ok" and record["total"] == pytest.approx(FULL), record["message"]


@needs_bwrap
@pytest.mark.parametrize("name", sorted(MUTANTS))
def test_mutant_loses_points_in_the_grader(graded, name):
    _, mistake, _, must_fail = MUTANTS[name]
    record = _record(graded, name)
    assert record["status"] == "ok", record["message"]
    failed = {row["key"] for row in record["checks"] if not row["passed"]}
    kept = sorted(must_fail - failed)
    assert not kept, f"mutant {name} ({mistake}) still passes {kept} in the grader"
    assert record["total"] < FULL


@needs_bwrap
@pytest.mark.parametrize("folder", sorted(UNUSUAL_FILES))
def test_unusual_correct_code_keeps_full_marks_in_the_grader(graded, folder):
    record = _record(graded, folder)
    lost = {row["key"]: row.get("message", "")[:300] for row in record["checks"] if not row["passed"]}
    assert lost == {} and record["status"] == "ok", lost or record["message"]
    assert record["total"] == pytest.approx(FULL)
