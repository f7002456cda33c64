"""Registry of rebalancing strategies → imbalanced-learn samplers or class weights.

Every sampler runs inside an imbalanced-learn ``Pipeline``, so it only ever sees
training folds; validation folds keep their natural class balance.

Example
-------
>>> plan = STRATEGIES["undersample"].plan({}, {"view": 990, "click": 10}, n_categorical=0, folds=5, seed=0)
>>> type(plan.sampler).__name__
'RandomUnderSampler'
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from imblearn.over_sampling import SMOTE, SMOTEN, SMOTENC, RandomOverSampler
from imblearn.under_sampling import RandomUnderSampler
from sklearn.preprocessing import OneHotEncoder

from ..errors import ConfigError, DataError

DEFAULT_MEMORY_BUDGET = 4 * 1024**3  # bytes a resampled training fold may take


class RatioStrategy:
    """``sampling_strategy`` callable: class sizes after resampling, from a ratio.

    - ``kind="over"``: every minority class grows to at least ``ratio`` × the majority.
    - ``kind="under"``: the majority shrinks to at most (largest minority) / ``ratio``;
      minority classes are never touched (imbalanced-learn's ``'auto'`` would also
      shrink the clicks down to the conversions).
    """

    def __init__(self, kind: str = "over", ratio: float = 1.0):
        self.kind = kind
        self.ratio = ratio

    def __call__(self, y):
        import numpy as np

        values, counts = np.unique(y, return_counts=True)
        return self.targets(dict(zip(values.tolist(), counts.tolist())))

    def targets(self, counts: dict) -> dict:
        """Class sizes to resample to, from the class sizes before."""
        ordered = sorted(counts.items(), key=lambda kv: -kv[1])
        majority, n_major = ordered[0]
        if self.kind == "over":
            target = int(math.ceil(self.ratio * n_major))
            return {v: max(int(c), target) for v, c in counts.items() if v != majority}
        largest_minor = ordered[1][1] if len(ordered) > 1 else n_major
        return {majority: min(n_major, max(1, int(math.ceil(largest_minor / self.ratio))))}

    def __repr__(self):
        return f"RatioStrategy(kind={self.kind!r}, ratio={self.ratio!r})"


@dataclass
class RebalancePlan:
    """What a strategy contributes to the pipeline: a sampler and/or class weights."""

    sampler: Any = None
    class_weight: Any = None
    notes: list[str] = field(default_factory=list)


def _ratio(params: dict, where: str) -> float:
    r = params.get("ratio", 1.0)
    if not isinstance(r, (int, float)) or isinstance(r, bool) or not 0 < r <= 1:
        raise ConfigError(f"{where}.ratio must be a number in (0, 1], got {r!r}")
    return float(r)


class RowBlockOneHotEncoder(OneHotEncoder):
    """scikit-learn's ``OneHotEncoder``, whose ``inverse_transform`` decodes a sparse matrix in dense blocks of rows.

    SMOTENC decodes every row it returns with its encoder's ``inverse_transform``. Given a sparse matrix,
    scikit-learn finds each row's category with scipy's sparse ``argmax``, which loops over the rows in Python: on a
    training fold of the shipped sample (160,000 rows → 479,052, 4 categorical features) that decoding was about 6
    of SMOTENC's 11 seconds. Here scikit-learn's own ``inverse_transform`` runs on dense blocks of at most
    :attr:`BLOCK_CELLS` cells, where numpy's ``argmax`` finds the same column (the first largest; SMOTENC leaves
    exactly one 1 per feature and row) — the same categories, identical resampled rows.
    """

    BLOCK_CELLS = 4_000_000  # 32 MB of float64 per dense block

    def inverse_transform(self, X):
        from scipy import sparse

        if not sparse.issparse(X) or X.shape[0] == 0:
            return super().inverse_transform(X)
        X, decode = X.tocsr(), super().inverse_transform
        step = max(1, self.BLOCK_CELLS // max(1, X.shape[1]))
        return np.concatenate([decode(X[i : i + step].toarray()) for i in range(0, X.shape[0], step)])


def resampled_rows(class_counts: dict, strategy: RatioStrategy) -> int:
    """Rows in a training set of these class counts after resampling."""
    counts = dict(class_counts)
    counts.update(strategy.targets(counts))
    return int(sum(counts.values()))


@dataclass(frozen=True)
class StrategyEntry:
    name: str
    description: str
    defaults: dict[str, Any]
    adds_rows: bool = False  # a sampler that copies or synthesises rows (a slice of its output is no holdout)

    def validate(self, params: dict, where: str) -> None:
        if "ratio" in params:
            _ratio(params, where)
        if "k_neighbors" in params:
            k = params["k_neighbors"]
            if not isinstance(k, int) or isinstance(k, bool) or k < 1:
                raise ConfigError(f"{where}.k_neighbors must be an integer >= 1, got {k!r}")
        if "weights" in params:
            w = params["weights"]
            ok = w == "balanced" or (
                isinstance(w, dict)
                and all(isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0 for v in w.values())
            )
            if not ok:
                raise ConfigError(
                    f'{where}.weights must be "balanced" or a table of positive numbers per class, got {w!r}'
                )

    def plan(
        self,
        params: dict,
        class_counts: dict,
        n_categorical: int,
        folds: int,
        seed: int,
        n_numeric: int = 10,
        n_levels: int = 0,
        memory_budget: int = DEFAULT_MEMORY_BUDGET,
        holdout: float = 0.0,
    ) -> RebalancePlan:
        """Build the sampler / class weights for data with these class counts.

        ``class_counts`` are for the whole training data; a training fold holds
        about ``(folds - 1) / folds`` of each class, of which the classifier may hold
        ``holdout`` out before the sampler sees the rest (a validation slice).
        """
        p = {**self.defaults, **params}
        if self.name == "none":
            return RebalancePlan()
        if self.name == "class_weight":
            w = p["weights"]
            if isinstance(w, dict):
                unknown = sorted(set(w) - set(map(str, class_counts)))
                if unknown:
                    raise ConfigError(
                        f"strategy.weights names class '{unknown[0]}' not in the data; classes: {', '.join(map(str, class_counts))}"
                    )
                w = {str(c): float(w.get(str(c), 1.0)) for c in class_counts}
            return RebalancePlan(class_weight=w)

        ratio = _ratio(p, "strategy")
        kind = "under" if self.name == "undersample" else "over"
        strategy = RatioStrategy(kind=kind, ratio=ratio)
        frac = (folds - 1) / folds
        fold_counts = {c: max(1, int(n * frac)) for c, n in class_counts.items()}
        rows = resampled_rows(fold_counts, strategy)
        new = rows - sum(fold_counts.values())
        width = n_categorical + n_numeric
        need = rows * width * 8 * 3  # data, resampled copy, encoded copy
        neighbours = 0
        if self.name == "smote" and n_categorical:
            # SMOTENC gathers each new row's k neighbours one-hot encoded, densely (k as lowered below, at most
            # the smallest minority class of a fold less one).
            top = max(fold_counts, key=lambda c: fold_counts[c])
            smallest_class = min(n for c, n in fold_counts.items() if c != top)
            k_used = max(1, min(p["k_neighbors"], smallest_class - 1))
            neighbours = new * (k_used + 1) * (n_levels + n_numeric) * 8
            need += neighbours
        if kind == "over" and need > memory_budget:
            cause = (
                f"lower strategy.k_neighbors ({p['k_neighbors']}: its neighbours take most of it)"
                if neighbours > need / 2 and p["k_neighbors"] > 5
                else f"set strategy.ratio below {ratio} (e.g. 0.1)"
            )
            raise DataError(
                f"{self.name} would grow each training fold to {rows:,} rows (~{need / 1024**3:.1f} GiB, budget "
                f"{memory_budget / 1024**3:.1f} GiB): {cause}, or use 'undersample' or 'class_weight'"
            )
        if self.name == "oversample":
            return RebalancePlan(sampler=RandomOverSampler(sampling_strategy=strategy, random_state=seed))
        if self.name == "undersample":
            return RebalancePlan(sampler=RandomUnderSampler(sampling_strategy=strategy, random_state=seed))

        return _smote(p, class_counts, fold_counts, strategy, n_categorical, n_numeric, holdout, seed)


STRATEGIES: dict[str, StrategyEntry] = {
    e.name: e
    for e in [
        StrategyEntry("none", "no rebalancing: the classifier sees the natural class balance", {}),
        StrategyEntry(
            "class_weight",
            "class weights in the loss: 'balanced' (C_k = C·n/(K·n_k)) or a table per class",
            {"weights": "balanced"},
        ),
        StrategyEntry(
            "oversample",
            "random oversampling of minority classes (inside training folds)",
            {"ratio": 1.0},
            adds_rows=True,
        ),
        StrategyEntry(
            "smote",
            "SMOTE on numeric features, SMOTENC when categoricals are present",
            {"ratio": 1.0, "k_neighbors": 5},
            adds_rows=True,
        ),
        StrategyEntry(
            "undersample", "random undersampling of the majority class (inside training folds)", {"ratio": 1.0}
        ),
    ]
}


def _smote(p: dict, class_counts: dict, fold_counts: dict, strategy, n_categorical: int, n_numeric: int,
           holdout: float, seed: int) -> RebalancePlan:  # fmt: skip
    """SMOTE on numbers, SMOTEN on categories alone, SMOTENC on both, with ``k_neighbors`` lowered to what the
    smallest minority class of a training fold allows."""
    notes: list[str] = []
    # SMOTE family: k_neighbors must be below the smallest minority class the sampler sees in a fold
    # (a stratified holdout may take one row more than its share of a class: counted conservatively).
    majority = max(class_counts, key=lambda c: class_counts[c])
    smallest = min(n for c, n in fold_counts.items() if c != majority)
    where = "per training fold"
    if holdout:
        smallest = max(1, smallest - math.ceil(holdout * smallest) - 1)
        where += " once the classifier's early-stopping slice is held out"
    k = p["k_neighbors"]
    if smallest < 2:
        raise DataError(
            f"smote needs at least 2 rows of every minority class {where}; the smallest has ~{smallest}: "
            "use 'oversample' or 'class_weight', or fewer --folds"
        )
    if k >= smallest:
        notes.append(
            f"smote: k_neighbors lowered from {k} to {smallest - 1} (smallest minority class has ~{smallest} rows {where})"
        )
        k = smallest - 1
    if n_categorical == 0:
        sampler = SMOTE(sampling_strategy=strategy, k_neighbors=k, random_state=seed)
    elif n_numeric == 0:
        sampler = SMOTEN(sampling_strategy=strategy, k_neighbors=k, random_state=seed)
        notes.append("smote: all features categorical, using SMOTEN")
    else:
        sampler = SMOTENC(
            categorical_features=list(range(n_categorical)),
            # imbalanced-learn's default encoder (handle_unknown="ignore", float64 as the prepared features are),
            # decoding in dense row blocks: the same rows, SMOTENC 2.3× faster (benchmarks/bench_smote.py)
            categorical_encoder=RowBlockOneHotEncoder(handle_unknown="ignore"),
            sampling_strategy=strategy,
            k_neighbors=k,
            random_state=seed,
        )
        notes.append(f"smote: {n_categorical} categorical feature(s) present, using SMOTENC")
    return RebalancePlan(sampler=sampler, notes=notes)


def effective_counts(strategy: str, params: dict, class_counts: dict) -> dict | None:
    """The class mass a classifier trained under this strategy effectively sees.

    ``class_weight``: n_k · w_k; random over/undersampling and SMOTE: the class
    sizes after resampling (synthetic rows count as rows of their class); ``none``:
    the counts themselves. The ratio true prior / effective prior is the
    prior-shift correction of the classifier's probabilities.

    >>> effective_counts("class_weight", {}, {"view": 900, "click": 100})
    {'view': 500.0, 'click': 500.0}
    """
    entry = STRATEGIES[strategy]
    p = {**entry.defaults, **params}
    counts = {str(c): float(n) for c, n in class_counts.items()}
    if strategy == "none":
        return counts
    if strategy == "class_weight":
        w = p["weights"]
        if w == "balanced":
            total, k = sum(counts.values()), len(counts)
            return {c: n * total / (k * n) if n else 0.0 for c, n in counts.items()}
        return {c: n * float(w.get(c, 1.0)) for c, n in counts.items()}
    kind = "under" if strategy == "undersample" else "over"
    after = dict(counts)
    after.update({str(c): float(n) for c, n in RatioStrategy(kind, _ratio(p, "strategy")).targets(counts).items()})
    return after


def prior_ratio(classes: list[str], true_counts: dict, effective: dict | None) -> np.ndarray | None:
    """π_k / π̂_k per class, or None when the effective priors are unknown."""
    if effective is None:
        return None
    t = np.array([float(true_counts.get(c, 0.0)) for c in classes])
    e = np.array([float(effective.get(c, 0.0)) for c in classes])
    if t.sum() <= 0 or e.sum() <= 0 or np.any((e == 0) & (t > 0)):
        return None
    with np.errstate(divide="ignore", invalid="ignore"):
        r = (t / t.sum()) / (e / e.sum())
    return np.nan_to_num(r, nan=0.0, posinf=0.0)
