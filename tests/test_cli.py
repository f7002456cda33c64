"""The CLI through typer's CliRunner: exit codes and exact one-line errors, never a traceback."""

import json
import re

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from clickpred.cli import app

from .conftest import ROOT, write

runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


def one_line_error(result, pattern):
    assert result.exit_code == 1, result.output
    out = result.output.strip()
    assert "Traceback" not in out
    lines = [line for line in out.splitlines() if line.startswith("Error:")]
    assert len(lines) == 1, out
    assert re.search(pattern, lines[0]), lines[0]


@pytest.fixture(scope="module")
def trained(small_csv, tmp_path_factory):
    d = tmp_path_factory.mktemp("cli")
    res = run("train", small_csv, "--folds", "3", "--report", d / "rep", "--model", d / "m.skops")
    assert res.exit_code == 0, res.output
    return d, res


def test_train_prints_summary_and_paths_and_writes_files(trained):
    d, res = trained
    assert "auto-none — 3-fold stratified CV" in res.output  # the defaults: auto, no rebalancing
    assert "note: classifier auto: out-of-fold PR-AUC of click (3 folds on " in res.output
    assert "PR-AUC" in res.output and "click" in res.output and "conversion" in res.output
    assert f"model:  {d / 'm.skops'}" in res.output
    assert f"report: {d / 'rep' / 'report.html'}" in res.output
    assert "note: target column: 'event' (detected" in res.output
    assert "what drives click (PR-AUC drop when shuffled, 95% interval over folds): " in res.output
    for name in ("metrics.json", "report.html", "confusion_matrix.png", "pr_curves.png", "importance.png"):
        assert (d / "rep" / name).is_file()


def test_score_warns_of_drift_in_one_line_and_shows_the_table_when_asked(trained, small_csv, tmp_path):
    d, _ = trained
    frame = pd.read_csv(small_csv)
    frame["os"] = "plan9"
    frame.to_csv(tmp_path / "moved.csv", index=False)
    res = run("score", d / "m.skops", tmp_path / "moved.csv", "-o", tmp_path / "s.parquet")
    assert res.exit_code == 0, res.output
    warning = [line for line in res.output.splitlines() if line.startswith("WARNING: drift: ")]
    assert len(warning) == 1 and "os (PSI " in warning[0] and "100.0% unseen" in warning[0]
    assert "drift against training" not in res.output
    res = run("score", d / "m.skops", tmp_path / "moved.csv", "-o", tmp_path / "t.parquet", "--drift")
    assert "drift against training" in res.output and "user_age_days" in res.output
    calm = run("score", d / "m.skops", small_csv, "-o", tmp_path / "u.parquet", "--drift-threshold", "100")
    assert calm.exit_code == 0 and "WARNING: drift" not in calm.output
    one_line_error(
        run("score", d / "m.skops", small_csv, "-o", tmp_path / "v.parquet", "--drift-threshold", "0"),
        r"--drift-threshold must be a positive number",
    )


def test_train_without_importance_measures_none(small_csv, tmp_path):
    res = run(
        "train",
        small_csv,
        "--folds",
        "2",
        "--no-importance",
        "--report",
        tmp_path / "r",
        "--model",
        tmp_path / "m.skops",
    )
    assert res.exit_code == 0, res.output
    assert "what drives" not in res.output and not (tmp_path / "r" / "importance.png").exists()
    m = json.loads((tmp_path / "r" / "metrics.json").read_text())
    assert m["importance"] is None and "importance_seconds" not in m["timings"]


def test_metrics_json_has_the_documented_keys(trained):
    d, _ = trained
    m = json.loads((d / "rep" / "metrics.json").read_text())
    assert m["classes"] == ["view", "click", "conversion"]
    for c in m["classes"]:
        assert set(m["per_class"][c]) >= {"precision", "recall", "f1", "pr_auc", "roc_auc", "support"}
    assert m["confusion_matrix"]["labels"] == m["classes"] and len(m["confusion_matrix"]["counts"]) == 3
    assert m["spec"]["classifier"]["name"] == "logistic" and m["seed"] == 42
    assert len(m["data"]["sha256"]) == 64 and m["data"]["n_rows"] == 4000
    assert m["versions"]["scikit-learn"] and m["versions"]["imbalanced-learn"]
    assert m["primary"] == "cv" and m["log_loss"] > 0


