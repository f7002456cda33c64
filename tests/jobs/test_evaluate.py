"""Evaluating a saved model on a labelled file."""

import pytest

from clickpred.errors import DataError
from clickpred.jobs.evaluate import evaluate_model


def test_metrics_on_another_file(scoring_model, sim_csv):
    doc = evaluate_model(scoring_model, sim_csv)
    assert doc["data"]["n_rows"] == 20_000 and not doc["warnings"]
    click = doc["per_class"]["click"]
    assert click["pr_auc"] > 1.2 * click["pr_auc_baseline"]  # better than chance (4k training rows: not by much)
    assert doc["evaluated_on"].endswith("(20,000 rows, not the training file)")


def test_the_training_file_is_flagged(scoring_model, small_csv):
    doc = evaluate_model(scoring_model, small_csv)
    assert doc["warnings"] == [f"{small_csv} is the file this model was trained on: these figures are not a validation"]


def test_a_file_without_the_model_columns(scoring_model, tmp_path):
    (tmp_path / "x.csv").write_text("a,event\n1,view\n2,click\n")
    with pytest.raises(DataError, match="missing feature column"):
        evaluate_model(scoring_model, tmp_path / "x.csv")
