"""Paired comparisons: t quantiles, the interval over seeds, the bootstrap over images, seeds needed.

Hand-made numbers with known differences; the coverage checks simulate many
small experiments (numpy only, seeded) and take about a second.
"""

import math

import numpy as np
import pytest

from saltlab.evaluation.paired import (
    compare_paired,
    paired_bootstrap,
    pooled_ratio,
    ratio_counts,
    seeds_needed,
    t_cdf,
    t_interval,
    t_quantile,
)

# t_{0.975, df} from any printed table (e.g. NIST/SEMATECH e-Handbook 1.3.6.7.2).
T_TABLE_975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 9: 2.262, 10: 2.228, 20: 2.086, 30: 2.042,
               100: 1.984}


def test_t_quantiles_match_the_printed_table():
    for df, value in T_TABLE_975.items():
        assert t_quantile(0.975, df) == pytest.approx(value, abs=6e-4), df
        assert t_quantile(0.025, df) == pytest.approx(-value, abs=6e-4), df
    assert t_quantile(0.8, 9) == pytest.approx(0.883, abs=6e-4)
    with pytest.raises(ValueError, match="p must be in"):
        t_quantile(1.0, 3)
    with pytest.raises(ValueError, match="degrees of freedom"):
        t_cdf(1.0, 0)


def test_t_cdf_agrees_with_scipy_everywhere():
    stats = pytest.importorskip("scipy.stats")  # installed with scikit-image; a cross-check only
    worst = max(abs(t_cdf(t, df) - stats.t.cdf(t, df)) for df in range(1, 80) for t in (-7, -2, -0.3, 0.4, 1.5, 4))
    assert worst < 1e-9


def test_t_interval_contains_the_true_difference_and_zero_when_there_is_none():
    # Per-seed differences scattered symmetrically around a true 0.03.
    ci = t_interval([0.02, 0.03, 0.04])
    assert ci.estimate == pytest.approx(0.03) and ci.low < 0.03 < ci.high and ci.excludes_zero
    # 0.03 ± 4.303 * 0.01 / sqrt(3): the t quantile, not the normal's 1.96.
    assert ci.high - ci.estimate == pytest.approx(4.303 * 0.01 / math.sqrt(3), rel=1e-3)
    none = t_interval([-0.01, 0.02, -0.01])
    assert none.low < 0 < none.high and not none.excludes_zero
    one = t_interval([0.05])
    assert not one.known and not one.excludes_zero and one.n == 1
    with pytest.raises(ValueError, match="finite"):
        t_interval([0.1, float("nan")])


def test_t_interval_covers_the_truth_95_percent_of_the_time_with_three_seeds():
    # A normal interval (1.96) covers ~80 % with 3 seeds; Student's t covers 95 %.
    rng = np.random.default_rng(0)
    hits = 0
    for _ in range(2000):
        ci = t_interval(0.02 + 0.03 * rng.standard_normal(3))
        hits += ci.low <= 0.02 <= ci.high
    assert 0.935 <= hits / 2000 <= 0.965


def _counts(truth, found, extra):
    intersection = np.round(truth * found).astype(np.int64)
    return ratio_counts("iou", truth, intersection + extra, intersection)


def test_pooled_ratio_is_the_pooled_iou_precision_and_recall():
    truth = np.array([10, 0, 30])
    pred = np.array([5, 4, 30])
    inter = np.array([5, 0, 20])
    assert pooled_ratio(ratio_counts("iou", truth, pred, inter)) == pytest.approx(25 / (40 + 39 - 25))
    assert pooled_ratio(ratio_counts("precision", truth, pred, inter)) == pytest.approx(25 / 39)
    assert pooled_ratio(ratio_counts("recall", truth, pred, inter)) == pytest.approx(25 / 40)
    assert pooled_ratio(ratio_counts("iou", [0, 0], [0, 0], [0, 0])) == 1.0  # nothing anywhere: perfect
    with pytest.raises(ValueError, match="metric"):
        ratio_counts("dice", truth, pred, inter)


def test_bootstrap_of_identical_variants_is_exactly_zero():
    rng = np.random.default_rng(1)
    a = np.stack([_counts(rng.integers(0, 3000, 60), rng.uniform(0.5, 1, 60), rng.integers(0, 50, 60))
                  for _ in range(3)])
    ci = paired_bootstrap(a, a)
    assert (ci.estimate, ci.low, ci.high, ci.n) == (0.0, 0.0, 0.0, 60)


