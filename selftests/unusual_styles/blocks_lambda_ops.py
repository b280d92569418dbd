"""Correct blocks written with ``keras.ops`` inside ``Lambda`` layers, and a fused ReLU.

- conv_block: ``Conv2D(activation="relu")`` without batch normalisation; with it,
  the ReLU is ``keras.ops.relu`` applied directly to the BN output.
- downsample: ``keras.layers.Conv2D(..., activation="relu")`` for the stride mode.
- merge_skip: every mode a ``Lambda`` around ``keras.ops.concatenate`` / ``add`` /
  ``maximum`` / ``minimum``; the unknown-mode error is raised before any layer exists.
"""

import keras
from keras import layers, ops

OPS = {
    "concat": lambda pair: ops.concatenate(pair, axis=-1),
    "add": lambda pair: ops.add(pair[0], pair[1]),
    "max": lambda pair: ops.maximum(pair[0], pair[1]),
    "min": lambda pair: ops.minimum(pair[0], pair[1]),
}


def conv_block(x, filters, *, kernel_size=3, batchnorm=False, name=None):
    prefix = name or ""
    for i in (1, 2):
        conv_name = f"{prefix}Conv{i}" if name else None
        if batchnorm:
            x = layers.Conv2D(filters, kernel_size, padding="same", use_bias=False, name=conv_name)(x)
            x = layers.BatchNormalization(name=f"{prefix}Bn{i}" if name else None)(x)
            x = ops.relu(x)
        else:
            x = layers.Conv2D(filters, kernel_size, padding="same", activation="relu", name=conv_name)(x)
    return x


def downsample(x, mode="maxpool", *, name=None):
    valid = ("maxpool", "stride")
    if mode not in valid:
        raise ValueError(f"mode={mode!r}: expected one of {valid}")
    if mode == "maxpool":
        return layers.MaxPooling2D(2, padding="same", name=name and name + "Pool")(x)
    return layers.Conv2D(x.shape[-1], 3, strides=2, padding="same", activation="relu",
                         name=name and name + "Down")(x)


def merge_skip(decoder, encoder, mode="concat", *, name=None):
    if mode not in OPS:
        raise ValueError(f"merge_skip mode must be concat, add, max or min, not {mode!r}")
    if mode != "concat" and decoder.shape[1:] != encoder.shape[1:]:
        raise ValueError(f"cannot {mode} decoder {decoder.shape} and encoder {encoder.shape}")
    return layers.Lambda(OPS[mode], name=name)([decoder, encoder])
