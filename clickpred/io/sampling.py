"""Streaming negative downsampling: every minority row, a seeded fraction R of the majority.

Reading an impression log larger than memory, :func:`sample_stream` keeps all
rows of every class but one (the *negative* class, the majority: views) and a
random fraction R of the negatives, plus, optionally, a random slice of every
row at natural balance to evaluate on. Memory is bounded by what is kept.

The draws are reproducible and engine-independent. The inputs are split into
ranges (:func:`clickpred.io.sources.plan_ranges`: byte ranges of a CSV file cut at
line starts, a whole gzip file, a Parquet row group); range ``(f, k)`` draws
one uniform ``u`` per row, in row order, from ``default_rng([seed, f, k])``.
A row with ``u < holdout`` is held out; any other row has ``v = (u − holdout)
/ (1 − holdout)`` uniform on [0, 1) and a negative is kept when ``v < R``. So
the local engine (ranges read in order, blocks parsed by worker threads) and
the Dask engine (one task per range, :func:`clickpred.jobs.dask_engine.sample_dask`)
keep exactly the same rows.

``--negative-rate auto`` picks R = K · minority / negatives over the whole
stream (kept negatives ≈ K × minority rows). In one pass: the sampler keeps
negatives below a threshold that starts at 1 and only falls, kept at twice the
rate estimated so far (estimates use at least 1,000 minority rows), then trims
to the final R. If the estimate ever fell below the final R (the minority
share rose late in the stream) the lowest threshold used is the rate, and the
result says so: the sample is exact at whichever rate is recorded.

Kept rows are Arrow tables of text (as read), with each row's file and line;
:func:`clickpred.io.dataset.typed_table` types them as a file of those rows would be.

Example
-------
>>> sources = [open_source(f) for f in expand_inputs(["logs/"])]  # doctest: +SKIP
>>> plan = SamplingPlan(target="event", rate=0.01, holdout=0.05)  # doctest: +SKIP
>>> sample = sample_stream(sources, sources[0].columns, plan)  # doctest: +SKIP
>>> sample.counts, sample.kept_counts  # doctest: +SKIP
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field, replace

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import ConfigError, DataError
from .engines import Threads
from .sources import (
    Range,
    Source,
    parse_block,
    parse_text,
    plan_ranges,
    read_range,
    records,
)

DEFAULT_RANGE_BYTES = 64 << 20
DEFAULT_CHUNK_ROWS = 100_000
DEFAULT_PER_POSITIVE = 10.0
AUTO_MARGIN = 2.0
AUTO_MIN_MINORITY = 1_000
FILE_COL, LINE_COL, V_COL = "__file", "__line", "__v"
_INT_FLOAT = re.compile(r"^[+-]?\d+\.0*$")


def normal_label(value: str) -> str:
    """A label as the in-memory reader ends up spelling it: trimmed, ``true``/``false`` → ``1``/``0``,
    integral floats (``1.0``) → ``1``."""
    s = value.strip()
    low = s.lower()
    if low in ("true", "false"):
        return "1" if low == "true" else "0"
    if _INT_FLOAT.match(s):
        return str(int(float(s)))
    return s


def parse_rate(text: str | float | None) -> float | None:
    """``--negative-rate``: a number in (0, 1], or ``auto`` (returned as None)."""
    if text is None:
        return None
    if isinstance(text, str) and text.strip().lower() == "auto":
        return None
    try:
        rate = float(text)
    except (TypeError, ValueError):
        raise ConfigError(f"--negative-rate {text}: expected a number in (0, 1] or 'auto'") from None
    if not 0 < rate <= 1:
        raise ConfigError(f"--negative-rate {text}: must be in (0, 1] (1 keeps every row)")
    return rate


@dataclass
class SamplingPlan:
    """What to keep: the label column, the negative class, R (None: auto, K per minority row), holdout."""

    target: str
    rate: float | None = None
    negative_class: str | None = None  # default: the most frequent class of the first block
    per_positive: float = DEFAULT_PER_POSITIVE
    holdout: float = 0.0
    seed: int = 0

    def __post_init__(self):
        if self.rate is not None and not 0 < self.rate <= 1:
            raise ConfigError(f"--negative-rate {self.rate}: must be in (0, 1] (1 keeps every row)")
        if not 0 <= self.holdout < 1:
            raise ConfigError(f"--holdout {self.holdout}: must be in [0, 1)")
        if not self.per_positive > 0:
            raise ConfigError(f"--negatives-per-positive {self.per_positive}: must be > 0")


@dataclass
class Labelled:
    """One block with its labels parsed: normalised labels and lines (within the range) of its rows.

    Only the label column is converted; the other columns of the few rows that are kept or held out
    are parsed later, by :meth:`rows`.
    """

    codes: np.ndarray  # index into ``values`` per row
    values: list[str]
    lines: np.ndarray
    n_lines: int
    error: tuple[int, str] | None = None  # (line within the range, what is wrong): training needs every row
    table: pa.Table | None = None  # Parquet: the batch, typed
    text: bytes | None = None  # CSV: the block's text …
    starts: np.ndarray | None = None  # … and where each row's line starts and ends in it
    ends: np.ndarray | None = None

    def rows(self, src: Source, idx: np.ndarray, columns: list[str]) -> pa.Table:
        """These rows, every column as text (as a CSV file holds them)."""
        if self.table is not None:
            t = self.table.take(pa.array(idx))
            return pa.table(
                {
                    c: (col if pa.types.is_string(col.type) else pc.cast(col, pa.string()))
                    for c, col in zip(t.column_names, t.columns)
                }
            )
        text, starts, ends = self.text, self.starts, self.ends
        assert text is not None and starts is not None and ends is not None  # a CSV part
        picked = b"\n".join([text[s:e] for s, e in zip(starts[idx].tolist(), ends[idx].tolist())]) + b"\n"
        table, invalid = parse_text(src, picked, columns)
        if invalid or table.num_rows != len(idx):  # pragma: no cover - the label pass checked every row's fields
            raise DataError(f"{src.path}: lines {self.lines[idx[0]]}+ parsed differently the second time")
        return table


def _line_bounds(text: bytes, first_line: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Start and end offsets and line numbers of the non-empty lines of a block, and its line count."""
    arr = np.frombuffer(text, dtype=np.uint8)
    nl = np.flatnonzero(arr == 10)
    starts = np.concatenate([[0], nl + 1])
    ends = np.concatenate([nl, [len(text)]])
    if len(text) and text.endswith(b"\n"):
        starts, ends = starts[:-1], ends[:-1]
    n_lines = len(starts)
    length = ends - starts
    cr = length > 0
    cr[cr] = arr[ends[cr] - 1] == 13  # a line ending "\r\n": drop the "\r"
    ends = ends - cr
    keep = ends > starts
    numbers = first_line + np.flatnonzero(keep)
    return starts[keep], ends[keep], numbers.astype(np.int64), n_lines


