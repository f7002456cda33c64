"""The fitting core under :class:`~clickpred.estimator.classifier.ClickClassifier` and the ``train`` job:
read → build → cross-validate → correct → decide → refit, nothing written.

Example
-------
>>> from clickpred.modeling.spec import spec_from_options
>>> result = train("data/impressions_sample.csv.gz", spec_from_options())  # doctest: +SKIP
>>> result.cv.metrics["per_class"]["click"]["pr_auc"]  # doctest: +SKIP
"""

from __future__ import annotations

import time
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

    from ..io.dataset import Dataset
    from ..io.schema import Schema

from ..errors import ConfigError
from ..evaluation.crossval import (
    Evaluation,
    check_folds,
    cross_validate,
    cross_validate_and_refit,
    fold_splits,
    holdout,
    split_column,
    time_order,
)
from ..evaluation.leakage import find_leaks
from ..io.dataset import load_dataset
from ..modeling.pipeline import BuiltPipeline, build_pipeline, for_prediction
from ..modeling.spec import AUTO, ComponentSpec, Spec, forced_columns
from ..postfit.crossfit import finish, finish_holdout, strategy_ratio
from ..postfit.decisions import check_rule_text, parse_rule
from .training import (
    TrainResult,
    cross_columns,
    fold_readings,
    library_versions,
    reading_on,
    train_options,
    warning_notes,
)
from .workers import SLOW_CLASSIFIERS, duration, plan_workers

SPLIT_FRACTION = 0.2


def train(
    data: "str | Path | pd.DataFrame",
    spec: Spec,
    target: str | None = None,
    sep: str | None = None,
    drop: list[str] | None = None,
    test: str | Path | None = None,
    split_by: str | None = None,
    jobs: int = 0,
    categorical: list[str] | None = None,
    numeric: list[str] | None = None,
    header: bool = True,
    calibration: str = "auto",
    decision: str = "auto",
    costs: str | Path | None = None,
    funnel: list[str] | None = None,
    events=None,
    labels: "np.ndarray | None" = None,
    importance: bool = True,
) -> TrainResult:
    """Cross-validate a spec on a labelled file and fit the final model on all of it.

    The out-of-fold scores also fit the probability correction (``calibration``:
    auto | none | prior | sigmoid | isotonic | temperature) and tune the decision
    rule (``decision``: auto | argmax | cost | recall:CLASS=R | top:K%, with ``costs``, a
    TOML cost matrix); both are part of the model. With ``test``, the final model
    is also scored on that file; with ``split_by``, the latest 20% of rows (ordered
    by that column) are held out, scored by a model fitted on the earlier 80%.

    The folds and the final fit run on ``jobs`` workers (0, auto: one process per core from
    :data:`PARALLEL_ROWS` rows — :data:`PARALLEL_ROWS_SLOW` for slow classifiers and GIL-bound samplers
    (:data:`GIL_BOUND_STRATEGIES`) — as memory allows; below that
    one thread per core for the classifiers in :data:`THREADED_CLASSIFIERS`; 1: in this process); the model and
    figures do not depend on it.

    ``labels``: with a DataFrame of features only, one label per row (as an estimator's ``y``; no target column).

    ``importance``: also measure each column's permutation importance on the out-of-fold PR-AUC of every minority
    class (:mod:`clickpred.evaluation.importance`: about one more scoring pass of the held-out rows per column).

    ``events(kind, info)``, if given, hears what happens while it happens: ``"notes"``
    (``info["notes"]``: target, classes, schema decisions — before any fit; with ``auto``, the notes after the choice
    come in a second such event) and
    ``"step"`` (``info``: ``name``, ``done``, ``total`` fits).
    """
    tell = events or (lambda kind, info: None)
    from ..postfit.correction import check_method

    check_method(calibration)
    check_rule_text(decision, costs)  # before the data is read
    t0 = time.perf_counter()
    ds = load_dataset(
        data,
        target=target,
        sep=sep,
        drop=drop,
        max_levels=spec.features.max_onehot_levels,
        **forced_columns([spec], categorical, numeric),
        header=header,
        labels=labels,
    )
    read_seconds = time.perf_counter() - t0
    rule = parse_rule(decision, ds.schema.classes, costs)
    plan = _plan(ds, spec, split_by, funnel, jobs, tell)
    plan.timings["read_seconds"] = read_seconds
    tell("notes", {"notes": plan.notes[plan.told :]})
    fitted = _fit_and_evaluate(plan, rule, calibration, importance, test, sep, header, tell)
    plan.notes.extend(n for n in fitted.notes if n not in plan.notes)  # a warning the choice's fits gave too
    t0 = time.perf_counter()
    profile = drift_profile(plan.X, plan.ds.schema, fitted.final, plan.built.score_method, fitted.cv, plan.spec.seed)
    plan.timings["profile_seconds"] = time.perf_counter() - t0
    return TrainResult(
        classifier_choice=plan.choice,
        profile=profile,
        over_time=_over_time(plan.ds.schema, plan.train_X, fitted.cv),
        per_value=_per_value(fitted.final, plan.ds),
        spec=plan.spec,
        data=plan.ds,
        built=plan.built,
        cv=fitted.cv,
        test=fitted.test,
        pipeline=fitted.final,
        leaks=fitted.leaks,
        notes=plan.notes,
        timings=plan.timings,
        test_source=fitted.test_source,
        versions=library_versions(),
        funnel_vs_flat=fitted.funnel_vs_flat,
        options=train_options(calibration, decision, costs, categorical, numeric, funnel, split_by),
    )


