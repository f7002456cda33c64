"""Training at scale: streaming negative downsampling on 5M and 20M simulated rows.

One simulated stream of 21M impressions (seed 31, one world), generated once
and cached outside the repo as 21 CSV files of 1M rows; file 20 is the fixed
natural-balance test file, never trained on. In one run, for each of 5M and
20M training rows × R in (0.01, auto):

- pyarrow read-only rate of the same files (``pyarrow.csv.read_csv``, all cores),
  measured in the same run: the floor the sampler's read is compared with;
- ``train_stream`` wall time, rows/s read, peak RSS (a fresh process per run);
- PR-AUC with a 95% bootstrap interval and calibration ratio per class on the
  test file, and the paired difference against the baseline;
- the baseline: the first 1M-row file trained in memory (``train``, 5-fold CV)
  and scored on the same test file;
- memory reference: the kept sample written to a CSV and trained on alone
  (``train``, in memory, 5-fold CV) in a fresh process: the target is streaming peak ≤ ~1.5×.
  Peaks are taken when training is done, before the test file is read (``peak_rss_mb``;
  ``peak_rss_mb_with_test`` after it).

    python benchmarks/bench_stream.py [--sizes 5 20] [--rates 0.01 auto] [--quick]

Writes benchmarks/results/stream.json (``--quick``: stream_quick.json, 2 × 1M rows).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import CACHE, peak_rss_mb, write_result  # noqa: E402

ROWS_PER_FILE = 1_000_000
SEED = 31


def stream_files(n_files: int = 21, rows_per_file: int = ROWS_PER_FILE, seed: int = SEED) -> list[Path]:
    """The cached stream as CSV files (the last one is the test file)."""
    folder = CACHE / f"stream_{seed}_{rows_per_file}"
    files = [folder / f"part-{k:03d}.csv" for k in range(n_files)]
    if all(f.exists() for f in files):
        return files
    from clickpred.jobs.simulate import simulate

    folder.mkdir(parents=True, exist_ok=True)
    whole = folder / "whole.csv"
    if not whole.exists():
        simulate(whole, rows=n_files * rows_per_file, seed=seed)
    with open(whole, "rb") as fh:
        header = fh.readline()
        for f in files:
            tmp = f.with_suffix(".tmp")
            with open(tmp, "wb") as out:
                out.write(header)
                for _ in range(rows_per_file):
                    out.write(fh.readline())
            tmp.rename(f)
    whole.unlink()
    return files


SPEC = ("logistic", "none")  # the downsampling is the rebalancing; the in-memory baseline uses the same spec
HOLDOUT = 0.02  # of the stream, for the correction and rule; the test file stays untouched by every model
CLASSES = ("click", "conversion")


def read_floor(files: list[Path]) -> dict:
    """pyarrow's own multi-threaded CSV read of the same files: the rate to compare the sampler with."""
    import pyarrow.csv as pacsv

    t0 = time.perf_counter()
    rows = 0
    for f in files:
        rows += pacsv.read_csv(f).num_rows
    seconds = time.perf_counter() - t0
    return {"rows": rows, "seconds": seconds, "rows_per_second": rows / seconds}


def child(fn, *args):
    """Run fn(*args) in a fresh spawned, non-daemonic process (it may start a Dask cluster);
    return its result (which carries its own peak RSS)."""
    import multiprocessing as mp

    ctx = mp.get_context("spawn")
    parent, end = ctx.Pipe(duplex=False)
    p = ctx.Process(target=_child, args=(end, fn, args))
    p.start()
    end.close()
    out = parent.recv()
    p.join()
    if isinstance(out, BaseException):
        raise out
    return out


def _child(conn, fn, args):
    try:
        conn.send(fn(*args))
    except BaseException as exc:  # noqa: BLE001 - reported by the parent
        conn.send(RuntimeError(f"{type(exc).__name__}: {exc}"))
    conn.close()


def _test_view(result, test: Path) -> dict:
    """The final model, as saved (its own correction and rule), scored on the test file."""
    from clickpred.evaluation.crossval import holdout
    from clickpred.io.dataset import load_dataset
    from clickpred.postfit.crossfit import finish_holdout
    from clickpred.postfit.predictor import Predictor

    classes, method = result.cv.classes, result.built.score_method
    tds = load_dataset(test, schema=result.data.schema)
    ev = finish_holdout(
        holdout(result.pipeline, tds.frame, tds.y, classes, method),
        Predictor(None, classes, method, result.cv.correction, result.cv.rule),
    )
    return {
        "y": ev.y_true,
        "scores": ev.scores.astype("float32"),
        "per_class": {
            c: {k: ev.metrics["per_class"][c].get(k) for k in ("pr_auc", "calibration_ratio", "recall", "support")}
            for c in CLASSES
        },
        "ne": ev.metrics.get("ne"),
    }


def run_stream(files: list[Path], test: Path, rate: str, engine: str = "local", keep_csv: str | None = None) -> dict:
    """One streaming train in this (fresh) process."""
    from clickpred.jobs.stream_train import train_stream
    from clickpred.modeling.spec import spec_from_options

    t0 = time.perf_counter()
    res = train_stream(
        [str(f) for f in files],
        spec_from_options(*SPEC),
        negative_rate=rate,
        holdout_fraction=HOLDOUT,
        engine=engine,
        jobs=2,
    )
    wall = time.perf_counter() - t0
    peak = peak_rss_mb()  # training, before the test file is read
    s = res.sampling
    out = {
        "wall_seconds": wall,
        "timings": res.timings,
        "read_seconds": s["read_seconds"],
        "rows_read": s["rows_read"],
        "read_rows_per_second": s["rows_per_second"],
        "negative_rate": s["negative_rate"],
        "auto": s["auto"],
        "counts": s["counts"],
        "kept_counts": s["kept_counts"],
        "holdout_counts": s["holdout_counts"],
        "peak_rss_mb": peak,
        "test": _test_view(res, test),
        "peak_rss_mb_with_test": peak_rss_mb(),
        "holdout_calibration": {c: res.cv.argmax["calibration"][c]["calibration_ratio"] for c in CLASSES},
    }
    if keep_csv:  # the kept rows as a file: the memory reference trains on it alone
        frame = res.data.frame.copy()
        frame[res.data.schema.target] = res.data.y
        frame.to_csv(keep_csv, index=False)
    return out


