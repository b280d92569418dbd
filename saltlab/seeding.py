"""One seeding helper, used everywhere something random happens."""

import os
import random

import numpy as np

_determinism_enabled = False


def seed_everything(seed):
    """Seed Python, NumPy, Keras and TensorFlow, and make TF ops deterministic.

    Parameters
    ----------
    seed : int
        The seed; the same seed gives the same weights, batches and scores.

    Notes
    -----
    ``tf.config.experimental.enable_op_determinism`` makes TensorFlow pick
    deterministic kernels, so two trainings with the same seed produce the
    same weights bit for bit on the same machine. It is switched on once and
    stays on for the process.
    """
    global _determinism_enabled
    seed = int(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)
    random.seed(seed)
    np.random.seed(seed)
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    if not _determinism_enabled:
        tf.config.experimental.enable_op_determinism()
        _determinism_enabled = True
