"""Does today's log still look like the one the model learned from? Drift of each input column and of the scores.

At training, :func:`profile` keeps for every input column the distribution the model saw, as bins: a numeric
column's deciles (its training values' quantiles) plus a bin for missing values; a categorical or ID column's
most frequent values, one bin for the other values training held, one for values it never held (*unseen*) and
one for missing; a timestamp column's hour of day (a log's dates move by nature, its daily rhythm should not)
plus missing. The model file keeps this profile (validated by value at load). When scoring, :class:`Tally`
counts every scored row into the same bins, chunk by chunk (bounded memory; tallies add up, so Dask ranges and
local chunks give the same figures), and :func:`report` compares the two with the population stability index

    PSI = Σ (share scored − share trained) · ln(share scored / share trained)

over the bins (shares floored at :data:`FLOOR`, so a bin empty on one side counts without dividing by zero). The
customary reading: below 0.1 stable, 0.1–0.2 moving, above 0.2 (:data:`DEFAULT_THRESHOLD`) drifted. The scores
are compared the same way, per minority class, with the model's own probabilities of (a seeded sample of) its
training rows, on their deciles: not with the out-of-fold probabilities, which each fold's calibrator maps a
little differently (on the shipped sample half the rows share one conversion probability under the final
calibrator and spread over five under the folds': PSI 2.6 on the training file itself).

What it cannot tell: PSI sees each column alone — a change in how two columns go together (a site now showing
another app) moves neither; and a drifted column need not hurt the model (the importance table says which columns
it leans on), nor does a stable one prove the labels still follow the columns as they did (only a labelled later
log can: ``clickpred evaluate``).

Example
-------
>>> round(psi(np.array([0.5, 0.5]), np.array([0.5, 0.5])), 6), round(psi(np.array([0.5, 0.5]), np.array([0.9, 0.1])), 3)
(0.0, 0.879)
"""

from __future__ import annotations

import numpy as np

BINS = 10  # quantile bins of a numeric column (and of the scores)
LEVELS = 20  # a categorical column's most frequent values, each a bin of its own
MAX_VOCABULARY = 100_000  # training values kept per categorical column to tell unseen ones (most frequent first)
FLOOR = 1e-4  # shares below this count as this in PSI
DEFAULT_THRESHOLD = 0.2
HOURS = 24


def check_threshold(value) -> float:
    """``--drift-threshold``: a PSI above which a column is named as drifted (a positive number)."""
    from ..errors import ConfigError

    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (0 < float(value) < float("inf")):
        raise ConfigError(f"--drift-threshold must be a positive number (PSI; 0.2 is customary), got {value!r}")
    return float(value)


def psi(expected: np.ndarray, actual: np.ndarray) -> float:
    """Population stability index of two distributions over the same bins (shares, or counts)."""
    e = np.asarray(expected, dtype=float)
    a = np.asarray(actual, dtype=float)
    if e.sum() <= 0 or a.sum() <= 0:
        return float("nan")
    e = np.maximum(e / e.sum(), FLOOR)
    a = np.maximum(a / a.sum(), FLOOR)
    return float(np.sum((a - e) * np.log(a / e)))


# ---------------------------------------------------------------- bins (the same code at training and scoring)


def numeric_bins(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Counts per bin: ``len(edges) + 1`` value bins, then missing."""
    v = np.asarray(values, dtype=float)
    missing = int(np.count_nonzero(v != v))
    # rows at or above each edge (NaN is neither): one pass per edge, 15× faster than searchsorted's binary search
    # of every row on 100k rows (this runs on every scored chunk)
    above = np.array([np.count_nonzero(v >= e) for e in np.asarray(edges, dtype=float)], dtype=np.int64)
    present = len(v) - missing
    out = np.empty(len(edges) + 2, dtype=np.int64)
    out[: len(edges) + 1] = -np.diff(np.concatenate([[present], above, [0]]))
    out[len(edges) + 1] = missing
    return out


def category_bins(codes: np.ndarray, canon, lookup) -> np.ndarray:
    """Counts per bin of one chunk's category codes (``canon``: the chunk's distinct values, a list or an Arrow
    array; code −1 missing): the top levels, other seen values, unseen values, missing. ``lookup``: the training
    values as an Arrow array, most frequent first (its first :data:`LEVELS` are the level bins) — looked up by
    Arrow's hash join, which runs without Python's lock (this runs on every scored chunk)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    levels = min(LEVELS, len(lookup))
    canon = canon if isinstance(canon, pa.Array) else pa.array(list(canon), type=pa.string())
    if canon.type != lookup.type:
        canon = canon.cast(lookup.type)
    position = pc.fill_null(pc.index_in(canon, value_set=lookup), -1).to_numpy(zero_copy_only=False)
    bin_of = np.where(position < 0, levels + 1, np.minimum(position, levels))  # unseen / other seen / a level
    per_code = np.bincount(np.asarray(codes, dtype=np.int64) + 1, minlength=len(canon) + 1)  # [0]: missing
    out = np.bincount(bin_of, weights=per_code[1 : len(canon) + 1], minlength=levels + 3).astype(np.int64)
    out[levels + 2] += per_code[0]
    return out


