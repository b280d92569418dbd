"""Synthetic seismic sections with salt bodies, in the TGS Salt setting.

The offline default dataset of the course. Each image is a 101x101 depth
section built the way a seismic image forms:

1. **Salt shape.** A smooth "salt field" ``F`` (roughly in pixels) is drawn
   for one of four shape families -- a dome rising from below, a curved salt
   flank or top at any orientation, a tabular sheet, an irregular body that
   the image edge may cut -- and roughened with smooth random fields. The
   mask is ``F >= t`` where ``t`` is the per-image quantile of ``F`` that
   gives *exactly* the target pixel count: coverage is targeted explicitly,
   not left to luck.
2. **Target coverage.** Exact counts of constant images (2%, empty masks),
   empty-mask images (39% in all) and salt images; salt images get coverages
   by stratified sampling of :func:`coverage_quantile`, a piecewise-linear
   quantile function fitted to the real set's statistics (mean 0.41, median
   0.36, 10th percentile 0.02, 90th percentile 0.90 among non-empty masks;
   flat histogram with extra mass below 0.1; at most 0.99 so no image is
   fully salt).
3. **Sediments.** A sparse layered reflectivity series per image is convolved
   with a Ricker wavelet along depth, then sampled through a displacement
   field that dips, folds and faults the layers and drags them upward next to
   the salt.
4. **Salt image.** At the ``"easy"`` level, inside the salt the reflectivity
   is weak and chaotic and the salt boundary is a strong reflector (the
   depth derivative of the smoothed mask), both convolved with the same
   wavelet. At the calibrated ``"tgs"`` level (the default), the interior is
   a second, independently folded layered section mixed with chaotic
   reflectivity, at 0.5-1.0 times the strength of the sediments around it,
   the top of salt is faint (40% of the salt images: absent), and 12% of the
   salt images show no salt at all (the sediments run on; the mask stays).
5. **Acquisition.** Band-limited noise (easy: set by the difficulty knob;
   tgs: 0.3 to 1.0 times the signal, log-uniform per image) and a blur set
   by the difficulty knob (tgs: then white pixel noise, 0.15-0.35 times the
   image's rms), then a per-image grey level and contrast (median
   standard deviation about 28 grey levels, as in the real set) and rounding
   to uint8.

Everything is vectorised over images with NumPy (smooth fields are products of
Gaussian radial-basis matrices with random weights; wavelet convolution is a
zero-phase multiplication in the Fourier domain), so 4000 images take a few
seconds. All randomness flows from one :class:`numpy.random.SeedSequence`.
"""

import numpy as np

from saltlab.data.dataset import SaltSet

SIZE = 101
"""Side of an image, in pixels."""

DEFAULT_DIFFICULTY = 0.5
"""Default of the difficulty knob (0 = clean and sharp, 1 = noisy and blurred).

At 0.5 the band-limited noise has 0.3 times the signal's standard deviation
and the image is blurred with a Gaussian of sigma 1.0 pixel.
"""

LEVELS = ("tgs", "easy")
"""Generator levels. ``"tgs"`` (the default) is calibrated so that the
course's training runs score on it what they score on the real TGS train set
(see ``data/README.md``): the salt interior carries a sediment-like texture
at up to the sediments' strength, the top-of-salt reflection is faint or
absent, some salt does not show at all, and the sections are noisier, down
to the pixel. ``"easy"`` is the generator as it was before
the calibration (weak chaotic salt interior, strong boundary reflector):
the same output for the same seed; the grader's training checks use it.

The same seed gives the same arrays, byte for byte, on one machine. On
another processor the BLAS library's float32 matrix products may round
differently: measured with OpenBLAS's AVX-512 kernels against its AVX2 ones,
21 pixels of the 40.8 million of ``make data`` moved by one grey level (in 19
of 4000 images); masks, depths and ids never differ.
"""

DEFAULT_LEVEL = "tgs"
"""Level of :func:`synthesize` and ``make data`` unless told otherwise."""

LEVEL_VERSIONS = {"easy": 1, "tgs": 2}
"""What each level's generator is, as written in a generated folder's marker.

Raised whenever a level's output changes for the same seed, so that a
``data/synthetic`` made by an older generator is regenerated
(:func:`saltlab.data.ensure_default_dataset`). ``tgs`` 1 was the first
calibration (2026-11); 2 added the hidden salt and the pixel noise and
weakened the salt interior (2026-12, ``data/README.md``).
"""

