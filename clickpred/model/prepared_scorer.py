"""Scoring a fitted pipeline from a chunk's prepared inputs: the models the linear scorer cannot tabulate.

Gradient-boosted trees, MLPs and kernel SVMs are scored through their pipeline, whose first step (``prepare``)
turns the columns into numbers. Given a pandas frame of the chunk, that step spent more time than the trees
themselves: every category value of every row went through a hash lookup on Python objects. A chunk's category
columns already arrive as codes into the chunk's distinct values (:class:`~clickpred.io.chunks.Inputs`), and the
transformers clickpred puts on them code each column on its own, value by value (``transform_column``). So each
such column is coded on its distinct values alone — a few rows — and the rows take their outputs by code; the other
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

from ..io.chunks import Inputs
from ..io.schema import Schema
from ..modeling.features import prepare_parts
from .linear_scorer import known_values

ROWS_PER_CALL = 16_384  # rows per call of the steps after ``prepare`` when they build dense intermediates


class PreparedScorer:
    """``prepare`` computed from category codes by value, then the rest of the pipeline (see the module)."""

    name = "pipeline on prepared inputs"

    def __init__(self, pipeline: Any, schema: Schema, method: str, parts: list) -> None:
        self.schema = schema
        self.method = method
        self.prepare = pipeline.steps[0][1]
        self.rest = pipeline[1:]
        kinds = {c.name: c.kind for c in schema.features}
        # each transformer, its columns, and whether it codes them value by value (category columns, each coded
        # on its own: ``transform_column``), in the order of the step's output
        self.parts = [
            (transformer, columns, hasattr(transformer, "transform_column")
             and all(kinds.get(c) in ("categorical", "id") for c in columns))
            for transformer, columns, _ in sorted(parts, key=lambda part: part[2].start)
        ]  # fmt: skip
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
    """``transformer.transform`` of these category columns, each column coded on its distinct values in the chunk
    (and missing) and taken by the rows' codes."""
    out = np.empty((inputs.n, len(columns)))
    for j, c in enumerate(columns):
        codes, canon = inputs.codes[c]
        table = transformer.transform_column(j, canon.to_pylist() + [None])  # code −1, missing, is the last
        out[:, j] = table[np.where(codes < 0, len(canon), codes)]
    return out


def compile_prepared(pipeline: Any, schema: Schema, method: str) -> PreparedScorer | None:
    """A :class:`PreparedScorer` for a pipeline whose first step is a fitted ``prepare`` that can be computed part
    by part (:func:`~clickpred.modeling.features.prepare_parts`: the pipelines clickpred builds), else None (a
    funnel's chain of stages, or anything else)."""
    parts = prepare_parts(pipeline)
    return None if parts is None else PreparedScorer(pipeline, schema, method, parts)
