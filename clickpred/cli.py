"""The ``clickpred`` command line: a thin shell over the library.

Every command calls one library function; a :class:`ClickpredError` becomes
``Error: <message>`` on stderr with exit code 1.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, Optional

import typer
from rich.console import Console
from rich.markup import escape

from .errors import ClickpredError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Predict ad clicks and conversions from impression logs where the events that matter are rare.",
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _show_version(value: bool) -> None:
    if value:
        from . import __version__

        typer.echo(f"clickpred {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: bool = typer.Option(
        False, "--version", callback=_show_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Predict ad clicks and conversions from impression logs where the events that matter are rare."""
    from .api.commands import lean_start

    lean_start()


class _Console(Console):
    """A rich Console that strips control characters from the text it prints (labels, names and file contents
    are user text: an escape sequence in a class label must not reach the terminal)."""

    def print(self, *objects, **kwargs):
        from .text import plain

        return super().print(*(plain(o) if isinstance(o, str) else o for o in objects), **kwargs)


# Wide enough for the summary table when output is piped (rich assumes 80 columns then).
out = _Console(highlight=False, width=None if sys.stdout.isatty() else 120)
err = _Console(stderr=True, highlight=False, width=None if sys.stderr.isatty() else 120)


def _fail(message: str) -> None:
    err.print(f"Error: {message}", markup=False, soft_wrap=True)
    raise typer.Exit(1)


def _warn(text: str) -> None:
    err.print(f"[bold red]WARNING[/]: {escape(text)}", soft_wrap=True)


def _note(text: str) -> None:
    err.print(f"note: {text}", markup=False, soft_wrap=True)


def _terminated(signum, frame):
    raise KeyboardInterrupt  # SIGTERM unwinds like Ctrl-C: staged outputs are removed on the way out


def _starting(text: str) -> None:
    """A first line on a terminal as soon as a command starts, before the libraries load (seconds on a busy
    machine): what it is doing. Piped output keeps only the notes and results."""
    if err.is_terminal:
        err.print(f"[dim]{escape(text)} …[/]", soft_wrap=True)


def _guard(fn, *args, **kwargs):
    """Run a library call, turning errors into one line and exit code 1 (SIGTERM handled like Ctrl-C)."""
    import errno
    import signal

    try:
        previous = signal.signal(signal.SIGTERM, _terminated)
    except ValueError:  # not the main thread
        previous = None
    try:
        return fn(*args, **kwargs)
    except ClickpredError as exc:
        _fail(exc.for_command_line())
    except KeyboardInterrupt:
        _fail("interrupted (nothing written)")
    except MemoryError:
        _fail("out of memory: use a smaller file, 'undersample', or a strategy ratio below 1")
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            _fail(f"{exc.filename + ': ' if exc.filename else ''}no space left on device (nothing written)")
        _unexpected(exc)
    except Exception as exc:  # noqa: BLE001 - never show a user a traceback
        _unexpected(exc)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _unexpected(exc: Exception) -> None:
    if os.environ.get("CLICKPRED_DEBUG"):
        raise exc
    first = str(exc).splitlines()[0] if str(exc) else ""
    _fail(f"unexpected {type(exc).__name__}: {first} (set CLICKPRED_DEBUG=1 for a traceback)")


def _split_list(values: Optional[list[str]]) -> list[str]:
    items = []
    for v in values or []:
        items += [x.strip() for x in v.split(",") if x.strip()]
    return items


