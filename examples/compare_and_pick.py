"""Compare rebalancing strategies × classifiers on the same folds, then fit the winner — notebook style.

Run from the repository root:  python examples/compare_and_pick.py
"""

# %% A slice of the shipped sample
import pandas as pd

import clickpred

frame = pd.read_csv("data/impressions_sample.csv.gz", nrows=40_000).drop(columns=["impression_id"])

# %% Every candidate on the same 3 folds, with bootstrap intervals
board = clickpred.compare(frame, classifiers=["logistic"], strategies=["none", "class_weight", "undersample"], folds=3)
for row in board.leaderboard:
    print(
        f"{row['rank']}. {row['name']:<25} PR-AUC {row['metric']:.4f} [{row['metric_low']:.4f}, {row['metric_high']:.4f}]"
    )
print(board.recommendation)

# %% Fit the winner as an estimator (the same model `clickpred train` would build)
best = board.leaderboard[0]
clf = clickpred.ClickClassifier(classifier=best["classifier"], strategy=best["strategy"], folds=3)
clf.fit(frame.drop(columns=["event"]), frame["event"])
print("classes:", list(clf.classes_))
for cls in ("click", "conversion"):  # out of fold, under the decision rule predict() applies
    m = clf.cv_.metrics["per_class"][cls]
    print(f"{cls}: recall {m['recall']:.3f}, precision {m['precision']:.3f} (out of fold)")
