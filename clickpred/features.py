"""The preprocessing built from a schema, in two steps around the sampler.

``prepare`` (before the sampler) turns every column into numbers: categorical
columns and timestamp parts into integer codes (first, so samplers such as
SMOTENC can be told which columns are categorical), IDs into cross-fitted
target encodings in log-odds (or log frequencies), numeric columns imputed (with missing indicators) and
scaled. ``encode`` (after the sampler) one-hot encodes the integer codes.

Example
-------
>>> from clickpred.data import Schema, Column
>>> s = Schema("y", ["0", "1"], [Column("a", "numeric", 10, 0), Column("b", "categorical", 3, 0)])
>>> layout = build_features(s)
>>> layout.n_categorical
1
"""

from __future__ import annotations

from dataclasses import dataclass

from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler, TargetEncoder

from .data import Schema
from .estimators import ClippedLogit, FrequencyEncoder, TimestampFeatures

MISSING = "__missing__"


@dataclass
class FeatureLayout:
    """The two preprocessing steps and how many leading columns are categorical codes."""

    prepare: ColumnTransformer
    encode: ColumnTransformer | str
    n_categorical: int
    n_numeric_estimate: int


def build_features(schema: Schema, id_encoding: str = "target", n_classes: int | None = None, seed: int = 0) -> FeatureLayout:
    """Build the ``prepare`` and ``encode`` transformers for a schema."""
    cat = schema.names("categorical")
    times = schema.names("timestamp")
    ids = schema.names("id")
    num = schema.names("numeric")
    n_classes = n_classes or len(schema.classes)
    transformers = []
    if cat:
        transformers.append(
            (
                "categorical",
                Pipeline(
                    [
                        ("fill", SimpleImputer(strategy="constant", fill_value=MISSING)),
                        (
                            "codes",
                            OrdinalEncoder(
                                handle_unknown="use_encoded_value", unknown_value=-1, dtype=float
                            ),
                        ),
                    ]
                ),
                cat,
            )
        )
    if times:
        transformers.append(("timestamp", TimestampFeatures(), times))
    if ids:
        if id_encoding == "target":
            # Cross-fitted target encoding (no row sees its own label), in log-odds.
            encode = [("encode", TargetEncoder(target_type="auto", cv=5)), ("logit", ClippedLogit())]
        else:
            encode = [("encode", FrequencyEncoder())]
        steps = [("fill", SimpleImputer(strategy="constant", fill_value=MISSING)), *encode, ("scale", StandardScaler())]
        transformers.append(("id", Pipeline(steps), ids))
    if num:
        transformers.append(
            (
                "numeric",
                Pipeline(
                    [
                        ("impute", SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True)),
                        ("scale", StandardScaler()),
                    ]
                ),
                num,
            )
        )
    prepare = ColumnTransformer(transformers, remainder="drop", sparse_threshold=0.0, verbose_feature_names_out=True)
    n_cat = len(cat) + 2 * len(times)
    per_id = (n_classes if n_classes > 2 else 1) if id_encoding == "target" else 1
    n_num = len(ids) * per_id + 2 * len(num)
    if n_cat:
        encode = ColumnTransformer(
            [("onehot", OneHotEncoder(handle_unknown="ignore", sparse_output=True), list(range(n_cat)))],
            remainder="passthrough",
            sparse_threshold=0.3,
        )
    else:
        encode = "passthrough"
    return FeatureLayout(prepare=prepare, encode=encode, n_categorical=n_cat, n_numeric_estimate=n_num)
