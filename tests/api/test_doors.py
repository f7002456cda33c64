"""Every door gives the same answer: the same rows scored from a file, from a DataFrame through
``clickpred.score``, and through a fitted or loaded ``ClickClassifier`` give the same probabilities and the same
rejects — unreadable values, unseen categories, missing and extra columns, other dtypes included."""

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

import clickpred
from clickpred.errors import DataError


@pytest.fixture(scope="module")
def fitted(small_csv, tmp_path_factory):
    d = tmp_path_factory.mktemp("doors")
    frame = pd.read_csv(small_csv)
    X, y = frame.drop(columns=["event"]), frame["event"].to_numpy()
    clf = clickpred.ClickClassifier(folds=2).fit(X, y)
    clickpred.save_model(clf, d / "m.skops", report=d / "report")
    return clf, d / "m.skops", X, d, y


def _probabilities(scored: pd.DataFrame, classes) -> np.ndarray:
    return scored[[f"p_{c}" for c in classes]].to_numpy()


def _tampered(X: pd.DataFrame) -> pd.DataFrame:
    """The first 300 rows with a few values no model saw: unreadable numbers and timestamps, an unseen site, a
    missing value, an extra column, and numbers held as text."""
    bad = X.head(300).copy()
    bad["bid_price"] = bad["bid_price"].astype(object)
    bad.loc[3, "bid_price"] = "abc"
    bad["timestamp"] = bad["timestamp"].astype(object)
    bad.loc[7, "timestamp"] = "not a time"
    bad.loc[11, "site_id"] = "never-seen-site"
    bad.loc[12, "session_depth"] = np.nan
    bad["session_depth"] = bad["session_depth"].map(lambda v: None if pd.isna(v) else str(int(v)))
    bad["extra"] = "ignored"
    return bad


def test_file_frame_fitted_and_loaded_give_the_same_probabilities_and_rejects(fitted):
    clf, model_path, X, d, _ = fitted
    rows = _tampered(X)
    csv = d / "rows.csv"
    rows.to_csv(csv, index=False)
    run = clickpred.score(model_path, csv, d / "scored.parquet", max_reject_rate=1.0)
    from_file = pq.read_table(d / "scored.parquet").to_pandas()
    rejected = (d / "scored.rejects.csv").read_text()
    assert run.rows_rejected == 2 and run.rows_scored == 298
    assert "not a number: 'abc'" in rejected and "not a timestamp: 'not a time'" in rejected

    loaded = clickpred.load_model(model_path)
    classes = loaded.predictor_.classes
    from_frame = clickpred.score(model_path, rows)
    assert len(from_frame) == 300 and (from_frame.index == rows.index).all()
    assert from_frame["reject"].notna().sum() == 2
    assert from_frame.loc[3, "reject"] == "column 'bid_price': not a number: 'abc'"
    assert from_frame.loc[7, "reject"] == "column 'timestamp': not a timestamp: 'not a time'"
    assert from_frame.loc[[3, 7], "prediction"].isna().all()
    scored = from_frame[from_frame["reject"].isna()]
    np.testing.assert_allclose(_probabilities(scored, classes), _probabilities(from_file, classes), atol=1e-12)
    assert (scored["prediction"].to_numpy() == from_file["prediction"].to_numpy()).all()

    good = rows.drop(index=[3, 7]).drop(columns=["extra"])  # an estimator takes the columns it was fitted on
    order = [list(clf.classes_).index(c) for c in classes]
    for estimator in (clf, loaded):
        np.testing.assert_allclose(
            estimator.predict_proba(good)[:, order], _probabilities(from_file, classes), atol=1e-12
        )
        assert (estimator.predict(good) == from_file["prediction"].to_numpy()).all()
        with pytest.raises(
            DataError, match=r"2 of 300 row\(s\) cannot be scored \(row 3: column 'bid_price': not a number"
        ):
            estimator.predict_proba(rows.drop(columns=["extra"]))
        with pytest.raises(ValueError, match="row 7: column 'timestamp': not a timestamp"):
            estimator.predict(rows.drop(columns=["extra"]))
    with pytest.raises(ValueError, match="Feature names unseen at fit time:\n- extra"):
        clf.predict_proba(good.assign(extra=1))  # scikit-learn's contract for a fitted estimator
    np.testing.assert_allclose(loaded.predict_proba(good.assign(extra=1)), loaded.predict_proba(good))


