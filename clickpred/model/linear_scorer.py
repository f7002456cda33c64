"""A fast scorer compiled from a fitted linear pipeline, checked against the pipeline.

A linear model's decision on an impression is a sum over its input columns:
``d(x) = d(r) + Σ_j [g_j(x_j) − g_j(r_j)]`` where ``r`` is a reference row.
Every column's preprocessing (ordinal codes → one-hot, target or frequency
encodings, timestamp parts, median imputation + scaling) acts on that column
alone, so each ``g_j`` can be tabulated once by running the fitted pipeline
itself on probe rows that change one column at a time:

* categorical and ID columns: one entry per category the encoders know, one
  for "missing", one for any unseen value;
* timestamps: one entry per (hour, day of week), one for missing;
* numeric columns: ``g_j`` is affine, so a slope, plus a value for missing — with quantile bins
  (``[features] numeric_bins``) affine within each bin: one slope plus a step per bin, found by a sorted search
  of the bins' edges;

Scoring a chunk is then a table lookup per column and a few vector sums: no
one-hot matrix, no sparse product. The probabilities come from the model's
own link (logistic/softmax, or the fitted calibrators). :func:`compile_linear`
returns ``None`` for pipelines this does not hold for (MLP, kernel SVMs), and
the compiled scorer is verified against ``pipeline.predict_proba`` /
``decision_function`` (to 1e-9) on every run before it is used.

Example
-------
>>> scorer = compile_linear(model.pipeline, model.metadata)  # doctest: +SKIP
>>> scorer.scores(inputs)  # doctest: +SKIP
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC

from ..evaluation.additive import linear_link
from ..io.chunks import Inputs
from ..io.schema import Schema
from ..modeling.estimators import text_array
from ..modeling.features import transformed
from ..postfit.adapters import ScoresAsDecision

TOLERANCE = 1e-9
UNSEEN = "\x00clickpred-unseen\x00"


def _link(clf):
    """The classifier's map from decisions to scores, or None when it is not linear."""
    if isinstance(clf, CalibratedClassifierCV):
        parts = clf.calibrated_classifiers_
        if len(parts) != 1 or not isinstance(parts[0].estimator, (LogisticRegression, LinearSVC)):
            return None
        cal = copy.copy(parts[0])
        classes = parts[0].estimator.classes_  # the calibrator reads decisions: 1 column for 2 classes, else K
        cal.estimator = ScoresAsDecision().fit(
            np.zeros((len(classes), 1 if len(classes) == 2 else len(classes))), classes
        )
        return parts[0].estimator, "predict_proba", cal.predict_proba
    linked = linear_link(clf)
    return None if linked is None else (clf, *linked)


def known_values(prepare, column: str) -> list:
    """The category strings the fitted encoders know for a column."""
    for _name, trans, cols in prepare.transformers_:
        if column not in list(cols):
            continue
        j = list(cols).index(column)
        steps = trans.steps if hasattr(trans, "steps") else [("only", trans)]
        for _, step in steps:
            if hasattr(step, "categories_"):
                return [v for v in step.categories_[j].tolist()]
            if hasattr(step, "counts_"):
                return list(step.counts_[j].keys())
    return []


def _bin_edges(prepare, column: str) -> np.ndarray | None:
    """The inner quantile edges of a numeric column's bins (``[features] numeric_bins``), or None without bins."""
    for _name, trans, cols in prepare.transformers_:
        if column not in list(cols) or not hasattr(trans, "steps"):
            continue
        for _, step in trans.steps:
            if hasattr(step, "bin_edges_"):
                return np.asarray(step.bin_edges_[list(cols).index(column)][1:-1], dtype=float)
    return None


def _bin_probes(inner) -> list[float]:
    """Two values inside each bin that ``searchsorted(inner, x, side="right")`` defines, bin by bin."""
    inner = np.asarray(inner, dtype=float)
    if len(inner) == 0:
        return [1.0, 2.0]
    width = max(float(inner[-1] - inner[0]), 1.0)
    bounds = [inner[0] - 2 * width, *inner.tolist(), inner[-1] + 2 * width]
    return [v for lo, hi in zip(bounds[:-1], bounds[1:]) for v in (lo + 0.25 * (hi - lo), lo + 0.75 * (hi - lo))]


