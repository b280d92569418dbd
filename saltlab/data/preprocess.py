"""101x101 images to the network's input and predictions back, both ways.

The course's network sees 128x128 (:func:`to_network_input`,
:func:`masks_to_network`, back with :func:`from_network_output`); the
experiments also train at 64x64 (:func:`to_network`, back with
:func:`to_image_grid`); the training check shrinks images straight to 64x64
(:func:`resize_for_check`).

**Choice: reflect-pad and crop, not resize.** The images are padded with
their mirror image, 13 pixels before and 14 after on each spatial axis
(13 + 101 + 14 = 128), and the network's 128x128 output is cropped back to
rows and columns 13..113. Unlike a 101 -> 128 -> 101 resize, this is exact:
every original pixel reaches the network untouched and every score is
computed on the network's own output at that pixel, with no interpolation
blurring thin salt bodies or shifting boundaries; cropping a padded mask
gives back the mask bit for bit. Mirroring (rather than zeros) continues the
layers across the border, so the network sees no artificial edge; the masks
are mirrored the same way, so the padded border is labelled consistently with
what the image shows there. 128 is divisible by 16, as four 2x2 poolings of
the U-Net require.
"""

import numpy as np

SIZE = 101
NETWORK_SIZE = 128
SUPPORTED_SIZES = (128, 64)
"""Network input sides of :func:`to_network`: the course's 128, and 64 (2x2 averages of it)."""
PAD_BEFORE = 13
PAD_AFTER = 14  # 13 + 101 + 14 = 128
_PAD = ((0, 0), (PAD_BEFORE, PAD_AFTER), (PAD_BEFORE, PAD_AFTER))


def _stack(array, name, size):
    """(N, size, size) view of (N, size, size) or (N, size, size, 1) input."""
    array = np.asarray(array)
    if array.ndim == 4 and array.shape[-1] == 1:
        array = array[..., 0]
    if array.ndim != 3 or array.shape[1:] != (size, size):
        raise ValueError(
            f"{name}: got an array of shape {array.shape}, expected "
            f"(N, {size}, {size}) or (N, {size}, {size}, 1)"
        )
    return array


def standardize_images(x):
    """Per-image standardisation: zero mean and unit variance for each image.

    Parameters
    ----------
    x : numpy.ndarray, float, shape (N, H, W) or (N, H, W, 1)

    Returns
    -------
    numpy.ndarray, float32, same shape
        ``(x - mean) / max(std, 1/255)`` per image; a constant image becomes 0.

    Notes
    -----
    Seismic amplitudes vary from section to section (gain, depth). Centring
    each image and scaling it to unit variance lets a small network trained
    for a few epochs on a CPU leave the "no salt anywhere" plateau in 2-3
    epochs instead of 5 or more (measured on the synthetic set with the
    training check's small U-Net).
    """
    x = np.asarray(x, dtype=np.float32)
    axes = tuple(range(1, x.ndim))
    mean = x.mean(axis=axes, keepdims=True)
    std = x.std(axis=axes, keepdims=True)
    return ((x - mean) / np.maximum(std, np.float32(1 / 255))).astype(np.float32)


def to_network_input(images, *, standardize=True):
    """Reflect-pad images to 128x128 and scale them for the network.

    Parameters
    ----------
    images : numpy.ndarray, uint8, shape (N, 101, 101) or (N, 101, 101, 1)
    standardize : bool, optional
        True (default): each padded image to zero mean and unit variance
        (:func:`standardize_images`). False: ``image / 255`` in [0, 1].

    Returns
    -------
    numpy.ndarray, float32, shape (N, 128, 128, 1)
        Mirrored 13 pixels before and 14 after on each spatial axis.
    """
    images = _stack(images, "to_network_input", SIZE)
    if images.dtype != np.uint8:
        raise ValueError(
            f"to_network_input: got dtype {images.dtype}, expected uint8 grey "
            "levels 0..255"
        )
    padded = np.pad(images, _PAD, mode="reflect")
    scaled = (padded.astype(np.float32) / np.float32(255.0))[..., None]
    return standardize_images(scaled) if standardize else scaled


def masks_to_network(masks):
    """Binarise masks and reflect-pad them to 128x128 like the images.

    Parameters
    ----------
    masks : array_like, shape (N, 101, 101) or (N, 101, 101, 1)
        Non-zero is salt.

    Returns
    -------
    numpy.ndarray, float32, shape (N, 128, 128, 1)
        Values in {0, 1}.
    """
    masks = _stack(masks, "masks_to_network", SIZE)
    padded = np.pad(masks != 0, _PAD, mode="reflect")
    return padded.astype(np.float32)[..., None]


def from_network_output(probs):
    """Crop 128x128 network outputs back to the 101x101 image grid.

    Parameters
    ----------
    probs : array_like, shape (N, 128, 128, 1) or (N, 128, 128)
        Per-pixel salt probabilities (or logits, or masks).

    Returns
    -------
    numpy.ndarray, float32, shape (N, 101, 101)
        Rows and columns 13..113: exactly the pixels of the original image.
    """
    probs = _stack(probs, "from_network_output", NETWORK_SIZE)
    crop = slice(PAD_BEFORE, PAD_BEFORE + SIZE)
    return np.ascontiguousarray(probs[:, crop, crop], dtype=np.float32)


def to_network(images, masks, size):
    """Network inputs and targets at side ``size``: the experiments' inputs.

    At 128 this is the course's exact pad (:func:`to_network_input`,
    :func:`masks_to_network`). At 64 the padded 128x128 arrays are averaged
    over 2x2 blocks (masks: salt where at least half the block is salt), and
    :func:`to_image_grid` brings predictions back, so every variant is scored
    on the same 101x101 pixels whatever its input size.

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

    At 64 they are first upsampled bilinearly to 128; then the padding is
    cropped away (:func:`from_network_output`).

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


def resize_for_check(images, masks, size):
    """Images and masks resized straight from 101x101 to ``size`` x ``size``, for the training check.

    Unlike :func:`to_network` this is not invertible (no padding, an
    anti-aliased resize): the training check scores its network on the
    resized masks and never goes back to the 101x101 grid, and its cases (and
    so its grades) are defined by exactly this transform.

    Parameters
    ----------
    images : numpy.ndarray, uint8, shape (N, 101, 101)
    masks : numpy.ndarray, {0, 1}, shape (N, 101, 101)
    size : int

    Returns
    -------
    x : numpy.ndarray, float32, shape (N, size, size, 1)
        Bilinear, anti-aliased, then standardised per image as
        :func:`to_network_input` does.
    y : numpy.ndarray, uint8 {0, 1}, shape (N, size, size)
        Nearest neighbour.
    """
    from skimage.transform import resize

    x = resize(images.astype(np.float32), (len(images), size, size),
               order=1, anti_aliasing=True, preserve_range=True).astype(np.float32)[..., None]
    x = standardize_images(x / 255.0)
    y = resize(masks.astype(np.float32), (len(masks), size, size),
               order=0, anti_aliasing=False, preserve_range=True).astype(np.uint8)
    return x, y
