import numpy as np
import pytest
from imblearn.over_sampling import SMOTE, SMOTENC, RandomOverSampler
from imblearn.under_sampling import RandomUnderSampler

from clickpred.errors import ConfigError, DataError
from clickpred.modeling.rebalance import STRATEGIES, RatioStrategy, RowBlockOneHotEncoder, resampled_rows

COUNTS = {"view": 9000, "click": 900, "conversion": 100}


def test_ratio_strategy_over_grows_every_minority_to_the_ratio():
    y = np.repeat(list(COUNTS), list(COUNTS.values()))
    assert RatioStrategy("over", 1.0)(y) == {"click": 9000, "conversion": 9000}
    assert RatioStrategy("over", 0.05)(y) == {"click": 900, "conversion": 450}


def test_ratio_strategy_under_only_shrinks_the_majority():
    y = np.repeat(list(COUNTS), list(COUNTS.values()))
    assert RatioStrategy("under", 1.0)(y) == {"view": 900}  # clicks are not cut down to the conversions
    assert RatioStrategy("under", 0.1)(y) == {"view": 9000}
    assert resampled_rows(COUNTS, RatioStrategy("under", 0.5)) == 1800 + 900 + 100


@pytest.mark.parametrize(
    "name, kind",
    [("oversample", RandomOverSampler), ("undersample", RandomUnderSampler), ("smote", SMOTE)],
)
def test_each_sampler_strategy_builds_its_sampler(name, kind):
    plan = STRATEGIES[name].plan({}, COUNTS, n_categorical=0, folds=5, seed=1)
    assert isinstance(plan.sampler, kind) and plan.class_weight is None
    assert plan.sampler.random_state == 1


def test_smote_with_categoricals_is_smotenc_on_the_leading_columns():
    plan = STRATEGIES["smote"].plan({}, COUNTS, n_categorical=3, folds=5, seed=0, n_numeric=4, n_levels=20)
    assert isinstance(plan.sampler, SMOTENC) and plan.sampler.categorical_features == [0, 1, 2]


def _mixed(n=3000, seed=0):
    """Integer-coded categorical columns first (as clickpred's prepare step places them), numbers after."""
    rng = np.random.default_rng(seed)
    X = np.column_stack(
        [rng.integers(0, 7, n), rng.integers(0, 40, n), rng.integers(0, 3, n), rng.normal(size=n), rng.random(n)]
    ).astype(float)
    y = np.where(rng.random(n) < 0.03, "click", "view")
    y[rng.random(n) < 0.01] = "conversion"
    return X, y


def test_smotenc_decodes_with_the_row_block_encoder_and_resamples_the_same_rows_as_imblearns_default(monkeypatch):
    X, y = _mixed()
    counts = {c: int((y == c).sum()) for c in np.unique(y)}
    sampler = STRATEGIES["smote"].plan({}, counts, n_categorical=3, folds=5, seed=3, n_numeric=2).sampler
    assert isinstance(sampler.categorical_encoder, RowBlockOneHotEncoder)
    # blocks of 7 rows: many blocks, the last one short
    monkeypatch.setattr(RowBlockOneHotEncoder, "BLOCK_CELLS", 7 * (7 + 40 + 3))
    ours = sampler.fit_resample(X, y)
    default = SMOTENC(
        categorical_features=[0, 1, 2], sampling_strategy=sampler.sampling_strategy, k_neighbors=5, random_state=3
    )
    theirs = default.fit_resample(X, y)
    assert len(ours[1]) > len(y)
    np.testing.assert_array_equal(ours[0], theirs[0])
    np.testing.assert_array_equal(ours[1], theirs[1])


def test_row_block_encoder_inverts_sparse_input_as_scikit_learn_does_unknowns_included(monkeypatch):
    from scipy import sparse
    from sklearn.preprocessing import OneHotEncoder

    X = np.array([["a", "x"], ["b", "y"], ["c", "x"], ["a", "z"], ["b", "y"]], dtype=object)
    ours, theirs = RowBlockOneHotEncoder(handle_unknown="ignore").fit(X), OneHotEncoder(handle_unknown="ignore").fit(X)
    Z = sparse.lil_matrix(theirs.transform(X))
    Z[1, :3] = 0  # row 1's first feature unknown (all zeros): None, as scikit-learn decodes it
    Z = Z.tocsr()
    monkeypatch.setattr(RowBlockOneHotEncoder, "BLOCK_CELLS", 2 * Z.shape[1])  # blocks of 2 rows
    got, want = ours.inverse_transform(Z), theirs.inverse_transform(Z)
    assert got[1, 0] is None and want[1, 0] is None
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(ours.inverse_transform(Z.toarray()), want)
    with pytest.raises(ValueError, match="0 sample"):  # no rows: scikit-learn's own refusal
        ours.inverse_transform(Z[:0])


