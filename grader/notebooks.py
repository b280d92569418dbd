"""Grade the notebooks' nbgrader cells: prepared here, executed in the sandbox, scored here.

Per submission and per graded notebook (``collect.NOTEBOOK_FILES``), with
nbgrader's own machinery, split across the trust boundary:

1. **Here, no student code runs**: the student's notebook is parsed (size
   capped by the collector) and put through nbgrader's sanitizing
   preprocessors, the chain ``nbgrader autograde`` uses (``ClearOutput``,
   ``DeduplicateIds``, ``OverwriteKernelspec``, ``OverwriteCells`` with
   ``add_missing_cells``, ``CheckCellMetadata``): every test cell, locked
   cell and parameters cell is overwritten from the *source* notebook kept
   in the course's ``gradebook.db``, and a deleted test cell is put back, so
   editing or deleting a test gains nothing. Cells changed where they must
   not be (their nbgrader checksum differs from the release's) or deleted
   are noted. A cell after the parameters cell sets the grading run's
   values (:data:`GRADING_PARAMETERS`: ``GRADING = True``, ``QUICK``, a
   small dataset; the notebooks train nothing then).
2. **In the sandbox** (:mod:`grader.notebook_worker`, same bubblewrap, limits
   and control group as the ``.py`` worker, a wall-clock budget per
   notebook): nbgrader's ``Execute`` runs a copy in which every test cell is
   replaced by a *recording* cell (:mod:`grader.notebook_record`): the
   test's source, from the source notebook, runs with the student's
   functions wrapped, and what they return on the test's inputs is written
   as plain data. The kernel decides nothing. The outputs and these records
   come back.
3. **Here again**: each test cell's source is replayed in the grader's
   process on the record (:mod:`grader.notebook_replay`: the grader's NumPy,
   the student's recorded results matched by argument), which gives that
   cell's outputs; the other cells' outputs, cleaned
   (:mod:`grader.untrusted`) and reduced to text, are put into the grader's
   own copy of the prepared notebook (sources and metadata never come from
   the sandbox), and nbgrader's ``SaveAutoGrades`` scores the test cells
   into the course's gradebook. The rubric (``[notebook."<grade_id>"]`` in
   ``tests/rubric.toml``) gives the points.

The course folder ``OUT/nbgrader/`` (``source/``, ``release/``,
``autograded/<student>/salt/``, ``gradebook.db``, ``nbgrader_config.py``) is
ready for ``nbgrader formgrader``, where people grade the written answers;
:mod:`grader.manual` brings those grades back.

Written answers: an answer cell left as released scores 0 (nbgrader's own
rule, from its checksum); any other is *pending* until a person grades it.

Outputs kept are text only (streams, errors, ``text/plain``): no HTML,
script or image a student's code produced reaches formgrader's pages. The
student's own markdown cells (their answers) are shown there as nbgrader
shows them.

Threat model. The student's kernel is hostile: from a cell, or from a
``.py`` file the notebook imports, it can patch ``numpy.testing``,
``AssertionError``, ``sys.excepthook`` or IPython (tracebacks, input
transformers that rewrite later cells), print or display anything, and write
any file it can reach, its records included. In nbgrader's own model the
test runs in that kernel, so each of these could forge a pass. Here the
kernel is only a probe (DESIGN.md): a test cell's outcome is decided by the
grader replaying the instructor's source on plain data, so whatever the
kernel prints, raises, patches or skips can only change a grade by changing
the student's own recorded values; a missing or unreadable record fails the
test. What stays possible is what any autograder allows: the kernel sees the
test's inputs, so answers can be hard-coded for them (see
:mod:`grader.notebook_replay`).
"""

import hashlib
import json
import shutil
import subprocess
import sys
import threading
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from saltlab.authoring.notebooks import ASSIGNMENT_NAME
from saltlab.checks.rubric import load_rubric
from saltlab.paths import SOLUTIONS_DIR

from .collect import NOTEBOOK_FILES
from .notebook_worker import GRADING_DATA
from .sandbox import SUBMISSION_MOUNT, reclaim
from .untrusted import clean_text
from .worker_process import Deadline, Worker, WorkerFailure

