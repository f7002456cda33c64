"""The ``train`` job: read → fit (:mod:`clickpred.estimator.fitting`) → write the model file and its report.

Example
-------
>>> from clickpred.modeling.spec import spec_from_options
>>> run_train("data/impressions_sample.csv.gz", spec_from_options(), "models/demo.skops")  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

    from ..model.modelfile import Model

from ..errors import ConfigError
from ..estimator.fitting import train
from ..estimator.training import TrainResult, model_from_result
from ..io.dataset import check_text_log
from ..modeling.spec import Spec


@dataclass
class TrainOutputs:
    result: TrainResult | None  # None: a loaded model written again (resave)
    model_path: Path
    report_paths: dict
    document: dict


def run_train(
    data: "str | Path | pd.DataFrame | list",
    spec: Spec,
    model_path: str | Path | None = None,
    report_dir: str | Path | None = None,
    **kwargs,
) -> TrainOutputs:
    """Train (see :func:`train`), then write the model file and the report.

    Defaults: ``models/<name>.skops`` and ``reports/<name>/``. With ``negative_rate``
    (and ``data`` a list of inputs), trains on a downsampled stream
    (:func:`clickpred.jobs.stream_train.train_stream`).
    """
    import pandas as pd

    kwargs = _routed(kwargs)
    model_path = Path(model_path) if model_path else Path("models") / f"{spec.name}.skops"
    report_dir = Path(report_dir) if report_dir else default_report(model_path)
    in_memory = isinstance(data, pd.DataFrame)
    logs = [] if in_memory else [Path(str(d)) for d in (data if isinstance(data, (list, tuple)) else [data])]
    for path in logs:
        if path.is_file() and path.suffix.lower() not in (".parquet", ".pq"):
            check_text_log(path)  # a model file given as data is named as such, not as an output clash
    read = logs + [Path(kwargs[k]) for k in ("test", "costs") if kwargs.get(k)]
    if spec.source and Path(spec.source).is_file():
        read.append(Path(spec.source))
    _plan_outputs(model_path, report_dir, read)  # before training, not after it
    if kwargs.get("negative_rate") is not None:
        from .stream_train import train_stream

        if in_memory:
            raise ConfigError("--negative-rate streams files larger than memory: a DataFrame is already in memory")
        result = train_stream(list(data) if isinstance(data, (list, tuple)) else [data], spec, **kwargs)
    else:
        if isinstance(data, (list, tuple)):
            if len(data) != 1:
                raise ConfigError(
                    f"{len(data)} inputs: training on several files streams them: pass --negative-rate R "
                    "(1 keeps every row, auto picks one)"
                )
            data = data[0]
        text = "" if in_memory else str(data)
        if text and (Path(text).is_dir() or (any(ch in text for ch in "*?[") and not Path(text).exists())):
            raise ConfigError(
                f"{text}: a folder or glob is read as a stream: pass --negative-rate R (1 keeps every row, "
                "auto picks one)"
            )
        kwargs.pop("negative_rate", None)
        result = train(data, spec, **kwargs)
    return _save(result, model_path, report_dir, header=kwargs.get("header", True))


def _routed(options: dict) -> dict:
    """The options for the trainer they belong to — the streaming one with ``negative_rate``, the in-memory one
    without —, refused with one line where given to the other (options left at their defaults are dropped)."""
    from ..estimator.workers import available_cores
    from ..io.sampling import DEFAULT_PER_POSITIVE

    stream = options.get("negative_rate") is not None
    only_stream = {
        "holdout_fraction": ("--holdout", None),
        "engine": ("--engine", "local"),
        "scheduler": ("--scheduler", None),
        "negative_class": ("--negative-class", None),
        "per_positive": ("--negatives-per-positive", DEFAULT_PER_POSITIVE),
    }
    only_memory = {"split_by": "--split-by", "funnel": "--funnel"}
    options = dict(options)
    if stream:
        given = [flag for key, flag in only_memory.items() if options.pop(key, None)]
        if given:
            raise ConfigError(f"{given[0]}: not with --negative-rate (use --test for a later period)")
        options.pop("importance", None)  # the stream's evaluation slice measures no importance
        if options.get("jobs", 0) <= 0:  # auto: a worker per core
            options["jobs"] = available_cores()
        return options
    given = [flag for key, (flag, unset) in only_stream.items() if options.pop(key, unset) != unset]
    if given:
        raise ConfigError(f"{', '.join(given)}: only with --negative-rate (training on a downsampled stream)")
    return options


def default_report(model_path: Path) -> Path:
    """``reports/<model file name>/``: a model's report, named after the model (another model's report is never
    its default)."""
    name = model_path.name
    for suffix in (".skops", ".pkl", ".pickle"):
        if name.endswith(suffix) and len(name) > len(suffix):
            name = name[: -len(suffix)]
            break
    return Path("reports") / name


def save_result(result, model_path: str | Path, report_dir: str | Path | None = None) -> TrainOutputs:
    """Write a :class:`TrainResult` (from :func:`train`, e.g. in a notebook) as ``train`` does: the model file and
    its report (default: ``reports/<name>/``), the report staged and swapped in whole after the model is saved.

    Example
    -------
    >>> result = train(frame, spec_from_options())  # doctest: +SKIP
    >>> save_result(result, "models/mine.skops").model_path  # doctest: +SKIP
    PosixPath('models/mine.skops')
    """
    model_path = Path(model_path)
    report_dir = Path(report_dir) if report_dir else default_report(model_path)
    _plan_outputs(model_path, report_dir, [Path(result.data.path)] if result.data.path != "<DataFrame>" else [])
    return _save(result, model_path, report_dir)


def resave(model: "Model", path: str | Path) -> TrainOutputs:
    """Write a loaded model file again at ``path``, as it was loaded (never over the file it came from)."""
    from ..io.writers import plan_outputs
    from ..model.modelfile import save_model

    path = Path(path)
    plan_outputs([("path", path, False)], [Path(model.path)])
    save_model(
        path, model.pipeline, model.metadata, model.fastpath, model.calibrator, model.decision_sample, model.profile
    )
    return TrainOutputs(None, path, {}, {})


def _plan_outputs(model_path: Path, report_dir: Path, read: list[Path]) -> None:
    """The model file and report folder can be written, replace nothing read, and the folder holds only
    a report's files."""
    from ..io.writers import plan_outputs

    if model_path.resolve().is_relative_to(report_dir.resolve()):
        raise ConfigError(
            f"--model {model_path}: inside the --report folder {report_dir}, which is replaced whole by the "
            "report: put the model file elsewhere"
        )
    plan_outputs(
        [("--model", model_path, False), ("--report", report_dir, True)],
        read,
        legacy={"--report": REPORT_FILES},
        shown={"--report": report_dir / "metrics.json"},
    )


