"""A trained model as it is used: pipeline → raw scores → corrected probabilities → decision.

Train fits three things: the pipeline, the probability correction
(:mod:`clickpred.postfit.correction`) and the decision rule (:mod:`clickpred.postfit.decisions`).
A :class:`Predictor` holds all three, from a :class:`~clickpred.estimator.training.TrainResult`
or a loaded model file, for a notebook or for ``score``/``evaluate``.

Example
-------
>>> from clickpred.model.modelfile import load_model
>>> pred = Predictor.from_model(load_model("models/demo.skops"))  # doctest: +SKIP
>>> pred.predict_proba(frame)[:3]  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import ConfigError
from ..evaluation.crossval import scores_for
from .correction import Correction
from .decisions import DecisionRule, parse_rule

DECISION_SAMPLE_ROWS = 1_000_000  # out-of-fold rows kept in the model file to re-tune a rule at scoring


@dataclass
class Predictor:
    pipeline: Any
    classes: list[str]
    method: str  # the pipeline's scoring method
    correction: Correction | None = None
    rule: DecisionRule | None = None

    @property
    def has_proba(self) -> bool:
        return self.method == "predict_proba" or (self.correction is not None and self.correction.changes_scores)

    def raw_scores(self, X) -> np.ndarray:
        return scores_for(self.pipeline, X, self.classes, self.method)

    def finish(self, raw: np.ndarray) -> np.ndarray:
        """Corrected scores (probabilities when a correction or a probabilistic model) from raw ones."""
        return self.correction.apply(raw) if self.correction is not None else raw

    def decide(self, scores: np.ndarray) -> np.ndarray:
        """Predicted labels under the rule (argmax without one)."""
        return np.asarray(self.classes)[self.decide_index(scores)]

    def decide_index(self, scores: np.ndarray) -> np.ndarray:
        """Predicted class indices (into ``classes``)."""
        rule = self.rule or DecisionRule("argmax", self.classes)
        return rule.predict_index(scores)

    def predict_proba(self, X) -> np.ndarray:
        if not self.has_proba:
            raise ConfigError("this model gives decision values, not probabilities: train it with --calibration auto")
        return self.finish(self.raw_scores(X))

    def predict(self, X) -> np.ndarray:
        return self.decide(self.finish(self.raw_scores(X)))

    @classmethod
    def from_model(cls, model, decision: str | None = None, costs=None) -> "Predictor":
        """The predictor a model file describes; ``decision`` re-tunes another rule on the
        out-of-fold sample the file keeps (``score --decision``)."""
        md = model.metadata
        classes = list(md["classes"])
        correction = correction_from(md.get("correction"), model.calibrator, classes)
        rule = DecisionRule.from_dict(md["decision"]) if md.get("decision") else None
        if decision is not None or costs is not None:
            rule = retune(model, decision or (rule.label if rule else "argmax"), costs, classes, correction)
        return cls(model.pipeline, classes, md["score_method"], correction, rule)


def correction_from(state: dict | None, calibrator, classes: list[str]) -> Correction | None:
    if not state:
        return None
    ratio = state.get("prior_ratio")
    return Correction(
        classes,
        state["kind"],
        None if ratio is None else np.array([ratio[c] for c in classes], dtype=float),
        calibrator,
        state["method"],
        dict(state.get("selection") or {}),
    )


def retune(model, decision: str, costs, classes: list[str], correction) -> DecisionRule:
    rule = parse_rule(decision, classes, costs)
    if rule.kind == "argmax":
        return rule
    sample = model.decision_sample
    if sample is None:
        raise ConfigError(
            f"--decision {decision}: {model.path} keeps no out-of-fold predictions to tune it on: retrain it, "
            "or pass the rule to train"
        )
    if correction is None and model.metadata["score_method"] != "predict_proba":
        raise ConfigError(
            f"--decision {decision}: the model gives decision values, not probabilities: retrain with --calibration auto"
        )
    return rule.fit(np.asarray(sample["probabilities"], dtype=float), np.asarray(classes)[np.asarray(sample["label"])])


def decision_sample(probabilities: np.ndarray, y: np.ndarray, classes: list[str], seed: int = 0) -> dict:
    """Out-of-fold corrected probabilities and labels kept in the model file (a uniform sample if large)."""
    n = len(y)
    idx = np.arange(n)
    if n > DECISION_SAMPLE_ROWS:
        idx = np.sort(np.random.default_rng(seed).choice(n, DECISION_SAMPLE_ROWS, replace=False))
    lookup = {c: i for i, c in enumerate(classes)}
    return {
        "probabilities": np.asarray(probabilities, dtype=np.float32)[idx],
        "label": np.array([lookup[c] for c in np.asarray(y).astype(str)[idx]], dtype=np.int8),
    }
