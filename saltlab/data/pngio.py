"""Reading and writing the dataset's PNG files, with errors that name the file."""

import io

import numpy as np
from PIL import Image

from saltlab.data.dataset import DatasetError


def write_png(path, array):
    """Write a uint8 (H, W) array as an 8-bit grayscale PNG, byte-reproducibly.

    Pillow writes no timestamp or other varying chunk, and the compression
    level is fixed, so the same array always gives the same bytes.

    Parameters
    ----------
    path : str or pathlib.Path
    array : numpy.ndarray, uint8, shape (H, W)
    """
    array = np.ascontiguousarray(array, dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG", compress_level=6)
    with open(path, "wb") as handle:
        handle.write(buffer.getvalue())


def read_png(path):
    """Read a PNG into a 2-D or 3-D integer array.

    Parameters
    ----------
    path : pathlib.Path

    Returns
    -------
    numpy.ndarray
        (H, W) for grayscale (uint8, or uint16 for 16-bit PNGs such as the
        Kaggle masks), (H, W, C) for RGB/RGBA; palette images are expanded.

    Raises
    ------
    DatasetError
        If the file cannot be opened or decoded (not a PNG, truncated...).
    """
    try:
        with Image.open(path) as img:
            img.load()  # decode now: a truncated file fails here, not later
            if img.format != "PNG":
                raise _failure(path, f"is a {img.format} file, expected a PNG image")
            if img.mode == "P":
                img = img.convert("RGBA" if "transparency" in img.info else "RGB")
            elif img.mode == "1":
                img = img.convert("L")
            return np.array(img)
    except DatasetError:
        raise
    except Exception as exc:  # Pillow raises OSError, SyntaxError, ValueError...
        raise _failure(
            path, f"unreadable or truncated PNG ({type(exc).__name__}: {exc})"
        ) from None


def _failure(path, reason):
    """DatasetError naming the file, with the bare reason kept for reports."""
    error = DatasetError(f"{path}: {reason}")
    error.reason = reason
    return error
