"""Rebalancing strategies × classifiers on the same folds, with intervals.

``compare(data, ...)`` evaluates every candidate spec on exactly the same
stratified folds (repeated with ``repeats``); resampling happens inside each
training fold only, scoring on the untouched validation fold at its natural
balance. Each candidate's out-of-fold scores give the same metrics as
``train``; the sort metric (PR-AUC of a minority class) also gets a bootstrap
interval and a paired comparison with the best candidate (see
:mod:`clickpred.evaluation.intervals`). With a cost matrix (``costs``) the sort metric is
instead the mean cost per row of each candidate's decisions under its
minimum-cost rule, tuned on the other folds (:func:`clickpred.postfit.crossfit.finish`),
lower first, with the same bootstrap over rows.

Speed: a pipeline is ``prepare → sampler → encode → classifier`` and
``prepare`` does not depend on the strategy (only ``smote`` asks for another
ID encoding), so it is fitted once per fold and feature configuration and its
output shared by every candidate of that fold (the arrays are memory-mapped to
the worker processes by joblib). Candidates × folds run in parallel with
``jobs``; with a Dask ``scheduler`` address they run on a cluster through
joblib's dask backend. Fitting the rest of the pipeline on the shared output
gives exactly the scores the whole pipeline gives (tested).

Example
-------
>>> result = compare("data/impressions_sample.csv.gz", classifiers=["logistic"])  # doctest: +SKIP
>>> result.leaderboard[0]["name"]  # doctest: +SKIP
'logistic-none'
"""

from __future__ import annotations

import glob as globmod
import time
import warnings
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable

import joblib
import numpy as np
from imblearn.pipeline import Pipeline
from joblib import Parallel, delayed
from sklearn.base import clone

from ..errors import ClickpredError, ConfigError, DataError
from ..estimator.choose import default_class
from ..estimator.training import cross_columns, fold_readings
from ..estimator.workers import PARALLEL_ROWS, duration, fit_workers, frame_bytes
from ..evaluation.crossval import (
    Evaluation,
    check_folds,
    compute_metrics,
    fold_index,
    fold_splits,
    scores_and_predictions,
    scores_for,
    split_column,
    time_order,
)
from ..evaluation.intervals import RankedScores, bootstrap_ap, bootstrap_mean, paired
from ..evaluation.leakage import find_leaks
from ..io.dataset import Dataset, load_dataset
from ..modeling.classifiers import CLASSIFIERS
from ..modeling.pipeline import build_pipeline
from ..modeling.rebalance import STRATEGIES
from ..modeling.spec import AUTO, Spec, forced_columns, load_spec, spec_from_options
from ..postfit.crossfit import finish, strategy_ratio
from ..postfit.decisions import DEFAULT as DEFAULT_RULE
from ..postfit.decisions import DecisionRule, load_costs
from ..reporting.compare_report import recommend
from .racing import Costs, Elimination, Round, auto_schedule, oof_scores, race, round_sizes, schedule

REPLICATES = 500
NEEDS_COSTS = "--metric cost needs --costs FILE (a TOML cost matrix, true class × predicted class)"


@dataclass
class Candidate:
    name: str
    spec: Spec
    pipeline: Pipeline
    method: str
    prep_key: str
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class CandidateResult:
    name: str
    spec: dict
    method: str
    metrics: dict  # compute_metrics on the out-of-fold scores of repeat 1 (all repeats: metric_by_repeat)
    scores: list[np.ndarray]  # out-of-fold scores per repeat (n × K)
    y_pred: list[np.ndarray]
    fit_seconds: float  # mean per fold: shared preprocessing + the rest of the pipeline
    fold_metric: list[float]
    notes: list[str] = field(default_factory=list)
    corrected: dict | None = None  # metrics of the corrected probabilities (repeat 1), see posthoc.finish
    correction: str = "none"
    corrected_scores: np.ndarray | None = None  # corrected out-of-fold probabilities (repeat 1)
    decisions: np.ndarray | None = None  # the cross-fitted decision rule's decisions (repeat 1): auto, or cost
    decision: dict | None = None  # posthoc.decision_summary (with costs: cost per row under each rule)
    row_costs: np.ndarray | None = None  # with costs: the cost of each row's decision (repeat 1)
    fitted: tuple | None = None  # (correction, rule) fitted on all out-of-fold rows: what a model file keeps
    under_rule: dict | None = None  # metrics of the corrected probabilities under the cross-fitted rule (repeat 1)


@dataclass(frozen=True)
class CompareResult:
    data: str
    n_rows: int
    classes: list[str]
    class_counts: dict[str, int]
    folds: int
    repeats: int
    seed: int
    metric: tuple[str, str]  # ("pr_auc", class) or ("cost", class whose PR-AUC the plots show)
    metric_note: str
    results: dict[str, CandidateResult]
    leaderboard: list[dict]
    skipped: dict[str, str]
    notes: list[str]
    seconds: float
    y: np.ndarray
    test: dict | None = None
    recommendation: str = ""
    timings: dict = field(
        default_factory=dict
    )  # wall seconds: read, prepare, resample, fits, correction, bootstrap, test
    costs: str | None = None  # the --costs file of a cost-sorted compare
    leakage_warnings: list[str] = field(default_factory=list)  # the same single-column scan as train's
    validation: str = ""  # how the rows were split: stratified folds, or forward-chaining folds in time order
    eliminated: dict[str, Elimination] = field(default_factory=dict)  # left the race early (racing.py)
    race: list[Round] = field(default_factory=list)  # the racing rounds (none: every candidate ran on all rows)

    @property
    def by_cost(self) -> bool:
        """Sorted by cost per row (lower first) rather than PR-AUC."""
        return self.metric[0] == "cost"


# ---------------------------------------------------------------- candidates


def _csv(values) -> list[str]:
    out = []
    for v in values or []:
        out += [x.strip() for x in str(v).split(",") if x.strip()]
    return out


