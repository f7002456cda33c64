"""clickpred: rare-event click and conversion prediction from ad impression logs.

The library behind the ``clickpred`` command line. A file path or a pandas DataFrame in, typed results out::

    import clickpred

    model = clickpred.train("data/impressions_sample.csv.gz")         # a fitted ClickClassifier
    model.evaluation_.metrics["per_class"]["click"]                      # out of fold: PR-AUC, recall, …
    clickpred.save_model(model, "models/clicks.skops")                   # + reports/<name>/
    model = clickpred.load_model("models/clicks.skops")                  # a fitted ClickClassifier
    clickpred.score(model, frame)                                        # DataFrame → DataFrame
    clickpred.drift(model, frame)                                        # what changed since training
    board = clickpred.compare("data/impressions_sample.csv.gz", classifiers=["logistic", "hgb"])

or the whole model as one scikit-learn estimator (``clone``, ``cross_validate``, ``GridSearchCV``)::

    clf = clickpred.ClickClassifier(classifier="logistic", strategy="none").fit(X, y)
    clf.predict_proba(X)   # corrected probabilities, columns in clf.classes_ order
    clf.predict(X)         # the tuned decision rule — not the argmax, which flags no 0.2% class

Errors about bad input are :class:`ClickpredError` (``ConfigError``, ``DataError``, ``ModelFileError``). Names are
imported on first use, so ``import clickpred`` stays fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.2.0"

_EXPORTS = {
    "ClickClassifier": "clickpred.estimator.classifier",
    "train": "clickpred.api.functions",
    "compare": "clickpred.api.functions",
    "drift": "clickpred.api.functions",
    "score": "clickpred.api.functions",
    "load_model": "clickpred.api.functions",
    "save_model": "clickpred.api.functions",
    "ClickpredError": "clickpred.errors",
    "ConfigError": "clickpred.errors",
    "DataError": "clickpred.errors",
    "ModelFileError": "clickpred.errors",
}
__all__ = [
    "ClickClassifier",
    "ClickpredError",
    "ConfigError",
    "DataError",
    "ModelFileError",
    "__version__",
    "compare",
    "drift",
    "load_model",
    "save_model",
    "score",
    "train",
]

if TYPE_CHECKING:
    from .api.classifier import ClickClassifier as ClickClassifier
    from .api.functions import compare as compare
    from .api.functions import drift as drift
    from .api.functions import load_model as load_model
    from .api.functions import save_model as save_model
    from .api.functions import score as score
    from .api.functions import train as train
    from .errors import ClickpredError as ClickpredError
    from .errors import ConfigError as ConfigError
    from .errors import DataError as DataError
    from .errors import ModelFileError as ModelFileError


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'clickpred' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
