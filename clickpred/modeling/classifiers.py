"""Registry of classifiers: a key, its default parameters and a factory.

Example
-------
>>> clf = CLASSIFIERS["logistic"].build({}, class_weight="balanced", random_state=0)
>>> type(clf).__name__
'ScaledTolLogisticRegression'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from sklearn.calibration import CalibratedClassifierCV
from sklearn.svm import LinearSVC

from ..errors import ConfigError
from .estimators import (
    BoundedSVC,
    NystroemSVM,
    ScaledTolLogisticRegression,
    WeightedMLPClassifier,
)

CALIBRATIONS = ("none", "sigmoid", "isotonic")
SOLVERS = ("auto", "lbfgs", "newton-cholesky", "newton-cg", "sag", "saga")
NEWTON_MAX_WIDTH = 300  # columns up to which a full Newton step (p·K)² is cheap


INT_MAX = 2**31 - 1  # the compiled solvers' counters (liblinear's max_iter overflowed at 1e18)
# Upper bounds where a larger value is no model but an overflow, a NaN or memory exhaustion: a step size of 1e308
# made every leaf NaN, a hidden layer of 1e8 units asked for gigabytes per row.
HIGHEST = {
    "C": 1e12,
    "alpha": 1e6,
    "tol": 1.0,
    "learning_rate": 10.0,
    "learning_rate_init": 10.0,
    "gamma": 1e12,
    "l2_regularization": 1e12,
    "max_iter": 10_000_000,
    "n_components": 100_000,
    "max_leaf_nodes": 1_000_000,
}
MAX_HIDDEN_UNITS = 10_000  # per layer


def _check_number(params: dict, key: str, where: str, low: float = 0.0, integer: bool = False):
    if key not in params:
        return
    v = params[key]
    ok = isinstance(v, int) if integer else isinstance(v, (int, float))
    high = HIGHEST.get(key, INT_MAX if integer else 1e12)
    if not ok or isinstance(v, bool) or not low < v <= high:
        kind = "an integer" if integer else "a number"
        raise ConfigError(f"{where}.{key} must be {kind} > {low:g} and at most {high:g}, got {v!r}")


@dataclass(frozen=True)
class ClassifierEntry:
    """One classifier: defaults document every accepted parameter."""

    name: str
    description: str
    defaults: dict[str, Any]
    factory: Callable[..., Any]  # (params, class_weight, seed, width, strategy, n_categorical)
    score_method: str  # "predict_proba" or "decision_function" (before calibration)
    one_hot: bool = True  # False: codes go to the classifier as native categories (trees), not one-hot
    # True: the classifier takes the strategy's sampler (``set_params(sampler=…)``) and resamples inside its fit,
    # after holding out its early-stopping slice (clickpred.modeling.boosting), when early_stopping is on. Only for
    # a classifier without one_hot: its encode step is "passthrough", so the sampler may move past it.
    holds_out_before_sampler: bool = False

    def holdout(self, params: dict) -> float:
        """The share of a training fold held out of resampling for early stopping (0: none)."""
        return (
            HGB_VALIDATION_FRACTION if self.holds_out_before_sampler and self.params(params)["early_stopping"] else 0.0
        )

    def params(self, params: dict) -> dict:
        return {**self.defaults, **params}

    def validate(self, params: dict, where: str) -> None:
        for key in ("C", "alpha", "tol", "learning_rate_init", "learning_rate"):
            _check_number(params, key, where)
        for key in ("max_iter", "n_components", "max_rows", "epochs", "batch_size", "n_iter_no_change", "max_updates"):
            _check_number(params, key, where, integer=True)
        _check_number(params, "max_leaf_nodes", where, low=1, integer=True)
        _check_number(params, "min_samples_leaf", where, low=0, integer=True)
        _check_number(params, "min_validation_minority", where, low=0, integer=True)
        if "l2_regularization" in params:
            v = params["l2_regularization"]
            if not isinstance(v, (int, float)) or isinstance(v, bool) or not 0 <= v <= HIGHEST["l2_regularization"]:
                raise ConfigError(f"{where}.l2_regularization must be a number >= 0 and at most 1e12, got {v!r}")
        if "early_stopping" in params and not (
            isinstance(params["early_stopping"], bool) or (self.name == "hgb" and params["early_stopping"] == "auto")
        ):
            allowed = 'true, false or "auto"' if self.name == "hgb" else "true or false"
            raise ConfigError(f"{where}.early_stopping must be {allowed}, got {params['early_stopping']!r}")
        if "calibration" in params and params["calibration"] not in CALIBRATIONS:
            raise ConfigError(
                f"{where}.calibration must be one of {', '.join(CALIBRATIONS)}, got {params['calibration']!r}"
            )
        if "gamma" in params and params["gamma"] != "scale":
            _check_number(params, "gamma", where)
        if self.name == "svm-nystroem" and params.get("solver", "lbfgs") not in ("lbfgs", "sgd"):
            raise ConfigError(f"{where}.solver must be one of lbfgs, sgd, got {params['solver']!r}")
        if self.name == "logistic" and "solver" in params and params["solver"] not in SOLVERS:
            raise ConfigError(f"{where}.solver must be one of {', '.join(SOLVERS)}, got {params['solver']!r}")
        if "hidden_layer_sizes" in params:
            h = params["hidden_layer_sizes"]
            if not (
                isinstance(h, list)
                and 0 < len(h) <= 20
                and all(isinstance(x, int) and not isinstance(x, bool) and 0 < x <= MAX_HIDDEN_UNITS for x in h)
            ):
                raise ConfigError(
                    f"{where}.hidden_layer_sizes must be a list of 1 to 20 layers of 1 to {MAX_HIDDEN_UNITS:,} units, "
                    f"got {h!r}"[:200]
                )

    def build(
        self,
        params: dict,
        class_weight: Any,
        random_state: int,
        width: int = 100,
        strategy: str = "none",
        n_categorical: int = 0,
    ):
        """Return an unfitted estimator for these parameters.

        ``width`` is (an upper bound on) the number of encoded feature columns;
        ``strategy`` the rebalancing it will be trained under; ``n_categorical`` the leading
        columns that are category codes (for a classifier that takes them natively).
        """
        p = self.params(params)
        calibration = p.pop("calibration", "none")
        est = self.factory(p, class_weight, random_state, width, strategy, n_categorical)
        if calibration != "none":
            est = CalibratedClassifierCV(est, method=calibration, cv=3, ensemble=False)
        return est

    def has_proba(self, params: dict) -> bool:
        return self.score_method == "predict_proba" or self.params(params).get("calibration", "none") != "none"


def _logistic(p, class_weight, rs, width, strategy, n_categorical=0):
    solver = p["solver"]
    if solver == "auto":
        # Newton converges in ~10 steps even with extreme class weights, but each step costs
        # n·(p·K)²: right for a few hundred dense columns, wrong for thousands of one-hot IDs.
        solver = "newton-cholesky" if width <= NEWTON_MAX_WIDTH else "lbfgs"
    return ScaledTolLogisticRegression(
        C=p["C"], tol=p["tol"], max_iter=p["max_iter"], solver=solver, class_weight=class_weight, random_state=rs
    )


def _linear_svm(p, class_weight, rs, width, strategy, n_categorical=0):
    # liblinear's primal solver (what dual="auto" picks when rows outnumber columns) crawls on the duplicated
    # rows of random oversampling: 409 s vs 73 s for the dual one on 479k × 5,859 (same PR-AUC to 4 decimals);
    # elsewhere the primal one is as fast or faster.
    dual = True if strategy == "oversample" else "auto"
    return LinearSVC(
        C=p["C"], tol=p["tol"], max_iter=p["max_iter"], dual=dual, class_weight=class_weight, random_state=rs
    )


def _rbf_svm(p, class_weight, rs, width, strategy, n_categorical=0):
    return BoundedSVC(
        C=p["C"], gamma=p["gamma"], tol=p["tol"], max_rows=p["max_rows"], class_weight=class_weight, random_state=rs
    )


def _nystroem_svm(p, class_weight, rs, width, strategy, n_categorical=0):
    return NystroemSVM(
        C=p["C"],
        gamma=p["gamma"],
        n_components=p["n_components"],
        solver=p["solver"],
        max_iter=p["max_iter"],
        epochs=p["epochs"],
        class_weight=class_weight,
        random_state=rs,
    )


def _mlp(p, class_weight, rs, width, strategy, n_categorical=0):
    return WeightedMLPClassifier(
        hidden_layer_sizes=tuple(p["hidden_layer_sizes"]),
        alpha=p["alpha"],
        learning_rate_init=p["learning_rate_init"],
        batch_size=p["batch_size"],
        max_iter=p["max_iter"],
        n_iter_no_change=p["n_iter_no_change"],
        max_updates=p["max_updates"],
        early_stopping=p["early_stopping"],
        class_weight=class_weight,
        random_state=rs,
    )


HGB_MAX_LEVELS = 250  # categories per column the trees take natively (HistGradientBoosting: at most max_bins = 255)
HGB_VALIDATION_FRACTION = 0.1


def _hgb(p, class_weight, rs, width, strategy, n_categorical=0):
    from .boosting import HoldoutHGBClassifier

    # Early stopping on a validation slice of the training fold (never the fold that scores it), held out
    # before any sampler (build_pipeline hands it the sampler). Codes (categories, timestamp parts, capped
    # IDs) are native categories; -1 (unseen) and missing values go down the trees' missing branch.
    return HoldoutHGBClassifier(
        learning_rate=p["learning_rate"],
        max_iter=p["max_iter"],
        max_leaf_nodes=p["max_leaf_nodes"],
        min_samples_leaf=p["min_samples_leaf"],
        l2_regularization=float(p["l2_regularization"]),
        early_stopping=p["early_stopping"],
        validation_fraction=HGB_VALIDATION_FRACTION,
        n_iter_no_change=10,
        categorical_features=list(range(n_categorical)) or None,
        class_weight=class_weight,
        random_state=rs,
        min_validation_minority=p["min_validation_minority"],
    )


CLASSIFIERS: dict[str, ClassifierEntry] = {
    e.name: e
    for e in [
        ClassifierEntry(
            "logistic",
            "LogisticRegression (multinomial; Newton on few columns, L-BFGS on many; tol relative to the null-model loss)",
            {"C": 1.0, "tol": 3e-3, "max_iter": 1000, "solver": "auto"},
            _logistic,
            "predict_proba",
        ),
        ClassifierEntry(
            "svm",
            "LinearSVC (squared hinge; its dual solver under random oversampling), scores from decision_function",
            {"C": 0.1, "tol": 1e-4, "max_iter": 2000, "calibration": "none"},
            _linear_svm,
            "decision_function",
        ),
        ClassifierEntry(
            "svm-rbf",
            "kernel SVC (RBF); refuses more than max_rows training rows",
            {"C": 1.0, "gamma": "scale", "tol": 1e-3, "max_rows": 20_000, "calibration": "none"},
            _rbf_svm,
            "decision_function",
        ),
        ClassifierEntry(
            "svm-nystroem",
            "Nystroem RBF features in float32, made chunk by chunk, + squared-hinge linear SVM: the kernel SVM that scales",
            {
                "C": 0.1,
                "gamma": "scale",
                "n_components": 300,
                "solver": "lbfgs",
                "max_iter": 300,
                "epochs": 5,
                "calibration": "none",
            },
            _nystroem_svm,
            "decision_function",
        ),
        ClassifierEntry(
            "mlp",
            "MLPClassifier (adam, batches of 2,000, at most 40 epochs and 400 steps: fewer if the training loss "
            "stops improving); class weights passed as sample_weight",
            # Measured (benchmarks/bench_mlp.py, results/mlp_loss_*.json): early stopping on validation accuracy,
            # the old default, stops after n_iter_no_change epochs whatever the loss does (a 0.2% class never moves
            # accuracy); 40 epochs of batches of 2,000, stopping earlier only if the training loss stops improving,
            # fit the 200k-row sample in a quarter of the time (4.8× the logistic instead of 19×) at no
            # distinguishable PR-AUC cost there or on CoIL, and better on bank marketing. At most 400 optimizer
            # steps (results/mlp_u400_u800_u1600.json): on the sample's 160,000 training rows 5 epochs instead of
            # 40, 6.5× faster, click PR-AUC 0.0116 instead of 0.0048 (+0.0068 [-0.0004, +0.034]); 800 and 1,600
            # steps fall between; CoIL and bank marketing never reach 400 steps (unchanged, bit for bit).
            {
                "hidden_layer_sizes": [64],
                "alpha": 1e-4,
                "learning_rate_init": 3e-3,
                "batch_size": 2000,
                "max_iter": 40,
                "n_iter_no_change": 3,
                "max_updates": 400,
                "early_stopping": False,
            },
            _mlp,
            "predict_proba",
        ),
        ClassifierEntry(
            "hgb",
            "HistGradientBoostingClassifier: categories and capped IDs as native categories, missing values native, "
            "early stopping on a slice of the training fold, held out before oversampling or SMOTE",
            # scikit-learn's own defaults (measured, benchmarks/bench_hgb_sklearn.py, results/hgb_sklearn_*.json):
            # early stopping always on, on a tenth of each training fold, lost to the library on small tabular sets
            # (libras_move, 360 rows: 0.80 vs 0.89) — "auto" stops early only above 10,000 rows, as scikit-learn does,
            # and where the slice holds min_validation_minority rows of the smallest class (hgb_sklearn_es_rows_and_slice:
            # distinguishable from scikit-learn's HGB on none of ten sets; stopping on satimage's ~50 positives lost 0.019).
            {
                "learning_rate": 0.1,
                "max_iter": 100,
                "max_leaf_nodes": 31,
                "min_samples_leaf": 20,
                "l2_regularization": 0.0,
                "early_stopping": "auto",
                "min_validation_minority": 25,
            },
            _hgb,
            "predict_proba",
            one_hot=False,
            holds_out_before_sampler=True,
        ),
    ]
}
