"""Reports from evaluation results: ``metrics.json``, ``report.html``, PNG figures, a rich table.

No modelling happens here: everything is computed from the scores an
evaluation already holds. matplotlib is imported only when figures are drawn.

Example
-------
>>> paths = write_report(result, "reports/demo")  # doctest: +SKIP
"""

from __future__ import annotations

import base64
import json
import math
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # a type only: clickpred info and score print from here without importing scikit-learn
    from ..evaluation.crossval import Evaluation


def jsonable(obj):
    """JSON-safe: NaN/inf → None, numpy scalars → Python."""
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, (np.floating, float)):
        v = float(obj)
        return v if math.isfinite(v) else None
    if isinstance(obj, np.integer):
        return int(obj)
    return obj


def primary(result) -> tuple[str, Evaluation]:
    """The headline evaluation: the held-out test if there is one, else out-of-fold CV."""
    if result.test is not None:
        return "test", result.test
    return "cv", result.cv


def metrics_document(result) -> dict:
    """The content of ``metrics.json``."""
    which, ev = primary(result)
    ds = result.data
    doc = {
        "name": result.name,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "primary": which,
        "evaluated_on": _evaluated_on(result, which),
        "classes": list(ds.schema.classes),
        "per_class": ev.metrics["per_class"],
        "macro": ev.metrics["macro"],
        "balanced_accuracy": ev.metrics["balanced_accuracy"],
        "mcc": ev.metrics["mcc"],
        "accuracy": ev.metrics["accuracy"],
        "confusion_matrix": ev.metrics["confusion_matrix"],
        "confusion_matrix_argmax": (
            ev.argmax["confusion_matrix"]
            if ev.argmax is not None and ev.rule is not None and ev.rule.kind != "argmax"
            else None
        ),
        "log_loss": ev.metrics.get("log_loss"),
        "brier": ev.metrics.get("brier"),
        "ne": ev.metrics.get("ne"),
        "probabilities": probability_summary(ev),
        "decision": decision_document(result, ev),
        "funnel_vs_flat": getattr(result, "funnel_vs_flat", None),
        "classifier_choice": getattr(result, "classifier_choice", None),
        "score_kind": "probability" if ev.has_proba else "decision_function",
        "cv": result.cv.metrics,
        "cv_fit_seconds": result.cv.fit_seconds,
        "test": result.test.metrics if result.test is not None else None,
        "test_source": result.test_source,
        "spec": result.spec.to_dict(),
        "seed": result.spec.seed,
        "data": {
            "path": ds.path,
            "sha256": ds.sha256,
            "n_rows": int(len(ds.y)),
            "n_features": len(ds.schema.features),
            "class_counts": ds.class_counts,
        },
        "schema": ds.schema.to_dict(),
        "sampling": _sampling_view(result),
        "over_time": getattr(result, "over_time", None),
        "per_value": getattr(result, "per_value", None),
        "importance": (result.cv.importance or {}).get("records"),
        "importance_skipped": (result.cv.importance or {}).get("skipped"),
        "leakage_warnings": [w.message() for w in result.leaks],
        "notes": result.notes,
        "timings": result.timings,
        "versions": result.versions,
    }
    return jsonable(doc)


def _evaluated_on(result, which: str) -> str:
    if which == "test":
        return f"held-out {result.test_source}"
    s = getattr(result, "sampling", None)
    if s:
        return (
            f"{s['evaluated_on']}; correction and decision rule cross-fitted over {s['eval_parts']} parts of it"
            f" (trained on {sum(s['kept_counts'].values()):,} kept rows)"
        )
    return f"{result.spec.folds}-fold stratified CV, out-of-fold scores"


def _sampling_view(result) -> dict | None:
    """--negative-rate: per class, rows read, kept (and the rate) and held out."""
    s = getattr(result, "sampling", None)
    if not s:
        return None
    classes = result.data.schema.classes
    rows = []
    for c in classes:
        rest, kept = s["counts"].get(c, 0), s["kept_counts"].get(c, 0)  # rest: rows not held out
        rows.append(
            {
                "class": c,
                "read": s["read_counts"].get(c, 0),
                "kept": kept,
                "kept_fraction": kept / rest if rest else None,
                "holdout": s["holdout_counts"].get(c, 0),
            }
        )
    return {**s, "per_class": rows}