def candidate_specs(classifiers=None, strategies=None, pipelines=None, folds: int = 5, seed: int = 42) -> list[Spec]:
    """The grid: the spec files matched by ``pipelines`` globs, or classifiers × strategies
    (default: every classifier × every strategy)."""
    specs: list[Spec] = []
    if pipelines:
        for pattern in _csv(pipelines):
            files = sorted(globmod.glob(pattern)) or ([pattern] if Path(pattern).is_file() else [])
            if not files:
                raise ConfigError(f"--pipelines {pattern}: no spec files match")
            specs += [spec_from_options(folds=folds, seed=seed, base=load_spec(f)) for f in files]
        for sp in specs:
            if sp.classifier.name == AUTO:
                raise ConfigError(
                    f"--pipelines {sp.source}: classifier 'auto' is train's choice between logistic and hgb; compare "
                    "compares candidates themselves — name the classifier in the spec (or --classifiers logistic,hgb)"
                )
    else:
        cls = _csv(classifiers) or list(CLASSIFIERS)
        strats = _csv(strategies) or list(STRATEGIES)
        for c in cls:
            if c not in CLASSIFIERS:
                raise ConfigError(f"--classifiers {c}: unknown classifier; valid: {', '.join(CLASSIFIERS)}")
        for st in strats:
            if st not in STRATEGIES:
                raise ConfigError(f"--strategies {st}: unknown strategy; valid: {', '.join(STRATEGIES)}")
        specs = [spec_from_options(c, st, folds, seed) for c in cls for st in strats]
    seen: dict[str, Spec] = {}
    for sp in specs:  # the same spec twice (overlapping globs, a repeated name) runs once
        first = seen.setdefault(sp.name, sp)
        if first is not sp and _what_runs(first) != _what_runs(sp):
            raise ConfigError(
                f"--pipelines: two different specs are named '{sp.name}' ({first.source or 'the grid'} and "
                f"{sp.source or 'the grid'}): candidates are told apart by name; rename one (its name = …)"
            )
    return list(seen.values())


def _what_runs(spec: Spec) -> dict:
    """A spec without where it was read from or how it is described: two specs alike here are one candidate."""
    return {k: v for k, v in spec.to_dict().items() if k not in ("source", "description")}


def _prep_key(prepare) -> str:
    return joblib.hash(prepare)


def build_candidates(specs: list[Spec], ds: Dataset, train_rows: int) -> tuple[list[Candidate], dict[str, str]]:
    """Pipelines for the specs; what can't run on this data is skipped with the reason."""
    counts = ds.class_counts
    out, skipped = [], {}
    for spec in specs:
        try:
            built = build_pipeline(spec, ds.schema, counts)
        except ClickpredError as exc:
            skipped[spec.name] = exc.for_command_line()
            continue
        clf = built.pipeline.steps[-1][1]
        max_rows = getattr(clf, "max_rows", None) or getattr(getattr(clf, "estimator", None), "max_rows", None)
        if max_rows and spec.strategy.name != "undersample" and train_rows > max_rows:
            skipped[spec.name] = (
                f"{spec.classifier.name} refuses {train_rows:,} training rows (max_rows {max_rows:,}): "
                "use undersample, or svm-nystroem"
            )
            continue
        out.append(
            Candidate(
                spec.name,
                spec,
                built.pipeline,
                built.score_method,
                _prep_key(built.pipeline.steps[0][1]),
                list(built.notes),
            )
        )
    return out, skipped


def fold_variants(
    base: Dataset, ds: Dataset, specs: list[Spec], candidates: list[Candidate], splits: list, train_rows: int
) -> tuple[dict[int, tuple[Any, dict[str, Candidate]]], list[str]]:
    """{split: (the rows as its training rows read them, the candidates built for that reading)} for the splits
    whose training rows decide otherwise than all rows do — an integer column's kind, the "auto" crosses — as
    ``train`` does per fold (:func:`clickpred.estimator.training.fold_readings`), and the notes saying so. ``base``: the
    data before crosses; ``ds``: as all rows read it."""
    if len({s.features.max_onehot_levels for s in specs}) != 1:  # the candidates' schemas differ anyway
        return {}, []
    asking = specs[0]  # the readings are shared: decide bins per fold if any candidate uses them
    if any(s.features.numeric_bins == "auto" for s in specs):
        asking = replace(asking, features=replace(asking.features, numeric_bins="auto"))
    readings, notes = fold_readings(base.schema, base.frame, base.y, splits, asking, ds.schema)
    variants = {}
    for f, reading in enumerate(readings):
        if reading is None:
            continue
        built, _ = build_candidates(specs, replace(ds, schema=reading.schema), train_rows)
        by_name = {c.name: c for c in built}
        if all(c.name in by_name for c in candidates):
            variants[f] = (reading.frame, by_name)
    return variants, notes


# ---------------------------------------------------------------- the two phases


def _fit_prepare(prepare, X, y, train_idx, test_idx):
    t0 = time.perf_counter()
    est = clone(prepare)
    Xtr = est.fit_transform(X.iloc[train_idx], y[train_idx])
    seconds = time.perf_counter() - t0
    return np.asarray(Xtr), np.asarray(est.transform(X.iloc[test_idx])), seconds


def _rest(pipeline, resampled: bool = False) -> Pipeline:
    """The pipeline after ``prepare`` (and after the sampler when its output is shared)."""
    steps = pipeline.steps[2:] if resampled else pipeline.steps[1:]
    return Pipeline([(n, clone(s) if not isinstance(s, str) else s) for n, s in steps])


def _sampler_key(pipeline) -> str | None:
    sampler = pipeline.steps[1][1]
    return None if isinstance(sampler, str) or sampler is None else joblib.hash(sampler)


def _resample(sampler, Xtr, ytr):
    """A fold's resampled training rows, shared by every classifier with this sampler."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        try:
            Xr, yr = clone(sampler).fit_resample(Xtr, ytr)
        except (ValueError, MemoryError, ClickpredError) as exc:
            return None, None, time.perf_counter() - t0, f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
        return np.asarray(Xr), np.asarray(yr), time.perf_counter() - t0, None


@dataclass(frozen=True)
class FoldFit:
    """One candidate fitted on one fold's training rows and scored on its validation rows."""

    scores: np.ndarray | None  # validation rows × classes (None when the fit failed)
    predictions: np.ndarray | None  # the classifier's own labels for the validation rows
    seconds: float  # the fit (the shared preprocessing and resampling are counted apart)
    error: str | None = None  # why the fit failed, in one line
    warnings: tuple[str, ...] = ()  # distinct warnings the fit raised (deprecations left out)


