"""Pairwise crosses of categorical and ID columns, for the linear models.

A linear model on one-hot columns adds one weight per app and one per channel;
it cannot learn that *this* app converts on *that* channel. A cross is a new
column whose value is the pair (``app × channel``), one-hot encoded like any
ID (its most frequent pairs, the rest in one bucket — the capped form of the
hashing trick, without collisions). Crosses are columns of the schema
(``Column.of`` names the pair), computed from the two columns' canonical
values wherever data is read — training, ``evaluate``, ``score`` and the
compiled linear scorer alike — so a cross is one more table lookup per row.

``[features] crosses`` in a spec: ``"none"`` (default), a list of pairs
(``[["app", "channel"]]``), or ``"auto"``: :func:`choose` ranks every pair of
categorical/ID columns by the cross-fitted gain in log loss of the pair's own
minority rate over what the two columns predict additively (log-odds of one
plus the other), within a time budget, and keeps the pairs whose gain is
beyond two standard errors (at most :data:`MAX_AUTO`).

Example
-------
>>> import numpy as np
>>> cross_values(np.array(["a", None, "b"], dtype=object), np.array(["x", "y", None], dtype=object)).tolist()
['a\\x1fx', '∅\\x1fy', 'b\\x1f∅']
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np
import pandas as pd

from .codes import (
    FOLDS,
    MIN_POSITIVES,
    code_counts,
    folds_of,
    mean_se,
    row_log_loss,
    shrunk,
    training_prior,
)

SEP = "\x1f"  # never part of a canonical category string
MISSING = "∅"
MAX_AUTO = 5
BUDGET_SECONDS = 30.0


def cross_name(a: str, b: str) -> str:
    return f"{a}_x_{b}"


def cross_values(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The pair's category strings from the two columns' canonical strings (None = missing)."""
    a = pd.Series(a, dtype=object).fillna(MISSING).astype(str)
    b = pd.Series(b, dtype=object).fillna(MISSING).astype(str)
    return (a + SEP + b).to_numpy(dtype=object)


