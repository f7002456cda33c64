"""Probability correction after rebalancing: prior shift, then calibration chosen by CV.

A classifier trained under class weights or resampling has learned the wrong
priors: its probabilities for a 0.2% class come out tens of times too high.
Two corrections, applied in this order to a model's scores:

1. **prior shift** (known rates or weights): p_k ∝ p̂_k · π_k / π̂_k, with π the
   class priors of the training data and π̂ the priors the classifier effectively
   saw (:func:`clickpred.modeling.rebalance.effective_counts`). For binary negative
   downsampling at rate w this is q = p / (p + (1 − p) / w).
2. **calibration** fitted on out-of-fold scores of untouched rows: ``sigmoid``,
   ``isotonic`` or ``temperature`` — scikit-learn's ``CalibratedClassifierCV`` on a
   frozen pass-through of the scores. ``auto`` picks, by cross-fitted log loss
   on the out-of-fold scores, the best of "nothing more", sigmoid, isotonic and
   temperature (decision-function scores always need one of the three) among
   those keeping each minority class's mean within 1 ± 0.1 of its rate (when one
   does); isotonic only when it keeps every minority class's per-fold PR-AUC (within 1%).

Everything here works on score matrices (n × K, columns in class order), so the
same code corrects train's out-of-fold scores, compare's, and the scores a saved
model produces when scoring.

Example
-------
>>> import numpy as np
>>> y = np.array(["v"] * 90 + ["c"] * 10)
>>> p = np.column_stack([np.full(100, 0.5), np.full(100, 0.5)])  # balanced model: 50%
>>> c = Correction(["v", "c"], "predict_proba", prior_ratio=np.array([1.8, 0.2]))
>>> c.apply(p)[0].round(2).tolist()
[0.9, 0.1]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import ConfigError

METHODS = ("auto", "none", "prior", "sigmoid", "isotonic", "temperature")


def check_method(calibration: str) -> str:
    """A correction method by name (``--calibration``), refused with the valid ones before any data is read."""
    if calibration not in METHODS:
        raise ConfigError(f"--calibration {calibration}: expected one of {', '.join(METHODS)}")
    return calibration


CALIBRATORS = ("sigmoid", "isotonic", "temperature")
EPS = 1e-15


def normalise(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=float), 0.0, None)
    s = p.sum(axis=1, keepdims=True)
    s[s == 0] = 1.0
    return p / s


@dataclass
class Correction:
    """A fitted correction: prior ratios and/or a calibrator, applied to score matrices."""

    classes: list[str]
    kind: str  # "predict_proba" or "decision_function": what the model's scores are
    prior_ratio: np.ndarray | None = None
    calibrator: dict | None = None  # minority class → fitted binary CalibratedClassifierCV (on ScoresAsDecision)
    method: str = "none"  # what was applied: none | prior | prior+sigmoid | sigmoid | ...
    selection: dict = field(default_factory=dict)  # method → cross-fitted log loss
    pr_auc: dict = field(default_factory=dict)  # method → cross-fitted PR-AUC per minority class

    @property
    def changes_scores(self) -> bool:
        return self.prior_ratio is not None or self.calibrator is not None

    def apply(self, scores: np.ndarray) -> np.ndarray:
        """Corrected probabilities (n × K) from a model's raw scores."""
        s = np.asarray(scores, dtype=float)
        if self.prior_ratio is not None:
            s = normalise(s * self.prior_ratio)
        if self.calibrator is not None:
            s = _calibrated(self.calibrator, s, self.classes, self.kind)
        return s

    def state(self) -> dict:
        """JSON-ready description (the calibrator itself is stored with the model)."""
        return {
            "method": self.method,
            "kind": self.kind,
            "prior_ratio": None if self.prior_ratio is None else dict(zip(self.classes, self.prior_ratio.tolist())),
            "selection": self.selection,
            "selection_pr_auc": self.pr_auc,
        }


def _binary_input(scores: np.ndarray, k: int, kind: str) -> np.ndarray:
    """Class k's scores as binary decision values (−d, d): probabilities go in as logits,
    so that sigmoid calibration is Platt scaling on the logit (slope and intercept) and
    temperature its slope only; isotonic does not care."""
    s = scores[:, k]
    if kind == "predict_proba":
        s = np.clip(s, 1e-12, 1 - 1e-12)
        s = np.log(s) - np.log1p(-s)
    return np.column_stack([-s, s])


