"""Reading impression logs (CSV, .csv.gz, Parquet), schema inference and validation.

Errors are raised here, where the file is first read, and name the file, the
column and the line at fault.

Example
-------
>>> ds = load_dataset("data/impressions_sample.csv.gz")  # doctest: +SKIP
>>> ds.schema.classes  # doctest: +SKIP
['view', 'click', 'conversion']
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ..errors import DataError
from .cast import MAX_MAGNITUDE, category_series, dtype_of, finite
from .schema import Column, Schema

if TYPE_CHECKING:
    from .chunks import Inputs

TARGET_NAMES = ("event", "label", "click", "clicked", "is_attributed", "converted", "y", "target")
_ID_NAME = re.compile(r"(^|_)(id|ids|hash|key|uuid)$|_id_|^id_", re.IGNORECASE)
MAX_SHOWN = 5


@dataclass
class Dataset:
    """A validated table: features, labels and the schema, with provenance."""

    path: str
    frame: pd.DataFrame
    y: np.ndarray
    schema: Schema
    sha256: str
    notes: list[str] = field(default_factory=list)
    labels: dict = field(default_factory=dict)  # class name -> the label as the data holds it (1, True, "click")

    @property
    def class_counts(self) -> dict[str, int]:
        values, counts = np.unique(self.y, return_counts=True)
        found = dict(zip(values.tolist(), counts.tolist()))
        return {c: int(found.get(c, 0)) for c in self.schema.classes}


# ---------------------------------------------------------------- reading


def file_sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _is_parquet(path: Path) -> bool:
    return path.suffix.lower() in (".parquet", ".pq")


def head_bytes(path: Path, n: int = 65536) -> bytes:
    opener = gzip.open if path.suffix.lower() == ".gz" else open
    try:
        with opener(path, "rb") as fh:
            return fh.read(n)
    except (OSError, EOFError) as exc:
        raise DataError(f"{path}: cannot read ({exc})") from None


ZIP_MAGIC = b"PK\x03\x04"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def check_text_log(path: Path, head: bytes | None = None) -> None:
    """Refuse, before any parsing, a file that is not a text log: a zip archive (a clickpred model file given as
    data) or UTF-16 text (whose every other byte is zero) — both otherwise read as rows of the wrong width."""
    head = head_bytes(path, 4096) if head is None else head
    if head.startswith(ZIP_MAGIC):
        raise DataError(
            f"{path}: is a zip archive (a clickpred model file?), not an impression log: pass a CSV, .csv.gz or "
            "Parquet file"
        )
    if head.startswith(UTF16_BOMS) or (len(head) >= 8 and head[1:8:2] == b"\x00" * 4):
        raise DataError(f"{path}: is UTF-16 text: re-encode it as UTF-8 (e.g. iconv -f UTF-16 -t UTF-8)")


def sniff_separator(path: Path) -> str:
    """Guess the delimiter from the start of a CSV file (',' when unsure)."""
    head = head_bytes(path).decode("utf-8", errors="replace")
    lines = head.splitlines()[:20]
    if not lines:
        return ","
    try:
        return csv.Sniffer().sniff("\n".join(lines), delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def clean_names(names: list[str], known: dict[str, str] | None = None) -> tuple[list[str], dict[str, str]]:
    """Make column names identifiers, unique; return them and {new: original} for changed ones.

    ``known`` ({header as written: name}, from a trained model's schema) gives those headers the
    names the model knows them by, wherever they stand: two headers that clean to the same
    identifier (``bid price``, ``bid_price``) are matched by what is written, not by position."""
    known = {k: v for k, v in (known or {}).items() if k in names}
    out, renamed, seen = [], {}, {v.lower() for v in known.values()}
    given: set[str] = set()
    for i, raw in enumerate(names):
        if raw in known and raw not in given:
            name = known[raw]
            given.add(raw)
        else:
            name = re.sub(r"[^0-9A-Za-z_]+", "_", str(raw).strip()).strip("_") or f"column_{i + 1}"
            if name[0].isdigit():
                name = f"c_{name}"
            base, k = name, 2
            while name.lower() in seen:
                name, k = f"{base}_{k}", k + 1
            seen.add(name.lower())
        out.append(name)
        if name != raw:
            renamed[name] = str(raw)
    return out, renamed


def known_headers(schema: "Schema") -> dict[str, str]:
    """{header as written at training: name} for a model's columns and target."""
    out = {c.source or c.name: c.name for c in schema.features}
    out[schema.renamed.get(schema.target, schema.target)] = schema.target
    return out


def read_table(
    path: str | Path, sep: str | None = None, header: bool = True, known: dict[str, str] | None = None
) -> tuple[pd.DataFrame, dict[str, str]]:
    """Read a CSV / .csv.gz / Parquet file into a DataFrame with cleaned column names.

    Returns the frame and the renamed columns ({new: original}). Rows with the
    wrong number of fields and bytes that are not UTF-8 are errors naming the line.
    With ``header=False`` (a CSV whose first line is data, like the raw Criteo
    logs) the columns are named ``column_1`` … ``column_N``.
    """
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: file not found")
    if path.is_dir():
        raise DataError(f"{path}: is a directory, expected a CSV or Parquet file")
    if path.stat().st_size == 0:
        raise DataError(f"{path}: file is empty")
    if _is_parquet(path):
        try:
            written = pq.ParquetFile(path).schema_arrow.names
            twice = sorted({n for n in written if written.count(n) > 1})
            if twice:
                raise DataError(f"{path}: column name(s) written twice in the Parquet file: {', '.join(twice[:5])}")
            table = _text_typed_as_csv(pq.read_table(path))
        except (pa.ArrowException, OSError, ValueError) as exc:
            if isinstance(exc, DataError):
                raise
            raise DataError(f"{path}: not a readable Parquet file ({exc})") from None
    else:
        check_text_log(path)
        table = _read_csv(path, sep, header)
    if not header and not _is_parquet(path):
        table = table.rename_columns([f"column_{i + 1}" for i in range(table.num_columns)])
    try:
        raw_names = table.column_names
    except UnicodeDecodeError:
        raise DataError(f"{path}: line 1 (the header) is not UTF-8 text: re-encode the file as UTF-8") from None
    names, renamed = clean_names(raw_names, known)
    table = table.rename_columns(names)
    table = dates_as_timestamps(table)
    if table.num_rows == 0:
        raise DataError(f"{path}: has a header but no data rows")
    for name, col in zip(names, table.columns):
        if pa.types.is_binary(col.type) or pa.types.is_large_binary(col.type):
            _raise_not_utf8(path, name, col)
        if pa.types.is_nested(col.type) or pa.types.is_fixed_size_binary(col.type):
            raise DataError(
                f"{path}: column '{name}' holds {col.type} values: clickpred reads numbers, text and "
                f"timestamps (remove it with --drop {name})"
            )
    frame = table.to_pandas(types_mapper=None)
    return frame, renamed


def _text_typed_as_csv(table: pa.Table) -> pa.Table:
    """A Parquet table's text columns typed as the same text in a CSV file is (timestamps, numbers, booleans
    recognised; :func:`typed_table`), so that the same data as Parquet and as CSV gives the same schema and model —
    a text timestamp column read from Parquet became an ID of 86,832 levels, from CSV a timestamp."""
    text = [i for i, f in enumerate(table.schema) if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)]
    if not text:
        return table
    typed = typed_table(
        table.select(text).cast(pa.schema([pa.field(table.schema.field(i).name, pa.string()) for i in text]))
    )
    for i, column in zip(text, typed.columns):
        table = table.set_column(i, table.schema.field(i).name, column)
    return table


