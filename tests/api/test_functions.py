"""The top-level API: what `import clickpred` offers a notebook."""

import subprocess
import sys

import pandas as pd
import pytest

import clickpred
from clickpred.errors import ConfigError


def test_help_shows_the_api_and_every_name_in_all_resolves():
    text = subprocess.run(
        [sys.executable, "-c", "import clickpred; help(clickpred)"],
        capture_output=True,
        text=True,
        check=True,
        env={"PAGER": "cat", "PATH": ""},
    ).stdout
    for name in ("ClickClassifier", "train(", "compare(", "score(", "load_model(", "save_model("):
        assert name in text, name
    for name in clickpred.__all__:
        assert getattr(clickpred, name) is not None
    with pytest.raises(AttributeError):
        clickpred.nothing_here  # noqa: B018


def test_import_is_lazy():
    """`import clickpred` imports neither scikit-learn nor pandas: the CLI's --help and the API stay fast."""
    code = "import sys, clickpred; print('sklearn' in sys.modules, 'pandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_train_compare_and_score_take_a_dataframe_or_a_file(small_csv, tmp_path):
    frame = pd.read_csv(small_csv)
    result = clickpred.train(frame, "pipelines/logistic-class_weight.toml", folds=2)
    assert isinstance(result, clickpred.ClickClassifier)
    assert result.get_params()["strategy"] == "class_weight" and result.get_params()["folds"] == 2
    board = clickpred.compare(frame, classifiers=["logistic"], strategies=["none", "undersample"], folds=2)
    assert {r["name"] for r in board.leaderboard} == {"logistic-none", "logistic-undersample"}
    clickpred.save_model(result, tmp_path / "m.skops", report=tmp_path / "r")
    scored = clickpred.score(tmp_path / "m.skops", frame.head(100))
    assert len(scored) == 100 and "prediction" in scored.columns
    summary = clickpred.score(tmp_path / "m.skops", small_csv, tmp_path / "out.parquet")
    assert summary.rows_scored + summary.rows_rejected == len(frame)


def test_wrong_arguments_are_one_clear_error(small_csv, tmp_path):
    with pytest.raises(ConfigError, match="spec 3: a Spec, or the path"):
        clickpred.train(small_csv, 3)
    with pytest.raises(ConfigError, match="save_model: expected a fitted ClickClassifier"):
        clickpred.save_model("not a result", tmp_path / "m.skops")
    with pytest.raises(ConfigError, match="model: a model file's path or a fitted ClickClassifier"):
        clickpred.score(object(), pd.DataFrame({"a": [1]}))
    with pytest.raises(ConfigError, match="output: needed when scoring files"):
        clickpred.score("models/none.skops", small_csv)


def test_train_with_a_held_out_file_keeps_its_evaluation(small_csv, tmp_path):
    """``test``: the final model scored on another file, in ``test_evaluation_`` beside the out-of-fold figures."""
    frame = pd.read_csv(small_csv)
    frame.iloc[:3000].to_csv(tmp_path / "early.csv", index=False)
    frame.iloc[3000:].to_csv(tmp_path / "late.csv", index=False)
    model = clickpred.train(tmp_path / "early.csv", folds=2, classifier="logistic", test=tmp_path / "late.csv")
    held = model.test_evaluation_
    assert held is not None and len(held.y_true) == len(frame) - 3000
    assert model.evaluation_ is not held and len(model.evaluation_.y_true) == 3000
    assert set(held.metrics["per_class"]) == set(model.classes_.astype(str))
