"""How raw values become model inputs — one set of rules for training and scoring.

A model learns categories as strings. The same category must become the same
string whether it came from a CSV column that Arrow typed as integers at
training time, from the same column read as text while scoring, or from a
Parquet file: ``4``, ``"4"`` and ``4.0`` in an integer column are all ``"4"``;
``true``/``True`` in a boolean column are both ``"true"``. Each feature column
records the type it had when the model was trained (:func:`dtype_of`) and the
values are made canonical by that type (:func:`canonical`).

At scoring time values arrive as Arrow arrays (text for CSV, native types for
Parquet). :func:`category_codes`, :func:`numbers` and :func:`timestamps` turn
them into model inputs and say which rows can't be used, and why.

Example
-------
>>> canonical(4.0, "float"), canonical("4", "int"), canonical("True", "bool")
('4', '4', 'true')
>>> canonical(" 0.5", "float"), canonical("web", "string")
('0.5', 'web')
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

DTYPES = ("bool", "int", "float", "string", "datetime")
MAX_MAGNITUDE = 1e100  # numbers beyond ±this (and ±inf) are read as missing, at training and scoring alike


def finite(values: np.ndarray) -> tuple[np.ndarray, int]:
    """Numbers as a model can use them: ±inf, overflowed values (1e309) and magnitudes beyond
    :data:`MAX_MAGNITUDE` become missing (NaN), and are then imputed like any missing value.
    Returns the values and how many were replaced."""
    values = np.asarray(values, dtype=float)
    with np.errstate(invalid="ignore"):
        out_of_range = ~np.isnan(values) & ~(np.abs(values) <= MAX_MAGNITUDE)
    n = int(out_of_range.sum())
    if n:
        values = np.where(out_of_range, np.nan, values)
    return values, n


def dtype_of(s: pd.Series) -> str:
    """The type family of a training column: bool, int, float, string or datetime[:tz]."""
    if pd.api.types.is_datetime64_any_dtype(s):
        tz = getattr(s.dt, "tz", None)
        return f"datetime:{tz}" if tz is not None else "datetime"
    if pd.api.types.is_bool_dtype(s):
        return "bool"
    if pd.api.types.is_integer_dtype(s):
        return "int"
    if pd.api.types.is_float_dtype(s):
        return "float"
    values = s.dropna()
    if len(values) and all(isinstance(v, (bool, np.bool_)) for v in values.iloc[:1000]):
        return "bool"  # booleans with missing values
    return "string"


def canonical(value, dtype: str) -> str | None:
    """The category string for one raw value of a column of this type (None when missing)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if dtype == "bool":
        if isinstance(value, (bool, np.bool_)):
            return "true" if value else "false"
        return str(value).strip().lower()
    if dtype in ("int", "float"):
        if isinstance(value, (bool, np.bool_)):
            return str(int(value))
        if isinstance(value, (int, np.integer)):
            return str(int(value))
        text = value if isinstance(value, str) else None
        if dtype == "int" and text is not None:
            try:
                return str(int(text.strip()))
            except ValueError:
                pass
        try:
            f = float(value)
        except (TypeError, ValueError):
            return str(value)  # not a number: a category of its own (unseen at training)
        if math.isnan(f):
            return None
        if math.isfinite(f) and f == int(f):
            return str(int(f))
        return repr(f)
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    return str(value)


def category_series(s: pd.Series, dtype: str) -> pd.Series:
    """Canonical category strings (object dtype, None for missing) for a training column."""
    uniques = pd.unique(s.dropna())
    table = {v: canonical(v, dtype) for v in uniques}
    out = s.map(table)
    return out.astype(object).where(out.notna(), None)


# ---------------------------------------------------------------- Arrow inputs (scoring)


def unusable_type(t: pa.DataType) -> bool:
    """Arrow types no feature can be made of: nested values (lists, structs, maps) and raw bytes."""
    return (
        pa.types.is_nested(t)
        or pa.types.is_binary(t)
        or pa.types.is_large_binary(t)
        or pa.types.is_fixed_size_binary(t)
    )


def _as_array(arr) -> pa.Array:
    if isinstance(arr, pa.ChunkedArray):
        return arr.combine_chunks() if arr.num_chunks != 1 else arr.chunk(0)
    return arr


def category_codes(arr, dtype: str) -> tuple[np.ndarray, pa.Array]:
    """Integer codes (-1: missing) into an Arrow array of distinct canonical strings.

    Works on the distinct values of the chunk: text columns need no Python at
    all, other types one :func:`canonical` call per distinct value.
    """
    arr = _as_array(arr)
    enc = arr if pa.types.is_dictionary(arr.type) else pc.dictionary_encode(arr)
    codes = enc.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64, copy=False)
    dictionary = enc.dictionary
    if dtype == "string" and (pa.types.is_string(dictionary.type) or pa.types.is_large_string(dictionary.type)):
        return codes, dictionary
    canon = [canonical(v, dtype) for v in dictionary.to_pylist()]
    if any(c is None for c in canon):  # e.g. "nan" text in a float column means missing
        lookup = np.array([-1 if c is None else i for i, c in enumerate(canon)] + [-1], dtype=np.int64)
        codes = lookup[codes]
    return codes, pa.array(canon, type=pa.string())


