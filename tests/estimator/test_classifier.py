"""ClickClassifier: the whole model as one scikit-learn estimator."""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_validate

from clickpred.estimator.classifier import ClickClassifier

# scikit-learn's estimator checks: tests/modeling/test_estimators.py runs them on every estimator class.


@pytest.fixture(scope="module")
def clicks(small_csv):
    frame = pd.read_csv(small_csv)
    return frame.drop(columns=["event"]), frame["event"].to_numpy()


def test_fit_is_clickpred_train_on_the_same_rows(clicks, small_csv):
    """The estimator's out-of-fold evaluation and probabilities are those of the train call on the file, which
    returns the same estimator: same parameters, same classes, same probabilities, a DataFrame's columns by name."""
    import clickpred

    X, y = clicks
    clf = ClickClassifier(folds=2).fit(X, y)
    model = clickpred.train(small_csv, folds=2, classifier="logistic")
    assert type(model) is ClickClassifier and model.get_params() == clf.get_params()
    assert clf.evaluation_.metrics["per_class"]["click"]["pr_auc"] == pytest.approx(
        model.evaluation_.metrics["per_class"]["click"]["pr_auc"], abs=1e-12
    )
    P = clf.predict_proba(X)
    assert list(clf.classes_) == sorted(set(y)) == list(model.classes_)
    np.testing.assert_allclose(P, model.predict_proba(pd.read_csv(small_csv)), atol=1e-12)  # the target ignored
    assert np.allclose(P.sum(axis=1), 1.0)
    assert (clf.predict(X) == model.predict(X)).all() and set(clf.predict(X)) <= set(clf.classes_)
    assert (clf.predict(X) != "view").any(), "the auto rule flags minority rows"
    assert clf.thresholds_ == model.thresholds_ and clf.class_counts_ == model.class_counts_
    assert model.test_evaluation_ is None and model.notes_ == model.result_.notes


def test_usable_in_clone_cross_validate_and_grid_search(clicks):
    X, y = clicks
    y = (y != "view").astype(int)  # binary 0/1, for the average-precision scorer
    clf = ClickClassifier(folds=2)
    assert clone(clf).get_params() == clf.get_params()
    cv = StratifiedKFold(2, shuffle=True, random_state=0)
    scores = cross_validate(clf, X, y, cv=cv, scoring="average_precision")
    assert np.all(scores["test_score"] > y.mean())
    grid = GridSearchCV(clf, {"strategy": ["none", "undersample"]}, cv=cv, scoring="average_precision").fit(X, y)
    assert grid.best_params_["strategy"] in ("none", "undersample")
    assert grid.predict_proba(X).shape == (len(y), 2)


def test_labels_keep_their_type_and_a_tiny_class_fits_without_cross_fitting():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    y = np.r_[np.zeros(30, int), np.ones(9, int), [2]]
    clf = ClickClassifier(folds=3).fit(X, y)
    assert clf.classes_.tolist() == [0, 1, 2] and clf.predict(X).dtype == y.dtype
    assert clf.cv_ is None and any("no cross-fitting" in n for n in clf.notes_)
    flat = ClickClassifier(folds=3, funnel=[0, 1, 2]).fit(X, y)
    assert any(n.startswith("funnel=[0, 1, 2]: not applied") for n in flat.notes_)


def test_a_model_file_round_trips_as_a_fitted_estimator(clicks, tmp_path):
    import clickpred

    X, y = clicks
    clf = ClickClassifier(folds=2).fit(X, y)
    out = clickpred.save_model(clf, tmp_path / "m.skops", report=tmp_path / "report")
    assert (tmp_path / "report" / "metrics.json").exists() and out.model_path.exists()
    loaded = clickpred.load_model(tmp_path / "m.skops")
    np.testing.assert_allclose(loaded.predict_proba(X), clf.predict_proba(X), atol=1e-12)
    assert (loaded.predict(X) == clf.predict(X)).all()
    assert loaded.get_params()["folds"] == 2
    assert clf.importance_ is not None and set(clf.importance_["class"]) <= set(clf.classes_)
    pd.testing.assert_frame_equal(loaded.importance_, clf.importance_)
    assert loaded.get_params()["importance"] is True
    scored = clickpred.score(loaded, X.head(50), keep=["impression_id"])
    np.testing.assert_allclose(
        scored[[f"p_{c}" for c in loaded.predictor_.classes]].to_numpy(),
        loaded.predictor_.predict_proba(loaded._features(X.head(50))),
        atol=1e-12,
    )


