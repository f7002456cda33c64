import numpy as np
import pandas as pd

from clickpred.evaluation.leakage import find_leaks


def _data(n=5000, seed=0):
    rng = np.random.default_rng(seed)
    y = np.where(rng.random(n) < 0.02, "conversion", "view")
    X = pd.DataFrame(
        {
            "bid": rng.lognormal(size=n) + (y == "conversion") * 0.3,  # a real, weak signal
            "device": rng.choice(["a", "b", "c"], n),
            "converted_at": pd.Series(pd.Timestamp("2026-01-05"), index=range(n)).where(y == "conversion"),
            "order_value": np.where(y == "conversion", rng.uniform(10, 100, n), 0.0),
        }
    )
    return X, y


def test_flags_post_outcome_columns_and_not_honest_ones():
    X, y = _data()
    kinds = {"bid": "numeric", "device": "categorical", "converted_at": "timestamp", "order_value": "numeric"}
    leaks = find_leaks(X, y, ["view", "conversion"], kinds)
    assert {w.column for w in leaks} == {"converted_at", "order_value"}
    msg = next(w for w in leaks if w.column == "converted_at").message()
    assert "column 'converted_at' alone separates class 'conversion'" in msg and "--drop converted_at" in msg


def test_high_cardinality_ids_are_cross_fitted_so_rare_levels_do_not_look_leaky():
    rng = np.random.default_rng(1)
    n = 5000
    y = np.where(rng.random(n) < 0.02, "click", "view")
    X = pd.DataFrame({"user": [f"u{i}" for i in rng.integers(0, 3000, n)]})
    assert find_leaks(X, y, ["view", "click"], {"user": "id"}) == []
