"""Correct blocks with Keras's functional helpers and string activations.

- conv_block: ``layers.Activation("relu")`` layers, names with a dot (``enc7.conv1``).
- downsample: the stride mode as a nested ``keras.Sequential`` of Conv2D and ReLU,
  named layers inside it; ``MaxPool2D((2, 2), strides=2)``.
- merge_skip: ``layers.concatenate`` / ``add`` / ``maximum`` / ``minimum``, the
  functional helpers, picked from a dict; shapes compared as lists.
"""

import keras
from keras import layers


def _label(name, part):
    return None if name is None else f"{name}.{part}"


def conv_block(x, filters, *, kernel_size=3, batchnorm=False, name=None):
    for i in range(1, 3):
        x = layers.Conv2D(filters=filters, kernel_size=(kernel_size, kernel_size), strides=(1, 1), padding="same",
                          use_bias=not batchnorm, name=_label(name, f"conv{i}"))(x)
        if batchnorm:
            x = layers.BatchNormalization(axis=-1, name=_label(name, f"bn{i}"))(x)
        x = layers.Activation("relu", name=_label(name, f"act{i}"))(x)
    return x


def downsample(x, mode="maxpool", *, name=None):
    if mode == "maxpool":
        return layers.MaxPool2D((2, 2), strides=2, padding="same", name=_label(name, "pool"))(x)
    if mode == "stride":
        block = keras.Sequential([
            layers.Conv2D(x.shape[-1], 3, strides=2, padding="same", name=_label(name, "conv")),
            layers.ReLU(name=_label(name, "relu")),
        ], name=_label(name, "down"))
        return block(x)
    raise ValueError(f"downsample mode {mode!r} is not one of 'maxpool', 'stride'")


MERGES = {"concat": layers.concatenate, "add": layers.add, "max": layers.maximum, "min": layers.minimum}


def merge_skip(decoder, encoder, mode="concat", *, name=None):
    if mode not in MERGES:
        raise ValueError(f"unknown merge mode {mode!r}; valid: {', '.join(MERGES)}")
    if mode != "concat" and list(decoder.shape)[1:] != list(encoder.shape)[1:]:
        raise ValueError(f"{mode} needs equal shapes, got {decoder.shape[1:]} and {encoder.shape[1:]}")
    if mode == "concat":
        return MERGES[mode]([decoder, encoder], axis=-1, name=name)
    return MERGES[mode]([decoder, encoder], name=name)
