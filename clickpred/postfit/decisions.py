"""Decision rules on (corrected) class probabilities, tuned on out-of-fold predictions.

A rule turns an n × K probability matrix into one class per row:

- ``auto`` (the default): per minority class k the threshold t_k that maximises
  its F1 on the out-of-fold rows (rarest class first, each on the rows a rarer
  class did not take); a row goes to the rarest class whose threshold it
  passes, else to the majority class. Corrected probabilities of a 0.2% class
  rarely reach 0.5, so argmax never predicts it; this rule does whenever the
  model ranks it at all;
- ``argmax``: the most probable class;
- ``cost`` (with a cost matrix, true class × predicted class): the class of minimum
  expected cost, Σ_k p_k · C[k, j], with one threshold per minority class tuned
  to minimise the realised cost (starting from the untuned Bayes thresholds, and
  kept only when they beat them by more than two paired standard errors);
- ``recall:click=0.8,...``: per minority class k a threshold t_k, the highest
  meeting its target (fewest false alarms); a row goes to the rarest class whose
  threshold it passes (conversion before click), else to the majority class.
  Classes without a target keep t = 0.5;
- ``top:K%``: flag the K% of rows most likely to be any minority class
  (1 − p_majority above a threshold set on the training rows), as their most
  probable minority class.

Thresholds are fitted on all out-of-fold rows for the saved model;
:func:`cross_fitted` refits them without each fold in turn and applies them to
that fold, so the metrics under the rule are honest and the spread of the
thresholds across folds shows how stable they are.

Example
-------
>>> import numpy as np
>>> rule = parse_rule("top:50%", ["view", "click"])
>>> p = np.array([[0.9, 0.1], [0.6, 0.4], [0.8, 0.2], [0.3, 0.7]])
>>> rule.fit(p, np.array(["view", "click", "view", "click"])).predict(p).tolist()
['view', 'click', 'view', 'click']
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from ..errors import ConfigError

MAX_COST = 1e12  # per cell: mean costs over millions of rows stay finite
KINDS = ("auto", "argmax", "cost", "recall", "top")
DEFAULT = "auto"
SKILL_REPLICATES = 200  # bootstrap replicates behind the interval that decides whether auto flags a class


def has_skill(ranked) -> bool:
    """Whether a class's ranking is distinguishable from no skill: the lower end of the 95% bootstrap interval of
    its PR-AUC (:class:`~clickpred.evaluation.intervals.RankedScores`) above its prevalence — what ``auto`` asks
    before flagging a class. The interval, not the point estimate: with 35 conversions a PR-AUC of twice the
    prevalence is noise as often as not, while a PR-AUC of 1 on 40 rows is skill however rare the class."""
    n_pos = int(np.sum(ranked.pos))
    if n_pos == 0:
        return False
    low, _ = ranked.bootstrap_interval(SKILL_REPLICATES, seed=0)
    return bool(low > n_pos / len(ranked.pos))


RULES_HELP = "auto, argmax, cost, recall:CLASS=R[,CLASS=R] or top:K%"


def load_costs(path: str | Path, classes: list[str]) -> np.ndarray:
    """Read a cost matrix from TOML: ``[costs.<true class>] <predicted class> = cost``.

    Unlisted cells cost 0. A value (a gain) is a negative cost.

    Example file::

        [costs.conversion]
        view = 50      # a missed conversion costs 50
        [costs.click]
        view = 5
        [costs.view]
        click = 1      # a false click alarm costs 1
        conversion = 1
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"--costs {path}: file not found")
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"--costs {path}: malformed TOML: {exc}") from None
    table = doc.get("costs")
    if not isinstance(table, dict) or set(doc) - {"costs"}:
        raise ConfigError(
            f"{path}: expected only [costs.<true class>] tables, e.g. [costs.{classes[-1]}] {classes[0]} = 50"
        )
    C = np.zeros((len(classes), len(classes)))
    for true, row in table.items():
        if true not in classes:
            raise ConfigError(f"{path}: costs.{true}: no class '{true}' in the data; classes: {', '.join(classes)}")
        if not isinstance(row, dict):
            raise ConfigError(f"{path}: costs.{true} must be a table of <predicted class> = cost")
        for pred, v in row.items():
            if pred not in classes:
                raise ConfigError(
                    f"{path}: costs.{true}.{pred}: no class '{pred}' in the data; classes: {', '.join(classes)}"
                )
            if not isinstance(v, (int, float)) or isinstance(v, bool) or not math.isfinite(v):
                raise ConfigError(f"{path}: costs.{true}.{pred} must be a number, got {v!r}")
            if abs(v) > MAX_COST:
                raise ConfigError(
                    f"{path}: costs.{true}.{pred} = {v:g} is beyond ±{MAX_COST:g}: rescale the matrix "
                    "(decisions depend only on its ratios)"
                )
            C[classes.index(true), classes.index(pred)] = float(v)
    if not np.any(C - C.min(axis=1, keepdims=True)):
        raise ConfigError(f"{path}: every decision costs the same for every true class: nothing to decide")
    return C