COURSE_FOLDER = "nbgrader"
"""``OUT/nbgrader/``: the nbgrader course folder formgrader opens."""
PREPARED_PREFIX = ".grading-"
"""Name prefix of a prepared notebook in the staged submission (the sandbox reads it there)."""
MAX_OUTPUT_TEXT = 8000
"""Characters kept of one output's text (a traceback, a stream); a test's message needs a few hundred."""
MAX_OUTPUTS = 50
"""Outputs kept per cell."""
GRADING_PARAMETERS = {"GRADING": True, "QUICK": True, "DATA": GRADING_DATA}
"""Values set after each notebook's parameters cell at grading time (``IMPL`` is the submission's folder)."""
NOTEBOOK_STATUSES = ("notebook missing", "notebook invalid", "notebook timeout", "notebook crash")


class CourseError(RuntimeError):
    """The course folder cannot be laid out (nbgrader failed, the rubric disagrees with the notebooks)."""


@dataclass(frozen=True)
class NotebookOptions:
    """How notebooks are graded.

    Attributes
    ----------
    budget : float
        Wall-clock seconds per notebook, kernel start included (an honest
        notebook takes 10 to 40 s at grading time; see README).
    cell_timeout : int
        Seconds per cell (nbgrader's ``Execute.timeout``): a cell that loops is
        interrupted and the next cells still run, as long as the budget lasts.
    """

    budget: float = 180.0
    cell_timeout: int = 90


def _source_hash(source):
    digest = hashlib.sha256()
    for path in sorted(Path(source).glob("*.ipynb")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


@dataclass
class Course:
    """The nbgrader course folder of a grading run and what is known of its source notebooks.

    Attributes
    ----------
    root : pathlib.Path
        ``OUT/nbgrader``.
    released : dict
        ``{notebook: {grade_id: checksum}}`` of the cells a student must not change
        (locked cells and test cells of the release).
    options : NotebookOptions
    tests : dict
        ``{notebook: {grade_id: source}}`` of the autograded test cells, hidden
        tests included, from the source notebooks (what the grader replays).
    lock : threading.Lock
        Serialises the gradebook (SQLite) across the batch's threads.
    """

    root: Path
    released: dict
    options: NotebookOptions = field(default_factory=NotebookOptions)
    tests: dict = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def db_url(self):
        return f"sqlite:///{self.root / 'gradebook.db'}"

    def resources(self, notebook, student):
        return {"nbgrader": {"db_url": self.db_url, "assignment": ASSIGNMENT_NAME, "notebook": notebook,
                             "student": student}}


def prepare_course(root, *, source=SOLUTIONS_DIR, options=NotebookOptions()):
    """Lay out the nbgrader course folder and its gradebook from the source notebooks.

    nbgrader's ``generate_assignment`` (run on the instructor's own source
    notebooks, no student code) fills ``gradebook.db`` with the source cells,
    hidden tests included, and writes the release. It runs again only when the
    source notebooks changed, so grades already in the gradebook (formgrader's)
    are kept across runs.

    Returns
    -------
    course : Course

    Raises
    ------
    CourseError
        If nbgrader fails, or a rubric entry's points differ from its cell's.
    """
    root = Path(root)
    (root / "source" / ASSIGNMENT_NAME).mkdir(parents=True, exist_ok=True)
    stamp = root / ".source-hash"
    current = _source_hash(source)
    if not (stamp.is_file() and stamp.read_text() == current and (root / "gradebook.db").is_file()):
        for path in sorted(Path(source).glob("*.ipynb")):
            shutil.copyfile(path, root / "source" / ASSIGNMENT_NAME / path.name)
        (root / "nbgrader_config.py").write_text(
            "# Written by `make grade` (grader/notebooks.py): open with `nbgrader formgrader` from this folder.\n"
            "c = get_config()  # noqa: F821\n"
            f"c.CourseDirectory.root = {str(root.resolve())!r}\n")
        env = {"PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin", "HOME": str(root), "LANG": "C.UTF-8"}
        command = [sys.executable, "-m", "nbgrader", "generate_assignment", ASSIGNMENT_NAME, "--force", "--create",
                   f"--CourseDirectory.root={root.resolve()}", "--log-level=WARN"]
        result = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True)
        if result.returncode != 0:
            raise CourseError(f"nbgrader generate_assignment failed in {root} (exit {result.returncode}):\n"
                              + result.stdout[-3000:] + result.stderr[-3000:])
        stamp.write_text(current)
    released = {}
    for path in sorted((root / "release" / ASSIGNMENT_NAME).glob("*.ipynb")):
        cells = json.loads(path.read_text())["cells"]
        released[path.stem] = {meta["grade_id"]: meta.get("checksum") for meta in
                               (c.get("metadata", {}).get("nbgrader", {}) for c in cells)
                               if meta.get("grade_id") and (meta.get("locked") or
                                                            (meta.get("grade") and not meta.get("solution")))}
    _check_rubric(root, released)
    return Course(root, released, options, _test_sources(root))