def parse_labelled(src: Source, block, columns: list[str], target: str) -> Labelled:
    """Parse a block's labels (every row's fields counted); note the first row that can't be read or has
    no label. Lines are numbered within the block, from 1."""
    block = replace(block, first_line=1)
    if block.batch is not None:  # Parquet
        parsed = parse_block(src, block, columns)
        table = parsed.table
        lines = 1 + np.arange(table.num_rows, dtype=np.int64)
        return _labelled(table.column(target), lines, table.num_rows, target, table=table)
    parsed = parse_block(src, block, [target])
    if parsed.rejects:
        r = parsed.rejects[0]
        return Labelled(
            np.zeros(0, np.int64),
            [],
            np.zeros(0, np.int64),
            0,
            (r.line, f"{r.reason} — training needs every row readable ({len(parsed.rejects)} such row(s) near it)"),
        )
    starts, ends, lines, n_lines = _line_bounds(block.text, 1)
    if len(lines) != parsed.table.num_rows:  # a quoted line break: one record over several lines
        spanning = next((k for k, rec in records(block.text) if b"\n" in rec), 0)
        return Labelled(
            np.zeros(0, np.int64),
            [],
            np.zeros(0, np.int64),
            0,
            (
                spanning + 1,
                "a quoted value spans lines: streaming training (--negative-rate) reads ranges "
                "of lines, one record per line; train on the file without --negative-rate, or "
                "remove the line breaks inside quoted values",
            ),
        )
    return _labelled(parsed.table.column(target), lines, n_lines, target, text=block.text, starts=starts, ends=ends)


