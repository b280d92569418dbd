"""The rubric: questions, and the points of every check (``tests/rubric.toml``).

One file for the public tests and the grader. ``[checks."<id>"]`` entries are
public checks run by ``make test``; ``[hidden."<id>"]`` entries run the same
check on the grader's hidden cases, at grading time only. ``[notebook."<grade_id>"]``
entries are nbgrader cells of the notebooks: test cells the grader runs
(``grading = "auto"``) and written answers graded by people (``"manual"``).
"""

import functools
import sys
from dataclasses import dataclass, field
from pathlib import Path

from ..paths import REPO_ROOT

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

RUBRIC_PATH = REPO_ROOT / "tests" / "rubric.toml"


@dataclass(frozen=True)
class RubricEntry:
    check_id: str
    question: str
    points: float
    hidden: bool

    @property
    def key(self):
        """Unique name of the entry: ``conv_block.numerics`` or ``hidden:conv_block.numerics``."""
        return f"hidden:{self.check_id}" if self.hidden else self.check_id


@dataclass(frozen=True)
class NotebookEntry:
    """One graded nbgrader cell: ``grade_id`` in ``notebook`` (its name without ``.ipynb``)."""

    grade_id: str
    notebook: str
    question: str
    points: float
    manual: bool

    @property
    def key(self):
        """Unique name of the entry among the grader's rows: ``notebook:<notebook>/<grade_id>``."""
        return f"notebook:{self.notebook}/{self.grade_id}"


@dataclass(frozen=True)
class Rubric:
    questions: dict  # question id -> title, in rubric order
    checks: dict  # check id -> public RubricEntry
    hidden: dict  # check id -> hidden RubricEntry
    notebook: dict = field(default_factory=dict)  # grade id -> NotebookEntry

    def entries(self, *, hidden=True):
        yield from self.checks.values()
        if hidden:
            yield from self.hidden.values()

    def possible(self, question=None, *, hidden=None):
        return sum(e.points for e in self.entries()
                   if (question is None or e.question == question) and (hidden is None or e.hidden == hidden))


class RubricError(ValueError):
    pass


@functools.lru_cache(maxsize=4)
def load_rubric(path=RUBRIC_PATH):
    """Read and validate the rubric.

    Raises
    ------
    RubricError
        If an entry names an unknown question or has non-positive points.
    """
    path = Path(path)
    with open(path, "rb") as handle:
        raw = tomllib.load(handle)
    questions = dict(raw.get("questions", {}))
    sections = {}
    for section, hidden in (("checks", False), ("hidden", True)):
        entries = {}
        for check_id, spec in raw.get(section, {}).items():
            question = spec.get("question") or raw.get("checks", {}).get(check_id, {}).get("question")
            if question not in questions:
                raise RubricError(f"{path}: [{section}.\"{check_id}\"] names unknown question {question!r}; "
                                  f"known: {list(questions)}")
            points = spec.get("points")
            if not isinstance(points, (int, float)) or points <= 0:
                raise RubricError(f"{path}: [{section}.\"{check_id}\"] needs positive points, got {points!r}")
            entries[check_id] = RubricEntry(check_id, question, float(points), hidden)
        sections[section] = entries
    notebook = {}
    for grade_id, spec in raw.get("notebook", {}).items():
        where = f"{path}: [notebook.\"{grade_id}\"]"
        if spec.get("question") not in questions:
            raise RubricError(f"{where} names unknown question {spec.get('question')!r}; known: {list(questions)}")
        if spec.get("grading") not in ("auto", "manual"):
            raise RubricError(f"{where} needs grading = \"auto\" or \"manual\", got {spec.get('grading')!r}")
        points = spec.get("points")
        if not isinstance(points, (int, float)) or points <= 0 or not isinstance(spec.get("notebook"), str):
            raise RubricError(f"{where} needs a notebook name and positive points")
        notebook[grade_id] = NotebookEntry(grade_id, spec["notebook"], spec["question"], float(points),
                                           spec["grading"] == "manual")
    return Rubric(questions, sections["checks"], sections["hidden"], notebook)
