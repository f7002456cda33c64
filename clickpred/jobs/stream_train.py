"""``train INPUT... --negative-rate R``: train on a downsampled stream, evaluate at natural balance.

The inputs are read once, in chunks (:mod:`clickpred.io.sampling`; on a Dask
cluster with ``engine="dask"``): every minority row and a seeded fraction R of
the negatives are kept, and a random slice of all rows (``holdout``) is set
aside *before* downsampling. The kept rows are typed and their schema inferred
as if they were one file (a sample that spans the whole stream, so a category
first seen late is in it whenever any of its rows is kept), the pipeline is
fitted on them once, and evaluated on the held-out slice — or on ``--test`` —
at the natural class balance, never on downsampled rows.

Probabilities are corrected exactly for R by the prior shift of
:mod:`clickpred.postfit.correction` (negatives were seen at rate R, then the
rebalancing strategy on top), and the calibration and decision rule are
cross-fitted over ``folds`` parts of the evaluation rows, so the reported
metrics are for parts they were not fitted on.

Example
-------
>>> result = train_stream(["logs/"], spec_from_options(), negative_rate=0.01)  # doctest: +SKIP
>>> result.sampling["negative_rate"], result.cv.metrics["per_class"]["click"]["pr_auc"]  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import time
import warnings
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pyarrow as pa

from ..errors import ConfigError, DataError
from ..estimator.training import TrainResult, cross_columns, library_versions, train_options, warning_notes
from ..evaluation.crossval import (
    Evaluation,
    check_folds,
    compute_metrics,
    fold_index,
    fold_splits,
    holdout,
    scores_for,
)
from ..evaluation.leakage import find_leaks
from ..io.chunks import to_inputs
from ..io.dataset import (
    Dataset,
    dataset_from_frame,
    pick_target,
    resolve_column,
    typed_table,
)
from ..io.sampling import (
    DEFAULT_CHUNK_ROWS,
    DEFAULT_PER_POSITIVE,
    DEFAULT_RANGE_BYTES,
    FILE_COL,
    LINE_COL,
    Sample,
    SamplingPlan,
    estimate_rows,
    parse_rate,
    sample_stream,
)
from ..io.sources import Source, expand_inputs, open_source
from ..modeling.pipeline import build_pipeline, for_prediction
from ..modeling.rebalance import effective_counts, prior_ratio
from ..modeling.spec import AUTO, Spec, forced_columns
from ..postfit.crossfit import finish, finish_holdout
from ..postfit.decisions import check_rule_text, parse_rule

DEFAULT_HOLDOUT = 0.05
MAX_DEFAULT_HOLDOUT_ROWS = 1_000_000  # the default slice is capped: it is held in memory as text
EVAL_CHUNK_ROWS = 100_000


def open_inputs(inputs: list[str | Path], sep: str | None, header: bool) -> list[Source]:
    files = expand_inputs(inputs)
    return [open_source(f, sep=sep, header=header) for f in files]


def fingerprint(sources: list[Source]) -> str:
    """A digest of the inputs' names, sizes and modification times (not their content: cheap on 20 GB)."""
    h = hashlib.sha256()
    for s in sources:
        st = s.path.stat()
        h.update(f"{s.path.resolve()}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


def describe(sources: list[Source]) -> str:
    if len(sources) == 1:
        return str(sources[0].path)
    shown = ", ".join(str(s.path) for s in sources[:3])
    return f"{len(sources)} files ({shown}{', …' if len(sources) > 3 else ''})"


def natural_ratio(classes: list[str], kept: dict, negative: str, rate: float, strategy: str, params: dict):
    """π/π̂ for a model fitted under ``strategy`` on rows whose negatives were kept at ``rate``."""
    natural = {c: kept.get(c, 0) / (rate if c == negative else 1.0) for c in classes}
    return prior_ratio(classes, natural, effective_counts(strategy, params, {c: kept.get(c, 0) for c in classes}))


def score_text_rows(pipeline, schema, table: pa.Table, sources: list[Source], method: str) -> np.ndarray:
    """Scores of rows kept as text (with their file and line), in chunks; an unreadable value is an error."""
    out = []
    files = table.column(FILE_COL).to_numpy()
    lines = table.column(LINE_COL).to_numpy()
    for start in range(0, table.num_rows, EVAL_CHUNK_ROWS):
        part = table.slice(start, EVAL_CHUNK_ROWS)
        inputs, bad = to_inputs(part, schema)
        if bad:
            i = min(bad)
            src = sources[files[start + i]]
            raise DataError(
                f"{src.path}: line {lines[start + i]}: {bad[i]} ({len(bad)} such row(s) in the evaluation slice)"
            )
        out.append(scores_for(pipeline, inputs.frame(schema), schema.classes, method))
    return np.vstack(out) if out else np.zeros((0, len(schema.classes)))


def _eval_folds(y: np.ndarray, classes: list[str], folds: int, seed: int, where: str, hint: str) -> np.ndarray:
    absent = [c for c in classes if not np.any(y == c)]
    if absent:
        raise DataError(f"{where}: class '{absent[0]}' has 0 rows: nothing to measure it on; {hint}")
    try:
        check_folds(y, classes, folds, where)
    except DataError as exc:
        raise DataError(f"{exc.for_command_line()}; {hint}") from None
    return fold_index(len(y), [te for _, te in fold_splits(y, folds, seed)])


def _evaluation(y, scores, classes, method, fold_of) -> Evaluation:
    has_proba = method == "predict_proba"
    y_pred = np.asarray(classes)[np.argmax(scores, axis=1)]
    return Evaluation(
        "holdout",
        classes,
        y,
        scores,
        y_pred,
        has_proba,
        compute_metrics(y, scores, classes, has_proba, y_pred),
        fold_of=fold_of,
    )


def _holdout_share(sources: list, fraction: float | None, test) -> tuple[float, str | None]:
    """The share of the stream held out at natural balance: as given, else 0 with ``test`` and 5% without,
    capped at about :data:`MAX_DEFAULT_HOLDOUT_ROWS` rows (with a note saying so)."""
    if fraction is not None:
        return fraction, None
    if test is not None:
        return 0.0, None
    estimate = estimate_rows(sources)
    if DEFAULT_HOLDOUT * estimate <= MAX_DEFAULT_HOLDOUT_ROWS:
        return DEFAULT_HOLDOUT, None
    fraction = MAX_DEFAULT_HOLDOUT_ROWS / estimate
    return fraction, (
        f"holdout slice: {fraction:.3g} of the stream (the default 5% capped at about "
        f"{MAX_DEFAULT_HOLDOUT_ROWS:,} of an estimated {estimate:,} rows; --holdout to choose)"
    )


def _kept_dataset(sample, sources: list, renamed: dict, where: str, tcol: str, spec: Spec, forced: dict, classes):
    """The kept rows as a dataset: its schema inferred from them (every row located by file and line)."""
    kept = sample.kept
    files = kept.column(FILE_COL).to_numpy()
    lines = kept.column(LINE_COL).to_numpy()
    frame = typed_table(kept.drop_columns([FILE_COL, LINE_COL])).to_pandas()
    ds = dataset_from_frame(
        frame,
        {c: r for c, r in renamed.items() if c in frame.columns},
        where,
        target=tcol,
        max_levels=spec.features.max_onehot_levels,
        **forced,
        classes=classes,
        sha256=fingerprint(sources),
        locate=lambda i: f"{sources[files[i]].path} line {lines[i]}",
    )
    ds.notes.insert(0, f"schema inferred from the kept sample ({len(ds.y):,} rows drawn from the whole stream)")
    return ds


def _held_out_scores(final, method: str, ds, sample, sources: list, tcol: str, fraction: float, where: str):
    """The held-out slice's labels, the final model's scores of it, and the words that say what it is."""
    held = sample.holdout
    if held is None or held.num_rows == 0:
        raise DataError(f"{where}: the --holdout {fraction:g} slice is empty: raise it or pass --test")
    y_eval = held.column(tcol).to_numpy(zero_copy_only=False).astype(str)
    scores = score_text_rows(final, ds.schema, held, sources, method)
    source = (
        f"a random {100 * fraction:.3g}% of the stream held out before downsampling "
        f"({len(y_eval):,} rows at natural balance)"
    )
    return y_eval, scores, source


def train_stream(
    inputs: list[str | Path],
    spec: Spec,
    negative_rate: str | float | None = "auto",
    per_positive: float = DEFAULT_PER_POSITIVE,
    negative_class: str | None = None,
    holdout_fraction: float | None = None,
    test: str | Path | None = None,
    target: str | None = None,
    sep: str | None = None,
    drop: list[str] | None = None,
    categorical: list[str] | None = None,
    numeric: list[str] | None = None,
    header: bool = True,
    calibration: str = "auto",
    decision: str = "auto",
    costs: str | Path | None = None,
    engine: str = "local",
    scheduler: str | None = None,
    jobs: int = 2,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    range_bytes: int = DEFAULT_RANGE_BYTES,
    progress=None,
):
    """Train on every minority row and a fraction of the negatives of ``inputs``; see the module docstring.

    ``negative_rate``: a number in (0, 1] or ``"auto"`` (kept negatives ≈
    ``per_positive`` × minority rows). ``holdout_fraction``: the random slice
    of the stream evaluated at natural balance (default 5%, capped at about 1M rows; 0 with ``test``).
    """
    from ..postfit.correction import check_method

    check_method(calibration)
    if engine not in ("local", "dask"):
        raise ConfigError(f"--engine {engine}: expected local or dask")
    if holdout_fraction == 0 and test is None:
        raise ConfigError(
            "--holdout 0 needs --test FILE: a model trained on downsampled rows is evaluated at natural balance"
        )
    check_rule_text(decision, costs)  # the full check needs the classes, known after reading
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    # the sampling options are checked here, before any input is opened; the target and the held-out share come
    # from the inputs (_read_stream)
    plan = SamplingPlan("", parse_rate(negative_rate), negative_class, per_positive, seed=spec.seed)
    sizes = {"chunk_rows": chunk_rows, "range_bytes": range_bytes, "progress": progress}
    read = _read_stream(inputs, plan, holdout_fraction, test, target, sep, drop, header, engine, scheduler, jobs, sizes)
    timings["read_seconds"] = time.perf_counter() - t0
    sample, sources, where, notes = read.sample, read.sources, read.where, list(read.notes)

    # Classes in natural order: by rows read, majority first.
    classes = [c for c, _ in sorted(sample.read_counts.items(), key=lambda kv: (-kv[1], kv[0]))]
    rule = parse_rule(decision, classes, costs)

    t0 = time.perf_counter()
    ds = _kept_dataset(
        sample, sources, read.renamed, where, read.target, spec, forced_columns([spec], categorical, numeric), classes
    )
    notes += ds.notes
    timings["type_seconds"] = time.perf_counter() - t0
    kept_counts = ds.class_counts
    if sum(1 for c in classes if kept_counts.get(c, 0) > 0) < 2:
        raise DataError(f"{where}: the kept rows hold a single class: nothing to learn (lower --holdout or add data)")

    base, base_frame = ds.schema, ds.frame
    ds, crossed = cross_columns(ds, spec, ds.frame, ds.y)  # chosen on the kept rows, never the held-out ones
    notes += crossed
    spec, choice, said = _chosen(spec, base, base_frame, ds, classes, jobs, timings)
    notes += said
    built = build_pipeline(spec, ds.schema, kept_counts)
    notes += built.notes
    t0 = time.perf_counter()
    leaks = find_leaks(ds.frame, ds.y, classes, {c.name: c.kind for c in ds.schema.features}, seed=spec.seed)
    timings["leakage_seconds"] = time.perf_counter() - t0

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        final, ev, eval_source, test_eval, test_source, ratio = _fit_and_evaluate(
            built, spec, ds, read, classes, calibration, rule, test, sep, header, timings
        )
    notes.append(f"probabilities: {_describe(ev.correction, sample.rate)}")
    notes += [n for n in warning_notes(caught) if n not in notes]  # a warning the choice's fits gave too
    sampling = {
        **sample.to_dict(),
        "inputs": [str(s.path) for s in sources],
        "evaluated_on": eval_source,
        "eval_parts": spec.folds,
        "prior_ratio": dict(zip(classes, ratio.tolist())) if ratio is not None else None,
    }
    return TrainResult(
        spec=spec,
        data=ds,
        built=built,
        cv=ev,
        test=test_eval,
        pipeline=final,
        leaks=leaks,
        notes=notes,
        timings=timings,
        test_source=test_source,
        versions=library_versions(),
        sampling=sampling,
        options=train_options(calibration, decision, costs, categorical, numeric),
        classifier_choice=choice,
    )


@dataclass(frozen=True)
class _Read:
    """What reading the stream gave: the kept and held-out rows, the inputs, the target and the notes so far."""

    sample: Sample
    sources: list[Source]
    renamed: dict[str, str]
    target: str
    holdout_fraction: float
    where: str
    notes: list[str]


def _read_stream(inputs, plan, holdout_fraction, test, target, sep, drop, header, engine, scheduler, jobs, sizes):
    """Read every input once (here or on Dask), keeping every minority row and ``plan``'s share of the negatives,
    with the held-out slice set aside first."""
    sources = open_inputs(inputs, sep, header)
    holdout_fraction, holdout_note = _holdout_share(sources, holdout_fraction, test)
    first = sources[0]
    renamed = {c: r for c, r in zip(first.columns, first.raw_columns) if c != r}
    tcol, note = pick_target(first.columns, target, renamed, first.path)
    dropped = {resolve_column("--drop", d, first.columns, renamed, tcol, first.path) for d in drop or []}
    columns = [c for c in first.columns if c not in dropped]
    plan = replace(plan, target=tcol, holdout=holdout_fraction)
    if engine == "dask":
        from .dask_engine import sample_dask

        sample = sample_dask(sources, columns, plan, jobs=jobs, scheduler=scheduler, **sizes)
    else:
        sample = sample_stream(sources, columns, plan, jobs=jobs, **sizes)
    where = describe(sources)
    notes = ([note] if note else []) + _sampling_notes(sample, where) + ([holdout_note] if holdout_note else [])
    return _Read(sample, sources, renamed, tcol, holdout_fraction, where, notes)


def _fit_and_evaluate(built, spec, ds, read: _Read, classes, calibration, rule, test, sep, header, timings):
    """The final fit on the kept rows, its evaluation at natural balance (the held-out slice, or ``test``) with
    the probability correction and decision rule cross-fitted on it, and ``test`` scored apart when both are."""
    sample = read.sample
    t0 = time.perf_counter()
    final = for_prediction(built.pipeline.fit(ds.frame, ds.y))
    timings["final_fit_seconds"] = time.perf_counter() - t0
    method = built.score_method
    ratio = natural_ratio(
        classes, ds.class_counts, sample.negative, sample.rate, spec.strategy.name, dict(spec.strategy.params)
    )
    t0 = time.perf_counter()
    test_ds = _load_test(test, sep, ds.schema, header) if test is not None else None
    ev, eval_source = _evaluated(
        final, method, ds, sample, read.sources, read.target, read.holdout_fraction, read.where, test, test_ds, spec
    )
    ev = finish(ev, method, ratio, calibration, rule)
    timings["evaluation_seconds"] = time.perf_counter() - t0
    test_eval, test_source = None, None
    if test_ds is not None and read.holdout_fraction > 0:
        test_eval = finish_holdout(holdout(final, test_ds.frame, test_ds.y, classes, method), ev)
        test_source = str(test)
    return final, ev, eval_source, test_eval, test_source, ratio


def _load_test(test, sep, schema, header) -> Dataset:
    from ..io.dataset import load_dataset

    return load_dataset(test, sep=sep, schema=schema, header=header)


def _sampling_notes(sample: Sample, where: str) -> list[str]:
    neg = sample.negative
    kept = sample.kept_counts
    notes = [
        f"read {sample.rows:,} rows from {where} in {sample.seconds:.1f} s ({sample.rows / max(sample.seconds, 1e-9):,.0f} rows/s,"
        f" {sample.engine} engine); negative class '{neg}' kept at rate {sample.rate:.4g}: "
        + ", ".join(f"{c} {kept.get(c, 0):,} of {n:,}" for c, n in sorted(sample.counts.items(), key=lambda kv: -kv[1]))
    ]
    if sample.auto is not None:
        a = sample.auto
        text = f"--negative-rate auto: {a['per_positive']:g} negatives per minority row → rate {a['wanted']:.4g}"
        if a["short"]:
            text += (
                f"; used {sample.rate:.4g} instead, the lowest threshold applied while reading (the minority share"
                " rose late in the stream): the sample is exact at that rate"
            )
        notes.append(text)
    if sample.holdout_counts:
        notes.append(
            f"held out before downsampling: {sum(sample.holdout_counts.values()):,} rows ("
            + ", ".join(f"{c} {n:,}" for c, n in sorted(sample.holdout_counts.items(), key=lambda kv: -kv[1]))
            + ")"
        )
    top = max(sample.counts, key=lambda c: sample.counts[c])
    if top != neg:
        notes.append(f"negative class '{neg}' is not the most frequent class outside the holdout ('{top}' is)")
    return notes


def _describe(correction, rate: float) -> str:
    parts = (
        [f"prior shift for negatives kept at rate {rate:.4g} (and the rebalancing)"]
        if correction.prior_ratio is not None
        else []
    )
    if correction.calibrator is not None:
        parts.append(f"{correction.method.split('+')[-1]} calibration cross-fitted on the evaluation rows")
    return " then ".join(parts) or "as the classifier gives them"


def _chosen(
    spec: Spec, base, base_frame, ds, classes: list[str], jobs: int, timings: dict
) -> tuple[Spec, dict | None, list]:
    """``--classifier auto`` on the kept rows' folds, as train chooses on its rows: the spec with the winner, what
    was tried, and the notes (the choice's own and its fits' warnings). Other classifiers pass through."""
    if spec.classifier.name != AUTO:
        return spec, None, []
    from ..estimator.choose import choose_classifier
    from ..reporting.train_report import choice_note

    with warnings.catch_warnings(record=True) as caught:  # the choice's fits warn as the final fit does: notes
        warnings.simplefilter("always")
        spec, choice, spent = choose_classifier(spec, base, base_frame, ds.frame, ds.y, classes, ds.schema, jobs)
    timings.update(spent)
    return spec, choice, [choice_note(choice), *warning_notes(caught)]


def _evaluated(
    final, method: str, ds, sample, sources, tcol: str, holdout_fraction: float, where: str, test, test_ds, spec: Spec
) -> tuple[Evaluation, str]:
    """The final model's scores on the rows it is evaluated on — the held-out slice of the stream at natural
    balance, else the ``test`` file —, split into parts for the cross-fitted correction and rule, and where they
    came from."""
    classes = list(ds.schema.classes)
    if holdout_fraction > 0:
        y_eval, scores, source = _held_out_scores(final, method, ds, sample, sources, tcol, holdout_fraction, where)
        hint = "raise --holdout or pass --test FILE"
    else:
        assert test_ds is not None
        y_eval = test_ds.y
        scores = scores_for(final, test_ds.frame, classes, method)
        source = f"{test} ({len(y_eval):,} rows at natural balance)"
        hint = "--test needs more rows of that class"
    fold_of = _eval_folds(y_eval, classes, spec.folds, spec.seed, "evaluation rows", hint)
    return _evaluation(y_eval, scores, classes, method, fold_of), source
