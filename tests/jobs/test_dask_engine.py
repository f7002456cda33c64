"""The Dask engine gives the local engine's scores and rejects, on a LocalCluster on loopback."""

import csv
import glob
import gzip

import numpy as np
import pandas as pd
import pytest

distributed = pytest.importorskip("distributed")

from clickpred.errors import ClickpredError, DataError  # noqa: E402
from clickpred.jobs.dask_engine import score_dask  # noqa: E402
from clickpred.jobs.score import score  # noqa: E402


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=":0"
    ) as c:
        yield c.scheduler_address


@pytest.fixture(scope="module")
def messy(small_csv, tmp_path_factory):
    """small_csv with a few bad lines: wrong field counts and a bad number."""
    d = tmp_path_factory.mktemp("messy")
    lines = small_csv.read_text().splitlines()
    out = [lines[0]]
    for i, line in enumerate(lines[1:], start=1):
        out.append(line)
        if i % 500 == 0:
            out.append("short,line")
        if i % 777 == 0:
            fields = line.split(",")
            fields[10] = "lots"
            out.append(",".join(fields))
    path = d / "messy.csv"
    path.write_text("\n".join(out) + "\n")
    return path


def _parts(folder):
    files = sorted(glob.glob(str(folder / "*.parquet")))
    return pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)


def _rejects(path):
    with open(path, newline="") as fh:
        return [(r["source"], r["line"], r["reason"], r["raw"]) for r in csv.DictReader(fh)]


def test_same_scores_and_rejects_as_the_local_engine(cluster, scoring_model, messy, tmp_path):
    local = score(scoring_model, [messy], tmp_path / "local.parquet", keep=["impression_id"])
    remote = score_dask(
        scoring_model,
        [messy],
        tmp_path / "dask",
        keep=["impression_id"],
        scheduler=cluster,
        range_bytes=50_000,
        chunk_rows=97,
    )
    assert remote.engine == "dask" and len(glob.glob(str(tmp_path / "dask" / "*.parquet"))) > 5
    a, b = pd.read_parquet(tmp_path / "local.parquet"), _parts(tmp_path / "dask")
    pd.testing.assert_frame_equal(a, b)
    assert _rejects(tmp_path / "local.rejects.csv") == _rejects(tmp_path / "dask" / "_rejects.csv")
    assert (remote.rows_read, remote.rows_scored, remote.rows_rejected) == (
        local.rows_read,
        local.rows_scored,
        local.rows_rejected,
    )
    assert remote.rows_rejected == 8 + 5
    assert remote.predicted == local.predicted
    np.testing.assert_allclose(list(remote.mean_scores.values()), list(local.mean_scores.values()), rtol=1e-12)
    assert remote.drift == local.drift and local.drift  # the ranges' tallies add up to the local chunks'