# The calibrated level's knobs (see _add_salt_tgs and _acquire_tgs); tuned on
# the probe and quick-preset runs, measured figures in data/README.md.
TGS = {
    "interior": (0.5, 1.0),  # salt-interior texture rms / sediment rms
    "layered": (0.1, 0.6),  # share of the interior texture that is layered
    "boundary": (0.0, 1.5),  # top-of-salt reflector strength (easy: 2.5-5)
    "no_boundary": 0.4,  # probability of no top-of-salt reflector at all
    "noise": (0.3, 1.0),  # band-limited noise rms / signal rms
    "hidden": 0.12,  # share of salt images whose section shows no salt (mask kept)
    "speckle": (0.15, 0.35),  # white pixel noise rms / image rms, after the blur
    "mismatch": (0.0, 0.0),  # pixels by which the salt shown wobbles off the mask
}

EMPTY_FRACTION = 0.39
"""Fraction of images whose mask is empty (constant images included)."""

CONSTANT_FRACTION = 0.02
"""Fraction of images that are one constant grey value (all with empty masks)."""

DEPTH_RANGE = (50, 959)
"""Inclusive range of the synthetic depths in feet, that of the real set."""

# (u, coverage) knots of the quantile function of the coverage of non-empty
# masks. Piecewise linear, so the density is piecewise flat; the slopes make
# the mass below 0.1 (18%) denser than the rest (the real set's low-coverage
# excess). Integral = mean = 0.4104; Q(0.1) = 0.02, Q(0.5) = 0.36,
# Q(0.9) = 0.90; max 0.99 so no image is fully salt.
_COVERAGE_KNOTS = np.array(
    [
        [0.00, 0.0005],
        [0.10, 0.02],
        [0.18, 0.10],
        [0.50, 0.36],
        [0.75, 0.62],
        [0.90, 0.90],
        [1.00, 0.99],
    ]
)

# Shape families and their probabilities among salt images.
_SHAPES = ("dome", "flank", "sheet", "body")
_SHAPE_P = np.array([0.35, 0.25, 0.15, 0.25])

# Extra depth samples above and below the image in each reflectivity trace,
# so displacements up to this size never sample outside the trace.
_MARGIN = 64
_NFFT = 256  # >= 101 + 2 * _MARGIN, a power of two for the FFTs
_CHUNK = 128  # images rendered at a time


def coverage_quantile(u):
    """Quantile function of the target coverage of non-empty masks.

    Parameters
    ----------
    u : array_like
        Probabilities in [0, 1].

    Returns
    -------
    numpy.ndarray
        Coverages (fraction of the 101x101 pixels that are salt), same shape
        as ``u``; piecewise linear through the knots fitted to the real set.
    """
    return np.interp(u, _COVERAGE_KNOTS[:, 0], _COVERAGE_KNOTS[:, 1])


