"""The train job: the model file and its report, written whole, never over an input."""

import numpy as np
import pandas as pd
import pytest

from clickpred.errors import ConfigError
from clickpred.jobs.train import run_train
from clickpred.modeling.spec import spec_from_options


def test_leaky_column_is_warned_about_in_result_and_report(small_csv, tmp_path):
    df = pd.read_csv(small_csv)
    df["converted_at"] = np.where(df.event == "conversion", "2026-01-09 10:00:00", None)
    path = tmp_path / "leaky.csv"
    df.to_csv(path, index=False)
    out = run_train(
        path, spec_from_options("logistic", "none", folds=3), model_path=tmp_path / "m.skops", report_dir=tmp_path / "r"
    )
    assert [w.column for w in out.result.leaks] == ["converted_at"]
    assert "possible leakage: column 'converted_at'" in out.document["leakage_warnings"][0]
    assert "possible leakage" in (tmp_path / "r" / "report.html").read_text()
    # the leaked class is ranked perfectly and flagged: not listed as 'not flagged … no skill' (its threshold is 1)
    assert out.document["per_class"]["conversion"]["pr_auc"] > 0.99
    assert "conversion" not in out.document["decision"].get("not_flagged", [])


def test_a_model_file_inside_the_report_folder_is_refused_before_training(small_csv, tmp_path, monkeypatch):
    from clickpred.errors import ConfigError
    from clickpred.jobs.train import run_train
    from clickpred.modeling.spec import spec_from_options

    fitted = []
    monkeypatch.setattr("clickpred.estimator.fitting.train", lambda *a, **k: fitted.append(1))
    with pytest.raises(ConfigError, match=r"model .*m\.skops: inside the report folder"):
        run_train(small_csv, spec_from_options(), model_path=tmp_path / "D" / "m.skops", report_dir=tmp_path / "D")
    assert fitted == []


def test_the_report_and_evaluate_show_the_figures_per_day(small_csv, tmp_path):
    """Where the log has a timestamp, metrics.json and report.html hold the out-of-fold figures per day, and
    evaluate gives the same table on another log."""
    from clickpred.jobs.evaluate import evaluate_model

    spec = spec_from_options("logistic", folds=2)  # the figures per day, not auto's choice or importance
    out = run_train(small_csv, spec, model_path=tmp_path / "m.skops", report_dir=tmp_path / "r", importance=False)
    ot = out.document["over_time"]
    assert ot["column"] == "timestamp" and ot["unit"] in ("day", "week") and len(ot["slices"]) >= 2
    assert sum(s["rows"] for s in ot["slices"]) == len(out.result.cv.y_true)
    assert "<h2>Over time</h2>" in (tmp_path / "r" / "report.html").read_text()
    doc = evaluate_model(out.model_path, small_csv)
    assert doc["over_time"]["column"] == "timestamp" and sum(s["rows"] for s in doc["over_time"]["slices"]) == 4000


def test_options_of_the_other_trainer_are_refused_before_anything_is_read(tmp_path):
    missing = tmp_path / "missing.csv"  # never read: the options are refused first
    spec = spec_from_options()
    with pytest.raises(ConfigError, match=r"^holdout_fraction, scheduler: only with negative_rate"):
        run_train(missing, spec, tmp_path / "m.skops", holdout_fraction=0.1, scheduler="tcp://x:1")
    with pytest.raises(ConfigError, match=r"^split_by: not with negative_rate") as caught:
        run_train([missing], spec, tmp_path / "m.skops", negative_rate="auto", split_by="timestamp")
    assert caught.value.for_command_line().startswith("--split-by: not with --negative-rate")
    assert not (tmp_path / "m.skops").exists()
