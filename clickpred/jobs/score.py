"""Batch scoring: stream impression logs through a model, every row accounted for.

``score(model, inputs, output)`` reads each input in blocks (see
:mod:`clickpred.io.sources`), parses, converts and scores the blocks on a pool of
threads, and writes the scores in input order. Rows that can't be scored go to
the rejects file with their file, line, reason and raw text. The run fails —
leaving no finished-looking output — when a file's reject rate passes
``max_reject_rate`` or when rows in ≠ rows scored + rows rejected.

Linear pipelines (logistic, linear SVM, calibrated or not) are scored by a
compiled per-column table scorer (:mod:`clickpred.model.linear_scorer`), checked against
the pipeline itself before use; other pipelines call the pipeline on each chunk.

Example
-------
>>> result = score("models/demo.skops", ["data/impressions_sample.csv.gz"], "scores.parquet")  # doctest: +SKIP
>>> result.rows_read == result.rows_scored + result.rows_rejected  # doctest: +SKIP
True
"""

from __future__ import annotations

import re
import time
import warnings
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pyarrow as pa

from ..errors import ClickpredError, ConfigError, DataError
from ..estimator.workers import available_cores
from ..evaluation.crossval import in_class_order
from ..evaluation.drift import DEFAULT_THRESHOLD as DEFAULT_DRIFT_THRESHOLD
from ..evaluation.drift import add, check_threshold
from ..io.cast import MAX_MAGNITUDE, timestamp_type
from ..io.chunks import Inputs, sample_inputs, to_inputs
from ..io.dataset import known_headers
from ..io.engines import Threads
from ..io.schema import Schema
from ..io.sources import (
    Parsed,
    Reject,
    Source,
    count_records,
    expand_inputs,
    open_source,
    parse_block,
)
from ..io.writers import Outputs, check_targets
from ..model.linear_scorer import TOLERANCE, LinearScorer, compile_linear
from ..model.modelfile import Model, load_model
from ..model.prepared_scorer import PreparedScorer, compile_prepared

DEFAULT_CHUNK_ROWS = 100_000
PIPELINE_CHUNK_ROWS = 50_000  # default chunk when scoring through the pipeline (dense intermediates)
DEFAULT_MAX_REJECT_RATE = 0.01
MIN_ROWS_FOR_RATE = 1000  # judge a file's reject rate early only after this many rows (always at its end)
VERIFY_ROWS = 2000
PIPELINE_ROWS = 16_384  # rows per call when scoring through the pipeline (bounds dense intermediates)


def _column_name(label: str) -> str:
    return re.sub(r"[^0-9A-Za-z_]+", "_", str(label)).strip("_") or "class"


