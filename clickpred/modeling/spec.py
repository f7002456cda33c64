"""Pipeline specs: ``pipelines/*.toml`` loaded into dataclasses and validated.

A spec names a classifier and a rebalancing strategy from their registries,
with parameters, plus the evaluation settings. Errors name the file and key.

Example
-------
>>> spec = spec_from_options(classifier="logistic", strategy="class_weight")
>>> spec.name
'logistic-class_weight'
"""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ConfigError

# auto: logistic and hgb cross-validated on the same folds, the better kept where distinguishably so, else logistic
# (clickpred.estimator.choose; measured in docs/benchmarks.md, "The first model: auto").
AUTO = "auto"
AUTO_CANDIDATES = ("logistic", "hgb")  # the cheaper first: kept where the evidence cannot tell them apart
DEFAULT_CLASSIFIER = AUTO
# Chosen by measurement (benchmarks/bench_defaults.py, README "Defaults"): with the probability correction and the
# auto decision rule doing what rebalancing was for, 'none' ranks distinguishably better than 'class_weight' on CoIL
# and bank marketing and no worse anywhere else.
DEFAULT_STRATEGY = "none"
DEFAULT_FOLDS = 5
DEFAULT_SEED = 42
MAX_SEED = 2**32 - 1  # numpy's legacy RandomState, which scikit-learn estimators use, takes at most this

_TOP_KEYS = {"name", "description", "classifier", "strategy", "evaluation", "features"}
_EVAL_KEYS = {"folds", "seed"}
_FEATURE_KEYS = {
    "max_onehot_levels",
    "id_encoding",
    "id_min_frequency",
    "id_max_levels",
    "categorical",
    "numeric",
    "crosses",
    "counts",
    "numeric_bins",
}
ID_ENCODINGS = ("onehot", "target", "frequency")
MAX_NUMERIC_BINS = 100


@dataclass(frozen=True)
class ComponentSpec:
    """A registry key plus its parameters (a classifier or a strategy)."""

    name: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class FeatureSpec:
    """How columns become features."""

    max_onehot_levels: int = 50  # more distinct values than this: an ID column
    id_encoding: str = "onehot"
    id_min_frequency: int = 5
    id_max_levels: int = 2000
    categorical: tuple[str, ...] = ()  # columns read as categories whatever the inference says (--categorical)
    numeric: tuple[str, ...] = ()  # integer columns read as quantities whatever the inference says (--numeric)
    crosses: str | tuple[tuple[str, str], ...] = "none"  # "none", "auto" or pairs of categorical/ID columns
    counts: bool = False  # add log(1 + rows per value) of every ID column (from the training rows)
    # one-hot models: a numeric column is its slope plus bins — "auto": where its label shows a shape the slope
    # misses (clickpred.io.codes.bins_verdicts); N: every numeric column, N quantile bins; 0: slope only
    numeric_bins: int | str = "auto"


@dataclass(frozen=True)
class Spec:
    """One pipeline to train and evaluate."""

    name: str
    classifier: ComponentSpec
    strategy: ComponentSpec
    folds: int = DEFAULT_FOLDS
    seed: int = DEFAULT_SEED
    features: FeatureSpec = field(default_factory=FeatureSpec)
    description: str = ""
    source: str = "<options>"

    def to_dict(self) -> dict:
        """A JSON-ready form of the spec, recorded in every report and model file."""
        return asdict(self)


def _check_finite(value: Any, key: str, where: str) -> None:
    """NaN and infinity pass TOML and isinstance checks alike: refuse them where they are written."""
    import math

    if isinstance(value, dict):
        for k, v in value.items():
            _check_finite(v, f"{key}.{k}", where)
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            _check_finite(v, f"{key}[{i}]", where)
    elif isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(f"{where}: {key} must be a finite number, got {value!r}")


