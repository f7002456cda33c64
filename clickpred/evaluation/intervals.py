"""Bootstrap confidence intervals and paired comparisons for PR-AUC (average precision) and per-row costs.

With 0.2% positives a 100k-row file holds ~200 clicks, and the PR-AUCs of two
strategies often differ by less than the noise. The interval of a candidate
comes from resampling rows of its out-of-fold predictions; the comparison of
two candidates resamples the *same* rows for both (they were scored on the
same folds), so their difference has its own, much tighter, interval.

Average precision over thousands of bootstrap replicates would mean
thousands of sorts with :func:`sklearn.metrics.average_precision_score`;
:class:`RankedScores` sorts once and computes the weighted average precision
of any replicate in O(n) with the same tie handling (a test checks it equals
scikit-learn's ``average_precision_score(..., sample_weight=w)``).

Example
-------
>>> import numpy as np
>>> y = np.array([0, 0, 1, 0, 1, 0, 0, 1])
>>> s = np.array([.1, .2, .9, .3, .35, .4, .05, .8])
>>> round(RankedScores(y, s).average_precision(), 4)
0.9167
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CONFIDENCE = 0.95


class RankedScores:
    """Binary labels and scores, sorted once for fast weighted average precision."""

    def __init__(self, y_true, scores, order=None):
        """``order``: the rows by decreasing score, ties in row order (a stable sort), when the caller has it."""
        if order is None:
            order = np.argsort(-np.asarray(scores, dtype=float), kind="stable")
        s = np.asarray(scores, dtype=float)[order]
        self.order = order
        self.pos = np.asarray(y_true)[order].astype(float)
        # last index of each group of tied scores: thresholds are the distinct scores
        self.ends = np.flatnonzero(np.r_[s[1:] != s[:-1], True])
        self._buckets = None

    def _sorted_buckets(self) -> tuple[np.ndarray, int]:
        """Each sorted position's bucket: the first group of tied scores holding a positive at or after it (``m``,
        the number of such groups, for the positions after the last one), and ``m``."""
        n = len(self.pos)
        group = np.zeros(n, dtype=np.int64)
        group[self.ends[:-1] + 1] = 1
        group = np.cumsum(group)  # group of tied scores of each sorted position
        relevant = np.unique(group[self.pos > 0])
        return np.searchsorted(relevant, group, side="left"), len(relevant)

    def bootstrap_interval(
        self, replicates: int = 200, seed: int = 0, confidence: float = CONFIDENCE
    ) -> tuple[float, float]:
        """A percentile interval of the average precision under the row bootstrap, drawn without drawing rows.

        Average precision depends on a replicate's weights only through, per group of tied scores holding a
        positive, the weight of its positive rows and of the other rows since the previous such group. Those
        sums of a multinomial draw of the rows are themselves multinomial over the groups, so one draw per
        replicate over about twice as many cells as there are positives gives the same distribution as weighing
        every row: a fraction of a millisecond where :meth:`average_precisions` takes a second on 200k rows."""
        n = len(self.pos)
        bucket, m = self._sorted_buckets()
        if m == 0:
            return float("nan"), float("nan")
        positives = np.bincount(bucket[self.pos > 0], minlength=m)[:m]
        everyone = np.bincount(bucket, minlength=m + 1)
        cells = np.empty(2 * m + 1)
        cells[0 : 2 * m : 2], cells[1 : 2 * m : 2], cells[-1] = positives, everyone[:m] - positives, everyone[m]
        draws = np.random.default_rng(seed).multinomial(n, cells / n, size=replicates).astype(float)
        tp = np.cumsum(draws[:, 0 : 2 * m : 2], axis=1)
        seen = np.cumsum(draws[:, 0 : 2 * m : 2] + draws[:, 1 : 2 * m : 2], axis=1)
        precision = np.divide(tp, seen, out=np.zeros_like(tp), where=seen > 0)
        step = np.diff(tp, axis=1, prepend=0.0)
        total = tp[:, -1]
        ap = np.sum(step * precision, axis=1)[total > 0] / total[total > 0]
        alpha = (1 - confidence) / 2
        lo, hi = np.quantile(ap, [alpha, 1 - alpha]) if len(ap) else (np.nan, np.nan)
        return float(lo), float(hi)

    def _bucket_matrices(self):
        """A one-hot map (rows in input order × the groups of tied scores holding a positive) of every row to the
        first such group at or after its own: ``seen`` at a group sums the weights of the rows mapped to it and to
        the groups before (rows after the last such group count for no threshold that moves recall: no column);
        and the positive rows' indices and their part of the map (``tp``). Built once."""
        if self._buckets is None:
            from scipy import sparse

            n = len(self.pos)
            bucket, m = self._sorted_buckets()  # sorted position → first relevant group ≥ it
            rows = np.empty(n, dtype=np.int64)
            rows[self.order] = np.arange(n)  # input row → sorted position
            b = bucket[rows]
            keep = np.flatnonzero(b < m)
            seen = sparse.csr_matrix((np.ones(len(keep)), (keep, b[keep])), shape=(n, m))
            positive = np.flatnonzero(self.pos[rows] > 0)
            self._buckets = (seen, positive, sparse.csr_matrix(seen[positive]))
        return self._buckets

    def average_precisions(self, weights: np.ndarray) -> np.ndarray:
        """:meth:`average_precision` of each row of ``weights`` (replicates × rows, rows in input order) at once:
        only the groups of tied scores holding a positive can move recall, so each replicate needs the weights
        summed per such group — a sparse product, not a sort or a cumulative sum over every row."""
        seen_map, positive, tp_map = self._bucket_matrices()
        w = np.asarray(weights, dtype=float)
        tp = np.cumsum(w[:, positive] @ tp_map, axis=1)
        seen = np.cumsum(w @ seen_map, axis=1)
        total = tp[:, -1] if tp.shape[1] else np.zeros(len(w))
        precision = np.divide(tp, seen, out=np.zeros_like(tp), where=seen > 0)
        step = np.diff(tp, axis=1, prepend=0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            ap = np.sum(step * precision, axis=1) / total
        ap[~(total > 0)] = np.nan
        return ap

    def roc_auc(self) -> float:
        """Area under the ROC curve (scikit-learn's ``roc_auc_score``: one point per distinct score, trapezoids
        between them, so tied scores count half); nan without positives or without negatives."""
        tp = np.cumsum(self.pos)[self.ends]
        fp = (self.ends + 1) - tp
        if len(tp) == 0 or tp[-1] <= 0 or fp[-1] <= 0:
            return float("nan")
        tpr, fpr = np.r_[0.0, tp] / tp[-1], np.r_[0.0, fp] / fp[-1]
        return float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1])) / 2)

    def pr_curve(self) -> tuple[np.ndarray, np.ndarray]:
        """Precision and recall at every distinct score, as scikit-learn's ``precision_recall_curve`` returns them
        (recall decreasing, ending at precision 1, recall 0; recall 1 everywhere without positives)."""
        tp = np.cumsum(self.pos)[self.ends]
        precision = tp / (self.ends + 1)
        recall = tp / tp[-1] if len(tp) and tp[-1] > 0 else np.ones_like(tp)
        return np.r_[precision[::-1], 1.0], np.r_[recall[::-1], 0.0]

    def hits_at(self, counts) -> list[int]:
        """Positives among the first ``count`` rows by score, for each count (ties in row order)."""
        hits = np.cumsum(self.pos)
        return [int(hits[count - 1]) for count in counts]

    def average_precision(self, weights=None) -> float:
        w = np.ones(len(self.pos)) if weights is None else np.asarray(weights, dtype=float)[self.order]
        tp = np.cumsum(w * self.pos)[self.ends]
        seen = np.cumsum(w)[self.ends]
        total = tp[-1] if len(tp) else 0.0
        if total <= 0:
            return float("nan")
        precision = np.divide(tp, seen, out=np.zeros_like(tp), where=seen > 0)
        recall_step = np.diff(np.r_[0.0, tp]) / total
        return float(np.sum(recall_step * precision))