class Scorer:
    """A loaded model, ready to score chunks of :class:`~clickpred.io.chunks.Inputs`."""

    def __init__(self, model: Model, fast: bool = True):
        self.model = model
        self.predictor = model.predictor()
        self.pipeline: Any = model.pipeline
        self.schema = Schema.from_dict(model.metadata["schema"])
        self.classes = list(model.metadata["classes"])
        self.method = model.metadata["score_method"]
        self.model_classes = [str(c) for c in self.pipeline.classes_]  # a fitted pipeline (checked at load)
        self.notes: list[str] = []
        self.fast: LinearScorer | PreparedScorer | None = None
        if fast:
            # Tables stored by train, else compiled now; checked against the pipeline before use
            # (random rows here; the first rows of the input in score()).
            if model.fastpath is not None:
                self.fast = LinearScorer.from_state(model.fastpath, self.pipeline, self.schema)
            else:
                self.fast = compile_linear(self.pipeline, self.schema)
            if self.fast is None:  # trees, MLPs, kernels: the pipeline, its first step computed from the codes
                self.fast = compile_prepared(self.pipeline, self.schema, self.method)
            if self.fast is not None:
                gap = self._synthetic_gap()
                if not gap <= TOLERANCE:
                    self.notes.append(f"fast path disagreed with the pipeline by {gap:.2g}; scoring with the pipeline")
                    self.fast = None
        binary_margin = self.method == "decision_function" and len(self.model_classes) == 2
        self._finish = self.predictor.correction is not None and self.predictor.correction.changes_scores
        self._decide = self.predictor.rule is not None and self.predictor.rule.kind != "argmax"
        if self._finish or self._decide:  # corrected probabilities and/or a decision rule, in class order
            self.columns = (
                [f"p_{_column_name(c)}" for c in self.classes]
                if self.predictor.has_proba
                else [f"score_{_column_name(c)}" for c in self.classes]
            )
        elif self.method == "predict_proba":
            self.columns = [f"p_{_column_name(c)}" for c in self.classes]
            self._order = [self.model_classes.index(c) for c in self.classes]
        elif binary_margin:
            self.columns = [f"score_{_column_name(self.model_classes[1])}"]
            self._order = [0]
        else:
            self.columns = [f"score_{_column_name(c)}" for c in self.classes]
            self._order = [self.model_classes.index(c) for c in self.classes]
        # what `prediction` indexes: the rule decides among `classes`, plain argmax among the model's
        self.prediction_labels = list(self.classes if self._finish or self._decide else self.model_classes)
        self.kind = "probability" if self.predictor.has_proba else "decision"
        self.rule_label = self.predictor.rule.label if self.predictor.rule is not None else "argmax"
        self.tally = None  # drift: counts of the scored rows in the training profile's bins
        if model.profile is not None:
            from ..evaluation.drift import Tally, score_bins

            scores = score_bins(model.profile, self.classes) if self.kind == "probability" else {}
            self.tally = Tally(model.profile, scores)

    @property
    def chunk_rows(self) -> int:
        """Rows a block holds by default: fewer where the pipeline builds dense intermediates (encoders, kernels,
        hidden layers); the compiled tables and the trees on prepared inputs take large blocks (a tree ensemble's
        fixed cost per call is paid per block: 50k-row blocks cost the trees 15% more than 100k)."""
        light = isinstance(self.fast, LinearScorer) or (
            isinstance(self.fast, PreparedScorer) and self.fast.rows_per_call is None
        )
        return DEFAULT_CHUNK_ROWS if light else PIPELINE_CHUNK_ROWS

    @property
    def path_name(self) -> str:
        return self.fast.name if self.fast is not None else "pipeline"

    def _raw(self, inputs: Inputs, fast: bool | None = None) -> np.ndarray:
        use_fast = self.fast is not None if fast is None else fast
        if inputs.n == 0:
            width = (
                len(self.model_classes)
                if not (self.method == "decision_function" and len(self.model_classes) == 2)
                else 1
            )
            return np.zeros((0, width)) if width > 1 else np.zeros(0)
        if use_fast:
            assert self.fast is not None
            return self.fast.scores(inputs)
        # The pipeline in slices: kernel features and hidden layers are dense (rows × hundreds).
        frame = inputs.frame(self.schema)
        fn = getattr(self.pipeline, self.method)
        parts = [
            np.asarray(fn(frame.iloc[i : i + PIPELINE_ROWS]), dtype=float) for i in range(0, len(frame), PIPELINE_ROWS)
        ]
        return np.concatenate(parts)

    def scores(self, inputs: Inputs) -> tuple[np.ndarray, np.ndarray]:
        """Scores (rows × output columns, in :attr:`columns` order) and the predicted class index
        (into :attr:`prediction_labels`)."""
        raw = self._raw(inputs)
        if self._finish or self._decide:
            full = in_class_order(raw, self.model_classes, self.classes, self.method)
            out = self.predictor.finish(full)
            return out, self.predictor.decide_index(out).astype(np.int64, copy=False)
        if raw.ndim == 1:
            pred_idx = (raw > 0).astype(np.int64)
            out = raw[:, None]
        else:
            pred_idx = np.argmax(raw, axis=1)
            out = raw[:, self._order]
        return out, pred_idx

    def gap(self, inputs: Inputs) -> float:
        """Largest difference between the compiled scorer and the pipeline on these inputs."""
        if self.fast is None or inputs.n == 0:
            return 0.0
        return float(np.max(np.abs(self._raw(inputs, True) - self._raw(inputs, False))))

    def _synthetic_gap(self) -> float:
        """Check the compiled scorer on random rows mixing known, missing and unseen values."""
        assert self.fast is not None
        known = {
            c.name: self.fast.known_values(c.name)[:5000]
            for c in self.schema.features
            if c.kind in ("categorical", "id")
        }
        return self.gap(sample_inputs(self.schema, 500, known))


