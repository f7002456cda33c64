"""Red-team family 'output safety': no output replaces an input, no half-written result looks finished."""

import errno
import json
import os
import shutil
import signal

import pytest
from typer.testing import CliRunner

from clickpred.cli import app
from clickpred.errors import ClickpredError
from clickpred.io.writers import MANIFEST, check_targets

runner = CliRunner()


def _run(*args):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture()
def data(small_csv, tmp_path):
    path = tmp_path / "in.csv"
    shutil.copy(small_csv, path)
    return path


def _refused(res, message):
    assert res.exit_code == 1, res.output
    assert res.output.strip().splitlines()[-1] == f"Error: {message}"


def test_score_output_or_rejects_naming_the_input_or_the_model_is_refused(scoring_model, data, tmp_path):
    before = data.read_bytes()
    _refused(
        _run("score", scoring_model, data, "--output", data),
        f"--output {data}: is an input of this run ({data}): choose another path",
    )
    _refused(
        _run("score", scoring_model, data, "--output", tmp_path / "s.parquet", "--rejects", data),
        f"--rejects {data}: is an input of this run ({data}): choose another path",
    )
    model_copy = tmp_path / "m.skops"
    shutil.copy(scoring_model, model_copy)
    _refused(
        _run("score", model_copy, data, "--output", model_copy),
        f"--output {model_copy}: is an input of this run ({model_copy}): choose another path",
    )
    assert data.read_bytes() == before


def test_a_hard_link_to_the_input_is_the_input(scoring_model, data, tmp_path):
    link = tmp_path / "link.csv"
    os.link(data, link)
    res = _run("score", scoring_model, data, "--output", link)
    assert res.exit_code == 1 and "is an input of this run" in res.output


def test_an_output_inside_an_input_folder_is_refused(scoring_model, data, tmp_path):
    folder = tmp_path / "logs"
    folder.mkdir()
    shutil.copy(data, folder / "day1.csv")
    _refused(
        _run("score", scoring_model, folder, "--output", folder / "scores.parquet"),
        f"--output {folder / 'scores.parquet'}: inside the input folder {folder}: choose a path outside it",
    )


def test_train_model_naming_the_data_or_the_test_file_is_refused(data, tmp_path):
    test = tmp_path / "test.csv"
    shutil.copy(data, test)
    before = data.read_bytes()
    _refused(
        _run("train", data, "--model", data, "--report", tmp_path / "r"),
        f"--model {data}: is an input of this run ({data}): choose another path",
    )
    _refused(
        _run("train", data, "--test", test, "--model", test, "--report", tmp_path / "r"),
        f"--model {test}: is an input of this run ({test}): choose another path",
    )
    assert data.read_bytes() == before and not (tmp_path / "r").exists()


def test_evaluate_output_naming_the_data_or_the_model_is_refused(scoring_model, data):
    before = data.read_bytes()
    _refused(
        _run("evaluate", scoring_model, data, "--output", data),
        f"--output {data}: is an input of this run ({data}): choose another path",
    )
    _refused(
        _run("evaluate", scoring_model, data, "--output", scoring_model),
        f"--output {scoring_model}: is an input of this run ({scoring_model}): choose another path",
    )
    assert data.read_bytes() == before


