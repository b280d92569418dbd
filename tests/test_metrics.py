"""Q4 precision and recall of salt pixels, pooled over every element."""

import pytest


@pytest.mark.check("precision.hand")
def test_precision_on_hand_worked_masks(run_check):
    """Tiny masks whose TP, FP, FN were counted by hand; exact fractions."""
    run_check()


@pytest.mark.check("recall.hand")
def test_recall_on_hand_worked_masks(run_check):
    """Tiny masks whose TP, FP, FN were counted by hand; exact fractions."""
    run_check()


@pytest.mark.check("precision.random")
def test_precision_on_random_masks(run_check):
    """Seeded random masks (up to 4x101x101) against the reference's values."""
    run_check()


@pytest.mark.check("recall.random")
def test_recall_on_random_masks(run_check):
    """Seeded random masks (up to 4x101x101) against the reference's values."""
    run_check()


@pytest.mark.check("metrics.conventions")
def test_zero_division_and_dtypes(run_check):
    """zero_division is returned for a zero denominator; bool, int and float masks agree."""
    run_check()


@pytest.mark.check("metrics.errors")
def test_bad_input_raises_value_error(run_check):
    """Different shapes (named in the message) and values other than 0 and 1 raise ValueError."""
    run_check()