def test_bootstrap_resamples_images_once_for_both_variants():
    # B finds 40 % to 90 % of each image's salt; A finds 5 % more on 20 of the 80 images, as B elsewhere.
    rng = np.random.default_rng(2)
    truth = rng.integers(500, 3000, 80)
    extra = rng.integers(0, 100, 80)
    found_b = rng.uniform(0.4, 0.9, 80)
    found_a = found_b.copy()
    found_a[:20] += 0.05
    a, b = _counts(truth, found_a, extra)[None], _counts(truth, found_b, extra)[None]
    ci = paired_bootstrap(a, b)
    assert 0 < ci.low < ci.estimate < ci.high
    # Resampling A's and B's images independently mixes in how much the images differ from each
    # other: measured [-0.033, 0.059] here, ten times wider, containing 0.
    assert ci.high - ci.low < 0.02
    again = paired_bootstrap(a, b)
    assert again == ci  # seeded: same counts, same interval
    assert paired_bootstrap(a, b, seed=1) != ci


def test_bootstrap_covers_a_known_difference_and_contains_zero_when_there_is_none():
    # A population of 20,000 images; each experiment validates on 80 of them. The true difference
    # is the pooled one on the whole population.
    rng = np.random.default_rng(3)
    truth = rng.integers(0, 3000, 20000) * (rng.random(20000) > 0.3)
    extra = rng.integers(0, 60, 20000)
    base = np.clip(rng.normal(0.8, 0.15, 20000), 0, 1)
    a_all = _counts(truth, np.clip(base + 0.03 + rng.normal(0, 0.05, 20000), 0, 1), extra)
    b_all = _counts(truth, base, extra)
    true_difference = pooled_ratio(a_all) - pooled_ratio(b_all)
    hits = 0
    for _ in range(200):
        pick = rng.choice(20000, 80, replace=False)
        ci = paired_bootstrap(a_all[None, pick], b_all[None, pick], n_resamples=1000)
        hits += ci.low <= true_difference <= ci.high
    assert 0.88 <= hits / 200 <= 0.99

    # No true difference: B's counts are a second draw of A's distribution.
    c_all = _counts(truth, np.clip(base + rng.normal(0, 0.05, 20000), 0, 1), extra)
    pick = rng.choice(20000, 80, replace=False)
    zero = paired_bootstrap(c_all[None, pick], b_all[None, pick])
    assert zero.low < 0 < zero.high


def test_bootstrap_rejects_counts_that_cannot_be_paired():
    good = np.array([[[1, 2], [3, 4]]])
    with pytest.raises(ValueError, match="shape"):
        paired_bootstrap(good, good[:, :1])
    with pytest.raises(ValueError, match="numerator <= denominator"):
        paired_bootstrap(good, np.array([[[3, 2], [3, 4]]]))


def test_seeds_needed_gives_the_exact_power_of_the_paired_t_test():
    stats = pytest.importorskip("scipy.stats")  # the noncentral t, for the exact power only

    def power(n, effect):
        critical = stats.t.ppf(0.975, n - 1)
        shift = effect * math.sqrt(n)
        return 1 - stats.nct.cdf(critical, n - 1, shift) + stats.nct.cdf(-critical, n - 1, shift)

    for sd in (0.008, 0.01, 0.02, 0.03, 0.05):
        n = seeds_needed(sd)
        assert power(n, 0.02 / sd) >= 0.8, sd
        assert n == 2 or power(n - 1, 0.02 / sd) < 0.805, sd  # the formula is an approximation by a hair
    assert seeds_needed(0.0) == 2 and seeds_needed(math.nan) is None
    assert seeds_needed(0.02, delta=0.04) < seeds_needed(0.02) < seeds_needed(0.02, power=0.9)


def test_compare_paired_pairs_by_seed():
    a = {0: 0.80, 1: 0.75, 2: 0.82, 7: 0.5}
    b = {0: 0.78, 1: 0.73, 2: 0.80, 3: 0.9}
    comparison = compare_paired(a, b)
    assert comparison.seeds == (0, 1, 2)  # seeds 7 and 3 have no partner
    assert comparison.differences == pytest.approx((0.02, 0.02, 0.02))
    # The seeds move both variants by 0.07; pairing removes it: the interval is a point.
    assert comparison.over_seeds.low == pytest.approx(0.02) and comparison.settled
    assert comparison.over_images is None and comparison.seeds_needed == 2
    with pytest.raises(ValueError, match="no seed in common"):
        compare_paired({0: 0.5}, {1: 0.5})
    with pytest.raises(ValueError, match="different numbers of images"):
        compare_paired({0: 0.5}, {0: 0.4}, counts_a={0: [[1, 2]]}, counts_b={0: [[1, 2], [1, 2]]})