# Options several commands share, defined once (as sqlite-utils' option bundles): the same flag means the same
# thing, with the same help, wherever it appears.
JOBS = typer.Option(
    0,
    "--jobs",
    "-j",
    help="Workers for this command's parallel work (default 0, auto: as many as the cores and memory allow, where "
    "the work is large enough to pay for them; 1: all in this process). What a worker is — a process, a thread, "
    "a Dask worker — each command's reference says.",
)
TARGET = typer.Option(
    None, "--target", "-t", help="Label column (default: detected from common names; evaluate: the model's)."
)
SEP = typer.Option(None, "--sep", help="CSV delimiter (default: sniffed).")
DROP = typer.Option(None, "--drop", help="Column(s) to ignore; repeat or comma-separate.")
CATEGORICAL = typer.Option(
    None,
    "--categorical",
    help="Column(s) of category codes, whatever the schema inference reads; repeat or comma-separate.",
)
NUMERIC = typer.Option(
    None,
    "--numeric",
    help="Integer column(s) that are quantities (counts, ages), whatever the schema inference reads; repeat or comma-separate.",
)
CALIBRATION = typer.Option(
    "auto",
    "--calibration",
    help="Probability correction: auto (prior shift for the rebalancing, then the calibration CV picks), sigmoid, isotonic or temperature (after the prior shift), prior (alone) or none.",
)
COSTS = typer.Option(None, "--costs", help="Cost matrix (TOML: [costs.<true class>] <predicted class> = cost).")
TRUST_PICKLE = typer.Option(False, "--trust-pickle", help="Allow a pickle/joblib model file (loading one runs code).")
REDECIDE = typer.Option(
    None,
    "--decision",
    help="Replace the model's decision rule (argmax, cost, recall:CLASS=R, top:K%), re-tuned on the out-of-fold predictions the model keeps.",
)


@app.command()
def simulate(
    rows: int = typer.Option(200_000, "--rows", help="Number of impressions."),
    seed: int = typer.Option(0, "--seed", help="Random seed: the same seed gives the same file."),
    output: Path = typer.Option(..., "--output", "-o", help="Output file: .csv, .csv.gz or .parquet."),
    truth: Optional[Path] = typer.Option(None, "--truth", help="Also write the true per-row class probabilities here."),
    click_rate: float = typer.Option(0.002, "--click-rate", help="Mean click probability."),
    conversion_rate: float = typer.Option(0.10, "--conversion-rate", help="Mean conversion probability given a click."),
    world_seed: Optional[int] = typer.Option(
        None,
        "--world-seed",
        help="Seed of the simulated world (sites, apps, ads and their effects; default: --seed). Another --seed with the same --world-seed gives fresh rows of the same world.",
    ),
    integer_codes: bool = typer.Option(
        False,
        "--integer-codes",
        help="Write the categorical fields as integer codes (site, app, ad, campaign, device, os), as many ad logs do.",
    ),
):
    """Write a synthetic impression log drawn from a known model.

    Example: clickpred simulate --rows 200000 --seed 7 --output data/impressions_sample.csv.gz
    """
    from .api.commands import simulate as run

    _imported("clickpred.jobs.simulate")

    stats = _guard(
        run,
        output,
        rows=rows,
        seed=seed,
        truth=truth,
        click_rate=click_rate,
        conversion_rate=conversion_rate,
        world_seed=world_seed,
        integer_codes=integer_codes,
    )
    counts = ", ".join(f"{c} {n:,} ({stats['rates'][c]:.3%})" for c, n in stats["counts"].items())
    out.print(f"wrote {rows:,} rows to {output}: {counts}" + (f"; true probabilities in {truth}" if truth else ""))