def test_info_prints_the_metadata(trained):
    d, _ = trained
    res = run("info", d / "m.skops")
    assert res.exit_code == 0, res.output
    assert "auto-none" in res.output and "classes: view, click, conversion" in res.output
    assert "classifier auto: out-of-fold PR-AUC of click" in res.output
    assert "site_id (id)" in res.output and "PR-AUC" in res.output
    assert "probabilities: correction " in res.output and "decision rule: auto" in res.output
    assert "what drives click (PR-AUC drop when shuffled" in res.output


def test_same_command_same_data_same_model_and_report(small_csv, tmp_path, trained):
    d, _ = trained
    res = run("train", small_csv, "--folds", "3", "--report", tmp_path / "rep", "--model", tmp_path / "m.skops")
    assert res.exit_code == 0
    a = json.loads((d / "rep" / "metrics.json").read_text())
    b = json.loads((tmp_path / "rep" / "metrics.json").read_text())
    for volatile in ("created", "timings", "cv_fit_seconds"):
        a.pop(volatile), b.pop(volatile)
    a["data"].pop("path"), b["data"].pop("path")
    assert a == b


def test_pipeline_spec_and_flags(small_csv, tmp_path):
    res = run(
        "train",
        small_csv,
        "--pipeline",
        ROOT / "pipelines" / "svm-undersample.toml",
        "--folds",
        "2",
        "--report",
        tmp_path / "r",
        "--model",
        tmp_path / "m.skops",
    )
    assert res.exit_code == 0, res.output
    m = json.loads((tmp_path / "r" / "metrics.json").read_text())
    # decision values are calibrated into probabilities on out-of-fold scores
    assert m["name"] == "svm-undersample" and m["score_kind"] == "probability" and m["log_loss"] > 0
    assert m["cv"]["correction"]["method"] in ("sigmoid", "isotonic", "temperature")


def test_held_out_test_file_is_the_headline(sim_csv, small_csv, tmp_path):
    res = run(
        "train",
        small_csv,
        "--test",
        sim_csv,
        "--folds",
        "2",
        "-s",
        "none",
        "--report",
        tmp_path / "r",
        "--model",
        tmp_path / "m.skops",
    )
    assert res.exit_code == 0, res.output
    m = json.loads((tmp_path / "r" / "metrics.json").read_text())
    assert (
        m["primary"] == "test"
        and m["per_class"]["view"]["support"]
        + m["per_class"]["click"]["support"]
        + m["per_class"]["conversion"]["support"]
        == 20_000
    )
    assert m["cv"]["n_rows"] == 4000
    assert "held-out" in res.output


def test_time_ordered_split(small_csv, tmp_path):
    res = run(
        "train",
        small_csv,
        "--split-by",
        "timestamp",
        "--folds",
        "2",
        "--report",
        tmp_path / "r",
        "--model",
        tmp_path / "m.skops",
    )
    assert res.exit_code == 0, res.output
    m = json.loads((tmp_path / "r" / "metrics.json").read_text())
    assert m["primary"] == "test" and m["test"]["n_rows"] == 800 and m["cv"]["n_rows"] == 3200


def test_simulate_command(tmp_path):
    res = run("simulate", "--rows", 500, "--seed", 1, "--output", tmp_path / "s.csv", "--truth", tmp_path / "t.csv")
    assert res.exit_code == 0 and "wrote 500 rows" in res.output and (tmp_path / "t.csv").is_file()


# ------------------------------------------------------------- bad input → one line, exit 1

GOOD = "site,price,event\n" + "".join(f"s{i % 7},{i * 0.5},{'click' if i % 10 == 0 else 'view'}\n" for i in range(100))


