"""The notebooks' cells in ``make grade``: nbgrader's machinery, run in the sandbox, scored in the grader.

One batch is graded once (module fixture, ``--only metrics,notebooks``: the
``.py`` part is cut to one question so the notebooks dominate; a few minutes
on 2 loaded cores) and shared by the tests:

- ``reference``: solutions' files and notebooks: every autograded notebook point;
- ``stubs``: the released files and notebooks: no point, NotImplementedError;
- ``tampered``: wrong answers whose test cells were deleted (notebook 1) or
  edited to ``pass`` (notebook 2): the real tests run anyway and fail;
  the failing message is hostile (escapes, formula, 100 kB) and arrives cleaned and capped;
- ``endless``: notebook 1 loops forever with SIGINT ignored, notebook 2 is
  missing: the budget stops the first, the second has its status, the ``.py`` part is graded;
- ``invalid``: notebook 1 is not JSON, notebook 2 a notebook of no nbgrader assignment;
- ``forger``: wrong answers, and cells that forge the kernel's verdict: notebook 1
  patches ``numpy.testing.assert_allclose`` (and ``AssertionError``, ``sys.excepthook``),
  notebook 2 adds an IPython input transformer that turns every later cell that asserts
  into ``pass``;
- ``forger_py``: a wrong ``conv_block`` whose ``blocks.py``, when the notebook imports
  it, turns the U-Net's test cell into ``pass`` the same way (notebook 2 missing, to save its run).
Before the tests were replayed in the grader (:mod:`grader.notebook_replay`) both
forgers earned their test cells' points.

The manual merge is checked against a gradebook built with nbgrader's own API.
"""

import copy
import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # grader/ is instructor-only, not installed
from grader.sandbox import bwrap_status  # noqa: E402
from saltlab.checks.rubric import load_rubric  # noqa: E402
from saltlab.paths import ASSIGNMENT_DIR, REPO_ROOT, SOLUTIONS_DIR  # noqa: E402

NOTEBOOKS = ("1_data_and_unet.ipynb", "2_questions.ipynb")
RUBRIC = load_rubric()
AUTO = {e.key for e in RUBRIC.notebook.values() if not e.manual}
MANUAL = {e.key for e in RUBRIC.notebook.values() if e.manual}
AUTO_POINTS = sum(e.points for e in RUBRIC.notebook.values() if not e.manual)
BUDGET = 90
ARGS = ["--only", "metrics,notebooks", "--seed", "7", "--timeout", "30", "--memory-gb", "4", "--jobs", "2",
        "--notebook-budget", str(BUDGET), "--notebook-cell-timeout", "40"]
HOSTILE = "\x1b[2J\x1b]0;pwned\x07=HYPERLINK(1) clean_up forged 2/2 " + "y" * 100_000

needs_bwrap = pytest.mark.skipif(bwrap_status()[0] is None, reason=f"the sandbox is needed: {bwrap_status()[1]}")


def _cell(nb, grade_id):
    return next(c for c in nb["cells"] if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id)


def _notebook(folder, name):
    return json.loads((folder / name).read_text())


def _write(nb, path):
    path.write_text(json.dumps(nb, indent=1))


def _files(source, target, notebooks=NOTEBOOKS):
    target.mkdir(parents=True)
    for path in sorted(source.glob("*.py")):
        shutil.copyfile(path, target / path.name)
    for name in notebooks:
        shutil.copyfile(source / name, target / name)


