"""Adapters that let scikit-learn's calibrators work on scores computed elsewhere: :class:`ScoresAsDecision`."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data


class ScoresAsDecision(ClassifierMixin, BaseEstimator):
    """A classifier whose input columns *are* its decision values, so that scikit-learn's
    ``CalibratedClassifierCV`` can calibrate scores computed elsewhere (probabilities come in as logits, see
    :func:`_binary_input`; the compiled linear scorer passes the decisions it computed).

    Two classes: the decision is the last column (``(−d, d)`` or ``d``); K classes: the K columns. It learns
    the classes only — by design it cannot fit arbitrary data (``tests/modeling/test_estimators.py`` declares
    the checks that need learning as expected failures)."""

    def fit(self, X, y):
        X, y = validate_data(self, X, y)
        check_classification_targets(y)
        self.classes_ = np.unique(y)
        if len(self.classes_) < 2:
            raise ValueError(f"ScoresAsDecision needs 2 or more classes; y holds one class ({self.classes_[0]!r})")
        return self

    def decision_function(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, ensure_min_samples=0)  # a chunk may have no valid rows
        if len(self.classes_) == 2:
            return X[:, -1]
        if X.shape[1] != len(self.classes_):
            raise ValueError(
                f"{len(self.classes_)} classes need {len(self.classes_)} decision columns; X has {X.shape[1]}"
            )
        return X

    def predict(self, X):
        d = self.decision_function(X)
        return self.classes_[(d > 0).astype(int)] if d.ndim == 1 else self.classes_[np.argmax(d, axis=1)]
