"""Batch scoring: the scores equal the pipeline's, every row is accounted for, nothing half-written."""

import csv
import gzip
import json

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from clickpred.errors import ClickpredError, DataError
from clickpred.io.dataset import load_dataset
from clickpred.jobs.score import score
from clickpred.model.modelfile import load_model


@pytest.fixture(scope="module")
def model(scoring_model):
    return load_model(scoring_model)


@pytest.fixture(scope="module")
def expected(model, small_csv):
    from clickpred.io.schema import Schema

    ds = load_dataset(small_csv, schema=Schema.from_dict(model.metadata["schema"]))
    # The model as saved: pipeline → probability correction → decision rule (classes in schema order).
    assert model.metadata["classes"] == ["view", "click", "conversion"]
    predictor = model.predictor()
    assert predictor.correction is not None and predictor.correction.changes_scores
    return predictor.predict_proba(ds.frame), predictor.predict(ds.frame)


def _read(path):
    return (
        pq.read_table(path).to_pandas()
        if str(path).endswith(".parquet")
        else pd.read_csv(path, dtype={"impression_id": str})
    )


def _lines(path):
    return path.read_text().splitlines()


@pytest.mark.parametrize("fast", [True, False])
def test_scores_equal_the_pipeline_in_input_order(model, small_csv, expected, tmp_path, fast):
    out = tmp_path / "s.parquet"
    res = score(model, [small_csv], out, keep=["impression_id"], fast=fast, chunk_rows=700, jobs=3)
    assert res.scorer == ("compiled linear scorer" if fast else "pipeline")
    df = _read(out)
    proba, pred = expected
    assert list(df.columns) == ["impression_id", "p_view", "p_click", "p_conversion", "prediction"]
    assert df["impression_id"].tolist() == [str(i) for i in range(len(proba))]
    np.testing.assert_allclose(df[["p_view", "p_click", "p_conversion"]].to_numpy(), proba, rtol=0, atol=1e-9)
    assert (df["prediction"].to_numpy() == pred).all()
    assert res.rows_read == res.rows_scored == len(proba) and res.rows_rejected == 0
    assert sum(res.predicted.values()) == len(proba)
    assert res.mean_scores["click"] == pytest.approx(proba[:, 1].mean())
    assert res.training_prevalence["click"] == pytest.approx(model.metadata["data"]["class_counts"]["click"] / 4000)


def test_chunking_threads_and_formats_do_not_change_the_scores(model, small_csv, tmp_path):
    a = score(model, [small_csv], tmp_path / "a.parquet", chunk_rows=200_000, jobs=1)
    b = score(model, [small_csv], tmp_path / "b.csv", chunk_rows=333, jobs=4)
    assert a.rows_scored == b.rows_scored
    da, db = _read(tmp_path / "a.parquet"), _read(tmp_path / "b.csv")
    np.testing.assert_allclose(da["p_click"], db["p_click"], rtol=1e-12)
    assert (da["prediction"] == db["prediction"]).all()


def test_parquet_and_gzip_inputs_score_like_the_csv(model, small_csv, tmp_path):
    df = pd.read_csv(small_csv, dtype={"impression_id": str})
    df.to_parquet(tmp_path / "in.parquet")
    (tmp_path / "in.csv.gz").write_bytes(gzip.compress(small_csv.read_bytes()))
    ref = score(model, [small_csv], tmp_path / "ref.parquet", keep=["impression_id"])
    for name in ("in.parquet", "in.csv.gz"):
        score(model, [tmp_path / name], tmp_path / f"{name}.out.parquet", keep=["impression_id"])
        got = _read(tmp_path / f"{name}.out.parquet")
        np.testing.assert_allclose(got["p_click"], _read(tmp_path / "ref.parquet")["p_click"], rtol=0, atol=1e-12)
        assert got["impression_id"].tolist() == df["impression_id"].tolist()
    assert ref.rows_read == len(df)


