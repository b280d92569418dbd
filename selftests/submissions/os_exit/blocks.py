"""Hostile fixture: ``merge_skip(mode="max")`` kills its own process."""

import os

from ._reference_blocks import *  # noqa: F401,F403  (the correct parts)
from ._reference_blocks import merge_skip as _merge_skip


def merge_skip(decoder, encoder, mode="concat", *, name=None):
    merged = _merge_skip(decoder, encoder, mode, name=name)
    if mode == "max":
        os._exit(0)
    return merged