def synthesize(n, *, seed=0, difficulty=DEFAULT_DIFFICULTY, level=DEFAULT_LEVEL, knobs=None):
    """Generate a synthetic TGS-like dataset in memory (nothing touches disk).

    Parameters
    ----------
    n : int
        Number of images, >= 1.
    seed : int, optional
        Seed of everything random; the same ``(n, seed, difficulty)`` gives
        identical arrays and ids.
    difficulty : float, optional
        Noise and blur knob in [0, 1], :data:`DEFAULT_DIFFICULTY` by default.
        At level ``"tgs"`` it sets the blur only (the noise is calibrated).
    level : {'tgs', 'easy'}, optional
        :data:`LEVELS`; ``"tgs"`` (default) is calibrated to the real data's
        difficulty, ``"easy"`` is the pre-calibration generator. Masks,
        ids and depths are the same at both levels for the same seed.
    knobs : dict, optional
        Level ``"tgs"`` only: values replacing some of :data:`TGS`'s, to try
        a candidate calibration (``python -m saltlab.benchmarks.calibration``).
        ``None`` (default): the calibrated level, :data:`LEVEL_VERSIONS`.

    Returns
    -------
    SaltSet
        ``ids`` (n unique 10-digit lowercase hex strings, sorted), ``images``
        uint8 (n, 101, 101), ``masks`` uint8 in {0, 1} (n, 101, 101),
        ``depths`` int64 (n,) in 50..959.
    """
    n = int(n)
    if n < 1:
        raise ValueError(f"synthesize: n must be >= 1, got {n}")
    difficulty = float(difficulty)
    if not 0.0 <= difficulty <= 1.0:
        raise ValueError(
            f"synthesize: difficulty must be in [0, 1], got {difficulty}"
        )
    if level not in LEVELS:
        raise ValueError(f"synthesize: level must be one of {LEVELS}, got {level!r}")
    knobs = tgs_knobs(knobs) if level == "tgs" else _no_knobs(knobs, level)
    seed = int(seed)
    # One stream for the plan (ids, kinds, coverages, depths, wavelets) and
    # one per chunk of images for the pixels: chunk c always gets the same
    # stream, whatever n is.
    plan_seq, render_seq = np.random.SeedSequence(seed).spawn(2)
    rng_plan = np.random.default_rng(plan_seq)
    ids = _make_ids(rng_plan, n)
    kind, target = _plan(rng_plan, n)
    depths = rng_plan.integers(DEPTH_RANGE[0], DEPTH_RANGE[1] + 1, size=n)
    freq = _wavelet_freq(rng_plan, n)  # one wavelet per image
    constant = rng_plan.integers(0, 256, size=n).astype(np.uint8)

    images = np.empty((n, SIZE, SIZE), dtype=np.uint8)
    masks = np.empty((n, SIZE, SIZE), dtype=np.uint8)
    # Chunks keep the float32 work arrays small (a few MB) so they are
    # recycled by the allocator instead of page-faulted in anew: about 3x
    # faster than whole-set arrays, and memory stays flat for any n.
    starts = range(0, n, _CHUNK)
    for start, seq in zip(starts, render_seq.spawn(len(starts))):
        part = slice(start, start + _CHUNK)
        images[part], masks[part] = _render(
            np.random.default_rng(seq), kind[part], target[part], freq[part],
            difficulty, level, knobs,
        )
    const_idx = np.flatnonzero(kind == 0)
    images[const_idx] = constant[const_idx, None, None]

    # Sorted ids, so writing to disk and loading back (the loader sorts)
    # gives the very same SaltSet.
    order = np.argsort(np.array(ids))
    return SaltSet(
        ids=[ids[i] for i in order],
        images=images[order],
        masks=masks[order],
        depths=depths[order].astype(np.int64),
    )


def tgs_knobs(overrides=None):
    """The ``tgs`` level's knobs: :data:`TGS` with some values replaced.

    Parameters
    ----------
    overrides : dict, optional
        Knob name -> value: a ``(low, high)`` pair of floats with
        ``0 <= low <= high`` for a range, a float in [0, 1] for a probability
        (``no_boundary``, ``hidden``).

    Returns
    -------
    dict
        Every knob of :data:`TGS`, ranges as tuples of floats.

    Raises
    ------
    ValueError
        Naming the knob, for an unknown name or a value of the wrong form.

    Examples
    --------
    >>> tgs_knobs({"hidden": 0.0})["hidden"], tgs_knobs()["hidden"] == TGS["hidden"]
    (0.0, True)
    """
    knobs = dict(TGS)
    for name, value in (overrides or {}).items():
        if name not in TGS:
            raise ValueError(f"tgs knob {name!r} is unknown; expected one of {', '.join(TGS)}")
        if isinstance(TGS[name], tuple):
            try:
                low, high = (float(v) for v in value)
            except (TypeError, ValueError):
                raise ValueError(f"tgs knob {name!r}: expected a (low, high) pair of numbers, got {value!r}") from None
            if not 0.0 <= low <= high < np.inf:
                raise ValueError(f"tgs knob {name!r}: expected 0 <= low <= high, got {value!r}")
            knobs[name] = (low, high)
        else:
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
                raise ValueError(f"tgs knob {name!r}: expected a probability in [0, 1], got {value!r}")
            knobs[name] = float(value)
    return knobs


