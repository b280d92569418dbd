"""Model assembly: the course's U-Net and a full-resolution FCN.

Both builders take the implementation whose blocks they assemble, loaded
once by the caller (:func:`saltlab.impl.load_implementation`), so one builder
serves the student's ``assignment``, the reference ``solutions`` and every
submission the grader loads.
"""

from .impl import require_implementation

MERGE_CHOICES = ("none", "concat", "add", "max", "min")


def build_unet(
    input_shape=(128, 128, 1),
    *,
    base_filters=16,
    depth=4,
    downsample="maxpool",
    merge="concat",
    batchnorm=False,
    dropout=0.0,
    impl,
):
    """The course's U-Net, assembled from an implementation's graded blocks.

    Per encoder level ``i`` (1..depth): ``conv_block`` with
    ``base_filters * 2**(i-1)`` filters (``enc<i>_conv1``...), then
    ``downsample`` (``enc<i>_pool`` / ``enc<i>_down_conv``). A bottleneck
    ``conv_block`` with ``base_filters * 2**depth`` filters. Per decoder level
    ``i`` (depth..1): ``Conv2DTranspose(stride 2)`` back to the encoder's
    filter count (``dec<i>_up``), ``merge_skip`` with the encoder tensor of that
    level (``dec<i>_merge``), then ``conv_block`` (``dec<i>_conv1``...). A 1x1
    sigmoid convolution gives the salt probability.

    Parameters
    ----------
    input_shape : tuple of int, optional
        (H, W, C) of one image; H and W must be divisible by ``2**depth``.
        Default (128, 128, 1), the course's input.
    base_filters : int, optional
        Filters of the first level; doubled at each level down (default 16).
    depth : int, optional
        Number of downsampling steps (default 4: 128 -> 8 at the bottleneck).
    downsample : {'maxpool', 'stride'}, optional
        Passed to the implementation's ``downsample``.
    merge : {'concat', 'add', 'max', 'min', 'none'}, optional
        Passed to ``merge_skip``; ``'none'`` builds the same network without
        skip connections.
    batchnorm : bool, optional
        Passed to every ``conv_block``.
    dropout : float, optional
        Dropout rate after each downsampling and each merge; 0 disables it.
    impl : saltlab.impl.Implementation
        Whose blocks to assemble.

    Returns
    -------
    model : keras.Model
        Input (N, H, W, C) -> output (N, H, W, 1) of probabilities. With the
        defaults: 128x128x1 -> 8x8x256 at the bottleneck -> 128x128x1.

    Raises
    ------
    ValueError
        For an unknown ``merge`` or an input size not divisible by ``2**depth``.
    TypeError
        If ``impl`` is not a loaded implementation.

    Examples
    --------
    >>> from saltlab.impl import default_implementation, load_implementation
    >>> impl = load_implementation(default_implementation())
    >>> model = build_unet((64, 64, 1), base_filters=4, depth=3, impl=impl)
    >>> model.output.shape, model.get_layer("bottleneck_relu2").output.shape
    ((None, 64, 64, 1), (None, 8, 8, 32))
    """
    import keras
    from keras import layers

    impl = require_implementation(impl, "build_unet")
    if merge not in MERGE_CHOICES:
        raise ValueError(f"build_unet: merge must be one of {list(MERGE_CHOICES)}, got {merge!r}")
    height, width = input_shape[:2]
    if height % 2**depth or width % 2**depth:
        raise ValueError(
            f"build_unet: input size {height}x{width} must be divisible by 2**depth = {2**depth} "
            "(pad 101x101 images to 128x128 with saltlab.data.to_network_input)"
        )

    inputs = keras.Input(input_shape, name="image")
    x = inputs
    skips = []
    for level in range(1, depth + 1):
        x = impl.conv_block(x, base_filters * 2 ** (level - 1), batchnorm=batchnorm, name=f"enc{level}")
        skips.append(x)
        x = impl.downsample(x, downsample, name=f"enc{level}")
        if dropout:
            x = layers.Dropout(dropout, name=f"enc{level}_dropout")(x)

    x = impl.conv_block(x, base_filters * 2**depth, batchnorm=batchnorm, name="bottleneck")

    for level in range(depth, 0, -1):
        filters = base_filters * 2 ** (level - 1)
        x = layers.Conv2DTranspose(filters, 3, strides=2, padding="same", name=f"dec{level}_up")(x)
        if merge != "none":
            x = impl.merge_skip(x, skips[level - 1], merge, name=f"dec{level}_merge")
            if dropout:
                x = layers.Dropout(dropout, name=f"dec{level}_dropout")(x)
        x = impl.conv_block(x, filters, batchnorm=batchnorm, name=f"dec{level}")

    outputs = layers.Conv2D(1, 1, activation="sigmoid", name="salt_probability")(x)
    name = f"unet_{downsample}_{merge}"
    return keras.Model(inputs, outputs, name=name)


def build_fcn(
    input_shape=(128, 128, 1),
    *,
    filters=48,
    dilation_rates=(1, 1, 2, 4, 8, 16, 1),
    batchnorm=False,
    impl,
):
    """A fully convolutional network that keeps full resolution in every layer.

    Course question 3 compares it with the encoder-decoder U-Net. Without
    downsampling, a stack of plain 3x3 convolutions would see only a few
    pixels of context; dilated convolutions with rates 1, 2, 4, 8, 16 widen
    the receptive field exponentially (to about 70 pixels with the default
    rates) at the same parameter cost. The stem is the implementation's
    ``conv_block``; the rest are dilated ``Conv2D + ReLU`` layers.

    Parameters
    ----------
    input_shape : tuple of int, optional
        (H, W, C) of one image; any size (default (128, 128, 1)).
    filters : int, optional
        Channels of every layer (default 48).
    dilation_rates : sequence of int, optional
        One dilated 3x3 convolution per entry, after the stem.
    batchnorm : bool, optional
        Passed to the stem ``conv_block``.
    impl : saltlab.impl.Implementation
        Whose ``conv_block`` to use as the stem.

    Returns
    -------
    model : keras.Model
        (N, H, W, C) -> (N, H, W, 1) probabilities, every layer at H x W.

    Notes
    -----
    Parameters grow as ``9 * filters**2`` per layer while the compute grows
    with ``H * W`` at every layer, which is why the FCN is much slower per
    parameter than the U-Net: the point of the comparison.
    """
    import keras
    from keras import layers

    impl = require_implementation(impl, "build_fcn")
    inputs = keras.Input(input_shape, name="image")
    x = impl.conv_block(inputs, filters, batchnorm=batchnorm, name="stem")
    for index, rate in enumerate(dilation_rates, start=1):
        x = layers.Conv2D(
            filters, 3, padding="same", dilation_rate=rate, activation="relu", name=f"dilated{index}_rate{rate}"
        )(x)
    outputs = layers.Conv2D(1, 1, activation="sigmoid", name="salt_probability")(x)
    return keras.Model(inputs, outputs, name="fcn_dilated")
