import numpy as np
import pytest
from imblearn.over_sampling import RandomOverSampler

from clickpred.evaluation.crossval import cross_validate
from clickpred.io.dataset import load_dataset
from clickpred.modeling.classifiers import CLASSIFIERS
from clickpred.modeling.pipeline import build_pipeline, for_prediction
from clickpred.modeling.rebalance import STRATEGIES
from clickpred.modeling.spec import spec_from_dict, spec_from_options


@pytest.fixture(scope="module")
def small(small_csv):
    return load_dataset(small_csv)


@pytest.mark.parametrize("strategy", list(STRATEGIES))
@pytest.mark.parametrize("classifier", list(CLASSIFIERS))
def test_every_classifier_and_strategy_fits_and_scores(small, classifier, strategy):
    params = {"name": classifier}
    if classifier == "svm-nystroem":
        params["n_components"] = 50
    if classifier == "mlp":
        params["max_iter"] = 20
    strat = {"name": strategy, "ratio": 0.3} if strategy in ("oversample", "smote") else strategy
    spec = spec_from_dict({"classifier": params, "strategy": strat})
    built = build_pipeline(spec, small.schema, small.class_counts)
    assert [n for n, _ in built.pipeline.steps] == ["prepare", "sampler", "encode", "classifier"]
    X, y = small.frame, small.y
    built.pipeline.fit(X, y)
    scores = getattr(built.pipeline, built.score_method)(X.head(50))
    assert len(scores) == 50 and np.isfinite(scores).all()
    assert set(built.pipeline.predict(X.head(50))) <= set(small.schema.classes)


@pytest.mark.parametrize("strategy", ["undersample", "oversample", "class_weight"])
def test_the_final_pipeline_predicts_without_its_sampler_to_the_last_bit(small, strategy):
    """What the final fit keeps: scikit-learn's Pipeline of the same fitted steps, the sampler's step a passthrough
    (it only acts in fit) — same names and positions, same probabilities bit for bit, no imbalanced-learn object."""
    from sklearn.pipeline import Pipeline

    built = build_pipeline(spec_from_options("logistic", strategy), small.schema, small.class_counts)
    fitted = built.pipeline.fit(small.frame, small.y)
    kept = for_prediction(fitted)
    assert type(kept) is Pipeline and [n for n, _ in kept.steps] == [n for n, _ in fitted.steps]
    assert kept.named_steps["sampler"] == "passthrough"
    assert not any(type(s).__module__.startswith("imblearn") for _, s in kept.steps)
    np.testing.assert_array_equal(kept.predict_proba(small.frame), fitted.predict_proba(small.frame))
    assert kept.steps[-1][1] is fitted.steps[-1][1]  # the fitted steps themselves, not refits


@pytest.mark.parametrize("strategy", ["oversample", "smote"])
def test_hgb_takes_a_sampler_that_adds_rows_to_hold_its_early_stopping_slice_out_first(small, strategy):
    built = build_pipeline(spec_from_options("hgb", strategy), small.schema, small.class_counts)
    pipe = built.pipeline
    assert pipe.named_steps["sampler"] == "passthrough"
    assert (
        type(pipe.named_steps["classifier"].sampler).__name__
        == type(
            build_pipeline(
                spec_from_options("logistic", strategy), small.schema, small.class_counts
            ).pipeline.named_steps["sampler"]
        ).__name__
    )
    assert any(f"held out of each training fold before {strategy}" in n for n in built.notes)
    pipe.fit(small.frame, small.y)
    assert pipe.named_steps["classifier"].n_iter_ < 200  # early stopping fired

    # Without early stopping there is no slice to protect: the sampler stays in the pipeline.
    spec = spec_from_dict({"classifier": {"name": "hgb", "early_stopping": False}, "strategy": strategy})
    kept = build_pipeline(spec, small.schema, small.class_counts)
    assert kept.pipeline.named_steps["sampler"] != "passthrough"
    assert kept.pipeline.named_steps["classifier"].sampler is None


def test_undersampling_stays_in_the_pipeline_before_hgb(small):
    """It only drops rows: a slice of its output holds no copy of a fitted row."""
    built = build_pipeline(spec_from_options("hgb", "undersample"), small.schema, small.class_counts)
    assert type(built.pipeline.named_steps["sampler"]).__name__ == "RandomUnderSampler"
    assert built.pipeline.named_steps["classifier"].sampler is None


def test_smote_on_ids_switches_them_to_target_encoding_with_a_note(small):
    built = build_pipeline(spec_from_options("logistic", "smote"), small.schema, small.class_counts)
    assert any("ID columns target-encoded" in n for n in built.notes)
    assert "id_encoded" in [t[0] for t in built.pipeline.named_steps["prepare"].transformers]


def test_resampling_happens_only_inside_training_folds(small, monkeypatch):
    """The sampler sees training folds only; every row is scored once, by a model that never saw it."""
    calls = []
    original = RandomOverSampler.fit_resample

    def spy(self, X, y, **kw):
        calls.append(len(y))
        return original(self, X, y, **kw)

    monkeypatch.setattr(RandomOverSampler, "fit_resample", spy)
    spec = spec_from_options("logistic", "oversample", folds=4)
    built = build_pipeline(spec, small.schema, small.class_counts)
    ev = cross_validate(built.pipeline, small.frame, small.y, small.schema.classes, built.score_method, folds=4, seed=0)
    n = len(small.y)
    assert len(calls) == 4 and all(c == pytest.approx(n * 3 / 4, abs=2) for c in calls)
    assert ev.scores.shape == (n, 3) and (ev.scores.sum(axis=1) > 0.99).all()
    # validation folds keep their natural balance: the confusion matrix counts each row once
    assert np.sum(ev.metrics["confusion_matrix"]["counts"]) == n


def test_logistic_solver_follows_the_width(small):
    wide = build_pipeline(spec_from_options("logistic", "none"), small.schema, small.class_counts)
    assert wide.pipeline.named_steps["classifier"].solver == "lbfgs"  # thousands of one-hot ID levels
    narrow = build_pipeline(
        spec_from_dict({"classifier": "logistic", "strategy": "none", "features": {"id_encoding": "target"}}),
        small.schema,
        small.class_counts,
    )
    assert narrow.pipeline.named_steps["classifier"].solver == "newton-cholesky"


def test_linear_svm_solves_the_dual_under_random_oversampling(small):
    """The primal solver crawls on duplicated rows (409 s vs 73 s on the sample's 479k oversampled rows)."""
    solver = {
        s: build_pipeline(spec_from_options("svm", s), small.schema, small.class_counts)
        .pipeline.named_steps["classifier"]
        .dual
        for s in ("none", "class_weight", "smote", "oversample")
    }
    assert solver == {"none": "auto", "class_weight": "auto", "smote": "auto", "oversample": True}