@dataclass
class FileResult:
    source: str
    output: str
    rows_read: int = 0
    rows_scored: int = 0
    rows_rejected: int = 0


@dataclass
class ScoreResult:
    """What a scoring run did: counts, timings, the drift signal and where things went."""

    model: str
    engine: str
    scorer: str
    score_kind: str
    columns: list[str]
    files: list[FileResult]
    rows_read: int
    rows_scored: int
    rows_rejected: int
    seconds: float
    predicted: dict[str, int]
    mean_scores: dict[str, float]
    training_prevalence: dict[str, float]
    output: str
    rejects: str
    notes: list[str] = field(default_factory=list)
    decision: str = "argmax"
    # Every input column (and the scores) against the training profile: PSI, unseen and missing shares; None for a
    # model that keeps no profile (trained by the streaming trainer, or before clickpred 0.2).
    drift: list | None = None
    drift_threshold: float = 0.2

    @property
    def rows_per_second(self) -> float:
        return self.rows_read / self.seconds if self.seconds > 0 else 0.0

    def to_dict(self) -> dict:
        d = asdict(self)
        d["rows_per_second"] = self.rows_per_second
        return d


@dataclass
class _Chunk:
    """One processed block: the score table, its rejects and tallies."""

    table: pa.Table
    rejects: list[Reject]
    rows_in: int
    predicted: np.ndarray
    score_sums: np.ndarray
    sample: Inputs | None = None
    replaced: int = 0  # numbers read as missing: infinite or out of range
    dates_only: dict = field(default_factory=dict)  # timestamp column -> dates without a time of day
    drift: dict | None = None  # counts in the training profile's bins (clickpred.evaluation.drift.Tally)


def _rows_in_block(parsed: Parsed) -> int:
    """Rows in a block counted independently of the CSV parser: its non-empty lines."""
    block = parsed.block
    if block.text is None:
        assert block.batch is not None
        return block.batch.num_rows
    text = block.text
    n = (block.n_lines if block.n_lines >= 0 else text.count(b"\n")) + (0 if text.endswith(b"\n") else 1)
    if n != parsed.n_rows:  # blank lines are not rows, a quoted value may span lines: count records then
        n = count_records(text)
    return n


class BlockJob:
    """Per-run state shared by the worker threads."""

    def __init__(self, scorer: Scorer, keep: list[str], columns: list[str]):
        self.scorer = scorer
        self.keep = keep
        self.columns = columns
        self.labels = pa.array(scorer.prediction_labels, pa.string())
        keep_set = set(keep)
        # Numbers and timestamps parse faster typed than as text (a block with a bad value is re-read as text).
        self.types = {
            c.name: pa.float64() for c in scorer.schema.features if c.kind == "numeric" and c.name not in keep_set
        }
        self.types.update(
            {
                c.name: timestamp_type(c.dtype)
                for c in scorer.schema.features
                if c.kind == "timestamp" and c.name not in keep_set
            }
        )

    def process(self, src: Source, block, want_sample: bool) -> _Chunk:
        parsed = parse_block(src, block, self.columns, self.types)
        try:
            inputs, bad = to_inputs(parsed.table, self.scorer.schema)
        except DataError as exc:
            raise DataError(f"{src.path}: {exc.for_command_line()}") from None
        rejects = list(parsed.rejects)
        kept = parsed.table.select(self.keep)
        if bad:
            rows = sorted(bad)
            lines = parsed.lines_of(rows)
            raws = parsed.raw_lines(rows)
            for r, line, raw in zip(rows, lines, raws):
                rejects.append(Reject(src.name, line, bad[r], raw))
            rejects.sort(key=lambda r: r.line)
            good = np.setdiff1d(np.arange(parsed.table.num_rows), np.asarray(rows))
            kept = kept.take(pa.array(good))
        scores, pred_idx = self.scorer.scores(inputs)
        arrays = list(kept.columns) + [pa.array(scores[:, j]) for j in range(scores.shape[1])]
        arrays.append(pa.DictionaryArray.from_arrays(pa.array(pred_idx, pa.int32()), self.labels).cast(pa.string()))
        names = list(self.keep) + self.scorer.columns + ["prediction"]
        table = pa.Table.from_arrays(arrays, names=names)
        predicted = np.bincount(pred_idx, minlength=len(self.scorer.prediction_labels))
        sample = inputs.take(np.arange(min(inputs.n, VERIFY_ROWS))) if want_sample and inputs.n else None
        tally = self.scorer.tally
        return _Chunk(
            table,
            rejects,
            _rows_in_block(parsed),
            predicted,
            scores.sum(axis=0),
            sample,
            inputs.replaced,
            inputs.dates_only,
            tally.count(inputs, scores if self.scorer.kind == "probability" else None) if tally else None,
        )