def _fit_rest(
    pipeline,
    Xtr,
    ytr,
    Xte,
    classes,
    method,
    resampled: bool = False,
    error: str | None = None,
    predict: bool = True,
) -> FoldFit:
    """Fit sampler → encode → classifier on a fold's shared preprocessing (or encode → classifier on its
    shared resampled rows); score the validation fold (and, with ``predict``, take its own labels for it:
    a racing round needs only the scores)."""
    if error is not None:
        return FoldFit(None, None, 0.0, error)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est = _rest(pipeline, resampled)
        t0 = time.perf_counter()
        try:
            est.fit(Xtr, ytr)
        except (ValueError, MemoryError, ClickpredError) as exc:
            return FoldFit(None, None, time.perf_counter() - t0, f"{type(exc).__name__}: {str(exc).splitlines()[0]}")
        seconds = time.perf_counter() - t0
        if predict:
            scores, predictions = scores_and_predictions(est, Xte, classes, method)
        else:
            scores, predictions = scores_for(est, Xte, classes, method), None
    seen = sorted(
        {
            f"{w.category.__name__}: {str(w.message).splitlines()[0]}"
            for w in caught
            if not issubclass(w.category, (DeprecationWarning, PendingDeprecationWarning))
        }
    )
    return FoldFit(scores, predictions, seconds, None, tuple(seen))


def _backend(scheduler: str | None):
    if not scheduler:
        return nullcontext()
    from ..io.engines import connect_scheduler

    client = connect_scheduler(scheduler)

    class _Ctx:
        def __enter__(self):
            self.cm = joblib.parallel_backend("dask")
            self.cm.__enter__()
            return client

        def __exit__(self, *exc):
            self.cm.__exit__(*exc)
            client.close()
            return False

    return _Ctx()


def _fit_grid(
    candidates: list[Candidate],
    X,
    y_all: np.ndarray,
    splits: list,
    classes: list[str],
    jobs: int,
    costs: Costs,
    on_fit: Callable | None = None,
    timings: dict | None = None,
    predict: bool = True,
    variants: dict | None = None,
) -> tuple[dict, dict, dict[tuple[str, int], FoldFit]]:
    """Every candidate on every split: preprocessing once per split and feature configuration, resampling
    once per split × preprocessing × sampler that several candidates share, then the rest of each pipeline,
    the costliest fits first. Returns the shared preprocessing, the shared resampling and the fold fits;
    records each candidate's measured seconds per training row in ``costs``; ``on_fit(candidate, split,
    fit, estimated seconds, number of splits, fits so far)`` after each fit; wall seconds of the three
    phases in ``timings`` (prepare, resample, fits). Without ``predict`` the fits keep only their scores
    (:func:`_fit_rest`). ``variants``: {split: (its rows as its training rows read them, its candidates)} for the
    splits whose training rows decide a column's kind otherwise (:func:`fold_variants`)."""
    variants = variants or {}

    def pipe(c: Candidate, f: int) -> Pipeline:
        return variants[f][1][c.name].pipeline if f in variants else c.pipeline

    def frame(f: int):
        return variants[f][0] if f in variants else X

    prepares = {c.prep_key: c for c in candidates}  # one candidate per shared preprocessing
    t0 = time.perf_counter()
    keys = [(f, k) for f in range(len(splits)) for k in prepares]
    prepared = Parallel(n_jobs=jobs)(
        delayed(_fit_prepare)(pipe(prepares[k], f).steps[0][1], frame(f), y_all, splits[f][0], splits[f][1])
        for f, k in keys
    )
    shared = dict(zip(keys, prepared))
    t_prepare = time.perf_counter() - t0
    t0 = time.perf_counter()
    # Resampling, once per fold × preprocessing × sampler that several classifiers share (SMOTE's
    # neighbour search is the costliest step of a grid; its output does not depend on the classifier).
    sampler_key = {c.name: _sampler_key(c.pipeline) for c in candidates}  # hashed once, not per fold
    users: dict[tuple[str, str | None], int] = {}
    for c in candidates:
        sk = sampler_key[c.name]
        if sk is not None:
            users[(c.prep_key, sk)] = users.get((c.prep_key, sk), 0) + 1
    samplers = {
        (c.prep_key, sampler_key[c.name]): c
        for c in candidates
        if sampler_key[c.name] is not None and users[(c.prep_key, sampler_key[c.name])] > 1
    }
    rkeys = [(f, pk, sk) for f in range(len(splits)) for pk, sk in samplers]
    resampled_out = Parallel(n_jobs=jobs)(
        delayed(_resample)(pipe(samplers[(pk, sk)], f).steps[1][1], shared[(f, pk)][0], y_all[splits[f][0]])
        for f, pk, sk in rkeys
    )
    resampled = dict(zip(rkeys, resampled_out))
    t_resample = time.perf_counter() - t0

    def fit_args(c, f):
        sk = sampler_key[c.name]
        Xte = shared[(f, c.prep_key)][1]
        if (f, c.prep_key, sk) in resampled:
            Xr, yr, _, err = resampled[(f, c.prep_key, sk)]
            return (pipe(c, f), Xr, yr, Xte, classes, c.method, True, err)
        return (pipe(c, f), shared[(f, c.prep_key)][0], y_all[splits[f][0]], Xte, classes, c.method)

    t0 = time.perf_counter()
    # The costliest candidates first (measured per training row, or a prior), so that the last fits
    # running alone on a worker are short ones.
    order = sorted(candidates, key=lambda c: -costs.estimate(c.name, len(splits[0][0])))
    tasks = [(c, f) for c in order for f in range(len(splits))]
    units = {(c.name, f): costs.units(c.name, len(splits[f][0])) for c, f in tasks}  # before any is measured
    outputs: dict[tuple[str, int], FoldFit] = {}
    stream = Parallel(n_jobs=jobs, return_as="generator")(
        delayed(_fit_rest)(*fit_args(c, f), predict=predict) for c, f in tasks
    )
    for (c, f), out in zip(tasks, stream):
        outputs[(c.name, f)] = out
        if f == len(splits) - 1 and all(outputs[(c.name, g)].error is None for g in range(len(splits))):
            costs.record(
                c.name,
                float(np.mean([outputs[(c.name, g)].seconds for g in range(len(splits))])),
                int(np.mean([len(tr) for tr, _ in splits])),
            )
        if on_fit is not None:
            on_fit(c, f, out, units[(c.name, f)], len(splits), outputs)
    if timings is not None:
        timings.update(prepare=t_prepare, resample=t_resample, fits=time.perf_counter() - t0)
    return shared, resampled, outputs


