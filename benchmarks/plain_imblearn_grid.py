"""FROZEN BASELINE — do not edit to make it faster. What `compare`'s racing is measured against (issue 33).

The default grid (every classifier × every rebalancing strategy `clickpred compare` runs) written once, the way
a user who knows scikit-learn and imbalanced-learn would write it without clickpred: an
`imblearn.pipeline.Pipeline` of scikit-learn's encoders, the sampler and the classifier per candidate,
`cross_validate(..., n_jobs=-1)` on 5 stratified folds. Library defaults wherever a user would not think to change
them; the few choices a user would make are commented. It shares nothing with clickpred (no import of it), so
clickpred's changes never speed it up. Pinned 2026-12-07 against scikit-learn 1.9.1 and imbalanced-learn 0.14.2.

    python benchmarks/plain_imblearn_grid.py data/impressions_sample.csv.gz event
"""

from __future__ import annotations

import sys
import time

import pandas as pd
from imblearn.over_sampling import SMOTE, RandomOverSampler
from imblearn.pipeline import Pipeline
from imblearn.under_sampling import RandomUnderSampler
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.kernel_approximation import Nystroem
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_validate
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler
from sklearn.svm import SVC, LinearSVC
from sklearn.utils.class_weight import compute_sample_weight

STRATEGIES = ["none", "class_weight", "oversample", "smote", "undersample"]
CLASSIFIERS = ["logistic", "svm", "svm-rbf", "svm-nystroem", "mlp", "hgb"]


def read(path: str, target: str) -> tuple[pd.DataFrame, pd.Series]:
    frame = pd.read_csv(path)
    y = frame.pop(target)
    # a user drops the row ID and the raw timestamp (one value per row)
    frame = frame.drop(columns=[c for c in ("impression_id", "timestamp") if c in frame])
    return frame, y


def preprocessing(X: pd.DataFrame, trees: bool) -> ColumnTransformer:
    text = [c for c in X if not pd.api.types.is_numeric_dtype(X[c])]
    numbers = [c for c in X if c not in text]
    if trees:  # gradient boosting takes no sparse one-hot matrix: codes as numbers
        codes = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1, encoded_missing_value=-1)
        return ColumnTransformer([("num", "passthrough", numbers), ("cat", codes, text)])
    scaled = make_pipeline(SimpleImputer(), StandardScaler())
    return ColumnTransformer([("num", scaled, numbers), ("cat", OneHotEncoder(handle_unknown="ignore"), text)])


def classifier(name: str, balanced: bool):
    weight = "balanced" if balanced else None
    if name == "logistic":
        return LogisticRegression(max_iter=1000, class_weight=weight)
    if name == "svm":
        return LinearSVC(class_weight=weight)
    if name == "svm-rbf":
        return SVC(class_weight=weight)
    if name == "svm-nystroem":
        return make_pipeline(Nystroem(n_components=300, random_state=0), LinearSVC(class_weight=weight))
    if name == "mlp":  # no class_weight: balanced sample weights are passed to fit instead
        return MLPClassifier(hidden_layer_sizes=(64,), early_stopping=True, random_state=0)
    if name == "hgb":
        return HistGradientBoostingClassifier(class_weight=weight, random_state=0)
    raise ValueError(name)


def sampler(strategy: str):
    return {
        "oversample": RandomOverSampler(random_state=0),
        "smote": SMOTE(random_state=0),
        "undersample": RandomUnderSampler(random_state=0),
    }.get(strategy)


def grid(X: pd.DataFrame, y: pd.Series) -> list[tuple[str, Pipeline, dict]]:
    out = []
    for name in CLASSIFIERS:
        for strategy in STRATEGIES:
            if name == "svm-rbf" and strategy != "undersample":
                continue  # a kernel SVC on all rows does not finish; clickpred runs it only undersampled too
            steps = [("prep", preprocessing(X, trees=name == "hgb"))]
            if sampler(strategy) is not None:
                steps.append(("sample", sampler(strategy)))
            steps.append(("clf", classifier(name, balanced=strategy == "class_weight")))
            params = {}
            if name == "mlp" and strategy == "class_weight":
                params = {"clf__sample_weight": compute_sample_weight("balanced", y)}
            out.append((f"{name}-{strategy}", Pipeline(steps), params))
    return out


def run(path: str, target: str, folds: int = 5) -> dict:
    """Every candidate cross-validated; seconds per candidate and in all, macro recall per fold."""
    X, y = read(path, target)
    cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=42)
    t0 = time.perf_counter()
    per: dict[str, dict] = {}
    for name, pipeline, params in grid(X, y):
        t1 = time.perf_counter()
        try:  # macro recall: the rare classes count as much as the views
            scores = cross_validate(pipeline, X, y, cv=cv, scoring="recall_macro", n_jobs=-1, params=params)
            per[name] = {"seconds": time.perf_counter() - t1, "recall_macro": scores["test_score"].tolist()}
        except ValueError as e:  # every fold failed (e.g. SMOTE with too few rows of a class)
            per[name] = {"seconds": time.perf_counter() - t1, "error": str(e).splitlines()[0]}
        print(f"{name}: {per[name]['seconds']:.1f} s", flush=True)
    return {"seconds": time.perf_counter() - t0, "per_candidate": per}


if __name__ == "__main__":
    result = run(sys.argv[1], sys.argv[2])
    print(f"all: {result['seconds']:.1f} s")