def output_schema(src: Source, keep: list[str], scorer: Scorer) -> pa.Schema:
    fields = []
    if src.parquet:
        import pyarrow.parquet as pq

        arrow = pq.ParquetFile(src.path).schema_arrow
        for k in keep:
            fields.append(pa.field(k, arrow.field(src.raw_columns[src.columns.index(k)]).type))
    else:
        fields += [pa.field(k, pa.string()) for k in keep]
    fields += [pa.field(c, pa.float64()) for c in scorer.columns]
    fields.append(pa.field("prediction", pa.string()))
    return pa.schema(fields)


def _check_sources(sources: list[Source], schema: Schema, keep: list[str]) -> list[str]:
    notes = []
    for src in sources:
        have = set(src.columns)
        missing = [c for c in schema.input_names if c not in have]
        if missing:
            raise DataError(
                f"{src.path}: missing feature column(s) the model needs: {', '.join(missing)}"
                f" (file has: {', '.join(src.columns[:12])}{'…' if len(src.columns) > 12 else ''})"
            )
        absent = [k for k in keep if k not in have]
        if absent:
            raise DataError(f"--keep {','.join(absent)}: no such column in {src.path}")
    used = set(schema.input_names) | set(keep) | {schema.target}
    extra = sorted({c for s in sources for c in s.columns} - used)
    if extra:
        shown = ", ".join(extra[:5]) + ("…" if len(extra) > 5 else "")
        notes.append(f"ignored {len(extra)} column(s) the model does not use: {shown}")
    return notes


def _resolve_keep(keep: list[str], sources: list[Source]) -> list[str]:
    """--keep names as written in the file or as cleaned; return cleaned names."""
    out = []
    for k in keep:
        if sources and k not in sources[0].columns and k in sources[0].raw_columns:
            k = sources[0].columns[sources[0].raw_columns.index(k)]
        if k not in out:
            out.append(k)
    return out


@dataclass
class Run:
    """What a scoring run works with, all checked before any row is read."""

    model: Model
    scorer: Scorer
    files: list[Path]
    sources: list[Source]
    keep: list[str]
    columns: list[str]  # the columns to read: features, then kept ones
    outs: Outputs
    notes: list[str]
    jobs: int
    chunk_rows: int


