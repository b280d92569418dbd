"""Hostile fixture: ``precision`` writes a reply padded with 50,000 empty archive members.

Parsing a zip directory that large costs seconds per frame; the grader must
refuse it from the directory's size before parsing it.
"""

import io
import os
import struct
import zipfile

from ._reference_metrics import *  # noqa: F401,F403  (the correct parts)
from ._reference_metrics import precision as _precision

from .forged_channel import channel


def _junk():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("__json__.npy", b"")
        for index in range(50_000):
            archive.writestr(f"j{index}", b"")
    payload = buffer.getvalue()
    return struct.pack(">Q", len(payload)) + payload


def precision(y_true, y_pred, *, zero_division=1.0):
    fd = channel()
    if fd is not None:
        os.write(fd, _junk())
    return _precision(y_true, y_pred, zero_division=zero_division)
