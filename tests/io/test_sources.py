"""Block reading: exact line numbers whatever the block size, blank lines, CRLF or bad bytes."""

import gzip

import numpy as np
import pytest

from clickpred.errors import DataError
from clickpred.io.sources import expand_inputs, open_source, parse_block

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


# ---- red-team family 'CSV parsing': rows counted as the parser counts them, lines named right, lines bounded


def _quoted_newline_file(small_csv, tmp_path):
    lines = small_csv.read_text().splitlines()
    parts = lines[101].split(",")
    parts[7] = '"andr\noid"'  # the os value of data row 100 spans two lines
    lines[101] = ",".join(parts)
    lines.insert(300, '"x\ny",1')  # a record with a quoted line break and too few fields: physical lines 302-303
    # (list item 300 is physical line 302: the header is line 1 and row 100 took two lines)
    path = tmp_path / "quoted.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("chunk_rows", [None, 7])
def test_a_quoted_line_break_is_one_record_and_rejects_name_where_it_starts(
    scoring_model, small_csv, tmp_path, chunk_rows
):
    import csv

    from clickpred.jobs.score import score

    path = _quoted_newline_file(small_csv, tmp_path)
    res = score(scoring_model, [path], tmp_path / "s.csv", chunk_rows=chunk_rows)
    assert (res.rows_read, res.rows_scored, res.rows_rejected) == (4001, 4000, 1)
    rows = list(csv.DictReader(open(tmp_path / "s.rejects.csv")))
    physical = path.read_text().split("\n")
    assert rows[0]["line"] == "302" and physical[301] == '"x'
    assert rows[0]["raw"] == '"x\ny",1'


def test_streaming_training_names_the_line_where_a_quoted_value_spans_lines(small_csv, tmp_path):
    from clickpred.errors import DataError
    from clickpred.jobs.stream_train import train_stream
    from clickpred.modeling.spec import spec_from_options

    lines = small_csv.read_text().splitlines()
    parts = lines[101].split(",")
    parts[7] = '"andr\noid"'
    lines[101] = ",".join(parts)
    path = tmp_path / "q.csv"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=r"q.csv: line 102: a quoted value spans lines: streaming training"):
        train_stream([path], spec_from_options("logistic", "none", folds=2), negative_rate="1")


def test_a_line_without_end_is_refused_with_its_number(scoring_model, small_csv, tmp_path):
    import gzip

    from clickpred.errors import DataError
    from clickpred.jobs.score import score

    path = tmp_path / "bomb.csv.gz"
    header = small_csv.read_bytes().split(b"\n", 1)[0] + b"\n"
    with gzip.open(path, "wb", compresslevel=9) as fh:  # a small file whose second line never ends
        fh.write(header)
        block = b"9" * (1 << 20)
        for _ in range(40):
            fh.write(block)
    assert path.stat().st_size < 1 << 20
    with pytest.raises(DataError, match=r"bomb.csv.gz: line 2 is longer than 16 MiB"):
        score(scoring_model, [path], tmp_path / "s.parquet")


def test_old_mac_line_ends_score_as_they_train(scoring_model, small_csv, tmp_path):
    from clickpred.jobs.score import score

    path = tmp_path / "mac.csv"
    path.write_bytes(small_csv.read_bytes().replace(b"\n", b"\r"))
    res = score(scoring_model, [path], tmp_path / "mac.parquet")
    ref = score(scoring_model, [small_csv], tmp_path / "ref.parquet")
    assert res.rows_scored == ref.rows_scored == 4000
    import pandas as pd

    assert pd.read_parquet(tmp_path / "mac.parquet").equals(pd.read_parquet(tmp_path / "ref.parquet"))


def test_a_header_that_is_not_utf8_is_one_line_error(small_csv, tmp_path):
    from clickpred.errors import DataError
    from clickpred.io.dataset import read_table

    head, rest = small_csv.read_bytes().split(b"\n", 1)
    path = tmp_path / "h.csv"
    path.write_bytes(head.replace(b"site_id", b"site\xff_id") + b"\n" + rest)
    with pytest.raises(DataError, match=r"h.csv: line 1 \(the header\) is not UTF-8 text"):
        read_table(path)


def test_a_header_longer_than_the_first_look_is_read_whole(tmp_path):
    """score read only the first 64 KiB of a header: every row of a 15,012-column file was rejected ('expected
    10945 fields') though train accepted it."""
    from clickpred.io.sources import open_source

    names = [f"feature_number_{i}" for i in range(15_012)]
    path = tmp_path / "wide.csv"
    path.write_text(",".join(names) + "\n" + ",".join("1" for _ in names) + "\n")
    assert len(",".join(names)) > 65536
    src = open_source(path)
    assert src.columns == names


def test_a_file_with_a_very_wide_header_scores_every_row(scoring_model, small_csv, tmp_path):
    import pandas as pd

    from clickpred.jobs.score import score

    frame = pd.read_csv(small_csv).head(50)
    extra = pd.DataFrame({f"unused_feature_{i}": [1] * 50 for i in range(15_000)})
    wide = pd.concat([frame, extra], axis=1)
    wide.to_csv(tmp_path / "wide.csv", index=False)
    res = score(scoring_model, [tmp_path / "wide.csv"], tmp_path / "out.parquet")
    assert (res.rows_read, res.rows_scored, res.rows_rejected) == (50, 50, 0)


def test_count_byte_is_bytes_count_on_blocks_of_any_size():
    from clickpred.io.sources import COUNT_STEP, count_byte

    rng = np.random.default_rng(0)
    for n in (0, 1, 1000, COUNT_STEP, 3 * COUNT_STEP + 17):
        data = bytes(rng.choice(np.frombuffer(b'ab,"\n', np.uint8), n).astype(np.uint8))
        for byte in (b"\n", b'"'):
            assert count_byte(data, byte[0]) == data.count(byte)
            assert count_byte(bytearray(data), byte[0], n // 2) == data.count(byte, 0, n // 2)


def test_a_block_is_cut_after_the_last_line_end_outside_quotes():
    from clickpred.io.sources import _last_record_end

    data = b'a,b\n1,"x\ny"\n2,"p\nq\nr'  # the last two line ends are inside an open quoted value
    assert _last_record_end(data) == data.index(b'y"\n') + 2
    assert _last_record_end(bytearray(data)) == _last_record_end(data)
    assert _last_record_end(b'1,"open\nstill open') == -1
    assert _last_record_end(b"no quotes\nat all\ntail") == len(b"no quotes\nat all")
