"""Scoring a fitted pipeline from a chunk's prepared inputs: the models the linear scorer cannot tabulate.

Gradient-boosted trees, MLPs and kernel SVMs are scored through their pipeline, whose first step (``prepare``)
turns the columns into numbers. Given a pandas frame of the chunk, that step spent more time than the trees
themselves: every category value of every row went through a hash lookup on Python objects. A chunk's category
columns already arrive as codes into the chunk's distinct values (:class:`~clickpred.io.chunks.Inputs`), and the
transformers clickpred puts on them (:data:`BY_VALUE`) act value by value, column by column. So each of those
transformers is run on the distinct values alone — a few rows — and the rows take their outputs by code; the other
transformers (numbers, timestamps, target encodings) run on their columns as before, and the pipeline's other steps
(encoder, classifier) on the result, unchanged.

It is the pipeline's own arithmetic, so the scores are the same to the last bit; :class:`~clickpred.jobs.score.
Scorer` checks that on random rows and on the first rows of every run (to 1e-9), as it checks the linear scorer,
and scores through the pipeline otherwise.

Example
-------
>>> scorer = compile_prepared(model.pipeline, schema, "predict_proba")  # doctest: +SKIP
>>> scorer.scores(inputs)  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer

from ..io.chunks import Inputs
from ..io.schema import Schema
from ..modeling.estimators import CategoryCodes, FrequencyEncoder
from .linear_scorer import known_values

# Transformers whose output for a row is, column by column, a function of that column's value alone, one output
# column per input column.
BY_VALUE = (CategoryCodes, FrequencyEncoder)
ROWS_PER_CALL = 16_384  # rows per call of the steps after ``prepare`` when they build dense intermediates


class PreparedScorer:
    """``prepare`` computed from category codes by value, then the rest of the pipeline (see the module)."""

    name = "pipeline on prepared inputs"

    def __init__(self, pipeline: Any, schema: Schema, method: str) -> None:
        self.pipeline = pipeline
        self.schema = schema
        self.method = method
        self.prepare: ColumnTransformer = pipeline.steps[0][1]
        self.rest = pipeline[1:]
        kinds = {c.name: c.kind for c in schema.features}
        self.parts: list[tuple[Any, list[str], bool]] = []  # transformer, its columns, by value
        for _, transformer, columns in self.prepare.transformers_:
            columns = list(columns)
            if isinstance(transformer, str) or not columns:  # "drop", or a transformer given no columns
                continue
            by_value = isinstance(transformer, BY_VALUE) and all(kinds.get(c) in ("categorical", "id") for c in columns)
            self.parts.append((transformer, columns, by_value))
        # A classifier on the prepared columns (trees) needs no slicing; encoders and kernels build dense
        # intermediates (rows × levels or components), bounded by scoring a slice at a time.
        self.rows_per_call = (
            None if all(step == "passthrough" or step is None for _, step in pipeline.steps[1:-1]) else ROWS_PER_CALL
        )

    def known_values(self, column: str) -> list:
        """The category values the fitted encoders know for a column (for the random rows it is checked on)."""
        return known_values(self.prepare, column)

    def prepared(self, inputs: Inputs) -> np.ndarray:
        """What ``prepare.transform`` gives for these inputs' rows."""
        blocks = []
        for transformer, columns, by_value in self.parts:
            if by_value:
                blocks.append(_by_value(transformer, columns, inputs))
            else:
                blocks.append(np.asarray(transformer.transform(inputs.frame(self.schema, columns))))
        return np.hstack(blocks) if blocks else np.empty((inputs.n, 0))

    def scores(self, inputs: Inputs) -> np.ndarray:
        X = self.prepared(inputs)
        fn = getattr(self.rest, self.method)
        step = self.rows_per_call or max(len(X), 1)
        return np.concatenate([np.asarray(fn(X[i : i + step]), dtype=float) for i in range(0, len(X), step)])


def _by_value(transformer: Any, columns: list[str], inputs: Inputs) -> np.ndarray:
    """``transformer.transform`` of these category columns, computed on each column's distinct values (and
    missing) and taken by the rows' codes."""
    distinct = []
    for c in columns:
        _, canon = inputs.codes[c]
        distinct.append(canon.to_pylist() + [None])  # code −1, missing, is the last
    width = max(len(d) for d in distinct)
    small = pd.DataFrame(
        {c: np.array(d + [None] * (width - len(d)), dtype=object) for c, d in zip(columns, distinct)}, columns=columns
    )
    table = np.asarray(transformer.transform(small))
    out = np.empty((inputs.n, len(columns)), dtype=table.dtype)
    for j, c in enumerate(columns):
        codes, _ = inputs.codes[c]
        out[:, j] = table[np.where(codes < 0, len(distinct[j]) - 1, codes), j]
    return out


def compile_prepared(pipeline: Any, schema: Schema, method: str) -> PreparedScorer | None:
    """A :class:`PreparedScorer` for a pipeline whose first step is a fitted ``prepare`` (the pipelines clickpred
    builds), else None (a funnel's chain of stages, or anything else)."""
    steps = getattr(pipeline, "steps", None)
    if not steps or not isinstance(steps[0][1], ColumnTransformer) or not hasattr(steps[0][1], "transformers_"):
        return None
    if getattr(steps[0][1], "sparse_threshold", 0) != 0:  # a sparse output is not what np.hstack gives
        return None
    if any(t == "passthrough" for _, t, columns in steps[0][1].transformers_ if len(columns)):
        return None  # columns passed through as they are: not among the parts
    return PreparedScorer(pipeline, schema, method)
