"""Label-aware schema decisions made on all rows vs again on each training fold: the out-of-fold figures before
and after.

Until the fix, an integer column's kind (codes or a quantity, :func:`clickpred.io.dataset.integer_kind`) was
decided once on every row, labels included, before cross-validation: a held-out row's label helped choose how its
own column was read. Now each training fold decides again on its own rows (:func:`clickpred.estimator.training.
fold_readings`). The final model is the same either way (all rows decide it); only the out-of-fold figures — the
estimate of how well the procedure does on new rows — may change. "before" here is the same train call with the
per-fold decisions switched off (``fold_readings`` replaced by one that keeps every fold on the all-rows schema), in
the same process on the same folds.

Run: ``python benchmarks/bench_fold_schema.py [names…]`` → ``benchmarks/results/fold_schema.json``.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from _common import RESULTS, ROOT, SHARED
from sklearn.metrics import average_precision_score

REPLICATES = 500


def data_sets(tmp: Path, only: list[str]) -> list[tuple[str, object, str | None]]:
    out: list[tuple[str, object, str | None]] = [("sample", ROOT / "data" / "impressions_sample.csv.gz", None)]
    if SHARED.exists():
        from bench_real import coil_files

        out.append(("coil", coil_files(tmp)[0], "CARAVAN"))
        bank = pd.read_csv(SHARED / "bank_marketing" / "bank-additional.csv", sep=";").drop(columns=["duration"])
        out.append(("bank", bank, "y"))
        for path in sorted((SHARED / "imbalanced_benchmark").glob("*.npz")):
            z = np.load(path)
            frame = pd.DataFrame(z["X"], columns=[f"x{i}" for i in range(z["X"].shape[1])]).assign(y=z["y"])
            out.append((path.stem, frame, "y"))
    return [d for d in out if not only or d[0] in only]


def paired_ap(y: np.ndarray, a: np.ndarray, b: np.ndarray, seed: int = 0) -> tuple[float, float, float]:
    """AP(a) − AP(b) on the same rows, with a 95% percentile interval over row bootstraps."""
    rng = np.random.default_rng(seed)
    d = []
    for _ in range(REPLICATES):
        i = rng.integers(0, len(y), len(y))
        if y[i].any():
            d.append(average_precision_score(y[i], a[i]) - average_precision_score(y[i], b[i]))
    lo, hi = np.quantile(d, [0.025, 0.975])
    return average_precision_score(y, a) - average_precision_score(y, b), float(lo), float(hi)


def run(data, target: str | None) -> dict:
    import clickpred.estimator.fitting as train_job
    from clickpred.modeling.spec import spec_from_options

    spec = spec_from_options()
    after = train_job.train(data, spec, target=target)
    real = train_job.fold_readings
    train_job.fold_readings = lambda base, X, y, splits, spec, schema: ([None] * len(splits), [])
    try:
        before = train_job.train(data, spec, target=target)
    finally:
        train_job.fold_readings = real
    assert after.data.schema == before.data.schema, "the final model's schema does not depend on the folds"
    out: dict = {
        "rows": len(after.data.y),
        "decided_per_fold": [n for n in after.notes if "decided again on each training fold" in n],
        "label_decided_columns": sum(1 for c in after.data.schema.features if c.evidence.startswith("the label")),
        "classes": {},
    }
    classes = after.data.schema.classes
    for k, c in enumerate(classes[1:], start=1):
        t = after.cv.y_true == c
        if t.sum() < 5:
            continue
        diff, lo, hi = paired_ap(t, after.cv.scores[:, k], before.cv.scores[:, k])
        out["classes"][c] = {
            "positives": int(t.sum()),
            "pr_auc_all_rows_decide": before.cv.metrics["per_class"][c]["pr_auc"],
            "pr_auc_each_fold_decides": after.cv.metrics["per_class"][c]["pr_auc"],
            "after_minus_before": diff,
            "interval": [lo, hi],
        }
    return out


def document(results: dict, only: list[str]) -> dict:
    """The results file: per data set and class, PR-AUC with the kinds decided on all rows and per fold, their
    paired difference; the data sets where some fold decided otherwise, and the largest change."""
    from datetime import datetime, timezone

    changes = [m["after_minus_before"] for r in results.values() for m in r["classes"].values()]
    return {
        "benchmark": "fold_schema",
        "created": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "command": "python benchmarks/bench_fold_schema.py" + "".join(f" {n}" for n in only),
        "data_sets_where_folds_decide_otherwise": sum(1 for r in results.values() if r["decided_per_fold"]),
        "largest_change": max(changes, key=abs) if changes else 0.0,
        "results": results,
    }


def main() -> None:
    only = sys.argv[1:]
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, data, target in data_sets(Path(tmp), only):
            results[name] = run(data, target)
            print(name, json.dumps(results[name]), flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "fold_schema.json").write_text(json.dumps(document(results, only), indent=2) + "\n")


if __name__ == "__main__":
    main()