def test_a_device_or_pipe_is_not_replaced_by_a_file(scoring_model, data, tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    _refused(
        _run("score", scoring_model, data, "--output", fifo),
        f"--output {fifo}: not a regular file (a device or a pipe): write to a file",
    )
    _refused(
        _run("train", data, "--model", fifo, "--report", tmp_path / "r"),
        f"--model {fifo}: not a regular file (a device or a pipe): write to a file",
    )
    with pytest.raises(ClickpredError, match="not a regular file"):
        check_targets([("--output", "/dev/null", False)], [])
    assert not fifo.is_file() and fifo.exists()


def test_rerunning_score_into_its_folder_removes_only_what_it_listed(scoring_model, data, tmp_path):
    out = tmp_path / "scores"
    assert _run("score", scoring_model, data, "--output", f"{out}/").exit_code == 0
    listed = set(json.loads((out / "_summary.json").read_text())["manifest"])
    assert listed == {p.name for p in out.iterdir()}
    assert _run("score", scoring_model, data, "--output", f"{out}/").exit_code == 0  # its own folder: replaced
    (out / "notes.txt").write_text("mine")
    _refused(
        _run("score", scoring_model, data, "--output", f"{out}/"),
        f"--output {out}: folder exists and holds files clickpred did not write there (notes.txt): choose another folder",
    )
    assert (out / "notes.txt").read_text() == "mine"
    (out / "notes.txt").unlink()
    shutil.copy(data, out / "today.csv")  # the run's own input inside the folder it would replace
    res = _run("score", scoring_model, out / "today.csv", "--output", f"{out}/")
    assert res.exit_code == 1 and (out / "today.csv").exists()


def test_a_full_disk_says_so_in_one_line_and_leaves_no_temp_files(scoring_model, data, tmp_path, monkeypatch):
    from clickpred.io import writers

    def full(self, *args):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(writers.PartWriter, "write", full)
    monkeypatch.setattr(writers.RejectsWriter, "close", full)  # the cleanup's own write fails too
    out = tmp_path / "out"
    out.mkdir()
    res = _run("score", scoring_model, data, "--output", out / "s.parquet")
    assert res.exit_code == 1
    assert res.output.strip().splitlines()[-1].endswith("no space left on device (nothing written)")
    assert list(out.iterdir()) == []


def test_sigterm_is_handled_like_ctrl_c(scoring_model, data, tmp_path, monkeypatch):
    from clickpred.io import writers

    real = writers.PartWriter.write

    def killed(self, table):
        os.kill(os.getpid(), signal.SIGTERM)
        return real(self, table)

    monkeypatch.setattr(writers.PartWriter, "write", killed)
    out = tmp_path / "out"
    out.mkdir()
    res = _run("score", scoring_model, data, data, "--output", f"{out / 'scores'}/", "--chunk-rows", 500)
    _refused(res, "interrupted (nothing written)")
    assert list(out.iterdir()) == []  # no hidden staging folder either
    assert signal.getsignal(signal.SIGTERM) is not None


def test_a_failed_train_leaves_the_previous_report_and_model_whole(data, tmp_path, monkeypatch):
    report, model = tmp_path / "r", tmp_path / "m.skops"
    fast = ("--classifier", "logistic", "--no-importance")  # what is written, not what is learnt, is under test
    assert _run("train", data, "--folds", 2, *fast, "--report", report, "--model", model).exit_code == 0
    assert MANIFEST in {p.name for p in report.iterdir()}
    before = {p.name: p.read_bytes() for p in report.iterdir()}
    model_before = model.read_bytes()
    from clickpred.reporting import train_report as report_module

    def broken(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(report_module, "render_html", broken)
    res = _run("train", data, "--folds", 2, *fast, "--seed", 7, "--report", report, "--model", model)
    assert res.exit_code == 1 and "no space left on device" in res.output
    assert {p.name: p.read_bytes() for p in report.iterdir()} == before
    assert model.read_bytes() == model_before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv", "m.skops", "r"]


def test_a_report_folder_holding_other_files_is_refused_before_training(data, tmp_path):
    report = tmp_path / "r"
    report.mkdir()
    (report / "thesis.tex").write_text("x")
    _refused(
        _run("train", data, "--report", report, "--model", tmp_path / "m.skops"),
        f"--report {report}: folder exists and holds files clickpred did not write there (thesis.tex): choose another folder",
    )
    assert (report / "thesis.tex").exists() and not (tmp_path / "m.skops").exists()


def test_plan_outputs_is_the_one_check_before_any_work(tmp_path):
    """File targets that are folders, unwritable places, outputs over inputs and foreign folders: one line each."""
    from clickpred.errors import ClickpredError
    from clickpred.io.writers import make_folder, plan_outputs

    data = tmp_path / "data.csv"
    data.write_text("a,b\n1,2\n")
    (tmp_path / "folder").mkdir()
    with pytest.raises(ClickpredError, match=r"model .*folder: cannot write there \(a folder\)"):
        plan_outputs([("--model", tmp_path / "folder", False)], [data])
    with pytest.raises(ClickpredError, match=r"output .*data\.csv"):
        plan_outputs([("--output", data, False)], [data])
    (tmp_path / "foreign").mkdir()
    (tmp_path / "foreign" / "notes.txt").write_text("mine")
    with pytest.raises(ClickpredError, match=r"report .*foreign"):
        plan_outputs([("--report", tmp_path / "foreign", True)], [data])
    blocker = tmp_path / "blocker"
    blocker.write_text("x")
    with pytest.raises(ClickpredError, match=r"report .*blocker/sub: cannot write there"):
        make_folder(blocker / "sub", "--report")
    plan_outputs([("--model", tmp_path / "m.skops", False), ("--report", tmp_path / "r", True)], [data])  # fine


def test_two_runs_committing_one_folder_end_with_one_whole(tmp_path, monkeypatch):
    """Two runs committing the same report folder at once could fail with ENOTEMPTY (the second rename met the
    first run's folder): the later one moves it aside and tries again; the folder is one run's, whole."""
    import errno
    import os

    import clickpred.io.writers as writers

    final = tmp_path / "report"
    final.mkdir()
    (final / "metrics.json").write_text("old")
    stage = tmp_path / ".report.tmp"
    stage.mkdir()
    (stage / "metrics.json").write_text("new")
    real, raced = os.replace, []

    def replace(src, dst):
        if str(src) == str(stage) and not raced:  # another run swaps its folder in between
            raced.append(1)
            os.makedirs(dst, exist_ok=True)
            (dst / "metrics.json").write_text("other run")
            raise OSError(errno.ENOTEMPTY, "Directory not empty")
        return real(src, dst)

    monkeypatch.setattr(writers.os, "replace", replace)
    writers.swap_in(stage, final)
    assert (final / "metrics.json").read_text() == "new" and raced
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report"]  # no stage, no old folders left
