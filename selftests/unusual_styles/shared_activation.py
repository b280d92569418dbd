"""Correct blocks: one Activation("relu") instance, applied after both convolutions."""

from keras import layers


def _named(name, suffix):
    return f"{name}_{suffix}" if name else None


def conv_block(x, filters, *, kernel_size=3, batchnorm=False, name=None):
    relu = layers.Activation("relu", name=_named(name, "relu"))
    for stage in (1, 2):
        x = layers.Conv2D(filters, kernel_size, padding="same", use_bias=not batchnorm,
                          name=_named(name, f"conv{stage}"))(x)
        if batchnorm:
            x = layers.BatchNormalization(name=_named(name, f"bn{stage}"))(x)
        x = relu(x)
    return x


def downsample(x, mode="maxpool", *, name=None):
    if mode == "maxpool":
        return layers.MaxPooling2D(pool_size=2, padding="same", name=name)(x)
    if mode == "stride":
        y = layers.Conv2D(x.shape[-1], 3, strides=2, padding="same", name=_named(name, "conv"))(x)
        return layers.ReLU(name=_named(name, "relu"))(y)
    raise ValueError(f"mode must be 'maxpool' or 'stride', got {mode!r}")


def merge_skip(decoder, encoder, mode="concat", *, name=None):
    if mode == "concat":
        return layers.Concatenate(axis=-1, name=name)([decoder, encoder])
    merges = {"add": layers.Add, "max": layers.Maximum, "min": layers.Minimum}
    if mode not in merges:
        raise ValueError(f"mode must be one of concat, add, max, min; got {mode!r}")
    if tuple(decoder.shape[1:]) != tuple(encoder.shape[1:]):
        raise ValueError(f"shapes differ: decoder {decoder.shape}, encoder {encoder.shape}")
    return merges[mode](name=name)([decoder, encoder])
