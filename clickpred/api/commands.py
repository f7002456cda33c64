"""What each ``clickpred`` command does, as one library call — the command line's only door into clickpred.

Each function reads, fits or scores through the jobs and writes what the command writes; the CLI only turns
options into arguments, prints and exits. A notebook may call them too (they are the commands without a
terminal), though :func:`clickpred.train`, :func:`clickpred.score` and :class:`clickpred.ClickClassifier` are the
usual way in from Python.

Example
-------
>>> from clickpred.api.commands import make_spec, train_to_files
>>> out = train_to_files("data/impressions_sample.csv.gz", make_spec(classifier="logistic"))  # doctest: +SKIP
>>> out.model_path, out.report_paths["html"]  # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError

if TYPE_CHECKING:
    from ..jobs.compare import CompareResult
    from ..jobs.score import ScoreResult
    from ..jobs.train import TrainOutputs
    from ..modeling.spec import Spec

ENGINES = ("local", "dask")


def lean_start() -> None:
    """For a process that is clickpred's alone (the command line): start faster by importing skops without its
    default trust list of every scikit-learn estimator, which clickpred's own allowlist makes unused
    (:func:`clickpred.model.skops_import.lean_skops`)."""
    from ..model.skops_import import lean_skops

    lean_skops()


def make_spec(
    spec: Any = None,
    classifier: str | None = None,
    strategy: str | None = None,
    folds: int | None = None,
    seed: int | None = None,
) -> "Spec":
    """A validated pipeline spec: a spec file (``pipelines/*.toml``), a :class:`~clickpred.modeling.spec.Spec` or
    the defaults, with ``classifier``/``strategy``/``folds``/``seed`` overriding it."""
    from ..modeling.spec import Spec, load_spec, spec_from_options

    if spec is not None and not isinstance(spec, (Spec, str, Path)):
        raise ConfigError(f"spec {spec!r}: a Spec, or the path of a pipeline spec file (pipelines/*.toml)")
    base = load_spec(spec) if isinstance(spec, (str, Path)) else spec
    return spec_from_options(classifier, strategy, folds, seed, base=base)


def train_to_files(
    data: Any,
    spec: "Spec",
    model: str | Path | None = None,
    report: str | Path | None = None,
    **options: Any,
) -> "TrainOutputs":
    """``clickpred train``: the outputs planned (and refused) before any work, then train — in memory, or on a
    downsampled stream with ``negative_rate`` — and write the model file and its report (default
    ``models/<spec name>.skops`` and ``reports/<model file name>/``). ``options``: those of
    :func:`clickpred.estimator.fitting.train` (or :func:`clickpred.jobs.stream_train.train_stream`), ``events`` and
    ``progress`` included."""
    from ..jobs.train import run_train

    return run_train(data, spec, model_path=model, report_dir=report, **options)


def check_compare_report(report: str | Path, inputs: list) -> Path:
    """``clickpred compare``'s report folder can be written and replaces none of ``inputs`` — checked before any
    fit."""
    from ..reporting.compare_report import plan_report

    return plan_report(report, inputs)


def compare_to_files(report: str | Path, **options: Any) -> tuple["CompareResult", dict[str, Path]]:
    """``clickpred compare``: the grid on shared folds (:func:`clickpred.compare`), then its report written to
    ``report``. Returns the result and the report's paths."""
    from ..jobs.compare import compare
    from ..reporting.compare_report import write_compare_report

    result = compare(**options)
    return result, write_compare_report(result, report)


def score_files(
    model: str | Path,
    inputs: list,
    output: str | Path,
    engine: str = "local",
    scheduler: str | None = None,
    **options: Any,
) -> "ScoreResult":
    """``clickpred score``: stream files through a model on this machine (``engine="local"``, threads) or on a Dask
    cluster (``"dask"``; ``scheduler``: its address, default a LocalCluster). ``options``: those of
    :func:`clickpred.jobs.score.score`."""
    if engine not in ENGINES:
        raise ConfigError(f"--engine must be local or dask, got {engine!r}")
    if scheduler and engine != "dask":
        raise ConfigError("--scheduler needs --engine dask")
    if engine == "dask":
        from ..jobs.dask_engine import score_dask

        return score_dask(model, inputs, output, scheduler=scheduler, **options)
    from ..jobs.score import score

    return score(model, inputs, output, **options)


def evaluate(model: str | Path, data: Any, **options: Any) -> dict:
    """``clickpred evaluate``: a saved model's metrics on a labelled file (or DataFrame), as a JSON-ready document
    (``output``: also written there). ``options``: those of :func:`clickpred.jobs.evaluate.evaluate_model`."""
    from ..jobs.evaluate import evaluate_model

    return evaluate_model(model, data, **options)


def model_info(model: str | Path, trust_pickle: bool = False) -> dict:
    """``clickpred info``: what a model file records, read from its plain-JSON metadata (validated by value,
    nothing rebuilt)."""
    from ..model.modelfile import read_metadata

    return read_metadata(model, trust_pickle=trust_pickle)


def simulate(output: str | Path, **options: Any) -> dict:
    """``clickpred simulate``: a synthetic impression log drawn from a known model (``options``: those of
    :func:`clickpred.jobs.simulate.simulate`). Returns its class counts and rates."""
    from ..jobs.simulate import simulate as run

    return run(output, **options)
