import numpy as np
import pandas as pd

from clickpred.io.dataset import load_dataset
from clickpred.io.schema import Column, Schema
from clickpred.modeling.features import build_features


def _schema():
    return Schema(
        "y",
        ["v", "c"],
        [
            Column("num", "numeric", 50, 3),
            Column("dev", "categorical", 3, 0),
            Column("site", "id", 400, 0),
            Column("ts", "timestamp", 50, 0),
        ],
    )


def _frame(n=400, seed=0):
    rng = np.random.default_rng(seed)
    num = rng.normal(size=n)
    num[:3] = np.nan
    return pd.DataFrame(
        {
            "num": num,
            "dev": rng.choice(["a", "b", "c"], n).astype(object),
            "site": np.array([f"s{i}" for i in rng.zipf(1.5, n) % 400], dtype=object),
            "ts": pd.Timestamp("2026-01-05") + pd.to_timedelta(rng.integers(0, 7 * 86400, n), unit="s"),
        }
    ), np.where(rng.random(n) < 0.1, "c", "v")


def test_codes_come_first_and_ids_are_capped():
    X, y = _frame()
    layout = build_features(_schema(), id_min_frequency=3, id_max_levels=10)
    assert layout.n_categorical == 1 + 2 + 1  # dev, hour, dow, site
    A = layout.prepare.fit_transform(X, y)
    assert A.shape == (400, 4 + 2)  # + num and its missing indicator
    assert len(np.unique(A[:, 3])) <= 10  # frequent site levels + one infrequent bucket
    E = layout.encode.fit_transform(A)
    assert E.shape[1] <= 3 + 24 + 7 + 10 + 2


def test_unseen_categories_and_ids_are_encoded_not_rejected():
    X, y = _frame()
    layout = build_features(_schema())
    layout.encode.fit(layout.prepare.fit_transform(X, y))
    new = X.head(3).copy()
    new["dev"] = ["zzz", None, "a"]
    new["site"] = ["never-seen", None, "s1"]
    out = layout.encode.transform(layout.prepare.transform(new))
    assert out.shape[0] == 3 and np.isfinite(out.toarray() if hasattr(out, "toarray") else out).all()


def test_target_encoding_is_deterministic_given_the_seed(sim_csv):
    ds = load_dataset(sim_csv)
    outs = []
    for _ in range(2):
        layout = build_features(ds.schema, id_encoding="target", seed=7)
        outs.append(layout.prepare.fit_transform(ds.frame, ds.y))
    np.testing.assert_array_equal(outs[0], outs[1])
    assert layout.n_numeric >= 3 * len(ds.schema.names("id"))


def test_frequency_encoding_option(sim_csv):
    ds = load_dataset(sim_csv)
    layout = build_features(ds.schema, id_encoding="frequency")
    A = layout.prepare.fit_transform(ds.frame, ds.y)
    assert A.shape[0] == len(ds.y) and np.isfinite(A).all()