def _test_sources(root):
    """``{notebook: {grade_id: source}}`` of the source notebooks' autograded test cells (the course's copy)."""
    tests = {}
    for path in sorted((Path(root) / "source" / ASSIGNMENT_NAME).glob("*.ipynb")):
        for cell in json.loads(path.read_text())["cells"]:
            meta = cell.get("metadata", {}).get("nbgrader", {})
            if cell["cell_type"] == "code" and meta.get("grade") and not meta.get("solution"):
                source = cell["source"]
                tests.setdefault(path.stem, {})[meta["grade_id"]] = "".join(source) if isinstance(source, list) \
                    else source
    return tests


def _check_rubric(root, released):
    """Every rubric notebook entry names a graded cell of that notebook with the same points."""
    from nbgrader.api import Gradebook, MissingEntry

    rubric = load_rubric()
    with Gradebook(f"sqlite:///{Path(root) / 'gradebook.db'}") as gradebook:
        for entry in rubric.notebook.values():
            try:
                cell = gradebook.find_grade_cell(entry.grade_id, entry.notebook, ASSIGNMENT_NAME)
            except MissingEntry:
                raise CourseError(f"tests/rubric.toml: [notebook.\"{entry.grade_id}\"] is not a graded cell of "
                                  f"{entry.notebook}.ipynb") from None
            if float(cell.max_score) != entry.points:
                raise CourseError(f"tests/rubric.toml: [notebook.\"{entry.grade_id}\"] has {entry.points:g} points, "
                                  f"the cell in {entry.notebook}.ipynb {cell.max_score:g}: make them equal")


def _row(entry, *, earned, outcome, message="", feedback="", seconds=0.0, pending=False):
    kind = "written answer" if entry.manual else "test cell"
    how = " (graded by hand)" if entry.manual else ""
    passed = outcome == "passed"
    return {"key": entry.key, "check_id": entry.grade_id, "question": entry.question, "hidden": False,
            "description": f"{kind} {entry.grade_id} of {entry.notebook}.ipynb{how}", "points": entry.points,
            "earned": float(earned), "passed": passed, "outcome": outcome, "message": clean_text(message, 4000),
            "feedback": clean_text(feedback, 4000), "seconds": round(seconds, 3), "measure": None,
            "notebook": entry.notebook, "manual": entry.manual, "pending": pending}


def rows_not_run(submission_problem, message):
    """Every notebook row failed because the submission could not be graded at all."""
    return [_row(e, earned=0.0, outcome="not run", message=message,
                 feedback=f"not graded: the submission has status '{submission_problem}'")
            for e in load_rubric().notebook.values()]


def _entries(notebook):
    return [e for e in load_rubric().notebook.values() if e.notebook == notebook]


def _failed_notebook(notebook, status, message, seconds=0.0):
    """Rows of a notebook that could not be graded: every cell fails with the notebook's status (never pending)."""
    return [_row(e, earned=0.0, outcome=status, message=message, feedback=message, seconds=seconds)
            for e in _entries(notebook)]


class NotebookInvalid(ValueError):
    """The student's notebook is not a notebook of this assignment that nbgrader can read."""


