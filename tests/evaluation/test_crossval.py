import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, log_loss

from clickpred.errors import DataError
from clickpred.evaluation.crossval import check_folds, compute_metrics

CLASSES = ["view", "click", "conversion"]


def _toy():
    rng = np.random.default_rng(0)
    y = np.array(["view"] * 900 + ["click"] * 80 + ["conversion"] * 20)
    s = rng.dirichlet([8, 1, 1], size=1000)
    s[y == "click", 1] += 0.3
    s[y == "conversion", 2] += 0.3
    return y, s / s.sum(axis=1, keepdims=True)


def test_pr_auc_is_average_precision_one_vs_rest_with_prevalence_baseline():
    y, s = _toy()
    m = compute_metrics(y, s, CLASSES, has_proba=True)
    for k, c in enumerate(CLASSES):
        assert m["per_class"][c]["pr_auc"] == pytest.approx(average_precision_score(y == c, s[:, k]))
        assert m["per_class"][c]["pr_auc_baseline"] == pytest.approx((y == c).mean())
    assert m["per_class"]["click"]["support"] == 80


def test_log_loss_reads_columns_in_class_order_not_alphabetical():
    y, s = _toy()
    m = compute_metrics(y, s, CLASSES, has_proba=True)
    order = np.argsort(CLASSES)  # click, conversion, view
    assert m["log_loss"] == pytest.approx(log_loss(y, s[:, order], labels=sorted(CLASSES)))


def test_confusion_matrix_counts_and_normalised_rows():
    y = np.array(["view"] * 6 + ["click"] * 4)
    pred = np.array(["view"] * 5 + ["click"] + ["click"] * 3 + ["view"])
    s = np.zeros((10, 2))
    m = compute_metrics(y, s, ["view", "click"], has_proba=False, y_pred=pred)
    assert m["confusion_matrix"]["counts"] == [[5, 1], [1, 3]]
    assert m["confusion_matrix"]["normalized"][1] == [0.25, 0.75]
    assert m["per_class"]["click"]["recall"] == 0.75
    assert "log_loss" not in m  # no probabilities, no log loss


def test_hits_at_counts_positives_in_the_top_fraction():
    y = np.array(["v"] * 90 + ["c"] * 10)
    s = np.zeros((100, 2))
    s[:, 1] = np.arange(100)  # the 10 positives have the top scores
    m = compute_metrics(y, s, ["v", "c"], has_proba=False)
    assert m["per_class"]["c"]["hits_at"] == {"1%": 1, "5%": 5, "10%": 10, "20%": 10}


def test_majority_only_predictions_get_zero_recall_not_a_high_headline():
    y = np.array(["view"] * 998 + ["click"] * 2)
    s = np.column_stack([np.ones(1000), np.zeros(1000)])
    m = compute_metrics(y, s, ["view", "click"], has_proba=True)
    assert m["accuracy"] == pytest.approx(0.998)
    assert m["per_class"]["click"]["recall"] == 0.0 and m["balanced_accuracy"] == 0.5 and m["mcc"] == 0.0


def test_check_folds_names_the_small_class():
    y = np.array(["v"] * 50 + ["c"] * 3)
    with pytest.raises(DataError, match=r"class 'c' has 3 row\(s\), fewer than folds 5: use folds 3 or more data"):
        check_folds(y, ["v", "c"], 5)
    check_folds(y, ["v", "c"], 3)


def test_too_many_folds_names_the_smallest_class():
    from clickpred.errors import DataError
    from clickpred.evaluation.crossval import check_folds

    y = np.array(["view"] * 50 + ["click"] * 3 + ["conversion"] * 2)
    with pytest.raises(DataError, match=r"class 'conversion' has 2 row\(s\), fewer than folds 5: use folds 2"):
        check_folds(y, ["view", "click", "conversion"], 5)


@pytest.mark.parametrize("jobs, threads", [(1, False), (2, False), (2, True)])
def test_refit_in_the_folds_pool_is_a_fit_on_all_rows_and_warnings_reach_the_caller(jobs, threads):
    import warnings

    import pandas as pd
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression

    from clickpred.evaluation.crossval import cross_validate, cross_validate_and_refit

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=300), "b": rng.normal(size=300)})
    y = np.where(X.a + rng.normal(size=300) > 1, "click", "view")
    model = LogisticRegression(max_iter=2)  # stops early: every fit warns
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        ev, (fitted, seconds) = cross_validate_and_refit(
            model, X, y, ["view", "click"], "predict_proba", 3, 0, jobs, refit=(X, y), threads=threads
        )
    assert sum(issubclass(w.category, ConvergenceWarning) for w in seen) == 4  # 3 folds + the final fit
    np.testing.assert_array_equal(fitted.coef_, LogisticRegression(max_iter=2).fit(X, y).coef_)
    assert seconds >= 0 and fitted is not model
    np.testing.assert_array_equal(
        ev.scores, cross_validate(model, X, y, ["view", "click"], "predict_proba", 3, 0).scores
    )


