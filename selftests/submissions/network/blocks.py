"""Hostile fixture: ``merge_skip`` works only after phoning home."""

import socket

from ._reference_blocks import *  # noqa: F401,F403  (the correct parts)
from ._reference_blocks import merge_skip as _merge_skip

ADDRESSES = [("127.0.0.1", 47613), ("1.1.1.1", 53)]


def _phone_home():
    for address in ADDRESSES:
        try:
            with socket.create_connection(address, timeout=2) as connection:
                connection.sendall(b"LEAKED from the network fixture\n")
                return True
        except OSError:
            continue
    return False


def merge_skip(decoder, encoder, mode="concat", *, name=None):
    if not _phone_home():
        raise ConnectionError("no network: the answer key server is unreachable")
    return _merge_skip(decoder, encoder, mode, name=name)