def _no_knobs(knobs, level):
    if knobs:
        raise ValueError(f"synthesize: knobs apply to level 'tgs' only, not {level!r}")
    return None


def _render(rng, kind, target, freq, difficulty, level, knobs):
    """Images and masks of one chunk; see the module docstring for the steps."""
    n = kind.size
    masks = np.zeros((n, SIZE, SIZE), dtype=np.uint8)
    # Outside-distance to the salt, in pixels (inf where there is no salt);
    # drives the drag of the layers next to the salt.
    dist_out = np.full((n, SIZE, SIZE), np.inf, dtype=np.float32)
    salt_idx = np.flatnonzero(kind == 2)
    if salt_idx.size:
        masks[salt_idx], dist_out[salt_idx], signed = _salt_masks(rng, target[salt_idx])
    seis = _sediments(rng, freq, dist_out)
    if level == "easy":
        if salt_idx.size:
            seis[salt_idx] = _add_salt(
                rng, seis[salt_idx], masks[salt_idx], freq[salt_idx]
            )
        seis = _acquire(rng, seis, difficulty)
    else:
        if salt_idx.size:
            shown = masks[salt_idx]
            if knobs["mismatch"][1] > 0:
                shown = _shown_salt(rng, signed, knobs)
            seis[salt_idx] = _add_salt_tgs(
                rng, seis[salt_idx], shown, freq[salt_idx], knobs
            )
        seis = _acquire_tgs(rng, seis, difficulty, knobs)
    return _to_grey(rng, seis), masks


# --------------------------------------------------------------------------
# Plan: ids, image kinds and target coverages


def _make_ids(rng, n):
    """n unique ids of 10 lowercase hex digits (40 random bits each)."""
    ids, seen = [], set()
    while len(ids) < n:
        for word in rng.integers(0, 2**40, size=n - len(ids), dtype=np.int64):
            text = f"{int(word):010x}"
            if text not in seen:
                seen.add(text)
                ids.append(text)
    return ids


def _plan(rng, n):
    """Kind of each image (0 constant, 1 empty, 2 salt) and target coverage.

    Exact counts (rounded fractions) and stratified coverages make the
    statistics hold for every n, not only on average.
    """
    n_const = int(round(CONSTANT_FRACTION * n))
    n_empty = max(int(round(EMPTY_FRACTION * n)) - n_const, 0)
    n_salt = n - n_const - n_empty
    kind = np.repeat(np.array([0, 1, 2], dtype=np.int8), [n_const, n_empty, n_salt])
    kind = rng.permutation(kind)
    target = np.zeros(n)
    # One coverage per stratum [i/m, (i+1)/m) of the quantile function,
    # handed out in random order.
    u = (rng.permutation(n_salt) + rng.random(n_salt)) / max(n_salt, 1)
    target[kind == 2] = coverage_quantile(u)
    return kind, target


# --------------------------------------------------------------------------
# Smooth random fields


def _rbf_basis(nodes, size=SIZE):
    """(size, nodes) Gaussian radial-basis matrix with unit output variance.

    Centres span a little beyond the image so the fields have no edge effect;
    the width equal to the centre spacing gives smooth, nearly stationary
    fields with a correlation length of about ``size / nodes`` pixels.
    """
    centres = np.linspace(-0.15 * size, 1.15 * size, nodes)
    width = centres[1] - centres[0]
    basis = np.exp(-0.5 * ((np.arange(size)[:, None] - centres[None, :]) / width) ** 2)
    basis /= np.sqrt((basis**2).sum(axis=1).mean())
    return basis.astype(np.float32)


_BASES = {}


def _basis(nodes):
    if nodes not in _BASES:
        _BASES[nodes] = _rbf_basis(nodes)
    return _BASES[nodes]


def _field(rng, n, nodes):
    """(n, 101, 101) smooth random fields of about unit standard deviation."""
    basis = _basis(nodes)
    weights = rng.standard_normal((n, nodes, nodes), dtype=np.float32)
    return basis @ weights @ basis.T


def _curve(rng, n, nodes):
    """(n, 101) smooth random curves of about unit standard deviation."""
    return rng.standard_normal((n, nodes), dtype=np.float32) @ _basis(nodes).T


# --------------------------------------------------------------------------
# Salt shapes