@dataclass
class _Plan:
    """What a train run decided before its first fit: the rows (all and the earlier ones the folds learn from),
    the table's reading (per fold too), the classifier (auto's choice), the pipeline, the workers, the notes."""

    ds: Dataset
    spec: Spec
    X: pd.DataFrame  # every row, crosses' columns included
    y: np.ndarray
    train_X: pd.DataFrame  # the rows the folds, the correction and the rule learn from (all, or a split's earlier)
    train_y: np.ndarray
    split: TimeSplit | None
    split_by: str | None
    base: Schema  # the schema before crosses, and its rows: what each fold reads again
    base_X: pd.DataFrame
    counts: dict
    funnel: list[str] | None
    choice: dict | None
    built: BuiltPipeline
    readings: list
    per_fold: list
    fits: int
    workers: int
    threads: bool  # one thread per core instead of processes
    notes: list[str]
    timings: dict[str, float]
    told: int  # notes already told (before auto's fits)

    def build(self, schema) -> BuiltPipeline:
        return _build(self.spec, schema, self.train_y, self.funnel, self.counts)


def _build(spec: Spec, schema, train_y: np.ndarray, funnel, counts: dict) -> BuiltPipeline:
    """The pipeline a train run fits for ``schema``: a funnel's chain of stages, or one pipeline."""
    return build_funnel(spec, schema, train_y, funnel) if funnel else build_pipeline(spec, schema, counts)


