"""What the two trainers (in memory, :mod:`.fitting`; streaming, :mod:`clickpred.jobs.stream_train`) share: the
:class:`TrainResult` they return, the provenance recorded with it, the model file's content built from it
(:func:`model_from_result`), warnings turned into notes, the crosses ``[features] crosses`` asks for, and the schema
decisions made again on each training fold (:func:`fold_readings`)."""

from __future__ import annotations

import platform
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import __version__
from ..evaluation.crossval import Evaluation
from ..evaluation.leakage import LeakWarning
from ..io.dataset import Dataset, as_kind, integer_kind, label_decided_columns
from ..io.schema import Schema
from ..modeling.pipeline import BuiltPipeline
from ..modeling.spec import Spec

if TYPE_CHECKING:
    from ..model.modelfile import Model


@dataclass(frozen=True)
class TrainResult:
    """Everything a train run produced, before anything is written."""

    spec: Spec
    data: Dataset
    built: BuiltPipeline
    cv: Evaluation
    test: Evaluation | None
    pipeline: object  # the final fitted pipeline (all training rows)
    leaks: list[LeakWarning]
    notes: list[str]
    timings: dict[str, float]
    test_source: str | None = None
    versions: dict[str, str] = field(default_factory=dict)
    funnel_vs_flat: dict | None = None  # --funnel: the flat multi-class model on the same folds
    sampling: dict | None = (
        None  # --negative-rate: what was read, kept and held out (then ``cv`` is the held-out slice)
    )
    options: dict = field(default_factory=dict)  # what was asked beyond the spec (calibration, decision, columns)
    over_time: dict | None = None  # out-of-fold figures per day or week (clickpred.evaluation.over_time)
    per_value: list | None = None  # a linear model's values that raise / lower each class's odds most
    profile: dict | None = None  # every input column's training distribution, for drift at scoring
    classifier_choice: dict | None = None  # --classifier auto: what was tried, each figure, the winner and why

    @property
    def name(self) -> str:
        return self.spec.name


def _git_commit() -> str:
    import subprocess

    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=Path(__file__).parent, capture_output=True, text=True, timeout=5
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=Path(__file__).parent,
            capture_output=True,
            text=True,
            timeout=5,
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    if out.returncode != 0:
        return ""
    return out.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")


def library_versions() -> dict[str, str]:
    import imblearn
    import pandas
    import pyarrow
    import sklearn
    import skops

    return {
        "clickpred": __version__,
        "git_commit": _git_commit(),
        "python": platform.python_version(),
        "scikit-learn": sklearn.__version__,
        "imbalanced-learn": imblearn.__version__,
        "numpy": np.__version__,
        "pandas": pandas.__version__,
        "pyarrow": pyarrow.__version__,
        "skops": skops.__version__,
    }


def cross_columns(ds: Dataset, spec: Spec, X, y) -> tuple[Dataset, list[str]]:
    """The dataset with the crosses ``[features] crosses`` asks for (chosen on ``X``, ``y`` — the training
    rows — when "auto"), and notes saying which."""
    from ..io.crosses import check_pairs, choose, with_crosses

    wanted = spec.features.crosses
    if wanted == "none":
        return ds, []
    if wanted == "auto":
        pairs, evidence, note = choose(X, y, ds.schema, seed=spec.seed)
        notes = [note + " (chosen on the training rows; cross-validation chooses again on each fold's)"]
    else:
        pairs, evidence = check_pairs(wanted, ds.schema, spec.source), {}
        notes = [f"crosses: {', '.join(f'{a} × {b}' for a, b in pairs)}"]
    if not pairs:
        return ds, notes
    frame, schema = with_crosses(ds.frame, ds.schema, pairs, spec.features.max_onehot_levels, evidence)
    return replace(ds, frame=frame, schema=schema), notes


def warning_notes(caught) -> list[str]:
    """Warnings caught while fitting, one note each (first line, no repeats, no deprecations)."""
    seen: dict[str, None] = {}
    for w in caught:
        if not issubclass(w.category, (DeprecationWarning, PendingDeprecationWarning)):
            seen.setdefault(f"{w.category.__name__}: {str(w.message).splitlines()[0]}")
    return list(seen)


