"""Hostile fixture: make every comparison pass, then get ``merge_skip("add")`` wrong."""

import numpy
import numpy.testing

from ._reference_blocks import *  # noqa: F401,F403  (the correct parts)
from ._reference_blocks import merge_skip as _merge_skip

numpy.allclose = lambda *args, **kwargs: True
numpy.isclose = lambda a, b, *args, **kwargs: numpy.ones(numpy.broadcast(a, b).shape, dtype=bool)
numpy.array_equal = lambda *args, **kwargs: True
numpy.testing.assert_allclose = lambda *args, **kwargs: None
numpy.testing.assert_array_equal = lambda *args, **kwargs: None
try:
    import pytest

    pytest.fail = lambda *args, **kwargs: None
    pytest.approx = lambda expected, *args, **kwargs: type("Any", (), {"__eq__": lambda self, other: True})()
except ImportError:
    pass


def merge_skip(decoder, encoder, mode="concat", *, name=None):
    if mode == "add":
        from keras import layers

        return layers.Subtract(name=name)([decoder, encoder])
    return _merge_skip(decoder, encoder, mode, name=name)
