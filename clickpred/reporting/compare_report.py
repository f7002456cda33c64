"""What ``compare`` writes: leaderboard.csv / .json, PNG figures, a self-contained report.html,
and the terminal table.

Figures: overlaid precision-recall curves per minority class for the top
candidates (precision on a log axis: with 0.2% positives a linear one squeezes
every curve against zero); a grid of row-normalised confusion matrices with
counts; recall of each minority class at matched precision (precision = k ×
the class prevalence, the same bar for every candidate); fit time against the
sort metric with its interval.

Example
-------
>>> paths = write_compare_report(result, "reports/compare")  # doctest: +SKIP
>>> sorted(paths)  # doctest: +SKIP
['confusion_grid', 'fit_time', 'html', 'json', 'leaderboard', 'pr_curves', 'recall_at_precision']
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from ..evaluation.crossval import confusion_counts
from ..evaluation.intervals import RankedScores
from .train_report import (
    draw_reliability,
    jsonable,
    png_base64,
    pyplot,
    save_figure,
    step_outline,
    style_pr_axes,
)

TOP = 5
LIFTS = (2, 5, 10)  # matched precision = lift × prevalence


def recall_at_precision(y_true: np.ndarray, scores: np.ndarray, precision: float) -> float:
    """Highest recall reachable with precision ≥ ``precision`` (0 when never reached)."""
    if y_true.sum() == 0:
        return float("nan")
    return _recall_at(RankedScores(y_true, scores).pr_curve(), precision)


def _recall_at(curve: tuple[np.ndarray, np.ndarray], precision: float) -> float:
    p, r = curve
    ok = p >= precision
    return float(r[ok].max()) if ok.any() else 0.0


def recall_table(res) -> dict:
    """{class: {lift: {candidate: recall at precision lift × prevalence}}} (one precision-recall curve per
    candidate and class serves every lift)."""
    out: dict[str, dict] = {}
    for c in res.classes[1:]:
        k = res.classes.index(c)
        t = res.y == c
        prev = t.mean()
        out[c] = {}
        lifts = [lift for lift in LIFTS if lift * prev < 1]
        curves = (
            {name: RankedScores(t, r.scores[0][:, k]).pr_curve() for name, r in res.results.items()} if lifts else {}
        )
        for lift in lifts:
            target = lift * prev
            out[c][lift] = {
                "precision": target,
                "recall": {
                    name: _recall_at(curve, target) if t.any() else float("nan") for name, curve in curves.items()
                },
            }
    return out


def metric_label(res) -> str:
    """'click PR-AUC', or 'cost per row' for a cost-sorted compare."""
    return "cost per row" if res.by_cost else f"{res.metric[1]} PR-AUC"


def document(res) -> dict:
    cost = res.by_cost
    return jsonable(
        {
            "data": res.data,
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "n_rows": res.n_rows,
            "classes": res.classes,
            "class_counts": res.class_counts,
            "folds": res.folds,
            "repeats": res.repeats,
            "seed": res.seed,
            "metric": "cost" if cost else f"{res.metric[0]}:{res.metric[1]}",
            "metric_label": metric_label(res),
            "costs": res.costs,
            "metric_note": res.metric_note,
            "interval": "95% percentile bootstrap over rows of the out-of-fold predictions; "
            + (
                "vs_best: paired bootstrap of candidate − best (extra cost per row) on the same rows"
                if cost
                else "vs_best: paired bootstrap of best − candidate on the same rows"
            ),
            "leaderboard": res.leaderboard,
            "racing": {
                "rounds": [r.to_dict() for r in res.race],
                "eliminated": [e.to_dict() for e in eliminations(res)],
            },
            "skipped": res.skipped,
            "recommendation": res.recommendation,
            "recall_at_matched_precision": recall_table(res),
            "test": None
            if not res.test
            else {
                "path": res.test["path"],
                "n_rows": res.test["n_rows"],
                "metric": {k: v["metric"] for k, v in res.test["candidates"].items()},
            },
            "notes": res.notes,
            "leakage_warnings": res.leakage_warnings,
            "validation": res.validation,
            "seconds": res.seconds,
            "timings": res.timings,
        }
    )


# ---------------------------------------------------------------- figures


def plot_pr_overlay(res, path: Path) -> Path:
    plt = pyplot()
    minority = res.classes[1:]
    top = [row["name"] for row in res.leaderboard[:TOP]]
    fig, axes = plt.subplots(1, len(minority), figsize=(6 * len(minority), 4.8), squeeze=False)
    for ax, c in zip(axes[0], minority):
        k = res.classes.index(c)
        t = res.y == c
        for name in top:
            s = res.results[name].scores[0][:, k]
            p, r = RankedScores(t, s).pr_curve()
            ap = next(row[f"pr_auc_{c}"] for row in res.leaderboard if row["name"] == name)
            ax.step(*step_outline(r, p), where="post", label=f"{name} ({ap:.4f})")
        style_pr_axes(
            ax, t, f"{c} ({int(t.sum()):,} of {len(t):,} rows), top {len(top)} by {res.metric[1]} PR-AUC", legend_size=8
        )
    return save_figure(fig, path, dpi=90)


def plot_reliability(res, path: Path) -> Path:
    """Reliability of the corrected probabilities of the top candidates, per minority class."""
    plt = pyplot()
    minority = res.classes[1:]
    top = [row["name"] for row in res.leaderboard[:TOP] if res.results[row["name"]].corrected_scores is not None]
    fig, axes = plt.subplots(1, len(minority), figsize=(6 * len(minority), 4.8), squeeze=False)
    for ax, c in zip(axes[0], minority):
        k = res.classes.index(c)
        curves = [(name, res.results[name].corrected_scores[:, k]) for name in top]
        draw_reliability(
            ax,
            (res.y == c).astype(float),
            curves,
            c,
            f"{c}: reliability after correction, top {len(top)}",
            legend_size=7,
        )
    return save_figure(fig, path, dpi=90)


def plot_confusion_grid(res, path: Path) -> Path:
    plt = pyplot()
    names = [row["name"] for row in res.leaderboard]
    cols = min(4, len(names))
    rows = int(np.ceil(len(names) / cols))
    K = len(res.classes)
    fig, axes = plt.subplots(rows, cols, figsize=(3.6 * cols, 3.3 * rows), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, name in zip(axes.flat, names):
        r = res.results[name]
        cm = confusion_counts(res.y, r.decisions, res.classes)  # under the rule each model file would use
        with np.errstate(invalid="ignore", divide="ignore"):
            norm = cm / cm.sum(axis=1, keepdims=True)
        ax.axis("on")
        ax.imshow(np.nan_to_num(norm), vmin=0, vmax=1, cmap="Blues")
        for i in range(K):
            for j in range(K):
                ax.text(
                    j,
                    i,
                    f"{norm[i, j]:.2f}\n{cm[i, j]:,}",
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white" if norm[i, j] > 0.6 else "black",
                )
        ax.set_xticks(range(K), res.classes, fontsize=7, rotation=30)
        ax.set_yticks(range(K), res.classes, fontsize=7)
        ax.set_title(name, fontsize=9)
    rule = f"under each candidate's cross-fitted {'cost' if res.by_cost else 'auto'} rule"
    fig.suptitle(f"confusion matrices {rule} (row-normalised: recall on the diagonal; counts below)")
    return save_figure(fig, path, dpi=80)


def plot_recall_at_precision(res, table: dict, path: Path) -> Path:
    plt = pyplot()
    minority = [c for c in res.classes[1:] if table.get(c)]
    names = [row["name"] for row in res.leaderboard]
    fig, axes = plt.subplots(
        1, max(len(minority), 1), figsize=(6 * max(len(minority), 1), 0.3 * len(names) + 2), squeeze=False
    )
    for ax, c in zip(axes[0], minority):
        lifts = sorted(table[c])
        height = 0.8 / max(len(lifts), 1)
        for i, lift in enumerate(lifts):
            vals = [table[c][lift]["recall"][n] for n in names]
            ax.barh(
                np.arange(len(names)) + i * height,
                vals,
                height=height,
                label=f"precision ≥ {table[c][lift]['precision']:.4f} ({lift}× prevalence)",
            )
        ax.set_yticks(np.arange(len(names)) + 0.4 - height / 2, names, fontsize=8)
        ax.invert_yaxis()
        ax.set_xlim(0, 1)
        ax.set_xlabel(f"recall of {c}")
        ax.legend(fontsize=8)
        ax.grid(axis="x", alpha=0.3)
    return save_figure(fig, path, dpi=90)


def plot_fit_time(res, path: Path) -> Path:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7.5, 4.8))
    for row in res.leaderboard:
        err = [[row["metric"] - row["metric_low"]], [row["metric_high"] - row["metric"]]]
        ax.errorbar(
            row["fit_seconds"],
            row["metric"],
            yerr=err,
            fmt="o",
            capsize=3,
            color="tab:red" if row["rank"] == 1 else ("tab:blue" if row["distinguishable_from_best"] else "tab:green"),
        )
        ax.annotate(
            row["name"], (row["fit_seconds"], row["metric"]), fontsize=7, xytext=(4, 2), textcoords="offset points"
        )
    ax.set_xscale("log")
    ax.set_xlabel("fit seconds per fold (log scale)")
    ax.set_ylabel(f"{metric_label(res)} (95% interval)")
    ax.set_title("best (red); not distinguishable from it (green); distinguishably worse (blue)")
    ax.grid(alpha=0.3)
    return save_figure(fig, path, dpi=90)


# ---------------------------------------------------------------- files

LEADERBOARD_COLUMNS_FIRST = [
    "rank",
    "name",
    "classifier",
    "strategy",
    "metric",
    "metric_low",
    "metric_high",
    "vs_best_difference",
    "vs_best_low",
    "vs_best_high",
    "distinguishable_from_best",
]


# What a compare report folder holds (folders written before manifests are recognised by these names).
COMPARE_FILES = frozenset(
    {
        "leaderboard.csv",
        "leaderboard.json",
        "report.html",
        "pr_curves.png",
        "confusion_grid.png",
        "recall_at_precision.png",
        "fit_time.png",
        "reliability.png",
        ".write-test",
    }
)


def plan_report(directory: str | Path, inputs: list) -> Path:
    """Check, before any fit, that the report folder can be written and replaces nothing the run reads."""
    from ..io.writers import plan_outputs

    directory = Path(directory)
    plan_outputs(
        [("--report", directory, True)], [Path(str(i)) for i in inputs if i], legacy={"--report": COMPARE_FILES}
    )
    return directory


def write_compare_report(res, directory: str | Path) -> dict[str, Path]:
    """Leaderboard files, figures and report.html, staged and swapped into ``directory`` whole."""
    from ..io.writers import StagedFolder

    final = Path(directory)
    with StagedFolder(final, "--report", legacy=COMPARE_FILES) as stage:
        paths = _write_files(res, stage.path)
        stage.commit()
    return {k: final / p.name for k, p in paths.items()}


def _write_files(res, directory: Path) -> dict[str, Path]:
    import pandas as pd
    from jinja2 import Environment, PackageLoader, select_autoescape

    doc = document(res)
    table = doc["recall_at_matched_precision"]
    figures = {
        "pr_curves": plot_pr_overlay(res, directory / "pr_curves.png"),
        "confusion_grid": plot_confusion_grid(res, directory / "confusion_grid.png"),
        "recall_at_precision": plot_recall_at_precision(
            res, {c: {int(k): v for k, v in t.items()} for c, t in table.items()}, directory / "recall_at_precision.png"
        ),
        "fit_time": plot_fit_time(res, directory / "fit_time.png"),
        "reliability": plot_reliability(res, directory / "reliability.png"),
    }
    frame = pd.DataFrame(res.leaderboard)
    frame = frame[LEADERBOARD_COLUMNS_FIRST + [c for c in frame.columns if c not in LEADERBOARD_COLUMNS_FIRST]]
    if res.eliminated:  # the candidates racing dropped, after the ranked ones, with the round's figures
        frame.insert(2, "status", "ran on all rows")
        frame = pd.concat([frame, pd.DataFrame(eliminated_rows(res))], ignore_index=True)
    paths = {
        "leaderboard": directory / "leaderboard.csv",
        "json": directory / "leaderboard.json",
        "html": directory / "report.html",
        **figures,
    }
    from ..text import for_spreadsheet

    for col in frame.select_dtypes(
        exclude="number"
    ).columns:  # text a spreadsheet would run as a formula gets a leading quote
        frame[col] = frame[col].map(for_spreadsheet)
    frame.to_csv(paths["leaderboard"], index=False)
    paths["json"].write_text(json.dumps(doc, indent=2, allow_nan=False))
    env = Environment(loader=PackageLoader("clickpred", "templates"), autoescape=select_autoescape(["html"]))
    env.filters["f4"] = lambda v: "–" if v is None else f"{v:.4f}"
    env.filters["f2"] = lambda v: "–" if v is None else f"{v:.2f}"
    env.filters["fm"] = env.filters["f4"] if not res.by_cost else (lambda v: "–" if v is None else f"{v:.5g}")
    html = env.get_template("compare.html").render(doc=doc, figures={k: png_base64(p) for k, p in figures.items()})
    paths["html"].write_text(html, encoding="utf-8")
    return paths


def eliminations(res) -> list:
    """The candidates racing eliminated, by round, then the closest to the round's best first."""
    return sorted(res.eliminated.values(), key=lambda e: (e.round, e.difference))


