"""Racing in compare: the schedule, the rounds' rows, Holm's elimination, and survivors equal to the exhaustive run."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from clickpred.evaluation.intervals import Interval, paired
from clickpred.jobs.compare import compare
from clickpred.jobs.racing import Costs, compare_to_best, permutations, round_sizes, round_splits, schedule
from clickpred.jobs.simulate import simulate

ROOT = Path(__file__).resolve().parents[2]


def test_schedule_starts_at_start_rows_and_grows_while_at_most_a_quarter_of_the_majority():
    assert schedule(160_000) == [0.125]  # the 200k sample: one round
    assert schedule(800_000) == pytest.approx([0.025])  # 1M rows: one (the next, 16×, would be 40%)
    assert schedule(1_280_000) == pytest.approx([1 / 64, 0.25])  # two from 1.6M rows
    assert schedule(79_999) == []  # the first round would be over a quarter of the rows: not worth racing
    assert schedule(80_000) == [0.25]
    assert schedule(3_000, start_rows=300) == pytest.approx([0.1])
    assert schedule(0) == []


def test_rounds_keep_every_minority_row_a_nested_share_of_the_majority_and_the_whole_validation_fold():
    rng = np.random.default_rng(0)
    y = np.where(rng.random(5_000) < 0.03, "click", "view")
    y[rng.random(5_000) < 0.005] = "conversion"
    idx = np.arange(len(y))
    splits = [(idx[idx % 3 != f], idx[idx % 3 == f]) for f in range(3)]
    orders = permutations(splits, y, "view", seed=7)
    small, big = round_splits(splits, orders, 0.1), round_splits(splits, orders, 0.4)
    for (tr, te), (s_tr, s_te), (b_tr, b_te) in zip(splits, small, big):
        assert np.array_equal(s_te, te) and np.array_equal(b_te, te)  # scored on the whole validation fold
        minority = tr[y[tr] != "view"]
        assert np.isin(minority, s_tr).all() and np.isin(minority, b_tr).all()  # every minority row
        n_major = (y[tr] == "view").sum()
        assert (y[s_tr] == "view").sum() == round(0.1 * n_major)
        assert (y[b_tr] == "view").sum() == round(0.4 * n_major)
        assert np.isin(s_tr, b_tr).all()  # nested: the bigger round holds the smaller one
        assert np.isin(s_tr, tr).all() and len(np.unique(s_tr)) == len(s_tr)
    assert round_sizes(splits, y, "view", 0.1) == [len(tr) for tr, _ in small]
    again = round_splits(splits, permutations(splits, y, "view", seed=7), 0.1)
    other = round_splits(splits, permutations(splits, y, "view", seed=8), 0.1)
    assert all(np.array_equal(a[0], b[0]) for a, b in zip(small, again))  # seeded
    assert not all(np.array_equal(a[0], b[0]) for a, b in zip(small, other))


def _table(differences: dict[str, float], spread: float = 0.01, replicates: int = 2_000, confidence: float = 0.99):
    """Replicates of a best candidate at 0.5 and others at 0.5 − difference, paired (a shared row draw) plus noise."""
    rng = np.random.default_rng(1)
    base = 0.5 + rng.normal(0, 0.01, replicates)
    values = {"best": base}
    point = {"best": Interval(0.5, 0.0, 1.0)}
    for name, difference in differences.items():
        values[name] = base - difference + rng.normal(0, spread, replicates)
        point[name] = Interval(0.5 - difference, 0.0, 1.0)
    return compare_to_best("best", point, values, confidence=confidence), point, values


def test_a_round_eliminates_by_the_leaderboards_paired_test_at_a_stricter_level():
    table, point, values = _table({"far": 0.05, "near": 0.005, "same": 0.0, "edge": 0.022})
    assert table["far"]["eliminated"] and not table["near"]["eliminated"] and not table["same"]["eliminated"]
    assert table["best"] == {"metric": 0.5, "best": True, "eliminated": False}
    for name in ("far", "near", "same", "edge"):  # the leaderboard's own paired interval, at 99%
        pair = paired("best", name, point, values, confidence=0.99)
        assert (table[name]["low"], table[name]["high"]) == (pair.low, pair.high)
        assert table[name]["eliminated"] == (pair.low > 0) and table[name]["level"] == 0.99
    # 2.2 standard deviations: the leaderboard (95%) would call it worse, the race (99%) keeps it
    assert paired("best", "edge", point, values).distinguishable and not table["edge"]["eliminated"]


def test_costs_use_a_prior_until_measured_then_seconds_per_row():
    costs = Costs({"lr": ("logistic", "none"), "mlp": ("mlp", "oversample")})
    assert costs.estimate("mlp", 10_000) > costs.estimate("lr", 10_000) > 0  # the prior orders the first round
    costs.record("mlp", 2.0, 1_000)
    assert costs.estimate("mlp", 4_000) == pytest.approx(8.0)
    assert costs.units("mlp", 4_000) == 8_000 and costs.units("lr", 0) == 1


@pytest.fixture(scope="module")
def raced(tmp_path_factory):
    """One grid on 20k simulated rows, raced (first round at 1,500 majority rows per fold) and exhaustive."""
    path = tmp_path_factory.mktemp("race") / "log.csv"
    simulate(path, rows=20_000, seed=3, click_rate=0.02, conversion_rate=0.2)
    kw = dict(classifiers=["logistic"], folds=3, replicates=100, seed=42)
    calls = []
    race = compare(path, racing=True, race_rows=1_500, progress=lambda *a: calls.append(a), **kw)
    full = compare(path, racing=False, **kw)
    return race, full, calls


def test_survivors_get_exactly_the_exhaustive_figures(raced):
    race, full, _ = raced
    assert race.eliminated and race.results  # the grid was raced, and someone survived
    assert set(race.results) | set(race.eliminated) == set(full.results)
    assert not set(race.results) & set(race.eliminated)
    assert race.leaderboard[0]["name"] == full.leaderboard[0]["name"]
    for row in race.leaderboard:
        name = row["name"]
        r, f = race.results[name], full.results[name]
        assert np.max(np.abs(r.scores[0] - f.scores[0])) <= 1e-12
        assert np.max(np.abs(r.corrected_scores - f.corrected_scores)) <= 1e-12
        assert np.array_equal(r.decisions, f.decisions)
        f_row = next(x for x in full.leaderboard if x["name"] == name)
        for key, value in row.items():
            if key in ("rank", "fit_seconds"):
                continue
            if isinstance(value, float):
                assert value == pytest.approx(f_row[key], abs=1e-12, nan_ok=True), key
            else:
                assert value == f_row[key], key


def test_racing_eliminates_only_what_the_exhaustive_run_finds_distinguishably_worse(raced):
    race, full, _ = raced
    verdict = {r["name"]: r["distinguishable_from_best"] for r in full.leaderboard}
    assert all(verdict[name] is True for name in race.eliminated)
    for e in race.eliminated.values():
        assert e.low > 0 and e.high >= e.difference >= e.low and e.best in race.results
        assert e.rows < len(race.y) and e.level == 0.99 and e.classifier == "logistic"
    assert [r.number for r in race.race] == list(range(1, len(race.race) + 1))
    assert "Racing eliminated" in race.recommendation and "Racing" not in full.recommendation
    assert "racing" in race.timings and "racing" not in full.timings


def test_progress_counts_estimated_work_and_ends_complete(raced):
    _, _, calls = raced
    assert calls[-1][0] == calls[-1][1] > 0
    assert all(b[0] >= a[0] for a, b in zip(calls, calls[1:]))  # never goes back
    assert any(text.startswith("racing round 1 of ") for _, _, text in calls)
    survivors = len(raced[0].results)
    assert calls[-2][2].startswith(f"all rows: {survivors} candidates")
    assert calls[-1][2] == f"closing: probability corrections and decision rules of {survivors} candidate(s)"


def test_the_report_lists_eliminated_candidates_with_their_round(raced, tmp_path):
    from clickpred.reporting.compare_report import eliminated_table, write_compare_report

    race, _, _ = raced
    paths = write_compare_report(race, tmp_path / "report")
    frame = pd.read_csv(paths["leaderboard"])
    gone = frame[frame["status"].str.startswith("eliminated")]
    assert sorted(gone["name"]) == sorted(race.eliminated)
    assert gone["rank"].isna().all() and (gone["race_vs_best_low"] > 0).all() and gone["metric"].isna().all()
    ran = frame[frame["status"] == "ran on all rows"]
    assert list(ran["name"]) == [r["name"] for r in race.leaderboard]
    doc = json.loads(paths["json"].read_text())
    assert {e["name"] for e in doc["racing"]["eliminated"]} == set(race.eliminated)
    assert len(doc["racing"]["rounds"]) == len(race.race)
    html = paths["html"].read_text()
    assert "Eliminated by racing" in html and all(name in html for name in race.eliminated)
    assert eliminated_table(race).row_count == len(race.eliminated)


def test_small_files_and_cost_sorted_compares_are_not_raced(small_csv, tmp_path):
    res = compare(small_csv, classifiers=["logistic"], strategies=["none", "undersample"], folds=2, replicates=20)
    assert res.race == [] and res.eliminated == {}  # 4,000 rows: no round is worth its cost
    costs = tmp_path / "costs.toml"
    costs.write_text(
        "[costs]\nview = { view = 0, click = 1, conversion = 1 }\n"
        "click = { view = 5, click = 0, conversion = 1 }\nconversion = { view = 20, click = 5, conversion = 0 }\n"
    )
    res = compare(
        small_csv,
        classifiers=["logistic"],
        strategies=["none", "undersample"],
        folds=2,
        replicates=20,
        costs=costs,
        race_rows=100,
    )
    assert res.race == [] and any("racing ranks candidates by PR-AUC" in n for n in res.notes)


@pytest.fixture(scope="module")
def sample_runs():
    """The shipped sample (160k training rows per fold: one round), logistic × every strategy, raced and exhaustive."""
    data = ROOT / "data" / "impressions_sample.csv.gz"
    kw = dict(classifiers=["logistic"], jobs=2)
    return compare(data, racing=True, **kw), compare(data, racing=False, **kw)


@pytest.mark.slow
def test_racing_keeps_the_winner_and_the_survivors_figures_on_the_shipped_sample(sample_runs):
    race, full = sample_runs
    assert race.race and race.eliminated  # raced, and something was dropped
    assert race.leaderboard[0]["name"] == full.leaderboard[0]["name"]
    assert race.recommendation.split(" (no-skill")[0] == full.recommendation.split(" (no-skill")[0]
    for name, r in race.results.items():
        assert np.max(np.abs(r.scores[0] - full.results[name].scores[0])) <= 1e-12


@pytest.mark.slow
@pytest.mark.xfail(
    strict=True,
    reason="training-size drift: logistic-smote is clearly worse on 20,000 views per fold (round 1) but can't be "
    "told from the best on all 160,000 (docs/benchmarks.md, racing)",
)
def test_racing_keeps_the_cant_tell_set_on_the_shipped_sample(sample_runs):
    race, full = sample_runs
    cant_tell = {r["name"] for r in full.leaderboard if r["distinguishable_from_best"] is not True}
    assert cant_tell <= set(race.results)


def test_racing_is_decided_by_the_grids_estimated_cost_not_a_row_count():
    """A 100k-row log with 79,743 majority rows per fold ran every candidate in full (racing started at 80,000):
    an expensive grid races there too (a first round at a quarter of the majority rows); a cheap grid is not
    raced whatever its rows; the sample's schedule is what it was."""
    from clickpred.jobs.racing import RACE_SECONDS, START_ROWS, auto_schedule, schedule

    assert auto_schedule(RACE_SECONDS * 5, 79_743) == [pytest.approx(0.25, abs=1e-4)]
    assert auto_schedule(RACE_SECONDS / 2, 10_000_000) == []
    assert auto_schedule(RACE_SECONDS * 5, 159_700) == schedule(159_700, start_rows=START_ROWS)
    assert auto_schedule(RACE_SECONDS * 5, 7_000) == []  # a first round of 1,750 rows would say too little