def _texts(values) -> list[str]:
    """A column's categories as stored: a text array (:func:`~clickpred.modeling.estimators.text_array`), or a
    list in files written before."""
    return values.tolist() if isinstance(values, np.ndarray) else list(values)


class LinearScorer:
    """Table lookups that reproduce a fitted linear pipeline's scores."""

    def __init__(
        self, schema: Schema, base, cat_tables, num_slopes, num_missing, time_tables, link, method, n_out, num_bins=None
    ):
        self.schema = schema
        self.base = base
        self.cat_tables = cat_tables  # col -> ({category: row}, table (m+2, k): last two rows missing, unseen)
        self.cat_tables_t = {c: (index, np.ascontiguousarray(t.T)) for c, (index, t) in cat_tables.items()}
        self.known = {c: pa.array(list(index), type=pa.string()) for c, (index, _) in cat_tables.items()}
        self.num_slopes = num_slopes
        self.num_missing = num_missing
        self.time_tables = time_tables  # col -> table (24*7 + 1, k)
        self.num_bins = num_bins or {}  # col -> (inner edges (m,), table (m + 1, k)): a step per quantile bin
        self.link = link
        self.method = method
        self.n_out = n_out

    name = "compiled linear scorer"

    def known_values(self, column: str) -> list:
        """The category values the scorer has a table entry for (for the random rows it is checked on)."""
        return list(self.cat_tables[column][0])

    def state(self) -> dict:
        """The tables as plain lists and arrays (stored in the model file by ``train``)."""
        return {
            "base": np.asarray(self.base, dtype=float),
            "categories": {c: text_array(list(index)) for c, (index, _) in self.cat_tables.items()},
            "category_tables": {c: t for c, (_, t) in self.cat_tables.items()},
            "num_slopes": dict(self.num_slopes),
            "num_missing": dict(self.num_missing),
            "time_tables": dict(self.time_tables),
            "num_bins": {c: {"edges": e, "table": t} for c, (e, t) in self.num_bins.items()},
        }

    @classmethod
    def from_state(cls, state: dict, pipeline, schema: Schema) -> "LinearScorer | None":
        """Rebuild a scorer from :meth:`state` and the pipeline's link; None if the pipeline is not linear."""
        parts = _link(pipeline.steps[-1][1])
        if parts is None:
            return None
        _, method, link = parts
        cats = {
            c: ({v: i for i, v in enumerate(_texts(values))}, np.asarray(state["category_tables"][c], dtype=float))
            for c, values in state["categories"].items()
        }
        base = np.asarray(state["base"], dtype=float)
        return cls(
            schema,
            base,
            cats,
            dict(state["num_slopes"]),
            dict(state["num_missing"]),
            dict(state["time_tables"]),
            link,
            method,
            len(base),
            {
                c: (np.asarray(b["edges"], dtype=float), np.asarray(b["table"], dtype=float))
                for c, b in (state.get("num_bins") or {}).items()  # files written before bins: none
            },
        )

    def decisions(self, inputs: Inputs) -> np.ndarray:
        """The linear decision values (rows × outputs)."""
        k = self.n_out
        d = np.empty((k, inputs.n))
        d[:] = self.base[:, None]
        for col, (_index, table_t) in self.cat_tables_t.items():
            codes, canon = inputs.codes[col]
            missing, unseen = table_t.shape[1] - 2, table_t.shape[1] - 1
            # Fold the chunk's own dictionary into the table, then gather by code (-1 = missing).
            found = pc.index_in(canon, value_set=self.known[col]).fill_null(unseen)
            lookup = np.empty(len(canon) + 1, dtype=np.int64)
            lookup[:-1] = found.to_numpy(zero_copy_only=False)
            lookup[-1] = missing
            chunk_table = np.take(table_t, lookup, axis=1)
            for j in range(k):
                d[j] += np.take(chunk_table[j], codes)
        for col, slope in self.num_slopes.items():
            x = inputs.numbers[col]
            nan = np.isnan(x)
            any_nan = nan.any()
            steps = None
            if col in self.num_bins:
                edges, table = self.num_bins[col]
                steps = table[np.searchsorted(edges, np.where(nan, 0.0, x), side="right")]  # rows × k
            for j in range(k):
                part = x * slope[j] if steps is None else x * slope[j] + steps[:, j]
                if any_nan:
                    d[j] += np.where(nan, self.num_missing[col][j], part)
                else:
                    d[j] += part
        for col, table in self.time_tables.items():
            ts = inputs.times[col]
            # hour * 7 + weekday (Monday = 0, as pandas); missing -> the last row (24 * 7)
            idx = pc.add(pc.multiply(pc.hour(ts), 7), pc.day_of_week(ts)).fill_null(24 * 7)
            idx = idx.to_numpy(zero_copy_only=False).astype(np.int64, copy=False)
            for j in range(k):
                d[j] += np.take(table[:, j], idx)
        return d.T

    def scores(self, inputs: Inputs) -> np.ndarray:
        return self.link(self.decisions(inputs))


