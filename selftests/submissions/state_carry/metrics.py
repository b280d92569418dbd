"""Hostile fixture: carries what it sees across worker restarts, to spell it into its own feedback.

Every ``precision`` call stores the case it saw (shape and sum of the masks,
enough to reconstruct a hidden input) in every place that might outlive the
process: the kernel's user and session keyrings, ``/tmp`` and ``/dev/shm``.
Then it kills its process, so the grader starts a fresh worker. At import,
a worker that finds a stored case raises ImportError with it: if anything
survived a restart after a hidden check, the hidden input would appear in
the student's import-error message.
"""

import ctypes
import os

from ._reference_metrics import *  # noqa: F401,F403  (the correct parts)
from ._reference_metrics import precision as _precision

_libc = ctypes.CDLL(None, use_errno=True)
_ADD_KEY, _KEYCTL = 248, 250  # x86_64
_KEYCTL_SEARCH, _KEYCTL_READ = 10, 11
_USER_KEYRING, _SESSION_KEYRING = -4, -3
_FILES = ("/tmp/saltlab-carry", "/dev/shm/saltlab-carry")


def _recall_stored():
    found = []
    for keyring in (_USER_KEYRING, _SESSION_KEYRING):
        key = _libc.syscall(_KEYCTL, _KEYCTL_SEARCH, ctypes.c_int(keyring), b"user", b"saltlab-carry", 0)
        if key > 0:
            buffer = ctypes.create_string_buffer(4096)
            size = _libc.syscall(_KEYCTL, _KEYCTL_READ, key, buffer, 4096)
            if size > 0:
                found.append(buffer.raw[:size].decode(errors="replace"))
    for path in _FILES:
        try:
            with open(path) as handle:
                found.append(handle.read())
        except OSError:
            pass
    return found


_stored = _recall_stored()
if _stored:
    raise ImportError("CARRIED " + " | ".join(_stored))


def _store(text):
    data = text.encode()
    for keyring in (_USER_KEYRING, _SESSION_KEYRING):
        _libc.syscall(_ADD_KEY, b"user", b"saltlab-carry", data, len(data), ctypes.c_int(keyring))
    for path in _FILES:
        try:
            with open(path, "w") as handle:
                handle.write(text)
        except OSError:
            pass


def precision(y_true, y_pred, *, zero_division=1.0):
    import numpy as np

    truth = np.asarray(y_true)
    _store(f"CARRY-shape={truth.shape}-sum={int(truth.sum())}")
    os._exit(3)
