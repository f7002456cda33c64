"""Funnel mode: ordered classes (view → click → conversion) as a chain of binary stages.

Stage s models P(reach class s+1 | reached class s) over the rows that reached
class s, each a full pipeline (prepare → sampler → encode → classifier) built by
the same factory and under the same rebalancing strategy. For view, click,
conversion that is P(click or conversion | impression) over every impression
and P(conversion | click, impression) over the clicked ones, and at prediction
time, over the entire impression space (the ESMM factorisation):

    P(view) = 1 − q₁,  P(click) = q₁ (1 − q₂),  P(conversion) = q₁ q₂

so P(conversion) ≤ P(reached click) = q₁ holds by construction. Each stage's
probability is corrected for its own rebalancing (prior shift, from the class
sizes the stage saw) before the product.

Example
-------
>>> from sklearn.linear_model import LogisticRegression
>>> import numpy as np
>>> X = np.arange(60, dtype=float).reshape(-1, 1)
>>> y = np.array(["view"] * 40 + ["click"] * 12 + ["conversion"] * 8)
>>> f = FunnelClassifier([LogisticRegression(), LogisticRegression()], ["view", "click", "conversion"]).fit(X, y)
>>> p = f.predict_proba(X)
>>> bool(np.all(p[:, 2] <= p[:, 1] + p[:, 2])) and np.allclose(p.sum(axis=1), 1)
True
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone

from ..errors import ConfigError


class FunnelClassifier(ClassifierMixin, BaseEstimator):
    """K − 1 binary stages over ordered classes; ``predict_proba`` columns in ``order``.

    ``stages``: one classifier (or pipeline) per stage, or None for a ``LogisticRegression`` each; ``order``: the
    classes in funnel order, or None for decreasing frequency (view → click → conversion on impression logs).
    ``strategy``/``strategy_params``: the rebalancing each stage was built with, used to undo its prior shift
    (``None``: the stage's probabilities are used as they are).
    """

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True  # as its default stages (LogisticRegression) take it
        return tags

    def __init__(self, stages=None, order=None, strategy=None, strategy_params=None):
        self.stages = stages
        self.order = order
        self.strategy = strategy
        self.strategy_params = strategy_params

    def fit(self, X, y):
        from sklearn.linear_model import LogisticRegression
        from sklearn.utils.multiclass import check_classification_targets
        from sklearn.utils.validation import column_or_1d, validate_data

        from .rebalance import effective_counts, prior_ratio

        if hasattr(X, "iloc"):  # a DataFrame: the stages' pipelines read its columns
            validate_data(self, X, skip_check_array=True)
            y = column_or_1d(y, warn=True)
        else:
            X, y = validate_data(self, X, y, accept_sparse="csr", ensure_all_finite=False)
        check_classification_targets(y)
        if self.order is None:
            values, counts = np.unique(y, return_counts=True)
            order = [values[i] for i in sorted(range(len(values)), key=lambda i: (-counts[i], i))]
        else:
            order = list(self.order)
        if len(order) < 2:
            raise ValueError(f"FunnelClassifier needs 2 or more classes; y holds one class ({order[0]!r})")
        where = {str(c): i for i, c in enumerate(order)}
        unknown = sorted({str(v) for v in np.unique(y)} - set(where))
        if unknown:
            raise ConfigError(
                f"--funnel {','.join(map(str, order))}: the data has class '{unknown[0]}' not in the funnel"
            )
        stages = self.stages if self.stages is not None else [LogisticRegression() for _ in order[1:]]
        if len(stages) != len(order) - 1:
            raise ConfigError(f"--funnel: {len(order)} classes need {len(order) - 1} stages, got {len(stages)}")
        level = np.array([where[str(v)] for v in y])
        self.stages_, self.ratios_ = [], []
        for s, stage in enumerate(stages):
            rows = level >= s
            t = np.where(level[rows] >= s + 1, "1", "0")
            if len(np.unique(t)) < 2:
                raise ConfigError(f"--funnel: stage {order[s]} → {order[s + 1]} has a single class in a training fold")
            Xs = X[rows] if not hasattr(X, "iloc") else X.iloc[np.flatnonzero(rows)]
            self.stages_.append(clone(stage).fit(Xs, t))
            stage_counts = {"0": int((t == "0").sum()), "1": int((t == "1").sum())}
            r = None
            if self.strategy is not None:
                effective = effective_counts(self.strategy, self.strategy_params or {}, stage_counts)
                r = prior_ratio(["0", "1"], stage_counts, effective)
            self.ratios_.append(r)
        self.classes_ = np.array(order)
        return self

    def stage_probabilities(self, X) -> np.ndarray:
        """n × (K − 1): q_s = P(reach class s+1 | reached class s), prior-corrected."""
        from sklearn.utils.validation import check_is_fitted, validate_data

        check_is_fitted(self)
        if hasattr(X, "iloc"):
            validate_data(self, X, skip_check_array=True, reset=False)
        else:
            X = validate_data(self, X, accept_sparse="csr", ensure_all_finite=False, reset=False)
        qs = []
        for st, r in zip(self.stages_, self.ratios_):
            p = np.asarray(st.predict_proba(X), dtype=float)
            p = p[:, [list(map(str, st.classes_)).index("0"), list(map(str, st.classes_)).index("1")]]
            if r is not None:
                p = p * r
                p = p / p.sum(axis=1, keepdims=True)
            qs.append(p[:, 1])
        return np.column_stack(qs)

    def predict_proba(self, X) -> np.ndarray:
        q = self.stage_probabilities(X)
        n, k = len(q), len(self.classes_)
        out = np.zeros((n, k))
        reach = np.ones(n)
        for s in range(k - 1):
            out[:, s] = reach * (1 - q[:, s])
            reach = reach * q[:, s]
        out[:, k - 1] = reach
        return out

    def predict(self, X):
        P = self.predict_proba(X)
        return self.classes_[np.argmax(P, axis=1)]
