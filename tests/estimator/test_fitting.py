"""The fitting core: cross-validation, the correction and the rule, the final fit — nothing written."""

import re

import numpy as np
import pandas as pd
import pytest

from clickpred.estimator.fitting import train
from clickpred.modeling.spec import spec_from_options

from ..conftest import SHARED


def test_train_records_provenance(small_csv):
    res = train(small_csv, spec_from_options("svm", "class_weight", folds=3))
    assert res.versions["scikit-learn"] and len(res.data.sha256) == 64
    assert res.cv.scores.shape == (4000, 3) and len(res.cv.fit_seconds) == 3
    assert res.built.score_method == "decision_function"
    # decision values are calibrated on out-of-fold scores into probabilities by default
    assert res.cv.has_proba and res.cv.correction.calibrator is not None and res.cv.before.get("log_loss") is None


@pytest.mark.skipif(not (SHARED / "coil2000").exists(), reason="shared data not present")
def test_coil2000_official_test_split(tmp_path):
    """Real data end to end: the competition winner found 121 of the 238 owners in its top 800."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    from bench_real import coil_files

    tr, te = coil_files(tmp_path)
    res = train(tr, spec_from_options("logistic", "class_weight"), target="CARAVAN", test=te)
    m = res.test.metrics["per_class"]["1"]
    assert m["support"] == 238 and res.test.metrics["n_rows"] == 4000
    assert m["hits_at"]["20%"] >= 110  # measured 120
    assert m["pr_auc"] > 2 * m["pr_auc_baseline"]


def test_the_default_rule_flags_a_class_the_model_has_skill_for(sim_csv):
    """Honest probabilities of a rare class never win argmax; the default rule still flags it."""
    res = train(sim_csv, spec_from_options("logistic", "none", folds=3))
    assert res.cv.rule.kind == "auto"
    for c in res.data.schema.classes[1:]:
        m = res.cv.metrics["per_class"][c]
        if m["pr_auc"] >= 2 * m["pr_auc_baseline"]:
            assert m["recall"] > 0 and (res.cv.y_pred == c).sum() > 0, c
    assert res.cv.decision["per_class"]["click"]["recall"] > res.cv.decision["per_class"]["click"]["recall_argmax"]


def test_a_malformed_decision_is_refused_before_the_data_is_read(tmp_path):
    from clickpred.errors import ConfigError

    with pytest.raises(ConfigError, match=r"decision top:200%: expected top:K% with 0 < K < 100"):
        train(tmp_path / "not-there.csv", spec_from_options("logistic", "none"), decision="top:200%")


def test_train_tells_the_schema_before_fitting_then_each_fit(small_csv):
    seen = []
    train(
        small_csv, spec_from_options("logistic", "none", folds=3), events=lambda kind, info: seen.append((kind, info))
    )
    assert seen[0][0] == "notes"
    first = seen[0][1]["notes"]
    assert any(n.startswith("target column: 'event'") for n in first)
    assert any(n.startswith("classes (majority first): view") for n in first)
    steps = [info for kind, info in seen if kind == "step"]
    assert {s["name"] for s in steps} == {"cross-validation and final fit"}  # one pool: 3 folds and the final fit
    assert [s["done"] for s in steps] == [0, 1, 2, 3, 4] and {s["total"] for s in steps} == {4}


def test_workers_change_nothing_but_the_time(small_csv):
    """The folds and the final fit in 2 worker processes give the in-process run's scores, model and notes (the
    workers' warnings are raised again in the parent: here the MLP's convergence warning, seen as a note)."""
    spec = spec_from_options("mlp", "none", folds=2)
    one, two = train(small_csv, spec, jobs=1), train(small_csv, spec, jobs=2)
    np.testing.assert_array_equal(one.cv.scores, two.cv.scores)
    np.testing.assert_array_equal(
        one.pipeline.predict_proba(one.data.frame), two.pipeline.predict_proba(two.data.frame)
    )
    assert one.notes == two.notes and any("ConvergenceWarning" in n for n in two.notes)


def test_auto_workers_only_where_they_pay(small_csv, monkeypatch):
    from clickpred.estimator import fitting as train_module
    from clickpred.estimator import workers

    used = []
    real = train_module.cross_validate_and_refit

    def spy(*a, **k):
        used.append((a[7], k["threads"]))
        return real(*a, **k)

    monkeypatch.setattr(train_module, "cross_validate_and_refit", spy)
    monkeypatch.setattr(workers, "available_cores", lambda: 2)
    fit = dict(importance=False)  # where the fits run, not what importance measures, is under test
    train(small_csv, spec_from_options("hgb", "none", folds=2), **fit)  # 4,000 rows of hgb (OpenMP): in this process
    spec = spec_from_options("logistic", "none", folds=2)
    train(small_csv, spec, **fit)  # 4,000 rows of a logistic: in two threads
    train(small_csv, spec, jobs=1, **fit)
    monkeypatch.setattr(workers, "PARALLEL_ROWS_SLOW", 1000)  # plan_workers lives in jobs.workers
    train(small_csv, spec_from_options("logistic", "smote", folds=2), **fit)  # SMOTENC holds the GIL: two processes
    monkeypatch.setattr(workers, "PARALLEL_ROWS", 1000)
    train(small_csv, spec, **fit)  # "many" rows: in two processes
    assert used == [(1, False), (2, True), (1, True), (2, False), (2, False)]


def test_threads_change_nothing_but_the_time(small_csv):
    spec = spec_from_options("logistic", "none", folds=3)
    one, two = train(small_csv, spec, jobs=1), train(small_csv, spec, jobs=2)
    np.testing.assert_array_equal(one.cv.scores, two.cv.scores)
    np.testing.assert_array_equal(one.cv.raw_scores, two.cv.raw_scores)
    np.testing.assert_array_equal(one.pipeline[-1].coef_, two.pipeline[-1].coef_)
    assert one.notes == two.notes and one.cv.correction.method == two.cv.correction.method


def test_a_slow_classifier_says_up_front_how_long_it_should_take(sim_csv, monkeypatch):
    from clickpred.estimator import fitting as train_module

    monkeypatch.setattr(train_module, "PROBE_ROWS", 500)
    notes = []
    spec = spec_from_options("mlp", "none", folds=2)
    from clickpred.io.dataset import load_dataset
    from clickpred.modeling.pipeline import build_pipeline

    ds = load_dataset(sim_csv)
    built = build_pipeline(spec, ds.schema, ds.class_counts)
    notes.append(train_module.expected_time(built.pipeline, ds.frame, ds.y, 3, spec))
    assert re.match(
        r"mlp is slow: expect about \d+ (s|min|h) for 3 fits \(one fit timed on 500 rows, scaled to 20,000\)", notes[0]
    ), notes[0]
    shared = train_module.expected_time(built.pipeline, ds.frame, ds.y, 3, spec, workers=2)
    assert re.match(r"mlp is slow: expect about \d+ (s|min|h) for 3 fits on 2 workers \(one fit timed", shared), shared


def test_a_split_in_time_refuses_rows_with_no_time(small_csv, tmp_path):
    """Missing times sorted last, so the held-out "later" rows were the rows with no time at all; a text column
    with a missing value failed with an unexpected TypeError. Both are refused, counted, before any fit."""
    import pandas as pd

    from clickpred.errors import DataError
    from clickpred.jobs.compare import compare
    from clickpred.modeling.spec import spec_from_options

    frame = pd.read_csv(small_csv)
    frame.loc[frame.index[::3], "timestamp"] = None
    frame["hour_text"] = pd.to_datetime(frame["timestamp"]).dt.strftime("%H")
    for column in ("timestamp", "hour_text"):
        with pytest.raises(DataError, match=rf"split_by {column}: 1,334 of 4,000 rows of .* have no value"):
            train(frame, spec_from_options(folds=2), split_by=column)
    with pytest.raises(DataError, match=r"split_by timestamp: 1,334 of 4,000 rows"):
        compare(frame, classifiers=["logistic"], strategies=["none"], folds=2, split_by="timestamp")


def test_split_by_a_column_the_schema_dropped_says_so(small_csv):
    from clickpred.errors import DataError

    frame = pd.read_csv(small_csv).assign(batch=7)
    with pytest.raises(DataError, match=r"split_by batch: the column was dropped \(constant\)"):
        train(frame, spec_from_options(folds=2), split_by="batch")
