"""SMOTENC with clickpred's row-block decoder (clickpred.modeling.rebalance.RowBlockOneHotEncoder) against
imbalanced-learn's default encoder, in the same process, on the shipped sample.

    python benchmarks/bench_smote.py [--repeats 2] [--no-train]

1. Resampling: on each of the 5 training folds (stratified, seed 0) of the sample, after clickpred's fitted
   ``prepare`` step (logistic's layout: 4 categorical codes, 17 numbers), SMOTENC as `--strategy smote` builds it,
   once with imbalanced-learn's default encoder (``categorical_encoder=None``) and once with clickpred's, in
   alternating order; the resampled rows are compared for equality, and the seconds of each are recorded.
2. `train --strategy smote` (logistic; 5-fold CV and the final fit on two worker processes, correction, model
   file and report) on the sample, ``--repeats`` times each way, alternating: the baseline's pipeline has SMOTENC's encoder set back to
   imbalanced-learn's default. The models' out-of-fold figures are compared for equality.

Ratios are clickpred's seconds over the default's, medians over folds / repeats. Writes
benchmarks/results/smote.json.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager, nullcontext
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, write_result  # noqa: E402

SAMPLE = ROOT / "data" / "impressions_sample.csv.gz"


@contextmanager
def default_decoder():
    """`train` building SMOTENC with imbalanced-learn's default encoder (``categorical_encoder=None``). The
    pipeline is built in this process and sent to the fold workers as it is, so they fit the default too."""
    import clickpred.estimator.fitting as train_job

    build = train_job.build_pipeline

    def with_default_encoder(*args, **kwargs):
        built = build(*args, **kwargs)
        built.pipeline.named_steps["sampler"].set_params(categorical_encoder=None)
        return built

    train_job.build_pipeline = with_default_encoder  # type: ignore[assignment]
    try:
        yield
    finally:
        train_job.build_pipeline = build


def resampling(folds: int = 5) -> list[dict]:
    from sklearn.base import clone
    from sklearn.model_selection import StratifiedKFold

    from clickpred.io.dataset import load_dataset
    from clickpred.modeling.pipeline import build_pipeline
    from clickpred.modeling.spec import spec_from_options

    ds = load_dataset(SAMPLE)
    X, y = ds.frame, ds.y
    counts = {c: int((y == c).sum()) for c in ds.schema.classes}
    pipe = build_pipeline(spec_from_options("logistic", "smote"), ds.schema, counts).pipeline
    out = []
    for f, (tr, _) in enumerate(StratifiedKFold(folds, shuffle=True, random_state=0).split(X, y)):
        Xp = clone(pipe.named_steps["prepare"]).fit_transform(X.iloc[tr], y[tr])
        sampler = pipe.named_steps["sampler"]
        runs = {}
        order = ("default", "clickpred") if f % 2 == 0 else ("clickpred", "default")
        for name in order:
            s = clone(sampler).set_params(categorical_encoder=None) if name == "default" else clone(sampler)
            t0 = time.perf_counter()
            runs[name] = s.fit_resample(Xp, y[tr])
            runs[name + "_seconds"] = time.perf_counter() - t0
        same = bool(
            np.array_equal(runs["default"][0], runs["clickpred"][0])
            and np.array_equal(runs["default"][1], runs["clickpred"][1])
        )
        row = {
            "fold": f,
            "rows_in": len(tr),
            "rows_out": len(runs["clickpred"][1]),
            "default_seconds": runs["default_seconds"],
            "clickpred_seconds": runs["clickpred_seconds"],
            "ratio": runs["clickpred_seconds"] / runs["default_seconds"],
            "identical": same,
        }
        print(row, flush=True)
        out.append(row)
    return out


def train_runs(repeats: int) -> list[dict]:
    from clickpred.jobs.train import run_train
    from clickpred.modeling.spec import spec_from_options

    out = []
    for r in range(repeats):
        row: dict = {"repeat": r}
        order = ("default", "clickpred") if r % 2 == 0 else ("clickpred", "default")
        for name in order:
            with tempfile.TemporaryDirectory() as d, default_decoder() if name == "default" else nullcontext():
                t0 = time.perf_counter()
                res = run_train(
                    SAMPLE,
                    spec_from_options("logistic", "smote"),
                    model_path=Path(d) / "m.skops",
                    report_dir=Path(d) / "report",
                ).result
                row[name + "_seconds"] = time.perf_counter() - t0
                row[name + "_pr_auc"] = {c: res.cv.metrics["per_class"][c]["pr_auc"] for c in res.cv.classes[1:]}
        row["ratio"] = row["clickpred_seconds"] / row["default_seconds"]
        row["identical_figures"] = row["clickpred_pr_auc"] == row["default_pr_auc"]
        print(row, flush=True)
        out.append(row)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--no-train", action="store_true")
    args = ap.parse_args()
    folds = resampling()
    payload: dict = {
        "command": "python benchmarks/bench_smote.py" + (f" --repeats {args.repeats}" if args.repeats != 2 else ""),
        "data": "data/impressions_sample.csv.gz",
        "resampling": {
            "folds": folds,
            "ratio_median": statistics.median(f["ratio"] for f in folds),
            "all_identical": all(f["identical"] for f in folds),
        },
    }
    if not args.no_train:
        runs = train_runs(args.repeats)
        payload["train_smote"] = {
            "runs": runs,
            "ratio_median": statistics.median(r["ratio"] for r in runs),
            "all_identical": all(r["identical_figures"] for r in runs),
        }
    path = write_result("smote", payload)
    print(f"resampling ratio {payload['resampling']['ratio_median']:.2f}× → {path}")


if __name__ == "__main__":
    main()
