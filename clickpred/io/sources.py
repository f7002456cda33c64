"""Streaming impression logs in chunks, with every row's line number known.

``expand_inputs`` turns the command line's files, folders and globs into a
sorted list of files. ``open_source`` reads a file's header; ``Source.blocks``
yields raw text blocks (CSV, cut at line ends, gzip decompressed by Arrow) or
record batches (Parquet) and ``parse_block`` turns one block into an Arrow
table of the wanted columns plus the rows that could not be parsed, each with
its file, line and raw text. Blocks parse independently, so they can be
handed to worker threads; the line numbers stay exact because each block
knows the line it starts on.

A quoted value may hold a line break: blocks are cut only at line ends outside
quotes, rows are counted as the CSV parser counts them (records, not lines),
and a rejected record is reported at the physical line where it starts.
A line longer than :data:`MAX_LINE_BYTES` stops the read with an error naming
the file and line, before it is copied around (or inflated from a gzip bomb).

Example
-------
>>> src = open_source("data/impressions_sample.csv.gz")  # doctest: +SKIP
>>> block = next(src.blocks(["site_id"], chunk_rows=1000))  # doctest: +SKIP
>>> parse_block(src, block, ["site_id"]).table.num_rows  # doctest: +SKIP
1000
"""

from __future__ import annotations

import csv
import glob
import io
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ..errors import DataError
from .dataset import clean_names, sniff_separator

Text = bytes | bytearray  # a CSV block: read into a bytearray, cut in place
MAX_LINE_BYTES = 16 * 1024**2  # no impression log has a 16 MiB line; a file that does is refused
CSV_SUFFIXES = (".csv", ".csv.gz", ".tsv", ".tsv.gz", ".txt", ".txt.gz")
PARQUET_SUFFIXES = (".parquet", ".pq")


@dataclass
class Reject:
    """A row that could not be scored."""

    source: str
    line: int  # physical line in a CSV file (header = 1), or 1-based row in a Parquet file
    reason: str
    raw: str


@dataclass
class Block:
    """A piece of one file: raw CSV text starting at ``first_line``, or a Parquet batch."""

    index: int
    first_line: int
    text: Text | None = None
    batch: pa.RecordBatch | None = None
    end_offset: int = 0  # bytes of the (compressed) file consumed so far
    n_lines: int = -1  # physical lines in ``text`` (-1: not counted)


@dataclass
class Parsed:
    """A block parsed: the good rows as a table, the rows with a wrong field count rejected."""

    block: Block
    table: pa.Table
    rejects: list[Reject] = field(default_factory=list)
    invalid_lines: list[int] = field(default_factory=list)

    @property
    def n_rows(self) -> int:
        return self.table.num_rows + len(self.rejects)

    def lines_of(self, rows) -> list[int]:
        """Physical line numbers of these (0-based) rows of ``table`` (where each record starts)."""
        if self.block.text is None:
            return [self.block.first_line + int(r) for r in rows]
        if has_quoted_newlines(self.block.text):
            starts = list(self._parsed_records())
            return [starts[int(r)] for r in rows]
        wanted = sorted(set(int(r) for r in rows))
        invalid = set(self.invalid_lines)
        found: dict[int, int] = {}
        k = i = 0
        for i, line in enumerate(bytes(self.block.text).split(b"\n")):  # rows with rejects only
            number = self.block.first_line + i
            if not line.rstrip(b"\r") or number in invalid:
                continue
            if k == wanted[len(found)]:
                found[k] = number
                if len(found) == len(wanted):
                    break
            k += 1
        return [found[int(r)] for r in rows]

    def _parsed_records(self) -> dict[int, bytes]:
        """{line a record starts on: its bytes} for the records in ``table``, in order (rejected ones left out)."""
        invalid = set(self.invalid_lines)
        assert self.block.text is not None
        out = {self.block.first_line + k: rec for k, rec in records(self.block.text)}
        return {n: rec for n, rec in out.items() if n not in invalid}

    def raw_lines(self, rows) -> list[str]:
        """The raw text of these rows of ``table`` (CSV) or their values joined (Parquet)."""
        if self.block.text is None:
            out = []
            for r in rows:
                values = [str(v) for v in self.table.slice(int(r), 1).to_pylist()[0].values()]
                out.append(",".join(values))
            return out
        if has_quoted_newlines(self.block.text):
            parsed = list(self._parsed_records().values())
            return [parsed[int(r)].rstrip(b"\r").decode("utf-8", errors="replace") for r in rows]
        lines = bytes(self.block.text).split(b"\n")
        return [
            lines[n - self.block.first_line].rstrip(b"\r").decode("utf-8", errors="replace")
            for n in self.lines_of(rows)
        ]


