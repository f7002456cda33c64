"""After cross-validation: correct the out-of-fold scores, apply the decision rule, re-measure.

``finish`` turns an :class:`~clickpred.evaluation.crossval.Evaluation` of raw out-of-fold
scores into the evaluation of the model as it will be used — corrected
probabilities (:mod:`clickpred.postfit.correction`) under the tuned decision rule
(:mod:`clickpred.postfit.decisions`) — keeping the raw metrics as ``before`` and the
argmax metrics beside the rule's. Both the correction and the rule are
cross-fitted (fold j corrected and decided by parts fitted without fold j), so
nothing here is measured on rows it was fitted on. ``train`` and ``compare``
both call it.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from ..errors import ConfigError
from ..evaluation.crossval import Evaluation, compute_metrics, fold_pr_auc
from ..modeling.rebalance import effective_counts, prior_ratio
from .correction import fit_correction
from .decisions import UNSTABLE_SPREAD, DecisionRule, cross_fitted, has_skill


def strategy_ratio(strategy: str, params: dict, classes: list[str], counts: dict) -> np.ndarray | None:
    """Prior-shift ratios π/π̂ for a model trained under this strategy on data with these counts."""
    return prior_ratio(classes, counts, effective_counts(strategy, params, counts))


def finish(
    ev: Evaluation,
    method: str,
    ratio: np.ndarray | None,
    calibration: str = "auto",
    rule: DecisionRule | None = None,
    jobs: int = 1,
    threads: bool = False,
) -> Evaluation:
    """The evaluation of ``ev``'s out-of-fold scores corrected and decided (a new Evaluation; ``ev`` is unchanged).
    ``jobs``: worker processes (with ``threads``: threads) for the correction's cross-fitted calibrators."""
    classes, y = ev.classes, ev.y_true
    assert ev.fold_of is not None, "finish takes an out-of-fold evaluation"
    rule = rule or DecisionRule("argmax", classes)
    correction, P = fit_correction(ev.scores, y, classes, method, ev.fold_of, calibration, ratio, jobs, threads)
    has_proba = method == "predict_proba" or correction.changes_scores
    if rule.kind == "auto" and not has_proba:  # thresholds are on probabilities: decision values keep argmax
        rule = DecisionRule("argmax", classes, costs=rule.costs)
    if rule.kind != "argmax" and not has_proba:
        raise ConfigError(
            f"--decision {rule.label}: needs probabilities, and --calibration none leaves decision values"
        )
    argmax = compute_metrics(y, P, classes, has_proba)
    fitted = cross_fitted(rule, P, y, ev.fold_of)
    if rule.kind == "argmax":
        metrics = argmax
    else:  # the same scores under the rule's predictions: only the counts change
        metrics = compute_metrics(y, P, classes, has_proba, fitted.predictions, same_scores=argmax)
    metrics = dict(metrics)  # argmax is kept as it is, beside
    decision = decision_summary(fitted, y, P, argmax, metrics)
    fold_metrics, metrics["fold_pr_auc"] = fold_pr_auc(y, P, classes, ev.fold_of)
    metrics["correction"] = correction.state()
    metrics["decision"] = decision
    return replace(
        ev,
        raw_scores=ev.scores,
        before=ev.metrics,
        correction=correction,
        scores=P,
        has_proba=has_proba,
        metrics=metrics,
        y_pred=fitted.predictions,
        argmax=argmax,
        rule=fitted.rule,
        decision=decision,
        fold_metrics=fold_metrics,
    )


def decision_summary(fitted, y, P, argmax: dict, under_rule: dict) -> dict:
    rule = fitted.rule
    out = {
        **rule.to_dict(),
        "fold_spread": fitted.spread(),
        "unstable": sorted(k for k, v in fitted.spread().items() if v["relative_spread"] > UNSTABLE_SPREAD),
        "flagged_fraction": float(np.mean(fitted.predictions != rule.classes[0])),
        "per_class": {
            c: {
                "recall": under_rule["per_class"][c]["recall"],
                "precision": under_rule["per_class"][c]["precision"],
                "recall_argmax": argmax["per_class"][c]["recall"],
                "precision_argmax": argmax["per_class"][c]["precision"],
            }
            for c in rule.classes[1:]
        },
    }
    if rule.kind == "auto":  # the classes the rule judged without skill (a perfect ranking may sit at 1.0 too)
        out["not_flagged"] = [
            c for c in rule.classes[1:] if rule.thresholds.get(c, 0.0) >= 1.0 and not has_skill(_ranked(y, P, rule, c))
        ]
    if rule.kind == "recall":
        out["unreached"] = {
            c: under_rule["per_class"][c]["recall"]
            for c, t in rule.targets.items()
            if under_rule["per_class"][c]["recall"] < t
        }
    if rule.costs is not None:
        out["cost_per_row"] = rule.cost_summary(y, fitted.predictions, P)
        if rule.kind == "cost":
            out["bayes_thresholds"] = rule.bayes_thresholds()
    return out


def finish_holdout(ev: Evaluation, fitted: Evaluation) -> Evaluation:
    """The same for held-out rows scored by a final model: corrected and decided by the correction and rule that
    ``fitted`` (the out-of-fold evaluation, :func:`finish`) holds — nothing refitted."""
    classes, y = ev.classes, ev.y_true
    correction: Any = fitted.correction
    rule = fitted.rule if fitted.rule is not None else DecisionRule("argmax", classes)
    P = correction.apply(ev.scores) if correction is not None else ev.scores
    y_pred = np.asarray(classes)[rule.predict_index(P)]
    metrics = compute_metrics(y, P, classes, fitted.has_proba, y_pred)
    if rule.costs is not None:
        metrics["decision"] = {"cost_per_row": rule.cost_summary(y, y_pred, P)}
    return replace(
        ev,
        raw_scores=ev.scores,
        before=ev.metrics,
        scores=P,
        has_proba=fitted.has_proba,
        argmax=compute_metrics(y, P, classes, fitted.has_proba),
        y_pred=y_pred,
        metrics=metrics,
        correction=correction,
        rule=fitted.rule,
    )


def _ranked(y: np.ndarray, P: np.ndarray, rule: DecisionRule, c: str):
    """Class ``c``'s out-of-fold ranking (its rows, its probability column)."""
    from ..evaluation.intervals import RankedScores

    return RankedScores(np.asarray(y) == c, P[:, rule.classes.index(c)])
