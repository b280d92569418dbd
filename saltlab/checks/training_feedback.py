"""What the training check shows a student: the curve against the reference's band, the pattern, a figure.

The band is the reference's training loss per epoch over seeds 0-5 of each
configuration (data and initial weights both change with the seed), stored
by ``make fixtures`` in ``tests/fixtures/training.band.npz``
(:func:`.fixtures.compute_band`; ``fixtures --check`` retrains one seed,
:func:`.fixtures.check_band`). The verdict, in
the grader's process (or the public tests'), compares the student's curve
with it and names the pattern: diverging, stuck on "no salt", learning more
slowly than every reference seed, or within the band.

The pictures use *public* images only (:func:`showcase`): a fixed synthetic
set whose masks anyone can regenerate. The hidden validation masks of a
training case never appear in a figure or a message about it.
"""

import functools

import numpy as np

from ..paths import REPO_ROOT
from . import plaindata

BAND_PATH = REPO_ROOT / "tests" / "fixtures" / "training.band.npz"
BAND_SEEDS = tuple(range(6))
"""Seeds of the reference's trainings that make the band (the same seeds as the floor's measurement)."""

SHOWCASE_SEED = 20260
"""Seed of the public images shown in a figure: not a training or validation seed of any case."""
SHOWCASE_COUNT = 3

NO_SALT_COVERAGE = 0.002
"""Predicted salt coverage (share of validation pixels >= 0.5) below which a network "predicts no salt".

The validation sets hold about 30% salt; the reference predicts 25-35% (seed
0, the three configurations); a network stuck on the all-background
plateau predicts 0.0%."""

@functools.lru_cache(maxsize=2)
def showcase(size):
    """Public images and masks shown in the training check's figure.

    Parameters
    ----------
    size : int
        The training check's image size (:data:`.training_checks.SIZE`).

    Returns
    -------
    x : np.ndarray, float32, shape (3, size, size, 1)
        As the training check's network sees them (:func:`saltlab.data.resize_for_check`).
    masks : np.ndarray, uint8, shape (3, size, size)
        Their true masks: public (anyone can call this function).
        Cached: every training case and every figure uses them; nobody writes to them.
    """
    from ..data import resize_for_check, synthesize

    data = synthesize(24, seed=SHOWCASE_SEED, level="easy")
    x, masks = resize_for_check(data.images, data.masks, size)
    coverage = masks.reshape(len(masks), -1).mean(axis=1)
    # Three images with a clear salt body (neither empty nor full), in a fixed order.
    chosen = [i for i in range(len(masks)) if 0.1 <= coverage[i] <= 0.6][:SHOWCASE_COUNT]
    return x[chosen], masks[chosen]


# --- the band ---------------------------------------------------------------

_band = {}


def load_band():
    """The stored band, or None when the fixture is missing (then the feedback says less, never fails)."""
    if "band" not in _band:
        _band["band"] = plaindata.loads(BAND_PATH.read_bytes()) if BAND_PATH.is_file() else None
    return _band["band"]


def band_of(case):
    """``(low, high)`` per epoch for the case's configuration, or None."""
    band = load_band()
    key = f"{case.params['downsample']}-{case.params['merge']}"
    if band is None or key not in band["curves"]:
        return None
    curves = np.asarray(band["curves"][key], dtype=float)
    if curves.shape[1] != case.params["epochs"]:
        return None
    return curves.min(axis=0), curves.max(axis=0)


# --- the pattern ------------------------------------------------------------

def predicted_coverage(probabilities):
    """Share of pixels the network calls salt (probability >= 0.5; NaN counts as no salt)."""
    return float(np.mean(np.nan_to_num(np.asarray(probabilities, dtype=float)) >= 0.5))


