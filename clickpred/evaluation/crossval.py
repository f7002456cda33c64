"""Cross-validation with out-of-fold scores, and the metrics registry.

Nothing here writes files. Metrics come from scikit-learn; PR-AUC is average
precision, one-vs-rest per class, shown beside its no-skill baseline (the
class prevalence). Accuracy is computed but never the headline.

Example
-------
>>> import numpy as np
>>> y = np.array(["a"] * 8 + ["b"] * 2)
>>> s = np.column_stack([np.linspace(1, 0, 10), np.linspace(0, 1, 10)])
>>> m = compute_metrics(y, s, ["a", "b"], has_proba=True)
>>> m["per_class"]["b"]["pr_auc"]
1.0
"""

from __future__ import annotations

import copy
import threading
import time
import warnings
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.metrics import (
    brier_score_loss,
    log_loss,
)
from sklearn.model_selection import StratifiedKFold

from ..errors import DataError
from .intervals import RankedScores


@dataclass(frozen=True)
class Evaluation:
    """Out-of-fold (or held-out) scores for every row and the metrics computed from them (frozen: the corrected
    and decided evaluation is a new one, :func:`clickpred.postfit.crossfit.finish`)."""

    kind: str  # "cv" or "holdout"
    classes: list[str]
    y_true: np.ndarray
    scores: np.ndarray  # n × K, columns in `classes` order
    y_pred: np.ndarray
    has_proba: bool
    metrics: dict
    fold_metrics: list[dict] = field(default_factory=list)
    fit_seconds: list[float] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    fold_of: np.ndarray | None = None  # validation fold of each row (cv)
    # Set by clickpred.postfit.crossfit.finish: scores/metrics above are then the corrected ones under the rule.
    raw_scores: np.ndarray | None = None
    before: dict | None = None  # metrics of the raw scores, argmax
    argmax: dict | None = None  # metrics of the corrected scores, argmax
    correction: Any = None  # a clickpred.postfit Correction (this layer sits below postfit)
    rule: Any = None  # a clickpred.postfit DecisionRule
    decision: dict | None = None
    # Permutation importance on PR-AUC (clickpred.evaluation.importance): {"records", "skipped", "seconds"}.
    importance: dict | None = None


def in_class_order(raw, model_classes: list[str], classes: list[str], method: str) -> np.ndarray:
    """A model's raw scores (columns in ``model_classes`` order; binary decision_function: one
    column) as an n × K array in ``classes`` order. A class the model never saw gets a score
    it can never win with."""
    raw = np.asarray(raw, dtype=float)
    if raw.ndim == 1:  # binary decision_function: score of model_classes[1]
        raw = np.column_stack([-raw, raw])
    missing = -np.inf if method == "decision_function" else 0.0
    return np.column_stack(
        [raw[:, model_classes.index(c)] if c in model_classes else np.full(raw.shape[0], missing) for c in classes]
    )


def scores_for(fitted, X, classes: list[str], method: str) -> np.ndarray:
    """Scores of a fitted pipeline as an n × K array in ``classes`` order."""
    return in_class_order(getattr(fitted, method)(X), [str(c) for c in fitted.classes_], classes, method)


def scores_and_predictions(fitted, X, classes: list[str], method: str) -> tuple[np.ndarray, np.ndarray]:
    """:func:`scores_for` and ``fitted.predict(X)`` (as text), a pipeline's transforms run once for both: its
    classifier's scores and its own ``predict`` on the same transformed rows, which is what the pipeline's two
    methods compute (samplers do nothing there). On the 20k validation rows of a fold the transforms cost as much
    as the classifier's part; they hold Python's lock, so in a CV's threads that time is not shared."""
    from sklearn.pipeline import Pipeline

    if not isinstance(fitted, Pipeline) or len(fitted.steps) < 2:
        return scores_for(fitted, X, classes, method), np.asarray(fitted.predict(X)).astype(str)
    from ..modeling.features import transformed

    Xt = transformed(fitted.steps[:-1], X)
    final = fitted.steps[-1][1]
    scores = in_class_order(getattr(final, method)(Xt), [str(c) for c in fitted.classes_], classes, method)
    return scores, np.asarray(final.predict(Xt)).astype(str)