def _one_against_rest(y: np.ndarray, classes: list[str]):
    """Each minority class worth a calibrator — its position, name and 0/1 labels — skipping a class with no row,
    or with fewer than two rows on either side (nothing to calibrate on). 0/1 as integers: scikit-learn encodes
    text labels row by row (the temperature search spent a tenth of its time there on 1M rows); the same calibrator
    either way (tested). Files written before hold calibrators of "0"/"1"."""
    for k, c in enumerate(classes[1:], start=1):
        t = (y == c).astype(np.int64)
        positives = int(t.sum())
        if min(positives, len(t) - positives) >= 2:
            yield k, c, t


def _clipped(calibrator, decision: np.ndarray) -> np.ndarray:
    """One fitted sigmoid or isotonic map's probabilities, values within 1e-5 above 1 set to 1: what scikit-learn's
    ``_CalibratedClassifier.predict_proba`` takes from each of its calibrators."""
    p = np.asarray(calibrator.predict(decision), dtype=np.float64)
    p[(1.0 < p) & (p <= 1.0 + 1e-5)] = 1.0
    return p


def _fit_calibrator(method: str, scores: np.ndarray, y: np.ndarray, kind: str, classes: list[str]) -> dict:
    """One binary calibrator per minority class (that class against the rest).

    The majority class gets what is left, 1 − Σ minority: each minority class's
    ranking is kept exactly by a monotone map (a multi-class calibrator that
    renormalises all classes reorders rows and can cost PR-AUC), and sigmoid
    calibration keeps each class's mean probability equal to its rate.
    """
    out = {}
    for k, c, t in _one_against_rest(y, classes):
        X = _binary_input(scores, k, kind)
        from sklearn.calibration import CalibratedClassifierCV
        from sklearn.frozen import FrozenEstimator

        from .adapters import ScoresAsDecision

        est = FrozenEstimator(ScoresAsDecision().fit(X, t))
        # The frozen scorer is never refitted: its cross-validated predictions are its predictions, so one split
        # holding every row gives the same calibrator as five, at a fifth of the bookkeeping; and with that one
        # split, ensemble=True fits the same single calibrator on the same predictions as the default path
        # (tested), without cross_val_predict's checks and copies around it (a third of the calibrator search).
        every_row = np.arange(len(t))
        out[c] = CalibratedClassifierCV(est, method=method, cv=[(every_row, every_row)], ensemble=True).fit(X, t)
    return out


class _Map:
    """A sigmoid or isotonic map fitted on one class's decision column and 0/1 labels: what
    ``CalibratedClassifierCV`` (one split holding every row) fits inside, for the method search, whose calibrators
    only predict (:func:`_search_fit`)."""

    def __init__(self, calibrator) -> None:
        self.calibrator = calibrator

    def probability(self, decision: np.ndarray) -> np.ndarray:
        """As :func:`positive_probability` computes a fitted ``CalibratedClassifierCV``'s (one calibrator)."""
        return _clipped(self.calibrator, decision)


def _search_fit(method: str, scores: np.ndarray, y: np.ndarray, kind: str, classes: list[str]) -> dict:
    """:func:`_fit_calibrator`'s calibrators for the cross-fitted method search: sigmoid and isotonic fitted
    directly — the same fit on the same decision column and 0/1 labels (``label_binarize``'s), without the
    estimator around them (its checks, label encoding and copies of the rows); equal to the last bit (tested).
    Temperature scaling, and scores that are not finite, take :func:`_fit_calibrator`."""
    if method not in ("sigmoid", "isotonic") or not np.isfinite(scores).all():
        return _fit_calibrator(method, scores, y, kind, classes)
    from sklearn.calibration import _SigmoidCalibration
    from sklearn.isotonic import IsotonicRegression

    out: dict[str, Any] = {}
    for k, c, t in _one_against_rest(y, classes):
        cal = IsotonicRegression(out_of_bounds="clip") if method == "isotonic" else _SigmoidCalibration()
        out[c] = _Map(cal.fit(_binary_input(scores, k, kind)[:, -1], t))
    return out


def _calibrated(calibrator: dict, scores: np.ndarray, classes: list[str], kind: str) -> np.ndarray:
    """Calibrated probabilities, columns in ``classes`` order (majority: the rest)."""
    out = np.zeros((len(scores), len(classes)))
    for c, cal in calibrator.items():
        k = classes.index(c)
        out[:, k] = positive_probability(cal, _binary_input(scores, k, kind))
    minority = out[:, 1:].sum(axis=1)
    over = minority > 1.0
    if np.any(over):  # only possible when minority classes are common: share the unit among them
        out[over, 1:] /= minority[over, None]
        minority = np.minimum(minority, 1.0)
    out[:, 0] = 1.0 - minority
    return out