def decided_on(
    schema: Schema,
    X,
    y: np.ndarray,
    rows: np.ndarray,
    max_levels: int,
    numbers: dict | None = None,
    shapes: bool = True,
) -> Schema | None:
    """The schema with each integer column's kind decided on ``rows`` alone (their values and labels), as the
    whole table decided it (:func:`clickpred.io.dataset.integer_kind`), and — ``shapes`` — each numeric column's
    bins (:func:`clickpred.io.codes.bins_verdicts`); None when every decision is the same. ``numbers``: those
    columns of ``X`` as floats (:func:`_numbers`), if already at hand.

    Cross-validation calls this per training fold, so that a held-out row's label never chooses how its own
    column is read: the out-of-fold figures measure the whole procedure, decisions included."""
    from ..io.codes import bins_verdicts

    numbers = numbers if numbers is not None else _numbers(schema, X)
    decided = set(label_decided_columns(schema))
    minority = np.asarray(y)[rows] != schema.classes[0]
    kinds: dict[str, tuple[str, str]] = {}
    for c in schema.features:
        if c.name in numbers:
            kinds[c.name] = (c.kind, c.evidence)
            if c.name in decided:
                values = numbers[c.name][rows]
                n_unique = len(np.unique(values[np.isfinite(values)]))
                kinds[c.name] = integer_kind(values, minority, n_unique, max_levels)
    quantities = {name: numbers[name][rows] for name, (kind, _) in kinds.items() if kind == "numeric"}
    shaped = bins_verdicts(quantities, minority) if shapes else {}
    changed = {}
    for c in schema.features:
        if c.name not in kinds:
            continue
        kind, evidence = kinds[c.name]
        bins = (shaped[c.name] if shapes else c.bins) if kind == "numeric" else ""
        if kind != c.kind or bool(bins) != bool(c.bins):
            changed[c.name] = replace(c, kind=kind, evidence=evidence, bins=bins)
    if not changed:
        return None
    return replace(schema, features=[changed.get(c.name, c) for c in schema.features])


def _numbers(schema: Schema, X, shapes: bool = True) -> dict[str, np.ndarray]:
    """The columns whose kind (integer columns) or — ``shapes`` — bins (numeric ones) the labels may decide, as
    floats."""
    dtypes = {c.name: c.dtype for c in schema.features}
    names = set(label_decided_columns(schema))
    if shapes:
        names |= {c.name for c in schema.features if c.kind == "numeric" and not c.of}
    return {
        c.name: as_kind(X[c.name], "numeric", dtypes[c.name]).to_numpy() for c in schema.features if c.name in names
    }


def read_as(X, schema: Schema, other: Schema):
    """``X`` (prepared for ``schema``) with the columns ``other`` reads as another kind converted: the frame
    :func:`clickpred.io.dataset.prepare_frame` gives for ``other``; unchanged columns are shared, not copied."""
    kinds = {c.name: c.kind for c in schema.features}
    numeric = lambda k: k == "numeric"  # noqa: E731 - categorical and id share one preparation
    flipped = {
        c.name: as_kind(X[c.name], c.kind, c.dtype) for c in other.features if numeric(c.kind) != numeric(kinds[c.name])
    }
    if not flipped:
        return X
    out = X.copy(deep=False)
    for name, column in flipped.items():
        out[name] = column
    return out


@dataclass(frozen=True)
class Reading:
    """How one set of training rows reads the table: the schema they decide and every row read that way (the
    decisions that may read labels: integer columns' kinds, numeric columns' bins, ``crosses = "auto"``)."""

    schema: Schema
    frame: Any


def reading_on(
    base: Schema, X, y: np.ndarray, rows: np.ndarray, spec: Spec, numbers: dict | None = None
) -> tuple[Reading, list[tuple[str, str]]]:
    """The schema the procedure decides on ``rows`` alone — kinds (:func:`decided_on`), then the crosses
    ``[features] crosses`` asks for, chosen on those rows when "auto" — with ``X`` (prepared for ``base``, no
    crosses) read that way, and the crossed pairs. Columns a spec crosses by name keep ``base``'s kind."""
    from ..io.crosses import check_pairs, choose, with_crosses

    wanted = spec.features.crosses
    named = {c for pair in wanted for c in pair} if wanted not in ("none", "auto") else set()
    shapes = spec.features.numeric_bins == "auto"
    if numbers is None:
        numbers = _numbers(base, X, shapes)
    numbers = {k: v for k, v in numbers.items() if k not in named}
    kinds = decided_on(base, X, y, rows, spec.features.max_onehot_levels, numbers, shapes) or base
    frame = read_as(X, base, kinds)
    evidence: dict = {}
    if wanted == "auto":
        pairs, evidence, _ = choose(frame.iloc[rows], np.asarray(y)[rows], kinds, seed=spec.seed)
    elif wanted == "none":
        pairs = []
    else:
        pairs = check_pairs(wanted, kinds, spec.source)
    if pairs:
        frame, kinds = with_crosses(frame, kinds, pairs, spec.features.max_onehot_levels, evidence)
    return Reading(kinds, frame), list(pairs)


