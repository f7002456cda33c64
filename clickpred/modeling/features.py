"""The preprocessing built from a schema, in two steps around the sampler.

``prepare`` (before the sampler) turns every column into numbers. Categorical
columns, timestamp parts (hour of day, day of week) and — by default — ID
columns become integer codes, placed first so that samplers such as SMOTENC
can be told which columns are categorical. IDs keep their ``id_max_levels``
most frequent values seen at least ``id_min_frequency`` times; the rest share
one "infrequent" code, so an ID with 30,000 values never becomes 30,000
columns. Numeric columns are imputed (median, plus missing indicators) and
scaled. With ``id_encoding="target"`` IDs become cross-fitted target
encodings in log-odds instead (dense, a few columns per ID).

``encode`` (after the sampler) one-hot encodes the integer codes (sparse).
This is the classic click-model design (one-hot/hashed IDs + a linear model):
on 1M simulated impressions it ranks clicks ~3× better than target encoding.

Example
-------
>>> from clickpred.io.schema import Schema, Column
>>> s = Schema("y", ["0", "1"], [Column("a", "numeric", 10, 0), Column("b", "categorical", 3, 0)])
>>> layout = build_features(s)
>>> layout.n_categorical
1
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler, TargetEncoder

from ..io.codes import BINS, MAX_VALUES
from ..io.dataset import ID_EVIDENCE
from ..io.schema import Schema
from .estimators import CategoryCodes, ClippedLogit, CodesAsNumbers, FrequencyEncoder, TimestampFeatures, ValueBins

MISSING = "__missing__"
TIMESTAMP_LEVELS = 24 + 7


@dataclass
class FeatureLayout:
    """The two preprocessing steps and the shape of what ``prepare`` outputs."""

    prepare: ColumnTransformer
    encode: ColumnTransformer | str
    n_categorical: int  # leading columns of integer codes
    n_numeric: int  # dense numeric columns after them (upper bound: missing indicators vary)
    n_levels: int  # upper bound on one-hot columns the codes expand to


def _codes(min_frequency=None, max_categories=None) -> CategoryCodes:
    """Category codes (missing a category of its own; infrequent values one code; unseen −1)."""
    return CategoryCodes(min_frequency=min_frequency, max_categories=max_categories, fill_value=MISSING)


def _dense_ids(encode: list) -> Pipeline:
    """ID columns as dense numbers: filled, encoded by ``encode`` (target rate, frequency), scaled."""
    return Pipeline(
        [("fill", SimpleImputer(strategy="constant", fill_value=MISSING)), *encode, ("scale", StandardScaler())]
    )


def build_features(
    schema: Schema,
    id_encoding: str = "onehot",
    id_min_frequency: int = 5,
    id_max_levels: int = 2000,
    seed: int = 0,
    counts: bool = False,
    one_hot: bool = True,
    numeric_bins: int | str = "auto",
) -> FeatureLayout:
    """Build the ``prepare`` and ``encode`` transformers for a schema. ``numeric_bins`` (one-hot models): a
    numeric column is also cut into bins (:class:`~clickpred.modeling.estimators.ValueBins`: a bin per value of an
    integer column of few values, else quantile bins), one-hot encoded beside its slope — a shape the slope alone
    cannot draw (an evening bump in the hour, a special 999). ``"auto"``: the columns whose label showed such a
    shape (``Column.bins``, :func:`clickpred.io.codes.bins_verdicts`), ten quantile bins each; ``N``: every numeric
    column, ``N`` quantile bins; ``0``: none."""
    by_kind = {k: [c for c in schema.features if c.kind == k] for k in ("categorical", "timestamp", "id", "numeric")}
    ordered: list[str] = [] if one_hot else _codes_as_numbers(by_kind)
    cat = [c.name for c in by_kind["categorical"]]
    times = [c.name for c in by_kind["timestamp"]]
    ids = [c.name for c in by_kind["id"]]
    num = [c.name for c in by_kind["numeric"]]
    transformers = []
    n_levels = sum(c.n_unique + 1 for c in by_kind["categorical"]) + TIMESTAMP_LEVELS * len(times)
    if cat:
        transformers.append(("categorical", _codes(), cat))
    if times:
        transformers.append(("timestamp", TimestampFeatures(), times))
    n_cat = len(cat) + 2 * len(times)
    n_num = 0
    n_bins = BINS if numeric_bins == "auto" else int(numeric_bins)
    binned = [c.name for c in by_kind["numeric"] if c.bins] if numeric_bins == "auto" else num if n_bins else []
    if binned and one_hot:  # codes of the bins, among the codes the encoder one-hots (before IDs')
        bins = ValueBins(n_bins=n_bins, max_values=MAX_VALUES)
        transformers.append(
            (
                "numeric_bins",
                Pipeline([("impute", SimpleImputer(strategy="median", keep_empty_features=True)), ("bins", bins)]),
                binned,
            )
        )
        n_cat += len(binned)
        n_levels += max(n_bins, MAX_VALUES) * len(binned)
    if ids:
        id_parts, id_cat, id_num = _id_parts(ids, id_encoding, id_min_frequency, id_max_levels, counts, seed, schema)
        transformers += id_parts
        n_cat += id_cat
        n_num += id_num
        if id_cat:
            n_levels += sum(min(c.n_unique + 1, id_max_levels) for c in by_kind["id"])
    if ordered:
        transformers.append(("codes_as_numbers", CodesAsNumbers(), ordered))
        n_num += len(ordered)
    if num:
        transformers.append(
            (
                "numeric",
                Pipeline(
                    [
                        ("impute", SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True)),
                        ("scale", StandardScaler()),
                    ]
                ),
                num,
            )
        )
        n_num += 2 * len(num)
    prepare = ColumnTransformer(transformers, remainder="drop", sparse_threshold=0.0)
    encoder: ColumnTransformer | str
    if n_cat and one_hot:
        encoder = ColumnTransformer(
            [("onehot", OneHotEncoder(handle_unknown="ignore", sparse_output=True), list(range(n_cat)))],
            remainder="passthrough",
            sparse_threshold=0.3,
        )
    else:
        encoder = "passthrough"
    return FeatureLayout(prepare, encoder, n_cat, n_num, n_levels)


def _codes_as_numbers(by_kind: dict) -> list[str]:
    """Trees and integer codes: the columns given to the trees as their number (``by_kind`` loses those read as
    codes by the shape of their values alone). A column read as codes by that shape only (the label could not
    tell) is given as its number only — measurements with gaps (pixel values, durations) were split as
    categories, which overfit (satimage: 0.68 against scikit-learn's 0.79); one the label read as codes, or named
    like an identifier, as both its category and its number (the trees use whichever splits better); one that
    --categorical forces stays a category."""
    numbered = [
        c
        for c in by_kind["categorical"] + by_kind["id"]
        if c.dtype in ("int", "float") and c.n_unique > 2 and c.evidence != "--categorical"
    ]
    shape_only = {c.name for c in numbered if c.evidence != ID_EVIDENCE and not c.evidence.startswith("the label")}
    by_kind["categorical"] = [c for c in by_kind["categorical"] if c.name not in shape_only]
    by_kind["id"] = [c for c in by_kind["id"] if c.name not in shape_only]
    return [c.name for c in numbered]


def _id_parts(ids, id_encoding, min_frequency, max_levels, counts, seed, schema):
    """The transformers of the ID columns, and how many code columns (one-hot later) and numbers they write:
    capped category codes (``onehot``; with ``counts``, rows per value beside them), a cross-fitted target
    encoding in log-odds (no row sees its own label), or rows per value (``frequency``)."""
    if id_encoding == "onehot":
        parts = [("id", _codes(min_frequency, max_levels), ids)]
        if counts:  # rows per value, from the training rows: what the capped one-hot can't say about rare values
            return parts + [("id_counts", _dense_ids([("encode", FrequencyEncoder())]), ids)], len(ids), len(ids)
        return parts, len(ids), 0
    if id_encoding == "target":
        folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=seed)
        encode = [("encode", TargetEncoder(target_type="auto", cv=folds)), ("logit", ClippedLogit())]
        k = len(schema.classes)
        return [("id_encoded", _dense_ids(encode), ids)], 0, len(ids) * (k if k > 2 else 1)
    return [("id_encoded", _dense_ids([("encode", FrequencyEncoder())]), ids)], 0, len(ids)


def prepare_parts(pipeline) -> list[tuple[Any, list[str], slice]] | None:
    """The fitted ``prepare`` step of a pipeline clickpred built, part by part: each transformer, the columns it
    reads and the slice of the step's dense output it writes — so that a caller can compute again only the parts a
    changed column reaches (a transformer with ``transform_column`` codes each of its columns on its own). None for
    anything else: no such first step, a sparse output, or columns passed through as they are (not among the
    parts)."""
    steps = getattr(pipeline, "steps", None)
    prepare = steps[0][1] if steps and len(steps) > 1 else None
    if not isinstance(prepare, ColumnTransformer) or not hasattr(prepare, "output_indices_"):
        return None
    if prepare.sparse_threshold != 0:
        return None
    parts = []
    for name, transformer, columns in prepare.transformers_:
        if not len(columns) or transformer == "drop":
            continue
        if isinstance(transformer, str):  # "passthrough"
            return None
        parts.append((transformer, list(columns), prepare.output_indices_[name]))
    return parts


def transformed(steps, X):
    """``X`` through a fitted pipeline's ``(name, step)`` pairs as its predict takes it: samplers and passthrough
    do nothing there."""
    for _, step in steps:
        if step is not None and step != "passthrough" and not hasattr(step, "fit_resample"):
            X = step.transform(X)
    return X
