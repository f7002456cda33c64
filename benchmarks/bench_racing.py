"""`clickpred compare` racing against the exhaustive grid and the naive loop, in the same process.

For one data set, the default grid (every classifier × every strategy that can run), 5 folds:
  racing      compare(..., racing=True)   — the default
  exhaustive  compare(..., racing=False)  — `--exhaustive`
  naive       for each candidate: its imbalanced-learn pipeline cross-validated independently,
              folds in parallel on the same cores (`--naive`; the sample only, it takes ~30 minutes)
  plain       the pinned plain imbalanced-learn script (`plain_imblearn_grid.py`, frozen: scikit-learn's
              encoders, the sampler and the classifier per candidate, cross_validate(n_jobs=-1)) — the
              baseline of issue 33's target, racing ≤ 0.2× it on the sample (`--plain`; the sample only)
reporting seconds and ratios, and the fidelity of racing: the survivors' figures against the
exhaustive run's (largest absolute difference of scores, metrics, intervals), the recommendation,
the "can't tell from the best" set, and which eliminated candidates the exhaustive run could not
tell from its best (none is the goal).

    python benchmarks/bench_racing.py sample --naive
    python benchmarks/bench_racing.py sample --no-exhaustive --plain
    python benchmarks/bench_racing.py coil bank --race-rows 400     # small files: forced rounds
    python benchmarks/bench_racing.py sim:1000000 --no-exhaustive   # the 1M-row time budget

Data: sample = data/impressions_sample.csv.gz; coil, bank as in bench_compare.py; sim:N = N
simulated rows. `--race-rows` sets the first round's majority rows per fold (default: the library's).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, SHARED, simulated, write_result  # noqa: E402
from bench_real import coil_files  # noqa: E402


def data_for(name: str) -> tuple[Path, dict]:
    if name == "coil":
        data, _ = coil_files(Path(tempfile.mkdtemp()))
        return data, {"target": "CARAVAN"}
    if name == "bank":
        return SHARED / "bank_marketing" / "bank-additional.csv", {"drop": ["duration"], "target": "y"}
    if name.startswith("sim:"):
        return simulated(int(name[4:]))[0], {}
    return ROOT / "data" / "impressions_sample.csv.gz", {}


def cant_tell(res) -> list[str]:
    """The best and every candidate not distinguishable from it."""
    return sorted(r["name"] for r in res.leaderboard if r["distinguishable_from_best"] is not True)


def fidelity(race, full) -> dict:
    gaps = {}
    for name, r in race.results.items():
        f = full.results[name]
        gaps[name] = max(
            float(np.max(np.abs(r.scores[0] - f.scores[0]))),
            max(
                abs(a - b)
                for a, b in zip(_numbers(race, name), _numbers(full, name))
                if not (np.isnan(a) and np.isnan(b))
            ),
        )
    full_best = full.leaderboard[0]["name"]
    lost = [n for n in race.eliminated if n in cant_tell(full)]
    return {
        "survivors_max_abs_difference": gaps,
        "max_abs_difference": max(gaps.values()) if gaps else None,
        "same_best": race.leaderboard[0]["name"] == full_best,
        "same_recommendation": race.recommendation.split(" (")[0] == full.recommendation.split(" (")[0],
        "cant_tell_exhaustive": cant_tell(full),
        "cant_tell_racing": cant_tell(race),
        "same_cant_tell": cant_tell(race) == cant_tell(full),
        "eliminated_but_cant_tell_in_exhaustive": lost,
    }


def _numbers(res, name) -> list[float]:
    """The leaderboard row's numbers (the metric, its interval and the paired difference with the best)."""
    row = next(r for r in res.leaderboard if r["name"] == name)
    keys = ("metric", "metric_low", "metric_high", "vs_best_difference", "vs_best_low", "vs_best_high", "mcc")
    return [float(row[k]) if row[k] is not None else np.nan for k in keys]


def naive_loop(data, kwargs, jobs: int) -> dict:
    from clickpred.evaluation.crossval import cross_validate
    from clickpred.io.dataset import load_dataset
    from clickpred.jobs.compare import build_candidates, candidate_specs

    ds = load_dataset(data, **kwargs)
    candidates, _ = build_candidates(candidate_specs(None, None, None, 5, 42), ds, int(len(ds.y) * 0.8))
    t0 = time.perf_counter()
    per = {}
    for c in candidates:
        t1 = time.perf_counter()
        cross_validate(c.pipeline, ds.frame, ds.y, ds.schema.classes, c.method, 5, 42, jobs)
        per[c.name] = time.perf_counter() - t1
    return {"seconds": time.perf_counter() - t0, "jobs": jobs, "per_candidate": per}