def _read_csv(path: Path, sep: str | None, header: bool = True) -> pa.Table:
    if sep is None:
        sep = sniff_separator(path)
    elif len(sep) != 1:
        sep = {"\\t": "\t", "tab": "\t"}.get(sep, sep)
        if len(sep) != 1:
            raise DataError(f"--sep must be one character, got {sep!r}")
    try:
        table, bad_rows = _csv_attempt(path, sep, header, use_threads=True)
        if bad_rows and bad_rows[0][0] is None:  # line numbers are only known single-threaded
            table, bad_rows = _csv_attempt(path, sep, header, use_threads=False)
    except pa.ArrowInvalid as exc:
        msg = str(exc)
        if "Empty CSV file" in msg:
            raise DataError(f"{path}: file is empty") from None
        # Arrow's "straddling object straddles two block boundaries (try to increase block size?)"
        if "straddling" in msg:
            raise DataError(
                f'{path}: a record runs on past 16 MiB — most likely a quote (") opened and never closed: check the '
                "file's quoting"
            ) from None
        raise DataError(f"{path}: cannot parse as CSV with separator {sep!r}: {msg.splitlines()[0]}") from None
    except (OSError, EOFError) as exc:
        raise DataError(f"{path}: cannot read ({exc})") from None
    if bad_rows:
        first = bad_rows[0]
        where = f"line {first[0]}" if first[0] is not None else f"row {first[3][:60]!r}"
        lines = [str(r[0]) for r in bad_rows[:MAX_SHOWN] if r[0] is not None]
        more = f" (lines {', '.join(lines)}{'…' if len(bad_rows) > MAX_SHOWN else ''})" if lines else ""
        raise DataError(
            f"{path}: {len(bad_rows)} row(s) with the wrong number of fields{more}; first at {where}: "
            f"expected {first[1]}, got {first[2]}"
        )
    return table


