"""The results folder of an experiment run: its layout, its CSV files, which runs are done.

Layout of ``results/<preset>/`` (or ``--out``)::

    config.json                  the preset's fields; a resumed run must match
    results.csv                  one row per variant x seed (written last: the commit mark)
    postprocess.csv              question 4: one row per seed x strategy (reference variant)
    backup/<variant>_seed<k>.weights.h5   best weights (lowest validation loss)
    runs/<variant>_seed<k>.json  learning curves and the precision-recall curve
    summary.md, *.png            written by :mod:`saltlab.experiments.summary`

Written by :mod:`.runner`, read by :mod:`.runner` (to resume) and by
:mod:`.summary`; neither imports the other's internals.
"""

import csv
import io
from pathlib import Path

from ..evaluation import METRIC_NAMES
from ..io import write_atomic

RESULT_FIELDS = (
    ["variant", "seed", "questions", "kind", "downsample", "merge", "input_size", "n_train", "n_val", "params"]
    + ["epochs_run", "train_seconds", "seconds_per_epoch", "best_val_loss"]
    + list(METRIC_NAMES)
    + ["best_threshold"]
    + [f"{m}_best" for m in METRIC_NAMES]
    + ["weights"]
)
POSTPROCESS_FIELDS = ["variant", "seed", "strategy", "threshold"] + list(METRIC_NAMES)
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


def read_rows(path):
    """Rows of a CSV file as dicts of strings; ``[]`` when it does not exist."""
    path = Path(path)
    if not path.is_file():
        return []
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def write_rows(path, fields, rows):
    """Write rows (dicts) to a CSV file atomically (a crash never leaves half a file)."""
    text = io.StringIO(newline="")
    writer = csv.DictWriter(text, fieldnames=fields, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    write_atomic(path, text.getvalue())


def completed_runs(out):
    """Set of (variant, seed) done in ``out``: a row in results.csv and weights on disk."""
    out = Path(out)
    done = set()
    for row in read_rows(out / "results.csv"):
        if weights_path(out, row["variant"], row["seed"]).is_file():
            done.add((row["variant"], int(row["seed"])))
    return done