def plain_script(name: str) -> dict:
    """The pinned plain script on the sample, in this process (its own folds, n_jobs=-1)."""
    import plain_imblearn_grid

    if name != "sample":
        raise SystemExit("--plain: the pinned script reads the sample only")
    return plain_imblearn_grid.run(str(ROOT / "data" / "impressions_sample.csv.gz"), "event")


def run(name: str, jobs: int, race_rows: int | None, exhaustive: bool, naive: bool, save, plain: bool = False) -> dict:
    from clickpred.jobs.compare import compare

    data, kwargs = data_for(name)
    extra = {"race_rows": race_rows} if race_rows else {}
    out: dict = {"data": str(data), "jobs": jobs, "race_rows": race_rows}
    t0 = time.perf_counter()
    last = [0.0]

    def progress(done, total, text):  # a line every 30 s: where a long run is, if it must be stopped
        if time.perf_counter() - last[0] > 30:
            last[0] = time.perf_counter()
            print(
                f"  {time.perf_counter() - t0:7.0f} s  {done / max(total, 1):6.1%} of estimated work  {text}",
                flush=True,
            )

    race = compare(data, folds=5, jobs=jobs, racing=True, progress=progress, **extra, **kwargs)
    out["racing"] = {
        "seconds": time.perf_counter() - t0,
        "timings": race.timings,
        "n_rows": race.n_rows,
        "class_counts": race.class_counts,
        "candidates": len(race.results) + len(race.eliminated) + len(race.skipped),
        "survivors": [r["name"] for r in race.leaderboard],
        "eliminated": {k: v.to_dict() for k, v in race.eliminated.items()},
        "rounds": [r.to_dict() for r in race.race],
        "recommendation": race.recommendation,
        "skipped": race.skipped,
    }
    save(out)
    if exhaustive:
        t0 = time.perf_counter()
        full = compare(data, folds=5, jobs=jobs, racing=False, **kwargs)
        out["exhaustive"] = {
            "seconds": time.perf_counter() - t0,
            "timings": full.timings,
            "recommendation": full.recommendation,
            "leaderboard": [
                {k: r[k] for k in ("name", "metric", "distinguishable_from_best", "fit_seconds")}
                for r in full.leaderboard
            ],
        }
        out["ratio_racing_to_exhaustive"] = out["racing"]["seconds"] / out["exhaustive"]["seconds"]
        out["fidelity"] = fidelity(race, full)
        save(out)
    if naive:
        out["naive"] = naive_loop(data, kwargs, jobs)
        out["ratio_racing_to_naive"] = out["racing"]["seconds"] / out["naive"]["seconds"]
        if "exhaustive" in out:
            out["ratio_exhaustive_to_naive"] = out["exhaustive"]["seconds"] / out["naive"]["seconds"]
        save(out)
    if plain:
        out["plain"] = plain_script(name)
        out["ratio_racing_to_plain"] = out["racing"]["seconds"] / out["plain"]["seconds"]
        save(out)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("data", nargs="+", help="sample, coil, bank or sim:N")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--race-rows", type=int, default=None)
    ap.add_argument("--no-exhaustive", action="store_true")
    ap.add_argument("--naive", action="store_true")
    ap.add_argument("--plain", action="store_true", help="time the pinned plain imbalanced-learn script too")
    args = ap.parse_args()
    command = "python benchmarks/bench_racing.py " + " ".join(sys.argv[1:])
    for name in args.data:
        label = "racing_" + name.replace(":", "") + (f"_r{args.race_rows}" if args.race_rows else "")
        label += "_plain" if args.plain else ""

        def save(part, label=label):
            return write_result(label, {"command": command, **part})

        out = run(name, args.jobs, args.race_rows, not args.no_exhaustive, args.naive, save, args.plain)
        path = save(out)
        summary = f"{name}: racing {out['racing']['seconds']:.1f} s"
        if "exhaustive" in out:
            fid = out["fidelity"]
            summary += (
                f", exhaustive {out['exhaustive']['seconds']:.1f} s (ratio {out['ratio_racing_to_exhaustive']:.2f}); "
                f"same recommendation {fid['same_recommendation']}, same can't-tell set {fid['same_cant_tell']}, "
                f"survivors' largest difference {fid['max_abs_difference']}"
            )
        if "naive" in out:
            summary += f"; naive {out['naive']['seconds']:.1f} s (racing ratio {out['ratio_racing_to_naive']:.2f})"
        if "plain" in out:
            summary += (
                f"; plain script {out['plain']['seconds']:.1f} s (racing ratio {out['ratio_racing_to_plain']:.2f})"
            )
        print(summary + f"\n  wrote {path}", flush=True)


if __name__ == "__main__":
    main()
