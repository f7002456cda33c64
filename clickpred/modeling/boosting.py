"""Gradient boosting whose early-stopping slice is held out *before* resampling.

scikit-learn's ``HistGradientBoostingClassifier`` draws its validation slice from
the rows it is fitted on. After a sampler in a pipeline those are resampled rows:
under random oversampling the slice holds copies of the very clicks the trees
fit, its loss keeps falling, and early stopping never fires (197–200 of 200
iterations on CoIL, bank marketing and the shipped sample; 10–31 with the slice
held out first: benchmarks/bench_hgb_holdout.py, docs/benchmarks.md).
:class:`HoldoutHGBClassifier` takes the sampler as a parameter instead: it holds
a stratified ``validation_fraction`` of the rows out first, resamples the rest, and passes the held-out rows to scikit-learn's
``fit(X_val=, y_val=, sample_weight_val=)`` — weighted per class by how much the
sampler grew or shrank that class, so that early stopping watches the loss the
trees minimise, on rows they never saw (as HGB weights its own slice by
``class_weight``).

Example
-------
>>> import numpy as np
>>> from imblearn.over_sampling import RandomOverSampler
>>> rng = np.random.default_rng(0)
>>> X = rng.normal(size=(2000, 3)); y = (X[:, 0] + rng.normal(size=2000) > 2.5).astype(int)
>>> hgb = HoldoutHGBClassifier(sampler=RandomOverSampler(random_state=0), early_stopping=True, random_state=0)
>>> hgb.fit(X, y).n_iter_ < 100
True
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import clone
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils.validation import _num_samples, column_or_1d

from .estimators import has_validation_slice


class HoldoutHGBClassifier(HistGradientBoostingClassifier):
    """``HistGradientBoostingClassifier`` with a ``sampler`` applied inside ``fit``, after its validation slice
    is held out.

    Parameters are scikit-learn's, plus ``sampler``: an imbalanced-learn sampler (cloned for each fit), or
    None for plain HGB. With a sampler and early stopping on (``early_stopping=True``, or ``"auto"`` on more
    than 10,000 rows, as scikit-learn decides), a stratified ``validation_fraction`` of the rows is held out,
    the sampler resamples the rest, and the held-out rows are the validation set, weighted per class by
    (rows of the class after resampling) / (rows before). Without early stopping, or with too few rows of a
    class for a stratified slice, the sampler resamples every row and the fit runs to ``max_iter``;
    ``validation_fraction=None`` stops on the training loss of the resampled rows, as scikit-learn does.
    ``sample_weight`` is refused with a sampler (a sampler's new rows have no weight; imbalanced-learn's
    pipeline refuses it too).
    """

    _parameter_constraints: dict = {**HistGradientBoostingClassifier._parameter_constraints, "sampler": "no_validation"}

    def __init__(
        self,
        loss="log_loss",
        *,
        learning_rate=0.1,
        max_iter=100,
        max_leaf_nodes=31,
        max_depth=None,
        min_samples_leaf=20,
        l2_regularization=0.0,
        max_features=1.0,
        max_bins=255,
        categorical_features="from_dtype",
        monotonic_cst=None,
        interaction_cst=None,
        warm_start=False,
        early_stopping="auto",
        scoring="loss",
        validation_fraction=0.1,
        n_iter_no_change=10,
        tol=1e-7,
        verbose=0,
        random_state=None,
        class_weight=None,
        sampler=None,
        min_validation_minority=None,
    ):
        super().__init__(
            loss=loss,
            learning_rate=learning_rate,
            max_iter=max_iter,
            max_leaf_nodes=max_leaf_nodes,
            max_depth=max_depth,
            min_samples_leaf=min_samples_leaf,
            l2_regularization=l2_regularization,
            max_features=max_features,
            max_bins=max_bins,
            categorical_features=categorical_features,
            monotonic_cst=monotonic_cst,
            interaction_cst=interaction_cst,
            warm_start=warm_start,
            early_stopping=early_stopping,
            scoring=scoring,
            validation_fraction=validation_fraction,
            n_iter_no_change=n_iter_no_change,
            tol=tol,
            verbose=verbose,
            random_state=random_state,
            class_weight=class_weight,
        )
        self.sampler = sampler
        self.min_validation_minority = min_validation_minority

    def _stops(self, X, y) -> bool:
        """Whether this fit stops early: ``early_stopping`` True or False as given; ``"auto"``: above 10,000 rows
        (scikit-learn's rule) and, with ``min_validation_minority`` set, only where the validation slice would hold
        at least that many rows of the smallest class (a slice of 3 clicks stops the trees on noise). With a sampler
        (copies or synthetic neighbours of the rare rows, which the trees fit fast) the row count is not asked: the
        slice's rows alone decide."""
        early: Any = self.early_stopping  # type: ignore[has-type]  # scikit-learn's parameter
        if early != "auto":
            return bool(early)
        if self.min_validation_minority is None or y is None:
            return _num_samples(X) > 10_000
        if self.sampler is None and _num_samples(X) <= 10_000:
            return False
        fraction = self.validation_fraction if self.validation_fraction is not None else 0.0
        smallest = np.unique(column_or_1d(y), return_counts=True)[1].min()
        return bool(smallest * fraction >= self.min_validation_minority) if fraction else _num_samples(X) > 10_000

    def fit(self, X, y, sample_weight=None, *, X_val=None, y_val=None, sample_weight_val=None):
        if self.sampler is None:
            saved: Any = self.early_stopping  # type: ignore[has-type]
            try:
                if X_val is None and saved == "auto":
                    self.early_stopping = self._stops(X, y)
                return super().fit(
                    X, y, sample_weight=sample_weight, X_val=X_val, y_val=y_val, sample_weight_val=sample_weight_val
                )
            finally:
                self.early_stopping = saved
        if sample_weight is not None or X_val is not None or y_val is not None or sample_weight_val is not None:
            raise ValueError(
                "HoldoutHGBClassifier: sample_weight and validation sets cannot be passed with a sampler "
                "(the sampler's new rows have no weight); use class_weight, or sampler=None"
            )
        if y is None:
            return super().fit(X, y)  # scikit-learn's error
        y = column_or_1d(y, warn=True)
        sampler = clone(self.sampler)
        # "auto" decided on the rows given, as the docstring says: scikit-learn would decide it again on the
        # resampled rows, which oversampling can push past 10,000, and then slice those.
        early: Any = self.early_stopping  # type: ignore[has-type]  # scikit-learn's parameter
        stops = self._stops(X, y)
        fraction = self.validation_fraction
        if not (stops and fraction is not None and has_validation_slice(y, fraction)):
            # Every resampled row, without a slice: early stopping off — it was, or too few rows of a class for a
            # stratified slice (fit to max_iter, as WeightedMLPClassifier does) — except on the training loss
            # (validation_fraction None), as scikit-learn.
            saved = early
            try:
                self.early_stopping = stops and fraction is None
                return super().fit(*sampler.fit_resample(X, y))
            finally:
                self.early_stopping = saved
        seed = check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
        X_fit, X_val, y_fit, y_val = train_test_split(X, y, test_size=fraction, stratify=y, random_state=seed)
        X_res, y_res = sampler.fit_resample(X_fit, y_fit)
        classes, before = np.unique(y_fit, return_counts=True)
        after = np.array([np.sum(np.asarray(y_res) == c) for c in classes])
        w_val = (after / before)[np.searchsorted(classes, y_val)]
        try:
            self.early_stopping = True  # decided above: "auto" must not be decided again on the resampled rows
            return super().fit(X_res, y_res, X_val=X_val, y_val=y_val, sample_weight_val=w_val)
        finally:
            self.early_stopping = early