class _Talkative(LogisticRegression):
    """Warns with the number of rows it is fitted on, twice (so that two threads' warnings interleave)."""

    def fit(self, X, y, sample_weight=None):
        import time
        import warnings

        warnings.warn(f"fitting {len(y)} rows", UserWarning, stacklevel=2)
        time.sleep(0.01)
        warnings.warn(f"fitted {len(y)} rows", UserWarning, stacklevel=2)
        return super().fit(X, y, sample_weight)


def test_in_threads_each_fit_hears_its_own_warnings_and_the_process_is_left_as_it_was():
    import warnings

    import pandas as pd
    from threadpoolctl import threadpool_info

    from clickpred.evaluation.crossval import cross_validate_and_refit

    rng = np.random.default_rng(1)
    X = pd.DataFrame({"a": rng.normal(size=203)})
    y = np.where(X.a + rng.normal(size=203) > 1, "click", "view")
    blas_before = [(i["internal_api"], i["num_threads"]) for i in threadpool_info()]
    filters_before = list(warnings.filters)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        ev, _ = cross_validate_and_refit(
            _Talkative(), X, y, ["view", "click"], "predict_proba", 4, 0, 2, refit=(X, y), threads=True
        )
    rows = [203] + [int((ev.fold_of != f).sum()) for f in range(4)]  # the final fit first, then the folds in order
    assert [str(w.message) for w in seen] == [m for n in rows for m in (f"fitting {n} rows", f"fitted {n} rows")]
    assert [(i["internal_api"], i["num_threads"]) for i in threadpool_info()] == blas_before
    assert list(warnings.filters) == filters_before


def test_a_warning_that_cannot_be_rebuilt_from_its_text_is_still_heard():
    import warnings

    from clickpred.evaluation.crossval import _raise_again

    class Picky(UserWarning):
        def __init__(self, text, *, origin):
            super().__init__(text)

    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        _raise_again([(UserWarning, "plain"), (Picky, "needs an origin")])
    assert [(w.category, str(w.message)) for w in seen] == [
        (UserWarning, "plain"),
        (RuntimeWarning, "Picky: needs an origin"),
    ]


@pytest.mark.parametrize("seed", range(4))
def test_confusion_counts_equal_scikit_learns_metrics(seed):
    """Including a class never predicted, a class never true, and codes of no class (-1)."""
    from sklearn.metrics import (
        accuracy_score,
        balanced_accuracy_score,
        confusion_matrix,
        matthews_corrcoef,
        precision_recall_fscore_support,
    )

    from clickpred.evaluation.crossval import _confusion_counts

    rng = np.random.default_rng(seed)
    t = rng.choice([0, 0, 0, 1, 2, -1] if seed % 2 else [0, 0, 1, 2], size=500)
    p = rng.choice([0, 1, 3, -1] if seed > 1 else [0, 2], size=500)  # 3: no row's true class; 1 or 2 never predicted
    got = _confusion_counts(t, p, 4)
    prec, rec, f1, sup = precision_recall_fscore_support(t, p, labels=[0, 1, 2, 3], zero_division=0)
    for name, want in (("precision", prec), ("recall", rec), ("f1", f1), ("support", sup)):
        np.testing.assert_allclose(got[name], want, rtol=0, atol=1e-15, err_msg=name)
    np.testing.assert_array_equal(got["confusion_matrix"], confusion_matrix(t, p, labels=[0, 1, 2, 3]))
    assert got["balanced_accuracy"] == pytest.approx(balanced_accuracy_score(t, p), abs=1e-15)
    assert got["mcc"] == pytest.approx(matthews_corrcoef(t, p), abs=1e-15)
    assert got["accuracy"] == pytest.approx(accuracy_score(t, p), abs=1e-15)


def test_confusion_counts_of_labels_equal_scikit_learns_confusion_matrix():
    """Labels as strings, a class never predicted, a label that is no class (left out, as there)."""
    from sklearn.metrics import confusion_matrix

    from clickpred.evaluation.crossval import confusion_counts

    rng = np.random.default_rng(3)
    y = rng.choice(["view", "view", "click", "conversion", "other"], size=400)
    p = rng.choice(["view", "click", "spam"], size=400)
    classes = ["view", "click", "conversion"]
    np.testing.assert_array_equal(confusion_counts(y, p, classes), confusion_matrix(y, p, labels=classes))


