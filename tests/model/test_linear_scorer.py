"""The compiled linear scorer reproduces the fitted pipeline to 1e-9, or declines."""

import numpy as np
import pyarrow.csv as pacsv
import pytest

from clickpred.io.chunks import to_inputs
from clickpred.io.dataset import load_dataset
from clickpred.jobs.simulate import simulate
from clickpred.model.linear_scorer import compile_linear
from clickpred.modeling.pipeline import build_pipeline
from clickpred.modeling.spec import spec_from_dict


@pytest.fixture(scope="module")
def small(small_csv):
    return load_dataset(small_csv)


def _fit(ds, classifier, strategy="none", features=None, **params):
    spec = spec_from_dict(
        {"classifier": {"name": classifier, **params}, "strategy": strategy, "features": features or {}}
    )
    built = build_pipeline(spec, ds.schema, ds.class_counts)
    return built.pipeline.fit(ds.frame, ds.y), built.score_method


def _inputs(path, schema):
    table = pacsv.read_csv(
        path,
        convert_options=pacsv.ConvertOptions(
            column_types={c: "string" for c in schema.feature_names}, strings_can_be_null=True
        ),
    )
    inputs, bad = to_inputs(table, schema)
    assert not bad
    return inputs


@pytest.mark.parametrize(
    "classifier, strategy, features, params",
    [
        ("logistic", "none", {}, {}),
        ("logistic", "class_weight", {}, {}),
        ("logistic", "undersample", {}, {}),
        ("logistic", "smote", {}, {}),  # IDs target-encoded
        ("logistic", "none", {"id_encoding": "frequency"}, {}),
        ("svm", "class_weight", {}, {"calibration": "isotonic"}),
        ("svm", "class_weight", {}, {}),
        ("svm", "none", {}, {"calibration": "sigmoid"}),
        ("logistic", "none", {"numeric_bins": 10}, {}),  # a slope plus a step per quantile bin
        ("svm", "class_weight", {"numeric_bins": 4}, {"calibration": "sigmoid"}),
    ],
)
def test_compiled_scores_equal_the_pipeline(small, small_csv, classifier, strategy, features, params):
    pipe, method = _fit(small, classifier, strategy, features, **params)
    scorer = compile_linear(pipe, small.schema)
    assert scorer is not None
    expected = getattr(pipe, method)(small.frame)
    got = scorer.scores(_inputs(small_csv, small.schema))
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-9)


def test_binary_target_and_unseen_values(tmp_path):
    path = tmp_path / "bin.csv"
    simulate(path, rows=3000, seed=9, click_rate=0.05)
    text = path.read_text().replace('"conversion"', '"click"')
    path.write_text(text)
    ds = load_dataset(path)
    assert len(ds.schema.classes) == 2
    pipe, method = _fit(ds, "logistic", "class_weight")
    scorer = compile_linear(pipe, ds.schema)
    # Unseen categories and IDs, missing values: scored like the pipeline scores them.
    lines = text.splitlines()
    header = lines[0].split(",")
    row = lines[1].split(",")
    row[header.index('"site_id"')] = '"never-seen-site"'
    row[header.index('"device_type"')] = ""
    row[header.index('"bid_price"')] = ""
    (tmp_path / "odd.csv").write_text(lines[0] + "\n" + ",".join(row) + "\n")
    odd = load_dataset(tmp_path / "odd.csv", schema=ds.schema)
    got = scorer.scores(_inputs(tmp_path / "odd.csv", ds.schema))
    np.testing.assert_allclose(got, pipe.predict_proba(odd.frame), rtol=0, atol=1e-9)


@pytest.mark.parametrize("classifier, params", [("mlp", {"max_iter": 20}), ("svm-nystroem", {"n_components": 20})])
def test_nonlinear_models_are_not_compiled(small, classifier, params):
    pipe, _ = _fit(small, classifier, **params)
    assert compile_linear(pipe, small.schema) is None


