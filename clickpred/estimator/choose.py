"""``--classifier auto``: logistic or gradient-boosted trees, chosen on the same folds by the evidence.

Both candidates are cross-validated on the same folds of the same rows (each fold reading the table as its own
training rows decide, as ``train`` does); the one whose out-of-fold PR-AUC of the rarest class (with at least 50
rows, as ``compare`` sorts) is better *and*
distinguishably so (a paired 95% bootstrap interval of the difference that excludes 0) is chosen, else the cheaper,
logistic (compiled scoring, one lookup per column; a smaller file). On a log of more than :data:`CHOICE_ROWS` rows
the choice is made on a share of it, as ``compare``'s racing does: every row of the minority classes and a seeded
random share of the majority's, so that the rare class keeps all the evidence there is.

The chosen model's figures in the report are then those of ``train`` on all the rows; on a log of at most
:data:`CHOICE_ROWS` rows they are the very figures it was chosen by (with two candidates the optimism of the better
one is small; ``--test`` or ``--split-by`` give untouched figures).

Example
-------
>>> rows = choice_rows(np.array(["v"] * 90 + ["c"] * 10), ["v", "c"], seed=0, limit=40)
>>> len(rows), int((np.arange(100)[rows] >= 90).sum())  # every 'c' row kept
(40, 10)
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np

from ..modeling.spec import AUTO_CANDIDATES, ComponentSpec, Spec

CHOICE_ROWS = 50_000  # above this many training rows the choice is made on a share (every minority row kept)
REPLICATES = 1_000


def choice_rows(y: np.ndarray, classes: list[str], seed: int, limit: int = CHOICE_ROWS) -> np.ndarray:
    """The rows the choice is made on (sorted): all of them up to ``limit``; above it every row of the minority
    classes (while they are at most half of ``limit``, else a proportional share of each) and a seeded random share
    of the majority class's, ``limit`` rows in all."""
    y = np.asarray(y)
    n = len(y)
    if n <= limit:
        return np.arange(n)
    majority = y == classes[0]
    n_min = int((~majority).sum())
    keep_min = n_min if n_min <= limit // 2 else limit // 2
    rng = np.random.default_rng(seed)
    rows_min = np.flatnonzero(~majority)
    if keep_min < n_min:  # every minority class in proportion
        parts = [
            rng.choice(np.flatnonzero(y == c), max(1, round(keep_min * (y == c).sum() / n_min)), replace=False)
            for c in classes[1:]
            if (y == c).any()
        ]
        rows_min = np.concatenate(parts)
    rows_maj = rng.choice(np.flatnonzero(majority), min(int(majority.sum()), limit - len(rows_min)), replace=False)
    return np.sort(np.concatenate([rows_min, rows_maj]))


MIN_SUPPORT = 50  # a minority class needs this many rows to be the default sort metric


def default_class(classes: list[str], counts: dict[str, int]) -> tuple[str, str]:
    """The class a comparison is judged by when none is asked, and a sentence saying why: the rarest minority class
    with at least :data:`MIN_SUPPORT` rows, else the most frequent minority class (``compare``'s default sort)."""
    minority = sorted(classes[1:], key=lambda c: counts[c])
    for c in minority:
        if counts[c] >= MIN_SUPPORT:
            rarer = [f"{r} has {counts[r]:,}" for r in minority if counts[r] < MIN_SUPPORT]
            why = f"sorted by PR-AUC of {c}: the rarest class with at least {MIN_SUPPORT} rows"
            return c, why + (f" ({'; '.join(rarer)})" if rarer else "")
    c = max(classes[1:], key=lambda k: counts[k])
    return c, f"sorted by PR-AUC of {c}: no minority class has {MIN_SUPPORT} rows — treat every figure as fragile"


def judged_class(y: np.ndarray, classes: list[str]) -> tuple[str, str]:
    """The class the choice is judged by, and why: ``compare``'s default (:func:`default_class`)."""
    counts = {c: int((np.asarray(y) == c).sum()) for c in classes}
    c, why = default_class(classes, counts)
    return c, why.replace("sorted by", "judged by")


