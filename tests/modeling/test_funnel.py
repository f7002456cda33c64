"""Funnel mode: P(conversion) = P(reach click) · P(conversion | click), consistent by construction."""

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from clickpred.errors import ConfigError
from clickpred.estimator.fitting import train
from clickpred.io.dataset import load_dataset
from clickpred.io.schema import Schema
from clickpred.jobs.train import run_train
from clickpred.model.modelfile import load_model
from clickpred.modeling.funnel import FunnelClassifier
from clickpred.modeling.spec import spec_from_options

ORDER = ["view", "click", "conversion"]


class Recorder(LogisticRegression):
    """Remembers how many rows and which labels each fit saw."""

    def fit(self, X, y, sample_weight=None):
        self.seen_ = (len(y), sorted(set(np.asarray(y).tolist())))
        return super().fit(X, y, sample_weight)


def _toy(n=3000, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    p1 = 1 / (1 + np.exp(-(2 * X[:, 0] - 2)))
    p2 = 1 / (1 + np.exp(-(2 * X[:, 1] - 1)))
    u, v = rng.random(n), rng.random(n)
    y = np.where(u < p1, np.where(v < p2, "conversion", "click"), "view")
    return X, y, p1, p2


def test_stage_two_learns_from_reached_rows_only_and_probabilities_chain():
    X, y, p1, p2 = _toy()
    f = FunnelClassifier([Recorder(), Recorder()], ORDER).fit(X, y)
    reached = int(np.isin(y, ["click", "conversion"]).sum())
    assert f.stages_[0].seen_ == (len(y), ["0", "1"])
    assert f.stages_[1].seen_ == (reached, ["0", "1"])
    P = f.predict_proba(X)
    q = f.stage_probabilities(X)
    np.testing.assert_allclose(P.sum(axis=1), 1.0)
    np.testing.assert_allclose(P[:, 2], q[:, 0] * q[:, 1])
    assert (P[:, 2] <= P[:, 1] + P[:, 2]).all() and (P[:, 2] <= q[:, 0]).all()
    # each stage recovers its own signal: stage 2 depends on feature 2, not on feature 1
    assert abs(f.stages_[1].coef_[0, 1]) > 3 * abs(f.stages_[1].coef_[0, 0])


def test_a_class_outside_the_funnel_is_an_error():
    X, y, *_ = _toy(300)
    y[0] = "purchase"
    with pytest.raises(ConfigError, match="class 'purchase' not in the funnel"):
        FunnelClassifier([LogisticRegression(), LogisticRegression()], ORDER).fit(X, y)


def test_train_and_score_a_funnel_model(small_csv, tmp_path):
    from clickpred.jobs.score import score

    out = run_train(
        small_csv,
        spec_from_options("logistic", "class_weight", folds=3),
        model_path=tmp_path / "f.skops",
        report_dir=tmp_path / "r",
        funnel=ORDER,
    )
    cv = out.result.cv
    assert type(out.result.pipeline).__name__ == "FunnelClassifier"
    for c in ("click", "conversion"):  # each stage's class weights undone inside the funnel
        assert cv.argmax["calibration"][c]["calibration_ratio"] == pytest.approx(1.0, abs=0.25)
    model = load_model(out.model_path)
    ds = load_dataset(small_csv, schema=Schema.from_dict(model.metadata["schema"]))
    expected = model.predictor().predict_proba(ds.frame)
    res = score(model, [small_csv], tmp_path / "s.parquet")
    got = pd.read_parquet(tmp_path / "s.parquet")[["p_view", "p_click", "p_conversion"]].to_numpy()
    assert res.scorer == "pipeline"
    np.testing.assert_allclose(got, expected, atol=1e-12)


@pytest.mark.parametrize(
    "funnel, message",
    [
        (["view", "click"], "must name every class of the data once"),
        (["view", "click", "click"], "must name every class of the data once"),
    ],
)
def test_bad_funnels(small_csv, funnel, message):
    with pytest.raises(ConfigError, match=message):
        train(small_csv, spec_from_options("logistic", "none", folds=2), funnel=funnel)


def test_a_funnel_needs_probabilities(small_csv):
    with pytest.raises(ConfigError, match="each stage needs probabilities"):
        train(small_csv, spec_from_options("svm", "none", folds=2), funnel=ORDER)


def test_funnel_report_compares_with_the_flat_model_on_the_same_folds(small_csv, tmp_path):
    import json

    out = run_train(
        small_csv,
        spec_from_options("logistic", "none", folds=3),
        model_path=tmp_path / "f.skops",
        report_dir=tmp_path / "r",
        funnel=ORDER,
    )
    ff = json.loads((tmp_path / "r" / "metrics.json").read_text())["funnel_vs_flat"]
    for c in ("click", "conversion"):
        v = ff["classes"][c]
        assert v["pr_auc"]["funnel"]["low"] <= v["pr_auc"]["funnel"]["estimate"] <= v["pr_auc"]["funnel"]["high"]
        diff = v["pr_auc"]["funnel"]["estimate"] - v["pr_auc"]["flat"]["estimate"]
        assert v["funnel_minus_flat"]["estimate"] == pytest.approx(diff)
    assert "Funnel vs flat" in (tmp_path / "r" / "report.html").read_text()
    assert out.result.timings["flat_cv_seconds"] > 0
