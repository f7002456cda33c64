"""Permutation importance on out-of-fold PR-AUC: what it costs `train`, and how often a column of pure noise is
called distinguishable.

- **Cost**: default `train` on the shipped sample with and without importance, alternated in the same process
  (``PAIRS`` pairs; this machine is shared, so the ratio of medians is the figure, not the seconds).
- **Noise**: a simulated log (every field of ``simulate``'s world carries signal) with two columns of pure noise
  added (a number and a 4-level category), for ``NOISE_SEEDS`` seeds of the noise: the share of (noise column ×
  minority class) intervals that lie above 0 — the false-positive rate of the report's "distinguishable" (each
  interval is 95%, so about 5% is expected) — and the share of runs where the two strongest effects of the world
  (``site_id``, ``bid_price``) rank above both noise columns.

Run: ``python benchmarks/bench_importance.py`` → ``benchmarks/results/importance.json``.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
from _common import RESULTS, ROOT

PAIRS = 3
NOISE_SEEDS = 10
NOISE = ("noise_number", "noise_level")
STRONG = ("site_id", "bid_price")


def cost() -> dict:
    from clickpred.estimator.fitting import train
    from clickpred.modeling.spec import spec_from_options

    data = ROOT / "data" / "impressions_sample.csv.gz"
    seconds: dict[str, list[float]] = {"without": [], "with": []}
    inside = []
    for _ in range(PAIRS):
        for key, on in (("without", False), ("with", True)):
            t0 = time.perf_counter()
            res = train(data, spec_from_options(), importance=on)
            seconds[key].append(time.perf_counter() - t0)
            if on:
                inside.append(res.timings["importance_seconds"])
    ratio = statistics.median(seconds["with"]) / statistics.median(seconds["without"])
    return {
        "data": "data/impressions_sample.csv.gz (200k rows, 11 columns), default train",
        "seconds_without": seconds["without"],
        "seconds_with": seconds["with"],
        "importance_seconds_summed_over_workers": inside,
        "ratio_with_to_without": ratio,
    }


def noise(tmp: Path) -> dict:
    from clickpred.estimator.fitting import train
    from clickpred.jobs.simulate import simulate
    from clickpred.modeling.spec import spec_from_options

    path = tmp / "sim.csv"
    simulate(path, rows=30_000, seed=3, click_rate=0.04, conversion_rate=0.2)
    base = pd.read_csv(path)
    flagged, checked, ranked = 0, 0, 0
    runs = []
    for seed in range(NOISE_SEEDS):
        rng = np.random.default_rng(seed)
        frame = base.assign(
            noise_number=rng.normal(size=len(base)), noise_level=rng.choice(["p", "q", "r", "s"], size=len(base))
        )
        frame.to_csv(path, index=False)
        res = train(path, spec_from_options(), target="event", drop=["impression_id"])
        records = res.cv.importance["records"]
        noisy = [r for r in records if r["column"] in NOISE]
        flagged += sum(r["distinguishable"] for r in noisy)
        checked += len(noisy)
        clicks = [r["column"] for r in records if r["class"] == "click"]
        above = max(clicks.index(s) for s in STRONG) < min(clicks.index(n) for n in NOISE)
        ranked += above
        runs.append(
            {
                "noise_seed": seed,
                "noise_flagged": [f"{r['column']}/{r['class']}" for r in noisy if r["distinguishable"]],
                "strong_above_noise": above,
                "click_order": clicks,
            }
        )
    return {
        "data": "simulate --rows 30000 --seed 3 --click-rate 0.04 --conversion-rate 0.2, plus two noise columns",
        "noise_intervals_checked": checked,
        "noise_false_positive_rate": flagged / checked,
        "strong_above_noise_share": ranked / NOISE_SEEDS,
        "runs": runs,
    }


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        doc = {
            "benchmark": "importance",
            "created": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "command": "python benchmarks/bench_importance.py",
            "cost": cost(),
            "noise": noise(Path(tmp)),
        }
    print(json.dumps({k: v for k, v in doc.items() if k != "noise"}, indent=2))
    print(json.dumps({k: v for k, v in doc["noise"].items() if k != "runs"}, indent=2))
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "importance.json").write_text(json.dumps(doc, indent=2) + "\n")


if __name__ == "__main__":
    main()