def numbers(arr) -> tuple[np.ndarray, np.ndarray]:
    """float64 values (NaN for missing) and a mask of rows whose text is not a number."""
    arr = _as_array(arr)
    if pa.types.is_floating(arr.type) or pa.types.is_integer(arr.type) or pa.types.is_boolean(arr.type):
        values = pc.cast(arr, pa.float64()).to_numpy(zero_copy_only=False)
        return np.asarray(values, dtype=float), np.zeros(len(arr), dtype=bool)
    try:
        values = pc.cast(arr, pa.float64()).fill_null(np.nan).to_numpy(zero_copy_only=False)
        return np.asarray(values, dtype=float), np.zeros(len(arr), dtype=bool)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    text = pd.Series(arr.to_pandas(), dtype=object)
    values = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float)
    bad = np.isnan(values) & text.notna().to_numpy()
    if bad.any():  # spelled-out NaN/inf are numbers
        bad &= ~text.str.strip().str.lower().isin(["nan", "inf", "-inf", "+inf", "infinity", "-infinity"]).to_numpy()
    return values, bad


def _timestamp_type(dtype: str) -> pa.DataType:
    tz = dtype.split(":", 1)[1] if ":" in dtype else None
    return pa.timestamp("ns", tz=tz)


def timestamp_type(dtype: str) -> pa.DataType:
    """The Arrow type a timestamp column of this training type is read as."""
    return _timestamp_type(dtype)


def dates_without_time(values: pa.Array) -> int:
    """How many of a chunk's timestamps (as :func:`timestamps` returns them) look like dates alone: the values at
    exactly midnight, counted when they are most of the chunk's values (a date type, or ``YYYY-MM-DD`` text, reads
    as midnight; real times fall there once a day). A model that learnt times of day scores them as hour 0."""
    values = _as_array(values)
    present = len(values) - values.null_count
    if not present:
        return 0
    wall = pc.local_timestamp(values) if values.type.tz is not None else values
    midnight = int(pc.sum(pc.equal(wall, pc.floor_temporal(wall, unit="day"))).as_py() or 0)
    return midnight if 2 * midnight > present else 0


def timestamps(arr, dtype: str) -> tuple[pa.Array, np.ndarray]:
    """An Arrow timestamp array (null for missing) and a mask of unparseable rows."""
    arr = _as_array(arr)
    target = _timestamp_type(dtype)
    n = len(arr)
    if pa.types.is_timestamp(arr.type) and arr.type.tz is not None and target.tz is None:
        # trained on wall-clock times as written: the clock of this column's own zone, not UTC
        arr = pc.local_timestamp(arr)
    elif pa.types.is_timestamp(arr.type) and arr.type.tz is None and target.tz is not None:
        arr = pc.assume_timezone(arr, target.tz)  # written in the training file's zone
    if pa.types.is_timestamp(arr.type) or pa.types.is_date(arr.type):
        values = pc.cast(arr, target) if arr.type != target else arr
        return values, np.zeros(n, dtype=bool)
    if not (
        pa.types.is_string(arr.type)
        or pa.types.is_large_string(arr.type)
        or pa.types.is_dictionary(arr.type)
        or pa.types.is_null(arr.type)
    ):
        raise TypeError(
            f"holds {arr.type} values, but the model learnt it as timestamps: write it as a timestamp "
            "type or as ISO 8601 text (numbers have no unit or zone to go by)"
        )
    enc = arr if pa.types.is_dictionary(arr.type) else pc.dictionary_encode(arr)
    dictionary = enc.dictionary
    try:
        parsed = pc.cast(dictionary, target)
        bad_values = np.zeros(len(dictionary), dtype=bool)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        items, bad_list = [], []
        for v in dictionary.to_pylist():
            try:
                items.append(pc.cast(pa.array([v]), target)[0].as_py())
                bad_list.append(False)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                items.append(None)
                bad_list.append(True)
        parsed = pa.array(items, type=target)
        bad_values = np.array(bad_list, dtype=bool)
    values = pc.take(parsed, enc.indices)  # null index -> null
    codes = enc.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64, copy=False)
    bad = np.where(codes < 0, False, bad_values[np.maximum(codes, 0)]) if len(parsed) else np.zeros(n, dtype=bool)
    return values, bad
