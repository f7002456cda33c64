"""Racing: drop the clearly worse candidates of a grid on a subset of the rows, before the full run.

Successive halving over rows (as scikit-learn's ``HalvingGridSearchCV`` and F-Race do), adapted to
rare events. Round ``k`` fits every candidate still in the race on the same folds as the full run,
with each fold's training rows cut to *every* row of the minority classes and a fraction ``r_k`` of
the majority class's rows (the first ``r_k`` of one seeded permutation per fold: the rounds are
nested). Each round is scored on the whole validation folds, at their natural balance, so a
round's PR-AUC is the figure the full run would compute, but for a classifier trained on fewer
negatives. A candidate is eliminated when the leaderboard's paired bootstrap interval of (round's
best − candidate) is entirely above 0 — the same test on the same validation rows and the same
replicates, so a round's verdict is the leaderboard's verdict on the round's fits — at 99% instead
of the leaderboard's 95%. The stricter level is a margin for what does differ: the fit, on fewer
majority rows (a candidate that gains more from more rows than the best could catch up); no
multiplicity correction is needed for the leaderboard's sake, since it makes the same comparisons
uncorrected, and ``benchmarks/bench_racing.py`` measures how often an eliminated candidate would have
been one the leaderboard cannot tell from its best. More rounds do not add power (the validation
rows are the same), only less drift: the fractions start at ``START_ROWS`` majority rows per fold
and grow ``GROWTH``-fold while they stay at most ``LAST_FRACTION`` of the majority rows (one round
on the 200k sample and on 1M rows, two from ~1.6M); a file too small for one round is not raced. A
second round only 4× the first cost 191 s of a 1,906 s compare on 1M rows and eliminated nothing in
each of three runs (``results/racing_sim1000000.json``), so the rounds grow 16-fold. The
survivors then run exactly the exhaustive code on all rows, so their figures are the exhaustive run's.

Costs: every fit's seconds are recorded per training row, per candidate; the next round (and the
full run) schedules the costliest fits first and its progress is counted in estimated seconds, so
the ETA follows measured costs rather than a count of fits.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Callable

import numpy as np

from ..evaluation.intervals import RankedScores, bootstrap_ap, paired

START_ROWS = 20_000  # majority-class training rows per fold in the first round
GROWTH = 16  # each round keeps this many times the previous round's majority rows (why 16: the module docstring)
LAST_FRACTION = 0.25  # a round with more of the majority rows costs too much of what the full run costs
CONFIDENCE = 0.99  # the leaderboard's paired interval, at 99% instead of its 95%: a margin for training-size drift

# Seconds per 1,000 training rows per fold before any fit is measured (the default parameters on
# the 200k simulated sample, 2-core machine): they only order the first round's fits and its ETA.
PRIOR_SECONDS = {"logistic": 0.02, "svm": 0.03, "svm-rbf": 0.1, "svm-nystroem": 0.04, "mlp": 0.2, "hgb": 0.06}
PRIOR_STRATEGY = {"none": 1.0, "class_weight": 1.5, "oversample": 8.0, "smote": 8.0, "undersample": 0.2}


@dataclass(frozen=True)
class Elimination:
    """Why a candidate left the race: the round, the rows it was trained on, and the interval."""

    name: str
    round: int  # 1-based
    fraction: float  # of the majority class's training rows kept in that round
    rows: int  # training rows per fold in that round (mean over folds)
    metric: float  # its out-of-fold PR-AUC in that round
    best: str  # the round's best candidate
    best_metric: float
    difference: float  # best − candidate
    low: float  # paired bootstrap interval of the difference (entirely above 0: eliminated)
    high: float
    level: float  # of that interval
    fit_seconds: float  # mean per fold in that round
    classifier: str = ""
    strategy: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Round:
    number: int
    fraction: float
    rows: int
    candidates: tuple[str, ...]  # in the race at the start of the round
    eliminated: tuple[str, ...]
    best: str
    seconds: float
    comparisons: dict[str, dict]  # per candidate: its PR-AUC, and against the best the test of compare_to_best

    def to_dict(self) -> dict:
        return {**asdict(self), "candidates": list(self.candidates), "eliminated": list(self.eliminated)}


@dataclass(frozen=True)
class RaceOutcome:
    survivors: list[str]
    eliminated: dict[str, Elimination]
    rounds: list[Round]


def schedule(
    majority_rows: int, start_rows: int = START_ROWS, growth: int = GROWTH, last: float = LAST_FRACTION
) -> list[float]:
    """The majority-class fractions of the rounds, for folds with ``majority_rows`` majority training rows."""
    if majority_rows <= 0 or start_rows <= 0:
        return []
    out = []
    r = start_rows / majority_rows
    while r <= last:
        out.append(r)
        r *= growth
    return out


RACE_SECONDS = 120.0  # race when the grid's fits on all rows are estimated to take longer than this
MIN_START_ROWS = 2_000  # a first round on fewer majority rows per fold says too little to drop anyone


def auto_schedule(estimated_seconds: float, majority_rows: int) -> list[float]:
    """The rounds of a race decided by cost, not by a row count: none when the full run is estimated to take
    under :data:`RACE_SECONDS` (racing would save little and risk a verdict); otherwise a first round at
    :data:`START_ROWS` majority rows per fold — or, for a log too small for that (a 100k-row log had 79,743,
    just under the 80,000 a first round at 20,000 needs), at :data:`LAST_FRACTION` of them — growing as
    :func:`schedule` grows it.

    >>> auto_schedule(30.0, 160_000), auto_schedule(600.0, 160_000), [round(r, 3) for r in auto_schedule(600.0, 79_743)]
    ([], [0.125], [0.25])
    """
    if estimated_seconds < RACE_SECONDS:
        return []
    start = min(START_ROWS, int(LAST_FRACTION * majority_rows))
    return schedule(majority_rows, start_rows=start) if start >= MIN_START_ROWS else []


def permutations(splits, y, majority, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per fold: the training rows of the other classes, and the majority's rows in a seeded order."""
    rng = np.random.default_rng(seed)
    out = []
    for tr, _ in splits:
        is_major = y[tr] == majority
        out.append((tr[~is_major], rng.permutation(tr[is_major])))
    return out


