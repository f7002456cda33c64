"""The MLP on one-hot impression logs: fit time against the logistic's on the same rows, and PR-AUC against
today's MLP, paired on the same test rows (issue 15: "an MLP that finishes").

    python benchmarks/bench_mlp.py [--only sample coil bank] [--configs default,b1000,b2000]

Configurations of clickpred's MLP (hidden (64,), adam, early stopping on 10% of the training rows):
    default  batch_size auto (200), learning_rate_init 1e-3        (today's)
    b1000    batch_size 1000, learning_rate_init 2e-3
    b2000    batch_size 2000, learning_rate_init 3e-3
    loss_*   no early stopping on accuracy: stop when the training loss stops improving (3 epochs), capped
    u*       today's default with at most * optimizer steps (max_updates): fewer epochs on large files
(`default` is always the library's current default: loss_b2000 when the loss_* runs were made, u400 since.)
Every configuration is fitted on the same training rows (the official CoIL training file; a stratified 80% of
the others, seed 0) and scored on the same test rows; the logistic (today's default classifier) is timed on the
same rows in the same process. Paired bootstrap (1,000 replicates over test rows) of PR-AUC differences against
`default`. Writes benchmarks/results/mlp.json.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import write_result  # noqa: E402

CONFIGS = {
    "default": {},
    "b1000": {"batch_size": 1000, "learning_rate_init": 2e-3},
    "b2000": {"batch_size": 2000, "learning_rate_init": 3e-3},
    # Early stopping monitors validation *accuracy*, which on a 0.2% class barely moves: it stops after
    # n_iter_no_change epochs whatever the loss does. These stop on the training loss instead.
    "loss_b200": {"early_stopping": False, "max_iter": 15, "n_iter_no_change": 3},
    "loss_b1000": {
        "early_stopping": False,
        "batch_size": 1000,
        "learning_rate_init": 2e-3,
        "max_iter": 30,
        "n_iter_no_change": 3,
    },
    "loss_b2000": {
        "early_stopping": False,
        "batch_size": 2000,
        "learning_rate_init": 3e-3,
        "max_iter": 40,
        "n_iter_no_change": 3,
    },
    # The same as loss_b2000 (today's default), with the optimizer's steps capped: fewer epochs on a large
    # file, where one epoch is many steps (the sample's 160,000 rows: 80 steps an epoch, 3,200 in 40 epochs).
    "u400": {"max_updates": 400},
    "u800": {"max_updates": 800},
    "u1600": {"max_updates": 1600},
}


def split(ds, test_path, sep):
    from sklearn.model_selection import train_test_split

    from clickpred.io.dataset import load_dataset

    if test_path is not None:
        test = load_dataset(test_path, sep=sep, schema=ds.schema)
        return ds.frame, ds.y, test.frame, test.y
    tr, te = train_test_split(np.arange(len(ds.y)), test_size=0.2, stratify=ds.y, random_state=0)
    return ds.frame.iloc[tr], ds.y[tr], ds.frame.iloc[te], ds.y[te]


def fit_score(spec, schema, counts, params, Xtr, ytr, Xte, classes):
    from clickpred.evaluation.crossval import scores_for
    from clickpred.modeling.pipeline import build_pipeline

    built = build_pipeline(spec, schema, counts)
    pipe = built.pipeline
    if params:
        pipe.set_params(**{f"classifier__{k}": v for k, v in params.items()})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        pipe.fit(Xtr, ytr)
        seconds = time.perf_counter() - t0
    clf = pipe.steps[-1][1]
    return seconds, scores_for(pipe, Xte, classes, built.score_method), int(np.max(getattr(clf, "n_iter_", 0)))


def paired(y, a, b, cls_index, cls, replicates=1000, seed=0):
    from sklearn.metrics import average_precision_score

    t = y == cls
    rng = np.random.default_rng(seed)
    point = average_precision_score(t, b[:, cls_index]) - average_precision_score(t, a[:, cls_index])
    diffs = []
    for _ in range(replicates):
        i = rng.integers(0, len(t), len(t))
        if t[i].any():
            diffs.append(
                average_precision_score(t[i], b[i, cls_index]) - average_precision_score(t[i], a[i, cls_index])
            )
    low, high = np.percentile(diffs, [2.5, 97.5])
    return float(point), float(low), float(high)


def main() -> None:
    from bench_defaults import datasets
    from sklearn.metrics import average_precision_score

    from clickpred.io.dataset import load_dataset
    from clickpred.modeling.spec import spec_from_options

    ap = argparse.ArgumentParser()
    ap.add_argument("--only", nargs="*", default=["sample", "coil", "bank"])
    ap.add_argument("--configs", default=",".join(CONFIGS))
    args = ap.parse_args()
    configs = args.configs.split(",")
    import tempfile

    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, data, test, target, drop, sep, _ in datasets(Path(tmp), args.only):
            ds = load_dataset(data, target=target, drop=drop, sep=sep)
            Xtr, ytr, Xte, yte = split(ds, test, sep)
            classes = ds.schema.classes
            counts = {c: int((ytr == c).sum()) for c in classes}
            lr_seconds, lr_scores, _ = fit_score(
                spec_from_options("logistic"), ds.schema, counts, {}, Xtr, ytr, Xte, classes
            )
            out = {"train_rows": len(ytr), "test_rows": len(yte), "logistic_fit_seconds": lr_seconds, "configs": {}}
            scores = {}
            for cfg in configs:
                seconds, s, n_iter = fit_score(
                    spec_from_options("mlp"), ds.schema, counts, CONFIGS[cfg], Xtr, ytr, Xte, classes
                )
                scores[cfg] = s
                entry = {"fit_seconds": seconds, "over_logistic": seconds / lr_seconds, "n_iter": n_iter, "classes": {}}
                for k, c in enumerate(classes[1:], start=1):
                    if not (yte == c).any():
                        continue
                    m = {
                        "pr_auc": float(average_precision_score(yte == c, s[:, k])),
                        "logistic_pr_auc": float(average_precision_score(yte == c, lr_scores[:, k])),
                    }
                    if cfg != "default" and "default" in scores:
                        m["minus_default"], m["minus_default_low"], m["minus_default_high"] = paired(
                            yte, scores["default"], s, k, c
                        )
                    entry["classes"][c] = m
                out["configs"][cfg] = entry
                print(
                    name,
                    cfg,
                    f"{seconds:.1f} s ({seconds / lr_seconds:.1f}× logistic {lr_seconds:.1f} s)",
                    {c: {k: round(v, 4) for k, v in m.items()} for c, m in entry["classes"].items()},
                    flush=True,
                )
            results[name] = out
    name = "mlp" if set(configs) >= {"b1000", "b2000"} else "mlp_" + "_".join(c for c in configs if c != "default")
    path = write_result(
        name,
        {
            "command": "python benchmarks/bench_mlp.py --only " + " ".join(args.only) + " --configs " + args.configs,
            "configs": {k: CONFIGS[k] for k in configs},
            "results": results,
        },
    )
    print("→", path)


if __name__ == "__main__":
    main()