def changed_cells(nb, released):
    """Cells a student must not change that were changed or deleted, by nbgrader's checksums.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        The student's notebook as handed in.
    released : dict
        ``{grade_id: checksum}`` of the release's locked and test cells.

    Returns
    -------
    changed, deleted : list of str
        Grade ids (the release's, never a name the student wrote).
    """
    from nbgrader.utils import compute_checksum

    found = {}
    for cell in nb.cells:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id in released and grade_id not in found:
            found[grade_id] = cell
    changed = []
    for grade_id, checksum in released.items():
        if grade_id in found:
            try:
                same = compute_checksum(found[grade_id]) == checksum
            except Exception:  # metadata mangled beyond nbgrader's reading: changed
                same = False
            if not same:
                changed.append(grade_id)
    return changed, [g for g in released if g not in found]


def sanitize(text, course, notebook, student, *, impl=SUBMISSION_MOUNT):
    """The student's notebook through nbgrader's sanitizing chain, the grading parameters set.

    Parameters
    ----------
    text : bytes
        The notebook file as handed in.
    impl : str, optional
        The submission's folder as the sandboxed kernel sees it (``IMPL``).

    Returns
    -------
    nb : nbformat.NotebookNode
        Ready to execute: test and locked cells are the source's.
    changed, deleted : list of str
        From :func:`changed_cells`.

    Raises
    ------
    NotebookInvalid
        Not JSON, not a notebook, or not an nbgrader notebook of this assignment.
    """
    import nbformat
    from nbgrader.preprocessors import (CheckCellMetadata, ClearOutput, DeduplicateIds, OverwriteCells,
                                        OverwriteKernelspec)

    name = f"{notebook}.ipynb"
    try:
        nb = nbformat.reads(text.decode("utf-8"), as_version=4)
    except Exception as error:  # JSON, encoding, depth, nbformat: all mean the same to a student
        raise NotebookInvalid(f"{name} is not a valid notebook file ({type(error).__name__}: "
                              f"{clean_text(str(error), 200)}); hand in the .ipynb saved by Jupyter") from None
    released = course.released.get(notebook, {})
    try:
        ids = {c.get("metadata", {}).get("nbgrader", {}).get("grade_id") for c in nb.cells}
    except Exception:
        raise NotebookInvalid(f"{name}: its cells are not notebook cells") from None
    if not ids & set(released):
        raise NotebookInvalid(f"{name} is not an nbgrader notebook of this assignment (none of its cells carries "
                              "the assignment's nbgrader metadata); start again from the released notebook and "
                              "copy your answers into it")
    changed, deleted = changed_cells(nb, released)
    resources = course.resources(notebook, student)
    try:
        with course.lock:  # OverwriteCells reads the gradebook
            for preprocessor in (ClearOutput(), DeduplicateIds(), OverwriteKernelspec(),
                                 OverwriteCells(add_missing_cells=True), CheckCellMetadata()):
                nb, resources = preprocessor.preprocess(nb, resources)
    except Exception as error:
        raise NotebookInvalid(f"{name}: nbgrader cannot grade it ({type(error).__name__}: "
                              f"{clean_text(str(error), 300)}); check that no graded cell was duplicated") from None
    _set_parameters(nb, impl)
    return nb, changed, deleted


def _set_parameters(nb, impl=SUBMISSION_MOUNT):
    """Insert the grading run's values after the parameters cell (by grade id, restored from the source)."""
    import nbformat

    index = next((i + 1 for i, c in enumerate(nb.cells)
                  if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "parameters"), 0)
    values = dict(GRADING_PARAMETERS, IMPL=impl)
    code = "# Injected by the grader\n" + "".join(f"{k} = {v!r}\n" for k, v in values.items())
    cell = nbformat.v4.new_code_cell(code, metadata={"tags": ["injected-parameters"]})
    cell["id"] = "grader-injected-parameters"
    nb.cells.insert(index, cell)


def _clean_output(output):
    """One output from the sandbox as a valid nbformat output of cleaned text, or None if malformed."""
    import nbformat

    if not isinstance(output, dict):
        return None
    kind = output.get("output_type")
    if kind == "stream" and output.get("name") in ("stdout", "stderr"):
        return nbformat.v4.new_output("stream", name=output["name"], text=clean_text(output.get("text"), MAX_OUTPUT_TEXT))
    if kind == "error":
        traceback = output.get("traceback")
        traceback = [clean_text(line, MAX_OUTPUT_TEXT) for line in traceback[-30:]] if isinstance(traceback, list) else []
        return nbformat.v4.new_output("error", ename=clean_text(output.get("ename"), 200),
                                      evalue=clean_text(output.get("evalue"), MAX_OUTPUT_TEXT), traceback=traceback)
    if kind in ("execute_result", "display_data"):
        data = output.get("data")
        text = data.get("text/plain") if isinstance(data, dict) else None
        plain = {"text/plain": clean_text(text, MAX_OUTPUT_TEXT)} if isinstance(text, str) else {}
        if kind == "execute_result":
            return nbformat.v4.new_output(kind, data=plain, execution_count=None)
        return nbformat.v4.new_output(kind, data=plain)
    return None


