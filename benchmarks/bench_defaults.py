"""Default `clickpred train` against the ten-line scikit-learn script, on the same split, in the same run.

For every data set with enough minority rows, clickpred is run as a new user runs it — `train(data, spec)`
with the default spec (only the target, plus the test file where one exists) — and so is the script a
data scientist writes in ten lines (below). Both are scored on the same rows: the official test file
where there is one, else out-of-fold on clickpred's own folds (5-fold stratified, seed 42). Reported per
minority class: PR-AUC of each, the paired bootstrap interval of clickpred − script (1,000 replicates,
the same resampled rows for both), and recall / precision under clickpred's default decision rule beside
the script's argmax. Extra clickpred candidates (``--candidates logistic-none ...``) are measured the same
way, to choose the defaults by measurement.

Data sets: CoIL 2000 (official test split), UCI bank marketing (``duration`` dropped from both: it is
known only after the call and leaks the label), the shipped sample, and simulated logs whose categorical
fields are integer codes (200k training rows; a test file of 100k fresh rows of the same world). The
Criteo and Avazu samples (200 and 100 rows) are too small to measure anything.

    python benchmarks/bench_defaults.py [--only coil bank sample intcodes] [--candidates logistic-class_weight]
    python benchmarks/bench_defaults.py --candidates logistic-none+crosses logistic-none+counts --name defaults_features
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import CACHE, ROOT, SHARED, write_result  # noqa: E402
from bench_real import coil_files  # noqa: E402

REPLICATES = 1000


def ten_line_script(train: pd.DataFrame, y: np.ndarray, test: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, list]:
    """What a data scientist writes first: one-hot of the text columns (dates → hour), imputed and scaled numbers,
    LogisticRegression(). Returns its class probabilities, its predictions and its classes."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    def prep(df):
        df = df.copy()
        for c in df.select_dtypes(exclude="number").columns:
            stamps = pd.to_datetime(df[c], errors="coerce", format="mixed")
            if stamps.notna().mean() > 0.9:
                df[c] = stamps.dt.hour.astype(str)
        return df.drop(columns=[c for c in df.columns if train[c].nunique() == len(train)])  # row IDs

    a, b = prep(train), prep(test)
    num = list(a.select_dtypes("number").columns)
    cat = [c for c in a.columns if c not in num]
    pre = ColumnTransformer(
        [
            ("num", make_pipeline(SimpleImputer(), StandardScaler()), num),
            ("cat", OneHotEncoder(handle_unknown="ignore"), cat),
        ]
    )
    model = make_pipeline(pre, LogisticRegression(max_iter=1000)).fit(a, y)
    return model.predict_proba(b), model.predict(b), list(model.classes_)


def _read(path: Path, sep=None) -> pd.DataFrame:
    return pd.read_csv(path, sep=sep or ",")


def script_scores(train_path: Path, test_path: Path | None, target: str, drop: list[str], folds, classes, sep=None):
    """The script's probabilities for clickpred's evaluation rows, in clickpred's class order."""
    df = _read(train_path, sep).drop(columns=drop)
    y = df.pop(target).astype(str).str.strip().to_numpy()
    if test_path is not None:
        dt = _read(test_path, sep).drop(columns=drop)
        yt = dt.pop(target).astype(str).str.strip().to_numpy()
        p, pred, cls = ten_line_script(df, y, dt)
        return p[:, [cls.index(c) for c in classes]], pred.astype(str), yt
    P = np.zeros((len(y), len(classes)))
    pred = np.empty(len(y), dtype=object)
    for tr, te in folds:
        p, pr, cls = ten_line_script(df.iloc[tr], y[tr], df.iloc[te])
        P[te] = p[:, [cls.index(c) for c in classes]]
        pred[te] = pr
    return P, pred.astype(str), y


def candidate_spec(cand: str):
    """'default', or 'classifier-strategy' with optional '+crosses' (crosses = "auto"), '+counts' and '+binsN'
    (numeric_bins = N)."""
    from dataclasses import replace

    from clickpred.modeling.spec import spec_from_dict, spec_from_options

    if cand == "default":
        return spec_from_options()
    base, *extras = cand.split("+")
    clf, _, strat = base.partition("-")
    bins = [int(e[4:]) for e in extras if e.startswith("bins") and e[4:].isdigit()]
    unknown = {e for e in extras if not (e.startswith("bins") and e[4:].isdigit())} - {"crosses", "counts"}
    if unknown:
        raise SystemExit(f"unknown candidate option {sorted(unknown)[0]!r}: use +crosses, +counts and/or +binsN")
    features = {"crosses": "auto" if "crosses" in extras else "none", "counts": "counts" in extras}
    if bins:
        features["numeric_bins"] = bins[0]
    spec = spec_from_dict({"classifier": clf, "strategy": strat, "features": features})
    return replace(spec, name=cand.replace("+", "_"))


