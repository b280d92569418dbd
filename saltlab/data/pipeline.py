"""A dataset to the arrays one training run sees: sample, split, preprocess.

The demo and every experiment prepare their data here, so a demo run and an
experiment run with the same settings see the same images.
"""

from saltlab.data.preprocess import to_network
from saltlab.data.split import draw_subset, stratified_split


def network_arrays(saltset, *, n_images, val_fraction, input_size, seed=0):
    """Training and validation arrays of a coverage-stratified sample of a dataset.

    Parameters
    ----------
    saltset : saltlab.data.SaltSet
        ``images`` uint8 (N, 101, 101), ``masks`` {0, 1} (N, 101, 101).
    n_images : int or None
        Images drawn (coverage-stratified); ``None``: all.
    val_fraction : float
        Share of the drawn images kept for validation, in (0, 1).
    input_size : {128, 64}
        Network input side (see :func:`saltlab.data.to_network`).
    seed : int, optional
        Seeds both the sample and the split.

    Returns
    -------
    arrays : dict of str to numpy.ndarray
        ``x_train``, ``y_train``, ``x_val``, ``y_val``: float32, (N, S, S, 1)
        with S = ``input_size``; ``images_train``, ``images_val`` (uint8) and
        ``masks_train``, ``masks_val`` ({0, 1}): (N, 101, 101), the image grid
        every score is computed on.

    Examples
    --------
    >>> from saltlab.data import synthesize
    >>> arrays = network_arrays(synthesize(20, seed=0), n_images=10, val_fraction=0.2, input_size=64)
    >>> arrays["x_train"].shape, arrays["y_val"].shape, arrays["masks_val"].shape
    ((8, 64, 64, 1), (2, 64, 64, 1), (2, 101, 101))
    """
    subset = draw_subset(saltset.masks, n_images, seed=seed)
    images, masks = saltset.images[subset], saltset.masks[subset]
    train_idx, val_idx = stratified_split(masks, val_fraction=val_fraction, seed=seed)
    x, y = to_network(images, masks, input_size)
    return {
        "x_train": x[train_idx], "y_train": y[train_idx],
        "x_val": x[val_idx], "y_val": y[val_idx],
        "images_train": images[train_idx], "masks_train": masks[train_idx],
        "images_val": images[val_idx], "masks_val": masks[val_idx],
    }
