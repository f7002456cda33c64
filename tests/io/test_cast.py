"""Raw values become the same category strings at training and at scoring time."""

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from clickpred.io.cast import (
    canonical,
    category_codes,
    category_series,
    dtype_of,
    numbers,
    timestamps,
)
from clickpred.io.dataset import read_table


@pytest.mark.parametrize(
    "value, dtype, expected",
    [
        (4, "int", "4"),
        ("4", "int", "4"),
        (" 4 ", "int", "4"),
        (4.0, "float", "4"),
        ("4.0", "float", "4"),
        ("4", "float", "4"),
        (0.5, "float", "0.5"),
        ("0.50", "float", "0.5"),
        (True, "bool", "true"),
        ("True", "bool", "true"),
        ("false", "bool", "false"),
        ("web", "string", "web"),
        (7, "string", "7"),
        ("abc", "int", "abc"),  # not a number: an (unseen) category of its own
        (None, "int", None),
        (float("nan"), "float", None),
        ("nan", "float", None),
    ],
)
def test_canonical(value, dtype, expected):
    assert canonical(value, dtype) == expected


def test_dtype_of_records_the_training_type():
    assert dtype_of(pd.Series([1, 2])) == "int"
    assert dtype_of(pd.Series([1.0, None])) == "float"
    assert dtype_of(pd.Series([True, False])) == "bool"
    assert dtype_of(pd.Series([True, None], dtype=object)) == "bool"
    assert dtype_of(pd.Series(["a", None])) == "string"
    assert dtype_of(pd.Series(pd.to_datetime(["2026-01-01"]))) == "datetime"
    assert dtype_of(pd.Series(pd.to_datetime(["2026-01-01T00:00:00Z"]))) == "datetime:UTC"


def test_an_integer_code_column_with_gaps_reads_the_same_at_training_and_scoring(tmp_path):
    # Arrow reads an int column with an empty cell; pandas makes it float (4.0): still category "4".
    path = tmp_path / "t.csv"
    path.write_text("pos,y\n4,a\n,b\n12,a\n")
    frame, _ = read_table(path)
    dtype = dtype_of(frame["pos"])
    assert dtype == "float"
    trained = category_series(frame["pos"], dtype).tolist()
    assert trained == ["4", None, "12"]
    codes, canon = category_codes(pa.array(["4", None, "12"]), dtype)
    assert [canon[c].as_py() if c >= 0 else None for c in codes] == trained


def test_category_codes_on_native_parquet_types():
    codes, canon = category_codes(pa.array([4, None, 4, 7]), "int")
    assert [canon[c].as_py() if c >= 0 else None for c in codes] == ["4", None, "4", "7"]
    codes, canon = category_codes(pa.array([True, False, None]), "bool")
    assert [canon[c].as_py() if c >= 0 else None for c in codes] == ["true", "false", None]


def test_numbers_flags_only_unparseable_text():
    values, bad = numbers(pa.array(["1.5", "x", None, "nan", "2e3", " 3"]))
    assert bad.tolist() == [False, True, False, False, False, False]
    np.testing.assert_array_equal(values[[0, 4, 5]], [1.5, 2000.0, 3.0])
    assert np.isnan(values[[1, 2, 3]]).all()
    values, bad = numbers(pa.array([1.0, None]))
    assert not bad.any() and np.isnan(values[1])


def test_timestamps_parse_and_flag_garbage():
    s, bad = timestamps(pa.array(["2026-01-05 03:00:00", "garbage", None, "2026-01-05 03:00:00"]), "datetime")
    assert bad.tolist() == [False, True, False, False]
    s = s.to_pandas()
    assert s.iloc[0] == pd.Timestamp("2026-01-05 03:00:00") and pd.isna(s.iloc[1]) and pd.isna(s.iloc[2])
    s, bad = timestamps(pa.array(["2026-01-05T03:00:00Z"]), "datetime:UTC")
    assert not bad.any() and s.to_pandas().iloc[0].hour == 3


# ---- red-team family 'numeric values': one rule for inf and huge numbers, at training and scoring alike


def _with_extremes(small_csv, tmp_path):
    import pandas as pd

    d = pd.read_csv(small_csv, dtype={"bid_price": str})
    for i, v in zip(range(10, 50, 10), ["inf", "-inf", "1e308", "1e309"]):
        d.loc[i, "bid_price"] = v
    path = tmp_path / "extreme.csv"
    d.to_csv(path, index=False)
    return path


def test_infinite_and_huge_numbers_are_missing_in_train_score_and_evaluate(small_csv, scoring_model, tmp_path):
    from typer.testing import CliRunner

    from clickpred.cli import app

    path = _with_extremes(small_csv, tmp_path)
    run = CliRunner().invoke
    res = run(
        app,
        ["train", str(path), "--folds", "2", "--classifier", "logistic", "--no-importance"]
        + ["--report", str(tmp_path / "r"), "--model", str(tmp_path / "m.skops")],
    )
    assert res.exit_code == 0, res.output
    assert "column 'bid_price': 4 value(s) infinite or beyond ±1e+100 read as missing" in res.output
    res = run(app, ["score", str(scoring_model), str(path), "--output", str(tmp_path / "s.parquet")])
    assert res.exit_code == 0, res.output
    assert "4,000 rows read = 4,000 scored + 0 rejected" in res.output
    assert "4 number(s) infinite or beyond ±1e+100 read as missing, as at training" in res.output
    res = run(app, ["evaluate", str(scoring_model), str(path)])
    assert res.exit_code == 0 and "read as missing" in res.output, res.output


