"""Training at scale: streaming negative downsampling on 5M and 20M simulated rows.

One simulated stream of 21M impressions (seed 31, one world), generated once
and cached outside the repo as 21 CSV files of 1M rows; file 20 is the fixed
natural-balance test file, never trained on. In one run, for each of 5M and
20M training rows × R in (0.01, auto):

- pyarrow read-only rate of the same files (``pyarrow.csv.read_csv``, all cores),
  measured in the same run: the floor the sampler's read is compared with;
- ``train_stream`` wall time, rows/s read, peak RSS (a fresh process per run);
- PR-AUC with a 95% bootstrap interval and calibration ratio per class on the
  test file, and the paired difference against the baseline;
- the baseline: the first 1M-row file trained in memory (``train``, 5-fold CV)
  and scored on the same test file;
- memory reference: the kept sample written to a CSV and trained on alone
  (``train``, in memory) in a fresh process: the target is streaming peak ≤ ~1.5×.

    python benchmarks/bench_stream.py [--sizes 5 20] [--rates 0.01 auto] [--quick]

Writes benchmarks/results/stream.json (``--quick``: stream_quick.json, 2 × 1M rows).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import CACHE, in_child, peak_rss_mb, write_result  # noqa: E402

ROWS_PER_FILE = 1_000_000
SEED = 31


def stream_files(n_files: int = 21, rows_per_file: int = ROWS_PER_FILE, seed: int = SEED) -> list[Path]:
    """The cached stream as CSV files (the last one is the test file)."""
    folder = CACHE / f"stream_{seed}_{rows_per_file}"
    files = [folder / f"part-{k:03d}.csv" for k in range(n_files)]
    if all(f.exists() for f in files):
        return files
    from clickpred.simulate import simulate

    folder.mkdir(parents=True, exist_ok=True)
    whole = folder / "whole.csv"
    if not whole.exists():
        simulate(whole, rows=n_files * rows_per_file, seed=seed)
    with open(whole, "rb") as fh:
        header = fh.readline()
        for f in files:
            tmp = f.with_suffix(".tmp")
            with open(tmp, "wb") as out:
                out.write(header)
                for _ in range(rows_per_file):
                    out.write(fh.readline())
            tmp.rename(f)
    whole.unlink()
    return files


if __name__ == "__main__" and "--prepare" in sys.argv:
    t0 = time.perf_counter()
    print(stream_files()[-1], f"{time.perf_counter() - t0:.0f} s", peak_rss_mb())
