"""Probability correction: prior shift, calibration chosen by CV, cross-fitted, PR-AUC kept."""

import numpy as np
import pytest

from clickpred.modeling.rebalance import effective_counts, prior_ratio
from clickpred.postfit.correction import Correction, fit_correction, normalise

CLASSES = ["view", "click"]


def _distorted(n=60_000, seed=0):
    """Labels from a known logistic model, and the scores of a 'balanced' model: the same
    slope, the intercept of a 50/50 prior (what class weights / undersampling learn)."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=n)
    p_true = 1 / (1 + np.exp(-(1.5 * z - 5.5)))
    y = np.where(rng.random(n) < p_true, "click", "view")
    odds_shift = np.log((y == "view").sum() / (y == "click").sum())
    q = 1 / (1 + np.exp(-(1.5 * z - 5.5 + odds_shift)))
    return y, np.column_stack([1 - q, q]), rng.integers(0, 5, n)


def test_binary_downsampling_correction_is_the_textbook_formula():
    counts = {"view": 9_900, "click": 100}
    eff = effective_counts("undersample", {"ratio": 0.5}, counts)  # keep 200 views: w = 200 / 9900
    w = eff["view"] / counts["view"]
    p = np.array([0.01, 0.2, 0.5, 0.9])
    c = Correction(CLASSES, "predict_proba", prior_ratio=prior_ratio(CLASSES, counts, eff))
    got = c.apply(np.column_stack([1 - p, p]))[:, 1]
    np.testing.assert_allclose(got, p / (p + (1 - p) / w), rtol=1e-12)


def test_prior_shift_alone_fixes_a_balanced_model_and_auto_keeps_it_calibrated():
    y, S, fold = _distorted()
    counts = {c: int((y == c).sum()) for c in CLASSES}
    ratio = prior_ratio(CLASSES, counts, effective_counts("class_weight", {}, counts))
    rate = (y == "click").mean()
    assert S[:, 1].mean() / rate > 20  # the rebalanced model's probabilities are far too high
    corr, P = fit_correction(S, y, CLASSES, "predict_proba", fold, "auto", ratio)
    assert corr.method.startswith("prior")
    assert P[:, 1].mean() / rate == pytest.approx(1.0, abs=0.1)
    np.testing.assert_allclose(P.sum(axis=1), 1.0)
    prior_only, Q = fit_correction(S, y, CLASSES, "predict_proba", fold, "prior", ratio)
    assert prior_only.method == "prior" and Q[:, 1].mean() / rate == pytest.approx(1.0, abs=0.1)


def test_the_corrected_scores_of_a_fold_do_not_depend_on_its_labels():
    y, S, fold = _distorted(20_000)
    _, P = fit_correction(S, y, CLASSES, "predict_proba", fold, "sigmoid")
    y2 = y.copy()
    y2[fold == 0] = "view"  # change only fold 0's labels
    _, P2 = fit_correction(S, y2, CLASSES, "predict_proba", fold, "sigmoid")
    np.testing.assert_array_equal(P[fold == 0], P2[fold == 0])
    assert not np.array_equal(P[fold == 1], P2[fold == 1])


def test_decision_values_become_probabilities_and_auto_never_costs_per_fold_pr_auc():
    rng = np.random.default_rng(1)
    n = 30_000
    z = rng.normal(size=n)
    u = rng.random(n)
    p1 = 1 / (1 + np.exp(-(2 * z - 5)))
    y = np.where(u < 0.1 * p1, "conversion", np.where(u < p1, "click", "view"))
    margins = np.column_stack([-z, z, z - 0.5]) + rng.normal(0, 0.3, (n, 3))
    fold = rng.integers(0, 5, n)
    classes = ["view", "click", "conversion"]
    corr, P = fit_correction(margins, y, classes, "decision_function", fold, "auto")
    assert corr.method in ("sigmoid", "isotonic", "temperature") and "none" not in corr.selection
    np.testing.assert_allclose(P.sum(axis=1), 1.0)
    assert (P >= 0).all()
    # the chosen method keeps every minority class's mean-over-folds PR-AUC within 1%
    from clickpred.postfit.correction import _fold_rows, _minority_ap

    ref = _minority_ap(y, margins, classes, _fold_rows(fold))
    assert np.all(np.asarray(corr.pr_auc[corr.method]) >= 0.99 * ref - 1e-12)


def test_none_leaves_scores_alone_and_bad_method_is_refused():
    y, S, fold = _distorted(5_000)
    corr, P = fit_correction(S, y, CLASSES, "predict_proba", fold, "none")
    assert not corr.changes_scores and P is S
    with pytest.raises(ValueError, match="calibration method"):
        fit_correction(S, y, CLASSES, "predict_proba", fold, "platt")


def test_normalise_handles_zero_rows():
    out = normalise(np.array([[0.0, 0.0], [1.0, 3.0]]))
    np.testing.assert_allclose(out, [[0.0, 0.0], [0.25, 0.75]])


def test_auto_prefers_a_correction_that_keeps_each_class_mean():
    from clickpred.postfit.correction import _choose

    loss = {"sigmoid": 0.0102, "temperature": 0.0100}
    ap = {"sigmoid": np.array([0.02]), "temperature": np.array([0.02])}
    ref = np.array([0.02])
    ratios = {"sigmoid": np.array([1.01]), "temperature": np.array([1.15])}
    assert _choose(loss, ap, ref, ratios) == "sigmoid"  # temperature wins on log loss, misses the mean by 15%
    # none within 0.1: the one that misses the mean least, whatever its log loss
    assert _choose(loss, ap, ref, {"sigmoid": np.array([1.3]), "temperature": np.array([1.15])}) == "temperature"
    assert _choose(loss, ap, ref, {"sigmoid": np.array([1.12]), "temperature": np.array([1.15])}) == "sigmoid"
    assert _choose(loss, ap, ref, None) == "temperature"


def test_a_forced_isotonic_is_used_even_when_it_costs_pr_auc():
    from clickpred.postfit.correction import _choose

    ap = {"isotonic": np.array([0.01])}
    assert _choose({"isotonic": 0.1}, ap, np.array([0.02]), {"isotonic": np.array([1.0])}) == "isotonic"


def test_a_minority_class_of_a_few_rows_is_calibrated_without_error():
    """Calibrating on folds of fewer than 5 rows of each class used to raise scikit-learn's 'n_splits=5 cannot
    be greater than the number of members in each class' (the frozen scorer's splits only need to exist)."""
    rng = np.random.default_rng(0)
    y = np.array(["v"] * 6 + ["c"] * 3)
    s = np.where(y == "c", 0.6, 0.2) + rng.normal(0, 0.1, 9)
    S = np.column_stack([1 - s.clip(0.01, 0.99), s.clip(0.01, 0.99)])
    for method in ("auto", "sigmoid", "isotonic", "temperature"):
        corr, P = fit_correction(S, y, ["v", "c"], "predict_proba", np.arange(9) % 3, method)
        assert np.isfinite(P).all() and np.allclose(P.sum(axis=1), 1.0)


def test_calibrators_fitted_in_workers_are_the_same():
    y, S, fold = _distorted(20_000)
    one, P1 = fit_correction(S, y, CLASSES, "predict_proba", fold, "auto")
    two, P2 = fit_correction(S, y, CLASSES, "predict_proba", fold, "auto", jobs=2)
    np.testing.assert_array_equal(P1, P2)
    assert one.method == two.method and one.selection == two.selection


@pytest.mark.parametrize("method", ["sigmoid", "isotonic", "temperature"])
@pytest.mark.parametrize("kind", ["predict_proba", "decision_function"])
def test_calibrators_are_scikit_learns_default_path_on_every_row(method, kind):
    """ensemble=True with one split of every row: the same calibrator, to the last bit, as CalibratedClassifierCV's
    default path on the frozen scorer (which wraps the same fit in cross_val_predict)."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.frozen import FrozenEstimator

    from clickpred.postfit.adapters import ScoresAsDecision
    from clickpred.postfit.correction import _binary_input, _fit_calibrator

    y, S, _ = _distorted(20_000, seed=3)
    scores = S if kind == "predict_proba" else np.log(S)
    ours = _fit_calibrator(method, scores, y, kind, CLASSES)["click"]
    X, t = _binary_input(scores, 1, kind), np.where(y == "click", "1", "0")
    every_row = np.arange(len(t))
    default = CalibratedClassifierCV(
        FrozenEstimator(ScoresAsDecision().fit(X, t)), method=method, cv=[(every_row, every_row)]
    ).fit(X, t)
    assert len(ours.calibrated_classifiers_) == len(default.calibrated_classifiers_) == 1
    np.testing.assert_array_equal(ours.predict_proba(X), default.predict_proba(X))


