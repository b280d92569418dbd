"""``make test``'s helper process: the training data and the figures, made beside the tests.

The public tests spend their first 7 s importing TensorFlow on one core, and
their trainings keep the interpreter lock busy building and tracing networks.
Work that needs neither TensorFlow nor that lock goes to one helper process,
started with ``spawn`` (a fresh interpreter: safe on every platform, and it
never imports TensorFlow):

- the training checks' synthetic data (:func:`.training_checks.prefetch_check_data`),
  made while the tests' process imports TensorFlow;
- matplotlib's import and the figures' showcase images, warmed up then too;
- the training figures, drawn there while the next training runs.

Measured on 2 cores (``make test IMPL=solutions``, see README "How long a
class takes"): a thread did not do for the data, it held the interpreter lock
so often that the import took 1.5 s longer and the data 5.5 s instead of 2.

Nothing graded runs here: the data is the same bytes in any process
(``selftests/test_data_synthetic.py``), and if the helper fails, the data is
made in the tests' process and a figure that was not written is reported.
"""

import multiprocessing
from concurrent.futures import ProcessPoolExecutor


def start_helper():
    """A one-process pool, started with ``spawn``; None if this platform cannot start one."""
    try:
        return ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
    except (OSError, ValueError, NotImplementedError):
        return None


def warm_up_figures(size):
    """Import matplotlib and make the showcase images, so the first figure is drawn at once."""
    from . import training_feedback
    from .. import plots  # noqa: F401  (imports matplotlib)

    training_feedback.showcase(size)


def draw_figure(path, figure, title):
    """Write the training figure ``figure`` (from :func:`.training_feedback.figure_data`) as a PNG at ``path``."""
    from ..io import write_atomic
    from .training_feedback import render_figure

    write_atomic(path, render_figure(figure, title=title))