def _fit_and_score(pipeline, X, y, train_idx, test_idx, classes, method, importance=None, fold=0):
    with _caught() as heard:
        est = clone(pipeline)
        t0 = time.perf_counter()
        est.fit(X.iloc[train_idx], y[train_idx])
        seconds = time.perf_counter() - t0
        held = X.iloc[test_idx]
        if importance is None:
            scores, predicted = scores_and_predictions(est, held, classes, method)
        else:  # the held-out rows' first step computed once, for their scores and for every shuffle
            shuffles = ShuffledScores(est, held, classes, method)
            scores, predicted = shuffles.as_they_are(held)
            reference = shuffles.reference(scores)
        drops, t1 = None, time.perf_counter()
        if importance is not None:
            from .importance import fold_drops

            drops = fold_drops(
                shuffles,
                held,
                y[test_idx],
                reference,
                classes,
                importance,
                fold,
            )
        out = (scores, predicted, seconds, drops, time.perf_counter() - t1)
    return out, heard


class ShuffledScores:
    """A fold model's scores of its held-out rows with a few columns changed (permutation importance: one column
    shuffled at a time). The first step of the pipelines clickpred builds (``prepare``, a ColumnTransformer) is
    computed once for the rows as they are; for each change only the blocks of the transformers that read a changed
    column are computed again. After that step a linear model's decision is a sum over the prepared columns
    (:class:`~clickpred.evaluation.additive.Additive`): a change replaces the changed columns' terms, with no pass
    through the encoder and the classifier; the other models' steps run on the changed matrix. Each transformer
    sees exactly the columns it would see in the whole pipeline, so the scores are the pipeline's (to 1e-9 through
    the sum, exactly otherwise). Other pipelines are scored whole."""

    def __init__(self, fitted, X, classes: list[str], method: str) -> None:
        from ..modeling.features import prepare_parts
        from .additive import Additive

        self.fitted, self.classes, self.method = fitted, classes, method
        self.parts = prepare_parts(fitted)
        self.sums: Additive | None = None
        if self.parts is not None:
            self.base = np.asarray(fitted.steps[0][1].transform(X))
            self.rest = fitted[1:]
            self.sums = Additive.compile(self.rest, self.base)

    def as_they_are(self, X) -> tuple[np.ndarray, np.ndarray]:
        """:func:`scores_and_predictions` of the rows given at construction (``X``), from their computed first
        step."""
        if self.parts is None:
            return scores_and_predictions(self.fitted, X, self.classes, self.method)
        return scores_and_predictions(self.rest, self.base, self.classes, self.method)

    def reference(self, scores: np.ndarray) -> np.ndarray:
        """The scores the shuffles are compared with: those of the sum where the shuffles come from it (the same
        sum, so that rounding never tells two equal rows apart), else ``scores`` (:meth:`as_they_are`)."""
        if self.sums is None:
            return scores
        return self._ordered(self.sums.scores())

    def _ordered(self, raw) -> np.ndarray:
        return in_class_order(raw, [str(c) for c in self.fitted.classes_], self.classes, self.method)

    def __call__(self, rows, changed: set[str]) -> np.ndarray:
        from scipy import sparse

        if self.parts is None:
            return scores_for(self.fitted, rows, self.classes, self.method)
        blocks: dict[int, np.ndarray] = {}  # prepared column → its values for the changed rows
        for transformer, columns, where in self.parts:
            hit = [j for j, c in enumerate(columns) if c in changed]
            if not hit:
                continue
            if hasattr(transformer, "transform_column"):  # a column coded on its own (category codes, counts)
                for j in hit:
                    blocks[where.start + j] = transformer.transform_column(j, rows[columns[j]].to_numpy())
                continue
            block = transformer.transform(rows[columns])
            block = block.toarray() if sparse.issparse(block) else np.asarray(block)
            blocks.update((where.start + i, block[:, i]) for i in range(block.shape[1]))
        if self.sums is not None:
            terms = {k: self.sums.term(k, v) for k, v in blocks.items()}
            if all(t is not None for t in terms.values()):
                return self._ordered(self.sums.scores(terms))  # type: ignore[arg-type]
        X = self.base.copy()
        for k, v in blocks.items():
            X[:, k] = v
        return scores_for(self.rest, X, self.classes, self.method)