def eliminated_rows(res) -> list[dict]:
    """One leaderboard.csv row per candidate racing eliminated: its round's figures, not all rows'."""
    out = []
    for e in eliminations(res):
        out.append(
            {
                "name": e.name,
                "status": f"eliminated in racing round {e.round}",
                "classifier": e.classifier,
                "strategy": e.strategy,
                "race_round": e.round,
                "race_rows_per_fold": e.rows,
                "race_metric": e.metric,
                "race_best": e.best,
                "race_vs_best_difference": e.difference,
                "race_vs_best_low": e.low,
                "race_vs_best_high": e.high,
                "race_level": e.level,
                "fit_seconds": e.fit_seconds,
            }
        )
    return out


def eliminated_table(res, top: int = 10):
    """A rich Table of the candidates racing eliminated (None when it eliminated none)."""
    from rich.table import Table

    from ..text import for_terminal as T

    if not res.eliminated:
        return None
    rounds = ", ".join(f"round {r.number}: {r.rows:,} rows per fold" for r in res.race)
    table = Table(title=T(f"eliminated by racing ({rounds})"), title_justify="left")
    for name in ("round", "candidate", f"{metric_label(res)} in the round", "best − this [interval]", "vs"):
        table.add_column(T(name), justify="left" if name in ("candidate", "vs") else "right", no_wrap=True)
    rows = eliminated_rows(res)
    for e in rows[:top]:
        table.add_row(
            str(e["race_round"]),
            T(e["name"]),
            f"{e['race_metric']:.4f}",
            f"{e['race_vs_best_difference']:.4f} [{e['race_vs_best_low']:.5f}, {e['race_vs_best_high']:.4f}]",
            T(e["race_best"]),
        )
    if len(rows) > top:
        table.add_row("…", f"{len(rows) - top} more in leaderboard.csv", "", "", "")
    levels = ", ".join(sorted({f"{100 * e['race_level']:g}%" for e in rows}))
    table.caption = (
        "on a share of the majority rows (every minority row), scored on all validation rows; the leaderboard's "
        f"paired interval, at {levels}; --exhaustive runs every candidate on all rows"
    )
    table.caption_justify = "left"
    return table