def hour_bins(times) -> np.ndarray:
    """Counts per hour of day (0–23), then missing, of an Arrow timestamp array (its wall clock when zoned)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not len(times):
        return np.zeros(HOURS + 1, dtype=np.int64)
    hours = pc.hour(times)
    hours = pc.fill_null(hours, pa.scalar(HOURS, hours.type))
    return np.bincount(hours.to_numpy(zero_copy_only=False), minlength=HOURS + 1)


def _lookup(vocabulary):
    import pyarrow as pa

    return pa.array(np.asarray(vocabulary, dtype=str).tolist(), type=pa.string())


# ---------------------------------------------------------------- training side


def profile(frame, schema, probabilities: np.ndarray | None = None) -> dict:
    """The training distribution of every input column of ``frame`` (prepared for ``schema``), as the model file
    keeps it: {"rows", "columns": {name: {"kind", "edges" | "vocabulary", "counts", "truncated"}}, "scores"}
    (``probabilities``: the model's of a sample of these rows, classes in ``schema.classes`` order, or None)."""
    import pandas as pd
    import pyarrow as pa

    columns: dict[str, dict] = {}
    for c in schema.features:
        if c.of:  # a cross: its two columns are profiled
            continue
        col = frame[c.name]
        if c.kind == "numeric":
            v = pd.to_numeric(col, errors="coerce").to_numpy(dtype=float)
            present = v[~np.isnan(v)]
            edges = np.unique(np.quantile(present, np.arange(1, BINS) / BINS)) if len(present) else np.zeros(0)
            columns[c.name] = {"kind": "numeric", "edges": edges, "counts": numeric_bins(v, edges)}
        elif c.kind in ("categorical", "id"):
            counts = col.value_counts(dropna=True)
            order = sorted(zip(counts.index.astype(str), counts.to_numpy()), key=lambda kv: (-kv[1], kv[0]))
            vocabulary = np.array([k for k, _ in order[:MAX_VOCABULARY]], dtype=str)
            codes, uniques = pd.factorize(col.astype(object).where(col.notna(), None), use_na_sentinel=True)
            columns[c.name] = {
                "kind": "categorical",
                "vocabulary": vocabulary,
                "counts": category_bins(codes, [str(u) for u in uniques], _lookup(vocabulary)),
                "truncated": len(order) > MAX_VOCABULARY,
            }
        else:
            columns[c.name] = {"kind": "timestamp", "counts": hour_bins(pa.Array.from_pandas(col))}
    scores = score_profile(probabilities, list(schema.classes)) if probabilities is not None else {}
    return {"rows": int(len(frame)), "columns": columns, "scores": scores}


SCORE_ROWS = 200_000  # training rows scored for the scores' profile (a seeded sample of larger logs)


def score_profile(probabilities: np.ndarray, classes: list[str]) -> dict:
    """Per minority class, the deciles of the model's probabilities of its training rows and their counts: what
    scored probabilities are compared with."""
    out = {}
    for k, c in enumerate(classes):
        if k == 0:
            continue
        p = probabilities[:, k]
        edges = np.unique(np.quantile(p, np.arange(1, BINS) / BINS)) if len(p) else np.zeros(0)
        out[c] = {"edges": edges, "counts": numeric_bins(p, edges)}
    return out


def score_bins(prof: dict, classes: list[str]) -> dict:
    """The profile's score bins with the column of each class in ``classes`` (a model's class order)."""
    return {c: {**s, "column": classes.index(c)} for c, s in (prof.get("scores") or {}).items()}


# ---------------------------------------------------------------- scoring side


class Tally:
    """Counts of scored rows in a profile's bins, added up chunk by chunk (``counts``: plain arrays, so the
    tallies of Dask ranges add up as the local engine's chunks do)."""

    def __init__(self, prof: dict, scores: dict | None = None):
        self.profile = prof
        self.scores = scores or {}
        self.lookups = {
            name: _lookup(p["vocabulary"]) for name, p in prof["columns"].items() if p["kind"] == "categorical"
        }

    def empty(self) -> dict[str, np.ndarray]:
        out = {
            name: np.zeros_like(np.asarray(p["counts"]), dtype=np.int64) for name, p in self.profile["columns"].items()
        }
        out.update(
            {f"score:{c}": np.zeros_like(np.asarray(s["counts"]), dtype=np.int64) for c, s in self.scores.items()}
        )
        return out

    def count(self, inputs, probabilities: np.ndarray | None) -> dict[str, np.ndarray]:
        """This chunk's counts (``inputs``: :class:`~clickpred.io.chunks.Inputs`; ``probabilities``: its scored
        rows' probabilities, columns in the model's class order, or None)."""
        out = {}
        for name, p in self.profile["columns"].items():
            if p["kind"] == "numeric":
                out[name] = numeric_bins(inputs.numbers[name], np.asarray(p["edges"], dtype=float))
            elif p["kind"] == "categorical":
                codes, canon = inputs.codes[name]
                out[name] = category_bins(codes, canon, self.lookups[name])
            else:
                out[name] = hour_bins(inputs.times[name])
        if probabilities is not None:
            for c, s in self.scores.items():
                column = np.ascontiguousarray(probabilities[:, s["column"]], dtype=float)
                out[f"score:{c}"] = numeric_bins(column, np.asarray(s["edges"], dtype=float))
        return out


def add(total: dict[str, np.ndarray], part: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Two tallies' counts added (a new dict)."""
    out: dict[str, np.ndarray] = {}
    for k in set(total) | set(part):
        out[k] = np.asarray(total.get(k, 0)) + np.asarray(part.get(k, 0))
    return out


def report(prof: dict, scores: dict, counts: dict[str, np.ndarray], threshold: float = DEFAULT_THRESHOLD) -> list[dict]:
    """One record per input column (and per minority class's scores): PSI against training, the shares of unseen
    and missing values scored and trained, and whether PSI passes ``threshold``; the most drifted first."""
    records = []
    for name, p in prof["columns"].items():
        trained = np.asarray(p["counts"], dtype=float)
        scored = np.asarray(counts.get(name, np.zeros_like(trained)), dtype=float)
        n, n_trained = scored.sum(), trained.sum()
        categorical = p["kind"] == "categorical"
        records.append(
            {
                "column": name,
                "kind": p["kind"],
                "psi": psi(trained, scored) if n else None,
                "unseen_share": float(scored[-2] / n) if n and categorical else None,
                "missing_share": float(scored[-1] / n) if n else None,
                "training_missing_share": float(trained[-1] / n_trained) if n_trained else None,
                "vocabulary_truncated": bool(p.get("truncated", False)) if categorical else None,
            }
        )
    for c, s in scores.items():
        trained = np.asarray(s["counts"], dtype=float)
        scored = np.asarray(counts.get(f"score:{c}", np.zeros_like(trained)), dtype=float)
        records.append(
            {
                "column": f"p_{c}",
                "kind": "score",
                "psi": psi(trained, scored) if scored.sum() else None,
                "unseen_share": None,
                "missing_share": None,
                "training_missing_share": None,
                "vocabulary_truncated": None,
            }
        )
    for rec in records:
        rec["psi"] = None if rec["psi"] is None or not np.isfinite(rec["psi"]) else float(rec["psi"])
        rec["drifted"] = rec["psi"] is not None and rec["psi"] > threshold
    return sorted(records, key=lambda r: (-(r["psi"] if r["psi"] is not None else -1.0), r["column"]))


def warning(records: list[dict], threshold: float) -> str | None:
    """The one line naming the drifted columns, or None."""
    drifted = [r for r in records if r["drifted"]]
    if not drifted:
        return None
    shown = []
    for r in drifted:
        text = f"{r['column']} (PSI {r['psi']:.2f}"
        if r.get("unseen_share"):
            text += f", {r['unseen_share']:.1%} unseen"
        shown.append(text + ")")
    return (
        f"drift: {', '.join(shown)} — distributed otherwise than in training (PSI > {threshold:g}); "
        "--drift shows every column"
    )