def _save(result, model_path: Path, report_dir: Path, header: bool = True) -> TrainOutputs:
    from ..io.writers import StagedFolder
    from ..model.linear_scorer import compile_linear
    from ..model.modelfile import save_model
    from ..reporting.train_report import metrics_document, write_report

    document = metrics_document(result)
    model = model_from_result(result, document, header=header)
    # The report is staged and swapped in whole after the model is saved; removed on any failure.
    with StagedFolder(report_dir, "--report", legacy=REPORT_FILES) as stage:
        staged = write_report(result, stage.path, document)
        compiled = compile_linear(result.pipeline, result.data.schema)
        save_model(
            model_path,
            model.pipeline,
            model.metadata,
            fastpath=compiled.state() if compiled is not None else None,
            calibrator=model.calibrator,
            decision_sample=model.decision_sample,
            profile=model.profile,
        )
        stage.commit()
    paths = {k: report_dir / Path(v).name for k, v in staged.items()}
    return TrainOutputs(result, model_path, paths, document)


# What a train report folder holds (folders written before manifests are recognised by these names).
REPORT_FILES = frozenset(
    {
        "metrics.json",
        "report.html",
        "confusion_matrix.png",
        "pr_curves.png",
        "reliability.png",
        "importance.png",
        "cv_pr_curves.png",
        "oof_scores.parquet",
        "test_scores.parquet",
        ".write-test",
    }
)