def leaderboard_table(res, top: int = 15, width: int | None = None):
    """A rich Table of the leaderboard (the CLI prints it; the files hold every column). Per minority class its
    recall and precision under the rule (``recall / precision``) are always whole; on a terminal of ``width``
    columns too narrow for everything, the fit time goes first, then the MCC, and candidate names wrap."""
    from rich.table import Table

    cost = res.by_cost
    fmt = ".5g" if cost else ".4f"
    recall = "recall_rule_" if cost else "recall_"
    precision = "precision_rule_" if cost else "precision_"
    from ..text import for_terminal as T

    minority = res.classes[1:]
    rows = res.leaderboard[:top]
    name_width = min(24, max([9] + [len(T(r["name"])) for r in rows]))
    interval = 2 + 3 * len(f"{0.5:{fmt}}") + 2  # "0.0957 [0.0697, 0.1425]"
    always = [2, name_width, interval, 10] + [13] * len(minority)  # #, candidate, metric, verdict, recall / prec.
    optional = {"vs": interval, "mcc": 5, "fit": 4}

    def total(show: set) -> int:  # cell widths, plus a border and two spaces of padding per column
        cells = always + [optional[k] for k in show]
        return sum(cells) + 3 * len(cells) + 1

    # The most the width holds, in order of need (the verdict already says what the paired interval says).
    choices: tuple[set[str], ...] = ({"vs", "mcc", "fit"}, {"vs", "mcc"}, {"vs"}, {"mcc", "fit"}, {"mcc"}, set())
    shown = next((s for s in choices if width is None or total(s) <= width), set())
    show_mcc, show_fit, show_vs = "mcc" in shown, "fit" in shown, "vs" in shown
    table = Table(title=T(res.metric_note), title_justify="left")
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("candidate", overflow="fold", min_width=9)
    table.add_column(T(f"{metric_label(res)} [95% CI]"), justify="right", no_wrap=True)
    if show_vs:
        table.add_column("this − best [95% CI]" if cost else "best − this [95% CI]", justify="right", no_wrap=True)
    table.add_column("verdict", no_wrap=True)
    for m in minority:
        table.add_column(T(f"{m}\nrecall / prec."), justify="right", overflow="fold", min_width=13, max_width=13)
    if show_mcc:
        table.add_column("MCC", justify="right", no_wrap=True, min_width=5)
    if show_fit:
        table.add_column("fit\ns", justify="right", no_wrap=True)
    for row in res.leaderboard[:top]:
        verdict = "best" if row["rank"] == 1 else ("worse" if row["distinguishable_from_best"] else "can't tell")
        vs = (
            ""
            if row["rank"] == 1
            else f"{row['vs_best_difference']:{fmt}} [{row['vs_best_low']:{fmt}}, {row['vs_best_high']:{fmt}}]"
        )
        table.add_row(
            str(row["rank"]),
            T(row["name"]),
            f"{row['metric']:{fmt}} [{row['metric_low']:{fmt}}, {row['metric_high']:{fmt}}]",
            *([vs] if show_vs else []),
            verdict,
            *[f"{row[recall + m]:.3f} / {row.get(precision + m, float('nan')):.3f}" for m in minority],
            *([f"{row['mcc']:.3f}"] if show_mcc else []),
            *([f"{row['fit_seconds']:.1f}"] if show_fit else []),
        )
    if len(res.leaderboard) > top:
        table.add_row("…", f"{len(res.leaderboard) - top} more in leaderboard.csv", "", "", "")
    table.caption = (
        "intervals: 95% bootstrap over rows of the out-of-fold scores; "
        + ("this − best" if cost else "best − this")
        + ": paired, same rows; "
        "can't tell = the paired interval includes 0; "
        + ("recall, precision and MCC under the cost rule" if cost else "recall, precision and MCC under the auto rule")
        + " (cross-fitted, as train reports them)"
    )
    table.caption_justify = "left"
    return table


