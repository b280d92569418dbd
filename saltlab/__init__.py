"""saltlab: the support code of the salt-segmentation course assignment.

Neither graded nor grading, one concept per folder or module: :mod:`.data`
(sources, preprocessing both ways, split, batches), :mod:`.models` (assembly
from an implementation's blocks), :mod:`.training`, :mod:`.evaluation`
(every score and curve), :mod:`.plots`, :mod:`.checks` (the graded checks),
:mod:`.experiments` (variants, presets, runner, summary), and for
instructors only :mod:`.authoring` (what students get) and
:mod:`.benchmarks`. It never imports ``assignment`` or ``solutions`` by
name: each entry point loads the implementation once and passes it in (see
:mod:`saltlab.impl`).
"""

import logging
import os

# Silence TensorFlow's start-up log before anything imports it. oneDNN's
# kernels are on, and set explicitly so every process (tests, grader, worker)
# computes the same way: they halve the training check's time on 2 cores
# (measured, 64x64 U-Net: 15.3 s -> 8.0 s of CPU for 3 epochs). Their results
# differ from TensorFlow's own kernels by float32 round-off (TensorFlow's
# start-up notice says so), within the numerics checks' tolerance
# (saltlab.checks.tolerance); run to run on one machine they are identical
# (same seed, 4 processes, machine idle and loaded: identical probabilities
# bit for bit), and selftests/test_grader_batch.py re-grades to check it.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
# TensorFlow's Python-side warnings (retracing notices) go through `logging`.
logging.getLogger("tensorflow").setLevel(logging.ERROR)

__version__ = "0.1.0"
