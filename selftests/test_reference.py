"""Unit tests of the reference solution against values worked out by hand.

Tolerances: float32 Keras outputs are compared with atol=1e-6 (sums of a few
exact small numbers); metrics are ratios of integer counts, compared exactly.
"""

import keras
import numpy as np
import pytest
from numpy.testing import assert_allclose


def _model(build, *shapes):
    inputs = [keras.Input(shape) for shape in shapes]
    return keras.Model(inputs, build(*inputs))


def test_conv_block_with_known_weights(reference):
    # A 1x1 "kernel" of 1 and bias -1, then weight 2 and bias 0, on a 1-channel input:
    # relu(2 * relu(x - 1)). Checks the order conv -> ReLU -> conv -> ReLU exactly.
    model = _model(lambda x: reference.conv_block(x, 1, kernel_size=1), (2, 2, 1))
    model.set_weights([np.ones((1, 1, 1, 1)), np.array([-1.0]), np.full((1, 1, 1, 1), 2.0), np.zeros(1)])
    x = np.array([[[[0.0], [1.5]], [[3.0], [-2.0]]]], dtype="float32")
    expected = np.maximum(2 * np.maximum(x - 1, 0), 0)  # [[0, 1], [4, 0]]
    assert_allclose(model.predict(x, verbose=0), expected, atol=1e-6)


def test_conv_block_same_padding_sums_neighbours(reference):
    # 3x3 kernel of ones, no bias effect: each output is the sum of its 3x3 neighbourhood (zeros outside).
    model = _model(lambda x: reference.conv_block(x, 1), (3, 3, 1))
    identity = np.zeros((3, 3, 1, 1))
    identity[1, 1] = 1.0  # the second convolution passes its input through
    model.set_weights([np.ones((3, 3, 1, 1)), np.zeros(1), identity, np.zeros(1)])
    x = np.ones((1, 3, 3, 1), dtype="float32")
    corner, edge, centre = 4.0, 6.0, 9.0  # neighbours inside a 3x3 image of ones
    expected = np.array([[corner, edge, corner], [edge, centre, edge], [corner, edge, corner]])
    assert_allclose(model.predict(x, verbose=0)[0, ..., 0], expected, atol=1e-6)


def test_conv_block_layers_and_bias(reference):
    model = _model(lambda x: reference.conv_block(x, 4, batchnorm=True, name="enc1"), (9, 9, 2))
    names = [layer.name for layer in model.layers[1:]]
    assert names == ["enc1_conv1", "enc1_bn1", "enc1_relu1", "enc1_conv2", "enc1_bn2", "enc1_relu2"]
    assert not model.get_layer("enc1_conv1").use_bias
    plain = _model(lambda x: reference.conv_block(x, 4), (9, 9, 2))
    assert all(layer.use_bias for layer in plain.layers if isinstance(layer, keras.layers.Conv2D))
    # Weights: 3*3*2*4 + 4 (conv1) + 3*3*4*4 + 4 (conv2) = 72 + 4 + 144 + 4.
    assert plain.count_params() == 224


@pytest.mark.parametrize("size, expected", [(128, 64), (101, 51), (1, 1), (7, 4)])
@pytest.mark.parametrize("mode", ["maxpool", "stride"])
def test_downsample_size_is_ceil_half(reference, mode, size, expected):
    x = keras.Input((size, size, 3))
    assert tuple(reference.downsample(x, mode).shape) == (None, expected, expected, 3)


def test_downsample_maxpool_values(reference):
    model = _model(lambda x: reference.downsample(x, "maxpool"), (3, 3, 1))
    x = np.arange(9, dtype="float32").reshape(1, 3, 3, 1)  # [[0 1 2] [3 4 5] [6 7 8]]
    # 'same' pooling of a 3x3 map: windows {0,1,3,4}, {2,5}, {6,7}, {8}.
    assert_allclose(model.predict(x, verbose=0)[0, ..., 0], [[4, 5], [7, 8]], atol=0)


def test_downsample_stride_has_weights_and_relu(reference):
    model = _model(lambda x: reference.downsample(x, "stride"), (4, 4, 2))
    assert model.count_params() == 3 * 3 * 2 * 2 + 2
    weights = [np.zeros((3, 3, 2, 2)), np.array([-1.0, 2.0])]
    model.set_weights(weights)
    out = model.predict(np.ones((1, 4, 4, 2), "float32"), verbose=0)
    assert_allclose(out[..., 0], 0.0, atol=0)  # relu(-1)
    assert_allclose(out[..., 1], 2.0, atol=0)


@pytest.mark.parametrize("mode", ["avgpool", "", None])
def test_downsample_unknown_mode_message(reference, mode):
    with pytest.raises(ValueError, match=r"maxpool.*stride.*got"):
        reference.downsample(keras.Input((4, 4, 1)), mode)


def test_merge_skip_values(reference):
    d = np.array([[[[1.0, -2.0]]]], dtype="float32")
    e = np.array([[[[3.0, -5.0]]]], dtype="float32")
    expected = {"concat": [1, -2, 3, -5], "add": [4, -7], "max": [3, -2], "min": [1, -5]}
    for mode, want in expected.items():
        model = _model(lambda a, b: reference.merge_skip(a, b, mode), (1, 1, 2), (1, 1, 2))
        assert_allclose(model.predict([d, e], verbose=0)[0, 0, 0], want, atol=0)