def compare_one(name, data, test, target, drop, candidates, sep=None, test_label="held-out test file") -> dict:
    from sklearn.model_selection import StratifiedKFold

    from clickpred.estimator.fitting import train
    from clickpred.evaluation.intervals import RankedScores, bootstrap_ap, paired

    runs, seconds = {}, {}
    for cand in ["default"] + candidates:
        spec = candidate_spec(cand)
        t0 = time.perf_counter()
        runs[cand] = train(data, spec, target=target, test=test, drop=drop, sep=sep)
        seconds[cand] = time.perf_counter() - t0
        print(f"  {name}: clickpred {cand} ({runs[cand].spec.name}) {seconds[cand]:.0f} s", flush=True)
    first = runs["default"]
    classes = first.data.schema.classes
    ev0 = first.test if first.test is not None else first.cv
    folds = list(
        StratifiedKFold(first.spec.folds, shuffle=True, random_state=first.spec.seed).split(
            np.zeros(len(first.data.y)), first.data.y
        )
    )
    t0 = time.perf_counter()
    P, pred, y = script_scores(
        Path(data), Path(test) if test else None, first.data.schema.target, drop, folds, classes, sep
    )
    seconds["script"] = time.perf_counter() - t0
    assert (y == ev0.y_true).all(), "the script and clickpred must score the same rows"
    out = {
        "rows": int(len(y)),
        "evaluated_on": test_label if test else f"{first.spec.folds}-fold out-of-fold",
        "classes": {},
        "seconds": seconds,
        "specs": {k: r.spec.name for k, r in runs.items()},
    }
    for k, c in enumerate(classes[1:], start=1):
        n_pos = int((y == c).sum())
        ranked = {"script": [RankedScores(y == c, P[:, k])]}
        for cand, r in runs.items():
            ev = r.test if r.test is not None else r.cv
            ranked[cand] = [RankedScores(ev.y_true == c, ev.scores[:, k])]
        point, values = bootstrap_ap(ranked, REPLICATES, seed=0)
        cls = {
            "positives": n_pos,
            "prevalence": n_pos / len(y),
            "script": {
                "pr_auc": point["script"].estimate,
                "low": point["script"].low,
                "high": point["script"].high,
                "recall_argmax": float(np.mean(pred[y == c] == c)) if n_pos else None,
                "precision_argmax": float(np.mean(y[pred == c] == c)) if (pred == c).any() else 0.0,
            },
        }
        for cand, r in runs.items():
            ev = r.test if r.test is not None else r.cv
            d = paired(cand, "script", point, values)
            m = ev.metrics["per_class"][c]
            cls[cand] = {
                "pr_auc": point[cand].estimate,
                "low": point[cand].low,
                "high": point[cand].high,
                "minus_script": d.difference,
                "minus_script_low": d.low,
                "minus_script_high": d.high,
                "verdict": "better" if d.low > 0 else ("worse" if d.high < 0 else "can't tell"),
                "recall_rule": m["recall"],
                "precision_rule": m["precision"],
                "rule": r.cv.rule.label,
            }
            if cand != "default":  # a candidate for the defaults, against today's
                dd = paired(cand, "default", point, values)
                cls[cand].update(minus_default=dd.difference, minus_default_low=dd.low, minus_default_high=dd.high)
        out["classes"][c] = cls
    return out


def datasets(tmp: Path, only):
    out = []
    if SHARED.exists() and (not only or "coil" in only):
        tr, te = coil_files(tmp)
        out.append(("coil", tr, te, "CARAVAN", [], None, "official test file"))
    if SHARED.exists() and (not only or "bank" in only):
        out.append(("bank", SHARED / "bank_marketing" / "bank-additional.csv", None, "y", ["duration"], ";", ""))
    if not only or "sample" in only:
        out.append(("sample", ROOT / "data" / "impressions_sample.csv.gz", None, None, [], None, ""))
    if not only or "intcodes" in only:
        from clickpred.jobs.simulate import simulate

        CACHE.mkdir(parents=True, exist_ok=True)
        tr, te = CACHE / "intcodes_w7_s1_200k.csv", CACHE / "intcodes_w7_s2_100k.csv"
        if not tr.exists():
            simulate(tr, rows=200_000, seed=1, world_seed=7, integer_codes=True)
        if not te.exists():
            simulate(te, rows=100_000, seed=2, world_seed=7, integer_codes=True)
        out.append(("intcodes", tr, te, None, ["impression_id"], None, "test file: fresh rows of the same world"))
    return out


def table(results: dict) -> str:
    lines = [
        "| data set (evaluated on) | class (positives) | ten-line script PR-AUC | clickpred default PR-AUC | "
        "default − script [95% CI] | verdict | recall / precision: default rule | script at argmax |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, r in results.items():
        for c, m in r["classes"].items():
            d, s = m["default"], m["script"]
            lines.append(
                f"| {name} ({r['evaluated_on']}, {r['rows']:,} rows) | {c} ({m['positives']}) | {s['pr_auc']:.4f} | "
                f"{d['pr_auc']:.4f} | {d['minus_script']:+.4f} [{d['minus_script_low']:+.4f}, {d['minus_script_high']:+.4f}] | "
                f"{d['verdict']} | {d['recall_rule']:.3f} / {d['precision_rule']:.3f} ({d['rule']}) | "
                f"{s['recall_argmax']:.3f} / {s['precision_argmax']:.3f} |"
            )
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="*", default=None)
    ap.add_argument("--candidates", nargs="*", default=[], help="other classifier-strategy pairs, e.g. logistic-none")
    ap.add_argument("--name", default="defaults")
    args = ap.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, data, test, target, drop, sep, label in datasets(Path(tmp), args.only):
            results[name] = compare_one(
                name, data, test, target, drop, args.candidates, sep, label or "held-out test file"
            )
            write_result(args.name, {"replicates": REPLICATES, "results": results})
    print(table(results))


if __name__ == "__main__":
    main()