def _calibration_view(metrics: dict | None, classes: list[str]) -> dict | None:
    if not metrics or "calibration" not in metrics:
        return None
    return {
        "log_loss": metrics["log_loss"],
        "ne": metrics["ne"],
        "brier": metrics["brier"],
        "per_class": {c: {**metrics["calibration"][c], "pr_auc": metrics["per_class"][c]["pr_auc"]} for c in classes},
    }


def probability_summary(ev: Evaluation) -> dict:
    """Calibration before (the classifier's own scores) and after the correction."""
    corr = ev.correction
    return {
        "correction": corr.state() if corr is not None else None,
        "before": _calibration_view(ev.before, ev.classes),
        "after": _calibration_view(ev.argmax or ev.metrics, ev.classes) if ev.has_proba else None,
    }


def decision_document(result, ev: Evaluation) -> dict | None:
    """The decision rule: thresholds and their spread across folds (CV), its metrics next to argmax."""
    cv = result.cv
    if cv.decision is None:
        return None
    doc = dict(cv.decision)
    if ev is not cv and ev.argmax is not None:  # held-out rows, the saved rule
        doc["held_out"] = {
            "per_class": {
                c: {
                    "recall": ev.metrics["per_class"][c]["recall"],
                    "precision": ev.metrics["per_class"][c]["precision"],
                    "recall_argmax": ev.argmax["per_class"][c]["recall"],
                    "precision_argmax": ev.argmax["per_class"][c]["precision"],
                }
                for c in ev.classes[1:]
            },
            "cost_per_row": (ev.metrics.get("decision") or {}).get("cost_per_row"),
            "flagged_fraction": float(np.mean(ev.y_pred != ev.classes[0])),
        }
    return doc


# ---------------------------------------------------------------- figures


def pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig, path: Path, dpi: int = 100) -> Path:
    """Lay out, write as PNG and close a figure (every report figure ends here).

    Every text set so far (titles, axis labels, legends, tick labels naming classes or candidates) is user
    text: its ``$`` is escaped so that mathtext draws ``$\\foo$`` as written instead of failing, and control
    characters are dropped. Tick labels that axes format themselves at draw time (10^k on log axes) are not
    touched, so they keep their mathtext.

    Log axes get no minor ticks: matplotlib builds a tick object (two lines, two texts) for each of the eight per
    decade, and laying them out was a third of a report's drawing time (0.4 s of a 100k-row train), for marks
    too small to read at this size; the major ticks and grid stay."""
    from matplotlib.text import Text
    from matplotlib.ticker import FixedFormatter, FixedLocator, NullLocator

    from ..text import plain

    def literal(s: str) -> str:
        return plain(s).replace("\\$", "$").replace("$", "\\$")

    for ax in fig.axes:  # ticks the code placed with text labels (class names): formatted again at draw time
        for axis in (ax.xaxis, ax.yaxis):
            if axis.get_scale() == "log":
                axis.set_minor_locator(NullLocator())
            if isinstance(axis.get_major_locator(), FixedLocator):
                labels = [t.get_text() for t in axis.get_ticklabels()]
                if any("$" in s or plain(s) != s for s in labels):
                    axis.set_major_formatter(FixedFormatter([literal(s) for s in labels]))
    for t in fig.findobj(Text):  # titles, axis labels, legends, annotations
        s = t.get_text()
        if s and ("$" in s or plain(s) != s) and "\\mathdefault" not in s:
            t.set_text(literal(s))
    fig.tight_layout()
    fig.savefig(path, dpi=dpi)
    pyplot().close(fig)
    return path


def plot_confusion(ev: Evaluation, path: Path, title: str) -> Path:
    """Confusion matrix: counts and row-normalised side by side."""
    plt = pyplot()
    from sklearn.metrics import ConfusionMatrixDisplay

    from ..evaluation.crossval import confusion_counts

    counts = confusion_counts(ev.y_true, ev.y_pred, ev.classes)
    with np.errstate(all="ignore"):  # as scikit-learn normalises: a class with no rows is a row of zeros
        recall = np.nan_to_num(counts / counts.sum(axis=1, keepdims=True))
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5))
    for ax, cm, fmt, sub in (
        (axes[0], counts, "d", "counts"),
        (axes[1], recall, ".3f", "row-normalised (recall on the diagonal)"),
    ):
        display = ConfusionMatrixDisplay(cm, display_labels=ev.classes)
        display.plot(ax=ax, colorbar=False, values_format=fmt, cmap="Blues")
        ax.set_title(sub)
    fig.suptitle(title)
    return save_figure(fig, path, dpi=100)