class _Runner:
    """Fits candidates on folds for compare — the racing rounds and the full run — and reports progress
    in estimated milliseconds of fitting, with the best out-of-fold PR-AUC of the stage so far."""

    def __init__(self, X, y_all, classes, jobs, costs: Costs, y, eval_tests, metric_class, progress, variants=None):
        self.X, self.y_all, self.classes, self.jobs, self.costs = X, y_all, classes, jobs, costs
        self.variants = variants or {}
        self.y, self.eval_tests, self.metric_class, self.progress = y, eval_tests, metric_class, progress
        self.k = classes.index(metric_class)
        self.done, self.total, self.label, self.best = 0, 0, "", ("", -1.0)
        self.started = time.perf_counter()
        self.ratios: list[float] = []  # each finished fit's measured seconds per estimated unit
        self.upper_bound = False  # while racing: the work left counts every candidate as if it survived

    def plan(self, units_left: int) -> None:
        self.total = self.done + units_left

    def stage(self, label: str) -> None:
        self.label, self.best = label, ("", -1.0)

    def fit(self, candidates, splits, timings: dict | None = None, predict: bool = True):
        return _fit_grid(
            candidates,
            self.X,
            self.y_all,
            splits,
            self.classes,
            self.jobs,
            self.costs,
            self._on_fit,
            timings,
            predict,
            self.variants,
        )

    def first_repeat(self, outputs: dict, name: str) -> tuple[np.ndarray | None, float]:
        """A candidate's out-of-fold scores of the sort class over the first repeat's folds (None if a fit
        failed) and its mean fit seconds per fold."""
        fits = [outputs[(name, f)] for f in range(len(self.eval_tests))]
        if any(o.error is not None for o in fits):
            return None, 0.0
        oof = oof_scores([o.scores[:, self.k] for o in fits], self.eval_tests, len(self.y))
        return oof, float(np.mean([o.seconds for o in fits]))

    def closing(self, label: str) -> None:
        """Say what runs after the last fit (no silent phase at 100%)."""
        self.label = label
        if self.progress is not None:
            self.progress(self.total, self.total, label)

    def _on_fit(self, c: Candidate, f: int, out: FoldFit, units: int, n_splits: int, outputs: dict) -> None:
        self.done += units
        if out.error is None and units > 0:
            self.ratios.append(out.seconds / units)
        if f == n_splits - 1:
            oof, _ = self.first_repeat(outputs, c.name)
            value = RankedScores(self.y == self.metric_class, oof).average_precision() if oof is not None else -1.0
            if value > self.best[1]:
                self.best = (c.name, value)
        if self.progress is not None:
            best = f"best {self.metric_class} PR-AUC so far: {self.best[0]} {self.best[1]:.4f}" if self.best[0] else ""
            eta = time_left(time.perf_counter() - self.started, self.done, self.total, self.ratios)
            eta = f"at most {eta}" if eta and self.upper_bound else eta
            self.progress(self.done, self.total, " · ".join(x for x in (self.label, best, eta) if x))


RELIABLE_FITS = 5  # fits measured before the time left is one figure instead of a range …
RELIABLE_SHARE = 0.3  # … and this share of the work done


def time_left(elapsed: float, done: float, total: float, ratios: list[float]) -> str:
    """The time left, from the pace so far (wall seconds per unit of estimated work — the estimate per classifier ×
    strategy × rows, corrected by every fit as it finishes): ``"about 4 min left"``; a range while fewer than
    :data:`RELIABLE_FITS` fits are measured or less than :data:`RELIABLE_SHARE` of the work is done, as wide as the
    finished fits' measured-to-estimated ratios spread (at least half to twice); "" before any fit."""
    if done <= 0 or total <= done or not ratios:
        return ""
    left = elapsed / done * (total - done)
    if len(ratios) >= RELIABLE_FITS and done >= RELIABLE_SHARE * total:
        return f"about {duration(left)} left"
    mean = float(np.mean(ratios))
    low = min(0.5, min(ratios) / mean) if mean > 0 else 0.5
    high = max(2.0, max(ratios) / mean) if mean > 0 else 2.0
    a, b = duration(left * low), duration(left * high)
    if a.split()[1] == b.split()[1]:  # "2–8 min", not "2 min–8 min"
        a = a.split()[0]
    return f"about {a}–{b} left"


def pick_metric(
    metric: str | None, classes: list[str], counts: dict[str, int], costs: str | Path | None = None
) -> tuple[tuple[str, str], str]:
    """The sort metric (PR-AUC of one class, or the cost per row under ``costs``) and a sentence saying why."""
    if metric == "cost" or (costs is not None and not metric):
        if costs is None:
            raise ConfigError(NEEDS_COSTS)
        (_, c), _ = pick_metric(None, classes, counts)
        return ("cost", c), (
            f"sorted by mean cost per row under {Path(costs).name} (lower is better), each candidate "
            "deciding by its cross-fitted minimum-cost rule"
        )
    if metric:
        name, _, cls = metric.partition(":")
        if name != "pr_auc" or cls not in classes[1:]:
            raise ConfigError(
                f"--metric {metric}: expected pr_auc:CLASS with a minority class ({', '.join(classes[1:])}), "
                "or cost (with --costs)"
            )
        return (name, cls), f"sorted by PR-AUC of {cls} (--metric)"
    c, why = default_class(classes, counts)
    return ("pr_auc", c), why


