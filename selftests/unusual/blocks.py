"""Correct but unusual blocks: every public check must give them full marks.

- conv_block: Conv2D(activation="relu") without batch normalisation, and
  Activation("relu") layers with it; a while loop.
- downsample: an if/elif ladder, MaxPool2D alias, Conv2D(activation="relu").
- merge_skip: Concatenate(axis=3), a dict of layer classes for the rest, and
  a shape check written with `!=` on shape lists.
"""

import keras
from keras import layers


def conv_block(x, filters, *, kernel_size=3, batchnorm=False, name=None):
    count = 0
    while count < 2:
        count += 1
        label = f"{name}_c{count}" if name else None
        if batchnorm:
            x = layers.Conv2D(filters, (kernel_size, kernel_size), padding="same", use_bias=False, name=label)(x)
            x = layers.BatchNormalization(name=f"{label}_bn" if name else None)(x)
            x = layers.Activation("relu", name=f"{label}_act" if name else None)(x)
        else:
            x = layers.Conv2D(filters, kernel_size, padding="same", activation="relu", name=label)(x)
    return x


def downsample(x, mode="maxpool", *, name=None):
    if mode == "maxpool":
        return layers.MaxPool2D(2, padding="same", name=name)(x)
    elif mode == "stride":
        return layers.Conv2D(int(x.shape[3]), 3, strides=(2, 2), padding="same", activation="relu", name=name)(x)
    else:
        raise ValueError("unknown downsampling %r: use 'maxpool' or 'stride'" % (mode,))


def merge_skip(decoder, encoder, mode="concat", *, name=None):
    if mode == "concat":
        return layers.Concatenate(axis=3, name=name)([decoder, encoder])
    if mode not in ("add", "max", "min"):
        raise ValueError(f"merge mode {mode} is not one of concat, add, max, min")
    if list(decoder.shape) != list(encoder.shape):
        raise ValueError(f"cannot {mode} {decoder.shape} with {encoder.shape}")
    layer = {"add": layers.Add, "max": layers.Maximum, "min": layers.Minimum}[mode]
    return layer(name=name)([decoder, encoder])
