"""What the two trainers (in memory, :mod:`.train`; streaming, :mod:`.stream_train`) share: the
:class:`TrainResult` they return, the provenance recorded with it, warnings turned into notes, and the crosses
``[features] crosses`` asks for."""

from __future__ import annotations

import platform
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import __version__
from ..evaluation.crossval import Evaluation
from ..evaluation.leakage import LeakWarning
from ..io.dataset import Dataset
from ..modeling.pipeline import BuiltPipeline
from ..modeling.spec import Spec


@dataclass(frozen=True)
class TrainResult:
    """Everything a train run produced, before anything is written."""

    spec: Spec
    data: Dataset
    built: BuiltPipeline
    cv: Evaluation
    test: Evaluation | None
    pipeline: object  # the final fitted pipeline (all training rows)
    leaks: list[LeakWarning]
    notes: list[str]
    timings: dict[str, float]
    test_source: str | None = None
    versions: dict[str, str] = field(default_factory=dict)
    funnel_vs_flat: dict | None = None  # --funnel: the flat multi-class model on the same folds
    sampling: dict | None = (
        None  # --negative-rate: what was read, kept and held out (then ``cv`` is the held-out slice)
    )

    @property
    def name(self) -> str:
        return self.spec.name


def _git_commit() -> str:
    import subprocess

    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=Path(__file__).parent, capture_output=True, text=True, timeout=5
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=Path(__file__).parent,
            capture_output=True,
            text=True,
            timeout=5,
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    if out.returncode != 0:
        return ""
    return out.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")


def library_versions() -> dict[str, str]:
    import imblearn
    import pandas
    import pyarrow
    import sklearn
    import skops

    return {
        "clickpred": __version__,
        "git_commit": _git_commit(),
        "python": platform.python_version(),
        "scikit-learn": sklearn.__version__,
        "imbalanced-learn": imblearn.__version__,
        "numpy": np.__version__,
        "pandas": pandas.__version__,
        "pyarrow": pyarrow.__version__,
        "skops": skops.__version__,
    }


def cross_columns(ds: Dataset, spec: Spec, X, y) -> tuple[Dataset, list[str]]:
    """The dataset with the crosses ``[features] crosses`` asks for (chosen on ``X``, ``y`` — the training
    rows — when "auto"), and notes saying which."""
    from dataclasses import replace

    from ..io.crosses import check_pairs, choose, with_crosses

    wanted = spec.features.crosses
    if wanted == "none":
        return ds, []
    if wanted == "auto":
        pairs, evidence, note = choose(X, y, ds.schema, seed=spec.seed)
        notes = [note + " (chosen on the training rows; with plain CV the folds' rows too, a mild optimism)"]
    else:
        pairs, evidence = check_pairs(wanted, ds.schema, spec.source), {}
        notes = [f"crosses: {', '.join(f'{a} × {b}' for a, b in pairs)}"]
    if not pairs:
        return ds, notes
    frame, schema = with_crosses(ds.frame, ds.schema, pairs, spec.features.max_onehot_levels, evidence)
    return replace(ds, frame=frame, schema=schema), notes


def warning_notes(caught) -> list[str]:
    """Warnings caught while fitting, one note each (first line, no repeats, no deprecations)."""
    seen: dict[str, None] = {}
    for w in caught:
        if not issubclass(w.category, (DeprecationWarning, PendingDeprecationWarning)):
            seen.setdefault(f"{w.category.__name__}: {str(w.message).splitlines()[0]}")
    return list(seen)
