"""Which columns drive each rare class: permutation importance on out-of-fold PR-AUC.

For every original column, each fold's model scores its own held-out rows again with that column's values
shuffled among those rows (once per column: about one extra pass of scoring the out-of-fold rows per column);
the importance of the column to a class is how much that class's PR-AUC (average precision) drops. A cross
(``app_x_channel``) is recomputed from the shuffled column, so a column's figure includes what it gives through
its crosses; each cross is also listed as itself (the pair's values shuffled together). The interval is a 95%
t interval of the mean drop over the folds: a column whose interval reaches 0 is not distinguishable from noise.

What it cannot tell: a column that shares its signal with another (``app`` and ``site``) loses little when
shuffled alone, as the other still carries the signal — a small drop means "not needed given the rest", not "no
signal"; and a drop is not a causal effect.

Example
-------
>>> from clickpred.io.schema import Column, Schema
>>> s = Schema("y", ["view", "click"], [Column("site", "categorical", 3, 0), Column("bid", "numeric", 9, 0)])
>>> [g.name for g in plan(s, seed=0).groups]
['site', 'bid']
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .intervals import CONFIDENCE, RankedScores

MAX_COLUMNS = 60  # columns (and crosses) measured; on wider data the rest are skipped, and the report says which


@dataclass(frozen=True)
class Group:
    """One entry of the importance table: the column shuffled, and the crosses recomputed from it."""

    name: str
    kind: str  # "column" or "cross"
    of: tuple[str, ...] = ()  # a cross: the two columns it pairs


@dataclass(frozen=True)
class Plan:
    """What a cross-validation measures importance of (:func:`plan`)."""

    groups: list[Group]
    crosses: dict[str, tuple[str, str]]  # every cross a fold may hold → its pair
    seed: int
    skipped: list[str] = field(default_factory=list)


def plan(schema, seed: int, extra_crosses: dict | None = None, max_columns: int = MAX_COLUMNS) -> Plan:
    """The columns of ``schema`` (its input columns, then its crosses) in the order they are measured; beyond
    ``max_columns`` the rest are skipped. ``extra_crosses``: crosses some fold chose that ``schema`` does not
    hold (``crosses = "auto"`` decided per fold), recomputed when their columns are shuffled."""
    groups = [Group(c.name, "column") for c in schema.features if not c.of]
    groups += [Group(c.name, "cross", tuple(c.of)) for c in schema.features if c.of]
    crosses = {c.name: (c.of[0], c.of[1]) for c in schema.features if c.of}
    crosses.update(extra_crosses or {})
    return Plan(groups[:max_columns], crosses, int(seed), [g.name for g in groups[max_columns:]])


def shuffled(X, group: Group, crosses: dict, rng: np.random.Generator):
    """``X`` (held-out rows) with the group's column shuffled among its rows; crosses of a shuffled column
    recomputed from it, as reading the data computes them. A column the fold does not hold: None."""
    import pandas as pd  # here: `clickpred info` reads importance records through this module (top) without it

    from ..io.crosses import cross_values

    if group.name not in X.columns:
        return None
    order = rng.permutation(len(X))
    out = X.copy(deep=False)  # copy-on-write: the other columns are shared, X is left as it is
    column = X[group.name]  # shuffled in its own dtype (a column of objects is not re-inferred as strings)
    out[group.name] = pd.Series(column.to_numpy()[order], index=X.index, dtype=column.dtype, copy=False)
    for name in sorted(changed_columns(group, crosses) - {group.name}):  # each from its pair: order is free
        if name in out.columns:
            a, b = crosses[name]
            out[name] = cross_values(out[a].to_numpy(dtype=object), out[b].to_numpy(dtype=object))
    return out


def changed_columns(group: Group, crosses: dict) -> set[str]:
    """The columns :func:`shuffled` changes for a group: the column and the crosses recomputed from it, or the
    cross itself."""
    if group.kind != "column":
        return {group.name}
    return {group.name} | {name for name, (a, b) in crosses.items() if group.name in (a, b)}


def fold_drops(score, X, y: np.ndarray, base: np.ndarray, classes: list[str], plan: Plan, fold: int) -> np.ndarray:
    """groups × classes: the drop of each class's PR-AUC on these held-out rows (``X``, scored ``base`` by the
    fold's model, whose scores of other rows ``score(rows, changed)`` gives — ``changed``: the columns in which
    they differ from ``X`` —, columns in ``classes`` order) when the group is shuffled (nan where the rows hold one
    side of the class only; 0 for a column this fold's model does not read; the majority class, ``classes[0]``, is
    not measured)."""
    out = np.full((len(plan.groups), len(classes)), np.nan)
    truth = [np.asarray(y) == c for c in classes]
    measured = [k for k in range(1, len(classes)) if 0 < truth[k].sum() < len(y)]
    before = {k: RankedScores(truth[k], base[:, k]).average_precision() for k in measured}
    for g, group in enumerate(plan.groups):
        rng = np.random.default_rng([plan.seed, fold, g])
        changed = shuffled(X, group, plan.crosses, rng)
        if changed is None:
            out[g, measured] = 0.0
            continue
        scores = score(changed, changed_columns(group, plan.crosses))
        for k in measured:
            out[g, k] = before[k] - RankedScores(truth[k], scores[:, k]).average_precision()
    return out


def summarize(drops: list[np.ndarray], plan: Plan, classes: list[str], confidence: float = CONFIDENCE) -> list[dict]:
    """The importance records (one per group × minority class, the largest drop first within each class): the
    mean drop over folds and its t interval; ``distinguishable``: the interval lies above 0."""
    from scipy.stats import t as student

    stacked = np.stack(drops)  # folds × groups × classes
    records = []
    for k, c in enumerate(classes):
        if k == 0:
            continue
        rows: list[dict] = []
        for g, group in enumerate(plan.groups):
            d = stacked[:, g, k]
            d = d[~np.isnan(d)]
            if not len(d):
                continue
            mean = float(d.mean())
            if len(d) > 1:
                half = float(student.ppf(0.5 + confidence / 2, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d)))
            else:
                half = float("nan")
            low, high = mean - half, mean + half
            rows.append(
                {
                    "column": group.name,
                    "class": c,
                    "kind": group.kind,
                    "of": list(group.of),
                    "pr_auc_drop": mean,
                    "low": low,
                    "high": high,
                    "distinguishable": bool(low > 0),
                    "folds": int(len(d)),
                }
            )
        records += sorted(rows, key=lambda r: (-float(r["pr_auc_drop"]), str(r["column"])))
    return records


def top(records: list[dict], n: int = 5) -> dict[str, list[dict]]:
    """Per class, the ``n`` columns whose shuffling costs the most PR-AUC."""
    out: dict[str, list[dict]] = {}
    for r in records:
        if len(out.setdefault(r["class"], [])) < n:
            out[r["class"]].append(r)
    return out
