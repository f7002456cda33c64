"""From a parsed chunk (an Arrow table) to model inputs, rejecting rows with unusable values.

Categories become the canonical strings the model learned (:mod:`clickpred.io.cast`),
numbers become float64 and timestamps Arrow timestamps. Missing values are
fine: every pipeline imputes them. A value that is present but can't be read
as the column's type (``"abc"`` in a numeric column, an unparseable
timestamp) rejects its row, with the column and value as the reason. Unseen
categories are not errors: the encoders score them as "unknown".

Example
-------
>>> import pyarrow as pa
>>> from clickpred.io.schema import Schema, Column
>>> s = Schema("y", ["0", "1"], [Column("a", "numeric", 10, 0, dtype="float")])
>>> inputs, bad = to_inputs(pa.table({"a": ["1.5", "x", None]}), s)
>>> inputs.n, bad
(2, {1: "column 'a': not a number: 'x'"})
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa

from ..errors import DataError
from .cast import category_codes, dates_without_time, finite, numbers, timestamp_type, timestamps, unusable_type
from .crosses import cross_codes
from .schema import Schema


@dataclass
class Inputs:
    """One chunk of model inputs, column by column."""

    n: int
    codes: dict  # categorical/ID column -> (int codes, -1 = missing; Arrow array of canonical strings)
    numbers: dict  # numeric column -> float64 (NaN = missing)
    times: dict  # timestamp column -> Arrow timestamp array (null = missing)
    replaced: int = 0  # numbers infinite or out of range, read as missing (cast.finite)
    dates_only: dict = field(default_factory=dict)  # timestamp column -> values that were dates alone (midnight)

    def frame(self, schema: Schema, columns: list[str] | None = None) -> pd.DataFrame:
        """The chunk as ``data.prepare_frame`` gives it to the pipeline at training time (``columns``: only these)."""
        out = {}
        for c in schema.features:
            if columns is not None and c.name not in columns:
                continue
            if c.kind in ("categorical", "id"):
                codes, canon = self.codes[c.name]
                values = np.array(canon.to_pylist() + [None], dtype=object)
                out[c.name] = values[codes]
            elif c.kind == "numeric":
                out[c.name] = self.numbers[c.name]
            else:
                out[c.name] = pd.Series(self.times[c.name].to_pandas()).reset_index(drop=True)
        frame = pd.DataFrame(out)
        return frame if columns is None else frame[list(columns)]

    def take(self, rows: np.ndarray) -> "Inputs":
        """The inputs of these rows only."""
        return Inputs(
            len(rows),
            {k: (codes[rows], canon) for k, (codes, canon) in self.codes.items()},
            {k: v[rows] for k, v in self.numbers.items()},
            {k: v.take(pa.array(rows)) for k, v in self.times.items()},
        )


_UNSEEN = "\x01never-seen"  # a category no training data holds


def sample_inputs(schema: Schema, n: int, categories: dict | None = None) -> Inputs:
    """``n`` random rows of this schema, seeded, for checking that a model scores its own schema: category codes
    mixing known (``categories``, column -> values; "0" for a column not given), missing and unseen values;
    numbers with a tenth missing; timestamps over a month with a tenth missing. A cross column not given in
    ``categories`` is derived from its pair, as :func:`to_inputs` derives it."""
    rng = np.random.default_rng(0)
    categories = categories or {}
    codes, nums, times = {}, {}, {}
    for c in schema.features:
        if c.kind in ("categorical", "id"):
            if c.of and c.name not in categories:
                continue
            canon = list(categories.get(c.name, ["0"])) + [_UNSEEN]
            codes[c.name] = (rng.integers(-1, len(canon), n), pa.array(canon, type=pa.string()))
        elif c.kind == "numeric":
            x = rng.normal(0, 10, n)
            x[rng.random(n) < 0.1] = np.nan
            nums[c.name] = x
        else:
            tz = timestamp_type(c.dtype).tz
            s = pd.Series(pd.Timestamp("2025-03-01", tz=tz) + pd.to_timedelta(rng.integers(0, 86400 * 30, n), unit="s"))
            s[rng.random(n) < 0.1] = pd.NaT
            times[c.name] = pa.Array.from_pandas(s).cast(timestamp_type(c.dtype))
    for c in schema.features:
        if c.of and c.name not in codes:
            pair, names = cross_codes(codes[c.of[0]], codes[c.of[1]])
            codes[c.name] = (pair, pa.array(names, type=pa.string()))
    return Inputs(n, codes, nums, times)


def _shown(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "…'"


def to_inputs(table: pa.Table, schema: Schema) -> tuple[Inputs, dict[int, str]]:
    """Model inputs for the usable rows of ``table`` and {row: reason} for the others."""
    n = table.num_rows
    codes: dict[str, tuple] = {}
    nums: dict[str, np.ndarray] = {}
    times: dict[str, pa.Array] = {}
    bad = np.zeros(n, dtype=bool)
    reasons: dict[int, str] = {}
    replaced = 0
    dates_only: dict[str, int] = {}
    for c in schema.features:
        if c.of:  # a cross: from its two columns' codes (listed before it)
            pair, names = cross_codes(codes[c.of[0]], codes[c.of[1]])
            codes[c.name] = (pair, pa.array(names, type=pa.string()))
            continue
        col = table.column(c.name)
        if unusable_type(col.type):
            raise DataError(f"column '{c.name}' holds {col.type} values: clickpred reads numbers, text and timestamps")
        if c.kind in ("categorical", "id"):
            codes[c.name] = category_codes(col, c.dtype)
            continue
        if c.kind == "numeric":
            values, wrong = numbers(col)
            values, n_replaced = finite(values)
            replaced += n_replaced
            nums[c.name] = values
            what = "not a number"
        else:
            try:
                values, wrong = timestamps(col, c.dtype)
            except TypeError as exc:
                raise DataError(f"column '{c.name}' {exc}") from None
            times[c.name] = values
            if c.times_of_day:
                dates_only[c.name] = dates_without_time(values)
            what = "not a timestamp"
        if wrong.any():
            for i in np.flatnonzero(wrong & ~bad):
                reasons[int(i)] = f"column '{c.name}': {what}: {_shown(col[int(i)].as_py())}"
            bad |= wrong
    inputs = Inputs(n, codes, nums, times)
    if bad.any():
        inputs = inputs.take(np.flatnonzero(~bad))
    inputs.replaced = replaced
    inputs.dates_only = {k: v for k, v in dates_only.items() if v}
    return inputs, reasons