def record_ends(text: Text) -> np.ndarray:
    """Offsets of the line ends that end a CSV record: outside quotes (doubled quotes inside a
    quoted value keep the count even)."""
    arr = np.frombuffer(text, dtype=np.uint8)
    nl = np.flatnonzero(arr == 10)
    if b'"' not in text:
        return nl
    quotes = np.cumsum(arr == 34)
    return nl[quotes[nl] % 2 == 0]


def has_quoted_newlines(text: Text) -> bool:
    return b'"' in text and len(record_ends(text)) != text.count(b"\n")


def records(text: Text) -> list[tuple[int, bytes]]:
    """The non-empty records of a block: (0-based physical line where each starts, its raw bytes)."""
    ends = record_ends(text)
    if len(ends) == text.count(b"\n"):  # no quoted line break: a record per line
        return [(k, line) for k, line in enumerate(bytes(text).split(b"\n")) if line.rstrip(b"\r")]
    nl = np.flatnonzero(np.frombuffer(text, dtype=np.uint8) == 10)
    out, start = [], 0
    for end in list(ends) + ([len(text)] if not text.endswith(b"\n") else []):
        rec = bytes(text[start:end])
        if rec.rstrip(b"\r"):
            out.append((int(np.searchsorted(nl, start)), rec))
        start = int(end) + 1
    return out


def count_records(text: Text) -> int:
    """Non-empty CSV records in a block, as the parser counts them."""
    return len(records(text))


def _suffix(path: Path) -> str:
    name = path.name.lower()
    for s in PARQUET_SUFFIXES + CSV_SUFFIXES:
        if name.endswith(s):
            return s
    return path.suffix.lower()


def expand_inputs(inputs: list[str | Path]) -> list[Path]:
    """Files named, files in named folders (CSV, .csv.gz, Parquet), files matching globs; sorted, unique."""
    if not inputs:
        raise DataError("no input files given")
    files: list[Path] = []
    for item in inputs:
        text = str(item)
        path = Path(text)
        if any(ch in text for ch in "*?[") and not path.exists():
            matched = sorted(Path(p) for p in glob.glob(text, recursive=True) if Path(p).is_file())
            if not matched:
                raise DataError(f"{text}: no files match")
            files += matched
        elif path.is_dir():
            matched = sorted(
                p
                for p in path.rglob("*")
                if p.is_file() and not p.name.startswith((".", "_")) and _suffix(p) in CSV_SUFFIXES + PARQUET_SUFFIXES
            )
            if not matched:
                raise DataError(f"{path}: folder holds no CSV or Parquet files")
            files += matched
        elif path.exists():
            files.append(path)
        else:
            raise DataError(f"{path}: file not found")
    seen, out = set(), []
    for f in files:
        key = f.resolve()
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


