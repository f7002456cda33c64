"""`clickpred compare` on real data, and its speed against a naive loop.

Real data (`--real coil bank sample`): the default grid (every classifier × every strategy that
can run), 5 folds, on
  coil    ../shared/data/coil2000, official test split via --test (CoIL Challenge 2000)
  bank    ../shared/data/bank_marketing (duration dropped: it leaks the label)
  sample  data/impressions_sample.csv.gz (200k simulated impressions)
writing the report to reports/compare-<name>/ and the top rows to benchmarks/results/compare_<name>.json.
With `--costs`, sorted by cost per row under pipelines/costs/{coil,bank,impressions_value}.toml instead
(reports/compare-<name>-costs/, compare_<name>_costs.json).

Speed (`--speed`): the grid on `--rows` simulated rows, 5 folds, in the same run:
  clickpred  compare(..., jobs=J): preprocessing once per fold, candidates × folds in parallel
  naive      for each candidate: build its imbalanced-learn pipeline and cross-validate it
             independently (evaluate.cross_validate), once sequentially and once with its folds
             in parallel on the same cores (`--naive-jobs 1,2`)
reporting seconds, the ratio, and the largest difference between the two sets of out-of-fold scores.

    python benchmarks/bench_compare.py --real coil bank sample [--classifiers ...] [--jobs 2] [--costs]
    python benchmarks/bench_compare.py --speed --rows 200000 [--classifiers logistic,svm]
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

COSTS = {"coil": "coil.toml", "bank": "bank.toml", "sample": "impressions_value.toml"}  # in pipelines/costs/


def real(name: str, jobs: int, classifiers, strategies, costs: bool = False) -> dict:
    from clickpred.jobs.compare import compare
    from clickpred.reporting.compare_report import write_compare_report

    tmp = Path(tempfile.mkdtemp())
    kwargs = {}
    if name == "coil":
        data, test = coil_files(tmp)
        kwargs = {"test": test, "target": "CARAVAN"}
    elif name == "bank":
        data = SHARED / "bank_marketing" / "bank-additional.csv"
        kwargs = {"drop": ["duration"], "target": "y"}
    else:
        data = ROOT / "data" / "impressions_sample.csv.gz"
    if costs:
        kwargs["costs"] = ROOT / "pipelines" / "costs" / COSTS[name]
    t0 = time.perf_counter()
    res = compare(data, classifiers=classifiers, strategies=strategies, folds=5, jobs=jobs, **kwargs)
    seconds = time.perf_counter() - t0
    paths = write_compare_report(res, ROOT / "reports" / (f"compare-{name}" + ("-costs" if costs else "")))
    keep = (
        "rank",
        "name",
        "metric",
        "metric_low",
        "metric_high",
        "vs_best_difference",
        "vs_best_low",
        "vs_best_high",
        "distinguishable_from_best",
        "fit_seconds",
        "mcc",
        "balanced_accuracy",
    )
    if costs:
        keep += ("cost_per_row_untuned", "cost_per_row_argmax", "cost_nothing_flagged", "pr_auc_" + res.metric[1])
    out = {
        "data": str(data),
        "n_rows": res.n_rows,
        "class_counts": res.class_counts,
        "metric_note": res.metric_note,
        "seconds": seconds,
        "timings": res.timings,
        "recommendation": res.recommendation,
        "skipped": res.skipped,
        "leaderboard": [
            {k: r[k] for k in keep} | {f"recall_{c}": r[f"recall_{c}"] for c in res.classes[1:]}
            for r in res.leaderboard
        ],
        "report": str(paths["html"].relative_to(ROOT)),
    }
    if res.test:
        out["test"] = {k: v["metric"] for k, v in res.test["candidates"].items()}
        if name == "coil":  # the CoIL task: owners found among the 800 highest-scored test customers
            y = res.test["y"]
            out["coil_hits_top800"] = {
                k: int((y[np.argsort(-v["scores"][:, 1], kind="stable")[:800]] == res.classes[1]).sum())
                for k, v in res.test["candidates"].items()
            }
    return out


def speed(rows: int, jobs: int, classifiers, strategies, naive_jobs=(1, 2), save=lambda out: None) -> dict:
    """Both halves in one process; `save(partial)` after each phase (a full-grid run takes hours)."""
    from clickpred.evaluation.crossval import cross_validate
    from clickpred.io.dataset import load_dataset
    from clickpred.jobs.compare import build_candidates, candidate_specs, compare

    data, _ = simulated(rows)
    t0 = time.perf_counter()
    res = compare(data, classifiers=classifiers, strategies=strategies, folds=5, jobs=jobs, replicates=200)
    ours = time.perf_counter() - t0
    save({"rows": rows, "jobs": jobs, "clickpred_seconds": ours, "clickpred_timings": res.timings, "naive": "running"})

    ds = load_dataset(data)
    specs = candidate_specs(classifiers, strategies, None, 5, 42)
    candidates, skipped = build_candidates(specs, ds, int(len(ds.y) * 0.8))
    naive = {}
    gaps, same_pred, same_pr_auc = {}, {}, {}
    for nj in naive_jobs:
        t0 = time.perf_counter()
        per = {}
        for c in candidates:
            t1 = time.perf_counter()
            cv = cross_validate(c.pipeline, ds.frame, ds.y, ds.schema.classes, c.method, 5, 42, nj)
            per[c.name] = time.perf_counter() - t1
            if c.name in res.results:
                ours_r = res.results[c.name]
                gaps[c.name] = float(np.max(np.abs(cv.scores - ours_r.scores[0])))
                same_pred[c.name] = bool((cv.y_pred == ours_r.y_pred[0]).all())
                same_pr_auc[c.name] = max(
                    abs(cv.metrics["per_class"][k]["pr_auc"] - ours_r.metrics["per_class"][k]["pr_auc"])
                    for k in ds.schema.classes[1:]
                )
        naive[f"jobs_{nj}"] = {"seconds": time.perf_counter() - t0, "per_candidate": per}
        save(_speed_result(rows, jobs, candidates, skipped, ours, res, naive, gaps, same_pred, same_pr_auc))
    return _speed_result(rows, jobs, candidates, skipped, ours, res, naive, gaps, same_pred, same_pr_auc)


def _speed_result(rows, jobs, candidates, skipped, ours, res, naive, gaps, same_pred, same_pr_auc) -> dict:
    return {
        "rows": rows,
        "jobs": jobs,
        "candidates": [c.name for c in candidates],
        "skipped": skipped,
        "clickpred_seconds": ours,
        "clickpred_timings": res.timings,
        "naive": naive,
        "ratio": {k: ours / v["seconds"] for k, v in naive.items()},
        # compare also corrects every candidate's probabilities (cross-fitted calibration), which the naive
        # loop does not do: the like-for-like ratio leaves that phase out
        "correction_seconds": res.timings.get("correction", 0.0),
        "ratio_without_correction": {
            k: (ours - res.timings.get("correction", 0.0)) / v["seconds"] for k, v in naive.items()
        },
        "max_abs_score_difference": gaps,
        "same_predictions": same_pred,
        "max_pr_auc_difference": same_pr_auc,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--real", nargs="*", default=[])
    ap.add_argument("--speed", action="store_true")
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--classifiers", default=None)
    ap.add_argument("--strategies", default=None)
    ap.add_argument("--naive-jobs", default="1,2", help="fold parallelism of the naive loop, one run each")
    ap.add_argument("--costs", action="store_true", help="--real: sort by cost per row (pipelines/costs/<matrix>)")
    args = ap.parse_args()
    cls = args.classifiers.split(",") if args.classifiers else None
    strats = args.strategies.split(",") if args.strategies else None
    command = "python benchmarks/bench_compare.py " + " ".join(sys.argv[1:])
    for name in args.real:
        out = real(name, args.jobs, cls, strats, args.costs)
        path = write_result(f"compare_{name}" + ("_costs" if args.costs else ""), {"command": command, **out})
        print(f"{name}: {out['recommendation']}\n  wrote {path}", flush=True)
    if args.speed:
        suffix = f"{args.rows // 1000}k" + (f"_{'-'.join(cls)}" if cls else "")
        out = speed(
            args.rows,
            args.jobs,
            cls,
            strats,
            [int(x) for x in args.naive_jobs.split(",")],
            save=lambda part: write_result(f"compare_speed_{suffix}", {"command": command, "partial": True, **part}),
        )
        path = write_result(f"compare_speed_{suffix}", {"command": command, **out})
        print(
            f"speed: clickpred {out['clickpred_seconds']:.1f} s; naive "
            + ", ".join(f"{k} {v['seconds']:.1f} s (ratio {out['ratio'][k]:.2f})" for k, v in out["naive"].items())
            + f"; max score difference {max(out['max_abs_score_difference'].values()):.2g}\n  wrote {path}",
            flush=True,
        )


if __name__ == "__main__":
    main()
