"""The results folder of an experiment run: its layout, its CSV files, which runs are done.

Layout of ``results/<preset>/`` (or ``--out``)::

    config.json                  the preset's fields; a resumed run must match
    results.csv                  one row per variant x seed (written last: the commit mark)
    postprocess.csv              question 4: one row per seed x strategy (reference variant),
                                 scored on the test half of the validation images
    backup/<variant>_seed<k>.weights.h5   best weights (lowest validation loss)
    runs/<variant>_seed<k>.json  learning curves and the precision-recall curve
    images/<variant>_seed<k>.csv     per validation image, pixel counts at threshold 0.5
    images/<variant>_seed<k>_q4.csv  reference variant: per test image and strategy, pixel counts
    summary.md, *.png            written by :mod:`saltlab.experiments.summary`

Question 4's threshold is chosen on one half of the validation images (the
*calibration* half) and scored on the other (the *test* half), split by
:func:`threshold_split`; ``best_threshold`` and the ``*_best`` columns of
``results.csv`` follow the same rule. The per-image files are what the
summary's bootstrap over images resamples (a few kilobytes per run).

Written by :mod:`.runner`, read by :mod:`.runner` (to resume) and by
:mod:`.summary`; neither imports the other's internals.
"""

import csv
import io
from pathlib import Path

import numpy as np

from ..data.split import stratified_split
from ..evaluation import METRIC_NAMES
from ..io import write_atomic

RESULT_FIELDS = (
    ["variant", "seed", "questions", "kind", "downsample", "merge", "input_size", "n_train", "n_val", "params"]
    + ["epochs_run", "train_seconds", "seconds_per_epoch", "best_val_loss"]
    + list(METRIC_NAMES)
    + ["best_threshold", "n_test"]
    + [f"{m}_best" for m in METRIC_NAMES]
    + ["weights"]
)
POSTPROCESS_FIELDS = ["variant", "seed", "strategy", "threshold", "n_test"] + list(METRIC_NAMES)
IMAGE_FIELDS = ["image", "truth_pixels", "pred_pixels", "intersection", "tgs"]
"""Columns of ``images/<key>.csv``: the image's position in the validation set, then its counts."""
Q4_IMAGE_FIELDS = ["strategy"] + IMAGE_FIELDS
"""Columns of ``images/<key>_q4.csv`` (``image``: the position in the validation set)."""
STRATEGIES = ("threshold 0.5", "best threshold", "+ clean-up", "+ flip TTA", "+ flip TTA + clean-up")
"""Question 4's strategies, each applied on top of the previous idea."""


def run_key(variant, seed):
    """str: ``"<variant>_seed<k>"``, the stem of a run's files.

    >>> run_key("maxpool-concat", 1)
    'maxpool-concat_seed1'
    """
    return f"{variant}_seed{seed}"


def weights_path(out, variant, seed):
    """pathlib.Path: where a run keeps its best weights, ``out/backup/<key>.weights.h5``."""
    return Path(out) / "backup" / f"{run_key(variant, seed)}.weights.h5"


def images_path(out, variant, seed, *, q4=False):
    """pathlib.Path: a run's per-image counts, ``out/images/<key>.csv`` (``<key>_q4.csv`` for question 4)."""
    return Path(out) / "images" / f"{run_key(variant, seed)}{'_q4' if q4 else ''}.csv"


def threshold_split(masks):
    """Question 4's calibration and test halves of the validation images.

    Parameters
    ----------
    masks : numpy.ndarray, shape (N, 101, 101)
        The validation masks (N >= 2).

    Returns
    -------
    calibration, test : numpy.ndarray, int64
        Sorted disjoint positions in the validation set, coverage-stratified
        (:func:`saltlab.data.stratified_split`, seed 0): the same halves for
        every variant and seed. The threshold is chosen on ``calibration``
        and scored on ``test``, never on the images it was chosen on.
    """
    if len(masks) < 2:
        raise ValueError(f"threshold_split: need at least 2 validation images, got {len(masks)}")
    return stratified_split(masks, val_fraction=0.5, seed=0)


def image_rows(counts, tgs, positions):
    """Rows of a per-image file from :func:`saltlab.evaluation.image_counts` and TGS scores.

    Parameters
    ----------
    counts : dict of str to numpy.ndarray, shape (N,)
    tgs : numpy.ndarray, shape (N,)
    positions : numpy.ndarray of int, shape (N,)
        Each image's position in the validation set.

    Returns
    -------
    rows : list of dict
    """
    return [
        {"image": int(positions[i]), "truth_pixels": int(counts["truth_pixels"][i]),
         "pred_pixels": int(counts["pred_pixels"][i]), "intersection": int(counts["intersection"][i]),
         "tgs": round(float(tgs[i]), 3)}
        for i in range(len(positions))
    ]


def read_image_counts(path, *, strategy=None):
    """Per-image counts of one run from its per-image file.

    Parameters
    ----------
    path : str or pathlib.Path
        ``images/<key>.csv`` or ``images/<key>_q4.csv``.
    strategy : str, optional
        For a question 4 file: the rows of this strategy only.

    Returns
    -------
    counts : dict of str to numpy.ndarray, int64, shape (N,), or None
        ``image``, ``truth_pixels``, ``pred_pixels``, ``intersection``;
        ``None`` when the file does not exist (runs made before per-image
        files were written) or holds no row of ``strategy``.

    Raises
    ------
    ValueError
        If a count is not a non-negative integer or the intersection exceeds
        a mask, naming the file.
    """
    rows = read_rows(path)
    if strategy is not None:
        rows = [r for r in rows if r.get("strategy") == strategy]
    if not rows:
        return None
    keys = ("image", "truth_pixels", "pred_pixels", "intersection")
    try:
        counts = {k: np.array([int(r[k]) for r in rows], dtype=np.int64) for k in keys}
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(f"{path}: not a per-image counts file ({error})") from None
    if (np.any(counts["truth_pixels"] < 0) or np.any(counts["pred_pixels"] < 0) or np.any(counts["intersection"] < 0)
            or np.any(counts["intersection"] > np.minimum(counts["truth_pixels"], counts["pred_pixels"]))):
        raise ValueError(f"{path}: inconsistent counts (negative, or intersection larger than a mask)")
    return counts


def read_rows(path):
    """Rows of a CSV file as dicts of strings; ``[]`` when it does not exist."""
    path = Path(path)
    if not path.is_file():
        return []
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def write_rows(path, fields, rows):
    """Write rows (dicts) to a CSV file atomically (a crash never leaves half a file); creates its folder."""
    text = io.StringIO(newline="")
    writer = csv.DictWriter(text, fieldnames=fields, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, text.getvalue())


def completed_runs(out):
    """Set of (variant, seed) done in ``out``: a row in results.csv and weights on disk."""
    out = Path(out)
    done = set()
    for row in read_rows(out / "results.csv"):
        if weights_path(out, row["variant"], row["seed"]).is_file():
            done.add((row["variant"], int(row["seed"])))
    return done
