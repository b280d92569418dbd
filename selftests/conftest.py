"""Shared fixtures of the project's own tests (selftests/)."""

import saltlab  # noqa: F401  (silences TensorFlow before anything imports it)

import pytest


@pytest.fixture(scope="session")
def reference():
    """The reference implementation (solutions/)."""
    from saltlab.impl import load_implementation

    return load_implementation("solutions")
