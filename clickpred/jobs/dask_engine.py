"""``--engine dask``: the same scoring as the local engine, as tasks on a Dask cluster.

The driver splits every input into byte ranges cut at line starts (a gzip file
is one range, a Parquet file one range per row group), broadcasts the model to
the workers once (``Client.scatter(..., broadcast=True)``) and runs one task per
range. A task reads its range itself, then parses, converts, scores and writes
its part exactly as the local engine does (:meth:`clickpred.jobs.score._Job.process`),
so the scores are identical; it returns only its counts and rejected rows. The
driver turns the rejects' in-range line numbers into file line numbers (prefix
sums of the ranges' line counts), checks rows in = scored + rejected and the
reject rate per file, and commits the output folder.

Why not ``dd.read_csv``: it cannot say on which line a bad row was, and a row
with the wrong number of fields fails the whole partition. Reading our own
ranges keeps the rejects file exact on a cluster too.

The output is always a folder of parts (``<input>-<range>.parquet``), like
Dask's own ``to_parquet``; workers must see the input and output paths (a
shared filesystem), and have clickpred installed.

Example
-------
>>> score_dask("models/demo.skops", ["logs/"], "scores/")  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import ClickpredError
from ..evaluation.drift import add, check_threshold
from ..io.engines import DaskTasks, connect_scheduler
from ..io.sources import Range, Source, plan_ranges, read_range
from ..io.writers import PartWriter
from ..model.linear_scorer import TOLERANCE
from ..model.modelfile import Model
from .score import (
    DEFAULT_CHUNK_ROWS,
    DEFAULT_DRIFT_THRESHOLD,
    DEFAULT_MAX_REJECT_RATE,
    BlockJob,
    FileResult,
    Scorer,
    check_file,
    output_schema,
    prepare_run,
    summarise_run,
)

DEFAULT_RANGE_BYTES = 64 << 20


@dataclass
class RangeResult:
    file_index: int
    index: int
    rows_in: int
    rows_scored: int
    lines: int  # physical lines in the range (CSV)
    rejects: list
    predicted: np.ndarray
    score_sums: np.ndarray
    part: str
    fell_back: bool = False  # the compiled tables disagreed with the pipeline; scored by the pipeline
    drift: dict | None = None  # counts in the training profile's bins, summed over the range's chunks


_SCORERS: dict[tuple[int, bool], Scorer] = {}


def _sample_one(task: tuple[Source, Range], columns, plan, negative, rate, chunk_rows, collect):
    """One task of the Dask sampler: a range of its source (each task carries only its own source)."""
    from ..io.sampling import sample_range

    src, r = task
    return sample_range(src, r, columns, plan, negative, rate, chunk_rows, collect)


def _score_one(task: tuple[Source, Range, str], model, fast, keep, columns, chunk_rows) -> RangeResult:
    """One task of the Dask scorer: a range of its source, written to its own part."""
    src, r, part = task
    return _run_range(model, fast, src, r, keep, columns, part, chunk_rows)


def _run_range(
    model: Model, fast: bool, src: Source, r: Range, keep: list[str], columns: list[str], part: str, chunk_rows: int
) -> RangeResult:
    """One task: read, score and write a range; return counts and rejects (lines within the range)."""
    key = (id(model), fast)
    scorer = _SCORERS.get(key)
    if scorer is None:
        scorer = _SCORERS[key] = Scorer(model, fast=fast)
    job = BlockJob(scorer, keep, columns)
    writer = PartWriter(Path(part), "parquet" if part.endswith(".parquet") else "csv", output_schema(src, keep, scorer))
    rows_in = rows_scored = lines = 0
    rejects: list = []
    predicted = np.zeros(len(scorer.prediction_labels), dtype=np.int64)
    sums = np.zeros(len(scorer.columns))
    checked = scorer.fast is None
    drift = scorer.tally.empty() if scorer.tally else None
    try:
        for block in read_range(src, r, chunk_rows):
            chunk = job.process(src, block, want_sample=not checked)
            if chunk.sample is not None and not checked:
                if not scorer.gap(chunk.sample) <= TOLERANCE:  # the compiled tables disagree here:
                    writer.close()  # rescore this range through the pipeline
                    out = _run_range(model, False, src, r, keep, columns, part, chunk_rows)
                    out.fell_back = True
                    return out
                checked = True
            writer.write(chunk.table)
            rows_in += chunk.rows_in
            rows_scored += chunk.table.num_rows
            rejects += chunk.rejects
            predicted += chunk.predicted
            sums += chunk.score_sums
            if drift is not None and chunk.drift is not None:
                drift = add(drift, chunk.drift)
            if block.text is None:
                assert block.batch is not None
                lines += block.batch.num_rows
            else:
                lines += block.n_lines + (0 if block.text.endswith(b"\n") else 1)
    finally:
        writer.close()
    return RangeResult(r.file_index, r.index, rows_in, rows_scored, lines, rejects, predicted, sums, part, drift=drift)


WORKER_MEMORY = 512 << 20  # what a local Dask worker process needs at least (interpreter, libraries, a block)


def local_workers(jobs: int) -> int:
    """Worker processes for a LocalCluster: ``jobs``, at most one per core and as many as memory holds (64 on 2
    cores started 64 processes and failed after minutes)."""
    from ..estimator.workers import available_cores, available_memory

    memory = available_memory()
    cap = min(available_cores(), max(1, memory // WORKER_MEMORY) if memory else available_cores())
    return max(1, min(jobs, cap))


@contextmanager
def _client(scheduler: str | None, jobs: int):
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ClickpredError("--engine dask needs dask and distributed: pip install 'clickpred[dask]'") from None
    if scheduler:
        client = connect_scheduler(scheduler)
        try:
            yield client
        finally:
            client.close()
        return
    for name in ("distributed", "distributed.worker", "distributed.scheduler", "distributed.nanny"):
        logging.getLogger(name).setLevel(logging.ERROR)
    cluster = LocalCluster(
        n_workers=local_workers(jobs),
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        silence_logs=logging.ERROR,
    )
    client = Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


def sample_dask(
    sources: list[Source],
    columns: list[str],
    plan,
    jobs: int = 2,
    scheduler: str | None = None,
    chunk_rows: int = 100_000,
    range_bytes: int = DEFAULT_RANGE_BYTES,
    progress=None,
):
    """The training sampler (:func:`clickpred.io.sampling.sample_stream`) as one task per range on a Dask cluster.

    Each task reads its range, draws from the range's own generator and returns its kept and
    held-out rows and class counts, so the sample is the local engine's, row for row. With
    ``--negative-rate auto`` a first round of tasks counts the classes (label column only), then
    the rate is fixed and the second round samples.
    """
    from ..io.sampling import (
        auto_rate,
        check_sources,
        finish_sample,
        first_negative,
        range_weights,
    )

    t0 = time.perf_counter()
    check_sources(sources)
    negative = plan.negative_class or first_negative(sources[0], columns, plan.target, chunk_rows)
    ranges = plan_ranges(sources, range_bytes)
    weight = range_weights(ranges, sources)
    total = sum(s.size for s in sources)
    with _client(scheduler, jobs) as client:

        def run(rate: float, collect: bool) -> list:
            parts, done, rows = [], 0.0, 0
            work = [(sources[r.file_index], r) for r in ranges]
            tasks = DaskTasks(client).map(_sample_one, work, columns, plan, negative, rate, chunk_rows, collect)
            for _, part in tasks:
                parts.append(part)
                done += weight[(part.file_index, part.index)]
                rows += part.rows
                if progress is not None:
                    progress(int(done), total, rows)
            return parts

        rate = plan.rate
        if rate is None:
            counts: dict = {}
            for part in run(0.0, collect=False):
                for k, c in part.counts.items():
                    counts[k] = counts.get(k, 0) + c
            rate = auto_rate(counts, negative, plan.per_positive)
        parts = run(rate, collect=True)
    return finish_sample(parts, sources, plan, negative, rate, time.perf_counter() - t0, "dask", range_bytes)


def score_dask(
    model: str | Path | Model,
    inputs: list[str | Path],
    output: str | Path,
    fmt: str | None = None,
    keep: list[str] | None = None,
    chunk_rows: int | None = None,
    jobs: int | None = None,
    rejects: str | Path | None = None,
    max_reject_rate: float = DEFAULT_MAX_REJECT_RATE,
    sep: str | None = None,
    header: bool | None = None,
    fast: bool = True,
    trust_pickle: bool = False,
    scheduler: str | None = None,
    range_bytes: int = DEFAULT_RANGE_BYTES,
    progress=None,
    decision: str | None = None,
    costs: str | Path | None = None,
    drift_threshold: float = DEFAULT_DRIFT_THRESHOLD,
):
    """Score like :func:`clickpred.jobs.score.score`, on a Dask cluster (a LocalCluster by default)."""
    check_threshold(drift_threshold)
    t0 = time.perf_counter()
    chunk_rows = DEFAULT_CHUNK_ROWS if chunk_rows is None else chunk_rows
    run = prepare_run(
        model, inputs, output, fmt, keep, chunk_rows, jobs, rejects, max_reject_rate, sep, header, fast, trust_pickle,
        folder=True, decision=decision, costs=costs,
    )  # fmt: skip
    scorer, sources, outs, notes = run.scorer, run.sources, run.outs, run.notes
    rejects_out = outs.rejects_writer()
    try:
        done = _score_ranges(run, plan_ranges(sources, range_bytes), fast, scheduler, progress)
        results = [FileResult(s.name, str(outs.output)) for s in sources]
        predicted, sums, drift = _gathered(done, run, results, rejects_out)
        for src, res in zip(sources, results):
            check_file(src, res, max_reject_rate, notes)
        fell_back = sum(d.fell_back for d in done)
        if fell_back:
            notes.insert(
                0, f"fast path disagreed with the pipeline on {fell_back} range(s); those were scored with the pipeline"
            )
        rejects_out.close()
        result = summarise_run(
            run.model, scorer, results, predicted, sums, time.perf_counter() - t0, outs, notes, drift, drift_threshold
        )
        result.engine = "dask"
        outs.write_summary(result.to_dict())
        outs.commit()
        return result
    except BaseException:
        outs.abort()
        raise


def _score_ranges(run, ranges: list, fast: bool, scheduler: str | None, progress) -> list[RangeResult]:
    """Every byte range scored by a Dask task into its own staged part, in file and range order."""
    sources, outs = run.sources, run.outs
    stage = outs.stage_folder()
    ext = ".parquet" if outs.fmt == "parquet" else ".csv"
    stems = [p.name[: -len(ext)] for p in outs.parts]
    with _client(scheduler, run.jobs) as client:
        model_future = client.scatter(run.model, broadcast=True)
        work = [(sources[r.file_index], r, str(stage / f"{stems[r.file_index]}-{r.index:05d}{ext}")) for r in ranges]
        tasks = DaskTasks(client).map(_score_one, work, model_future, fast, run.keep, run.columns, run.chunk_rows)
        done: list[RangeResult] = []
        total = sum(s.size for s in sources)
        for _, d in tasks:
            done.append(d)
            if progress is not None:
                progress(int(total * len(done) / len(ranges)), total, sum(d.rows_in for d in done))
    return sorted(done, key=lambda d: (d.file_index, d.index))


def _gathered(done: list[RangeResult], run, results: list[FileResult], rejects_out):
    """The ranges' counts added up per file (``results``), their rejects written with lines counted from each
    file's start; returns the predictions per label, the score sums and the drift tally."""
    scorer, sources = run.scorer, run.sources
    predicted = np.zeros(len(scorer.prediction_labels), dtype=np.int64)
    sums = np.zeros(len(scorer.columns))
    drift = scorer.tally.empty() if scorer.tally else None
    first_line = {i: (2 if s.header and not s.parquet else 1) for i, s in enumerate(sources)}
    for d in done:
        res = results[d.file_index]
        offset = first_line[d.file_index] - 1
        for rej in d.rejects:
            rej.line += offset
        rejects_out.write(d.rejects)
        first_line[d.file_index] += d.lines
        res.rows_read += d.rows_in
        res.rows_scored += d.rows_scored
        res.rows_rejected += len(d.rejects)
        predicted += d.predicted
        sums += d.score_sums
        if drift is not None and d.drift is not None:
            drift = add(drift, d.drift)
    return predicted, sums, drift
