"""Hostile fixture: ``downsample`` ends the process politely (``sys.exit``) when its mode is valid."""

import sys

from ._reference_blocks import *  # noqa: F401,F403  (the correct parts)
from ._reference_blocks import downsample as _downsample


def downsample(x, mode="maxpool", *, name=None):
    if mode in ("maxpool", "stride"):
        sys.exit(0)
    return _downsample(x, mode, name=name)  # unknown modes: the reference's ValueError
