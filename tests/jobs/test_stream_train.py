"""Training on a downsampled stream: exact correction, natural-balance evaluation, the model file, the CLI."""

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from clickpred.cli import app
from clickpred.errors import ConfigError, DataError
from clickpred.jobs.stream_train import natural_ratio, train_stream
from clickpred.jobs.train import run_train
from clickpred.model.modelfile import load_model
from clickpred.modeling.estimators import CategoryCodes
from clickpred.modeling.spec import spec_from_options
from tests.conftest import write


def _spec(**kw):
    return spec_from_options("logistic", kw.pop("strategy", "none"), folds=kw.pop("folds", 3), seed=kw.pop("seed", 1))


def test_the_prior_shift_is_the_negative_sampling_formula():
    """Binary: p = q / (q + (1 − q) / R), the correction of He et al. (2014)."""
    from clickpred.postfit.correction import Correction

    r = natural_ratio(["view", "click"], {"view": 100, "click": 50}, "view", 0.1, "none", {})
    q = np.array([0.01, 0.3, 0.9])
    P = Correction(["view", "click"], "predict_proba", prior_ratio=r, method="prior").apply(np.column_stack([1 - q, q]))
    assert P[:, 1] == pytest.approx(q / (q + (1 - q) / 0.1))
    # class_weight on top: its own rebalancing is undone as well
    r2 = natural_ratio(["view", "click"], {"view": 100, "click": 50}, "view", 0.1, "class_weight", {})
    assert r2[1] / r2[0] == pytest.approx((50 / 1000) / 1.0)


def test_probabilities_are_corrected_on_natural_balance_rows(stream_parts):
    res = train_stream(stream_parts, _spec(), negative_rate=0.1, holdout_fraction=0.3)
    ev = res.cv
    assert ev.kind == "holdout" and res.sampling["holdout_counts"]["view"] == int((ev.y_true == "view").sum())
    before = ev.before["calibration"]["click"]["calibration_ratio"]
    after = ev.argmax["calibration"]["click"]["calibration_ratio"]
    assert before > 2 and abs(after - 1) < 0.15  # the raw model predicts ~1/R too many clicks; corrected it doesn't
    assert res.sampling["negative_rate"] == 0.1 and res.sampling["prior_ratio"]["click"] < 1
    # evaluated on the held-out rows, trained on the kept ones
    assert len(ev.y_true) == sum(res.sampling["holdout_counts"].values())
    assert len(res.data.y) == sum(res.sampling["kept_counts"].values())


def test_a_category_first_seen_late_in_the_stream_is_learnt(stream_parts, tmp_path):

    lines = stream_parts[2].read_text().splitlines()
    header = lines[0].split(",")
    dev = header.index('"device_type"') if '"device_type"' in header else header.index("device_type")
    ev = header.index('"event"') if '"event"' in header else header.index("event")
    for i in range(len(lines) - 400, len(lines)):  # the last 400 rows of the last file
        f = lines[i].split(",")
        if f[ev].strip('"') != "view":
            f[dev] = "smartwatch"
            lines[i] = ",".join(f)
    late = write(tmp_path / "late.csv", "\n".join(lines) + "\n")
    res = train_stream([stream_parts[0], stream_parts[1], late], _spec(), negative_rate=0.05, holdout_fraction=0.2)
    assert "smartwatch" in set(res.data.frame["device_type"])
    codes = res.pipeline.named_steps["prepare"].named_transformers_["categorical"]
    assert isinstance(codes, CategoryCodes)
    assert any("smartwatch" in list(c) for c in codes.categories_)  # device_type's fitted vocabulary


def test_a_test_file_replaces_the_holdout(stream_parts, tmp_path):
    res = train_stream(stream_parts[:2], _spec(), negative_rate=0.2, test=stream_parts[2])
    assert res.sampling["holdout_fraction"] == 0 and len(res.cv.y_true) == 8_000
    assert str(stream_parts[2]) in res.sampling["evaluated_on"]
    with pytest.raises(ConfigError, match=r"holdout_fraction 0 needs test"):
        train_stream(stream_parts[:2], _spec(), negative_rate=0.2, holdout_fraction=0.0)


def test_too_few_minority_rows_to_evaluate_is_a_clear_error(stream_parts):
    with pytest.raises(
        DataError, match=r"evaluation rows: class '(click|conversion)' has .* raise holdout_fraction or pass test"
    ):
        train_stream(stream_parts[:1], _spec(folds=5), negative_rate=0.2, holdout_fraction=0.002)


