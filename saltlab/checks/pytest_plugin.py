"""The public graders' pytest plugin: implementation choice, points, the score table.

Loaded by the repository's root ``conftest.py`` (so ``pytest --impl ...`` is
understood from the root, by plain ``pytest`` as by ``make test``).

Options
-------
--impl {assignment, solutions, <folder>}
    Whose graded functions to test (default: ``$IMPL`` or ``assignment``).
--question <id>
    Run one question only (``make test Q=conv_block``); ids are in rubric.toml.
--points-json <path>
    Also write the points earned per check as JSON (used by the project's own tests).
"""

import json
import os
from pathlib import Path

import pytest

from ..impl import ImplementationError, load_implementation
from ..io import write_atomic
from ..paths import OUT_DIR
from .core import get_check
from .fixtures import FixtureError
from .in_process import run_check_locally
from .rubric import load_rubric
from ..seeding import pin_grading_threads

# At import, before any test runs TensorFlow: the public tests compute as the grader's worker does.
pin_grading_threads()


def pytest_addoption(parser):
    group = parser.getgroup("saltlab")
    group.addoption("--impl", default=os.environ.get("IMPL") or "assignment",
                    help="assignment (default), solutions, or the path of a submission folder")
    group.addoption("--question", default=os.environ.get("Q") or None, help="run one question of rubric.toml")
    group.addoption("--points-json", default=None, help="write the points per check to this JSON file")


def pytest_unconfigure(config):
    _finish_figures()  # never leave a half-written PNG behind (also when the summary is not printed)
    if _drawer is not None:
        _drawer.shutdown(wait=True)


def pytest_configure(config):
    config.addinivalue_line("markers", "check(id): the rubric check this test runs")
    config._saltlab_results = {}


def _check_id(item):
    marker = item.get_closest_marker("check")
    return marker.args[0] if marker else None


def pytest_collection_finish(session):
    # Train the other public configurations ahead (one core each) only when their tests run too:
    # a run of one training test must not spend two trainings on checks nobody asked for.
    from .training_checks import CONFIGURATIONS, TRAININGS_AHEAD

    selected = {_check_id(item) for item in session.items}
    TRAININGS_AHEAD.enabled = all(f"training.{down}_{merge}" in selected for down, merge in CONFIGURATIONS)


def pytest_collection_modifyitems(config, items):
    question = config.getoption("--question")
    if not question:
        return
    rubric = load_rubric()
    if question not in rubric.questions:
        raise pytest.UsageError(f"unknown question {question!r}; choose one of {list(rubric.questions)}")
    keep = [i for i in items if _check_id(i) and rubric.checks[_check_id(i)].question == question]
    config.hook.pytest_deselected(items=[i for i in items if i not in keep])
    items[:] = keep


@pytest.fixture(scope="session")
def impl(request):
    """The implementation under test, loaded once per session."""
    spec = request.config.getoption("--impl")
    try:
        return load_implementation(spec)
    except ImplementationError as error:
        pytest.exit(f"cannot load the implementation: {error}", returncode=4)


@pytest.fixture
def run_check(request, impl):
    """Run the test's rubric check on every public case; fail with the first verdict that fails."""

    def run():
        check = get_check(_check_id(request.node))
        try:
            verdict = run_check_locally(check, impl)
        except FixtureError as error:
            pytest.fail(str(error), pytrace=False)
        message = verdict.message
        if verdict.figure is not None:
            message += f"\n  figure: {_write_figure(check.id, verdict.figure)}"
        if not verdict.passed:
            pytest.fail(message, pytrace=False)

    return run


FIGURE_DIR = OUT_DIR / "training"

_drawing = []
"""``(path, future)`` of the figures being drawn: one background thread draws them while the
next training runs on the other core (a training uses one, see saltlab.seeding.pin_grading_threads);
:func:`_finish_figures` waits for them before the score is printed."""
_drawer = None


def _draw(path, figure, title):
    from .training_feedback import render_figure

    write_atomic(path, render_figure(figure, title=title))


def _write_figure(check_id, figure):
    """Start saving a training check's figure as ``out/training/<check id>.png``; return its path as shown."""
    from concurrent.futures import ThreadPoolExecutor

    global _drawer
    path = FIGURE_DIR / f"{check_id}.png"
    FIGURE_DIR.mkdir(parents=True, exist_ok=True)
    if _drawer is None:
        # One thread: matplotlib's font caches are not made for two at once.
        _drawer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="figures")
    _drawing.append((path, _drawer.submit(_draw, path, figure, check_id)))
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _finish_figures():
    """Wait for the figures being drawn; the paths of those that failed, with why."""
    failed = []
    while _drawing:
        path, future = _drawing.pop(0)
        try:
            future.result()
        except Exception as error:  # noqa: BLE001  (a figure must not hide the score)
            failed.append(f"{path}: {type(error).__name__}: {error}")
    return failed


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    check_id = _check_id(item)
    if check_id and report.when == "call":
        item.config._saltlab_results[check_id] = report.passed
    elif check_id and report.when == "setup" and report.failed:
        item.config._saltlab_results[check_id] = False


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    for failure in _finish_figures():
        terminalreporter.write_line(f"figure not written: {failure}", yellow=True)
    results = config._saltlab_results
    if not results:
        return
    rubric = load_rubric()
    write = terminalreporter.write_line
    write("")
    write(f"Score for {config.getoption('--impl')}")
    write(f"  {'question':<62} {'points':>11}")
    earned_total = possible_total = 0.0
    for question, title in rubric.questions.items():
        entries = [e for e in rubric.checks.values() if e.question == question and e.check_id in results]
        if not entries:
            continue
        earned = sum(e.points for e in entries if results[e.check_id])
        possible = sum(e.points for e in entries)
        earned_total += earned
        possible_total += possible
        write(f"  {title:<62} {earned:>5g} / {possible:<3g}")
    write(f"  {'total':<62} {earned_total:>5g} / {possible_total:<3g}")
    if any(check_id.startswith("training.") for check_id in results) and FIGURE_DIR.is_dir():
        write(f"  Training curves against the reference's band, and predictions: {FIGURE_DIR}/")
    hidden = rubric.possible(hidden=True)
    write(f"  Hidden tests run at grading time: {hidden:g} more points, on inputs you cannot see.")
    path = config.getoption("--points-json")
    if path:
        points = {cid: (rubric.checks[cid].points if ok else 0.0) for cid, ok in results.items()}
        with open(path, "w") as handle:
            json.dump({"impl": str(config.getoption("--impl")), "points": points,
                       "earned": earned_total, "possible": possible_total}, handle, indent=2, sort_keys=True)
