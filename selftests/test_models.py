"""Model assembly: the course's U-Net shapes, every mode, the FCN, one training step."""

import numpy as np
import pytest

from saltlab.models import build_fcn, build_unet
from saltlab.seeding import seed_everything


def test_default_unet_has_the_course_shapes(reference):
    model = build_unet(impl=reference)
    assert tuple(model.input.shape) == (None, 128, 128, 1)
    assert tuple(model.get_layer("bottleneck_relu2").output.shape) == (None, 8, 8, 256)
    assert tuple(model.output.shape) == (None, 128, 128, 1)
    names = {layer.name for layer in model.layers}
    assert {"enc1_conv1", "enc4_pool", "dec3_up", "dec3_merge", "dec1_conv2", "salt_probability"} <= names


@pytest.mark.parametrize("downsample", ["maxpool", "stride"])
@pytest.mark.parametrize("merge", ["none", "concat", "add", "max", "min"])
def test_every_mode_builds(reference, downsample, merge):
    model = build_unet((32, 32, 1), base_filters=4, depth=2, downsample=downsample, merge=merge, impl=reference)
    assert tuple(model.output.shape) == (None, 32, 32, 1)
    assert ("dec1_merge" in {layer.name for layer in model.layers}) == (merge != "none")


def test_bad_arguments_are_clear(reference):
    with pytest.raises(ValueError, match="merge must be one of"):
        build_unet(merge="sum", impl=reference)
    with pytest.raises(ValueError, match="101x101 must be divisible by 2\\*\\*depth = 16"):
        build_unet((101, 101, 1), impl=reference)


@pytest.mark.parametrize("builder", ["unet", "fcn"])
def test_one_training_step(reference, builder):
    seed_everything(0)
    model = (build_unet((32, 32, 1), base_filters=4, depth=2, batchnorm=True, dropout=0.1, impl=reference)
             if builder == "unet" else build_fcn((32, 32, 1), filters=8, impl=reference))
    model.compile("adam", "binary_crossentropy")
    rng = np.random.default_rng(0)
    x = rng.random((4, 32, 32, 1)).astype("float32")
    loss = model.train_on_batch(x, (x > 0.5).astype("float32"))
    assert np.isfinite(loss)
    if builder == "fcn":
        assert all(tuple(layer.output.shape[1:3]) == (32, 32) for layer in model.layers[1:])


def test_builders_use_the_given_implementation(tmp_path):
    from mutants import build_mutant
    from saltlab.impl import load_implementation

    impl = load_implementation(build_mutant("conv_block_valid_padding", tmp_path / "m"))
    # 'valid' padding shrinks the maps: the decoder's and the encoder's shapes cannot merge.
    with pytest.raises(ValueError, match="(?i)shape"):
        build_unet((32, 32, 1), base_filters=4, depth=2, impl=impl)


def test_builders_take_a_loaded_implementation_not_a_name():
    with pytest.raises(TypeError, match="build_unet: impl must be an Implementation, got 'solutions'"):
        build_unet(impl="solutions")
    with pytest.raises(TypeError, match="build_fcn: impl must be an Implementation"):
        build_fcn(impl=None)


def test_cosine_schedule_decays_the_rate_step_by_step(reference):
    """train_model(schedule="cosine"): the rate of step k is lr (1 + cos(pi k / steps)) / 2."""
    from saltlab.training import train_model

    seed_everything(0)
    model = build_unet((16, 16, 1), base_filters=2, depth=1, impl=reference)
    rng = np.random.default_rng(0)
    x = rng.random((32, 16, 16, 1)).astype("float32")
    data = (x, (x > 0.5).astype("float32"))
    history = train_model(model, data, data, epochs=2, batch_size=8, learning_rate=0.01,
                          schedule="cosine", verbose=0)
    # 4 steps per epoch, 8 in all; the rate logged at an epoch's end is that of its last step (3, then 7).
    expected = [0.01 * 0.5 * (1 + np.cos(np.pi * k / 8)) for k in (3, 7)]
    np.testing.assert_allclose(history["learning_rate"], expected, rtol=1e-5)
    with pytest.raises(ValueError, match="schedule must be 'constant' or 'cosine', got 'linear'"):
        train_model(model, data, data, epochs=1, schedule="linear", verbose=0)
