"""``tests/CLAUSES.md`` is current: every clause in two arrangements or more, every check and mutant real.

The table maps each clause of ``SPEC.md`` to the checks that test it, the
arrangements they cover and the mutants that must fail it. These tests read
it and keep it honest against the code: the check ids it names are
registered (``hidden:<id>`` ones have hidden cases in the rubric), each named
mutant's ``must_fail`` set meets the row's checks, and every mutant of
``selftests/mutants.py`` is named in some row. They run no check.
"""

import pytest

from mutants import MUTANTS
from saltlab.checks.core import REGISTRY
from saltlab.checks.rubric import load_rubric
from saltlab.paths import REPO_ROOT

TABLE = REPO_ROOT / "tests" / "CLAUSES.md"


def clause_rows():
    """``(clause, checks, arrangements, mutants)`` for every row of every table in the file."""
    rows = []
    for line in TABLE.read_text().splitlines():
        if not line.startswith("| ") or line.startswith("| clause |"):
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split(" | ")]
        assert len(cells) == 4, f"tests/CLAUSES.md: a row needs 4 cells, got {len(cells)}: {line}"
        clause, checks, arrangements, mutants = cells
        rows.append((clause,
                     [c.strip() for c in checks.split(",") if c.strip()],
                     [a.strip() for a in arrangements.split(";") if a.strip()],
                     [m.strip() for m in mutants.split(",") if m.strip()]))
    return rows


ROWS = clause_rows()


def test_table_has_a_row_for_each_graded_function():
    assert len(ROWS) >= 30
    named = {check.split(":")[-1].split(".")[0] for _, checks, _, _ in ROWS for check in checks}
    assert {"conv_block", "downsample", "merge_skip", "precision", "recall", "metrics", "find_best_threshold"} <= named


@pytest.mark.parametrize("row", ROWS, ids=[row[0][:60] for row in ROWS])
def test_clause_is_tested_in_two_arrangements_or_more(row):
    clause, checks, arrangements, mutants = row
    assert len(arrangements) >= 2, f"{clause!r} is tested in one arrangement only: a gap"
    assert checks, f"{clause!r} names no check"
    assert mutants, f"{clause!r} names no mutant that must fail it"


@pytest.mark.parametrize("row", ROWS, ids=[row[0][:60] for row in ROWS])
def test_checks_and_mutants_named_exist_and_agree(row):
    clause, checks, _, mutants = row
    hidden = set(load_rubric().hidden)
    for check in checks:
        if check.startswith("hidden:"):
            assert check[len("hidden:"):] in REGISTRY and check[len("hidden:"):] in {e.split(":")[-1] for e in hidden}, check
        else:
            assert check in REGISTRY, f"{clause!r} names the unknown check {check!r}"
    public = {check.split(":")[-1] for check in checks}
    for name in mutants:
        assert name in MUTANTS, f"{clause!r} names the unknown mutant {name!r}"
        assert MUTANTS[name][3] & public, (f"mutant {name} must fail {sorted(MUTANTS[name][3])}, none of which "
                                           f"tests {clause!r} ({sorted(public)})")


def test_every_mutant_is_named_in_the_table():
    named = {name for *_, mutants in ROWS for name in mutants}
    assert sorted(set(MUTANTS) - named) == []
