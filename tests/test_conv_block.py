"""Q1 conv_block: two Conv2D(padding='same') -> [BatchNormalization] -> ReLU stages."""

import pytest


@pytest.mark.check("conv_block.shapes")
def test_output_shape_keeps_height_and_width(run_check):
    """(N, H, W, C) -> (N, H, W, filters), for 128x128, 101x101, 37x20 and 9x9 inputs."""
    run_check()


@pytest.mark.check("conv_block.structure")
def test_layers_are_conv_bn_relu_twice(run_check):
    """Two same-padded convolutions of the given kernel, BN only when asked, a ReLU after each, bias only without BN."""
    run_check()


@pytest.mark.check("conv_block.numerics")
def test_outputs_match_reference_with_same_weights(run_check):
    """With the reference's weights loaded, outputs agree to rtol=1e-5 and atol=max(1e-5, 64 float32 ulps of their scale)."""
    run_check()


@pytest.mark.check("conv_block.names")
def test_name_prefixes_layer_names(run_check):
    """conv_block(x, 8, name='enc7') names its layers enc7_..."""
    run_check()
