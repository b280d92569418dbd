"""Hostile fixture: at import, writes a forged import report on the grader's private channel.

The worker moved its channel off fds 0 and 1, but a student can find the
pipe it writes to in /proc/self/fd. The forged frame claims an import error
whose text is 14 million characters (56 MB as a NumPy string, under the frame cap): the grader must cap what it keeps.
"""

import os
import struct

import numpy as np

from ._reference_metrics import *  # noqa: F401,F403  (the correct parts)
from .forged_channel import channel


def _frame(message):
    import io
    import json

    buffer = io.BytesIO()
    np.savez(buffer, __json__=np.array(json.dumps(message)))
    payload = buffer.getvalue()
    return struct.pack(">Q", len(payload)) + payload


_fd = channel()
if _fd is not None:
    os.write(_fd, _frame({"seq": 0, "ready": False, "kind": "import error", "error": "FORGED-IMPORT " * 1_000_000}))