def _refit(pipeline, X, y):
    with _caught() as heard:
        t0 = time.perf_counter()
        est = clone(pipeline).fit(X, y)
        seconds = time.perf_counter() - t0
    return (est, seconds), heard


# Tasks running in this process's threads (jobs > 1 with threads=True) cannot each enter warnings.catch_warnings: its
# state is the process's, and two threads entering and leaving it out of order lose each other's warnings. The pool's
# caller installs one hook for the pool (_threads_heard) and each task hears its own thread's warnings through it.
_task = threading.local()
_hook_installed = False


@contextmanager
def _caught():
    """Warnings raised in a task, kept as (category, text) to be raised again where the task's result is read (a
    worker process's warnings would otherwise be lost; the caller's filters then apply, e.g. train's notes)."""
    heard: list = []
    if _hook_installed:  # a task in a thread of this process: the pool's hook files this thread's warnings here
        _task.heard = heard
        try:
            yield heard
        finally:
            _task.heard = None
        return
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        yield heard
    heard.extend((w.category, str(w.message)) for w in seen)


@contextmanager
def _threads_heard():
    """Around a pool of threads: every warning a task raises goes to that task's list (:func:`_caught`); any other
    thread's are raised again when the pool is done. One BLAS thread per task (threads × BLAS threads = cores, and
    the tasks' own threadpool limits then leave the process as they found it)."""
    global _hook_installed
    from threadpoolctl import threadpool_limits

    stray: list = []

    def hear(message, category, filename, lineno, file=None, line=None):
        heard = getattr(_task, "heard", None)
        (stray if heard is None else heard).append((category, str(message)))

    with warnings.catch_warnings(), threadpool_limits(1, user_api="blas"):
        warnings.simplefilter("always")
        warnings.showwarning = hear
        _hook_installed = True
        try:
            yield
        finally:
            _hook_installed = False
    _raise_again(stray)


def _raise_again(heard: list) -> None:
    for category, text in heard:
        try:
            warnings.warn(text, category, stacklevel=2)
        except TypeError:  # a category that takes more than a message to build
            warnings.warn(f"{category.__name__}: {text}", RuntimeWarning, stacklevel=2)


def check_folds(y: np.ndarray, classes: list[str], folds: int, path="data") -> None:
    """Every class needs at least as many rows as there are folds."""
    values, counts = np.unique(y, return_counts=True)
    small = sorted(((v, int(c)) for v, c in zip(values, counts) if c < folds), key=lambda vc: (vc[1], vc[0]))
    if small:
        v, c = small[0]  # the smallest class decides which --folds can work
        raise DataError(
            f"{path}: class '{v}' has {c} row(s), fewer than --folds {folds}: use --folds {max(2, c)} or more data"
            if c >= 2
            else f"{path}: class '{v}' has {c} row(s): stratified cross-validation needs at least 2 per class"
        )


def split_column(X, name: str, where, dropped: dict | None = None):
    """The column a split in time orders the rows by (``--split-by``): a feature column of ``X``; one the schema
    dropped (``dropped``: {column: why}) is named as such."""
    if name not in X.columns:
        if dropped and name in dropped:
            raise DataError(
                f"--split-by {name}: the column was dropped ({dropped[name]}): split by a column that varies"
            )
        raise DataError(f"--split-by {name}: no such feature column in {where}; columns: {', '.join(X.columns)}")
    return X[name]


def time_order(column, name: str, where) -> np.ndarray:
    """The rows in the order of ``column`` (stable), for a split in time (``--split-by``). A missing value is
    refused: a row with no time cannot be placed before or after another (sorted last, it would land among the
    held-out "later" rows)."""
    missing = int(column.isna().sum())
    if missing:
        raise DataError(
            f"--split-by {name}: {missing:,} of {len(column):,} rows of {where} have no value, so they cannot be "
            "placed in time: fill them, drop those rows, or split by another column"
        )
    return np.argsort(column.to_numpy(), kind="stable")


