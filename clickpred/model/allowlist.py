"""The exact types a clickpred model file may hold, read from the file's skops schema before anything is rebuilt.

skops trusts a default set of types (most of scikit-learn's estimators, ``NuSVC`` and ``StackingClassifier``
among them) and asks its caller only about the others. A file of such trusted types that clickpred never writes
reached compiled code unchecked: an ``svm-rbf`` file whose classifier was swapped for a ``NuSVC`` with crafted
class counts crashed ``score``. So clickpred does not ask skops: it reads every node of the file's schema itself
(module, class and the skops loader that would rebuild it) and refuses the file unless every one is on
:data:`ALLOWED_TYPES` — exactly the types clickpred writes, found by training every classifier × strategy,
calibration method, ID encoding, counts, crosses and the funnel (``tests/model/test_allowlist.py`` keeps the list
exact both ways) — or is a plain value (:data:`BUILTIN_TYPES`, numpy arrays, dtypes and scalars), and unless its
loader is one of :data:`LOADERS`. Everything :mod:`clickpred.model.payload` then checks by value is of a type
listed here.

Example
-------
>>> refused_types({("sklearn.svm._classes", "NuSVC", "ObjectNode"), ("builtins", "dict", "DictNode")})
['sklearn.svm._classes.NuSVC']
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np

ALLOWED_TYPES = frozenset(
    {
        # clickpred's own estimators
        "clickpred.modeling.boosting.HoldoutHGBClassifier",
        "clickpred.modeling.estimators.BoundedSVC",
        "clickpred.modeling.estimators.CategoryCodes",
        "clickpred.modeling.estimators.ClippedLogit",
        "clickpred.modeling.estimators.CodesAsNumbers",
        "clickpred.modeling.estimators.FrequencyEncoder",
        "clickpred.modeling.estimators.NystroemSVM",
        "clickpred.modeling.estimators.ScaledTolLogisticRegression",
        "clickpred.modeling.estimators.TimestampFeatures",
        "clickpred.modeling.estimators.ValueBins",
        "clickpred.modeling.estimators.WeightedMLPClassifier",
        "clickpred.modeling.funnel.FunnelClassifier",
        "clickpred.modeling.rebalance.RatioStrategy",
        "clickpred.modeling.rebalance.RowBlockOneHotEncoder",
        "clickpred.postfit.adapters.ScoresAsDecision",
        # the pipelines, samplers and preprocessing they are built of
        "imblearn.pipeline.Pipeline",
        "imblearn.over_sampling._random_over_sampler.RandomOverSampler",
        "imblearn.over_sampling._smote.base.SMOTE",
        "imblearn.over_sampling._smote.base.SMOTEN",
        "imblearn.over_sampling._smote.base.SMOTENC",
        "imblearn.under_sampling._prototype_selection._random_under_sampler.RandomUnderSampler",
        "sklearn.pipeline.Pipeline",
        "sklearn.compose._column_transformer.ColumnTransformer",
        "sklearn.impute._base.MissingIndicator",
        "sklearn.impute._base.SimpleImputer",
        "sklearn.preprocessing._data.StandardScaler",
        "sklearn.preprocessing._encoders.OneHotEncoder",
        "sklearn.preprocessing._encoders.OrdinalEncoder",
        "sklearn.preprocessing._function_transformer.FunctionTransformer",
        "sklearn.preprocessing._label.LabelBinarizer",
        "sklearn.preprocessing._label.LabelEncoder",
        "sklearn.preprocessing._target_encoder.TargetEncoder",
        "sklearn.model_selection._split.StratifiedKFold",
        "sklearn.neighbors._unsupervised.NearestNeighbors",  # SMOTE's neighbours
        # classifiers' parts: the linear SVM inside the kernel approximation, the MLP's optimiser, boosting's
        # trees, bins and losses (and scikit-learn's own booster, which hgb files held before HoldoutHGBClassifier)
        "sklearn.svm._classes.LinearSVC",
        "sklearn.kernel_approximation.Nystroem",
        "sklearn.neural_network._stochastic_optimizers.AdamOptimizer",
        "sklearn.ensemble._hist_gradient_boosting.gradient_boosting.HistGradientBoostingClassifier",
        "sklearn.ensemble._hist_gradient_boosting.binning._BinMapper",
        "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
        "sklearn._loss._loss.CyHalfBinomialLoss",
        "sklearn._loss._loss.CyHalfMultinomialLoss",
        "sklearn._loss.link.Interval",
        "sklearn._loss.link.LogitLink",
        "sklearn._loss.link.MultinomialLogit",
        "sklearn._loss.loss.HalfBinomialLoss",
        "sklearn._loss.loss.HalfMultinomialLoss",
        # hgb's internal preprocessor holds partial(check_array, …) (payload checks it wraps exactly that)
        "functools.partial",
        "sklearn.utils.validation.check_array",
        # the probability correction
        "sklearn.calibration.CalibratedClassifierCV",
        "sklearn.calibration._CalibratedClassifier",
        "sklearn.calibration._SigmoidCalibration",
        "sklearn.calibration._TemperatureScaling",
        "sklearn.isotonic.IsotonicRegression",
        "sklearn.frozen._frozen.FrozenEstimator",
        # containers and arrays
        "collections.OrderedDict",
        "scipy.sparse._csr.csr_matrix",
        "numpy.ndarray",
        "numpy.dtype",
        "numpy.random._generator.Generator",
        "numpy.random.mtrand.RandomState",
    }
)
BUILTIN_TYPES = frozenset(
    f"builtins.{t}" for t in ("dict", "list", "tuple", "str", "int", "float", "bool", "NoneType", "slice")
)
# The skops loaders that rebuild those types (a node naming any other loader is refused with its type).
LOADERS = frozenset(
    {
        "DictNode",
        "ListNode",
        "TupleNode",
        "SliceNode",
        "JsonNode",
        "TypeNode",
        "ObjectNode",
        "DTypeNode",
        "NdArrayNode",
        "SparseMatrixNode",
        "PartialNode",
        "FunctionNode",
        "LossNode",
        "RandomGeneratorNode",
        "RandomStateNode",
    }
)
MAX_DEPTH = 500  # clickpred's own schemas nest a few dozen levels


def _numpy_scalar(name: str) -> bool:
    """A numpy scalar type by name (``float64``, ``int8``, ``str_``): a plain value, whatever its width."""
    kind = getattr(np, name, None)
    return isinstance(kind, type) and issubclass(kind, np.generic)


def allowed(module: str, name: str, loader: str | None) -> bool:
    """Whether one schema node (its module, class and skops loader) is something clickpred writes."""
    if loader is not None and loader not in LOADERS:
        return False
    full = f"{module}.{name}"
    return full in ALLOWED_TYPES or full in BUILTIN_TYPES or (module == "numpy" and _numpy_scalar(name))


def schema_types(schema) -> set[tuple[str, str, str | None]]:
    """(module, class, loader) of every node of a skops schema (nodes nested in any field included)."""
    out: set[tuple[str, str, str | None]] = set()
    stack = [(schema, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ValueError(f"the schema nests deeper than {MAX_DEPTH} levels")
        if isinstance(node, dict):
            if "__class__" in node:
                loader = node.get("__loader__")
                out.add((str(node.get("__module__")), str(node["__class__"]), None if loader is None else str(loader)))
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)
    return out


def file_schema(path: str | Path):
    """A skops file's schema, read as JSON (nothing is imported or rebuilt)."""
    with zipfile.ZipFile(path) as z:
        return json.loads(z.read("schema.json"))


def file_types(path: str | Path) -> set[tuple[str, str, str | None]]:
    """Every node type of a skops file's schema (:func:`schema_types` of :func:`file_schema`)."""
    return schema_types(file_schema(path))


def refused_types(types: set[tuple[str, str, str | None]]) -> list[str]:
    """The types (``module.Class``, with the loader when only it is refused) clickpred does not write, sorted."""
    out = set()
    for module, name, loader in types:
        if not allowed(module, name, loader):
            known = allowed(module, name, None)
            out.add(f"{module}.{name}" + (f" (as {loader})" if known else ""))
    return sorted(out)
