"""Run-length encoding of masks, exactly as the TGS Salt competition used it.

The competition's ``train.csv`` holds one string per image: pairs
``"start length"`` separated by single spaces, where ``start`` is a 1-based
pixel number counted down the columns first (column-major, Fortran order:
pixel 1 is the top-left, pixel 2 the one *below* it, pixel 102 the top of the
second column of a 101x101 image). An empty mask is the empty string.
"""

import numpy as np

SIZE = 101
"""Side of a TGS image and mask, in pixels."""


def rle_encode(mask):
    """Encode one binary mask as a competition run-length string.

    Parameters
    ----------
    mask : numpy.ndarray, shape (H, W)
        Binary mask; any non-zero value counts as salt.

    Returns
    -------
    str
        ``"start length start length ..."`` with 1-based starts in
        column-major order; ``""`` for an empty mask.

    Examples
    --------
    >>> rle_encode(np.array([[0, 1, 0], [1, 1, 0], [0, 0, 1]]))
    '2 1 4 2 9 1'
    """
    mask = np.asarray(mask)
    if mask.ndim != 2:
        raise ValueError(f"rle_encode expects one 2-D mask, got shape {mask.shape}")
    # Column-major flattening is the competition's pixel order.
    flat = (mask.ravel(order="F") != 0).astype(np.int8)
    # Pad with zeros so every run has a rising and a falling edge.
    edges = np.flatnonzero(np.diff(np.concatenate(([0], flat, [0]))))
    if edges.size == 0:
        return ""
    starts = edges[0::2] + 1  # 1-based
    lengths = edges[1::2] - edges[0::2]
    return " ".join(f"{s} {n}" for s, n in zip(starts.tolist(), lengths.tolist()))


def rle_decode(rle, shape=(SIZE, SIZE)):
    """Decode a competition run-length string into a mask.

    Parameters
    ----------
    rle : str or None
        ``"start length ..."`` pairs (1-based, column-major). ``""``, ``None``
        or a float NaN (what pandas reads for an empty CSV cell) mean an
        empty mask.
    shape : tuple of int, optional
        ``(H, W)`` of the mask, ``(101, 101)`` by default.

    Returns
    -------
    numpy.ndarray, shape (H, W), dtype uint8
        Values in {0, 1}.

    Raises
    ------
    ValueError
        If the string is not pairs of positive integers, a run leaves the
        image, or runs overlap or are out of order.
    """
    height, width = shape
    flat = np.zeros(height * width, dtype=np.uint8)
    if rle is None or (isinstance(rle, float) and np.isnan(rle)):
        return flat.reshape(shape, order="F")
    text = str(rle).strip()
    if not text:
        return flat.reshape(shape, order="F")
    try:
        numbers = np.array([int(tok) for tok in text.split()], dtype=np.int64)
    except ValueError:
        raise ValueError(
            f"run-length string {_short(text)!r} is not integers separated by spaces"
        ) from None
    if numbers.size % 2:
        raise ValueError(
            f"run-length string {_short(text)!r} has an odd count of numbers "
            f"({numbers.size}); expected 'start length' pairs"
        )
    starts, lengths = numbers[0::2] - 1, numbers[1::2]
    if (starts < 0).any() or (lengths < 1).any():
        raise ValueError(
            f"run-length string {_short(text)!r} has a start < 1 or a length < 1"
        )
    ends = starts + lengths
    if ends.max() > flat.size:
        raise ValueError(
            f"run-length string {_short(text)!r} runs past pixel {flat.size} "
            f"of a {height}x{width} mask"
        )
    if (starts[1:] < ends[:-1]).any():
        raise ValueError(
            f"run-length string {_short(text)!r} has overlapping or unsorted runs"
        )
    # Mark run boundaries (+1 at starts, -1 at ends) and integrate: one pass,
    # no Python loop over runs.
    marks = np.zeros(flat.size + 1, dtype=np.int32)
    np.add.at(marks, starts, 1)
    np.add.at(marks, ends, -1)
    flat = (np.cumsum(marks[:-1]) > 0).astype(np.uint8)
    return flat.reshape(shape, order="F")


def _short(text, limit=60):
    return text if len(text) <= limit else text[:limit] + "..."