def prepare_run(
    model,
    inputs,
    output,
    fmt=None,
    keep=None,
    chunk_rows=None,
    jobs=None,
    rejects=None,
    max_reject_rate=DEFAULT_MAX_REJECT_RATE,
    sep=None,
    header=None,
    fast=True,
    trust_pickle=False,
    folder: bool | None = None,
    decision: str | None = None,
    costs=None,
) -> Run:
    """Validate options, load the model, open every input and plan the outputs (shared by both engines).

    ``decision``/``costs`` replace the model's decision rule, re-tuned on the
    out-of-fold predictions the model file keeps."""
    if chunk_rows is not None and chunk_rows < 1:
        raise ClickpredError(f"--chunk-rows must be at least 1, got {chunk_rows}")
    if not 0 <= max_reject_rate <= 1:
        raise ClickpredError(f"--max-reject-rate must be between 0 and 1, got {max_reject_rate}")
    jobs = available_cores() if not jobs or jobs < 1 else jobs
    if not isinstance(model, Model):
        model = load_model(model, trust_pickle=trust_pickle)
    if decision is not None or costs is not None:
        rule = model.predictor(decision, costs).rule
        model = replace(model, metadata={**model.metadata, "decision": rule.to_dict()})
    scorer = Scorer(model, fast=fast)
    if chunk_rows is None:
        chunk_rows = scorer.chunk_rows
    files = expand_inputs(inputs)
    if header is None:
        header = bool(model.metadata.get("input", {}).get("header", True))
    known = known_headers(scorer.schema)  # columns matched by the header written at training, not by position
    sources = [open_source(f, sep=sep, header=header, known=known) for f in files]
    keep = _resolve_keep(list(keep or []), sources)
    clash = sorted(set(keep) & set(scorer.columns + ["prediction"]))
    if clash:
        raise ConfigError(
            f"--keep {','.join(clash)}: the output has a column of that name already (the scores and the "
            "prediction): keep other columns"
        )
    notes = list(scorer.notes) + _check_sources(sources, scorer.schema, keep)
    outs = Outputs.plan(output, files, fmt, rejects, folder=folder)
    read = files + [Path(str(i)) for i in inputs if Path(str(i)).is_dir()] + [Path(model.path)]
    check_targets(
        [
            ("--output", outs.output, outs.folder),
            *(("--output", p, False) for p in outs.parts),
            ("--rejects", outs.rejects, False),
            *([] if outs.folder else [("--output", outs.summary, False)]),
        ],
        read + ([Path(costs)] if costs else []),
    )
    columns = list(dict.fromkeys(scorer.schema.input_names + keep))
    return Run(model, scorer, files, sources, keep, columns, outs, notes, jobs, chunk_rows)


def check_file(src: Source, res: FileResult, max_reject_rate: float, notes: list[str]) -> None:
    """After a file: its reject rate, and rows in = rows scored + rows rejected."""
    _check_rate(src, res, max_reject_rate)
    if res.rows_read != res.rows_scored + res.rows_rejected:
        raise ClickpredError(
            f"{src.path}: {res.rows_read:,} rows in but {res.rows_scored:,} scored + "
            f"{res.rows_rejected:,} rejected: rows were lost; nothing written (please report this)"
        )
    if res.rows_read == 0:
        notes.append(f"{src.path}: no data rows")


def score_frame(
    model: str | Path | Model,
    frame,
    keep: list[str] | None = None,
    decision: str | None = None,
    costs: str | Path | None = None,
    trust_pickle: bool = False,
):
    """Scores of an in-memory table (a notebook's DataFrame), as ``score`` would write them: the kept columns,
    ``p_<class>`` (corrected probabilities; ``score_<class>`` for a model without them), ``prediction`` under the
    model's decision rule (or ``decision``, re-tuned; labels as the training data held them) and ``reject``.

    Every input row is there, with the input's index: a row ``score`` would reject (a value that cannot be read as
    its column's type) has the reason in ``reject`` and no scores or prediction; ``reject`` is missing for the
    others. The rows are cast by the same code as a file's (:func:`clickpred.io.dataset.inputs_from_pandas`)."""
    import pandas as pd

    from ..io.dataset import inputs_from_pandas

    if not isinstance(model, Model):
        model = load_model(model, trust_pickle=trust_pickle)
    predictor = model.predictor(decision, costs)
    schema = Schema.from_dict(model.metadata["schema"])
    if not isinstance(frame, pd.DataFrame):
        raise DataError(f"expected a pandas DataFrame, got {type(frame).__name__}")
    absent = [k for k in keep or [] if k not in frame.columns]
    if absent:
        raise DataError(f"keep {','.join(absent)}: no such column in the DataFrame")
    inputs, bad = inputs_from_pandas(frame, schema)
    for note in dates_only_notes(inputs.dates_only):
        warnings.warn(note, UserWarning, stacklevel=3)
    good = np.setdiff1d(np.arange(len(frame)), np.fromiter(bad, dtype=np.int64, count=len(bad)))
    kind = "p" if predictor.has_proba else "score"
    names = [f"{kind}_{_column_name(c)}" for c in predictor.classes]
    clash = sorted(set(keep or []) & set(names + ["prediction", "reject"]))
    if clash:
        raise DataError(f"keep {','.join(clash)}: the output has a column of that name already")
    scores = np.full((len(frame), len(names)), np.nan)
    prediction = np.full(len(frame), None, dtype=object)
    if inputs.n:
        finished = predictor.finish(predictor.raw_scores(inputs.frame(schema)))
        scores[good] = finished
        labels = model.metadata.get("labels") or {}  # as the training data held them: 1, True, "click"
        prediction[good] = [labels.get(c, c) for c in predictor.decide(finished).tolist()]
    reject = np.full(len(frame), None, dtype=object)
    for row, why in bad.items():
        reject[row] = why
    out = pd.DataFrame({k: frame[k].to_numpy() for k in keep or []}, index=frame.index)
    for j, name in enumerate(names):
        out[name] = scores[:, j]
    out["prediction"] = prediction
    out["reject"] = reject
    return out