def positive_probability(cal: Any, X: np.ndarray) -> np.ndarray:
    """``cal.predict_proba(X)`` of class ``1`` (``"1"`` in older files), for a binary calibrator
    :func:`_fit_calibrator` fitted.

    Sigmoid and isotonic calibrators are applied directly — the arithmetic of scikit-learn's
    ``_CalibratedClassifier.predict_proba`` (each calibrator's ``predict`` of the decision column, values within
    1e-5 above 1 set to 1, the mean over the calibrated classifiers), without the checks it repeats on every call
    (a twentieth of scoring's time on a large file); equal to the last bit (tested). Temperature scaling, another
    shape, or a value that is not finite (scikit-learn refuses it) take scikit-learn's own path."""
    decision = X[:, -1]
    if isinstance(cal, _Map):
        return cal.probability(decision)
    direct = (
        getattr(cal, "method", None) in ("sigmoid", "isotonic")
        and [str(c) for c in cal.classes_] == ["0", "1"]
        and X.dtype == np.float64
        and bool(np.isfinite(decision).all())
    )
    if not direct:
        return cal.predict_proba(X)[:, [str(c) for c in cal.classes_].index("1")]
    total = np.zeros(len(decision))
    for fitted in cal.calibrated_classifiers_:
        total += _clipped(fitted.calibrators[0], decision)
    return total / len(cal.calibrated_classifiers_)


def safe_log_loss(y: np.ndarray, p: np.ndarray, classes: list[str]) -> float:
    from sklearn.metrics import log_loss

    from ..evaluation.crossval import label_codes

    # integer codes in class order (scikit-learn's checks sort string labels: 1M rows ~0.3 s a call)
    return float(log_loss(label_codes(y, classes), normalise(np.clip(p, EPS, 1.0)), labels=list(range(len(classes)))))


AP_TOLERANCE = 0.01  # a calibration may cost at most 1% (relative) of any minority class's per-fold PR-AUC


def _minority_ap(y: np.ndarray, scores: np.ndarray, classes: list[str], rows: list[np.ndarray]) -> np.ndarray:
    """PR-AUC per minority class, the mean over folds (``rows``: each fold's rows, :func:`_fold_rows`): a monotone
    map fitted per fold cannot change it (pooling folds scored by different maps can, by a little, either way)."""
    from ..evaluation.intervals import RankedScores

    out = []
    for k, c in enumerate(classes[1:], start=1):
        vals = []
        for idx in rows:
            t = y[idx] == c
            if 0 < t.sum() < len(t):
                vals.append(RankedScores(t, scores[idx, k]).average_precision())
        out.append(np.mean(vals) if vals else np.nan)
    return np.array(out)


def _fold_rows(fold_of: np.ndarray) -> list[np.ndarray]:
    return [np.flatnonzero(fold_of == f) for f in np.unique(fold_of)]


RATIO_TOLERANCE = 0.1  # calibration-in-the-large: mean predicted / observed within 1 ± 0.1 per minority class


def _ratios(y: np.ndarray, P: np.ndarray, classes: list[str]) -> np.ndarray:
    out = []
    for k, c in enumerate(classes[1:], start=1):
        rate = np.mean(y == c)
        out.append(P[:, k].mean() / rate if rate > 0 else np.nan)
    return np.array(out)


def _choose(loss: dict, ap: dict, reference: np.ndarray, ratio: dict | None = None) -> str:
    """Lowest cross-fitted log loss among the candidates that (1) keep the mean of every
    minority class within 1 ± 0.1 of its rate — when none does, the one that misses it
    least — and (2) for isotonic, keep every minority class's per-fold PR-AUC.

    (1): a bid is priced on the probability, so calibration-in-the-large matters more
    than the last bit of log loss; temperature scaling has no intercept and can win on
    log loss while missing a class's mean by 15%. (2): isotonic regression is a step
    function: it ties rows that the model ranked apart, which can cost PR-AUC (seen on
    the shipped sample: −35% per fold for clicks). Sigmoid and temperature are monotone
    maps of each class's score and keep its ranking within a fold. (Judging them by
    PR-AUC too would be a mistake: with a few dozen positives a sigmoid can come out
    flat or reversed in a fold, and the guard would then hand the choice to temperature.)
    """

    def keeps(m):
        a, ok = ap[m], ~np.isnan(reference)
        return bool(np.all(a[ok] >= (1 - AP_TOLERANCE) * reference[ok]))

    def in_the_large(m):
        assert ratio is not None
        r = ratio[m]
        return bool(np.all(np.abs(r[~np.isnan(r)] - 1) <= RATIO_TOLERANCE))

    eligible = [m for m in loss if m != "isotonic" or keeps(m)] or list(loss)  # a forced method is kept
    if ratio is not None:
        if any(in_the_large(m) for m in eligible):
            eligible = [m for m in eligible if in_the_large(m)]
        else:  # none keeps every mean within 0.1: the one that misses it least
            worst = {m: float(np.nanmax(np.abs(ratio[m] - 1))) for m in eligible}
            return min(eligible, key=lambda m: (worst[m], loss[m]))
    return min(eligible, key=lambda m: loss[m])


