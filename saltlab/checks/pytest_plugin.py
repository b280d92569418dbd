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

import gc
import json
import os
from pathlib import Path

import pytest

from ..impl import ImplementationError, load_implementation
from ..paths import OUT_DIR, REPO_ROOT
from .core import get_check
from .fixtures import FixtureError
from .helper_process import draw_figure
from .in_process import run_check_locally
from .rubric import load_rubric
from ..seeding import pin_grading_threads


def pytest_addoption(parser):
    group = parser.getgroup("saltlab")
    group.addoption("--impl", default=os.environ.get("IMPL") or "assignment",
                    help="assignment (default), solutions, or the path of a submission folder")
    group.addoption("--question", default=os.environ.get("Q") or None, help="run one question of rubric.toml")
    group.addoption("--points-json", default=None, help="write the points per check to this JSON file")


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config):
    _finish_figures()  # never leave a half-written PNG behind (also when the summary is not printed)
    if _drawer is not None:
        _drawer.shutdown(wait=True, cancel_futures=True)
    # The interpreter's last garbage collections walk every object TensorFlow made: measured,
    # 1.9 s for a process that imported it, after the last test. Frozen objects are left to the
    # operating system; what reference counting frees is still finalised.
    gc.freeze()


def pytest_configure(config):
    config.addinivalue_line("markers", "check(id): the rubric check this test runs")
    config._saltlab_results = {}
    if _runs_public_training(config):
        # Made on the other core while this one imports TensorFlow (pin_grading_threads, below).
        from .helper_process import start_helper, warm_up_figures
        from .training_checks import CONFIG, PUBLIC_SEED, SIZE, prefetch_check_data

        global _drawer
        _drawer = start_helper()
        if _drawer is not None:
            prefetch_check_data(CONFIG["n_train"] + CONFIG["n_val"], PUBLIC_SEED, _drawer)
            _drawer.submit(warm_up_figures, SIZE)
    # Before any test runs TensorFlow: the public tests compute as the grader's worker does.
    pin_grading_threads()


def _runs_public_training(config):
    """Whether this session is the public tests (``tests/``) with their training checks in it."""
    question = config.getoption("--question")
    from .training_checks import CONFIGURATIONS

    first = "training.{}_{}".format(*CONFIGURATIONS[0])
    if question is not None and question != load_rubric().checks[first].question:
        return False
    public = (REPO_ROOT / "tests").resolve()
    paths = [Path(arg.split("::")[0]) for arg in config.args] or [public]
    return all(path.resolve() == public or public in path.resolve().parents for path in paths)


def _check_id(item):
    marker = item.get_closest_marker("check")
    return marker.args[0] if marker else None


def pytest_collection_finish(session):
    # Train the public configurations ahead (one core each) only when all their tests run: a run of
    # one training test must not spend two trainings on checks nobody asked for. They start now, so
    # they overlap the unit checks as well as each other: measured 1.5 s sooner done of ~24 s,
    # three pairs back to back (with the data and figures in the helper process).
    from .training_checks import CONFIGURATIONS, TRAININGS_AHEAD

    ids = [f"training.{down}_{merge}" for down, merge in CONFIGURATIONS]
    selected = {_check_id(item) for item in session.items}
    TRAININGS_AHEAD.enabled = all(check_id in selected for check_id in ids)
    if TRAININGS_AHEAD.enabled and not session.config.option.collectonly:
        impl = _load_impl(session.config)
        if impl is not None:  # one that cannot load is reported by the impl fixture
            TRAININGS_AHEAD.start(impl, [case for check_id in ids for case in get_check(check_id).public_cases()])


def _load_impl(config):
    """The implementation under test, loaded once per session (None, with the error kept, if it cannot be)."""
    if not hasattr(config, "_saltlab_impl"):
        try:
            config._saltlab_impl, config._saltlab_impl_error = load_implementation(config.getoption("--impl")), None
        except ImplementationError as error:
            config._saltlab_impl, config._saltlab_impl_error = None, error
    return config._saltlab_impl


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
    loaded = _load_impl(request.config)
    if loaded is None:
        pytest.exit(f"cannot load the implementation: {request.config._saltlab_impl_error}", returncode=4)
    return loaded


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
"""``(path, future)`` of the figures being drawn while the next training runs (a training uses
one core, see saltlab.seeding.pin_grading_threads); :func:`_finish_figures` waits for them
before the score is printed."""
_drawer = None
"""Where the figures are drawn: the helper process when every public training runs
(:mod:`.helper_process`), else one background thread."""


def _write_figure(check_id, figure):
    """Start saving a training check's figure as ``out/training/<check id>.png``; return its path as shown."""
    from concurrent.futures import ThreadPoolExecutor

    global _drawer
    path = FIGURE_DIR / f"{check_id}.png"
    FIGURE_DIR.mkdir(parents=True, exist_ok=True)
    if _drawer is None:
        # One thread: matplotlib's font caches are not made for two at once.
        _drawer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="figures")
    try:
        _drawing.append((path, _drawer.submit(draw_figure, path, figure, check_id)))
    except Exception:  # noqa: BLE001  (the helper process died: draw here instead)
        broken, _drawer = _drawer, ThreadPoolExecutor(max_workers=1, thread_name_prefix="figures")
        broken.shutdown(wait=False, cancel_futures=True)  # its figures are reported by _finish_figures
        _drawing.append((path, _drawer.submit(draw_figure, path, figure, check_id)))
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
