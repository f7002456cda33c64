"""The functions a notebook calls: a file path or a pandas DataFrame in, typed results out.

>>> import clickpred
>>> model = clickpred.train("data/impressions_sample.csv.gz")  # doctest: +SKIP
>>> model.evaluation_.metrics["per_class"]["click"]["pr_auc"]  # doctest: +SKIP
>>> clickpred.save_model(model, "models/clicks.skops")  # doctest: +SKIP
>>> model = clickpred.load_model("models/clicks.skops")  # doctest: +SKIP
>>> clickpred.score(model, frame).head()  # doctest: +SKIP
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError

if TYPE_CHECKING:
    import pandas as pd

    from ..estimator.classifier import ClickClassifier
    from ..jobs.compare import CompareResult
    from ..jobs.score import ScoreResult
    from ..jobs.train import TrainOutputs


def train(
    data: "str | Path | pd.DataFrame",
    spec: Any = None,
    *,
    classifier: str | None = None,
    strategy: str | None = None,
    folds: int | None = None,
    seed: int | None = None,
    **options: Any,
) -> "ClickClassifier":
    """Cross-validate, correct, decide and fit, as ``clickpred train`` does; nothing is written. The model is a
    fitted :class:`ClickClassifier` — the same object ``ClickClassifier().fit(X, y)`` and :func:`load_model` give:
    ``evaluation_`` (out of fold), ``test_evaluation_`` (with ``test`` or ``split_by``), ``notes_``,
    ``importance_``, ``predict_proba``/``predict`` on a DataFrame's columns by name.

    ``data``: a labelled file or DataFrame. ``spec``: a pipeline spec file, a :class:`~clickpred.modeling.spec.Spec`,
    or None (the defaults), overridden by ``classifier``/``strategy``/``folds``/``seed``. ``options``: those of
    :func:`clickpred.estimator.fitting.train` (``target``, ``drop``, ``test``, ``split_by``, ``calibration``, ``decision``,
    ``costs``, ``categorical``, ``numeric``, ``funnel``, ``jobs``). Save it with :func:`save_model`."""
    from ..estimator.classifier import ClickClassifier
    from ..estimator.fitting import train as run
    from .commands import make_spec

    return ClickClassifier.from_result(run(data, make_spec(spec, classifier, strategy, folds, seed), **options))


def compare(data: "str | Path | pd.DataFrame", **options: Any) -> "CompareResult":
    """Rebalancing strategies × classifiers on the same folds, as ``clickpred compare`` does; nothing is written
    (:func:`clickpred.reporting.compare_report.write_compare_report` writes the report). ``options``: those of
    :func:`clickpred.jobs.compare.compare` (``classifiers``, ``strategies``, ``pipelines``, ``folds``, ``seed``,
    ``metric``, ``costs``, ``jobs``, ``racing`` — ``False`` runs every candidate on all rows, as
    ``--exhaustive`` …). ``result.leaderboard[0]`` is the winner, ``result.recommendation`` says why and what cannot
    be told apart from it; ``result.eliminated`` holds the candidates racing dropped early, with their round."""
    from ..jobs.compare import compare as run

    return run(data, **options)


def score(
    model: "str | Path | ClickClassifier | Any",
    data: "pd.DataFrame | str | Path | list",
    output: str | Path | None = None,
    **options: Any,
) -> "pd.DataFrame | ScoreResult":
    """Score with a trained model: a model file's path or a fitted :class:`ClickClassifier` (from :func:`train`,
    ``fit`` or :func:`load_model`) — the same answer from each.

    A DataFrame in → a DataFrame out, with the input's index: the ``keep`` columns, ``p_<class>`` (corrected
    probabilities), ``prediction`` (the decision rule; labels as the training data held them) and ``reject``
    (why a row could not be scored — a value that cannot be read as its column's type — or missing). Files, folders
    or globs → written to ``output`` as ``clickpred score`` writes them (streaming, every row accounted for) and a
    :class:`~clickpred.jobs.score.ScoreResult` returned. ``options``: ``keep``, ``decision``, ``costs`` (a rule
    re-tuned on the out-of-fold rows the model keeps), and for files those of :func:`clickpred.jobs.score.score`."""
    import pandas as pd

    model = _as_model(model)
    if isinstance(data, pd.DataFrame):
        if output is not None:
            raise ConfigError("output: a DataFrame is scored in memory and returned; write it with to_parquet")
        from ..jobs.score import score_frame

        return score_frame(model, data, **options)
    if output is None:
        raise ConfigError("output: needed when scoring files (a file, or a folder ending in /)")
    from ..jobs.score import score as run

    inputs = [data] if isinstance(data, (str, Path)) else list(data)
    return run(model, inputs, output, **options)


def drift(model: "str | Path | ClickClassifier | Any", data: "pd.DataFrame", threshold: float = 0.2) -> "pd.DataFrame":
    """How ``data`` (a DataFrame) differs from what the model saw at training, as ``clickpred score`` reports it
    for files: per input column the population stability index (``psi``) over the training bins, the shares of
    unseen categories and of missing values (scored and in training), ``drifted`` where ``psi`` passes
    ``threshold``; and the scores against the model's probabilities of its training rows (``p_<class>``). The model: a
    file's path or a fitted :class:`ClickClassifier`."""
    from ..jobs.score import drift_frame

    return drift_frame(_as_model(model), data, threshold)


def _as_model(model: Any) -> Any:
    """A model file's path or a fitted :class:`ClickClassifier` → what scoring takes (the model file's content)."""
    from ..estimator.classifier import ClickClassifier
    from ..estimator.training import model_from_result

    if not isinstance(model, ClickClassifier):
        if isinstance(model, (str, os.PathLike)):
            return model
        raise ConfigError(
            f"model: a model file's path or a fitted ClickClassifier (from clickpred.train, fit or load_model), "
            f"got {type(model).__name__}"
        )
    if hasattr(model, "model_"):
        return model.model_
    if getattr(model, "result_", None) is None:
        raise ConfigError(
            "model: this ClickClassifier is not fitted, or was fitted without cross-fitting (a class of one row): "
            "score it with predict_proba / predict"
        )
    return model_from_result(model.result_)


def load_model(path: str | Path) -> "ClickClassifier":
    """A model file as a fitted :class:`ClickClassifier` (validated by value before anything in it is used;
    ``.model_`` is the file's :class:`~clickpred.model.modelfile.Model`)."""
    from ..estimator.classifier import ClickClassifier
    from ..model.modelfile import load_model as load

    return ClickClassifier.from_model(load(path))


def save_model(fitted: "ClickClassifier", path: str | Path, report: str | Path | None = None) -> "TrainOutputs":
    """Write a fitted :class:`ClickClassifier` (from :func:`train` or ``fit``) as a model file, and its report folder
    (default ``reports/<model file name>/``), as ``clickpred train`` does. Outputs never replace an input; the
    report appears whole or not at all. A model loaded from a file is written again as it was loaded (its report is
    the one written with it: ``report`` must be None)."""
    from ..estimator.classifier import ClickClassifier
    from ..jobs.train import resave, save_result

    if not isinstance(fitted, ClickClassifier):
        raise ConfigError(
            f"save_model: expected a fitted ClickClassifier (from clickpred.train, fit or load_model), "
            f"got {type(fitted).__name__}"
        )
    if hasattr(fitted, "model_"):
        if report is not None:
            raise ConfigError(
                "report: a model loaded from a file keeps the report written when it was trained; save it without one"
            )
        return resave(fitted.model_, path)
    if getattr(fitted, "result_", None) is None:
        raise ConfigError(
            "save_model: this ClickClassifier was not fitted with cross-fitting (a fitted clf from fit(X, y) with at "
            "least 2 rows per class, or one loaded from a file)"
        )
    return save_result(fitted.result_, path, report)
