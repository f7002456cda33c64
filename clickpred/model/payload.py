"""Validating a model file by value, before anything in it is called.

A file holding a type clickpred does not write is refused before skops rebuilds it (:mod:`clickpred.model.allowlist`),
but values inside allowed types can still be instructions: a method name that
``score`` looks up with ``getattr``, a ``Pipeline.memory`` folder that joblib
would cache into (and unpickle from), a ``FunctionTransformer.func``, an
``n_jobs`` of a million, thresholds that are not numbers. This module checks a
loaded payload against what :func:`clickpred.estimator.training.model_metadata` and
:func:`clickpred.model.modelfile.save_model` write, and raises :class:`ModelFileError`
naming the field at fault. It also bounds what an archive may inflate to
(:func:`check_archive`), before skops reads a byte of it.

Example
-------
>>> check_archive("models/demo.skops")  # doctest: +SKIP
>>> validate_payload("models/demo.skops", payload)  # doctest: +SKIP
"""

from __future__ import annotations

import functools
import math
import os
import zipfile
from numbers import Integral, Real
from pathlib import Path
from typing import Any, NoReturn

import numpy as np

from ..errors import ModelFileError

SCORE_METHODS = ("predict_proba", "decision_function")
KINDS = ("numeric", "categorical", "id", "timestamp")
DTYPES = ("bool", "int", "float", "string", "datetime")
PAYLOAD_KEYS = {
    "format",
    "format_version",
    "metadata",
    "pipeline",
    "fastpath",
    "calibrator",
    "decision_sample",
    "drift_profile",
}
REQUIRED_METADATA = ("classes", "schema", "score_method", "versions")
PINNED = ("scikit-learn", "imbalanced-learn")

# An archive may inflate to at most this multiple of its size, plus a floor (clickpred's own files
# inflate 4–40×: JSON of category vocabularies compresses well, float arrays don't).
MAX_INFLATION = 100
INFLATION_FLOOR = 64 * 1024**2
MAX_MEMBERS = 100_000
MAX_JOBS = 256
MAX_TREE_WIDTH = 10_000_000  # columns or trees per iteration a boosted model may declare
SVC_KERNELS = ("linear", "poly", "rbf", "sigmoid")  # not "precomputed" (rows would be kernel values)
MAX_CALIBRATED = 20  # calibrated classifiers per class: clickpred writes one (one split holding every row)
# The map each calibration method fits (scikit-learn's private classes, named as skops names them).
CALIBRATION_MAPS = {
    "sigmoid": "sklearn.calibration._SigmoidCalibration",
    "temperature": "sklearn.calibration._TemperatureScaling",
    "isotonic": "sklearn.isotonic.IsotonicRegression",
}
MAX_TEXT = 10_000  # characters in a name, label or class
MAX_COLUMNS = 1_000_000  # column names an option may list


def check_archive(path: Path) -> None:
    """Refuse an archive whose members inflate far beyond the file (a zip bomb), from its directory only."""
    size = os.path.getsize(path)
    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ModelFileError(f"{path}: corrupt model file ({exc})") from None
    if len(infos) > MAX_MEMBERS:
        raise ModelFileError(f"{path}: refused to load: {len(infos):,} archive members (clickpred writes far fewer)")
    total = sum(i.file_size for i in infos)
    limit = MAX_INFLATION * size + INFLATION_FLOOR
    if total > limit:
        raise ModelFileError(
            f"{path}: refused to load: its members inflate to {total / 1024**2:,.0f} MiB from a "
            f"{size / 1024**2:,.1f} MiB file (at most {MAX_INFLATION}× plus {INFLATION_FLOOR // 1024**2} MiB): "
            "not a file clickpred wrote"
        )


