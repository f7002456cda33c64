"""Red-team family 'text escaping': user text reaches the terminal, figures and spreadsheets as text."""

import csv

import pandas as pd
from typer.testing import CliRunner

from clickpred.cli import app
from clickpred.text import for_spreadsheet, for_terminal, plain

runner = CliRunner()


def _relabelled(small_csv, tmp_path):
    d = pd.read_csv(small_csv)
    d["event"] = d["event"].map({"view": "view", "click": "[/]click", "conversion": "$\\foo$ \x1b[31mconv"})
    path = tmp_path / "labels.csv"
    d.to_csv(path, index=False)
    return path


def test_markup_mathtext_and_escape_sequences_in_labels(small_csv, tmp_path):
    path = _relabelled(small_csv, tmp_path)
    res = runner.invoke(
        app, ["train", str(path), "--folds", "2", "--report", str(tmp_path / "r"), "--model", str(tmp_path / "m.skops")]
    )
    assert res.exit_code == 0, res.output
    assert "[/]click" in res.output and "$\\foo$ [31mconv" in res.output  # as text, the ESC byte stripped
    assert "\x1b" not in res.output
    assert (tmp_path / "r" / "pr_curves.png").exists()  # mathtext off: the figure was drawn
    info = runner.invoke(app, ["info", str(tmp_path / "m.skops")])
    assert info.exit_code == 0 and "[/]click" in info.output and "\x1b" not in info.output
    res = runner.invoke(
        app,
        [
            "compare",
            str(path),
            "--classifiers",
            "logistic",
            "--strategies",
            "none,undersample",
            "--folds",
            "2",
            "--report",
            str(tmp_path / "c"),
        ],
    )
    assert res.exit_code == 0, res.output
    assert "\x1b" not in res.output and (tmp_path / "c" / "report.html").exists()


def test_cells_a_spreadsheet_would_run_are_quoted(scoring_model, small_csv, tmp_path):
    lines = small_csv.read_text().splitlines()
    lines.insert(5, '=HYPERLINK("http://evil"),x')  # a row with the wrong number of fields: rejected, raw kept
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join(lines) + "\n")
    res = runner.invoke(app, ["score", str(scoring_model), str(bad), "--output", str(tmp_path / "s.csv")])
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader(open(tmp_path / "s.rejects.csv")))
    assert rows[0]["raw"] == "'" + '=HYPERLINK("http://evil"),x'
    assert [for_spreadsheet(v) for v in ("+1", "-x", "@a", "ok", 3)] == ["'+1", "'-x", "'@a", "ok", 3]


def test_helpers():
    assert plain("a\x1b[2Jb\x07c\td\n") == "a[2Jbc\td\n"
    assert for_terminal("[bold]x[/]") == "\\[bold]x\\[/]"


def test_spec_names_become_safe_file_names(small_csv, tmp_path, monkeypatch):
    from clickpred.modeling.spec import spec_from_dict

    for name, safe in [("../../etc/x", "etc_x"), ("/abs/path", "abs_path"), ("a/b", "a_b"), ("..", "model")]:
        assert spec_from_dict({"name": name}).name == safe
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    spec = tmp_path / "s.toml"
    spec.write_text('name = "../../escape"\n[evaluation]\nfolds = 2\n')
    res = runner.invoke(app, ["train", str(small_csv), "--pipeline", str(spec)])
    assert res.exit_code == 0, res.output
    assert (work / "models" / "escape.skops").exists() and (work / "reports" / "escape" / "report.html").exists()
    assert not (tmp_path / "escape").exists() and not (tmp_path / "escape.skops").exists()


def test_figures_escape_user_text_but_keep_their_own_mathtext(tmp_path):
    from matplotlib.ticker import LogFormatterSciNotation

    from clickpred.reporting.train_report import pyplot, save_figure

    plt = pyplot()
    fig, ax = plt.subplots()
    ax.plot([1e-3, 1e-1], [1e-3, 1e-1])
    ax.set_xscale("log")
    ax.set_title("$\\foo$ class")
    ax.set_yticks([0.01, 0.05], ["$\\bar$", "b"])
    save_figure(fig, tmp_path / "f.png")
    assert (tmp_path / "f.png").read_bytes()[:4] == b"\x89PNG"
    assert ax.get_title() == "\\$\\foo\\$ class"
    assert isinstance(ax.xaxis.get_major_formatter(), LogFormatterSciNotation)  # 10^k ticks keep their mathtext
