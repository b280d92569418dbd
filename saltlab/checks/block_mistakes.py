"""Known mistakes in the blocks, recomputed from the reference on a failing case, so the feedback can name them.

Structure (``conv_block``, ``downsample``): the reference's operations on
the same case (:func:`.keras_probe.normalized_ops`, judged on the
computation, whatever objects carry it) are transformed as each known
mistake would change them; when the student's operations equal one of
those, the mistake is named. When none matches, a difference in the
settings of operations of the same kinds is named field by field ("both
convolutions: padding 'valid', the contract's is 'same'"); otherwise the
first operation that differs is shown.

Values (``merge_skip``): every other way of joining the two tensors is
computed with NumPy from the case's own inputs.

Numbers (block numerics): when no mistake is known, the pattern of the
differences is described (only near the border, signs, a constant factor).

Everything is computed in the verdict's process from the case and the
reference's answer on it: nothing is stored or shipped to students.
"""

import numpy as np

# --- structure ---------------------------------------------------------------

_CONV_FIELDS = ("filters", "kernel_size", "strides", "padding", "use_bias", "trainable")
_POOL_FIELDS = ("pool_size", "strides", "padding")


def _convs(ops, change):
    return [change(op) if op[0] == "conv" else op for op in ops]


def _set(op, field, value):
    index = 1 + _CONV_FIELDS.index(field)
    return op[:index] + (value,) + op[index + 1:]


def _stages(ops):
    """Split at each convolution: ``[[conv, bn, relu], [conv, bn, relu]]``."""
    stages = []
    for op in ops:
        if op[0] == "conv" or not stages:
            stages.append([])
        stages[-1].append(op)
    return stages


def _flat(stages):
    return [op for stage in stages for op in stage]


def _without_last(ops, kind):
    positions = [i for i, op in enumerate(ops) if op[0] == kind]
    return ops[:positions[-1]] + ops[positions[-1] + 1:] if positions else ops


def _relu_first(stage):
    """ReLU moved to the front of the stage (ReLU before the convolution)."""
    return [op for op in stage if op[0] == "relu"] + [op for op in stage if op[0] != "relu"]


def _relu_before_bn(stage):
    kinds = [op[0] for op in stage]
    if "bn" not in kinds or "relu" not in kinds:
        return stage
    return [op for op in stage if op[0] == "conv"] + [("relu",), ("bn",)] + [op for op in stage if op[0] not in ("conv", "bn", "relu")]


def _with_bn(stage):
    if any(op[0] == "bn" for op in stage):
        return stage
    return stage[:1] + [("bn",)] + stage[1:]


def _strided(ops, which):
    convs = [i for i, op in enumerate(ops) if op[0] == "conv"]
    if which >= len(convs):
        return ops
    ops = list(ops)
    ops[convs[which]] = _set(ops[convs[which]], "strides", (2, 2))
    return ops


STRUCTURE_MISTAKES = {
    "conv_block": [
        ("no ReLU after the second convolution", lambda ops: _without_last(ops, "relu")),
        ("no ReLU at all (the block is linear)", lambda ops: [op for op in ops if op[0] != "relu"]),
        ("the ReLU only when batchnorm=True (inside the batchnorm branch)",
         lambda ops: ops if any(op[0] == "bn" for op in ops) else [op for op in ops if op[0] != "relu"]),
        ("the ReLU before BatchNormalization", lambda ops: _flat(_relu_before_bn(s) for s in _stages(ops))),
        ("the ReLU before the convolution", lambda ops: _flat(_relu_first(s) for s in _stages(ops))),
        ("a ReLU twice in a row (activation='relu' in Conv2D and a ReLU layer after it)",
         lambda ops: _flat([s[0], ("relu",)] + s[1:] if s[-1] == ("relu",) else s for s in _stages(ops))),
        ("padding='valid' in the convolutions", lambda ops: _convs(ops, lambda op: _set(op, "padding", "valid"))),
        ("the convolutions created with trainable=False", lambda ops: _convs(ops, lambda op: _set(op, "trainable", False))),
        ("a bias in the convolutions although batchnorm=True (use_bias=True)",
         lambda ops: _convs(ops, lambda op: _set(op, "use_bias", True))),
        ("no bias in the convolutions although batchnorm=False (use_bias=False)",
         lambda ops: _convs(ops, lambda op: _set(op, "use_bias", False))),
        ("kernel_size ignored (3x3 convolutions whatever kernel_size is)",
         lambda ops: _convs(ops, lambda op: _set(op, "kernel_size", (3, 3)))),
        ("BatchNormalization whatever batchnorm says", lambda ops: _flat(_with_bn(s) for s in _stages(ops))),
        ("no BatchNormalization although batchnorm=True", lambda ops: [op for op in ops if op[0] != "bn"]),
        ("one Conv2D stage instead of two", lambda ops: _stages(ops)[0]),
        ("three Conv2D stages instead of two", lambda ops: ops + _stages(ops)[-1]),
        ("strides=2 on the first convolution", lambda ops: _strided(ops, 0)),
        ("strides=2 on the second convolution", lambda ops: _strided(ops, 1)),
    ],
    "downsample": [
        ("no ReLU after the stride-2 convolution", lambda ops: [op for op in ops if op[0] != "relu"]),
        ("max pooling in 'stride' mode instead of a learned convolution",
         lambda ops: [("maxpool", (2, 2), (2, 2), "same")] if any(op[0] == "conv" for op in ops) else ops),
        ("a ReLU after the pooling", lambda ops: ops + [("relu",)] if ops and ops[-1][0] == "maxpool" else ops),
        ("average pooling instead of max pooling",
         lambda ops: [("other", "AveragePooling2D") if op[0] == "maxpool" else op for op in ops]),
        ("padding='valid' (floor(H/2) instead of ceil(H/2))",
         lambda ops: [op[:3] + ("valid",) if op[0] == "maxpool" else _set(op, "padding", "valid") if op[0] == "conv"
                      else op for op in ops]),
        ("pooling with strides=1 (the map is not halved)",
         lambda ops: [op[:2] + ((1, 1),) + op[3:] if op[0] == "maxpool" else op for op in ops]),
        ("no bias in the stride-2 convolution (use_bias=False)",
         lambda ops: _convs(ops, lambda op: _set(op, "use_bias", False))),
        ("a 2x2 stride-2 convolution instead of 3x3", lambda ops: _convs(ops, lambda op: _set(op, "kernel_size", (2, 2)))),
    ],
}
"""Per block: (what the student did, how it changes the reference's operations)."""


