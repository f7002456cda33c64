"""Kernel SVMs at scale. Writes benchmarks/results/svm.json.

1. Peak memory on 1M simulated impressions (80% train split), each fit alone in a fresh process:
   clickpred `svm-nystroem` (float32 features made chunk by chunk + L-BFGS; and its `solver="sgd"`
   variant that holds one chunk only) against a plain Nystroem(300) + LinearSVC on the
   same encoded features. Reported: whole-process peak RSS (data load included) and the fit phase's
   own peak. The plain LinearSVC is capped at max_iter=50: its memory is allocated before the first
   iteration, and uncapped it runs for many minutes.
2. `svm-rbf` (kernel SVC) fit time at growing training sizes up to its row limit, the fitted growth
   exponent, and the time it takes to refuse a fit past the limit.

    python benchmarks/bench_svm.py [--rows 1000000]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import RESULTS, in_child, peak_rss_mb, reset_peak, rss_mb, simulated, write_result  # noqa: E402


def _encoded(path, rows_limit=None, seed=0):
    from sklearn.model_selection import train_test_split

    from clickpred.io.dataset import load_dataset
    from clickpred.modeling.pipeline import build_pipeline
    from clickpred.modeling.spec import spec_from_options

    ds = load_dataset(path)
    idx = np.arange(len(ds.y))
    tr, te = train_test_split(idx, test_size=0.2, stratify=ds.y, random_state=seed)
    if rows_limit:
        tr = tr[:rows_limit]
    pipe = build_pipeline(spec_from_options("svm", "none"), ds.schema, ds.class_counts).pipeline
    A = pipe[2].fit_transform(pipe[0].fit_transform(ds.frame.iloc[tr], ds.y[tr]))
    B = pipe[2].transform(pipe[0].transform(ds.frame.iloc[te]))
    return A, ds.y[tr], B, ds.y[te]


def nystroem_child(path, which):
    from sklearn.kernel_approximation import Nystroem
    from sklearn.metrics import average_precision_score
    from sklearn.pipeline import make_pipeline
    from sklearn.svm import LinearSVC

    from clickpred.modeling.estimators import NystroemSVM

    warnings.filterwarnings("ignore")
    A, y, B, yt = _encoded(path)
    before = rss_mb()
    load_peak = peak_rss_mb()
    reset_peak()
    t0 = time.perf_counter()
    if which.startswith("clickpred"):
        solver = "sgd" if which == "clickpred-sgd" else "lbfgs"
        model = NystroemSVM(C=0.1, n_components=300, solver=solver, class_weight="balanced", random_state=0).fit(A, y)
    else:
        gamma = NystroemSVM()._gamma(A)
        model = make_pipeline(
            Nystroem(gamma=gamma, n_components=300, random_state=0),
            LinearSVC(C=0.1, class_weight="balanced", max_iter=50),
        ).fit(A, y)
    seconds = time.perf_counter() - t0
    fit_peak = peak_rss_mb()
    s = model.decision_function(B)
    classes = [str(c) for c in model.classes_]
    return {
        "fit_seconds": seconds,
        "rss_before_fit_mb": before,
        "load_and_encode_peak_rss_mb": load_peak,
        "fit_phase_peak_rss_mb": fit_peak,
        "train_rows": int(A.shape[0]),
        "pr_auc": {c: float(average_precision_score(yt == c, s[:, classes.index(c)])) for c in ("click", "conversion")},
    }


def rbf_scaling(path):
    from clickpred.errors import RowLimitError
    from clickpred.modeling.estimators import BoundedSVC

    A, y, _, _ = _encoded(path)
    rng = np.random.default_rng(0)
    out = []
    for n in (2_500, 5_000, 10_000, 20_000):
        idx = rng.choice(A.shape[0], n, replace=False)
        t0 = time.perf_counter()
        BoundedSVC(max_rows=20_000, class_weight="balanced").fit(A[idx], y[idx])
        out.append({"rows": n, "fit_seconds": time.perf_counter() - t0})
    slope = float(np.polyfit(np.log([o["rows"] for o in out]), np.log([o["fit_seconds"] for o in out]), 1)[0])
    t0 = time.perf_counter()
    try:
        BoundedSVC(max_rows=20_000).fit(A[:40_000], y[:40_000])
        refused = False
    except RowLimitError:
        refused = True
    return {"fits": out, "growth_exponent": slope, "refused_40k": refused, "refusal_seconds": time.perf_counter() - t0}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument(
        "--variants",
        default="clickpred,clickpred-sgd,plain,rbf",
        help="run only these; the others are kept from the previous results file (each variant records when it was measured)",
    )
    args = ap.parse_args()
    path, _ = simulated(args.rows)
    wanted = args.variants.split(",")
    previous = RESULTS / f"svm_{args.rows // 1000}k.json"
    old = json.loads(previous.read_text()) if previous.exists() else {}
    results = dict(old.get("nystroem", {}))
    for which in ("clickpred", "clickpred-sgd", "plain"):
        if which not in wanted:
            continue
        res, _ = in_child(nystroem_child, path, which)
        res["process_peak_rss_mb"] = max(res["load_and_encode_peak_rss_mb"], res["fit_phase_peak_rss_mb"])
        res["measured_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        results[which] = res
        print(which, res, flush=True)
    rbf = in_child(rbf_scaling, path)[0] if "rbf" in wanted else old.get("svm_rbf")
    print("svm-rbf", rbf, flush=True)
    out = write_result(
        f"svm_{args.rows // 1000}k",
        {
            "rows": args.rows,
            "command": f"python benchmarks/bench_svm.py --rows {args.rows} --variants {args.variants}",
            "nystroem": results,
            "ratios": {
                "fit_phase_peak_clickpred_over_plain": results["clickpred"]["fit_phase_peak_rss_mb"]
                / results["plain"]["fit_phase_peak_rss_mb"],
            },
            "svm_rbf": rbf,
        },
    )
    print("wrote", out)


if __name__ == "__main__":
    main()