IMPORTANCE_SHOWN = 15  # columns per class in the importance chart (the table lists every one)


def plot_importance(records: list[dict], classes: list[str], path: Path, title: str) -> Path:
    """Permutation importance per minority class: the mean drop of PR-AUC with its 95% interval over folds,
    largest first; a column whose interval reaches 0 is drawn grey."""
    plt = pyplot()
    shown = [c for c in classes if any(r["class"] == c for r in records)]
    rows = {c: [r for r in records if r["class"] == c][:IMPORTANCE_SHOWN] for c in shown}
    height = max(2.5, 0.32 * max(len(v) for v in rows.values()) + 1.2)
    fig, axes = plt.subplots(1, len(shown), figsize=(5.5 * len(shown), height), squeeze=False)
    for ax, c in zip(axes[0], shown):
        recs = rows[c][::-1]  # largest at the top
        y = np.arange(len(recs))
        drop = np.array([r["pr_auc_drop"] for r in recs])
        low = np.array([r["low"] if r["low"] is not None else r["pr_auc_drop"] for r in recs])
        high = np.array([r["high"] if r["high"] is not None else r["pr_auc_drop"] for r in recs])
        colors = ["tab:blue" if r["distinguishable"] else "0.7" for r in recs]
        ax.barh(y, drop, color=colors, xerr=np.vstack([drop - low, high - drop]), ecolor="0.3", capsize=2)
        ax.set_yticks(y, [r["column"] for r in recs])
        ax.axvline(0, color="k", linewidth=0.8)
        ax.set_xlabel(f"drop of {c} PR-AUC when shuffled")
        ax.set_title(c)
        ax.grid(axis="x", alpha=0.3)
    fig.suptitle(title)
    return save_figure(fig, path, dpi=100)


def style_pr_axes(ax, positives: np.ndarray, title: str, legend_size=None) -> None:
    """The no-skill line and a log precision axis down to a third of it (shared by train and compare)."""
    base = positives.mean()
    ax.axhline(base, color="k", linestyle="--", label=f"no skill {base:.4f}")
    ax.set_yscale("log")
    ax.set_ylim(max(base / 3, 1e-5), 1.05)
    ax.set_xlim(0, 1)
    ax.set_xlabel("recall")
    ax.set_ylabel("precision (log scale)")
    ax.set_title(title)
    ax.legend(fontsize=legend_size, loc="upper right")
    ax.grid(alpha=0.3)


def step_outline(x: np.ndarray, y: np.ndarray, keep: int = 4000) -> tuple[np.ndarray, np.ndarray]:
    """The points of a step curve (``where="post"``) that change what is drawn: of each run of equal ``x``, its
    first point, its lowest and highest ``y``, its last point. A run draws one vertical stroke from its lowest ``y``
    to its highest whatever the order in between, so the figure draws the same strokes (anti-aliasing differs at a
    few pixels: 94 of 247,500 on a 200k-row curve) with at most four points per distinct ``x`` — per positive row,
    for a PR curve — instead of one per distinct score (1M rows: the curves drew and saved 1M points per class).
    Curves of at most ``keep`` points are returned as they are.

    >>> step_outline(np.array([0.5, 0.5, 0.5, 0.0]), np.array([0.2, 0.9, 0.4, 1.0]), keep=2)
    (array([0.5, 0.5, 0.5, 0.5, 0. , 0. , 0. , 0. ]), array([0.2, 0.2, 0.9, 0.4, 1. , 1. , 1. , 1. ]))
    """
    if len(x) <= keep:
        return x, y
    starts = np.flatnonzero(np.r_[True, x[1:] != x[:-1]])
    last = np.r_[starts[1:], len(x)] - 1
    points = [y[starts], np.minimum.reduceat(y, starts), np.maximum.reduceat(y, starts), y[last]]
    return np.repeat(x[starts], 4), np.column_stack(points).ravel()