def drift_frame(model: str | Path | Model, frame, threshold: float = DEFAULT_DRIFT_THRESHOLD, trust_pickle=False):
    """The drift of an in-memory table against the model's training profile, as ``score`` reports it for files
    (:mod:`clickpred.evaluation.drift`): one row per input column (and per minority class's scores), the most
    drifted first. Rows ``score`` would reject are left out, as scoring leaves them out."""
    import pandas as pd

    from ..io.dataset import inputs_from_pandas

    check_threshold(threshold)
    if not isinstance(model, Model):
        model = load_model(model, trust_pickle=trust_pickle)
    if not isinstance(frame, pd.DataFrame):
        raise DataError(f"expected a pandas DataFrame, got {type(frame).__name__}")
    if model.profile is None:
        raise ConfigError(
            "model: it keeps no training profile (trained with --negative-rate, or by an older clickpred): "
            "retrain it to compare its inputs with training"
        )
    scorer = Scorer(model, fast=False)
    assert scorer.tally is not None
    inputs, _ = inputs_from_pandas(frame, scorer.schema)
    probabilities = scorer.scores(inputs)[0] if scorer.kind == "probability" and inputs.n else None
    counts = scorer.tally.count(inputs, probabilities)
    return pd.DataFrame(drift_records(scorer, counts, threshold))


def score(
    model: str | Path | Model,
    inputs,
    output: str | Path | None = None,
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
    progress: Callable[[int, int, int], None] | None = None,
    decision: str | None = None,
    costs: str | Path | None = None,
    drift_threshold: float = DEFAULT_DRIFT_THRESHOLD,
) -> ScoreResult:
    """Score impression logs with a model file; see the module docstring.

    ``drift_threshold``: a column whose population stability index against the training profile passes this is
    named as drifted (:mod:`clickpred.evaluation.drift`; ``ScoreResult.drift`` holds every column's figures).

    ``progress(bytes_done, bytes_total, rows_done)`` is called after each chunk. ``inputs`` may also be a
    pandas DataFrame: then the scores come back as a DataFrame (:func:`score_frame`) and nothing is written.
    """
    import pandas as pd

    if isinstance(inputs, pd.DataFrame):
        return score_frame(model, inputs, keep=keep, decision=decision, costs=costs, trust_pickle=trust_pickle)
    if output is None:
        raise ClickpredError("--output: name the file or folder to write the scores to")
    check_threshold(drift_threshold)
    t0 = time.perf_counter()
    files: dict[str, Any] = {"fmt": fmt, "keep": keep, "chunk_rows": chunk_rows, "jobs": jobs, "rejects": rejects}
    files.update(sep=sep, max_reject_rate=max_reject_rate, header=header)  # the same again if the fast path fails
    run = prepare_run(
        model, inputs, output, **files, fast=fast, trust_pickle=trust_pickle, decision=decision, costs=costs
    )
    scorer, outs, notes = run.scorer, run.outs, run.notes
    results = [FileResult(s.name, str(outs.parts[i])) for i, s in enumerate(run.sources)]
    tally = _Tally(
        np.zeros(len(scorer.prediction_labels), dtype=np.int64),
        np.zeros(len(scorer.columns)),
        scorer.tally.empty() if scorer.tally else None,
    )
    rejects_out = outs.rejects_writer()
    try:
        _score_sources(run, results, tally, rejects_out, max_reject_rate, progress)
        rejects_out.close()
        notes += tally.notes()
        result = summarise_run(
            run.model,
            scorer,
            results,
            tally.predicted,
            tally.sums,
            time.perf_counter() - t0,
            outs,
            notes,
            tally.drift,
            drift_threshold,
        )
        outs.write_summary(result.to_dict())
        outs.commit()
        return result
    except _FastPathMismatch as exc:
        outs.abort()
        if not fast:  # pragma: no cover - the pipeline can't disagree with itself
            raise
        out = score(run.model, inputs, output, **files, fast=False, progress=progress, drift_threshold=drift_threshold)
        out.notes.insert(
            0, f"fast path disagreed with the pipeline by {exc.gap:.2g} on the input; rescored with the pipeline"
        )
        return out
    except BaseException:
        outs.abort()
        raise