def test_the_same_rows_from_parquet_score_as_from_csv(fitted):
    """Typed columns (Parquet, a DataFrame's own dtypes) and text columns (CSV) become the same inputs."""
    clf, model_path, X, d, _ = fitted
    rows = X.head(500)
    rows.to_parquet(d / "rows.parquet", index=False)
    rows.to_csv(d / "rows.csv", index=False)
    a = clickpred.score(model_path, d / "rows.parquet", d / "a.parquet")
    b = clickpred.score(model_path, d / "rows.csv", d / "b.parquet")
    assert a.rows_scored == b.rows_scored == 500
    pa_, pb = pq.read_table(d / "a.parquet").to_pandas(), pq.read_table(d / "b.parquet").to_pandas()
    classes = clf.predictor_.classes
    np.testing.assert_allclose(_probabilities(pa_, classes), _probabilities(pb, classes), atol=1e-12)
    as_text = rows.astype(str)
    np.testing.assert_allclose(clf.predict_proba(as_text), clf.predict_proba(rows), atol=1e-12)


def test_a_missing_column_is_the_same_error_from_every_door(fitted):
    clf, model_path, X, d, _ = fitted
    rows = X.head(20).drop(columns=["bid_price"])
    rows.to_csv(d / "short.csv", index=False)
    with pytest.raises(DataError, match="missing feature column\\(s\\) the model needs: bid_price"):
        clickpred.score(model_path, d / "short.csv", d / "short.parquet")
    with pytest.raises(DataError, match="<DataFrame>: missing feature column\\(s\\) the model needs: bid_price"):
        clickpred.score(model_path, rows)
    with pytest.raises(ValueError, match="missing feature column\\(s\\) the model needs: bid_price"):
        clickpred.load_model(model_path).predict_proba(rows)


def test_zoned_timestamps_in_a_dataframe_are_read_on_their_own_wall_clock(fitted):
    """A model trained on wall-clock times scores a New York timestamp by its New York clock, as it scores the
    same rows from a Parquet file — not by the UTC clock, which moves the hour by four or five."""
    clf, model_path, X, d, _ = fitted
    rows = X.head(400).copy()
    naive = pd.to_datetime(rows["timestamp"])
    zoned = rows.assign(timestamp=naive.dt.tz_localize("America/New_York"))
    np.testing.assert_allclose(clf.predict_proba(zoned), clf.predict_proba(rows.assign(timestamp=naive)), atol=1e-12)
    zoned.to_parquet(d / "zoned.parquet", index=False)
    clickpred.score(model_path, d / "zoned.parquet", d / "zoned-scores.parquet")
    from_file = pq.read_table(d / "zoned-scores.parquet").to_pandas()
    classes = clf.predictor_.classes
    from_frame = clickpred.score(model_path, zoned)
    np.testing.assert_allclose(_probabilities(from_frame, classes), _probabilities(from_file, classes), atol=1e-12)


def test_a_loaded_model_is_the_fitted_model(fitted, tmp_path):
    """The same type with the same parameters and probabilities; clonable, refittable, savable again; scored
    alike whether fitted, loaded or saved again."""
    from sklearn.base import clone

    clf, model_path, X, d, y = fitted
    loaded = clickpred.load_model(model_path)
    assert type(loaded) is type(clf) and loaded.get_params() == clf.get_params()
    rows = X.head(300)
    np.testing.assert_allclose(loaded.predict_proba(rows), clf.predict_proba(rows), atol=1e-12)
    again = clickpred.save_model(loaded, tmp_path / "again.skops")
    assert again.result is None and again.model_path.exists()
    np.testing.assert_allclose(
        clickpred.load_model(again.model_path).predict_proba(rows), clf.predict_proba(rows), atol=1e-12
    )
    with pytest.raises(ValueError, match="is an input of this run"):
        clickpred.save_model(loaded, model_path)
    with pytest.raises(ValueError, match="report: a model loaded from a file keeps the report"):
        clickpred.save_model(loaded, tmp_path / "x.skops", report=tmp_path / "r")
    refit = clone(loaded)
    assert not hasattr(refit, "classes_") and refit.get_params() == clf.get_params()
    refit.fit(X, y)
    np.testing.assert_allclose(refit.predict_proba(rows), clf.predict_proba(rows), atol=1e-12)  # seeded: the same

    by_fitted, by_loaded = clickpred.score(clf, rows), clickpred.score(loaded, rows)
    pd.testing.assert_frame_equal(by_fitted, by_loaded, check_exact=False, atol=1e-12)
    _tampered(X).to_csv(tmp_path / "rows.csv", index=False)  # its own file: tests may run in any order
    by_fitted_file = clickpred.score(clf, tmp_path / "rows.csv", tmp_path / "fitted.parquet", max_reject_rate=1.0)
    by_loaded_file = clickpred.score(loaded, tmp_path / "rows.csv", tmp_path / "loaded.parquet", max_reject_rate=1.0)
    assert by_fitted_file.rows_scored == by_loaded_file.rows_scored
    pd.testing.assert_frame_equal(
        pq.read_table(tmp_path / "fitted.parquet").to_pandas(), pq.read_table(tmp_path / "loaded.parquet").to_pandas()
    )


