"""Question 4's strategies that can raise precision and recall together.

A threshold only trades one for the other along the precision-recall curve.
To move the curve itself, change the probabilities or the masks:

- **flip test-time augmentation** (:func:`predict_flip_tta`): average the
  prediction of an image and of its left-right mirror (mirrored back). Errors
  that are not mirror-symmetric partly cancel, which lowers both false alarms
  and misses.
- **morphological clean-up** (:func:`clean_masks`): salt bodies are large and
  compact, so isolated specks are almost always false positives (precision)
  and pinholes inside a body almost always misses (recall).
"""

import inspect

import numpy as np

from ..training import predict_probabilities

MIN_OBJECT_PIXELS = 20
"""Connected salt regions smaller than this are removed (about 0.2% of an image)."""

MAX_HOLE_PIXELS = 20
"""Holes inside salt smaller than this are filled."""


def _size_keyword(function, size):
    # scikit-image 0.26 renamed min_size/area_threshold ("smaller than") to
    # max_size ("at most"); the package supports 0.24 to 0.26.
    if "max_size" in inspect.signature(function).parameters:
        return {"max_size": size - 1}
    name = "min_size" if "min_size" in inspect.signature(function).parameters else "area_threshold"
    return {name: size}


def clean_masks(masks, *, min_object=MIN_OBJECT_PIXELS, max_hole=MAX_HOLE_PIXELS, opening_radius=0):
    """Remove small salt specks and fill small holes, image by image.

    Parameters
    ----------
    masks : array_like of {0, 1} or bool, shape (N, H, W)
        Predicted masks.
    min_object : int, optional
        Regions of fewer pixels are removed (``remove_small_objects``).
    max_hole : int, optional
        Holes of fewer pixels are filled (``remove_small_holes``).
    opening_radius : int, optional
        If positive, a binary opening with a disk of this radius first
        (smooths ragged boundaries; 0, the default, skips it).

    Returns
    -------
    cleaned : numpy.ndarray, uint8 {0, 1}, shape (N, H, W)
    """
    from skimage.morphology import binary_opening, disk, remove_small_holes, remove_small_objects

    masks = np.asarray(masks)
    if masks.ndim != 3:
        raise ValueError(f"clean_masks: expected masks of shape (N, H, W), got {masks.shape}")
    cleaned = np.empty(masks.shape, dtype=np.uint8)
    objects = _size_keyword(remove_small_objects, min_object)
    holes = _size_keyword(remove_small_holes, max_hole)
    for k, mask in enumerate(masks.astype(bool)):
        if opening_radius > 0:
            mask = binary_opening(mask, disk(opening_radius))
        mask = remove_small_objects(mask, **objects)
        cleaned[k] = remove_small_holes(mask, **holes)
    return cleaned


def predict_flip_tta(model, x, *, batch_size=32):
    """Mean probability of each image and of its left-right mirror.

    Parameters
    ----------
    model : keras.Model
        (N, H, W, 1) -> (N, H, W, 1) probabilities.
    x : numpy.ndarray, float32, shape (N, H, W, 1)
        Network inputs.

    Returns
    -------
    probabilities : numpy.ndarray, float32, shape (N, H, W)

    Notes
    -----
    Only the left-right flip: it is the augmentation that keeps a seismic
    section plausible (see :mod:`saltlab.data.augment`).
    """
    plain = predict_probabilities(model, x, batch_size=batch_size)
    mirrored = predict_probabilities(model, x[:, :, ::-1], batch_size=batch_size)[:, :, ::-1]
    return (plain + mirrored) / 2
