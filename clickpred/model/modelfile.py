"""Saving and safely loading model files (skops format).

A model file holds the whole fitted pipeline plus metadata (schema, classes,
spec, versions, data hash, metrics summary). Loading never unpickles: skops
rebuilds only the types on :data:`clickpred.model.allowlist.ALLOWED_TYPES`, exactly
the ones clickpred itself writes (not skops' default trusted set), and a file holding
anything else is refused before any of it runs.
A pickle or joblib file (which runs code when loaded) is refused unless the
caller says it trusts it (``trust_pickle=True``, ``--trust-pickle``). A model
written by another model-file format version, or with another major version
of scikit-learn / imbalanced-learn, is refused with the reason.

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
from typing import Any

from ..errors import ModelFileError
from .allowlist import ALLOWED_TYPES, file_schema, refused_types, schema_types
from .payload import check_archive, validate_metadata, validate_payload
from .reader import PROTOCOL, read_archive
from .skops_import import skops_io

__all__ = ["ALLOWED_TYPES", "Model", "load_model", "read_metadata", "save_model"]

FORMAT = "clickpred-model"
# 2: columns record their training type (cast.dtype_of); 3: probability correction + decision rule;
# 4: the estimators moved into subpackages (clickpred.modeling.estimators, …), so skops records new paths.
FORMAT_VERSION = 4
READABLE_VERSIONS = (4,)
# Where format-3 files recorded clickpred's estimators: such a file is an older model, not a hostile one.
LEGACY_MODULES = frozenset({"clickpred.calibrate", "clickpred.estimators", "clickpred.funnel", "clickpred.rebalance"})
# Types clickpred wrote once and writes no more: a file holding them is an older model, not a hostile one.
RETIRED_TYPES = {
    "sklearn.preprocessing._discretization.KBinsDiscretizer": "[features] numeric_bins, now binned by ValueBins"
}
RETRAIN = "retrain it with this clickpred (`clickpred train DATA --model FILE`, same options as before)"
# The metadata again as plain JSON beside the skops payload, so that `clickpred info` reads it without importing
# scikit-learn (validated by value all the same; load_model checks the two agree).
METADATA_MEMBER = "clickpred-metadata.json"
MAX_METADATA_BYTES = 64 * 1024**2
# Libraries whose major version must match the one that wrote the model.
PINNED_LIBRARIES = ("scikit-learn", "imbalanced-learn")


@dataclass
class Model:
    """A loaded model file: the fitted pipeline and its metadata."""

    pipeline: Any  # a fitted Pipeline as it predicts (samplers passthrough; older files: imbalanced-learn's), or a FunnelClassifier
    metadata: dict
    path: str
    fastpath: dict | None = None  # compiled linear-scorer tables, if train stored them
    calibrator: object = None  # fitted calibrator of the probability correction (metadata["correction"])
    decision_sample: dict | None = None  # out-of-fold probabilities + labels, to re-tune a decision rule
    profile: dict | None = None  # the training distribution of every input column (clickpred.evaluation.drift)

    def predictor(self, decision: str | None = None, costs=None):
        """The model as used: pipeline → corrected probabilities → decision (:mod:`clickpred.postfit.predictor`)."""
        from ..postfit.predictor import Predictor

        return Predictor.from_model(self, decision, costs)


def save_model(
    path: str | Path,
    pipeline,
    metadata: dict,
    fastpath: dict | None = None,
    calibrator=None,
    decision_sample: dict | None = None,
    profile: dict | None = None,
) -> Path:
    """Write the pipeline and metadata to ``path`` atomically (temporary file, then rename).

    ``fastpath``: the compiled linear scorer's tables (:meth:`LinearScorer.state`), so that
    scoring need not compile them again (it still checks them against the pipeline).
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ModelFileError(f"{path}: cannot create folder {path.parent} ({exc.strerror})") from None
    payload = {"format": FORMAT, "format_version": FORMAT_VERSION, "metadata": metadata, "pipeline": pipeline}
    if fastpath is not None:
        payload["fastpath"] = fastpath
    if calibrator is not None:
        payload["calibrator"] = calibrator
    if decision_sample is not None:
        payload["decision_sample"] = decision_sample
    if profile is not None:
        payload["drift_profile"] = profile
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".skops", dir=path.parent)
        os.close(fd)
        from ..io.writers import file_mode

        os.chmod(tmp, file_mode())
        sio = skops_io()
        # zlib's fastest level: the same file within 2% (the arrays are most of it) in a third of the time — on
        # 1M rows 14.3 MB either way, written in 0.5 s instead of 1.7 s
        sio.dump(payload, tmp, compression=zipfile.ZIP_DEFLATED, compresslevel=1)
        with zipfile.ZipFile(tmp, "a", compression=zipfile.ZIP_DEFLATED) as z:
            z.writestr(METADATA_MEMBER, _metadata_json(metadata))
        os.replace(tmp, path)
    except OSError as exc:
        from ..io.writers import write_error

        raise ModelFileError(f"model file {write_error(path, exc)}") from None
    finally:
        if tmp is not None and os.path.exists(tmp):  # a failed write (a full disk) leaves nothing behind
            os.unlink(tmp)
    return path


