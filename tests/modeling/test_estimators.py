import warnings

import numpy as np
import pandas as pd
import pytest
from imblearn.over_sampling import RandomOverSampler
from sklearn.utils.estimator_checks import parametrize_with_checks

from clickpred.errors import RowLimitError
from clickpred.modeling.boosting import HoldoutHGBClassifier
from clickpred.modeling.estimators import (
    BoundedSVC,
    ClippedLogit,
    FrequencyEncoder,
    NystroemSVM,
    ScaledTolLogisticRegression,
    TimestampFeatures,
    WeightedMLPClassifier,
    null_loss,
)


def _package_estimators() -> list[type]:
    """Every class in clickpred that subclasses BaseEstimator, found by walking the package: a new estimator is
    checked without anyone adding it here."""
    import importlib
    import inspect
    import pkgutil

    from sklearn.base import BaseEstimator

    import clickpred

    found = {}
    for m in pkgutil.walk_packages(clickpred.__path__, "clickpred."):
        for _, cls in inspect.getmembers(importlib.import_module(m.name), inspect.isclass):
            if issubclass(cls, BaseEstimator) and cls.__module__.startswith("clickpred."):
                found[f"{cls.__module__}.{cls.__qualname__}"] = cls
    return [found[k] for k in sorted(found)]


ESTIMATORS = _package_estimators()

# Expected failures, each with its reason, as scikit-learn declares them for its own estimators.
EXPECTED_FAILURES = {
    # libsvm's sample weights are not equivalent to repeated rows (as scikit-learn's SVC).
    "BoundedSVC": {
        "check_sample_weight_equivalence_on_dense_data": "libsvm sample_weight semantics (as SVC)",
        "check_sample_weight_equivalence_on_sparse_data": "libsvm sample_weight semantics (as SVC)",
    },
    "NystroemSVM": {
        "check_sample_weight_equivalence_on_dense_data": "stochastic (SGD), as SGDClassifier",
        "check_sample_weight_equivalence_on_sparse_data": "stochastic (SGD), as SGDClassifier",
    },
    # Early stopping (the default here) holds out a stratified 10% of the rows: with the rows changed, the slice
    # changes (so removing a row is not weight 0), and stopping on it comes before weights of 1000 : 0.0001 take
    # full effect. Both checks pass with early_stopping=False (the second instance below).
    "WeightedMLPClassifier": {
        "check_sample_weight_equivalence_on_dense_data": "early stopping's validation slice depends on the rows",
        "check_sample_weight_equivalence_on_sparse_data": "early stopping's validation slice depends on the rows",
        "check_class_weight_classifiers": "early stopping stops before extreme class weights take full effect",
    },
    "ScoresAsDecision": {
        "check_classifiers_train": "an adapter whose input columns are its decision values: it learns nothing",
        "check_classifiers_classes": "K classes need K decision columns (the check gives 2 for 3 classes)",
        "check_dtype_object": "K classes need K decision columns (the check gives 10 for 4 classes)",
    },
    "ClickClassifier": {
        "check_classifiers_train": "Threshold at probability 0.5 does not hold: predict is the decision rule tuned "
        "on out-of-fold probabilities (as scikit-learn's TunedThresholdClassifierCV)",
    },
}


# With a sampler, HoldoutHGBClassifier refuses sample_weight (a sampler's new rows have no weight), as
# imbalanced-learn's Pipeline cannot pass one past its sampler either; without one it passes every check.
REFUSES_SAMPLE_WEIGHT = "sample_weight is refused with a sampler (its new rows have no weight)"
SAMPLER_FAILURES = {
    check: REFUSES_SAMPLE_WEIGHT
    for check in (
        "check_sample_weights_pandas_series",
        "check_sample_weights_not_an_array",
        "check_sample_weights_list",
        "check_sample_weights_shape",
        "check_sample_weights_not_overwritten",
        "check_all_zero_sample_weights_error",
        "check_sample_weight_equivalence_on_dense_data",
        "check_classifiers_one_label_sample_weights",
    )
}


