"""What the trainers share: the schema's label-aware decisions made again on each training fold."""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from clickpred.estimator.fitting import train
from clickpred.estimator.training import decided_on, fold_readings, read_as
from clickpred.evaluation.crossval import fold_splits, scores_for
from clickpred.io.dataset import load_dataset, prepare_frame
from clickpred.modeling.pipeline import build_pipeline
from clickpred.modeling.spec import spec_from_options


def borderline(seed: int = 18, n: int = 6000) -> pd.DataFrame:
    """An integer column of 40 codes (100…139) whose click rate has both an order and a per-code part, of about
    equal weight: whether its labels say "codes" or "a quantity" depends on which rows are asked."""
    rng = np.random.default_rng(seed)
    x = rng.choice(np.arange(100, 140), n)
    effect = rng.normal(size=40)
    logit = -3 + (x - 120) / 20 + 0.35 * effect[x - 100]
    event = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "click", "view")
    return pd.DataFrame({"channel": x, "bid": rng.normal(size=n), "event": event})


def kind_of(schema, name: str) -> str:
    return next(c.kind for c in schema.features if c.name == name)


def test_a_kind_is_decided_by_the_rows_asked():
    ds = load_dataset(borderline())
    assert kind_of(ds.schema, "channel") == "categorical"  # all rows: the labels follow each code
    splits = fold_splits(ds.y, 3, 42)
    readings, notes = fold_readings(ds.schema, ds.frame, ds.y, splits, spec_from_options(), ds.schema)
    assert [None if r is None else kind_of(r.schema, "channel") for r in readings] == ["numeric", None, "numeric"]
    assert notes == [
        "integer columns' kinds decided again on each training fold; some folds read otherwise: "
        "channel as numeric in fold(s) 1, 3 (categorical on all rows)"
    ]
    assert decided_on(ds.schema, ds.frame, ds.y, np.arange(len(ds.y)), 50) is None  # the same rows, the same kinds


def test_the_folds_read_the_same_in_turn_or_in_threads():
    """fold_readings runs the folds' readings in threads (numpy releases the GIL): the same schemas, frames and
    notes as one after the other."""
    ds = load_dataset(borderline())
    splits = fold_splits(ds.y, 3, 42)
    one = fold_readings(ds.schema, ds.frame, ds.y, splits, spec_from_options(), ds.schema, threads=1)
    three = fold_readings(ds.schema, ds.frame, ds.y, splits, spec_from_options(), ds.schema, threads=3)
    assert one[1] == three[1] and len(one[0]) == len(three[0])
    for a, b in zip(one[0], three[0]):
        assert (a is None) == (b is None)
        if a is not None:
            assert a.schema == b.schema
            pd.testing.assert_frame_equal(a.frame, b.frame)


