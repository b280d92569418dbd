"""Hostile fixture: ``conv_block`` forks four children that each fill 1 GiB.

``RLIMIT_AS`` is per process, so each child stays under it; only a limit on
the worker's processes together (its control group) stops the sum. If every
child fills its gigabyte, the attack worked and the block answers correctly
(full marks, status ok); if the kernel killed one, it raises MemoryError.
"""

import os
import signal

from ._reference_blocks import *  # noqa: F401,F403  (the correct parts)
from ._reference_blocks import conv_block as _conv_block


def conv_block(x, filters, *, kernel_size=3, batchnorm=False, name=None):
    children = []
    for _ in range(4):
        pid = os.fork()
        if pid == 0:
            try:
                block = bytearray(2**30)
                block[::4096] = b"x" * len(block[::4096])  # touch every page
            finally:
                os._exit(0)
        children.append(pid)
    statuses = [os.waitpid(pid, 0)[1] for pid in children]
    if any(os.WIFSIGNALED(s) and os.WTERMSIG(s) == signal.SIGKILL for s in statuses):
        raise MemoryError("a child was killed for memory")
    return _conv_block(x, filters, kernel_size=kernel_size, batchnorm=batchnorm, name=name)