def run_memory(train: Path, test: Path) -> dict:
    """The ordinary in-memory train (5-fold CV, final fit, test file) in this (fresh) process."""
    from clickpred.estimator.fitting import train as train_file
    from clickpred.modeling.spec import spec_from_options

    t0 = time.perf_counter()
    res = train_file(str(train), spec_from_options(*SPEC))
    wall, peak = time.perf_counter() - t0, peak_rss_mb()
    return {
        "wall_seconds": wall,
        "timings": res.timings,
        "rows": int(len(res.data.y)),
        "peak_rss_mb": peak,
        "test": _test_view(res, test),
        "peak_rss_mb_with_test": peak_rss_mb(),
    }


def intervals(runs: dict, baseline: str, replicates: int = 500) -> dict:
    """PR-AUC on the test file with 95% bootstrap intervals, and each run minus the baseline (paired rows)."""
    import numpy as np

    from clickpred.evaluation.intervals import RankedScores, bootstrap_ap, paired

    out = {}
    for k, c in enumerate(("view",) + CLASSES):
        if c == "view":
            continue
        ranked = {name: [RankedScores(r["test"]["y"] == c, r["test"]["scores"][:, k])] for name, r in runs.items()}
        point, values = bootstrap_ap(ranked, replicates, seed=0)
        out[c] = {}
        for name in runs:
            d = paired(name, baseline, point, values) if name != baseline else None
            out[c][name] = {"pr_auc": point[name].to_dict(), "minus_baseline": d.to_dict() if d is not None else None}
        assert np.isfinite(point[baseline].estimate)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[5, 20], help="millions of training rows")
    ap.add_argument("--rates", nargs="+", default=["0.01", "auto"])
    ap.add_argument("--engines", nargs="+", default=["local"])
    ap.add_argument("--quick", action="store_true", help="2 × 1M rows only (smoke run)")
    args = ap.parse_args()
    files = stream_files()
    test, pool = files[-1], files[:-1]
    sizes = [1] if args.quick else args.sizes
    runs: dict = {}
    floors = {}
    print("baseline: in-memory train on 1M rows …", flush=True)
    runs["memory_1M"] = child(run_memory, pool[0], test)
    for m in sizes:
        part = pool[:m]
        floors[f"{m}M"] = read_floor(part)
        print(f"floor {m}M: {floors[f'{m}M']['rows_per_second']:,.0f} rows/s", flush=True)
        for engine in args.engines:
            for rate in args.rates:
                name = f"stream_{m}M_{rate}" + ("" if engine == "local" else f"_{engine}")
                keep = None
                if m == max(sizes) and rate == args.rates[0] and engine == "local":
                    keep = str(CACHE / f"kept_{m}M_{rate}.csv")
                print(f"{name} …", flush=True)
                r = child(run_stream, part, test, rate, engine, keep)
                peak = r["peak_rss_mb"]
                r["read_vs_floor"] = r["read_rows_per_second"] / floors[f"{m}M"]["rows_per_second"]
                runs[name] = r
                print(
                    f"  read {r['read_rows_per_second']:,.0f} rows/s ({r['read_vs_floor']:.2f}× floor), "
                    f"peak {peak:,.0f} MB, wall {r['wall_seconds']:.0f} s, click PR-AUC {r['test']['per_class']['click']['pr_auc']:.4f}",
                    flush=True,
                )
                if keep:
                    print("  memory reference: the kept rows trained on alone …", flush=True)
                    ref = child(run_memory, Path(keep), test)
                    ref_peak = ref["peak_rss_mb"]
                    runs[f"kept_only_{m}M_{rate}"] = ref
                    r["peak_vs_kept_only"] = peak / ref_peak
                    print(f"  kept-only peak {ref_peak:,.0f} MB → ratio {r['peak_vs_kept_only']:.2f}", flush=True)
    ci = intervals({k: v for k, v in runs.items() if not k.startswith("kept_only")}, "memory_1M")
    for v in runs.values():
        v["test"] = {k: v["test"][k] for k in ("per_class", "ne")}
    name = "stream_quick" if args.quick else "stream"
    path = write_result(
        name,
        {
            "command": "python benchmarks/bench_stream.py " + " ".join(sys.argv[1:]),
            "spec": list(SPEC),
            "holdout": HOLDOUT,
            "test_file_rows": ROWS_PER_FILE,
            "read_floor": floors,
            "runs": runs,
            "pr_auc_on_test": ci,
        },
    )
    print(path)
    for c, rows in ci.items():
        for k, v in rows.items():
            d = v["minus_baseline"]
            print(
                f"{c:>10} {k:<24} {v['pr_auc']['estimate']:.4f} [{v['pr_auc']['low']:.4f}, {v['pr_auc']['high']:.4f}]"
                + (f"  − baseline {d['difference']:+.4f} [{d['low']:+.4f}, {d['high']:+.4f}]" if d else "")
            )


if __name__ == "__main__":
    if "--prepare" in sys.argv:
        t0 = time.perf_counter()
        print(stream_files()[-1], f"{time.perf_counter() - t0:.0f} s")
    else:
        main()
