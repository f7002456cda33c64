"""Write the parts of docs/ that are generated, so they cannot drift from the code.

    python docs/generate.py          # rewrite docs/cli.md, docs/layout.md and docs/benchmark-results.md
    python docs/generate.py --check  # exit 1 if any of them is out of date (tests/test_docs.py runs this)

- ``cli.md``: every command's ``--help``, as the terminal shows it (80 columns, no colour).
- ``layout.md``: the subpackages in import order and each module's first docstring sentence.
- ``benchmark-results.md``: every ``benchmarks/results/*.json`` — when, by which command, and its headline figures
  (ratios, seconds, the paired differences of the defaults), read from the files.
"""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
LAYERS = ["io", "modeling", "evaluation", "postfit", "model", "reporting", "estimator", "jobs", "api"]


def _first_paragraph(doc: str | None) -> str:
    text = (doc or "").strip().split("\n\n")[0]
    return " ".join(line.strip() for line in text.splitlines()).replace("|", "\\|")


def cli_reference() -> str:
    saved = dict(os.environ)
    os.environ.update({"COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb", "_TYPER_FORCE_DISABLE_TERMINAL": "1"})
    try:
        return _cli_reference()
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _cli_reference() -> str:
    from typer.main import get_command
    from typer.testing import CliRunner

    from clickpred.cli import app

    runner = CliRunner()
    command = get_command(app)
    parts = [
        "# Command reference",
        "",
        "Generated from each command's `--help` by `python docs/generate.py` (a test checks it is current).",
        "Concepts and worked examples: [reference.md](reference.md).",
        "",
    ]
    for name in [None, *sorted(command.commands)]:
        args = ([name] if name else []) + ["--help"]
        shown = runner.invoke(
            app, args, env={"COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb"}, color=False, prog_name="clickpred"
        ).output
        shown = "\n".join(line.rstrip() for line in shown.splitlines()).strip("\n")
        parts += [f"## `clickpred{' ' + name if name else ''}`", "", "```text", shown, "```", ""]
    return "\n".join(parts)


def layout() -> str:
    import clickpred

    parts = [
        "# Source layout",
        "",
        "Generated from the modules' docstrings by `python docs/generate.py` (a test checks it is current).",
        "",
        "Subpackages import one way, lowest first: `errors`, `text` (used everywhere) → "
        + " → ".join(f"`{p}/`" for p in LAYERS)
        + " → `cli.py`. The public API (`clickpred/__init__.py`) re-exports from the layers; "
        "`tests/test_layout.py` fails on an import that points up, an import cycle (lazy imports included) "
        "or a private name imported from another module. Tests mirror the modules (`tests/io/test_sources.py` "
        "tests `clickpred/io/sources.py`).",
        "",
        "| module | what it holds |",
        "|---|---|",
    ]
    top = [m.name for m in pkgutil.iter_modules(clickpred.__path__, "clickpred.") if not m.ispkg]
    for name in ["clickpred", *sorted(top, key=lambda n: (n != "clickpred.errors", n != "clickpred.text", n))]:
        parts.append(
            f"| `{name.replace('.', '/')}{'/__init__' if name == 'clickpred' else ''}.py` | "
            f"{_first_paragraph(importlib.import_module(name).__doc__)} |"
        )
    for package in LAYERS:
        pkg = importlib.import_module(f"clickpred.{package}")
        parts += [
            "",
            f"## `{package}/` — {_first_paragraph(pkg.__doc__)}",
            "",
            "| module | what it holds |",
            "|---|---|",
        ]
        for m in sorted(pkgutil.iter_modules(pkg.__path__, f"clickpred.{package}."), key=lambda m: m.name):
            parts.append(
                f"| `{m.name.split('.')[-1]}.py` | {_first_paragraph(importlib.import_module(m.name).__doc__)} |"
            )
    return "\n".join(parts) + "\n"


def _headline(doc: dict) -> list[str]:
    """The figures a results file leads with: its ratios, its top-level numbers, the defaults' paired differences."""
    out = []

    def walk(prefix: str, value, depth: int) -> None:
        if isinstance(value, bool) or value is None:
            return
        if isinstance(value, (int, float)):
            out.append(f"{prefix} = {value:.4g}")
        elif isinstance(value, dict) and depth < 2:
            for k, v in value.items():
                walk(f"{prefix}.{k}" if prefix else str(k), v, depth + 1)

    for key in ("ratio", "ratios", "ratio_without_correction"):
        if key in doc:
            walk(key, doc[key], 0)
    for key, value in doc.items():
        if (
            key not in ("ratio", "ratios", "replicates")
            and isinstance(value, (int, float))
            and not isinstance(value, bool)
        ):
            out.append(f"{key} = {value:.4g}")
    results = doc.get("results")
    if isinstance(results, dict) and doc.get("benchmark", "").startswith("defaults"):
        for data, r in results.items():
            for cls, m in (r.get("classes") or {}).items():
                for name, v in m.items():
                    if isinstance(v, dict) and "minus_script" in v:
                        out.append(
                            f"{data}/{cls}: {name} − script = {v['minus_script']:+.4f} "
                            f"[{v['minus_script_low']:+.4f}, {v['minus_script_high']:+.4f}]"
                        )
    return out


def benchmark_results() -> str:
    parts = [
        "# Benchmark results",
        "",
        "Generated from `benchmarks/results/*.json` by `python docs/generate.py` (a test checks it is current):",
        "what each file measured, when, with which command, and the figures it leads with. The write-ups, with",
        "what the figures mean, are in [benchmarks.md](benchmarks.md). Ratios are against a baseline run in the",
        "same process on the same (shared, noisy) 2-core machine.",
        "",
    ]
    for path in sorted((ROOT / "benchmarks" / "results").glob("*.json")):
        doc = json.loads(path.read_text())
        parts += [f"## `{path.name}`", "", f"- created {doc.get('created', '?')}"]
        if doc.get("command"):
            parts.append(f"- command: `{doc['command']}`")
        figures = _headline(doc)
        if figures:
            parts.append("- " + "; ".join(f"`{f}`" for f in figures[:24]) + (" …" if len(figures) > 24 else ""))
        parts.append("")
    return "\n".join(parts)


GENERATED = {"cli.md": cli_reference, "layout.md": layout, "benchmark-results.md": benchmark_results}


def main(argv: list[str]) -> int:
    stale = []
    for name, build in GENERATED.items():
        path = DOCS / name
        text = build()
        if "--check" in argv:
            if not path.exists() or path.read_text() != text:
                stale.append(name)
        else:
            path.write_text(text)
    if stale:
        print("out of date (run `python docs/generate.py`): " + ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
