"""A linear model's decision as a sum over its prepared columns (clickpred.evaluation.additive)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, PolynomialFeatures
from sklearn.svm import LinearSVC

from clickpred.evaluation.additive import Additive


def _rows(n=3000, seed=0):
    """Two code columns (one-hot after) and two numbers (passed through), as a fold's prepared matrix."""
    rng = np.random.default_rng(seed)
    X = np.column_stack(
        [rng.integers(0, 7, n), rng.integers(0, 40, n), rng.normal(size=n), rng.exponential(size=n)]
    ).astype(float)
    y = np.where(X[:, 0] + rng.normal(size=n) > 5, "click", "view")
    y[(X[:, 1] < 4) & (rng.random(n) < 0.5)] = "conversion"
    return X, y


def _pipeline(clf):
    encode = ColumnTransformer([("onehot", OneHotEncoder(handle_unknown="ignore"), [0, 1])], remainder="passthrough")
    return Pipeline([("sampler", "passthrough"), ("encode", encode), ("classifier", clf)])


@pytest.mark.parametrize(
    "clf, method, classes",
    [
        (LogisticRegression(max_iter=500), "predict_proba", 3),
        (LogisticRegression(max_iter=500), "predict_proba", 2),
        (LinearSVC(), "decision_function", 3),
        (LinearSVC(), "decision_function", 2),
    ],
)
def test_the_sum_gives_the_pipelines_scores_with_any_column_changed(clf, method, classes):
    X, y = _rows()
    if classes == 2:
        y = np.where(y == "view", "view", "click")
    rest = _pipeline(clf).fit(X[:2000], y[:2000])
    held = X[2000:]
    sums = Additive.compile(rest, held)
    assert sums is not None and sums.method == method
    np.testing.assert_allclose(sums.scores(), getattr(rest, method)(held), rtol=0, atol=1e-9)
    order = np.random.default_rng(1).permutation(len(held))
    for k in range(held.shape[1]):  # each column shuffled among the rows, as permutation importance does
        changed = held.copy()
        changed[:, k] = held[order, k]
        term = sums.term(k, changed[:, k])
        assert term is not None
        np.testing.assert_allclose(sums.scores({k: term}), getattr(rest, method)(changed), rtol=0, atol=1e-9)


def test_rows_with_the_same_values_get_the_same_score_whatever_changed():
    """Every score is the same sum taken in the same order: equal rows are never told apart by rounding (the
    ranks PR-AUC reads)."""
    X, y = _rows()
    rest = _pipeline(LogisticRegression(max_iter=500)).fit(X, y)
    held = np.vstack([X[:50], X[:50]])  # every row twice
    sums = Additive.compile(rest, held)
    order = np.random.default_rng(2).permutation(50)
    new = np.concatenate([held[:50, 1][order], held[:50, 1][order]])
    scores = sums.scores({1: sums.term(1, new)})
    np.testing.assert_array_equal(scores[:50], scores[50:])
    np.testing.assert_array_equal(sums.scores()[:50], sums.scores()[50:])


def test_a_value_the_table_does_not_hold_has_no_term():
    X, y = _rows()
    rest = _pipeline(LogisticRegression(max_iter=500)).fit(X, y)
    sums = Additive.compile(rest, X[:100])
    known = np.unique(X[:100, 1])
    assert sums.term(1, known[::-1]) is not None
    assert sums.term(1, np.array([known[0], 999.0])) is None


def test_no_sum_where_the_model_is_not_additive(monkeypatch):
    X, y = _rows()
    mixing = Pipeline(
        [("cross", PolynomialFeatures(2, interaction_only=True)), ("clf", LogisticRegression(max_iter=1000))]
    )
    assert Additive.compile(mixing.fit(X, y), X) is None  # products of columns: no sum over columns
    trees = Pipeline([("clf", HistGradientBoostingClassifier(max_iter=5))]).fit(X, y)
    assert Additive.compile(trees, X) is None  # not a linear classifier
    many = X.copy()
    many[:, 1] = np.arange(len(X), dtype=float) % 300  # more values than a table holds, one-hot encoded: not affine
    monkeypatch.setattr("clickpred.evaluation.additive.MAX_TABLE", 100)
    wide = _pipeline(LogisticRegression(max_iter=200)).fit(many, y)
    assert Additive.compile(wide, many) is None
    numbers = _pipeline(LogisticRegression(max_iter=500)).fit(X, y)  # passed through: affine beyond the tables
    assert Additive.compile(numbers, X) is not None and len(np.unique(X[:, 2])) > 100
    assert Additive.compile(_pipeline(LogisticRegression(max_iter=500)).fit(X, y), X[:, :0]) is None
    with_nan = X.copy()
    with_nan[0, 2] = np.nan
    assert Additive.compile(_pipeline(LogisticRegression(max_iter=500)).fit(X, y), with_nan) is None