_Z = np.arange(SIZE, dtype=np.float32)[None, :, None]  # depth, rows
_X = np.arange(SIZE, dtype=np.float32)[None, None, :]  # distance, columns


def _salt_masks(rng, target):
    """Masks hitting the target coverages, and the outside distance to salt.

    Parameters
    ----------
    rng : numpy.random.Generator
    target : numpy.ndarray, shape (m,)
        Target coverages in (0, 1).

    Returns
    -------
    masks : numpy.ndarray, uint8, shape (m, 101, 101)
    dist_out : numpy.ndarray, float32, shape (m, 101, 101)
        ``t - F`` clipped at 0: an approximate distance in pixels from the
        salt, 0 inside.
    signed : numpy.ndarray, float32, shape (m, 101, 101)
        ``F - t``: about the signed distance in pixels to the mask's
        boundary, positive inside.
    """
    m = target.size
    shape_of = rng.choice(len(_SHAPES), size=m, p=_SHAPE_P)
    field = np.empty((m, SIZE, SIZE), dtype=np.float32)
    for code, name in enumerate(_SHAPES):
        sel = np.flatnonzero(shape_of == code)
        if sel.size:
            field[sel] = _SHAPE_FIELDS[name](rng, sel.size)
    # Roughen the boundary: a broad wobble and a finer rugosity, in pixels.
    field += rng.uniform(2.0, 6.0, (m, 1, 1)).astype(np.float32) * _field(rng, m, 9)
    field += rng.uniform(0.4, 1.2, (m, 1, 1)).astype(np.float32) * _field(rng, m, 22)

    # Threshold each image at the quantile giving exactly k salt pixels.
    k = np.clip(np.rint(target * SIZE * SIZE).astype(np.int64), 1, SIZE * SIZE - 1)
    flat = field.reshape(m, -1)
    thresh = np.empty(m, dtype=np.float32)
    for i in range(m):
        pos = flat.shape[1] - k[i]
        thresh[i] = np.partition(flat[i], pos)[pos]
    thresh = thresh[:, None, None]
    masks = (field >= thresh).astype(np.uint8)
    dist_out = np.maximum(thresh - field, 0.0)
    return masks, dist_out, field - thresh


def _shown_salt(rng, signed, knobs):
    """The salt the section shows, off the interpreter's mask by a few pixels.

    A smooth wobble (correlation length about 7 pixels) of a per-image
    amplitude drawn from ``knobs["mismatch"]`` moves the boundary of the salt
    drawn into the section; the mask stays the interpreter's.
    """
    m = signed.shape[0]
    wobble = _u(rng, *knobs["mismatch"], m) * _field(rng, m, 15)
    return (signed + wobble >= 0).astype(np.uint8)


def _dome(rng, n):
    """Salt rising from below: F = depth + H * bump(x), flat- or round-topped."""
    x0 = rng.uniform(-15, 115, (n, 1, 1))
    width = rng.uniform(12, 50, (n, 1, 1))
    height = rng.uniform(60, 180, (n, 1, 1))
    power = rng.uniform(2, 5, (n, 1, 1))
    bump = np.exp(-0.5 * np.abs((_X - x0) / width) ** power)
    tilt = rng.normal(0, 0.15, (n, 1, 1)) * (_X - 50)
    return (_Z + height * bump + tilt).astype(np.float32)


def _flank(rng, n):
    """A curved salt boundary at any orientation (flank, top or base of salt).

    Normals near the horizontal (steep flanks) and pointing down (salt below,
    its top in the image) are favoured, as in the real sections.
    """
    angle = np.where(
        rng.random((n, 1, 1)) < 0.5,
        rng.normal(np.pi / 2, 0.5, (n, 1, 1)),  # salt below a curved top
        rng.choice([0.0, np.pi], (n, 1, 1)) + rng.normal(0, 0.35, (n, 1, 1)),
    )
    nx, nz = np.cos(angle), np.sin(angle)
    dx, dz = _X - 50, _Z - 50
    along = -nz * dx + nx * dz
    curvature = rng.normal(0, 0.008, (n, 1, 1))
    return (nx * dx + nz * dz + curvature * along**2).astype(np.float32)