@app.command()
def train(
    data: list[str] = typer.Argument(
        ...,
        help="Labelled impression log: CSV (any delimiter), .csv.gz or Parquet; with --negative-rate, any number of files, folders and globs, read as one stream.",
    ),
    target: Optional[str] = TARGET,
    pipeline: Optional[Path] = typer.Option(None, "--pipeline", "-p", help="Pipeline spec (pipelines/*.toml)."),
    classifier: Optional[str] = typer.Option(
        None,
        "--classifier",
        "-c",
        help="auto (the default: logistic and hgb on the same folds, hgb kept only where distinguishably better by out-of-fold PR-AUC of the rarest class), logistic, svm, svm-rbf, svm-nystroem, mlp or hgb (gradient-boosted trees).",
    ),
    strategy: Optional[str] = typer.Option(
        None,
        "--strategy",
        "-s",
        help="none (the default: the probability correction and the decision rule do what rebalancing was for), class_weight, oversample, smote or undersample.",
    ),
    folds: Optional[int] = typer.Option(None, "--folds", help="Stratified CV folds (default 5, or the spec's)."),
    seed: Optional[int] = typer.Option(None, "--seed", help="Random seed (default 42, or the spec's)."),
    test: Optional[Path] = typer.Option(None, "--test", help="Held-out labelled file to evaluate the final model on."),
    split_by: Optional[str] = typer.Option(
        None, "--split-by", help="Hold out the latest 20% of rows ordered by this column."
    ),
    drop: Optional[list[str]] = DROP,
    categorical: Optional[list[str]] = CATEGORICAL,
    numeric: Optional[list[str]] = NUMERIC,
    sep: Optional[str] = SEP,
    header: bool = typer.Option(
        True, "--header/--no-header", help="--no-header: the first line is data; columns are column_1..N."
    ),
    report: Optional[Path] = typer.Option(None, "--report", help="Report folder (default reports/<model file name>/)."),
    model: Optional[Path] = typer.Option(None, "--model", help="Model file (default models/<name>.skops)."),
    jobs: int = JOBS,
    calibration: str = CALIBRATION,
    decision: str = typer.Option(
        "auto",
        "--decision",
        help="Decision rule, tuned on out-of-fold predictions: auto (per minority class the threshold of best F1; argmax of honest probabilities never picks a 0.2% class), argmax, cost (needs --costs), recall:CLASS=R[,CLASS=R] or top:K%.",
    ),
    costs: Optional[Path] = COSTS,
    funnel: Optional[str] = typer.Option(
        None,
        "--funnel",
        help="Ordered classes, e.g. view,click,conversion: fit P(reach click) × P(conversion | click).",
    ),
    negative_rate: Optional[str] = typer.Option(
        None,
        "--negative-rate",
        help="Stream the inputs, keep every minority row and this fraction of the majority (0 < R ≤ 1), or 'auto'; probabilities are corrected for R.",
    ),
    per_positive: float = typer.Option(
        10.0,
        "--negatives-per-positive",
        help="--negative-rate auto: keep about this many majority rows per minority row.",
    ),
    negative_class: Optional[str] = typer.Option(
        None, "--negative-class", help="The class to downsample (default: the most frequent class of the first block)."
    ),
    holdout: Optional[float] = typer.Option(
        None,
        "--holdout",
        help="--negative-rate: random fraction of all rows held out before downsampling, to evaluate at natural balance (default 0.05, or 0 with --test).",
    ),
    engine: str = typer.Option(
        "local", "--engine", help="--negative-rate: read and downsample here (local) or on a Dask cluster (dask)."
    ),
    scheduler: Optional[str] = typer.Option(
        None, "--scheduler", help="--engine dask: scheduler address (default: a LocalCluster of --jobs workers)."
    ),
    importance: bool = typer.Option(
        True,
        "--importance/--no-importance",
        help="Measure each column's permutation importance on out-of-fold PR-AUC (about one more scoring pass of the held-out rows per column).",
    ),
):
    """Cross-validate a classifier under a rebalancing strategy, then fit and save it with a report.

    Example: clickpred train data/impressions_sample.csv.gz --classifier logistic --strategy class_weight

    Larger than memory: clickpred train logs/ --negative-rate 0.01 --test day8.csv
    """
    _starting(f"train: reading {data[0] if len(data) == 1 else f'{len(data)} inputs'}")
    from .api.commands import make_spec, train_to_files

    _imported("clickpred.jobs.train")

    spec = _guard(make_spec, pipeline, classifier, strategy, folds, seed)
    kwargs: dict[str, Any] = dict(
        target=target,
        sep=sep,
        drop=_split_list(drop),
        test=test,
        categorical=_split_list(categorical),
        numeric=_split_list(numeric),
        header=header,
        calibration=calibration,
        decision=decision,
        costs=costs,
        jobs=jobs,
        negative_rate=negative_rate,  # with it, the streaming trainer's options; without, the in-memory one's
        per_positive=per_positive,
        negative_class=negative_class,
        holdout_fraction=holdout,
        engine=engine,
        scheduler=scheduler,
        split_by=split_by,
        funnel=_split_list([funnel]) if funnel else None,
        importance=importance,
    )
    stream = negative_rate is not None
    label = data[0] if len(data) == 1 else f"{len(data)} inputs"
    if stream:

        def with_bar():
            with _progress(err.is_terminal, "reading", f"training {spec.name} on the kept rows …") as bar:
                return train_to_files(data, spec, model, report, progress=bar, **kwargs)

        res, printed = _guard(with_bar), set()
    else:
        res, printed = _guard(_train_with_progress, data, spec, model, report, label, kwargs)
    _print_trained(res, printed)