def _expected_failures(est) -> dict:
    if getattr(est, "sampler", None) is not None:
        return SAMPLER_FAILURES
    if getattr(est, "early_stopping", True) is False:
        return {}
    return EXPECTED_FAILURES.get(type(est).__name__, {})


def test_every_estimator_class_is_found_and_constructible_by_default():
    names = {cls.__name__ for cls in ESTIMATORS}
    assert {
        "ClickClassifier",
        "FunnelClassifier",
        "ScoresAsDecision",
        "TimestampFeatures",
        "WeightedMLPClassifier",
    } <= names
    assert set(EXPECTED_FAILURES) <= names
    for cls in ESTIMATORS:
        cls()


@parametrize_with_checks(
    [cls() for cls in ESTIMATORS]
    + [
        WeightedMLPClassifier(max_iter=50, early_stopping=False),
        HoldoutHGBClassifier(sampler=RandomOverSampler(random_state=0), early_stopping=True),
    ],
    expected_failed_checks=_expected_failures,
    xfail_strict=True,  # an expected failure that passes is a stale reason
)
def test_sklearn_contract(estimator, check):
    check(estimator)


def test_bounded_svc_refuses_past_its_row_limit_and_names_the_way_out():
    X = np.random.default_rng(0).normal(size=(101, 2))
    y = np.r_[np.zeros(90), np.ones(11)]
    with pytest.raises(
        RowLimitError, match=r"svm-rbf refuses to fit 101 rows \(limit 100.*use classifier 'svm-nystroem'"
    ):
        BoundedSVC(max_rows=100).fit(X, y)
    assert BoundedSVC(max_rows=101).fit(X, y).predict(X).shape == (101,)


def test_weighted_mlp_uses_class_weight_as_sample_weight(monkeypatch):
    seen = {}
    from sklearn.neural_network import MLPClassifier

    def fake_fit(self, X, y, sample_weight=None):
        seen["w"] = sample_weight
        return self

    monkeypatch.setattr(MLPClassifier, "fit", fake_fit)
    y = np.array([0] * 8 + [1] * 2)
    WeightedMLPClassifier(class_weight="balanced").fit(np.zeros((10, 1)), y)
    np.testing.assert_allclose(seen["w"], [10 / 16] * 8 + [10 / 4] * 2)
    WeightedMLPClassifier().fit(np.zeros((10, 1)), y)
    assert seen["w"] is None


@pytest.mark.parametrize(
    "n, params, epochs",
    [
        (160_000, {"batch_size": 2000, "max_iter": 40, "max_updates": 800}, 10),  # 80 steps an epoch
        (160_000, {"batch_size": 2000, "max_iter": 40, "max_updates": None}, 40),
        (5_822, {"batch_size": 2000, "max_iter": 40, "max_updates": 800}, 40),  # 3 steps an epoch: under the cap
        (160_000, {"batch_size": 2000, "max_iter": 40, "max_updates": 10}, 1),  # at least one epoch
        (1_000, {"batch_size": "auto", "max_iter": 40, "max_updates": 20}, 4),  # auto: batches of 200
        # early stopping keeps ceil(10%) of the rows apart: 900 training rows, 5 steps an epoch
        (1_000, {"batch_size": 180, "max_iter": 40, "max_updates": 20, "early_stopping": True}, 4),
        (1_000, {"batch_size": 180, "max_iter": 40, "max_updates": 20, "early_stopping": False}, 3),
    ],
)
def test_weighted_mlp_epochs_under_an_update_cap(n, params, epochs):
    assert WeightedMLPClassifier(**{"early_stopping": False, **params}).epochs(n) == epochs