def _grade_id(cell):
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def recording_notebook(nb, tests):
    """The notebook the sandbox runs: ``nb`` with each test cell replaced by a cell that only records.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        The prepared notebook (stays as it is: it is the one scored).
    tests : dict
        ``{grade_id: source}`` of this notebook's test cells.
    """
    import copy

    from .notebook_replay import recording_source

    run = copy.deepcopy(nb)
    for cell in run.cells:
        if cell.cell_type == "code" and _grade_id(cell) in tests:
            cell.source = recording_source(_grade_id(cell), tests[_grade_id(cell)])
    return run


def merge_outputs(nb, cells, records=None, tests=None):
    """Put the sandbox's outputs into the grader's prepared notebook, by cell position; replay the tests here.

    Only outputs are taken; every source and metadata stays the grader's. A
    test cell's outputs are never the kernel's: they are what replaying its
    source here, on the kernel's record, gives (:func:`grader.notebook_replay.replay`).

    Raises
    ------
    WorkerFailure
        If the reply does not match the notebook cell for cell.
    """
    if not isinstance(cells, list) or len(cells) != len(nb.cells):
        raise WorkerFailure("crash", "the process running your notebook sent back something that does not match "
                                     "the notebook")
    from .notebook_replay import replay

    tests = tests or {}
    records = records if isinstance(records, dict) else {}
    for cell, reply in zip(nb.cells, cells):
        if cell.cell_type != "code":
            continue
        if _grade_id(cell) in tests:
            cell.outputs = replay(_grade_id(cell), tests[_grade_id(cell)], records.get(_grade_id(cell)))
            continue
        outputs = reply.get("outputs") if isinstance(reply, dict) else None
        cleaned = [_clean_output(o) for o in (outputs if isinstance(outputs, list) else [])[:MAX_OUTPUTS]]
        cell.outputs = [o for o in cleaned if o is not None]
    return nb


def execute(nb, submission, course, settings, slot, log, notebook):
    """Run the prepared notebook in the submission's sandbox; return its per-cell outputs and the test records.

    Raises
    ------
    WorkerFailure
        ``timeout`` (the notebook's budget), ``crash``, ``memory``.
    """
    import nbformat

    budget = course.options.budget
    name = f"{PREPARED_PREFIX}{notebook}.ipynb"
    path = Path(submission.staged) / name
    reclaim(submission.staged)  # the last worker left the folder read-only (hand_over): the grader writes here
    nbformat.write(nb, str(path))
    inside = f"{SUBMISSION_MOUNT}/{name}" if settings.sandboxed else str(path)
    worker = Worker(submission.staged, settings, slot, log, module="grader.notebook_worker", arguments=[inside])
    deadline = time.monotonic() + budget
    try:
        worker.start()
        reply = worker.call({"cell_timeout": int(course.options.cell_timeout)}, deadline,
                            doing=f"running {notebook}.ipynb")
    except Deadline:
        raise Deadline(f"{notebook}.ipynb did not finish within its budget of {budget:g} s (an endless loop, or "
                       "training at grading time: set nothing but the parameters cell's values)") from None
    finally:
        worker.stop()
        reclaim(submission.staged)
        path.unlink(missing_ok=True)
    if "error" in reply:
        error = clean_text(reply.get("error"), 500)
        if error.startswith("CellTimeoutError"):  # nbclient gives up on a cell that ignores the interrupt
            raise Deadline(f"a cell of {notebook}.ipynb ran longer than {course.options.cell_timeout} s and did not "
                           "stop when interrupted (an endless loop?); the notebook was stopped there")
        raise WorkerFailure("crash", f"{notebook}.ipynb could not be run: {error}")
    return reply.get("cells"), reply.get("records")