@pytest.mark.parametrize(
    "content, args, pattern",
    [
        (None, [], r"^Error: .*missing\.csv: file not found$"),
        ("", [], r"^Error: .*data\.csv: file is empty$"),
        ("a,b,event\n", [], r"has a header but no data rows"),
        (GOOD, ["--target", "nope"], r"target column 'nope' not found; columns: site, price, event"),
        ("x,event\n" + "1,view\n" * 30, [], r"has a single class \('view'\)"),
        (
            GOOD.replace("s3,1.5,", "s3,abc,", 1),
            [],
            r"column 'price' is numeric but has 1 non-numeric value\(s\): line 5 \('abc'\)",
        ),
        (
            GOOD.replace("s3,1.5,view", "s3,1.5,view,x", 1),
            [],
            r"1 row\(s\) with the wrong number of fields \(lines 5\)",
        ),
        (
            GOOD.encode().replace(b"s3,1.5", b"s\xff3,1.5", 1),
            [],
            r"column 'site' has bytes that are not UTF-8 at line 5",
        ),
        (
            "a,b,event\n" + "".join(f"{i},,{'c' if i % 4 == 0 else 'v'}\n" for i in range(20)),
            [],
            r"column 'b' is empty in every row",
        ),
        (
            GOOD,
            ["--classifier", "xgb"],
            r"unknown classifier 'xgb' .*valid: auto, logistic, svm, svm-rbf, svm-nystroem, mlp",
        ),
        (
            GOOD,
            ["--strategy", "adasyn"],
            r"unknown strategy 'adasyn' .*valid: none, class_weight, oversample, smote, undersample",
        ),
        (GOOD, ["--folds", "20"], r"class 'click' has 10 row\(s\), fewer than --folds 20: use --folds 10"),
        (GOOD, ["--drop", "zzz"], r"--drop zzz: no such feature column"),
        (GOOD, ["--split-by", "when"], r"--split-by when: no such feature column"),
    ],
)
def test_bad_input_gives_one_line_and_exit_1(tmp_path, content, args, pattern):
    path = tmp_path / ("missing.csv" if content is None else "data.csv")
    if content is not None:
        write(path, content)
    res = run("train", path, *args, "--report", tmp_path / "r", "--model", tmp_path / "m.skops")
    one_line_error(res, pattern)


def test_malformed_spec(tmp_path):
    spec = write(tmp_path / "bad.toml", "[classifier\n")
    res = run("train", write(tmp_path / "d.csv", GOOD), "--pipeline", spec)
    one_line_error(res, r"bad\.toml: malformed TOML")


def test_output_that_cannot_be_written(tmp_path):
    blocker = write(tmp_path / "blocker", "x")
    data = write(tmp_path / "d.csv", GOOD)
    one_line_error(
        run("train", data, "--model", blocker / "m.skops", "--report", tmp_path / "r"),
        r"--model .*blocker/m\.skops: cannot write there",
    )
    one_line_error(
        run("train", data, "--model", tmp_path / "m.skops", "--report", blocker / "r"),
        r"--report .*blocker/r/metrics\.json: cannot write there",
    )


def test_svm_rbf_over_its_limit_suggests_nystroem(small_csv, tmp_path):
    spec = write(tmp_path / "rbf.toml", '[classifier]\nname = "svm-rbf"\nmax_rows = 1000\n[strategy]\nname = "none"\n')
    res = run("train", small_csv, "--pipeline", spec, "--report", tmp_path / "r", "--model", tmp_path / "m.skops")
    # the final fit on all 4,000 rows is the first task of the pool (the longest first); a fold would refuse 3,200
    one_line_error(res, r"svm-rbf refuses to fit 4,000 rows \(limit 1,000.*use classifier 'svm-nystroem'")


def test_info_on_bad_model_files(tmp_path):
    one_line_error(run("info", tmp_path / "nope.skops"), r"model file not found")
    one_line_error(run("info", write(tmp_path / "x.skops", "hello")), r"not a clickpred model file")


def test_every_command_has_an_example_and_is_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    for cmd in app.registered_commands:
        name = cmd.name or cmd.callback.__name__
        assert "Example: clickpred " + name in (cmd.callback.__doc__ or ""), name
        assert f"clickpred {name}" in readme, name


def test_score_prints_the_accounting_and_the_drift_table(trained, small_csv, tmp_path):
    d, _ = trained
    res = run("score", d / "m.skops", small_csv, "--output", tmp_path / "s.parquet", "--keep", "impression_id")
    assert res.exit_code == 0, res.output
    assert "4,000 rows read = 4,000 scored + 0 rejected" in res.output
    assert "training prevalence" in res.output and "compiled linear scorer" in res.output
    assert f"rejects: {tmp_path / 's.rejects.csv'}" in res.output
    quiet = run("score", d / "m.skops", small_csv, "-o", tmp_path / "q.csv", "--quiet")
    assert quiet.exit_code == 0 and "training prevalence" not in quiet.output
    assert (tmp_path / "q.csv").read_text().splitlines()[0].replace('"', "") == "p_view,p_click,p_conversion,prediction"