def test_decision_function_where_there_are_no_probabilities():
    """An SVM left uncalibrated gives decision values, not probabilities: decision_function is there and agrees
    with predict under argmax; predict_proba is not (and the default model is the other way round)."""
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=400), "b": rng.normal(size=400)})
    y = np.where(X["a"] + rng.normal(size=400) > 1, "click", "view")
    svm = ClickClassifier(classifier="svm", calibration="none", decision="argmax", folds=3).fit(X, y)
    assert hasattr(svm, "decision_function") and not hasattr(svm, "predict_proba")
    d = svm.decision_function(X)
    assert d.shape == (400,)
    assert (np.where(d > 0, svm.classes_[1], svm.classes_[0]) == svm.predict(X)).all()
    default = ClickClassifier(folds=3).fit(X, y)
    assert hasattr(default, "predict_proba") and not hasattr(default, "decision_function")


def test_fitted_parts_are_attributes_and_score_is_average_precision_not_accuracy(clicks, tmp_path):
    """correction_, decision_rule_, thresholds_ and class_counts_ for a notebook; score() ranks by the rarest
    class's PR-AUC — accuracy would rank a model that flags nothing first."""
    from sklearn.metrics import average_precision_score

    import clickpred

    X, y = clicks
    clf = ClickClassifier(folds=2).fit(X, y)
    counts = dict(zip(*np.unique(y, return_counts=True)))
    assert clf.class_counts_ == {k: int(v) for k, v in counts.items()}
    rarest = min(counts, key=counts.get)
    assert set(clf.thresholds_) <= set(clf.classes_) and rarest in clf.thresholds_
    assert clf.decision_rule_.label == "auto" and clf.evaluation_ is clf.cv_
    k = list(clf.classes_).index(rarest)
    expected = average_precision_score(y == rarest, clf.predict_proba(X)[:, k])
    assert clf.score(X, y) == pytest.approx(expected) and clf.score(X, y) < 0.9  # accuracy would be > 0.9
    clickpred.save_model(clf, tmp_path / "m.skops")
    loaded = clickpred.load_model(tmp_path / "m.skops")
    assert loaded.thresholds_ == pytest.approx(clf.thresholds_) and loaded.class_counts_ == clf.class_counts_
    assert loaded.score(X, y) == pytest.approx(clf.score(X, y)) and loaded.evaluation_ is None


def test_y_is_held_apart_from_x_so_any_column_name_is_a_feature():
    """fit used to glue y into X as a column named clickpred_label (refusing an X that had one) for the file
    trainer to pick out again; y now goes beside the features, and a column called 'label' is a feature."""
    rng = np.random.default_rng(1)
    X = pd.DataFrame({"label": rng.choice(["a", "b"], 500), "clickpred_label": rng.normal(size=500)})
    y = np.where((X["label"] == "a") & (rng.random(500) < 0.4), "click", "view")
    clf = ClickClassifier(folds=3).fit(X, y)
    assert sorted(c.name for c in clf.schema_.features) == ["clickpred_label", "label"]
    assert clf.schema_.target == "label_2"
    assert clf.predict_proba(X).shape == (500, 2)


def test_unlabelled_rows_are_named_not_left_to_scikit_learn():
    X = pd.DataFrame({"a": np.arange(200.0), "b": ["x", "y"] * 100})
    y = np.array(["view"] * 180 + ["click"] * 20, dtype=object)
    y[5], y[9] = None, np.nan
    with pytest.raises(ValueError, match=r"Input y contains NaN\. 2 row\(s\) have no label \(first: row 5\)"):
        ClickClassifier(folds=3).fit(X, y)


def test_funnel_and_split_by_are_parameters_that_a_model_file_keeps(clicks, small_csv, tmp_path):
    """``funnel`` and ``split_by`` are estimator parameters: fitting with them is ``clickpred.train`` with them, a
    train run on the file gives the same parameters, and a loaded model keeps them — so ``clone(load_model(p))``
    refits the funnel and holds out the same later rows."""
    import clickpred

    X, y = clicks
    order = ["view", "click", "conversion"]
    clf = ClickClassifier(folds=2, funnel=order, split_by="timestamp", importance=False).fit(X, y)
    assert clf.test_evaluation_ is not None and clf.result_.funnel_vs_flat is not None
    model = clickpred.train(
        small_csv, folds=2, classifier="logistic", funnel=order, split_by="timestamp", importance=False
    )
    assert model.get_params() == clf.get_params()
    np.testing.assert_allclose(clf.predict_proba(X), model.predict_proba(pd.read_csv(small_csv)), atol=1e-12)
    clickpred.save_model(clf, tmp_path / "funnel.skops", report=tmp_path / "report")
    loaded = clickpred.load_model(tmp_path / "funnel.skops")
    assert loaded.get_params() == clf.get_params()
    assert loaded.get_params()["funnel"] == order and loaded.get_params()["split_by"] == "timestamp"
    again = clone(loaded).fit(X, y)
    np.testing.assert_allclose(again.predict_proba(X), clf.predict_proba(X), atol=1e-12)
    assert again.test_evaluation_.metrics == clf.test_evaluation_.metrics
    with pytest.raises(Exception, match="funnel 'view': a list of classes"):
        ClickClassifier(folds=2, funnel="view").fit(X, y)
