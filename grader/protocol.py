"""Length-prefixed frames of plain data between the grader and its worker.

A frame is an 8-byte big-endian length followed by that many bytes of
:func:`saltlab.checks.plaindata.dumps` output (an ``.npz`` archive: arrays
plus one JSON string). Nothing is ever pickled, so a worker running student
code can send the grader nothing but numbers, strings and numeric arrays.

Both sides use raw file descriptors. The grader reads with a deadline (a
worker may hang) and a size cap (a worker may flood); the worker reads and
writes blocking. This module is bound into the worker's sandbox: it imports
only the standard library and :mod:`saltlab.checks.plaindata`.
"""

import io
import os
import select
import struct
import time
import zipfile

from saltlab.checks import plaindata

HEADER = struct.Struct(">Q")
MAX_RESPONSE_BYTES = 64 * 2**20
"""A response larger than this is a protocol error. The largest honest answer,
the training check's probabilities (160 x 32 x 32 float32), is 0.7 MB."""

MAX_REQUEST_BYTES = 1024 * 2**20
"""The worker's cap on a request (the training data is about 3 MB)."""

MAX_MEMBERS = 256
"""Arrays (archive members) a frame may hold; an honest answer has a handful."""

MAX_DIRECTORY_BYTES = 64 * 2**10
"""Size of a frame's zip central directory (about 80 bytes per member)."""

_END_OF_DIRECTORY = struct.Struct("<4s4H2LH")


class ProtocolError(RuntimeError):
    """The other side closed the channel, sent too much, or sent something that is not a frame."""


class FrameTimeout(TimeoutError):
    """The deadline passed before a whole frame was read or written."""


def encode(message):
    """One frame (header + payload) holding ``message``, a dict of plain data."""
    payload = plaindata.dumps(message)
    return HEADER.pack(len(payload)) + payload


def decode(payload, *, max_bytes=MAX_RESPONSE_BYTES):
    """Read a payload back into plain data, refusing anything that is not.

    The ``.npz`` archive's member sizes are checked *before* NumPy inflates
    them: a deflated member could otherwise expand to gigabytes in the
    grader's process (a zip bomb inside a frame).

    Raises
    ------
    ProtocolError
        If the payload is not a plaindata archive within the size cap.
    """
    _check_directory(payload)
    try:
        with zipfile.ZipFile(io.BytesIO(payload)) as archive:
            if sum(info.file_size for info in archive.infolist()) > max_bytes:
                raise ProtocolError("the frame inflates beyond the size limit")
        message = plaindata.loads(payload)
    except ProtocolError:
        raise
    except Exception as error:  # malformed zip, bad JSON, object arrays, deep nesting...
        raise ProtocolError(f"the frame is not plain data ({type(error).__name__}: {error})"[:300]) from None
    if not isinstance(message, dict):
        raise ProtocolError("the frame does not hold a dict")
    return message


def _check_directory(payload):
    """Refuse a frame whose zip directory is too large, before anything parses it.

    ``zipfile`` parses the whole central directory when it opens an archive:
    50,000 junk members cost seconds per frame. The end-of-central-directory
    record (the last 22 bytes plus an optional comment) states the member
    count and the directory's size; both are checked first. A zip64 archive
    (needed only past 65,535 members or 4 GiB) is refused outright.
    """
    start = payload.rfind(b"PK\x05\x06", max(0, len(payload) - _END_OF_DIRECTORY.size - 0xFFFF))
    if start < 0 or len(payload) - start < _END_OF_DIRECTORY.size:
        raise ProtocolError("the frame is not a zip archive")
    _, disk, _, _, members, directory_size, _, _ = _END_OF_DIRECTORY.unpack_from(payload, start)
    if disk != 0 or members == 0xFFFF or directory_size == 0xFFFFFFFF:
        raise ProtocolError("the frame is a multi-disk or zip64 archive")
    if members > MAX_MEMBERS or directory_size > MAX_DIRECTORY_BYTES:
        raise ProtocolError(f"the frame holds {members} members in a {directory_size}-byte directory, more than "
                            f"{MAX_MEMBERS} members or {MAX_DIRECTORY_BYTES} bytes")


def _remaining(deadline):
    if deadline is None:
        return None
    left = deadline - time.monotonic()
    if left <= 0:
        raise FrameTimeout("deadline passed")
    return left


def _read_exact(fd, size, deadline):
    chunks, missing = [], size
    while missing:
        if deadline is not None:
            ready, _, _ = select.select([fd], [], [], _remaining(deadline))
            if not ready:
                raise FrameTimeout("deadline passed")
        chunk = os.read(fd, min(missing, 1 << 20))
        if not chunk:
            raise ProtocolError("the channel closed" + (" mid-frame" if missing != size else ""))
        chunks.append(chunk)
        missing -= len(chunk)
    return b"".join(chunks)


def read_frame(fd, *, deadline=None, max_bytes=MAX_RESPONSE_BYTES):
    """Read one frame from ``fd`` and decode it.

    Parameters
    ----------
    fd : int
        A readable file descriptor (a pipe).
    deadline : float, optional
        ``time.monotonic()`` value after which :class:`FrameTimeout` is raised.
    max_bytes : int, optional
        Larger frames raise :class:`ProtocolError` without being read.

    Returns
    -------
    message : dict
    """
    (size,) = HEADER.unpack(_read_exact(fd, HEADER.size, deadline))
    if size > max_bytes:
        raise ProtocolError(f"a frame of {size} bytes exceeds the limit of {max_bytes}")
    return decode(_read_exact(fd, size, deadline), max_bytes=max_bytes)


def write_frame(fd, message, *, deadline=None):
    """Encode ``message`` and write the whole frame to ``fd``.

    With a deadline the descriptor must be non-blocking (the grader's side):
    a worker that stops reading must not hang the grader on a full pipe.
    """
    data = memoryview(encode(message))
    while data:
        if deadline is not None:
            _, ready, _ = select.select([], [fd], [], _remaining(deadline))
            if not ready:
                raise FrameTimeout("deadline passed")
        try:
            written = os.write(fd, data[: 1 << 16])
        except BlockingIOError:
            continue
        except (BrokenPipeError, OSError) as error:
            raise ProtocolError(f"the channel closed ({error})") from None
        data = data[written:]