def train_command(
    res, data, target=None, drop=(), sep=None, calibration="auto", costs=None, categorical=(), numeric=(), split_by=None
) -> str:
    """The ``clickpred train`` command that fits the leaderboard's first candidate on the same data, read the
    same way (its spec file, or its classifier and strategy; folds, seed and the schema options)."""
    import shlex

    spec = res.results[res.leaderboard[0]["name"]].spec
    words = ["clickpred", "train", str(data)]
    if spec["source"] not in ("options", "<options>"):
        words += ["--pipeline", spec["source"]]
    else:
        words += ["--classifier", spec["classifier"]["name"], "--strategy", spec["strategy"]["name"]]
        from ..modeling.spec import DEFAULT_FOLDS, DEFAULT_SEED

        words += ["--folds", str(spec["folds"])] if spec["folds"] != DEFAULT_FOLDS else []
        words += ["--seed", str(spec["seed"])] if spec["seed"] != DEFAULT_SEED else []
    for option, value in (("--target", target), ("--sep", sep), ("--split-by", split_by)):
        if value is not None:
            words += [option, value]
    for option, values in (("--drop", drop), ("--categorical", categorical), ("--numeric", numeric)):
        if values:
            words += [option, ",".join(values)]
    if calibration != "auto":
        words += ["--calibration", calibration]
    if costs is not None:
        words += ["--costs", str(costs), "--decision", "cost"]
    return " ".join(shlex.quote(w) for w in words)