def _score_sources(run: Run, results: list[FileResult], tally, rejects_out, max_reject_rate: float, progress):
    """Every input of ``run`` through the workers in order (at most jobs + 2 blocks in memory): each block's
    scores to its file's part, its rejects to the rejects file, its counts to ``results`` and ``tally``. The
    fast path is checked against the pipeline on the first block it scores (:class:`_FastPathMismatch`)."""
    scorer, sources = run.scorer, run.sources
    job = BlockJob(scorer, run.keep, run.columns)
    total_bytes, done_bytes, verified = sum(s.size for s in sources), 0, False
    with Threads(run.jobs, "clickpred-score") as engine:
        for i, src in enumerate(sources):
            res = results[i]
            writer = run.outs.part_writer(i, output_schema(src, run.keep, scorer))

            def process(block, src=src):
                return job.process(src, block, scorer.fast is not None and not verified)

            for block, chunk in engine.map(process, src.blocks(run.columns, run.chunk_rows)):
                if chunk.sample is not None and not verified:
                    gap = scorer.gap(chunk.sample)
                    if not gap <= TOLERANCE:
                        raise _FastPathMismatch(gap)
                    verified = True
                writer.write(chunk.table)
                rejects_out.write(chunk.rejects)
                res.rows_read += chunk.rows_in
                res.rows_scored += chunk.table.num_rows
                res.rows_rejected += len(chunk.rejects)
                tally.add(chunk)
                _check_running_rate(src, res, max_reject_rate, block.end_offset / max(src.size, 1))
                if progress is not None:
                    progress(done_bytes + block.end_offset, total_bytes, sum(r.rows_read for r in results))
            writer.close()
            check_file(src, res, max_reject_rate, run.notes)
            done_bytes += src.size


@dataclass
class _Tally:
    """What a scoring run adds up over its chunks: predictions per label, probability sums per class, the drift
    tally, numbers read as missing, and date-only values per timestamp column."""

    predicted: np.ndarray
    sums: np.ndarray
    drift: Any
    replaced: int = 0  # numbers read as missing (cast.finite)
    dates_only: dict[str, int] = field(default_factory=dict)  # timestamp column -> values that were dates alone

    def add(self, chunk) -> None:
        self.predicted += chunk.predicted
        self.sums += chunk.score_sums
        self.replaced += chunk.replaced
        if self.drift is not None and chunk.drift is not None:
            self.drift = add(self.drift, chunk.drift)
        for name, count in chunk.dates_only.items():
            self.dates_only[name] = self.dates_only.get(name, 0) + count

    def notes(self) -> list[str]:
        replaced = (
            [f"{self.replaced:,} number(s) infinite or beyond ±{MAX_MAGNITUDE:g} read as missing, as at training"]
            if self.replaced
            else []
        )
        return replaced + dates_only_notes(self.dates_only)


class _FastPathMismatch(Exception):
    def __init__(self, gap: float):
        super().__init__(f"gap {gap}")
        self.gap = gap


