"""Dataset -> network arrays at the preset's resolution, and predictions back.

At 128 this is the course's exact pad/crop (:mod:`saltlab.data.preprocess`).
At 64, the padded 128x128 arrays are averaged over 2x2 blocks (masks:
salt where at least half the block is salt) and predictions are upsampled
bilinearly to 128 before the crop, so every variant is scored on the same
101x101 pixels whatever its input size.
"""

from pathlib import Path

import numpy as np

from ..data import (
    NETWORK_SIZE,
    ensure_default_dataset,
    from_network_output,
    load_dataset,
    masks_to_network,
    stratified_split,
    to_network_input,
)

SUPPORTED_SIZES = (128, 64)


def load_data(folder=None, *, log=print):
    """Load a dataset folder, or the synthetic default (generated if absent).

    Parameters
    ----------
    folder : str or pathlib.Path, optional
        Kaggle-layout folder (``images/``, ``masks/``); ``None``: ``data/synthetic``.
    log : callable, optional
        Receives one-line progress messages.

    Returns
    -------
    saltset : saltlab.data.SaltSet
        ``images`` uint8 (N, 101, 101), ``masks`` {0, 1} (N, 101, 101).
    """
    if folder is None:
        folder = ensure_default_dataset()
        log(f"      synthetic dataset at {folder}")
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"--data {folder}: no such folder (expected images/ and masks/ inside)")
    saltset = load_dataset(folder, skip_bad=True)
    log(f"      {len(saltset)} images loaded from {folder}" + (f" ({len(saltset.skipped)} bad pairs skipped)" if saltset.skipped else ""))
    return saltset


def draw_subset(masks, n_images, *, seed=0):
    """Indices of a coverage-stratified sample of ``n_images`` masks.

    Parameters
    ----------
    masks : numpy.ndarray, shape (N, 101, 101)
    n_images : int or None
        ``None`` or ``>= N``: every index.

    Returns
    -------
    index : numpy.ndarray, int64, sorted
    """
    n = len(masks)
    if n_images is None or n_images >= n:
        return np.arange(n)
    # The "validation" part of a stratified split is a stratified sample.
    _, sample = stratified_split(masks, val_fraction=n_images / n, seed=seed)
    return sample


def to_network(images, masks, size):
    """Network inputs and targets at side ``size``.

    Parameters
    ----------
    images : numpy.ndarray, uint8, shape (N, 101, 101)
    masks : numpy.ndarray, {0, 1}, shape (N, 101, 101)
    size : {128, 64}

    Returns
    -------
    x, y : numpy.ndarray, float32, shape (N, size, size, 1)
    """
    _check_size(size)
    x, y = to_network_input(images), masks_to_network(masks)
    if size == NETWORK_SIZE:
        return x, y
    factor = NETWORK_SIZE // size
    x = x.reshape(-1, size, factor, size, factor, 1).mean(axis=(2, 4), dtype=np.float32)
    y = (y.reshape(-1, size, factor, size, factor, 1).mean(axis=(2, 4)) >= 0.5).astype(np.float32)
    return x, y


def to_image_grid(probabilities):
    """Network probabilities (any supported size) back on the 101x101 grid.

    Parameters
    ----------
    probabilities : numpy.ndarray, shape (N, S, S) or (N, S, S, 1)

    Returns
    -------
    numpy.ndarray, float32, shape (N, 101, 101)
    """
    probabilities = np.asarray(probabilities, dtype=np.float32)
    if probabilities.ndim == 4:
        probabilities = probabilities[..., 0]
    size = probabilities.shape[-1]
    _check_size(size)
    if size != NETWORK_SIZE:
        from skimage.transform import resize

        probabilities = resize(
            probabilities, (len(probabilities), NETWORK_SIZE, NETWORK_SIZE), order=1, mode="edge", anti_aliasing=False
        ).astype(np.float32)
    return from_network_output(probabilities)


def _check_size(size):
    if size not in SUPPORTED_SIZES:
        raise ValueError(f"input size must be one of {SUPPORTED_SIZES}, got {size}")