def test_weighted_mlp_update_cap_runs_fewer_epochs_and_keeps_its_parameters():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 3))
    y = (X[:, 0] + rng.normal(size=400) > 1).astype(int)
    base = dict(batch_size=50, max_iter=12, tol=0.0, n_iter_no_change=100, early_stopping=False, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        capped = WeightedMLPClassifier(max_updates=24, **base).fit(X, y)  # 8 steps an epoch: 3 epochs
        short = WeightedMLPClassifier(**{**base, "max_iter": 3}).fit(X, y)
        roomy = WeightedMLPClassifier(max_updates=10_000, **base).fit(X, y)
        plain = WeightedMLPClassifier(**base).fit(X, y)
    assert capped.n_iter_ == 3 and capped.t_ == 3 * 400
    assert capped.max_iter == 12 and capped.get_params() == WeightedMLPClassifier(max_updates=24, **base).get_params()
    for a, b in zip(capped.coefs_, short.coefs_):  # the cap is exactly fewer epochs
        np.testing.assert_array_equal(a, b)
    for a, b in zip(roomy.coefs_, plain.coefs_):  # a cap never reached changes nothing
        np.testing.assert_array_equal(a, b)
    assert roomy.n_iter_ == 12


def test_timestamp_features_hour_and_weekday_with_missing():
    X = pd.DataFrame({"t": pd.to_datetime(["2026-01-05 13:10:00", None, "2026-01-11 00:00:00"])})
    out = TimestampFeatures().fit(X).transform(X)
    np.testing.assert_array_equal(out, [[13, 0], [-1, -1], [0, 6]])
    assert list(TimestampFeatures().fit(X).get_feature_names_out()) == ["t_hour", "t_dow"]


def test_frequency_encoder_counts_and_unseen_levels():
    X = np.array([["a"], ["a"], ["b"]], dtype=object)
    enc = FrequencyEncoder().fit(X)
    np.testing.assert_allclose(
        enc.transform(np.array([["a"], ["b"], ["z"]], dtype=object)).ravel(), [np.log(3), np.log(2), 0]
    )


def test_clipped_logit():
    out = ClippedLogit(eps=1e-3).fit([[0.5]]).transform([[0.5], [0.0], [1.0], [0.2]]).ravel()
    np.testing.assert_allclose(out, [0.0, np.log(1e-3 / (1 - 1e-3)), np.log((1 - 1e-3) / 1e-3), np.log(0.25)])


def test_null_loss_is_the_entropy_of_weighted_class_shares():
    y = np.array([0] * 98 + [1] * 2)
    p = np.array([0.98, 0.02])
    assert null_loss(y) == pytest.approx(-(p * np.log(p)).sum())
    assert null_loss(y, "balanced") == pytest.approx(np.log(2))  # balanced weights: equal shares


def test_scaled_tol_is_relative_and_params_are_untouched():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(2000, 3))
    y = (X[:, 0] + rng.normal(size=2000) > 3).astype(int)
    est = ScaledTolLogisticRegression(tol=1e-3).fit(X, y)
    assert est.tol == 1e-3  # the parameter is unchanged after fit
    assert est.tol_ == pytest.approx(1e-3 * null_loss(y))
    weighted = ScaledTolLogisticRegression(tol=1e-3, class_weight="balanced").fit(X, y)
    assert weighted.tol_ == pytest.approx(1e-3 * np.log(2))


@pytest.mark.parametrize("solver, passes", [("lbfgs", 1), ("sgd", 3)])
def test_nystroem_svm_never_transforms_more_than_a_chunk(monkeypatch, solver, passes):
    from sklearn.kernel_approximation import Nystroem

    sizes = []
    original = Nystroem.transform

    def spy(self, X):
        sizes.append(X.shape[0])
        return original(self, X)

    monkeypatch.setattr(Nystroem, "transform", spy)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1000, 4))
    y = (np.linalg.norm(X, axis=1) > 2.5).astype(int)  # a ring: not linearly separable
    est = NystroemSVM(n_components=50, chunk_rows=128, epochs=3, C=10.0, solver=solver, random_state=0).fit(X, y)
    assert max(sizes) == 128 and sum(sizes) == passes * 1000
    if solver == "lbfgs":
        assert est.coef_.shape == (1, 50)
    assert (est.predict(X) == y).mean() > 0.9  # the kernel does what a linear model can't


