"""Raw values become the same category strings at training and at scoring time."""


import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from clickpred.cast import canonical, category_codes, category_series, dtype_of, numbers, timestamps
from clickpred.data import read_table


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