def score(nb, course, notebook, student):
    """nbgrader's ``SaveAutoGrades`` on the executed notebook, in the grader; ``{grade_id: (score, max)}``.

    Also writes the notebook where formgrader looks for it
    (``autograded/<student>/salt/``).
    """
    import nbformat
    from nbgrader.api import Gradebook
    from nbgrader.preprocessors import CheckCellMetadata, LimitOutput, SaveAutoGrades

    resources = course.resources(notebook, student)
    with course.lock:
        with Gradebook(course.db_url) as gradebook, warnings.catch_warnings():
            # nbgrader's own session handling warns (SQLAlchemy SAWarning) on a first submission; harmless.
            warnings.simplefilter("ignore")
            gradebook.update_or_create_student(student)
            gradebook.update_or_create_submission(ASSIGNMENT_NAME, student)
        for preprocessor in (LimitOutput(), SaveAutoGrades(), CheckCellMetadata()):
            nb, resources = preprocessor.preprocess(nb, resources)
        scores = {}
        with Gradebook(course.db_url) as gradebook:
            for entry in _entries(notebook):
                grade = gradebook.find_grade(entry.grade_id, notebook, ASSIGNMENT_NAME, student)
                scores[entry.grade_id] = (grade.auto_score, float(grade.max_score))
    target = course.root / "autograded" / student / ASSIGNMENT_NAME / f"{notebook}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(target))
    return scores


def _test_message(nb, grade_id):
    """What a failed test cell says: the exception and its message, or the line that failed."""
    for cell in nb.cells:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") != grade_id:
            continue
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                text = f"{output.get('ename')}: {output.get('evalue')}".rstrip(": ")
                if not output.get("evalue"):  # a bare assert or raise: the lines that failed say which
                    lines = [line for entry in output.get("traceback", []) for line in str(entry).splitlines()]
                    text += "".join(f"\n{line.strip()}" for line in [x for x in lines if "---->" in x][-2:])
                return text
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                return f"the test wrote to stderr (nbgrader counts that as a failure): {output.get('text')}"
    return "the test cell gave no points"


def grade_notebook(submission, course, settings, *, slot, log, notebook):
    """The rows of one notebook (one per rubric entry), its status (or ""), and the seconds it took."""
    started = time.monotonic()
    name = f"{notebook}.ipynb"
    problem = submission.notebooks.get(name, f"missing: no {name} in the submission")
    if problem:
        status = "notebook missing" if problem.startswith("missing") else "notebook invalid"
        return _failed_notebook(notebook, status, problem), status, 0.0
    student = submission.folder_name
    try:
        impl = SUBMISSION_MOUNT if settings.sandboxed else str(submission.staged)
        nb, changed, deleted = sanitize((Path(submission.staged) / name).read_bytes(), course, notebook, student,
                                        impl=impl)
    except NotebookInvalid as error:
        return _failed_notebook(notebook, "notebook invalid", str(error)), "notebook invalid", 0.0
    note = ""
    if changed or deleted:
        note = (f"\n  note: nbgrader's checksums show cells of {name} that must not change were "
                + "; ".join(filter(None, [f"changed ({', '.join(changed)})" if changed else "",
                                         f"deleted ({', '.join(deleted)})" if deleted else ""]))
                + "; the instructor's versions were graded instead")
    tests = course.tests.get(notebook, {})
    try:
        cells, records = execute(recording_notebook(nb, tests), submission, course, settings, slot, log, notebook)
        merge_outputs(nb, cells, records, tests)
    except WorkerFailure as failure:
        status = "notebook timeout" if failure.kind == "timeout" else "notebook crash"
        return _failed_notebook(notebook, status, str(failure) + note, time.monotonic() - started), status, \
            time.monotonic() - started
    scores = score(nb, course, notebook, student)
    seconds = time.monotonic() - started
    from .manual import apply_grades, read_grades
    rows = []
    for entry in _entries(notebook):
        auto, maximum = scores.get(entry.grade_id, (None, 0.0))
        if entry.manual and auto is not None:  # nbgrader's rule: an answer cell left as released scores 0
            rows.append(_row(entry, earned=0.0, outcome="graded", seconds=seconds,
                             feedback="no answer: the cell is as it was released" + note))
        elif entry.manual:
            rows.append(_row(entry, earned=0.0, outcome="pending", pending=True,
                             feedback="awaiting grading by hand" + note, seconds=seconds))
        elif auto is not None and maximum and auto >= maximum:
            rows.append(_row(entry, earned=entry.points, outcome="passed", seconds=seconds, message=note.strip()))
        else:
            earned = entry.points * float(auto or 0.0) / maximum if maximum else 0.0
            message = _test_message(nb, entry.grade_id)
            rows.append(_row(entry, earned=earned, outcome="failed", message=message, feedback=message + note,
                             seconds=seconds))
    with course.lock:  # grades people already gave in formgrader survive a regrade
        apply_grades(rows, student, read_grades(course.root / "gradebook.db", student=student))
    return rows, "", seconds


