"""Start-up: how long a command takes on a file of ten rows, against `python -c "import sklearn"` (issue 33).

Commands run in turn, N rounds (A B C … A B C …), each a fresh process; per round the difference with the
baseline run of that round, and the medians of those differences (the machine is shared: pairing keeps the
figure honest when its speed drifts).

  import sklearn    python -c "import sklearn"                            the floor the target is stated against
  score             clickpred score MODEL ten.csv --output …              as the console script runs it (cli.main)
  score, collector  the same through cli.app: the garbage collector       what main's pause while the modules load
                    running while the modules load                        saves
  score, skops      the same (main) with the file read by skops' loader   (lean: without skops' default trust list)
  info              clickpred info MODEL
  help              clickpred --help
  first line: train, score   seconds until the first line on a terminal (a pseudo-terminal), the whole run apart

    python benchmarks/bench_startup.py [--rounds 7]

Target: score ≤ import sklearn + 0.5 s; the first output of any command within ~1 s.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, write_result  # noqa: E402

PY = sys.executable
CLI = "from clickpred.cli import main; main()"  # what the clickpred console script runs
SKOPS = "import clickpred.model.modelfile as m; m.PROTOCOL = None; from clickpred.cli import main; main()"
COLLECTOR = "from clickpred.cli import app; app()"


def commands(model: Path, data: Path, out: Path) -> dict[str, list[str]]:
    score = ["score", str(model), str(data), "--output", str(out)]
    return {
        "import sklearn": [PY, "-c", "import sklearn"],
        "score": [PY, "-c", CLI, *score],
        "score, collector": [PY, "-c", COLLECTOR, *score],
        "score, skops": [PY, "-c", SKOPS, *score],
        "info": [PY, "-c", CLI, "info", str(model)],
        "help": [PY, "-c", CLI, "--help"],
    }


def first_line(cmd: list[str]) -> float:
    """Seconds until ``cmd`` writes its first line to a terminal (a pseudo-terminal); the run is then finished."""
    import os
    import pty
    import select

    pid, fd = pty.fork()
    if pid == 0:  # pragma: no cover - the child
        os.chdir(ROOT)
        os.execv(cmd[0], cmd)
    t0, seen = time.perf_counter(), b""
    while b"\n" not in seen and select.select([fd], [], [], 120)[0]:
        try:
            seen += os.read(fd, 4096)
        except OSError:
            break
    seconds = time.perf_counter() - t0
    try:
        while os.read(fd, 65536):
            pass
    except OSError:
        pass
    os.waitpid(pid, 0)
    return seconds


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=7)
    args = ap.parse_args()
    import pandas as pd

    tmp = Path(tempfile.mkdtemp())
    model = ROOT / "models" / "demo.skops"
    if not model.exists():
        raise SystemExit(f"{model}: run `make demo` first")
    data = tmp / "ten.csv"
    pd.read_csv(ROOT / "data" / "impressions_sample.csv.gz", nrows=10).to_csv(data, index=False)
    cmds = commands(model, data, tmp / "scores.csv")
    seconds: dict[str, list[float]] = {name: [] for name in cmds}
    for _ in range(args.rounds):
        for name, cmd in cmds.items():
            (tmp / "scores.csv").unlink(missing_ok=True)
            t0 = time.perf_counter()
            subprocess.run(cmd, check=True, capture_output=True, cwd=ROOT)
            seconds[name].append(time.perf_counter() - t0)
    firsts: dict[str, list[float]] = {"train": [], "score": []}
    for _ in range(args.rounds):
        for name, argv in (
            ("train", ["train", str(data), "--model", str(tmp / "m.skops"), "--report", str(tmp / "r")]),
            ("score", ["score", str(model), str(data), "--output", str(tmp / "scores.csv")]),
        ):
            (tmp / "scores.csv").unlink(missing_ok=True)
            firsts[name].append(first_line([PY, "-c", CLI, *argv]))
    base = seconds["import sklearn"]
    out = {
        "rounds": args.rounds,
        "seconds": seconds,
        "median_seconds": {k: statistics.median(v) for k, v in seconds.items()},
        "first_line_seconds": firsts,
        "median_first_line_seconds": {k: statistics.median(v) for k, v in firsts.items()},
        "median_over_import_sklearn": {
            k: statistics.median(a - b for a, b in zip(v, base)) for k, v in seconds.items() if k != "import sklearn"
        },
    }
    path = write_result("startup", {"command": "python benchmarks/bench_startup.py " + " ".join(sys.argv[1:]), **out})
    for k, v in out["median_over_import_sklearn"].items():
        print(f"{k}: median {out['median_seconds'][k]:.2f} s, {v:+.2f} s over import sklearn")
    for k, v in out["median_first_line_seconds"].items():
        print(f"{k}: first line on a terminal after {v:.2f} s (median)")
    print(f"import sklearn: median {out['median_seconds']['import sklearn']:.2f} s\n  wrote {path}")


if __name__ == "__main__":
    main()
