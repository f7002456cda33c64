"""``build_pipeline(spec, schema, class_counts)`` → one imbalanced-learn ``Pipeline``.

prepare → sampler → encode → classifier. Preprocessing, rebalancing and the
classifier travel together, so cross-validation, the final fit and scoring
can't disagree; the sampler only acts during ``fit``.

Example
-------
>>> from clickpred.modeling.spec import spec_from_options
>>> from clickpred.io.schema import Schema, Column
>>> s = Schema("y", ["0", "1"], [Column("a", "numeric", 10, 0)])
>>> built = build_pipeline(spec_from_options("logistic", "smote"), s, {"0": 900, "1": 100})
>>> [name for name, _ in built.pipeline.steps]
['prepare', 'sampler', 'encode', 'classifier']
"""

from __future__ import annotations

from dataclasses import dataclass, field

from imblearn.pipeline import Pipeline

from ..io.schema import Schema
from .classifiers import CLASSIFIERS, HGB_MAX_LEVELS
from .features import build_features
from .rebalance import DEFAULT_MEMORY_BUDGET, STRATEGIES
from .spec import Spec


@dataclass
class BuiltPipeline:
    pipeline: Pipeline
    score_method: str  # predict_proba or decision_function
    notes: list[str] = field(default_factory=list)


def build_pipeline(
    spec: Spec,
    schema: Schema,
    class_counts: dict[str, int],
    memory_budget: int = DEFAULT_MEMORY_BUDGET,
) -> BuiltPipeline:
    """Build the unfitted pipeline for a spec on data with this schema and class counts."""
    notes = []
    id_encoding = spec.features.id_encoding
    if spec.strategy.name == "smote" and id_encoding == "onehot" and schema.names("id"):
        # SMOTENC expands every categorical neighbour to a dense (rows × k × levels) array:
        # thousands of ID levels would ask for hundreds of GiB. Give it dense ID encodings.
        id_encoding = "target"
        notes.append("smote: ID columns target-encoded (not one-hot) so that SMOTENC's memory stays bounded")
    f = spec.features
    entry = CLASSIFIERS[spec.classifier.name]
    id_max_levels = f.id_max_levels if entry.one_hot else min(f.id_max_levels, HGB_MAX_LEVELS)
    layout = build_features(
        schema,
        id_encoding,
        f.id_min_frequency,
        id_max_levels,
        seed=spec.seed,
        counts=f.counts,
        one_hot=entry.one_hot,
        numeric_bins=f.numeric_bins if entry.one_hot else 0,
    )
    strategy = STRATEGIES[spec.strategy.name]
    # A sampler that copies or synthesises rows puts copies (or neighbours) of the rows a classifier fits into
    # any early-stopping slice drawn from its output: such a classifier holds its slice out first and takes the
    # sampler itself. (Undersampling only drops rows: measured, holding out first gains nothing there.)
    holdout = entry.holdout(spec.classifier.params) if strategy.adds_rows else 0.0
    plan = strategy.plan(
        spec.strategy.params,
        class_counts=class_counts,
        n_categorical=layout.n_categorical,
        folds=spec.folds,
        seed=spec.seed,
        n_numeric=layout.n_numeric,
        n_levels=layout.n_levels,
        memory_budget=memory_budget,
        holdout=holdout,
    )
    width = layout.n_levels + layout.n_numeric
    clf = entry.build(
        spec.classifier.params,
        class_weight=plan.class_weight,
        random_state=spec.seed,
        width=width,
        strategy=spec.strategy.name,
        n_categorical=layout.n_categorical,
    )
    sampler = plan.sampler
    if sampler is not None and holdout:
        clf.set_params(sampler=sampler)
        notes.append(
            f"{spec.classifier.name}: early stopping's validation slice held out of each training fold before "
            f"{spec.strategy.name}, weighted to the resampled class balance"
        )
        sampler = None
    steps = [
        ("prepare", layout.prepare),
        ("sampler", sampler if sampler is not None else "passthrough"),
        ("encode", layout.encode),
        ("classifier", clf),
    ]
    method = "predict_proba" if entry.has_proba(spec.classifier.params) else "decision_function"
    return BuiltPipeline(Pipeline(steps), method, notes + list(plan.notes))


def for_prediction(fitted):
    """A fitted pipeline as it predicts: scikit-learn's ``Pipeline`` of the same fitted steps, a sampler's step
    ``"passthrough"`` (a sampler acts only in ``fit``; imbalanced-learn's ``Pipeline`` skips it when predicting),
    so the same names, positions and predictions to the last bit. The final fit keeps this one: a model file then
    holds no imbalanced-learn type where the classifier takes none, and ``score`` does not import imbalanced-learn
    (~0.3 s of its start-up, most of it ``sklearn_compat`` importing scikit-learn's test utilities). Anything else
    (a funnel of stage pipelines) is returned as it is.

    >>> from sklearn.linear_model import LogisticRegression
    >>> from imblearn.over_sampling import RandomOverSampler
    >>> p = Pipeline([("sampler", RandomOverSampler(random_state=0)), ("classifier", LogisticRegression())])
    >>> p = p.fit([[0.0], [1.0], [2.0]], [0, 0, 1])
    >>> type(for_prediction(p)).__module__, for_prediction(p).steps[0]
    ('sklearn.pipeline', ('sampler', 'passthrough'))
    """
    from sklearn.pipeline import Pipeline as PredictingPipeline

    if not isinstance(fitted, Pipeline):
        return fitted
    steps = [(name, "passthrough" if hasattr(step, "fit_resample") else step) for name, step in fitted.steps]
    return PredictingPipeline(steps, memory=fitted.memory, verbose=fitted.verbose)