# ---------------------------------------------------------------- the recommendation, in words


def class_words(c: str) -> str:
    """'click', or "class '1'" for labels that are not words."""
    return c if c[:1].isalpha() else f"class '{c}'"


def _ties(res, fmt: str) -> str:
    lb = res.leaderboard
    best = lb[0]
    ties = [r for r in lb[1:] if r["distinguishable_from_best"] is False]
    if len(lb) == 1:
        return " It is the only candidate: there is nothing to compare it with."
    if not ties:
        return " Every other candidate is distinguishably worse (paired bootstrap, 95%)."
    fastest = min(ties, key=lambda r: r["fit_seconds"])
    speed = best["fit_seconds"] / fastest["fit_seconds"] if fastest["fit_seconds"] > 0 else float("inf")
    faster = f" and trains {speed:.1f}× faster" if speed >= 1.5 else ""
    return (
        f" {len(ties)} other candidate(s) are not distinguishable from it on this data (paired bootstrap, "
        f"95%); e.g. {fastest['strategy']} + {fastest['classifier']} ({fastest['metric']:{fmt}}){faster}."
    )


def _raced(res) -> str:
    if not res.eliminated:
        return ""
    return (
        f" Racing eliminated {len(res.eliminated)} more as clearly worse than the best on a share of the rows "
        "(listed apart; --exhaustive runs them on all rows)."
    )


