"""Shared fixtures: small simulated impression logs written once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from clickpred.jobs.simulate import simulate

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def sim_csv(tmp_path_factory) -> Path:
    """20k simulated impressions with a raised click rate so tests have enough minority rows."""
    d = tmp_path_factory.mktemp("sim")
    path = d / "sim.csv"
    simulate(path, rows=20_000, seed=3, truth=d / "truth.csv", click_rate=0.02, conversion_rate=0.2)
    return path


@pytest.fixture(scope="session")
def small_csv(tmp_path_factory) -> Path:
    """4k rows: fast enough for every classifier × strategy."""
    d = tmp_path_factory.mktemp("small")
    path = d / "small.csv"
    simulate(path, rows=4_000, seed=5, click_rate=0.05, conversion_rate=0.25)
    return path


def write(path: Path, text: str | bytes) -> Path:
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


@pytest.fixture(scope="session")
def scoring_model(small_csv, tmp_path_factory) -> Path:
    """A logistic + class_weight model trained on small_csv (2 folds), for the scoring tests."""
    from clickpred.jobs.train import run_train
    from clickpred.modeling.spec import spec_from_options

    d = tmp_path_factory.mktemp("scoring_model")
    spec = spec_from_options("logistic", "class_weight", folds=2)
    out = run_train(small_csv, spec, model_path=d / "m.skops", report_dir=d / "report")
    return out.model_path


@pytest.fixture(scope="session")
def stream_parts(tmp_path_factory):
    """A 24k-row simulated stream split into three CSV files of 8k rows."""
    d = tmp_path_factory.mktemp("stream")
    whole = d / "whole.csv"
    simulate(whole, rows=24_000, seed=9, click_rate=0.03, conversion_rate=0.2)
    lines = whole.read_text().splitlines()
    files = []
    for k in range(3):
        f = d / f"part-{k}.csv"
        f.write_text("\n".join([lines[0]] + lines[1 + k * 8000 : 1 + (k + 1) * 8000]) + "\n")
        files.append(f)
    return files
