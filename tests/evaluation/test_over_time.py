"""Figures per day or week of a log's timestamp: in train's report and evaluate's document."""

import numpy as np
import pandas as pd

from clickpred.evaluation.intervals import RankedScores
from clickpred.evaluation.over_time import over_time


def test_each_slice_holds_its_own_rows_figures():
    rng = np.random.default_rng(0)
    n = 3000
    t = pd.Series(pd.Timestamp("2026-01-05") + pd.to_timedelta(rng.integers(0, 10 * 86400, n), unit="s"))
    y = np.where(rng.random(n) < 0.05, "click", "view")
    p = np.clip(0.05 + 0.3 * (y == "click") * rng.random(n), 0, 1)
    P = np.column_stack([1 - p, p])
    doc = over_time(t, y, P, ["view", "click"], has_proba=True)
    assert doc["unit"] == "day" and len(doc["slices"]) == 10 and sum(s["rows"] for s in doc["slices"]) == n
    first = doc["slices"][0]
    rows = (t.dt.floor("D") == pd.Timestamp(first["start"])).to_numpy()
    assert first["classes"]["click"]["positives"] == int((y[rows] == "click").sum())
    assert first["classes"]["click"]["pr_auc"] == RankedScores(y[rows] == "click", p[rows]).average_precision()
    ratio = p[rows].mean() / (y[rows] == "click").mean()
    assert np.isclose(first["classes"]["click"]["calibration_ratio"], ratio)


def test_long_spans_go_by_week_and_one_slice_says_nothing():
    t = pd.Series(pd.date_range("2026-01-01", periods=200, freq="D"))
    y = np.array(["view", "click"] * 100)
    P = np.tile([[0.6, 0.4]], (200, 1))
    doc = over_time(t, y, P, ["view", "click"], has_proba=False)
    assert doc["unit"] == "week" and all(pd.Timestamp(s["start"]).weekday() == 0 for s in doc["slices"])
    assert doc["slices"][0]["classes"]["click"]["calibration_ratio"] is None  # decision values: no ratio
    assert over_time(pd.Series(pd.to_datetime(["2026-01-01"] * 4)), y[:4], P[:4], ["view", "click"], True) is None