def _kept(n_major: int, fraction: float) -> int:
    return max(1, int(round(fraction * n_major)))


def round_splits(splits, orders, fraction: float) -> list[tuple[np.ndarray, np.ndarray]]:
    """The folds of one round: every minority training row, the first ``fraction`` of the majority's."""
    out = []
    for (_, te), (minority, major) in zip(splits, orders):
        keep = major[: _kept(len(major), fraction)]
        out.append((np.sort(np.concatenate([minority, keep])), te))
    return out


def round_sizes(splits, y, majority, fraction: float) -> list[int]:
    """The training rows per fold of the round at ``fraction`` (as :func:`round_splits` keeps them)."""
    out = []
    for tr, _ in splits:
        n_major = int((y[tr] == majority).sum())
        out.append(len(tr) - n_major + _kept(n_major, fraction))
    return out


class Costs:
    """Measured seconds per training row of each candidate's fold fit (a prior until one is measured)."""

    def __init__(self, kinds: dict[str, tuple[str, str]]):
        self.kinds = kinds  # name → (classifier, strategy)
        self.per_row: dict[str, float] = {}

    def estimate(self, name: str, rows: int) -> float:
        if name in self.per_row:
            return self.per_row[name] * rows
        classifier, strategy = self.kinds.get(name, ("", ""))
        return PRIOR_SECONDS.get(classifier, 0.05) * PRIOR_STRATEGY.get(strategy, 1.0) * rows / 1000

    def units(self, name: str, rows: int) -> int:
        """The estimate in whole milliseconds (progress counts these: sums are exact)."""
        return max(1, int(round(self.estimate(name, rows) * 1000)))

    def record(self, name: str, seconds: float, rows: int) -> None:
        if rows > 0 and np.isfinite(seconds):
            self.per_row[name] = max(seconds, 1e-6) / rows


