"""Q2 downsample: 'maxpool' (MaxPooling2D) or 'stride' (a learned stride-2 convolution)."""

import pytest


@pytest.mark.check("downsample.shapes")
def test_output_is_half_size_rounded_up(run_check):
    """Both modes: (N, H, W, C) -> (N, ceil(H/2), ceil(W/2), C); 101 -> 51."""
    run_check()


@pytest.mark.check("downsample.structure")
def test_layers_of_each_mode(run_check):
    """maxpool: MaxPooling2D(2, 'same'); stride: trainable Conv2D(C, 3, strides=2, 'same') + ReLU, no pooling."""
    run_check()


@pytest.mark.check("downsample.numerics")
def test_outputs_match_reference_with_same_weights(run_check):
    """Fixed inputs (and, for 'stride', the reference's weights): outputs agree to rtol=1e-5 and atol=max(1e-5, 64 float32 ulps of their scale)."""
    run_check()


@pytest.mark.check("downsample.errors")
def test_unknown_mode_raises_value_error(run_check):
    """An unknown mode raises ValueError naming the valid modes and the value received."""
    run_check()


@pytest.mark.check("downsample.names")
def test_name_prefixes_every_layer(run_check):
    """With name='down3', every layer created in either mode has a name starting with 'down3'."""
    run_check()
