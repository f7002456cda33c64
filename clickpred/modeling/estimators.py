"""Small custom estimators that keep the scikit-learn contract.

- :class:`BoundedSVC`: a kernel SVC that refuses to fit past a row limit, since its
  fit time grows as ~n^2.
- :class:`WeightedMLPClassifier`: an MLP that accepts ``class_weight`` (turned into
  ``sample_weight`` inside ``fit``), which scikit-learn's MLPClassifier lacks.
- :class:`TimestampFeatures`: hour of day and day of week from datetime columns.
- :class:`FrequencyEncoder`: log training frequency of each category.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier
from sklearn.svm import SVC
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import _num_samples, check_is_fitted, validate_data
from threadpoolctl import threadpool_limits

from ..errors import RowLimitError


def null_loss(y, class_weight=None, sample_weight=None) -> float:
    """Mean (weighted) log loss of the intercept-only model: the entropy of the weighted class shares."""
    w = compute_sample_weight(class_weight, y) if class_weight is not None else np.ones(len(y))
    if sample_weight is not None:
        w = w * np.asarray(sample_weight, dtype=float)
    _, inverse = np.unique(y, return_inverse=True)
    q = np.bincount(inverse, weights=w) / w.sum()
    q = q[q > 0]
    return float(-(q * np.log(q)).sum())


class ScaledTolLogisticRegression(LogisticRegression):
    """LogisticRegression whose ``tol`` is relative to the loss of the intercept-only model.

    scikit-learn stops when the gradient of the *mean* loss falls below ``tol``.
    With 0.2% clicks that mean loss is ~0.015, with balanced class weights it is
    ~1.1: the same absolute ``tol`` stops the unweighted fit far too early and
    drives the weighted one through hundreds of needless iterations (measured
    on 667k simulated rows: 386 L-BFGS iterations, 155 s, for a worse PR-AUC
    than stopping at 89). Scaling ``tol`` by the null-model loss makes one
    setting mean the same precision for both. The default 3e-3 is, on 0.2%
    clicks without weights, about half scikit-learn's default absolute 1e-4.
    """

    def __init__(self, *, C=1.0, tol=3e-3, max_iter=1000, solver="lbfgs", class_weight=None, random_state=None):
        super().__init__(
            C=C, tol=tol, max_iter=max_iter, solver=solver, class_weight=class_weight, random_state=random_state
        )

    def fit(self, X, y, sample_weight=None):
        if y is None:  # let scikit-learn raise its own error
            return super().fit(X, y, sample_weight=sample_weight)
        relative = float(self.tol)  # type: ignore[has-type]  # scikit-learn's parameter
        y_arr = np.asarray(y)
        y_arr = y_arr.ravel() if y_arr.ndim == 2 and y_arr.shape[1] == 1 else y_arr
        self.tol_ = relative * max(null_loss(y_arr, self.class_weight, sample_weight), 1e-12)
        self.tol = self.tol_
        try:
            with threadpool_limits(1, user_api="blas"):
                super().fit(X, y, sample_weight=sample_weight)
        finally:
            self.tol = relative
        return self


class BoundedSVC(SVC):
    """Kernel SVC with a row limit: ``fit`` on more than ``max_rows`` rows raises.

    Kernel SVM training grows roughly as n^2.2 (7.5 s at 40k rows here), so
    silently fitting 1M rows would run for days. Use ``svm-nystroem`` there.

    Example
    -------
    >>> BoundedSVC(max_rows=100).fit(np.zeros((101, 2)), [0, 1] * 50 + [0])
    Traceback (most recent call last):
    ...
    clickpred.errors.RowLimitError: ...
    """

    def __init__(
        self,
        *,
        max_rows=20_000,
        C=1.0,
        kernel="rbf",
        gamma="scale",
        tol=1e-3,
        cache_size=500,
        class_weight=None,
        max_iter=-1,
        random_state=None,
    ):
        super().__init__(
            C=C,
            kernel=kernel,
            gamma=gamma,
            tol=tol,
            cache_size=cache_size,
            class_weight=class_weight,
            max_iter=max_iter,
            random_state=random_state,
        )
        self.max_rows = max_rows

    def fit(self, X, y, sample_weight=None):
        from sklearn.utils.validation import _num_samples

        n = _num_samples(X)
        if self.max_rows is not None and n > self.max_rows:
            raise RowLimitError(
                f"svm-rbf refuses to fit {n:,} rows (limit {self.max_rows:,}; kernel SVM time grows "
                "as ~n^2): use classifier 'svm-nystroem', undersample, or raise classifier.max_rows"
            )
        return super().fit(X, y, sample_weight=sample_weight)


class WeightedMLPClassifier(MLPClassifier):
    """MLPClassifier with a ``class_weight`` parameter.

    scikit-learn 1.9's MLPClassifier has no ``class_weight``; this passes the
    weights as ``sample_weight`` to its ``fit``, so it works inside any pipeline
    (including after a sampler, where row-aligned fit parameters would not).

    ``max_updates`` caps the optimizer's steps (mini-batches) rather than its epochs: a fit runs
    ``max_iter`` epochs, or fewer when that many epochs of the training rows would take more than
    ``max_updates`` steps (at least one epoch). On a large file an epoch is many steps, and a fixed
    number of epochs makes the fit grow with the rows while the model stops gaining from them.
    """

    def __init__(
        self,
        hidden_layer_sizes=(64,),
        activation="relu",
        *,
        alpha=1e-4,
        batch_size="auto",
        learning_rate_init=1e-3,
        max_iter=200,
        tol=1e-4,
        early_stopping=True,
        validation_fraction=0.1,
        n_iter_no_change=10,
        max_updates=None,
        class_weight=None,
        random_state=None,
    ):
        super().__init__(
            hidden_layer_sizes=hidden_layer_sizes,
            activation=activation,
            alpha=alpha,
            batch_size=batch_size,
            learning_rate_init=learning_rate_init,
            max_iter=max_iter,
            tol=tol,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            n_iter_no_change=n_iter_no_change,
            random_state=random_state,
        )
        self.max_updates = max_updates
        self.class_weight = class_weight

    def fit(self, X, y, sample_weight=None):
        if self.class_weight is not None:
            cw = compute_sample_weight(self.class_weight, y)
            sample_weight = cw if sample_weight is None else sample_weight * cw
        # Too few rows for a stratified validation slice with every class in it: fit on all rows, to
        # max_iter / tol (scikit-learn would raise from train_test_split instead).
        early_stopping = self.early_stopping and has_validation_slice(y, self.validation_fraction)
        fit_params = {"early_stopping": early_stopping, "max_iter": self.epochs(_num_samples(X), early_stopping)}
        saved = {k: getattr(self, k) for k in fit_params}
        try:  # scikit-learn's fit reads its parameters from the instance: set for this fit, then restored
            for k, v in fit_params.items():
                setattr(self, k, v)
            return super().fit(X, y, sample_weight=sample_weight)
        finally:
            for k, v in saved.items():
                setattr(self, k, v)

    def epochs(self, n_rows: int, early_stopping: bool | None = None) -> int:
        """The epochs a fit on ``n_rows`` rows may run: ``max_iter``, or fewer under ``max_updates``."""
        if self.max_updates is None or self.solver not in ("sgd", "adam"):
            return self.max_iter
        if early_stopping is None:
            early_stopping = self.early_stopping
        if early_stopping:
            n_rows -= int(np.ceil(self.validation_fraction * n_rows))  # as train_test_split's test_size
        n = max(n_rows, 1)
        batch = min(200, n) if self.batch_size == "auto" else int(np.clip(self.batch_size, 1, n))  # as MLP's fit
        steps = -(-n // batch)
        return max(1, min(self.max_iter, self.max_updates // steps))

    @available_if(lambda est: est.solver in ("sgd", "adam") and not est.early_stopping)
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """As MLPClassifier's (without early stopping, which needs the whole data)."""
        return super().partial_fit(X, y, sample_weight=sample_weight, classes=classes)


