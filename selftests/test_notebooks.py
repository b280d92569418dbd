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


def test_model_answers_quote_only_figures_of_the_published_summary():
    """The written answers argue from published/standard: every decimal figure and parameter count
    in them is one that summary.md states, so republishing fails here until the answers are rewritten."""
    import re

    from saltlab.experiments import PUBLISHED_DIR

    summary = (PUBLISHED_DIR / "standard" / "summary.md").read_text()
    nb = json.loads((SOLUTIONS_DIR / "2_questions.ipynb").read_text())
    answers = {c["metadata"]["nbgrader"]["grade_id"]: "".join(c["source"]) for c in nb["cells"]
               if c["cell_type"] == "markdown" and c["metadata"].get("nbgrader", {}).get("solution")}
    assert len(answers) == 4, sorted(answers)
    figures = {grade_id: re.findall(r"\d+\.\d+|\d{1,3}(?:,\d{3})+", text) for grade_id, text in answers.items()}
    assert all(len(found) >= 5 for found in figures.values()), figures  # they do argue from numbers
    assert {grade_id: [f for f in found if f not in summary] for grade_id, found in figures.items()} == {
        grade_id: [] for grade_id in answers}


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
