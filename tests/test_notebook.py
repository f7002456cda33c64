"""From a notebook: DataFrames in, results and DataFrames out — the same figures as from files."""

import numpy as np
import pandas as pd
import pytest

from clickpred.errors import DataError
from clickpred.modeling.spec import spec_from_options


def test_train_a_dataframe_like_the_file(small_csv, tmp_path):
    from clickpred.estimator.fitting import train
    from clickpred.jobs.train import save_result

    frame = pd.read_csv(small_csv)
    a, b = train(frame, spec_from_options(folds=2)), train(small_csv, spec_from_options(folds=2))
    np.testing.assert_array_equal(a.cv.scores, b.cv.scores)
    assert a.data.path == "<DataFrame>" and [c.kind for c in a.data.schema.features] == [
        c.kind for c in b.data.schema.features
    ]
    out = save_result(a, tmp_path / "m.skops", tmp_path / "r")
    assert out.model_path.exists() and (tmp_path / "r" / "report.html").exists()
    from clickpred.jobs.evaluate import evaluate_model

    assert evaluate_model(out.model_path, frame)["warnings"] == [
        "<DataFrame> is the data this model was trained on: these figures are not a validation"
    ]
    with pytest.raises(DataError, match="expected a file path or a pandas DataFrame, got list"):
        train([[1, 2]], spec_from_options())


def test_score_and_evaluate_a_dataframe(scoring_model, small_csv, tmp_path):
    from clickpred.jobs.evaluate import evaluate_model
    from clickpred.jobs.score import score

    frame = pd.read_csv(small_csv)
    scores = score(scoring_model, frame.drop(columns=["event"]), keep=["impression_id"])
    score(scoring_model, [small_csv], tmp_path / "s.parquet", keep=["impression_id"])
    written = pd.read_parquet(tmp_path / "s.parquet")
    assert list(scores.columns) == list(written.columns) + ["reject"]  # a frame's rejects stay in their rows
    assert scores["reject"].isna().all()
    np.testing.assert_allclose(scores["p_click"], written["p_click"], rtol=0, atol=1e-12)
    assert (scores["prediction"].to_numpy() == written["prediction"].to_numpy()).all()
    doc = evaluate_model(scoring_model, frame)
    assert (
        doc["data"]["path"] == "<DataFrame>"
        and doc["per_class"]["click"]["support"] == (frame["event"] == "click").sum()
    )
    with pytest.raises(DataError, match="<DataFrame>: missing feature column\\(s\\) the model needs: bid_price"):
        score(scoring_model, frame.drop(columns=["bid_price"]))
    from clickpred.errors import ClickpredError

    with pytest.raises(ClickpredError, match="output: name the file or folder"):
        score(scoring_model, [small_csv])