def choose_classifier(
    spec: Spec, base, base_X, X, y: np.ndarray, classes: list[str], schema, jobs: int = 0, progress=None
) -> tuple[Spec, dict, dict[str, float]]:
    """The spec with ``auto`` replaced by the chosen classifier, what was tried (JSON-ready: the rows, the class,
    each candidate's out-of-fold PR-AUC with its interval, the paired difference, the winner and why) and the
    timings to add to the run's (``choice_seconds`` and each candidate's; kept apart: the record is the same on
    every run). ``base``/``base_X``: the schema and rows before crosses (what a fold reads again); ``X``, ``schema``:
    with them (the reading of every training row)."""
    from ..evaluation.crossval import check_folds, cross_validate, fold_splits
    from ..evaluation.intervals import RankedScores, bootstrap_ap, paired
    from ..modeling.pipeline import build_pipeline
    from .training import fold_readings
    from .workers import plan_workers

    start = time.perf_counter()
    y = np.asarray(y)
    rows = choice_rows(y, classes, spec.seed)
    ys, Xs, base_Xs = y[rows], X.iloc[rows], base_X.iloc[rows]
    check_folds(ys, classes, spec.folds)
    counts = {c: int((ys == c).sum()) for c in classes}
    splits = fold_splits(ys, spec.folds, spec.seed)
    readings, _ = fold_readings(base, base_Xs, ys, splits, spec, schema, threads=jobs)
    target, judged = judged_class(y, classes)
    k = classes.index(target)
    specs = {name: replace(spec, classifier=ComponentSpec(name)) for name in AUTO_CANDIDATES}
    ranked: dict[str, list[RankedScores]] = {}
    timings: dict[str, float] = {}
    done = 0
    for name, candidate in specs.items():
        built = build_pipeline(candidate, schema, counts)
        per_fold = [
            None if r is None else (build_pipeline(candidate, r.schema, counts).pipeline, r.frame) for r in readings
        ]
        workers, threads, _ = plan_workers(candidate, Xs, jobs)

        def advance(fits_done, fits, offset=done):
            if progress is not None:
                progress(offset + fits_done, len(specs) * spec.folds)

        t0 = time.perf_counter()
        cv = cross_validate(
            built.pipeline,
            Xs,
            ys,
            classes,
            built.score_method,
            spec.folds,
            spec.seed,
            workers,
            advance,
            threads,
            per_fold,
        )
        timings[f"choice_{name}_seconds"] = time.perf_counter() - t0
        done += spec.folds
        ranked[name] = [RankedScores(ys == target, cv.scores[:, k])]
    point, values = bootstrap_ap(ranked, REPLICATES, spec.seed)
    cheap, other = AUTO_CANDIDATES
    d = paired(other, cheap, point, values)
    if d.low > 0:
        chosen, why = other, f"{other} is distinguishably better"
    elif d.high < 0:
        chosen, why = cheap, f"{cheap} is distinguishably better"
    else:
        chosen, why = cheap, f"the interval includes 0: the cheaper, {cheap}"
    share = len(rows) < len(y)
    doc = {
        "candidates": {
            name: {"pr_auc": point[name].estimate, "low": point[name].low, "high": point[name].high}
            for name in AUTO_CANDIDATES
        },
        "class": target,
        "judged": judged,
        "rows": int(len(rows)),
        "class_rows": counts[target],
        "of_rows": int(len(y)),
        "share": share,
        "folds": spec.folds,
        "difference": {"of": f"{other} - {cheap}", "estimate": d.difference, "low": d.low, "high": d.high},
        "chosen": chosen,
        "why": why,
    }
    timings["choice_seconds"] = time.perf_counter() - start
    return replace(spec, classifier=ComponentSpec(chosen)), doc, timings