def _field_changes(got_ops, want_ops):
    """Settings that differ between operations of the same kinds, as phrases; None if kinds differ."""
    if [op[0] for op in got_ops] != [op[0] for op in want_ops]:
        return None
    changes = {}
    for got, want in zip(got_ops, want_ops):
        fields = _CONV_FIELDS if got[0] == "conv" else _POOL_FIELDS if got[0] == "maxpool" else ()
        for field, g, w in zip(fields, got[1:], want[1:]):
            if g != w:
                what = "Conv2D" if got[0] == "conv" else "MaxPooling2D"
                changes.setdefault((what, field, _shown(g), _shown(w)), 0)
                changes[(what, field, _shown(g), _shown(w))] += 1
    return [f"{what} {field}={g} where the contract has {field}={w}" + (f" ({n} layers)" if n > 1 else "")
            for (what, field, g, w), n in changes.items()]


def _shown(value):
    if isinstance(value, tuple) and len(set(value)) == 1:
        return repr(value[0])
    return repr(value)


def name_structure_mistake(block, got_ops, want_ops):
    """A sentence on how ``got_ops`` differs from the reference's, naming the mistake when known.

    Parameters
    ----------
    block : {'conv_block', 'downsample'}
    got_ops, want_ops : list of tuple
        :func:`saltlab.checks.keras_probe.normalized_ops` of the student's and the reference's computation.

    Returns
    -------
    sentence : str
        ``""`` when the operations are equal.

    Examples
    --------
    >>> conv = ("conv", 8, (3, 3), (1, 1), "same", True, True)
    >>> name_structure_mistake("conv_block", [("relu",), conv, ("relu",), conv], [conv, ("relu",), conv, ("relu",)])
    'your layers equal what you get with the ReLU before the convolution'
    >>> name_structure_mistake("conv_block", [conv[:1] + (9,) + conv[2:], ("relu",)] * 2, [conv, ("relu",)] * 2)
    'Conv2D filters=9 where the contract has filters=8 (2 layers)'
    """
    got_ops, want_ops = [tuple(op) for op in got_ops], [tuple(op) for op in want_ops]
    if got_ops == want_ops:
        return ""
    matches = []
    for what, change in STRUCTURE_MISTAKES.get(block, []):
        mutated = [tuple(op) for op in change(list(want_ops))]
        if mutated != want_ops and mutated == got_ops and what not in matches:
            matches.append(what)
    if matches:
        return f"your layers equal what you get with {', or '.join(matches)}"
    changes = _field_changes(got_ops, want_ops)
    if changes:
        return "; ".join(changes)
    from .keras_probe import format_ops

    for index, (got, want) in enumerate(zip(got_ops, want_ops)):
        if got != want:
            return (f"the first difference is operation {index + 1}: yours is {format_ops([got])}, the contract's "
                    f"{format_ops([want])} ({len(got_ops)} operations against {len(want_ops)})")
    longer, extra = (got_ops, "you have more") if len(got_ops) > len(want_ops) else (want_ops, "the contract has more")
    return (f"the operations agree up to operation {min(len(got_ops), len(want_ops))}, then {extra}: "
            f"{format_ops(longer[min(len(got_ops), len(want_ops)):])}")