def has_validation_slice(y, fraction: float) -> bool:
    """Whether a stratified validation slice of ``fraction`` can hold every class and leave it in training."""
    y = np.asarray(y)
    if y.ndim != 1 or len(y) == 0:
        return True  # let scikit-learn's own validation say what is wrong
    _, counts = np.unique(y, return_counts=True)
    n_val = int(np.ceil(fraction * len(y)))
    return len(counts) > 1 and counts.min() >= 2 and len(counts) <= n_val <= len(y) - len(counts)


class _TextColumns:
    """What a stateless per-column transformer of text (and missing) values shares: what it reads, its fit (nothing
    learnt but the columns) and the names it gives its outputs (``_SUFFIXES`` per input column). A mixin, not an
    estimator: the transformers below are."""

    _SUFFIXES: tuple[str, ...] = ()
    n_features_in_: int  # set by validate_data in fit

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()  # type: ignore[misc]  # the estimator's, next in the MRO
        tags.input_tags.string = True  # values as text
        tags.input_tags.allow_nan = True  # a missing value has its own output
        return tags

    def fit(self, X, y=None):
        validate_data(self, X, dtype=None, ensure_all_finite=False)
        return self

    def _frame(self, X) -> pd.DataFrame:
        check_is_fitted(self)
        return pd.DataFrame(validate_data(self, X, dtype=None, ensure_all_finite=False, reset=False))

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self)
        known = getattr(self, "feature_names_in_", None)
        if input_features is None:
            input_features = known if known is not None else [f"x{i}" for i in range(self.n_features_in_)]
        elif len(input_features) != self.n_features_in_ or (known is not None and list(input_features) != list(known)):
            raise ValueError("input_features is not equal to feature_names_in_ (or has another length)")
        return np.asarray([f"{c}_{s}" for c in input_features for s in self._SUFFIXES], dtype=object)


