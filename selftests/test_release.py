"""The student bundle: complete, free of reference code, and working in a student's hands."""

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from saltlab.authoring.release import BUNDLE_NAME, INSTRUCTOR_ONLY, build_release, find_reference_code, reference_lines
from saltlab.checks.rubric import load_rubric
from saltlab.paths import REPO_ROOT

from mutants import copy_reference

VENV = Path(sys.executable).parent.parent  # reuse this venv: the bundle's own install is the same package


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    return build_release(tmp_path_factory.mktemp("release"))


def _make_test(bundle, *args):
    env = {k: v for k, v in os.environ.items() if k not in ("IMPL", "Q")}
    # `-o <stamp>`: never run the bundle's install recipe here, which would point this
    # venv's editable install at the bundle.
    return subprocess.run(["make", "-s", "-o", f"{VENV}/.installed", "test", f"VENV={VENV}", *args], cwd=bundle,
                          capture_output=True, text=True, env=env, timeout=900)


def test_bundle_holds_what_a_student_needs_and_nothing_else(bundle):
    names = {p.name for p in bundle.iterdir()}
    assert names == {"assignment", "tests", "saltlab", "SPEC.md", "data", "published", "pyproject.toml", "Makefile",
                     "README.md", ".gitignore", "mk", "conftest.py"}
    # The evidence the questions notebook reads by default, without weights.
    assert (bundle / "published" / "standard" / "summary.md").is_file()
    assert not list((bundle / "published").rglob("*.h5"))
    assert (bundle / "SPEC.md").read_text() == (REPO_ROOT / "SPEC.md").read_text()
    assert (bundle / "tests" / "rubric.toml").is_file() and list((bundle / "tests" / "fixtures").glob("*.npz"))
    assert not list(bundle.rglob("solutions")) and not list(bundle.rglob("hidden_cases.py"))
    for path in INSTRUCTOR_ONLY:
        assert (REPO_ROOT / path).exists() and not (bundle / path).exists(), path
    assert (bundle / "saltlab" / "checks" / "core.py").is_file()  # the rest of saltlab ships
    with zipfile.ZipFile(bundle.parent / f"{BUNDLE_NAME}.zip") as archive:
        assert f"{BUNDLE_NAME}/assignment/blocks.py" in archive.namelist()


def test_no_reference_code_in_the_bundle(bundle):
    assert len(reference_lines()) > 30
    assert find_reference_code(bundle) == []


def test_the_grep_finds_planted_reference_code(tmp_path):
    line = sorted(reference_lines())[0]
    (tmp_path / "leak.py").write_text(f"def f():\n    {line}\n")
    assert find_reference_code(tmp_path) == [("leak.py", line)]


def test_bundle_imports_its_own_support_package(bundle):
    result = subprocess.run([sys.executable, "-c", "import saltlab.paths as p; print(p.REPO_ROOT)"],
                            cwd=bundle, capture_output=True, text=True)
    assert result.stdout.strip() == str(bundle)


def test_make_test_in_the_bundle_on_the_stubs_fails_cleanly(bundle):
    result = _make_test(bundle)
    assert result.returncode != 0
    failures = [line for line in result.stdout.splitlines() if line.startswith("not implemented yet: ")]
    assert len(failures) == len(load_rubric().checks), result.stdout[-3000:]
    assert "Traceback" not in result.stdout + result.stderr
    assert "total" in result.stdout and "0 / " in result.stdout


@pytest.mark.slow
def test_make_test_in_the_bundle_passes_with_the_reference_dropped_in(bundle, tmp_path):
    reference = copy_reference(tmp_path / "reference")
    for name in ("blocks.py", "metrics.py", "threshold.py"):
        (bundle / "assignment" / name).write_text((reference / name).read_text())
    result = _make_test(bundle)
    assert result.returncode == 0, result.stdout[-3000:]
    assert f"{len(load_rubric().checks)} passed" in result.stdout