def plot_pr_curves(ev: Evaluation, path: Path, title: str) -> Path:
    """Precision-recall curve per minority class, precision on a log axis down to the no-skill line.

    With 0.2% positives a linear axis squeezes every curve against zero.
    """
    plt = pyplot()
    from ..evaluation.intervals import RankedScores

    minority = ev.classes[1:]
    fig, axes = plt.subplots(1, len(minority), figsize=(5.5 * len(minority), 4.5), squeeze=False)
    for ax, c in zip(axes[0], minority):
        k = ev.classes.index(c)
        t = ev.y_true == c
        if t.sum() == 0:
            ax.set_title(f"{c}: no rows")
            continue
        ranked = RankedScores(t, ev.scores[:, k])  # scikit-learn's curve and average precision, from one sort
        precision, recall = ranked.pr_curve()
        ap = ranked.average_precision()
        ax.step(*step_outline(recall, precision), where="post", label=f"PR-AUC {ap:.4f}")
        style_pr_axes(ax, t, f"{c} ({int(t.sum()):,} of {len(t):,} rows)")
    fig.suptitle(title)
    return save_figure(fig, path, dpi=100)


RELIABILITY_FLOOR = 1e-6  # probabilities and rates below this are drawn on the floor (observed 0 too)


def draw_reliability(
    ax, t: np.ndarray, curves: list[tuple[str, np.ndarray]], c: str, title: str, legend_size=8
) -> None:
    """One class's reliability diagram: mean predicted vs observed rate in 10 equal-count bins per
    curve, log-log (a 0.2% class lives near zero), the diagonal, each curve's calibration ratio."""
    from ..evaluation.crossval import reliability_bins

    lo = 1.0
    for label, s in curves:
        pred, obs, _ = reliability_bins(t, s, 10)
        pred, obs = np.maximum(pred, RELIABILITY_FLOOR), np.maximum(obs, RELIABILITY_FLOOR)
        lo = min(lo, pred.min(), obs.min())
        ax.plot(pred, obs, "o-", ms=3, label=f"{label}: ratio {s.mean() / max(t.mean(), 1e-300):.2f}")
    ax.plot([lo / 2, 1], [lo / 2, 1], "k--", lw=1, label="perfect")
    ax.set(
        xscale="log",
        yscale="log",
        xlim=(lo / 2, 1),
        ylim=(lo / 2, 1),
        title=title,
        xlabel=f"mean predicted p({c}) per bin",
        ylabel="observed rate (log; 1e-6 = none)",
    )
    ax.legend(fontsize=legend_size, loc="upper left")
    ax.grid(alpha=0.3)


def plot_reliability(ev: Evaluation, path: Path, title: str) -> Path:
    """Reliability diagram per minority class, before and after the correction."""
    from ..postfit.correction import normalise

    plt = pyplot()
    minority = ev.classes[1:]
    fig, axes = plt.subplots(1, len(minority), figsize=(5.5 * len(minority), 4.8), squeeze=False)
    before = ev.raw_scores is not None and ev.before is not None and "calibration" in ev.before
    for ax, c in zip(axes[0], minority):
        k = ev.classes.index(c)
        raw = ev.raw_scores if ev.raw_scores is not None else ev.scores
        curves = ([("before (classifier's own)", normalise(raw)[:, k])] if before else []) + [
            ("after correction", ev.scores[:, k])
        ]
        draw_reliability(ax, (ev.y_true == c).astype(float), curves, c, f"{c}: 10 equal-count bins")
    fig.suptitle(title)
    return save_figure(fig, path, dpi=100)


def write_scores(ev: Evaluation, path: Path) -> Path:
    """Every evaluated row's label, per-class score and argmax prediction (row = position in the file)."""
    import pandas as pd

    frame = pd.DataFrame({"row": np.arange(len(ev.y_true)), "label": ev.y_true, "prediction": ev.y_pred})
    kind = "p" if ev.has_proba else "score"
    for k, c in enumerate(ev.classes):
        frame[f"{kind}_{c}"] = ev.scores[:, k]
    frame.to_parquet(path, index=False)
    return path


