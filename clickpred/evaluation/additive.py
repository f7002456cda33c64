"""A linear fold model's scores as a sum over its prepared columns, for permutation importance.

After their first step (``prepare``), the pipelines clickpred builds for a linear classifier (logistic regression,
linear SVM) are additive in the prepared columns: the one-hot encoding acts on each column alone, numbers pass
through, and the decision is a weighted sum. A column's share of the decision is therefore a table over the
values it takes (codes, hours) or a slope (numbers), found by running the fitted steps themselves on probe rows
that change one column at a time from a reference row (as the compiled linear scorer does for raw columns). A
shuffled column then changes one term of the sum: no pass through the encoder and the classifier.

The sum over the held-out rows is checked against the fitted steps (to 1e-9) before it is used, and a pipeline it
does not hold for gets ``None`` (its shuffles are scored through its steps). Every score comes from the same sum,
taken in the same order — the rows as they are too —, so that two rows with the same values get the same score
whichever column was shuffled (the ranks PR-AUC reads do not depend on rounding).

Example
-------
>>> import numpy as np
>>> from sklearn.linear_model import LogisticRegression
>>> from sklearn.pipeline import Pipeline
>>> X = np.array([[0.0, 1.5], [1.0, -2.0], [2.0, 0.5], [1.0, 3.0]])
>>> rest = Pipeline([("classifier", LogisticRegression().fit(X, [0, 1, 0, 1]))])
>>> sums = Additive.compile(rest, X)
>>> bool(np.allclose(sums.scores(), rest.predict_proba(X), atol=1e-12))
True
"""

from __future__ import annotations

from typing import Callable

import numpy as np
from scipy.special import expit, softmax
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC

from ..modeling.features import transformed

TOLERANCE = 1e-9
MAX_TABLE = 4096  # distinct values of a prepared column tabulated one by one; beyond, its share must be affine


def logistic(d: np.ndarray) -> np.ndarray:
    """Logistic regression's probabilities from its decisions (n × 1 for two classes, else n × K), as its own
    ``predict_proba`` computes them."""
    if d.shape[1] == 1:
        p = expit(d[:, 0])
        return np.column_stack([1 - p, p])
    return softmax(d, axis=1)


def linear_link(clf) -> tuple[str, Callable[[np.ndarray], np.ndarray]] | None:
    """The score method of a linear classifier and its map from decisions (n × 1 or n × K) to what that method
    returns; None for any other classifier."""
    if isinstance(clf, LogisticRegression):
        return "predict_proba", logistic
    if isinstance(clf, LinearSVC):
        return "decision_function", lambda d: d[:, 0] if d.shape[1] == 1 else d
    return None


def decisions(steps, clf, X) -> np.ndarray:
    """``clf``'s decisions (n × 1 or n × K) on ``X`` through ``steps``
    (:func:`~clickpred.modeling.features.transformed`)."""
    d = np.asarray(clf.decision_function(transformed(steps, X)), dtype=float)
    return d.reshape(len(d), -1)


class Additive:
    """The decisions of ``rest`` (a pipeline's steps after ``prepare``, ending in a linear classifier) on prepared
    rows, as a reference row's decision plus one term per prepared column (:meth:`compile`)."""

    def __init__(self, method, link, reference, tables, slopes, terms) -> None:
        self.method, self.link = method, link
        self.reference = reference  # decision of the reference row (K or 1 values)
        self.tables = tables  # per prepared column: (sorted values, their terms) or None (affine)
        self.slopes = slopes  # per prepared column: (reference value, slope) or None (tabulated)
        self.terms = terms  # per prepared column: its term for the rows given to compile (n × K or n × 1)

    @classmethod
    def compile(cls, rest, base: np.ndarray) -> "Additive | None":
        """The sum for ``rest`` on the prepared rows ``base``, or None where it does not hold (a classifier that
        is not linear, a step that mixes columns, values that are not numbers)."""
        steps: list = getattr(rest, "steps", None) or []
        linked = linear_link(steps[-1][1]) if steps else None
        base = np.asarray(base)
        if linked is None or base.ndim != 2 or 0 in base.shape or base.dtype.kind != "f" or not np.isfinite(base).all():
            return None
        clf = steps[-1][1]
        reference = base[0]
        columns, probes = [], []
        for k in range(base.shape[1]):
            values, inverse = np.unique(base[:, k], return_inverse=True)
            tabulated = len(values) <= MAX_TABLE
            columns.append((values, inverse, tabulated))
            probes.append(values if tabulated else values[[0, len(values) // 2, -1]])
        P = np.repeat(reference[None, :], 1 + sum(len(p) for p in probes), axis=0)
        at = 1
        for k, p in enumerate(probes):
            P[at : at + len(p), k] = p
            at += len(p)
        D = decisions(steps[:-1], clf, P)
        tables: list[tuple[np.ndarray, np.ndarray] | None] = []
        slopes: list[tuple[float, np.ndarray] | None] = []
        terms: list[np.ndarray] = []
        at = 1
        for k, (p, (values, inverse, tabulated)) in enumerate(zip(probes, columns)):
            T = D[at : at + len(p)] - D[0]
            at += len(p)
            if tabulated:
                tables.append((values, T))
                slopes.append(None)
                terms.append(T[inverse])
                continue
            slope = (T[2] - T[0]) / (p[2] - p[0])
            if not np.allclose(T[1], T[0] + slope * (p[1] - p[0]), rtol=0, atol=TOLERANCE):
                return None  # a column with many values whose share is not affine
            tables.append(None)
            slopes.append((reference[k], slope))
            terms.append((base[:, k] - reference[k])[:, None] * slope)
        sums = cls(linked[0], linked[1], D[0], tables, slopes, terms)
        whole = decisions(steps[:-1], clf, base)
        if not np.allclose(sums.decisions(), whole, rtol=0, atol=TOLERANCE * max(1.0, float(np.abs(whole).max()))):
            return None
        return sums

    def term(self, k: int, values: np.ndarray) -> np.ndarray | None:
        """Prepared column ``k``'s term for new values of it; None for a value its table does not hold."""
        if self.slopes[k] is not None:
            ref, slope = self.slopes[k]
            return (np.asarray(values, dtype=float) - ref)[:, None] * slope
        known, table = self.tables[k]  # type: ignore[misc]
        at = np.minimum(np.searchsorted(known, values), len(known) - 1)
        if not np.array_equal(known[at], values):
            return None
        return table[at]

    def decisions(self, changed: dict[int, np.ndarray] | None = None) -> np.ndarray:
        """The decisions of the rows given to :meth:`compile`, with the terms in ``changed`` (prepared column →
        its new term) instead of theirs; the same sum, in the same order, whatever changed."""
        changed = changed or {}
        total = np.repeat(self.reference[None, :], len(self.terms[0]), axis=0)
        for k, t in enumerate(self.terms):
            total += changed.get(k, t)
        return total

    def scores(self, changed: dict[int, np.ndarray] | None = None) -> np.ndarray:
        """What the pipeline's score method returns for those rows (its classes' order)."""
        return self.link(self.decisions(changed))
