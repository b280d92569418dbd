"""Hostile fixture: ``conv_block`` fills memory, 256 MiB at a time, until it runs out."""

import numpy as np

from ._reference_blocks import *  # noqa: F401,F403  (the correct parts)


def conv_block(x, filters, *, kernel_size=3, batchnorm=False, name=None):
    hoard = []
    while True:
        hoard.append(np.ones(2**25))  # touched pages: real memory, not just address space
