"""What a grading run executes: the checks, their cases, the expected answers.

A plan is the rubric's entries (public ``[checks]`` first, then
``[hidden]``), each with its check, its cases (public cases from the check
module, hidden ones from :mod:`grader.hidden_cases`) and a time limit. The
reference's answers are computed here, in the grader's own trusted process
(``run_probe`` on ``solutions/``), once per run and shared by every
submission. Cheap checks are also *judged* on the reference: a hidden case
the reference itself fails is a grader bug, and grading stops.
"""

import hashlib
from dataclasses import dataclass, field

from saltlab.checks.core import get_check, judge
from saltlab.checks.fixtures import reference_answers
from saltlab.checks.rubric import RUBRIC_PATH, load_rubric
from saltlab.paths import REPO_ROOT

from .hidden_cases import hidden_cases


class PlanError(RuntimeError):
    """The plan cannot be built: bad --only, or the reference fails a case."""


@dataclass(frozen=True)
class PlannedCheck:
    """One rubric entry to run on every submission.

    Attributes
    ----------
    entry : saltlab.checks.rubric.RubricEntry
        Question, points, and whether it is hidden.
    check : saltlab.checks.core.Check
    cases : tuple of Case
        Every case must pass for the entry's points.
    timeout : float
        Wall-clock seconds for all the cases of this check in a worker.
    """

    entry: object
    check: object
    cases: tuple
    timeout: float

    @property
    def key(self):
        return self.entry.key

    @property
    def is_training(self):
        return self.entry.question == "training"


@dataclass
class Plan:
    """The checks of a run, in order, and the reference's expected answers.

    Attributes
    ----------
    checks : list of PlannedCheck
        Public entries first, then hidden ones: a hidden input never reaches
        a worker before a public check whose message a student reads.
    expected : dict
        ``{(entry key, case id): answer}`` for checks that need the reference.
    selection : str
        How the run was narrowed (``""`` for the full rubric).
    seed_fingerprint : str
        :func:`seed_fingerprint` of the run's seed: shown in results, never the seed.
    """

    checks: list
    expected: dict = field(default_factory=dict)
    selection: str = ""
    seed_fingerprint: str = ""

    def questions(self):
        """Question ids that have at least one planned entry, in rubric order."""
        rubric = load_rubric()
        planned = {c.entry.question for c in self.checks}
        return [q for q in rubric.questions if q in planned]

    def max_total(self):
        return sum(c.entry.points for c in self.checks)


def _matches(token, entry, check):
    return token in (entry.question, entry.check_id, entry.check_id.split(".")[0], check.function, entry.key)


def select_entries(*, only=None, skip_training=False):
    """The rubric entries to run, narrowed by ``--only`` and ``--skip-training``.

    Parameters
    ----------
    only : str, optional
        Comma-separated question ids, check ids or function names
        (``"conv_block,metrics"``); an entry runs when any token names it.
    skip_training : bool, optional
        Leave out question ``training`` (about 20 s of training per check).

    Raises
    ------
    PlanError
        If a token of ``only`` names nothing.
    """
    rubric = load_rubric()
    entries = [(e, get_check(e.check_id)) for e in rubric.entries(hidden=True)]
    if only:
        tokens = [t.strip() for t in only.split(",") if t.strip()]
        unknown = [t for t in tokens if not any(_matches(t, e, c) for e, c in entries)]
        if unknown:
            raise PlanError(f"--only {', '.join(unknown)}: no such question, check or function; questions are "
                            f"{', '.join(rubric.questions)}")
        entries = [(e, c) for e, c in entries if any(_matches(t, e, c) for t in tokens)]
    if skip_training:
        entries = [(e, c) for e, c in entries if e.question != "training"]
    return entries


def build_plan(seed, *, only=None, skip_training=False, check_timeout=120.0, training_timeout=900.0):
    """Every planned check with its cases (public and hidden for ``seed``).

    Returns
    -------
    plan : Plan
        Without expected answers yet (:func:`compute_expected` adds them).
    """
    planned = []
    for entry, check in select_entries(only=only, skip_training=skip_training):
        cases = hidden_cases(entry.check_id, seed) if entry.hidden else check.public_cases()
        timeout = training_timeout if entry.question == "training" else check_timeout
        planned.append(PlannedCheck(entry, check, tuple(cases), timeout))
    selection = ",".join(filter(None, [f"only={only}" if only else "", "skip-training" if skip_training else ""]))
    return Plan(planned, selection=selection, seed_fingerprint=seed_fingerprint(seed))


def seed_fingerprint(seed):
    """A short public name of a grading seed: equal seeds, equal fingerprints; the seed cannot be recovered.

    Examples
    --------
    >>> seed_fingerprint(1) == seed_fingerprint(1) != seed_fingerprint(2)
    True
    >>> len(seed_fingerprint(2**62))
    12
    """
    return hashlib.sha256(f"saltlab-grading-seed:{int(seed)}".encode()).hexdigest()[:12]


def compute_expected(plan, reference):
    """Run the reference on every case that needs it (trusted, in this process).

    Also judges the reference on every non-training case, so a hidden case
    that the contract does not determine is caught before any student loses
    points on it. Training cases are not re-trained here: their verdict
    needs no reference answer, and the floor was set from reference runs.

    Raises
    ------
    PlanError
        If the reference fails one of its own cases.
    """
    for planned in plan.checks:
        if planned.is_training:
            continue
        try:
            answers = reference_answers(planned.check, reference, planned.cases)
        except RuntimeError as error:
            raise PlanError(str(error)) from None
        for case in planned.cases:
            outcome, answer = answers[case.id]
            expected = answer if planned.check.needs_reference else None
            verdict = judge(planned.check, case, outcome, expected)
            if not verdict.passed:
                raise PlanError(f"the reference fails its own check {planned.key} on {case.id}: {verdict.message}")
            if planned.check.needs_reference:
                plan.expected[(planned.key, case.id)] = expected
    return plan


def grader_version():
    """A hash of everything that decides a grade.

    The grader, the whole ``saltlab`` package (checks, model builder, data,
    training), the rubric and the reference solution (its notebooks too: their
    test cells are the ones graded). A submission graded
    under another version is graded again.
    """
    digest = hashlib.sha256()
    files = sorted([*REPO_ROOT.joinpath("grader").glob("*.py"), *REPO_ROOT.joinpath("saltlab").rglob("*.py"),
                    RUBRIC_PATH, *REPO_ROOT.joinpath("solutions").glob("*.py"),
                    *REPO_ROOT.joinpath("solutions").glob("*.ipynb")])
    for path in files:
        digest.update(str(path.relative_to(REPO_ROOT)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]