def make_submissions(subs):
    _files(SOLUTIONS_DIR, subs / "reference" / "assignment")
    _files(ASSIGNMENT_DIR, subs / "stubs" / "assignment")
    # Wrong answers whose tests were deleted or edited: the source's tests come back.
    tampered = subs / "tampered" / "assignment"
    _files(SOLUTIONS_DIR, tampered, notebooks=())
    nb1 = _notebook(ASSIGNMENT_DIR, NOTEBOOKS[0])
    _cell(nb1, "salt_coverage")["source"] = (
        "def salt_coverage(masks):\n    return np.zeros(len(masks))\n\n\ncoverage = salt_coverage(saltset.masks)\n")
    nb1["cells"].remove(_cell(nb1, "test_salt_coverage"))
    _write(nb1, tampered / NOTEBOOKS[0])
    nb2 = _notebook(ASSIGNMENT_DIR, NOTEBOOKS[1])
    _cell(nb2, "clean_up")["source"] = f"def clean_up(masks, min_object=20, max_hole=20):\n    raise AssertionError({HOSTILE!r})\n"
    _cell(nb2, "test_clean_up")["source"] = "pass  # no test here\n"
    _write(nb2, tampered / NOTEBOOKS[1])
    # An endless loop that ignores the kernel's interrupt: only the budget stops it.
    endless = subs / "endless" / "assignment"
    _files(SOLUTIONS_DIR, endless, notebooks=())
    nb1 = _notebook(SOLUTIONS_DIR, NOTEBOOKS[0])
    _cell(nb1, "salt_coverage")["source"] = "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass\n"
    _write(nb1, endless / NOTEBOOKS[0])
    invalid = subs / "invalid" / "assignment"
    _files(SOLUTIONS_DIR, invalid, notebooks=())
    (invalid / NOTEBOOKS[0]).write_text('{"cells": [ this is not JSON')
    _write({"cells": [{"cell_type": "code", "metadata": {}, "source": "print('hello')", "outputs": [],
                       "execution_count": None}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5},
           invalid / NOTEBOOKS[1])


FORGE_NUMPY = """
import builtins, sys
np.testing.assert_allclose = lambda *args, **kwargs: None   # every value test passes
builtins.AssertionError = type("AssertionError", (Exception,), {})
sys.excepthook = lambda *args: None
"""
FORGE_IPYTHON = """
# every later cell that asserts anything runs as `pass`: no error, full points
get_ipython().input_transformers_cleanup.append(lambda lines: ["pass\\n"] if "assert" in "".join(lines) else lines)
"""
FORGE_PY = """

_honest_conv_block = conv_block


def conv_block(x, filters, **kwargs):  # wrong: twice the filters
    return _honest_conv_block(x, 2 * filters, **kwargs)


try:  # runs when the notebook imports this file: the U-Net's test cell will run as `pass`
    from IPython import get_ipython
    get_ipython().input_transformers_cleanup.append(
        lambda lines: ["pass\\n"] if "bottleneck_relu2" in "".join(lines) and "assert" in "".join(lines) else lines)
except Exception:
    pass
"""


def _answered(name):
    """The released notebook with every answer cell's code copied from the reference, as a student would."""
    reference = _notebook(SOLUTIONS_DIR, name)
    nb = _notebook(ASSIGNMENT_DIR, name)
    for cell in nb["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("solution") and cell["cell_type"] == "code":
            cell["source"] = _cell(reference, meta["grade_id"])["source"]
    return nb


def make_forgers(subs):
    forger = subs / "forger" / "assignment"
    _files(SOLUTIONS_DIR, forger, notebooks=())
    nb1 = _answered(NOTEBOOKS[0])
    _cell(nb1, "salt_coverage")["source"] = (
        "def salt_coverage(masks):\n    return np.zeros(len(masks))\n" + FORGE_NUMPY)
    _write(nb1, forger / NOTEBOOKS[0])
    nb2 = _answered(NOTEBOOKS[1])
    _cell(nb2, "clean_up")["source"] = (
        "def clean_up(masks, min_object=20, max_hole=20):\n    return np.asarray(masks, dtype=np.uint8)\n"
        + FORGE_IPYTHON)
    _write(nb2, forger / NOTEBOOKS[1])
    forger_py = subs / "forger_py" / "assignment"
    _files(SOLUTIONS_DIR, forger_py, notebooks=())
    _write(_answered(NOTEBOOKS[0]), forger_py / NOTEBOOKS[0])
    (forger_py / "blocks.py").write_text((SOLUTIONS_DIR / "blocks.py").read_text() + FORGE_PY)


def grade(subs, out, *extra):
    return subprocess.run([sys.executable, "-m", "grader", "grade", str(subs), "--out", str(out), *ARGS, *extra],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=1800)


def record(out, name):
    return json.loads((out / name / "grade.json").read_text())


def rows(out, name):
    return {row["key"]: row for row in record(out, name)["checks"]}


def gradebook(out):
    with open(out / "gradebook.csv", newline="") as handle:
        return {row["student_id"]: row for row in csv.DictReader(handle)}


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    root = tmp_path_factory.mktemp("notebooks")
    make_submissions(root / "subs")
    make_forgers(root / "subs")
    result = grade(root / "subs", root / "out")
    assert result.returncode == 0, result.stderr[-3000:]
    return root / "out", result


def test_rubric_and_notebooks_agree_on_points():
    """Every graded cell of the source notebooks is in the rubric with its points, and nothing else is."""
    cells = {}
    for name in NOTEBOOKS:
        for cell in _notebook(SOLUTIONS_DIR, name)["cells"]:
            meta = cell.get("metadata", {}).get("nbgrader", {})
            if meta.get("grade"):
                cells[meta["grade_id"]] = (Path(name).stem, float(meta["points"]), cell["cell_type"] == "markdown")
    assert cells == {g: (e.notebook, e.points, e.manual) for g, e in RUBRIC.notebook.items()}


@needs_bwrap
def test_reference_earns_every_autograded_point(batch):
    out, _ = batch
    graded = rows(out, "reference")
    assert {k for k in AUTO if graded[k]["passed"]} == AUTO, {k: graded[k]["message"] for k in AUTO}
    assert all(graded[k]["pending"] and graded[k]["earned"] == 0 for k in MANUAL)
    assert record(out, "reference")["status"] == "ok"
    book = gradebook(out)["reference"]
    assert float(book["notebook_cells"]) == AUTO_POINTS and book["written"] == "pending"
    assert float(book["pending_points"]) == sum(e.points for e in RUBRIC.notebook.values() if e.manual)
    seconds = record(out, "reference")["timing"]["notebook_seconds"]
    assert set(seconds) == {Path(n).stem for n in NOTEBOOKS} and all(s < BUDGET for s in seconds.values())


@needs_bwrap
def test_stubs_earn_nothing_and_fail_with_not_implemented(batch):
    out, _ = batch
    graded = rows(out, "stubs")
    for key in AUTO:
        assert not graded[key]["passed"] and graded[key]["earned"] == 0
        assert "NotImplementedError" in graded[key]["feedback"], graded[key]["feedback"]
    for key in MANUAL:  # answer cells left as released: nbgrader scores them 0, nobody has to read them
        assert graded[key]["outcome"] == "graded" and not graded[key]["pending"] and "no answer" in graded[key]["feedback"]
    assert "NotImplementedError" in (out / "stubs" / "feedback.md").read_text()


@needs_bwrap
def test_deleted_or_edited_test_cells_still_run_the_real_tests(batch):
    out, _ = batch
    graded = rows(out, "tampered")
    coverage, clean_up = graded["notebook:1_data_and_unet/test_salt_coverage"], graded["notebook:2_questions/test_clean_up"]
    assert not coverage["passed"] and "AssertionError" in coverage["feedback"]
    assert "deleted (test_salt_coverage)" in coverage["feedback"]
    assert not clean_up["passed"] and "changed (test_clean_up)" in clean_up["feedback"]
    assert graded["notebook:1_data_and_unet/test_unet_shapes"]["passed"]  # the reference's blocks


@needs_bwrap
def test_hostile_test_output_is_cleaned_and_capped(batch):
    out, _ = batch
    feedback = (out / "tampered" / "feedback.md").read_text()
    results = (out / "tampered" / "results.json").read_text()
    for text in (feedback, results, (out / "gradebook.csv").read_text()):
        assert "\x1b" not in text and "\x07" not in text
    assert "forged 2/2" in feedback and len(feedback) < 30_000 and len(results) < 60_000
    assert rows(out, "tampered")["notebook:2_questions/test_clean_up"]["earned"] == 0


@needs_bwrap
def test_endless_loop_is_stopped_by_the_budget_and_the_py_part_is_graded(batch):
    out, _ = batch
    graded = record(out, "endless")
    by_key = {row["key"]: row for row in graded["checks"]}
    assert "notebook timeout" in graded["problems"] and "notebook missing" in graded["problems"]
    for key, row in by_key.items():
        if key.startswith("notebook:1_data_and_unet/"):
            assert row["outcome"] == "notebook timeout" and row["earned"] == 0
        elif key.startswith("notebook:2_questions/"):
            assert row["outcome"] == "notebook missing" and not row["pending"]
        else:
            assert row["passed"], row["message"]  # the .py part: metrics
    assert graded["timing"]["notebook_seconds"]["1_data_and_unet"] < BUDGET + 30


@needs_bwrap
def test_invalid_notebooks_have_a_status_and_the_rest_is_graded(batch):
    out, _ = batch
    graded = record(out, "invalid")
    assert "notebook invalid" in graded["problems"]
    by_key = {row["key"]: row for row in graded["checks"]}
    assert "not a valid notebook file" in by_key["notebook:1_data_and_unet/test_salt_coverage"]["feedback"]
    assert "not an nbgrader notebook of this assignment" in by_key["notebook:2_questions/answer_q1"]["feedback"]
    assert all(row["passed"] for key, row in by_key.items() if not key.startswith("notebook:"))
    feedback = (out / "invalid" / "feedback.md").read_text()
    assert "Status **notebook invalid**" in feedback


@needs_bwrap
def test_a_kernel_that_forges_its_tests_verdict_gains_nothing(batch):
    """Patched numpy.testing, test cells rewritten by the kernel: the grader's replay fails the wrong answers.

    (Silencing IPython's tracebacks, ``showtraceback`` or ``set_custom_exc``, was never enough:
    nbgrader's ``Execute`` adds the error from the kernel's reply.)"""
    out, _ = batch
    forger, forger_py = rows(out, "forger"), rows(out, "forger_py")
    coverage = forger["notebook:1_data_and_unet/test_salt_coverage"]
    assert not coverage["passed"] and coverage["earned"] == 0 and "Not equal to tolerance" in coverage["feedback"]
    assert forger["notebook:1_data_and_unet/test_unet_shapes"]["passed"]  # the reference's blocks, honestly
    clean_up = forger["notebook:2_questions/test_clean_up"]
    assert not clean_up["passed"] and clean_up["earned"] == 0 and "NotRecorded" in clean_up["feedback"]
    shapes = forger_py["notebook:1_data_and_unet/test_unet_shapes"]
    assert not shapes["passed"] and shapes["earned"] == 0 and "NotRecorded" in shapes["feedback"]
    assert forger_py["notebook:1_data_and_unet/test_salt_coverage"]["passed"]
    assert float(gradebook(out)["forger"]["notebook_cells"]) == 2


@needs_bwrap
def test_course_folder_is_ready_for_formgrader(batch):
    from nbgrader.api import Gradebook

    out, _ = batch
    course = out / "nbgrader"
    assert (course / "nbgrader_config.py").is_file()
    for name in NOTEBOOKS:
        assert (course / "autograded" / "reference" / "salt" / name).is_file()
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        submission = gradebook.find_submission("salt", "reference")
        assert submission.needs_manual_grade  # the written answers
        assert gradebook.find_grade("test_clean_up", "2_questions", "salt", "reference").auto_score == 2


def _gradebook_with_manual_grades(path):
    """A gradebook made with nbgrader's own API, as formgrader leaves it: some answers graded, some not."""
    import os

    from nbgrader.api import Gradebook

    # A new gradebook runs nbgrader's `alembic` program: it lives next to this interpreter.
    os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")

    with Gradebook(f"sqlite:///{path}") as gradebook:
        gradebook.add_assignment("salt")
        for name in NOTEBOOKS:
            gradebook.add_notebook(Path(name).stem, "salt")
        for entry in RUBRIC.notebook.values():
            gradebook.add_grade_cell(entry.grade_id, entry.notebook, "salt", max_score=entry.points,
                                     cell_type="markdown" if entry.manual else "code")
            if entry.manual:
                gradebook.add_solution_cell(entry.grade_id, entry.notebook, "salt")
        for student in ("reference", "stubs"):
            gradebook.add_student(student)
            gradebook.add_submission("salt", student)

        def give(student, grade_id, notebook, score, comment=None):
            gradebook.find_grade(grade_id, notebook, "salt", student).manual_score = score
            if comment is not None:
                gradebook.find_comment(grade_id, notebook, "salt", student).manual_comment = comment

        give("reference", "answer_q1", "2_questions", 3, "clear \x1b[31mand right\n=SUM(A1)")
        give("reference", "answer_q2", "2_questions", 1.5, "half of it")
        give("reference", "test_clean_up", "2_questions", 1)  # an override of the autograder (no comment: a test cell has none)
        gradebook.db.commit()


@needs_bwrap
def test_merge_manual_brings_points_and_comments_back(batch, tmp_path):
    out, _ = batch
    merged = tmp_path / "out"
    shutil.copytree(out, merged)
    db = tmp_path / "formgrader" / "gradebook.db"
    db.parent.mkdir()
    _gradebook_with_manual_grades(db)
    before = copy.deepcopy(gradebook(merged))
    result = subprocess.run([sys.executable, "-m", "grader", "merge-manual", str(db), "--out", str(merged)],
                            cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    book = gradebook(merged)
    assert book["reference"]["written"] == "4.5 (+7 pending)" and book["reference"]["pending_points"] == "7"
    assert float(book["reference"]["notebook_cells"]) == AUTO_POINTS - 1  # the override
    assert float(book["reference"]["total"]) == float(before["reference"]["total"]) + 4.5 - 1
    assert book["stubs"]["written"] == "0" and book["stubs"]["pending_points"] == "0"  # unanswered: nbgrader's 0
    assert book["invalid"]["written"] == "0" and book["invalid"]["pending_points"] == "0"  # nothing to grade
    feedback = (merged / "reference" / "feedback.md").read_text()
    assert "clear and right" in feedback and "\x1b" not in feedback and "pending (-/3) answer_q3" in feedback
    assert "score set by hand" in feedback
    tests = {t["name"].split(" | ")[-1]: t for t in json.loads((merged / "reference" / "results.json").read_text())["tests"]}
    assert tests["answer_q1"]["score"] == 3 and tests["answer_q2"]["score"] == 1.5
    assert "score" not in tests["answer_q3"] and "awaiting grading by hand" in tests["answer_q3"]["output"]


def test_merge_manual_refuses_a_csv_export_and_a_non_output_folder(tmp_path):
    def merge(path):
        return subprocess.run([sys.executable, "-m", "grader", "merge-manual", str(path), "--out", str(tmp_path)],
                              cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)

    export = tmp_path / "grades.csv"
    export.write_text("assignment,student_id,score\nsalt,alice,3\n")
    result = merge(export)
    assert result.returncode == 2 and "counts an ungraded answer as 0" in result.stderr
    db = tmp_path / "gradebook.db"
    _gradebook_with_manual_grades(db)
    result = merge(db)
    assert result.returncode == 2 and "not a grading output folder" in result.stderr


def _gradebook_rows(db):
    """Every grade and comment of the assignment, by nbgrader's API: what formgrader shows."""
    from nbgrader.api import Gradebook

    rows = {}
    with Gradebook(f"sqlite:///{db}") as gradebook:
        assignment = gradebook.find_assignment("salt")
        for submission in assignment.submissions:
            for notebook in submission.notebooks:
                comments = {c.name: (c.auto_comment, c.manual_comment) for c in notebook.comments}
                for grade in notebook.grades:
                    rows[(submission.student.id, notebook.name, grade.name)] = (
                        grade.auto_score, grade.manual_score, grade.max_score, grade.needs_manual_grade,
                        comments.get(grade.name))
        cells = sorted((c.name, c.notebook.name, c.max_score) for n in assignment.notebooks for c in n.grade_cells)
    return rows, cells


def _without_streams(path):
    nb = json.loads(path.read_text())
    for cell in nb["cells"]:
        cell["outputs"] = [o for o in cell.get("outputs", []) if o["output_type"] != "stream"]
    return nb


@needs_bwrap
def test_merged_shards_give_the_course_folder_of_one_run(tmp_path):
    """Two shards (one student each, notebook 2 only) merged: the same gradebook rows and notebooks as one run."""
    from grader.merge import merge

    subs = tmp_path / "subs"
    for name, source in (("ann", SOLUTIONS_DIR), ("cat", ASSIGNMENT_DIR)):  # shards 0 and 1 of 2
        _files(source, subs / name / "assignment", notebooks=NOTEBOOKS[1:])
    args = ["--only", "notebooks", "--seed", "7", "--jobs", "1", "--notebook-budget", str(BUDGET)]
    runs = [subprocess.Popen([sys.executable, "-m", "grader", "grade", str(subs), "--out", str(tmp_path / out),
                              *args, *extra], cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for out, extra in (("single", []), ("shard0", ["--shard", "0/2"]), ("shard1", ["--shard", "1/2"]))]
    for run in runs:
        _, stderr = run.communicate(timeout=1200)
        assert run.returncode == 0, stderr[-3000:]
    merge([tmp_path / "shard0", tmp_path / "shard1"], tmp_path / "merged")
    single, merged = tmp_path / "single" / "nbgrader", tmp_path / "merged" / "nbgrader"
    rows, cells = _gradebook_rows(merged / "gradebook.db")
    assert (rows, cells) == _gradebook_rows(single / "gradebook.db")
    assert {student for student, _, _ in rows} == {"ann", "cat"}
    assert rows[("ann", "2_questions", "test_clean_up")][0] == 2 and rows[("cat", "2_questions", "test_clean_up")][0] == 0
    for student, shard in (("ann", "shard0"), ("cat", "shard1")):
        path = Path("autograded") / student / "salt" / NOTEBOOKS[1]
        assert (merged / path).read_bytes() == (tmp_path / shard / "nbgrader" / path).read_bytes()
        # and as one run's, but for what the kernel logged with a timestamp (TensorFlow's start-up lines)
        assert _without_streams(merged / path) == _without_streams(single / path)
    assert (tmp_path / "merged" / "gradebook.csv").read_bytes() == (tmp_path / "single" / "gradebook.csv").read_bytes()
    assert str(merged.resolve()) in (merged / "nbgrader_config.py").read_text()  # formgrader opens it where it is