@pytest.mark.parametrize(
    "args, pattern",
    [
        (["{model}", "{tmp}/none.csv"], r"^Error: .*none\.csv: file not found$"),
        (["{tmp}/none.skops", "{data}"], r"^Error: .*none\.skops: model file not found$"),
        (["{data}", "{data}"], r"small\.csv: not a clickpred model file \(not a skops archive\)$"),
        (
            ["{pickle}", "{data}"],
            r"model\.pkl: is a pickle/joblib file, and loading one can run arbitrary code: pass --trust-pickle",
        ),
        (["{model}", "{data}", "--engine", "spark"], r"--engine must be local or dask, got 'spark'"),
        (["{model}", "{data}", "--scheduler", "tcp://x:1"], r"--scheduler needs --engine dask"),
        (["{model}", "{data}", "--max-reject-rate", "2"], r"--max-reject-rate must be between 0 and 1, got 2\.0"),
        (["{model}", "{data}", "--chunk-rows", "0"], r"--chunk-rows must be at least 1, got 0"),
    ],
)
def test_score_bad_input_is_one_line(trained, small_csv, tmp_path, args, pattern):
    import pickle

    d, _ = trained
    (tmp_path / "model.pkl").write_bytes(pickle.dumps({"x": 1}))
    fill = {"model": d / "m.skops", "data": small_csv, "tmp": tmp_path, "pickle": tmp_path / "model.pkl"}
    args = [a.format(**fill) for a in args]
    one_line_error(run("score", *args, "--output", tmp_path / "out.parquet"), pattern)
    assert not (tmp_path / "out.parquet").exists()


def test_evaluate_prints_the_table_and_writes_json(trained, sim_csv, small_csv, tmp_path):
    d, _ = trained
    res = run("evaluate", d / "m.skops", sim_csv, "--output", tmp_path / "m.json")
    assert res.exit_code == 0, res.output
    assert "(20,000 rows" in res.output and "PR-AUC" in res.output
    assert json.loads((tmp_path / "m.json").read_text())["data"]["n_rows"] == 20_000
    same = run("evaluate", d / "m.skops", small_csv)
    assert same.exit_code == 0 and "WARNING" in same.output and "not a validation" in same.output


def test_compare_prints_the_leaderboard_and_writes_the_report(small_csv, tmp_path):
    res = run(
        "compare",
        small_csv,
        "--classifiers",
        "logistic",
        "--strategies",
        "none,undersample",
        "--folds",
        "2",
        "--report",
        tmp_path / "cmp",
    )
    assert res.exit_code == 0, res.output
    assert "sorted by PR-AUC of click" in res.output and "logistic-undersample" in res.output
    assert "has the best PR-AUC for click" in res.output
    assert (tmp_path / "cmp" / "report.html").exists() and (tmp_path / "cmp" / "leaderboard.csv").exists()


def test_compare_races_unless_exhaustive_and_prints_what_racing_eliminated(small_csv, tmp_path, monkeypatch):
    import clickpred.jobs.compare as compare_module

    real, seen = compare_module.compare, []

    def raced(*args, **kwargs):  # a 4,000-row file is too small to race by default: race it from 400 rows
        seen.append(kwargs["racing"])
        return real(*args, **kwargs, race_rows=400)

    monkeypatch.setattr(compare_module, "compare", raced)
    args = ["compare", small_csv, "--classifiers", "logistic,svm-rbf", "--strategies", "none,smote"]
    args += ["--folds", "2", "--report", tmp_path / "c"]
    res = run(*args)
    assert res.exit_code == 0, res.output
    assert "eliminated by racing (round 1: " in res.output and "Racing eliminated" in res.output
    assert "status" in (tmp_path / "c" / "leaderboard.csv").read_text().splitlines()[0]
    res = run(*args[:-1], tmp_path / "e", "--exhaustive")
    assert res.exit_code == 0, res.output
    assert "eliminated by racing" not in res.output and seen == [True, False]