class TimestampFeatures(_TextColumns, TransformerMixin, BaseEstimator):
    """Hour of day (0-23) and day of week (0-6) codes for each datetime column.

    Missing timestamps become -1. Output is two integer columns per input column. Input: datetimes, or text and
    numbers that ``pandas.to_datetime`` reads (numbers as nanoseconds since the epoch).
    """

    _SUFFIXES = ("hour", "dow")

    def transform(self, X):
        frame = self._frame(X)
        out = []
        for col in frame.columns:
            ts = pd.to_datetime(frame[col], errors="coerce")
            out.append(ts.dt.hour.fillna(-1).to_numpy(dtype=float))
            out.append(ts.dt.day_of_week.fillna(-1).to_numpy(dtype=float))
        return np.column_stack(out) if out else np.empty((len(frame), 0))


class CodesAsNumbers(_TextColumns, TransformerMixin, BaseEstimator):
    """Integer codes read back as numbers, for the trees: each column's values (the canonical text of integers,
    ``"12"``) as a float, missing or unreadable as NaN (the trees' missing branch).

    An integer column read as codes (categories) loses its order; when the codes are in fact measurements with gaps
    (pixel intensities, durations) or IDs whose order carries signal (an ``ip``), the trees lose the splits on it.
    Given both — the native category and this number — they use whichever splits better. Nothing is learnt."""

    _SUFFIXES = ("number",)

    def transform(self, X):
        frame = self._frame(X)
        out = [pd.to_numeric(frame[c], errors="coerce").to_numpy(dtype=float) for c in frame.columns]
        return np.column_stack(out) if out else np.empty((len(frame), 0))


def text_array(values) -> np.ndarray:
    """Category values as one fixed-width text array when they are all text, else as an object array.

    A model file (skops) writes an array of Python objects value by value — a node of JSON each: the vocabularies
    of a 100k-row log made 28,000 of them, a third of a second to write and as long to read — and a text array as
    one block. Kept as objects: numbers among the values, a text ending in NUL (fixed-width text drops it), or one
    value so long that the fixed width would take more than 8× the text's room."""
    vals = list(values)
    if not vals or not all(type(v) is str for v in vals) or any(v.endswith("\x00") for v in vals):
        return np.array(vals, dtype=object)
    lengths = [len(v) for v in vals]
    if max(lengths) * len(vals) > 8 * sum(lengths) + 4096:
        return np.array(vals, dtype=object)
    return np.array(vals, dtype=f"<U{max(max(lengths), 1)}")


