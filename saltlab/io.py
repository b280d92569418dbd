"""Writing files so that a crash never leaves half of one."""

import os
from pathlib import Path


def write_atomic(path, data):
    """Write ``data`` to ``path`` through a temporary file renamed into place.

    Readers see the old file or the new one, never a partial one: the data
    goes to ``<path>.tmp`` beside the target and :func:`os.replace` swaps it
    in (atomic on POSIX and Windows within one file system).

    Parameters
    ----------
    path : str or os.PathLike
        The file to write; its folder must exist.
    data : str or bytes
        ``str`` is written as UTF-8.

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
    tmp = path.with_name(path.name + ".tmp")
    try:
        with open(tmp, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path
