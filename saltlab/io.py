"""Writing files so that a crash never leaves half of one."""

import os
import tempfile
from pathlib import Path


def write_atomic(path, data, mode=0o644):
    """Write ``data`` to ``path`` through a temporary file renamed into place.

    Readers see the old file or the new one, never a partial one: the data
    goes to a uniquely named temporary file beside the target (created 0600
    by :func:`tempfile.mkstemp`, so a private file is never readable by
    others, not even for a moment) and :func:`os.replace` swaps it in
    (atomic on POSIX and Windows within one file system).

    Parameters
    ----------
    path : str or os.PathLike
        The file to write; its folder must exist.
    data : str or bytes
        ``str`` is written as UTF-8.
    mode : int, optional
        The file's permissions: 0o644 for what may be shared, 0o600 for
        what only its owner may read (the grader's ``grade.json``).

    Returns
    -------
    path : pathlib.Path

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> write_atomic(folder / "a.txt", "salt\\n").read_text()
    'salt\\n'
    >>> sorted(p.name for p in folder.iterdir())  # no temporary file left behind
    ['a.txt']
    """
    path = Path(path)
    if isinstance(data, str):
        data = data.encode("utf-8")
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path