@pytest.mark.parametrize("method", ["sigmoid", "isotonic", "temperature"])
@pytest.mark.parametrize("kind", ["predict_proba", "decision_function"])
def test_calibrators_applied_directly_equal_scikit_learns_predict_proba(method, kind):
    """positive_probability skips scikit-learn's per-call checks, not its arithmetic: the same probabilities to the
    last bit, on the fitted rows and on scores beyond their range; a non-finite score still takes (and is refused
    by) scikit-learn's path."""
    from clickpred.postfit.correction import _binary_input, _fit_calibrator, positive_probability

    y, S, _ = _distorted(20_000, seed=5)
    scores = S if kind == "predict_proba" else np.log(S)
    cal = _fit_calibrator(method, scores, y, kind, CLASSES)["click"]
    rng = np.random.default_rng(0)
    wide = np.column_stack([scores[:, 0], rng.uniform(-30, 30, len(scores)) if kind != "predict_proba" else S[:, 1]])
    for s in (scores, wide):
        X = _binary_input(s, 1, kind)
        np.testing.assert_array_equal(positive_probability(cal, X), cal.predict_proba(X)[:, 1])
    X = _binary_input(scores, 1, kind)
    X[0, -1] = np.nan
    with pytest.raises(ValueError):
        positive_probability(cal, X)


