"""The nbgrader notebooks: released in sync, no leaked solutions, solved ones run and validate."""

import json
import shutil

import pytest

from saltlab.authoring import notebooks
from saltlab.paths import ASSIGNMENT_DIR, SOLUTIONS_DIR

SOURCES = [p.name for p in sorted(SOLUTIONS_DIR.glob("*.ipynb"))]


def test_there_are_source_notebooks_with_nbgrader_cells():
    assert SOURCES, "no notebooks in solutions/"
    kinds = set()
    for name in SOURCES:
        nb = json.loads((SOLUTIONS_DIR / name).read_text())
        tagged = [c for c in nb["cells"] if "parameters" in c["metadata"].get("tags", [])]
        assert len(tagged) == 1, f"{name}: needs exactly one cell tagged 'parameters'"
        assert 'IMPL = "assignment"' in "".join(tagged[0]["source"])
        for cell in nb["cells"]:
            meta = cell["metadata"].get("nbgrader")
            if meta:
                assert meta["schema_version"] == 3
                kinds.add((cell["cell_type"], meta["solution"], meta["grade"]))
    # Autograded code exercises, their tests, and manually graded written answers.
    assert {("code", True, False), ("code", False, True), ("markdown", True, True)} <= kinds


def test_released_notebooks_are_nbgraders_release_of_the_sources():
    assert notebooks.check_sync() == []


def test_released_notebooks_contain_no_solution_text():
    assert notebooks.check_no_solutions() == []
    released = "".join((ASSIGNMENT_DIR / name).read_text() for name in SOURCES)
    assert "BEGIN SOLUTION" not in released and "BEGIN HIDDEN TESTS" not in released
    assert "YOUR ANSWER HERE" in released and "YOUR CODE HERE" in released


def test_a_leak_is_detected(tmp_path):
    leaky = tmp_path / "released"
    leaky.mkdir()
    for name in SOURCES:
        shutil.copy(SOLUTIONS_DIR / name, leaky / name)  # the sources themselves: everything leaks
    problems = notebooks.check_no_solutions(released=leaky)
    assert problems and all("leaks solution text" in p for p in problems)


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """Each source notebook executed once on the reference with the quick parameters."""
    from saltlab.data import generate_dataset

    tmp = tmp_path_factory.mktemp("notebooks")
    data = generate_dataset(tmp / "data", n=200, seed=0)
    parameters = dict(notebooks.QUICK_PARAMETERS, DATA=str(data), RESULTS=str(tmp / "results"))
    results = {}
    for name in SOURCES:
        output = tmp / name
        try:
            notebooks.execute_notebook(SOLUTIONS_DIR / name, parameters, output=output)
            results[name] = (output, None)
        except notebooks.NotebookError as error:
            results[name] = (output, error)
    return results


@pytest.mark.slow
@pytest.mark.parametrize("name", SOURCES)
def test_source_notebook_executes_on_the_reference(executed, name):
    output, error = executed[name]
    assert error is None, str(error)


@pytest.mark.slow
@pytest.mark.parametrize("name", SOURCES)
def test_nbgrader_validate_passes_on_the_solved_notebook(executed, name):
    output, error = executed[name]
    if error is not None:
        pytest.skip("did not execute (see the execution test)")
    assert notebooks.validate_executed(output) == {}
