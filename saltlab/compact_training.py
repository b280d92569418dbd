"""A whole training run as one traced TensorFlow function: what the training check uses.

``model.fit`` is the course's way to train, and the right one for the demo
and the experiments. For the grader's training check it is the wrong tool:
measured with ``cProfile`` on a small U-Net, four fifths of a short run's
CPU time went into tracing Keras's training step, most of it the
optimizer's per-variable update machinery (distribution-strategy merge
calls), paid again for every model. This module trains with the same
ingredients, written as plain TensorFlow operations and traced once per
model: every epoch and every batch run inside one ``tf.function`` call,
with Adam written out (about 10 operations per variable) and the batches
drawn from an order fixed in NumPy before the call.

What stays as in ``model.fit``: the model's own forward pass with
``training=True`` (batch normalisation updates its moving statistics),
automatic differentiation through the student's layers, Adam with Keras's
default hyper-parameters, reshuffling every epoch. What differs: the
batches of an epoch are ``n // batch_size`` full batches (the remainder is
left out of that epoch; reshuffling gives every image its turn), and the
losses come back as one value per step, for the learning curve.
"""

import numpy as np

ADAM = dict(beta_1=0.9, beta_2=0.999, epsilon=1e-7)
"""Keras's Adam defaults (``keras.optimizers.Adam``), so the two trainings mean the same thing."""


def batch_order(n, *, batch_size, epochs, seed):
    """The images of every batch of every epoch, reshuffled each epoch.

    Parameters
    ----------
    n : int
        Number of training images.
    batch_size, epochs, seed : int

    Returns
    -------
    order : np.ndarray, int32, shape (epochs * (n // batch_size), batch_size)
        Row ``e * steps + s`` holds the image indices of step ``s`` of epoch ``e``.

    Examples
    --------
    >>> order = batch_order(10, batch_size=4, epochs=2, seed=0)
    >>> order.shape
    (4, 4)
    >>> len(set(order[:2].ravel()))  # no image twice in one epoch
    8
    """
    if batch_size < 1 or n < batch_size:
        raise ValueError(f"batch_size must be between 1 and the {n} training images, got {batch_size}")
    steps = n // batch_size
    rng = np.random.default_rng(seed)
    epochs_order = [rng.permutation(n)[: steps * batch_size] for _ in range(epochs)]
    return np.concatenate(epochs_order).reshape(epochs * steps, batch_size).astype(np.int32)


def train_compact(model, x, y, *, loss, epochs, batch_size, learning_rate, seed, cosine=False):
    """Train ``model`` on ``(x, y)`` with Adam, in one call of one traced function.

    The same as ``compile_training(...)()``: see :func:`compile_training`
    for the parameters.

    Returns
    -------
    losses : np.ndarray, float32, shape (epochs * (N // batch_size),)
        The training loss of every step, in order.
    """
    return compile_training(model, x, y, loss=loss, epochs=epochs, batch_size=batch_size,
                            learning_rate=learning_rate, seed=seed, cosine=cosine)()


def compile_training(model, x, y, *, loss, epochs, batch_size, learning_rate, seed, cosine=False):
    """Trace a whole training of ``model`` on ``(x, y)`` with Adam; return the function that runs it.

    Tracing runs the model's Python code (the student's layers) and reads
    TensorFlow's global seed; running executes the traced graph and nothing
    else. The training check traces under a lock and runs outside it, so
    that trainings can run side by side and still compute what each computes
    alone (:mod:`saltlab.checks.training_checks`).

    Parameters
    ----------
    model : keras.Model
        Maps float32 ``(B, H, W, C)`` to ``(B, H, W, 1)`` probabilities.
    x : np.ndarray, float32, shape (N, H, W, C)
    y : np.ndarray, float32, shape (N, H, W, 1)
    loss : callable
        ``loss(y_true, y_prob) -> scalar tensor``, e.g.
        :func:`saltlab.training.bce_dice_loss`.
    epochs, batch_size : int
    learning_rate : float
    seed : int
        Fixes the batch order (the weights' initial values are fixed by the
        caller's seeding before the model was built).
    cosine : bool, optional
        Decay the learning rate from ``learning_rate`` to 0 over the run
        along a half cosine, as ``keras.optimizers.schedules.CosineDecay``
        with ``decay_steps`` the number of steps: the last epochs then
        settle instead of oscillating.

    Returns
    -------
    run : callable () -> np.ndarray, float32, shape (epochs * (N // batch_size),)
        Runs the training (once) and returns the loss of every step, in order.
    """
    import tensorflow as tf

    order = tf.constant(batch_order(len(x), batch_size=batch_size, epochs=epochs, seed=seed))
    x, y = tf.constant(x, dtype=tf.float32), tf.constant(y, dtype=tf.float32)
    variables = list(model.trainable_variables)
    # Adam's first and second moments, one pair per variable, created outside the traced function.
    first = [tf.Variable(tf.zeros(v.shape, dtype=v.dtype), trainable=False) for v in variables]
    second = [tf.Variable(tf.zeros(v.shape, dtype=v.dtype), trainable=False) for v in variables]
    beta_1, beta_2, epsilon = ADAM["beta_1"], ADAM["beta_2"], ADAM["epsilon"]
    total = float(order.shape[0])

    @tf.function(autograph=True, reduce_retracing=True)
    def run(x, y, order):
        losses = tf.TensorArray(tf.float32, size=tf.shape(order)[0])
        for step in tf.range(tf.shape(order)[0]):
            batch = order[step]
            x_batch, y_batch = tf.gather(x, batch), tf.gather(y, batch)
            with tf.GradientTape() as tape:
                value = loss(y_batch, model(x_batch, training=True))
            gradients = tape.gradient(value, variables)
            t = tf.cast(step + 1, tf.float32)
            rate = learning_rate
            if cosine:  # Keras evaluates its schedule at the step count before this step
                rate = learning_rate * 0.5 * (1.0 + tf.cos(np.pi * tf.cast(step, tf.float32) / total))
            beta_1_power, beta_2_power = beta_1**t, beta_2**t
            for variable, gradient, m, v in zip(variables, gradients, first, second):
                if gradient is None:  # a variable the loss does not reach (a student's unused layer)
                    continue
                # One fused kernel per variable: the update keras.optimizers.Adam makes, in
                # one operation instead of ten (the per-step cost of a small U-Net is mostly
                # the number of operations, not their size).
                tf.raw_ops.ResourceApplyAdam(
                    var=variable.value.handle, m=m.handle, v=v.handle, beta1_power=beta_1_power,
                    beta2_power=beta_2_power, lr=rate, beta1=beta_1, beta2=beta_2, epsilon=epsilon,
                    grad=gradient)
            losses = losses.write(step, tf.cast(value, tf.float32))
        return losses.stack()

    traced = run.get_concrete_function(x, y, order)
    return lambda: traced(x, y, order).numpy()
