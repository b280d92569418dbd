"""Q5 find_best_threshold: the grid search for the decision threshold."""

import pytest


@pytest.mark.check("find_best_threshold.optimum")
def test_best_threshold_is_a_true_optimum(run_check):
    """F1 and IoU, default and custom grids: the answer is the lowest candidate with the best score."""
    run_check()


@pytest.mark.check("find_best_threshold.conventions")
def test_ties_greater_or_equal_and_empty_masks(run_check):
    """Ties go to the lowest threshold; salt is y_prob >= t; IoU with nothing to find is 1."""
    run_check()


@pytest.mark.check("find_best_threshold.errors")
def test_bad_input_raises_value_error(run_check):
    """Unknown metric, empty thresholds and different shapes raise ValueError."""
    run_check()
