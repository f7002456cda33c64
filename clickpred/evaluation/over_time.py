"""Figures per slice of time: out-of-fold (or held-out) PR-AUC and calibration per day or week of a timestamp.

A model ages: clicks follow campaigns, seasons and sites that come and go. Where a log has a timestamp, the
figures of each day (a span of up to :data:`DAYS_AS_DAYS` days) or week are the first sign of it — a PR-AUC that
falls, a calibration ratio (mean predicted / observed) that drifts from 1 — in ``train``'s report on the
out-of-fold rows, and in ``evaluate`` on a later labelled log. A slice's PR-AUC is ``None`` where it holds no row
of the class (and fragile where it holds few: each slice says how many).

Example
-------
>>> import numpy as np, pandas as pd
>>> t = pd.Series(pd.date_range("2026-01-05", periods=6, freq="12h"))
>>> y = np.array(["view", "click", "view", "view", "click", "view"])
>>> p = np.array([[0.9, 0.1], [0.4, 0.6], [0.8, 0.2], [0.7, 0.3], [0.5, 0.5], [0.9, 0.1]])
>>> doc = over_time(t, y, p, ["view", "click"], has_proba=True)
>>> doc["unit"], [s["rows"] for s in doc["slices"]]
('day', [2, 2, 2])
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .intervals import RankedScores

DAYS_AS_DAYS = 62  # a span up to this many days is sliced by day, a longer one by week
MAX_SLICES = 400  # beyond this many slices (years of weeks) the table says nothing a reader can take in


def timestamp_column(schema) -> str | None:
    """The first timestamp column of a schema (the one a log's time is told by), if any."""
    return next((c.name for c in schema.features if c.kind == "timestamp"), None)


def over_time(stamps: pd.Series, y: np.ndarray, scores: np.ndarray, classes: list[str], has_proba: bool) -> dict | None:
    """Per day or week of ``stamps`` (a row's time; missing times in no slice): rows, and per minority class its
    positives, PR-AUC and — for probabilities — calibration ratio. None without two slices to compare."""
    times = pd.to_datetime(pd.Series(stamps).reset_index(drop=True))
    if getattr(times.dt, "tz", None) is not None:
        times = times.dt.tz_localize(None)  # the column's own wall clock
    known = times.notna().to_numpy()
    if known.sum() == 0:
        return None
    span_days = (times[known].max() - times[known].min()) / pd.Timedelta(days=1)
    unit = "day" if span_days <= DAYS_AS_DAYS else "week"
    start = (
        times.dt.floor("D")
        if unit == "day"
        else (times - pd.to_timedelta(times.dt.day_of_week, unit="D")).dt.floor("D")
    )
    keys = start.to_numpy()
    slices = sorted(set(keys[known].tolist()))
    if len(slices) < 2 or len(slices) > MAX_SLICES:
        return None
    y = np.asarray(y)
    out = []
    for s in slices:
        rows = known & (keys == s)
        entry: dict = {"start": pd.Timestamp(s).date().isoformat(), "rows": int(rows.sum()), "classes": {}}
        for k, c in enumerate(classes[1:], start=1):
            t = y[rows] == c
            positives = int(t.sum())
            pr_auc = RankedScores(t, scores[rows, k]).average_precision() if 0 < positives < rows.sum() else None
            ratio = None
            if has_proba and positives:
                ratio = float(scores[rows, k].mean() / t.mean())
            entry["classes"][c] = {"positives": positives, "pr_auc": pr_auc, "calibration_ratio": ratio}
        out.append(entry)
    return {"unit": unit, "slices": out}