@pytest.mark.parametrize(
    "min_frequency, max_categories", [(None, None), (5, None), (None, 7), (3, 10), (0.05, None), (5, 2), (1, 1)]
)
def test_category_codes_are_the_imputer_and_ordinal_encoder_they_replace(min_frequency, max_categories):
    """Same categories_ and the same codes — missing filled, infrequent grouped, unseen −1 — as
    SimpleImputer(constant) + OrdinalEncoder(use_encoded_value, −1, min_frequency, max_categories)."""
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OrdinalEncoder

    from clickpred.modeling.estimators import CategoryCodes

    rng = np.random.default_rng(0)
    for _ in range(10):
        n, k = int(rng.integers(5, 3000)), int(rng.integers(1, 60))
        values = np.array([f"v{i}" for i in range(k)], dtype=object)
        X = pd.DataFrame({"a": rng.choice(values, n, p=rng.dirichlet(np.ones(k) * 0.3)), "b": rng.choice(values, n)})
        X.loc[rng.random(n) < 0.1, "a"] = np.nan
        new = pd.DataFrame({"a": rng.choice(np.r_[values, ["new"]], 200), "b": rng.choice(np.r_[values, ["zz"]], 200)})
        new.loc[rng.random(200) < 0.1, "b"] = None
        reference = Pipeline(
            [
                ("fill", SimpleImputer(strategy="constant", fill_value="__missing__")),
                (
                    "codes",
                    OrdinalEncoder(
                        handle_unknown="use_encoded_value",
                        unknown_value=-1,
                        min_frequency=min_frequency,
                        max_categories=max_categories,
                        dtype=float,
                    ),
                ),
            ]
        ).fit(X)
        codes = CategoryCodes(min_frequency, max_categories).fit(X)
        for ours, theirs in zip(codes.categories_, reference[-1].categories_):
            assert list(ours) == list(theirs)
        np.testing.assert_array_equal(codes.transform(X), reference.transform(X))
        np.testing.assert_array_equal(CategoryCodes(min_frequency, max_categories).fit_transform(X), codes.transform(X))
        np.testing.assert_array_equal(codes.transform(new), reference.transform(new))


def test_text_array_keeps_objects_where_fixed_width_text_would_change_or_bloat_them():
    from clickpred.modeling.estimators import text_array

    assert text_array(["b", "a", "__missing__"]).dtype == np.dtype("<U11")
    assert text_array(["b", "a"]).tolist() == ["b", "a"]
    assert text_array(["a", 1.5]).dtype == object  # numbers among the values
    assert text_array(["a", "b\x00"]).tolist() == ["a", "b\x00"]  # fixed-width text would drop the NUL
    assert text_array(["a"] * 10 + ["x" * 100_000]).dtype == object  # one long value: 11 × 400 kB otherwise
    assert text_array([]).dtype == object


def test_category_codes_keep_text_categories_as_text_arrays_with_the_same_codes():
    from clickpred.modeling.estimators import CategoryCodes

    X = pd.DataFrame({"a": ["x", "y", None, "x", "z"], "b": [1.0, 2.0, 1.0, np.nan, 2.0]}, dtype=object)
    codes = CategoryCodes().fit(X)
    assert codes.categories_[0].dtype.kind == "U" and codes.categories_[1].dtype == object
    new = pd.DataFrame({"a": ["z", "w", None], "b": [2.0, "2.0", None]}, dtype=object)
    # sorted: "__missing__" first, then x, y, z; numbers after the text, by value ("2.0" as text is unseen)
    np.testing.assert_array_equal(codes.transform(new), [[3, 2], [-1, -1], [0, 0]])
