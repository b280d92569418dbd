"""Flip augmentation, applied identically to an image and its mask.

Only left-right flips: a seismic section mirrored left-right is still a
plausible section (layers dip the other way), whereas an upside-down one is
not (salt rises from below, the wavelet has a polarity in depth).
"""

import numpy as np


def flip_pairs(images, masks, *, p=0.5, seed=0):
    """Flip each (image, mask) pair left-right with probability ``p``.

    Parameters
    ----------
    images, masks : numpy.ndarray, shape (N, H, W) or (N, H, W, C)
        Width is axis 2 in both.
    p : float, optional
        Probability of flipping a pair.
    seed : int, optional

    Returns
    -------
    images, masks : numpy.ndarray
        Flipped copies, same shapes and dtypes.
    flipped : numpy.ndarray, bool, shape (N,)
        Which pairs were flipped.
    """
    images, masks = np.asarray(images), np.asarray(masks)
    if images.shape[:3] != masks.shape[:3]:
        raise ValueError(
            f"flip_pairs: images {images.shape} and masks {masks.shape} "
            "differ in (N, H, W)"
        )
    flipped = np.random.default_rng(seed).random(images.shape[0]) < p
    images, masks = images.copy(), masks.copy()
    images[flipped] = images[flipped][:, :, ::-1]
    masks[flipped] = masks[flipped][:, :, ::-1]
    return images, masks, flipped