def _print_trained(res, printed: set[str]) -> None:
    """What train says when done: the notes not said yet, leakage warnings, the summary table, what drives each
    class, the decision rule, and where the model and report are."""
    from .reporting.train_report import decision_lines, importance_lines, summary_table

    for note in res.result.notes:
        if note not in printed:
            _note(note)
    for w in res.document["leakage_warnings"]:
        _warn(w)
    out.print(summary_table(res.document))
    for line in importance_lines(res.document):
        out.print(line, markup=False, soft_wrap=True)
    for kind, line in decision_lines(res.document):
        if kind == "warning":
            _warn(line)
        elif kind == "note":
            _note(line)
        else:
            out.print(line, markup=False, soft_wrap=True)
    out.print(f"model:  {res.model_path}")
    out.print(f"report: {res.report_paths['html']}")


def _train_with_progress(data, spec, model, report, label, kwargs):
    """run_train, printing the target, classes and schema decisions as soon as they are known, then a
    progress bar over the fits with an ETA (on a terminal). Returns the outputs and the notes already printed."""
    from .api.commands import train_to_files

    bar, task = None, None
    printed: set[str] = set()

    def events(kind, info):
        nonlocal bar, task
        if kind == "notes":
            for note in info["notes"]:
                printed.add(note)
                _note(note)
        elif kind == "step" and err.is_terminal:
            if bar is None:
                from rich.progress import (
                    BarColumn,
                    MofNCompleteColumn,
                    Progress,
                    TextColumn,
                    TimeRemainingColumn,
                )

                bar = Progress(
                    TextColumn(f"training {spec.name}: {{task.description}}"),
                    BarColumn(),
                    MofNCompleteColumn(),
                    TextColumn("fits · ETA"),
                    TimeRemainingColumn(),
                    console=err,
                    transient=True,
                )
                bar.__enter__()
                task = bar.add_task(info["name"], total=info["total"])
            bar.update(task, description=info["name"], completed=info["done"], total=info["total"])

    try:
        return train_to_files(data, spec, model, report, events=events, **kwargs), printed
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)


