"""Permutation importance's shuffles scored from the fold's prepared columns, against scoring the whole pipeline.

`clickpred.evaluation.crossval.ShuffledScores` computes a fold model's first step once for the held-out rows and,
for each shuffled column, only what reads that column (a category column's codes on their own); the other steps
run on the result. The scores are the pipeline's (tests/evaluation/test_crossval.py); this measures the time.
`train` on the shipped sample (`logistic`, no rebalancing, one worker so that the seconds are the work), alternated
with the same run scoring every shuffle through the whole pipeline (what it did before), ``--pairs`` times in one
process; the figure is the ratio of the medians of `importance_seconds`.

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
            self.fitted, self.classes, self.method, self.parts = fitted, classes, method, None

    seconds: dict[str, list[float]] = {"whole_pipeline": [], "prepared_blocks": []}
    data = ROOT / "data" / "impressions_sample.csv.gz"
    for _ in range(args.pairs):
        for name, cls in (("whole_pipeline", Whole), ("prepared_blocks", blocks)):
            crossval.ShuffledScores = cls  # type: ignore[misc]
            result = train(data, spec_from_options("logistic", "none"), jobs=1)
            seconds[name].append(round(result.timings["importance_seconds"], 3))
            print(name, seconds[name][-1], flush=True)
    crossval.ShuffledScores = blocks  # type: ignore[misc]
    medians = {k: statistics.median(v) for k, v in seconds.items()}
    ratio = round(medians["prepared_blocks"] / medians["whole_pipeline"], 3)
    path = write_result(
        "importance_blocks",
        {
            "command": "python benchmarks/bench_importance_blocks.py " + " ".join(sys.argv[1:]),
            "data": str(data.relative_to(ROOT)),
            "importance_seconds": seconds,
            "medians": medians,
            "ratio": ratio,
        },
    )
    print(f"importance {medians['prepared_blocks']:.2f} s vs {medians['whole_pipeline']:.2f} s: {ratio}× → {path}")


if __name__ == "__main__":
    main()