def test_merge_skip_errors(reference):
    a, b = keras.Input((8, 8, 4)), keras.Input((8, 8, 6))
    with pytest.raises(ValueError, match=r"\(None, 8, 8, 4\).*\(None, 8, 8, 6\)"):
        reference.merge_skip(a, b, "add")
    with pytest.raises(ValueError, match="concat.*got 'sum'"):
        reference.merge_skip(a, a, "sum")
    assert tuple(reference.merge_skip(a, b, "concat").shape) == (None, 8, 8, 10)


# precision and recall -------------------------------------------------------

Y_TRUE = np.array([[1, 1, 0], [0, 1, 0], [0, 0, 1]])
Y_PRED = np.array([[1, 0, 1], [0, 1, 1], [0, 0, 0]])  # TP 2, FP 2, FN 2


@pytest.mark.parametrize("dtype", [bool, np.uint8, np.int32, np.float32, np.float64])
def test_precision_recall_hand_worked(reference, dtype):
    assert reference.precision(Y_TRUE.astype(dtype), Y_PRED.astype(dtype)) == 2 / 4
    assert reference.recall(Y_TRUE.astype(dtype), Y_PRED.astype(dtype)) == 2 / 4
    assert reference.precision([1, 0, 0, 1], [1, 1, 1, 1]) == 2 / 4  # TP 2, FP 2
    assert reference.recall([1, 0, 0, 1], [1, 1, 1, 1]) == 1.0  # TP 2, FN 0
    assert type(reference.precision(Y_TRUE, Y_PRED)) is float


def test_precision_recall_pool_a_batch(reference):
    # Image 1: TP 1, FP 0; image 2: TP 0, FP 3. Pooled: 1 / 4. (A mean of per-image values would be 0.5.)
    y_true = np.array([[[1, 0], [0, 0]], [[0, 0], [0, 1]]])
    y_pred = np.array([[[1, 0], [0, 0]], [[1, 1], [1, 0]]])
    assert reference.precision(y_true, y_pred) == 1 / 4
    assert reference.recall(y_true, y_pred) == 1 / 2


def test_zero_division(reference):
    zeros = np.zeros((2, 2))
    assert reference.precision([[1, 0]], [[0, 0]]) == 1.0
    assert reference.precision([[1, 0]], [[0, 0]], zero_division=0.0) == 0.0
    assert reference.recall(zeros, zeros, zero_division=0.5) == 0.5


def test_metric_errors(reference):
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(3, 2\)"):
        reference.precision(np.zeros((2, 3)), np.zeros((3, 2)))
    with pytest.raises(ValueError, match="0 and 1"):
        reference.recall([0, 2], [0, 1])
    with pytest.raises(ValueError, match="0 and 1"):
        reference.precision([0.0, 1.0], [0.5, 1.0])


# find_best_threshold ---------------------------------------------------------

def test_threshold_hand_worked(reference):
    y_true = np.array([1, 1, 0, 0])
    y_prob = np.array([0.9, 0.6, 0.4, 0.1])
    # t in (0.4, 0.6] separates perfectly: first candidate there is 0.45 -> F1 = 1.
    assert reference.find_best_threshold(y_true, y_prob) == (0.45, 1.0)
    # IoU with candidates 0.05 (all salt: 2/4) and 0.5 (perfect: 1).
    assert reference.find_best_threshold(y_true, y_prob, thresholds=[0.05, 0.5], metric="iou") == (0.5, 1.0)


def test_threshold_ties_and_greater_or_equal(reference):
    assert reference.find_best_threshold([1, 1, 0, 0], [0.9, 0.8, 0.1, 0.2], thresholds=[0.7, 0.5, 0.3]) == (0.3, 1.0)
    assert reference.find_best_threshold([1, 0], [0.5, 0.2], thresholds=[0.5, 0.6]) == (0.5, 1.0)


def test_threshold_default_grid(reference):
    thresholds = reference.modules["threshold"].DEFAULT_THRESHOLDS
    assert len(thresholds) == 19 and thresholds[0] == 0.05 and thresholds[-1] == 0.95
    # 0.96 is salt at every candidate: all 19 score F1 = 1, so the lowest, 0.05, wins.
    assert reference.find_best_threshold([1], [0.96]) == (0.05, 1.0)


def test_threshold_errors(reference):
    with pytest.raises(ValueError, match="metric"):
        reference.find_best_threshold([0, 1], [0.1, 0.9], metric="accuracy")
    with pytest.raises(ValueError, match="empty"):
        reference.find_best_threshold([0, 1], [0.1, 0.9], thresholds=[])
    with pytest.raises(ValueError, match="shape"):
        reference.find_best_threshold([0, 1], [0.1, 0.9, 0.3])
    # SPEC, Clarifications: a non-binary y_true raises under both metrics (IoU has no precision() to refuse it).
    for metric in ("f1", "iou"):
        with pytest.raises(ValueError, match="0 and 1"):
            reference.find_best_threshold([0, 2], [0.1, 0.9], metric=metric)