@dataclass
class Interval:
    estimate: float
    low: float
    high: float

    def to_dict(self) -> dict:
        return {"estimate": self.estimate, "low": self.low, "high": self.high}


@dataclass
class PairedDifference:
    """How much better the best is than a candidate (best − candidate; candidate − best for a cost),
    on the same resampled rows."""

    difference: float
    low: float
    high: float
    share_candidate_better: float  # share of replicates where the candidate beats the best

    @property
    def distinguishable(self) -> bool:
        return self.low > 0

    def to_dict(self) -> dict:
        return {
            "difference": self.difference,
            "low": self.low,
            "high": self.high,
            "share_candidate_better": self.share_candidate_better,
            "distinguishable": self.distinguishable,
        }


def bootstrap_weights(n: int, replicates: int, seed: int):
    """Row multiplicities of each bootstrap replicate (rows drawn with replacement), one at a time."""
    rng = np.random.default_rng(seed)
    for _ in range(replicates):
        yield np.bincount(rng.integers(0, n, n), minlength=n)


BATCH_VALUES = 2**22  # replicates are weighed in batches of at most this many row weights (32 MB)


def _batches(weights, n: int):
    """(first replicate, replicates × n matrix) batches of a stream of replicate weights."""
    size = max(1, BATCH_VALUES // max(n, 1))
    batch, start = [], 0
    for w in weights:
        batch.append(w)
        if len(batch) == size:
            yield start, np.vstack(batch)
            start, batch = start + size, []
    if batch:
        yield start, np.vstack(batch)


def bootstrap_ap(
    ranked: dict[str, list[RankedScores]], replicates: int = 500, seed: int = 0, confidence: float = CONFIDENCE
) -> tuple[dict[str, Interval], dict[str, np.ndarray]]:
    """Percentile intervals of average precision for every candidate, on shared replicates.

    ``ranked`` maps a candidate to one :class:`RankedScores` per repeat (all on the
    same rows); a replicate's value is the mean over repeats. Returns the intervals
    and the replicate values (for paired comparisons).
    """
    names = list(ranked)
    if not names:
        return {}, {}
    n = len(ranked[names[0]][0].pos)
    values = {k: np.empty(replicates) for k in names}
    for start, w in _batches(bootstrap_weights(n, replicates, seed), n):
        for k in names:
            values[k][start : start + len(w)] = np.mean([r.average_precisions(w) for r in ranked[k]], axis=0)
    alpha = (1 - confidence) / 2
    out = {}
    for k in names:
        point = float(np.mean([r.average_precision() for r in ranked[k]]))
        v = values[k][~np.isnan(values[k])]
        lo, hi = np.quantile(v, [alpha, 1 - alpha]) if len(v) else (np.nan, np.nan)
        out[k] = Interval(point, float(lo), float(hi))
    return out, values


def bootstrap_mean(
    per_row: dict[str, list[np.ndarray]], replicates: int = 500, seed: int = 0, confidence: float = CONFIDENCE
) -> tuple[dict[str, Interval], dict[str, np.ndarray]]:
    """Percentile intervals of a per-row mean (e.g. the cost of each row's decision) for every candidate.

    Same replicates as :func:`bootstrap_ap` with the same ``seed`` (rows drawn with replacement,
    shared by all candidates), so :func:`paired` applies. ``per_row`` maps a candidate to one vector
    per repeat; a replicate's value is the mean over repeats.
    """
    names = list(per_row)
    if not names:
        return {}, {}
    n = len(per_row[names[0]][0])
    stacked = {k: np.vstack(per_row[k]).astype(float) for k in names}  # repeats × n
    values = {k: np.empty(replicates) for k in names}
    for b, w in enumerate(bootstrap_weights(n, replicates, seed)):
        for k in names:
            values[k][b] = float(np.mean(stacked[k] @ w) / n)
    alpha = (1 - confidence) / 2
    out = {}
    for k in names:
        lo, hi = np.quantile(values[k], [alpha, 1 - alpha])
        out[k] = Interval(float(stacked[k].mean()), float(lo), float(hi))
    return out, values


def paired(
    best: str,
    other: str,
    point: dict[str, Interval],
    values: dict[str, np.ndarray],
    confidence: float = CONFIDENCE,
    higher_is_better: bool = True,
) -> PairedDifference:
    """How much better ``best`` is than ``other`` (best − other, or other − best for a cost), with a
    percentile interval from the shared replicates."""
    sign = 1.0 if higher_is_better else -1.0
    d = sign * (values[best] - values[other])
    d = d[~np.isnan(d)]
    alpha = (1 - confidence) / 2
    lo, hi = np.quantile(d, [alpha, 1 - alpha]) if len(d) else (np.nan, np.nan)
    return PairedDifference(
        sign * (point[best].estimate - point[other].estimate),
        float(lo),
        float(hi),
        float(np.mean(d < 0)) if len(d) else float("nan"),
    )