def test_class_weight_balanced_and_explicit():
    assert STRATEGIES["class_weight"].plan({}, COUNTS, 0, 5, 0).class_weight == "balanced"
    plan = STRATEGIES["class_weight"].plan({"weights": {"click": 10, "conversion": 50}}, COUNTS, 0, 5, 0)
    assert plan.class_weight == {"view": 1.0, "click": 10.0, "conversion": 50.0}
    with pytest.raises(
        ConfigError, match="strategy.weights names class 'klick' not in the data; classes: view, click, conversion"
    ):
        STRATEGIES["class_weight"].plan({"weights": {"klick": 10}}, COUNTS, 0, 5, 0)


def test_smote_adapts_k_neighbors_to_a_tiny_class_and_says_so():
    counts = {"view": 1000, "click": 5}
    plan = STRATEGIES["smote"].plan({}, counts, n_categorical=0, folds=5, seed=0)
    assert plan.sampler.k_neighbors == 3  # 4 clicks per training fold
    assert any("k_neighbors lowered from 5 to 3" in n for n in plan.notes)


def test_smote_counts_the_rows_a_classifier_holds_out_before_it():
    counts = {"view": 1000, "click": 50}  # 40 clicks a training fold, of which at most 4 + 1 held out
    assert (
        STRATEGIES["smote"].plan({"k_neighbors": 40}, counts, n_categorical=0, folds=5, seed=0).sampler.k_neighbors
        == 39
    )
    plan = STRATEGIES["smote"].plan({"k_neighbors": 40}, counts, n_categorical=0, folds=5, seed=0, holdout=0.1)
    assert plan.sampler.k_neighbors == 34
    assert "~35 rows per training fold once the classifier's early-stopping slice is held out" in plan.notes[0]


def test_smote_refuses_a_class_too_small_to_interpolate():
    with pytest.raises(DataError, match="smote needs at least 2 rows of every minority class per training fold"):
        STRATEGIES["smote"].plan({}, {"view": 1000, "click": 2}, n_categorical=0, folds=2, seed=0)


def test_oversampling_that_would_exceed_memory_fails_with_advice():
    big = {"view": 50_000_000, "click": 100_000}
    with pytest.raises(
        DataError, match=r"oversample would grow each training fold to 80,000,000 rows .*set strategy.ratio below 1.0"
    ):
        STRATEGIES["oversample"].plan({}, big, n_categorical=2, folds=5, seed=0, n_numeric=20)


def test_smotenc_memory_counts_the_dense_neighbour_expansion():
    counts = {"view": 1_000_000, "click": 2_000}
    with pytest.raises(DataError, match="smote would grow each training fold"):
        STRATEGIES["smote"].plan({}, counts, n_categorical=4, folds=5, seed=0, n_numeric=10, n_levels=8000)
    # the same data with a 1:100 ratio fits
    STRATEGIES["smote"].plan({"ratio": 0.01}, counts, n_categorical=4, folds=5, seed=0, n_numeric=10, n_levels=100)


def test_a_huge_k_neighbors_is_named_when_it_is_what_needs_the_memory():
    """A huge SMOTE k_neighbors was refused with advice about the ratio; the neighbours it asks for are named, and
    a k above the fold's smallest class is counted as lowered (it is lowered before sampling)."""
    counts = {"view": 200_000, "click": 20_000}
    with pytest.raises(DataError, match=r"lower strategy.k_neighbors \(5000: its neighbours take most of it\)"):
        STRATEGIES["smote"].plan(
            {"k_neighbors": 5000, "ratio": 0.5}, counts, n_categorical=4, folds=5, seed=0, n_numeric=10, n_levels=2000
        )
    plan = STRATEGIES["smote"].plan(
        {"k_neighbors": 10**6, "ratio": 0.2}, {"view": 5000, "click": 40}, n_categorical=2, folds=5, seed=0, n_levels=20
    )
    assert any("k_neighbors lowered from 1000000" in n for n in plan.notes)
