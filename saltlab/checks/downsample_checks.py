"""Checks of ``downsample``: shapes, structure of both modes, numerics, unknown modes."""

import numpy as np

from .block_mistakes import difference_pattern, name_structure_mistake, unnamed
from .core import Case, Check, Verdict, call_capturing, compare_arrays, register
from .keras_probe import build_block_model, describe_layers, format_ops, normalized_ops, random_weights, set_weights_by_role
from .tolerance import float32_atol

NUMERIC_RTOL, NUMERIC_ATOL = 1e-5, 1e-5
"""Float32 convolutions summed in another order (another implementation, another
processor) differ by a few ulps of the output's scale; the absolute tolerance is
the larger of NUMERIC_ATOL and :func:`.tolerance.float32_atol` of the expected
output (64 ulps of its largest magnitude), so a correct block passes on every
machine while a wrong activation, padding or weight order (1e-2 and more) fails."""
HINT = ("'maxpool' is MaxPooling2D(pool_size=2, padding='same'); 'stride' is Conv2D(C, 3, strides=2, "
        "padding='same') then ReLU, with C the input's channel count")


def downsample_case(case_id, input_shape, mode, *, batch=1, seed=0):
    """A downsample case; for 'stride', conv weights of the contract's layout from ``seed``."""
    channels = input_shape[-1]
    rng = np.random.default_rng(seed)
    arrays = {"x": rng.normal(size=(batch, *input_shape)).astype("float32")}
    if mode == "stride":
        kernel, bias = random_weights([(3, 3, channels, channels), (channels,)], seed + 1)
        arrays.update(w0=kernel, w1=bias)
    return Case(case_id, {"input_shape": list(input_shape), "mode": mode}, arrays)


def public_cases():
    return [
        downsample_case(f"{h}x{w}x{c}-{mode}", (h, w, c), mode, seed=20 + i)
        for i, ((h, w, c), mode) in enumerate([
            ((128, 128, 4), "maxpool"), ((101, 101, 3), "maxpool"), ((7, 10, 2), "maxpool"),
            ((128, 128, 4), "stride"), ((101, 101, 3), "stride"), ((7, 10, 2), "stride"),
        ])
    ]


def _build(impl, case):
    return build_block_model([case.params["input_shape"]], lambda x: impl.downsample(x, case.params["mode"]))


def probe_shape(impl, case):
    return {"shape": list(_build(impl, case).output.shape[1:])}