def _csv_attempt(path: Path, sep: str, header: bool, use_threads: bool):
    bad_rows: list[tuple[int | None, int, int, str]] = []

    def on_invalid(row):
        bad_rows.append((row.number, row.expected_columns, row.actual_columns, row.text))
        return "skip"

    table = pacsv.read_csv(
        path,
        read_options=pacsv.ReadOptions(
            block_size=1 << 24, use_threads=use_threads, autogenerate_column_names=not header
        ),
        parse_options=pacsv.ParseOptions(delimiter=sep, invalid_row_handler=on_invalid),
        convert_options=pacsv.ConvertOptions(strings_can_be_null=True),
    )
    return table, bad_rows


def _raise_not_utf8(path: Path, name: str, col: pa.ChunkedArray) -> None:
    for i, value in enumerate(col.to_pylist()):
        if value is None:
            continue
        try:
            value.decode("utf-8")
        except UnicodeDecodeError:
            raise DataError(
                f"{path}: column '{name}' has bytes that are not UTF-8 at line {i + 2}: re-encode the file as UTF-8"
            ) from None
    raise DataError(f"{path}: column '{name}' holds binary data, expected text")


# ---------------------------------------------------------------- target


def pick_target(columns: list[str], target: str | None, renamed: dict[str, str], path) -> tuple[str, str | None]:
    """Return the target column and a note saying how it was chosen."""
    if target is not None:
        if target in columns:
            return target, None
        for new, old in renamed.items():
            if old == target:
                return new, None
        raise DataError(f"{path}: target column '{target}' not found; columns: {', '.join(columns)}")
    lower = {c.lower(): c for c in columns}
    for cand in TARGET_NAMES:
        if cand in lower:
            return lower[cand], f"target column: '{lower[cand]}' (detected; use --target to choose another)"
    raise DataError(
        f"{path}: no target column found (looked for {', '.join(TARGET_NAMES)}); pass --target; columns: {', '.join(columns)}"
    )


def _label_strings(s: pd.Series) -> pd.Series:
    if pd.api.types.is_bool_dtype(s):
        return s.map({True: "1", False: "0"})
    if pd.api.types.is_float_dtype(s):
        v = s.dropna()
        if len(v) and np.all(np.mod(v, 1) == 0):
            return _per_value(s, lambda x: str(int(x)))
    if pd.api.types.is_string_dtype(s) or pd.api.types.is_integer_dtype(s):
        return _per_value(s, lambda x: str(x).strip())
    return s.map(lambda x: str(x).strip() if pd.notna(x) else None)  # mixed objects (True and 1 are equal keys)


def _per_value(s: pd.Series, label) -> pd.Series:
    """``label`` of each row's value (missing stays missing), computed once per distinct value."""
    values = s.dropna().unique()
    return s.map(dict(zip(values, map(label, values))))


def encode_target(
    frame: pd.DataFrame, target: str, path, classes: list[str] | None = None, column: pd.Series | None = None
) -> tuple[np.ndarray, list[str]]:
    """Labels as strings and the class order (majority first, then by decreasing count); the labels are
    ``frame[target]``, or ``column`` when given (labels held apart from the features)."""
    labels = _label_strings(frame[target] if column is None else column)
    missing = np.flatnonzero(labels.isna().to_numpy())
    if len(missing):
        lines = ", ".join(str(i + 2) for i in missing[:MAX_SHOWN])
        raise DataError(f"{path}: target column '{target}' is empty at {len(missing)} row(s) (lines {lines})")
    y = labels.to_numpy(dtype=object).astype(str)
    values, counts = np.unique(y, return_counts=True)
    if classes is None:
        if len(values) < 2:
            raise DataError(f"{path}: target column '{target}' has a single class ('{values[0]}'): nothing to learn")
        order = sorted(zip(values.tolist(), counts.tolist()), key=lambda vc: (-vc[1], vc[0]))
        classes = [v for v, _ in order]
    else:
        unknown = sorted(set(values) - set(classes))
        if unknown:
            raise DataError(
                f"{path}: target column '{target}' has class '{unknown[0]}' the model was not trained on; classes: {', '.join(classes)}"
            )
    return y, classes


# ---------------------------------------------------------------- schema