def _labelled(col, lines: np.ndarray, n_lines: int, target: str, **where) -> Labelled:
    error = None
    if col.null_count:
        first = int(np.flatnonzero(col.is_null().to_numpy(zero_copy_only=False))[0])
        error = (int(lines[first]), f"target column '{target}' is empty")
        col = col.fill_null("")
    if not pa.types.is_string(col.type):
        col = pc.cast(col, pa.string())
    enc = pc.dictionary_encode(col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col)
    values = [normal_label(v) for v in enc.dictionary.to_pylist()]
    codes = enc.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    return Labelled(codes, values, lines, n_lines, error, **where)


@dataclass
class RangeSample:
    """What one range gave: kept and held-out rows (text, with in-range lines) and class counts."""

    file_index: int
    index: int
    kept: list[pa.Table] = field(default_factory=list)
    holdout: list[pa.Table] = field(default_factory=list)
    counts: dict = field(default_factory=dict)  # rows per class outside the holdout
    holdout_counts: dict = field(default_factory=dict)
    rows: int = 0
    lines: int = 0
    error: tuple[int, str] | None = None  # the first unreadable row (line within the range)


class RangeSampler:
    """Draws, holds out and keeps, block by block, for one range (blocks must come in order)."""

    def __init__(
        self, plan: SamplingPlan, negative: str, r: Range, src: Source, columns: list[str], collect: bool = True
    ):
        self.plan, self.negative, self.collect = plan, negative, collect  # collect=False: count only
        self.src, self.columns = src, columns
        self.rng = np.random.default_rng([plan.seed, r.file_index, r.index])
        self.out = RangeSample(r.file_index, r.index)

    def take(self, lab: Labelled, threshold: float) -> None:
        out, h = self.out, self.plan.holdout
        if out.error is not None:
            return
        if lab.error is not None:
            out.error = (lab.error[0] + out.lines, lab.error[1])
            return
        n = len(lab.codes)
        u = self.rng.random(n)
        neg_codes = [k for k, v in enumerate(lab.values) if v == self.negative]
        is_neg = np.isin(lab.codes, neg_codes)
        held = u < h
        v = (u - h) / (1 - h)
        keep = ~held & (~is_neg | (v < threshold))
        labels = np.asarray(lab.values, dtype=object)
        rest = ~held
        for counts, mask in ((out.counts, rest), (out.holdout_counts, held)):
            for k, c in enumerate(np.bincount(lab.codes[mask], minlength=len(lab.values))):
                if c:
                    counts[labels[k]] = counts.get(labels[k], 0) + int(c)
        if self.collect and keep.any():
            out.kept.append(self._rows(lab, keep, v))
        if self.collect and held.any():
            out.holdout.append(self._rows(lab, held, None))
        out.rows += n
        out.lines += lab.n_lines

    def _rows(self, lab: Labelled, mask: np.ndarray, v: np.ndarray | None) -> pa.Table:
        idx = np.flatnonzero(mask)
        t = lab.rows(self.src, idx, self.columns)
        target = self.plan.target
        labels = pa.DictionaryArray.from_arrays(pa.array(lab.codes[idx], pa.int32()), pa.array(lab.values, pa.string()))
        t = t.set_column(t.column_names.index(target), target, labels.cast(pa.string()))
        t = t.append_column(FILE_COL, pa.array(np.full(len(idx), self.out.file_index, np.int32)))
        t = t.append_column(LINE_COL, pa.array(lab.lines[idx] + self.out.lines))
        if v is not None:
            t = t.append_column(V_COL, pa.array(v[idx]))
        return t


