"""The classifier registry; hgb (gradient-boosted trees) end to end like every other classifier."""

import numpy as np
import pandas as pd
import pytest

from clickpred.errors import ConfigError
from clickpred.io.dataset import load_dataset
from clickpred.modeling.classifiers import HGB_MAX_LEVELS
from clickpred.modeling.pipeline import build_pipeline
from clickpred.modeling.spec import spec_from_dict, spec_from_options


def test_hgb_takes_codes_as_native_categories_with_ids_capped(sim_csv):
    ds = load_dataset(sim_csv)
    built = build_pipeline(spec_from_options("hgb", "none"), ds.schema, ds.class_counts)
    pipe = built.pipeline.fit(ds.frame, ds.y)
    assert pipe.named_steps["encode"] == "passthrough"  # no one-hot
    clf = pipe.named_steps["classifier"]
    n_codes = len(ds.schema.names("categorical")) + 2 * len(ds.schema.names("timestamp")) + len(ds.schema.names("id"))
    assert list(clf.categorical_features) == list(range(n_codes)) and clf.is_categorical_.sum() == n_codes
    assert clf.n_iter_ < 200  # early stopping on a slice of the training rows
    codes = pipe.named_steps["prepare"].named_transformers_["id"]
    assert all(len(c) <= HGB_MAX_LEVELS + 1 or codes.infrequent_categories_ is not None for c in codes.categories_)
    assert pipe.named_steps["prepare"].transform(ds.frame)[:, :n_codes].max() < 255


@pytest.mark.parametrize(
    "params, message",
    [
        ({"learning_rate": -1}, r"classifier.learning_rate must be a number > 0"),
        ({"max_leaf_nodes": 1}, r"classifier.max_leaf_nodes must be an integer > 1"),
        ({"l2_regularization": -0.5}, r"classifier.l2_regularization must be a number >= 0"),
        ({"early_stopping": "yes"}, r'classifier.early_stopping must be true, false or "auto"'),
        ({"min_validation_minority": 0}, r"classifier.min_validation_minority must be an integer > 0"),
        ({"min_samples_leaf": 0}, r"classifier.min_samples_leaf must be an integer > 0"),
        ({"learning_rate": 1e308}, r"classifier.learning_rate must be a number > 0 and at most 10, got 1e\+308"),
    ],
)
def test_hgb_parameters_are_validated(params, message):
    with pytest.raises(ConfigError, match=message):
        spec_from_dict({"classifier": {"name": "hgb", **params}})


@pytest.mark.parametrize(
    "classifier, params, message",
    [
        ("svm", {"max_iter": 10**18}, r"classifier.max_iter must be an integer > 0 and at most 1e\+07"),
        ("mlp", {"hidden_layer_sizes": [10**8]}, r"classifier.hidden_layer_sizes must be a list of 1 to 20 layers"),
        ("logistic", {"C": 1e300}, r"classifier.C must be a number > 0 and at most 1e\+12"),
    ],
)
def test_values_past_any_model_are_refused_in_the_spec(classifier, params, message):
    """svm max_iter 1e18 overflowed liblinear ('unexpected OverflowError'), hgb learning_rate 1e308 made NaN
    leaves, an MLP layer of 1e8 units ran out of memory with advice about rebalancing."""
    with pytest.raises(ConfigError, match=message):
        spec_from_dict({"classifier": {"name": classifier, **params}})


def test_hgb_trains_scores_and_evaluates_like_the_others(small_csv, tmp_path):
    from typer.testing import CliRunner

    from clickpred.cli import app

    run = CliRunner().invoke
    res = run(
        app,
        [
            "train",
            str(small_csv),
            "--classifier",
            "hgb",
            "--strategy",
            "class_weight",
            "--folds",
            "2",
            "--report",
            str(tmp_path / "r"),
            "--model",
            str(tmp_path / "h.skops"),
        ],
    )
    assert res.exit_code == 0, res.output
    assert "hgb-class_weight — 2-fold stratified CV" in res.output
    res = run(
        app,
        [
            "score",
            str(tmp_path / "h.skops"),
            str(small_csv),
            "--output",
            str(tmp_path / "s.parquet"),
            "--chunk-rows",
            "700",
        ],
    )
    assert (
        res.exit_code == 0 and "scored by the pipeline" in res.output and "4,000 rows read = 4,000 scored" in res.output
    )
    res = run(app, ["evaluate", str(tmp_path / "h.skops"), str(small_csv)])
    assert res.exit_code == 0, res.output
    from clickpred.io.schema import Schema
    from clickpred.model.modelfile import load_model

    model = load_model(tmp_path / "h.skops")
    assert model.metadata["correction"]["method"].startswith("prior")  # class weights undone
    ds = load_dataset(small_csv, schema=Schema.from_dict(model.metadata["schema"]))
    scores = pd.read_parquet(tmp_path / "s.parquet")
    np.testing.assert_allclose(scores["p_click"], model.predictor().predict_proba(ds.frame)[:, 1], rtol=0, atol=1e-12)


def test_hgb_in_funnel_mode(small_csv):
    from clickpred.estimator.fitting import train

    res = train(small_csv, spec_from_options("hgb", "none", folds=2), funnel=["view", "click", "conversion"])
    assert res.cv.scores.shape[1] == 3 and np.allclose(res.cv.scores.sum(axis=1), 1.0)


def test_hgb_in_compare_decides_like_train(small_csv):
    from clickpred.estimator.fitting import train
    from clickpred.jobs.compare import compare

    res = compare(small_csv, classifiers=["hgb"], strategies=["none", "class_weight"], folds=2, replicates=50)
    assert sorted(r["name"] for r in res.leaderboard) == ["hgb-class_weight", "hgb-none"]
    t = train(small_csv, spec_from_options("hgb", "class_weight", folds=2, seed=42))
    row = next(r for r in res.leaderboard if r["name"] == "hgb-class_weight")
    assert row["recall_click"] == pytest.approx(t.cv.metrics["per_class"]["click"]["recall"], abs=1e-9)


def test_mlp_caps_its_optimizer_steps_by_default_and_in_a_spec():
    from clickpred.modeling.classifiers import CLASSIFIERS

    entry = CLASSIFIERS["mlp"]
    mlp = entry.build({}, None, 0)
    assert mlp.max_updates == 400 and mlp.max_iter == 40 and mlp.batch_size == 2000
    assert mlp.epochs(160_000) == 5  # the sample's training rows: 80 steps an epoch
    assert mlp.epochs(5_822) == 40  # CoIL's: 3 steps an epoch, never near the cap
    assert entry.build({"max_updates": 8_000}, None, 0).epochs(160_000) == 40