class _Checker:
    def __init__(self, path):
        self.path = path

    def fail(self, where: str, what: str) -> NoReturn:
        raise ModelFileError(f"{self.path}: refused to load: {where}: {what}")

    # ------------------------------------------------------------ plain values
    def text(self, value, where: str, allow_none: bool = False) -> None:
        if value is None and allow_none:
            return
        if not isinstance(value, str):
            self.fail(where, f"expected text, got {type(value).__name__}")
        if len(value) > MAX_TEXT:
            self.fail(where, f"text of {len(value):,} characters")

    def number(self, value, where: str, lo: float = -math.inf, hi: float = math.inf, allow_none: bool = False) -> None:
        if value is None and allow_none:
            return
        if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(float(value)):
            self.fail(where, f"expected a finite number, got {value!r}"[:200])
        if not lo <= float(value) <= hi:
            self.fail(where, f"{value!r} outside [{lo:g}, {hi:g}]")

    def count(self, value, where: str) -> None:
        if isinstance(value, bool) or not isinstance(value, Integral) or value < 0:
            self.fail(where, f"expected a count, got {value!r}"[:200])

    def mapping(self, value, where: str, allow_none: bool = False) -> dict:
        if value is None and allow_none:
            return {}
        if not isinstance(value, dict):
            self.fail(where, f"expected a table, got {type(value).__name__}")
        for k in value:
            self.text(k, f"{where} key")
        return value

    def array(self, value, where: str, ndim: int, kind: str = "f") -> np.ndarray:
        if (
            not isinstance(value, np.ndarray)
            or value.ndim != ndim
            or value.dtype.kind not in kind
            or value.dtype.hasobject
        ):
            self.fail(where, f"expected a {ndim}-d numeric array")
        if value.dtype.kind == "f" and not np.isfinite(value).all():
            self.fail(where, "non-finite values")
        return value

    # ------------------------------------------------------------ the payload
    def payload(self, payload) -> None:
        extra = sorted(set(payload) - PAYLOAD_KEYS, key=str)
        if extra:
            self.fail("payload", f"unexpected entry {extra[0]!r}")
        md, classes = self.metadata(payload.get("metadata"))
        self.objects(payload.get("pipeline"), "pipeline")
        self.pipeline(payload.get("pipeline"), md["score_method"], classes)
        self.calibrator(payload.get("calibrator"), classes, md.get("correction"))
        self.fastpath(payload.get("fastpath"), md["schema"])
        self.decision_sample(payload.get("decision_sample"), classes)
        self.drift_profile(payload.get("drift_profile"), md["schema"])

    def drift_profile(self, prof, schema) -> None:
        """The training distribution drift is measured against (:mod:`clickpred.evaluation.drift`): one entry per
        input column of the schema, of its kind, with bins whose counts fit them."""
        from ..evaluation.drift import BINS, HOURS, LEVELS, MAX_VOCABULARY

        if prof is None:
            return
        prof = self.mapping(prof, "drift_profile")
        if set(prof) != {"rows", "columns", "scores"}:
            self.fail("drift_profile", "unexpected entries")
        classes = [c for c in schema.get("classes", [])]
        for c, s in self.mapping(prof["scores"], "drift_profile.scores").items():
            where = f"drift_profile.scores.{c}"
            if c not in classes[1:]:
                self.fail(where, "not a minority class of the model")
            s = self.mapping(s, where)
            if set(s) != {"edges", "counts"}:
                self.fail(where, "unexpected entries")
            edges = self.array(s["edges"], f"{where}.edges", 1, "f")
            if len(edges) > BINS - 1 or (len(edges) > 1 and not (np.diff(edges) > 0).all()):
                self.fail(f"{where}.edges", "expected increasing quantiles")
            counts = self.array(s["counts"], f"{where}.counts", 1, "iu")
            if len(counts) != len(edges) + 2 or (len(counts) and counts.min() < 0):
                self.fail(f"{where}.counts", f"expected {len(edges) + 2} counts, none negative")
        self.count(prof["rows"], "drift_profile.rows")
        columns = self.mapping(prof["columns"], "drift_profile.columns")
        kinds = {c["name"]: c["kind"] for c in schema["features"] if not c.get("of")}
        if set(columns) != set(kinds):
            self.fail("drift_profile.columns", "do not match the schema's input columns")
        for name, p in columns.items():
            where = f"drift_profile.columns.{name}"
            p = self.mapping(p, where)
            kind = {"id": "categorical"}.get(kinds[name], kinds[name])
            if p.get("kind") != kind:
                self.fail(f"{where}.kind", f"expected {kind}")
            counts = self.array(p.get("counts"), f"{where}.counts", 1, "iu")
            if len(counts) and counts.min() < 0:
                self.fail(f"{where}.counts", "negative counts")
            if kind == "numeric":
                keys, edges = {"kind", "edges", "counts"}, self.array(p.get("edges"), f"{where}.edges", 1, "f")
                if len(edges) > BINS - 1 or (len(edges) > 1 and not (np.diff(edges) > 0).all()):
                    self.fail(f"{where}.edges", "expected increasing quantiles")
                bins = len(edges) + 2
            elif kind == "categorical":
                keys, vocabulary = {"kind", "vocabulary", "counts", "truncated"}, p.get("vocabulary")
                if (
                    not isinstance(vocabulary, np.ndarray)
                    or vocabulary.ndim != 1
                    or vocabulary.dtype.kind != "U"
                    or len(vocabulary) > MAX_VOCABULARY
                    or len(np.unique(vocabulary)) != len(vocabulary)
                ):
                    self.fail(f"{where}.vocabulary", "expected a text array of distinct values")
                if not isinstance(p.get("truncated"), bool):
                    self.fail(f"{where}.truncated", "expected true or false")
                bins = min(LEVELS, len(vocabulary)) + 3
            else:
                keys, bins = {"kind", "counts"}, HOURS + 1
            if set(p) != keys:
                self.fail(where, "unexpected entries")
            if len(counts) != bins:
                self.fail(f"{where}.counts", f"{len(counts)} bins, expected {bins}")

    def metadata(self, metadata) -> tuple[dict, list[str]]:
        md = self.mapping(metadata, "metadata")
        for key in REQUIRED_METADATA:
            if key not in md:
                self.fail("metadata", f"no '{key}'")
        classes = self.classes(md["classes"])
        if md["score_method"] not in SCORE_METHODS:
            self.fail(
                "metadata.score_method", f"{md['score_method']!r}"[:100] + f" is not one of {', '.join(SCORE_METHODS)}"
            )
        self.versions(md["versions"])
        self.schema(md["schema"], classes)
        self.metadata_rest(md, classes)
        return md, classes

    def classes(self, classes) -> list[str]:
        if not isinstance(classes, list) or len(classes) < 2 or len(set(map(str, classes))) != len(classes):
            self.fail("metadata.classes", "expected a list of at least two distinct class names")
        for c in classes:
            self.text(c, "metadata.classes")
        return classes

    def versions(self, versions) -> None:
        self.mapping(versions, "metadata.versions")
        for lib in PINNED:
            if not versions.get(lib):
                self.fail(
                    "metadata.versions", f"no {lib} version (clickpred records it to refuse another major version)"
                )
        for k, v in versions.items():
            self.text(v, f"metadata.versions.{k}", allow_none=True)

    def schema(self, schema, classes) -> None:
        self.mapping(schema, "metadata.schema")
        self.text(schema.get("target"), "metadata.schema.target")
        if list(schema.get("classes") or []) != list(classes):
            self.fail("metadata.schema.classes", "differ from metadata.classes")
        features = schema.get("features")
        if not isinstance(features, list) or not features:
            self.fail("metadata.schema.features", "expected a list of columns")
        names = set()
        for i, col in enumerate(features):
            where = f"metadata.schema.features[{i}]"
            self.mapping(col, where)
            if (
                set(col)
                - {"name", "kind", "n_unique", "n_missing", "source", "dtype", "evidence", "of", "times_of_day", "bins"}
                or "name" not in col
            ):
                self.fail(where, "unexpected fields")
            self.text(col["name"], f"{where}.name")
            if col["name"] in names:
                self.fail(where, f"column {col['name']!r} twice")
            names.add(col["name"])
            if col.get("kind") not in KINDS:
                self.fail(f"{where}.kind", f"{col.get('kind')!r}"[:100] + f" is not one of {', '.join(KINDS)}")
            self.count(col.get("n_unique", 0), f"{where}.n_unique")
            self.count(col.get("n_missing", 0), f"{where}.n_missing")
            self.text(col.get("source", ""), f"{where}.source")
            self.text(col.get("evidence", ""), f"{where}.evidence")
            self.text(col.get("bins", ""), f"{where}.bins")
            of = col.get("of", [])
            if of and (
                not isinstance(of, list)
                or len(of) != 2
                or not all(isinstance(o, str) and o in names for o in of)
                or col.get("kind") not in ("categorical", "id")
            ):
                self.fail(f"{where}.of", "a cross must pair two categorical columns listed before it")
            if not isinstance(col.get("times_of_day", True), bool):
                self.fail(f"{where}.times_of_day", "expected true or false")
            dtype = col.get("dtype", "string")
            self.text(dtype, f"{where}.dtype")
            family, _, tz = dtype.partition(":")
            if family not in DTYPES or (tz and family != "datetime"):
                self.fail(f"{where}.dtype", f"{dtype!r}"[:100] + " is not a type clickpred records")
            if tz:
                try:
                    import pandas as pd

                    pd.Timestamp("2025-01-01", tz=tz)
                except Exception:  # noqa: BLE001 - any failure: not a time zone
                    self.fail(f"{where}.dtype", f"unknown time zone {tz!r}"[:100])
        for key in ("dropped", "renamed"):
            for k, v in self.mapping(schema.get(key, {}), f"metadata.schema.{key}").items():
                self.text(v, f"metadata.schema.{key}.{k}")

    def metadata_rest(self, md: dict, classes: list[str]) -> None:
        self.text(md.get("name", ""), "metadata.name")
        header = self.mapping(md.get("input", {}), "metadata.input").get("header", True)
        if not isinstance(header, bool):
            self.fail("metadata.input.header", f"expected true or false, got {header!r}"[:100])
        data = self.mapping(md.get("data", {}), "metadata.data")
        for c, n in self.mapping(data.get("class_counts", {}), "metadata.data.class_counts").items():
            self.count(n, f"metadata.data.class_counts.{c}")
        if "n_rows" in data:
            self.count(data["n_rows"], "metadata.data.n_rows")
        for key in ("path", "sha256"):
            self.text(data.get(key, ""), f"metadata.data.{key}")
        for key in ("created", "evaluated_on"):
            self.text(md.get(key, ""), f"metadata.{key}")
        spec = self.mapping(md.get("spec", {}), "metadata.spec")
        for part in ("classifier", "strategy"):
            if part in spec:
                comp = self.mapping(spec[part], f"metadata.spec.{part}")
                self.text(comp.get("name"), f"metadata.spec.{part}.name")
                self.mapping(comp.get("params", {}), f"metadata.spec.{part}.params")
        for key in ("folds", "seed"):
            if key in spec:
                self.count(spec[key], f"metadata.spec.{key}")
        for c, m in self.mapping(md.get("metrics", {}), "metadata.metrics").items():
            self.mapping(m, f"metadata.metrics.{c}")
            for key in ("pr_auc", "pr_auc_baseline", "recall", "precision"):
                self.number(m.get(key), f"metadata.metrics.{c}.{key}", 0, 1, allow_none=True)
            if "support" in m:
                self.count(m["support"], f"metadata.metrics.{c}.support")
        sampling = self.mapping(md.get("sampling"), "metadata.sampling", allow_none=True)
        if sampling:
            for c, n in self.mapping(sampling.get("read_counts"), "metadata.sampling.read_counts").items():
                self.count(n, f"metadata.sampling.read_counts.{c}")
            self.number(sampling.get("negative_rate"), "metadata.sampling.negative_rate", 0, 1)
        for w in md.get("leakage_warnings", []) or []:
            self.text(w, "metadata.leakage_warnings")
        self.correction(md.get("correction"), classes)
        self.decision(md.get("decision"), classes)
        self.labels(md.get("labels"), classes)
        self.options(md.get("options"))
        self.importance(md.get("importance"), classes)
        self.classifier_choice(md.get("classifier_choice"), classes)

    def classifier_choice(self, doc, classes: list[str]) -> None:
        """``--classifier auto``'s record (:func:`clickpred.estimator.choose.choose_classifier`), shown by ``info``."""
        from ..modeling.spec import AUTO_CANDIDATES

        doc = self.mapping(doc, "metadata.classifier_choice", allow_none=True)
        if not doc:
            return
        where = "metadata.classifier_choice"
        candidates = self.mapping(doc.get("candidates"), f"{where}.candidates")
        if sorted(candidates) != sorted(AUTO_CANDIDATES) or doc.get("chosen") not in AUTO_CANDIDATES:
            self.fail(where, f"expected the candidates {', '.join(AUTO_CANDIDATES)} and one of them chosen")
        for name, c in candidates.items():
            c = self.mapping(c, f"{where}.candidates.{name}")
            for key in ("pr_auc", "low", "high"):
                self.number(c.get(key), f"{where}.candidates.{name}.{key}", 0, 1)
        if doc.get("class") not in classes:
            self.fail(f"{where}.class", f"{doc.get('class')!r}"[:100] + " is not a class of the model")
        for key in ("rows", "class_rows", "of_rows", "folds"):
            self.count(doc.get(key), f"{where}.{key}")
        d = self.mapping(doc.get("difference"), f"{where}.difference")
        for key in ("estimate", "low", "high"):
            self.number(d.get(key), f"{where}.difference.{key}", -1, 1)
        for key in ("why", "judged"):
            self.text(doc.get(key), f"{where}.{key}")
        self.text(d.get("of"), f"{where}.difference.of")
        if not isinstance(doc.get("share"), bool):
            self.fail(f"{where}.share", "expected true or false")

    def importance(self, records, classes: list[str]) -> None:
        """Permutation importance records (:mod:`clickpred.evaluation.importance`), shown by ``info`` and the
        estimator's ``importance_``."""
        if records is None:
            return
        if not isinstance(records, list) or len(records) > MAX_COLUMNS:
            self.fail("metadata.importance", "expected a list of records")
        for i, r in enumerate(records):
            where = f"metadata.importance[{i}]"
            r = self.mapping(r, where)
            self.text(r.get("column"), f"{where}.column")
            if r.get("class") not in classes:
                self.fail(f"{where}.class", f"{r.get('class')!r}"[:100] + " is not a class of the model")
            if r.get("kind") not in ("column", "cross"):
                self.fail(f"{where}.kind", "expected column or cross")
            of = r.get("of", [])
            if not isinstance(of, list) or len(of) not in (0, 2):
                self.fail(f"{where}.of", "expected the two columns of a cross, or none")
            for name in of:
                self.text(name, f"{where}.of")
            self.number(r.get("pr_auc_drop"), f"{where}.pr_auc_drop", -1, 1)
            for key in ("low", "high"):
                self.number(r.get(key), f"{where}.{key}", allow_none=True)
            if not isinstance(r.get("distinguishable"), bool):
                self.fail(f"{where}.distinguishable", "expected true or false")
            self.count(r.get("folds"), f"{where}.folds")

    def labels(self, labels, classes: list[str]) -> None:
        """{class: the label as the training data held it}: one per class, each a number, text or true/false."""
        labels = self.mapping(labels, "metadata.labels", allow_none=True)
        if not labels:
            return
        if sorted(labels) != sorted(classes):
            self.fail("metadata.labels", "expected one label per class")
        seen = set()
        for c, v in labels.items():
            where = f"metadata.labels.{c}"
            if isinstance(v, str):
                self.text(v, where)
            elif not isinstance(v, bool):
                self.number(v, where)
            key = (type(v).__name__, v)
            if key in seen:
                self.fail(where, "two classes with the same label")
            seen.add(key)

    def options(self, options) -> None:
        """What train was asked beyond the spec (a loaded estimator's parameters)."""
        from ..postfit.correction import METHODS

        options = self.mapping(options, "metadata.options", allow_none=True)
        if set(options) - {"calibration", "decision", "costs", "categorical", "numeric", "folds", "funnel", "split_by"}:
            self.fail("metadata.options", "unexpected fields")
        folds = options.get("folds")  # an estimator's folds where its smallest class lowered them
        if folds is not None and (not isinstance(folds, int) or isinstance(folds, bool) or not 2 <= folds <= 10_000):
            self.fail("metadata.options.folds", "expected a whole number of folds, 2 to 10,000")
        if options.get("calibration", "auto") not in METHODS:
            self.fail("metadata.options.calibration", f"{options.get('calibration')!r}"[:100] + " is not a method")
        for key in ("decision", "costs", "split_by"):
            self.text(options.get(key), f"metadata.options.{key}", allow_none=True)
        for key in ("categorical", "numeric", "funnel"):
            names = options.get(key)
            if names is not None and (not isinstance(names, list) or len(names) > MAX_COLUMNS):
                self.fail(f"metadata.options.{key}", "expected a list of column names")
            for name in names or []:
                self.text(name, f"metadata.options.{key}")

    def correction(self, state, classes) -> None:
        from ..postfit.correction import CALIBRATORS

        state = self.mapping(state, "metadata.correction", allow_none=True)
        if not state:
            return
        method = state.get("method")
        parts = str(method).split("+")
        valid = {"none"} if parts == ["none"] else {"prior", *CALIBRATORS}
        if not isinstance(method, str) or not set(parts) <= valid or len(parts) != len(set(parts)):
            self.fail("metadata.correction.method", f"{method!r}"[:100] + " is not a correction clickpred applies")
        if state.get("kind") not in SCORE_METHODS:
            self.fail(
                "metadata.correction.kind",
                f"{state.get('kind')!r}"[:100] + f" is not one of {', '.join(SCORE_METHODS)}",
            )
        ratio = self.mapping(state.get("prior_ratio"), "metadata.correction.prior_ratio", allow_none=True)
        if ratio:
            if sorted(ratio) != sorted(classes):
                self.fail("metadata.correction.prior_ratio", "must give one ratio per class")
            for c, r in ratio.items():
                self.number(r, f"metadata.correction.prior_ratio.{c}", 0, 1e12)
                if r <= 0:
                    self.fail(f"metadata.correction.prior_ratio.{c}", "must be positive")

    def decision(self, d, classes) -> None:
        from ..postfit.decisions import KINDS as RULES

        d = self.mapping(d, "metadata.decision", allow_none=True)
        if not d:
            return
        if d.get("kind") not in RULES:
            self.fail("metadata.decision.kind", f"{d.get('kind')!r}"[:100] + f" is not one of {', '.join(RULES)}")
        if list(d.get("classes") or []) != list(classes):
            self.fail("metadata.decision.classes", "differ from metadata.classes")
        costs = d.get("costs")
        if costs is not None:
            try:
                C = np.asarray(costs, dtype=float)
            except (TypeError, ValueError):
                self.fail("metadata.decision.costs", "not a matrix of numbers")
            if C.shape != (len(classes), len(classes)) or not np.isfinite(C).all():
                self.fail("metadata.decision.costs", f"expected a finite {len(classes)} × {len(classes)} matrix")
        elif d["kind"] == "cost":
            self.fail("metadata.decision.costs", "a cost rule without a cost matrix")
        for c, t in self.mapping(d.get("targets", {}), "metadata.decision.targets").items():
            if c not in classes[1:]:
                self.fail("metadata.decision.targets", f"{c!r} is not a minority class")
            self.number(t, f"metadata.decision.targets.{c}", 0, 1)
        if d["kind"] == "recall" and not d.get("targets"):
            self.fail("metadata.decision.targets", "a recall rule without targets")
        if d["kind"] == "top" or d.get("top") is not None:
            self.number(d.get("top"), "metadata.decision.top", 0, 1)
        for c, t in self.mapping(d.get("thresholds", {}), "metadata.decision.thresholds").items():
            if c not in classes[1:] and c != "any":
                self.fail("metadata.decision.thresholds", f"{c!r} is not a minority class")
            self.number(t, f"metadata.decision.thresholds.{c}", 0, 1)
        if d["kind"] == "top" and "any" not in (d.get("thresholds") or {}):
            self.fail("metadata.decision.thresholds", "a top-K% rule without its threshold")
        self.text(d.get("label", ""), "metadata.decision.label")

    # ------------------------------------------------------------ fitted objects
    def objects(self, root, where: str) -> None:
        """Walk every object reachable from ``root``: no value may be an instruction."""
        # Each class as an isinstance target only if its module is imported: an object of it (or of a subclass)
        # cannot exist otherwise, and importing gradient boosting or the MLP to learn that a logistic model holds
        # neither cost score's start-up ~0.1 s.
        HistGradientBoostingClassifier = _loaded("sklearn.ensemble", "HistGradientBoostingClassifier")
        SimpleImputer = _loaded("sklearn.impute", "SimpleImputer")
        LinearClassifierMixin = _loaded("sklearn.linear_model._base", "LinearClassifierMixin")
        MLPClassifier = _loaded("sklearn.neural_network", "MLPClassifier")
        SkPipeline = _loaded("sklearn.pipeline", "Pipeline")
        FunctionTransformer = _loaded("sklearn.preprocessing", "FunctionTransformer")
        KBinsDiscretizer = _loaded("sklearn.preprocessing", "KBinsDiscretizer")
        StandardScaler = _loaded("sklearn.preprocessing", "StandardScaler")
        TargetEncoder = _loaded("sklearn.preprocessing", "TargetEncoder")
        SVC = _loaded("sklearn.svm", "SVC")
        ours = "clickpred.modeling.estimators"
        CategoryCodes, ClippedLogit, FrequencyEncoder, NystroemSVM, ValueBins = (
            _loaded(ours, name)
            for name in ("CategoryCodes", "ClippedLogit", "FrequencyEncoder", "NystroemSVM", "ValueBins")
        )

        seen: set[int] = set()
        stack = [root]
        while stack:
            obj = stack.pop()
            if (
                id(obj) in seen
                or obj is None
                or isinstance(obj, (str, bytes, bool, int, float, np.ndarray, np.generic))
            ):
                continue
            seen.add(id(obj))
            if isinstance(obj, dict):
                stack.extend(obj.values())
                continue
            if isinstance(obj, (list, tuple, set, frozenset)):
                stack.extend(obj)
                continue
            name = type(obj).__name__
            if isinstance(obj, SkPipeline):  # imblearn's Pipeline too
                if getattr(obj, "memory", None) is not None:
                    self.fail(f"{where}: {name}.memory", "must be empty (a cache folder is loaded with pickle)")
                if getattr(obj, "transform_input", None) is not None:
                    self.fail(f"{where}: {name}.transform_input", "must be empty")
            if isinstance(obj, FunctionTransformer) and (not _harmless(obj.func) or obj.inverse_func is not None):
                self.fail(f"{where}: FunctionTransformer", "must not name a function")
            if isinstance(obj, functools.partial) and not _harmless(obj):
                self.fail(f"{where}: functools.partial", "may only wrap check_array (as HistGradientBoosting does)")
            if isinstance(obj, HistGradientBoostingClassifier):
                self.trees(obj, f"{where}: {name}")
            if isinstance(obj, (StandardScaler, SimpleImputer)) and hasattr(obj, "n_features_in_"):
                self.per_column(obj, f"{where}: {name}")
            # a fitted one only: ColumnTransformer keeps the unfitted originals too (the probe finds a gutted one)
            if isinstance(obj, CategoryCodes) and hasattr(obj, "n_features_in_"):
                self.category_codes(obj, f"{where}: {name}")
            if isinstance(obj, (KBinsDiscretizer, ValueBins)) and hasattr(obj, "bin_edges_"):
                self.bin_edges(obj, f"{where}: {name}")
            if isinstance(obj, FrequencyEncoder) and hasattr(obj, "n_features_in_"):
                self.frequencies(obj, f"{where}: {name}")
            if isinstance(obj, ClippedLogit):
                eps = getattr(obj, "eps", None)
                if isinstance(eps, bool) or not isinstance(eps, Real) or not 0 < float(eps) < 0.5:
                    self.fail(f"{where}: {name}.eps", f"{eps!r}"[:100] + " is not a clip in (0, 0.5)")
            if isinstance(obj, TargetEncoder) and hasattr(obj, "encodings_"):
                self.target_encodings(obj, f"{where}: {name}")
            if isinstance(obj, SVC):
                self.support_vectors(obj, f"{where}: {name}")
            if isinstance(obj, (LinearClassifierMixin, NystroemSVM)) and hasattr(obj, "coef_"):
                self.linear(obj, f"{where}: {name}")
            if isinstance(obj, MLPClassifier) and hasattr(obj, "coefs_"):
                self.layers(obj, f"{where}: {name}")
            jobs = getattr(obj, "n_jobs", None)
            if jobs is not None and (
                isinstance(jobs, bool) or not isinstance(jobs, Integral) or abs(int(jobs)) > MAX_JOBS
            ):
                self.fail(f"{where}: {name}.n_jobs", f"{jobs!r}"[:100] + f" (at most {MAX_JOBS})")
            state = getattr(obj, "__dict__", None)
            if isinstance(state, dict):
                stack.extend(state.values())

    def per_column(self, step, where: str) -> None:
        """A scaler's or imputer's fitted values, one per input column, which numpy broadcasts without complaint: a
        scale of one value for every column scored every row wrong, silently. Each has one finite value per column
        (a scale > 0; an imputer's statistics may be text for a constant fill of categories)."""
        n = getattr(step, "n_features_in_", None)
        if isinstance(n, bool) or not isinstance(n, Integral) or n < 1:
            self.fail(f"{where}.n_features_in_", f"{n!r}"[:100] + " is not a count")
        fields = ("mean_", "scale_", "var_") if type(step).__name__ == "StandardScaler" else ("statistics_",)
        for field in fields:
            value = getattr(step, field, None)
            if value is None and field != "statistics_":
                continue  # with_mean / with_std off
            if not isinstance(value, np.ndarray) or value.shape != (n,):
                self.fail(f"{where}.{field}", f"expected one value per input column ({n})")
            if value.dtype.kind == "f" and not np.isfinite(value).all():
                self.fail(f"{where}.{field}", "non-finite values")
        scale = getattr(step, "scale_", None)
        if scale is not None and not np.all(np.asarray(scale) > 0):
            self.fail(f"{where}.scale_", "a scale must be positive")

    def category_codes(self, enc, where: str) -> None:
        """clickpred's category encoder fills one output column per table it holds and leaves the others as
        uninitialised memory: one table per input column, each a code per category (0 … k, the infrequent ones'
        code at most k) then −1 for an unseen value."""
        n = getattr(enc, "n_features_in_", None)
        tables: Any = getattr(enc, "categories_", None)
        lookups: Any = getattr(enc, "_lookup", None)
        if isinstance(n, bool) or not isinstance(n, Integral) or n < 1:
            self.fail(f"{where}.n_features_in_", f"{n!r}"[:100] + " is not a count")
        for value, field in ((tables, "categories_"), (lookups, "_lookup")):
            if not isinstance(value, list) or len(value) != n:
                self.fail(f"{where}.{field}", f"expected one per input column ({n})")
        for j, (categories, lookup) in enumerate(zip(tables, lookups)):
            k = len(categories) if hasattr(categories, "__len__") else -1
            codes = self.array(lookup, f"{where}._lookup[{j}]", 1)
            if k < 0 or len(codes) != k + 1 or codes[-1] != -1 or not np.all((codes[:-1] >= 0) & (codes[:-1] <= k)):
                self.fail(f"{where}._lookup[{j}]", f"expected a code in 0…{max(k, 0)} per category, then −1")

    def bin_edges(self, bins, where: str) -> None:
        """``[features] numeric_bins``: per input column, increasing finite edges (searchsorted on unsorted edges
        gives codes that mean nothing), as many bins as ``n_bins_`` says, ordinal codes out."""
        n = getattr(bins, "n_features_in_", None)
        edges: Any = getattr(bins, "bin_edges_", None)
        counts: Any = getattr(bins, "n_bins_", None)
        if isinstance(n, bool) or not isinstance(n, Integral) or n < 1:
            self.fail(f"{where}.n_features_in_", f"{n!r}"[:100] + " is not a count")
        if getattr(bins, "encode", "ordinal") != "ordinal":  # KBinsDiscretizer's; ValueBins gives codes only
            self.fail(f"{where}.encode", "expected ordinal codes")
        if not isinstance(edges, np.ndarray) or edges.shape != (n,):
            self.fail(f"{where}.bin_edges_", f"expected one array of edges per input column ({n})")
        counts = self.array(counts, f"{where}.n_bins_", 1, "iu")
        if len(counts) != n:
            self.fail(f"{where}.n_bins_", f"expected one count per input column ({n})")
        for j, e in enumerate(edges):
            if not isinstance(e, np.ndarray) or e.ndim != 1 or e.dtype.kind != "f" or np.isnan(e).any():
                self.fail(f"{where}.bin_edges_[{j}]", "expected a 1-d numeric array")
            if len(e) > 2:  # a constant column keeps [-inf, inf]: one bin
                self.array(e, f"{where}.bin_edges_[{j}]", 1)
            if len(e) != counts[j] + 1 or not (np.diff(e) > 0).all():
                self.fail(f"{where}.bin_edges_[{j}]", f"expected {counts[j] + 1} increasing edges")

    def frequencies(self, enc, where: str) -> None:
        """The frequency encoder fills one output column per table it holds and leaves the others 0: one table per
        input column, each {value: log(1 + count)} with finite values ≥ 0."""
        n = getattr(enc, "n_features_in_", None)
        tables: Any = getattr(enc, "counts_", None)
        if isinstance(n, bool) or not isinstance(n, Integral) or n < 1:
            self.fail(f"{where}.n_features_in_", f"{n!r}"[:100] + " is not a count")
        if not isinstance(tables, list) or len(tables) != n:
            self.fail(f"{where}.counts_", f"expected one table per input column ({n})")
        for j, table in enumerate(tables):
            if not isinstance(table, dict) or not all(
                isinstance(k, str)
                and not isinstance(v, bool)
                and isinstance(v, Real)
                and math.isfinite(float(v))
                and float(v) >= 0
                for k, v in table.items()
            ):
                self.fail(f"{where}.counts_[{j}]", "expected {value: log(1 + count)} with finite values ≥ 0")

    def target_encodings(self, enc, where: str) -> None:
        """scikit-learn's target encoder: one finite encoding per category of each column (and class), a finite
        mean for unseen values."""
        categories: Any = getattr(enc, "categories_", None)
        encodings: Any = getattr(enc, "encodings_", None)
        if not isinstance(categories, list) or not isinstance(encodings, list) or not categories:
            self.fail(f"{where}.encodings_", "expected a list of encodings per column")
        if len(encodings) % len(categories):
            self.fail(f"{where}.encodings_", f"expected a multiple of the {len(categories)} columns")
        per = len(encodings) // len(categories)
        for i, e in enumerate(encodings):
            values = self.array(e, f"{where}.encodings_[{i}]", 1)
            if len(values) != len(categories[i // per]):
                self.fail(f"{where}.encodings_[{i}]", "expected one encoding per category")
        mean = np.atleast_1d(np.asarray(getattr(enc, "target_mean_", None), dtype=object))
        if not all(isinstance(m, Real) and math.isfinite(float(m)) for m in mean):
            self.fail(f"{where}.target_mean_", "expected finite means")

    def trees(self, hgb, where: str) -> None:
        """Gradient boosting's trees are walked by compiled code without bounds checks: a child or feature index
        out of range reads outside its arrays (a crafted file crashed `score`), a child that points back never
        ends. Each tree is checked before anything predicts: its node records, every split's children after it and
        inside the tree, its feature inside the model's columns, its category set inside the tree's bitsets, every
        leaf value finite."""
        from sklearn.ensemble._hist_gradient_boosting.common import PREDICTOR_RECORD_DTYPE

        n_features: Any = getattr(hgb, "n_features_in_", None)
        per_iteration: Any = getattr(hgb, "n_trees_per_iteration_", None)
        for value, field in ((n_features, "n_features_in_"), (per_iteration, "n_trees_per_iteration_")):
            if isinstance(value, bool) or not isinstance(value, Integral) or not 1 <= int(value) <= MAX_TREE_WIDTH:
                self.fail(f"{where}.{field}", f"{value!r}"[:100] + " is not a count")
        categorical = getattr(getattr(hgb, "_bin_mapper", None), "is_categorical_", None)
        if categorical is not None and np.shape(categorical) != (n_features,):
            self.fail(f"{where}._bin_mapper.is_categorical_", f"expected one flag per column ({n_features})")
        self.array(np.asarray(getattr(hgb, "_baseline_prediction", None)), f"{where}._baseline_prediction", 2)
        iterations = getattr(hgb, "_predictors", None)
        if not isinstance(iterations, list):
            self.fail(f"{where}._predictors", "expected a list of iterations")
        for i, trees in enumerate(iterations):
            if not isinstance(trees, list) or len(trees) != per_iteration:
                self.fail(f"{where}._predictors[{i}]", f"expected {per_iteration} tree(s)")
            for k, tree in enumerate(trees):
                self.tree(tree, n_features, PREDICTOR_RECORD_DTYPE, f"{where}._predictors[{i}][{k}]")

    def linear(self, clf, where: str) -> None:
        """A linear model's weights (NystroemSVM's: over its kernel features): finite, one row per class (one for
        two classes), one column per input (or kernel feature), one intercept per row. A NaN weight scored NaN
        probabilities; a short row failed mid-file."""
        k = self.class_count(clf, where)
        rows = 1 if k == 2 else k
        width = getattr(clf, "n_features_in_", None)
        kernel = getattr(clf, "kernel_", None)
        if kernel is not None:  # NystroemSVM: Nystroem features of the input, then a linear model on them
            from scipy import sparse

            components = getattr(kernel, "components_", None)  # rows of the input: sparse when it was one-hot
            components = self.matrix(components, f"{where}.kernel_.components_", sparse.issparse(components))
            m = components.shape[0]
            if components.shape[1] != width:
                self.fail(f"{where}.kernel_.components_", "not one value per column of the model")
            normalization = self.array(getattr(kernel, "normalization_", None), f"{where}.kernel_.normalization_", 2)
            if normalization.shape != (m, m):
                self.fail(f"{where}.kernel_.normalization_", f"expected shape {(m, m)}")
            self.number(getattr(kernel, "gamma", None), f"{where}.kernel_.gamma")
            width = m
        coef = self.array(clf.coef_, f"{where}.coef_", 2)
        if coef.shape != (rows, width):
            self.fail(f"{where}.coef_", f"shape {coef.shape}, expected {(rows, width)}")
        intercept: Any = getattr(clf, "intercept_", None)
        if np.ndim(intercept) == 0:  # fit_intercept=False keeps a plain 0.0
            self.number(intercept, f"{where}.intercept_")
        elif self.array(intercept, f"{where}.intercept_", 1).shape != (rows,):
            self.fail(f"{where}.intercept_", f"expected {rows} values")

    def layers(self, mlp, where: str) -> None:
        """A neural network's layers: finite weights whose shapes chain from the model's columns to its outputs."""
        from sklearn.neural_network._base import ACTIVATIONS

        coefs, intercepts = getattr(mlp, "coefs_", None), getattr(mlp, "intercepts_", None)
        if not isinstance(coefs, list) or not isinstance(intercepts, list) or not 1 <= len(coefs) == len(intercepts):
            self.fail(f"{where}.coefs_", "expected one weight matrix and one intercept per layer")
        width = getattr(mlp, "n_features_in_", None)
        for i, (w, b) in enumerate(zip(coefs, intercepts)):
            w = self.array(w, f"{where}.coefs_[{i}]", 2)
            if w.shape[0] != width:
                self.fail(f"{where}.coefs_[{i}]", f"{w.shape[0]} rows, expected {width}")
            if self.array(b, f"{where}.intercepts_[{i}]", 1).shape != (w.shape[1],):
                self.fail(f"{where}.intercepts_[{i}]", f"expected {w.shape[1]} values")
            width = w.shape[1]
        if width != getattr(mlp, "n_outputs_", None):
            self.fail(f"{where}.coefs_", f"the last layer has {width} outputs, expected n_outputs_")
        for field in ("activation", "out_activation_"):
            name = getattr(mlp, field, None)
            if not isinstance(name, str) or name not in ACTIVATIONS:
                self.fail(f"{where}.{field}", f"{name!r}"[:100] + " is not a known activation")

    def support_vectors(self, svc, where: str) -> None:
        """libsvm predicts in C from the counts and arrays a fitted SVC holds, trusting their sizes: coefficients
        shorter than the support vectors, or counts that sum right but go negative, made it read past its
        buffers (decision values from whatever memory followed). Each is checked against the others."""
        k = self.class_count(svc, where)
        if getattr(svc, "kernel", None) not in SVC_KERNELS:
            self.fail(
                f"{where}.kernel",
                f"{getattr(svc, 'kernel', None)!r}"[:100] + f" is not one of {', '.join(SVC_KERNELS)}",
            )
        for field in ("_gamma", "coef0", "degree"):
            self.number(getattr(svc, field, None), f"{where}.{field}")
        sv, is_sparse = getattr(svc, "support_vectors_", None), getattr(svc, "_sparse", None)
        if not isinstance(is_sparse, (bool, np.bool_)):
            self.fail(f"{where}._sparse", "expected true or false")
        sv = self.matrix(sv, f"{where}.support_vectors_", bool(is_sparse))
        n_sv = sv.shape[0]
        if sv.shape[1] != getattr(svc, "n_features_in_", None):
            self.fail(f"{where}.support_vectors_", "not one value per column of the model")
        counts = self.array(getattr(svc, "_n_support", None), f"{where}._n_support", 1, "i")
        if len(counts) != k or np.any(counts < 0) or counts.sum() != n_sv:
            self.fail(f"{where}._n_support", f"expected {k} counts ≥ 0 that sum to the {n_sv} support vectors")
        if self.array(getattr(svc, "support_", None), f"{where}.support_", 1, "i").shape != (n_sv,):
            self.fail(f"{where}.support_", f"expected {n_sv} indices")
        dual = self.matrix(getattr(svc, "_dual_coef_", None), f"{where}._dual_coef_", bool(is_sparse))
        if dual.shape != (k - 1, n_sv):
            self.fail(f"{where}._dual_coef_", f"expected shape {(k - 1, n_sv)}")
        pairs = k * (k - 1) // 2
        if self.array(getattr(svc, "_intercept_", None), f"{where}._intercept_", 1).shape != (pairs,):
            self.fail(f"{where}._intercept_", f"expected {pairs} values")
        for field in ("_probA", "_probB"):
            if self.array(getattr(svc, field, None), f"{where}.{field}", 1).shape not in ((0,), (pairs,)):
                self.fail(f"{where}.{field}", f"expected none or {pairs} values")

    def class_count(self, clf, where: str) -> int:
        """How many classes a fitted classifier has (its ``classes_``: a 1-d array of at least 2)."""
        classes = getattr(clf, "classes_", None)
        if not isinstance(classes, np.ndarray) or classes.ndim != 1 or len(classes) < 2:
            self.fail(f"{where}.classes_", "expected 2 or more classes")
        return len(classes)

    def matrix(self, value, where: str, is_sparse: bool):
        """A finite 2-d array, or with ``is_sparse`` a consistent CSR matrix of finite values (libsvm's sparse path
        walks its index arrays)."""
        if not is_sparse:
            return self.array(value, where, 2)
        from scipy import sparse

        if not sparse.issparse(value) or value.format != "csr":
            self.fail(where, "expected a CSR matrix (the model was fitted on sparse rows)")
        try:
            value.check_format(full_check=True)
        except ValueError as exc:
            self.fail(where, f"inconsistent sparse matrix ({exc})"[:200])
        self.array(value.data, f"{where}.data", 1)
        return value

    def tree(self, tree, n_features: int, record, where: str) -> None:
        nodes = getattr(tree, "nodes", None)
        if not isinstance(nodes, np.ndarray) or nodes.dtype != record or nodes.ndim != 1 or len(nodes) == 0:
            self.fail(f"{where}.nodes", "expected gradient boosting's node records")
        bitsets = []
        for field in ("binned_left_cat_bitsets", "raw_left_cat_bitsets"):
            b = getattr(tree, field, None)
            if not isinstance(b, np.ndarray) or b.dtype != np.uint32 or b.ndim != 2 or b.shape[1] != 8:
                self.fail(f"{where}.{field}", "expected a (n, 8) array of 32-bit category sets")
            bitsets.append(len(b))
        split = np.flatnonzero(nodes["is_leaf"] == 0)
        index = np.arange(len(nodes))[split]
        for field in ("left", "right"):
            child = nodes[field][split].astype(np.int64)
            if np.any(child <= index) or np.any(child >= len(nodes)):
                self.fail(f"{where}.nodes.{field}", "a split's child outside the tree or not after it")
        feature = nodes["feature_idx"][split]
        if np.any(feature < 0) or np.any(feature >= n_features):
            self.fail(f"{where}.nodes.feature_idx", f"outside the model's {n_features} columns")
        cat = split[nodes["is_categorical"][split] != 0]
        if np.any(nodes["bitset_idx"][cat] >= min(bitsets)):
            self.fail(f"{where}.nodes.bitset_idx", "outside the tree's category sets")
        if not np.isfinite(nodes["value"]).all():
            self.fail(f"{where}.nodes.value", "non-finite values")

    def pipeline(self, pipeline, method: str, classes: list[str]) -> None:
        from sklearn.pipeline import Pipeline  # imbalanced-learn's (older files) is one too

        from ..modeling.funnel import FunnelClassifier

        if not isinstance(pipeline, (Pipeline, FunnelClassifier)):
            self.fail("pipeline", f"expected a fitted Pipeline, got {type(pipeline).__name__}")
        if not callable(getattr(pipeline, method, None)):
            self.fail("metadata.score_method", f"the pipeline has no {method}")
        fitted = getattr(pipeline, "classes_", None)
        if fitted is None or sorted(map(str, fitted)) != sorted(classes):
            self.fail("pipeline.classes_", "differ from metadata.classes")

    def calibrator(self, calibrator, classes, correction: dict | None = None) -> None:
        """The correction's calibrators, one per minority class, checked down to each value their ``predict_proba``
        reads (:func:`clickpred.postfit.correction._calibrated`): the classes '0' / '1', the frozen score adapter,
        one map of the method the metadata names, its parameters finite (isotonic: its steps sorted, within
        [0, 1])."""
        from sklearn.calibration import CalibratedClassifierCV

        from ..postfit.correction import CALIBRATORS

        named = [m for m in str((correction or {}).get("method", "none")).split("+") if m in CALIBRATORS]
        if calibrator is None:
            if named:
                self.fail("calibrator", f"missing: metadata.correction.method names {named[0]}")
            return
        self.mapping(calibrator, "calibrator")
        if len(named) != 1:
            self.fail("calibrator", "present, but metadata.correction.method does not name one calibrator")
        for c, cal in calibrator.items():
            where = f"calibrator.{c}"
            if c not in classes[1:]:
                self.fail("calibrator", f"{c!r} is not a minority class")
            if not isinstance(cal, CalibratedClassifierCV):
                self.fail(where, f"expected a CalibratedClassifierCV, got {type(cal).__name__}")
            method = getattr(cal, "method", None)
            if method != named[0]:
                self.fail(f"{where}.method", f"{method!r}"[:100] + f", but metadata.correction.method names {named[0]}")
            self.binary_labels(getattr(cal, "classes_", None), f"{where}.classes_")
            self.two_columns(cal, where)
            parts = getattr(cal, "calibrated_classifiers_", None)
            if not isinstance(parts, list) or not 1 <= len(parts) <= MAX_CALIBRATED:
                self.fail(f"{where}.calibrated_classifiers_", f"expected a list of 1 to {MAX_CALIBRATED}")
            for i, part in enumerate(parts):
                self.calibrated_part(part, named[0], f"{where}.calibrated_classifiers_[{i}]")
        self.objects(calibrator, "calibrator")

    def calibrated_part(self, part, method: str, where: str) -> None:
        from sklearn.frozen import FrozenEstimator

        from ..postfit.adapters import ScoresAsDecision

        if _qualified(part) != "sklearn.calibration._CalibratedClassifier" or getattr(part, "method", None) != method:
            self.fail(where, f"expected a {method} calibrated classifier")
        self.binary_labels(getattr(part, "classes", None), f"{where}.classes")
        est = getattr(part, "estimator", None)
        if not isinstance(est, FrozenEstimator) or type(getattr(est, "estimator", None)) is not ScoresAsDecision:
            self.fail(f"{where}.estimator", "expected clickpred's frozen score adapter")
        self.binary_labels(getattr(est.estimator, "classes_", None), f"{where}.estimator.classes_")
        self.two_columns(est.estimator, f"{where}.estimator")
        maps = getattr(part, "calibrators", None)
        if not isinstance(maps, list) or len(maps) != 1:
            self.fail(f"{where}.calibrators", "expected one map (a binary problem)")
        m, where = maps[0], f"{where}.calibrators[0]"
        if _qualified(m) != CALIBRATION_MAPS[method]:
            self.fail(where, f"expected {CALIBRATION_MAPS[method].rsplit('.', 1)[1]}, got {type(m).__name__}")
        if method == "sigmoid":
            self.number(getattr(m, "a_", None), f"{where}.a_")
            self.number(getattr(m, "b_", None), f"{where}.b_")
        elif method == "temperature":
            self.number(getattr(m, "beta_", None), f"{where}.beta_")
        else:
            x = self.array(getattr(m, "X_thresholds_", None), f"{where}.X_thresholds_", 1)
            y = self.array(getattr(m, "y_thresholds_", None), f"{where}.y_thresholds_", 1)
            if len(x) == 0 or len(x) != len(y):
                self.fail(f"{where}.y_thresholds_", "expected as many steps as X_thresholds_, at least one")
            if np.any(np.diff(x) < 0):
                self.fail(f"{where}.X_thresholds_", "not sorted")
            if y.min() < 0 or y.max() > 1:
                self.fail(f"{where}.y_thresholds_", "probabilities outside [0, 1]")
            self.number(getattr(m, "X_min_", None), f"{where}.X_min_")
            self.number(getattr(m, "X_max_", None), f"{where}.X_max_")
            direction = getattr(m, "increasing_", None)
            if getattr(m, "out_of_bounds", None) != "clip" or not isinstance(direction, (bool, np.bool_)):
                self.fail(where, "expected out_of_bounds='clip' and a fitted direction")

    def binary_labels(self, value, where: str) -> None:
        if not isinstance(value, np.ndarray) or value.ndim != 1 or [str(v) for v in value.tolist()] != ["0", "1"]:
            self.fail(where, "expected the classes '0', '1'")

    def two_columns(self, est, where: str) -> None:
        """A binary calibrator reads two columns, (−d, d) (:func:`clickpred.postfit.correction._binary_input`)."""
        n = getattr(est, "n_features_in_", 2)
        if isinstance(n, bool) or not isinstance(n, Integral) or n != 2:
            self.fail(f"{where}.n_features_in_", f"{n!r}"[:100] + ", expected 2")

    def fastpath(self, state, schema) -> None:
        if state is None:
            return
        self.mapping(state, "fastpath")
        keys = {"base", "categories", "category_tables", "num_slopes", "num_missing", "time_tables"}
        if not keys <= set(state) <= keys | {"num_bins"}:  # num_bins: files written before bins lack it
            self.fail("fastpath", "unexpected entries")
        base = self.array(state["base"], "fastpath.base", 1)
        k = len(base)
        kinds = {c["name"]: c["kind"] for c in schema["features"]}
        cats = self.mapping(state["categories"], "fastpath.categories")
        tables = self.mapping(state["category_tables"], "fastpath.category_tables")
        if set(cats) != set(tables):
            self.fail("fastpath.category_tables", "do not match fastpath.categories")
        for c, values in cats.items():
            if kinds.get(c) not in ("categorical", "id"):
                self.fail("fastpath.categories", f"{c!r} is not a categorical column of the schema")
            if isinstance(values, np.ndarray) and values.ndim == 1 and values.dtype.kind == "U":
                values = values.tolist()  # a text array (files written before: a list)
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                self.fail(f"fastpath.categories.{c}", "expected a list of text values")
            t = self.array(tables[c], f"fastpath.category_tables.{c}", 2, "f")
            if t.shape != (len(values) + 2, k):
                self.fail(f"fastpath.category_tables.{c}", f"shape {t.shape}, expected {(len(values) + 2, k)}")
        for key, kind in (("num_slopes", "numeric"), ("num_missing", "numeric"), ("time_tables", "timestamp")):
            for c, v in self.mapping(state[key], f"fastpath.{key}").items():
                if kinds.get(c) != kind:
                    self.fail(f"fastpath.{key}", f"{c!r} is not a {kind} column of the schema")
                if key == "time_tables":
                    a = self.array(v, f"fastpath.{key}.{c}", 2, "f")
                    if a.shape != (24 * 7 + 1, k):
                        self.fail(f"fastpath.{key}.{c}", f"shape {a.shape}, expected {(24 * 7 + 1, k)}")
                elif self.array(v, f"fastpath.{key}.{c}", 1, "f").shape != (k,):
                    self.fail(f"fastpath.{key}.{c}", f"expected {k} values")
        slopes = state["num_slopes"]
        for c, b in self.mapping(state.get("num_bins"), "fastpath.num_bins", allow_none=True).items():
            where = f"fastpath.num_bins.{c}"
            b = self.mapping(b, where)
            if c not in slopes or set(b) != {"edges", "table"}:
                self.fail(where, "expected the edges and table of a numeric column with a slope")
            edges = self.array(b["edges"], f"{where}.edges", 1, "f")
            if len(edges) > 1 and not (np.diff(edges) > 0).all():
                self.fail(f"{where}.edges", "expected increasing edges")
            table = self.array(b["table"], f"{where}.table", 2, "f")
            if table.shape != (len(edges) + 1, k):  # a row per bin: searchsorted gives 0 … len(edges)
                self.fail(f"{where}.table", f"shape {table.shape}, expected {(len(edges) + 1, k)}")

    def decision_sample(self, sample, classes) -> None:
        if sample is None:
            return
        self.mapping(sample, "decision_sample")
        if set(sample) != {"probabilities", "label"}:
            self.fail("decision_sample", "unexpected entries")
        from ..postfit.predictor import DECISION_SAMPLE_ROWS

        p = self.array(sample["probabilities"], "decision_sample.probabilities", 2, "f")
        y = self.array(sample["label"], "decision_sample.label", 1, "iu")
        if p.shape[1] != len(classes) or len(y) != len(p) or len(p) > DECISION_SAMPLE_ROWS:
            self.fail("decision_sample", f"shapes {p.shape} and {y.shape} do not fit {len(classes)} classes")
        if len(p) and (p.min() < 0 or p.max() > 1 or y.min() < 0 or y.max() >= len(classes)):
            self.fail("decision_sample", "probabilities outside [0, 1] or labels outside the classes")


def _loaded(module: str, name: str) -> tuple:
    """``(module.name,)`` as an ``isinstance`` target if that module is imported, else ``()`` (matches nothing):
    no object of a class, or of a subclass of it, exists before the class's module is imported."""
    import sys

    kind = getattr(sys.modules.get(module), name, None)
    return (kind,) if isinstance(kind, type) else ()


def _qualified(obj) -> str:
    return f"{type(obj).__module__}.{type(obj).__qualname__}"


def _harmless(func) -> bool:
    """None, or what scikit-learn's HistGradientBoosting puts in its internal FunctionTransformer:
    ``partial(check_array, dtype=…, ensure_all_finite=…)`` — nothing else names a function."""
    if func is None:
        return True
    from sklearn.utils.validation import check_array

    return (
        isinstance(func, functools.partial)
        and func.func is check_array
        and not func.args
        and set(func.keywords) <= {"dtype", "ensure_all_finite"}
    )


def validate_metadata(path, metadata: dict) -> None:
    """Check a model file's metadata alone by value (what `clickpred info` shows); raise :class:`ModelFileError`."""
    _Checker(path).metadata(metadata)


def validate_payload(path, payload: dict) -> None:
    """Check every field of a loaded clickpred payload by value, then score a few rows of its own schema with it
    (:func:`probe`); raise :class:`ModelFileError` otherwise."""
    _Checker(path).payload(payload)
    probe(path, payload["pipeline"], payload["metadata"])


PROBE_ROWS = 64


def probe(path, pipeline, metadata: dict) -> None:
    """Score rows made from the model's own schema — missing, unseen and ordinary values — twice: a model that
    fails on them, or gives scores that are not finite or differ between two runs (crafted state left to
    uninitialised memory), is refused at load rather than failing or scoring wrong while a file is scored."""
    from ..evaluation.crossval import scores_for
    from ..io.chunks import sample_inputs
    from ..io.schema import Schema

    schema = Schema.from_dict(metadata["schema"])
    frame = sample_inputs(schema, PROBE_ROWS).frame(schema)
    method, classes = metadata["score_method"], list(metadata["classes"])
    try:
        first = scores_for(pipeline, frame, classes, method)
        second = scores_for(pipeline, frame, classes, method)
    except Exception as exc:  # noqa: BLE001 - whatever a crafted state raises, the file is refused
        text = str(exc).splitlines()[0][:150] if str(exc) else ""
        raise ModelFileError(
            f"{path}: refused to load: its pipeline fails on rows of its own schema ({type(exc).__name__}: {text})"
        ) from None
    if not np.all(np.isfinite(first)) or not np.array_equal(first, second):
        raise ModelFileError(
            f"{path}: refused to load: its pipeline gives scores that are not finite, or not the same twice, on "
            "rows of its own schema"
        )
