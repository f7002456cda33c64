"""Permutation importance's shuffles scored from the fold's prepared columns, against scoring the whole pipeline.

`clickpred.evaluation.crossval.ShuffledScores` computes a fold model's first step once for the held-out rows and,
for each shuffled column, only what reads that column (a category column's codes on their own); for a linear
model only the changed columns' terms of its decision are replaced (`clickpred.evaluation.additive`), else the
other steps run on the result. The scores are the pipeline's (tests/evaluation/test_crossval.py); this measures
the time. `train` on the shipped sample (`logistic`, no rebalancing, one worker so that the seconds are the work)
three ways in turn, ``--pairs`` times in one process: every shuffle through the whole pipeline (before both
changes), through the steps after the prepared blocks (before the sum), and from the sum (today); the figures
are the ratios of the medians of `importance_seconds` to the whole pipeline's.

    python benchmarks/bench_importance_blocks.py [--pairs 3]

Writes benchmarks/results/importance_blocks.json.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, write_result  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pairs", type=int, default=3)
    args = ap.parse_args()

    import clickpred.evaluation.crossval as crossval
    from clickpred.estimator.fitting import train
    from clickpred.modeling.spec import spec_from_options

    blocks = crossval.ShuffledScores

    class Whole(blocks):
        """Every shuffle scored by the whole pipeline."""

        def __init__(self, fitted, X, classes, method):
            self.fitted, self.classes, self.method, self.parts, self.sums = fitted, classes, method, None, None

    class Steps(blocks):
        """Every shuffle's prepared blocks run through the pipeline's later steps (no sum)."""

        def __init__(self, fitted, X, classes, method):
            super().__init__(fitted, X, classes, method)
            self.sums = None

    variants = (("whole_pipeline", Whole), ("prepared_blocks", Steps), ("additive_sum", blocks))
    seconds: dict[str, list[float]] = {name: [] for name, _ in variants}
    data = ROOT / "data" / "impressions_sample.csv.gz"
    for _ in range(args.pairs):
        for name, cls in variants:
            crossval.ShuffledScores = cls  # type: ignore[misc]
            result = train(data, spec_from_options("logistic", "none"), jobs=1)
            seconds[name].append(round(result.timings["importance_seconds"], 3))
            print(name, seconds[name][-1], flush=True)
    crossval.ShuffledScores = blocks  # type: ignore[misc]
    medians = {k: statistics.median(v) for k, v in seconds.items()}
    ratios = {k: round(v / medians["whole_pipeline"], 3) for k, v in medians.items() if k != "whole_pipeline"}
    path = write_result(
        "importance_blocks",
        {
            "command": "python benchmarks/bench_importance_blocks.py " + " ".join(sys.argv[1:]),
            "data": str(data.relative_to(ROOT)),
            "importance_seconds": seconds,
            "medians": medians,
            "ratio_to_whole_pipeline": ratios,
        },
    )
    print(f"importance {medians} s: {ratios} of the whole pipeline's → {path}")


if __name__ == "__main__":
    main()