def grade_all(submission, course, settings, *, slot, log, cancel=None):
    """Every graded notebook of one submission.

    Returns
    -------
    rows : list of dict
        One per ``[notebook.*]`` rubric entry, in rubric order.
    problems : list of str
        Notebook statuses (:data:`NOTEBOOK_STATUSES`).
    seconds : dict
        Wall-clock seconds per notebook.
    """
    rows, problems, seconds = [], [], {}
    for name in NOTEBOOK_FILES:
        notebook = Path(name).stem
        if not _entries(notebook):
            continue
        if cancel is not None and cancel.is_set():
            break
        notebook_rows, status, took = grade_notebook(submission, course, settings, slot=slot, log=log,
                                                     notebook=notebook)
        rows += notebook_rows
        seconds[notebook] = round(took, 3)
        if status:
            problems.append(status)
    order = [e.key for e in load_rubric().notebook.values()]
    rows.sort(key=lambda row: order.index(row["key"]))
    return rows, problems, seconds


def merge_courses(shard_courses, root, students):
    """Join the nbgrader course folders of shards into ``root``, as one grading run would have left it.

    The course is laid out again from the shards' (equal) source notebooks;
    then each student's autograded notebooks (written by the grader in its
    shard, never by student code) are scored into the new gradebook by
    nbgrader's ``SaveAutoGrades``, exactly as in a one-run grading, and any
    grade or comment people already gave in a shard's formgrader is copied.

    Parameters
    ----------
    shard_courses : list of pathlib.Path
        ``OUT_i/nbgrader`` of each shard that graded notebooks.
    root : pathlib.Path
        ``OUT/nbgrader`` of the merged output.
    students : dict
        ``{shard course: [student folder names]}``: whose notebooks each shard holds.

    Raises
    ------
    CourseError
        If the shards were graded from different source notebooks.
    """
    import nbformat
    from nbgrader.api import Gradebook

    from .manual import read_grades

    stamps = {(Path(c) / ".source-hash").read_text() if (Path(c) / ".source-hash").is_file() else None
              for c in shard_courses}
    if len(stamps) != 1 or None in stamps:
        raise CourseError("the shards' nbgrader course folders were made from different source notebooks "
                          f"({', '.join(str(c) for c in shard_courses)}); grade every shard with the same course")
    course = prepare_course(root, source=Path(shard_courses[0]) / "source" / ASSIGNMENT_NAME)
    for shard in shard_courses:
        given = read_grades(Path(shard) / "gradebook.db")
        for student in students[shard]:
            folder = Path(shard) / "autograded" / student / ASSIGNMENT_NAME
            for path in sorted(folder.glob("*.ipynb")) if folder.is_dir() else []:
                score(nbformat.read(str(path), as_version=4), course, path.stem, student)
            with course.lock, Gradebook(course.db_url) as gradebook:
                for (who, notebook, grade_id), grade in given.items():
                    if who != student:
                        continue
                    if grade["manual"] is not None:
                        gradebook.find_grade(grade_id, notebook, ASSIGNMENT_NAME, student).manual_score = grade["manual"]
                    if grade["comment"] is not None:
                        gradebook.find_comment(grade_id, notebook, ASSIGNMENT_NAME, student).manual_comment = \
                            grade["comment"]
                gradebook.db.commit()
    return course
