"""Summary statistics and problems of a dataset folder, without raising."""

import numpy as np

from saltlab.data.dataset import DatasetError
from saltlab.data.loader import _scan


def inspect_dataset(folder):
    """Describe a dataset folder: size, salt statistics and every problem.

    Never raises on bad files: problems are reported in ``problems``.

    Parameters
    ----------
    folder : str or pathlib.Path
        A folder in the Kaggle layout (see :func:`saltlab.data.load_dataset`).

    Returns
    -------
    dict
        ``folder``; ``pairs`` (readable image/mask pairs); ``empty_fraction``
        (pairs whose mask is empty); ``coverage_mean`` (mean salt fraction
        over all pairs); ``coverage_median_nonempty`` (median over non-empty
        masks, None if there is none); ``constant_images`` (count of
        single-valued images); ``image_std_median`` (median over images of
        the grey-level standard deviation); ``rle_mismatches`` (only when
        ``train.csv`` exists: ids whose run-length mask is malformed or
        differs from the PNG); ``problems`` (list of ``"file: reason"``
        messages, empty for a clean folder). Statistics are over readable
        pairs, None when there are none.
    """
    report = {
        "folder": str(folder),
        "pairs": 0,
        "empty_fraction": None,
        "coverage_mean": None,
        "coverage_median_nonempty": None,
        "constant_images": 0,
        "image_std_median": None,
        "problems": [],
    }
    try:
        scan = _scan(folder)
    except DatasetError as exc:
        report["problems"].append(str(exc))
        return report
    unreadable = {p.id for p in scan.problems if p.unreadable}
    ids = [i for i in scan.ids if i not in unreadable]
    report["problems"] = [str(p) for p in scan.problems]
    if scan.rle is not None:
        report["rle_mismatches"] = scan.rle_mismatches
    report["pairs"] = len(ids)
    if not ids:
        return report
    images = np.stack([scan.images[i] for i in ids])
    masks = np.stack([scan.masks[i] for i in ids])
    cover = masks.reshape(len(ids), -1).mean(axis=1)
    flat = images.reshape(len(ids), -1)
    report["empty_fraction"] = float((cover == 0).mean())
    report["coverage_mean"] = float(cover.mean())
    if (cover > 0).any():
        report["coverage_median_nonempty"] = float(np.median(cover[cover > 0]))
    report["constant_images"] = int((flat.min(axis=1) == flat.max(axis=1)).sum())
    report["image_std_median"] = float(np.median(flat.std(axis=1)))
    return report