def _probe_frame(schema: Schema, rows: list[tuple[str | None, object]]) -> pd.DataFrame:
    """Reference rows (missing categories and timestamps, zero numbers), one column changed per row."""
    n = len(rows)
    data = {}
    for c in schema.features:
        if c.kind in ("categorical", "id"):
            data[c.name] = np.full(n, None, dtype=object)
        elif c.kind == "numeric":
            data[c.name] = np.zeros(n)
        else:
            data[c.name] = np.full(n, None, dtype=object)
    for i, (col, value) in enumerate(rows):
        if col is not None:
            data[col][i] = value
    frame: dict[str, Any] = dict(data)
    for c in schema.features:
        if c.kind == "timestamp":
            tz = c.dtype.split(":", 1)[1] if ":" in c.dtype else None
            stamps = pd.to_datetime(pd.Series(data[c.name]), utc=tz is not None)
            frame[c.name] = stamps.dt.tz_convert(tz) if tz else stamps
    return pd.DataFrame(frame)


MAX_FEATURES = 2_000  # beyond this many columns the pipeline scores (probing is quadratic in columns)
PROBE_CELLS = 2_000_000  # probe rows × columns transformed at a time: bounded memory however wide the data


def compile_linear(pipeline, schema: Schema) -> LinearScorer | None:
    """Tabulate a fitted linear pipeline per column; None if it is not a supported linear model (or has more
    than :data:`MAX_FEATURES` columns)."""
    if not hasattr(pipeline, "steps") or len(schema.features) > MAX_FEATURES:  # e.g. a funnel of pipelines
        return None
    parts = _link(pipeline.steps[-1][1])
    if parts is None:
        return None
    inner, method, link = parts
    prepare = pipeline.steps[0][1]
    rows: list[tuple[str | None, object]] = [(None, None)]
    spans: dict[str, tuple[int, Any]] = {}
    for c in schema.features:
        start = len(rows)
        if c.kind in ("categorical", "id"):
            known = [v for v in known_values(prepare, c.name) if isinstance(v, str)]
            rows += [(c.name, v) for v in known] + [(c.name, None), (c.name, UNSEEN)]
            spans[c.name] = (start, known)
        elif c.kind == "numeric":
            edges = _bin_edges(prepare, c.name)
            if edges is None:
                rows += [(c.name, 1.0), (c.name, np.nan), (c.name, 2.0), (c.name, -3.5)]
                spans[c.name] = (start, None)
            else:  # two points inside each quantile bin, then missing
                probes = _bin_probes(edges)
                rows += [(c.name, x) for x in probes] + [(c.name, np.nan)]
                spans[c.name] = (start, (edges, np.asarray(probes)))
        else:
            tz = c.dtype.split(":", 1)[1] if ":" in c.dtype else None
            monday = pd.Timestamp("2024-01-01", tz=tz)  # a Monday
            rows += [(c.name, monday + pd.Timedelta(days=dow, hours=hour)) for hour in range(24) for dow in range(7)]
            spans[c.name] = (start, None)
    step = max(64, PROBE_CELLS // max(len(schema.features), 1))
    parts = []
    for i in range(0, len(rows), step):  # in slices: a probe frame is rows × every column
        X = transformed(pipeline.steps[:-1], _probe_frame(schema, rows[i : i + step]))
        part = np.asarray(inner.decision_function(X), dtype=float)
        parts.append(part[:, None] if part.ndim == 1 else part)
    d = np.concatenate(parts)
    base = d[0]
    delta = d - base
    cat_tables, num_slopes, num_missing, time_tables = {}, {}, {}, {}
    num_bins: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for c in schema.features:
        start, known = spans[c.name]
        if c.kind in ("categorical", "id"):
            m = len(known)
            cat_tables[c.name] = ({v: i for i, v in enumerate(known)}, delta[start : start + m + 2])
        elif c.kind == "numeric" and known is not None:  # known: the column's inner bin edges and their probes
            edges, xs = known
            g = delta[start : start + len(xs)]
            slopes = (g[1::2] - g[::2]) / (xs[1::2] - xs[::2])[:, None]
            if not np.allclose(slopes, slopes[0], rtol=1e-7, atol=1e-10):
                return None  # not one slope plus a step per bin
            slope = slopes.mean(axis=0)
            num_bins[c.name] = (edges, g[::2] - xs[::2, None] * slope)
            num_slopes[c.name], num_missing[c.name] = slope, delta[start + len(xs)]
        elif c.kind == "numeric":
            slope, missing, at2, at_m35 = delta[start : start + 4]
            if not (
                np.allclose(at2, 2 * slope, rtol=1e-9, atol=1e-12)
                and np.allclose(at_m35, -3.5 * slope, rtol=1e-9, atol=1e-12)
            ):
                return None  # not affine in this column
            num_slopes[c.name], num_missing[c.name] = slope, missing
        else:
            table = np.zeros((24 * 7 + 1, d.shape[1]))
            table[: 24 * 7] = delta[start : start + 24 * 7]  # row = hour * 7 + dow
            time_tables[c.name] = table
    return LinearScorer(
        schema, base, cat_tables, num_slopes, num_missing, time_tables, link, method, d.shape[1], num_bins
    )


TOP_VALUES = 5  # per column and class: this many values that raise, and that lower, the class's odds most
MIN_VALUE_ROWS = 20  # a value with fewer training rows is too thin to rank (its weight is mostly the prior's)


def value_effects(
    scorer: LinearScorer, model_classes: list[str], classes: list[str], frame: pd.DataFrame, top: int = TOP_VALUES
) -> list[dict]:
    """The per-value view of a linear model, as a marketer reads it: for each categorical/ID column (crosses as
    themselves) and each minority class, the values whose weight raises the class's log-odds against the majority
    class the most, and those that lower it the most — each with its weight and its training rows (values with
    fewer than :data:`MIN_VALUE_ROWS` rows left out; values the model groups as infrequent share one weight).

    Returns records ``{"column", "class", "highest": [{"value", "effect", "rows"}…], "lowest": […]}``."""
    majority = classes[0]
    out = []
    for column, (index, table) in scorer.cat_tables.items():
        if column not in frame:
            continue
        counts = frame[column].value_counts(dropna=True)
        values = [v for v in index if counts.get(v, 0) >= MIN_VALUE_ROWS]
        if len(values) < 2:
            continue
        rows = np.array([index[v] for v in values])
        for c in classes[1:]:
            if scorer.n_out == 1:  # binary: one margin, for model_classes[1]
                effect = table[rows, 0] * (1.0 if c == model_classes[1] else -1.0)
            else:
                effect = table[rows, model_classes.index(c)] - table[rows, model_classes.index(majority)]
            order = np.argsort(-effect, kind="stable")
            pick = lambda ks: [  # noqa: E731
                {"value": values[k], "effect": float(effect[k]), "rows": int(counts.get(values[k], 0))} for k in ks
            ]
            out.append(
                {
                    "column": column,
                    "class": c,
                    "highest": pick(order[:top]),
                    "lowest": pick(order[::-1][:top]),
                }
            )
    return out
