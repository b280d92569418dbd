# Generated from the reference solution by `make stubs` (python -m saltlab.authoring.stubgen).
# Replace each `raise NotImplementedError(...)` with your code; keep the signatures.
"""Building blocks of the U-Net: convolution block, downsampling, skip merge.

Each function is called while building a ``keras.Model`` with the functional
API: it takes a symbolic tensor (a ``KerasTensor``) and returns one.
The exact contract is ``SPEC.md``; :func:`saltlab.models.build_unet`
assembles these blocks into the course's network.
"""

import keras
from keras import layers


def layer_name(prefix, suffix):
    """Name for a layer created inside a block, or ``None`` to let Keras choose.

    Parameters
    ----------
    prefix : str or None
        The ``name`` given to the block (``"enc2"``, say).
    suffix : str
        The layer's role inside the block (``"conv1"``, ``"relu2"``).

    Returns
    -------
    name : str or None
        ``"<prefix>_<suffix>"`` (``"enc2_conv1"``), or ``None`` when no prefix.
    """
    return f"{prefix}_{suffix}" if prefix else None


def conv_block(x, filters, *, kernel_size=3, batchnorm=False, name=None):
    """Two ``Conv2D -> [BatchNormalization] -> ReLU`` stages in a row.

    Parameters
    ----------
    x : KerasTensor, shape (N, H, W, C)
        Input feature map; any H and W, odd sizes included.
    filters : int
        Number of output channels of both convolutions.
    kernel_size : int, optional
        Size of the square convolution kernels (default 3).
    batchnorm : bool, optional
        Insert ``BatchNormalization()`` between each convolution and its ReLU.
        The convolutions carry a bias exactly when ``batchnorm`` is false
        (batch normalisation's own offset makes a bias redundant).
    name : str, optional
        Prefix of the names of the layers created (``"enc1"`` gives
        ``enc1_conv1``, ``enc1_relu1``, ...). ``None`` lets Keras choose.

    Returns
    -------
    y : KerasTensor, shape (N, H, W, filters)
        Output of the second ReLU.

    Examples
    --------
    >>> x = keras.Input((101, 101, 1))
    >>> conv_block(x, 16, name="enc1").shape
    (None, 101, 101, 16)
    """
    raise NotImplementedError('conv_block: two rounds of Conv2D(filters, kernel_size, padding="same", use_bias=not batchnorm), optional BatchNormalization, then ReLU')
    return x


DOWNSAMPLE_MODES = ("maxpool", "stride")


def downsample(x, mode="maxpool", *, name=None):
    """Halve the spatial size of a feature map, keeping its channel count.

    Parameters
    ----------
    x : KerasTensor, shape (N, H, W, C)
        Input feature map.
    mode : {'maxpool', 'stride'}, optional
        ``'maxpool'``: ``MaxPooling2D(pool_size=2, padding="same")``.
        ``'stride'``: ``Conv2D(C, 3, strides=2, padding="same")`` then a ReLU,
        a learned downsampling with trainable weights and no pooling.
    name : str, optional
        Prefix of the names of the layers created (``"enc1"`` gives
        ``enc1_pool`` or ``enc1_down_conv``). ``None`` lets Keras choose.

    Returns
    -------
    y : KerasTensor, shape (N, ceil(H / 2), ceil(W / 2), C)

    Raises
    ------
    ValueError
        If ``mode`` is not one of ``DOWNSAMPLE_MODES``; the message names the
        valid modes and the value received.

    Examples
    --------
    >>> downsample(keras.Input((101, 101, 8)), "stride").shape
    (None, 51, 51, 8)
    """
    raise NotImplementedError('downsample: look the mode up in a table of {\'maxpool\', \'stride\'}; ValueError for any other; \'stride\' is Conv2D(C, 3, strides=2, padding="same") + ReLU')
    return x


MERGE_MODES = ("concat", "add", "max", "min")


def merge_skip(decoder, encoder, mode="concat", *, name=None):
    """Join the decoder's upsampled tensor with the encoder tensor of its level.

    Parameters
    ----------
    decoder : KerasTensor, shape (N, H, W, Cd)
        Output of the decoder's transposed convolution at this level.
    encoder : KerasTensor, shape (N, H, W, Ce)
        Encoder feature map of the same level (the skip connection).
    mode : {'concat', 'add', 'max', 'min'}, optional
        ``'concat'``: channel-axis concatenation, decoder channels first.
        ``'add'``, ``'max'``, ``'min'``: element-wise sum, maximum, minimum;
        these need ``Cd == Ce``.
    name : str, optional
        Name of the merge layer (``"dec3_merge"``). ``None`` lets Keras choose.

    Returns
    -------
    y : KerasTensor
        Shape (N, H, W, Cd + Ce) for ``'concat'``, (N, H, W, Cd) otherwise.

    Raises
    ------
    ValueError
        If ``mode`` is unknown (naming the valid modes and the value), or if
        ``'add'``, ``'max'`` or ``'min'`` get tensors of different shapes
        (naming both shapes).

    Examples
    --------
    >>> d, e = keras.Input((8, 8, 4)), keras.Input((8, 8, 4))
    >>> merge_skip(d, e, "concat").shape
    (None, 8, 8, 8)
    """
    raise NotImplementedError("merge_skip: a table {'concat': Concatenate(axis=-1), 'add': Add(), 'max': Maximum(), 'min': Minimum()}; decoder first; ValueError for unknown modes and (element-wise modes) unequal shapes")
    return x
