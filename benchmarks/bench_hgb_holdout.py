"""Gradient boosting under resampling: early stopping's validation slice drawn from the resampled rows (before)
against held out of the training fold first (clickpred.modeling.boosting, today's hgb), on the same folds.

    python benchmarks/bench_hgb_holdout.py [--only sample coil bank] [--strategies oversample,smote,undersample]

Variants, each fitted on the same 5 stratified folds (seed 0) after the same fitted ``prepare`` step:
    before      imbalanced-learn pipeline sampler → HistGradientBoosting, whose 10% slice is resampled rows
                (under random oversampling it holds copies of the clicks it fits)
    held_out    a stratified 10% of the training fold held out before the sampler, weighted per class by how
                much the sampler grew or shrank it (today's hgb under oversample and smote; under undersample
                hgb keeps ``before``, which these figures chose)
    unweighted  the same slice at its natural class balance (the weights dropped)
Per variant: fit seconds (the classifier part; ``prepare`` is shared and not counted), iterations, and each
minority class's PR-AUC on the out-of-fold scores, with a paired bootstrap interval (1,000 replicates over rows,
clickpred.evaluation.intervals) of its difference to ``before``. Time ratios are against ``before`` in the same
process. Writes benchmarks/results/hgb_holdout.json.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import warnings
from contextlib import contextmanager, nullcontext
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import write_result  # noqa: E402

VARIANTS = ("before", "held_out", "unweighted")


@contextmanager
def _unweighted():
    """HistGradientBoosting's fit with the validation weights dropped."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    fit = HistGradientBoostingClassifier.fit

    def natural(self, X, y, sample_weight=None, **kw):
        kw.pop("sample_weight_val", None)
        return fit(self, X, y, sample_weight, **kw)

    HistGradientBoostingClassifier.fit = natural
    try:
        yield
    finally:
        HistGradientBoostingClassifier.fit = fit


def variant(pipe, name: str):
    """The pipeline after ``prepare`` for one variant (``pipe`` as build_pipeline builds it, unfitted), its
    sampler where the variant puts it, wherever build_pipeline put it."""
    from sklearn.base import clone

    rest = clone(pipe[1:])
    step, param = rest.named_steps["sampler"], rest.named_steps["classifier"].sampler
    sampler = param if step == "passthrough" else step
    if name == "before":
        return rest.set_params(sampler=sampler, classifier__sampler=None)
    return rest.set_params(sampler="passthrough", classifier__sampler=sampler)


def run(ds, strategies: list[str], folds: int = 5, seed: int = 0) -> dict:
    from sklearn.base import clone
    from sklearn.model_selection import StratifiedKFold

    from clickpred.evaluation.intervals import RankedScores, bootstrap_ap, paired
    from clickpred.modeling.pipeline import build_pipeline
    from clickpred.modeling.spec import spec_from_options

    X, y, classes = ds.frame, ds.y, ds.schema.classes
    splits = list(StratifiedKFold(folds, shuffle=True, random_state=seed).split(np.zeros(len(y)), y))
    out = {}
    for strategy in strategies:
        pipe = build_pipeline(spec_from_options("hgb", strategy, folds=folds), ds.schema, ds.class_counts).pipeline
        oof = {v: np.zeros((len(y), len(classes))) for v in VARIANTS}
        seconds = {v: [] for v in VARIANTS}
        iters = {v: [] for v in VARIANTS}
        for tr, te in splits:
            prepare = clone(pipe[0])
            Xtr, Xte = prepare.fit_transform(X.iloc[tr], y[tr]), prepare.transform(X.iloc[te])
            for v in VARIANTS:
                rest = variant(pipe, v)
                with warnings.catch_warnings(), _unweighted() if v == "unweighted" else nullcontext():
                    warnings.simplefilter("ignore")
                    t0 = time.perf_counter()
                    rest.fit(Xtr, y[tr])
                    seconds[v].append(time.perf_counter() - t0)
                oof[v][te] = rest.predict_proba(Xte)
                iters[v].append(int(rest.named_steps["classifier"].n_iter_))
        entry = {}
        for v in VARIANTS:
            entry[v] = {
                "fit_seconds": float(sum(seconds[v])),
                "over_before": float(sum(seconds[v]) / sum(seconds["before"])),
                "n_iter": iters[v],
                "classes": {},
            }
        for k, c in enumerate(classes[1:], start=1):
            t = (y == c).astype(int)
            point, values = bootstrap_ap({v: [RankedScores(t, oof[v][:, k])] for v in VARIANTS}, replicates=1000)
            for v in VARIANTS:
                m = {"pr_auc": point[v].estimate, "low": point[v].low, "high": point[v].high}
                if v != "before":
                    d = paired(v, "before", point, values)
                    m.update(minus_before=d.difference, minus_before_low=d.low, minus_before_high=d.high)
                entry[v]["classes"][c] = m
        out[strategy] = entry
        for v in VARIANTS:
            e = entry[v]
            print(
                strategy,
                v,
                f"{e['fit_seconds']:.1f} s ({e['over_before']:.2f}×) iterations {e['n_iter']}",
                {c: {k: round(x, 4) for k, x in m.items()} for c, m in e["classes"].items()},
                flush=True,
            )
    return out


def main() -> None:
    from bench_defaults import datasets

    from clickpred.io.dataset import load_dataset

    ap = argparse.ArgumentParser()
    ap.add_argument("--only", nargs="*", default=["sample", "coil", "bank"])
    ap.add_argument("--strategies", default="oversample,smote,undersample")
    args = ap.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, data, _test, target, drop, sep, _ in datasets(Path(tmp), args.only):
            ds = load_dataset(data, target=target, drop=drop, sep=sep)
            print(name, len(ds.y), ds.class_counts, flush=True)
            results[name] = {"rows": len(ds.y), "class_counts": ds.class_counts, **run(ds, args.strategies.split(","))}
    path = write_result(
        "hgb_holdout",
        {
            "command": "python benchmarks/bench_hgb_holdout.py --only "
            + " ".join(args.only)
            + " --strategies "
            + args.strategies,
            "folds": 5,
            "variants": list(VARIANTS),
            "results": results,
        },
    )
    print("→", path)


if __name__ == "__main__":
    main()