def _check_component(kind: str, table: Any, where: str) -> ComponentSpec:
    from .classifiers import CLASSIFIERS
    from .rebalance import STRATEGIES

    registry = CLASSIFIERS if kind == "classifier" else STRATEGIES
    if isinstance(table, str):
        table = {"name": table}
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: [{kind}] must be a table with a 'name' key")
    params = dict(table)
    name = params.pop("name", None)
    names = ([AUTO] if kind == "classifier" else []) + list(registry)
    if name is None:
        raise ConfigError(f"{where}: [{kind}] needs a 'name'; valid: {', '.join(names)}")
    if kind == "classifier" and name == AUTO:
        if params:
            raise ConfigError(
                f"{where}: classifier 'auto' takes no parameters (it chooses between logistic and hgb with their "
                f"defaults), got {sorted(params)[0]}"
            )
        return ComponentSpec(name=AUTO)
    if name not in registry:
        raise ConfigError(f"{where}: unknown {kind} '{name}' (key {kind}.name); valid: {', '.join(names)}")
    entry = registry[name]
    allowed = set(entry.defaults)
    unknown = sorted(set(params) - allowed)
    if unknown:
        valid = ", ".join(sorted(allowed)) or "(none)"
        raise ConfigError(f"{where}: unknown parameter {kind}.{unknown[0]} for {kind} '{name}'; valid: {valid}")
    _check_finite(params, f"{kind}", where)
    entry.validate(params, f"{where}: {kind}")
    return ComponentSpec(name=name, params=params)


def _check_int(value: Any, key: str, where: str, low: int, high: int | None = None) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < low or (high is not None and value > high):
        span = f">= {low}" if high is None else f"between {low} and {high:,}"
        raise ConfigError(f"{where}: {key} must be an integer {span}, got {value!r}")
    return value


def _table(data: dict, key: str, allowed: set[str], source: str) -> dict:
    table = data.get(key, {})
    if not isinstance(table, dict):
        raise ConfigError(f"{source}: [{key}] must be a table")
    bad = sorted(set(table) - allowed)
    if bad:
        raise ConfigError(f"{source}: unknown key {key}.{bad[0]}; valid: {', '.join(sorted(allowed))}")
    return table


def spec_from_dict(data: dict, source: str = "<dict>", default_name: str = "") -> Spec:
    """Validate a parsed TOML document and build a :class:`Spec`."""
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise ConfigError(f"{source}: unknown key '{unknown[0]}'; valid top-level keys: {', '.join(sorted(_TOP_KEYS))}")
    classifier = _check_component("classifier", data.get("classifier", DEFAULT_CLASSIFIER), source)
    strategy = _check_component("strategy", data.get("strategy", DEFAULT_STRATEGY), source)
    evaluation = _table(data, "evaluation", _EVAL_KEYS, source)
    folds = _check_int(evaluation.get("folds", DEFAULT_FOLDS), "evaluation.folds", source, 2)
    seed = _check_int(evaluation.get("seed", DEFAULT_SEED), "evaluation.seed", source, 0, MAX_SEED)
    feats = _table(data, "features", _FEATURE_KEYS, source)
    max_levels = _check_int(feats.get("max_onehot_levels", 50), "features.max_onehot_levels", source, 2)
    id_min_frequency = _check_int(feats.get("id_min_frequency", 5), "features.id_min_frequency", source, 1)
    id_max_levels = _check_int(feats.get("id_max_levels", 2000), "features.id_max_levels", source, 2)
    id_encoding = feats.get("id_encoding", "onehot")
    if id_encoding not in ID_ENCODINGS:
        raise ConfigError(
            f"{source}: features.id_encoding must be one of {', '.join(ID_ENCODINGS)}, got {id_encoding!r}"
        )
    columns = {}
    for key in ("categorical", "numeric"):
        value = feats.get(key, [])
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) and v for v in value):
            raise ConfigError(f'{source}: features.{key} must be a list of column names, e.g. {key} = ["app", "os"]')
        columns[key] = tuple(value)
    both = sorted(set(columns["categorical"]) & set(columns["numeric"]))
    if both:
        raise ConfigError(f"{source}: features.categorical and features.numeric both name '{both[0]}'")
    crosses = feats.get("crosses", "none")
    if isinstance(crosses, (list, tuple)):
        if not all(
            isinstance(p, (list, tuple)) and len(p) == 2 and all(isinstance(c, str) and c for c in p) for p in crosses
        ):
            raise ConfigError(
                f'{source}: features.crosses must be "none", "auto" or a list of column pairs, '
                'e.g. crosses = [["app", "channel"]]'
            )
        crosses = tuple(tuple(p) for p in crosses)
    elif crosses not in ("none", "auto"):
        raise ConfigError(
            f'{source}: features.crosses must be "none", "auto" or a list of column pairs, got {crosses!r}'
        )
    counts = feats.get("counts", False)
    if not isinstance(counts, bool):
        raise ConfigError(f"{source}: features.counts must be true or false, got {counts!r}")
    numeric_bins = feats.get("numeric_bins", "auto")
    if numeric_bins != "auto" and (numeric_bins != 0 or isinstance(numeric_bins, (bool, float))):
        if (
            not isinstance(numeric_bins, int)
            or isinstance(numeric_bins, bool)
            or not 2 <= numeric_bins <= MAX_NUMERIC_BINS
        ):
            raise ConfigError(
                f'{source}: features.numeric_bins must be "auto", 0 or an integer between 2 and {MAX_NUMERIC_BINS}, '
                f"got {numeric_bins!r}"
            )
    name = data.get("name") or default_name or f"{classifier.name}-{strategy.name}"
    if not isinstance(name, str):
        raise ConfigError(f"{source}: name must be a string")
    name = safe_name(name)
    return Spec(
        name=name,
        classifier=classifier,
        strategy=strategy,
        folds=folds,
        seed=seed,
        features=FeatureSpec(
            max_levels,
            id_encoding,
            id_min_frequency,
            id_max_levels,
            columns["categorical"],
            columns["numeric"],
            crosses,
            counts,
            numeric_bins,
        ),
        description=str(data.get("description", "")),
        source=source,
    )