@dataclass
class Sample:
    """The kept rows, the held-out rows, and what was read."""

    kept: pa.Table | None  # text columns + __file, __line (file lines); None only on the way to an error
    holdout: pa.Table | None
    target: str
    negative: str
    rate: float
    holdout_fraction: float
    counts: dict  # rows per class read outside the holdout
    holdout_counts: dict
    rows: int
    seconds: float
    bytes: int
    engine: str = "local"
    auto: dict | None = None  # auto: K, the rate the counts asked for, the lowest threshold used
    ranges: int = 0
    range_bytes: int = DEFAULT_RANGE_BYTES

    @property
    def read_counts(self) -> dict:
        """Rows per class read, held out or not."""
        out = dict(self.counts)
        for k, c in self.holdout_counts.items():
            out[k] = out.get(k, 0) + c
        return out

    @property
    def kept_counts(self) -> dict:
        assert self.kept is not None
        values, n = np.unique(
            self.kept.column(self.target).to_numpy(zero_copy_only=False).astype(str), return_counts=True
        )
        return {str(v): int(c) for v, c in zip(values, n)}

    def to_dict(self) -> dict:
        return {
            "engine": self.engine,
            "negative_class": self.negative,
            "negative_rate": self.rate,
            "auto": self.auto,
            "holdout_fraction": self.holdout_fraction,
            "rows_read": self.rows,
            "bytes_read": self.bytes,
            "read_seconds": self.seconds,
            "rows_per_second": self.rows / self.seconds if self.seconds > 0 else None,
            "counts": dict(self.counts),
            "read_counts": self.read_counts,
            "kept_counts": self.kept_counts,
            "holdout_counts": dict(self.holdout_counts),
            "ranges": self.ranges,
            "range_bytes": self.range_bytes,
        }


def first_negative(src: Source, columns: list[str], target: str, chunk_rows: int) -> str:
    """The most frequent class of the stream's first block: the default negative class."""
    r = plan_ranges([src], DEFAULT_RANGE_BYTES)[0]
    for block in read_range(src, r, chunk_rows, count_lines=False):
        lab = parse_labelled(src, block, [target], target)
        if len(lab.codes):
            counts: dict[str, int] = {}
            for k, c in enumerate(np.bincount(lab.codes, minlength=len(lab.values))):
                counts[lab.values[k]] = counts.get(lab.values[k], 0) + int(c)
            return max(sorted(counts), key=lambda v: counts[v])
    raise DataError(f"{src.path}: no data rows")


def estimate_rows(sources: list[Source], sample_bytes: int = 1 << 18) -> int:
    """Rows in the inputs, estimated before reading them: Parquet metadata, else lines per byte of
    the first 256 kB (of compressed bytes, for gzip) times the file size."""
    import zlib

    import pyarrow.parquet as pq

    total = 0.0
    for src in sources:
        if src.parquet:
            total += pq.ParquetFile(src.path).metadata.num_rows
            continue
        with open(src.path, "rb") as fh:
            head = fh.read(sample_bytes)
        if src.path.name.lower().endswith(".gz"):
            try:
                text = zlib.decompressobj(wbits=31).decompress(head)
            except zlib.error:
                text = b""
        else:
            text = head
        if head:
            total += src.size * text.count(b"\n") / len(head)
    return int(total)


def auto_rate(counts: dict, negative: str, per_positive: float) -> float:
    """R = K · minority / negatives (at most 1)."""
    n = counts.get(negative, 0)
    m = sum(c for k, c in counts.items() if k != negative)
    return 1.0 if n == 0 else min(1.0, per_positive * m / n)


def _threshold(counts: dict, negative: str, per_positive: float, current: float) -> float:
    n = counts.get(negative, 0)
    m = sum(c for k, c in counts.items() if k != negative)
    if n == 0:
        return current
    return min(current, AUTO_MARGIN * per_positive * max(m, AUTO_MIN_MINORITY) / n)


