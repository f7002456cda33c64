"""Drift at scoring: the training profile, the bins counted chunk by chunk, PSI, and what a scoring run names."""

import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import clickpred
from clickpred.evaluation.drift import (
    FLOOR,
    LEVELS,
    category_bins,
    hour_bins,
    numeric_bins,
    profile,
    psi,
    report,
)
from clickpred.io.schema import Column, Schema
from clickpred.jobs.score import score


def test_psi_is_the_textbook_sum_with_a_floor():
    e, a = np.array([0.2, 0.3, 0.5]), np.array([0.25, 0.25, 0.5])
    assert psi(e, a) == pytest.approx(float(np.sum((a - e) * np.log(a / e))))
    assert psi(e * 40, a * 1000) == pytest.approx(psi(e, a))  # counts or shares
    assert psi(np.array([1.0, 0.0]), np.array([0.5, 0.5])) == pytest.approx(
        (0.5 - 1) * np.log(0.5 / 1) + (0.5 - FLOOR) * np.log(0.5 / FLOOR)
    )
    assert psi(e, e) == 0.0 and np.isnan(psi(e, np.zeros(3)))


def test_bins_numbers_categories_and_hours():
    counts = numeric_bins(np.array([0.5, 1.0, 1.5, 2.5, np.nan]), np.array([1.0, 2.0]))
    assert counts.tolist() == [1, 2, 1, 1]  # (−∞, 1), [1, 2), [2, ∞), missing
    lookup = pa.array([f"v{i}" for i in range(LEVELS + 5)])  # the training values, most frequent first
    canon = ["v0", f"v{LEVELS + 2}", "never", "v3"]
    counts = category_bins(np.array([0, 0, 1, 2, 3, -1]), canon, lookup)
    assert len(counts) == LEVELS + 3
    assert counts[0] == 2 and counts[3] == 1  # two levels of their own
    assert counts[LEVELS] == 1 and counts[LEVELS + 1] == 1 and counts[LEVELS + 2] == 1  # other seen, unseen, missing
    times = pa.array(pd.to_datetime(["2026-01-01 05:10", None, "2026-01-02 05:59", "2026-01-02 23:00"]))
    hours = hour_bins(times)
    assert hours[5] == 2 and hours[23] == 1 and hours[24] == 1 and hours.sum() == 4


def _frame(n=2000, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "site": rng.choice([f"s{i}" for i in range(40)], n).astype(object),
            "bid": rng.lognormal(size=n),
            "at": pd.Timestamp("2026-01-05") + pd.to_timedelta(rng.integers(0, 5 * 86400, n), unit="s"),
        }
    )


def test_the_training_rows_against_their_own_profile_drift_nowhere():
    frame = _frame()
    schema = Schema(
        "y",
        ["view", "click"],
        [Column("site", "categorical", 40, 0), Column("bid", "numeric", 2000, 0), Column("at", "timestamp", 2000, 0)],
    )
    prof = profile(frame, schema)
    counts = {name: p["counts"] for name, p in prof["columns"].items()}
    records = report(prof, {}, counts)
    assert all(r["psi"] == 0.0 and not r["drifted"] for r in records)
    assert sum(prof["columns"]["site"]["counts"]) == 2000 and len(prof["columns"]["bid"]["edges"]) == 9


@pytest.fixture(scope="module")
def shifted(small_csv, tmp_path_factory):
    """small_csv with every site replaced by one training never held, and the bid squeezed towards its median."""
    d = tmp_path_factory.mktemp("drift")
    frame = pd.read_csv(small_csv)
    frame["site_id"] = [f"new{i % 50}" for i in range(len(frame))]
    median = frame["bid_price"].median()
    frame["bid_price"] = median + (frame["bid_price"] - median) * 0.2
    path = d / "shifted.csv"
    frame.to_csv(path, index=False)
    return path


def _drifted(records):
    return {r["column"] for r in records if r["drifted"] and r["kind"] != "score"}


def test_scoring_names_exactly_the_columns_that_moved_and_the_training_file_none(
    scoring_model, small_csv, shifted, tmp_path
):
    res = score(scoring_model, [shifted], tmp_path / "s.parquet")
    assert _drifted(res.drift) == {"site_id", "bid_price"}
    site = next(r for r in res.drift if r["column"] == "site_id")
    assert site["unseen_share"] == 1.0 and site["missing_share"] == 0.0
    summary = json.loads((tmp_path / "s.parquet.summary.json").read_text())  # beside a file output
    assert summary["drift"] == json.loads(json.dumps(res.drift)) and summary["rows_scored"] == res.rows_scored
    same = score(scoring_model, [small_csv], tmp_path / "same.parquet")
    assert not any(r["drifted"] for r in same.drift), [r for r in same.drift if r["drifted"]]
    assert all(r["psi"] == 0.0 for r in same.drift)  # the scores too: compared with the model's own on these rows
    assert {r["column"] for r in same.drift if r["kind"] == "score"} == {"p_click", "p_conversion"}


def test_the_tally_does_not_depend_on_the_chunks_or_the_door(scoring_model, shifted, tmp_path):
    whole = score(scoring_model, [shifted], tmp_path / "a.parquet")
    chunked = score(scoring_model, [shifted], tmp_path / "b.parquet", chunk_rows=97, jobs=2)
    assert chunked.drift == whole.drift
    frame = clickpred.drift(scoring_model, pd.read_csv(shifted))
    assert frame["column"].tolist() == [r["column"] for r in whole.drift]
    np.testing.assert_allclose(frame["psi"].to_numpy(float), [r["psi"] for r in whole.drift], rtol=1e-9)


def test_a_folder_output_keeps_the_drift_in_its_summary(scoring_model, shifted, small_csv, tmp_path):
    res = score(scoring_model, [shifted, small_csv], tmp_path / "out")
    summary = json.loads((tmp_path / "out" / "_summary.json").read_text())
    assert _drifted(summary["drift"]) == {"site_id", "bid_price"} == _drifted(res.drift)


def test_the_threshold_is_checked_and_moves_the_verdict(scoring_model, shifted, tmp_path):
    from clickpred.errors import ConfigError

    with pytest.raises(ConfigError, match="drift_threshold must be a positive number"):
        score(scoring_model, [shifted], tmp_path / "x.parquet", drift_threshold=-1)
    lax = score(scoring_model, [shifted], tmp_path / "y.parquet", drift_threshold=1000)
    assert not any(r["drifted"] for r in lax.drift) and lax.drift_threshold == 1000