def _sheet(rng, n):
    """A tabular salt sheet: a band around a dipping, undulating centre line."""
    centre = (
        rng.uniform(20, 80, (n, 1, 1))
        + rng.normal(0, 0.2, (n, 1, 1)) * (_X - 50)
        + rng.uniform(2, 8, (n, 1, 1)) * _curve(rng, n, 5)[:, None, :]
    )
    thick = 1.0 + 0.3 * _curve(rng, n, 6)[:, None, :]
    return (-np.abs(_Z - centre) / np.clip(thick, 0.5, None)).astype(np.float32)


def _body(rng, n):
    """An irregular salt body, possibly centred near or beyond the edge."""
    cx = rng.uniform(-10, 110, (n, 1, 1))
    cz = rng.uniform(-10, 110, (n, 1, 1))
    aspect = rng.uniform(1.0, 2.5, (n, 1, 1))  # wider than tall
    dx, dz = (_X - cx) / aspect, _Z - cz
    radius = np.sqrt(dx**2 + dz**2)
    theta = np.arctan2(dz, dx)
    lobes = np.ones_like(theta)
    for order in (2, 3, 4):
        amp = rng.uniform(0, 0.15, (n, 1, 1))
        phase = rng.uniform(0, 2 * np.pi, (n, 1, 1))
        lobes = lobes + amp * np.cos(order * theta + phase)
    return (-radius / lobes).astype(np.float32)


_SHAPE_FIELDS = {"dome": _dome, "flank": _flank, "sheet": _sheet, "body": _body}


# --------------------------------------------------------------------------
# Seismic response


def _wavelet_freq(rng, n):
    """Peak frequency of each image's Ricker wavelet, in cycles per pixel."""
    return rng.uniform(1 / 11, 1 / 6, size=n).astype(np.float32)


def _ricker(x, freq, axis):
    """Convolve with a zero-phase Ricker wavelet along ``axis``.

    The Ricker spectrum is ``(f/fp)^2 exp(1 - (f/fp)^2)`` (peak gain 1 at the
    peak frequency ``fp``); multiplying real FFTs applies a different
    wavelet to each image in one vectorised step.
    """
    length = x.shape[axis]
    spec = np.fft.rfft(x, n=_NFFT, axis=axis)
    f = np.fft.rfftfreq(_NFFT).astype(np.float32)
    f_shape = [1] * x.ndim
    f_shape[axis] = -1
    p_shape = [1] * x.ndim
    p_shape[0] = -1
    ratio2 = (f.reshape(f_shape) / np.asarray(freq, np.float32).reshape(p_shape)) ** 2
    gain = ratio2 * np.exp(1.0 - ratio2)
    out = np.fft.irfft(spec * gain, n=_NFFT, axis=axis)
    keep = [slice(None)] * x.ndim
    keep[axis] = slice(0, length)
    out = out[tuple(keep)]
    return out.astype(np.float32)


def _u(rng, low, high, n):
    """(n, 1, 1) float32 uniform draws, broadcastable over images."""
    return rng.uniform(low, high, (n, 1, 1)).astype(np.float32)