def test_compare_ends_with_the_command_that_trains_its_winner_and_that_command_does(small_csv, tmp_path):
    import shlex

    res = run(
        "compare",
        small_csv,
        "--classifiers",
        "logistic",
        "--strategies",
        "none,undersample",
        "--folds",
        "2",
        "--seed",
        "3",
        "--drop",
        "impression_id",
        "--report",
        tmp_path / "cmp",
    )
    assert res.exit_code == 0, res.output
    board = json.loads((tmp_path / "cmp" / "leaderboard.json").read_text())
    winner = board["leaderboard"][0] if isinstance(board, dict) else board[0]
    line = res.output.strip().splitlines()[-1]
    assert line.startswith("train the winner: clickpred train "), line
    words = shlex.split(line.removeprefix("train the winner: "))
    assert words[words.index("--strategy") + 1] == winner["strategy"] and "--seed" in words and "--drop" in words
    trained = run(*words[1:], "--model", tmp_path / "w.skops", "--report", tmp_path / "w")
    assert trained.exit_code == 0, trained.output
    metrics = json.loads((tmp_path / "w" / "metrics.json").read_text())
    assert metrics["spec"]["strategy"]["name"] == winner["strategy"] and metrics["spec"]["folds"] == 2
    assert metrics["spec"]["seed"] == 3


def test_version_and_short_help():
    from clickpred import __version__

    res = run("--version")
    assert res.exit_code == 0 and res.output.strip() == f"clickpred {__version__}"
    assert run("-h").output == run("--help").output and "compare" in run("-h").output
    assert run("train", "-h").exit_code == 0 and "--classifier" in run("train", "-h").output


@pytest.mark.parametrize(
    "args, pattern",
    [
        (["--classifiers", "forest"], r"^Error: --classifiers forest: unknown classifier"),
        (["--metric", "pr_auc:nope"], r"^Error: --metric pr_auc:nope: expected pr_auc:CLASS"),
        (["--pipelines", "nowhere/*.toml"], r"^Error: --pipelines nowhere/\*\.toml: no spec files match$"),
    ],
)
def test_compare_bad_options_are_one_line(small_csv, tmp_path, args, pattern):
    one_line_error(run("compare", small_csv, *args, "--report", tmp_path / "cmp"), pattern)