def _coerce_numeric_strings(frame: pd.DataFrame, path, locate=None) -> None:
    """Columns of numbers with a few junk strings are errors naming the rows."""
    locate = locate or (lambda i: f"line {i + 2}")
    for col in frame.columns:
        s = frame[col]
        if not (pd.api.types.is_object_dtype(s) or pd.api.types.is_string_dtype(s)):
            continue
        counts = s.value_counts(dropna=True, sort=False)  # each distinct text read as a number once
        if counts.empty:
            continue
        numeric = pd.to_numeric(pd.Series(counts.index, dtype=object), errors="coerce").notna().to_numpy()
        share = counts.to_numpy()[numeric].sum() / counts.to_numpy().sum()
        if share >= 0.95 and not numeric.all():
            nonnull = s.dropna()
            bad = nonnull[~pd.to_numeric(nonnull, errors="coerce").notna()]
            shown = ", ".join(f"{locate(i)} ({v!r})" for i, v in zip(bad.index[:MAX_SHOWN], bad.iloc[:MAX_SHOWN]))
            raise DataError(f"{path}: column '{col}' is numeric but has {len(bad)} non-numeric value(s): {shown}")


def infer_schema(
    frame: pd.DataFrame,
    target: str,
    classes: list[str],
    path,
    max_levels: int = 50,
    renamed: dict[str, str] | None = None,
    categorical: list[str] | None = None,
    numeric: list[str] | None = None,
    seed: int = 0,
    y: np.ndarray | None = None,
) -> Schema:
    """Decide what each column is: numeric, categorical, ID (high cardinality) or timestamp.

    Integer-valued columns are codes or quantities as :func:`clickpred.io.codes.integer_verdict`
    reads them off the values and the labels ``y`` (as :func:`encode_target` gives them; read from
    the target column when not given) — ``categorical`` / ``numeric`` force either. A numeric column
    gets bins beside its slope where its label shows a shape (:func:`clickpred.io.codes.bins_verdicts`).
    Constant and unique-per-row columns are dropped with a reason; a column that
    is missing in every row is an error.
    """
    from .codes import bins_verdicts, is_integer_valued

    renamed = renamed or {}
    forced = set(categorical or [])
    as_numbers = set(numeric or [])
    both = sorted(forced & as_numbers)
    if both:
        raise DataError(f"--categorical and --numeric both name '{both[0]}': choose one")
    n = len(frame)
    if y is None:
        y, _ = encode_target(frame, target, path, classes=classes)
    minority = np.asarray(y) != classes[0]
    features, dropped = [], {}
    numbers: dict[str, np.ndarray] = {}
    for col in frame.columns:
        if col == target:
            continue
        s = frame[col]
        n_missing = int(s.isna().sum())
        if n_missing == n:
            raise DataError(f"{path}: column '{col}' is empty in every row: remove it with --drop {col}")
        n_unique = int(s.nunique(dropna=True))
        if n_unique <= 1 and n_missing == 0:
            dropped[col] = "constant"
            continue
        is_float = pd.api.types.is_float_dtype(s)
        if is_float and _ID_NAME.search(col) and np.all(np.mod(s.dropna(), 1) == 0):
            is_float = False  # e.g. 64-bit hashed IDs that overflow int64 and parse as floats
        is_time = pd.api.types.is_datetime64_any_dtype(s)
        if n_unique == n and not is_float and not is_time and n > 50:
            dropped[col] = "unique in every row (an identifier)"
            continue
        evidence = ""
        if col in forced:
            kind = "categorical" if n_unique <= max_levels else "id"
            evidence = "--categorical"
        elif col in as_numbers:
            if not pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
                raise DataError(
                    f"--numeric {col}: column '{col}' of {path} is not numeric (e.g. {s.dropna().iloc[0]!r})"
                )
            kind, evidence = "numeric", "--numeric"
        elif is_time:
            kind = "timestamp"
        elif pd.api.types.is_bool_dtype(s):
            kind = "categorical"
        elif pd.api.types.is_numeric_dtype(s):
            values = s.to_numpy(dtype=float, na_value=np.nan)
            if not is_float and _ID_NAME.search(col):
                kind = "id" if n_unique > max_levels else "categorical"
                evidence = ID_EVIDENCE
            elif is_integer_valued(values):
                kind, evidence = integer_kind(values, minority, n_unique, max_levels, seed)
            else:
                kind = "numeric"
        else:
            kind = "categorical" if n_unique <= max_levels else "id"
        column = Column(col, kind, n_unique, n_missing, renamed.get(col, ""), dtype_of(s), evidence)
        if kind == "numeric":
            numbers[col] = s.to_numpy(dtype=float, na_value=np.nan)
        if kind == "timestamp":
            stamps = s.dropna()
            column.times_of_day = bool((stamps != stamps.dt.normalize()).any())
        features.append(column)
    if not features:
        raise DataError(f"{path}: no usable feature columns left (dropped: {', '.join(dropped) or 'none'})")
    shapes = bins_verdicts(numbers, minority, seed)
    for column in features:
        column.bins = shapes.get(column.name, "")
    return Schema(target=target, classes=classes, features=features, dropped=dropped, renamed=renamed)