@contextmanager
def _fit_warnings():
    """Every warning the fits raise, recorded for the notes (:func:`warning_notes`) — but the folds' "least populated
    class", which the fold check already says better."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.filterwarnings("ignore", message=".*least populated class.*")
        yield caught


def _plan(ds: Dataset, spec: Spec, split_by: str | None, funnel, jobs: int, tell) -> _Plan:
    """Everything decided before the first fit of a train run (:class:`_Plan`): the split in time, the crosses,
    auto's classifier, the pipeline, each fold's reading of the table, the workers."""
    notes = list(ds.notes)
    classes = ds.schema.classes
    notes.append(f"classes (majority first): {', '.join(f'{c} ({n:,})' for c, n in ds.class_counts.items())}")
    X, y = ds.frame, ds.y
    split = time_split(X, split_by, ds.path, ds.schema.dropped) if split_by is not None else None
    if split is not None:
        notes.append(split.note)

    def earlier(frame):  # the rows the folds, the correction and the rule learn from
        return frame if split is None else frame.iloc[split.earlier]

    train_X, train_y = earlier(X), (y if split is None else y[split.earlier])
    check_folds(train_y, classes, spec.folds, ds.path)
    base, base_X = ds.schema, X  # before crosses: what each fold reads again
    ds, crossed = cross_columns(ds, spec, train_X, train_y)
    notes += crossed
    X = ds.frame  # with the crosses' columns, if any
    train_X = earlier(X)
    counts = {c: int((train_y == c).sum()) for c in classes}
    choice, told = None, 0
    timings: dict[str, float] = {}
    if spec.classifier.name == AUTO:
        if not funnel:
            tell("notes", {"notes": list(notes)})  # what is known so far, before the choice's fits
            told = len(notes)
        with _fit_warnings() as caught:  # the choice's fits warn as the folds' do: notes
            spec, choice, said, timings = _resolve_auto(
                spec, funnel, base, earlier(base_X), train_X, train_y, ds.schema, jobs, tell
            )
        notes += [said, *warning_notes(caught)]
    built = _build(spec, ds.schema, train_y, funnel, counts)
    notes += built.notes
    # What the labels chose (kinds, crosses "auto") is chosen again on each training fold.
    splits = fold_splits(train_y, spec.folds, spec.seed)
    readings, decided = fold_readings(base, earlier(base_X), train_y, splits, spec, ds.schema, threads=jobs)
    notes += decided
    workers, threads, held = plan_workers(spec, X, jobs)
    notes += [held] if held else []
    plan = _Plan(
        ds=ds,
        spec=spec,
        X=X,
        y=y,
        train_X=train_X,
        train_y=train_y,
        split=split,
        split_by=split_by,
        base=base,
        base_X=base_X,
        counts=counts,
        funnel=funnel,
        choice=choice,
        built=built,
        readings=readings,
        per_fold=[],
        fits=spec.folds * (2 if funnel else 1) + 1 + (split is not None),
        workers=workers,
        threads=threads,
        notes=notes,
        timings=timings,
        told=told,
    )
    plan.per_fold = [None if r is None else (plan.build(r.schema).pipeline, r.frame) for r in readings]
    if spec.classifier.name in SLOW_CLASSIFIERS:
        notes.append(expected_time(built.pipeline, train_X, train_y, plan.fits, spec, workers))
    return plan


@dataclass
class _Fitted:
    """What a train run's fits give: the out-of-fold evaluation (corrected, decided), the final pipeline, the
    held-out evaluation if any, the leakage scan, a funnel's flat comparison, and the notes they add."""

    cv: Evaluation
    final: object
    test: Evaluation | None
    test_source: str | None
    leaks: list
    funnel_vs_flat: dict | None
    notes: list[str]


def _fit_and_evaluate(plan: _Plan, rule, calibration: str, importance: bool, test, sep, header, tell) -> _Fitted:
    """The folds, the final fit (in the folds' pool), the correction and the rule, and the held-out rows: a split
    in time's later rows, or a ``test`` file scored by the final model. Timings go into ``plan.timings``."""
    spec, ds, timings, classes = plan.spec, plan.ds, plan.timings, plan.ds.schema.classes
    done, notes = [0], []

    def step(name: str):
        def advance(*_):
            done[0] += 1
            tell("step", {"name": name, "done": done[0], "total": plan.fits})

        return advance

    tell("step", {"name": "cross-validation and final fit", "done": 0, "total": plan.fits})
    t0 = time.perf_counter()
    leaks = find_leaks(plan.X, plan.y, classes, {c.name: c.kind for c in ds.schema.features}, seed=spec.seed)
    timings["leakage_seconds"] = time.perf_counter() - t0
    with _fit_warnings() as caught:
        t0 = time.perf_counter()
        # The final fit (all rows) runs in the folds' pool: with 5 folds on 2 workers it costs no extra round.
        cv, (final, final_seconds) = cross_validate_and_refit(
            plan.built.pipeline,
            plan.train_X,
            plan.train_y,
            classes,
            plan.built.score_method,
            spec.folds,
            spec.seed,
            plan.workers,
            progress=step("cross-validation and final fit"),
            refit=(plan.X, plan.y),
            threads=plan.threads,
            per_fold=plan.per_fold,
            importance=importance_plan(ds.schema, plan.readings, spec.seed) if importance else None,
        )
        timings["cv_seconds"] = time.perf_counter() - t0  # the folds and the final fit, on `workers` workers
        final = for_prediction(final)
        timings["final_fit_seconds"] = final_seconds  # the final fit alone, inside the above
        if cv.importance is not None:
            timings["importance_seconds"] = cv.importance["seconds"]  # inside cv_seconds, summed over workers
            if cv.importance["skipped"]:
                notes.append(importance_skipped(cv.importance["skipped"]))
        t0 = time.perf_counter()
        # A funnel corrects each stage for its own rebalancing inside predict_proba.
        ratio = None if plan.funnel else strategy_ratio(spec.strategy.name, spec.strategy.params, classes, plan.counts)
        cv = finish(cv, plan.built.score_method, ratio, calibration, rule, plan.workers, plan.threads)
        timings["correction_seconds"] = time.perf_counter() - t0
        notes.append(f"probabilities: {_describe_correction(cv.correction)}")
        funnel_vs_flat = None
        if plan.funnel:
            t0 = time.perf_counter()
            fcv = _flat_cv(plan, calibration, step)
            funnel_vs_flat = compare_on_folds(cv, fcv, spec.seed)
            timings["flat_cv_seconds"] = time.perf_counter() - t0
        test_eval, test_source = None, None
        if plan.split is not None:
            # the earlier rows read the table as they decide (the later rows' labels choose nothing)
            reading, _ = reading_on(plan.base, plan.base_X, plan.y, plan.split.earlier, spec)
            held_out = _fit_and_hold_out(plan.build(reading.schema), reading.frame, plan.y, plan.split, classes)
            test_eval = finish_holdout(held_out, cv)
            step("fit on the earlier rows")()
            test_source = f"latest {SPLIT_FRACTION:.0%} by {plan.split_by}"
        if test is not None:
            tds = load_dataset(test, sep=sep, schema=ds.schema, header=header)
            test_eval = finish_holdout(holdout(final, tds.frame, tds.y, classes, plan.built.score_method), cv)
            test_source = str(test)
    notes += warning_notes(caught)
    return _Fitted(cv, final, test_eval, test_source, leaks, funnel_vs_flat, notes)


