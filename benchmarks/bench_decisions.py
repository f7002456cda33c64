"""Probability correction, decision rules and funnel mode, measured (issue 5).

    python benchmarks/bench_decisions.py [--rows 300000] [--parts calibration costs funnel]

- calibration: on simulated data with its truth file, every classifier × strategy
  trained with `--calibration auto`: per minority class the calibration ratio
  (mean predicted / observed rate; and / mean true probability) before and after
  correction, NE before/after and the oracle's, PR-AUC before/after (pooled
  out-of-fold, and the mean over folds, which a per-fold monotone map cannot change).
- costs: the tuned cost rule vs argmax (and the untuned Bayes rule, and flagging
  nothing) on the shipped sample and on CoIL 2000 (CV, and the official test split).
- funnel: conversion PR-AUC of the funnel (P(click) · P(conversion | click)) vs the
  flat multi-class model, same folds, with bootstrap intervals and the paired difference.

Writes benchmarks/results/decisions_<part>.json. All figures are out-of-fold (or held out).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, simulated, write_result  # noqa: E402
from bench_real import coil_files  # noqa: E402

GRID = [
    ("logistic", "none"),
    ("logistic", "class_weight"),
    ("logistic", "undersample"),
    ("logistic", "oversample"),
    ("logistic", "smote"),
    ("svm", "none"),
    ("svm", "class_weight"),
    ("svm", "undersample"),
    ("mlp", "none"),
    ("mlp", "class_weight"),
    ("mlp", "undersample"),
]


def _per_fold_ap(y, s, fold_of, c):
    from sklearn.metrics import average_precision_score

    return float(np.mean([average_precision_score(y[fold_of == f] == c, s[fold_of == f]) for f in np.unique(fold_of)]))


def calibration(rows: int, grid) -> dict:
    import pyarrow.parquet as pq

    from clickpred.estimator.fitting import train
    from clickpred.modeling.spec import spec_from_options
    from clickpred.postfit.correction import normalise

    data, truth = simulated(rows)
    tp = pq.read_table(truth).to_pandas()
    truth_nll = None
    out = []
    for clf, strat in grid:
        t0 = time.perf_counter()
        res = train(data, spec_from_options(clf, strat), drop=["impression_id"])
        cv = res.cv
        y, classes = cv.y_true, cv.classes
        raw = cv.raw_scores
        before = cv.before
        after = cv.argmax
        if truth_nll is None:
            from clickpred.evaluation.crossval import probability_metrics

            P = tp[[f"p_{c}" for c in classes]].to_numpy()
            truth_nll = probability_metrics(y, P, classes)
        row = {
            "name": res.name,
            "correction": cv.correction.method,
            "seconds": time.perf_counter() - t0,
            "ne_before": before.get("ne"),
            "ne_after": after["ne"],
            "ne_oracle": truth_nll["ne"],
            "classes": {},
        }
        for k, c in enumerate(classes[1:], start=1):
            true_mean = float(tp[f"p_{c}"].mean())
            rb = (before.get("calibration") or {}).get(c, {}).get("calibration_ratio")
            row["classes"][c] = {
                "observed": int((y == c).sum()),
                "ratio_before": rb,
                "ratio_after": after["calibration"][c]["calibration_ratio"],
                "ratio_after_vs_truth": float(cv.scores[:, k].mean() / true_mean),
                "ece_before": (before.get("calibration") or {}).get(c, {}).get("ece"),
                "ece_after": after["calibration"][c]["ece"],
                "pr_auc_before": before["per_class"][c]["pr_auc"],
                "pr_auc_after": after["per_class"][c]["pr_auc"],
                "pr_auc_fold_mean_before": _per_fold_ap(
                    y, normalise(raw)[:, k] if cv.correction.kind == "predict_proba" else raw[:, k], cv.fold_of, c
                ),
                "pr_auc_fold_mean_after": _per_fold_ap(y, cv.scores[:, k], cv.fold_of, c),
                "pr_auc_oracle": float(
                    __import__("sklearn.metrics", fromlist=["x"]).average_precision_score(y == c, tp[f"p_{c}"])
                ),
            }
        out.append(row)
        print(
            row["name"],
            row["correction"],
            {
                c: (
                    round(v["ratio_before"] or float("nan"), 2),
                    round(v["ratio_after"], 3),
                    round(v["pr_auc_before"], 4),
                    round(v["pr_auc_after"], 4),
                )
                for c, v in row["classes"].items()
            },
            f"NE {row['ne_before']} -> {row['ne_after']:.4f}",
            flush=True,
        )
    return {"data": str(data), "rows": rows, "results": out}


def costs() -> dict:
    from clickpred.estimator.fitting import train
    from clickpred.modeling.spec import spec_from_options

    out = {}
    sample = ROOT / "data" / "impressions_sample.csv.gz"
    for (clf, strat), matrix in [
        ((c, s), m)
        for m in ("impressions", "impressions_value")
        for c, s in [("logistic", "none"), ("logistic", "class_weight")]
    ]:
        res = train(
            sample, spec_from_options(clf, strat), decision="cost", costs=ROOT / f"pipelines/costs/{matrix}.toml"
        )
        d = res.cv.decision
        out[f"sample {res.name} costs/{matrix}"] = {
            "cost_per_row": d["cost_per_row"],
            "thresholds": d["thresholds"],
            "bayes_thresholds": d["bayes_thresholds"],
            "fold_spread": d["fold_spread"],
            "flagged_fraction": d["flagged_fraction"],
            "per_class": d["per_class"],
        }
        print(matrix, res.name, out[f"sample {res.name} costs/{matrix}"], flush=True)
    tmp = Path(tempfile.mkdtemp())
    data, test = coil_files(tmp)
    for clf, strat in [("logistic", "none"), ("logistic", "class_weight"), ("svm", "none")]:
        res = train(
            data,
            spec_from_options(clf, strat),
            target="CARAVAN",
            test=test,
            decision="cost",
            costs=ROOT / "pipelines/costs/coil.toml",
        )
        d = res.cv.decision
        t = res.test.metrics.get("decision", {}).get("cost_per_row")
        out[f"coil {res.name}"] = {
            "cv_cost_per_row": d["cost_per_row"],
            "test_cost_per_row": t,
            "thresholds": d["thresholds"],
            "bayes_thresholds": d["bayes_thresholds"],
            "fold_spread": d["fold_spread"],
            "cv_flagged_fraction": d["flagged_fraction"],
            "test_flagged": int(np.sum(res.test.y_pred != "0")),
        }
        print(res.name, out[f"coil {res.name}"], flush=True)
    return out


def funnel(rows: int) -> dict:
    """train --funnel also cross-validates the flat model on the same folds (TrainResult.funnel_vs_flat)."""
    from clickpred.estimator.fitting import train
    from clickpred.modeling.spec import spec_from_options

    data, truth = simulated(rows)
    out = {"data": str(data), "rows": rows, "results": {}}
    for clf, strat in [("logistic", "none"), ("logistic", "class_weight")]:
        res = train(data, spec_from_options(clf, strat), drop=["impression_id"], funnel=["view", "click", "conversion"])
        p = res.cv.scores
        part = dict(res.funnel_vs_flat)
        part["funnel_consistent"] = bool(np.all(p[:, 2] <= p[:, 1] + p[:, 2] + 1e-12))
        out["results"][f"{clf}-{strat}"] = part
        print(clf, strat, part, flush=True)
    return out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=300_000)
    ap.add_argument("--parts", nargs="+", default=["calibration", "costs", "funnel"])
    ap.add_argument("--only", nargs="*", help="classifier-strategy names from the grid, e.g. logistic-none")
    args = ap.parse_args(argv)
    grid = [g for g in GRID if not args.only or f"{g[0]}-{g[1]}" in args.only]
    if "costs" in args.parts:
        print(write_result("decisions_costs", costs()))
    if "funnel" in args.parts:
        print(write_result("decisions_funnel", funnel(args.rows)))
    if "calibration" in args.parts:
        print(write_result("decisions_calibration", calibration(args.rows, grid)))


if __name__ == "__main__":
    main()
