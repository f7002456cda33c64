"""The examples in module docstrings run and stay true."""

import doctest
import importlib
import pkgutil

import pytest

import clickpred

MODULES = [m.name for m in pkgutil.walk_packages(clickpred.__path__, "clickpred.") if m.name != "clickpred.cli"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


def test_the_readme_defaults_table_is_the_benchmark_result():
    """The "Defaults, and why" table is copied from benchmarks/results/defaults.json: every PR-AUC and paired
    interval in it must be the file's, to four decimals."""
    import json
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    readme = (root / "README.md").read_text()
    table = readme[readme.index("| data set (evaluated on) | class (positives) | script PR-AUC") :]
    table = table[: table.index("\n\n")]
    rows = [line for line in table.splitlines()[2:]]
    doc = json.loads((root / "benchmarks" / "results" / "defaults.json").read_text())
    expected = []
    for name in ("coil", "bank", "sample", "intcodes"):
        for _c, m in doc["results"][name]["classes"].items():
            d = m["default"]
            expected.append(
                [
                    f"{m['script']['pr_auc']:.4f}",
                    f"{d['pr_auc']:.4f}",
                    f"{d['minus_script']:+.4f}".replace("-", "−"),
                    f"{d['minus_script_low']:+.4f}".replace("-", "−"),
                    f"{d['minus_script_high']:+.4f}".replace("-", "−"),
                ]
            )
    assert len(rows) == len(expected)
    for row, numbers in zip(rows, expected):
        for number in numbers:
            assert number in row, (row, number)


def test_generated_docs_are_current():
    """docs/cli.md (every command's --help) and docs/layout.md (module docstrings) are generated: edit the code,
    then run `python docs/generate.py`."""
    import runpy
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    generate = runpy.run_path(str(root / "docs" / "generate.py"))
    stale = [name for name, build in generate["GENERATED"].items() if (root / "docs" / name).read_text() != build()]
    assert not stale, f"out of date: {stale} — run `python docs/generate.py`"