def test_compare_checks_the_report_folder_before_fitting(small_csv, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    one_line_error(
        run("compare", small_csv, "--classifiers", "logistic", "--report", blocker / "sub"),
        r"^Error: --report .*file/sub: cannot write there",
    )


COSTS = "[costs.conversion]\nview = 50\nclick = 10\n[costs.click]\nview = 5\n[costs.view]\nclick = 1\nconversion = 1\n"


def test_compare_sorted_by_cost_prints_and_reports_it(small_csv, tmp_path):
    import json

    import pandas as pd

    costs = write(tmp_path / "costs.toml", COSTS)
    res = run(
        "compare",
        small_csv,
        "--classifiers",
        "logistic",
        "--strategies",
        "none,undersample",
        "--folds",
        "2",
        "--costs",
        costs,
        "--report",
        tmp_path / "cmp",
    )
    assert res.exit_code == 0, res.output
    assert "sorted by mean cost per row under costs.toml (lower is better)" in res.output
    assert "cost per row [95% CI]" in res.output and "has the lowest cost per row under costs.toml" in res.output
    lb = pd.read_csv(tmp_path / "cmp" / "leaderboard.csv")
    assert lb["metric"].is_monotonic_increasing and (lb["metric"] == lb["cost_per_row"]).all()
    assert {"cost_per_row_argmax", "cost_nothing_flagged", "recall_rule_click"} <= set(lb.columns)
    doc = json.loads((tmp_path / "cmp" / "leaderboard.json").read_text())
    assert doc["metric"] == "cost" and doc["costs"].endswith("costs.toml")
    html = (tmp_path / "cmp" / "report.html").read_text()
    assert "cost per row [95% CI]" in html and "this − best" in html and "cost: flag nothing" in html
    one_line_error(
        run("compare", small_csv, "--metric", "cost", "--report", tmp_path / "c2"),
        r"^Error: --metric cost needs --costs FILE",
    )


def test_train_with_a_cost_rule_reports_it_and_score_applies_it(small_csv, tmp_path):
    import pandas as pd

    costs = write(tmp_path / "costs.toml", COSTS)
    res = run(
        "train",
        small_csv,
        "--folds",
        "3",
        "--decision",
        "cost",
        "--costs",
        costs,
        "--report",
        tmp_path / "r",
        "--model",
        tmp_path / "m.skops",
    )
    assert res.exit_code == 0, res.output
    assert re.search(r"decision\s+rule:\s+cost", res.output)
    assert "decision rule cost: thresholds click " in res.output and "mean cost per row" in res.output
    doc = json.loads((tmp_path / "r" / "metrics.json").read_text())
    d = doc["decision"]
    assert d["kind"] == "cost" and set(d["thresholds"]) == {"click", "conversion"}
    assert set(d["cost_per_row"]) == {"rule", "argmax", "nothing_flagged", "bayes_untuned"}
    assert d["cost_per_row"]["rule"] <= d["cost_per_row"]["nothing_flagged"]
    html = (tmp_path / "r" / "report.html").read_text()
    assert "Decision rule: cost" in html and "Mean cost per row" in html
    # score uses the saved rule; --decision re-tunes another on the out-of-fold sample the model keeps
    out = run("score", tmp_path / "m.skops", small_csv, "--output", tmp_path / "s.parquet", "-q")
    assert out.exit_code == 0, out.output
    top = run("score", tmp_path / "m.skops", small_csv, "--output", tmp_path / "t.parquet", "--decision", "top:10%")
    assert top.exit_code == 0 and "decision top:10%" in top.output
    from clickpred.model.modelfile import load_model

    sample = load_model(tmp_path / "m.skops").decision_sample  # the out-of-fold probabilities train kept
    t = float(np.quantile(1 - sample["probabilities"][:, 0].astype(float), 0.9, method="higher"))
    scored = pd.read_parquet(tmp_path / "t.parquet")
    flagged = (1 - scored["p_view"]) >= t
    assert ((scored["prediction"] != "view") == flagged).all()
    assert (np.mean(1 - sample["probabilities"][:, 0] >= t)) == pytest.approx(0.10, abs=0.002)


def test_train_with_recall_targets(small_csv, tmp_path):
    res = run(
        "train",
        small_csv,
        "--folds",
        "3",
        "--decision",
        "recall:click=0.5",
        "--report",
        tmp_path / "r",
        "--model",
        tmp_path / "m.skops",
    )
    assert res.exit_code == 0, res.output
    d = json.loads((tmp_path / "r" / "metrics.json").read_text())["decision"]
    assert (
        d["label"] == "recall:click=0.5" and d["per_class"]["click"]["recall"] >= 0.4
    )  # cross-fitted: near the target


@pytest.mark.parametrize(
    "args, pattern",
    [
        (["--decision", "cost"], r"^Error: --decision cost: needs --costs FILE"),
        (
            ["--decision", "recall:purchase=0.5"],
            r"^Error: --decision recall:purchase=0\.5: 'purchase' is not a minority class",
        ),
        (["--decision", "cost", "--costs", "{tmp}/none.toml"], r"^Error: --costs .*none\.toml: file not found$"),
        (["--calibration", "platt"], r"^Error: --calibration platt: expected one of auto, none, prior"),
        (["--funnel", "view,click"], r"^Error: --funnel view,click: must name every class of the data once"),
        (
            ["--calibration", "none", "--decision", "top:5%", "--classifier", "svm"],
            r"^Error: --decision top:5%: needs probabilities",
        ),
        (["--holdout", "0.1", "--engine", "dask"], r"^Error: --holdout, --engine: only with --negative-rate"),
        (["--negative-rate", "auto", "--split-by", "timestamp"], r"^Error: --split-by: not with --negative-rate"),
    ],
)
def test_bad_decision_options_are_one_line(small_csv, tmp_path, args, pattern):
    args = [a.format(tmp=tmp_path) for a in args]
    one_line_error(
        run("train", small_csv, "--folds", "2", *args, "--report", tmp_path / "r", "--model", tmp_path / "m.skops"),
        pattern,
    )


def test_evaluate_with_costs_reports_the_cost_per_row(trained, sim_csv, tmp_path):
    d, _ = trained
    costs = write(tmp_path / "costs.toml", COSTS)
    res = run(
        "evaluate", d / "m.skops", sim_csv, "--decision", "cost", "--costs", costs, "--output", tmp_path / "m.json"
    )
    assert res.exit_code == 0, res.output
    doc = json.loads((tmp_path / "m.json").read_text())
    assert doc["decision"] == "cost" and set(doc["cost_per_row"]) == {
        "rule",
        "argmax",
        "nothing_flagged",
        "bayes_untuned",
    }
    assert "mean cost per row: cost " in res.output


def test_an_option_shared_by_commands_means_the_same_in_each():
    """--jobs, --sep, --target, … are defined once: the same help (and so the same meaning) wherever they appear."""
    import typer.main

    group = typer.main.get_command(app)
    helps: dict[str, set[str]] = {}
    for command in group.commands.values():
        for param in command.params:
            for opt in getattr(param, "opts", []):
                helps.setdefault(opt, set()).add(param.help or "")
    for opt in (
        "--jobs",
        "--sep",
        "--target",
        "--drop",
        "--categorical",
        "--numeric",
        "--trust-pickle",
        "--calibration",
    ):
        assert len(helps[opt]) == 1, (opt, helps[opt])
    assert "0, auto" in next(iter(helps["--jobs"])) and "1: all in this process" in next(iter(helps["--jobs"]))


@pytest.mark.parametrize(
    "args, first",
    [
        (["train", "logs.csv"], "train: reading logs.csv …"),
        (["compare", "logs.csv"], "compare: reading logs.csv …"),
        (["score", "m.skops", "logs.csv", "--output", "s.csv"], "score: loading m.skops …"),
        (["evaluate", "m.skops", "logs.csv"], "evaluate: loading m.skops …"),
    ],
)
def test_on_a_terminal_a_command_says_what_it_does_before_the_library_loads(monkeypatch, tmp_path, args, first):
    """Commands printed nothing for seconds (the libraries loading, then the data): on a terminal the first line
    now comes before the library is called (and its scikit-learn imported). The library call each command makes
    fails here: only what was printed before it matters."""
    import io

    from rich.console import Console

    import clickpred.cli as cli

    stream = io.StringIO()
    monkeypatch.setattr(cli, "err", Console(file=stream, force_terminal=True, width=200, color_system=None))
    monkeypatch.chdir(tmp_path)
    import clickpred.api.commands as commands
    from clickpred.errors import ClickpredError

    def stop(*args, **kwargs):
        raise ClickpredError("stopped here")

    for name in ("make_spec", "check_compare_report", "score_files", "evaluate"):
        monkeypatch.setattr(commands, name, stop)
    result = runner.invoke(app, args)
    assert result.exit_code != 0
    assert stream.getvalue().splitlines()[0] == first


def test_the_command_pauses_collection_only_while_its_modules_load(scoring_model, small_csv, tmp_path):
    """The ``clickpred`` console script (``main``) pauses garbage collection while the command's modules load
    (~0.25 s of every command's start-up), then freezes what they created and resumes it before any work; a usage
    error leaves it as it was. A fresh process: the collector's state is the process's."""
    import subprocess
    import sys

    probe = (
        "import gc, sys\n"
        "from clickpred import cli\n"
        "seen, imported = [], cli._imported\n"
        "def spy(module):\n"
        "    seen.append(gc.isenabled())\n"
        "    imported(module)\n"
        "    seen.append((gc.isenabled(), gc.get_freeze_count() > 0))\n"
        "cli._imported = spy\n"
        "sys.argv = ['clickpred', *sys.argv[1:]]\n"
        "try:\n"
        "    cli.main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(seen, gc.isenabled())\n"
    )
    argv = {
        "score": ["score", str(scoring_model), str(small_csv), "--output", str(tmp_path / "s.csv"), "--quiet"],
        "info": ["info", str(scoring_model)],
        "usage error": ["score", "--no-such-option"],
    }
    said = {}
    for name, args in argv.items():
        run_ = subprocess.run([sys.executable, "-c", probe, *args], capture_output=True, text=True)
        said[name] = run_.stdout.strip().splitlines()[-1]
    assert said["score"] == "[False, (True, True)] True"
    assert said["info"] == "[False, (True, True)] True"
    assert said["usage error"] == "[] True"
    assert (tmp_path / "s.csv").is_file()


def test_the_cli_from_python_leaves_the_collector_alone(trained):
    """``app`` called from Python (a notebook, these tests) does not pause or freeze anything."""
    import gc

    frozen = gc.get_freeze_count()
    d, _ = trained
    res = run("info", d / "m.skops")
    assert res.exit_code == 0, res.output
    assert gc.isenabled() and gc.get_freeze_count() == frozen