def forced_columns(
    specs: list[Spec], categorical: list[str] | None = None, numeric: list[str] | None = None
) -> dict[str, Any]:
    """The columns the options and the specs' ``[features]`` force to be categorical or numeric
    (``load_dataset``'s keyword arguments), each named once."""
    return {
        "categorical": list(dict.fromkeys([*(categorical or []), *(c for s in specs for c in s.features.categorical)])),
        "numeric": list(dict.fromkeys([*(numeric or []), *(c for s in specs for c in s.features.numeric)])),
    }


def safe_name(name: str) -> str:
    """A spec name as a file name (it names ``models/<name>.skops`` and ``reports/<name>/``): no folders,
    no leading dots, nothing but letters, digits, ``.``, ``_`` and ``-``."""
    import re

    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._")[:100] or "model"


def load_spec(path: str | Path) -> Spec:
    """Read and validate a pipeline spec from a TOML file.

    Example
    -------
    >>> spec = load_spec("pipelines/logistic-class_weight.toml")  # doctest: +SKIP
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: pipeline spec not found")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: malformed TOML: {exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    return spec_from_dict(data, source=str(path), default_name=path.stem)


def spec_from_options(
    classifier: str | None = None,
    strategy: str | None = None,
    folds: int | None = None,
    seed: int | None = None,
    base: Spec | None = None,
) -> Spec:
    """Build a spec from command-line flags, optionally overriding a loaded spec."""
    if base is None:
        data: dict[str, Any] = {}
        if classifier:
            data["classifier"] = classifier
        if strategy:
            data["strategy"] = strategy
        spec = spec_from_dict(data, source="options")
    else:
        data = {
            "name": base.name if not (classifier or strategy) else None,
            "classifier": {"name": base.classifier.name, **base.classifier.params},
            "strategy": {"name": base.strategy.name, **base.strategy.params},
            "features": asdict(base.features),
            "description": base.description,
        }
        if classifier and classifier != base.classifier.name:
            data["classifier"] = classifier
        if strategy and strategy != base.strategy.name:
            data["strategy"] = strategy
        data = {k: v for k, v in data.items() if v is not None}
        data["evaluation"] = {"folds": base.folds, "seed": base.seed}
        spec = spec_from_dict(data, source=base.source)
    changes = {}
    if folds is not None:
        _check_int(folds, "--folds", "options", 2)
        changes["folds"] = folds
    if seed is not None:
        _check_int(seed, "--seed", "options", 0, MAX_SEED)
        changes["seed"] = seed
    if changes:
        from dataclasses import replace

        spec = replace(spec, **changes)  # type: ignore[arg-type]  # folds and seed: ints, as checked
    return spec