def test_train_stores_the_tables_and_they_score_like_a_fresh_compile(scoring_model, small_csv):
    from clickpred.io.schema import Schema
    from clickpred.model.linear_scorer import LinearScorer
    from clickpred.model.modelfile import load_model

    model = load_model(scoring_model)
    assert model.fastpath is not None
    schema = Schema.from_dict(model.metadata["schema"])
    stored = LinearScorer.from_state(model.fastpath, model.pipeline, schema)
    fresh = compile_linear(model.pipeline, schema)
    inputs = _inputs(small_csv, schema)
    np.testing.assert_array_equal(stored.scores(inputs), fresh.scores(inputs))


def test_probing_in_slices_gives_the_same_tables(small, monkeypatch):
    """Memory bound for wide data: probe rows are transformed a slice at a time, with the same result."""
    from clickpred.model import linear_scorer as fastpath

    ds = small
    spec = spec_from_dict({"classifier": "logistic", "strategy": "none"})
    pipe = build_pipeline(spec, ds.schema, ds.class_counts).pipeline.fit(ds.frame, ds.y)
    whole = compile_linear(pipe, ds.schema).state()
    monkeypatch.setattr(fastpath, "PROBE_CELLS", 1)  # 64 probe rows at a time
    sliced = compile_linear(pipe, ds.schema).state()
    np.testing.assert_allclose(sliced["base"], whole["base"], rtol=0, atol=1e-12)
    for key in ("category_tables", "num_slopes", "num_missing", "time_tables"):
        for col in whole[key]:
            np.testing.assert_allclose(sliced[key][col], whole[key][col], rtol=0, atol=1e-12)


def test_very_wide_data_is_scored_by_the_pipeline(tmp_path):
    import pandas as pd

    from clickpred.model import linear_scorer as fastpath

    rng = np.random.default_rng(0)
    n_cols = fastpath.MAX_FEATURES + 1
    frame = pd.DataFrame(rng.normal(size=(120, n_cols)), columns=[f"x{i}" for i in range(n_cols)])
    frame["y"] = np.where(np.arange(120) % 6 == 0, "1", "0")
    path = tmp_path / "wide.csv"
    frame.to_csv(path, index=False)
    ds = load_dataset(path)
    spec = spec_from_dict({"classifier": "logistic", "strategy": "none"})
    pipe = build_pipeline(spec, ds.schema, ds.class_counts).pipeline.fit(ds.frame, ds.y)
    assert compile_linear(pipe, ds.schema) is None


def test_the_per_value_view_ranks_the_values_that_move_the_odds(tmp_path):
    """A site that doubles clicks comes first among the values that raise them, one that halves them among those
    that lower them; each with its training rows (from train's metrics.json and report)."""
    import numpy as np
    import pandas as pd

    from clickpred.jobs.train import run_train
    from clickpred.modeling.spec import spec_from_options

    rng = np.random.default_rng(0)
    n = 20_000
    site = rng.choice(["hot", "cold", "s1", "s2", "s3", "s4"], n)
    rate = np.select([site == "hot", site == "cold"], [0.12, 0.01], 0.04)
    frame = pd.DataFrame(
        {"site": site, "bid": rng.normal(size=n), "event": np.where(rng.random(n) < rate, "click", "view")}
    )
    spec = spec_from_options("logistic", folds=2)  # the linear model's view (auto would choose it, at twice the cost)
    out = run_train(frame, spec, model_path=tmp_path / "m.skops", report_dir=tmp_path / "r", importance=False)
    view = next(r for r in out.document["per_value"] if r["column"] == "site" and r["class"] == "click")
    assert view["highest"][0]["value"] == "hot" and view["lowest"][0]["value"] == "cold"
    assert view["highest"][0]["rows"] == int((site == "hot").sum()) and view["highest"][0]["effect"] > 0
    assert "What the model weighs" in (tmp_path / "r" / "report.html").read_text()
