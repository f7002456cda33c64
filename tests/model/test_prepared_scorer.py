"""The pipelines the linear scorer cannot tabulate, scored from prepared inputs: the pipeline's own numbers, to the
last bit, for every kind of first step clickpred builds."""

import numpy as np
import pandas as pd
import pytest

from clickpred.io.dataset import inputs_from_pandas
from clickpred.io.schema import Schema
from clickpred.model.modelfile import load_model
from clickpred.model.prepared_scorer import compile_prepared


def _model(small_csv, tmp_path, classifier, **features):
    from clickpred.estimator.fitting import train
    from clickpred.jobs.train import save_result
    from clickpred.modeling.spec import spec_from_dict

    spec = spec_from_dict(
        {
            "classifier": {"name": classifier},
            "strategy": {"name": "none"},
            "evaluation": {"folds": 2},
            "features": features,
        }
    )
    result = train(small_csv, spec, importance=False)
    return load_model(save_result(result, tmp_path / "m.skops", tmp_path / "r").model_path)


@pytest.mark.parametrize(
    "classifier, features",
    [
        ("hgb", {}),
        ("mlp", {}),
        ("hgb", {"id_encoding": "target"}),  # target encodings: not by value, through the transformer itself
        ("svm-nystroem", {"counts": True}),  # frequency encodings by value, a kernel's dense features in slices
    ],
)
def test_prepared_inputs_score_as_the_pipeline_does(small_csv, tmp_path, classifier, features):
    model = _model(small_csv, tmp_path, classifier, **features)
    schema = Schema.from_dict(model.metadata["schema"])
    method = model.metadata["score_method"]
    scorer = compile_prepared(model.pipeline, schema, method)
    assert scorer is not None
    frame = pd.read_csv(small_csv).head(1500)
    frame.loc[3, "site_id"] = "never-seen-site"
    frame.loc[4, "os"] = None
    inputs, bad = inputs_from_pandas(frame.drop(columns=["event"]), schema)
    assert not bad
    expected = getattr(model.pipeline, method)(inputs.frame(schema))
    np.testing.assert_array_equal(scorer.scores(inputs), np.asarray(expected, dtype=float))
    if classifier == "hgb":
        assert scorer.rows_per_call is None  # trees on prepared columns: one call per block
    else:
        assert scorer.rows_per_call is not None


def test_score_uses_it_for_trees_and_says_so(small_csv, tmp_path):
    from clickpred.jobs.score import score

    model = _model(small_csv, tmp_path, "hgb")
    fast = score(model, [small_csv], tmp_path / "a.parquet", chunk_rows=700, jobs=2)
    slow = score(model, [small_csv], tmp_path / "b.parquet", fast=False)
    assert fast.scorer == "pipeline on prepared inputs" and slow.scorer == "pipeline"
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "a.parquet"), pd.read_parquet(tmp_path / "b.parquet"))
