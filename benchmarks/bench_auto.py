"""Default ``train`` (``--classifier auto``) against the two plain baselines a user would otherwise run, and its cost.

Quality (issue 31): on every set — the eight of imbalanced-learn's benchmark collection in ``../shared``, UCI bank
marketing (``duration`` dropped), CoIL 2000's training file and the shipped sample — 5-fold stratified out-of-fold
PR-AUC of the class ``auto`` judges by (the rarest with at least 50 rows), pooled over ``train``'s folds, of

- ``default``: ``train(frame, spec_from_options())`` as a new user runs it, by its raw out-of-fold scores (what the
  model ranks; the probability correction's per-fold maps reorder rows across folds);
- ``script``: the ten-line one-hot ``LogisticRegression`` script (``bench_defaults.ten_line_script``);
- ``hgb``: scikit-learn's default ``HistGradientBoostingClassifier`` (``bench_hgb_sklearn.sklearn_oof``);

with paired 95% bootstrap intervals of default − each. ``worse`` lists the sets where default is distinguishably
below the better of the two. With ``--bins B``, also default with ``[features] numeric_bins = B`` (``N``: every
numeric column in a linear model is its slope plus N quantile bins; ``0``: one slope each, the default before
``"auto"``), paired against default on the same folds.

Cost (``--timing``): default ``train`` (auto, importance on) against today's previous default (``--classifier
logistic``), alternated ``--repeat`` times in this process on the shipped sample, and with ``--rows N`` on a
simulated log of N rows: the ratio of medians.

    python benchmarks/bench_auto.py [names…]                 → results/auto.json
    python benchmarks/bench_auto.py --timing-only --rows 1000000 --repeat 1 --name auto_time_1m
    python benchmarks/bench_auto.py --bins 10 --no-timing --name auto_bins10
    python benchmarks/bench_auto.py --bins 0 --no-timing --name auto_shapes
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, write_result  # noqa: E402
from bench_defaults import ten_line_script  # noqa: E402
from bench_fold_schema import paired_ap  # noqa: E402
from bench_hgb_sklearn import data_sets, sklearn_oof  # noqa: E402
from sklearn.metrics import average_precision_score  # noqa: E402


def script_oof(frame: pd.DataFrame, target: str, splits, positive) -> np.ndarray:
    X = frame.drop(columns=[target])
    y = frame[target].astype(str).to_numpy()
    out = np.zeros(len(y))
    for tr, te in splits:
        p, _, cls = ten_line_script(X.iloc[tr], y[tr], X.iloc[te])
        out[te] = p[:, cls.index(str(positive))]
    return out


def quality(name: str, frame: pd.DataFrame, target: str, bins: int | str | None = None) -> dict:
    from clickpred.estimator.fitting import train
    from clickpred.evaluation.crossval import fold_splits
    from clickpred.modeling.spec import spec_from_options

    t0 = time.perf_counter()
    res = train(frame, spec_from_options(), target=target, importance=False)
    seconds = time.perf_counter() - t0
    ch = res.classifier_choice
    cls = ch["class"]
    k = res.cv.classes.index(cls)
    truth = res.cv.y_true == cls
    ours = res.cv.raw_scores[:, k]
    positive = res.data.labels.get(cls, cls) if res.data.labels else cls
    assert ((frame[target].astype(str) == str(positive)).to_numpy() == truth).all(), "the same rows, the same labels"
    splits = fold_splits(res.cv.y_true, res.spec.folds, res.spec.seed)
    theirs = {
        "script": script_oof(frame, target, splits, positive),
        "hgb": sklearn_oof(frame, target, splits, positive),
    }
    out = {
        "rows": int(len(truth)),
        "positives": int(truth.sum()),
        "class": cls,
        "chosen": ch["chosen"],
        "choice": ch,
        "pr_auc": {"default": float(average_precision_score(truth, ours))},
        "seconds_default": seconds,
        "vs": {},
    }
    for base, s in theirs.items():
        out["pr_auc"][base] = float(average_precision_score(truth, s))
        d, lo, hi = paired_ap(truth, ours, s)
        out["vs"][base] = {
            "difference": d,
            "interval": [lo, hi],
            "verdict": "worse" if hi < 0 else ("better" if lo > 0 else "can't tell"),
        }
    if bins is not None:
        from dataclasses import replace

        spec = spec_from_options()
        t0 = time.perf_counter()
        binned = train(
            frame, replace(spec, features=replace(spec.features, numeric_bins=bins)), target=target, importance=False
        )
        out["seconds_bins"] = time.perf_counter() - t0
        assert (binned.cv.y_true == res.cv.y_true).all()
        scores = binned.cv.raw_scores[:, binned.cv.classes.index(cls)]
        out["chosen_bins"] = binned.classifier_choice["chosen"]
        out["pr_auc"]["bins"] = float(average_precision_score(truth, scores))
        d, lo, hi = paired_ap(truth, scores, ours)
        out["bins_vs_default"] = {
            "difference": d,
            "interval": [lo, hi],
            "verdict": "worse" if hi < 0 else ("better" if lo > 0 else "can't tell"),
        }
    best = max(theirs, key=lambda b: out["pr_auc"][b])
    out["better_baseline"] = best
    out["verdict_vs_better"] = out["vs"][best]["verdict"]
    return out


def timing(frame: pd.DataFrame, target: str, repeat: int) -> dict:
    from clickpred.estimator.fitting import train
    from clickpred.modeling.spec import spec_from_options

    runs: dict[str, list[float]] = {"auto": [], "logistic": []}
    chosen = None
    for _ in range(repeat):
        for label, spec in (("logistic", spec_from_options("logistic")), ("auto", spec_from_options())):
            t0 = time.perf_counter()
            res = train(frame, spec, target=target)
            runs[label].append(time.perf_counter() - t0)
            if label == "auto":
                chosen = res.classifier_choice["chosen"]
                choice_s = res.timings.get("choice_seconds")
    med = {k: statistics.median(v) for k, v in runs.items()}
    return {
        "seconds": runs,
        "median": med,
        "ratio": med["auto"] / med["logistic"],
        "chosen": chosen,
        "choice_seconds": choice_s,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("names", nargs="*")
    ap.add_argument("--timing-only", action="store_true")
    ap.add_argument("--no-timing", action="store_true")
    ap.add_argument("--rows", type=int, default=0, help="also time a simulated log of this many rows")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--name", default="auto")
    ap.add_argument("--bins", default=None, help='also default with numeric_bins = N, 0 or "auto", paired with default')
    args = ap.parse_args()
    if args.bins is not None and args.bins != "auto":
        args.bins = int(args.bins)
    doc: dict = {"quality": {}, "timing": {}, "bins": args.bins}
    sample = pd.read_csv(ROOT / "data" / "impressions_sample.csv.gz")
    if not args.timing_only:
        with tempfile.TemporaryDirectory() as tmp:
            sets = data_sets(Path(tmp), args.names)
            if not args.names or "sample" in args.names:
                sets.append(("sample", sample, "event"))
            for name, frame, target in sets:
                r = quality(name, frame, target, args.bins)
                doc["quality"][name] = r
                print(
                    f"{name:15} {r['chosen']:8} default {r['pr_auc']['default']:.3f} script {r['pr_auc']['script']:.3f}"
                    f" hgb {r['pr_auc']['hgb']:.3f}  vs better ({r['better_baseline']}) {r['verdict_vs_better']}"
                    + (
                        f"; bins {r['pr_auc']['bins']:.3f} {r['bins_vs_default']['verdict']}"
                        if args.bins is not None
                        else ""
                    ),
                    flush=True,
                )
        doc["worse_than_better_baseline"] = sorted(
            n for n, r in doc["quality"].items() if r["verdict_vs_better"] == "worse"
        )
        doc["better_than_better_baseline"] = sorted(
            n for n, r in doc["quality"].items() if r["verdict_vs_better"] == "better"
        )
    if not args.no_timing:
        doc["timing"]["sample"] = timing(sample, "event", args.repeat)
        print("timing sample", doc["timing"]["sample"]["median"], doc["timing"]["sample"]["ratio"], flush=True)
        if args.rows:
            from clickpred.jobs.simulate import simulate

            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / "sim.csv"
                simulate(path, rows=args.rows, seed=7)
                frame = pd.read_csv(path)
            key = f"simulated_{args.rows}"
            doc["timing"][key] = timing(frame, "event", args.repeat)
            print("timing", key, doc["timing"][key]["median"], doc["timing"][key]["ratio"], flush=True)
    write_result(args.name, doc)


if __name__ == "__main__":
    main()
