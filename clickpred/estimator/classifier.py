""":class:`ClickClassifier`: the whole clickpred model as one scikit-learn estimator.

prepare → sampler → encode → classifier (the pipeline ``clickpred train`` builds), then the probability correction
and the decision rule, both fitted on cross-fitted out-of-fold scores inside :meth:`ClickClassifier.fit`, exactly
as ``clickpred train`` fits them (it is the same call, :func:`clickpred.estimator.fitting.train`).

- ``predict_proba``: corrected probabilities (undoing what rebalancing did to them), columns in ``classes_`` order;
- ``predict``: the decision rule (default ``auto``: per minority class, the threshold of best F1 on out-of-fold
  probabilities), so ``predict`` is *not* the argmax of ``predict_proba`` — on 0.2% clicks the argmax flags nothing.

Example
-------
>>> import numpy as np, pandas as pd
>>> from clickpred import ClickClassifier
>>> rng = np.random.default_rng(0)
>>> X = pd.DataFrame({"site": rng.choice(["a", "b", "c"], 600), "bid": rng.normal(size=600)})
>>> y = np.where((X["site"] == "a") & (rng.random(600) < 0.5), "click", "view")
>>> clf = ClickClassifier(folds=3).fit(X, y)
>>> clf.classes_.tolist(), clf.predict_proba(X).shape
(['click', 'view'], (600, 2))
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from ..errors import ConfigError


class ClickClassifier(ClassifierMixin, BaseEstimator):
    """A rare-event classifier for impression logs: ``clickpred train`` as a scikit-learn estimator.

    Parameters
    ----------
    classifier : {"logistic", "auto", "svm", "svm-rbf", "svm-nystroem", "mlp", "hgb"}, default="logistic"
        ``"auto"`` (``clickpred train``'s default) cross-validates logistic and hgb on the same folds and keeps hgb
        only where it is distinguishably better (:mod:`clickpred.estimator.choose`; ``classifier_choice_``); the
        estimator's default stays logistic, one fit per fold, as a scikit-learn estimator is expected to be.
    strategy : {"none", "class_weight", "oversample", "smote", "undersample"}, default="none"
    classifier_params, strategy_params : dict, default=None
        Parameters as in a spec file's ``[classifier]`` / ``[strategy]`` tables.
    calibration : {"auto", "none", "prior", "sigmoid", "isotonic", "temperature"}, default="auto"
    decision : str, default="auto"
        ``auto``, ``argmax``, ``cost`` (with ``costs``), ``recall:CLASS=R`` or ``top:K%``.
    costs : path, default=None
        A TOML cost matrix (true class × predicted class).
    folds : int, default=5
        Cross-fitting folds for the correction and the rule (and the out-of-fold evaluation in ``cv_``).
    categorical, numeric : list of str, default=None
        Columns read as category codes / as quantities, whatever the schema inference says.
    max_onehot_levels : int, default=50
        More distinct values than this make a column an ID (frequency-capped one-hot).
    feature_params : dict, default=None
        The rest of a spec file's ``[features]`` table (``numeric_bins``, ``crosses``, ``id_encoding``, ``counts``
        …), so that a model trained from a spec file refits as it was trained.
    random_state : int, default=42
    n_jobs : int, default=1
        Folds fitted in parallel.
    importance : bool, default=True
        Measure each column's permutation importance on the out-of-fold PR-AUC of every minority class
        (``importance_``; about one more scoring pass of the held-out rows per column).
    funnel : list, default=None
        Ordered classes, e.g. ``["view", "click", "conversion"]``: fit P(reach click) × P(conversion | click), one
        model per stage, compared with the flat model on the same folds (``clickpred train --funnel``).
    split_by : str, default=None
        A column of ``X`` to validate forward in time by: the latest 20% of rows by it are scored by a model fitted
        on the earlier 80% (``test_evaluation_``); the model itself is fitted on every row.

    Attributes
    ----------
    classes_ : ndarray — the labels, sorted (the columns of ``predict_proba``).
    class_counts_ : dict — training rows per label.
    correction_ : the probability correction (``None`` when the model keeps its own scores).
    decision_rule_ : the decision rule ``predict`` applies; ``thresholds_``: its thresholds per label.
    evaluation_ : the out-of-fold evaluation (corrected, decided), as ``clickpred train`` reports it (``cv_`` too;
        None for a model loaded from a file, which keeps the summary in its metadata).
    test_evaluation_ : the held-out evaluation of :func:`clickpred.train`'s ``test`` file or ``split_by``'s later
        rows; None without.
    result_ : the full :class:`~clickpred.estimator.training.TrainResult` (the data as read, the spec, the leakage
        scan, timings: what the report is written from).
    notes_ : list of str — what was decided about the data (schema, codes, classes, warnings).
    importance_ : DataFrame — per column and minority class, the mean drop of out-of-fold PR-AUC when the column is
        shuffled within the held-out folds (``pr_auc_drop``), its 95% interval over the folds (``low``, ``high``)
        and whether it lies above 0 (``distinguishable``); largest first per class. None when not measured.
    classifier_choice_ : dict — with ``classifier="auto"``, what was tried, each figure, the winner and why (as the
        report's "Classifier" section); None otherwise.
    """

    result_: Any  # TrainResult, or None without cross-fitting
    cv_: Any  # Evaluation, or None without cross-fitting
    evaluation_: Any  # the same
    test_evaluation_: Any  # Evaluation of a held-out test file or later rows, or None

    def __init__(
        self,
        classifier: str = "logistic",
        strategy: str = "none",
        *,
        classifier_params: dict | None = None,
        strategy_params: dict | None = None,
        calibration: str = "auto",
        decision: str = "auto",
        costs: Any = None,
        folds: int = 5,
        categorical: list[str] | None = None,
        numeric: list[str] | None = None,
        max_onehot_levels: int = 50,
        feature_params: dict | None = None,
        random_state: int | None = 42,
        n_jobs: int = 1,
        importance: bool = True,
        funnel: list | None = None,
        split_by: str | None = None,
    ) -> None:
        self.classifier = classifier
        self.strategy = strategy
        self.classifier_params = classifier_params
        self.strategy_params = strategy_params
        self.calibration = calibration
        self.decision = decision
        self.costs = costs
        self.folds = folds
        self.categorical = categorical
        self.numeric = numeric
        self.max_onehot_levels = max_onehot_levels
        self.feature_params = feature_params
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.importance = importance
        self.funnel = funnel
        self.split_by = split_by

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True  # missing values are a level (categories) or imputed (numbers)
        tags.input_tags.categorical = True
        tags.input_tags.string = True
        tags.non_deterministic = self.classifier == "mlp"
        return tags

    # ------------------------------------------------------------ fitting

    def spec(self) -> Any:
        """The validated :class:`~clickpred.modeling.spec.Spec` these parameters describe."""
        from ..modeling.spec import spec_from_dict

        seed = 42 if self.random_state is None else self.random_state
        if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
            raise ConfigError(f"random_state {seed!r}: an int (a seed) or None; clickpred is seeded everywhere")
        if self.feature_params is not None and not isinstance(self.feature_params, dict):
            raise ConfigError(f"feature_params {self.feature_params!r}: a dict, as a spec file's [features] table")
        if "max_onehot_levels" in (self.feature_params or {}):
            raise ConfigError("feature_params: max_onehot_levels is a parameter of its own")
        return spec_from_dict(
            {
                "classifier": {"name": self.classifier, **(self.classifier_params or {})},
                "strategy": {"name": self.strategy, **(self.strategy_params or {})},
                "evaluation": {"folds": self.folds, "seed": int(seed)},
                "features": {"max_onehot_levels": self.max_onehot_levels, **(self.feature_params or {})},
            },
            source="ClickClassifier",
        )

    def fit(self, X: Any, y: Any) -> ClickClassifier:
        from pandas import isna as pd_isna

        from .fitting import train

        spec = self.spec()
        self._by_name = False  # the columns of this X, checked as scikit-learn checks them
        frame = self._frame(X, reset=True)
        y = column_or_1d(np.asarray(y), warn=True)
        if len(y) != len(frame):
            raise ValueError(f"X has {len(frame)} rows but y has {len(y)}")
        missing = np.flatnonzero(pd_isna(y))
        if len(missing):  # scikit-learn's words first (its checks match them), then which rows
            raise ValueError(
                f"Input y contains NaN. {len(missing):,} row(s) have no label (first: row {missing[0]}): every row "
                "needs its class — drop the unlabelled rows or give them one"
            )
        check_classification_targets(y)
        if np.unique(y).size < 2:
            raise ValueError(f"ClickClassifier needs at least 2 classes in y; it holds only one class ({y[0]!r})")
        smallest = int(np.unique(y, return_counts=True)[1].min())
        if smallest < 2:  # nothing to cross-fit a correction or a rule on
            return self._fit_plain(frame, y, spec, smallest)
        notes = []
        if smallest < spec.folds:
            notes.append(f"folds: {spec.folds} → {smallest} (the smallest class has {smallest} rows)")
            spec = replace(spec, folds=smallest)
        result = train(  # every column of X a feature, y held apart
            frame,
            spec,
            labels=np.asarray(y, dtype=object),
            calibration=self.calibration,
            decision=self.decision,
            costs=self.costs,
            jobs=self.n_jobs,
            categorical=self.categorical,
            numeric=self.numeric,
            importance=bool(self.importance),
            funnel=self._funnel(),
            split_by=self.split_by,
        )
        internal = result.data.y  # the labels as clickpred read them, row for row
        pairs: dict[Any, str] = {}
        for original, read in zip(y.tolist(), internal.tolist()):
            if pairs.setdefault(original, read) != read:  # pragma: no cover - reading is deterministic
                raise ValueError(f"label {original!r} was read two ways")
        if len(set(pairs.values())) < len(pairs):
            merged = sorted({repr(k) for k, v in pairs.items() if list(pairs.values()).count(v) > 1})
            raise ValueError(f"labels {', '.join(merged)} read as the same class: give distinct labels")
        labels = {read: original for original, read in pairs.items()}  # as y holds them, for the model file
        result = replace(result, data=replace(result.data, labels=labels))
        if spec.folds != self.folds:  # lowered for the smallest class: the file keeps the parameter as given
            result = replace(result, options={**result.options, "folds": self.folds})
        self._keep(result, notes, np.unique(y))  # classes_ as scikit-learn's classifiers give them
        return self

    def _funnel(self) -> list[str] | None:
        """``funnel``'s classes as clickpred reads labels (text), checked to be a list."""
        if self.funnel is None:
            return None
        if isinstance(self.funnel, (str, bytes)) or not hasattr(self.funnel, "__iter__"):
            raise ConfigError(f"funnel {self.funnel!r}: a list of classes in order, e.g. ['view', 'click']")
        return [str(c) for c in self.funnel]

    @classmethod
    def from_result(cls, result: Any) -> ClickClassifier:
        """The fitted estimator a train run is (:func:`clickpred.train`: a file, or a DataFrame holding its target
        column): the parameters the run was given, the classes as the data holds them (``1``, ``True``,
        ``"click"``). Like a loaded model it takes a DataFrame's columns by name (others, the target's included, are
        ignored), as ``clickpred score`` does."""
        importance = result.cv.importance is not None
        clf = cls(**cls._parameters(result.spec.to_dict(), result.options, result.classifier_choice, importance))
        clf._keep(result, [])
        clf._named(result.data.schema)
        return clf

    def _named(self, schema: Any) -> None:
        """Take a DataFrame's columns by name, as ``clickpred score`` does (a model trained from a file or loaded
        from one: its columns are the file's, not an X given to ``fit``)."""
        self.feature_names_in_ = np.array(schema.input_names, dtype=object)
        self.n_features_in_ = len(schema.input_names)
        self._by_name = True

    @staticmethod
    def _parameters(spec: dict, options: dict, choice: dict | None, importance: bool) -> dict:
        """The estimator's parameters from what a train run records: its spec (as a dict), the options beyond it,
        whether ``auto`` chose the classifier, whether importance was measured."""
        from ..modeling.spec import FeatureSpec

        part = lambda key: spec.get(key) or {}  # noqa: E731
        default = FeatureSpec()
        features = {  # what differs from the defaults (lists and pairs as a spec file writes them)
            k: list(map(_listed, v)) if isinstance(v, (list, tuple)) else v
            for k, v in part("features").items()
            if k != "max_onehot_levels" and hasattr(default, k) and _listed(v) != _listed(getattr(default, k))
        }
        return dict(
            # a model auto chose keeps "auto" as its parameter (what it was fitted with; the spec holds the winner)
            classifier="auto" if choice else part("classifier").get("name", "logistic"),
            strategy=part("strategy").get("name", "none"),
            classifier_params=dict(part("classifier").get("params", {})) or None,
            strategy_params=dict(part("strategy").get("params", {})) or None,
            calibration=options.get("calibration", "auto"),
            decision=options.get("decision", "auto"),
            costs=options.get("costs"),
            folds=options.get("folds", spec.get("folds", 5)),
            categorical=options.get("categorical"),
            numeric=options.get("numeric"),
            max_onehot_levels=part("features").get("max_onehot_levels", 50),
            feature_params=features or None,
            random_state=spec.get("seed", 42),
            importance=importance,
            funnel=options.get("funnel"),
            split_by=options.get("split_by"),
        )

    def _keep(self, result: Any, notes: list[str], classes: np.ndarray | None = None) -> None:
        """Everything a cross-fitted train run gives, as this estimator's fitted attributes (``classes``: the sorted
        labels of ``fit``'s ``y``, when fitted on one)."""
        from ..postfit.predictor import Predictor

        schema, cv = result.data.schema, result.cv
        labels = dict(result.data.labels) or {c: c for c in schema.classes}  # class as read → label as given
        internal = _in_label_order(labels)
        self.classes_ = np.array([labels[c] for c in internal]) if classes is None else classes
        correction: Any = cv.correction  # Evaluation types them loosely (evaluation sits below postfit)
        rule: Any = cv.rule
        predictor = Predictor(result.pipeline, list(schema.classes), result.built.score_method, correction, rule)
        self._set_fitted(predictor, schema, internal, result.data.class_counts)
        self.result_, self.cv_, self.evaluation_ = result, cv, cv
        self.test_evaluation_ = result.test
        self.notes_ = notes + list(result.notes)
        self.importance_ = self._importance_frame((cv.importance or {}).get("records"), labels)
        self.classifier_choice_ = result.classifier_choice

    @staticmethod
    def _importance_frame(records: list | None, labels: dict) -> Any:
        """The importance records as a DataFrame, classes as ``classes_`` holds them (``labels``: class as clickpred
        reads it → label)."""
        import pandas as pd

        if records is None:
            return None
        columns = ["column", "class", "kind", "pr_auc_drop", "low", "high", "distinguishable"]
        frame = pd.DataFrame([{k: r.get(k) for k in columns} for r in records], columns=columns)
        frame["class"] = [labels.get(c, c) for c in frame["class"]]
        return frame.astype({"low": float, "high": float})

    def _fit_plain(self, frame: Any, y: np.ndarray, spec: Any, smallest: int) -> ClickClassifier:
        """A class with a single row: no out-of-fold scores exist, so no correction or rule is fitted — the
        pipeline alone, deciding by argmax, said in ``notes_`` (``cv_`` and ``result_`` are None)."""
        from ..io.dataset import load_dataset
        from ..modeling.pipeline import build_pipeline, for_prediction
        from ..modeling.spec import AUTO, ComponentSpec
        from ..postfit.predictor import Predictor

        ds = load_dataset(
            frame,
            labels=np.asarray(y, dtype=object),
            max_levels=spec.features.max_onehot_levels,
            categorical=self.categorical,
            numeric=self.numeric,
        )
        if spec.classifier.name == AUTO:  # nothing to choose on without folds: the cheaper
            spec = replace(spec, classifier=ComponentSpec("logistic"))
        built = build_pipeline(spec, ds.schema, ds.class_counts)
        pipeline = for_prediction(built.pipeline.fit(ds.frame, ds.y))
        pairs = dict(zip(y.tolist(), ds.y.tolist()))
        self.classes_ = np.unique(y)
        predictor = Predictor(pipeline, list(ds.schema.classes), built.score_method)
        self._set_fitted(predictor, ds.schema, [pairs[c] for c in self.classes_.tolist()], ds.class_counts)
        self.result_, self.cv_, self.evaluation_, self.importance_ = None, None, None, None
        self.test_evaluation_ = None
        self.classifier_choice_ = None
        self.notes_ = list(ds.notes) + [
            f"a class has {smallest} row: no cross-fitting, so no probability correction "
            "and no decision rule (argmax of the classifier's scores)"
        ]
        unused = [
            f"{name}={value!r}" for name, value in (("funnel", self.funnel), ("split_by", self.split_by)) if value
        ]
        if unused:  # a parameter that needs folds or a hold-out cannot apply: said, not dropped silently
            self.notes_.append(f"{', '.join(unused)}: not applied (one flat model on every row, nothing held out)")
        return self

    def _set_fitted(self, predictor: Any, schema: Any, internal_classes: list, counts: dict) -> None:
        """Keep the fitted model (pipeline → correction → rule) and map ``classes_`` onto its class order; the
        correction, the rule, its thresholds and the training class counts as attributes of their own, keyed by
        the labels in ``classes_``."""
        self.schema_ = schema
        self.predictor_ = predictor
        order = list(schema.classes)
        self._columns = np.array([order.index(c) for c in internal_classes])  # classes_ → predictor's columns
        self._labels = np.empty(len(order), dtype=object)
        for j, c in enumerate(internal_classes):
            self._labels[order.index(c)] = self.classes_[j]
        label = dict(zip(internal_classes, self.classes_.tolist()))
        self.correction_ = predictor.correction
        self.decision_rule_ = predictor.rule
        thresholds = predictor.rule.thresholds if predictor.rule is not None else {}
        self.thresholds_ = {label[c]: float(t) for c, t in thresholds.items() if c in label}
        self.class_counts_ = {label[c]: int(counts.get(c, 0)) for c in internal_classes}

    @classmethod
    def from_model(cls, model: Any) -> ClickClassifier:
        """The fitted estimator a loaded model file (:func:`clickpred.load_model`) holds: the parameters it was
        trained with (its spec and the options the file records), and its classes as the training data held
        them (``1``, ``True``, ``"click"``)."""
        from ..io.schema import Schema

        md = model.metadata
        options, importance = md.get("options") or {}, md.get("importance") is not None
        clf = cls(**cls._parameters(md.get("spec") or {}, options, md.get("classifier_choice"), importance))
        schema = Schema.from_dict(md["schema"])
        labels = md.get("labels") or {c: c for c in md["classes"]}  # class as read → label as given
        internal = _in_label_order(labels)
        clf.classes_ = np.array([labels[c] for c in internal])
        counts = (md.get("data") or {}).get("class_counts") or {}
        clf._set_fitted(model.predictor(), schema, internal, counts)
        # the file keeps a summary, not the folds' scores
        clf.result_, clf.cv_, clf.evaluation_, clf.test_evaluation_ = None, None, None, None
        clf._named(schema)
        clf.model_ = model
        clf.notes_ = []
        clf.importance_ = cls._importance_frame(md.get("importance"), labels)
        clf.classifier_choice_ = md.get("classifier_choice")
        return clf

    # ------------------------------------------------------------ predicting

    @available_if(lambda self: not hasattr(self, "predictor_") or self.predictor_.has_proba)
    def predict_proba(self, X: Any) -> np.ndarray:
        """Corrected class probabilities, columns in ``classes_`` order."""
        check_is_fitted(self, "predictor_")
        return self.predictor_.predict_proba(self._features(X))[:, self._columns]

    @available_if(lambda self: hasattr(self, "predictor_") and not self.predictor_.has_proba)
    def decision_function(self, X: Any) -> np.ndarray:
        """Decision values, where the model gives no probabilities (an SVM with ``calibration="none"``): columns in
        ``classes_`` order, or the values of ``classes_[1]`` for two classes, as scikit-learn's classifiers do."""
        check_is_fitted(self, "predictor_")
        scores = self.predictor_.finish(self.predictor_.raw_scores(self._features(X)))[:, self._columns]
        return scores[:, 1] - scores[:, 0] if len(self.classes_) == 2 else scores

    def predict(self, X: Any) -> np.ndarray:
        """Labels under the decision rule (see the module docstring: not the argmax of ``predict_proba``)."""
        check_is_fitted(self, "predictor_")
        index = self.predictor_.decide_index(self.predictor_.finish(self.predictor_.raw_scores(self._features(X))))
        out = self._labels[index]
        return out.astype(self.classes_.dtype) if self.classes_.dtype != object else out

    def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """Average precision (PR-AUC) of the rarest class in training (``min(class_counts_)``) on ``X``, ``y`` —
        the measure clickpred ranks models by. Not scikit-learn's default accuracy: a model that flags no click
        scores 99.8% accuracy on 0.2% clicks. ``cross_validate``/``GridSearchCV`` use this without a ``scoring``."""
        from sklearn.metrics import average_precision_score

        check_is_fitted(self, "predictor_")
        k = min(range(len(self.classes_)), key=lambda j: (self.class_counts_[self.classes_[j]], j))
        if hasattr(self, "predict_proba") and self.predictor_.has_proba:
            scores = self.predict_proba(X)[:, k]
        else:
            d = self.decision_function(X)
            scores = d[:, k] if d.ndim == 2 else (d if k == 1 else -d)
        truth = column_or_1d(np.asarray(y), warn=True) == self.classes_[k]
        return float(average_precision_score(truth, scores, sample_weight=sample_weight))

    # ------------------------------------------------------------ input

    def _frame(self, X: Any, reset: bool) -> Any:
        """X as a DataFrame with string column names (``x0``, ``x1``, … for an array), checked as scikit-learn
        checks inputs: feature names and counts against fit."""
        if hasattr(X, "iloc") and hasattr(X, "columns"):
            validate_data(self, X, reset=reset, skip_check_array=True)
            if X.shape[0] < 1:
                raise ValueError(f"Found array with 0 sample(s) (shape={X.shape}) while a minimum of 1 is required.")
            return X.set_axis([str(c) for c in X.columns], axis=1).reset_index(drop=True)
        # check_array refuses complex numbers, sparse matrices and arrays that are not 2-D
        return _array_frame(validate_data(self, X, reset=reset, dtype=None, ensure_all_finite="allow-nan"))

    def _features(self, X: Any) -> Any:
        """X as the pipeline takes it, cast by the same code as a file's rows when scoring
        (:func:`clickpred.io.dataset.features_from_pandas`): a value that cannot be read as its column's type is
        a ``DataError`` (a ``ValueError``) naming the row, never a missing value. A model loaded from a file
        matches a DataFrame's columns by name, as ``clickpred score`` does (extra columns are ignored)."""
        from sklearn.utils.validation import check_array

        from ..io.dataset import features_from_pandas

        if not getattr(self, "_by_name", False):
            frame = self._frame(X, reset=False)
        elif hasattr(X, "columns"):
            frame = X
        else:
            frame = _array_frame(check_array(X, dtype=None, ensure_all_finite="allow-nan"))
        return features_from_pandas(frame, self.schema_)


def _in_label_order(labels: dict) -> list:
    """The classes as clickpred reads them (``labels``: class → the label as given), in ``classes_`` order: sorted
    by their labels, as ``fit`` sorts ``y``'s."""
    return sorted(labels, key=lambda c: labels[c])


def _listed(value: Any) -> Any:
    """Tuples as lists, nested (a spec's column pairs), so that a spec read back from JSON compares equal."""
    return [_listed(v) for v in value] if isinstance(value, (list, tuple)) else value


def _array_frame(array: np.ndarray) -> Any:
    """An array's columns named as :class:`ClickClassifier` names them when it is fitted on one."""
    import pandas as pd

    return pd.DataFrame(array, columns=[f"x{i}" for i in range(array.shape[1])])
