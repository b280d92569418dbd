"""Where things live in the repository (or in the student bundle)."""

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
"""The folder holding ``assignment/``, ``tests/``, ``saltlab/`` (and, for instructors, ``solutions/``)."""

ASSIGNMENT_DIR = REPO_ROOT / "assignment"
SOLUTIONS_DIR = REPO_ROOT / "solutions"
DATA_DIR = REPO_ROOT / "data"
OUT_DIR = REPO_ROOT / "out"