def test_gzip_and_parquet_inputs_on_a_default_local_cluster(scoring_model, small_csv, tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.csv.gz").write_bytes(gzip.compress(small_csv.read_bytes()))
    pd.read_csv(small_csv, dtype={"impression_id": str}).to_parquet(tmp_path / "in" / "b.parquet", row_group_size=1500)
    res = score_dask(scoring_model, [tmp_path / "in"], tmp_path / "out", keep=["impression_id"], jobs=1, chunk_rows=700)
    assert res.rows_scored == 8000 and res.rows_rejected == 0
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == [
        "_rejects.csv",
        "_summary.json",
        "a-00000.parquet",
        "b-00000.parquet",
        "b-00001.parquet",
        "b-00002.parquet",
    ]
    got = _parts(tmp_path / "out")
    assert got["impression_id"].tolist() == [str(i) for i in range(4000)] * 2
    np.testing.assert_allclose(got["p_click"][:4000], got["p_click"][4000:], rtol=0, atol=1e-12)


def test_the_reject_rate_is_enforced_and_nothing_is_left_behind(cluster, scoring_model, messy, tmp_path):
    with pytest.raises(DataError, match=r"messy\.csv: 13 of 4,013 rows rejected .* more than max_reject_rate 0\.001"):
        score_dask(scoring_model, [messy], tmp_path / "out", scheduler=cluster, max_reject_rate=0.001)
    assert list(tmp_path.iterdir()) == []


def test_an_unreachable_scheduler_is_a_clear_error(scoring_model, small_csv, tmp_path, monkeypatch):
    monkeypatch.setattr("clickpred.io.engines.CONNECT_SECONDS", 1.0)
    with pytest.raises(ClickpredError, match=r"scheduler tcp://127\.0\.0\.1:9: cannot connect"):
        score_dask(scoring_model, [small_csv], tmp_path / "out", scheduler="tcp://127.0.0.1:9")
    assert list(tmp_path.iterdir()) == []


def test_cli_engine_dask(cluster, scoring_model, small_csv, tmp_path):
    from typer.testing import CliRunner

    from clickpred.cli import app

    res = CliRunner().invoke(
        app,
        [
            "score",
            str(scoring_model),
            str(small_csv),
            "-o",
            str(tmp_path / "out"),
            "--engine",
            "dask",
            "--scheduler",
            cluster,
        ],
    )
    assert res.exit_code == 0, res.output
    assert "4,000 rows read = 4,000 scored + 0 rejected" in res.output and "engine dask" in res.output


def test_gzip_rejects_have_file_line_numbers(cluster, scoring_model, messy, tmp_path):
    gz = tmp_path / "messy.csv.gz"
    gz.write_bytes(gzip.compress(messy.read_bytes()))
    local = score(scoring_model, [gz], tmp_path / "local.parquet", chunk_rows=300)
    score_dask(scoring_model, [gz], tmp_path / "dask", scheduler=cluster, chunk_rows=300)
    assert local.rows_rejected == 13
    assert _rejects(tmp_path / "local.rejects.csv") == _rejects(tmp_path / "dask" / "_rejects.csv")
    lines = messy.read_text().splitlines()
    for _, line, _, raw in _rejects(tmp_path / "dask" / "_rejects.csv"):
        assert lines[int(line) - 1] == raw


def test_a_task_whose_tables_disagree_rescored_with_the_pipeline(scoring_model, small_csv, tmp_path, monkeypatch):
    from clickpred.io.sources import open_source
    from clickpred.jobs.dask_engine import _SCORERS, Range, _run_range
    from clickpred.jobs.score import Scorer
    from clickpred.model.modelfile import load_model

    model = load_model(scoring_model)
    _SCORERS.clear()
    src = open_source(small_csv)
    cols = list(
        dict.fromkeys(
            model.metadata["schema"]["features"][i]["name"] for i in range(len(model.metadata["schema"]["features"]))
        )
    )
    real = _run_range(model, True, src, Range(0, 0, 0, src.size), [], cols, str(tmp_path / "a.parquet"), 1000)
    assert not real.fell_back
    monkeypatch.setattr(Scorer, "gap", lambda self, inputs: 1.0 if self.fast is not None else 0.0)
    res = _run_range(model, True, src, Range(0, 0, 0, src.size), [], cols, str(tmp_path / "b.parquet"), 1000)
    assert res.fell_back and res.rows_scored == 4000
    a, b = pd.read_parquet(tmp_path / "a.parquet"), pd.read_parquet(tmp_path / "b.parquet")
    np.testing.assert_allclose(a["p_click"], b["p_click"], rtol=0, atol=1e-9)


def test_keep_may_name_a_feature_column(scoring_model, small_csv, tmp_path):
    res = score(scoring_model, [small_csv], tmp_path / "s.parquet", keep=["site_id", "impression_id"])
    df = pd.read_parquet(tmp_path / "s.parquet")
    assert list(df.columns[:2]) == ["site_id", "impression_id"] and res.rows_scored == 4000
    assert df["site_id"].tolist() == pd.read_csv(small_csv)["site_id"].tolist()


def test_compare_on_a_dask_cluster_gives_the_local_leaderboard(cluster, small_csv):
    from clickpred.jobs.compare import compare

    kwargs = dict(classifiers=["logistic"], strategies=["none", "undersample"], folds=2, replicates=50)
    local = compare(small_csv, **kwargs)
    remote = compare(small_csv, scheduler=cluster, **kwargs)
    assert [r["name"] for r in remote.leaderboard] == [r["name"] for r in local.leaderboard]
    for name, r in local.results.items():
        np.testing.assert_allclose(remote.results[name].scores[0], r.scores[0], rtol=0, atol=1e-12)


def test_a_decision_override_reaches_the_workers(cluster, scoring_model, small_csv, tmp_path):
    local = score(scoring_model, [small_csv], tmp_path / "local.parquet", decision="top:10%")
    remote = score_dask(
        scoring_model, [small_csv], tmp_path / "dask", scheduler=cluster, range_bytes=50_000, decision="top:10%"
    )
    assert local.decision == remote.decision == "top:10%"
    a, b = pd.read_parquet(tmp_path / "local.parquet"), _parts(tmp_path / "dask")
    pd.testing.assert_frame_equal(a, b)
    assert remote.predicted == local.predicted and sum(v for c, v in local.predicted.items() if c != "view") > 0


@pytest.mark.parametrize("rate", [0.1, None])
def test_the_training_sample_on_a_cluster_is_the_local_one(cluster, small_csv, sim_csv, tmp_path, rate):
    """Same seed, same files → the same kept and held-out rows, fixed rate and auto alike."""
    from clickpred.io.sampling import SamplingPlan, sample_stream
    from clickpred.io.sources import open_source
    from clickpred.jobs.dask_engine import sample_dask

    srcs = [open_source(sim_csv), open_source(small_csv)]
    plan = SamplingPlan(target="event", rate=rate, holdout=0.1, seed=8, per_positive=3)
    local = sample_stream(srcs, srcs[0].columns, plan, range_bytes=300_000)
    remote = sample_dask(srcs, srcs[0].columns, plan, scheduler=cluster, range_bytes=300_000)
    assert local.ranges > 2 and remote.engine == "dask"
    assert local.kept.equals(remote.kept) and local.holdout.equals(remote.holdout)
    assert local.rate == remote.rate and local.counts == remote.counts


def test_cli_train_engine_dask(cluster, sim_csv, tmp_path):
    import json

    from typer.testing import CliRunner

    from clickpred.cli import app

    runs = {}
    for engine in ("local", "dask"):
        args = [
            "train",
            str(sim_csv),
            "--negative-rate",
            "0.2",
            "--holdout",
            "0.25",
            "-c",
            "logistic",
            "-s",
            "none",
            "--model",
            str(tmp_path / f"{engine}.skops"),
            "--report",
            str(tmp_path / engine),
            "--engine",
            engine,
        ]
        if engine == "dask":
            args += ["--scheduler", cluster]
        r = CliRunner().invoke(app, args)
        assert r.exit_code == 0, r.output
        runs[engine] = json.loads((tmp_path / engine / "metrics.json").read_text())
    assert runs["dask"]["sampling"]["engine"] == "dask"
    assert runs["dask"]["per_class"] == runs["local"]["per_class"]


def test_the_local_cluster_listens_on_loopback_only_and_has_no_dashboard(monkeypatch):
    import distributed

    from clickpred.jobs import dask_engine

    seen = {}

    class Recorder:
        def __init__(self, **kwargs):
            seen.update(kwargs)

        def close(self):
            pass

    class FakeClient:
        def __init__(self, cluster):
            pass

        def close(self):
            pass

    monkeypatch.setattr(distributed, "LocalCluster", Recorder)
    monkeypatch.setattr(distributed, "Client", FakeClient)
    with dask_engine._client(None, 2):
        pass
    assert seen["host"] == "127.0.0.1" and seen["dashboard_address"] is None


def test_hgb_scores_the_same_on_the_cluster(cluster, small_csv, messy, tmp_path):
    from clickpred.jobs.train import run_train
    from clickpred.modeling.spec import spec_from_options

    model = run_train(
        small_csv,
        spec_from_options("hgb", "class_weight", folds=2),
        model_path=tmp_path / "h.skops",
        report_dir=tmp_path / "r",
    ).model_path
    local = score(model, [messy], f"{tmp_path / 'local'}/", keep=["impression_id"])
    remote = score_dask(model, [messy], f"{tmp_path / 'dask'}/", keep=["impression_id"], scheduler=cluster)
    assert (local.rows_scored, local.rows_rejected) == (remote.rows_scored, remote.rows_rejected)
    a, b = _parts(tmp_path / "local"), _parts(tmp_path / "dask")
    pd.testing.assert_frame_equal(
        a.sort_values("impression_id").reset_index(drop=True), b.sort_values("impression_id").reset_index(drop=True)
    )


def test_a_scheduler_that_is_no_address_is_a_clear_error(scoring_model, small_csv, tmp_path):
    """--scheduler garbage ended in 'unexpected ValueError'."""
    with pytest.raises(ClickpredError, match=r"scheduler garbage: cannot connect"):
        score_dask(scoring_model, [small_csv], tmp_path / "out.parquet", scheduler="garbage")


def test_a_local_cluster_has_at_most_a_worker_per_core(monkeypatch):
    """--engine dask --jobs 64 started 64 worker processes on 2 cores and failed after ~170 s."""
    import clickpred.estimator.workers as workers
    from clickpred.jobs.dask_engine import local_workers

    monkeypatch.setattr(workers, "available_cores", lambda: 2)
    monkeypatch.setattr(workers, "available_memory", lambda: 24 << 30)
    assert (local_workers(64), local_workers(1)) == (2, 1)
    monkeypatch.setattr(workers, "available_memory", lambda: 600 << 20)
    assert local_workers(64) == 1


def test_a_service_that_is_not_a_scheduler_is_named_within_the_timeout(scoring_model, small_csv, tmp_path, monkeypatch):
    """A TCP service that accepts the connection and never answers as Dask held score for minutes (distributed's
    timeout covers the connection, not the handshake): named within the timeout, nothing written."""
    import socket
    import time

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    port = server.getsockname()[1]
    monkeypatch.setattr("clickpred.io.engines.CONNECT_SECONDS", 1.0)
    t0 = time.perf_counter()
    try:
        with pytest.raises(ClickpredError, match=rf"scheduler tcp://127\.0\.0\.1:{port}: "):
            score_dask(scoring_model, [small_csv], tmp_path / "out.parquet", scheduler=f"tcp://127.0.0.1:{port}")
    finally:
        server.close()
    assert time.perf_counter() - t0 < 20 and list(tmp_path.iterdir()) == []