def _with_garbage(src, dst, every=100):
    lines = _lines(src)
    out, bad = [lines[0]], []
    for i, line in enumerate(lines[1:], start=1):
        out.append(line)
        if i % every == 0:
            kind = i // every % 3
            garbage = {0: "garbage,line", 1: line.replace(line.split(",")[9], '"not-a-price"'), 2: line + ",extra"}[
                kind
            ]
            out.append(garbage)
            bad.append((len(out), garbage))  # 1-based line number of the garbage line
    dst.write_text("\n".join(out) + "\n")
    return bad


def test_garbage_lines_go_to_the_rejects_file_with_file_line_reason_and_raw_text(model, small_csv, tmp_path):
    src = tmp_path / "mixed.csv"
    bad = _with_garbage(small_csv, src)  # 40 garbage lines in 4,040: 0.99%
    res = score(model, [src], tmp_path / "s.parquet", keep=["impression_id"], chunk_rows=500)
    assert res.rows_read == 4000 + len(bad)
    assert res.rows_rejected == len(bad) and res.rows_scored == 4000
    with open(tmp_path / "s.rejects.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [int(r["line"]) for r in rows] == [n for n, _ in bad]
    lines = _lines(src)
    for r in rows:
        assert r["source"] == str(src)
        assert lines[int(r["line"]) - 1] == r["raw"]  # the raw line, exactly as in the file
    reasons = {r["reason"] for r in rows}
    assert "expected 13 fields, got 2" in reasons and "expected 13 fields, got 14" in reasons
    assert "column 'bid_price': not a number: 'not-a-price'" in reasons
    # the good rows are all there, in order
    assert _read(tmp_path / "s.parquet")["impression_id"].tolist() == [str(i) for i in range(4000)]


def test_too_many_rejects_stop_the_run_and_nothing_is_written(model, small_csv, tmp_path):
    src = tmp_path / "mixed.csv"
    _with_garbage(small_csv, src, every=20)  # 5%
    out = tmp_path / "s.parquet"
    with pytest.raises(
        DataError,
        match=r"mixed\.csv: \d+ of [\d,]+ rows rejected \(\d\.\d%\), more than max_reject_rate 0\.01: is this the right file\?",
    ):
        score(model, [src], out)
    assert list(tmp_path.iterdir()) == [src]  # no output, no rejects, no temporary files
    res = score(model, [src], out, max_reject_rate=0.1)
    assert res.rows_rejected == 200


def test_a_column_of_the_wrong_type_is_rejected_row_by_row(model, small_csv, tmp_path):
    df = pd.read_csv(small_csv)
    df["session_depth"] = "deep"
    df.to_csv(tmp_path / "wrong.csv", index=False)
    with pytest.raises(DataError, match=r"4,000 of 4,000 rows rejected \(100\.0%\)"):
        score(model, [tmp_path / "wrong.csv"], tmp_path / "s.parquet")
    res = score(model, [tmp_path / "wrong.csv"], tmp_path / "s.parquet", max_reject_rate=1.0)
    assert res.rows_rejected == 4000 and res.rows_scored == 0
    first = next(csv.DictReader(open(tmp_path / "s.rejects.csv")))
    assert first["line"] == "2" and first["reason"] == "column 'session_depth': not a number: 'deep'"


def test_unseen_categories_and_missing_values_are_scored_not_rejected(model, small_csv, tmp_path):
    df = pd.read_csv(small_csv)
    df.loc[:99, "site_id"] = "brand-new-site"
    df.loc[100:199, "device_type"] = "smart-fridge"
    df.loc[200:299, "bid_price"] = np.nan
    df.loc[300:399, "os"] = np.nan
    df.to_csv(tmp_path / "new.csv", index=False)
    res = score(model, [tmp_path / "new.csv"], tmp_path / "s.parquet")
    assert res.rows_scored == 4000 and res.rows_rejected == 0


def test_extra_columns_are_a_note_and_missing_ones_an_error_before_writing(model, small_csv, tmp_path):
    df = pd.read_csv(small_csv)
    df.assign(campaign_budget=1.0).to_csv(tmp_path / "extra.csv", index=False)
    res = score(model, [tmp_path / "extra.csv"], tmp_path / "s.parquet")
    assert any(n.startswith("ignored 2 column(s) the model does not use: campaign_budget") for n in res.notes)
    df.drop(columns=["bid_price", "os"]).to_csv(tmp_path / "missing.csv", index=False)
    with pytest.raises(DataError, match=r"missing\.csv: missing feature column\(s\) the model needs: os, bid_price"):
        score(model, [tmp_path / "missing.csv"], tmp_path / "t.parquet")
    assert not (tmp_path / "t.parquet").exists()
    with pytest.raises(DataError, match=r"keep nope: no such column in .*extra\.csv"):
        score(model, [tmp_path / "extra.csv"], tmp_path / "t.parquet", keep=["nope"])


def test_empty_and_header_only_inputs(model, small_csv, tmp_path):
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(DataError, match=r"empty\.csv: file is empty"):
        score(model, [tmp_path / "empty.csv"], tmp_path / "s.parquet")
    (tmp_path / "head.csv").write_text(_lines(small_csv)[0] + "\n")
    res = score(model, [tmp_path / "head.csv"], tmp_path / "s.parquet")
    assert res.rows_read == 0 and any("no data rows" in n for n in res.notes)
    assert pq.read_table(tmp_path / "s.parquet").num_rows == 0


def test_a_truncated_gzip_is_an_error_naming_the_file_and_how_far_it_got(model, small_csv, tmp_path):
    lines = _lines(small_csv)
    data = gzip.compress(("\n".join(lines + lines[1:] * 19) + "\n").encode())
    (tmp_path / "cut.csv.gz").write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError, match=r"cut\.csv\.gz: truncated or corrupt gzip file, stopped after line \d+"):
        score(model, [tmp_path / "cut.csv.gz"], tmp_path / "s.parquet", chunk_rows=1000)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cut.csv.gz"]


