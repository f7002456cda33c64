"""Streaming negative downsampling: what is kept, reproducibly, with exact lines and clear errors."""

import numpy as np
import pyarrow.csv as pacsv
import pytest

from clickpred.errors import ConfigError, DataError
from clickpred.io.sampling import (
    FILE_COL,
    LINE_COL,
    SamplingPlan,
    auto_rate,
    normal_label,
    parse_rate,
    sample_stream,
)
from clickpred.io.sources import open_source
from tests.conftest import write


def _sources(files):
    return [open_source(f) for f in files]


def _sample(files, **kwargs):
    srcs = _sources(files)
    opts = {k: kwargs.pop(k) for k in ("jobs", "chunk_rows", "range_bytes") if k in kwargs}
    return sample_stream(srcs, srcs[0].columns, SamplingPlan(target="event", **kwargs), **opts)


def _labels(table):
    return table.column("event").to_numpy(zero_copy_only=False).astype(str)


def test_labels_are_spelled_as_the_in_memory_reader_spells_them():
    assert [normal_label(v) for v in (" click ", "1.0", "0", "TRUE", "false", "2.50")] == [
        "click",
        "1",
        "0",
        "1",
        "0",
        "2.50",
    ]


@pytest.mark.parametrize("text, expected", [("auto", None), ("0.25", 0.25), ("1", 1.0)])
def test_negative_rate_parses(text, expected):
    assert parse_rate(text) == expected


@pytest.mark.parametrize("text", ["0", "-0.1", "1.5", "lots"])
def test_a_negative_rate_outside_0_1_is_a_clear_error(text):
    with pytest.raises(ConfigError, match=r"negative_rate .*\(0, 1\]"):
        parse_rate(text)


def test_every_minority_row_and_about_r_of_the_negatives_are_kept(stream_parts):
    s = _sample(stream_parts, rate=0.1, seed=1)
    truth = np.concatenate(
        [pacsv.read_csv(f).column("event").to_numpy(zero_copy_only=False).astype(str) for f in stream_parts]
    )
    assert s.rows == len(truth) == 24_000
    assert s.counts == {c: int((truth == c).sum()) for c in np.unique(truth)}
    kept = s.kept_counts
    assert kept["click"] == s.counts["click"] and kept["conversion"] == s.counts["conversion"]
    n = s.counts["view"]
    assert abs(kept["view"] - 0.1 * n) < 4 * np.sqrt(n * 0.1 * 0.9)
    assert s.holdout is None and s.holdout_counts == {}


def test_the_holdout_slice_is_taken_before_downsampling_at_natural_balance(stream_parts):
    s = _sample(stream_parts, rate=0.1, holdout=0.2, seed=1)
    held = _labels(s.holdout)
    assert abs(len(held) - 0.2 * 24_000) < 4 * np.sqrt(24_000 * 0.2 * 0.8)
    assert s.holdout_counts == {c: int((held == c).sum()) for c in np.unique(held)}
    assert sum(s.counts.values()) + len(held) == 24_000
    # natural balance: the view share of the slice is the stream's
    assert abs((held == "view").mean() - 1 + 0.03) < 0.01
    # no row is both held out and kept
    key = lambda t: set(zip(t.column(FILE_COL).to_pylist(), t.column(LINE_COL).to_pylist()))  # noqa: E731
    assert not key(s.holdout) & key(s.kept)


def test_the_sample_is_reproducible_and_independent_of_chunks_and_threads(stream_parts):
    a = _sample(stream_parts, rate=0.2, holdout=0.1, seed=4, chunk_rows=1000, jobs=1)
    b = _sample(stream_parts, rate=0.2, holdout=0.1, seed=4, chunk_rows=3333, jobs=2)
    assert a.kept.equals(b.kept) and a.holdout.equals(b.holdout)
    c = _sample(stream_parts, rate=0.2, holdout=0.1, seed=5)
    assert not a.kept.equals(c.kept)


def test_kept_rows_carry_their_file_and_line(stream_parts):
    s = _sample(stream_parts, rate=0.05, seed=2, range_bytes=100_000)  # several ranges per file
    assert s.ranges > 3
    lines = {i: f.read_text().splitlines() for i, f in enumerate(stream_parts)}
    ids = s.kept.column("impression_id").to_pylist()
    for f, line, ident in list(zip(s.kept.column(FILE_COL).to_pylist(), s.kept.column(LINE_COL).to_pylist(), ids))[
        ::97
    ]:
        assert lines[f][line - 1].split(",")[0].strip('"') == ident


