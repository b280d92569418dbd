"""Probing helpers shared by the block checks: build, describe, load weights, run.

Everything returned is plain data, so the same helpers serve the in-process
tests and the sandboxed grader worker.
"""

import numpy as np

_CONFIG_KEYS = (
    "filters", "kernel_size", "strides", "padding", "use_bias", "activation",
    "pool_size", "dilation_rate", "axis", "negative_slope", "max_value", "threshold",
)


def build_block_model(input_shapes, build):
    """A ``keras.Model`` from ``len(input_shapes)`` inputs through ``build(*inputs)``.

    Parameters
    ----------
    input_shapes : list of tuple
        (H, W, C) of each input (the batch axis is added).
    build : callable
        Called with the symbolic inputs; returns the output KerasTensor.
    """
    import keras

    inputs = [keras.Input(tuple(shape)) for shape in input_shapes]
    output = build(*inputs)
    if not isinstance(output, keras.KerasTensor):
        raise TypeError(f"expected a KerasTensor from the block, got {type(output).__name__}")
    return keras.Model(inputs if len(inputs) > 1 else inputs[0], output)


def computation(model):
    """The operations ``model`` applies to its input, in the order it applies them.

    The structure of a block is judged on what it computes, whatever objects
    carry it: a nested model (``keras.Sequential`` or functional) is opened
    and its operations listed in place; a layer called twice (one shared
    ``Activation("relu")`` after both convolutions) is listed at each call;
    ``keras.ops`` calls (``keras.ops.relu``) are operations of the graph too.
    The order is that of Keras's own graph (``_nodes_by_depth``, deepest first).

    Returns
    -------
    operations : list of keras.Operation
    """
    import keras

    if isinstance(model, keras.Sequential):
        listed = []
        for layer in model.layers:
            listed += computation(layer) if isinstance(layer, keras.Model) else [layer]
        return listed
    listed = []
    by_depth = getattr(model, "_nodes_by_depth", None)
    if by_depth is None:  # a subclassed model: its layers, in the order they were set
        return [layer for layer in model.layers]
    for depth in sorted(by_depth, reverse=True):
        for node in by_depth[depth]:
            operation = node.operation
            if type(operation).__name__ == "InputLayer":
                continue
            listed += computation(operation) if isinstance(operation, keras.Model) else [operation]
    return listed


def describe_layers(model):
    """The operations of the model's computation in order (:func:`computation`), as plain dicts.

    Returns
    -------
    layers : list of dict
        ``{"class": "Conv2D", "name": ..., "layer": bool, "trainable_weights": int, <config keys>}``
        (config keys among filters, kernel_size, strides, padding, use_bias,
        activation, pool_size, ...). ``layer`` is false for ``keras.ops``
        calls, which are operations, not layers (SPEC: they need no name).
    """
    import keras

    described = []
    for operation in computation(model):
        is_layer = isinstance(operation, keras.layers.Layer)
        config = operation.get_config() if is_layer else {}
        entry = {
            "class": type(operation).__name__,
            "name": operation.name,
            "layer": is_layer,
            "trainable_weights": int(sum(np.prod(w.shape) for w in operation.trainable_weights)) if is_layer else 0,
        }
        for key in _CONFIG_KEYS:
            if key in config:
                value = config[key]
                entry[key] = list(value) if isinstance(value, tuple) else value
        if type(operation).__name__ == "Activation":
            entry["activation"] = str(config.get("activation"))
        described.append(entry)
    return described


def normalized_ops(layers):
    """Reduce a layer description to the operations that matter for the contract.

    ``Conv2D(activation="relu")``, ``Activation("relu")`` and ``ReLU()`` are the
    same thing to the contract, so each becomes a ``conv`` op followed by a
    ``relu`` op. Layers that do nothing (identity activations, dropout with
    rate 0) are dropped.

    Returns
    -------
    ops : list of tuple
        ``("conv", filters, kernel, strides, padding, use_bias, trainable)``, ``("bn",)``,
        ``("relu",)``, ``("maxpool", pool, strides, padding)``, or
        ``("other", class_name)``.
    """
    ops = []
    for layer in layers:
        kind = layer["class"]
        if kind == "Conv2D":
            ops.append((
                "conv", layer["filters"], tuple(layer["kernel_size"]), tuple(layer["strides"]),
                layer["padding"], bool(layer["use_bias"]), layer["trainable_weights"] > 0,
            ))
            if layer.get("activation") == "relu":
                ops.append(("relu",))
            elif layer.get("activation") not in (None, "linear"):
                ops.append(("activation", layer["activation"]))
        elif kind == "BatchNormalization":
            ops.append(("bn",))
        elif kind == "ReLU":
            plain = (layer.get("negative_slope") in (0, 0.0, None) and layer.get("max_value") is None
                     and layer.get("threshold") in (0, 0.0, None))
            ops.append(("relu",) if plain else ("other", "ReLU(leaky or capped)"))
        elif kind == "Relu":  # keras.ops.relu(x): an operation of the graph, not a layer
            ops.append(("relu",))
        elif kind == "Activation":
            if layer["activation"] == "relu":
                ops.append(("relu",))
            elif layer["activation"] != "linear":
                ops.append(("activation", layer["activation"]))
        elif kind in ("MaxPooling2D", "MaxPool2D"):
            ops.append(("maxpool", tuple(layer["pool_size"]), tuple(layer["strides"]), layer["padding"]))
        else:
            ops.append(("other", kind))
    return ops


def format_ops(ops):
    """A readable one-line rendering of :func:`normalized_ops`."""
    words = []
    for op in ops:
        if op[0] == "conv":
            _, filters, kernel, strides, padding, bias, trainable = op
            stride = "" if strides == (1, 1) else f", strides={strides[0]}"
            frozen = "" if trainable else ", trainable=False"
            words.append(f"Conv2D({filters}, {kernel[0]}{stride}, padding={padding!r}, use_bias={bias}{frozen})")
        elif op[0] == "bn":
            words.append("BatchNormalization")
        elif op[0] == "relu":
            words.append("ReLU")
        elif op[0] == "maxpool":
            stride = "" if op[2] == op[1] else f", strides={op[2][0]}"  # Keras's default strides are the pool size
            words.append(f"MaxPooling2D({op[1][0]}{stride}, padding={op[3]!r})")
        else:
            words.append(str(op[1]))
    return " -> ".join(words) or "(no layers)"


def random_weights(shapes, seed):
    """Deterministic weights for the given shapes (He-scaled normal; BN variances positive).

    Parameters
    ----------
    shapes : list of tuple
        Weight shapes in ``model.get_weights()`` order.
    seed : int

    Returns
    -------
    weights : list of np.ndarray, float32
    """
    rng = np.random.default_rng(seed)
    weights = []
    for shape in shapes:
        fan_in = int(np.prod(shape[:-1])) if len(shape) > 1 else 1
        values = rng.normal(0.0, np.sqrt(2.0 / max(fan_in, 1)), size=shape)
        weights.append(values.astype("float32"))
    return weights


def set_weights_by_role(model, weights):
    """Load ``weights`` into the model's weight-bearing layers in order.

    The list holds, per weight-bearing layer, its arrays in Keras's order
    (Conv2D: kernel[, bias]; BatchNormalization: gamma, beta, moving_mean,
    moving_variance). A layout mismatch raises ValueError naming both
    layouts, which the verdict reports as a structural difference.
    """
    expected = [tuple(w.shape) for w in model.weights]
    given = [tuple(w.shape) for w in weights]
    if expected != given:
        raise ValueError(f"weight layout {expected} differs from the reference's {given}")
    model.set_weights(weights)