def _sort_key(value) -> tuple:
    return (0, value, 0.0) if isinstance(value, str) else (1, "", float(value))


class CategoryCodes(TransformerMixin, BaseEstimator):
    """Category values → integer codes, exactly as ``SimpleImputer(strategy="constant", fill_value=fill_value)``
    followed by ``OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1, min_frequency=…,
    max_categories=…)``: the same ``categories_`` (sorted), frequent categories coded 0…k−1 in that order, every
    infrequent one coded k, unseen values −1 — but counted and looked up by pandas' hash tables instead of Python
    dictionaries, several times faster on the string columns of impression logs.
    """

    def __init__(self, min_frequency=None, max_categories=None, fill_value="__missing__"):
        self.min_frequency = min_frequency
        self.max_categories = max_categories
        self.fill_value = fill_value

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.allow_nan = True  # missing is a category of its own (fill_value)
        return tags

    def _filled(self, X, j: int) -> pd.Series:
        col = pd.Series(X[:, j], dtype=object)
        return col.where(col.notna(), self.fill_value)

    def fit(self, X, y=None):
        self._fit(X, with_codes=False)
        return self

    def fit_transform(self, X, y=None, **fit_params):
        """``fit(X).transform(X)``, hashing each column once: the rows' codes come with the counts (a pipeline's fit
        calls this; in a CV's threads this step holds Python's lock, so its time is not shared between cores)."""
        return self._fit(X, with_codes=True)

    def _fit(self, X, with_codes: bool):
        X = validate_data(self, X, dtype=None, ensure_all_finite=False, reset=True)
        self.categories_, self.infrequent_categories_, self._lookup = [], [], []
        out = np.empty(X.shape, dtype=float) if with_codes else None
        for j in range(X.shape[1]):
            position, uniques = pd.factorize(self._filled(X, j), use_na_sentinel=False)  # distinct values as seen
            values = list(uniques)
            # categories sorted, as scikit-learn's (strings as it sorts them; numbers, which only its checks give
            # here, after the strings and among themselves by value)
            keys = [_sort_key(v) for v in values]
            order = np.array(sorted(range(len(values)), key=keys.__getitem__), dtype=np.int64)
            categories = text_array([values[i] for i in order])  # as the model file stores them best
            count = np.bincount(position, minlength=len(values))[order]
            infrequent = self._infrequent(count, X.shape[0])
            frequent = ~infrequent
            codes = np.full(len(categories), float(frequent.sum()))  # every infrequent category: the last code
            codes[frequent] = np.arange(frequent.sum(), dtype=float)
            self.categories_.append(categories)
            self.infrequent_categories_.append(categories[infrequent] if infrequent.any() else None)
            self._lookup.append(np.r_[codes, -1.0])  # position len(categories): unseen
            if out is not None:
                code_of_value = np.empty(len(values))
                code_of_value[order] = codes
                out[:, j] = code_of_value[position]
        return out if with_codes else self

    def _infrequent(self, count: np.ndarray, n_samples: int) -> np.ndarray:
        """scikit-learn's rule (``OrdinalEncoder._identify_infrequent``): below min_frequency, then beyond
        max_categories − 1 by count (a stable sort keeps the earlier category among ties)."""
        import numbers

        if isinstance(self.min_frequency, numbers.Integral):
            mask = count < self.min_frequency
        elif isinstance(self.min_frequency, numbers.Real):
            mask = count < self.min_frequency * n_samples
        else:
            mask = np.zeros(len(count), dtype=bool)
        n_current = count.size - mask.sum() + 1
        if self.max_categories is not None and self.max_categories < n_current:
            keep = self.max_categories - 1
            if keep == 0:
                mask[:] = True
            else:
                mask[np.argsort(count, kind="mergesort")[:-keep]] = True
        return mask

    def transform(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, dtype=None, ensure_all_finite=False, reset=False)
        out = np.empty(X.shape, dtype=float)
        for j in range(X.shape[1]):
            out[:, j] = self.transform_column(j, X[:, j])
        return out

    def transform_column(self, j: int, values) -> np.ndarray:
        """The codes of input column ``j`` for these values (what :meth:`transform` gives in its column ``j``: each
        column is coded on its own)."""
        categories, lookup = self.categories_[j], self._lookup[j]
        col = pd.Series(np.asarray(values, dtype=object), dtype=object)
        # −1 for unseen; objects, so that values match as before whether categories_ is text or objects
        position = pd.Index(categories, dtype=object).get_indexer(col.where(col.notna(), self.fill_value))
        return lookup[np.where(position < 0, len(categories), position)]

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self)
        names = getattr(self, "feature_names_in_", None)
        return np.asarray(
            list(names) if names is not None else [f"x{i}" for i in range(self.n_features_in_)], dtype=object
        )