def line_offsets(parts: list[RangeSample], sources: list[Source]) -> dict:
    """(file, range) → what to add to an in-range line to get the file's line (or Parquet row)."""
    first_line = {i: (2 if s.header and not s.parquet else 1) for i, s in enumerate(sources)}
    out = {}
    for p in sorted(parts, key=lambda p: (p.file_index, p.index)):
        out[(p.file_index, p.index)] = first_line[p.file_index] - 1
        first_line[p.file_index] += p.lines
    return out


def raise_error(p: RangeSample, src: Source, offset: int) -> None:
    if p.error is not None:
        line, what = p.error
        raise DataError(f"{src.path}: {'row' if src.parquet else 'line'} {line + offset}: {what}")


def merge(
    parts: list[RangeSample], sources: list[Source], plan: SamplingPlan, negative: str, rate: float
) -> tuple[pa.Table | None, pa.Table | None]:
    """Join range samples in order, lines made file lines, kept negatives trimmed to ``rate``."""
    parts = sorted(parts, key=lambda p: (p.file_index, p.index))
    offsets = line_offsets(parts, sources)
    kept: list = []
    held: list = []
    for p in parts:
        offset = offsets[(p.file_index, p.index)]
        raise_error(p, sources[p.file_index], offset)
        for tables, out in ((p.kept, kept), (p.holdout, held)):
            for t in tables:
                i = t.column_names.index(LINE_COL)
                out.append(t.set_column(i, LINE_COL, pc.add(t.column(LINE_COL), offset)))
    kept_t = _concat(kept)
    if kept_t is not None and kept_t.num_rows:
        is_neg = pc.equal(kept_t.column(plan.target), negative)
        keep = pc.or_(pc.invert(is_neg), pc.less(kept_t.column(V_COL), rate))
        kept_t = kept_t.filter(keep)
    if kept_t is not None:
        kept_t = kept_t.drop_columns([V_COL])
    return kept_t, _concat(held)


def _concat(tables: list[pa.Table]) -> pa.Table | None:
    if not tables:
        return None
    return pa.concat_tables(tables, promote_options="permissive")


def check_sources(sources: list[Source]) -> None:
    """Every input must have the first one's columns."""
    first = sources[0]
    for src in sources[1:]:
        if set(src.columns) != set(first.columns):
            missing = [c for c in first.columns if c not in src.columns]
            extra = [c for c in src.columns if c not in first.columns]
            what = "; ".join(
                x
                for x in (
                    f"missing {', '.join(missing)}" if missing else "",
                    f"extra {', '.join(extra)}" if extra else "",
                )
                if x
            )
            raise DataError(
                f"{src.path}: columns differ from {first.path} ({what}): every input of one training run"
                " needs the same header"
            )


def sample_stream(
    sources: list[Source],
    columns: list[str],
    plan: SamplingPlan,
    jobs: int = 2,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    range_bytes: int = DEFAULT_RANGE_BYTES,
    progress=None,
) -> Sample:
    """Read every range in order (blocks parsed by ``jobs`` threads) and sample it; see the module docstring."""
    t0 = time.perf_counter()
    check_sources(sources)
    negative = plan.negative_class or first_negative(sources[0], columns, plan.target, chunk_rows)
    ranges = plan_ranges(sources, range_bytes)
    threshold = 1.0 if plan.rate is None else plan.rate
    lowest = threshold
    counts: dict = {}
    parts = []
    total = sum(s.size for s in sources)
    weight = range_weights(ranges, sources)
    first_line = {i: (2 if s.header and not s.parquet else 1) for i, s in enumerate(sources)}
    done_bytes = rows = 0
    with Threads(jobs, "clickpred-sample") as engine:
        for r in ranges:
            src = sources[r.file_index]
            here = weight[(r.file_index, r.index)]
            sampler = RangeSampler(plan, negative, r, src, columns)
            blocks = read_range(src, r, chunk_rows, count_lines=False)
            for block, lab in engine.map(lambda b, src=src: parse_labelled(src, b, columns, plan.target), blocks):
                sampler.take(lab, threshold)
                rows += len(lab.codes)
                if progress is not None and block.end_offset:  # within a range: bytes consumed so far
                    progress(min(int(done_bytes + min(block.end_offset, here)), total), total, rows)
                if plan.rate is None:  # the rows outside the holdout so far, as auto_rate counts them
                    seen = dict(counts)
                    for k, c in sampler.out.counts.items():
                        seen[k] = seen.get(k, 0) + c
                    threshold = _threshold(seen, negative, plan.per_positive, threshold)
                    lowest = min(lowest, threshold)
                if sampler.out.error is not None:
                    break  # the rest of the range is not needed: the error is raised below
            raise_error(sampler.out, src, first_line[r.file_index] - 1)
            first_line[r.file_index] += sampler.out.lines
            parts.append(sampler.out)
            for k, c in sampler.out.counts.items():
                counts[k] = counts.get(k, 0) + c
            done_bytes += weight[(r.file_index, r.index)]
            if progress is not None:
                progress(min(int(done_bytes), total), total, rows)
    return finish_sample(parts, sources, plan, negative, lowest, time.perf_counter() - t0, "local", range_bytes)


