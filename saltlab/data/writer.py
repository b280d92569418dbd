"""Write a SaltSet to disk in the Kaggle layout; generate the default set.

A folder written here holds a marker file, :data:`MARKER`, recording how it
was made. A folder is only written into if it does not exist, is empty, or
holds the marker: an existing non-empty folder without it (the real Kaggle
files, say) is left alone unless ``force=True``.
"""

import contextlib
import json
from pathlib import Path

import numpy as np

from saltlab.data.dataset import DatasetError
from saltlab.data.pngio import write_png
from saltlab.data.rle import rle_encode
from saltlab.data.synthetic import DEFAULT_DIFFICULTY, DEFAULT_LEVEL, LEVEL_VERSIONS, synthesize, tgs_knobs
from saltlab.paths import DATA_DIR

MARKER = ".saltlab-synthetic"
"""Name of the file marking a folder as written by this package."""


def default_dataset_path():
    """``<repository>/data/synthetic``, the default synthetic dataset.

    Returns
    -------
    pathlib.Path
        ``saltlab.paths.DATA_DIR / "synthetic"``.
    """
    return DATA_DIR / "synthetic"


def write_dataset(saltset, folder, *, force=False, _meta=None):
    """Write a SaltSet in the Kaggle layout.

    Writes ``images/<id>.png`` (8-bit grey), ``masks/<id>.png`` (8-bit,
    0/255), ``depths.csv`` (``id,z``), ``train.csv`` (``id,rle_mask``,
    competition run-length encoding) and the marker file. PNG bytes depend
    only on the arrays, so the same SaltSet always gives the same files.

    Parameters
    ----------
    saltset : SaltSet
        ``images`` uint8 (N, 101, 101), ``masks`` {0, 1} (N, 101, 101),
        ``depths`` (N,) (or (0,): then no depths.csv is written).
    folder : str or pathlib.Path
        Created if absent (with parents).
    force : bool, optional
        Write into an existing non-empty folder that has no marker. Stale
        ``images/*.png``, ``masks/*.png`` and the two CSV files are deleted
        first in any case, so the folder holds exactly this set.

    Returns
    -------
    pathlib.Path
        The folder.

    Raises
    ------
    DatasetError
        If the folder exists, is not empty, has no marker and ``force`` is
        False; or if the arrays do not have the expected shapes.
    """
    folder = Path(folder)
    _check_writable(folder, force)
    n = len(saltset.ids)
    if saltset.images.shape != (n, 101, 101) or saltset.masks.shape != (n, 101, 101):
        raise DatasetError(
            f"{folder}: cannot write images {saltset.images.shape} and masks "
            f"{saltset.masks.shape} for {n} ids; expected ({n}, 101, 101) each"
        )
    folder.mkdir(parents=True, exist_ok=True)
    # The marker goes first: a run interrupted half-way leaves a folder that
    # is still known to be ours and can be regenerated without --force.
    meta = {"written_by": "saltlab.data", "n": n, **(_meta or {})}
    (folder / MARKER).write_text(json.dumps(meta, sort_keys=True) + "\n")
    for sub in ("images", "masks"):
        if (folder / sub).is_dir():
            for old in (folder / sub).glob("*.png"):
                old.unlink()
            for old in (folder / sub).glob("*.PNG"):
                old.unlink()
        (folder / sub).mkdir(exist_ok=True)
    for name in ("depths.csv", "train.csv"):
        (folder / name).unlink(missing_ok=True)

    masks = np.asarray(saltset.masks) != 0
    for ident, image, mask in zip(saltset.ids, saltset.images, masks):
        write_png(folder / "images" / f"{ident}.png", image)
        write_png(folder / "masks" / f"{ident}.png", mask.astype(np.uint8) * 255)
    if len(saltset.depths):
        lines = [f"{i},{int(z)}" for i, z in zip(saltset.ids, saltset.depths)]
        _write_lines(folder / "depths.csv", "id,z", lines)
    lines = [f"{i},{rle_encode(m)}" for i, m in zip(saltset.ids, masks)]
    _write_lines(folder / "train.csv", "id,rle_mask", lines)
    return folder


