"""Codes *and* a slope where the shape alone decided codes (issue 31's "keep both where the evidence can't tell").

An integer column read as codes by the shape of its values alone (the label could not tell, or too few minority
rows to ask) is one-hot only in the linear models; the trees already get it as both its category and its number.
This measures what a slope beside the one-hot would give the linear model: on every set of ``bench_auto``'s
collection that has such columns, ``train`` with ``--classifier logistic`` as is, against the same with each of
those columns also given as a number (a copy forced ``--numeric``), same 5 folds, raw out-of-fold PR-AUC of the
judged class, paired 95% bootstrap interval of both − codes only.

    python benchmarks/bench_keep_both.py            → results/keep_both.json
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import write_result  # noqa: E402
from bench_fold_schema import paired_ap  # noqa: E402
from bench_hgb_sklearn import data_sets  # noqa: E402


def shape_only_codes(schema) -> list[str]:
    return [
        c.name
        for c in schema.features
        if c.kind in ("categorical", "id")
        and c.dtype in ("int", "float")
        and c.n_unique > 2
        and not c.evidence.startswith("the label")
        and c.evidence not in ("--categorical", "integer column named like an identifier")
    ]


def main() -> None:
    from sklearn.metrics import average_precision_score

    from clickpred.estimator.fitting import train
    from clickpred.io.dataset import load_dataset
    from clickpred.modeling.spec import spec_from_options

    out: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, frame, target in data_sets(Path(tmp), []):
            columns = shape_only_codes(load_dataset(frame, target=target).schema)
            if not columns:
                out[name] = {"columns": []}
                print(f"{name:15} no column read as codes by its shape alone", flush=True)
                continue
            spec = spec_from_options("logistic")
            codes = train(frame, spec, target=target, importance=False)
            both_frame = frame.copy()
            for c in columns:
                both_frame[c + "_as_number"] = frame[c].astype(float)
            both = train(both_frame, spec, target=target, importance=False, numeric=[c + "_as_number" for c in columns])
            assert (both.cv.y_true == codes.cv.y_true).all()
            cls = min(codes.cv.classes[1:], key=lambda c: (codes.cv.y_true == c).sum())  # the rarest class
            k = codes.cv.classes.index(cls)
            truth = codes.cv.y_true == cls
            a, b = codes.cv.raw_scores[:, k], both.cv.raw_scores[:, k]
            d, lo, hi = paired_ap(truth, b, a)
            out[name] = {
                "columns": columns,
                "class": cls,
                "positives": int(truth.sum()),
                "pr_auc": {
                    "codes": float(average_precision_score(truth, a)),
                    "both": float(average_precision_score(truth, b)),
                },
                "both_minus_codes": {"difference": d, "interval": [lo, hi]},
                "verdict": "better" if lo > 0 else ("worse" if hi < 0 else "can't tell"),
            }
            r = out[name]
            print(
                f"{name:15} {len(columns)} columns: codes {r['pr_auc']['codes']:.4f} both {r['pr_auc']['both']:.4f} "
                f"{d:+.4f} [{lo:+.4f}, {hi:+.4f}] {r['verdict']}",
                flush=True,
            )
    write_result("keep_both", {"sets": out})


if __name__ == "__main__":
    main()
