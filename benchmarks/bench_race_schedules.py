"""Racing schedules on the shipped sample: which rounds and levels would keep the exhaustive run's
"can't tell" set, and at what cost — every candidate measured once at every round size, every schedule replayed.

    python benchmarks/bench_race_schedules.py record      # ~35 minutes on 2 cores
    python benchmarks/bench_race_schedules.py simulate    # a minute; writes results/race_schedules_sample.json

record: `compare` on the sample with racing's rounds replaced by fits of *every* candidate at each size of
``--sizes`` (majority-class training rows per fold, on the library's own nested per-fold permutations and
round folds), then the full run of every candidate — which is the exhaustive run. Keeps each candidate's
out-of-fold click scores and mean fit seconds per fold, per size and on all rows, in the benchmark cache
(outside the repo).

simulate: replays each schedule (a list of round sizes) at each level with two rules:
  best       clickpred's: `racing.race` itself, fed the recorded scores — a candidate is eliminated when the
             paired bootstrap interval of (round's best − candidate) is entirely above 0;
  plausible  eliminated only when that holds against *every* candidate the round cannot tell from its
             best (at the leaderboard's 95%): robust to which of them wins on all rows.
For each: survivors, eliminated candidates the full run cannot tell from its best ("lost": none is the
issue's goal), and the fitting cost in seconds — recorded fit seconds × 5 folds / 2 workers for the rounds
and for the survivors' full run. Not counted: the rounds' scoring of the validation folds (the same 40,000
rows per fold whatever the round's size: about 9 CPU-seconds a fold for the 26 candidates), the shared
resampling, the correction.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import CACHE, ROOT, write_result  # noqa: E402

DATA = ROOT / "data" / "impressions_sample.csv.gz"
SCHEDULES = [
    [5000],
    [10000],
    [20000],
    [40000],
    [80000],
    [5000, 20000],
    [10000, 20000],
    [10000, 40000],
    [20000, 80000],
    [5000, 20000, 80000],
]
LEVELS = [0.95, 0.99, 0.999]


def record(sizes: list[int], jobs: int) -> None:
    import clickpred.jobs.compare as cmp
    from clickpred.jobs import racing

    arrays: dict[str, np.ndarray] = {}
    meta: dict = {"sizes": sizes, "rounds": {}}

    def every_candidate(
        names, fit_round, y_all, splits, y_eval, metric_class, majority, fractions, replicates, seed, **_
    ):
        orders = racing.permutations(splits, y_all, majority, seed)
        n_major = min(len(m) for _, m in orders)
        meta.update(metric_class=metric_class, majority=majority, replicates=replicates, seed=seed, n_major=n_major)
        arrays["y_all"], arrays["y_eval"] = y_all, y_eval
        for number, size in enumerate(sizes, start=1):
            folds = racing.round_splits(splits, orders, size / n_major)
            t0 = time.perf_counter()
            fitted = fit_round(list(names), folds, number)
            seconds = {}
            for name, (oof, fit) in fitted.items():
                if oof is not None:
                    arrays[f"{size}|{name}"] = oof
                seconds[name] = fit
            meta["rounds"][str(size)] = {"seconds": time.perf_counter() - t0, "fit_seconds": seconds}
            print(f"size {size}: {time.perf_counter() - t0:.0f} s", flush=True)
        return racing.RaceOutcome(list(names), {}, [])

    cmp.race = every_candidate  # the rounds record instead of eliminating; the full run is compare's own
    t0 = time.perf_counter()
    res = cmp.compare(DATA, folds=5, jobs=jobs, racing=True, race_rows=1)
    meta["full_seconds"] = time.perf_counter() - t0
    k = res.classes.index(meta["metric_class"])
    meta["full_fit_seconds"] = {}
    for name, r in res.results.items():
        arrays[f"full|{name}"] = r.scores[0][:, k]
        meta["full_fit_seconds"][name] = r.fit_seconds
    meta["leaderboard"] = [
        {key: r[key] for key in ("name", "metric", "distinguishable_from_best", "fit_seconds")} for r in res.leaderboard
    ]
    meta["recorded_at"] = _commit()
    CACHE.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(CACHE / "race_curves_sample.npz", **arrays)
    (CACHE / "race_curves_sample.json").write_text(json.dumps(meta))
    print("recorded in", CACHE, flush=True)


def simulate(jobs_divisor: int = 2, folds: int = 5) -> dict:
    from sklearn.model_selection import StratifiedKFold

    from clickpred.evaluation.intervals import RankedScores
    from clickpred.jobs import racing

    meta = json.loads((CACHE / "race_curves_sample.json").read_text())
    with np.load(CACHE / "race_curves_sample.npz", allow_pickle=False) as npz:
        arrays = dict(npz)
    y_all, y_eval = arrays["y_all"], arrays["y_eval"]
    positive = y_eval == meta["metric_class"]
    names = [r["name"] for r in meta["leaderboard"]]
    cant_tell = sorted(r["name"] for r in meta["leaderboard"] if r["distinguishable_from_best"] is not True)
    splits = list(
        StratifiedKFold(n_splits=folds, shuffle=True, random_state=meta["seed"]).split(np.zeros(len(y_all)), y_all)
    )

    def scores(size, name):
        return arrays.get(f"{size}|{name}")

    def round_cost(size, alive):
        return sum(meta["rounds"][str(size)]["fit_seconds"][n] for n in alive) * folds / jobs_divisor

    # The bootstrap of a round depends only on its size and field: computed once for every schedule and level
    # that reaches it (racing.race calls it through its module's name, the memo is put there).
    memo: dict = {}
    current: dict = {}
    original = racing.bootstrap_ap

    def bootstrap(ranked, replicates, seed):
        key = (current["size"], tuple(sorted(ranked)), replicates, seed)
        if key not in memo:
            memo[key] = original(ranked, replicates=replicates, seed=seed)
        return memo[key]

    racing.bootstrap_ap = bootstrap

    def best_rule(sizes, level):
        def fit_round(alive, _folds, number):
            size = current["size"] = sizes[number - 1]
            return {n: (scores(size, n), meta["rounds"][str(size)]["fit_seconds"][n]) for n in alive}

        out = racing.race(
            names,
            fit_round,
            y_all,
            splits,
            y_eval,
            meta["metric_class"],
            meta["majority"],
            [s / meta["n_major"] for s in sizes],
            meta["replicates"],
            meta["seed"],
            confidence=level,
        )
        cost, alive = 0.0, list(names)
        for rnd in out.rounds:
            cost += round_cost(sizes[rnd.number - 1], alive)
            alive = [n for n in alive if n not in rnd.eliminated]
        return out.survivors, {n: e.round for n, e in out.eliminated.items()}, cost

    def plausible_rule(sizes, level):
        alive, gone, cost = list(names), {}, 0.0
        for number, size in enumerate(sizes, start=1):
            cost += round_cost(size, alive)
            ranked = {n: [RankedScores(positive, scores(size, n))] for n in alive if scores(size, n) is not None}
            current["size"] = size
            point, values = bootstrap(ranked, meta["replicates"], meta["seed"])
            best = max(point, key=lambda n: np.nan_to_num(point[n].estimate, nan=-1.0))  # as racing.race
            # The round's own test (racing.compare_to_best), against its best at 95% for the plausible set, then
            # against each of them at ``level``.
            refs = [n for n, row in racing.compare_to_best(best, point, values, 0.95).items() if not row["eliminated"]]
            tests = {b: racing.compare_to_best(b, point, values, level) for b in refs}
            out = [n for n in point if n not in refs and all(tests[b][n]["eliminated"] for b in refs)]
            gone.update({n: number for n in out})
            alive = [n for n in alive if n not in out]
        return alive, gone, cost

    rows = []
    for sizes in SCHEDULES:
        for level in LEVELS:
            for rule, run in (("best", best_rule), ("plausible", plausible_rule)):
                survivors, gone, rounds_cost = run(sizes, level)
                full_cost = sum(meta["full_fit_seconds"][n] for n in survivors) * folds / jobs_divisor
                rows.append(
                    {
                        "sizes": sizes,
                        "level": level,
                        "rule": rule,
                        "survivors": len(survivors),
                        "rounds_seconds": rounds_cost,
                        "full_seconds": full_cost,
                        "seconds": rounds_cost + full_cost,
                        "lost": sorted(n for n in gone if n in cant_tell),
                        "eliminated": gone,
                    }
                )
                r = rows[-1]
                print(
                    f"{sizes!s:22} {level:5} {rule:9} survivors {r['survivors']:2}  "
                    f"{r['seconds']:6.0f} s  lost {', '.join(r['lost']) or '-'}",
                    flush=True,
                )
    exhaustive = sum(meta["full_fit_seconds"].values()) * folds / jobs_divisor
    return {
        "command": "python benchmarks/bench_race_schedules.py simulate",
        "recorded": {
            "sizes": meta["sizes"],
            "round_wall_seconds": {s: r["seconds"] for s, r in meta["rounds"].items()},
            "full_run_wall_seconds": meta["full_seconds"],
            "n_major_per_fold": meta["n_major"],
            "commit": meta.get("recorded_at"),
        },
        "cant_tell_exhaustive": cant_tell,
        "exhaustive_fit_seconds": exhaustive,
        "leaderboard": meta["leaderboard"],
        "metric_by_size": {
            n: {
                **{s: _ap(positive, scores(s, n)) for s in meta["sizes"]},
                "all": _ap(positive, arrays[f"full|{n}"]),
            }
            for n in names
        },
        "schedules": rows,
    }


def _commit() -> str:
    import subprocess

    out = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    return out.stdout.strip()


def _ap(positive, s) -> float | None:
    from clickpred.evaluation.intervals import RankedScores

    return None if s is None else float(RankedScores(positive, s).average_precision())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("step", choices=["record", "simulate"])
    ap.add_argument("--sizes", default="5000,10000,20000,40000,80000")
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    if args.step == "record":
        record([int(s) for s in args.sizes.split(",")], args.jobs)
    else:
        print("→", write_result("race_schedules_sample", simulate(args.jobs)))


if __name__ == "__main__":
    main()