def _resolve_auto(
    spec: Spec, funnel, base, base_X, X, y, schema, jobs: int, tell
) -> tuple[Spec, dict | None, str, dict]:
    """``--classifier auto`` (:mod:`clickpred.estimator.choose`): the spec with the chosen classifier, what was tried, and
    the note that says so, and its timings. A funnel's stages are logistic (the choice is made for a flat model)."""
    from ..reporting.train_report import choice_note
    from .choose import choose_classifier

    if funnel:
        return (
            replace(spec, classifier=ComponentSpec("logistic")),
            None,
            "classifier auto: logistic for --funnel's stages",
            {},
        )

    def progress(done, total):
        tell("step", {"name": "choosing logistic or hgb", "done": done, "total": total})

    spec, choice, spent = choose_classifier(spec, base, base_X, X, y, list(schema.classes), schema, jobs, progress)
    return spec, choice, choice_note(choice), spent


def drift_profile(X, schema, final, method: str, cv: Evaluation, seed: int) -> dict:
    """The training distribution of every input column the model file keeps, for drift at scoring
    (:func:`clickpred.evaluation.drift.profile`), and of the final model's probabilities of (a seeded sample of at
    most :data:`~clickpred.evaluation.drift.SCORE_ROWS`) its training rows."""
    from ..evaluation.drift import SCORE_ROWS, profile
    from ..postfit.predictor import Predictor

    probabilities = None
    if cv.has_proba:
        rows = np.arange(len(X))
        if len(X) > SCORE_ROWS:
            rows = np.sort(np.random.default_rng(seed).choice(len(X), SCORE_ROWS, replace=False))
        predictor = Predictor(final, list(schema.classes), method, cv.correction)
        probabilities = predictor.finish(predictor.raw_scores(X.iloc[rows]))
    return profile(X, schema, probabilities)


def importance_plan(schema, readings: list, seed: int):
    """What permutation importance measures: ``schema``'s columns and crosses, and the crosses a fold chose on its
    own (recomputed there when their columns are shuffled)."""
    from ..evaluation.importance import plan

    extra = {c.name: (c.of[0], c.of[1]) for r in readings if r is not None for c in r.schema.features if c.of}
    return plan(schema, seed, extra)


def importance_skipped(skipped: list[str]) -> str:
    from ..evaluation.importance import MAX_COLUMNS

    shown = ", ".join(skipped[:10]) + (f" and {len(skipped) - 10} more" if len(skipped) > 10 else "")
    return (
        f"importance: measured for the first {MAX_COLUMNS} columns in the data's order (crosses last); "
        f"{len(skipped)} not measured: {shown}"
    )


