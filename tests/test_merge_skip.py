"""Q3 merge_skip: concat (decoder first), add, max, min."""

import pytest


@pytest.mark.check("merge_skip.values")
def test_each_mode_equals_numpy(run_check):
    """Fixed tensors through each mode equal NumPy's concatenate/+/maximum/minimum (rtol=atol=1e-6)."""
    run_check()


@pytest.mark.check("merge_skip.errors")
def test_bad_shapes_and_modes_raise_value_error(run_check):
    """add/max/min on unequal shapes, and unknown modes, raise ValueError with a useful message."""
    run_check()


@pytest.mark.check("merge_skip.names")
def test_name_prefixes_every_layer(run_check):
    """With name='dec2_merge', every layer created in every mode has a name starting with 'dec2_merge'."""
    run_check()
