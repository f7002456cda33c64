"""Train on an impression log and look at what was learnt — notebook style, one cell per block.

Run from the repository root:  python examples/train_and_inspect.py
"""

# %% Read 30,000 rows of the shipped sample (any labelled DataFrame or file works the same way)
import os
from pathlib import Path

import pandas as pd

import clickpred

OUT = Path(os.environ.get("CLICKPRED_EXAMPLES_OUT", "reports/examples"))
frame = pd.read_csv("data/impressions_sample.csv.gz", nrows=30_000)
print(frame["event"].value_counts())

# %% Train: schema inferred, 5-fold cross-validation, probability correction, decision rule, final fit
model = clickpred.train(frame, drop=["impression_id"])  # a fitted ClickClassifier, as fit() and load_model() give
for note in model.notes_[:6]:
    print("note:", note)

# %% Per-class figures, out of fold (never on the rows a model was fitted on)
for cls, m in model.evaluation_.metrics["per_class"].items():
    print(
        f"{cls:>10}: PR-AUC {m['pr_auc']:.4f} (no skill {m['pr_auc_baseline']:.4f}), "
        f"recall {m['recall']:.3f}, precision {m['precision']:.3f}"
    )
print("decision rule:", model.decision_rule_.label, "· thresholds:", model.thresholds_)

# %% What drives each class: the drop in out-of-fold PR-AUC when one column is shuffled (95% interval over folds)
print(model.importance_.groupby("class").head(3)[["class", "column", "pr_auc_drop", "low", "high", "distinguishable"]])

# %% Save the model file and its report, as `clickpred train` would
outputs = clickpred.save_model(model, OUT / "clicks.skops", report=OUT / "clicks-report")
print("model:", outputs.model_path, "· report:", outputs.report_paths["html"])