def test_a_numeric_columns_bins_are_decided_by_the_rows_asked():
    """The bins beside a slope read the labels too (clickpred.io.codes.bins_verdict): decided again on each
    training fold's rows, and kept as the schema says where a spec fixes numeric_bins."""
    rng = np.random.default_rng(0)
    n = 40_000
    hour = rng.integers(0, 24, n)
    evening = (hour >= 18) & (hour <= 22) & (np.arange(n) < n // 2)  # the bump in the first half only
    event = np.where(rng.random(n) < np.where(evening, 0.05, 0.005), "click", "view")
    ds = load_dataset(pd.DataFrame({"hour": hour, "event": event}), numeric=["hour"])
    column = ds.schema.features[0]
    assert column.kind == "numeric" and column.bins.startswith("one slope misses a shape")
    first, second = np.arange(n // 2), np.arange(n // 2, n)
    assert decided_on(ds.schema, ds.frame, ds.y, first, 50) is None  # the same decision
    flat = decided_on(ds.schema, ds.frame, ds.y, second, 50)
    assert flat is not None and flat.features[0].bins == "" and flat.features[0].kind == "numeric"
    assert decided_on(ds.schema, ds.frame, ds.y, second, 50, shapes=False) is None  # numeric_bins = 0 or N


def test_read_as_gives_what_prepare_frame_gives_for_the_other_schema():
    raw = borderline().drop(columns=["event"])
    raw.loc[5, "channel"] = np.nan  # missing stays missing both ways
    ds = load_dataset(borderline())
    numeric = decided_on(ds.schema, ds.frame, ds.y, fold_splits(ds.y, 3, 42)[0][0], 50)
    assert numeric is not None
    as_numbers = read_as(prepare_frame(raw, ds.schema), ds.schema, numeric)
    pd.testing.assert_frame_equal(as_numbers, prepare_frame(raw, numeric))
    back = read_as(as_numbers, numeric, ds.schema)
    pd.testing.assert_frame_equal(back, prepare_frame(raw, ds.schema))
    assert read_as(as_numbers, numeric, numeric) is as_numbers


@pytest.mark.parametrize("classifier", ["logistic", "hgb"])
def test_each_fold_is_scored_by_a_model_read_as_its_training_rows_decide(classifier):
    """The out-of-fold scores are those of a pipeline built for each fold's own schema, fitted on its rows."""
    data = borderline()
    spec = spec_from_options(classifier, "none", folds=3, seed=42)
    result = train(data, spec, jobs=1)
    assert kind_of(result.data.schema, "channel") == "categorical"  # the final model: all rows decide
    assert any("channel as numeric in fold(s) 1, 3" in n for n in result.notes)
    ds = result.data
    counts = ds.class_counts
    expected = np.zeros((len(ds.y), len(ds.schema.classes)))
    for tr, te in fold_splits(ds.y, 3, 42):
        schema = decided_on(ds.schema, ds.frame, ds.y, tr, 50) or ds.schema
        X = read_as(ds.frame, ds.schema, schema)
        fitted = clone(build_pipeline(spec, schema, counts).pipeline).fit(X.iloc[tr], ds.y[tr])
        expected[te] = scores_for(fitted, X.iloc[te], ds.schema.classes, result.built.score_method)
    np.testing.assert_allclose(result.cv.raw_scores, expected, atol=1e-9)


def test_a_time_split_reads_the_later_rows_as_the_earlier_rows_decide():
    """With split_by, the held-out later rows are scored by a model whose columns the earlier rows chose (the
    later rows' labels — the future — choose nothing); the final model's columns are chosen on all rows."""
    data = borderline().assign(t=np.linspace(0.0, 1.0, 6000) + 0.5)
    spec = spec_from_options("logistic", "none", folds=3, seed=42)
    result = train(data, spec, jobs=1, split_by="t")
    ds = result.data
    order = np.argsort(ds.frame["t"].to_numpy(), kind="stable")
    earlier_rows, later_rows = order[:4800], order[4800:]
    earlier = decided_on(ds.schema, ds.frame, ds.y, earlier_rows, 50)
    assert earlier is not None and kind_of(earlier, "channel") == "numeric"  # precondition: the two disagree
    counts = {c: int((ds.y[earlier_rows] == c).sum()) for c in ds.schema.classes}
    X = read_as(ds.frame, ds.schema, earlier)
    fitted = clone(build_pipeline(spec, earlier, counts).pipeline).fit(X.iloc[earlier_rows], ds.y[earlier_rows])
    expected = scores_for(fitted, X.iloc[later_rows], ds.schema.classes, result.built.score_method)
    np.testing.assert_allclose(result.test.raw_scores, expected, atol=1e-9)


def interaction(seed: int = 0, n: int = 6000, weight: float = 0.4) -> pd.DataFrame:
    """Two categorical columns whose click rate depends on the pair, weakly: whether the pair is worth crossing
    depends on which rows are asked."""
    rng = np.random.default_rng(seed)
    app, channel = rng.choice(list("abcdef"), n), rng.choice(list("uvwxyz"), n)
    effect = rng.normal(size=(6, 6)) * weight
    logit = -2.5 + effect[np.searchsorted(list("abcdef"), app), np.searchsorted(list("uvwxyz"), channel)]
    event = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "click", "view")
    return pd.DataFrame({"app": app, "channel": channel, "site": rng.choice(list("pqrs"), n), "event": event})


def test_auto_crosses_are_chosen_again_on_each_training_fold():
    """All training rows choose app × channel; every fold's training rows alone choose no cross — so each fold is
    scored by a model without it, as the procedure would have built on those rows."""
    from clickpred.estimator.training import reading_on
    from clickpred.modeling.spec import spec_from_dict

    spec = spec_from_dict(
        {
            "classifier": {"name": "logistic"},
            "strategy": {"name": "none"},
            "features": {"crosses": "auto"},
            "evaluation": {"folds": 3, "seed": 42},
        }
    )
    result = train(interaction(), spec, jobs=1)
    assert [c.name for c in result.data.schema.features if c.of] == ["app_x_channel"]  # the final model's
    assert any("fold(s) 1, 2, 3 chose other pairs than all the training rows" in n for n in result.notes)
    base = load_dataset(interaction())
    expected = np.zeros((len(base.y), 2))
    for tr, te in fold_splits(base.y, 3, 42):
        reading, pairs = reading_on(base.schema, base.frame, base.y, tr, spec)
        assert pairs == []
        fitted = clone(build_pipeline(spec, reading.schema, base.class_counts).pipeline)
        fitted.fit(reading.frame.iloc[tr], base.y[tr])
        expected[te] = scores_for(fitted, reading.frame.iloc[te], base.schema.classes, result.built.score_method)
    np.testing.assert_allclose(result.cv.raw_scores, expected, atol=1e-9)