ID_EVIDENCE = "integer column named like an identifier"


def integer_kind(
    values: np.ndarray, minority: np.ndarray, n_unique: int, max_levels: int = 50, seed: int = 0
) -> tuple[str, str]:
    """The kind of an integer-valued column (numeric, categorical or id) and the evidence, from its values and
    the rows of a minority class (:func:`clickpred.io.codes.integer_verdict`) — the one decision of the schema that
    may read the labels, so cross-validation makes it again on each training fold
    (:func:`label_decided_columns`)."""
    from .codes import integer_verdict

    verdict = integer_verdict(values, minority, seed)
    if verdict.kind == "categorical" and n_unique > max_levels:
        return "id", verdict.evidence
    return verdict.kind, verdict.evidence


def integer_notes(schema: Schema) -> list[str]:
    """What the terminal says of the integer columns whose kind the data decided — those read as codes and those
    read as quantities, each with the first words of its evidence (the whole of it is in the report) — and of the
    numeric columns given bins beside their slope."""

    def shown(columns: list) -> str:
        return ", ".join(f"{c.name} ({re.split(r' [(]|;', c.evidence)[0]})" for c in columns)

    decided = set(label_decided_columns(schema))
    codes = [
        c
        for c in schema.features
        if (c.name in decided or c.evidence == ID_EVIDENCE) and c.kind in ("categorical", "id")
    ]
    quantities = [c for c in schema.features if c.name in decided and c.kind == "numeric"]
    notes = []
    if codes:
        notes.append(
            "integer columns read as codes (one-hot, not one slope; evidence in the report; --numeric COL "
            "overrides): " + shown(codes)
        )
    if quantities:
        notes.append(
            "integer columns read as quantities (one slope; evidence in the report; --categorical COL "
            "overrides): " + shown(quantities)
        )
    binned = [c.name for c in schema.features if c.kind == "numeric" and c.bins]
    if binned:
        notes.append(
            "numeric columns whose label shows a shape one slope misses (bins beside the slope in linear models "
            "and the MLP; evidence in the report; [features] numeric_bins = 0 turns off): " + ", ".join(binned)
        )
    return notes


def label_decided_columns(schema: Schema) -> list[str]:
    """The columns whose kind :func:`integer_kind` decided (codes or quantity, perhaps by the labels) — not the
    ones forced by an option or read as identifiers by their name."""
    fixed = ("", "--categorical", "--numeric", ID_EVIDENCE)
    return [c.name for c in schema.features if not c.of and c.dtype in ("int", "float") and c.evidence not in fixed]


def as_kind(column: pd.Series, kind: str, dtype: str) -> pd.Series:
    """A prepared integer-valued column (:func:`prepare_frame`) as the other kind prepares it: numbers ↔ canonical
    category strings — what :func:`prepare_frame` gives from the same raw values."""
    if kind == "numeric":
        return pd.Series(pd.to_numeric(column, errors="coerce").to_numpy(dtype=float), index=column.index)
    return category_series(column, dtype)


def prepare_frame(frame: pd.DataFrame, schema: Schema, notes: list[str] | None = None) -> pd.DataFrame:
    """Cast columns to what the feature pipeline expects (strings for categoricals and IDs).

    Infinite and out-of-range numbers become missing (:func:`clickpred.io.cast.finite`), with a note."""
    from .crosses import cross_values

    out: dict[str, pd.Series] = {}
    for c in schema.features:
        if c.of:  # a cross: computed from its two columns' canonical strings (listed before it)
            out[c.name] = pd.Series(
                cross_values(out[c.of[0]].to_numpy(dtype=object), out[c.of[1]].to_numpy(dtype=object)),
                index=frame.index,
            )
            continue
        s = frame[c.name]
        if c.kind in ("categorical", "id"):
            s = category_series(s, c.dtype)
        elif c.kind == "numeric":
            values, replaced = finite(pd.to_numeric(s, errors="coerce").to_numpy(dtype=float, na_value=np.nan))
            s = pd.Series(values, index=frame.index)
            if replaced and notes is not None:
                notes.append(
                    f"column '{c.name}': {replaced:,} value(s) infinite or beyond ±{MAX_MAGNITUDE:g} read as "
                    "missing (imputed like any missing value)"
                )
        out[c.name] = s
    return pd.DataFrame(out, index=frame.index)


