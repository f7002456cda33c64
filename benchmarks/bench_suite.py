"""The test suite's wall time: ``make test``'s command against the same suite run serially, alternated.

``make test`` runs pytest on every core (pytest-xdist ``-n auto``) with one OpenMP thread per worker; the
baseline is plain ``pytest`` in one process (default OpenMP threads), as the suite ran before. Each run is a
subprocess of this one, on the same checkout, alternated ``--repeat`` times (this machine is shared and noisy:
the ratio of medians is the figure). Both must pass the same number of tests.

    python benchmarks/bench_suite.py [--repeat 1]          → results/suite.json
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, write_result  # noqa: E402

COMMANDS = {
    "serial": ([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], {}),
    "make_test": (
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "auto"],
        {"OMP_NUM_THREADS": "1"},
    ),
}


def run(name: str) -> tuple[float, dict[str, int]]:
    argv, env = COMMANDS[name]
    t0 = time.perf_counter()
    done = subprocess.run(argv, cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    last = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
    counts = {k: int(v) for v, k in re.findall(r"(\d+) (passed|failed|skipped|xfailed|errors?)", last)}
    if done.returncode != 0:
        raise SystemExit(f"{name}: pytest exited {done.returncode}: {last}")
    return seconds, counts


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()
    seconds: dict[str, list[float]] = {k: [] for k in COMMANDS}
    counts: dict[str, dict] = {}
    for _ in range(args.repeat):
        for name in COMMANDS:
            s, c = run(name)
            seconds[name].append(s)
            counts[name] = c
            print(f"{name:10} {s:7.1f} s  {c}", flush=True)
    if counts["serial"].get("passed") != counts["make_test"].get("passed"):
        raise SystemExit(f"the two runs passed different numbers of tests: {counts}")
    median = {k: statistics.median(v) for k, v in seconds.items()}
    write_result(
        "suite",
        {
            "cores": os.cpu_count(),
            "seconds": seconds,
            "median": median,
            "ratio": median["make_test"] / median["serial"],
            "tests": counts["make_test"],
            "commands": {
                k: " ".join(f"{a}={b}" for a, b in env.items()) + " pytest " + " ".join(argv[3:])
                for k, (argv, env) in COMMANDS.items()
            },
        },
    )
    print(f"make test / serial: {median['make_test'] / median['serial']:.2f}×")


if __name__ == "__main__":
    main()