def unnamed(names):
    """The naming mistake: which layers were created without ``name=`` (Keras then chose their names).

    Examples
    --------
    >>> unnamed(["conv2d_94", "re_lu_3"])
    "layers created without name=: ['conv2d_94', 're_lu_3'] (Keras chose these names); pass name=... to every layer you create"
    """
    return f"layers created without name=: {list(names)[:6]} (Keras chose these names); pass name=... to every layer you create"


# --- merge_skip --------------------------------------------------------------

MERGES = {
    "the concatenation [decoder, encoder]": ("concat", lambda d, e: np.concatenate([d, e], axis=-1)),
    "the concatenation in the order [encoder, decoder]": (None, lambda d, e: np.concatenate([e, d], axis=-1)),
    "a concatenation on axis 1 (the rows), not the channels": (None, lambda d, e: np.concatenate([d, e], axis=1)),
    "the sum decoder + encoder": ("add", lambda d, e: d + e),
    "the difference decoder - encoder": (None, lambda d, e: d - e),
    "the difference encoder - decoder": (None, lambda d, e: e - d),
    "the average (decoder + encoder) / 2": (None, lambda d, e: (d + e) / 2),
    "the product decoder * encoder": (None, lambda d, e: d * e),
    "the element-wise maximum": ("max", np.maximum),
    "the element-wise minimum": ("min", np.minimum),
    "the decoder alone (the encoder dropped)": (None, lambda d, e: d),
    "the encoder alone (the decoder dropped)": (None, lambda d, e: e),
}
"""Every way of joining two tensors a student has been seen to write, and the mode it is right for."""


def name_merge_mistake(mode, decoder, encoder, got, *, rtol, atol):
    """``"your output equals ..."`` for the other joins ``got`` equals, or ``""``.

    Examples
    --------
    >>> d, e = np.array([[1.0, 2.0]]), np.array([[3.0, 5.0]])
    >>> name_merge_mistake("add", d, e, d - e, rtol=1e-6, atol=1e-6)
    'your output equals the difference decoder - encoder'
    """
    got = np.asarray(got)
    matches = []
    for what, (right_for, join) in MERGES.items():
        if right_for == mode:
            continue
        try:
            value = join(decoder, encoder)
        except ValueError:  # shapes this join cannot combine (a sum of 3 and 5 channels)
            continue
        if value.shape == got.shape and np.allclose(got, value, rtol=rtol, atol=atol):
            matches.append(what)
    if not matches:
        return ""
    return f"your output equals {', or '.join(matches)}" + (
        "; the contract puts the decoder first" if "order [encoder, decoder]" in matches[0] else "")


# --- numbers -----------------------------------------------------------------

def difference_pattern(got, expected, *, rtol, atol, border=2):
    """What is known about where and how two arrays of the same shape (N, H, W, C) differ.

    Returns
    -------
    sentence : str
        ``""`` when nothing simple describes the differences.

    Examples
    --------
    >>> e = np.ones((1, 6, 6, 1)); g = e.copy(); g[0, 0, :, 0] = 0
    >>> difference_pattern(g, e, rtol=1e-6, atol=1e-6)
    'every difference is within 1 pixels of the border: look at the padding'
    """
    got, expected = np.asarray(got, dtype=float), np.asarray(expected, dtype=float)
    if got.shape != expected.shape:
        return ""
    bad = ~np.isclose(got, expected, rtol=rtol, atol=atol)
    if not bad.any():
        return ""
    if got.ndim == 4 and got.shape[1] > 2 * border and got.shape[2] > 2 * border:
        for width in range(1, border + 1):
            inner = bad[:, width:-width, width:-width, :]
            if not inner.any():
                return f"every difference is within {width} pixels of the border: look at the padding"
    if (expected >= 0).all() and (got < 0).any():
        return ("your output has negative values where the reference's has none: "
                "the last operation is not a ReLU")
    flat_g, flat_e = got.ravel(), expected.ravel()
    denominator = float(flat_e @ flat_e)
    if denominator > 0:
        factor = float(flat_g @ flat_e) / denominator
        if abs(factor - 1) > 1e-3 and np.allclose(got, factor * expected, rtol=rtol, atol=atol * max(1, abs(factor))):
            return f"your output is the reference's times {factor:.4g}"
    if got.ndim == 4 and got.shape[-1] > 1:
        per_channel = bad.reshape(-1, got.shape[-1]).any(axis=0)
        if not per_channel.all():
            wrong = [int(c) for c in np.flatnonzero(per_channel)]
            return f"only channels {wrong[:8]} differ"
    return ""
