"""Saving and safely loading model files (skops format).

A model file holds the whole fitted pipeline plus metadata (schema, classes,
spec, versions, data hash, metrics summary). Loading never unpickles: skops
rebuilds only the types on :data:`ALLOWED_TYPES`, the ones clickpred itself
writes, and refuses a file holding anything else before any of it runs.

Example
-------
>>> model = load_model("models/logistic-class_weight.skops")  # doctest: +SKIP
>>> model.metadata["classes"]  # doctest: +SKIP
['view', 'click', 'conversion']
"""

from __future__ import annotations

import os
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import skops.io as sio

from .errors import ModelFileError

FORMAT = "clickpred-model"
FORMAT_VERSION = 1

# Types (beyond skops' built-in trusted ones) that clickpred model files contain.
ALLOWED_TYPES = frozenset(
    {
        "clickpred.estimators.BoundedSVC",
        "clickpred.estimators.ClippedLogit",
        "clickpred.estimators.FrequencyEncoder",
        "clickpred.estimators.NystroemSVM",
        "clickpred.estimators.ScaledTolLogisticRegression",
        "clickpred.estimators.TimestampFeatures",
        "clickpred.estimators.WeightedMLPClassifier",
        "clickpred.rebalance.RatioStrategy",
        "imblearn.over_sampling._random_over_sampler.RandomOverSampler",
        "imblearn.over_sampling._smote.base.SMOTE",
        "imblearn.over_sampling._smote.base.SMOTEN",
        "imblearn.over_sampling._smote.base.SMOTENC",
        "imblearn.pipeline.Pipeline",
        "imblearn.under_sampling._prototype_selection._random_under_sampler.RandomUnderSampler",
        "numpy.dtype",
        "scipy.sparse._csr.csr_matrix",
        "sklearn.calibration._CalibratedClassifier",
        "sklearn.calibration._SigmoidCalibration",
        "sklearn.model_selection._split.StratifiedKFold",
        "sklearn.neural_network._stochastic_optimizers.AdamOptimizer",
    }
)


@dataclass
class Model:
    """A loaded model file: the fitted pipeline and its metadata."""

    pipeline: object
    metadata: dict
    path: str


def save_model(path: str | Path, pipeline, metadata: dict) -> Path:
    """Write the pipeline and metadata to ``path`` atomically (temporary file, then rename)."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ModelFileError(f"{path}: cannot create folder {path.parent} ({exc.strerror})") from None
    payload = {"format": FORMAT, "format_version": FORMAT_VERSION, "metadata": metadata, "pipeline": pipeline}
    try:
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".skops", dir=path.parent)
        os.close(fd)
        sio.dump(payload, tmp)
        os.replace(tmp, path)
    except OSError as exc:
        raise ModelFileError(f"{path}: cannot write model file ({exc.strerror})") from None
    return path


def load_model(path: str | Path) -> Model:
    """Load a clickpred model file, refusing any type clickpred does not write."""
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"{path}: model file not found")
    if not zipfile.is_zipfile(path):
        raise ModelFileError(f"{path}: not a clickpred model file (not a skops archive)")
    try:
        untrusted = sio.get_untrusted_types(file=path)
    except Exception as exc:  # noqa: BLE001 - any parse failure means a corrupt file
        raise ModelFileError(f"{path}: corrupt model file ({type(exc).__name__}: {exc})") from None
    refused = sorted(set(untrusted) - ALLOWED_TYPES)
    if refused:
        shown = ", ".join(refused[:3]) + ("…" if len(refused) > 3 else "")
        raise ModelFileError(f"{path}: refused to load: contains types clickpred does not write ({shown})")
    try:
        payload = sio.load(path, trusted=sorted(untrusted))
    except Exception as exc:  # noqa: BLE001
        raise ModelFileError(f"{path}: corrupt model file ({type(exc).__name__}: {exc})") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ModelFileError(f"{path}: not a clickpred model file")
    if payload.get("format_version") != FORMAT_VERSION:
        raise ModelFileError(
            f"{path}: model file format version {payload.get('format_version')} is not supported "
            f"(this clickpred reads version {FORMAT_VERSION}): retrain the model"
        )
    return Model(pipeline=payload["pipeline"], metadata=payload["metadata"], path=str(path))
