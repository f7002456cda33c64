import json
import re

import numpy as np

from clickpred.estimator.fitting import train
from clickpred.modeling.spec import spec_from_options
from clickpred.reporting.train_report import (
    metrics_document,
    summary_table,
    write_report,
)

from ._browser import rendered


def test_report_is_self_contained_and_json_is_strict(small_csv, tmp_path):
    res = train(small_csv, spec_from_options("logistic", "none", folds=3))
    paths = write_report(res, tmp_path / "r")
    html = paths["html"].read_text()
    assert "http://" not in html and "https://" not in html  # nothing fetched when opened
    # + reliability diagram and permutation importance
    assert len(re.findall(r'<img alt="[^"]+" src="data:image/png;base64,', html)) == 4
    assert "PR-AUC" in html and "no-skill baseline" in html
    doc = json.loads(paths["metrics"].read_text())  # strict JSON: NaN would have failed to write
    assert doc["per_class"]["click"]["pr_auc_baseline"] == doc["per_class"]["click"]["support"] / 4000
    assert "Calibration ratio" in html and "Decision rule: auto" in html
    for png in ("confusion_matrix", "pr_curves", "reliability", "importance"):
        assert paths[png].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "What drives each class" in html
    assert {r["column"] for r in doc["importance"]} == set(res.data.schema.feature_names)
    assert doc["importance"] == res.cv.importance["records"] and doc["importance_skipped"] == []


def test_importance_in_the_terminal_is_the_top_five_per_class_largest_first(small_csv):
    from clickpred.reporting.train_report import importance_lines

    res = train(small_csv, spec_from_options("logistic", "none", folds=3))
    lines = importance_lines(metrics_document(res))
    assert [line.split(" (")[0] for line in lines] == ["what drives click", "what drives conversion"]
    clicks = [r for r in res.cv.importance["records"] if r["class"] == "click"][:5]
    shown = re.findall(r"(\S+) ([+-]\d\.\d{4}) \[[^]]+\]( ~0)?", lines[0].split(": ", 1)[1])
    assert [name for name, _, _ in shown] == [r["column"] for r in clicks]
    assert [float(d) for _, d, _ in shown] == [round(r["pr_auc_drop"], 4) for r in clicks]
    assert all((grey == " ~0") != r["distinguishable"] for (_, _, grey), r in zip(shown, clicks))
    assert (
        importance_lines(
            metrics_document(train(small_csv, spec_from_options("logistic", "none", folds=3), importance=False))
        )
        == []
    )


def test_accuracy_is_never_the_headline(small_csv):
    res = train(small_csv, spec_from_options("logistic", "none", folds=3))
    doc = metrics_document(res)
    table = summary_table(doc)
    headers = [c.header for c in table.columns]
    assert "PR-AUC" in headers and "recall" in headers and "accuracy" not in " ".join(headers).lower()


def test_undefined_metrics_become_null_not_nan(small_csv, tmp_path):
    res = train(small_csv, spec_from_options("logistic", "none", folds=3))
    res.cv.metrics["per_class"]["click"]["roc_auc"] = float("nan")
    res.cv.metrics["per_class"]["click"]["pr_auc"] = np.float64("nan")
    doc = metrics_document(res)
    assert doc["per_class"]["click"]["roc_auc"] is None and doc["per_class"]["click"]["pr_auc"] is None
    write_report(res, tmp_path / "r")  # renders with the gaps shown as dashes


def test_out_of_fold_scores_are_written_for_every_row(small_csv, tmp_path):
    import pandas as pd

    res = train(small_csv, spec_from_options("logistic", "none", folds=3))
    paths = write_report(res, tmp_path / "r")
    scores = pd.read_parquet(paths["scores"])
    assert len(scores) == 4000 and list(scores.columns) == [
        "row",
        "label",
        "prediction",
        "p_view",
        "p_click",
        "p_conversion",
    ]
    assert (scores["label"].to_numpy() == res.data.y).all()
    np.testing.assert_allclose(scores[["p_view", "p_click", "p_conversion"]].sum(axis=1), 1.0)


def test_the_report_loads_in_a_headless_browser_with_importance_and_the_time_slices(small_csv, tmp_path):
    res = train(small_csv, spec_from_options("logistic", "none", folds=3))
    paths = write_report(res, tmp_path / "r")
    dom, console = rendered(paths["html"])
    assert 'data-figures="4/4"' in dom  # the page's own check: every <img> decoded, the importance chart included
    assert console == []
    assert "What drives each class" in dom and 'alt="permutation importance"' in dom
    top = next(r for r in res.cv.importance["records"] if r["class"] == "click")
    assert f"<code>{top['column']}</code>" in dom and f"{top['pr_auc_drop']:+.4f}" in dom
    assert "<h2>Over time</h2>" in dom and res.over_time["slices"][0]["start"] in dom


def test_decision_lines_say_the_rule_then_its_notes_and_warnings():
    from clickpred.reporting.train_report import decision_lines

    assert decision_lines({"decision": {"kind": "argmax"}}) == []
    doc = {
        "decision": {
            "kind": "auto",
            "label": "auto",
            "thresholds": {"click": 0.0123},
            "fold_spread": {"click": {"min": 0.01, "max": 0.02}},
            "flagged_fraction": 0.0099,
            "not_flagged": ["conversion"],
            "unstable": ["click"],
        }
    }
    lines = decision_lines(doc)
    assert lines[0] == ("result", "decision rule auto: thresholds click 0.0123 (folds 0.01–0.02); flags 0.99% of rows")
    assert [k for k, _ in lines] == ["result", "note", "warning"]
    assert lines[1][1].startswith("conversion not flagged by the auto rule")
    assert lines[2][1] == "thresholds of click move by more than ±25% across folds"


def test_a_long_pr_curve_is_drawn_from_its_outline():
    """step_outline keeps, per recall, the first, lowest, highest and last precision: the same strokes from a
    hundredth of the points (only anti-aliasing differs, at a few pixels)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from clickpred.evaluation.intervals import RankedScores
    from clickpred.reporting.train_report import step_outline

    rng = np.random.default_rng(0)
    t = rng.random(200_000) < 0.003
    precision, recall = RankedScores(t, rng.random(200_000) + t * rng.random(200_000) * 0.5).pr_curve()
    x, y = step_outline(recall, precision)
    assert len(x) <= 4 * (t.sum() + 1) < len(recall) / 50
    starts = np.flatnonzero(np.r_[True, recall[1:] != recall[:-1]])
    assert np.array_equal(np.unique(x), np.unique(recall))
    np.testing.assert_array_equal(y[1::4], np.minimum.reduceat(precision, starts))
    np.testing.assert_array_equal(y[2::4], np.maximum.reduceat(precision, starts))

    def pixels(xs, ys):
        fig, ax = plt.subplots(figsize=(5.5, 4.5))
        ax.step(xs, ys, where="post")
        ax.set_yscale("log")
        ax.set_xlim(0, 1)
        ax.set_ylim(1e-3, 1.05)
        fig.canvas.draw()
        out = np.asarray(fig.canvas.buffer_rgba()).copy()
        plt.close(fig)
        return out

    full, outline = pixels(recall, precision), pixels(x, y)
    assert (full != outline).any(axis=2).mean() < 0.001