def _per_value(pipeline, ds) -> list | None:
    """The per-value view of a linear model (:func:`clickpred.model.linear_scorer.value_effects`); None for
    another model."""
    from ..model.linear_scorer import compile_linear, value_effects

    scorer = compile_linear(pipeline, ds.schema)
    if scorer is None:
        return None
    return value_effects(scorer, [str(c) for c in pipeline.classes_], list(ds.schema.classes), ds.frame)


def _over_time(schema, X, cv: Evaluation) -> dict | None:
    """The out-of-fold figures per day or week of the log's timestamp, if it has one."""
    from ..evaluation.over_time import over_time, timestamp_column

    column = timestamp_column(schema)
    if column is None:
        return None
    doc = over_time(X[column], cv.y_true, cv.scores, cv.classes, cv.has_proba)
    return None if doc is None else {"column": column, **doc}


@dataclass(frozen=True)
class TimeSplit:
    """A split in time: the earlier rows train, the later ones are held out."""

    earlier: np.ndarray
    later: np.ndarray
    note: str


def time_split(X, split_by: str, path, dropped: dict | None = None) -> TimeSplit:
    """The latest :data:`SPLIT_FRACTION` of the rows by ``split_by`` held out, the others to train on."""
    order = time_order(split_column(X, split_by, path, dropped), split_by, path)
    cut = int(len(order) * (1 - SPLIT_FRACTION))
    return TimeSplit(
        order[:cut],
        order[cut:],
        f"time-ordered split on '{split_by}': {cut:,} earlier rows train, {len(order) - cut:,} later rows held out",
    )


def _fit_and_hold_out(built: BuiltPipeline, frame, y: np.ndarray, split: TimeSplit, classes: list[str]) -> Evaluation:
    """A pipeline fitted on the earlier rows of ``frame``, scored on the later ones."""
    from sklearn.base import clone

    early = clone(built.pipeline).fit(frame.iloc[split.earlier], y[split.earlier])
    return holdout(early, frame.iloc[split.later], y[split.later], classes, built.score_method)


def _flat_cv(plan: _Plan, calibration: str, step):
    """``--funnel``: the flat multi-class model on the same folds (each fold read as its rows decide), corrected
    as train corrects, for the comparison in the report."""
    spec, counts = plan.spec, plan.counts
    classes = list(counts)
    flat = build_pipeline(spec, plan.ds.schema, counts)
    fcv = cross_validate(
        flat.pipeline,
        plan.train_X,
        plan.train_y,
        classes,
        flat.score_method,
        spec.folds,
        spec.seed,
        plan.workers,
        progress=step("flat model, for comparison"),
        threads=plan.threads,
        per_fold=[
            None if r is None else (build_pipeline(spec, r.schema, counts).pipeline, r.frame) for r in plan.readings
        ],
    )
    ratio = strategy_ratio(spec.strategy.name, spec.strategy.params, classes, counts)
    return finish(fcv, flat.score_method, ratio, calibration, jobs=plan.workers, threads=plan.threads)


PROBE_ROWS = 2_000


def expected_time(pipeline, X, y, fits: int, spec: Spec, workers: int = 1) -> str:
    """A note saying how long a slow classifier should take: one fit timed on a stratified subsample of
    :data:`PROBE_ROWS` rows, scaled linearly to the training rows of a fold and the final fit, shared by
    ``workers`` processes."""
    from sklearn.base import clone
    from sklearn.model_selection import train_test_split

    n = len(y)
    if n <= 2 * PROBE_ROWS:
        return f"{spec.classifier.name}: a slow classifier, on {n:,} rows"
    try:
        Xs, _, ys, _ = train_test_split(X, y, train_size=PROBE_ROWS, stratify=y, random_state=spec.seed)
    except ValueError:  # a class too small to stratify
        return f"{spec.classifier.name}: a slow classifier, on {n:,} rows"
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            clone(pipeline).fit(Xs, ys)
        except Exception:  # noqa: BLE001 - an estimate only; the real fit will say what is wrong
            return f"{spec.classifier.name}: a slow classifier, on {n:,} rows"
    per_row = (time.perf_counter() - t0) / PROBE_ROWS
    fold_rows = n * (spec.folds - 1) / spec.folds
    total = per_row * (fold_rows * (fits - 1) + n) / max(workers, 1)
    shared = f" on {workers} workers" if workers > 1 else ""
    return (
        f"{spec.classifier.name} is slow: expect about {duration(total)} for {fits} fits{shared} "
        f"(one fit timed on {PROBE_ROWS:,} rows, scaled to {n:,}); logistic takes seconds"
    )


