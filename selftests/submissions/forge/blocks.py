"""Hostile fixture (with forge/__init__.py): ``downsample("stride")`` is left unimplemented."""

from ._reference_blocks import *  # noqa: F401,F403  (the correct parts)
from ._reference_blocks import downsample as _downsample


def downsample(x, mode="maxpool", *, name=None):
    if mode == "stride":
        raise NotImplementedError("downsample: the stride mode is not done")
    return _downsample(x, mode, name=name)
