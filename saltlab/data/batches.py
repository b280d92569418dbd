"""``tf.data`` batches for training, deterministic given a seed.

TensorFlow is imported inside :func:`make_batches` only, so importing
:mod:`saltlab.data` stays light.
"""

import numpy as np


def make_batches(x, y, *, batch_size=32, shuffle=True, augment=False, seed=0,
                 drop_remainder=False):
    """A ``tf.data.Dataset`` of (image, mask) batches.

    Indices are shuffled (per epoch, from ``seed``), batched, then gathered
    and flipped a whole batch at a time (one vectorised op per batch instead
    of one per image), and batches are prefetched so the next batch is
    prepared on one core while the training step runs.

    Parameters
    ----------
    x : numpy.ndarray, float32, shape (N, 128, 128, 1)
        Network inputs (see :func:`saltlab.data.to_network_input`).
    y : numpy.ndarray, float32, shape (N, 128, 128, 1)
        Masks (see :func:`saltlab.data.masks_to_network`).
    batch_size : int, optional
    shuffle : bool, optional
        Reshuffle every epoch (each pass over the dataset).
    augment : bool, optional
        Flip each pair left-right with probability 1/2, image and mask
        together.
    seed : int, optional
        Same data and seed: same batches, epoch after epoch.
    drop_remainder : bool, optional
        Drop a last, smaller batch.

    Returns
    -------
    tf.data.Dataset
        Elements ``(x_batch, y_batch)``, float32, (B, 128, 128, 1) each.
    """
    import tensorflow as tf

    x = np.asarray(x, dtype=np.float32)
    y = np.asarray(y, dtype=np.float32)
    if x.shape[0] != y.shape[0] or x.ndim != 4 or y.ndim != 4:
        raise ValueError(
            f"make_batches: x {x.shape} and y {y.shape}; expected two "
            "(N, H, W, C) arrays with the same N"
        )
    if batch_size < 1:
        raise ValueError(f"make_batches: batch_size must be >= 1, got {batch_size}")
    n = x.shape[0]
    seed = int(seed)
    x_all = tf.constant(x)
    y_all = tf.constant(y)

    order = tf.data.Dataset.range(n)
    if shuffle:
        order = order.shuffle(n, seed=seed, reshuffle_each_iteration=True)
    order = order.batch(batch_size, drop_remainder=drop_remainder)

    if augment:
        # One (2,) stateless seed per batch, itself drawn from a seeded
        # stream that moves on each epoch.
        seeds = tf.data.Dataset.random(
            seed=seed, rerandomize_each_iteration=True
        ).batch(2)
        order = tf.data.Dataset.zip((order, seeds))

        def gather(index, pair_seed):
            xb = tf.gather(x_all, index)
            yb = tf.gather(y_all, index)
            flip = tf.random.stateless_uniform(tf.shape(index), pair_seed) < 0.5
            flip = tf.reshape(flip, (-1, 1, 1, 1))
            return (tf.where(flip, tf.reverse(xb, axis=[2]), xb),
                    tf.where(flip, tf.reverse(yb, axis=[2]), yb))
    else:
        def gather(index):
            return tf.gather(x_all, index), tf.gather(y_all, index)

    batches = order.map(gather, num_parallel_calls=tf.data.AUTOTUNE,
                        deterministic=True)
    return batches.prefetch(tf.data.AUTOTUNE)
