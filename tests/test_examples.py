"""The scripts in examples/ run as a user would run them (from the repository root), and say what they promise."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda p: p.name)
def test_example_runs(script, tmp_path):
    env = {**os.environ, "CLICKPRED_EXAMPLES_OUT": str(tmp_path), "MPLBACKEND": "Agg"}
    done = subprocess.run([sys.executable, str(script)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    expected = {
        "train_and_inspect.py": ["PR-AUC", "decision rule: auto", "pr_auc_drop", "model:"],
        "compare_and_pick.py": ["1. logistic-", "has the best PR-AUC", "classes: ['click', 'conversion', 'view']"],
        "score_frame_and_folder.py": ["p_click", "unseen_share", "rows read 10,000 = scored"],
    }[script.name]
    for text in expected:
        assert text in done.stdout, (text, done.stdout[-2000:])


def test_there_are_three_examples():
    assert [p.name for p in EXAMPLES] == ["compare_and_pick.py", "score_frame_and_folder.py", "train_and_inspect.py"]