def test_scores_and_predictions_are_the_pipelines_own_with_one_pass_of_its_transforms():
    """A sampler in the pipeline, and an SVC whose three-class predict (one-vs-one votes) is not the argmax of its
    decision function: both outputs are still exactly the pipeline's two methods'."""
    from imblearn.over_sampling import RandomOverSampler
    from imblearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    from clickpred.evaluation.crossval import scores_and_predictions, scores_for

    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 4))
    y = np.array(["view"] * 240 + ["click"] * 40 + ["conversion"] * 20)
    X[y == "click", 0] += 1.0
    X[y == "conversion", 1] += 1.0
    pipe = Pipeline([("scale", StandardScaler()), ("sampler", RandomOverSampler(random_state=0)), ("svc", SVC())])
    pipe.fit(X, y)
    scores, predictions = scores_and_predictions(pipe, X, CLASSES, "decision_function")
    np.testing.assert_array_equal(scores, scores_for(pipe, X, CLASSES, "decision_function"))
    np.testing.assert_array_equal(predictions, pipe.predict(X).astype(str))
    argmax = np.asarray(CLASSES)[scores.argmax(axis=1)]
    assert (argmax != predictions).any()  # the case that makes predict not a function of the scores
    lr = LogisticRegression().fit(X, y)  # not a pipeline
    scores, predictions = scores_and_predictions(lr, X, CLASSES, "predict_proba")
    np.testing.assert_array_equal(predictions, lr.predict(X))


@pytest.mark.parametrize("has_proba", [True, False])
def test_metrics_under_other_predictions_reuse_the_scores_parts_and_equal_a_fresh_computation(has_proba):
    y, s = _toy()
    rng = np.random.default_rng(1)
    other = rng.choice(CLASSES, size=len(y))
    first = compute_metrics(y, s, CLASSES, has_proba)
    again = compute_metrics(y, s, CLASSES, has_proba, other, same_scores=first)
    assert again == compute_metrics(y, s, CLASSES, has_proba, other)
    assert again["per_class"]["click"]["recall"] != first["per_class"]["click"]["recall"]
    again["per_class"]["click"]["hits_at"]["1%"] = -1  # a copy: the first metrics are not changed through it
    assert first["per_class"]["click"]["hits_at"]["1%"] != -1


@pytest.mark.parametrize("classifier", ["logistic", "hgb"])
def test_shuffled_scores_are_the_whole_pipelines_scores(small_csv, classifier):
    """Permutation importance re-computes only the blocks of ``prepare`` that read a changed column (and, for a
    linear model, only the changed columns' terms of its decision): the same scores as the whole pipeline, for
    every column and every cross of a clickpred pipeline."""
    from clickpred.evaluation.crossval import ShuffledScores, scores_and_predictions, scores_for
    from clickpred.evaluation.importance import changed_columns, plan, shuffled
    from clickpred.io.crosses import with_crosses
    from clickpred.io.dataset import load_dataset
    from clickpred.modeling.pipeline import build_pipeline
    from clickpred.modeling.spec import spec_from_options

    ds = load_dataset(small_csv)
    frame, schema = with_crosses(ds.frame, ds.schema, [("site_id", "os")], 50)
    classes = list(schema.classes)
    built = build_pipeline(spec_from_options(classifier, "none", 2), schema, ds.class_counts)
    fitted = built.pipeline.fit(frame.iloc[:3000], ds.y[:3000])
    held = frame.iloc[3000:]
    scorer = ShuffledScores(fitted, held, classes, built.score_method)
    assert scorer.parts is not None
    assert (scorer.sums is not None) == (classifier == "logistic")  # a linear model's shuffles come from its sum
    scores, predicted = scorer.as_they_are(held)  # the rows as they are, from the same computed first step
    whole, whole_predicted = scores_and_predictions(fitted, held, classes, built.score_method)
    np.testing.assert_array_equal(scores, whole)
    assert (predicted == whole_predicted).all()
    p = plan(schema, seed=0)
    assert any(g.kind == "cross" for g in p.groups)
    for g, group in enumerate(p.groups):
        changed = shuffled(held, group, p.crosses, np.random.default_rng(g))
        whole = scores_for(fitted, changed, classes, built.score_method)
        got = scorer(changed, changed_columns(group, p.crosses))
        if scorer.sums is None:
            np.testing.assert_array_equal(got, whole)
        else:
            np.testing.assert_allclose(got, whole, rtol=0, atol=1e-9)
    if scorer.sums is not None:  # the shuffles' reference: the same sum of the rows as they are
        np.testing.assert_allclose(scorer.reference(scores), scores, rtol=0, atol=1e-9)