def load_dataset(
    path: "str | Path | pd.DataFrame",
    target: str | None = None,
    sep: str | None = None,
    drop: list[str] | None = None,
    max_levels: int = 50,
    schema: Schema | None = None,
    categorical: list[str] | None = None,
    header: bool = True,
    numeric: list[str] | None = None,
    labels: "np.ndarray | None" = None,
) -> Dataset:
    """Read, validate and type a labelled table.

    With ``schema`` (from a trained model), the file must hold the same feature
    columns and target; otherwise the schema is inferred. ``path`` may also be a pandas DataFrame
    (a notebook's table): it is validated and typed exactly as the same rows read from a file; with ``labels``
    (one per row, as an estimator's ``y``) its columns are all features and no target column is looked for.
    """
    if isinstance(path, pd.DataFrame):
        return _dataset_from_pandas(path, target, drop, max_levels, schema, categorical, numeric, labels)
    if labels is not None:
        raise DataError("labels: given apart only with a DataFrame of features (a file holds its target column)")
    if not isinstance(path, (str, Path)):
        raise DataError(f"expected a file path or a pandas DataFrame, got {type(path).__name__}")
    path = Path(path)
    frame, renamed = read_table(path, sep, header, known_headers(schema) if schema is not None else None)
    ds = dataset_from_frame(
        frame,
        renamed,
        path,
        target=target,
        drop=drop,
        max_levels=max_levels,
        schema=schema,
        categorical=categorical,
        numeric=numeric,
        sha256=file_sha256(path),
    )
    tcol = ds.schema.target
    if not _is_parquet(path) and tcol in frame.columns and pd.api.types.is_numeric_dtype(frame[tcol]):
        ds.notes += _merged_spellings(path, sep, header, renamed.get(tcol, tcol), tcol)
    return ds


def frame_fingerprint(frame: pd.DataFrame) -> str:
    """A SHA-256 of a DataFrame's values and column names (what a file's hash is for a file)."""
    h = hashlib.sha256()
    h.update("\x1f".join(map(str, frame.columns)).encode("utf-8", "replace"))
    h.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return h.hexdigest()


def _read_pandas(df: pd.DataFrame, schema: Schema | None) -> tuple[pd.DataFrame, dict[str, str]]:
    """A DataFrame typed as the same rows written to a CSV file and read back (timestamps in text parsed, and
    so on), with cleaned column names ({new: original} for the renamed ones) — :func:`read_table` for a DataFrame."""
    if df.empty:
        raise DataError("<DataFrame>: has no rows")
    try:
        table = typed_table(
            pa.Table.from_pandas(df.set_axis([str(c) for c in df.columns], axis=1), preserve_index=False)
        )
    except (pa.ArrowException, TypeError, ValueError) as exc:
        raise DataError(f"<DataFrame>: cannot be read as a table of numbers, text and timestamps ({exc})") from None
    names, renamed = clean_names(table.column_names, known_headers(schema) if schema is not None else None)
    return table.rename_columns(names).to_pandas(), renamed


def _check_inputs(frame: pd.DataFrame, schema: Schema, path) -> None:
    missing = [c for c in schema.input_names if c not in frame.columns]
    if missing:
        raise DataError(f"{path}: missing feature column(s) the model needs: {', '.join(missing)}")


def _dataset_from_pandas(
    df: pd.DataFrame, target, drop, max_levels, schema, categorical, numeric, labels=None
) -> Dataset:
    frame, renamed = _read_pandas(df, schema)
    fingerprint = frame_fingerprint(frame)
    if labels is not None:  # the labels are part of what was trained on
        fingerprint = hashlib.sha256(
            (fingerprint + frame_fingerprint(pd.DataFrame({"y": labels}))).encode()
        ).hexdigest()
    return dataset_from_frame(
        frame,
        renamed,
        "<DataFrame>",
        target=target,
        drop=drop,
        max_levels=max_levels,
        schema=schema,
        categorical=categorical,
        numeric=numeric,
        sha256=fingerprint,
        locate=lambda i: f"row {i}",
        labels=labels,
    )


def _arrow_column(s: pd.Series) -> pa.Array:
    """One DataFrame column as Arrow holds it: its own type where Arrow has one (numbers, text, booleans,
    timestamps with their zone, pandas categories), else — a column mixing types — each value as text, as a CSV
    file would hold it."""
    try:
        return pa.Array.from_pandas(s)
    except (pa.ArrowException, TypeError, ValueError):
        pass

    def text(v) -> str | None:
        if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and v != v):
            return None
        return str(v)

    return pa.array([text(v) for v in s.tolist()], type=pa.string())