def verdict_shape(case, got, expected):
    h, w, c = case.params["input_shape"]
    want = [-(-h // 2), -(-w // 2), c]  # ceil(H/2), ceil(W/2), same channels: the contract
    if list(got["shape"]) == want:
        return Verdict(True)
    return Verdict(False, f"downsample on {case.describe()}: output shape (N, {', '.join(map(str, got['shape']))}), "
                          f"expected (N, {', '.join(map(str, want))}): ceil(H/2), ceil(W/2), same channels")


def probe_structure(impl, case):
    return {"layers": describe_layers(_build(impl, case))}


def verdict_structure(case, got, expected):
    layers = got["layers"]
    got_ops, want_ops = normalized_ops(layers), normalized_ops(expected["layers"])
    trainable = sum(layer["trainable_weights"] for layer in layers)
    mode = case.params["mode"]
    problems = []
    if mode == "stride":
        if any(op[0] == "maxpool" or "Pool" in str(op[1:]) for op in got_ops):
            problems.append("'stride' mode must not pool")
        if trainable == 0:
            problems.append("'stride' mode must have trainable weights")
    if got_ops != want_ops:
        problems.append(f"layers are {format_ops(got_ops)}, expected {format_ops(want_ops)}")
        problems.append(name_structure_mistake("downsample", got_ops, want_ops))
    if not problems:
        return Verdict(True)
    return Verdict(False, f"downsample on {case.describe()}: " + "; ".join(p for p in problems if p))


def probe_numerics(impl, case):
    model = _build(impl, case)
    if case.params["mode"] == "stride":
        set_weights_by_role(model, [case.arrays["w0"], case.arrays["w1"]])
    return {"y": np.asarray(model(case.arrays["x"], training=False))}


def verdict_numerics(case, got, expected):
    atol = max(NUMERIC_ATOL, float32_atol(expected["y"]))
    pattern = difference_pattern(got["y"], expected["y"], rtol=NUMERIC_RTOL, atol=atol)
    return compare_arrays(f"downsample on {case.describe()}", got["y"], expected["y"],
                          rtol=NUMERIC_RTOL, atol=atol, note=f" ({pattern})" if pattern else "")


def error_cases():
    return [Case(f"mode={mode!r}", {"mode": mode}) for mode in ("avgpool", "Maxpool", "none")]


def probe_error(impl, case):
    import keras

    record = call_capturing(impl.downsample, keras.Input((8, 8, 2)), case.params["mode"])
    # A downsample that does not raise returns a KerasTensor, which is not plain data: the
    # verdict needs only whether and what it raised ("returned normally; expected ValueError").
    record.pop("value", None)
    return record


def verdict_error(case, got, expected):
    mode = case.params["mode"]
    if got["raised"] != "ValueError":
        what = "returned normally" if got["raised"] is None else f"raised {got['raised']}"
        why = ""
        if got["raised"] is None:
            why = (f" (modes are case-sensitive: {mode!r} is not {mode.lower()!r})" if mode.lower() in ("maxpool", "stride")
                   else " (an unknown mode fell back to a default; look it up and raise for anything else)")
        return Verdict(False, f"downsample(x, {mode!r}) {what}; expected ValueError naming the valid modes and {mode!r}{why}")
    message = got["message"]
    missing = [word for word in ("maxpool", "stride", mode) if word not in message]
    if missing:
        return Verdict(False, f"downsample(x, {mode!r}) raised ValueError, but its message {message!r} "
                              f"does not mention {missing}: name the valid modes and the value received")
    return Verdict(True)


def name_cases():
    return [Case(f"names-{mode}", {"input_shape": [9, 8, 3], "mode": mode}) for mode in ("maxpool", "stride")]


def probe_names(impl, case):
    # Layers only, nested ones included: keras.ops calls are operations and need no name (SPEC, Clarifications).
    model = build_block_model([case.params["input_shape"]], lambda x: impl.downsample(x, case.params["mode"], name="down3"))
    return {"names": [layer["name"] for layer in describe_layers(model) if layer.get("layer", True)]}


def verdict_names(case, got, expected):
    wrong = [n for n in got["names"] if not str(n).startswith("down3")]
    if not wrong:
        return Verdict(True)
    return Verdict(False, f"downsample(x, {case.params['mode']!r}, name='down3'): layer names {got['names']} should all "
                          f"start with 'down3' (e.g. 'down3_pool'); {unnamed(wrong)}")


register(Check("downsample.shapes", "downsample", "output (N, ceil(H/2), ceil(W/2), C) in both modes",
               public_cases, probe_shape, verdict_shape, needs_reference=False, hint=HINT))
register(Check("downsample.structure", "downsample", "maxpool pools; stride is a trainable 3x3 stride-2 conv + ReLU, no pooling",
               public_cases, probe_structure, verdict_structure, hint=HINT))
register(Check("downsample.numerics", "downsample", "same weights, same outputs as the reference",
               public_cases, probe_numerics, verdict_numerics, hint=HINT))
register(Check("downsample.errors", "downsample", "an unknown mode raises ValueError naming the valid modes and the value",
               error_cases, probe_error, verdict_error, needs_reference=False,
               hint="look the mode up in a dict; raise ValueError(f'... one of [...], got {mode!r}') otherwise"))
register(Check("downsample.names", "downsample", "name= prefixes every layer's name, in both modes",
               name_cases, probe_names, verdict_names, needs_reference=False,
               hint="build each layer with name=f'{name}_pool' (or similar) when name is given"))