def race(
    names: list[str],
    fit_round: Callable[[list[str], list, int], dict[str, tuple[np.ndarray | None, float]]],
    y_all: np.ndarray,
    splits: list,
    y_eval: np.ndarray,
    metric_class: str,
    majority: str,
    fractions: list[float],
    replicates: int,
    seed: int,
    confidence: float = CONFIDENCE,
) -> RaceOutcome:
    """Run the rounds; see the module docstring.

    ``fit_round(alive, splits, number)`` fits the candidates ``alive`` on ``splits`` and returns, per
    candidate, its out-of-fold scores of ``metric_class`` on the evaluated rows (``None`` when a fit
    failed: such a candidate stays in the race, for the full run to report) and its mean fit seconds
    per fold; ``y_eval`` are the labels of the evaluated rows."""
    alive = list(names)
    eliminated: dict[str, Elimination] = {}
    rounds: list[Round] = []
    orders = permutations(splits, y_all, majority, seed)
    for number, fraction in enumerate(fractions, start=1):
        if len(alive) < 2:
            break
        t0 = time.perf_counter()
        folds = round_splits(splits, orders, fraction)
        rows = int(np.mean([len(tr) for tr, _ in folds]))
        fitted = fit_round(alive, folds, number)
        ranked = {}
        for name in alive:
            oof, _ = fitted[name]
            if oof is not None:
                ranked[name] = [RankedScores(y_eval == metric_class, oof)]
        if len(ranked) < 2:  # nothing to compare: every fit but one (or all) failed
            best = next(iter(ranked), "")
            rounds.append(Round(number, fraction, rows, tuple(alive), (), best, time.perf_counter() - t0, {}))
            continue
        point, values = bootstrap_ap(ranked, replicates=replicates, seed=seed)
        best = max(ranked, key=lambda n: np.nan_to_num(point[n].estimate, nan=-1.0))
        table = compare_to_best(best, point, values, confidence)
        out = [name for name, row in table.items() if row["eliminated"]]
        for name in out:
            row = table[name]
            eliminated[name] = Elimination(
                name,
                number,
                fraction,
                rows,
                row["metric"],
                best,
                point[best].estimate,
                row["difference"],
                row["low"],
                row["high"],
                row["level"],
                fitted[name][1],
            )
        rounds.append(Round(number, fraction, rows, tuple(alive), tuple(out), best, time.perf_counter() - t0, table))
        alive = [n for n in alive if n not in eliminated]
    return RaceOutcome(alive, eliminated, rounds)


def compare_to_best(best: str, point: dict, values: dict, confidence: float = CONFIDENCE) -> dict[str, dict]:
    """Every candidate against ``best``, as the leaderboard compares them (:func:`paired`: percentile
    interval of best − candidate over the shared bootstrap replicates), at ``confidence``; a candidate
    whose interval is entirely above 0 is eliminated."""
    rows: dict[str, dict] = {best: {"metric": point[best].estimate, "best": True, "eliminated": False}}
    for name in point:
        if name == best:
            continue
        pair = paired(best, name, point, values, confidence=confidence)
        rows[name] = {
            "metric": point[name].estimate,
            "difference": pair.difference,
            "low": pair.low,
            "high": pair.high,
            "share_candidate_better": pair.share_candidate_better,
            "level": confidence,
            "eliminated": bool(pair.low > 0),
        }
    return rows


def oof_scores(fold_scores: list[np.ndarray], eval_positions: list[np.ndarray], n: int) -> np.ndarray:
    """One column of out-of-fold scores from each fold's validation scores."""
    oof = np.zeros(n)
    for s, te in zip(fold_scores, eval_positions):
        oof[te] = s
    return oof