def inputs_from_pandas(df: pd.DataFrame, schema: Schema) -> "tuple[Inputs, dict[int, str]]":
    """A DataFrame's rows as model inputs, cast exactly as a file's rows are when scoring
    (:func:`clickpred.io.chunks.to_inputs`): the same values and the same rejects ({row position: reason}) —
    an unreadable value rejects its row, it is never read as missing. Columns are matched by the headers written
    at training; extra columns are ignored; a missing one is an error."""
    from .chunks import to_inputs

    if not isinstance(df, pd.DataFrame):
        raise DataError(f"expected a pandas DataFrame, got {type(df).__name__}")
    if df.empty:
        raise DataError("<DataFrame>: has no rows")
    names, _ = clean_names([str(c) for c in df.columns], known_headers(schema))
    position = {n: i for i, n in reversed(list(enumerate(names)))}
    missing = [c for c in schema.input_names if c not in position]
    if missing:
        raise DataError(f"<DataFrame>: missing feature column(s) the model needs: {', '.join(missing)}")
    table = pa.table({c: _arrow_column(df.iloc[:, position[c]]) for c in schema.input_names})
    try:
        return to_inputs(table, schema)
    except DataError as exc:
        raise DataError(f"<DataFrame>: {exc.for_command_line()}") from None


def rejects_message(bad: dict[int, str], n: int) -> str:
    """One line for the rows of a DataFrame that cannot be scored: how many, and the first few with their reason."""
    shown = "; ".join(f"row {i}: {why}" for i, why in sorted(bad.items())[:MAX_SHOWN])
    return (
        f"<DataFrame>: {len(bad):,} of {n:,} row(s) cannot be scored ({shown}{'; …' if len(bad) > MAX_SHOWN else ''})"
    )


def features_from_pandas(df: pd.DataFrame, schema: Schema) -> pd.DataFrame:
    """A DataFrame's feature columns as a trained model takes them, every row (crosses computed; an unlabelled
    table is fine). A row with a value that cannot be read as its column's type is an error naming the row and
    the value, as :func:`inputs_from_pandas` rejects it."""
    inputs, bad = inputs_from_pandas(df, schema)
    if bad:
        raise DataError(rejects_message(bad, len(df)))
    return inputs.frame(schema)


def _merged_spellings(path: Path, sep, header: bool, raw_target: str, target: str) -> list[str]:
    """Labels read as numbers are one class per number: say so when the file spells one number several
    ways ('1' and '01', '1.0')."""
    if not header:
        return []
    try:
        text = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(block_size=1 << 24),
            parse_options=pacsv.ParseOptions(delimiter=sep or sniff_separator(path)),
            convert_options=pacsv.ConvertOptions(include_columns=[raw_target], column_types={raw_target: pa.string()}),
        ).column(0)
    except (pa.ArrowException, OSError, KeyError):
        return []
    spellings = pd.Series(text.to_pandas()).dropna().str.strip().unique()
    by_class: dict[str, list[str]] = {}
    for s in spellings:
        label = _label_strings(pd.Series([pd.to_numeric(s, errors="coerce")])).iloc[0]
        if label is not None:
            by_class.setdefault(label, []).append(s)
    merged = {c: sorted(v) for c, v in by_class.items() if len(v) > 1}
    if not merged:
        return []
    shown = "; ".join(f"{', '.join(repr(s) for s in v)} → class '{c}'" for c, v in list(merged.items())[:MAX_SHOWN])
    return [f"target column '{target}' is read as numbers, so spellings of one number are one class: {shown}"]


def resolve_column(option: str, col: str, columns: list[str], renamed: dict[str, str], target: str, path) -> str:
    """A feature column named on the command line, as written in the file or as cleaned → its cleaned name."""
    name = col if col in columns else next((n for n, o in renamed.items() if o == col), None)
    if name is None or name == target:
        raise DataError(f"{option} {col}: no such feature column in {path}; columns: {', '.join(columns)}")
    return name