def _candidates(method: str, kind: str) -> list[str]:
    if method == "auto":
        return (["none"] if kind == "predict_proba" else []) + list(CALIBRATORS)
    if method == "prior":
        return ["none"]
    return [method]


def fit_correction(
    scores: np.ndarray,
    y: np.ndarray,
    classes: list[str],
    kind: str,
    fold_of: np.ndarray,
    method: str = "auto",
    ratio: np.ndarray | None = None,
    jobs: int = 1,
    threads: bool = False,
) -> tuple[Correction, np.ndarray]:
    """Fit the correction on out-of-fold scores; return it and cross-fitted corrected scores.

    ``fold_of[i]`` is the validation fold of row i. The corrected scores of fold j
    come from a calibrator fitted on the other folds' rows only, so metrics computed
    on them are honest. The returned :class:`Correction` is fitted on all rows.
    ``ratio``: prior ratios π/π̂ (None when unknown, e.g. SVM scores). ``jobs``: worker
    processes (with ``threads``: threads) for the cross-fitted calibrators (one task per
    method and fold; the same calibrators either way).
    """
    if method not in METHODS:
        raise ValueError(f"calibration method {method!r}; valid: {', '.join(METHODS)}")
    y = np.asarray(y).astype(str)
    scores = np.asarray(scores, dtype=float)
    if method == "none":
        return Correction(classes, kind, method="none"), scores
    # The prior shift is not a calibration method but the undoing of known rates: every method but
    # "none" starts from it (--calibration sigmoid = prior shift, then sigmoid).
    use_prior = ratio is not None and not np.allclose(ratio, 1.0) and kind == "predict_proba"
    base = normalise(scores * ratio) if use_prior else scores
    from threadpoolctl import threadpool_limits

    # One BLAS thread: each calibrator is a one- or two-parameter L-BFGS fit, where OpenBLAS's threads cost more than
    # the work (sigmoid on 80k rows: 85 ms with two threads, 32 ms with one, on 2 cores).
    with threadpool_limits(1, user_api="blas"):
        return _fit_correction(scores, y, classes, kind, fold_of, method, ratio, use_prior, base, jobs, threads)


def _fit_correction(
    scores, y, classes, kind, fold_of, method, ratio, use_prior, base, jobs, threads
) -> tuple[Correction, np.ndarray]:
    from joblib import Parallel, delayed

    folds = np.unique(fold_of)
    rows = _fold_rows(fold_of)
    reference = _minority_ap(y, scores, classes, rows)
    selection, crossfit, ap, ratios = {}, {}, {}, {}
    methods = _candidates(method, kind)
    tasks = [(m, f) for m in methods if m != "none" for f in folds]
    fitted = dict(
        zip(
            tasks,
            Parallel(n_jobs=jobs, backend="threading" if threads else None)(
                delayed(_search_fit)(m, base[fold_of != f], y[fold_of != f], kind, classes) for m, f in tasks
            ),
        )
    )
    for m in methods:
        if m == "none":
            out = normalise(base)
        else:
            out = np.zeros_like(base)
            for f, te in zip(folds, rows):  # each fold's rows, found once above
                out[te] = _calibrated(fitted[(m, f)], base[te], classes, kind)
        crossfit[m] = out
        selection[m] = safe_log_loss(y, out, classes)
        ap[m] = _minority_ap(y, out, classes, rows)
        ratios[m] = _ratios(y, out, classes)
    best = _choose(selection, ap, reference, ratios)
    calibrator = None if best == "none" else _fit_calibrator(best, base, y, kind, classes)
    name = "+".join([s for s in (("prior" if use_prior else ""), ("" if best == "none" else best)) if s]) or "none"
    corr = Correction(
        classes,
        kind,
        ratio if use_prior else None,
        calibrator,
        name,
        {k: round(v, 6) for k, v in selection.items()},
        {m: [round(float(v), 6) for v in a] for m, a in ap.items()},
    )
    return corr, crossfit[best]