# ---------------------------------------------------------------- html


def png_base64(path: Path) -> str:
    return base64.b64encode(path.read_bytes()).decode("ascii")


def render_html(doc: dict, figures: dict[str, Path]) -> str:
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(loader=PackageLoader("clickpred", "templates"), autoescape=select_autoescape(["html"]))
    env.filters["f4"] = lambda v: "–" if v is None else f"{v:.4f}"
    env.filters["pct"] = lambda v: "–" if v is None else f"{v:.3%}"
    return env.get_template("report.html").render(
        doc=doc, figures={k: png_base64(p) for k, p in figures.items()}, json=json.dumps(doc["spec"], indent=2)
    )


def write_report(result, directory: str | Path, doc: dict | None = None) -> dict[str, Path]:
    """Write metrics.json, PNG figures and a self-contained report.html into ``directory`` (``doc``: the
    :func:`metrics_document` of ``result``, if already built)."""
    from ..io.writers import make_folder

    directory = make_folder(Path(directory), "--report")
    doc = doc if doc is not None else metrics_document(result)
    which, ev = primary(result)
    label = (
        "held-out test"
        if which == "test"
        else ("natural-balance holdout" if getattr(result, "sampling", None) else "out-of-fold CV")
    )
    figures = {
        "confusion_matrix": plot_confusion(
            ev, directory / "confusion_matrix.png", f"{result.name}: confusion matrix ({label})"
        ),
        "pr_curves": plot_pr_curves(ev, directory / "pr_curves.png", f"{result.name}: precision-recall ({label})"),
    }
    if ev.has_proba:
        figures["reliability"] = plot_reliability(
            ev, directory / "reliability.png", f"{result.name}: reliability ({label})"
        )
    if doc.get("importance"):
        figures["importance"] = plot_importance(
            doc["importance"],
            list(doc["classes"]),
            directory / "importance.png",
            f"{result.name}: permutation importance (out-of-fold CV)",
        )
    if which == "test":
        figures["cv_pr_curves"] = plot_pr_curves(
            result.cv, directory / "cv_pr_curves.png", f"{result.name}: precision-recall (out-of-fold CV)"
        )
    paths = {"metrics": directory / "metrics.json", "html": directory / "report.html", **figures}
    paths["metrics"].write_text(json.dumps(doc, indent=2, allow_nan=False))
    paths["scores"] = write_scores(result.cv, directory / "oof_scores.parquet")
    if result.test is not None:
        paths["test_scores"] = write_scores(result.test, directory / "test_scores.parquet")
    paths["html"].write_text(render_html(doc, figures), encoding="utf-8")
    return paths


# ---------------------------------------------------------------- terminal