@dataclass
class DecisionRule:
    """A decision rule over classes (majority first); ``thresholds`` are fitted."""

    kind: str
    classes: list[str]
    costs: np.ndarray | None = None
    targets: dict[str, float] = field(default_factory=dict)
    top: float | None = None
    thresholds: dict[str, float] = field(default_factory=dict)

    @property
    def label(self) -> str:
        if self.kind == "recall":
            return "recall:" + ",".join(f"{c}={t:g}" for c, t in self.targets.items())
        if self.kind == "top":
            return f"top:{(self.top or 0.0) * 100:g}%"
        return self.kind

    @property
    def regret(self) -> np.ndarray:
        """The cost matrix as the rule decides with it: each true class's row shifted so that its cheapest
        decision costs 0, then scaled to a largest entry of 1. Expected-cost decisions are invariant to both
        (a gain is a negative cost; adding a constant to a row or multiplying the matrix by a positive
        number changes no decision), and the numbers stay far from overflow."""
        C = np.asarray(self.costs, dtype=float)
        R = C - C.min(axis=1, keepdims=True)
        top = R.max()
        return R / top if top > 0 else R

    # --- applying -------------------------------------------------------
    def predict(self, P: np.ndarray) -> np.ndarray:
        """Predicted class labels."""
        return np.asarray(self.classes)[self.predict_index(P)]

    def predict_index(self, P: np.ndarray) -> np.ndarray:
        """Predicted class indices (into ``classes``)."""
        P = np.asarray(P, dtype=float)
        if self.kind == "argmax":
            return np.argmax(P, axis=1)
        if self.kind == "cost":
            return self._cost_choice(P, self.thresholds)
        if self.kind in ("recall", "auto"):
            return _threshold_choice(P, self._t_vector(self.thresholds))
        flagged = 1.0 - P[:, 0] >= self.thresholds["any"]
        out = np.zeros(len(P), dtype=np.int64)
        if P.shape[1] > 1:
            out[flagged] = 1 + np.argmax(P[flagged, 1:], axis=1)
        return out

    def _t_vector(self, thresholds: dict) -> np.ndarray:
        return np.array([np.inf] + [thresholds.get(c, 0.5) for c in self.classes[1:]])

    def _offsets(self, thresholds: dict) -> np.ndarray:
        """Cost offsets b_j such that class j beats the majority when p_j ≥ t_j (others 0)."""
        C = self.regret
        b = np.zeros(len(self.classes))
        for j, c in enumerate(self.classes[1:], start=1):
            d = C[0, j] - C[0, 0] + C[j, 0] - C[j, j]
            if d > 0 and c in thresholds:
                b[j] = (C[0, j] - C[0, 0]) - thresholds[c] * d
            else:
                b[j] = -np.inf  # predicting j never pays
        return b

    def _cost_choice(self, P: np.ndarray, thresholds: dict) -> np.ndarray:
        expected = P @ self.regret - self._offsets(thresholds)
        return np.argmin(expected, axis=1)

    def bayes_thresholds(self) -> dict[str, float]:
        """Thresholds of the untuned minimum-expected-cost rule (calibrated probabilities)."""
        C = self.regret
        out = {}
        for j, c in enumerate(self.classes[1:], start=1):
            d = C[0, j] - C[0, 0] + C[j, 0] - C[j, j]
            if d > 0:
                out[c] = float((C[0, j] - C[0, 0]) / d)
        return out

    def _index(self, labels) -> np.ndarray:
        labels = np.asarray(labels).astype(str)
        names = np.asarray(self.classes)
        order = np.argsort(names)
        return order[np.searchsorted(names[order], labels)]

    def row_costs(self, y: np.ndarray, pred: np.ndarray) -> np.ndarray:
        """The cost of each row's prediction (needs a cost matrix)."""
        assert self.costs is not None
        return self.costs[self._index(y), self._index(pred)]

    def realised_cost(self, y: np.ndarray, pred: np.ndarray) -> float:
        """Mean cost per row of these predictions (needs a cost matrix)."""
        return float(self.row_costs(y, pred).mean())

    def cost_summary(self, y: np.ndarray, pred: np.ndarray, P: np.ndarray) -> dict[str, float]:
        """Mean cost per row of ``pred`` beside argmax of ``P``, flagging nothing, and (cost rule)
        the untuned Bayes thresholds."""
        names = np.asarray(self.classes)
        out = {
            "rule": self.realised_cost(y, pred),
            "argmax": self.realised_cost(y, names[np.argmax(P, axis=1)]),
            "nothing_flagged": self.realised_cost(y, np.full(len(y), self.classes[0])),
        }
        if self.kind == "cost":
            out["bayes_untuned"] = self.realised_cost(y, names[self._cost_choice(P, self.bayes_thresholds())])
        return out

    # --- fitting ----------------------------------------------------------
    def fit(self, P: np.ndarray, y: np.ndarray) -> "DecisionRule":
        """Tune the thresholds on out-of-fold probabilities ``P`` with labels ``y``."""
        P = np.asarray(P, dtype=float)
        y = np.asarray(y).astype(str)
        if self.kind == "argmax":
            t = {}
        elif self.kind == "top":
            assert self.top is not None
            t = {"any": float(np.quantile(1.0 - P[:, 0], 1.0 - self.top, method="higher"))}
        elif self.kind == "recall":
            t = self._fit_recall(P, y)
        elif self.kind == "auto":
            t = self._fit_f1(P, y)
        else:
            t = self._fit_cost(P, y)
        return replace(self, thresholds=t)

    def _fit_recall(self, P, y):
        # Rarest class first: its threshold alone decides its recall, then the next one's.
        t = {c: 0.5 for c in self.classes[1:]}
        for c in reversed(self.classes[1:]):
            if c not in self.targets:
                continue
            k = self.classes.index(c)
            pos = y == c
            cands = np.unique(P[pos, k])[::-1]  # highest first: fewest flags
            lo, hi = 0, len(cands) - 1
            best = cands[-1] if len(cands) else 0.0  # unreachable target: the most recall there is
            while lo <= hi:  # recall falls as the threshold rises: the highest that meets the target
                mid = (lo + hi) // 2
                trial = dict(t, **{c: float(cands[mid])})
                rec = np.mean(_threshold_choice(P[pos], self._t_vector(trial)) == k)
                if rec >= self.targets[c]:
                    best, hi = cands[mid], mid - 1
                else:
                    lo = mid + 1
            t[c] = float(best)
        return t

    def _fit_f1(self, P, y):
        """Per minority class, rarest first, the threshold of highest F1 among the rows no rarer class took
        (recall counted over all the class's rows). A class the model has no skill for (:func:`has_skill`: its
        PR-AUC's interval reaches down to its prevalence), or with no true positive at any threshold, gets
        threshold 1: flagged only at certainty, so that it does not take rows from the others."""
        from ..evaluation.intervals import RankedScores

        t: dict[str, float] = {}
        taken = np.zeros(len(y), dtype=bool)
        for c in reversed(self.classes[1:]):
            k = self.classes.index(c)
            is_c = y == c
            n_pos = int(np.sum(is_c))
            # One stable sort of every row serves the skill check (all rows) and the F1 (the free rows, which keep
            # their order in it: the stable sort of the free rows alone).
            every = np.argsort(-P[:, k], kind="stable")
            order = every[~taken[every]]
            s_sorted = P[order, k]
            tp = np.cumsum(is_c[order])
            last = np.r_[s_sorted[1:] != s_sorted[:-1], True]  # a threshold flags every tied row
            flagged = np.arange(1, len(order) + 1)[last]
            f1 = 2.0 * tp[last] / (flagged + n_pos) if n_pos else np.zeros(int(last.sum()))
            skilled = has_skill(RankedScores(is_c, P[:, k], order=every))
            if not skilled or not len(f1) or f1.max() <= 0:
                t[c] = 1.0
            else:
                t[c] = float(s_sorted[last][int(np.argmax(f1))])
            taken |= P[:, k] >= t[c]
        return t

    def _fit_cost(self, P, y):
        yi = self._index(y)
        R = self.regret  # shifted and scaled: the same choices, and the same order of mean costs, as the matrix
        E = P @ R  # expected cost of each decision, per row

        def cost(th):
            return float(R[yi, np.argmin(E - self._offsets(th), axis=1)].mean())

        bayes = t = self.bayes_thresholds()
        best = cost(t)
        for _ in range(2):
            for c in list(t):
                k = self.classes.index(c)
                grid = np.unique(
                    np.concatenate(
                        [
                            t[c] * np.geomspace(1 / 16, 16, 33),
                            np.quantile(P[:, k], np.linspace(0.5, 1.0, 101)),
                        ]
                    )
                )
                grid = grid[(grid > 0) & (grid <= 1)]
                for g in grid:
                    trial = dict(t, **{c: float(g)})
                    value = cost(trial)
                    if value < best - 1e-12:
                        best, t = value, trial
        # Keep the tuned thresholds only if they beat the Bayes ones by more than noise (paired,
        # two standard errors): with a few dozen positives, tuning mostly fits the folds' luck.
        per_row = lambda th: R[yi, np.argmin(E - self._offsets(th), axis=1)]  # noqa: E731
        d = per_row(bayes) - per_row(t)
        if d.mean() <= 2 * d.std(ddof=1) / np.sqrt(len(d)):
            return dict(bayes)
        return t

    # --- storing ----------------------------------------------------------
    def to_dict(self) -> dict:
        return {
            "kind": self.kind,
            "label": self.label,
            "classes": list(self.classes),
            "costs": None if self.costs is None else self.costs.tolist(),
            "targets": dict(self.targets),
            "top": self.top,
            "thresholds": dict(self.thresholds),
        }

    @classmethod
    def from_dict(cls, d: dict) -> "DecisionRule":
        return cls(
            kind=d["kind"],
            classes=list(d["classes"]),
            costs=None if d.get("costs") is None else np.asarray(d["costs"], dtype=float),
            targets=dict(d.get("targets") or {}),
            top=d.get("top"),
            thresholds=dict(d.get("thresholds") or {}),
        )