def dataset_from_frame(
    frame: pd.DataFrame,
    renamed: dict[str, str],
    path,
    target: str | None = None,
    drop: list[str] | None = None,
    max_levels: int = 50,
    schema: Schema | None = None,
    categorical: list[str] | None = None,
    classes: list[str] | None = None,
    sha256: str = "",
    locate=None,
    numeric: list[str] | None = None,
    labels: "np.ndarray | None" = None,
) -> Dataset:
    """Validate and type a table already read (``path`` names it in messages).

    ``classes`` fixes the class order (else: by decreasing count in ``frame``);
    ``locate(row)`` says where a row of ``frame`` came from, for error messages
    (default: its line in a one-header CSV file). ``labels``: one per row, held apart from the features (every
    column of ``frame`` is then a feature; the schema names the target ``label`` or the first free name like it).
    """
    notes = []
    if renamed:
        shown = ", ".join(f"'{old}' → '{new}'" for new, old in list(renamed.items())[:MAX_SHOWN])
        notes.append(f"renamed {len(renamed)} column(s) to identifiers: {shown}")
    if schema is not None:
        target = schema.target if target is None else target
        classes = schema.classes
    label_column = None
    if labels is not None:
        if len(labels) != len(frame):
            raise DataError(f"{path}: {len(frame):,} rows but {len(labels):,} labels")
        tcol = next(n for n in ("label", *(f"label_{k}" for k in range(2, len(frame.columns) + 3))) if n not in frame)
        label_column = pd.Series(np.asarray(labels, dtype=object)).reset_index(drop=True)
    else:
        tcol, note = pick_target(list(frame.columns), target, renamed, path)
        if note:
            notes.append(note)

    def resolve(option: str, col: str) -> str:
        return resolve_column(option, col, list(frame.columns), renamed, tcol, path)

    for d in drop or []:
        frame = frame.drop(columns=[resolve("--drop", d)])
    categorical = [resolve("--categorical", c) for c in categorical or []]
    numeric = [resolve("--numeric", c) for c in numeric or []]
    fixed_classes = classes is not None
    y, classes = encode_target(frame, tcol, path, classes=classes, column=label_column)
    folded: dict[str, list[str]] = {}
    for c in classes:
        folded.setdefault(c.casefold(), []).append(c)
    alike = [v for v in folded.values() if len(v) > 1]
    if alike and not fixed_classes:
        notes.append(
            f"classes {' and '.join(repr(v) for v in alike[0])} differ only in letter case: kept apart "
            "(labels are compared exactly, after trimming spaces); fix the labels if they are one class"
        )
    _coerce_numeric_strings(frame.drop(columns=[tcol]) if tcol in frame else frame, path, locate)
    if schema is None:
        schema = infer_schema(
            frame,
            tcol,
            classes,
            path,
            max_levels=max_levels,
            renamed=renamed,
            categorical=categorical,
            numeric=numeric,
            y=y,
        )
        if schema.dropped:
            notes.append("dropped columns: " + ", ".join(f"'{c}' ({why})" for c, why in schema.dropped.items()))
        notes += integer_notes(schema)
    else:
        _check_inputs(frame, schema, path)
    X = prepare_frame(frame, schema, notes)
    held = label_values(frame[tcol] if label_column is None else label_column, y)
    return Dataset(path=str(path), frame=X, y=y, schema=schema, sha256=sha256, notes=notes, labels=held)


def label_values(column: pd.Series, y: np.ndarray) -> dict:
    """{class name: the first label of that class as the data holds it} — ``1`` for class ``"1"`` of an integer
    column, ``True`` for ``"1"`` of a boolean one — so predictions can be given back in the data's own type."""
    values = column.to_numpy(dtype=object)
    first = pd.Series(np.arange(len(y))).groupby(y, sort=False).first()
    out = {}
    for c, i in first.items():
        v = values[int(i)]
        out[str(c)] = v.item() if isinstance(v, np.generic) else v
    return out


def dates_as_timestamps(table: pa.Table) -> pa.Table:
    """Date columns (Parquet ``date32``, ``YYYY-MM-DD`` text in a CSV) as timestamps at midnight: a date is a time
    (its day of week a feature), not a category whose levels a later log never repeats."""
    for i, col in enumerate(table.columns):
        if pa.types.is_date(col.type):
            table = table.set_column(i, table.schema.field(i).name, col.cast(pa.timestamp("ns")))
    return table


def typed_table(strings: pa.Table) -> pa.Table:
    """Columns of text (as a stream reader keeps rows) typed as reading them from a CSV file would.

    The rows are written out as CSV and read back with Arrow's type inference,
    so a sample drawn from a stream is typed exactly as the same rows saved to
    a file and read by :func:`read_table`.
    """
    buf = io.BytesIO()
    pacsv.write_csv(strings, buf)
    return dates_as_timestamps(
        pacsv.read_csv(
            io.BytesIO(buf.getvalue()),
            read_options=pacsv.ReadOptions(block_size=1 << 24),
            convert_options=pacsv.ConvertOptions(strings_can_be_null=True),
        )
    )