def summary_table(doc: dict):
    """A rich Table of the headline per-class metrics (the CLI prints it)."""
    from rich.table import Table

    from ..text import for_terminal as T

    table = Table(title=T(f"{doc['name']} — {doc['evaluated_on']}"), title_justify="left")
    decision: dict = doc["decision"] if isinstance(doc.get("decision"), dict) else {}
    which: dict = decision["held_out"] if doc.get("primary") != "cv" and decision.get("held_out") else decision
    beside = which.get("per_class") if decision.get("kind", "argmax") != "argmax" else None
    cols = ["class", "n", "prevalence", "PR-AUC", "lift", "ROC-AUC", "precision", "recall", "F1"]
    if beside:
        cols += ["recall at argmax"]
    for col in cols:
        table.add_column(col, justify="left" if col == "class" else "right")
    fold = (doc.get("cv") or {}).get("fold_pr_auc", {}) if doc["primary"] == "cv" else {}
    for c in doc["classes"]:
        m = doc["per_class"][c]
        pr = "–" if m["pr_auc"] is None else f"{m['pr_auc']:.4f}"
        if c in fold and fold[c]["std"] is not None:
            pr += f"±{fold[c]['std']:.4f}"
        lift = "–" if not m["pr_auc"] or not m["pr_auc_baseline"] else f"{m['pr_auc'] / m['pr_auc_baseline']:.1f}×"
        table.add_row(
            T(c),
            f"{m['support']:,}",
            f"{m['pr_auc_baseline']:.3%}",
            pr,
            lift,
            "–" if m["roc_auc"] is None else f"{m['roc_auc']:.3f}",
            f"{m['precision']:.3f}",
            f"{m['recall']:.3f}",
            f"{m['f1']:.3f}",
            *([f"{beside[c]['recall_argmax']:.3f}" if c in beside else "–"] if beside else []),
        )
    extra = f"balanced accuracy {doc['balanced_accuracy']:.3f} · MCC {doc['mcc']:.3f}"
    if doc.get("log_loss") is not None:
        extra += f" · log loss {doc['log_loss']:.4f} · NE {doc['ne']:.3f} · Brier {doc['brier']:.5f}"
    after = (doc.get("probabilities") or {}).get("after")
    if after:
        extra += "\ncalibration ratio (mean predicted / observed): " + ", ".join(
            f"{c} {after['per_class'][c]['calibration_ratio']:.2f}"
            for c in doc["classes"][1:]
            if after["per_class"][c]["calibration_ratio"] is not None
        )
        before = (doc["probabilities"] or {}).get("before")
        if before:
            extra += (
                " (before correction: "
                + ", ".join(
                    f"{c} {before['per_class'][c]['calibration_ratio']:.2f}"
                    for c in doc["classes"][1:]
                    if before["per_class"][c]["calibration_ratio"] is not None
                )
                + ")"
            )
    rule = doc.get("decision") or "argmax"
    rule = rule.get("label", "argmax") if isinstance(rule, dict) else rule
    over = "parts of the evaluation rows" if doc.get("sampling") else "folds"
    table.caption = T(
        extra
        + f"\nPR-AUC ± std over {over} · lift = PR-AUC / prevalence · precision/recall/F1 under the decision rule: {rule}"
    )
    if beside:
        table.caption += (
            " (thresholds tuned on other folds) · recall at argmax: the most probable class, which for a"
            " rare class picks it only where it is more likely than not — with honest probabilities, seldom"
        )
    table.caption_justify = "left"
    return table


def importance_lines(doc: dict, n: int = 5) -> list[str]:
    """Per minority class, the ``n`` columns whose shuffling costs its out-of-fold PR-AUC the most (the terminal's
    view of the report's importance table)."""
    from ..evaluation.importance import top

    lines = []
    for c, recs in top(doc.get("importance") or [], n).items():
        shown = []
        for r in recs:
            text = f"{r['column']} {r['pr_auc_drop']:+.4f}"
            if r["low"] is not None:
                text += f" [{r['low']:+.4f}, {r['high']:+.4f}]"
            shown.append(text + ("" if r["distinguishable"] else " ~0"))
        lines.append(f"what drives {c} (PR-AUC drop when shuffled, 95% interval over folds): " + ", ".join(shown))
    if lines and any(not r["distinguishable"] for recs in top(doc["importance"], n).values() for r in recs):
        lines[-1] += " · ~0: not distinguishable from no effect"
    return lines


def decision_lines(doc: dict) -> list[tuple[str, str]]:
    """What the terminal says of a train run's decision rule, as ``(kind, text)`` pairs — ``"result"`` (the
    thresholds, with their spread over the folds, the share of rows flagged and the mean cost per row), ``"note"``
    (a class the auto rule does not flag, and why) and ``"warning"`` (thresholds that move across folds, a recall
    target not reached). Nothing for an argmax rule."""
    d = doc.get("decision") or {}
    if d.get("kind", "argmax") == "argmax":
        return []
    spread = d.get("fold_spread", {})
    line = f"decision rule {d['label']}: thresholds " + ", ".join(
        f"{k} {v:.4g}" + (f" (folds {spread[k]['min']:.4g}–{spread[k]['max']:.4g})" if k in spread else "")
        for k, v in d["thresholds"].items()
    )
    line += f"; flags {d['flagged_fraction']:.2%} of rows"
    if d.get("cost_per_row"):
        c = d["cost_per_row"]
        line += (
            f"; mean cost per row {c['rule']:.5g} (argmax {c['argmax']:.5g}, flag nothing {c['nothing_flagged']:.5g})"
        )
    lines = [("result", line)]
    if d.get("not_flagged"):
        lines.append(
            (
                "note",
                f"{', '.join(d['not_flagged'])} not flagged by the auto rule: its out-of-fold PR-AUC is not "
                "distinguishable from no skill (the 95% interval reaches down to the prevalence)",
            )
        )
    if d.get("unstable"):
        lines.append(("warning", f"thresholds of {', '.join(d['unstable'])} move by more than ±25% across folds"))
    if d.get("unreached"):
        unreached = ", ".join(f"{k} {v:.3f}" for k, v in d["unreached"].items())
        lines.append(("warning", f"recall target not reached: {unreached}"))
    return lines