def _threshold_choice(P: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Class index per row: the rarest class (last column first) with p_k ≥ t_k, else 0."""
    out = np.zeros(len(P), dtype=int)
    for k in range(1, P.shape[1]):  # later (rarer) classes overwrite earlier ones
        out[P[:, k] >= t[k]] = k
    return out


_RECALL = re.compile(r"^\s*([^=,\s]+)\s*=\s*([0-9.]+)\s*$")


def check_rule_text(text: str | None, costs_path: str | Path | None = None) -> None:
    """Everything about a rule that can be checked before the data (and its classes) are read."""
    text = (text or DEFAULT).strip()
    kind, _, arg = text.partition(":")
    where = f"--decision {text}"
    if kind not in KINDS:
        raise ConfigError(f"{where}: expected one of {RULES_HELP}")
    if kind in ("auto", "argmax", "cost") and arg:
        raise ConfigError(f"{where}: '{kind}' takes no argument; expected one of {RULES_HELP}")
    if kind == "cost" and costs_path is None:
        raise ConfigError(f"{where}: needs --costs FILE (a TOML cost matrix, true class × predicted class)")
    if costs_path is not None and not Path(costs_path).is_file():
        raise ConfigError(f"--costs {costs_path}: file not found")
    if kind == "top":
        m = re.fullmatch(r"\s*([0-9.]+)\s*%\s*", arg)
        try:
            k = float(m.group(1)) if m else -1.0
        except ValueError:
            k = -1.0
        if not 0 < k < 100:
            raise ConfigError(f"{where}: expected top:K% with 0 < K < 100, e.g. top:5%")
    if kind == "recall":
        parts = [p for p in arg.split(",") if p]
        if not parts:
            raise ConfigError(f"{where}: name at least one target, e.g. recall:click=0.8")
        for part in parts:
            m = _RECALL.match(part)
            if not m:
                raise ConfigError(f"{where}: expected recall:CLASS=R[,CLASS=R], e.g. recall:click=0.8")
            try:
                r = float(m.group(2))
            except ValueError:
                r = -1.0
            if not 0 < r <= 1:
                raise ConfigError(f"{where}: recall target for '{m.group(1)}' must be in (0, 1], got {m.group(2)}")


def parse_rule(text: str, classes: list[str], costs_path: str | Path | None = None) -> DecisionRule:
    """``auto`` | ``argmax`` | ``cost`` (with ``costs_path``) | ``recall:CLASS=R,...`` | ``top:K%``."""
    text = (text or DEFAULT).strip()
    check_rule_text(text, costs_path)  # the syntax and ranges; what is left to check needs the classes
    kind, _, arg = text.partition(":")
    costs = load_costs(costs_path, classes) if costs_path is not None else None
    if kind in ("auto", "argmax", "cost"):
        return DecisionRule(kind, classes, costs=costs)
    if kind == "top":
        return DecisionRule(
            "top", classes, costs=costs, top=float(_matched(re.fullmatch(r"\s*([0-9.]+)\s*%\s*", arg)).group(1)) / 100
        )
    targets = {}
    for part in filter(None, arg.split(",")):
        c, r = _matched(_RECALL.match(part)).groups()
        if c not in classes[1:]:
            raise ConfigError(
                f"--decision {text}: '{c}' is not a minority class; minority classes: {', '.join(classes[1:])}"
            )
        targets[c] = float(r)
    return DecisionRule("recall", classes, costs=costs, targets=targets)


@dataclass
class CrossFitted:
    """A rule evaluated honestly: predictions of each fold come from thresholds tuned without it."""

    rule: DecisionRule  # tuned on all rows: the one to save
    predictions: np.ndarray
    fold_thresholds: list[dict]

    def spread(self) -> dict[str, dict[str, float]]:
        out = {}
        for key in self.rule.thresholds:
            vals = np.array([f[key] for f in self.fold_thresholds if key in f])
            if len(vals):
                mid = float(np.median(vals))
                out[key] = {
                    "min": float(vals.min()),
                    "max": float(vals.max()),
                    "median": mid,
                    "relative_spread": float((vals.max() - vals.min()) / mid) if mid > 0 else float("inf"),
                }
        return out


UNSTABLE_SPREAD = 0.5  # thresholds across folds spanning more than ±25% of their median


def cross_fitted(rule: DecisionRule, P: np.ndarray, y: np.ndarray, fold_of: np.ndarray) -> CrossFitted:
    y = np.asarray(y).astype(str)
    pred = np.empty(len(y), dtype=object)
    per_fold = []
    for f in np.unique(fold_of):
        te = fold_of == f
        fitted = rule.fit(P[~te], y[~te])
        per_fold.append(fitted.thresholds)
        pred[te] = fitted.predict(P[te])
    return CrossFitted(rule.fit(P, y), pred.astype(str), per_fold)


def _matched(m: "re.Match[str] | None") -> "re.Match[str]":
    """A match :func:`check_rule_text` has already made sure of."""
    assert m is not None
    return m
