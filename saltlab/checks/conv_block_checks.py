"""Checks of ``conv_block``: output shapes, structure, numerics, layer names."""

import numpy as np

from .block_mistakes import difference_pattern, name_structure_mistake, unnamed
from .core import Case, Check, Verdict, compare_arrays, register
from .keras_probe import build_block_model, describe_layers, format_ops, normalized_ops, random_weights, set_weights_by_role
from .tolerance import float32_atol

NUMERIC_RTOL, NUMERIC_ATOL = 1e-5, 1e-5
"""Float32 convolutions summed in another order (another implementation, another
processor) differ by a few ulps of the output's scale; the absolute tolerance is
the larger of NUMERIC_ATOL and :func:`.tolerance.float32_atol` of the expected
output (64 ulps of its largest magnitude), so a correct block passes on every
machine while a wrong activation, padding or weight order (1e-2 and more) fails."""

HINT = ("conv_block is Conv2D(filters, kernel_size, padding='same') -> [BatchNormalization] -> ReLU, "
        "twice; use_bias=not batchnorm")


def block_case(case_id, input_shape, filters, kernel_size=3, batchnorm=False, *, batch=1, seed=0):
    """A conv_block case: input (batch, H, W, C), weights and input values from ``seed``."""
    height, width, channels = input_shape
    layout = conv_block_weight_layout(channels, filters, kernel_size, batchnorm)
    weights = random_weights(layout, seed)
    if batchnorm:  # moving variances must be positive: the 4th of each BN's (gamma, beta, mean, var)
        for index in (4, 9):
            weights[index] = np.abs(weights[index]) + 0.5
    rng = np.random.default_rng(seed + 1)
    x = rng.normal(size=(batch, height, width, channels)).astype("float32")
    arrays = {"x": x, **{f"w{i}": w for i, w in enumerate(weights)}}
    params = {"input_shape": list(input_shape), "filters": filters, "kernel_size": kernel_size, "batchnorm": batchnorm}
    return Case(case_id, params, arrays)


def conv_block_weight_layout(channels, filters, kernel_size, batchnorm):
    """Weight shapes of a contract-conforming conv_block, in ``model.weights`` order."""
    layout = []
    for in_channels in (channels, filters):
        layout.append((kernel_size, kernel_size, in_channels, filters))
        layout += [(filters,)] * (4 if batchnorm else 1)  # BN: gamma, beta, mean, var; else bias
    return layout


def _weights(case):
    return [case.arrays[f"w{i}"] for i in range(sum(k.startswith("w") for k in case.arrays))]


def _build(impl, case, name=None):
    p = case.params
    return build_block_model(
        [p["input_shape"]],
        lambda x: impl.conv_block(x, p["filters"], kernel_size=p["kernel_size"], batchnorm=p["batchnorm"], name=name),
    )


def public_cases():
    """Sizes even and odd, 1 or 3 channels, 4 to 16 filters, kernels 3 and 5, with and without BN."""
    return [
        block_case("128x128x1-f16-k3", (128, 128, 1), 16, seed=11),
        block_case("101x101x1-f8-k3-bn", (101, 101, 1), 8, batchnorm=True, seed=12),
        block_case("37x20x3-f4-k5", (37, 20, 3), 4, kernel_size=5, seed=13),
        block_case("9x9x6-f5-k5-bn", (9, 9, 6), 5, kernel_size=5, batchnorm=True, seed=14),
    ]


# --- shapes -----------------------------------------------------------------

def probe_shape(impl, case):
    return {"shape": [d for d in _build(impl, case).output.shape[1:]]}


def verdict_shape(case, got, expected):
    h, w, _ = case.params["input_shape"]
    want = [h, w, case.params["filters"]]  # from the contract: (N, H, W, filters)
    if list(got["shape"]) == want:
        return Verdict(True)
    return Verdict(False, f"conv_block on {case.describe()}: output shape (N, {', '.join(map(str, got['shape']))}), "
                          f"expected (N, {', '.join(map(str, want))}). 'same' padding keeps H and W.")


# --- structure --------------------------------------------------------------

def probe_structure(impl, case):
    return {"layers": describe_layers(_build(impl, case))}


def verdict_structure(case, got, expected):
    got_ops, want_ops = normalized_ops(got["layers"]), normalized_ops(expected["layers"])
    if got_ops == want_ops:
        return Verdict(True)
    return Verdict(False, f"conv_block on {case.describe()}: layers are\n    {format_ops(got_ops)}\n"
                          f"  expected\n    {format_ops(want_ops)}\n  {name_structure_mistake('conv_block', got_ops, want_ops)}")


# --- numerics ---------------------------------------------------------------

def probe_numerics(impl, case):
    model = _build(impl, case)
    set_weights_by_role(model, _weights(case))
    return {"y": np.asarray(model(case.arrays["x"], training=False))}


def verdict_numerics(case, got, expected):
    atol = max(NUMERIC_ATOL, float32_atol(expected["y"]))
    pattern = difference_pattern(got["y"], expected["y"], rtol=NUMERIC_RTOL, atol=atol)
    return compare_arrays(f"conv_block on {case.describe()} with the reference's weights", got["y"], expected["y"],
                          rtol=NUMERIC_RTOL, atol=atol, note=f" ({pattern})" if pattern else "")


# --- names ------------------------------------------------------------------

def probe_names(impl, case):
    # Layers only: keras.ops calls create operations, which need no name (SPEC, Clarifications).
    return {"names": [layer["name"] for layer in describe_layers(_build(impl, case, name="enc7"))
                      if layer.get("layer", True)]}


def verdict_names(case, got, expected):
    wrong = [n for n in got["names"] if not str(n).startswith("enc7")]
    if got["names"] and not wrong:
        return Verdict(True)
    return Verdict(False, f"conv_block(..., name='enc7'): layer names {got['names']} should all start with "
                          f"'enc7' (e.g. 'enc7_conv1'); {unnamed(wrong) if got['names'] else 'the block created no layer'}")


register(Check("conv_block.shapes", "conv_block", "output (N, H, W, filters) for even and odd sizes",
               public_cases, probe_shape, verdict_shape, needs_reference=False, hint=HINT))
register(Check("conv_block.structure", "conv_block", "two same-padded convolutions, BN only when asked, ReLU after each, bias only without BN",
               public_cases, probe_structure, verdict_structure, hint=HINT))
def numeric_cases():
    """Smaller than the shape cases: the reference's outputs are stored in the student bundle."""
    return public_cases()[1:] + [block_case("32x32x2-f16-k3", (32, 32, 2), 16, seed=15)]


register(Check("conv_block.numerics", "conv_block", "same weights, same outputs as the reference",
               numeric_cases, probe_numerics, verdict_numerics, hint=HINT))
register(Check("conv_block.names", "conv_block", "name= prefixes every layer's name",
               lambda: public_cases()[:2], probe_names, verdict_names, needs_reference=False,
               hint="build each layer with name=layer_name(name, 'conv1') and so on"))
