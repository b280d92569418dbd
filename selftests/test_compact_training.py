"""The training check's one-call training loop: Keras's Adam, Keras's forward pass, deterministic."""

import keras
import numpy as np
import pytest

from saltlab.compact_training import batch_order, train_compact
from saltlab.seeding import seed_everything
from saltlab.training import bce_dice_loss


def tiny_model(seed):
    """A two-convolution segmenter with batch normalisation: small, but every kind of variable."""
    seed_everything(seed)
    inputs = keras.Input((8, 8, 1))
    # No bias before batch normalisation (as the course's blocks): its gradient would be
    # round-off, which Adam scales up to full steps, so two correct trainings could not agree.
    x = keras.layers.Conv2D(4, 3, padding="same", use_bias=False)(inputs)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.ReLU()(x)
    outputs = keras.layers.Conv2D(1, 1, activation="sigmoid")(x)
    return keras.Model(inputs, outputs)


def tiny_data(n=12):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((n, 8, 8, 1)).astype(np.float32)
    y = (x > 0.3).astype(np.float32)
    return x, y


@pytest.mark.parametrize("cosine", [False, True])
def test_each_step_is_the_update_keras_adam_makes(cosine):
    """Six steps of train_compact land where keras.optimizers.Adam (and its CosineDecay) lands on the same batches."""
    x, y = tiny_data(12)
    compact = tiny_model(0)
    losses = train_compact(compact, x, y, loss=bce_dice_loss, epochs=2, batch_size=4, learning_rate=0.01, seed=5,
                           cosine=cosine)

    reference = tiny_model(0)
    rate = keras.optimizers.schedules.CosineDecay(0.01, decay_steps=6) if cosine else 0.01
    reference.compile(optimizer=keras.optimizers.Adam(rate), loss=bce_dice_loss)
    order = batch_order(12, batch_size=4, epochs=2, seed=5)
    for step, batch in enumerate(order):
        loss = reference.train_on_batch(x[batch], y[batch])
        assert loss == pytest.approx(losses[step], rel=1e-4)
    for got, expected in zip(compact.weights, reference.weights):  # BN moving statistics included
        np.testing.assert_allclose(np.asarray(got), np.asarray(expected), rtol=1e-4, atol=1e-6, err_msg=got.path)
    assert not np.allclose(np.asarray(compact.weights[0]), np.asarray(tiny_model(0).weights[0]))  # it trained


def test_same_seed_same_weights_bit_for_bit():
    x, y = tiny_data(16)
    runs = []
    for _ in range(2):
        model = tiny_model(1)
        losses = train_compact(model, x, y, loss=bce_dice_loss, epochs=3, batch_size=4, learning_rate=0.01, seed=2)
        runs.append((losses, [np.asarray(w) for w in model.weights]))
    np.testing.assert_array_equal(runs[0][0], runs[1][0])
    for first, second in zip(runs[0][1], runs[1][1]):
        np.testing.assert_array_equal(first, second)


def test_losses_are_one_per_step_and_the_loss_falls():
    x, y = tiny_data(16)
    losses = train_compact(tiny_model(2), x, y, loss=bce_dice_loss, epochs=5, batch_size=4, learning_rate=0.02, seed=0)
    assert losses.shape == (5 * 4,) and np.isfinite(losses).all()
    assert losses[-4:].mean() < losses[:4].mean()


def test_batch_order_reshuffles_and_rejects_impossible_batches():
    order = batch_order(10, batch_size=3, epochs=2, seed=0)
    assert order.shape == (6, 3)
    assert not np.array_equal(order[:3], order[3:])  # a new order each epoch
    with pytest.raises(ValueError, match="batch_size must be between 1 and the 2 training images, got 3"):
        batch_order(2, batch_size=3, epochs=1, seed=0)