def build_funnel(spec: Spec, schema, y: np.ndarray, order: list[str]) -> BuiltPipeline:
    """One pipeline per funnel stage (built by the same factory), chained by a FunnelClassifier."""
    from dataclasses import replace

    from ..modeling.funnel import FunnelClassifier

    where = f"--funnel {','.join(order)}"
    if sorted(order) != sorted(schema.classes) or len(set(order)) != len(order):
        raise ConfigError(
            f"{where}: must name every class of the data once, in funnel order; classes: {', '.join(schema.classes)}"
        )
    level = np.array([order.index(v) for v in y])
    stages, notes = [], []
    for s in range(len(order) - 1):
        counts = {"0": int((level == s).sum()), "1": int((level > s).sum())}
        built = build_pipeline(spec, replace(schema, classes=["0", "1"]), counts)
        if built.score_method != "predict_proba":
            raise ConfigError(
                f'{where}: each stage needs probabilities: use logistic, mlp, or an svm spec with calibration = "sigmoid"'
            )
        stages.append(built.pipeline)
        notes += [f"funnel stage {order[s]} → {order[s + 1]}: {n}" for n in built.notes]
    notes.append(
        f"funnel: {len(stages)} stages, P({order[-1]}) = "
        + " · ".join(f"P({order[s + 1]} | {order[s]})" for s in range(len(stages)))
    )
    return BuiltPipeline(
        FunnelClassifier(stages, order, spec.strategy.name, dict(spec.strategy.params)), "predict_proba", notes
    )


def compare_on_folds(funnel: Evaluation, flat: Evaluation, seed: int, replicates: int = 500) -> dict:
    """Funnel vs flat on the same out-of-fold rows: PR-AUC with bootstrap intervals and the paired
    difference, calibration ratio and NE of the corrected probabilities, per minority class."""
    from ..evaluation.intervals import RankedScores, bootstrap_ap, paired

    y, classes = funnel.y_true, funnel.classes
    assert funnel.argmax is not None and flat.argmax is not None  # both corrected by finish
    out: dict = {"classes": {}, "ne": {"funnel": funnel.argmax.get("ne"), "flat": flat.argmax.get("ne")}}
    for k, c in enumerate(classes[1:], start=1):
        ranked = {
            "funnel": [RankedScores(y == c, funnel.scores[:, k])],
            "flat": [RankedScores(y == c, flat.scores[:, k])],
        }
        point, values = bootstrap_ap(ranked, replicates, seed)
        d = paired("funnel", "flat", point, values)
        out["classes"][c] = {
            "pr_auc": {m: point[m].to_dict() for m in ("funnel", "flat")},
            "funnel_minus_flat": {"estimate": d.difference, "low": d.low, "high": d.high},
            "distinguishable": bool(d.low > 0 or d.high < 0),
            "calibration_ratio": {
                "funnel": funnel.argmax["calibration"][c]["calibration_ratio"],
                "flat": flat.argmax["calibration"][c]["calibration_ratio"],
            },
            "ne": {"funnel": funnel.argmax["calibration"][c]["ne"], "flat": flat.argmax["calibration"][c]["ne"]},
        }
    return out


def _describe_correction(correction) -> str:
    if correction.method == "none":
        return "as the classifier gives them (no correction)"
    parts = []
    if correction.prior_ratio is not None:
        parts.append("prior-shift correction for the rebalancing")
    if correction.calibrator is not None:
        m = correction.method.split("+")[-1]
        parts.append(f"{m} calibration fitted on out-of-fold scores")
    chosen = ", ".join(f"{k} {v:.4g}" for k, v in correction.selection.items())
    return " then ".join(parts) + (f" (cross-fitted log loss: {chosen})" if len(correction.selection) > 1 else "")