def test_auto_keeps_about_k_negatives_per_minority_row(stream_parts):
    s = _sample(stream_parts, rate=None, per_positive=5, seed=3)
    minority = s.counts["click"] + s.counts["conversion"]
    assert s.rate == pytest.approx(auto_rate(s.counts, "view", 5)) == pytest.approx(5 * minority / s.counts["view"])
    assert not s.auto["short"]
    assert abs(s.kept_counts["view"] - 5 * minority) < 4 * np.sqrt(5 * minority)
    fixed = _sample(stream_parts, rate=s.rate, seed=3)
    assert fixed.kept.equals(s.kept)  # auto's one pass keeps what a fixed rate would


def test_auto_says_so_when_the_minority_share_rises_late(tmp_path):
    head = "id,x,event\n"
    early = "".join(f"{i},{i % 7},view\n" for i in range(60_000))
    late = "".join(f"{60_000 + i},{i % 7},{'click' if i % 2 else 'view'}\n" for i in range(6_000))
    f = write(tmp_path / "late.csv", head + early + late)
    s = _sample([f], rate=None, per_positive=10, seed=0, chunk_rows=5_000)
    assert s.auto["short"] and s.rate < s.auto["wanted"]
    n_view = s.counts["view"]
    assert abs(s.kept_counts["view"] - s.rate * n_view) < 4 * np.sqrt(s.rate * n_view)


def test_a_first_block_without_minority_rows_is_fine(tmp_path):
    """Documented: the negative class is the first block's most frequent class; the minority may come later."""
    rows = [f"{i},{i % 5},view" for i in range(3_000)] + [
        f"{3000 + i},{i % 5},{'click' if i % 3 == 0 else 'view'}" for i in range(3_000)
    ]
    f = write(tmp_path / "late_clicks.csv", "id,x,event\n" + "\n".join(rows) + "\n")
    s = _sample([f], rate=0.5, seed=0, chunk_rows=1_000)
    assert s.negative == "view" and s.kept_counts["click"] == s.counts["click"] == 1_000


def test_a_stream_with_no_minority_class_is_an_error(tmp_path):
    f = write(tmp_path / "views.csv", "id,x,event\n" + "".join(f"{i},{i % 3},view\n" for i in range(500)))
    with pytest.raises(DataError, match=r"only class 'view' in 500 rows: nothing to learn"):
        _sample([f], rate=0.5)


def test_a_file_with_another_header_in_the_middle_is_an_error(stream_parts, tmp_path):
    text = stream_parts[1].read_text().replace("bid_price", "price", 1)
    odd = write(tmp_path / "odd.csv", text)
    with pytest.raises(
        DataError, match=r"odd\.csv: columns differ from .*part-0\.csv \(missing bid_price; extra price\)"
    ):
        _sample([stream_parts[0], odd, stream_parts[2]], rate=0.1)


def test_a_bad_row_in_a_later_file_names_its_file_and_line(stream_parts, tmp_path):
    lines = stream_parts[1].read_text().splitlines()
    lines[500] = lines[500] + ",extra"
    bad = write(tmp_path / "bad.csv", "\n".join(lines) + "\n")
    with pytest.raises(DataError, match=r"bad\.csv: line 501: expected 13 fields, got 14"):
        _sample([stream_parts[0], bad], rate=0.1, range_bytes=200_000)


def test_an_empty_label_names_its_file_and_line(stream_parts, tmp_path):
    lines = stream_parts[0].read_text().splitlines()
    lines[42] = lines[42].rsplit(",", 1)[0] + ","
    bad = write(tmp_path / "nolabel.csv", "\n".join(lines) + "\n")
    with pytest.raises(DataError, match=r"nolabel\.csv: line 43: target column 'event' is empty"):
        _sample([bad], rate=0.1)


def test_an_unknown_negative_class_is_an_error(stream_parts):
    with pytest.raises(DataError, match=r"negative_class impression: no such class"):
        _sample(stream_parts[:1], rate=0.1, negative_class="impression")


def test_parquet_and_gzip_inputs_give_the_csv_sample(stream_parts, tmp_path):
    import gzip

    import pyarrow.parquet as pq

    gz = tmp_path / "p1.csv.gz"
    gz.write_bytes(gzip.compress(stream_parts[1].read_bytes()))
    a = _sample([stream_parts[0], gz], rate=0.1, seed=6)
    b = _sample([stream_parts[0], stream_parts[1]], rate=0.1, seed=6)
    assert a.kept.equals(b.kept)  # a gzip file and a one-range CSV draw alike
    pqf = tmp_path / "p0.parquet"
    pq.write_table(pacsv.read_csv(stream_parts[0]), pqf, row_group_size=100_000)
    c = _sample([pqf], rate=0.1, seed=6)
    d = _sample([stream_parts[0]], rate=0.1, seed=6)
    assert c.kept.column("impression_id").to_pylist() == d.kept.column("impression_id").to_pylist()
    assert c.kept_counts == d.kept_counts