def _plain(value):
    """numpy scalars and arrays as Python numbers and lists (json.dumps' default)."""
    import numpy as np

    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON")


def _metadata_json(metadata: dict) -> str:
    import json

    return json.dumps(metadata, default=_plain, sort_keys=True)


def read_metadata(path: str | Path, trust_pickle: bool = False) -> dict:
    """What a model file records (classes, schema, spec, data, metrics, versions), validated by value, without
    loading its pipeline — so without importing scikit-learn (a file written before the metadata member existed,
    or a pickle, is loaded whole)."""
    import json

    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"{path}: model file not found")
    if _is_pickle(path) or not zipfile.is_zipfile(path):
        return load_model(path, trust_pickle=trust_pickle).metadata  # refuses it, or loads a trusted pickle
    check_archive(path)
    try:
        with zipfile.ZipFile(path) as z:
            if METADATA_MEMBER not in z.namelist():
                return load_model(path).metadata
            info = z.getinfo(METADATA_MEMBER)
            if info.file_size > MAX_METADATA_BYTES:
                raise ModelFileError(f"{path}: refused to load: its metadata inflates to {info.file_size:,} bytes")
            metadata = json.loads(z.read(METADATA_MEMBER))
    except ModelFileError:
        raise
    except (zipfile.BadZipFile, OSError, ValueError, RecursionError) as exc:  # RecursionError: JSON nested deep
        raise ModelFileError(f"{path}: corrupt model file ({type(exc).__name__}: {exc})") from None
    if not isinstance(metadata, dict):
        raise ModelFileError(f"{path}: corrupt model file (its metadata is not a table)")
    validate_metadata(path, metadata)
    return metadata


def _is_pickle(path: Path) -> bool:
    with open(path, "rb") as fh:
        head = fh.read(2)
    # pickle protocol 2+ starts with 0x80; joblib compresses with zlib (0x78) or gzip/xz/lzma/bz2.
    return head[:1] == b"\x80" or head[:1] == b"\x78" or head in (b"\x1f\x8b", b"\xfd7", b"BZ", b"\x5d\x00")


def load_model(path: str | Path, trust_pickle: bool = False) -> Model:
    """Load a clickpred model file, refusing any type clickpred does not write.

    With ``trust_pickle=True`` a joblib/pickle file holding a clickpred model
    (the payload :func:`save_model` writes) is loaded too: only do that for
    files from a source you trust, since loading a pickle runs code.
    """
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"{path}: model file not found")
    if not zipfile.is_zipfile(path):
        if _is_pickle(path):
            if not trust_pickle:
                raise ModelFileError(
                    f"{path}: is a pickle/joblib file, and loading one can run arbitrary code: "
                    "pass --trust-pickle only if you trust where it came from"
                )
            return _check_payload(path, _load_pickle(path))
        raise ModelFileError(f"{path}: not a clickpred model file (not a skops archive)")
    check_archive(path)
    try:
        schema = file_schema(path)  # read once: the allowlist's types, the protocol, the reader
        types = schema_types(schema)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, RecursionError) as exc:
        raise ModelFileError(f"{path}: corrupt model file ({type(exc).__name__}: {exc})"[:300]) from None
    refused = refused_types(types)
    if refused and all(t.rsplit(".", 1)[0] in LEGACY_MODULES for t in refused):
        raise ModelFileError(
            f"{path}: written by an older clickpred (model-file format 3 or earlier, before its "
            f"estimators moved to clickpred.modeling): {RETRAIN}"
        )
    if refused and all(t in RETIRED_TYPES for t in refused):
        raise ModelFileError(f"{path}: written by an older clickpred ({RETIRED_TYPES[refused[0]]}): {RETRAIN}")
    if refused:
        shown = ", ".join(refused[:3]) + ("…" if len(refused) > 3 else "")
        raise ModelFileError(f"{path}: refused to load: contains types clickpred does not write ({shown})")
    try:
        payload = _read(path, schema, types)
    except Exception as exc:  # noqa: BLE001
        raise ModelFileError(f"{path}: corrupt model file ({type(exc).__name__}: {exc})"[:300]) from None
    return _check_payload(path, payload)


