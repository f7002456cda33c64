"""Score a DataFrame in memory and a folder of files on disk — notebook style.

Run from the repository root:  python examples/score_frame_and_folder.py
"""

# %% A model to score with: trained on one slice of the sample, saved like `clickpred train` saves it
import os
from pathlib import Path

import pandas as pd

import clickpred

OUT = Path(os.environ.get("CLICKPRED_EXAMPLES_OUT", "reports/examples"))
sample = pd.read_csv("data/impressions_sample.csv.gz", nrows=40_000)
train_rows, new_rows = sample.iloc[:30_000], sample.iloc[30_000:].drop(columns=["event"])
clickpred.save_model(
    clickpred.train(train_rows, drop=["impression_id"], folds=3), OUT / "scorer.skops", report=OUT / "scorer-report"
)
model = clickpred.load_model(OUT / "scorer.skops")  # validated by value before anything in it is used

# %% A DataFrame in, a DataFrame out: corrected probabilities and the decision rule's prediction
scores = clickpred.score(model, new_rows, keep=["impression_id"])
print(scores.head())
print(scores["prediction"].value_counts())

# %% Does the new log still look like the training one? PSI per column, unseen and missing shares
print(clickpred.drift(model, new_rows)[["column", "psi", "unseen_share", "drifted"]].head())

# %% Files on disk: streamed in chunks, every row scored or rejected (with its line), never lost
folder = OUT / "incoming"
folder.mkdir(parents=True, exist_ok=True)
for i, part in enumerate((new_rows.iloc[:5_000], new_rows.iloc[5_000:])):
    part.to_csv(folder / f"part-{i}.csv", index=False)
summary = clickpred.score(OUT / "scorer.skops", folder, f"{OUT / 'scored'}/", keep=["impression_id"])
print(f"rows read {summary.rows_read:,} = scored {summary.rows_scored:,} + rejected {summary.rows_rejected:,}")