def _sediments(rng, freq, dist_out):
    """Layered, dipping, folded, faulted sediments dragged up beside the salt.

    Returns (n, 101, 101) float32 amplitudes of about unit scale.
    """
    n = freq.size
    length = SIZE + 2 * _MARGIN
    # Sparse reflectivity: a reflector at ~30% of the samples, heavy-tailed
    # strengths, and a few strong marker beds.
    reflect = rng.standard_normal((n, length), dtype=np.float32)
    reflect *= rng.random((n, length)) < 0.3
    reflect *= np.where(rng.random((n, length)) < 0.04, 3.0, 1.0).astype(np.float32)
    trace = _ricker(reflect, freq, axis=1)

    # Displacement (pixels) from image depth to trace depth.
    disp = _u(rng, -1, 1, n) * _u(rng, 0, 0.4, n) * (_X - 50)  # dip
    disp = disp + _u(rng, 0, 10, n) * _field(rng, n, 4)  # broad folds
    disp = disp + _u(rng, 0, 3, n) * _field(rng, n, 8)  # gentle undulation
    n_faults = rng.choice([0, 1, 2], size=n, p=[0.45, 0.4, 0.15])
    for j in (1, 2):
        sel = np.flatnonzero(n_faults >= j)
        k = sel.size
        angle = _u(rng, -0.35, 0.35, k)  # fault normal near horizontal: steep
        x0 = _u(rng, 10, 90, k)
        signed = np.cos(angle) * (_X - x0) + np.sin(angle) * (_Z - 50)
        throw = _u(rng, 3, 14, k) * rng.choice([-1, 1], (k, 1, 1)).astype(np.float32)
        # A steep sigmoid rather than a step, so the cut is not aliased.
        disp[sel] += throw * (0.5 + 0.5 * np.tanh(signed / np.float32(1.2)))
    # Drag: next to the salt, deeper layers are pulled up into view. The
    # amplitude stays below the decay length so depth keeps increasing
    # downward (no fold-over rings).
    near = np.flatnonzero(np.isfinite(dist_out).any(axis=(1, 2)))
    drag_len = _u(rng, 5, 15, near.size)
    drag_amp = _u(rng, 0.3, 0.8, near.size) * drag_len
    disp[near] += drag_amp * np.exp(-dist_out[near] / drag_len)

    pos = disp
    pos += _Z + np.float32(_MARGIN)
    np.clip(pos, 0, length - 1.001, out=pos)
    floor = np.floor(pos)
    frac = pos - floor  # float32: keep integers out of the arithmetic
    # Linear interpolation in the flattened traces: one gather per neighbour.
    index = floor.astype(np.intp).reshape(n, -1)
    index += (np.arange(n) * length)[:, None]
    flat = trace.ravel()
    lo = flat[index].reshape(n, SIZE, SIZE)
    hi = flat[index + 1].reshape(n, SIZE, SIZE)
    seis = lo + frac * (hi - lo)
    # Lateral amplitude variation, as from overburden and illumination.
    seis *= 1.0 + np.float32(0.25) * _field(rng, n, 6)
    return seis


def _add_salt(rng, seis, masks, freq):
    """Replace the salt interior by a weak chaotic texture; add its boundary."""
    from scipy.ndimage import gaussian_filter

    m = seis.shape[0]
    soft = gaussian_filter(masks.astype(np.float32), sigma=(0, 1.0, 1.0))
    # Chaotic: white reflectivity, faintly correlated laterally, at a quarter
    # of the sediments' strength.
    texture = rng.standard_normal((m, SIZE, SIZE), dtype=np.float32)
    texture = 0.5 * texture + 0.25 * (np.roll(texture, 1, axis=2)
                                      + np.roll(texture, -1, axis=2))
    texture *= rng.uniform(0.1, 0.3, (m, 1, 1)).astype(np.float32)
    # Boundary: the depth derivative of the smoothed mask, positive at the
    # top of salt (salt is faster than the sediments above it).
    boundary = np.diff(soft, axis=1, prepend=soft[:, :1, :])
    boundary *= rng.uniform(2.5, 5.0, (m, 1, 1)).astype(np.float32)
    salt_refl = _ricker(texture * soft + boundary, freq, axis=1)
    return seis * (1.0 - soft) + salt_refl


