"""Train/validation split and samples, stratified by salt coverage."""

import numpy as np

N_CLASSES = 11
"""Coverage classes: 0 = empty mask, k = coverage in ((k-1)/10, k/10]."""


def coverage_classes(masks):
    """Coverage class of each mask.

    Parameters
    ----------
    masks : array_like, shape (N, H, W) or (N, H, W, 1)
        Non-zero is salt.

    Returns
    -------
    numpy.ndarray, int64, shape (N,)
        0 for an empty mask, else ``ceil(10 * coverage)`` in 1..10.
    """
    masks = np.asarray(masks)
    cover = (masks != 0).reshape(masks.shape[0], -1).mean(axis=1)
    classes = np.ceil(cover * 10).astype(np.int64)
    return np.clip(classes, 0, 10)


def stratified_split(masks, *, val_fraction=0.2, seed=0):
    """Split indices so both parts have the same coverage-class proportions.

    Each class gives ``val_fraction`` of its members (rounded so the total
    is ``round(val_fraction * N)``; leftover fractions go to the classes
    with the largest remainders) to validation, chosen by a seeded shuffle.

    Parameters
    ----------
    masks : array_like, shape (N, H, W) or (N, H, W, 1)
    val_fraction : float, optional
        In (0, 1); 0.2 by default.
    seed : int, optional
        Same masks and seed, same split.

    Returns
    -------
    train_idx, val_idx : numpy.ndarray, int64
        Sorted, disjoint, together ``0..N-1``.
    """
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(
            f"stratified_split: val_fraction must be in (0, 1), got {val_fraction}"
        )
    classes = coverage_classes(masks)
    n = classes.size
    rng = np.random.default_rng(seed)
    counts = np.bincount(classes, minlength=N_CLASSES)
    quota = val_fraction * counts
    n_val = np.floor(quota).astype(np.int64)
    missing = int(round(val_fraction * n)) - int(n_val.sum())
    if missing > 0:
        # Largest remainders first; stable sort keeps ties in class order.
        order = np.argsort(-(quota - n_val), kind="stable")
        n_val[order[:missing]] += 1
    val = []
    for cls in range(N_CLASSES):
        members = np.flatnonzero(classes == cls)
        val.append(rng.permutation(members)[: n_val[cls]])
    val_idx = np.sort(np.concatenate(val)).astype(np.int64)
    train_idx = np.setdiff1d(np.arange(n), val_idx).astype(np.int64)
    return train_idx, val_idx


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
