"""Hostile fixture: ``find_best_threshold`` returns wrong numbers that claim to equal anything."""

import builtins

from ._reference_threshold import *  # noqa: F401,F403  (the correct parts)
from ._reference_threshold import find_best_threshold as _find_best_threshold


class float(builtins.float):  # noqa: A001  (named 'float' so type(x).__name__ == "float")
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = builtins.float.__hash__

    def __lt__(self, other):
        return False

    __le__ = __ge__ = __gt__ = lambda self, other: True


def find_best_threshold(y_true, y_prob, *, thresholds=None, metric="f1"):
    _find_best_threshold(y_true, y_prob, thresholds=thresholds, metric=metric)  # keeps the ValueErrors right
    return float(0.5), float(0.0)