def fold_readings(
    base: Schema, X, y: np.ndarray, splits: list, spec: Spec, schema: Schema, threads: int = 0
) -> tuple[list[Reading | None], list[str]]:
    """Per fold of ``splits``, how its training rows read the table (:func:`reading_on`) — None where they decide
    as ``schema`` (the reading of every training row) does — and notes naming what some folds decide otherwise.
    ``X``: the rows prepared for ``base`` (the schema before crosses). The folds read in ``threads`` threads (0:
    one per core this process may run on): numpy's sorts and counts release the GIL, and on 1M rows the five
    readings took 5.0 s in turn, 3.1 s on two threads — before the first fit. Each is the same either way."""
    from concurrent.futures import ThreadPoolExecutor

    from .workers import available_cores

    numbers = _numbers(base, X, spec.features.numeric_bins == "auto")
    if not numbers and spec.features.crosses != "auto":
        return [None] * len(splits), []
    kinds = {c.name: c.kind for c in schema.features}
    binned = {c.name for c in schema.features if c.bins}
    pairs = sorted(tuple(c.of) for c in schema.features if c.of)
    out: list[Reading | None] = []
    differ: dict[str, list[int]] = {}
    shaped: dict[str, list[int]] = {}
    crossed: list[int] = []

    def read(split):
        return reading_on(base, X, y, split[0], spec, numbers)

    n = min(len(splits), threads if threads and threads > 0 else available_cores())
    if n > 1:
        with ThreadPoolExecutor(n) as pool:
            read_all = list(pool.map(read, splits))
    else:
        read_all = [read(split) for split in splits]
    for f, (reading, fold_pairs) in enumerate(read_all):
        changed = [c.name for c in reading.schema.features if not c.of and c.kind != kinds.get(c.name)]
        for name in changed:
            differ.setdefault(name, []).append(f + 1)
        reshaped = [
            c.name
            for c in reading.schema.features
            if c.kind == "numeric" and kinds.get(c.name) == "numeric" and bool(c.bins) != (c.name in binned)
        ]
        for name in reshaped:
            shaped.setdefault(name, []).append(f + 1)
        if sorted(fold_pairs) != pairs:
            crossed.append(f + 1)
        out.append(reading if changed or reshaped or sorted(fold_pairs) != pairs else None)
    notes = []
    if differ:
        notes.append(
            "integer columns' kinds decided again on each training fold; some folds read otherwise: "
            + ", ".join(
                f"{name} as {_other(out, name, f)} in fold(s) {', '.join(map(str, f))} ({kinds[name]} on all rows)"
                for name, f in differ.items()
            )
        )
    if shaped:
        notes.append(
            "numeric columns' bins decided again on each training fold; some folds decide otherwise: "
            + ", ".join(
                f"{name} {'without' if name in binned else 'with'} bins in fold(s) {', '.join(map(str, f))}"
                for name, f in shaped.items()
            )
        )
    if crossed:
        notes.append(
            'crosses = "auto" chosen again on each training fold; fold(s) '
            f"{', '.join(map(str, crossed))} chose other pairs than all the training rows"
        )
    return out, notes


def _other(per_fold: list, name: str, folds: list[int]) -> str:
    reading = per_fold[folds[0] - 1]
    assert reading is not None
    return next(c.kind for c in reading.schema.features if c.name == name)


def train_options(calibration: str, decision: str, costs, categorical, numeric, funnel=None, split_by=None) -> dict:
    """What a train run was asked beyond its spec, as its model file records it (a loaded model's parameters)."""
    return {
        "calibration": calibration,
        "decision": decision,
        "costs": None if costs is None else str(costs),
        "categorical": list(categorical) if categorical else None,
        "numeric": list(numeric) if numeric else None,
        "funnel": list(funnel) if funnel else None,
        "split_by": split_by,
    }


def model_metadata(result: TrainResult, document: dict, header: bool = True) -> dict:
    """What the model file records beside the pipeline."""
    return {
        "input": {"header": header},
        "name": result.name,
        "created": document["created"],
        "classes": list(result.data.schema.classes),
        "schema": result.data.schema.to_dict(),
        "score_method": result.built.score_method,
        "spec": result.spec.to_dict(),
        "versions": result.versions,
        "data": document["data"],
        "evaluated_on": document["evaluated_on"],
        "metrics": {
            c: {k: m[k] for k in ("pr_auc", "pr_auc_baseline", "recall", "precision", "support")}
            for c, m in document["per_class"].items()
        },
        "leakage_warnings": document["leakage_warnings"],
        "correction": result.cv.correction.state(),
        "decision": result.cv.rule.to_dict(),
        "sampling": result.sampling,
        "labels": dict(result.data.labels),
        "options": dict(result.options),
        "importance": document.get("importance"),
        "classifier_choice": document.get("classifier_choice"),
    }


def model_from_result(result: TrainResult, document: dict | None = None, header: bool = True) -> "Model":
    """The model a train result is — what its file holds, in memory (``document``: its report's
    ``metrics.json``, built from the result when not given). Scoring, saving and the estimator all take this."""
    from ..model.modelfile import Model
    from ..postfit.predictor import decision_sample
    from ..reporting.train_report import metrics_document

    cv = result.cv
    return Model(
        pipeline=result.pipeline,
        metadata=model_metadata(result, document or metrics_document(result), header=header),
        path="<in memory>",
        calibrator=cv.correction.calibrator,
        decision_sample=decision_sample(cv.scores, cv.y_true, cv.classes, result.spec.seed) if cv.has_proba else None,
        profile=result.profile,
    )
