"""Block reading: exact line numbers whatever the block size, blank lines, CRLF or bad bytes."""

import gzip

import pytest

from clickpred.errors import DataError
from clickpred.sources import expand_inputs, open_source, parse_block

TEXT = "a,b\n1,2\n3\n4,5\n\n6,7,8\n9,10\r\n11,12"  # no final newline, a blank line, a CRLF


def _all(path, chunk_rows=1):
    src = open_source(path)
    rows, rejects = [], []
    for block in src.blocks(["a", "b"], chunk_rows):
        parsed = parse_block(src, block, ["a", "b"])
        lines = parsed.lines_of(range(parsed.table.num_rows))
        rows += list(zip(lines, parsed.table.column("a").to_pylist()))
        rejects += [(r.line, r.reason, r.raw) for r in parsed.rejects]
    return rows, rejects


@pytest.mark.parametrize("chunk_rows", [1, 2, 1000])
def test_line_numbers_are_physical_lines_for_any_block_size(tmp_path, chunk_rows):
    path = tmp_path / "t.csv"
    path.write_text(TEXT)
    rows, rejects = _all(path, chunk_rows)
    assert rows == [(2, "1"), (4, "4"), (7, "9"), (8, "11")]
    assert rejects == [(3, "expected 2 fields, got 1", "3"), (6, "expected 2 fields, got 3", "6,7,8")]


def test_gzip_reads_like_plain_text(tmp_path):
    (tmp_path / "t.csv").write_text(TEXT)
    (tmp_path / "t.csv.gz").write_bytes(gzip.compress(TEXT.encode()))
    assert _all(tmp_path / "t.csv.gz") == _all(tmp_path / "t.csv")


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # Arrow's row handler can't decode it
def test_lines_that_are_not_utf8_are_rejected_not_fatal(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes(b"a,b\n1,2\n\xff\xfe,3\n4,5\n")
    rows, rejects = _all(path, 1000)
    assert rows == [(2, "1"), (4, "4")]
    assert [(line, reason) for line, reason, _ in rejects] == [(3, "not UTF-8 text")]


def test_header_names_are_cleaned_like_at_training(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("Site ID;bid-price\nx;1\n")
    src = open_source(path)
    assert src.columns == ["Site_ID", "bid_price"] and src.sep == ";"


def test_expand_inputs(tmp_path):
    (tmp_path / "d").mkdir()
    for name in ("b.csv", "a.csv.gz", "c.parquet", "notes.txt.bak", ".hidden.csv"):
        (tmp_path / "d" / name).write_text("x")
    assert [p.name for p in expand_inputs([tmp_path / "d"])] == ["a.csv.gz", "b.csv", "c.parquet"]
    assert [p.name for p in expand_inputs([str(tmp_path / "d" / "*.csv"), tmp_path / "d" / "b.csv"])] == ["b.csv"]
    with pytest.raises(DataError, match="no files match"):
        expand_inputs([str(tmp_path / "*.tsv")])
    with pytest.raises(DataError, match="file not found"):
        expand_inputs([tmp_path / "missing.csv"])
    (tmp_path / "e").mkdir()
    with pytest.raises(DataError, match="folder holds no CSV or Parquet files"):
        expand_inputs([tmp_path / "e"])