class Source:
    """One input file: its columns (cleaned names), separator and a block reader."""

    def __init__(
        self,
        path: Path,
        columns: list[str],
        raw_columns: list[str],
        sep: str | None,
        header: bool,
        size: int,
        parquet: bool,
        cr_only: bool = False,
    ):
        self.path = path
        self.cr_only = cr_only  # old Mac line ends (\r alone): read as \n, as the training reader does
        self.columns = columns  # cleaned names, as the model knows them
        self.raw_columns = raw_columns
        self.sep = sep
        self.header = header
        self.size = size
        self.parquet = parquet

    @property
    def name(self) -> str:
        return str(self.path)

    def blocks(self, columns: list[str] | None, chunk_rows: int = 100_000) -> Iterator[Block]:
        if self.parquet:
            yield from self._parquet_blocks(columns, chunk_rows)
        else:
            yield from self._csv_blocks(chunk_rows)

    def _parquet_blocks(self, columns, chunk_rows) -> Iterator[Block]:
        raw_names = [self.raw_columns[self.columns.index(c)] for c in columns]
        pf = pq.ParquetFile(self.path)
        first, done = 1, 0
        per_row = self.size / max(pf.metadata.num_rows, 1)
        try:
            for i, batch in enumerate(pf.iter_batches(batch_size=chunk_rows, columns=raw_names)):
                batch = pa.RecordBatch.from_arrays(batch.columns, names=columns)
                done += batch.num_rows
                yield Block(i, first, batch=batch, end_offset=int(done * per_row))
                first += batch.num_rows
        except (pa.ArrowException, OSError) as exc:
            raise DataError(f"{self.path}: cannot read Parquet after row {first - 1} ({exc})") from None

    def _csv_blocks(self, chunk_rows) -> Iterator[Block]:
        raw = pa.OSFile(str(self.path))
        stream = pa.CompressedInputStream(raw, "gzip") if self.path.name.lower().endswith(".gz") else raw
        line, i, rest, target = 1, 0, b"", None
        header_pending = self.header
        try:
            while True:
                # The carried-over start of a record, then what is read read straight in after it: the block is
                # made once, not copied to join the two and again to cut it (a tenth of the reader's time).
                want = max(target or (1 << 16), len(rest))  # a long line: read more, not 64 kB at a time
                data = bytearray(len(rest) + want)
                data[: len(rest)] = rest
                got = stream.readinto(memoryview(data)[len(rest) :])
                if not got:
                    if rest and not header_pending:
                        yield Block(i, line, text=rest + b"\n", end_offset=self.size)
                    break
                del data[len(rest) + got :]
                if self.cr_only:
                    data = data.replace(b"\r", b"\n")
                if header_pending:
                    nl = data.find(b"\n")
                    if nl < 0:
                        self._check_line(data, line)
                        rest = bytes(data)
                        continue
                    data, header_pending, line = data[nl + 1 :], False, 2
                cut = _last_record_end(data)
                if cut < 0:
                    self._check_line(data, line)
                    rest = bytes(data)
                    continue
                rest = bytes(data[cut + 1 :])
                del data[cut + 1 :]  # a partial line off the end: no copy
                text = data
                n_lines = count_byte(text, NEWLINE)
                if target is None:  # read about chunk_rows lines at a time
                    target = max(int(len(text) / max(n_lines, 1) * chunk_rows), 1 << 12)
                yield Block(i, line, text=text, end_offset=raw.tell(), n_lines=n_lines)
                i += 1
                line += n_lines
        except (OSError, pa.ArrowException) as exc:
            msg = str(exc)
            what = "truncated or corrupt gzip file" if "compress" in msg.lower() else "cannot read"
            raise DataError(f"{self.path}: {what}, stopped after line {line - 1} ({msg})") from None
        finally:
            raw.close()

    def _check_line(self, pending: Text, line: int) -> None:
        if len(pending) > MAX_LINE_BYTES:
            raise DataError(
                f"{self.path}: line {line} is longer than {MAX_LINE_BYTES // 1024**2} MiB (a record that "
                "never ends, or not a CSV file): nothing written"
            )


def _last_record_end(data: Text) -> int:
    """Offset of the last line end outside quotes (-1: none yet)."""
    cut = data.rfind(b"\n")
    if cut < 0 or b'"' not in data:
        return cut
    odd = count_byte(data, QUOTE, cut) % 2  # quotes before it: odd means the line end is inside a quoted value
    while cut >= 0 and odd:
        before = data.rfind(b"\n", 0, cut)
        odd ^= data.count(b'"', before + 1, cut) % 2  # the parity before the previous line end
        cut = before
    return cut


NEWLINE, QUOTE = 10, 34
COUNT_STEP = 1 << 18  # bytes compared at a time: the comparison's temporary stays in cache


def count_byte(data: Text, byte: int, end: int | None = None) -> int:
    """How many times ``byte`` occurs in ``data[:end]``: numpy's vectorised comparison a cache-sized slice at a
    time, several times faster than ``bytes.count`` on the megabytes of a block (the reader's main thread does
    this for every block, so its speed bounds the workers')."""
    arr = np.frombuffer(data, dtype=np.uint8, count=len(data) if end is None else end)
    if len(arr) <= COUNT_STEP:
        return int(np.count_nonzero(arr == byte))
    scratch = np.empty(COUNT_STEP, dtype=bool)
    total = 0
    for start in range(0, len(arr), COUNT_STEP):
        piece = arr[start : start + COUNT_STEP]
        out = scratch[: len(piece)]
        np.equal(piece, byte, out=out)
        total += int(np.count_nonzero(out))
    return total


HEAD_BYTES = 65536  # what is read first to find the header (clickpred.io.dataset.head_bytes' default)
MAX_HEADER_BYTES = 64 << 20


