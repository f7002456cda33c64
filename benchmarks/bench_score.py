"""Batch-scoring throughput and peak memory on 1M and 5M simulated impressions (CSV, no label).

For each file, in the same run and each in a fresh child process (so peak RSS is per method):

    floor     pyarrow.csv.read_csv of the whole file, all cores: the read-only rate
    naive     pandas.read_csv of the whole file + the model's column preparation
              + pipeline.predict_proba + DataFrame.to_parquet of the scores
    clickpred clickpred.jobs.score.score(...) → Parquet (and → CSV), default jobs (all cores)
    model floor (the pipelines the linear scorer cannot tabulate: hgb, mlp, kernel SVMs) the read floor plus the
              classifier's own predict on the whole file's prepared columns in one call — the work no scorer of
              that model can skip — against clickpred and against clickpred through the pipeline (--no-fast-path)

Rates are rows/s; the headline is clickpred's rate as a fraction of the floor measured in
the same run (the machine is shared and noisy: absolute seconds are not comparable across
runs, ratios are). Floor and clickpred are measured `--repeat` times, alternating, and the
median rate is kept. Models: logistic + class_weight and svm + class_weight (the linear
pipelines), plus mlp + class_weight and svm-nystroem + class_weight (scored through the
pipeline) for memory, all trained on 200k simulated rows of the same generator.

    python benchmarks/bench_score.py [--rows 1000000 5000000] [--repeat 3] [--quick]

Writes benchmarks/results/score.json.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import CACHE, in_child, simulated, write_result  # noqa: E402

SPECS = ("logistic-class_weight", "svm-class_weight", "mlp-class_weight", "svm-nystroem-class_weight")
LINEAR = ("logistic-class_weight", "svm-class_weight")


def scoring_csv(rows: int) -> Path:
    """A simulated impression log without its label column, as CSV, cached."""
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    path = CACHE / f"score_{rows}.csv"
    if not path.exists():
        data, _ = simulated(rows, seed=21)
        table = pq.read_table(data)
        table = table.drop_columns(["event"])
        tmp = path.with_suffix(".tmp")
        pacsv.write_csv(table, tmp, pacsv.WriteOptions(quoting_style="needed"))
        tmp.rename(path)
    return path


def model_file(spec_name: str) -> Path:
    """A model trained (2 folds) on 200k simulated rows, cached."""
    path = CACHE / f"model_{spec_name}.skops"
    if not path.exists():
        from clickpred.jobs.train import run_train
        from clickpred.modeling.spec import load_spec

        data, _ = simulated(200_000, seed=11)
        spec = load_spec(Path(__file__).resolve().parents[1] / "pipelines" / f"{spec_name}.toml")
        spec = dataclasses.replace(spec, folds=2)
        run_train(data, spec, model_path=path, report_dir=CACHE / f"report_{spec_name}")
    return path


# ---------------------------------------------------------------- the three methods (run in children)


def run_floor(csv: str) -> dict:
    import pyarrow.csv as pacsv

    t0 = time.perf_counter()
    table = pacsv.read_csv(csv)
    seconds = time.perf_counter() - t0
    return {"rows": table.num_rows, "seconds": seconds}


def run_naive(csv: str, model: str, out: str) -> dict:
    import pandas as pd

    from clickpred.io.dataset import clean_names, prepare_frame
    from clickpred.io.schema import Schema
    from clickpred.model.modelfile import load_model

    m = load_model(model)
    schema = Schema.from_dict(m.metadata["schema"])
    t0 = time.perf_counter()
    frame = pd.read_csv(csv)
    frame.columns = clean_names(list(frame.columns))[0]
    X = prepare_frame(frame, schema)
    method = m.metadata["score_method"]
    scores = getattr(m.pipeline, method)(X)
    scores = scores.reshape(len(X), -1)
    pd.DataFrame(scores, columns=[f"s{i}" for i in range(scores.shape[1])]).assign(
        impression_id=frame["impression_id"].to_numpy()
    ).to_parquet(out)
    return {"rows": len(frame), "seconds": time.perf_counter() - t0}


def run_model_floor(csv: str, model: str) -> dict:
    """The read floor plus the classifier's own predict on the prepared columns of every row, in one call (the
    preparation itself untimed): what scoring this model costs at the least."""
    import pyarrow.csv as pacsv

    from clickpred.io.dataset import clean_names, prepare_frame
    from clickpred.io.schema import Schema
    from clickpred.model.modelfile import load_model

    m = load_model(model)
    t0 = time.perf_counter()
    table = pacsv.read_csv(csv)
    read = time.perf_counter() - t0
    frame = table.to_pandas()
    frame.columns = clean_names(list(frame.columns))[0]
    X = m.pipeline[:-1].transform(prepare_frame(frame, Schema.from_dict(m.metadata["schema"])))
    t0 = time.perf_counter()
    getattr(m.pipeline.steps[-1][1], m.metadata["score_method"])(X)
    return {"rows": table.num_rows, "seconds": read + time.perf_counter() - t0, "read_seconds": read}


def run_clickpred(csv: str, model: str, out: str, fast: bool = True) -> dict:
    from clickpred.jobs.score import score
    from clickpred.model.modelfile import load_model

    m = load_model(model)
    t0 = time.perf_counter()
    res = score(m, [csv], out, keep=["impression_id"], fast=fast)
    seconds = time.perf_counter() - t0
    assert res.rows_read == res.rows_scored + res.rows_rejected
    return {"rows": res.rows_read, "seconds": seconds, "scorer": res.scorer, "rejected": res.rows_rejected}


def child(fn, *args) -> dict:
    out, peak = in_child(fn, *args)
    out["peak_rss_mb"] = round(peak, 1)
    out["rows_per_s"] = round(out["rows"] / out["seconds"])
    return out


def median_run(results: list[dict]) -> dict:
    rates = [r["rows_per_s"] for r in results]
    best = sorted(results, key=lambda r: r["rows_per_s"])[len(results) // 2]
    return {**best, "rows_per_s_all": rates, "peak_rss_mb_max": max(r["peak_rss_mb"] for r in results)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 5_000_000])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--specs", nargs="+", default=list(SPECS))
    ap.add_argument(
        "--no-naive-above", type=int, default=5_000_000, help="skip the naive baseline above this many rows"
    )
    ap.add_argument("--name", default="score")
    args = ap.parse_args()

    out_dir = CACHE / "score_out"
    out_dir.mkdir(parents=True, exist_ok=True)
    models = {s: str(model_file(s)) for s in args.specs}
    result = {"command": "python benchmarks/bench_score.py " + " ".join(sys.argv[1:]), "files": {}}
    for rows in args.rows:
        csv = str(scoring_csv(rows))
        entry = {"csv": csv, "csv_mb": round(Path(csv).stat().st_size / 1e6, 1), "models": {}}
        print(f"== {rows:,} rows ({entry['csv_mb']} MB)", flush=True)
        floors = []
        for spec in args.specs:
            runs, floor_runs = [], []
            repeat = args.repeat if spec in LINEAR else 1  # the others alternate with their model floor below
            for _ in range(repeat):
                floor_runs.append(child(run_floor, csv))
                runs.append(child(run_clickpred, csv, models[spec], str(out_dir / "scores.parquet")))
            floors += floor_runs
            ours = median_run(runs)
            floor = median_run(floor_runs)
            m = {
                "clickpred_parquet": ours,
                "floor_same_run": floor,
                "ratio_to_floor": round(ours["rows_per_s"] / floor["rows_per_s"], 3),
            }
            if spec in LINEAR:
                csv_out = child(run_clickpred, csv, models[spec], str(out_dir / "scores.csv"))
                m["clickpred_csv"] = csv_out
                m["csv_ratio_to_floor"] = round(csv_out["rows_per_s"] / floor["rows_per_s"], 3)
                pipe = child(run_clickpred, csv, models[spec], str(out_dir / "scores_pipe.parquet"), False)
                m["clickpred_no_fast_path"] = pipe
            if spec not in LINEAR:
                pipe_runs, model_floors = [], []
                for _ in range(args.repeat):
                    model_floors.append(child(run_model_floor, csv, models[spec]))
                    pipe_runs.append(
                        child(run_clickpred, csv, models[spec], str(out_dir / "scores_pipe.parquet"), False)
                    )
                    runs.append(child(run_clickpred, csv, models[spec], str(out_dir / "scores.parquet")))
                ours = m["clickpred_parquet"] = median_run(runs)
                m["ratio_to_floor"] = round(ours["rows_per_s"] / floor["rows_per_s"], 3)
                mf, pipe = median_run(model_floors), median_run(pipe_runs)
                m.update(
                    model_floor=mf,
                    clickpred_no_fast_path=pipe,
                    ratio_to_model_floor=round(ours["rows_per_s"] / mf["rows_per_s"], 3),
                    pipeline_ratio_to_model_floor=round(pipe["rows_per_s"] / mf["rows_per_s"], 3),
                )
            if rows <= args.no_naive_above and spec in LINEAR:
                naive = child(run_naive, csv, models[spec], str(out_dir / "naive.parquet"))
                m["naive"] = naive
                m["speedup_vs_naive"] = round(ours["rows_per_s"] / naive["rows_per_s"], 2)
                m["naive_ratio_to_floor"] = round(naive["rows_per_s"] / floor["rows_per_s"], 3)
            entry["models"][spec] = m
            print(
                f"  {spec}: {ours['rows_per_s']:,} rows/s = {m['ratio_to_floor']:.2f}× floor "
                f"({floor['rows_per_s']:,}); peak {ours['peak_rss_mb']} MB"
                + (
                    f"; naive {m['naive']['rows_per_s']:,} rows/s, {m['naive']['peak_rss_mb']} MB"
                    if "naive" in m
                    else ""
                )
                + (
                    f"; {m['ratio_to_model_floor']:.2f}× its model floor ({m['model_floor']['rows_per_s']:,}), "
                    f"through the pipeline {m['pipeline_ratio_to_model_floor']:.2f}×"
                    if "model_floor" in m
                    else ""
                ),
                flush=True,
            )
        entry["floor_rows_per_s_all"] = [f["rows_per_s"] for f in floors]
        result["files"][str(rows)] = entry
    if len(args.rows) >= 2:
        small, large = str(min(args.rows)), str(max(args.rows))
        result["memory_growth"] = {
            spec: round(
                result["files"][large]["models"][spec]["clickpred_parquet"]["peak_rss_mb_max"]
                / result["files"][small]["models"][spec]["clickpred_parquet"]["peak_rss_mb_max"],
                3,
            )
            for spec in args.specs
        }
    path = write_result(args.name, result)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
