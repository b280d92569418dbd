"""Checks of ``merge_skip``: each mode against NumPy, the errors."""

import numpy as np

from .block_mistakes import name_merge_mistake, unnamed
from .core import Case, Check, Verdict, call_capturing, compare_arrays, register
from .keras_probe import build_block_model, describe_layers

RTOL, ATOL = 1e-6, 1e-6
"""Concatenation, max and min copy values; a float32 sum of two values is one
correctly rounded IEEE operation, the same on every processor (half an ulp of
values up to about 5 is 2.4e-7). No cross-machine slack is needed here."""

HINT = "concat is Concatenate(axis=-1)([decoder, encoder]) (decoder first); add/max/min are Add, Maximum, Minimum"

NUMPY_ANSWER = {
    "concat": lambda d, e: np.concatenate([d, e], axis=-1),
    "add": lambda d, e: d + e,
    "max": np.maximum,
    "min": np.minimum,
}
"""What each mode means, written with NumPy: the contract, not an implementation to copy."""


def merge_case(case_id, mode, decoder_shape, encoder_shape, *, batch=2, seed=0):
    rng = np.random.default_rng(seed)
    arrays = {
        "decoder": rng.normal(size=(batch, *decoder_shape)).astype("float32"),
        "encoder": rng.normal(size=(batch, *encoder_shape)).astype("float32"),
    }
    return Case(case_id, {"mode": mode, "decoder_shape": list(decoder_shape), "encoder_shape": list(encoder_shape)}, arrays)


def public_cases():
    return [
        merge_case("concat-8x8x3+5", "concat", (8, 8, 3), (8, 8, 5), seed=31),
        merge_case("concat-13x7x4+4", "concat", (13, 7, 4), (13, 7, 4), seed=32),
        merge_case("add-8x8x4", "add", (8, 8, 4), (8, 8, 4), seed=33),
        merge_case("max-13x7x2", "max", (13, 7, 2), (13, 7, 2), seed=34),
        merge_case("min-16x16x3", "min", (16, 16, 3), (16, 16, 3), seed=35),
    ]


def probe_values(impl, case):
    p = case.params
    model = build_block_model([p["decoder_shape"], p["encoder_shape"]],
                              lambda d, e: impl.merge_skip(d, e, p["mode"]))
    return {"y": np.asarray(model([case.arrays["decoder"], case.arrays["encoder"]], training=False))}


def verdict_values(case, got, expected):
    decoder, encoder = case.arrays["decoder"], case.arrays["encoder"]
    y = np.asarray(got["y"])
    want = NUMPY_ANSWER[case.params["mode"]](decoder, encoder)
    if y.shape == want.shape and np.allclose(y, want, rtol=RTOL, atol=ATOL):
        return Verdict(True)
    mistake = name_merge_mistake(case.params["mode"], decoder, encoder, y, rtol=RTOL, atol=ATOL)
    return compare_arrays(f"merge_skip on {case.describe()}", y, want, rtol=RTOL, atol=ATOL,
                          note=f" ({mistake})" if mistake else "")


def error_cases():
    return [
        Case("add-unequal-channels", {"mode": "add", "decoder_shape": [8, 8, 4], "encoder_shape": [8, 8, 6]}),
        Case("max-unequal-size", {"mode": "max", "decoder_shape": [8, 8, 4], "encoder_shape": [9, 9, 4]}),
        Case("min-unequal-channels", {"mode": "min", "decoder_shape": [4, 4, 1], "encoder_shape": [4, 4, 2]}),
        # Shapes that broadcast (a 1 against an 8) are different shapes (SPEC, Clarifications):
        # Keras's merge layers would broadcast them without a word.
        Case("add-broadcast-rows", {"mode": "add", "decoder_shape": [1, 8, 4], "encoder_shape": [8, 8, 4]}),
        Case("max-broadcast-channels", {"mode": "max", "decoder_shape": [6, 5, 3], "encoder_shape": [6, 5, 1]}),
        Case("unknown-mode", {"mode": "multiply", "decoder_shape": [8, 8, 4], "encoder_shape": [8, 8, 4]}),
        # 'none' is the model builder's option, not this function's; modes are case-sensitive.
        Case("mode-none", {"mode": "none", "decoder_shape": [8, 8, 4], "encoder_shape": [8, 8, 4]}),
        Case("mode-Concat", {"mode": "Concat", "decoder_shape": [8, 8, 4], "encoder_shape": [8, 8, 2]}),
    ]