def test_the_model_file_records_the_rate_and_scores_at_natural_balance(stream_parts, tmp_path):
    out = run_train(
        stream_parts,
        _spec(),
        model_path=tmp_path / "m.skops",
        report_dir=tmp_path / "r",
        negative_rate="auto",
        per_positive=4,
        holdout_fraction=0.25,
    )
    m = load_model(out.model_path)
    s = m.metadata["sampling"]
    assert s["auto"]["per_positive"] == 4 and 0 < s["negative_rate"] < 1
    assert s["kept_counts"]["view"] < s["counts"]["view"]
    html = (tmp_path / "r" / "report.html").read_text()
    assert "Downsampling" in html and f"R = {s['negative_rate']:.4g}" in html
    doc = json.loads((tmp_path / "r" / "metrics.json").read_text())
    assert "held out before downsampling" in doc["evaluated_on"]
    # scoring the held-out period gives natural-balance probabilities: the mean p(click) is near the click rate
    from clickpred.io.dataset import load_dataset

    ds = load_dataset(
        stream_parts[2],
        schema=m.metadata
        and __import__("clickpred.io.schema", fromlist=["Schema"]).Schema.from_dict(m.metadata["schema"]),
    )
    p = m.predictor().predict_proba(ds.frame)
    rate = float(np.mean(ds.y == "click"))
    assert abs(p[:, m.metadata["classes"].index("click")].mean() / rate - 1) < 0.25


def test_cli_train_stream_and_its_errors(stream_parts, tmp_path):
    runner = CliRunner()
    base = [
        "train",
        *map(str, stream_parts),
        "-c",
        "logistic",
        "-s",
        "none",
        "--folds",
        "3",
        "--model",
        str(tmp_path / "m.skops"),
        "--report",
        str(tmp_path / "r"),
    ]
    r = runner.invoke(app, base + ["--negative-rate", "0.1", "--holdout", "0.3"])
    assert r.exit_code == 0, r.output
    assert "read 24,000 rows" in r.output and "kept at rate 0.1" in r.output
    info = runner.invoke(app, ["info", str(tmp_path / "m.skops")])
    assert "kept of 24,000 read" in " ".join(info.output.split())
    for extra, message in [
        ([], "3 inputs: training on several files streams them: pass --negative-rate"),
        (["--negative-rate", "1.5"], "--negative-rate 1.5: must be in (0, 1]"),
        (["--negative-rate", "0.1", "--holdout", "0"], "--holdout 0 needs --test"),
        (["--negative-rate", "0.1", "--funnel", "view,click,conversion"], "--funnel: not with --negative-rate"),
        (["--holdout", "0.1"], "--holdout: only with --negative-rate"),
        (["--negative-rate", "0.1", "--engine", "spark"], "--engine spark: expected local or dask"),
        (["--negative-rate", "0.1", "--decision", "cost"], "needs --costs FILE"),
    ]:
        r = runner.invoke(app, base + extra)
        assert r.exit_code == 1, (extra, r.output)
        assert message in r.output and "Traceback" not in r.output
        assert len(r.output.strip().splitlines()) == 1, r.output
    r = runner.invoke(
        app,
        [
            "train",
            *map(str, stream_parts[:2]),
            "--negative-rate",
            "0.2",
            "--folds",
            "3",
            "--model",
            str(tmp_path / "d.skops"),
            "--report",
            str(tmp_path / "d"),
        ],
    )
    assert r.exit_code == 0, r.output
    assert load_model(tmp_path / "d.skops").metadata["spec"]["strategy"]["name"] == "none"
    r = runner.invoke(app, ["train", str(stream_parts[0].parent), "--model", str(tmp_path / "x.skops")])
    assert r.exit_code == 1 and "a folder or glob is read as a stream" in r.output


def test_a_folder_streams_every_file_in_it(stream_parts, tmp_path):
    res = train_stream([str(stream_parts[0].parent / "part-*.csv")], _spec(), negative_rate=0.2, holdout_fraction=0.2)
    assert res.sampling["rows_read"] == 24_000 and len(res.sampling["inputs"]) == 3


def test_the_default_holdout_slice_is_capped_in_rows(stream_parts, monkeypatch):
    import clickpred.jobs.stream_train as st

    monkeypatch.setattr(st, "MAX_DEFAULT_HOLDOUT_ROWS", 1_000)
    res = train_stream(stream_parts, _spec(folds=2), negative_rate=0.2)
    h = res.sampling["holdout_fraction"]
    assert h == pytest.approx(1_000 / 24_000, rel=0.05)  # the row estimate is from the first 256 kB
    assert any("capped at about 1,000" in n for n in res.notes)
    assert abs(len(res.cv.y_true) - 1_000) < 150
