"""Bootstrap intervals: the fast weighted average precision equals scikit-learn's."""

import numpy as np
import pytest
from sklearn.metrics import average_precision_score, roc_auc_score

from clickpred.evaluation.intervals import (
    RankedScores,
    bootstrap_ap,
    bootstrap_mean,
    bootstrap_weights,
    paired,
)


@pytest.mark.parametrize("seed", range(5))
def test_weighted_average_precision_matches_sklearn_with_ties(seed):
    rng = np.random.default_rng(seed)
    n = 3000
    y = rng.random(n) < 0.02
    s = np.round(rng.random(n) + y * 0.3, 2)  # rounded: many ties
    ranked = RankedScores(y, s)
    assert ranked.average_precision() == pytest.approx(average_precision_score(y, s), abs=1e-12)
    w = next(bootstrap_weights(n, 1, seed))
    assert ranked.average_precision(w) == pytest.approx(average_precision_score(y, s, sample_weight=w), abs=1e-12)


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("decimals", [2, 6])  # many ties, few ties
def test_roc_auc_and_hits_from_the_one_sort_match_sklearn_and_a_stable_sort(seed, decimals):
    rng = np.random.default_rng(seed)
    n = 3000
    y = rng.random(n) < 0.02
    s = np.round(rng.random(n) + y * 0.3, decimals)
    ranked = RankedScores(y, s)
    assert ranked.roc_auc() == pytest.approx(roc_auc_score(y, s), abs=1e-12)
    cumulative = np.cumsum(y[np.argsort(-s, kind="stable")])
    assert ranked.hits_at([1, 30, 3000]) == [int(cumulative[0]), int(cumulative[29]), int(y.sum())]


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("decimals", [2, 6])
def test_pr_curve_from_the_one_sort_equals_sklearns(seed, decimals):
    from sklearn.metrics import precision_recall_curve

    rng = np.random.default_rng(seed)
    y = rng.random(2000) < 0.03
    s = np.round(rng.random(2000) + y * 0.3, decimals)
    want_p, want_r, _ = precision_recall_curve(y, s)
    got_p, got_r = RankedScores(y, s).pr_curve()
    np.testing.assert_allclose(got_p, want_p, rtol=0, atol=1e-15)
    np.testing.assert_allclose(got_r, want_r, rtol=0, atol=1e-15)


def test_pr_curve_without_positives_is_sklearns_too():
    from sklearn.metrics import precision_recall_curve

    y, s = np.zeros(6, bool), np.array([0.1, 0.5, 0.5, 0.2, 0.9, 0.3])
    with pytest.warns(UserWarning):  # scikit-learn: "No positive class found in y_true"
        want_p, want_r, _ = precision_recall_curve(y, s)
    got_p, got_r = RankedScores(y, s).pr_curve()
    np.testing.assert_array_equal(got_p, want_p)
    np.testing.assert_array_equal(got_r, want_r)


def test_roc_auc_is_nan_with_one_side_only():
    assert np.isnan(RankedScores(np.zeros(5, bool), np.arange(5.0)).roc_auc())
    assert np.isnan(RankedScores(np.ones(5, bool), np.arange(5.0)).roc_auc())
    assert RankedScores(np.array([0, 1, 0, 1]), np.array([0.1, 0.9, 0.5, 0.5])).roc_auc() == 0.875  # a tie: half


def test_intervals_cover_the_estimate_and_pairs_tell_noise_from_signal():
    rng = np.random.default_rng(0)
    n = 20_000
    y = rng.random(n) < 0.01
    good = y * 1.0 + rng.normal(0, 0.6, n)
    same = good + rng.normal(0, 0.02, n)  # the same model up to noise
    bad = y * 0.3 + rng.normal(0, 0.6, n)
    ranked = {k: [RankedScores(y, s)] for k, s in {"good": good, "same": same, "bad": bad}.items()}
    point, values = bootstrap_ap(ranked, replicates=200, seed=1)
    for k in ranked:
        assert point[k].low <= point[k].estimate <= point[k].high
    assert paired("good", "bad", point, values).distinguishable
    close = paired("good", "same", point, values)
    assert not close.distinguishable


def test_mean_intervals_share_the_replicates_and_pair_costs():
    rng = np.random.default_rng(2)
    n = 5_000
    cheap = rng.exponential(1.0, n)
    dear = cheap + 0.02 + rng.normal(0, 0.05, n)  # costs a little more on the same rows
    twin = cheap + rng.normal(0, 0.05, n)
    point, values = bootstrap_mean({"cheap": [cheap], "dear": [dear], "twin": [twin]}, replicates=300, seed=3)
    assert point["cheap"].estimate == pytest.approx(cheap.mean())
    for k in point:
        assert point[k].low <= point[k].estimate <= point[k].high
    # the same replicates as bootstrap_weights(seed) draws
    w = next(bootstrap_weights(n, 1, 3))
    assert values["cheap"][0] == pytest.approx(cheap @ w / n)
    worse = paired("cheap", "dear", point, values, higher_is_better=False)
    assert worse.distinguishable and worse.difference == pytest.approx(dear.mean() - cheap.mean())
    assert not paired("cheap", "twin", point, values, higher_is_better=False).distinguishable
    # the unpaired intervals overlap although the pair is clearly separated
    assert point["dear"].low < point["cheap"].high


@pytest.mark.parametrize("case", ["ties", "distinct", "tied_block_with_positives", "no_positive", "few_rows"])
def test_many_replicates_at_once_equal_one_at_a_time(case):
    """The batched weighted AP the bootstrap uses (per group of tied scores holding a positive) equals the
    one-replicate version, including replicates that drop every positive (nan) or weigh every row 0."""
    rng = np.random.default_rng(7)
    n = {"few_rows": 5}.get(case, 3000)
    y = rng.random(n) < (0.0 if case == "no_positive" else 0.05)
    if case == "few_rows":
        y[:2] = [True, False]
    s = rng.random(n) + y * 0.3
    if case == "ties":
        s = np.round(s, 1)
    if case == "tied_block_with_positives":
        s[: n // 3] = 0.5
    r = RankedScores(y, s)
    W = rng.poisson(1.0, size=(40, n)).astype(float)
    W[0] = 0.0  # nothing drawn
    W[1] = np.where(y, 0.0, W[1])  # no positive drawn
    W[2] = 1.0
    expected = np.array([r.average_precision(w) for w in W])
    np.testing.assert_allclose(r.average_precisions(W), expected, rtol=0, atol=1e-12)
    assert np.isnan(r.average_precisions(W[:2])).all()


@pytest.mark.parametrize("decimals", [None, 2])  # ties: groups of tied scores holding positives
def test_the_multinomial_interval_is_the_row_bootstrap_drawn_without_rows(decimals):
    """Average precision depends on a replicate only through per-group sums, which are multinomial themselves:
    the interval matches the one from weighing every row (to the bootstrap's own noise at 2,000 replicates)."""
    from clickpred.evaluation.intervals import RankedScores, bootstrap_ap

    rng = np.random.default_rng(3)
    y = rng.random(20_000) < 0.01
    s = rng.random(20_000) + 0.4 * y
    s = s if decimals is None else np.round(s, decimals)
    ranked = RankedScores(y, s)
    fast = ranked.bootstrap_interval(2000, seed=1)
    rows = bootstrap_ap({"c": [ranked]}, replicates=2000, seed=2)[0]["c"]
    assert fast == pytest.approx((rows.low, rows.high), abs=0.01)
    assert fast[0] < ranked.average_precision() < fast[1]
