"""`clickpred train` on a small log, against one plain scikit-learn fit of the same one-hot pipeline, in the same
process (issue 15: the whole train — read, 5-fold CV, probability correction, decision rule, final fit, model file
and report — should cost at most ~10× one plain fit).

    python benchmarks/bench_train_small.py [--rows 100000] [--repeats 3]
    python benchmarks/bench_train_small.py --rows 1000000 --repeats 1 --baseline balanced --plain-fits 1

`--baseline balanced` times the plain pipeline of `bench_train.py` instead (`bench_train.baseline_pipeline`: one-hot
with imputed text columns, LogisticRegression(class_weight="balanced", max_iter=300), the issue-2 baseline of the
1M-row training benchmark),
for issue 15's "on 1M rows the whole train, CV included, ≤ 2× one plain fit" — a fit without weights stops after a
few iterations on 0.2% clicks, and six such fits cannot cost less than two of them. `--plain-fits` sets how many
plain fits each repeat takes the median of.

Per repeat, in this order: a plain fit (the median of `--plain-fits`, default three; ColumnTransformer: one-hot of
the text columns, imputed and scaled numbers; LogisticRegression(max_iter=300)) on every row, then `run_train` with the defaults (logistic, no rebalancing, auto
calibration and decision rule) writing its model file and report to a temporary folder. The ratio is the median over
repeats of (train wall time / plain fit wall time); `timings` are clickpred's own phases. Writes
benchmarks/results/train_<rows/1000>k_small[_balanced].json.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import simulated, write_result  # noqa: E402

PLAIN_FITS = 3  # one fit of under a second swings ±30% on a shared machine: the median of three


def plain_fit_seconds(path, balanced: bool = False, fits: int = PLAIN_FITS) -> tuple[float, int]:
    """A fit of the one-hot pipeline a data scientist writes, on the columns as clickpred types them (its
    categorical and ID columns one-hot encoded, its numbers imputed and scaled; the timestamp left out): the median
    of ``fits`` fits. With ``balanced``, `bench_train.py`'s own baseline pipeline on the frame as it fits it."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline, make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    from clickpred.io.dataset import load_dataset

    ds = load_dataset(path)
    if balanced:
        from bench_train import baseline_pipeline

        frame, pipe = ds.frame, baseline_pipeline(ds)
    else:
        text = [c.name for c in ds.schema.features if c.kind in ("categorical", "id")]
        numbers = [c.name for c in ds.schema.features if c.kind == "numeric"]
        frame = ds.frame.copy()
        frame[text] = frame[text].astype(object).where(frame[text].notna(), "NA")
        pipe = Pipeline(
            [
                (
                    "pre",
                    ColumnTransformer(
                        [
                            ("onehot", OneHotEncoder(handle_unknown="ignore"), text),
                            ("scale", make_pipeline(SimpleImputer(), StandardScaler()), numbers),
                        ]
                    ),
                ),
                ("lr", LogisticRegression(max_iter=300)),
            ]
        )
    seconds = []
    for _ in range(fits):
        t0 = time.perf_counter()
        pipe.fit(frame, ds.y)
        seconds.append(time.perf_counter() - t0)
    return statistics.median(seconds), int(pipe[:-1].transform(frame.head(1)).shape[1])


def clickpred_seconds(path) -> tuple[float, dict]:
    from clickpred.jobs.train import run_train
    from clickpred.modeling.spec import spec_from_options

    with tempfile.TemporaryDirectory() as d:
        t0 = time.perf_counter()
        out = run_train(path, spec_from_options(), model_path=Path(d) / "m.skops", report_dir=Path(d) / "report")
        seconds = time.perf_counter() - t0
    return seconds, dict(out.result.timings)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--baseline", choices=["plain", "balanced"], default="plain")
    ap.add_argument("--plain-fits", type=int, default=PLAIN_FITS)
    args = ap.parse_args()
    balanced = args.baseline == "balanced"
    path, _ = simulated(args.rows)
    runs = []
    for r in range(args.repeats):
        plain, width = plain_fit_seconds(path, balanced, args.plain_fits)
        total, timings = clickpred_seconds(path)
        runs.append(
            {
                "plain_fit_seconds": plain,
                "clickpred_seconds": total,
                "ratio": total / plain,
                "clickpred_timings": timings,
                "one_hot_columns": width,
            }
        )
        print(
            f"repeat {r + 1}: plain fit {plain:.2f} s, clickpred train {total:.2f} s, ratio {total / plain:.1f}×",
            {k: round(v, 2) for k, v in timings.items()},
            flush=True,
        )
    ratio = statistics.median(run["ratio"] for run in runs)
    suffix = "_balanced" if balanced else ""
    path_out = write_result(
        f"train_{args.rows // 1000}k_small{suffix}",
        {
            "command": f"python benchmarks/bench_train_small.py --rows {args.rows} --repeats {args.repeats}"
            + (f" --baseline {args.baseline} --plain-fits {args.plain_fits}" if balanced else ""),
            "rows": args.rows,
            "baseline": "LogisticRegression(class_weight='balanced', max_iter=300)"
            if balanced
            else "LogisticRegression(max_iter=300)",
            "plain_fits_per_repeat": args.plain_fits,
            "runs": runs,
            "ratio": {"train_over_plain_fit_median": ratio},
        },
    )
    print(f"median ratio {ratio:.1f}× → {path_out}")


if __name__ == "__main__":
    main()