def test_labels_keep_their_type_through_fit_save_load_and_score(tmp_path):
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=600), "site": rng.choice(["x", "y", "z"], 600)})
    y = (X["a"] + rng.normal(size=600) > 1.5).astype(int).to_numpy()
    clf = clickpred.ClickClassifier(folds=3).fit(X, y)
    clickpred.save_model(clf, tmp_path / "m.skops")
    loaded = clickpred.load_model(tmp_path / "m.skops")
    assert loaded.classes_.tolist() == clf.classes_.tolist() == [0, 1]
    assert loaded.classes_.dtype.kind == "i" and loaded.predict(X).dtype.kind == "i"
    assert (loaded.predict(X) == clf.predict(X)).all()
    scored = clickpred.score(loaded, X)
    assert set(scored["prediction"]) <= {0, 1} and (scored["prediction"].to_numpy() == clf.predict(X)).all()
    assert clickpred.score(clf, X)["prediction"].tolist() == scored["prediction"].tolist()
    assert set(clf.importance_["class"]) == set(loaded.importance_["class"]) == {1}  # the label, not "1"


def test_folds_lowered_for_a_small_class_load_as_the_parameter_given(tmp_path):
    """A class of 3 rows cross-fits on 3 folds, not 5; the loaded estimator still says folds=5 (it said 3, so its
    get_params differed from the fitted one's)."""
    rng = np.random.default_rng(1)
    X = pd.DataFrame({"a": rng.normal(size=300)})
    y = np.r_[np.zeros(297, int), np.ones(3, int)]
    clf = clickpred.ClickClassifier(folds=5).fit(X, y)
    assert any("folds: 5 → 3" in n for n in clf.notes_)
    clickpred.save_model(clf, tmp_path / "m.skops")
    loaded = clickpred.load_model(tmp_path / "m.skops")
    assert loaded.get_params() == clf.get_params() and loaded.get_params()["folds"] == 5


def test_a_report_is_named_after_its_model_file(fitted, tmp_path, monkeypatch):
    """Two models saved without a report folder each get their own: reports/<model file name>/."""
    clf, *_ = fitted
    monkeypatch.chdir(tmp_path)
    a = clickpred.save_model(clf, "models/a.skops")
    b = clickpred.save_model(clf, "models/b.skops")
    assert a.report_paths["metrics"] == Path("reports/a/metrics.json")
    assert b.report_paths["metrics"] == Path("reports/b/metrics.json")
    assert (tmp_path / "reports" / "a" / "metrics.json").exists() and (
        tmp_path / "reports" / "b" / "metrics.json"
    ).exists()


def test_a_model_trained_from_a_spec_file_refits_as_it_was_trained(small_csv, tmp_path):
    """A spec's [features] table travels in feature_params: the model's clone, fitted on the same rows as X and y,
    gives the same probabilities (one slope per number here, where the default would look for bins)."""
    from sklearn.base import clone

    spec = tmp_path / "s.toml"
    spec.write_text('[classifier]\nname = "logistic"\n[strategy]\nname = "none"\n[features]\nnumeric_bins = 0\n')
    model = clickpred.train(small_csv, spec, folds=2)
    assert model.get_params()["feature_params"] == {"numeric_bins": 0}
    assert model.result_.spec.features.numeric_bins == 0
    frame = pd.read_csv(small_csv)
    refit = clone(model).fit(frame.drop(columns=["event"]), frame["event"])
    assert refit.get_params() == model.get_params()
    np.testing.assert_allclose(
        refit.predict_proba(frame.drop(columns=["event"])), model.predict_proba(frame), atol=1e-12
    )
    clickpred.save_model(model, tmp_path / "m.skops")
    assert clickpred.load_model(tmp_path / "m.skops").get_params() == model.get_params()