def fold_index(n: int, held_out: list) -> np.ndarray:
    """Each of ``n`` rows' fold: the position of the held-out set that holds it (``held_out``: one array of row
    positions per fold, as the second half of each split)."""
    fold_of = np.zeros(n, dtype=int)
    for f, rows in enumerate(held_out):
        fold_of[rows] = f
    return fold_of


def fold_splits(y: np.ndarray, folds: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """The (training rows, held-out rows) of each fold: stratified, shuffled by ``seed`` — every cross-validation
    of a train run (and the decisions made per fold before it) uses these."""
    cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    return list(cv.split(np.zeros(len(y)), y))


def cross_validate(
    pipeline,
    X,
    y: np.ndarray,
    classes: list[str],
    method: str,
    folds: int = 5,
    seed: int = 0,
    jobs: int = 1,
    progress=None,
    threads: bool = False,
    per_fold: list | None = None,
    importance=None,
) -> Evaluation:
    """Stratified k-fold CV: out-of-fold scores for every row; resampling only inside training folds.

    ``progress(fits_done, fits)`` is called as each fold's fit completes. ``jobs`` workers: processes, or with
    ``threads`` threads of this process (no start-up, no copies: what pays for short fits whose libraries release
    the GIL — a logistic or linear SVM on a few hundred thousand rows)."""
    return cross_validate_and_refit(
        pipeline,
        X,
        y,
        classes,
        method,
        folds,
        seed,
        jobs,
        progress,
        threads=threads,
        per_fold=per_fold,
        importance=importance,
    )[0]


def cross_validate_and_refit(
    pipeline,
    X,
    y: np.ndarray,
    classes: list[str],
    method: str,
    folds: int = 5,
    seed: int = 0,
    jobs: int = 1,
    progress=None,
    refit=None,
    threads: bool = False,
    per_fold: list | None = None,
    importance=None,
) -> tuple[Evaluation, Any]:
    """:func:`cross_validate`, and with ``refit=(X_all, y_all)`` also a clone of ``pipeline`` fitted on those rows
    in the same pool of ``jobs`` workers (with five folds on two workers the final fit then costs no extra round).

    ``per_fold``: for each fold of :func:`fold_splits`, None or its own ``(pipeline, X)`` — the same rows, read as
    that fold's training rows decided (a column's kind chosen by its labels).

    ``importance``: a :class:`~clickpred.evaluation.importance.Plan`: each fold's model also scores its held-out rows
    once per column with that column shuffled (``Evaluation.importance``).

    Returns the evaluation and ``(fitted pipeline, fit seconds)`` (None without ``refit``). Warnings raised in the
    fits are raised again here, in fold order, whichever process fitted."""
    splits = fold_splits(y, folds, seed)
    per_fold = per_fold or [None] * len(splits)
    tasks = [
        delayed(_fit_and_score)(*(own or (pipeline, X)), y, tr, te, classes, method, importance, f)
        for f, ((tr, te), own) in enumerate(zip(splits, per_fold))
    ]
    if refit is not None:  # first: the longest task starts first
        tasks.insert(0, delayed(_refit)(pipeline, *refit))
    results: list = []
    threaded = threads and jobs != 1
    with _threads_heard() if threaded else nullcontext():
        pool = Parallel(n_jobs=jobs, return_as="generator", backend="threading" if threaded else None)
        for out in pool(tasks):
            results.append(out)
            if progress is not None:
                progress(len(results), len(tasks))
    for _, heard in results:
        _raise_again(heard)
    refitted = results.pop(0)[0] if refit is not None else None
    results = [out for out, _ in results]
    scores = np.zeros((len(y), len(classes)))
    y_pred = np.empty(len(y), dtype=object)
    fold_metrics: list[dict] = []
    seconds: list[float] = []
    has_proba = method == "predict_proba"
    fold_of = fold_index(len(y), [te for _, te in splits])
    drops, importance_seconds = [], 0.0
    for (_tr, te), (s, p, sec, d, d_sec) in zip(splits, results):
        scores[te] = s
        y_pred[te] = p
        seconds.append(sec)
        drops.append(d)
        importance_seconds += d_sec
    y_pred = y_pred.astype(str)
    metrics = compute_metrics(y, scores, classes, has_proba, y_pred)
    fold_metrics, metrics["fold_pr_auc"] = fold_pr_auc(y, scores, classes, fold_of)
    measured = None
    if importance is not None:
        from .importance import summarize

        measured = {
            "records": summarize(drops, importance, classes),
            "skipped": list(importance.skipped),
            "seconds": importance_seconds,  # summed over the folds' workers
        }
    return (
        Evaluation(
            "cv",
            classes,
            y,
            scores,
            y_pred,
            has_proba,
            metrics,
            fold_metrics,
            seconds,
            fold_of=fold_of,
            importance=measured,
        ),
        refitted,
    )


def fold_pr_auc(y, scores, classes: list[str], fold_of: np.ndarray) -> tuple[list[dict], dict]:
    """Per-fold ranking metrics, and PR-AUC mean ± std over folds per class."""
    folds = [_ranking_metrics(y[fold_of == f], scores[fold_of == f], classes) for f in np.unique(fold_of)]
    summary = {
        c: {
            "mean": float(np.nanmean([f[c]["pr_auc"] for f in folds])),
            "std": float(np.nanstd([f[c]["pr_auc"] for f in folds])),
        }
        for c in classes
    }
    return folds, summary


def holdout(fitted, X, y: np.ndarray, classes: list[str], method: str) -> Evaluation:
    """Score a fitted pipeline on held-out rows."""
    scores, y_pred = scores_and_predictions(fitted, X, classes, method)
    has_proba = method == "predict_proba"
    return Evaluation(
        "holdout", classes, y, scores, y_pred, has_proba, compute_metrics(y, scores, classes, has_proba, y_pred)
    )


def _ranking_metrics(y, scores, classes, hits: bool = False):
    """PR-AUC and ROC-AUC per class (nan when the rows hold one side only), from one sort of its scores
    (:class:`~clickpred.evaluation.intervals.RankedScores`: scikit-learn's definitions, tested equal to them; its
    functions sort again and check the labels for each, 4× the time); with ``hits``, also :func:`_hits_at`."""
    out: dict[str, dict[str, Any]] = {}
    for k, c in enumerate(classes):
        t = y == c
        ranked = RankedScores(t, scores[:, k])
        ok = 0 < t.sum() < len(t)
        out[c] = {
            "pr_auc": ranked.average_precision() if ok else float("nan"),
            "roc_auc": ranked.roc_auc() if ok else float("nan"),
        }
        if hits:
            out[c]["hits_at"] = _hits_at(ranked)
    return out


TOP_FRACTIONS = (0.01, 0.05, 0.10, 0.20)


def _hits_at(ranked: RankedScores) -> dict[str, int]:
    """How many positives are among the top 1/5/10/20% of rows by score (ties broken by row order)."""
    n = len(ranked.pos)
    counts = [max(1, int(round(f * n))) for f in TOP_FRACTIONS]
    return dict(zip((f"{f:.0%}" for f in TOP_FRACTIONS), ranked.hits_at(counts)))


def label_codes(labels, classes: list[str]) -> np.ndarray:
    """Position of each label in ``classes`` (-1: not a class). One comparison per class (a handful of classes:
    1M labels in ~20 ms, where a pandas Categorical takes ~0.3 s)."""
    labels = np.asarray(labels).astype(str)
    codes = np.full(len(labels), -1, dtype=np.int64)
    for k, c in enumerate(classes):
        codes[labels == c] = k
    return codes


def _confusion_counts(t_codes: np.ndarray, p_codes: np.ndarray, k: int) -> dict:
    """From one count of (true, predicted) code pairs, what scikit-learn's ``precision_recall_fscore_support`` and
    ``confusion_matrix`` (both with ``labels=range(k)``, ``zero_division=0``), ``balanced_accuracy_score``,
    ``matthews_corrcoef`` and ``accuracy_score`` compute from the codes (tested equal to them; code -1, no class, is
    one more label to the last three, as to them). Each of those checks and encodes the labels again: on 1M rows
    that was half a second per evaluation."""
    t = np.where(t_codes < 0, k, t_codes)
    p = np.where(p_codes < 0, k, p_codes)
    full = np.bincount(t * (k + 1) + p, minlength=(k + 1) ** 2).reshape(k + 1, k + 1)
    tp = np.diag(full)[:k].astype(float)
    support, predicted = full[:k].sum(axis=1), full[:, :k].sum(axis=0)
    both = support + predicted  # 2·tp + false negatives + false positives
    rows = full.sum(axis=1)
    t_sum, p_sum = rows.astype(float), full.sum(axis=0).astype(float)
    n = p_sum.sum()
    cov_ytyp = np.trace(full).astype(float) * n - np.dot(t_sum, p_sum)
    cov_both = (n**2 - np.dot(p_sum, p_sum)) * (n**2 - np.dot(t_sum, t_sum))
    return {
        "precision": np.divide(tp, predicted, out=np.zeros(k), where=predicted > 0),
        "recall": np.divide(tp, support, out=np.zeros(k), where=support > 0),
        "f1": np.divide(2 * tp, both, out=np.zeros(k), where=both > 0),
        "support": support,
        "confusion_matrix": full[:k, :k],
        "balanced_accuracy": float(np.mean(np.diag(full)[rows > 0] / rows[rows > 0])),
        "mcc": 0.0 if cov_both == 0 else float(cov_ytyp / np.sqrt(cov_both)),
        "accuracy": float(np.trace(full) / n),
    }


def confusion_counts(y_true, y_pred, classes: list[str]) -> np.ndarray:
    """scikit-learn's ``confusion_matrix(y_true, y_pred, labels=classes)`` (rows true, columns predicted; labels
    outside ``classes`` left out) from one count of code pairs, without its label checks."""
    k = len(classes)
    return _confusion_counts(label_codes(y_true, classes), label_codes(y_pred, classes), k)["confusion_matrix"]


RANKING_KEYS = ("pr_auc", "roc_auc", "hits_at")  # per class, from the scores alone
PROBABILITY_KEYS = ("log_loss", "brier", "ne", "calibration")  # what probability_metrics returns


def compute_metrics(y_true, scores, classes: list[str], has_proba: bool, y_pred=None, same_scores=None) -> dict:
    """Per-class and summary metrics from true labels and an n × K score matrix.

    ``y_pred`` defaults to the argmax of the scores. ``same_scores``: metrics already computed for these rows and
    scores (under other predictions): their ranking and probability parts, which do not depend on the predictions,
    are taken from there instead of sorting and binning the scores again.
    """
    y_true = np.asarray(y_true).astype(str)
    if y_pred is None:
        y_pred = np.asarray(classes)[np.argmax(scores, axis=1)]
    n = len(y_true)
    # integer codes in class order: one count of (true, predicted) pairs gives every classification metric
    counts = _confusion_counts(label_codes(y_true, classes), label_codes(y_pred, classes), len(classes))
    prec, rec, f1, sup = counts["precision"], counts["recall"], counts["f1"], counts["support"]
    if same_scores is None:
        ranking = _ranking_metrics(y_true, scores, classes, hits=True)
    else:
        ranking = {c: {k: copy.deepcopy(same_scores["per_class"][c][k]) for k in RANKING_KEYS} for c in classes}
    per_class = {}
    for k, c in enumerate(classes):
        per_class[c] = {
            "precision": float(prec[k]),
            "recall": float(rec[k]),
            "f1": float(f1[k]),
            "pr_auc": ranking[c]["pr_auc"],
            "pr_auc_baseline": float(sup[k] / n),
            "roc_auc": ranking[c]["roc_auc"],
            "support": int(sup[k]),
            "hits_at": ranking[c]["hits_at"],
        }
    minority = classes[1:]
    cm = counts["confusion_matrix"]
    with np.errstate(invalid="ignore", divide="ignore"):
        norm = cm / cm.sum(axis=1, keepdims=True)
    metrics = {
        "n_rows": int(n),
        "classes": list(classes),
        "per_class": per_class,
        "macro": {
            "precision": float(np.mean(prec)),
            "recall": float(np.mean(rec)),
            "f1": float(np.mean(f1)),
            "pr_auc": float(np.nanmean([per_class[c]["pr_auc"] for c in classes])),
            "minority_pr_auc": float(np.nanmean([per_class[c]["pr_auc"] for c in minority])),
        },
        "balanced_accuracy": counts["balanced_accuracy"],
        "mcc": counts["mcc"],
        "accuracy": counts["accuracy"],
        "confusion_matrix": {
            "labels": list(classes),
            "counts": cm.tolist(),
            "normalized": np.nan_to_num(norm).round(6).tolist(),
        },
    }
    if has_proba:
        if same_scores is None:
            metrics.update(probability_metrics(y_true, scores, classes))
        else:
            metrics.update({k: copy.deepcopy(same_scores[k]) for k in PROBABILITY_KEYS})
        for c in classes:
            per_class[c].update(metrics["calibration"][c])
    return metrics


RELIABILITY_BINS = 10


def reliability_bins(t: np.ndarray, p: np.ndarray, n_bins: int = RELIABILITY_BINS):
    """Equal-count bins of predicted probability: (mean predicted, observed rate, rows) per bin.

    Equal-count, not equal-width: with a 0.2% class nearly every row sits in the
    first tenth of [0, 1], and equal-width bins would say nothing.
    """
    order = np.argsort(p, kind="stable")
    groups = [g for g in np.array_split(order, min(n_bins, len(p))) if len(g)]
    pred = np.array([p[g].mean() for g in groups])
    obs = np.array([t[g].mean() for g in groups])
    rows = np.array([len(g) for g in groups])
    return pred, obs, rows


def _entropy(rate: float) -> float:
    if rate <= 0 or rate >= 1:
        return float("nan")
    return float(-(rate * np.log(rate) + (1 - rate) * np.log(1 - rate)))


def probability_metrics(y_true, probs, classes: list[str]) -> dict:
    """Log loss, Brier, Normalized Entropy and per-class calibration of probabilities.

    - NE: log loss / entropy of the class priors (the log loss of always predicting
      the base rates); < 1 means the model beats the base rate, the CTR industry's
      headline. Per class, NE of the one-vs-rest problem.
    - calibration ratio: mean predicted probability / observed rate (ideal 1.0).
    - ECE: expected calibration error over equal-count bins, one-vs-rest.
    """
    y_true = np.asarray(y_true).astype(str)
    p = np.clip(np.asarray(probs, dtype=float), 1e-15, 1.0)
    p = p / p.sum(axis=1, keepdims=True)
    # Integer codes in class order: scikit-learn reads probability columns in sorted label order.
    codes, labels = label_codes(y_true, classes), list(range(len(classes)))
    ll = float(log_loss(codes, p, labels=labels))
    prior = np.array([(y_true == c).mean() for c in classes])
    nz = prior[prior > 0]
    base = float(-(nz * np.log(nz)).sum())
    calibration = {}
    for k, c in enumerate(classes):
        t = (y_true == c).astype(float)
        rate = float(t.mean())
        pk = p[:, k]
        pred, obs, rows = reliability_bins(t, pk)
        binary_ll = float(-np.mean(t * np.log(pk) + (1 - t) * np.log1p(-np.minimum(pk, 1 - 1e-15))))
        h = _entropy(rate)
        calibration[c] = {
            "mean_predicted": float(pk.mean()),
            "observed_rate": rate,
            "calibration_ratio": float(pk.mean() / rate) if rate > 0 else float("nan"),
            "ece": float(np.sum(rows * np.abs(pred - obs)) / rows.sum()),
            "ne": binary_ll / h if h == h else float("nan"),
        }
    return {
        "log_loss": ll,
        "brier": float(brier_score_loss(codes, p, labels=labels)),
        "ne": ll / base if base > 0 else float("nan"),
        "calibration": calibration,
    }