def open_source(
    path: str | Path, sep: str | None = None, header: bool = True, known: dict[str, str] | None = None
) -> Source:
    """Check a file is readable and read its column names (cleaned as at training; ``known``: see
    :func:`clickpred.io.dataset.clean_names`)."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: file not found")
    if not os.access(path, os.R_OK):
        raise DataError(f"{path}: not readable (permission denied)")
    size = path.stat().st_size
    if size == 0:
        raise DataError(f"{path}: file is empty")
    if _suffix(path) in PARQUET_SUFFIXES:
        try:
            raw = pq.ParquetFile(path).schema_arrow.names
        except (pa.ArrowException, OSError) as exc:
            raise DataError(f"{path}: not a readable Parquet file ({exc})") from None
        names, _ = clean_names(raw, known)
        return Source(path, names, raw, None, True, size, parquet=True)
    from .dataset import check_text_log, head_bytes

    head = head_bytes(path)
    if not head.strip():
        raise DataError(f"{path}: file is empty")
    check_text_log(path, head)
    if len(head) == HEAD_BYTES and b"\n" not in head and b"\r" not in head:
        head = head_bytes(path, MAX_HEADER_BYTES)  # a header wider than the usual look (15,000 columns)
        if b"\n" not in head and b"\r" not in head and len(head) == MAX_HEADER_BYTES:
            raise DataError(f"{path}: line 1 (the header) is longer than {MAX_HEADER_BYTES >> 20} MiB")
    if sep is None:
        sep = sniff_separator(path)
    cr_only = b"\r" in head and b"\n" not in head
    if cr_only:
        head = head.replace(b"\r", b"\n")
    first = head.split(b"\n", 1)[0].rstrip(b"\r")
    try:
        first_text = first.decode("utf-8")
    except UnicodeDecodeError:
        raise DataError(f"{path}: line 1 is not UTF-8 text") from None
    fields = next(csv.reader(io.StringIO(first_text), delimiter=sep))
    raw = fields if header else [f"column_{i + 1}" for i in range(len(fields))]
    names, _ = clean_names(raw, known)
    return Source(path, names, raw, sep, header, size, parquet=False, cr_only=cr_only)


def parse_block(src: Source, block: Block, columns: list[str], types: dict | None = None) -> Parsed:
    """Parse one block into a table of ``columns`` and its rejected rows.

    CSV columns are read as text, except those given a type in ``types``
    (e.g. float64 for numeric features, which Arrow parses faster than text);
    when a typed column has a value that does not parse, the block is read
    again all as text, so that the caller can reject just the rows at fault.
    """
    if block.batch is not None:
        return Parsed(block, pa.Table.from_batches([block.batch]))
    rejects: list[Reject] = []
    text = block.text
    assert text is not None  # a CSV block (a Parquet one has its batch)
    try:
        try:
            table, invalid = _read_block(src, text, columns, types)
        except pa.ArrowInvalid as exc:
            if not types or "conversion error" not in str(exc).lower():
                raise
            table, invalid = _read_block(src, text, columns)
    except pa.ArrowInvalid as exc:
        if not _has_bad_utf8(text):
            raise DataError(
                f"{src.path}: cannot parse lines {block.first_line}+ as CSV: {str(exc).splitlines()[0]}"
            ) from None
        # Reject the lines that are not UTF-8; blank them so that line numbers stay put.
        lines = bytes(text).split(b"\n")
        for k, raw in enumerate(lines):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                rejects.append(Reject(src.name, block.first_line + k, "not UTF-8 text", raw.decode("utf-8", "replace")))
                lines[k] = b""
        text = b"\n".join(lines)
        table, invalid = _read_block(src, text, columns)
    bad_lines = [r.line for r in rejects]
    physical = None
    if invalid and has_quoted_newlines(text):
        physical = [k for k, _ in records(text)]
    elif invalid and _has_empty_lines(text):
        physical = _nonempty_lines(text)
    for number, expected, actual, raw in invalid:
        # Arrow numbers the non-empty records of the buffer, from 1.
        line = block.first_line + (physical[number - 1] if physical else number - 1)
        bad_lines.append(line)
        rejects.append(Reject(src.name, line, f"expected {expected} fields, got {actual}", raw))
    rejects.sort(key=lambda r: r.line)
    return Parsed(block, table, rejects, bad_lines)


def parse_text(src: Source, text: Text, columns: list[str]):
    """Rows of ``src``'s CSV dialect in ``text`` as a table of text columns, and the invalid rows."""
    return _read_block(src, text, columns)


def _has_bad_utf8(text: Text) -> bool:
    try:
        text.decode("utf-8")
        return False
    except UnicodeDecodeError:
        return True


