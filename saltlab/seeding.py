"""One seeding helper, used everywhere something random happens."""

import os
import random

import numpy as np

_determinism_enabled = False

GRADING_INTRA_OP_THREADS = 1
"""Threads of one TensorFlow kernel while checks run: one, on every machine.

TensorFlow splits a kernel's work (a reduction, a convolution) over as many
threads as the process may use, and float32 sums added in another grouping
round differently. Measured: the public maxpool-concat training, 2 epochs,
gave other probabilities under ``taskset -c 0`` than on 2 cores (final loss
1.1299726 against 1.1299695), and the same bytes on both with one thread. So
a grade's IoU and learning curve depended on the grading machine's core
count: shards on unlike cluster nodes, or ``grader explain`` on another
machine, could not reproduce a one-run grade. One thread also costs nothing
here: the training check's small U-Net ran as fast with one as with two
(4 trainings: 23.5 s against 26.7 s, machine shared), and a batch grading two
students at once (``--jobs 2``) no longer oversubscribes the cores."""


def pin_grading_threads():
    """Run TensorFlow kernels on :data:`GRADING_INTRA_OP_THREADS` threads in this process.

    Called before TensorFlow runs anything by every process that runs checks
    (the grader's worker, ``make test``'s pytest plugin, the fixtures and the
    benchmarks). Imports TensorFlow and sets its threading configuration,
    which wins over a ``TF_NUM_INTRAOP_THREADS`` in the environment. Not
    through the environment: child processes (the experiments and demos a
    selftest starts) keep every thread their bigger networks use.

    Raises
    ------
    RuntimeError
        If TensorFlow already ran an operation with another setting: the
        checks would then compute differently from the grader's.
    """
    from .tensorflow_import import import_tensorflow

    tf = import_tensorflow()
    try:
        tf.config.threading.set_intra_op_parallelism_threads(GRADING_INTRA_OP_THREADS)
    except RuntimeError as error:
        raise RuntimeError(
            "pin_grading_threads: TensorFlow already started with another number of threads per kernel; "
            "call saltlab.seeding.pin_grading_threads() before any TensorFlow operation runs, or the "
            f"training checks compute differently from the grader's ({error})") from None


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
