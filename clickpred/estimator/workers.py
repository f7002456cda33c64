"""How many workers a job uses: the cores this process may run on, capped by the tasks there are and by the memory
each worker process needs; and when threads do instead of processes. (And how long work takes, in words.)

Example
-------
>>> fit_workers(1, tasks=6, frame_bytes=10**6)
(1, None)
>>> fit_workers(0, tasks=6, frame_bytes=10**6, worth_it=False)
(1, None)
>>> fit_workers(4, tasks=2, frame_bytes=10**6)[0]
2
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..modeling.spec import Spec

# A worker fitting a fold holds the data it was sent, its training rows and the fold's transformed matrices: about
# this many times the frame's own memory (one-hot CSR of 100k-1M rows: 1.5-2.5× the frame; pandas copies one more).
WORKER_FRAMES = 4
# Auto (--jobs 0) fits in a pool of workers from this many rows × fits of a logistic: below, a pool's start-up (each
# worker imports scikit-learn, ~2 s of CPU) eats what two cores save. Measured on 2 cores, train, logistic, 5 folds +
# final fit: 100k rows 6.0 s in this process vs 6.1 s in 2 workers, 200k 10.6-12.3 vs 10.4-10.8 s, 1M 61 vs 47 s;
# MLP on 30k rows 12.0 vs 9.5 s.
PARALLEL_ROWS = 250_000
PARALLEL_ROWS_SLOW = 20_000  # mlp and the kernel SVMs, and any classifier under a GIL-bound sampler
# Below PARALLEL_ROWS, these classifiers' fits run in threads of the process instead (no start-up, no copies of the
# data): their solvers and the sparse products release the GIL. Measured on 2 cores, 5 folds + final fit on 100k
# rows: logistic 5.6 s in this process vs 4.0-4.4 s in 2 threads, linear SVM 8.1-8.9 vs 5.0-5.5 s (the same scores).
# Not hgb (OpenMP already uses every core: 4.4-5.0 vs 4.1-4.3 s) nor mlp (numpy's BLAS threads oversubscribed: 30k
# rows 11 vs 13 s).
THREADED_CLASSIFIERS = ("logistic", "svm")
# Samplers whose work is mostly Python holding the GIL: SMOTENC's sample generation (scipy LIL matrices). Two
# threads then take turns, so these fits go to worker processes from PARALLEL_ROWS_SLOW rows. Measured, train
# logistic --strategy smote, threads vs processes, two runs each: 40k rows 10.9-11.3 vs 10.0-11.4 s, 100k rows
# 26.0-26.9 vs 22.0-23.5 s, the 200k sample 50.5-52.2 vs 42.2-45.2 s (the same figures). Random over- and
# undersampling are numpy indexing: logistic --strategy oversample on the sample 13.9-14.8 s in threads vs 15.0-16.7.
GIL_BOUND_STRATEGIES = ("smote",)


def available_cores() -> int:
    """Cores this process may run on (its CPU affinity, not the machine's count)."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # pragma: no cover - not Linux
        return max(os.cpu_count() or 1, 1)


def frame_bytes(X, sample: int = 20_000) -> int:
    """Memory of a DataFrame, its text included (what each worker is sent): typed columns exactly, columns of
    Python objects from ``sample`` evenly spaced rows, scaled — the figure only caps the workers, and measuring
    every string of 1M rows took 0.57 s before a train run's first fit."""
    n = len(X)
    if n <= 2 * sample:
        return int(X.memory_usage(index=True, deep=True).sum())
    shallow = X.memory_usage(index=True, deep=False)
    text = [c for c in X.columns if X[c].dtype == object]
    if not text:
        return int(shallow.sum())
    rows = X[text].iloc[:: n // sample]
    per_row = float(rows.memory_usage(index=False, deep=True).sum()) / len(rows)
    return int(shallow.drop(text).sum() + per_row * n)


def available_memory() -> int | None:
    """Bytes of memory available to new processes (Linux MemAvailable), or None when unknown."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def fit_workers(
    requested: int, tasks: int, frame_bytes: int, worth_it: bool = True, memory: int | None = None
) -> tuple[int, str | None]:
    """Worker processes for ``tasks`` fits of a frame of ``frame_bytes``, and a note when memory capped them.

    ``requested``: a number (capped at the tasks), 0 for auto (every core, as many as there are tasks, as many as
    memory holds at :data:`WORKER_FRAMES` frames each; 1 when ``worth_it`` is False: the caller judges the fits too
    short to pay for a pool's start-up), -1 for every core regardless of memory. 1 fits in this process.
    ``memory``: bytes available (default: :func:`available_memory`).
    """
    tasks = max(tasks, 1)
    if requested > 0:
        return min(requested, tasks), None
    if requested == 0 and not worth_it:
        return 1, None
    n = min(available_cores(), tasks)
    if requested < 0 or n == 1:
        return n, None
    memory = available_memory() if memory is None else memory
    if memory is None:
        return n, None
    fits = int(memory // max(WORKER_FRAMES * frame_bytes, 1))
    if fits >= n:
        return n, None
    held = max(fits, 1)
    return held, (
        f"{held} worker{'s' if held > 1 else ''} instead of {n}: each needs about {_gb(WORKER_FRAMES * frame_bytes)} "
        f"and {_gb(memory)} is available (--jobs N to choose)"
    )


def _gb(n: float) -> str:
    return f"{n / 2**30:.1f} GB"


SLOW_CLASSIFIERS = ("mlp", "svm-rbf", "svm-nystroem")  # train times one fit first and says how long to expect


def plan_workers(spec: "Spec", X, jobs: int) -> tuple[int, bool, str | None]:
    """How the folds and the final fit run: (workers, in threads of this process?, a note when memory holds
    the workers back). Processes from :data:`PARALLEL_ROWS` rows (:data:`PARALLEL_ROWS_SLOW` for slow
    classifiers and GIL-bound samplers); below that, threads for the classifiers whose fit releases the GIL."""
    slow = spec.classifier.name in SLOW_CLASSIFIERS or spec.strategy.name in GIL_BOUND_STRATEGIES
    worth_it = len(X) >= (PARALLEL_ROWS_SLOW if slow else PARALLEL_ROWS)
    threads = not worth_it and spec.classifier.name in THREADED_CLASSIFIERS
    workers, held = fit_workers(
        jobs, spec.folds + 1, frame_bytes(X) if jobs == 0 and worth_it else 0, worth_it or threads
    )
    return workers, threads, held


def duration(seconds: float) -> str:
    """Seconds in words for a person waiting: ``"40 s"``, ``"12 min"``, ``"1.5 h"``."""
    if seconds < 90:
        return f"{max(1, round(seconds))} s"
    if seconds < 90 * 60:
        return f"{round(seconds / 60)} min"
    return f"{seconds / 3600:.1f} h"
