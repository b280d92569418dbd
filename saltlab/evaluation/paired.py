"""Paired comparisons of two variants: a difference with 95 % confidence intervals.

Every comparison of the course's questions is *paired*: both variants are
trained with the same seeds (initial weights and batch order), on the same
training images, and scored on the same validation images, so the
difference is computed seed by seed and image by image and the noise both
share cancels. Two intervals say how sure a difference is:

- **over seeds** (:func:`t_interval`): Student's t interval on the per-seed
  differences; it says whether another training run would agree.
- **over images** (:func:`paired_bootstrap`): a percentile bootstrap that
  resamples validation images, the same resample for both variants; it says
  whether another set of validation images would agree.

:func:`seeds_needed` turns the observed spread of the per-seed differences
into the number of seeds a difference of 0.02 IoU needs.

The t quantiles are computed here (:func:`t_quantile`, exact for the integer
degrees of freedom a seed count gives) because SciPy is not a dependency of
the package. Everything is deterministic: the bootstrap's resamples come from
a ``numpy.random.Generator`` with a fixed seed.
"""

import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

CONFIDENCE = 0.95
"""Level of every interval."""

N_RESAMPLES = 2000
"""Bootstrap resamples (the percentile ends move by ~0.001 IoU between seeds of the resampler)."""

BOOTSTRAP_SEED = 0
"""Seed of the bootstrap's resampler: the same results give the same interval."""

DETECT = 0.02
"""The IoU difference :func:`seeds_needed` is asked about."""