def generate_dataset(folder, *, n=4000, seed=0, difficulty=DEFAULT_DIFFICULTY,
                     level=DEFAULT_LEVEL, force=False, knobs=None):
    """Synthesize a dataset and write it in the Kaggle layout.

    Parameters
    ----------
    folder : str or pathlib.Path
    n : int, optional
        Number of images (4000, like the Kaggle train set).
    seed : int, optional
        Same seed, same files, byte for byte.
    difficulty : float, optional
        Noise and blur knob in [0, 1]; see
        :data:`saltlab.data.synthetic.DEFAULT_DIFFICULTY`.
    level : {'tgs', 'easy'}, optional
        Generator level (:data:`saltlab.data.synthetic.LEVELS`): ``"tgs"``
        (default) calibrated to the real data's difficulty, ``"easy"`` the
        pre-calibration generator.
    force : bool, optional
        Write into an existing non-empty folder that this package did not
        create.
    knobs : dict, optional
        A candidate calibration of the ``tgs`` level
        (:func:`saltlab.data.synthetic.tgs_knobs`); the marker records all
        the knobs then, and no version (it is not the default level's).

    Returns
    -------
    pathlib.Path
        The folder.
    """
    folder = Path(folder)
    _check_writable(folder, force)
    saltset = synthesize(n, seed=seed, difficulty=difficulty, level=level, knobs=knobs)
    meta = {"generator": "saltlab.data.synthetic", "seed": int(seed),
            "difficulty": float(difficulty), "level": level, "version": LEVEL_VERSIONS[level]}
    if knobs:
        # Not the level's version: ensure_default_dataset regenerates such a folder.
        meta["version"] = None
        meta["knobs"] = {name: list(v) if isinstance(v, tuple) else v for name, v in tgs_knobs(knobs).items()}
    return write_dataset(saltset, folder, force=force, _meta=meta)


def default_dataset_generator():
    """Which generator makes :func:`default_dataset_path` today.

    Results made on the default data record it (``synthetic_generator`` in
    an experiments folder's ``config.json``), so a reader can tell which
    version of the data they came from, and a resumed run cannot mix two.

    Returns
    -------
    dict
        ``{"level": DEFAULT_LEVEL, "version": LEVEL_VERSIONS[DEFAULT_LEVEL]}``,
        e.g. ``{"level": "tgs", "version": 2}``.
    """
    return {"level": DEFAULT_LEVEL, "version": LEVEL_VERSIONS[DEFAULT_LEVEL]}


def ensure_default_dataset():
    """Generate ``data/synthetic`` (4000 images, seed 0) unless it exists.

    A folder generated at another level than the default (one written before
    the calibration has no ``level`` in its marker: it is ``"easy"``), or by
    an older version of the default level's generator
    (:data:`~saltlab.data.synthetic.LEVEL_VERSIONS`; none recorded: version
    1), is regenerated, so that every run on the default data sees the same
    data. So is a folder missing some of its files (fewer images or masks
    than the marker's ``n``, or no ``train.csv``): an interrupted write, or
    files deleted since.

    Two processes may call this at once (``make demo`` and ``make
    experiments`` started together, two notebooks): the check and the
    generation run under an exclusive lock on ``<folder>.lock`` beside the
    folder, so the second waits for the first and then finds the set made,
    instead of deleting the files the first is writing.

    Returns
    -------
    pathlib.Path
        :func:`default_dataset_path`.
    """
    folder = default_dataset_path()
    with _exclusive_lock(folder.with_name(folder.name + ".lock")):
        if _is_current_default(folder):
            return folder
        return generate_dataset(folder)


def _is_current_default(folder):
    if not ((folder / MARKER).is_file() and (folder / "train.csv").is_file()):
        return False
    try:
        meta = json.loads((folder / MARKER).read_text())
        made = {"level": meta.get("level", "easy"), "version": meta.get("version", 1)}
        complete = all(_count_pngs(folder / sub) == meta["n"] for sub in ("images", "masks"))
    except (ValueError, AttributeError, KeyError, TypeError):
        return False  # unreadable marker: ours (it exists), so regenerate
    return complete and made == default_dataset_generator()


@contextlib.contextmanager
def _exclusive_lock(path):
    """Hold an exclusive ``flock`` on ``path`` (created if absent) for the block.

    The lock belongs to the open file, so the kernel releases it when the
    process dies, however it dies: a killed generation never leaves a lock
    behind that would block the next run. On a system without ``fcntl``
    (Windows), or where the lock file cannot be made (a read-only
    repository, as in a grading sandbox, where the set can only be read),
    the block runs unlocked: it then only reads, or fails with the writer's
    own error naming the folder.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not on the platforms CI runs
        yield
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(path, "a")
    except OSError:
        yield
        return
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _count_pngs(folder):
    # Counting 2 x 4000 directory entries takes milliseconds; reading the
    # images would take seconds at every start.
    return sum(1 for _ in folder.glob("*.png")) if folder.is_dir() else 0


def _check_writable(folder, force):
    if not folder.exists():
        return
    if not folder.is_dir():
        raise DatasetError(f"{folder}: is a file, expected a folder to write into")
    if force or (folder / MARKER).is_file() or not any(folder.iterdir()):
        return
    raise DatasetError(
        f"{folder}: folder exists, is not empty and was not created by "
        f"saltlab (no {MARKER} file in it); refusing to write into it. "
        "Choose another folder, or pass --force (force=True) to overwrite."
    )


def _write_lines(path, header, lines):
    # Explicit "\n" endings so the files are identical on every platform.
    with open(path, "w", newline="\n", encoding="ascii") as handle:
        handle.write(header + "\n")
        handle.writelines(line + "\n" for line in lines)
