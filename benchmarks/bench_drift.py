"""What drift at scoring costs: ``score`` on 1M simulated impressions (CSV, no label) with the model's training
profile (every column counted into its training bins, :mod:`clickpred.evaluation.drift`) and without it (the same
model with its profile removed), alternated ``--repeat`` times in the same process; the ratio of the medians is
the figure (the machine is shared: seconds are not comparable across runs). The target: ≤ 1.10.

Models: logistic (the compiled linear scorer, where counting is the largest share) and hgb (the pipeline), both
trained on the first 200,000 rows of the same simulated log (so the scored rows come from the training's world).

    python benchmarks/bench_drift.py [--rows 1000000] [--repeat 3]

Writes benchmarks/results/drift.json.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import simulated, write_result  # noqa: E402
from bench_score import scoring_csv  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    import pyarrow.parquet as pq

    from clickpred.estimator.fitting import train
    from clickpred.jobs.score import score
    from clickpred.jobs.train import save_result
    from clickpred.model.modelfile import load_model
    from clickpred.modeling.spec import spec_from_options

    data = scoring_csv(args.rows)
    labelled = pq.read_table(simulated(args.rows, seed=21)[0]).slice(0, 200_000).to_pandas()
    out: dict = {"rows": args.rows, "repeat": args.repeat, "models": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("logistic", "hgb"):
            res = train(labelled, spec_from_options(name), target="event", drop=["impression_id"], importance=False)
            path = save_result(res, Path(tmp) / f"{name}.skops", Path(tmp) / f"{name}-report").model_path
            model = load_model(path)
            bare = dataclasses.replace(model, profile=None)
            seconds: dict[str, list[float]] = {"without": [], "with": []}
            for _ in range(args.repeat):
                for key, m in (("without", bare), ("with", model)):
                    t0 = time.perf_counter()
                    run = score(m, [data], Path(tmp) / f"{name}-{key}.parquet")
                    seconds[key].append(time.perf_counter() - t0)
                    assert (run.drift is None) == (key == "without")
            ratio = statistics.median(seconds["with"]) / statistics.median(seconds["without"])
            out["models"][name] = {
                "scorer": run.scorer,
                "rows_read": run.rows_read,
                "seconds_without": seconds["without"],
                "seconds_with": seconds["with"],
                "ratio_with_to_without": ratio,
                "drifted_columns": [r["column"] for r in run.drift if r["drifted"]],
            }
            print(name, out["models"][name], flush=True)
    write_result("drift", out)


if __name__ == "__main__":
    main()