def test_a_folder_of_inputs_gives_a_folder_of_parts_and_an_unreadable_file_stops_it(model, small_csv, tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    lines = _lines(small_csv)
    for k in range(3):
        (logs / f"hour{k}.csv").write_text("\n".join([lines[0]] + lines[1 + k * 1000 : 1 + (k + 1) * 1000]) + "\n")
    out = tmp_path / "scores"
    res = score(model, [logs], out, keep=["impression_id"])
    assert sorted(p.name for p in out.iterdir()) == [
        "_rejects.csv",
        "_summary.json",
        "hour0.parquet",
        "hour1.parquet",
        "hour2.parquet",
    ]
    assert [f.rows_scored for f in res.files] == [1000, 1000, 1000]
    summary = json.loads((out / "_summary.json").read_text())
    assert summary["rows_read"] == summary["rows_scored"] == 3000
    assert _read(out / "hour1.parquet")["impression_id"].iloc[0] == "1000"
    # run again: the folder is replaced; a bad file among good ones stops the run before anything is written
    (logs / "hour3.parquet").write_bytes(b"PAR1 this is not parquet")
    with pytest.raises(DataError, match=r"hour3\.parquet: not a readable Parquet file"):
        score(model, [logs], out)
    assert sorted(p.name for p in out.iterdir())[2:] == ["hour0.parquet", "hour1.parquet", "hour2.parquet"]
    # a glob picks the CSVs only
    res = score(model, [str(logs / "*.csv")], out)
    assert res.rows_read == 3000


def test_outputs_that_cannot_be_written(model, small_csv, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ClickpredError, match=r"output .*file/sub: cannot write there"):
        score(model, [small_csv], blocker / "sub" / "s.parquet")
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    with pytest.raises(ClickpredError, match="folder exists and holds files clickpred did not write"):
        score(model, [small_csv, small_csv.with_name("small.csv")], foreign)
    with pytest.raises(ClickpredError, match="fmt must be one of parquet, csv"):
        score(model, [small_csv], tmp_path / "s.json", fmt="json")


def test_an_interrupted_run_leaves_nothing_that_looks_finished(model, small_csv, tmp_path):
    calls = []

    def interrupt(done, total, rows):
        calls.append(rows)
        if len(calls) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        score(model, [small_csv], tmp_path / "s.parquet", chunk_rows=500, progress=interrupt)
    assert list(tmp_path.iterdir()) == []


def test_same_command_same_output(model, small_csv, tmp_path):
    score(model, [small_csv], tmp_path / "a.csv", keep=["impression_id"])
    score(model, [small_csv], tmp_path / "b.csv", keep=["impression_id"], jobs=2, chunk_rows=999)
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # Arrow's row handler can't decode it
def test_a_line_that_is_not_utf8_is_one_reject(model, small_csv, tmp_path):
    lines = small_csv.read_bytes().split(b"\n")
    lines.insert(50, b"\xff\xfe broken bytes")
    (tmp_path / "bytes.csv").write_bytes(b"\n".join(lines))
    res = score(model, [tmp_path / "bytes.csv"], tmp_path / "s.parquet")
    assert (res.rows_read, res.rows_scored, res.rows_rejected) == (4001, 4000, 1)
    first = next(csv.DictReader(open(tmp_path / "s.rejects.csv", encoding="utf-8")))
    assert first["line"] == "51" and first["reason"] == "not UTF-8 text"


def test_outputs_get_ordinary_permissions(model, small_csv, tmp_path):
    import os
    import stat

    old = os.umask(0o022)
    try:
        score(model, [small_csv], tmp_path / "s.parquet")
        score(model, [small_csv], str(tmp_path / "folder") + "/")
    finally:
        os.umask(old)
    for path in (tmp_path / "s.parquet", tmp_path / "s.rejects.csv", tmp_path / "folder" / "_summary.json"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o644, path
    assert stat.S_IMODE((tmp_path / "folder").stat().st_mode) == 0o755


def test_gzip_csv_output(model, small_csv, tmp_path):
    score(model, [small_csv], tmp_path / "s.csv.gz")
    assert pd.read_csv(tmp_path / "s.csv.gz").shape == (4000, 4)


def test_a_fast_path_that_disagrees_on_the_input_falls_back_to_the_pipeline(
    model, small_csv, expected, tmp_path, monkeypatch
):
    from clickpred.jobs.score import Scorer

    real_gap = Scorer.gap
    calls = []

    def gap(self, inputs):
        calls.append(inputs.n)
        return 1.0 if len(calls) == 2 else real_gap(self, inputs)  # call 1: the check at load

    monkeypatch.setattr(Scorer, "gap", gap)
    res = score(model, [small_csv], tmp_path / "s.parquet")
    assert res.scorer == "pipeline"
    assert res.notes[0] == "fast path disagreed with the pipeline by 1 on the input; rescored with the pipeline"
    df = _read(tmp_path / "s.parquet")
    np.testing.assert_allclose(df[["p_view", "p_click", "p_conversion"]].to_numpy(), expected[0], rtol=0, atol=1e-9)


def test_keep_may_not_name_an_output_column(scoring_model, small_csv, tmp_path):
    """--keep prediction,p_view wrote two columns of one name (a Parquet file pandas cannot read); the API replaced
    the kept columns silently. Both are refused before a row is read."""
    import pandas as pd

    from clickpred.errors import ConfigError, DataError
    from clickpred.jobs.score import score, score_frame

    with pytest.raises(ConfigError, match=r"keep p_view,prediction: the output has a column of that name"):
        score(scoring_model, [small_csv], tmp_path / "s.parquet", keep=["prediction", "p_view", "impression_id"])
    assert not (tmp_path / "s.parquet").exists()
    frame = pd.read_csv(small_csv).head(20).assign(prediction=1)
    with pytest.raises(DataError, match=r"keep prediction: the output has a column of that name"):
        score_frame(scoring_model, frame, keep=["prediction"])


def test_the_reject_rate_is_judged_on_the_whole_file(model, small_csv, tmp_path):
    """A file with 1.25% bad rows, all near its top, stopped at its first judged chunk ('100 of 1,584 rows rejected
    so far (6.3%)') under --max-reject-rate 0.02 although the file as a whole is under it. A file beyond the rate
    throughout still stops early, before its end."""
    lines = _lines(small_csv)
    top = [lines[0]] + [line if i % 10 else "garbage,line" for i, line in enumerate(lines[1:501], start=1)]
    (tmp_path / "top.csv").write_text("\n".join(top + lines[501:]) + "\n")
    res = score(model, [tmp_path / "top.csv"], tmp_path / "s.parquet", chunk_rows=200, max_reject_rate=0.02)
    assert (res.rows_rejected, res.rows_read) == (50, 4000)
    everywhere = [lines[0]] + [line if i % 10 else "garbage,line" for i, line in enumerate(lines[1:], start=1)]
    (tmp_path / "bad.csv").write_text("\n".join(everywhere) + "\n")
    with pytest.raises(DataError, match=r"bad\.csv: \d+ rows rejected in its first [\d,]+, more than"):
        score(model, [tmp_path / "bad.csv"], tmp_path / "t.parquet", chunk_rows=200, max_reject_rate=0.02)


def test_dates_without_a_time_of_day_are_named_where_the_model_learnt_times(scoring_model, small_csv, tmp_path):
    """Date-only values (Parquet date32, 'YYYY-MM-DD' text) where the model learnt times were read as midnight with
    no note (3,848 of 4,000 scores changed). They still are — a date is a time — but the summary says so."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    frame = pd.read_csv(small_csv).head(300)
    dated = frame.assign(timestamp=frame["timestamp"].str.slice(0, 10))
    dated.to_csv(tmp_path / "dates.csv", index=False)
    res = score(scoring_model, [tmp_path / "dates.csv"], tmp_path / "a.parquet")
    assert any("column 'timestamp': 300 value(s) are dates without a time of day" in n for n in res.notes)
    table = pa.Table.from_pandas(
        dated.assign(timestamp=pd.to_datetime(dated["timestamp"]).dt.date), preserve_index=False
    )
    pq.write_table(table, tmp_path / "dates.parquet")
    res = score(scoring_model, [tmp_path / "dates.parquet"], tmp_path / "b.parquet")
    assert any("300 value(s) are dates without a time of day" in n for n in res.notes)
    frame.to_csv(tmp_path / "times.csv", index=False)
    res = score(scoring_model, [tmp_path / "times.csv"], tmp_path / "c.parquet")
    assert not any("dates without a time of day" in n for n in res.notes)
    from clickpred.jobs.score import score_frame

    with pytest.warns(UserWarning, match="300 value\\(s\\) are dates without a time of day"):
        score_frame(scoring_model, dated)


def test_a_model_trained_on_dates_alone_is_not_warned_about_dates(small_csv, tmp_path):
    from clickpred.jobs.train import run_train
    from clickpred.modeling.spec import spec_from_options

    frame = pd.read_csv(small_csv)
    frame["timestamp"] = frame["timestamp"].str.slice(0, 10)
    frame.to_csv(tmp_path / "dated.csv", index=False)
    out = run_train(
        tmp_path / "dated.csv",
        spec_from_options("logistic", folds=2),  # how dates are read, not which model learns from them
        model_path=tmp_path / "m.skops",
        report_dir=tmp_path / "r",
        importance=False,
    )
    column = next(c for c in out.result.data.schema.features if c.name == "timestamp")
    assert column.kind == "timestamp" and column.times_of_day is False
    res = score(out.model_path, [tmp_path / "dated.csv"], tmp_path / "s.parquet")
    assert not any("dates without a time of day" in n for n in res.notes)
