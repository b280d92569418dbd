"""The hidden cases: the rubric's ``[hidden."<check>"]`` entries run on these.

They exist only here, in the grader; the worker receives a case's
parameters and input arrays one request at a time and nothing else. Every
case is drawn from the grading seed (:mod:`grader.batch` draws it with
``secrets`` at the first grading into an output folder and keeps it there),
so inputs differ from every public case and from one grading folder to the
next, but are the same on a re-run into the same folder.

The hidden training check trains on data of a hidden seed and is judged on
validation masks that never leave the grader's process. The seed passed to
the worker (``data_seed``, used only to initialise the network) is a second,
independent draw: knowing it does not let a submission regenerate the data.
"""

import zlib
from dataclasses import replace

import numpy as np

from saltlab.checks.conv_block_checks import block_case
from saltlab.checks.downsample_checks import downsample_case
from saltlab.checks.merge_skip_checks import merge_case
from saltlab.checks.metrics_checks import random_cases
from saltlab.checks.threshold_checks import probability_case
from saltlab.checks.training_checks import training_case


MASK_DTYPES = ("bool", "uint8", "int32", "int64", "float32", "float64")
"""Every dtype SPEC.md allows for a mask; the hidden cases draw one per case."""


def _seeds(rng, n):
    return [int(s) for s in rng.integers(0, 2**31 - 1, size=n)]


def _size(rng, low=5, high=48):
    """A spatial size, odd as often as even: 'same' padding and ceil(H/2) must hold for both."""
    return int(rng.integers(low, high + 1))


def conv_block_numerics(rng):
    """Other sizes, channel counts, filters, kernels 1/3/5, batch of 2."""
    cases = []
    for index, batchnorm in enumerate((False, True, bool(rng.integers(2)))):
        h, w, c = _size(rng), _size(rng), int(rng.integers(1, 5))
        filters, kernel = int(rng.integers(2, 13)), int(rng.choice([1, 3, 5]))
        cases.append(block_case(f"hidden-{index + 1}", (h, w, c), filters, kernel, batchnorm,
                                batch=2, seed=_seeds(rng, 1)[0]))
    return cases


def downsample_numerics(rng):
    """Both modes, two sizes each (odd and even), 1 to 6 channels."""
    cases = []
    for index, mode in enumerate(("maxpool", "stride", "maxpool", "stride")):
        h = _size(rng, 3, 41) | (1 if index < 2 else 0)  # the first of each mode is odd
        shape = (h, _size(rng, 3, 41), int(rng.integers(1, 7)))
        cases.append(downsample_case(f"hidden-{index + 1}", shape, mode, batch=2, seed=_seeds(rng, 1)[0]))
    return cases


def merge_skip_values(rng):
    """Every mode on other shapes; concat with unequal channel counts."""
    cases = []
    for index, mode in enumerate(("concat", "add", "max", "min", "concat")):
        h, w, c = _size(rng, 2, 24), _size(rng, 2, 24), int(rng.integers(1, 6))
        encoder_channels = int(rng.integers(1, 9)) if mode == "concat" else c
        cases.append(merge_case(f"hidden-{index + 1}", mode, (h, w, c), (h, w, encoder_channels),
                                batch=int(rng.integers(1, 4)), seed=_seeds(rng, 1)[0]))
    return cases


def metric_random(function):
    def make(rng):
        shapes = ((int(rng.integers(1, 6)), _size(rng, 10, 101), _size(rng, 10, 101)),
                  (_size(rng, 2, 30), _size(rng, 2, 30)), (int(rng.integers(50, 5000)),))
        densities = tuple(float(d) for d in rng.uniform(0.01, 0.9, size=3))
        # Any mask dtype the contract allows, drawn per case (public random cases are uint8).
        dtypes = [str(d) for d in rng.choice(MASK_DTYPES, size=3)]
        cases = random_cases(function, seed=_seeds(rng, 1)[0], shapes=shapes, densities=densities, dtypes=dtypes)
        return [replace(case, id=f"hidden-{i + 1}") for i, case in enumerate(cases)]
    return make


def threshold_optimum(rng):
    """F1 and IoU, default and custom (unsorted) grids, sparse to dense salt, any mask dtype,
    float32 or float64 probabilities; then F1 and IoU with every probability on a candidate."""
    cases = []
    plan = (("f1", False, False), ("iou", False, False), ("f1", True, False), ("iou", True, False),
            ("f1", True, True), ("iou", True, True))
    for index, (metric, custom, on_candidates) in enumerate(plan):
        thresholds = None
        if custom:
            count = int(rng.integers(3, 9))
            thresholds = sorted({round(float(t), 2) for t in rng.uniform(0.02, 0.98, size=count)})
            thresholds = [float(t) for t in rng.permutation(thresholds)]
        shape = (int(rng.integers(1, 4)), _size(rng, 16, 64), _size(rng, 16, 64))
        truth_dtype = str(rng.choice(MASK_DTYPES))
        prob_dtype = "float64" if on_candidates else str(rng.choice(["float32", "float64"]))
        cases.append(probability_case(f"hidden-{index + 1}", metric, thresholds=thresholds, shape=shape,
                                      seed=_seeds(rng, 1)[0], density=float(rng.uniform(0.05, 0.8)),
                                      truth_dtype=truth_dtype, prob_dtype=prob_dtype, on_candidates=on_candidates))
    return cases


def training_hidden(rng):
    """Train on a hidden seed's data; the worker gets an unrelated init seed."""
    data_seed, init_seed = _seeds(rng, 2)
    case = training_case("maxpool", "concat", seed=data_seed)
    return [replace(case, id="hidden-1", params={**case.params, "data_seed": init_seed})]


MAKERS = {
    "conv_block.numerics": conv_block_numerics,
    "downsample.numerics": downsample_numerics,
    "merge_skip.values": merge_skip_values,
    "precision.random": metric_random("precision"),
    "recall.random": metric_random("recall"),
    "find_best_threshold.optimum": threshold_optimum,
    "training.maxpool_concat": training_hidden,
}
"""Hidden-case makers by check id; each takes a seeded ``numpy.random.Generator``."""


def hidden_cases(check_id, seed):
    """The hidden cases of one check for one grading seed.

    Parameters
    ----------
    check_id : str
        A check with a ``[hidden."<check id>"]`` rubric entry.
    seed : int
        The grading seed (never shown to students).

    Returns
    -------
    cases : list of saltlab.checks.core.Case

    Raises
    ------
    KeyError
        If the rubric names a hidden check that has no maker here.
    """
    if check_id not in MAKERS:
        raise KeyError(f"tests/rubric.toml has [hidden.\"{check_id}\"] but grader/hidden_cases.py "
                       f"makes no cases for it; known: {sorted(MAKERS)}")
    # One stream per check, so adding a check does not change the others' cases.
    rng = np.random.default_rng([int(seed), zlib.crc32(check_id.encode())])
    return MAKERS[check_id](rng)