def _has_empty_lines(text: Text) -> bool:
    return text.startswith((b"\n", b"\r\n")) or b"\n\n" in text or b"\n\r\n" in text


def _nonempty_lines(text: Text) -> list[int]:
    """0-based positions of the non-empty lines of a block."""
    return [k for k, line in enumerate(bytes(text).split(b"\n")) if line.rstrip(b"\r")]


def _read_block(src: Source, text: Text, columns: list[str], types: dict | None = None):
    invalid: list[tuple[int, int, int, str]] = []

    def on_invalid(row):
        invalid.append((row.number, row.expected_columns, row.actual_columns, row.text))
        return "skip"

    try:
        table = pacsv.read_csv(
            io.BytesIO(text),
            read_options=pacsv.ReadOptions(use_threads=False, block_size=len(text) + 1, column_names=src.columns),
            parse_options=pacsv.ParseOptions(delimiter=src.sep, invalid_row_handler=on_invalid),
            convert_options=pacsv.ConvertOptions(
                column_types={c: (types or {}).get(c, pa.string()) for c in columns},
                include_columns=columns,
                strings_can_be_null=True,
            ),
        )
    except pa.ArrowInvalid as exc:
        if "Empty CSV" not in str(exc):
            raise
        table = pa.table({c: pa.array([], pa.string()) for c in columns})
    return table, invalid


# ---------------------------------------------------------------- ranges


@dataclass
class Range:
    """One task's share of an input file."""

    file_index: int
    index: int  # range number within the file
    start: int  # byte offset (CSV) or row group (Parquet)
    end: int


def plan_ranges(sources: list[Source], range_bytes: int) -> list[Range]:
    """Split inputs into independent ranges: byte ranges cut at line starts (CSV), the whole file
    (gzip can't be split), one row group each (Parquet). Tasks of the Dask engines, and the units
    the training sampler seeds its random draws by, so both engines draw the same numbers."""
    ranges = []
    for i, src in enumerate(sources):
        if src.parquet:
            groups = pq.ParquetFile(src.path).metadata.num_row_groups
            ranges += [Range(i, g, g, g + 1) for g in range(max(groups, 1))]
        elif src.path.name.lower().endswith(".gz") or src.cr_only:
            ranges.append(Range(i, 0, 0, src.size))  # gzip can't be split; \r-only lines are read whole
        else:
            starts = list(range(0, src.size, range_bytes)) or [0]
            ranges += [Range(i, k, s, min(s + range_bytes, src.size)) for k, s in enumerate(starts)]
    return ranges


def read_range(src: Source, r: Range, chunk_rows: int, count_lines: bool = True) -> Iterator[Block]:
    """The lines that start inside [start, end), in blocks of about ``chunk_rows`` lines,
    numbered from line 1 of the range (``count_lines=False``: CSV blocks are not counted and
    every block says it starts at line 1; the caller numbers them)."""
    if src.parquet:
        pf = pq.ParquetFile(src.path)
        first = 1
        for i, batch in enumerate(pf.iter_batches(batch_size=chunk_rows, row_groups=[r.start])):
            batch = pa.RecordBatch.from_arrays(batch.columns, names=src.columns)
            yield Block(i, first, batch=batch)
            first += batch.num_rows
        return
    if src.path.name.lower().endswith(".gz") or src.cr_only:
        for b in src.blocks(None, chunk_rows):  # the whole (unsplittable) file, streamed
            yield Block(
                b.index,
                b.first_line - (1 if src.header else 0),
                text=b.text,
                n_lines=b.n_lines,
                end_offset=b.end_offset,
            )
        return
    with open(src.path, "rb") as fh:
        if r.start == 0:
            if src.header:
                fh.readline()
        else:
            fh.seek(r.start - 1)
            if fh.read(1) != b"\n":
                fh.readline()  # this line started in the previous range
        line, i, step = 1, 0, None
        while fh.tell() < r.end:
            text = fh.read(min(step or (1 << 16), r.end - fh.tell()))
            if not text:
                break
            if not text.endswith(b"\n"):
                text += fh.readline()  # the line that started in this range ends here
            if step is None:  # about chunk_rows lines per block, from the first 64 kB
                step = max(int(len(text) / max(text.count(b"\n"), 1) * chunk_rows), 1 << 12)
            n_lines = text.count(b"\n") if count_lines else -1
            yield Block(i, line, text=text, n_lines=n_lines, end_offset=fh.tell() - r.start)
            if count_lines:
                line += n_lines + (0 if text.endswith(b"\n") else 1)
            i += 1
