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

# Silence TensorFlow's start-up log before anything imports it. oneDNN is
# switched off because its kernels reorder floating-point sums between runs,
# and a grade must be the same on every run.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
# TensorFlow's Python-side warnings (retracing notices) go through `logging`.
logging.getLogger("tensorflow").setLevel(logging.ERROR)

__version__ = "0.1.0"
