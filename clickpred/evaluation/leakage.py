"""Leakage guard: a single feature that almost perfectly separates a minority class.

Such a column is usually recorded after the outcome (a conversion timestamp
filled only for converters, a post-click duration). Each feature is scored on
its own, per minority class, by the PR-AUC and ROC-AUC of: its missingness,
its value (numeric), and its cross-fitted per-level class rate (categorical).

Example
-------
>>> import pandas as pd, numpy as np
>>> y = np.array(["no"] * 95 + ["yes"] * 5)
>>> X = pd.DataFrame({"paid_at": [None] * 95 + ["2024-01-01"] * 5})
>>> [w.column for w in find_leaks(X, y, ["no", "yes"], {"paid_at": "categorical"})]
['paid_at']
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .intervals import RankedScores

PR_AUC_LIMIT = 0.8
ROC_AUC_LIMIT = 0.98
MAX_ROWS = 300_000


@dataclass
class LeakWarning:
    column: str
    cls: str
    how: str
    pr_auc: float
    roc_auc: float

    def message(self) -> str:
        return (
            f"possible leakage: column '{self.column}' alone separates class '{self.cls}' almost perfectly "
            f"({self.how}: PR-AUC {self.pr_auc:.3f}, ROC-AUC {self.roc_auc:.3f}); if it is known only after "
            f"the outcome, remove it with --drop {self.column}"
        )


def _level_codes(values: pd.Series) -> np.ndarray:
    return pd.factorize(values.astype(str), use_na_sentinel=False)[0]


def _level_rate(codes: np.ndarray, t: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Per-level positive rate (levels: :func:`_level_codes`), cross-fitted over two halves so rare levels don't
    look perfect."""
    half = rng.random(len(codes)) < 0.5
    out = np.zeros(len(codes))
    prior = t.mean()
    for fit_mask in (half, ~half):
        pos = np.bincount(codes[fit_mask], weights=t[fit_mask], minlength=codes.max() + 1)
        cnt = np.bincount(codes[fit_mask], minlength=codes.max() + 1)
        rate = (pos + prior * 10) / (cnt + 10)
        out[~fit_mask] = rate[codes[~fit_mask]]
    return out


def _score(t, s):
    """PR-AUC and ROC-AUC of ``s`` for ``t``, or of ``-s`` when that ranks better (one sort each)."""
    if t.sum() == 0 or t.all() or np.all(s == s[0]):
        return 0.0, 0.5
    ranked = RankedScores(t, s)
    roc = ranked.roc_auc()
    if roc < 0.5:
        ranked, roc = RankedScores(t, -s), 1 - roc
    return ranked.average_precision(), roc


def find_leaks(
    X: pd.DataFrame, y: np.ndarray, classes: list[str], kinds: dict[str, str], seed: int = 0
) -> list[LeakWarning]:
    """Return a warning for each (column, minority class) that looks like leakage."""
    rng = np.random.default_rng(seed)
    if len(X) > MAX_ROWS:
        idx = np.sort(rng.choice(len(X), MAX_ROWS, replace=False))
        X, y = X.iloc[idx], y[idx]
    warnings = []
    for col in X.columns:
        s = X[col]
        kind = kinds.get(col, "numeric")
        candidates = []
        miss = s.isna().to_numpy()
        if miss.any():
            candidates.append(("missingness", (~miss).astype(float)))
        if kind == "numeric":
            v = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float)
            if not np.isnan(v).all():
                candidates.append(("value", np.nan_to_num(v, nan=np.nanmin(v) - 1)))
        elif kind == "timestamp":
            v = pd.to_datetime(s, errors="coerce").astype("int64").to_numpy(dtype=float)
            candidates.append(("value", v))
        levels = None  # a column's levels, coded once for every class
        for c in classes[1:]:
            t = y == c
            if t.sum() < 5:
                continue
            cands = list(candidates)
            if kind in ("categorical", "id"):
                levels = _level_codes(s) if levels is None else levels
                cands.append(("level rate", _level_rate(levels, t.astype(float), rng)))
            for how, score in cands:
                pr, roc = _score(t, score)
                if pr >= PR_AUC_LIMIT and roc >= ROC_AUC_LIMIT:
                    warnings.append(LeakWarning(col, c, how, float(pr), float(roc)))
                    break
    return warnings