def _read(path: Path, schema: Any, types: set) -> Any:
    """The archive's objects: rebuilt by clickpred's own reader (:mod:`.reader`, no skops import) when the file is
    of the skops protocol it knows, else by skops' loader trusting exactly the (allowlisted) types the file holds."""
    if schema.get("protocol") == PROTOCOL:
        with zipfile.ZipFile(path) as archive:
            return read_archive(archive, schema)
    return skops_io().load(path, trusted=sorted({f"{m}.{c}" for m, c, _ in types}))


def _load_pickle(path: Path):
    import joblib

    try:
        return joblib.load(path)
    except Exception as exc:  # noqa: BLE001
        raise ModelFileError(f"{path}: cannot load pickle ({type(exc).__name__}: {exc})") from None


def _check_payload(path: Path, payload) -> Model:
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ModelFileError(f"{path}: not a clickpred model file")
    if payload.get("format_version") not in READABLE_VERSIONS:
        found = payload.get("format_version")
        older = isinstance(found, int) and not isinstance(found, bool) and found < FORMAT_VERSION
        raise ModelFileError(
            f"{path}: model file format version {found} is not supported (this clickpred reads version "
            f"{FORMAT_VERSION}): " + (f"written by an older clickpred; {RETRAIN}" if older else "retrain the model")
        )
    metadata = payload.get("metadata")
    if isinstance(metadata, dict) and isinstance(metadata.get("versions"), dict):
        _check_versions(path, metadata["versions"])  # first: another major version explains any other mismatch
    validate_payload(path, payload)  # metadata is a table from here on
    assert isinstance(metadata, dict)
    _check_metadata_member(path, metadata)
    return Model(
        pipeline=payload["pipeline"],
        metadata=metadata,
        path=str(path),
        fastpath=payload.get("fastpath"),
        calibrator=payload.get("calibrator"),
        decision_sample=payload.get("decision_sample"),
        profile=payload.get("drift_profile"),
    )


def _check_metadata_member(path: Path, metadata: dict) -> None:
    """The plain-JSON metadata `info` shows must be the payload's (a file edited to show one thing and score with
    another is refused)."""
    import json

    if not zipfile.is_zipfile(path):
        return  # a trusted pickle
    with zipfile.ZipFile(path) as z:
        if METADATA_MEMBER not in z.namelist():
            return
        try:
            shown = json.loads(z.read(METADATA_MEMBER))
        except (ValueError, RecursionError) as exc:
            raise ModelFileError(f"{path}: corrupt model file ({type(exc).__name__} in {METADATA_MEMBER})") from None
    if shown != json.loads(_metadata_json(metadata)):
        raise ModelFileError(f"{path}: refused to load: its {METADATA_MEMBER} differs from the model's own metadata")


def _check_versions(path: Path, written: dict) -> None:
    from importlib.metadata import PackageNotFoundError, version

    for lib in PINNED_LIBRARIES:
        then = written.get(lib)
        if not isinstance(then, str) or not then:
            continue
        try:
            now = version(lib)
        except PackageNotFoundError:  # pragma: no cover - a dependency
            continue
        if then.split(".")[0] != now.split(".")[0]:
            raise ModelFileError(
                f"{path}: written with {lib} {then}, this installation has {now} (another major version): "
                "retrain the model or install a matching version"
            )
