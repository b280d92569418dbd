"""Hostile fixture: floods stdout and stderr; every function is correct."""

import sys

from ._reference_metrics import *  # noqa: F401,F403  (the correct parts)
from ._reference_metrics import precision as _precision

for _ in range(300):
    print("x" * 100_000)
sys.stderr.write("e" * 1_000_000)


def precision(y_true, y_pred, *, zero_division=1.0):
    print("y" * 1_000_000)
    return _precision(y_true, y_pred, zero_division=zero_division)