def drift_warning(res) -> str | None:
    """The one line naming a scoring run's drifted columns (None when none is)."""
    from ..evaluation.drift import warning

    return warning(res.drift, res.drift_threshold) if res.drift else None


def drift_table(res):
    """A rich Table of a scoring run's drift: every input column (and the scores) against training, the most
    drifted first."""
    from rich.table import Table
    from rich.text import Text

    from ..text import for_terminal

    table = Table(title="drift against training", title_justify="left")
    for col in ("column", "kind", "PSI", "unseen", "missing", "missing in training"):
        table.add_column(col, justify="left" if col in ("column", "kind") else "right")
    share = lambda v: "–" if v is None else f"{v:.2%}"  # noqa: E731
    for r in res.drift:
        psi = "–" if r["psi"] is None else f"{r['psi']:.3f}"
        table.add_row(
            Text(for_terminal(r["column"]), style="bold red" if r["drifted"] else ""),
            r["kind"],
            psi,
            share(r["unseen_share"]),
            share(r["missing_share"]),
            share(r["training_missing_share"]),
        )
    table.caption = (
        f"PSI over the training bins (deciles; top values, other, unseen, missing; hour of day): below 0.1 stable, "
        f"0.1–0.2 moving, above {res.drift_threshold:g} drifted (red). p_<class>: the scores against the model's "
        "own scores of its training rows"
    )
    table.caption_justify = "left"
    return table


def score_table(res):
    """A rich Table of a scoring run per class: predicted counts and mean score vs training prevalence."""
    from rich.table import Table

    from ..text import for_terminal

    table = Table(title="scores by class", title_justify="left")
    for col in ("class", "predicted", "share", "mean score", "training prevalence"):
        table.add_column(col, justify="left" if col == "class" else "right")
    means = list(res.mean_scores.values())
    for i, (c, prev) in enumerate(res.training_prevalence.items()):
        n = res.predicted.get(c, 0)
        share = n / res.rows_scored if res.rows_scored else 0.0
        mean = "–"
        if res.score_kind == "probability" or len(means) == len(res.training_prevalence):
            mean = f"{means[i]:.4%}" if res.score_kind == "probability" else f"{means[i]:+.3f}"
        table.add_row(for_terminal(c), f"{n:,}", f"{share:.3%}", mean, f"{prev:.4%}")
    table.caption = (
        "mean score: mean predicted probability, as the model corrects and calibrates it (a cheap drift signal:"
        " compare with the training prevalence)"
        if res.score_kind == "probability"
        else "scores are SVM margins, not probabilities (the model was trained with --calibration none)"
    )
    table.caption_justify = "left"
    return table


def choice_note(doc: dict) -> str:
    """One line saying what ``--classifier auto`` tried (:mod:`clickpred.estimator.choose`), each figure, and why the
    winner."""
    from ..modeling.spec import AUTO_CANDIDATES

    cheap, other = AUTO_CANDIDATES
    c = doc["candidates"]
    d = doc["difference"]
    where = (
        f"{doc['rows']:,} of {doc['of_rows']:,} rows: every minority row, a share of the majority's"
        if doc["share"]
        else f"{doc['rows']:,} rows"
    )
    return (
        f"classifier auto: out-of-fold PR-AUC of {doc['class']} ({doc['folds']} folds on {where}): "
        f"{cheap} {c[cheap]['pr_auc']:.4f}, {other} {c[other]['pr_auc']:.4f}; "
        f"{other} − {cheap} {d['estimate']:+.4f} [{d['low']:+.4f}, {d['high']:+.4f}] → {doc['chosen']} ({doc['why']})"
    )
