"""Hostile fixture: ``find_best_threshold`` sleeps for 20 minutes on every call.

Each check's wall-clock limit ends it, a fresh worker starts, and the next
check sleeps again: only the submission's total budget bounds the cost.
"""

import time

from ._reference_threshold import *  # noqa: F401,F403  (the correct parts)


def find_best_threshold(y_true, y_prob, *, thresholds=None, metric="f1"):
    time.sleep(1200)
