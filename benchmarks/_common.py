"""Helpers shared by the benchmarks: cached simulated data, timing, peak memory, JSON output."""

from __future__ import annotations

import json
import os
import platform
import resource
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
CACHE = Path(os.environ.get("CLICKPRED_BENCH_CACHE", Path.home() / ".cache" / "clickpred-bench"))
SHARED = ROOT.parent / "shared" / "data"


def simulated(rows: int, seed: int = 11) -> tuple[Path, Path]:
    """A simulated log and its truth file, generated once and cached outside the repo."""
    from clickpred.jobs.simulate import simulate

    CACHE.mkdir(parents=True, exist_ok=True)
    data, truth = CACHE / f"sim_{rows}_{seed}.parquet", CACHE / f"sim_{rows}_{seed}_truth.parquet"
    if not (data.exists() and truth.exists()):
        simulate(data, rows=rows, seed=seed, truth=truth)
    return data, truth


def _status(field: str) -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return float(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def peak_rss_mb() -> float:
    """Peak resident memory of this process since start or the last reset_peak() (MB)."""
    hwm = _status("VmHWM")
    return hwm if hwm is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_mb() -> float:
    """Current resident memory (MB)."""
    return _status("VmRSS") or 0.0


def reset_peak() -> bool:
    """Reset the peak-RSS mark (Linux), so a later peak_rss_mb() measures one phase."""
    import gc

    gc.collect()
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def timed(fn, *args, **kwargs):
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - t0


def in_child(fn, *args):
    """Run fn(*args) in a fresh spawned process; return (its result, its peak RSS in MB)."""
    import multiprocessing as mp

    ctx = mp.get_context("spawn")
    with ctx.Pool(1) as pool:
        return pool.apply(_child, (fn, args))


def _child(fn, args):
    out = fn(*args)
    return out, peak_rss_mb()


def write_result(name: str, payload: dict) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    payload = {
        "benchmark": name,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        **payload,
    }
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(payload, indent=2))
    return path
