import gzip

import numpy as np
import pandas as pd
import pytest

from clickpred.errors import DataError
from clickpred.io.dataset import clean_names, load_dataset, read_table

from ..conftest import write

GOOD = "site,price,event\n" + "".join(f"s{i % 7},{i * 0.5},{'click' if i % 10 == 0 else 'view'}\n" for i in range(100))


def test_reads_csv_gz_and_parquet_alike(tmp_path):
    csv = write(tmp_path / "a.csv", GOOD)
    gz = tmp_path / "a.csv.gz"
    gz.write_bytes(gzip.compress(GOOD.encode()))
    pq = tmp_path / "a.parquet"
    pd.read_csv(csv).to_parquet(pq)
    frames = [load_dataset(p).frame for p in (csv, gz, pq)]
    for f in frames[1:]:
        pd.testing.assert_frame_equal(frames[0], f)


def test_delimiter_is_sniffed_and_can_be_forced(tmp_path):
    p = write(tmp_path / "semi.csv", GOOD.replace(",", ";"))
    assert list(load_dataset(p).frame.columns) == ["site", "price"]
    t = write(tmp_path / "tab.txt", GOOD.replace(",", "\t"))
    assert list(load_dataset(t, sep="\\t").frame.columns) == ["site", "price"]


def test_target_is_detected_with_a_note(tmp_path):
    ds = load_dataset(write(tmp_path / "a.csv", GOOD))
    assert ds.schema.target == "event"
    assert any("target column: 'event' (detected" in n for n in ds.notes)
    assert ds.schema.classes == ["view", "click"]  # majority first


def test_binary_numeric_and_yes_no_targets(tmp_path):
    text = "x,clicked\n" + "".join(f"{i},{1 if i % 5 == 0 else 0}\n" for i in range(50))
    ds = load_dataset(write(tmp_path / "b.csv", text))
    assert ds.schema.classes == ["0", "1"] and ds.class_counts == {"0": 40, "1": 10}
    text = "x;y\n" + "".join(f"{i};{'yes' if i % 5 == 0 else 'no'}\n" for i in range(50))
    assert load_dataset(write(tmp_path / "c.csv", text)).schema.classes == ["no", "yes"]


def test_schema_kinds(sim_csv):
    ds = load_dataset(sim_csv)
    kinds = {c.name: c.kind for c in ds.schema.features}
    assert kinds["timestamp"] == "timestamp"
    assert kinds["site_id"] == kinds["ad_id"] == "id"  # hundreds+ of levels: never one-hot
    assert kinds["device_type"] == kinds["os"] == "categorical"
    assert kinds["bid_price"] == kinds["user_age_days"] == "numeric"
    assert ds.schema.dropped == {"impression_id": "unique in every row (an identifier)"}


def test_constant_column_dropped_with_note(tmp_path):
    text = "k,x,event\n" + "".join(f"same,{i * 0.5},{'click' if i % 4 == 0 else 'view'}\n" for i in range(60))
    ds = load_dataset(write(tmp_path / "k.csv", text))
    assert ds.schema.dropped == {"k": "constant"}
    assert any("'k' (constant)" in n for n in ds.notes)


def test_awkward_headers_are_renamed_and_reported(tmp_path):
    text = "..ip,user agent,x,x,event\n" + "".join(
        f"{i % 13},ua{i % 3},{i % 17},{i % 2},{'c' if i % 5 == 0 else 'v'}\n" for i in range(60)
    )
    ds = load_dataset(write(tmp_path / "h.csv", text))
    assert list(ds.frame.columns) == ["ip", "user_agent", "x", "x_2"]
    assert ds.schema.renamed == {"ip": "..ip", "user_agent": "user agent", "x_2": "x"}
    assert any("renamed 3 column(s)" in n for n in ds.notes)


def test_clean_names_handles_empty_digits_and_case_duplicates():
    names, renamed = clean_names(["", "1st", "A", "a", "ok"])
    assert names == ["column_1", "c_1st", "A", "a_2", "ok"]
    assert "ok" not in renamed


def test_drop_removes_columns_and_rejects_unknown(tmp_path):
    p = write(tmp_path / "a.csv", GOOD)
    assert list(load_dataset(p, drop=["price"]).frame.columns) == ["site"]
    with pytest.raises(DataError, match=r"drop nope: no such feature column in .*a\.csv; columns: site, price, event"):
        load_dataset(p, drop=["nope"])


# ------------------------------------------------------------- bad input


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match=r"nope\.csv: file not found"):
        load_dataset(tmp_path / "nope.csv")


def test_empty_file(tmp_path):
    with pytest.raises(DataError, match=r"e\.csv: file is empty"):
        load_dataset(write(tmp_path / "e.csv", ""))


