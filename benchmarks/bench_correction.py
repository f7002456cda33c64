"""The probability correction's method search: sigmoid and isotonic fitted directly, and every calibrator on 0/1
integers, against the search as it was (through CalibratedClassifierCV, labels as text).

`clickpred.postfit.correction.fit_correction` cross-fits every method on the folds' out-of-fold scores and keeps the
best; the search's calibrators only predict, so `_search_fit` fits scikit-learn's sigmoid and isotonic maps
directly on the decision column and 0/1 labels — the same numbers to the last bit (tests/postfit/test_correction.py)
— and the chosen method is then fitted as before (the model file's CalibratedClassifierCV). Out-of-fold scores of a
logistic model on ``--rows`` simulated impressions (0.2% clicks, a tenth of them converting; five folds), the
search three ways in turn, ``--pairs`` times in one process, one worker: as it was (`text_labels`: a frozen copy of
the calibrator fit before these changes, labels "0"/"1"), through CalibratedClassifierCV on integer labels, and
today's (`direct`); the figures are the ratios of the medians to the first.

    python benchmarks/bench_correction.py [--rows 1000000] [--pairs 3]

Writes benchmarks/results/correction_search.json.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import write_result  # noqa: E402


def scores(rows: int, seed: int = 0):
    """Labels, a three-class model's probabilities of them (informative, not calibrated) and a fold per row."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(rows, 2))
    click = 1 / (1 + np.exp(-(1.2 * z[:, 0] - 6.5)))
    convert = 1 / (1 + np.exp(-(1.0 * z[:, 1] - 2.5)))
    u = rng.random(rows)
    y = np.where(u < click * convert, "conversion", np.where(u < click, "click", "view"))
    logits = np.column_stack([np.zeros(rows), 0.8 * z[:, 0] - 5.0, 0.8 * z[:, 0] + 0.6 * z[:, 1] - 7.0])
    P = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return y, P, rng.integers(0, 5, rows)


def text_labels(method, scores, y, kind, classes):
    """The calibrator fit as it was before the integer labels (a frozen copy, for this comparison)."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.frozen import FrozenEstimator

    from clickpred.postfit.adapters import ScoresAsDecision
    from clickpred.postfit.correction import _binary_input

    out = {}
    for k, c in enumerate(classes[1:], start=1):
        t = np.where(y == c, "1", "0")
        if len(np.unique(t)) < 2:
            continue
        X = _binary_input(scores, k, kind)
        if int(min(np.sum(t == "1"), np.sum(t == "0"))) < 2:
            continue
        every_row = np.arange(len(t))
        est = FrozenEstimator(ScoresAsDecision().fit(X, t))
        out[c] = CalibratedClassifierCV(est, method=method, cv=[(every_row, every_row)], ensemble=True).fit(X, t)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--pairs", type=int, default=3)
    args = ap.parse_args()

    import clickpred.postfit.correction as correction

    y, P, fold = scores(args.rows)
    classes = ["view", "click", "conversion"]
    direct = correction._search_fit
    variants = (
        ("text_labels", text_labels),
        ("through_CalibratedClassifierCV", correction._fit_calibrator),
        ("direct", direct),
    )
    seconds: dict[str, list[float]] = {name: [] for name, _ in variants}
    chosen = {}
    for _ in range(args.pairs):
        for name, fit in variants:
            correction._search_fit = fit  # type: ignore[assignment]
            t0 = time.perf_counter()
            corr, out = correction.fit_correction(P, y, classes, "predict_proba", fold, "auto")
            seconds[name].append(round(time.perf_counter() - t0, 3))
            chosen[name] = (corr.method, corr.selection, float(out.sum()))
            print(name, seconds[name][-1], corr.method, flush=True)
    correction._search_fit = direct  # type: ignore[assignment]
    if any(v != chosen["text_labels"] for v in chosen.values()):
        raise SystemExit(f"the searches disagree: {chosen}")
    medians = {k: statistics.median(v) for k, v in seconds.items()}
    ratios = {k: round(v / medians["text_labels"], 3) for k, v in medians.items() if k != "text_labels"}
    path = write_result(
        "correction_search",
        {
            "command": "python benchmarks/bench_correction.py " + " ".join(sys.argv[1:]),
            "rows": args.rows,
            "class_counts": {c: int((y == c).sum()) for c in classes},
            "chosen": chosen["direct"][0],
            "seconds": seconds,
            "medians": medians,
            "ratio_to_text_labels": ratios,
        },
    )
    print(f"correction {medians} s: {ratios} of the search as it was → {path}")


if __name__ == "__main__":
    main()