def sample_range(
    src: Source,
    r: Range,
    columns: list[str],
    plan: SamplingPlan,
    negative: str,
    threshold: float,
    chunk_rows: int,
    collect: bool = True,
) -> RangeSample:
    """One range on its own (a Dask task): read, parse, draw, keep. ``collect=False`` only counts
    (and reads only the label column)."""
    cols = columns if collect else [plan.target]
    sampler = RangeSampler(plan, negative, r, src, cols, collect)
    for block in read_range(src, r, chunk_rows, count_lines=False):
        sampler.take(parse_labelled(src, block, cols, plan.target), threshold)
        if sampler.out.error is not None:
            break
    return sampler.out


def range_weights(ranges: list[Range], sources: list[Source]) -> dict:
    """Bytes of input each range stands for (for progress bars)."""
    per_file: dict[int, int] = {}
    for r in ranges:
        per_file[r.file_index] = per_file.get(r.file_index, 0) + 1
    return {
        (r.file_index, r.index): (
            sources[r.file_index].size / per_file[r.file_index] if sources[r.file_index].parquet else r.end - r.start
        )
        for r in ranges
    }


def finish_sample(
    parts: list[RangeSample],
    sources: list[Source],
    plan: SamplingPlan,
    negative: str,
    lowest: float,
    seconds: float,
    engine: str,
    range_bytes: int,
) -> Sample:
    """The rate (fixed, or auto from the whole stream's counts), the merged sample, and checks."""
    counts: dict = {}
    for p in parts:
        for k, c in p.counts.items():
            counts[k] = counts.get(k, 0) + c
    auto = None
    if plan.rate is None:
        wanted = auto_rate(counts, negative, plan.per_positive)
        rate = min(wanted, lowest)
        auto = {
            "per_positive": plan.per_positive,
            "wanted": wanted,
            "lowest_threshold": lowest,
            "short": bool(rate < wanted),
        }
    else:
        rate = plan.rate
    kept, held = merge(parts, sources, plan, negative, rate)
    holdout_counts: dict = {}
    for p in parts:
        for k, c in p.holdout_counts.items():
            holdout_counts[k] = holdout_counts.get(k, 0) + c
    rows = sum(p.rows for p in parts)
    where = sources[0].path if len(sources) == 1 else f"{len(sources)} inputs"
    if rows == 0:
        raise DataError(f"{where}: no data rows")
    sample = Sample(
        kept,
        held,
        plan.target,
        negative,
        rate,
        plan.holdout,
        counts,
        holdout_counts,
        rows,
        seconds,
        sum(s.size for s in sources),
        engine,
        auto,
        len(parts),
        range_bytes,
    )
    seen = sample.read_counts
    if negative not in seen:
        raise DataError(f"--negative-class {negative}: no such class in {where}; classes: {', '.join(sorted(seen))}")
    if len(seen) < 2:
        raise DataError(f"{where}: only class '{negative}' in {rows:,} rows: nothing to learn (no minority rows)")
    if kept is None:
        raise DataError(
            f"{where}: no row was kept for training (every minority row fell in the --holdout"
            f" {plan.holdout:g} slice): lower --holdout"
        )
    return sample
