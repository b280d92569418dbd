"""SPEC.md, the graded contract: in the repository, equal to the course's copy, naming every graded function."""

import re

import pytest

from saltlab.impl import GRADED_FUNCTIONS
from saltlab.paths import REPO_ROOT

SPEC = REPO_ROOT / "SPEC.md"
SHARED_SPEC = REPO_ROOT.parent / "shared" / "SPEC.md"
"""The course's copy (CI has ``../shared`` beside the clone)."""


def test_the_repository_copy_is_the_courses():
    if not SHARED_SPEC.is_file():
        pytest.skip(f"{SHARED_SPEC} not present: nothing to compare with")
    assert SPEC.read_text(encoding="utf-8") == SHARED_SPEC.read_text(encoding="utf-8"), (
        f"{SPEC} differs from {SHARED_SPEC}; copy the course's contract into the repository"
    )


def test_the_contract_defines_every_graded_function_in_its_module():
    text = SPEC.read_text(encoding="utf-8")
    sections = re.split(r"^## ", text, flags=re.MULTILINE)
    for function, module in GRADED_FUNCTIONS.items():
        section = next((s for s in sections if s.startswith(f"assignment/{module}.py")), "")
        assert re.search(rf"^### .*`{function}\(", section, flags=re.MULTILINE), (
            f"SPEC.md has no heading for {function}() under assignment/{module}.py"
        )