def compare(
    data: str | Path,
    classifiers=None,
    strategies=None,
    pipelines=None,
    folds: int = 5,
    repeats: int = 1,
    metric: str | None = None,
    jobs: int = 0,
    test: str | Path | None = None,
    seed: int = 42,
    target: str | None = None,
    sep: str | None = None,
    drop: list[str] | None = None,
    scheduler: str | None = None,
    replicates: int = REPLICATES,
    progress: Callable[[int, int, str], None] | None = None,
    events: Callable[[str, dict], None] | None = None,
    calibration: str = "auto",
    costs: str | Path | None = None,
    categorical: list[str] | None = None,
    numeric: list[str] | None = None,
    split_by: str | None = None,
    racing: bool = True,
    race_rows: int | None = None,
) -> CompareResult:
    """Evaluate the grid on shared folds; see the module docstring.

    ``categorical`` / ``numeric`` force how columns are read (as in train, also from the specs'
    ``[features]``); ``split_by`` orders the rows by that column and validates forward in time:
    fold f trains on the earliest f + 1 of ``folds`` + 1 blocks and is scored on the next one
    (scikit-learn's ``TimeSeriesSplit``), so no candidate is scored on rows older than its training
    rows. Every figure is then on the rows after the first block.

    ``racing`` (the default) first drops, on subsets of the rows, the candidates that are clearly
    worse than the best (:mod:`clickpred.jobs.racing`) — when the grid's fits on all rows are estimated to take
    longer than :data:`~clickpred.jobs.racing.RACE_SECONDS` on these workers (:func:`~clickpred.jobs.racing.
    auto_schedule`), or, with ``race_rows``, from a first round at that many majority rows per fold whatever
    the cost; the survivors then run as with ``racing=False`` and get exactly its figures. The eliminated
    candidates are in ``result.eliminated``, the rounds in ``result.race``.

    ``events(kind, info)``, if given, hears ``"notes"`` (``info["notes"]``: the target, classes, schema decisions
    and the validation — before any fit), as :func:`clickpred.estimator.fitting.train` tells them.

    ``jobs``: worker processes for candidates × folds (0, auto: one per core when the grid has at least
    :data:`~clickpred.estimator.workers.PARALLEL_ROWS` rows × candidates, as memory allows; 1: in this process)."""
    t_start = time.perf_counter()
    g = _grid(data, classifiers, strategies, pipelines, folds, repeats, metric, jobs, seed, target, sep, drop,
              scheduler, calibration, costs, categorical, numeric, split_by, racing, race_rows)  # fmt: skip
    timings = {"read": time.perf_counter() - t_start}
    if events is not None:
        events("notes", {"notes": [*g.notes, f"{g.validation}; {g.metric_note}"]})
    runner, candidates, fits, eliminated, race_rounds = _run_grid(
        g, folds, scheduler, progress, replicates, seed, timings
    )
    t0 = time.perf_counter()
    runner.closing(f"closing: probability corrections and decision rules of {len(candidates)} candidate(s)")
    results, failed = _summaries(g, candidates, fits, folds, repeats, calibration)
    skipped = {**g.skipped, **failed}
    timings["correction"] = time.perf_counter() - t0
    notes = g.notes + [n if n.startswith(c.name) else f"{c.name}: {n}" for c in candidates for n in c.notes]
    t0 = time.perf_counter()
    leaderboard = rank_candidates(results, g.y, g.classes, (g.metric_name, g.metric_class), replicates, seed)
    timings["bootstrap"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    test_result = None
    if test:
        jobs_test = 1 if scheduler else g.jobs
        test_result = _test_scores(test, g.ds, results, candidates, g.X, g.y_all, g.classes, g.metric_class, jobs_test)
        timings["test"] = time.perf_counter() - t0
    result = CompareResult(
        data=str(data),
        n_rows=len(g.y),
        classes=list(g.classes),
        class_counts={c: int((g.y == c).sum()) for c in g.classes},
        folds=folds,
        repeats=repeats,
        seed=seed,
        metric=(g.metric_name, g.metric_class),
        metric_note=g.metric_note,
        results=results,
        leaderboard=leaderboard,
        skipped=skipped,
        notes=notes,
        seconds=time.perf_counter() - t_start,
        y=g.y,
        test=test_result,
        timings=timings,
        costs=str(costs) if costs is not None else None,
        leakage_warnings=[w.message() for w in g.leaks],
        validation=g.validation,
        eliminated=eliminated,
        race=race_rounds,
    )
    return replace(result, recommendation=recommend(result))


def _run_grid(g: "_Grid", folds: int, scheduler, progress, replicates: int, seed: int, timings: dict):
    """The grid's fits: racing's rounds first where ``g`` plans them (dropping the candidates clearly worse than
    the best), then the survivors on every fold's rows. Returns the runner, the survivors, their fits, the
    eliminated candidates and the rounds."""
    runner = _Runner(
        g.X, g.y_all, g.classes, g.jobs, g.costs_seen, g.y, [te for _, te in g.eval_splits[:folds]], g.metric_class,
        progress, g.variants,
    )  # fmt: skip
    majority = max(g.classes, key=lambda c: g.ds.class_counts[c])
    sizes = [round_sizes(g.splits[:folds], g.y_all, majority, r) for r in g.fractions] + [
        [len(tr) for tr, _ in g.splits]
    ]

    def planned(names: list[str], after: int) -> int:
        """Estimated work left for ``names``: the rounds after round ``after`` and the full run."""
        return sum(g.costs_seen.units(n, rows) for n in names for stage in sizes[after:] for rows in stage)

    candidates = g.candidates
    eliminated: dict[str, Elimination] = {}
    race_rounds: list[Round] = []
    runner.plan(planned([c.name for c in candidates], 0))  # an upper bound: as if every candidate survived
    with _backend(scheduler):
        if g.fractions:
            t0 = time.perf_counter()
            candidates, eliminated, race_rounds = _race(
                runner, planned, candidates, g.fractions, g.splits[:folds], (g.y_all, g.y), g.metric_class, majority,
                replicates, seed,
            )  # fmt: skip
            timings["racing"] = time.perf_counter() - t0
        runner.stage(f"all rows: {len(candidates)} candidates" if g.fractions else "")
        fits = runner.fit(candidates, g.splits, timings)
    return runner, candidates, fits, eliminated, race_rounds


@dataclass
class _Grid:
    """What a compare run decided before its first fit: the rows as every candidate reads them (and per fold), the
    sort metric and the decision rule, the folds, the candidates that can run (and why others cannot), the
    workers, racing's rounds and the notes."""

    ds: Dataset
    X: Any
    y_all: np.ndarray
    classes: list[str]
    metric_name: str
    metric_class: str
    metric_note: str
    rule: DecisionRule
    leaks: list
    splits: list
    validation: str
    y: np.ndarray  # the evaluated rows' labels (forward validation scores all but the first block)
    eval_splits: list
    candidates: list[Candidate]
    skipped: dict[str, str]
    notes: list[str]
    jobs: int
    costs_seen: Costs
    fractions: list
    variants: Any


def _grid(data, classifiers, strategies, pipelines, folds, repeats, metric, jobs, seed, target, sep, drop,
          scheduler, calibration, costs, categorical, numeric, split_by, racing, race_rows) -> _Grid:  # fmt: skip
    """Everything decided before the first fit of a compare run (:class:`_Grid`); bad options refused first."""
    check_options(folds, repeats, calibration, costs, metric, split_by)
    specs = candidate_specs(classifiers, strategies, pipelines, folds, seed)
    base, ds = _read(data, specs, target, sep, drop, categorical, numeric)
    X, y_all, classes = ds.frame, ds.y, ds.schema.classes
    check_folds(y_all, classes, folds, ds.path)
    (metric_name, metric_class), metric_note = pick_metric(metric, classes, ds.class_counts, costs)
    # Every candidate decides as its model file would: the minimum-cost rule with --costs, else the
    # default rule of `train` (auto), both cross-fitted — so compare and train agree on a candidate.
    rule = (
        DecisionRule("cost", classes, costs=load_costs(costs, classes))
        if costs is not None
        else DecisionRule(DEFAULT_RULE, classes)
    )
    if rule.kind == "cost" and calibration == "none":
        raise ConfigError("--costs with --calibration none: the minimum-cost rule needs probabilities")
    leaks = find_leaks(X, y_all, classes, {c.name: c.kind for c in ds.schema.features}, seed=seed)
    splits, validation = _splits(ds, folds, repeats, seed, split_by)
    y, eval_splits = evaluated_rows(splits, folds, y_all)
    train_rows = max(len(tr) for tr, _ in splits)
    candidates, skipped = build_candidates(specs, ds, train_rows)
    if not candidates:
        raise ClickpredError("no candidate can run on this data: " + "; ".join(f"{k}: {v}" for k, v in skipped.items()))
    notes = list(ds.notes)
    jobs, said = _grid_workers(scheduler, jobs, X, len(candidates), len(splits))
    notes += said
    costs_seen = Costs({c.name: (c.spec.classifier.name, c.spec.strategy.name) for c in candidates})
    majority = max(classes, key=lambda c: ds.class_counts[c])
    fractions, said = _racing_fractions(
        racing, race_rows, candidates, costs_seen, splits, folds, y_all, majority, jobs, metric_name
    )
    notes += said
    variants, decided = fold_variants(base, ds, specs, candidates, splits, train_rows)
    notes += decided
    return _Grid(
        ds, X, y_all, list(classes), metric_name, metric_class, metric_note, rule, leaks, splits, validation, y,
        eval_splits, candidates, skipped, notes, jobs, costs_seen, fractions, variants,
    )  # fmt: skip


def _summaries(g: _Grid, candidates: list, fits, folds: int, repeats: int, calibration: str):
    """Each surviving candidate's metrics and cross-fitted correction and rule (independent: in parallel too);
    those whose correction cannot be fitted move to the skipped, with the reason."""
    shared, resampled, outputs = fits
    fold_of = fold_index(len(g.y), [te for _, te in g.eval_splits[:folds]])  # repeat 1
    summaries = Parallel(n_jobs=g.jobs)(
        delayed(_summarise)(
            c,
            [outputs[(c.name, f)] for f in range(len(g.splits))],
            g.eval_splits,
            folds,
            repeats,
            g.y,
            g.classes,
            g.metric_class,
            fold_of,
            [shared[(f, c.prep_key)][2] + _resample_seconds(resampled, f, c) for f in range(len(g.splits))],
            strategy_ratio(c.spec.strategy.name, c.spec.strategy.params, g.classes, g.ds.class_counts),
            calibration,
            g.rule,
        )
        for c in candidates
    )
    return _kept(candidates, summaries)


def _read(data, specs: list, target, sep, drop, categorical, numeric) -> tuple[Dataset, Dataset]:
    """The labelled table as every candidate reads it, before and after the crosses its specs share."""
    ds = load_dataset(data, target=target, sep=sep, drop=drop, **forced_columns(specs, categorical, numeric))
    crossings = {s.features.crosses for s in specs}
    if len(crossings) > 1:
        raise ConfigError(
            "compare: the candidates ask for different [features] crosses; the folds share one "
            "dataset: give every spec the same crosses"
        )
    if crossings == {"none"}:
        return ds, ds
    crossed, said = cross_columns(ds, specs[0], ds.frame, ds.y)
    crossed.notes.extend(said)
    return ds, crossed


def _splits(ds: Dataset, folds: int, repeats: int, seed: int, split_by: str | None) -> tuple[list, str]:
    """The folds every candidate shares and how they validate (stratified, repeated; or forward in time)."""
    if split_by is not None:
        return forward_splits(ds.frame, ds.y, ds.schema.classes, split_by, folds, ds.path, ds.schema.dropped)
    # Repeat r shuffles with seed + r: repeat 0 gives exactly the folds of `clickpred train --seed`.
    splits = [s for r in range(repeats) for s in fold_splits(ds.y, folds, seed + r)]
    return splits, f"{folds}-fold stratified CV" + (f", {repeats} repeats" if repeats > 1 else "")


def _grid_workers(scheduler, jobs: int, X, candidates: int, splits: int) -> tuple[int, list[str]]:
    """Workers for the grid's fits: every worker of a cluster, or with ``jobs`` 0 (auto) a pool where the grid is
    worth one, as memory allows (with the note saying what memory held back)."""
    if scheduler:
        return -1, []  # every worker of the cluster (joblib would run n_jobs=1 in-process)
    if jobs != 0:
        return jobs, []
    worth_it = len(X) * candidates >= PARALLEL_ROWS
    jobs, held = fit_workers(0, candidates * splits, frame_bytes(X), worth_it)
    return jobs, [held] if held else []


def _race(
    runner, planned, candidates: list, fractions: list[float], splits: list, ys: tuple, metric_class, majority,
    replicates: int, seed: int,
) -> tuple[list, dict[str, Elimination], list[Round]]:  # fmt: skip
    """The racing rounds (:func:`clickpred.jobs.racing.race`) on ``runner``: the surviving candidates, the
    eliminated ones with their classifier and strategy, and the rounds. ``ys``: every row's label and the
    evaluated rows' labels; ``planned(names, after)``: the work left for the progress bar."""
    by_name = {c.name: c for c in candidates}

    def fit_round(alive: list[str], folds_r: list, number: int) -> dict:
        rows = int(np.mean([len(tr) for tr, _ in folds_r]))
        runner.stage(f"racing round {number} of {len(fractions)}: {len(alive)} candidates on {rows:,} rows")
        _, _, outs = runner.fit([by_name[n] for n in alive], folds_r, predict=False)  # rounds rank scores
        runner.plan(planned(alive, number))
        return {n: runner.first_repeat(outs, n) for n in alive}

    y_all, y = ys
    runner.upper_bound = True  # the work left counts every candidate as a survivor while the rounds run
    try:
        outcome = race(list(by_name), fit_round, y_all, splits, y, metric_class, majority, fractions, replicates, seed)
    finally:
        runner.upper_bound = False
    eliminated = {
        n: replace(e, classifier=by_name[n].spec.classifier.name, strategy=by_name[n].spec.strategy.name)
        for n, e in outcome.eliminated.items()
    }
    survivors = [c for c in candidates if c.name in outcome.survivors]
    runner.plan(planned([c.name for c in survivors], len(fractions)))
    return survivors, eliminated, outcome.rounds


def _racing_fractions(
    racing: bool, race_rows, candidates: list, costs_seen, splits: list, folds: int, y_all, majority, jobs: int, metric
) -> tuple[list[float], list[str]]:
    """The racing rounds' shares of the majority rows (none: every candidate on all rows at once) and a note
    where racing was asked but cannot rank: with ``race_rows`` a first round at that many majority rows whatever
    the grid costs, else by the grid's estimated cost on all rows on these workers."""
    if not racing or len(candidates) < 2:
        return [], []
    majority_rows = min(int((y_all[tr] == majority).sum()) for tr, _ in splits[:folds])
    if race_rows is not None:
        fractions = schedule(majority_rows, start_rows=race_rows)
    else:
        estimated = sum(costs_seen.estimate(c.name, len(tr)) for c in candidates for tr, _ in splits)
        fractions = auto_schedule(estimated / max(1, jobs), majority_rows)
    if fractions and metric == "cost":
        return [], [
            "racing ranks candidates by PR-AUC, not by cost: with --costs every candidate runs on all rows "
            "(as --exhaustive)"
        ]
    return fractions, []


def _kept(candidates: list, summaries: list) -> tuple[dict[str, CandidateResult], dict[str, str]]:
    """The candidates whose figures could be computed, by name (their notes kept on the candidate), and the
    others' failures, by name."""
    results: dict[str, CandidateResult] = {}
    failed: dict[str, str] = {}
    for c, (result, failure) in zip(candidates, summaries):
        if failure:
            failed[c.name] = failure
        else:
            c.notes = result.notes
            results[c.name] = result
    return results, failed


def check_options(folds: int, repeats: int, calibration: str, costs, metric: str | None, split_by: str | None) -> None:
    """compare's options that can be refused before the data is read."""
    from ..postfit.correction import check_method

    if folds < 2:
        raise ConfigError(f"--folds must be at least 2, got {folds}")
    if repeats < 1:
        raise ConfigError(f"--repeats must be at least 1, got {repeats}")
    check_method(calibration)
    if costs is not None and not Path(costs).is_file():  # before the read; the classes are checked after it
        raise ConfigError(f"--costs {costs}: file not found")
    if metric == "cost" and costs is None:
        raise ConfigError(NEEDS_COSTS)
    if split_by is not None and repeats > 1:
        raise ConfigError("--repeats with --split-by: time order gives one arrangement of the rows; use --repeats 1")


def evaluated_rows(splits: list, folds: int, y_all: np.ndarray) -> tuple[np.ndarray, list]:
    """The labels of the rows the figures are on (every row, or those after the first time block) and each split
    with its held-out rows as positions among them."""
    evaluated = np.sort(np.concatenate([te for _, te in splits[:folds]]))
    position = np.full(len(y_all), -1)
    position[evaluated] = np.arange(len(evaluated))
    return y_all[evaluated], [(tr, position[te]) for tr, te in splits]


def rank_candidates(
    results: dict[str, CandidateResult], y: np.ndarray, classes: list[str], metric: tuple[str, str], replicates, seed
) -> list[dict]:
    """The leaderboard: candidates by the sort metric (PR-AUC of a class, higher first; or cost per row, lower
    first), each with its bootstrap interval and its paired difference from the best."""
    metric_name, metric_class = metric
    k = classes.index(metric_class)
    if metric_name == "cost":
        point, values = bootstrap_mean(
            {name: [np.asarray(r.row_costs)] for name, r in results.items()}, replicates=replicates, seed=seed
        )
        order = sorted(results, key=lambda n: point[n].estimate)
    else:
        ranked = {name: [RankedScores(y == metric_class, s[:, k]) for s in r.scores] for name, r in results.items()}
        point, values = bootstrap_ap(ranked, replicates=replicates, seed=seed)
        order = sorted(results, key=lambda n: -np.nan_to_num(point[n].estimate, nan=-1))
    best = order[0]
    board = []
    for rank, name in enumerate(order, start=1):
        pair = paired(best, name, point, values, higher_is_better=metric_name != "cost") if name != best else None
        board.append(_row(rank, results[name], classes, metric_class, point[name], pair))
    return board


def _resample_seconds(resampled: dict, f: int, c: Candidate) -> float:
    shared_resample = resampled.get((f, c.prep_key, _sampler_key(c.pipeline)))
    return shared_resample[2] if shared_resample else 0.0


def _summarise(
    c: Candidate,
    outs: list,
    splits,
    folds,
    repeats,
    y,
    classes,
    metric_class,
    fold_of,
    shared_seconds: list[float],
    ratio,
    calibration,
    rule: DecisionRule,
) -> tuple[CandidateResult | None, str | None]:
    """One candidate's out-of-fold scores, metrics, corrected probabilities and cross-fitted decisions under
    ``rule`` (auto, or the cost rule: then also the cost of each row's decision) from its fold outputs."""
    fails = [o.error for o in outs if o.error]
    if fails:
        return None, f"failed to fit: {fails[0]}"
    notes = list(c.notes)
    scores = [np.zeros((len(y), len(classes))) for _ in range(repeats)]
    preds = [np.empty(len(y), dtype=object) for _ in range(repeats)]
    fold_metric, seconds = [], []
    k = classes.index(metric_class)
    for f, (_tr, te) in enumerate(splits):
        s, p, sec, caught = outs[f].scores, outs[f].predictions, outs[f].seconds, outs[f].warnings
        for w in caught:
            if f"{c.name}: {w}" not in notes:
                notes.append(f"{c.name}: {w}")
        r = f // folds
        scores[r][te] = s
        preds[r][te] = p
        seconds.append(sec + shared_seconds[f])
        fold_metric.append(RankedScores(y[te] == metric_class, s[:, k]).average_precision())
    preds = [p.astype(str) for p in preds]
    metrics = compute_metrics(y, scores[0], classes, c.method == "predict_proba", preds[0])
    ev = Evaluation("cv", classes, y, scores[0], preds[0], c.method == "predict_proba", metrics, fold_of=fold_of)
    try:
        ev = finish(ev, c.method, ratio, calibration, rule=rule)
    except ConfigError as exc:
        return None, exc.for_command_line()
    result = CandidateResult(
        c.name,
        c.spec.to_dict(),
        c.method,
        metrics,
        scores,
        preds,
        float(np.mean(seconds)),
        fold_metric,
        notes,
        corrected=ev.argmax if ev.has_proba else None,
        correction=ev.correction.method,
        corrected_scores=ev.scores if ev.has_proba else None,
        decisions=ev.y_pred,
        decision=ev.decision,
        row_costs=rule.row_costs(y, ev.y_pred) if rule.kind == "cost" else None,
        fitted=(ev.correction, ev.rule),
        under_rule=ev.metrics,
    )
    return result, None


def _row(rank, r: CandidateResult, classes, metric_class, interval, pair) -> dict:
    m = r.metrics
    row = {
        "rank": rank,
        "name": r.name,
        "classifier": r.spec["classifier"]["name"],
        "strategy": r.spec["strategy"]["name"],
        "metric": interval.estimate,
        "metric_low": interval.low,
        "metric_high": interval.high,
        "fold_std": float(np.nanstd(r.fold_metric)),
        "vs_best_difference": pair.difference if pair else 0.0,
        "vs_best_low": pair.low if pair else 0.0,
        "vs_best_high": pair.high if pair else 0.0,
        "distinguishable_from_best": pair.distinguishable if pair else None,
    }
    assert r.decision is not None and r.under_rule is not None  # set for every summarised candidate
    rule = r.decision["per_class"]
    row["decision"] = r.decision["label"]
    for c in classes[1:]:
        pc = m["per_class"][c]
        row[f"pr_auc_{c}"] = pc["pr_auc"]
        # Under the decision rule the saved model would use (cross-fitted), as `train` reports them;
        # the classifier's own argmax (raw scores, before any correction) beside them.
        row[f"recall_{c}"] = rule[c]["recall"]
        row[f"precision_{c}"] = rule[c]["precision"]
        row[f"recall_raw_argmax_{c}"] = pc["recall"]
        row[f"precision_raw_argmax_{c}"] = pc["precision"]
    row["macro_pr_auc"] = float(
        np.nanmean([m["per_class"][c]["pr_auc"] for c in classes[1:] if m["per_class"][c]["pr_auc"] is not None])
    )
    row["balanced_accuracy"] = r.under_rule["balanced_accuracy"]  # under the rule, as the recall above
    row["mcc"] = r.under_rule["mcc"]
    # Probabilities as the saved model would give them: corrected for the rebalancing, calibrated
    # (cross-fitted on the out-of-fold scores); "raw" is the classifier's own output.
    cm = r.corrected or {}
    row["correction"] = r.correction
    row["log_loss"] = cm.get("log_loss")
    row["ne"] = cm.get("ne")
    row["brier"] = cm.get("brier")
    row["log_loss_raw"] = m.get("log_loss")
    row["ne_raw"] = m.get("ne")
    for c in classes[1:]:
        row[f"calibration_ratio_{c}"] = (cm.get("calibration") or {}).get(c, {}).get("calibration_ratio")
        row[f"calibration_ratio_raw_{c}"] = (m.get("calibration") or {}).get(c, {}).get("calibration_ratio")
        row[f"ece_{c}"] = (cm.get("calibration") or {}).get(c, {}).get("ece")
    if "cost_per_row" in r.decision:
        cost = r.decision["cost_per_row"]
        row["cost_per_row"] = cost["rule"]
        row["cost_per_row_untuned"] = cost.get("bayes_untuned")
        row["cost_per_row_argmax"] = cost["argmax"]
        row["cost_nothing_flagged"] = cost["nothing_flagged"]
        for c in classes[1:]:
            row[f"recall_rule_{c}"] = r.decision["per_class"][c]["recall"]
            row[f"precision_rule_{c}"] = r.decision["per_class"][c]["precision"]
    row["fit_seconds"] = r.fit_seconds
    return row


def _test_scores(test, ds, results, candidates, X, y, classes, metric_class, jobs: int = 1) -> dict:
    """Each candidate refitted on all of DATA and scored on the held-out file (with costs: decided by
    its correction and cost rule fitted on the out-of-fold scores, as a model file would), in parallel."""
    tds = load_dataset(test, schema=ds.schema)
    todo = [c for c in candidates if c.name in results]
    fitted = Parallel(n_jobs=jobs)(
        delayed(_refit_and_score)(
            c.pipeline, c.method, X, y, tds.frame, tds.y, classes, metric_class, results[c.name].fitted
        )
        for c in todo
    )
    out = dict(zip([c.name for c in todo], fitted))
    return {"path": str(test), "n_rows": len(tds.y), "y": tds.y, "candidates": out}


def _refit_and_score(pipeline, method, X, y, Xtest, ytest, classes, metric_class, decide) -> dict:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = clone(pipeline).fit(X, y)
    s, predictions = scores_and_predictions(est, Xtest, classes, method)
    m = compute_metrics(ytest, s, classes, method == "predict_proba", predictions)
    out = {"metric": m["per_class"][metric_class]["pr_auc"], "metrics": m, "scores": s}
    correction, rule = decide  # fitted on the out-of-fold scores: decide as the model file would
    P = correction.apply(s)
    pred = rule.predict(P)
    out["under_rule"] = compute_metrics(ytest, P, classes, method == "predict_proba" or correction.changes_scores, pred)
    if rule.kind == "cost":
        out["metric"] = rule.realised_cost(ytest, pred)
    return out


def forward_splits(X, y, classes, split_by: str, folds: int, path, dropped: dict | None = None) -> tuple[list, str]:
    """Forward-chaining folds in the order of ``split_by``: each trains on every earlier block."""
    from sklearn.model_selection import TimeSeriesSplit

    order = time_order(split_column(X, split_by, path, dropped), split_by, path)
    splits = [(np.sort(order[tr]), np.sort(order[te])) for tr, te in TimeSeriesSplit(n_splits=folds).split(order)]
    for f, (tr, _) in enumerate(splits):
        missing = [c for c in classes if not (y[tr] == c).any()]
        if missing:
            raise DataError(
                f"--split-by {split_by}: the earliest {len(tr):,} rows (fold {f + 1}'s training rows) have no "
                f"'{missing[0]}': use fewer --folds"
            )
    return splits, (
        f"forward-chaining folds in '{split_by}' order: fold f trains on the earliest f + 1 of {folds + 1} "
        f"blocks and is scored on the next ({len(splits[0][1]) * folds:,} rows scored)"
    )
