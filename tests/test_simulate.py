import hashlib

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import average_precision_score

from clickpred.errors import ClickpredError
from clickpred.simulate import simulate


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
    with pytest.raises(ClickpredError, match="--rows must be at least 1"):
        simulate(tmp_path / "x.csv", rows=0)
    with pytest.raises(ClickpredError, match="folder .* does not exist"):
        simulate(tmp_path / "no" / "x.csv", rows=10)
