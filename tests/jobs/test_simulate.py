import hashlib

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import average_precision_score

from clickpred.errors import ClickpredError
from clickpred.jobs.simulate import simulate


def test_rates_funnel_and_truth(tmp_path):
    out, truth = tmp_path / "s.csv", tmp_path / "t.csv"
    stats = simulate(out, rows=60_000, seed=1, truth=truth)
    df, t = pd.read_csv(out), pd.read_csv(truth)
    assert len(df) == len(t) == 60_000
    engaged = (df.event != "view").mean()
    assert 0.001 < engaged < 0.003  # clicks ~0.2% of impressions
    assert stats["counts"]["conversion"] < stats["counts"]["click"]
    np.testing.assert_allclose(t[["p_view", "p_click", "p_conversion"]].sum(axis=1), 1.0)
    assert (t.impression_id == df.impression_id).all()
    assert df.site_id.nunique() > 1000  # thousands of Zipf-popular levels
    assert df.site_id.value_counts().iloc[0] > 20 * df.site_id.value_counts().median()
    # the truth is informative: the oracle beats the prevalence by a wide margin
    oracle = average_precision_score(df.event != "view", 1 - t.p_view)
    assert oracle > 5 * engaged


def test_same_seed_same_file_other_seed_other_file(tmp_path):
    digests = []
    for name, seed in (("a", 3), ("b", 3), ("c", 4)):
        p = tmp_path / f"{name}.csv.gz"
        simulate(p, rows=3000, seed=seed)
        digests.append(hashlib.sha256(pd.read_csv(p).to_csv().encode()).hexdigest())
    assert digests[0] == digests[1] != digests[2]


def test_parquet_output(tmp_path):
    p = tmp_path / "s.parquet"
    simulate(p, rows=1000, seed=0)
    assert len(pd.read_parquet(p)) == 1000


def test_bad_arguments(tmp_path):
    with pytest.raises(ClickpredError, match="rows must be at least 1"):
        simulate(tmp_path / "x.csv", rows=0)
    with pytest.raises(ClickpredError, match="folder .* does not exist"):
        simulate(tmp_path / "no" / "x.csv", rows=10)


def test_world_seed_gives_fresh_rows_of_the_same_world(tmp_path):
    a, b, c = tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "c.csv"
    simulate(a, rows=3000, seed=1, world_seed=9, truth=tmp_path / "ta.csv")
    simulate(b, rows=3000, seed=2, world_seed=9, truth=tmp_path / "tb.csv")
    simulate(c, rows=3000, seed=2)  # another world
    fa, fb, fc = (pd.read_csv(p) for p in (a, b, c))
    assert not fa["site_id"].equals(fb["site_id"])  # other rows …
    top_a, top_b = fa["site_id"].value_counts().index[0], fb["site_id"].value_counts().index[0]
    assert top_a == top_b  # … of the same world (its Zipf-top site)
    assert not set(fc["site_id"]) & set(fa["site_id"])  # another world: other site IDs
    # the same world has the same intercepts: mean true click probability agrees
    pa_, pb = pd.read_csv(tmp_path / "ta.csv")["p_click"].mean(), pd.read_csv(tmp_path / "tb.csv")["p_click"].mean()
    assert abs(pa_ - pb) < 0.25 * pa_


def test_integer_codes_write_the_same_rows_with_codes(tmp_path):
    simulate(tmp_path / "s.csv", rows=2000, seed=3)
    simulate(tmp_path / "i.csv", rows=2000, seed=3, integer_codes=True)
    s, i = pd.read_csv(tmp_path / "s.csv"), pd.read_csv(tmp_path / "i.csv")
    assert list(i.columns[:8]) == ["impression_id", "timestamp", "site", "app", "ad", "campaign", "device", "os"]
    assert (s["event"] == i["event"]).all()
    for text, code in [("site_id", "site"), ("device_type", "device"), ("os", "os")]:
        assert i[code].dtype.kind == "i"
        pairs = s[[text]].assign(code=i[code]).drop_duplicates()
        assert pairs[text].is_unique and pairs["code"].is_unique  # one code per level, one level per code


def test_seeds_out_of_range_are_one_line_errors(tmp_path):
    with pytest.raises(ClickpredError, match=r"world_seed must be between 0 and 2\^63 - 1, got -1"):
        simulate(tmp_path / "x.csv", rows=10, world_seed=-1)


def test_truth_and_output_are_distinct_files_written_whole_or_not_at_all(tmp_path):
    """--truth equal to --output overwrote the log with the truth table; an unwritable --truth named --output and
    left --output written."""
    from clickpred.errors import ClickpredError

    out = tmp_path / "log.csv"
    with pytest.raises(ClickpredError, match=r"truth .*log\.csv: the same file as output"):
        simulate(out, rows=100, truth=out)
    import clickpred.jobs.simulate as sim

    def refused(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    with pytest.MonkeyPatch.context() as mp:  # as an unwritable folder would (root writes anywhere)
        mp.setattr(sim.pq, "ParquetWriter", refused)
        with pytest.raises(ClickpredError, match=r"truth .*truth\.parquet: cannot write \(Permission denied\)"):
            simulate(out, rows=100, truth=tmp_path / "truth.parquet")
    assert list(tmp_path.iterdir()) == []  # the log was not left behind, nor any temporary file