@pytest.mark.parametrize("method", ["sigmoid", "isotonic", "temperature"])
@pytest.mark.parametrize("kind", ["predict_proba", "decision_function"])
def test_the_method_searchs_calibrators_predict_what_the_kept_ones_do(method, kind):
    """The cross-fitted search fits sigmoid and isotonic directly (no CalibratedClassifierCV around them): the same
    probabilities to the last bit, on the fitted rows and beyond their range, for every minority class; a class of
    a single row is skipped as the kept calibrators skip it."""
    from clickpred.postfit.correction import _binary_input, _fit_calibrator, _search_fit, positive_probability

    y, S, _ = _distorted(20_000, seed=7)
    y = y.copy()
    y[np.flatnonzero(y == "view")[0]] = "rare"  # a class of one row: no calibrator either way
    S = np.column_stack([S, np.full(len(S), 1e-4)])
    S = S / S.sum(axis=1, keepdims=True)
    classes = ["view", "click", "rare"]
    scores = S if kind == "predict_proba" else np.log(S)
    searched = _search_fit(method, scores, y, kind, classes)
    kept = _fit_calibrator(method, scores, y, kind, classes)
    assert set(searched) == set(kept) == {"click"}
    rng = np.random.default_rng(1)
    wide = scores.copy()
    wide[:, 1] = rng.uniform(-30, 30, len(scores)) if kind != "predict_proba" else rng.uniform(0, 1, len(scores))
    for s in (scores, wide):
        X = _binary_input(s, 1, kind)
        np.testing.assert_array_equal(
            positive_probability(searched["click"], X), positive_probability(kept["click"], X)
        )


def test_the_search_chooses_and_scores_as_before(monkeypatch):
    """The whole search with the kept calibrators in place of the direct ones: the same choice, losses and
    cross-fitted probabilities."""
    import clickpred.postfit.correction as correction

    y, S, fold = _distorted(30_000, seed=2)
    fast, P_fast = fit_correction(S, y, CLASSES, "predict_proba", fold, "auto")
    monkeypatch.setattr(correction, "_search_fit", correction._fit_calibrator)
    slow, P_slow = fit_correction(S, y, CLASSES, "predict_proba", fold, "auto")
    np.testing.assert_array_equal(P_fast, P_slow)
    assert fast.method == slow.method and fast.selection == slow.selection


@pytest.mark.parametrize("method", ["sigmoid", "isotonic", "temperature"])
def test_calibrators_of_older_files_with_text_labels_give_the_same_probabilities(method):
    """Calibrators are fitted on 0/1 integers now; a model file written before holds them fitted on "0"/"1": both
    read the same probabilities of class 1."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.frozen import FrozenEstimator

    from clickpred.postfit.adapters import ScoresAsDecision
    from clickpred.postfit.correction import _binary_input, _fit_calibrator, positive_probability

    y, S, _ = _distorted(20_000, seed=11)
    X, text = _binary_input(S, 1, "predict_proba"), np.where(y == "click", "1", "0")
    every_row = np.arange(len(text))
    older = CalibratedClassifierCV(
        FrozenEstimator(ScoresAsDecision().fit(X, text)), method=method, cv=[(every_row, every_row)], ensemble=True
    ).fit(X, text)
    now = _fit_calibrator(method, S, y, "predict_proba", CLASSES)["click"]
    assert now.classes_.tolist() == [0, 1] and older.classes_.tolist() == ["0", "1"]
    np.testing.assert_array_equal(positive_probability(now, X), positive_probability(older, X))
