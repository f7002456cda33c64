"""The compare report: files, content, and the page in a real headless browser."""

import json

import pandas as pd
import pytest

from clickpred.jobs.compare import compare
from clickpred.reporting.compare_report import recall_at_precision, write_compare_report

from ._browser import rendered


@pytest.fixture(scope="module")
def written(small_csv, tmp_path_factory):
    res = compare(
        small_csv, classifiers=["logistic", "svm"], strategies=["none", "undersample"], folds=2, replicates=100
    )
    d = tmp_path_factory.mktemp("compare")
    return res, write_compare_report(res, d / "report"), d / "report"


def test_files_and_their_content(written):
    res, paths, d = written
    assert sorted(p.name for p in d.iterdir()) == [
        ".clickpred-manifest.json",
        "confusion_grid.png",
        "fit_time.png",
        "leaderboard.csv",
        "leaderboard.json",
        "pr_curves.png",
        "recall_at_precision.png",
        "reliability.png",
        "report.html",
    ]
    lb = pd.read_csv(paths["leaderboard"])
    assert list(lb.columns[:5]) == ["rank", "name", "classifier", "strategy", "metric"]
    assert lb["name"].tolist() == [r["name"] for r in res.leaderboard]
    doc = json.loads(paths["json"].read_text())
    assert doc["recommendation"] == res.recommendation and doc["metric"] == "pr_auc:click"
    assert set(doc["recall_at_matched_precision"]["click"]) == {"2", "5", "10"}
    html = paths["html"].read_text()
    assert res.recommendation.split(",")[0] in html and html.count("data:image/png;base64,") == 5


def test_recall_at_precision():
    import numpy as np

    y = np.array([1, 0, 1, 0, 0, 1])
    s = np.array([0.9, 0.8, 0.7, 0.3, 0.2, 0.1])
    assert recall_at_precision(y, s, 1.0) == pytest.approx(1 / 3)
    assert recall_at_precision(y, s, 0.6) == pytest.approx(2 / 3)
    assert recall_at_precision(y, s, 0.5) == 1.0


def test_the_report_loads_in_a_headless_browser_with_every_figure_and_no_console_errors(written):
    _, paths, _ = written
    dom, console = rendered(paths["html"])
    assert 'data-figures="5/5"' in dom  # the page's own check: every <img> decoded
    assert console == []


@pytest.mark.parametrize("width", [100, 120])
def test_the_leaderboard_fits_the_terminal_and_keeps_recall_and_precision_whole(written, width):
    """At 120 columns recall, MCC and fit time were cut to '0.…'. Every minority class's recall / precision is
    whole at 100 and 120 columns; what does not fit goes first (fit time, MCC, the paired interval the verdict
    already sums up), and nothing is cut."""
    from rich.console import Console

    from clickpred.reporting.compare_report import leaderboard_table

    res = written[0]
    console = Console(width=width, record=True)
    console.print(leaderboard_table(res, width=width))
    text = console.export_text()
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= width and "…" not in text
    for row in res.leaderboard:
        for c in res.classes[1:]:
            assert f"{row['recall_' + c]:.3f} / {row['precision_' + c]:.3f}" in text
        assert f"{row['metric']:.4f} [{row['metric_low']:.4f}, {row['metric_high']:.4f}]" in text
    wide = Console(width=200, record=True)
    wide.print(leaderboard_table(res, width=200))
    wide_text = wide.export_text()
    assert "best − this" in wide_text and "MCC" in wide_text


def test_a_long_class_label_folds_in_its_header_and_squeezes_nothing(small_csv):
    """Long labels squeezed the leaderboard's columns to nothing: a long class label now folds within its
    column's header; every figure stays whole at 100 columns."""
    from rich.console import Console

    from clickpred.reporting.compare_report import leaderboard_table

    long = "conversion_after_a_very_long_campaign_name_2026"
    frame = pd.read_csv(small_csv).replace({"event": {"conversion": long}})
    res = compare(frame, classifiers=["logistic"], strategies=["none", "undersample"], folds=2, replicates=50)
    console = Console(width=100, record=True)
    console.print(leaderboard_table(res, width=100))
    text = console.export_text()
    assert max(len(line) for line in text.splitlines()) <= 100 and "…" not in text
    for row in res.leaderboard:
        assert f"{row['recall_' + long]:.3f} / {row['precision_' + long]:.3f}" in text