def curve_pattern(curve, band, coverage):
    """Name how the training went, from plain data only.

    Parameters
    ----------
    curve : list of float or None
        The student's training loss per epoch (None when unusable).
    band : (np.ndarray, np.ndarray) or None
        Lowest and highest reference loss per epoch.
    coverage : float
        Share of validation pixels predicted salt.

    Returns
    -------
    pattern : {'diverging', 'no salt', 'slower', 'within', 'unknown'}
    sentence : str

    Examples
    --------
    >>> band = (np.array([1.3, 1.0, 0.6]), np.array([1.35, 1.1, 0.8]))
    >>> curve_pattern([1.3, 0.9, 0.7], band, 0.3)[0]
    'within'
    >>> curve_pattern([1.3, 1.25, 1.2], band, 0.3)[0]
    'slower'
    >>> curve_pattern([1.3, 1.27, 1.27], band, 0.0)[0]
    'no salt'
    >>> curve_pattern([1.3, 2.0, float("nan")], band, 0.3)[0]
    'diverging'
    """
    if curve is None:
        return "unknown", "the training loss was not reported"
    first, last = curve[0], curve[-1]
    moved = f"{first:.2f} -> {last:.2f} over {len(curve)} epochs"
    if not np.all(np.isfinite(curve)) or last > first * 1.05:
        return "diverging", f"the training loss went {moved}: it diverged (not a number, or growing)"
    if coverage < NO_SALT_COVERAGE:
        return "no salt", (f"the training loss went {moved} and the network predicts salt on {coverage:.1%} of the "
                           "validation pixels: it is stuck on \"no salt\" (everything background), the plateau a "
                           "network that cannot learn sits on")
    if band is None:
        return "unknown", f"the training loss went {moved}"
    low, high = band
    above = np.asarray(curve) > high
    where = f"the reference's band over {len(BAND_SEEDS)} seeds ends at {low[-1]:.2f}-{high[-1]:.2f}"
    if above[-1] and above[1:].mean() >= 0.5:
        return "slower", (f"the training loss went {moved}, above every reference seed ({where}): your network "
                          "learns more slowly than the reference on every seed")
    if above[-1]:
        return "slower", f"the training loss went {moved}, ending above every reference seed ({where})"
    return "within", f"the training loss went {moved}, within the reference's band ({where})"


def figure_data(curve, band, showcase_probabilities):
    """The plain data a figure is drawn from; also stored in ``grade.json``.

    Probabilities are kept as one digit per pixel (``floor(10 p)``, 0-9; a
    row of the image is a string): the outline at 0.5 is exact, the file stays small.
    """
    probabilities = np.nan_to_num(np.asarray(showcase_probabilities, dtype=float)).clip(0, 1)
    digits = np.minimum((probabilities * 10).astype(int), 9)
    return {"curve": None if curve is None else [round(float(v), 5) if np.isfinite(v) else None for v in curve],
            "band_low": None if band is None else [round(float(v), 5) for v in band[0]],
            "band_high": None if band is None else [round(float(v), 5) for v in band[1]],
            "predicted": ["".join(str(d) for d in row) for image in digits for row in image],
            "shape": list(digits.shape)}


def render_figure(data, title=""):
    """PNG bytes of the training feedback figure, identical for identical data.

    Raises
    ------
    ValueError
        If ``data`` is not what :func:`figure_data` makes (it comes from a stored file).
    """
    from ..plots import figure_png, plot_training_feedback

    shape = data["shape"]
    if not (isinstance(shape, list) and len(shape) == 3 and shape[1] == shape[2]
            and len(data["predicted"]) == shape[0] * shape[1]):
        raise ValueError(f"figure data of shape {shape!r} with {len(data['predicted'])} rows")
    predicted = np.array([[int(c) for c in row] for row in data["predicted"]], dtype=float).reshape(shape) / 10 + 0.05
    images, masks = showcase(shape[1])
    band = None if data["band_low"] is None else (data["band_low"], data["band_high"])
    return figure_png(plot_training_feedback(data["curve"], band, images, masks, predicted, title=title))
