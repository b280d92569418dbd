"""The stub generator: solutions/ -> assignment/, and its marker errors."""

import ast
import subprocess
import sys

import pytest

from saltlab.paths import ASSIGNMENT_DIR, REPO_ROOT
from saltlab.authoring.stubgen import HEADER, MarkerError, generate_stubs, strip_solutions
from saltlab.impl import GRADED_FUNCTIONS

SOURCE = '''\
def area(width, height):
    """Area of a rectangle."""
    width = float(width)
    ### BEGIN SOLUTION: multiply the two sides
    result = width * height
    ### END SOLUTION
    return result
'''


def test_region_becomes_not_implemented_with_hint():
    stub = strip_solutions(SOURCE)
    assert stub.startswith(HEADER)
    assert "raise NotImplementedError('area: multiply the two sides')" in stub
    assert "width * height" not in stub
    # Signature, docstring, setup line and return line stay.
    for kept in ("def area(width, height):", '"""Area of a rectangle."""', "width = float(width)", "return result"):
        assert kept in stub
    ast.parse(stub)


def test_without_hint_names_the_function():
    stub = strip_solutions(SOURCE.replace(": multiply the two sides", ""))
    assert "raise NotImplementedError('area')" in stub


@pytest.mark.parametrize("source, message", [
    (SOURCE.replace("    ### END SOLUTION\n", ""), "x.py:4: BEGIN SOLUTION never closed"),
    (SOURCE.replace("    ### BEGIN SOLUTION: multiply the two sides\n", ""), "x.py:5: END SOLUTION without a BEGIN"),
    (SOURCE.replace("    result = width * height\n", "    ### BEGIN SOLUTION\n"), "x.py:5: BEGIN SOLUTION inside the region opened at line 4"),
    ("### BEGIN SOLUTION\nx = 1\n### END SOLUTION\n", "x.py:1: BEGIN SOLUTION outside any function"),
])
def test_bad_markers_fail_with_file_and_line(source, message):
    with pytest.raises(MarkerError, match=message.replace("(", r"\(")):
        strip_solutions(source, filename="x.py")


def test_assignment_is_exactly_the_generated_stubs():
    for name, text in generate_stubs().items():
        assert (ASSIGNMENT_DIR / name).read_text() == text, f"assignment/{name} drifted: run make stubs"


def test_every_graded_function_is_stubbed():
    stubs = generate_stubs()
    for function, module in GRADED_FUNCTIONS.items():
        assert f"raise NotImplementedError('{function}: " in stubs[f"{module}.py"] or \
               f'raise NotImplementedError("{function}: ' in stubs[f"{module}.py"], function
    assert "BEGIN SOLUTION" not in "".join(stubs.values())


def test_make_stubs_leaves_the_tree_unchanged():
    before = {p: p.read_bytes() for p in ASSIGNMENT_DIR.glob("*.py")}
    result = subprocess.run([sys.executable, "-m", "saltlab.authoring.stubgen"], cwd=REPO_ROOT, capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stderr
    assert {p: p.read_bytes() for p in ASSIGNMENT_DIR.glob("*.py")} == before
    # The old command (still in the Makefile's check target) forwards to the new one.
    check = subprocess.run([sys.executable, "-m", "saltlab.authoring.stubgen", "--check"], cwd=REPO_ROOT, capture_output=True, text=True)
    assert check.returncode == 0 and "in sync" in check.stdout