@app.command()
def compare(
    data: Path = typer.Argument(..., help="Labelled impression log: CSV (any delimiter), .csv.gz or Parquet."),
    classifiers: Optional[list[str]] = typer.Option(
        None, "--classifiers", help="Comma-separated (default: all: logistic, svm, svm-rbf, svm-nystroem, mlp, hgb)."
    ),
    strategies: Optional[list[str]] = typer.Option(
        None, "--strategies", help="Comma-separated (default: all: none, class_weight, oversample, smote, undersample)."
    ),
    pipelines: Optional[list[str]] = typer.Option(
        None, "--pipelines", help="Spec files or globs instead of the grid, e.g. 'pipelines/logistic-*.toml'."
    ),
    folds: int = typer.Option(5, "--folds", help="Stratified CV folds, the same for every candidate."),
    repeats: int = typer.Option(1, "--repeats", help="Repeat the folds with other shuffles."),
    metric: Optional[str] = typer.Option(
        None,
        "--metric",
        help="Sort metric: pr_auc:CLASS (default: the rarest class with enough rows) or cost (the default with --costs).",
    ),
    jobs: int = JOBS,
    scheduler: Optional[str] = typer.Option(
        None, "--scheduler", help="Dask scheduler address: run the fits on that cluster."
    ),
    test: Optional[Path] = typer.Option(
        None, "--test", help="Held-out labelled file: every candidate refitted on DATA and scored on it."
    ),
    target: Optional[str] = TARGET,
    drop: Optional[list[str]] = DROP,
    sep: Optional[str] = SEP,
    seed: int = typer.Option(42, "--seed", help="Random seed for the folds, samplers, models and bootstrap."),
    report: Path = typer.Option(Path("reports/compare"), "--report", help="Report folder."),
    calibration: str = CALIBRATION,
    costs: Optional[Path] = typer.Option(
        None,
        "--costs",
        help="Cost matrix (TOML, as in train): sort by the mean cost per row of each candidate's cross-fitted minimum-cost decisions.",
    ),
    categorical: Optional[list[str]] = CATEGORICAL,
    numeric: Optional[list[str]] = NUMERIC,
    split_by: Optional[str] = typer.Option(
        None,
        "--split-by",
        help="Validate forward in time: order rows by this column, each fold trains on every earlier block (forward-chaining folds).",
    ),
    exhaustive: bool = typer.Option(
        False,
        "--exhaustive",
        help="Run every candidate on all rows. By default, on logs with at least 80,000 majority rows per training fold, racing "
        "rounds on every minority row and a share of the majority first drop the candidates clearly worse than the best.",
    ),
):
    """Compare rebalancing strategies × classifiers on the same folds, with confidence intervals.

    Example: clickpred compare data/impressions_sample.csv.gz --classifiers logistic,svm
    """
    _starting(f"compare: reading {data}")
    from .api.commands import check_compare_report, compare_to_files
    from .reporting.compare_report import train_command

    _imported("clickpred.jobs.compare")

    _guard(check_compare_report, report, [data, test, costs, *_split_list(pipelines)])  # before the fits
    schema_options = dict(categorical=_split_list(categorical), numeric=_split_list(numeric), split_by=split_by)
    show = err.is_terminal
    options = dict(
        data=data,
        classifiers=classifiers,
        strategies=strategies,
        pipelines=pipelines,
        folds=folds,
        repeats=repeats,
        metric=metric,
        jobs=jobs,
        test=test,
        seed=seed,
        target=target,
        sep=sep,
        drop=_split_list(drop),
        scheduler=scheduler,
        calibration=calibration,
        costs=costs,
        racing=not exhaustive,
        **schema_options,
    )

    printed: set[str] = set()

    def events(kind, info):  # the target, classes and schema decisions as soon as they are known, as train does
        if kind == "notes":
            for note in info["notes"]:
                printed.add(note)
                _note(note)

    def with_bar():
        from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn

        if not show:
            return compare_to_files(report, **options, events=events)
        # counted in estimated seconds of fitting (per classifier × strategy × rows); the time left is compare's own
        # (its pace corrected by every finished fit, a range until it is reliable), not rich's recent-speed guess
        with Progress(
            TextColumn("comparing"),
            BarColumn(),
            TaskProgressColumn(),
            TextColumn("{task.fields[best]}"),
            console=err,
            transient=True,
        ) as bar:
            task = bar.add_task("compare", total=None, best="")

            def progress(done, total, best):
                bar.update(task, completed=done, total=total, best=best)

            return compare_to_files(report, **options, progress=progress, events=events)

    res, paths = _guard(with_bar)
    winner = train_command(
        res, data, target=target, drop=_split_list(drop), sep=sep, calibration=calibration, costs=costs,
        **schema_options,
    )  # fmt: skip
    _print_compared(res, paths, printed, winner)


def _print_compared(res, paths: dict, printed: set[str], winner: str) -> None:
    """What compare says when done: the notes not said yet, skipped candidates, leakage warnings, the leaderboard,
    the candidates racing eliminated, the recommendation, where the report is and how to train the winner."""
    from .reporting.compare_report import eliminated_table, leaderboard_table

    for note in res.notes:
        if note not in printed:
            _note(note)
    for name, why in res.skipped.items():
        err.print(f"skipped {name}: {why}", markup=False, soft_wrap=True)
    for w in res.leakage_warnings:
        _warn(w)
    out.print(leaderboard_table(res, width=out.width))
    eliminated = eliminated_table(res)  # None when racing eliminated nothing
    if eliminated is not None:
        out.print(eliminated)
    out.print(res.recommendation, markup=False, soft_wrap=True)
    out.print(f"report: {paths['html']}  ·  leaderboard: {paths['leaderboard']}, {paths['json']}", markup=False)
    out.print(f"train the winner: {winner}", markup=False, soft_wrap=True)