def test_header_only(tmp_path):
    with pytest.raises(DataError, match=r"h\.csv: has a header but no data rows"):
        load_dataset(write(tmp_path / "h.csv", "a,b,event\n"))


def test_unknown_target_lists_columns(tmp_path):
    with pytest.raises(DataError, match=r"target column 'label2' not found; columns: site, price, event"):
        load_dataset(write(tmp_path / "a.csv", GOOD), target="label2")


def test_no_detectable_target(tmp_path):
    with pytest.raises(DataError, match=r"no target column found .* pass target; columns: a, b"):
        load_dataset(write(tmp_path / "a.csv", "a,b\n1,2\n3,4\n"))


def test_single_class(tmp_path):
    text = "x,event\n" + "".join(f"{i},view\n" for i in range(20))
    with pytest.raises(DataError, match=r"target column 'event' has a single class \('view'\)"):
        load_dataset(write(tmp_path / "s.csv", text))


def test_missing_target_values_name_lines(tmp_path):
    text = "x,event\n1,view\n2,\n3,click\n4,view\n"
    with pytest.raises(DataError, match=r"target column 'event' is empty at 1 row\(s\) \(lines 3\)"):
        load_dataset(write(tmp_path / "m.csv", text))


def test_junk_in_numeric_column_names_rows(tmp_path):
    rows = [f"{i * 1.5},{'click' if i % 3 == 0 else 'view'}" for i in range(100)]
    rows[17] = "abc,view"
    rows[42] = "n/a?,click"
    p = write(tmp_path / "j.csv", "price,event\n" + "\n".join(rows) + "\n")
    with pytest.raises(
        DataError,
        match=r"column 'price' is numeric but has 2 non-numeric value\(s\): line 19 \('abc'\), line 44 \('n/a\?'\)",
    ):
        load_dataset(p)


def test_the_numeric_share_counts_rows_not_distinct_values(tmp_path):
    """96 rows of one number and 4 distinct junk texts: 96% of the rows are numbers (an error naming the junk),
    although only 1 of the 5 distinct values is; 90% of the rows: a text column, no error."""
    rows = [f"5,{'click' if i % 3 == 0 else 'view'}" for i in range(100)]
    for i, junk in zip((10, 20, 30, 40), "abcd"):
        rows[i] = f"{junk},view"
    p = write(tmp_path / "share.csv", "price,event\n" + "\n".join(rows) + "\n")
    with pytest.raises(DataError, match=r"column 'price' is numeric but has 4 non-numeric value\(s\): line 12 \('a'\)"):
        load_dataset(p)
    for i in range(50, 56):
        rows[i] = f"e{i},view"
    load_dataset(write(tmp_path / "text.csv", "price,event\n" + "\n".join(rows) + "\n"))


@pytest.mark.parametrize(
    "values",
    [
        [" click", "view ", None, "view", "click"],
        [1.0, 0.0, np.nan, 1.0, 0.0],
        [1.5, 0.0, 2.0, np.nan, 1.5],
        [1, 0, 0, 1, 2],
        [True, 1, "a", None, 1.0],  # mixed objects: row by row (True and 1 are equal keys)
    ],
)
def test_labels_per_distinct_value_are_the_labels_row_by_row(values):
    import pandas as pd

    from clickpred.io.dataset import _label_strings

    for s in (pd.Series(values), pd.Series(values, dtype=object)):
        by_row = s.map(lambda x: str(x).strip() if pd.notna(x) else None)
        if pd.api.types.is_float_dtype(s) and all(v == int(v) for v in s.dropna()):
            by_row = s.map(lambda x: str(int(x)) if pd.notna(x) else None)
        got = _label_strings(s)
        assert [None if pd.isna(v) else v for v in got] == [None if pd.isna(v) else v for v in by_row]


def test_wrong_field_count_names_lines(tmp_path):
    lines = GOOD.splitlines()
    lines[5] = lines[5] + ",extra"
    p = write(tmp_path / "w.csv", "\n".join(lines) + "\n")
    with pytest.raises(
        DataError,
        match=r"w\.csv: 1 row\(s\) with the wrong number of fields \(lines 6\); first at line 6: expected 3, got 4",
    ):
        load_dataset(p)


def test_non_utf8_bytes_name_the_line(tmp_path):
    data = GOOD.encode().replace(b"s3,", b"s\xff\xfe3,", 1)
    with pytest.raises(DataError, match=r"column 'site' has bytes that are not UTF-8 at line 5"):
        load_dataset(write(tmp_path / "u.csv", data))


