"""Hostile fixture: ``recall`` never returns when ``zero_division != 1.0``."""

from ._reference_metrics import *  # noqa: F401,F403  (the correct parts)
from ._reference_metrics import recall as _recall


def recall(y_true, y_pred, *, zero_division=1.0):
    while zero_division != 1.0:
        pass
    return _recall(y_true, y_pred, zero_division=zero_division)
