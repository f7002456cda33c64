"""clickpred's ``hgb`` against scikit-learn's default ``HistGradientBoostingClassifier`` on the same folds.

Issue 31: on some of imbalanced-learn's benchmark sets clickpred's hgb lost far to the library default (0.34 vs
0.81). For each set: 5-fold stratified out-of-fold PR-AUC of the minority class (the folds ``train`` uses,
``fold_splits(y, 5, 42)``), pooled over the folds, of

- ``sklearn``: ``HistGradientBoostingClassifier()`` with scikit-learn's defaults on the raw features (numbers as
  they are; a text column ordinal-encoded, and declared categorical where it has at most 255 values, as a user
  would);
- ``clickpred``: ``train(frame, hgb-none)`` — its own schema, encoding and hgb settings — scored by its raw
  out-of-fold scores (before the probability correction, whose per-fold maps reorder rows across folds);

and their paired difference with a 95% bootstrap interval over rows.

Run: ``python benchmarks/bench_hgb_sklearn.py [names…]`` → ``benchmarks/results/hgb_sklearn.json`` (with
``--tag T``: ``hgb_sklearn_T.json``, for a before/after pair).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
from _common import RESULTS, ROOT, SHARED
from bench_fold_schema import paired_ap
from sklearn.metrics import average_precision_score

PARAMS: dict = {}  # --param overrides of clickpred's hgb parameters


def data_sets(tmp: Path, only: list[str]) -> list[tuple[str, pd.DataFrame, str]]:
    out: list[tuple[str, pd.DataFrame, str]] = []
    for path in sorted((SHARED / "imbalanced_benchmark").glob("*.npz")):
        z = np.load(path)
        frame = pd.DataFrame(z["X"], columns=[f"x{i}" for i in range(z["X"].shape[1])]).assign(y=z["y"])
        out.append((path.stem, frame, "y"))
    bank = pd.read_csv(SHARED / "bank_marketing" / "bank-additional.csv", sep=";").drop(columns=["duration"])
    out.append(("bank", bank, "y"))
    from bench_real import coil_files

    coil = pd.read_csv(coil_files(tmp)[0])
    out.append(("coil", coil, "CARAVAN"))
    return [d for d in out if not only or d[0] in only]


def sklearn_oof(frame: pd.DataFrame, target: str, splits, positive) -> np.ndarray:
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.preprocessing import OrdinalEncoder

    X = frame.drop(columns=[target])
    text = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
    if text:
        X = X.copy()
        X[text] = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1).fit_transform(X[text])
    y = (frame[target].astype(str) == str(positive)).to_numpy()
    # a text column of at most 255 values is declared categorical (the trees' limit); longer ones stay ordinal codes
    mask = [c in text and X[c].nunique() <= 255 for c in X.columns]
    out = np.zeros(len(y))
    for tr, te in splits:
        model = HistGradientBoostingClassifier(categorical_features=mask if text else None, random_state=0)
        model.fit(X.iloc[tr], y[tr])
        out[te] = model.predict_proba(X.iloc[te])[:, 1]
    return out


def run(name: str, frame: pd.DataFrame, target: str) -> dict:
    from clickpred.estimator.fitting import train
    from clickpred.evaluation.crossval import fold_splits

    t0 = time.perf_counter()
    from clickpred.modeling.spec import spec_from_dict

    spec = spec_from_dict({"classifier": {"name": "hgb", **PARAMS}, "strategy": "none"}, source="bench")
    res = train(frame, spec, target=target, importance=False)
    seconds_clickpred = time.perf_counter() - t0
    classes = res.cv.classes
    # the rarest class with at least 100 rows (click on the shipped sample, whose 35 conversions say little)
    counts = {c: int((res.cv.y_true == c).sum()) for c in classes[1:]}
    enough = [c for c in counts if counts[c] >= 100] or list(counts)
    minority = min(enough, key=lambda c: (counts[c], c))
    k = classes.index(minority)
    truth = res.cv.y_true == minority
    ours = (res.cv.raw_scores if res.cv.raw_scores is not None else res.cv.scores)[:, k]
    positive = res.data.labels.get(minority, minority) if res.data.labels else minority
    splits = fold_splits(res.cv.y_true, res.spec.folds, res.spec.seed)
    t0 = time.perf_counter()
    theirs = sklearn_oof(frame, target, splits, positive)
    seconds_sklearn = time.perf_counter() - t0
    assert ((frame[target].astype(str) == str(positive)).to_numpy() == truth).all(), "the same rows, the same labels"
    diff, lo, hi = paired_ap(truth, ours, theirs)
    kinds = {}
    for c in res.data.schema.features:
        kinds[c.kind] = kinds.get(c.kind, 0) + 1
    return {
        "rows": len(truth),
        "positives": int(truth.sum()),
        "clickpred_pr_auc": float(average_precision_score(truth, ours)),
        "sklearn_pr_auc": float(average_precision_score(truth, theirs)),
        "clickpred_minus_sklearn": diff,
        "interval": [lo, hi],
        "verdict": "worse" if hi < 0 else ("better" if lo > 0 else "can't tell"),
        "column_kinds": kinds,
        "seconds": {"clickpred": seconds_clickpred, "sklearn": seconds_sklearn},
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("names", nargs="*")
    ap.add_argument("--tag", default="")
    ap.add_argument("--param", action="append", default=[], help="KEY=JSON: an hgb parameter of clickpred's")
    ap.add_argument("--sample", action="store_true", help="also the shipped sample (200k rows)")
    args = ap.parse_args()
    global PARAMS
    PARAMS = {k: json.loads(v) for k, v in (p.split("=", 1) for p in args.param)}
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        sets = data_sets(Path(tmp), args.names)
        if args.sample:
            sets.append(("sample", pd.read_csv(ROOT / "data" / "impressions_sample.csv.gz"), "event"))
        for name, frame, target in sets:
            results[name] = run(name, frame, target)
            r = results[name]
            print(
                f"{name:15} clickpred {r['clickpred_pr_auc']:.3f}  sklearn {r['sklearn_pr_auc']:.3f}  "
                f"diff {r['clickpred_minus_sklearn']:+.3f} [{r['interval'][0]:+.3f}, {r['interval'][1]:+.3f}] "
                f"{r['verdict']}  kinds {r['column_kinds']}",
                flush=True,
            )
    doc = {
        "benchmark": "hgb_sklearn",
        "created": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "command": "python benchmarks/bench_hgb_sklearn.py"
        + "".join(f" {n}" for n in args.names)
        + "".join(f" --param {p}" for p in args.param)
        + (" --sample" if args.sample else "")
        + (f" --tag {args.tag}" if args.tag else ""),
        "hgb_params": PARAMS,
        "worse": sorted(n for n, r in results.items() if r["verdict"] == "worse"),
        "mean_clickpred": float(np.mean([r["clickpred_pr_auc"] for r in results.values()])),
        "mean_sklearn": float(np.mean([r["sklearn_pr_auc"] for r in results.values()])),
        "results": results,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = "hgb_sklearn" + (f"_{args.tag}" if args.tag else "")
    (RESULTS / f"{name}.json").write_text(json.dumps(doc, indent=2) + "\n")


if __name__ == "__main__":
    main()