def test_finite_replaces_only_what_a_model_cannot_use():
    from clickpred.io.cast import finite

    values, n = finite(np.array([1.0, np.inf, -np.inf, 1e308, np.nan, -5e99]))
    assert n == 3
    assert np.isnan(values[[1, 2, 3, 4]]).all() and values[0] == 1.0 and values[5] == -5e99


def test_columns_whose_names_clean_alike_are_matched_by_the_header_written(small_csv, tmp_path):
    """'bid price' and 'bid_price' both clean to bid_price: a reordered scoring file must not swap them."""
    import pandas as pd

    from clickpred.io.dataset import load_dataset
    from clickpred.jobs.score import score
    from clickpred.jobs.train import run_train
    from clickpred.modeling.spec import spec_from_options

    d = pd.read_csv(small_csv)
    d.insert(1, "bid price", d["bid_price"])
    d["bid_price"] = np.random.default_rng(0).normal(size=len(d))  # another column under the other spelling
    train_path, swapped = tmp_path / "t.csv", tmp_path / "swapped.csv"
    d.to_csv(train_path, index=False)
    cols = list(d.columns)
    i, j = cols.index("bid price"), cols.index("bid_price")
    cols[i], cols[j] = cols[j], cols[i]
    d[cols].to_csv(swapped, index=False)
    out = run_train(
        train_path,
        spec_from_options("logistic", "none", folds=2),
        model_path=tmp_path / "m.skops",
        report_dir=tmp_path / "r",
    )
    a = score(out.model_path, [train_path], tmp_path / "a.parquet", keep=["impression_id"])
    b = score(out.model_path, [swapped], tmp_path / "b.parquet", keep=["impression_id"])
    pa_, pb = pd.read_parquet(tmp_path / "a.parquet"), pd.read_parquet(tmp_path / "b.parquet")
    assert a.rows_scored == b.rows_scored == len(d)
    np.testing.assert_array_equal(pa_["p_click"].to_numpy(), pb["p_click"].to_numpy())
    from clickpred.io.schema import Schema
    from clickpred.model.modelfile import load_model

    schema = Schema.from_dict(load_model(out.model_path).metadata["schema"])
    e1, e2 = (
        load_dataset(train_path, schema=schema),
        load_dataset(swapped, schema=schema),
    )  # evaluate reads the same way
    assert e1.frame.equals(e2.frame)


def _parquet_like(small_csv, tmp_path, column, array):
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    table = pacsv.read_csv(small_csv)
    i = table.column_names.index(column)
    path = tmp_path / f"{column}.parquet"
    pq.write_table(table.set_column(i, column, array), path)
    return path


def test_parquet_types_that_cannot_be_read_as_the_model_learnt_them_are_refused(small_csv, scoring_model, tmp_path):
    from clickpred.errors import DataError
    from clickpred.jobs.score import score

    n = 4000
    ints = _parquet_like(small_csv, tmp_path, "timestamp", pa.array(np.arange(n, dtype=np.int64) + 1_767_600_000))
    with pytest.raises(
        DataError,
        match=r"timestamp.parquet: column 'timestamp' holds int64 values, but the model learnt "
        r"it as timestamps: write it as a timestamp type or as ISO 8601 text",
    ):
        score(scoring_model, [ints], tmp_path / "s.parquet")
    lists = _parquet_like(small_csv, tmp_path, "bid_price", pa.array([[1.0]] * n))
    with pytest.raises(
        DataError, match=r"column 'bid_price' holds list<(item|element): double> values: clickpred reads numbers"
    ):
        score(scoring_model, [lists], tmp_path / "s.parquet")
    with pytest.raises(
        DataError, match=r"bid_price.parquet: column 'bid_price' holds list<(item|element): double> values"
    ):
        read_table(lists)
    assert not (tmp_path / "s.parquet").exists()


def test_zoned_timestamps_keep_the_training_files_convention():
    import datetime

    wall = datetime.datetime(2026, 1, 5, 10, 0)
    from zoneinfo import ZoneInfo

    paris = pa.array([wall.replace(tzinfo=ZoneInfo("Europe/Paris"))], pa.timestamp("s", tz="Europe/Paris"))  # 09:00 UTC
    values, bad = timestamps(paris, "datetime")  # trained on naive wall-clock times
    assert values[0].as_py() == wall and not bad.any()
    naive = pa.array([wall], pa.timestamp("s"))
    values, _ = timestamps(naive, "datetime:UTC")  # trained on UTC instants: naive text is in that zone
    assert values[0].as_py() == wall.replace(tzinfo=datetime.timezone.utc)