def dates_only_notes(dates_only: dict[str, int]) -> list[str]:
    """A note per timestamp column some of whose values were dates alone, where the model learnt times of day."""
    return [
        f"column '{name}': {count:,} value(s) are dates without a time of day, read as midnight — the model "
        "learnt times of day (its hour feature), so those rows are scored as at hour 0"
        for name, count in dates_only.items()
    ]


def _check_running_rate(src: Source, res: FileResult, rate: float, fraction_read: float) -> None:
    """While a file is read, stop early only once its rate over the whole file can no longer come under
    ``rate``: rejects already beyond ``rate`` × the rows the whole file is estimated to hold (from the share of
    its bytes read). A file whose bad rows sit near its top runs on and is judged at its end (:func:`check_file`),
    on all its rows, as ``--max-reject-rate`` says; a file of another layout still stops within its first
    blocks."""
    if res.rows_read < MIN_ROWS_FOR_RATE or res.rows_rejected <= rate * res.rows_read or fraction_read >= 1:
        return  # at its end, the file is judged whole (check_file)
    estimated = max(res.rows_read, res.rows_read / fraction_read if fraction_read > 0 else res.rows_read)
    if res.rows_rejected > rate * estimated:
        raise DataError(
            f"{src.path}: {res.rows_rejected:,} rows rejected in its first {res.rows_read:,}, more than "
            f"--max-reject-rate {rate:g} of the ~{estimated:,.0f} rows the whole file holds: is this the right "
            "file? (nothing written)"
        )


def _check_rate(src: Source, res: FileResult, rate: float) -> None:
    if res.rows_read and res.rows_rejected > rate * res.rows_read:
        raise DataError(
            f"{src.path}: {res.rows_rejected:,} of {res.rows_read:,} rows rejected "
            f"({res.rows_rejected / res.rows_read:.1%}), more than --max-reject-rate {rate:g}: "
            f"is this the right file? (nothing written)"
        )


def _training_counts(metadata: dict) -> dict:
    """Rows per class of the training data at natural balance (all rows read, for a downsampled stream)."""
    sampling = metadata.get("sampling")
    if sampling:
        return sampling["read_counts"]
    return metadata.get("data", {}).get("class_counts", {})


def summarise_run(
    model, scorer, results, predicted, sums, seconds, outs, notes, drift=None, threshold=DEFAULT_DRIFT_THRESHOLD
) -> ScoreResult:
    rows_read = sum(r.rows_read for r in results)
    rows_scored = sum(r.rows_scored for r in results)
    rows_rejected = sum(r.rows_rejected for r in results)
    counts = _training_counts(model.metadata)
    total = sum(counts.values()) or 1
    if scorer.kind == "probability":
        prevalence = {c: counts.get(c, 0) / total for c in scorer.classes}
        means = {c: (float(s) / rows_scored if rows_scored else float("nan")) for c, s in zip(scorer.classes, sums)}
    else:
        prevalence = {c: counts.get(c, 0) / total for c in scorer.classes}
        means = {col: (float(s) / rows_scored if rows_scored else float("nan")) for col, s in zip(scorer.columns, sums)}
    return ScoreResult(
        model=model.path,
        engine="local",
        scorer=scorer.path_name,
        score_kind=scorer.kind,
        columns=list(scorer.columns),
        files=results,
        rows_read=rows_read,
        rows_scored=rows_scored,
        rows_rejected=rows_rejected,
        seconds=seconds,
        predicted={c: int(n) for c, n in zip(scorer.prediction_labels, predicted)},
        decision=scorer.rule_label,
        mean_scores=means,
        training_prevalence=prevalence,
        output=str(outs.output),
        rejects=str(outs.rejects),
        notes=notes,
        drift=drift_records(scorer, drift, threshold),
        drift_threshold=threshold,
    )


def drift_records(scorer, counts: dict | None, threshold: float) -> list | None:
    """The drift table of a run from its summed counts (None: the model keeps no training profile)."""
    from ..evaluation.drift import report

    if scorer.tally is None or counts is None:
        return None
    return report(scorer.tally.profile, scorer.tally.scores, counts, threshold)
