"""Training time, convergence and PR-AUC of `logistic + class_weight` on 1M simulated impressions,
against a plain hand-written scikit-learn pipeline timed in the same process:

    baseline = ColumnTransformer(OneHotEncoder on string columns, impute+StandardScaler on numbers)
               + LogisticRegression(class_weight="balanced", max_iter=300)

Both train on the same stratified 80% and are scored on the same untouched 20% (natural balance).
Peak memory is measured for each in a fresh child process. Writes benchmarks/results/train_1m.json.

    python benchmarks/bench_train.py [--rows 1000000] [--reference]

--reference also fits clickpred's pipeline to a 100× tighter tolerance, to show how far from the
optimum the default stopping point is (objective gap) and what that costs or buys in PR-AUC.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings

import numpy as np

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parent))
from _common import RESULTS, in_child, simulated, timed, write_result  # noqa: E402


def load(path):
    from clickpred.io.dataset import load_dataset

    return load_dataset(path)


def split(y, seed=0):
    from sklearn.model_selection import train_test_split

    idx = np.arange(len(y))
    return train_test_split(idx, test_size=0.2, stratify=y, random_state=seed)


def baseline_pipeline(ds):
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline, make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    cats = [c.name for c in ds.schema.features if c.kind in ("categorical", "id")]
    nums = [c.name for c in ds.schema.features if c.kind == "numeric"]
    pre = ColumnTransformer(
        [
            (
                "onehot",
                make_pipeline(
                    SimpleImputer(strategy="constant", fill_value="NA"), OneHotEncoder(handle_unknown="ignore")
                ),
                cats,
            ),
            ("scale", make_pipeline(SimpleImputer(), StandardScaler()), nums),
        ]
    )
    return Pipeline([("pre", pre), ("lr", LogisticRegression(class_weight="balanced", max_iter=300))])


def clickpred_pipeline(ds, tol=None, strategy="class_weight"):
    from clickpred.modeling.pipeline import build_pipeline
    from clickpred.modeling.spec import spec_from_dict

    params = {"name": "logistic"} if tol is None else {"name": "logistic", "tol": tol}
    spec = spec_from_dict({"classifier": params, "strategy": strategy})
    return build_pipeline(spec, ds.schema, ds.class_counts).pipeline


def fit_and_score(pipe, ds, tr, te):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.metrics import average_precision_score

    X, y = ds.frame, ds.y
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _, seconds = timed(pipe.fit, X.iloc[tr], y[tr])
    clf = pipe.steps[-1][1]
    proba = pipe.predict_proba(X.iloc[te])
    classes = [str(c) for c in pipe.classes_]
    pr_auc = {c: float(average_precision_score(y[te] == c, proba[:, classes.index(c)])) for c in ds.schema.classes[1:]}
    Xt = pipe[:-1].transform(X.iloc[tr])
    return {
        "fit_seconds": seconds,
        "n_iter": int(np.max(clf.n_iter_)),
        "max_iter": clf.max_iter,
        "converged": not any(issubclass(w.category, ConvergenceWarning) for w in caught),
        "solver": clf.solver,
        "n_columns": int(Xt.shape[1]),
        "objective": weighted_objective(clf, Xt, y[tr]),
        "pr_auc": pr_auc,
    }


def weighted_objective(clf, X, y):
    """The balanced-weight L2 logistic objective (mean form, as scikit-learn minimises it)."""
    from sklearn.utils.class_weight import compute_sample_weight

    w = compute_sample_weight("balanced", y)
    z = X @ clf.coef_.T + clf.intercept_
    z = z - z.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    idx = np.searchsorted(clf.classes_, y)
    loss = -(w * logp[np.arange(len(y)), idx]).sum() / w.sum()
    return float(loss + (clf.coef_**2).sum() / (2 * clf.C * w.sum()))


def run_variant(name, path, tol=None):
    ds = load(path)
    tr, te = split(ds.y)
    pipe = baseline_pipeline(ds) if name == "baseline" else clickpred_pipeline(ds, tol)
    return fit_and_score(pipe, ds, tr, te)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--reference", action="store_true")
    ap.add_argument(
        "--variants",
        default="baseline,clickpred,clickpred_none",
        help="fit only these (baseline, clickpred, clickpred_none, clickpred_tight); others are kept from the previous results file",
    )
    args = ap.parse_args()
    path, truth = simulated(args.rows)
    wanted = args.variants.split(",") + (["clickpred_tight"] if args.reference else [])
    previous = RESULTS / f"train_{args.rows // 1000}k.json"
    old = json.loads(previous.read_text()) if previous.exists() else {}

    # Timings: all in this process, one after the other, on the same split.
    ds = load(path)
    tr, te = split(ds.y)
    makers = {
        "baseline": lambda: baseline_pipeline(ds),
        "clickpred": lambda: clickpred_pipeline(ds),
        "clickpred_none": lambda: clickpred_pipeline(ds, strategy="none"),
        "clickpred_tight": lambda: clickpred_pipeline(ds, tol=3e-5),
    }
    results = dict(old.get("results", {}))
    for name in makers:
        if name in wanted:
            results[name] = fit_and_score(makers[name](), ds, tr, te)
            results[name]["measured_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            print(name, results[name], flush=True)

    # Oracle PR-AUC on the same test rows, from the true probabilities.
    import pandas as pd
    from sklearn.metrics import average_precision_score

    t = pd.read_parquet(truth)
    oracle = {
        c: float(average_precision_score(ds.y[te] == c, t[f"p_{c}"].to_numpy()[te])) for c in ds.schema.classes[1:]
    }
    ds = None  # free the frame before the next phase (the makers above are done with it)

    # Peak memory: each variant alone in a fresh process (data load included).
    memory = dict(old.get("peak_rss_mb", {}))
    for name in ("baseline", "clickpred"):
        if name not in wanted:
            continue
        _, rss = in_child(run_variant, name, path)
        memory[name] = rss
        print(name, "peak RSS MB", rss, flush=True)

    b, c = results["baseline"], results["clickpred"]
    payload = {
        "rows": args.rows,
        "train_rows": int(len(tr)),
        "test_rows": int(len(te)),
        "command": f"python benchmarks/bench_train.py --variants {args.variants}"
        + (" --reference" if args.reference else ""),
        "results": results,
        "oracle_pr_auc": oracle,
        "peak_rss_mb": memory,
        "ratios": {
            "fit_time_clickpred_over_baseline": c["fit_seconds"] / b["fit_seconds"],
            "peak_rss_clickpred_over_baseline": memory["clickpred"] / memory["baseline"],
            "pr_auc_clickpred_minus_baseline": {k: c["pr_auc"][k] - b["pr_auc"][k] for k in c["pr_auc"]},
            "pr_auc_fraction_of_oracle": {k: c["pr_auc"][k] / oracle[k] for k in c["pr_auc"]},
            **(
                {
                    "pr_auc_fraction_of_oracle_none": {
                        k: results["clickpred_none"]["pr_auc"][k] / oracle[k] for k in c["pr_auc"]
                    }
                }
                if "clickpred_none" in results
                else {}
            ),
        },
    }
    if "clickpred_tight" in results:
        t = results["clickpred_tight"]
        payload["ratios"]["objective_gap_relative"] = (c["objective"] - t["objective"]) / abs(t["objective"])
    out = write_result(f"train_{args.rows // 1000}k", payload)
    print("wrote", out)


if __name__ == "__main__":
    main()