def test_all_missing_column(tmp_path):
    text = "a,b,event\n" + "".join(f"{i},,{'c' if i % 4 == 0 else 'v'}\n" for i in range(20))
    with pytest.raises(DataError, match=r"column 'b' is empty in every row: remove it with drop b"):
        load_dataset(write(tmp_path / "a.csv", text))


def test_directory_and_bad_parquet(tmp_path):
    with pytest.raises(DataError, match="is a directory"):
        read_table(tmp_path)
    with pytest.raises(DataError, match=r"x\.parquet: not a readable Parquet file"):
        read_table(write(tmp_path / "x.parquet", "not parquet at all"))


def test_model_schema_requires_the_same_columns(sim_csv, tmp_path):
    ds = load_dataset(sim_csv)
    other = pd.read_csv(sim_csv).drop(columns=["bid_price"])
    p = tmp_path / "other.csv"
    other.to_csv(p, index=False)
    with pytest.raises(DataError, match=r"missing feature column\(s\) the model needs: bid_price"):
        load_dataset(p, schema=ds.schema)


def test_real_click_logs_parse(tmp_path):
    from ..conftest import SHARED

    criteo = SHARED / "ctr_samples" / "criteo_sample.txt"
    avazu = SHARED / "ctr_samples" / "avazu_sample.txt"
    if not criteo.exists():
        pytest.skip("shared data not present")
    ds = load_dataset(criteo)
    assert ds.schema.target == "label" and len(ds.y) == 200
    assert np.isnan(ds.frame["I1"]).any()  # empty cells become missing values, not errors
    ds = load_dataset(avazu)
    assert ds.schema.target == "click" and "id" in ds.schema.dropped


def test_categorical_override_for_integer_codes(tmp_path):
    text = "segment,x,event\n" + "".join(f"{i % 9},{i * 0.1},{'c' if i % 5 == 0 else 'v'}\n" for i in range(90))
    p = write(tmp_path / "a.csv", text)
    assert {c.name: c.kind for c in load_dataset(p).schema.features}["segment"] == "numeric"
    ds = load_dataset(p, categorical=["segment"])
    assert {c.name: c.kind for c in ds.schema.features}["segment"] == "categorical"
    assert ds.frame["segment"].iloc[1] == "1"
    with pytest.raises(DataError, match="categorical nope: no such feature column"):
        load_dataset(p, categorical=["nope"])


def test_headerless_files_get_numbered_columns(tmp_path):
    text = "".join(f"{1 if i % 5 == 0 else 0}\t{i * 0.5}\tab{i % 3}\n" for i in range(60))
    p = write(tmp_path / "raw.txt", text)
    ds = load_dataset(p, target="column_1", header=False)
    assert list(ds.frame.columns) == ["column_2", "column_3"] and len(ds.y) == 60
    assert ds.schema.classes == ["0", "1"]


def test_what_is_done_with_labels_that_look_alike_is_said(tmp_path):
    from clickpred.io.dataset import load_dataset

    rows = (
        ["a,y"]
        + [f"{i % 7},0" for i in range(60)]
        + [f"{i % 7},1" for i in range(20)]
        + [f"{i % 7},01" for i in range(5)]
    )
    path = tmp_path / "n.csv"
    path.write_text("\n".join(rows) + "\n")
    ds = load_dataset(path)
    assert ds.schema.classes == ["0", "1"]
    assert any("spellings of one number are one class: '01', '1' → class '1'" in n for n in ds.notes), ds.notes
    rows = (
        ["a,y"]
        + [f"{i % 7},no" for i in range(60)]
        + [f"{i % 7},yes" for i in range(20)]
        + [f"{i % 7},No " for i in range(5)]
    )
    path.write_text("\n".join(rows) + "\n")
    ds = load_dataset(path)
    assert ds.schema.classes == ["no", "yes", "No"]
    assert any(
        "classes 'No' and 'no' differ only in letter case: kept apart" in n
        or "classes 'no' and 'No' differ only in letter case: kept apart" in n
        for n in ds.notes
    ), ds.notes


def test_a_model_file_or_utf16_text_given_as_a_log_is_named_as_such(scoring_model, small_csv, tmp_path):
    """A model file passed as data read as rows of the wrong width (with an 'is an input of this run' message when
    its name matched the default model path); UTF-16 text as 'wrong number of fields (line 4002)'."""
    from clickpred.errors import DataError
    from clickpred.io.dataset import load_dataset
    from clickpred.io.sources import open_source
    from clickpred.jobs.train import run_train
    from clickpred.modeling.spec import spec_from_options

    model_as_csv = tmp_path / "model.csv"
    model_as_csv.write_bytes(scoring_model.read_bytes())
    for call in (lambda p: load_dataset(p), lambda p: open_source(p)):
        with pytest.raises(DataError, match=r"model\.csv: is a zip archive \(a clickpred model file\?\)"):
            call(model_as_csv)
    with pytest.raises(DataError, match=r"is a zip archive"):
        run_train(scoring_model, spec_from_options(), model_path=scoring_model)  # before any output clash
    utf16 = tmp_path / "utf16.csv"
    utf16.write_bytes(small_csv.read_text().encode("utf-16"))
    with pytest.raises(DataError, match=r"utf16\.csv: is UTF-16 text: re-encode it as UTF-8"):
        load_dataset(utf16)