def _recommend_cost(res) -> str:
    best = res.leaderboard[0]
    sentence = (
        f"{best['strategy']} + {best['classifier']} has the lowest cost per row under {Path(res.costs).name}, "
        f"{best['metric']:.5g} [{best['metric_low']:.5g}, {best['metric_high']:.5g}], deciding by its cross-fitted "
        f"minimum-cost rule (flagging nothing costs {best['cost_nothing_flagged']:.5g}; argmax on its corrected "
        f"probabilities {best['cost_per_row_argmax']:.5g})."
    )
    sentence += _ties(res, ".5g")
    if res.test:
        t = res.test["candidates"].get(best["name"])
        if t is not None:
            sentence += f" On the held-out test file its decisions cost {t['metric']:.5g} per row."
    return sentence


def recommend(res) -> str:
    """A plain-language answer: the best candidate, its interval, and what is not distinguishable from it."""
    lb = res.leaderboard
    best = lb[0]
    cls = res.metric[1]
    beware = (
        ""
        if not res.leakage_warnings
        else f" Beware: {len(res.leakage_warnings)} column(s) look like leakage (see the warning): figures near 1 are "
        "not to be believed until they are dropped."
    )
    if res.by_cost:
        return _recommend_cost(res) + beware
    sentence = (
        f"{best['strategy']} + {best['classifier']} has the best PR-AUC for {class_words(cls)}, "
        f"{best['metric']:.4f} [{best['metric_low']:.4f}, {best['metric_high']:.4f}] "
        f"(no-skill baseline {res.class_counts[cls] / res.n_rows:.4f})."
    )
    sentence += _ties(res, ".4f") + _raced(res)
    n_pos = res.class_counts[cls]
    if n_pos < 500:
        sentence += f" With only {n_pos:,} rows of {class_words(cls)}, differences inside the intervals are noise."
    if res.test:
        t = res.test["candidates"].get(best["name"])
        if t is not None and t["metric"] is not None:
            sentence += f" On the held-out test file it scores {t['metric']:.4f}."
    return sentence + beware