def probe_error(impl, case):
    import keras

    p = case.params
    record = call_capturing(impl.merge_skip, keras.Input(tuple(p["decoder_shape"])),
                            keras.Input(tuple(p["encoder_shape"])), p["mode"])
    # A merge that does not raise returns a KerasTensor, which is not plain data: the verdict
    # needs only whether and what it raised ("returned normally; expected ValueError").
    record.pop("value", None)
    return record


_ERROR_MISTAKES = {
    "add-broadcast-rows": " (the channel counts are equal but the rows are not: compare the whole shapes, "
                          "not the channel counts only; Keras's Add would broadcast them without a word)",
    "max-broadcast-channels": " (shapes that broadcast are still different shapes: compare the whole shapes)",
    "unknown-mode": " (an unknown mode fell back to a default; look it up and raise for anything else)",
    "mode-none": " ('none' is the model builder's option, not a merge mode of this function)",
    "mode-Concat": " (modes are case-sensitive: 'Concat' is not 'concat')",
}
"""What a merge that returns normally on an error case has done, by case."""


def verdict_error(case, got, expected):
    p = case.params
    call = f"merge_skip(decoder {tuple(p['decoder_shape'])}, encoder {tuple(p['encoder_shape'])}, {p['mode']!r})"
    if got["raised"] != "ValueError":
        what = "returned normally" if got["raised"] is None else f"raised {got['raised']}"
        why = _ERROR_MISTAKES.get(case.id, "") if got["raised"] is None else ""
        return Verdict(False, f"{call} {what}; expected ValueError{why}")
    message = got["message"]
    if p["mode"] in NUMPY_ANSWER:
        # Both shapes must be named; accept any spelling that shows every size of both.
        sizes = {str(d) for d in p["decoder_shape"] + p["encoder_shape"]}
        if not all(size in message for size in sizes):
            return Verdict(False, f"{call} raised ValueError, but its message {message!r} does not name both shapes")
    elif not all(word in message for word in ("concat", "add", "max", "min", p["mode"])):
        return Verdict(False, f"{call} raised ValueError, but its message {message!r} should name the valid modes and {p['mode']!r}")
    return Verdict(True)


def name_cases():
    return [Case(f"names-{mode}", {"mode": mode, "decoder_shape": [6, 7, 2], "encoder_shape": [6, 7, 2]})
            for mode in ("concat", "add", "max", "min")]


def probe_names(impl, case):
    # Layers only: a merge written as a keras.ops call creates no layer and needs no name (SPEC, Clarifications).
    p = case.params
    model = build_block_model([p["decoder_shape"], p["encoder_shape"]],
                              lambda d, e: impl.merge_skip(d, e, p["mode"], name="dec2_merge"))
    return {"names": [layer["name"] for layer in describe_layers(model) if layer.get("layer", True)]}


def verdict_names(case, got, expected):
    wrong = [n for n in got["names"] if not str(n).startswith("dec2_merge")]
    if not wrong:
        return Verdict(True)
    return Verdict(False, f"merge_skip(decoder, encoder, {case.params['mode']!r}, name='dec2_merge'): layer names "
                          f"{got['names']} should all start with 'dec2_merge'; {unnamed(wrong)}")


register(Check("merge_skip.values", "merge_skip", "concat (decoder first), add, max, min equal NumPy's answer",
               public_cases, probe_values, verdict_values, needs_reference=False, hint=HINT))
register(Check("merge_skip.errors", "merge_skip",
               "unequal shapes (add, max, min; broadcastable ones too) and unknown modes ('none', 'Concat') raise ValueError",
               error_cases, probe_error, verdict_error, needs_reference=False,
               hint="compare tuple(decoder.shape) with tuple(encoder.shape) before an element-wise merge"))
register(Check("merge_skip.names", "merge_skip", "name= prefixes every layer's name, in every mode",
               name_cases, probe_names, verdict_names, needs_reference=False,
               hint="pass name=name to the merge layer (Concatenate(axis=-1, name=name), Add(name=name), ...)"))