def test_a_parquet_file_with_a_column_name_twice_is_one_clear_error(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from clickpred.errors import DataError
    from clickpred.io.dataset import load_dataset

    table = pa.Table.from_arrays([pa.array([1, 2] * 30), pa.array([3, 4] * 30), pa.array([0, 1] * 30)], ["a", "a", "y"])
    pq.write_table(table, tmp_path / "twice.parquet")
    with pytest.raises(DataError, match=r"column name\(s\) written twice in the Parquet file: a"):
        load_dataset(tmp_path / "twice.parquet")


def test_the_same_rows_as_parquet_and_as_csv_give_the_same_schema(small_csv, tmp_path):
    """A text timestamp column read from Parquet became an ID (86,832 levels), from CSV a timestamp: text columns
    of a Parquet file are typed as the same text in a CSV file."""
    import pandas as pd

    from clickpred.io.dataset import load_dataset

    frame = pd.read_csv(small_csv, dtype={"timestamp": str})
    frame.to_parquet(tmp_path / "rows.parquet", index=False)
    from_parquet, from_csv = load_dataset(tmp_path / "rows.parquet"), load_dataset(small_csv)
    kinds = lambda ds: {c.name: (c.kind, c.dtype) for c in ds.schema.features}  # noqa: E731
    assert kinds(from_parquet) == kinds(from_csv) and kinds(from_csv)["timestamp"][0] == "timestamp"
    pd.testing.assert_frame_equal(from_parquet.frame, from_csv.frame)


def test_the_terminal_names_integer_columns_read_as_quantities_too(small_csv):
    """Only the columns read as codes were named; those read as one slope were visible only in the report."""
    from clickpred.io.dataset import load_dataset

    notes = load_dataset(small_csv).notes
    quantities = [n for n in notes if n.startswith("integer columns read as quantities")]
    assert len(quantities) == 1 and "session_depth (values run 1, 2, 3, … from near zero" in quantities[0]
    assert "--categorical COL overrides" in quantities[0]


def test_a_record_running_past_the_block_is_named_as_such(tmp_path, monkeypatch):
    """Arrow's 'straddling object straddles two block boundaries (try to increase block size?)' reached users as
    it was; it means a record longer than a block — in a log, a quote opened and never closed."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    from clickpred.errors import DataError
    from clickpred.io.dataset import load_dataset

    path = tmp_path / "log.csv"
    path.write_text("a,event\n1,view\n")

    def straddles(*args, **kwargs):
        raise pa.ArrowInvalid(
            "CSV parse error: straddling object straddles two block boundaries (try to increase block size?)"
        )

    monkeypatch.setattr(pacsv, "read_csv", straddles)
    with pytest.raises(DataError, match=r"log\.csv: a record runs on past 16 MiB — most likely a quote"):
        load_dataset(path)


@pytest.mark.parametrize(
    "name, sep, target",
    [
        ("bank_marketing/bank-additional.csv", ";", "y"),
        ("ctr_samples/criteo_sample.txt", None, "label"),
        ("ctr_samples/avazu_sample.txt", None, "click"),
    ],
)
def test_each_shared_set_gives_the_same_schema_from_parquet_as_from_csv(name, sep, target, tmp_path):
    """Parquet = CSV: the same rows in either container (text as text or as pandas categories) give the same
    columns, kinds and types — so the same model."""
    import pandas as pd

    from clickpred.io.dataset import load_dataset

    from ..conftest import SHARED

    path = SHARED / name
    if not path.exists():
        pytest.skip("../shared/data is not here")
    kinds = lambda ds: {c.name: (c.kind, c.dtype) for c in ds.schema.features}  # noqa: E731
    from_csv = kinds(load_dataset(path, sep=sep, target=target))
    frame = pd.read_csv(path, sep=sep or ",")
    frame.to_parquet(tmp_path / "text.parquet", index=False)
    as_categories = frame.apply(lambda s: s.astype("category") if s.dtype == object else s)
    as_categories.to_parquet(tmp_path / "categories.parquet", index=False)
    assert kinds(load_dataset(tmp_path / "text.parquet", target=target)) == from_csv
    assert kinds(load_dataset(tmp_path / "categories.parquet", target=target)) == from_csv