def t_cdf(t, df):
    """Cumulative distribution function of Student's t with integer degrees of freedom.

    Parameters
    ----------
    t : float
    df : int
        Degrees of freedom, >= 1.

    Returns
    -------
    p : float
        P(T <= t).

    Notes
    -----
    The finite series of Abramowitz and Stegun 26.7.3 (odd ``df``) and
    26.7.4 (even ``df``) in theta = atan(t / sqrt(df)): exact up to rounding,
    no special functions needed.

    Examples
    --------
    >>> round(t_cdf(0.0, 3), 12), round(t_cdf(1.0, 1), 12)  # Cauchy: 1/2 + atan(1)/pi
    (0.5, 0.75)
    """
    df = int(df)
    if df < 1:
        raise ValueError(f"t_cdf: degrees of freedom must be >= 1, got {df}")
    if math.isinf(t):
        return 1.0 if t > 0 else 0.0
    theta = math.atan(t / math.sqrt(df))
    c2 = math.cos(theta) ** 2
    total, term = 1.0, 1.0
    if df % 2 == 1:
        # A = (2/pi) (theta + sin cos [1 + 2/3 c2 + 2*4/(3*5) c2^2 + ...]), (df-3)/2 terms after the 1.
        for k in range(1, (df - 3) // 2 + 1):
            term *= 2 * k / (2 * k + 1) * c2
            total += term
        a = 2 / math.pi * (theta + (math.sin(theta) * math.cos(theta) * total if df > 1 else 0.0))
    else:
        # A = sin [1 + 1/2 c2 + 1*3/(2*4) c2^2 + ...], (df-2)/2 terms after the 1.
        for k in range(1, (df - 2) // 2 + 1):
            term *= (2 * k - 1) / (2 * k) * c2
            total += term
        a = math.sin(theta) * total
    # A = P(|T| <= |t|), signed with t through theta.
    return 0.5 + 0.5 * a


def t_quantile(p, df):
    """Quantile of Student's t: the t with ``t_cdf(t, df) == p``.

    Parameters
    ----------
    p : float in (0, 1)
    df : int, >= 1

    Returns
    -------
    t : float
        Found by bisection on :func:`t_cdf` to 1e-10.

    Examples
    --------
    >>> round(t_quantile(0.975, 2), 4), round(t_quantile(0.975, 10), 4)  # the tables' 4.3027 and 2.2281
    (4.3027, 2.2281)
    """
    if not 0.0 < p < 1.0:
        raise ValueError(f"t_quantile: p must be in (0, 1), got {p}")
    if p < 0.5:
        return -t_quantile(1.0 - p, df)
    low, high = 0.0, 1.0
    while t_cdf(high, df) < p:
        low, high = high, 2 * high
    while high - low > 1e-10:
        mid = 0.5 * (low + high)
        low, high = (mid, high) if t_cdf(mid, df) < p else (low, mid)
    return 0.5 * (low + high)


@dataclass(frozen=True)
class Interval:
    """A difference (variant A minus variant B) and its confidence interval.

    Attributes
    ----------
    estimate : float
        The observed mean difference.
    low, high : float
        The interval's ends; NaN when it cannot be computed (one seed).
    n : int
        Seeds (t interval) or images (bootstrap) it rests on.
    """

    estimate: float
    low: float
    high: float
    n: int

    @property
    def known(self):
        """bool: both ends are numbers."""
        return not (math.isnan(self.low) or math.isnan(self.high))

    @property
    def excludes_zero(self):
        """bool: the interval is known and lies entirely on one side of 0."""
        return self.known and (self.low > 0 or self.high < 0)


def t_interval(differences, *, confidence=CONFIDENCE):
    """Student's t interval of the mean of paired differences.

    Parameters
    ----------
    differences : sequence of float, shape (S,)
        One difference A - B per seed.
    confidence : float, optional

    Returns
    -------
    Interval
        ``mean ± t_{(1+confidence)/2, S-1} * sd / sqrt(S)`` with the sample
        standard deviation (ddof=1); NaN ends for fewer than 2 seeds.

    Examples
    --------
    >>> ci = t_interval([0.02, 0.04])  # mean 0.03, sd 0.01414, t_{0.975,1} = 12.706
    >>> round(ci.estimate, 4), round(ci.low, 4), round(ci.high, 4), ci.n
    (0.03, -0.0971, 0.1571, 2)
    """
    d = np.asarray(list(differences), dtype=float)
    if d.ndim != 1 or d.size == 0 or not np.all(np.isfinite(d)):
        raise ValueError(f"t_interval: expected a non-empty 1-D sequence of finite numbers, got {differences!r}")
    mean = float(d.mean())
    if d.size < 2:
        return Interval(mean, math.nan, math.nan, 1)
    half = t_quantile(0.5 + confidence / 2, d.size - 1) * float(d.std(ddof=1)) / math.sqrt(d.size)
    return Interval(mean, mean - half, mean + half, int(d.size))


RATIO_METRICS = ("iou", "precision", "recall")
"""Scores that are a ratio of pixel counts pooled over images, so a resample of images re-pools them."""


def ratio_counts(metric, truth_pixels, pred_pixels, intersection):
    """Numerator and denominator of a pooled score, per image.

    Parameters
    ----------
    metric : {'iou', 'precision', 'recall'}
    truth_pixels, pred_pixels, intersection : array_like of int, shape (..., N)
        Per image: salt pixels in the true mask, in the predicted mask, in both.

    Returns
    -------
    counts : numpy.ndarray, int64, shape (..., N, 2)
        ``[..., 0]`` the numerator (``intersection``), ``[..., 1]`` the
        denominator: the union ``T + P - I`` for IoU, ``P`` for precision,
        ``T`` for recall. Summed over images, their ratio is the pooled score
        of :func:`saltlab.evaluation.evaluate_masks`.
    """
    truth = np.asarray(truth_pixels, dtype=np.int64)
    pred = np.asarray(pred_pixels, dtype=np.int64)
    inter = np.asarray(intersection, dtype=np.int64)
    denominators = {"iou": truth + pred - inter, "precision": pred, "recall": truth}
    if metric not in denominators:
        raise ValueError(f"ratio_counts: metric must be one of {RATIO_METRICS}, got {metric!r}")
    return np.stack([inter, denominators[metric]], axis=-1)


def pooled_ratio(counts):
    """A pooled score from per-image counts: sum of numerators over sum of denominators.

    Parameters
    ----------
    counts : array_like of int, shape (..., N, 2)
        See :func:`ratio_counts`; summed over the image axis N.

    Returns
    -------
    score : numpy.ndarray, shape (...)
        1.0 where the denominator sums to 0 (both masks empty for IoU,
        nothing predicted for precision, no salt for recall), the convention
        of :func:`saltlab.evaluation.iou` and of the graded precision and recall.
    """
    counts = np.asarray(counts)
    top = np.sum(counts[..., 0], axis=-1, dtype=np.float64)
    bottom = np.sum(counts[..., 1], axis=-1, dtype=np.float64)
    return np.where(bottom > 0, top / np.maximum(bottom, 1.0), 1.0)


def paired_bootstrap(counts_a, counts_b, *, n_resamples=N_RESAMPLES, seed=BOOTSTRAP_SEED, confidence=CONFIDENCE):
    """Percentile bootstrap over images of the difference A - B of a pooled score.

    Parameters
    ----------
    counts_a, counts_b : array_like of int, shape (S, N, 2)
        Per seed and per validation image, the numerator and denominator of
        variant A's (and B's) score (:func:`ratio_counts`). Seed ``s`` of A
        is paired with seed ``s`` of B and image ``i`` with image ``i``.
    n_resamples : int, optional
    seed : int, optional
        Seed of the resampler (``numpy.random.default_rng``).
    confidence : float, optional

    Returns
    -------
    Interval
        ``estimate``: the mean over seeds of score(A) - score(B) on all N
        images. Each resample draws N image indices with replacement once
        and applies them to both variants and every seed, so the interval
        reflects which images were validated on, not training noise. ``n``
        is N.
    """
    a = np.asarray(counts_a, dtype=np.int64)
    b = np.asarray(counts_b, dtype=np.int64)
    if a.shape != b.shape or a.ndim != 3 or a.shape[2] != 2 or a.shape[1] == 0 or a.shape[0] == 0:
        raise ValueError(f"paired_bootstrap: counts of shape (S, N, 2) expected for both, got {a.shape} and {b.shape}")
    if np.any(a < 0) or np.any(b < 0) or np.any(a[..., 0] > a[..., 1]) or np.any(b[..., 0] > b[..., 1]):
        raise ValueError("paired_bootstrap: counts must be >= 0 with numerator <= denominator")
    if n_resamples < 100:
        raise ValueError(f"paired_bootstrap: n_resamples must be >= 100 for a 95 % interval, got {n_resamples}")
    n_images = a.shape[1]

    def difference(weights):
        # weights (R, N): how often each image is drawn. Summed counts (S, R, 2) -> scores (S, R) -> (R,).
        sums_a = np.matmul(weights[None], a.astype(np.float64))
        sums_b = np.matmul(weights[None], b.astype(np.float64))
        return (pooled_ratio(sums_a[:, :, None, :]) - pooled_ratio(sums_b[:, :, None, :])).mean(axis=0)

    estimate = float(difference(np.ones((1, n_images)))[0])
    index = np.random.default_rng(seed).integers(0, n_images, size=(n_resamples, n_images))
    # Counts per image of each resample instead of gathering (S, R, N, 2) copies of the counts.
    weights = np.bincount((index + n_images * np.arange(n_resamples)[:, None]).ravel(),
                          minlength=n_resamples * n_images).reshape(n_resamples, n_images).astype(np.float64)
    draws = difference(weights)
    tail = 100 * (1 - confidence) / 2
    low, high = np.percentile(draws, [tail, 100 - tail])
    return Interval(estimate, float(low), float(high), n_images)


def seeds_needed(sd, *, delta=DETECT, alpha=1 - CONFIDENCE, power=0.8, limit=10_000):
    """Seeds a paired comparison needs to detect a difference ``delta``.

    The smallest n >= 2 with

        n >= ((t_{1 - alpha/2, n-1} + t_{power, n-1}) * sd / delta) ** 2,

    the usual approximation to the power of the two-sided paired t test
    (Student's t quantiles in place of the normal's, so small n is not
    underestimated), where ``sd`` is the standard deviation of the per-seed
    differences.

    Parameters
    ----------
    sd : float
        Observed sample standard deviation of the per-seed differences.
    delta : float, optional
        The true difference to detect (default 0.02 IoU).
    alpha : float, optional
        Two-sided level (default 0.05).
    power : float, optional
        Probability of detecting it (default 0.8).
    limit : int, optional
        Returned when even this many seeds would not do.

    Returns
    -------
    n : int or None
        ``None`` when ``sd`` is unknown (NaN: fewer than 2 seeds).

    Examples
    --------
    >>> seeds_needed(0.02), seeds_needed(0.01), seeds_needed(0.0)
    (10, 5, 2)
    """
    if sd is None or math.isnan(sd):
        return None
    if sd < 0 or delta <= 0 or not 0 < alpha < 1 or not 0 < power < 1:
        raise ValueError(f"seeds_needed: need sd >= 0, delta > 0, alpha and power in (0, 1); "
                         f"got sd={sd}, delta={delta}, alpha={alpha}, power={power}")
    if sd == 0:
        return 2
    normal = NormalDist()
    # The normal quantiles are smaller than t's, so this n is a lower bound to start from.
    ratio = sd / delta
    n = max(2, math.ceil(((normal.inv_cdf(1 - alpha / 2) + normal.inv_cdf(power)) * ratio) ** 2))
    while n < limit:
        need = ((t_quantile(1 - alpha / 2, n - 1) + t_quantile(power, n - 1)) * ratio) ** 2
        if n >= need:
            return n
        n += 1
    return limit


@dataclass(frozen=True)
class PairedComparison:
    """Variant A against variant B, paired by seed and by image.

    Attributes
    ----------
    seeds : tuple of int
        The seeds both variants ran with (the pairs).
    differences : tuple of float
        Per seed, score(A) - score(B).
    over_seeds : Interval
        :func:`t_interval` of ``differences``.
    over_images : Interval or None
        :func:`paired_bootstrap`; ``None`` when per-image counts are missing.
    seeds_needed : int or None
        :func:`seeds_needed` for a difference of :data:`DETECT`.
    """

    seeds: tuple
    differences: tuple
    over_seeds: Interval
    over_images: object
    seeds_needed: object

    @property
    def settled(self):
        """bool: every known interval excludes 0, on the same side, and the seed one is known."""
        if not self.over_seeds.excludes_zero:
            return False
        if self.over_images is None:
            return True
        return self.over_images.excludes_zero and (self.over_images.low > 0) == (self.over_seeds.low > 0)


def compare_paired(scores_a, scores_b, *, counts_a=None, counts_b=None, n_resamples=N_RESAMPLES,
                   seed=BOOTSTRAP_SEED):
    """Pair two variants' runs by seed and compute both intervals.

    Parameters
    ----------
    scores_a, scores_b : dict of int to float
        Seed -> score of each run (e.g. its pooled IoU).
    counts_a, counts_b : dict of int to array_like, shape (N, 2), optional
        Seed -> per-image numerator and denominator of each run's score
        (:func:`ratio_counts`); the bootstrap runs on the seeds present in
        all four mappings (none: no interval over images).
    n_resamples, seed : int, optional
        See :func:`paired_bootstrap`.

    Returns
    -------
    PairedComparison

    Raises
    ------
    ValueError
        If the variants share no seed, or two paired runs were scored on a
        different number of images.
    """
    seeds = tuple(sorted(set(scores_a) & set(scores_b)))
    if not seeds:
        raise ValueError(f"compare_paired: no seed in common (A: {sorted(scores_a)}, B: {sorted(scores_b)})")
    differences = tuple(float(scores_a[s]) - float(scores_b[s]) for s in seeds)
    over_seeds = t_interval(differences)
    over_images = None
    if counts_a is not None and counts_b is not None:
        both = [s for s in seeds if s in counts_a and s in counts_b]
        lengths = {len(counts_a[s]) for s in both} | {len(counts_b[s]) for s in both}
        if len(lengths) > 1:
            raise ValueError(f"compare_paired: paired runs were scored on different numbers of images {sorted(lengths)}")
        if both:
            a = np.stack([np.asarray(counts_a[s]) for s in both])
            b = np.stack([np.asarray(counts_b[s]) for s in both])
            over_images = paired_bootstrap(a, b, n_resamples=n_resamples, seed=seed)
    sd = float(np.std(differences, ddof=1)) if len(differences) > 1 else math.nan
    return PairedComparison(seeds, differences, over_seeds, over_images, seeds_needed(sd))

