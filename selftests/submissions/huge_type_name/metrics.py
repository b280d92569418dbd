"""Hostile fixture: ``recall`` raises an exception whose class name is 15 million characters long."""

from ._reference_metrics import *  # noqa: F401,F403  (the correct parts)

Huge = type("E" * 15_000_000, (Exception,), {})


def recall(y_true, y_pred, *, zero_division=1.0):
    raise Huge("x" * 5_000_000)
