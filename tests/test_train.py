import numpy as np
import pandas as pd
import pytest

from clickpred.config import spec_from_options
from clickpred.train import run_train, train

from .conftest import SHARED


def test_leaky_column_is_warned_about_in_result_and_report(small_csv, tmp_path):
    df = pd.read_csv(small_csv)
    df["converted_at"] = np.where(df.event == "conversion", "2026-01-09 10:00:00", None)
    path = tmp_path / "leaky.csv"
    df.to_csv(path, index=False)
    out = run_train(path, spec_from_options("logistic", "none", folds=3), model_path=tmp_path / "m.skops", report_dir=tmp_path / "r")
    assert [w.column for w in out.result.leaks] == ["converted_at"]
    assert "possible leakage: column 'converted_at'" in out.document["leakage_warnings"][0]
    assert "possible leakage" in (tmp_path / "r" / "report.html").read_text()


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

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
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

    with pytest.raises(ConfigError, match=r"--decision top:200%: expected top:K% with 0 < K < 100"):
        train(tmp_path / "not-there.csv", spec_from_options("logistic", "none"), decision="top:200%")