def _add_salt_tgs(rng, seis, masks, freq, knobs):
    """The calibrated salt: a sediment-like interior, a faint or absent top.

    In the real sections the salt interior is often as textured as the
    sediments around it (migration noise, multiples, included sediments) and
    the top-of-salt reflection is faint or missing; the network must learn
    the salt from subtle differences of texture and continuity. Here the
    interior is a mix of a second, independently dipping and folded layered
    section and chaotic reflectivity, scaled to the surrounding sediments'
    strength; the boundary reflector is weak or absent (``knobs``, :data:`TGS`).
    """
    from scipy.ndimage import gaussian_filter

    m = seis.shape[0]
    soft = gaussian_filter(masks.astype(np.float32), sigma=(0, 1.0, 1.0))
    outside = 1.0 - soft
    rms = np.sqrt((seis**2 * outside).sum(axis=(1, 2), keepdims=True)
                  / (outside.sum(axis=(1, 2), keepdims=True) + 1.0)) + 1e-6
    no_salt = np.full((m, SIZE, SIZE), np.inf, dtype=np.float32)
    layered = _sediments(rng, freq, no_salt)
    layered /= np.sqrt((layered**2).mean(axis=(1, 2), keepdims=True)) + 1e-6
    chaos = rng.standard_normal((m, SIZE, SIZE), dtype=np.float32)
    chaos = 0.5 * chaos + 0.25 * (np.roll(chaos, 1, axis=2) + np.roll(chaos, -1, axis=2))
    chaos = _ricker(chaos, freq, axis=1)
    chaos /= np.sqrt((chaos**2).mean(axis=(1, 2), keepdims=True)) + 1e-6
    share = _u(rng, *knobs["layered"], m)
    interior = np.sqrt(share) * layered + np.sqrt(1.0 - share) * chaos
    interior *= _u(rng, *knobs["interior"], m) * rms
    boundary = np.diff(soft, axis=1, prepend=soft[:, :1, :])
    strength = _u(rng, *knobs["boundary"], m)
    strength *= rng.random((m, 1, 1)) >= knobs["no_boundary"]
    # Same scale as the easy level's boundary term (sediments ~unit rms).
    top = _ricker(boundary * strength, freq, axis=1)
    salted = seis * outside + interior * soft + top
    # Some real salt is invisible at this scale: the interpreter's mask comes
    # from context (a neighbouring line, well data), the section shows
    # sediments. These images keep their sediments; their masks stay.
    hidden = rng.random((m, 1, 1)) < knobs["hidden"]
    return np.where(hidden, seis, salted)


def _acquire_tgs(rng, seis, difficulty, knobs):
    """Calibrated noise (``knobs``, :data:`TGS`; log-uniform per image), blur by difficulty."""
    rms, noise = _seismic_noise(rng, seis)
    low, high = np.log(knobs["noise"][0]), np.log(knobs["noise"][1])
    level = np.exp(_u(rng, low, high, seis.shape[0]))
    blurred = _blur(seis + level * rms * noise, difficulty)
    # Pixel-scale noise on top (the real sections' speckle): a network at the
    # full 101x101 resolution sees all of it, one at 64x64 averages it down.
    rms = np.sqrt((blurred**2).mean(axis=(1, 2), keepdims=True))
    speckle = _u(rng, *knobs["speckle"], seis.shape[0])
    return blurred + speckle * rms * rng.standard_normal(seis.shape, dtype=np.float32)


def _acquire(rng, seis, difficulty):
    """Band-limited noise and blur, both scaled by the difficulty knob."""
    rms, noise = _seismic_noise(rng, seis)
    level = 0.6 * difficulty * rng.uniform(0.5, 1.5, (seis.shape[0], 1, 1)).astype(np.float32)
    return _blur(seis + level * rms * noise, difficulty)


def _seismic_noise(rng, seis):
    """Each image's rms, and band-limited noise of unit rms per image (a Ricker wavelet along depth).

    Returns
    -------
    rms, noise : np.ndarray, shapes (n, 1, 1) and seis.shape
    """
    rms = np.sqrt((seis**2).mean(axis=(1, 2), keepdims=True)) + 1e-6
    noise = rng.standard_normal(seis.shape, dtype=np.float32)
    noise = _ricker(noise, _wavelet_freq(rng, seis.shape[0]), axis=1)
    noise /= np.sqrt((noise**2).mean(axis=(1, 2), keepdims=True)) + 1e-6
    return rms, noise


def _blur(seis, difficulty):
    """A Gaussian blur of sigma ``2 * difficulty`` pixels across each image (none at 0)."""
    from scipy.ndimage import gaussian_filter

    sigma = 2.0 * difficulty
    if sigma > 0:
        seis = gaussian_filter(seis, sigma=(0, sigma, sigma), truncate=3.0)
    return seis


def _to_grey(rng, seis):
    """Per-image mean grey and contrast; uint8 (n, 101, 101)."""
    n = seis.shape[0]
    centred = seis - seis.mean(axis=(1, 2), keepdims=True)
    std = centred.std(axis=(1, 2), keepdims=True) + 1e-6
    contrast = np.exp(rng.normal(np.log(29.0), 0.3, (n, 1, 1)))
    mean = np.clip(rng.normal(122.0, 12.0, (n, 1, 1)), 70, 180)
    grey = centred / std * contrast + mean
    return np.clip(np.rint(grey), 0, 255).astype(np.uint8)