@app.command()
def score(
    model: Path = typer.Argument(..., help="A model file written by clickpred train."),
    inputs: list[str] = typer.Argument(..., help="Impression logs: CSV, .csv.gz or Parquet files, folders or globs."),
    output: str = typer.Option(
        ..., "--output", "-o", help="Output file, or a folder (one part per input; end it with / to ask for one)."
    ),
    fmt: Optional[str] = typer.Option(
        None, "--format", help="parquet or csv (default: from the output name; parquet)."
    ),
    keep: Optional[list[str]] = typer.Option(
        None, "--keep", help="Input column(s) copied to the output unchanged, e.g. an impression ID."
    ),
    chunk_rows: Optional[int] = typer.Option(
        None,
        "--chunk-rows",
        help="Rows per chunk, approximate for CSV (default 100,000; 50,000 for non-linear models).",
    ),
    jobs: int = JOBS,
    rejects: Optional[Path] = typer.Option(None, "--rejects", help="Rejected rows file (default: next to the output)."),
    max_reject_rate: float = typer.Option(
        0.01, "--max-reject-rate", help="Stop with an error when more than this fraction of a file's rows is rejected."
    ),
    engine: str = typer.Option("local", "--engine", help="local (threads) or dask."),
    scheduler: Optional[str] = typer.Option(
        None, "--scheduler", help="Dask scheduler address (tcp://host:8786); default: a LocalCluster."
    ),
    sep: Optional[str] = SEP,
    trust_pickle: bool = TRUST_PICKLE,
    fast_path: bool = typer.Option(
        True,
        "--fast-path/--no-fast-path",
        help="--no-fast-path: call the pipeline for every chunk even for linear models.",
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar or summary table."),
    decision: Optional[str] = REDECIDE,
    costs: Optional[Path] = COSTS,
    drift: bool = typer.Option(
        False,
        "--drift",
        help="Print every column's drift against training (PSI, unseen and missing shares; always in the summary JSON).",
    ),
    drift_threshold: float = typer.Option(
        0.2,
        "--drift-threshold",
        help="A column whose population stability index (PSI) against training passes this is named as drifted.",
    ),
):
    """Score impression logs with a model: streaming, bounded memory, every row accounted for.

    Example: clickpred score models/demo.skops data/impressions_sample.csv.gz --output scores.parquet --keep impression_id
    """
    if not quiet:
        _starting(f"score: loading {model}")
    from .api.commands import score_files

    _imported("clickpred.jobs.score")

    kwargs = dict(
        fmt=fmt,
        keep=_split_list(keep),
        chunk_rows=chunk_rows,
        jobs=jobs or None,
        rejects=rejects,
        max_reject_rate=max_reject_rate,
        sep=sep,
        trust_pickle=trust_pickle,
        decision=decision,
        costs=costs,
        drift_threshold=drift_threshold,
    )
    show = not quiet and err.is_terminal

    def with_bar():
        with _progress(show) as bar:  # closed before any error is printed
            return score_files(
                model, inputs, output, engine=engine, scheduler=scheduler, fast=fast_path, progress=bar, **kwargs
            )

    res = _guard(with_bar)
    _print_scored(res, quiet, drift)


def _print_scored(res, quiet: bool, drift: bool) -> None:
    """What score says when done: notes, the model and scorer, the scores by class (not with --quiet), the drift
    warning (every column with --drift), rows in = scored + rejected, and where the outputs are."""
    from .reporting.train_report import drift_table, drift_warning, score_table

    for note in res.notes:
        _note(note)
    if not quiet:
        out.print(
            f"model: {res.model} · scored by the {res.scorer} · engine {res.engine} · decision {res.decision}",
            markup=False,
            soft_wrap=True,
        )
        out.print(score_table(res))
    line = drift_warning(res)
    if line:
        _warn(line)
    if drift:
        if res.drift is None:
            _note(
                "drift: this model keeps no training profile (trained with --negative-rate, or by an older "
                "clickpred): retrain it to compare its inputs with training"
            )
        else:
            out.print(drift_table(res))
    out.print(
        f"{res.rows_read:,} rows read = {res.rows_scored:,} scored + {res.rows_rejected:,} rejected "
        f"in {res.seconds:.1f} s ({res.rows_per_second:,.0f} rows/s)",
        markup=False,
    )
    out.print(f"scores:  {res.output}", markup=False)
    out.print(f"rejects: {res.rejects}", markup=False)


class _progress:
    """A rich progress bar fed by score()'s (or the training sampler's) progress callback (a no-op when hidden)."""

    def __init__(self, show: bool, label: str = "scoring", after: str | None = None):
        self.show, self.label, self.after = show, label, after  # after: what the bar says once the input is read
        self.bar: Any = None

    def __enter__(self):
        if not self.show:
            return None
        from rich.progress import (
            BarColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.percentage:>3.0f}%"),
            TextColumn("{task.fields[rows]:,} rows · {task.fields[rate]:,.0f} rows/s"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=err,
            transient=True,
        )
        self.bar.__enter__()
        self.task = self.bar.add_task(self.label, total=1, rows=0, rate=0.0)
        import time

        self.t0 = time.perf_counter()
        return self

    def __call__(self, done: int, total: int, rows: int) -> None:
        import time

        rate = rows / max(time.perf_counter() - self.t0, 1e-9)
        self.bar.update(self.task, completed=done, total=max(total, 1), rows=rows, rate=rate)
        if self.after and done >= total:
            self.bar.update(self.task, description=self.after)

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.__exit__(*exc)
        return False


@app.command()
def evaluate(
    model: Path = typer.Argument(..., help="A model file written by clickpred train."),
    data: Path = typer.Argument(..., help="A labelled file the model was not trained on (CSV, .csv.gz, Parquet)."),
    target: Optional[str] = TARGET,
    sep: Optional[str] = SEP,
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write the metrics as JSON here."),
    trust_pickle: bool = TRUST_PICKLE,
    decision: Optional[str] = REDECIDE,
    costs: Optional[Path] = COSTS,
):
    """Evaluate a saved model on a labelled file: per-class PR-AUC, recall, confusion matrix.

    Example: clickpred evaluate models/demo.skops next_week.csv.gz --output metrics_next_week.json
    """
    _starting(f"evaluate: loading {model}")
    from .api.commands import evaluate as evaluate_model
    from .reporting.train_report import summary_table

    _imported("clickpred.jobs.evaluate")

    doc = _guard(
        evaluate_model,
        model,
        data,
        target=target,
        sep=sep,
        trust_pickle=trust_pickle,
        decision=decision,
        costs=costs,
        output=output,
    )
    for note in doc["notes"]:
        _note(note)
    for w in doc["warnings"]:
        _warn(w)
    out.print(summary_table(doc))
    if doc.get("cost_per_row"):
        cpr = doc["cost_per_row"]
        out.print(f"mean cost per row: {doc['decision']} {cpr['rule']:.5g} · argmax {cpr['argmax']:.5g}", markup=False)
    if output is not None:
        out.print(f"metrics: {output}", markup=False)


@app.command()
def info(
    model: Path = typer.Argument(..., help="A model file written by clickpred train."),
    trust_pickle: bool = TRUST_PICKLE,
):
    """Print what a model file records: classes, schema, spec, data, metrics and versions.

    Example: clickpred info models/logistic-class_weight.skops
    """
    from .api.commands import model_info
    from .reporting.train_report import importance_lines

    _imported("clickpred.model.modelfile")

    md = _guard(model_info, model, trust_pickle=trust_pickle)
    out.print(f"[bold]{escape(md['name'])}[/]  (created {escape(md['created'])}, {escape(md['evaluated_on'])})")
    out.print(f"classes: {', '.join(md['classes'])}  ·  scores: {md['score_method']}", markup=False)
    corr, rule = md.get("correction") or {}, md.get("decision") or {}
    out.print(
        f"probabilities: correction {corr.get('method', 'none (model file version 2)')}  ·  decision rule: "
        f"{rule.get('label', 'argmax')}"
        + (
            "  (thresholds " + ", ".join(f"{k} {v:.4g}" for k, v in rule.get("thresholds", {}).items()) + ")"
            if rule.get("thresholds")
            else ""
        ),
        markup=False,
    )
    spec = md["spec"]
    out.print(
        f"classifier: {spec['classifier']['name']} {spec['classifier']['params'] or ''}  ·  "
        f"strategy: {spec['strategy']['name']} {spec['strategy']['params'] or ''}  ·  folds {spec['folds']}, seed {spec['seed']}",
        markup=False,
    )
    if md.get("classifier_choice"):
        from .reporting.train_report import choice_note

        out.print(choice_note(md["classifier_choice"]), markup=False, soft_wrap=True)
    d = md["data"]
    s = md.get("sampling")
    if s:
        out.print(
            f"trained on: {d['path']}: {d['n_rows']:,} rows kept of {s['rows_read']:,} read — every minority row, "
            f"'{s['negative_class']}' at rate {s['negative_rate']:.4g} ({s['engine']} engine; probabilities corrected"
            f" for it); inputs fingerprint {d['sha256'][:16]}…",
            markup=False,
        )
    else:
        out.print(f"trained on: {d['path']} ({d['n_rows']:,} rows, sha256 {d['sha256'][:16]}…)", markup=False)
    feats = md["schema"]["features"]
    out.print("features: " + ", ".join(f"{c['name']} ({c['kind']})" for c in feats), markup=False)
    for c, mm in md["metrics"].items():
        pr = "–" if mm["pr_auc"] is None else f"{mm['pr_auc']:.4f}"
        out.print(
            f"  {c:>12}: PR-AUC {pr} (baseline {mm['pr_auc_baseline']:.4f}), recall {mm['recall']:.4f}, support {mm['support']:,}",
            markup=False,
        )
    for line in importance_lines(md):
        out.print(line, markup=False, soft_wrap=True)
    for w in md.get("leakage_warnings", []):
        out.print(f"[bold red]WARNING[/]: {escape(w)}")
    out.print("versions: " + ", ".join(f"{k} {v}" for k, v in md["versions"].items() if v), markup=False)


def _imported(module: str) -> None:
    """Import a command's job module (and with it what the command needs); in the ``clickpred`` command's own
    process (:func:`main`), then freeze what the imports created and resume garbage collection."""
    import gc
    import importlib

    importlib.import_module(module)
    if _PAUSED[0]:
        _PAUSED[0] = False
        gc.freeze()  # modules, classes, functions: alive as long as the process, never scanned again
        gc.enable()


_PAUSED = [False]  # collection paused by main() until a command's modules are loaded


def main() -> None:
    """The ``clickpred`` command. Its process imports scikit-learn, scipy, pandas and pyarrow — about a million
    objects, all alive until it exits — and the collector's full passes over them while they load cost ~0.25 s
    of every command (``benchmarks/bench_startup.py``) and free nothing. So collection is paused until the
    command's modules are loaded (:func:`_imported`); then they are frozen out of the collector's sight and it runs
    as usual for what the command creates. A library caller (``app`` from Python, a notebook, the tests) keeps the
    collector as it is."""
    import gc

    paused = gc.isenabled()
    if paused:
        gc.disable()
        _PAUSED[0] = True
    try:
        app()
    finally:
        if paused and _PAUSED[0]:  # a command that never loaded (usage error, --help): as it was
            _PAUSED[0] = False
            gc.enable()


if __name__ == "__main__":  # pragma: no cover
    main()