def cross_codes(a: tuple, b: tuple) -> tuple[np.ndarray, list[str]]:
    """The pair's codes and canonical strings from two columns as (codes, -1 = missing; strings) —
    :class:`clickpred.io.chunks.Inputs` form, one string per distinct pair in the chunk."""
    (ca, va), (cb, vb) = a, b
    va = [str(v) for v in (va.to_pylist() if hasattr(va, "to_pylist") else va)] + [MISSING]
    vb = [str(v) for v in (vb.to_pylist() if hasattr(vb, "to_pylist") else vb)] + [MISSING]
    ia = np.where(ca < 0, len(va) - 1, ca)
    ib = np.where(cb < 0, len(vb) - 1, cb)
    pair = ia.astype(np.int64) * len(vb) + ib
    distinct, codes = np.unique(pair, return_inverse=True)
    names = [va[p // len(vb)] + SEP + vb[p % len(vb)] for p in distinct.tolist()]
    return codes.astype(np.int64), names


def with_crosses(
    frame: pd.DataFrame, schema, pairs: list[tuple[str, str]], max_levels: int, evidence: dict | None = None
):
    """``frame`` and ``schema`` with a cross column per pair (kind ``id`` above ``max_levels`` values)."""
    from .schema import Column

    features, out = list(schema.features), {}
    kinds = {c.name: c.kind for c in features}
    for a, b in pairs:
        name = cross_name(a, b)
        if name in kinds:
            continue
        values = cross_values(frame[a].to_numpy(dtype=object), frame[b].to_numpy(dtype=object))
        n_unique = int(pd.Series(values).nunique())
        kind = "id" if n_unique > max_levels else "categorical"
        why = (evidence or {}).get((a, b), "cross of the two columns (asked for)")
        features.append(Column(name, kind, n_unique, 0, "", "string", why, [a, b]))
        out[name] = values
    return frame.assign(**out) if out else frame, replace(schema, features=features)


def check_pairs(pairs, schema, where: str) -> list[tuple[str, str]]:
    """Named pairs must be two distinct categorical or ID columns of the data."""
    from ..errors import ConfigError

    kinds = {c.name: c.kind for c in schema.features}
    out = []
    for pair in pairs:
        a, b = pair
        for col in (a, b):
            if kinds.get(col) not in ("categorical", "id"):
                raise ConfigError(
                    f"{where}: crosses: '{col}' is not a categorical or ID column of the data; those are: "
                    + ", ".join(c for c, k in kinds.items() if k in ("categorical", "id"))
                )
        if a == b:
            raise ConfigError(f"{where}: crosses: a column crossed with itself ({a})")
        out.append((a, b))
    return out


def _logit(p):
    p = np.clip(p, 1e-9, 1 - 1e-9)
    return np.log(p / (1 - p))


def pair_gain(a: np.ndarray, b: np.ndarray, t: np.ndarray, seed: int = 0) -> tuple[float, float]:
    """Cross-fitted log loss per row of the additive prediction minus the pair's own rate (shrunk toward
    the additive one): (mean, standard error). Positive: the pair knows something the columns alone don't."""
    _, ia = np.unique(a, return_inverse=True)
    _, ib = np.unique(b, return_inverse=True)
    _, ip = np.unique(ia.astype(np.int64) * (ib.max() + 1) + ib, return_inverse=True)
    n = len(t)
    fold = folds_of(n, seed)
    d = np.empty(n)
    for f in range(FOLDS):
        te, tr = fold == f, fold != f
        prior = training_prior(t, tr)
        pa_ = shrunk(*code_counts(ia, t, tr, ia.max() + 1), prior)
        pb_ = shrunk(*code_counts(ib, t, tr, ib.max() + 1), prior)
        additive = 1 / (1 + np.exp(-(_logit(pa_[ia]) + _logit(pb_[ib]) - _logit(prior))))
        pos, rows = code_counts(ip, t, tr, ip.max() + 1)
        own = shrunk(pos[ip], rows[ip], additive)  # the pair's own rate, shrunk toward the additive one
        d[te] = row_log_loss(additive[te], t[te]) - row_log_loss(own[te], t[te])
    return mean_se(d)


def choose(
    frame: pd.DataFrame, y: np.ndarray, schema, seed: int = 0, budget: float = BUDGET_SECONDS, max_pairs: int = MAX_AUTO
) -> tuple[list[tuple[str, str]], dict, str]:
    """Pairs worth crossing (``crosses = "auto"``), their evidence, and a note saying what was tried."""
    cols = [c.name for c in schema.features if c.kind in ("categorical", "id") and not c.of]
    t = (np.asarray(y).astype(str) != schema.classes[0]).astype(float)
    if t.sum() < MIN_POSITIVES or len(cols) < 2:
        return [], {}, f"crosses auto: none tried ({int(t.sum())} minority rows, {len(cols)} categorical/ID columns)"
    codes = {c: frame[c].fillna(MISSING).astype(str).to_numpy() for c in cols}
    pairs = [(a, b) for i, a in enumerate(cols) for b in cols[i + 1 :]]
    t0, gains = time.perf_counter(), {}
    for a, b in pairs:
        if time.perf_counter() - t0 > budget:
            break
        gains[(a, b)] = pair_gain(codes[a], codes[b], t, seed)
    kept = sorted((p for p, (g, se) in gains.items() if g > 2 * se), key=lambda p: -gains[p][0])[:max_pairs]
    evidence = {
        p: f'cross kept by crosses = "auto": cross-fitted log loss per row, additive − pair '
        f"{gains[p][0]:+.2e} ± {gains[p][1]:.1e}"
        for p in kept
    }
    note = f"crosses auto: {len(gains)} of {len(pairs)} pairs tried in {time.perf_counter() - t0:.1f} s; kept " + (
        ", ".join(cross_name(*p) for p in kept) if kept else "none (no pair beat the additive model by 2 SE)"
    )
    return kept, evidence, note