class FrequencyEncoder(TransformerMixin, BaseEstimator):
    """Replace each category by log(1 + its count in the training data); unseen → 0."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.allow_nan = True
        return tags

    def fit(self, X, y=None):
        X = validate_data(self, X, dtype=None, ensure_all_finite=False, reset=True)
        self.counts_ = []
        for j in range(X.shape[1]):
            values, counts = np.unique(X[:, j].astype(str), return_counts=True)
            self.counts_.append(dict(zip(values.tolist(), np.log1p(counts).tolist())))
        return self

    def transform(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, dtype=None, ensure_all_finite=False, reset=False)
        out = np.zeros(X.shape, dtype=float)
        for j in range(X.shape[1]):
            out[:, j] = self.transform_column(j, X[:, j])
        return out

    def transform_column(self, j: int, values) -> np.ndarray:
        """What :meth:`transform` gives in column ``j`` for these values of input column ``j`` (each on its own)."""
        col = pd.Series(np.asarray(values, dtype=object).astype(str))
        return col.map(self.counts_[j]).fillna(0.0).to_numpy(dtype=float)

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self)
        names = getattr(self, "feature_names_in_", [f"x{i}" for i in range(self.n_features_in_)])
        return np.asarray([f"{n}_freq" for n in names], dtype=object)


class ClippedLogit(TransformerMixin, BaseEstimator):
    """log(p / (1 - p)) of probabilities clipped to [eps, 1 - eps].

    Target encodings of rare events are rates near zero; a linear model of
    clicks is additive in log-odds, so the encodings are most useful there.
    """

    def __init__(self, eps=1e-6):
        self.eps = eps

    def fit(self, X, y=None):
        validate_data(self, X, reset=True)
        return self

    def transform(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        p = np.clip(X, self.eps, 1 - self.eps)
        return np.log(p) - np.log1p(-p)

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self)
        names = getattr(self, "feature_names_in_", [f"x{i}" for i in range(self.n_features_in_)])
        return np.asarray([f"logit_{n}" for n in names], dtype=object)


class NystroemSVM(ClassifierMixin, BaseEstimator):
    """RBF-kernel SVM that scales: Nystroem features made chunk by chunk, then a linear SVM.

    A plain ``Nystroem(300) + LinearSVC`` pipeline materialises the n × 300 feature
    matrix in float64 (1.9 GB at 800k rows) and liblinear copies it again into its
    own sparse format (6.3 GB peak measured here). Here the features are computed
    ``chunk_rows`` at a time into one float32 matrix (0.96 GB at 800k rows) and
    the squared-hinge SVM objective, one-vs-rest as in LinearSVC,

        C · Σ s_i · max(0, 1 − t_i (w·z_i + b))² + ½‖w‖²

    is minimised by L-BFGS (``solver="lbfgs"``). ``solver="sgd"`` never holds more
    than a chunk of features (averaged SGD on the hinge loss, rows drawn ∝ weight),
    for data where even the float32 features don't fit, at a cost in accuracy.
    ``gamma="scale"`` is 1 / (n_features · Var(X)), as in SVC.
    """

    def __init__(
        self,
        *,
        C=0.1,
        gamma="scale",
        n_components=300,
        solver="lbfgs",
        max_iter=300,
        tol=1e-4,
        epochs=5,
        chunk_rows=20_000,
        class_weight=None,
        random_state=None,
    ):
        self.C = C
        self.gamma = gamma
        self.n_components = n_components
        self.solver = solver
        self.max_iter = max_iter
        self.tol = tol
        self.epochs = epochs
        self.chunk_rows = chunk_rows
        self.class_weight = class_weight
        self.random_state = random_state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    def _gamma(self, X):
        if self.gamma != "scale":
            return float(self.gamma)
        if hasattr(X, "toarray"):
            mean = np.asarray(X.mean())
            var = float(np.asarray(X.multiply(X).mean()) - mean**2)
        else:
            var = float(np.var(X))
        return 1.0 / (X.shape[1] * var) if var > 0 else 1.0

    def _features(self, X):
        """Kernel features of X as float32, computed chunk by chunk."""
        Z = np.empty((X.shape[0], self.kernel_.n_components), dtype=np.float32)
        for s in range(0, X.shape[0], self.chunk_rows):
            Z[s : s + self.chunk_rows] = self.kernel_.transform(X[s : s + self.chunk_rows])
        return Z

    def fit(self, X, y, sample_weight=None):
        from sklearn.kernel_approximation import Nystroem
        from sklearn.utils import check_random_state
        from sklearn.utils.multiclass import check_classification_targets
        from sklearn.utils.validation import _check_sample_weight

        X, y = validate_data(self, X, y, accept_sparse="csr", reset=True)
        check_classification_targets(y)
        self.classes_ = np.unique(y)
        if len(self.classes_) < 2:
            raise ValueError("NystroemSVM needs at least 2 classes in y; got 1 class")
        if self.solver not in ("lbfgs", "sgd"):
            raise ValueError(f"solver must be 'lbfgs' or 'sgd', got {self.solver!r}")
        rng = check_random_state(self.random_state)
        n = X.shape[0]
        seed = int(rng.randint(0, 2**31 - 1))
        self.gamma_ = self._gamma(X)
        self.kernel_ = Nystroem(
            kernel="rbf", gamma=self.gamma_, n_components=min(self.n_components, n), random_state=seed
        ).fit(X)
        weights = _check_sample_weight(sample_weight, X)
        if self.solver == "lbfgs":
            self._fit_lbfgs(self._features(X), y, weights)
        else:
            if self.class_weight is not None:
                weights = weights * compute_sample_weight(self.class_weight, y)
            self._fit_sgd(X, y, weights, rng, seed)
        return self

    def _fit_lbfgs(self, Z, y, sample_weight):
        from scipy.optimize import minimize
        from sklearn.utils.class_weight import compute_class_weight

        problems = [self.classes_[1]] if len(self.classes_) == 2 else list(self.classes_)
        m = Z.shape[1]
        cw = (
            dict(zip(self.classes_, compute_class_weight(self.class_weight, classes=self.classes_, y=y)))
            if self.class_weight is not None
            else dict.fromkeys(self.classes_, 1.0)
        )
        coef, intercept, self.n_iter_ = [], [], []
        for c in problems:
            t = np.where(y == c, 1.0, -1.0)
            # As liblinear's one-vs-rest: the class weight scales the positives of each problem
            # only (a conversion is not a 1,900×-weighted negative of the click problem).
            weights = sample_weight * np.where(y == c, cw[c], 1.0 if len(problems) > 1 else cw[self.classes_[0]])
            total = weights.sum()

            def objective(v):
                w, b = v[:m], v[m]
                margin = t * (Z @ w.astype(np.float32) + b)
                slack = np.maximum(0.0, 1.0 - margin)
                g = -2.0 * weights * t * slack
                loss = (weights * slack**2).sum() / total + (w @ w) / (2 * self.C * total)
                grad_w = (Z.T @ g.astype(np.float32)).astype(float) / total + w / (self.C * total)
                return loss, np.append(grad_w, g.sum() / total)

            res = minimize(
                objective,
                np.zeros(m + 1),
                jac=True,
                method="L-BFGS-B",
                options={"maxiter": self.max_iter, "gtol": self.tol},
            )
            coef.append(res.x[:m])
            intercept.append(res.x[m])
            self.n_iter_.append(int(res.nit))
        self.coef_ = np.array(coef)
        self.intercept_ = np.array(intercept)

    def _fit_sgd(self, X, y, weights, rng, seed):
        from sklearn.linear_model import SGDClassifier

        n = X.shape[0]
        sgd = SGDClassifier(loss="hinge", alpha=1.0 / (self.C * n), average=True, random_state=seed, tol=None)
        # Class weights of 500× make single SGD steps explode. Draw rows with probability ∝ weight
        # instead (with replacement) and step unweighted: the same objective in expectation.
        uniform = np.allclose(weights, weights[0])
        p = None if uniform else weights / weights.sum()
        for _ in range(self.epochs):
            order = rng.permutation(n) if uniform else rng.choice(n, size=n, replace=True, p=p)
            for start in range(0, n, self.chunk_rows):
                idx = order[start : start + self.chunk_rows]
                sgd.partial_fit(self.kernel_.transform(X[idx]), y[idx], classes=self.classes_)
        self.coef_ = np.atleast_2d(sgd.coef_)
        self.intercept_ = np.atleast_1d(sgd.intercept_)
        self.n_iter_ = [self.epochs]

    def decision_function(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse="csr", reset=False)
        parts = [
            self.kernel_.transform(X[s : s + self.chunk_rows]) @ self.coef_.T + self.intercept_
            for s in range(0, X.shape[0], self.chunk_rows)
        ]
        scores = np.vstack(parts) if parts else np.empty((0, len(self.coef_)))
        return scores.ravel() if scores.shape[1] == 1 else scores

    def predict(self, X):
        scores = self.decision_function(X)
        if scores.ndim == 1:
            return self.classes_[(scores > 0).astype(int)]
        return self.classes_[np.argmax(scores, axis=1)]


class ValueBins(TransformerMixin, BaseEstimator):
    """Numeric columns → the ordinal code of their bin (:func:`clickpred.io.codes.value_edges`: one bin per value
    for an integer column of at most ``max_values`` values, else ``n_bins`` quantile bins), one-hot encoded
    beside the column's slope so that a linear model can draw a shape — an evening bump, a special 999.

    Fitted as :class:`~sklearn.preprocessing.KBinsDiscretizer` is (``bin_edges_`` with the outer edges, ``n_bins_``),
    which the compiled linear scorer and the model-file checks read. Missing values are imputed before it."""

    def __init__(self, n_bins: int = 10, max_values: int = 32):
        self.n_bins = n_bins
        self.max_values = max_values

    def fit(self, X, y=None):
        from ..io.codes import value_edges

        X = validate_data(self, X, dtype=float, reset=True)
        edges = []
        for j in range(X.shape[1]):
            x = X[:, j]
            if x.min() == x.max():
                edges.append(np.array([-np.inf, np.inf]))  # one bin, as KBinsDiscretizer keeps a constant column
                continue
            edges.append(np.r_[x.min(), value_edges(x, self.n_bins, self.max_values), x.max()])
        self.bin_edges_ = np.empty(len(edges), dtype=object)
        self.bin_edges_[:] = edges
        self.n_bins_ = np.array([len(e) - 1 for e in edges], dtype=np.int64)
        return self

    def transform(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, dtype=float, reset=False)
        out = np.empty_like(X)
        for j, e in enumerate(self.bin_edges_):
            out[:, j] = np.searchsorted(e[1:-1], X[:, j], side="right")
        return out
