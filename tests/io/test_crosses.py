"""Crosses of categorical/ID columns: the same values in training, scoring and the compiled scorer."""

import numpy as np
import pandas as pd
import pytest

from clickpred.errors import ConfigError
from clickpred.io.crosses import choose, cross_codes, cross_values
from clickpred.io.dataset import load_dataset
from clickpred.modeling.spec import spec_from_dict


def test_codes_and_values_agree():
    import pyarrow as pa

    a = (np.array([0, 1, -1, 0]), pa.array(["x", "y"]))
    b = (np.array([1, -1, 0, 1]), pa.array(["p", "q"]))
    codes, names = cross_codes(a, b)
    decoded = [names[c] for c in codes]
    expected = cross_values(
        np.array(["x", "y", None, "x"], dtype=object), np.array(["q", None, "p", "q"], dtype=object)
    )
    assert decoded == expected.tolist() and codes[0] == codes[3]


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    """Clicks driven by a pair (a, b) beyond a and b alone; c and d are noise."""
    rng = np.random.default_rng(0)
    n = 30_000
    a, b = rng.integers(0, 8, n), rng.integers(0, 8, n)
    p = np.where((a + b) % 3 == 0, 0.06, 0.01)
    frame = pd.DataFrame(
        {
            "a": [f"a{v}" for v in a],
            "b": [f"b{v}" for v in b],
            "c": [f"c{v}" for v in rng.integers(0, 5, n)],
            "d": [f"d{v}" for v in rng.integers(0, 6, n)],
            "x": rng.normal(size=n),
            "y": np.where(rng.random(n) < p, "click", "view"),
        }
    )
    path = tmp_path_factory.mktemp("planted") / "planted.csv"
    frame.to_csv(path, index=False)
    return path


def test_auto_finds_a_planted_interaction_and_nothing_else(planted):
    ds = load_dataset(planted)
    pairs, evidence, note = choose(ds.frame, ds.y, ds.schema)
    assert pairs == [("a", "b")], note
    assert "additive − pair +" in evidence[("a", "b")]


def test_a_cross_lifts_the_linear_model_and_scores_exactly(planted, tmp_path):
    from clickpred.jobs.score import score
    from clickpred.jobs.train import run_train

    runs = {}
    for crosses in ("none", "auto"):
        spec = spec_from_dict(
            {
                "classifier": "logistic",
                "strategy": "none",
                "name": f"m-{crosses}",
                "features": {"crosses": crosses, "counts": True},
                "evaluation": {"folds": 3},
            }
        )
        runs[crosses] = run_train(
            planted, spec, model_path=tmp_path / f"{crosses}.skops", report_dir=tmp_path / crosses
        )
    ap = {k: r.result.cv.metrics["per_class"]["click"]["pr_auc"] for k, r in runs.items()}
    assert ap["auto"] > ap["none"] + 0.01, ap
    fast = score(tmp_path / "auto.skops", [planted], tmp_path / "f.parquet")
    score(tmp_path / "auto.skops", [planted], tmp_path / "s.parquet", fast=False)
    assert fast.scorer == "compiled linear scorer"
    f, s = pd.read_parquet(tmp_path / "f.parquet"), pd.read_parquet(tmp_path / "s.parquet")
    np.testing.assert_allclose(f["p_click"], s["p_click"], rtol=0, atol=1e-9)
    schema = runs["auto"].result.data.schema
    assert [c.of for c in schema.features if c.of] == [["a", "b"]]
    from clickpred.jobs.evaluate import evaluate_model

    doc = evaluate_model(tmp_path / "auto.skops", planted)  # crosses computed from a file that has none
    assert doc["per_class"]["click"]["pr_auc"] > ap["none"]


def test_bad_crosses_are_one_line_errors(small_csv):
    from clickpred.estimator.fitting import train

    for crosses, message in [
        ([["bid_price", "os"]], r"crosses: 'bid_price' is not a categorical or ID column"),
        ([["os", "os"]], r"crosses: a column crossed with itself \(os\)"),
    ]:
        spec = spec_from_dict({"features": {"crosses": crosses}, "evaluation": {"folds": 2}})
        with pytest.raises(ConfigError, match=message):
            train(small_csv, spec)
    for value in ("some", [["os"]], 3):
        with pytest.raises(ConfigError, match=r"features.crosses must be \"none\", \"auto\" or a list of column pairs"):
            spec_from_dict({"features": {"crosses": value}})
    with pytest.raises(ConfigError, match="features.counts must be true or false"):
        spec_from_dict({"features": {"counts": "yes"}})


def test_compare_applies_the_crosses_its_candidates_share(planted, tmp_path):
    from clickpred.jobs.compare import compare

    spec = tmp_path / "x.toml"
    spec.write_text('classifier = "logistic"\nstrategy = "none"\n[features]\ncrosses = [["a", "b"]]\n')
    other = tmp_path / "y.toml"
    other.write_text('classifier = "logistic"\nstrategy = "none"\nname = "plain"\n')
    res = compare(planted, pipelines=[str(spec)], folds=2, replicates=50)
    assert any(n.startswith("crosses: a × b") for n in res.notes)
    with pytest.raises(ConfigError, match="the candidates ask for different \\[features\\] crosses"):
        compare(planted, pipelines=[str(spec), str(other)], folds=2, replicates=50)
