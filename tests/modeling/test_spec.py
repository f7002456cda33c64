from pathlib import Path

import pytest

from clickpred.errors import ConfigError
from clickpred.modeling.spec import load_spec, spec_from_dict, spec_from_options

PIPELINES = sorted((Path(__file__).resolve().parents[2] / "pipelines").glob("*.toml"))


@pytest.mark.parametrize("path", PIPELINES, ids=lambda p: p.stem)
def test_shipped_specs_load_and_are_named_for_what_they_are(path):
    spec = load_spec(path)
    assert spec.name == path.stem
    assert path.stem == f"{spec.classifier.name}-{spec.strategy.name}"
    assert spec.description


def test_every_classifier_and_strategy_has_a_shipped_spec():
    from clickpred.modeling.classifiers import CLASSIFIERS
    from clickpred.modeling.rebalance import STRATEGIES

    specs = [load_spec(p) for p in PIPELINES]
    assert {s.classifier.name for s in specs} == set(CLASSIFIERS)
    assert {s.strategy.name for s in specs} == set(STRATEGIES)


def test_options_build_a_spec_with_defaults():
    spec = spec_from_options(classifier="svm", strategy="undersample", folds=3, seed=7)
    assert (spec.classifier.name, spec.strategy.name, spec.folds, spec.seed) == ("svm", "undersample", 3, 7)
    assert spec.name == "svm-undersample"


def test_options_override_a_loaded_spec(tmp_path):
    p = tmp_path / "mine.toml"
    p.write_text('[classifier]\nname = "svm"\nC = 0.5\n[strategy]\nname = "none"\n[evaluation]\nfolds = 4\n')
    base = load_spec(p)
    assert base.name == "mine" and base.classifier.params == {"C": 0.5} and base.folds == 4
    spec = spec_from_options(strategy="undersample", seed=3, base=base)
    assert spec.classifier.params == {"C": 0.5}
    assert spec.strategy.name == "undersample" and spec.folds == 4 and spec.seed == 3
    assert spec.name == "svm-undersample"


def test_malformed_toml_names_the_file(tmp_path):
    p = tmp_path / "bad.toml"
    p.write_text("[classifier\nname = 'x'")
    with pytest.raises(ConfigError, match=r"bad\.toml: malformed TOML"):
        load_spec(p)


def test_missing_spec_file(tmp_path):
    with pytest.raises(ConfigError, match="pipeline spec not found"):
        load_spec(tmp_path / "nope.toml")


def test_unknown_classifier_lists_valid_ones(tmp_path):
    p = tmp_path / "x.toml"
    p.write_text('[classifier]\nname = "xgboost"\n')
    with pytest.raises(
        ConfigError,
        match=r"x\.toml: unknown classifier 'xgboost' \(key classifier\.name\); valid: auto, logistic, svm, svm-rbf, svm-nystroem, mlp",
    ):
        load_spec(p)


def test_unknown_strategy_lists_valid_ones():
    with pytest.raises(
        ConfigError, match="unknown strategy 'adasyn'.*valid: none, class_weight, oversample, smote, undersample"
    ):
        spec_from_options(strategy="adasyn")


def test_unknown_parameter_names_key_and_valid_params():
    with pytest.raises(
        ConfigError,
        match=r"unknown parameter classifier\.gamma for classifier 'logistic'; valid: C, max_iter, solver, tol",
    ):
        spec_from_dict({"classifier": {"name": "logistic", "gamma": 1}}, source="f.toml")


@pytest.mark.parametrize(
    "data, match",
    [
        ({"classifier": {"name": "svm", "C": -1}}, r"classifier\.C must be a number > 0"),
        ({"strategy": {"name": "smote", "ratio": 2}}, r"strategy\.ratio must be a number in \(0, 1\]"),
        ({"strategy": {"name": "smote", "k_neighbors": 0}}, r"strategy\.k_neighbors must be an integer >= 1"),
        ({"strategy": {"name": "class_weight", "weights": "heavy"}}, r"strategy\.weights must be"),
        ({"evaluation": {"folds": 1}}, r"evaluation\.folds must be an integer >= 2"),
        ({"evaluation": {"shuffle": True}}, r"unknown key evaluation\.shuffle"),
        ({"features": {"id_encoding": "hash"}}, r"features\.id_encoding must be one of onehot, target, frequency"),
        ({"classifer": {"name": "svm"}}, r"unknown key 'classifer'"),
        (
            {"classifier": {"name": "mlp", "hidden_layer_sizes": [0]}},
            r"hidden_layer_sizes must be a list of 1 to 20 layers of 1 to 10,000 units",
        ),
        ({"classifier": {"name": "mlp", "max_updates": 0}}, r"classifier\.max_updates must be an integer > 0"),
        ({"classifier": {"name": "mlp", "max_updates": 1.5}}, r"classifier\.max_updates must be an integer > 0"),
        (
            {"classifier": {"name": "svm", "calibration": "platt"}},
            r"calibration must be one of none, sigmoid, isotonic",
        ),
    ],
)
def test_bad_values_name_the_key(data, match):
    with pytest.raises(ConfigError, match=match):
        spec_from_dict(data, source="f.toml")


def test_spec_round_trips_to_dict():
    spec = spec_from_options("mlp", "oversample")
    d = spec.to_dict()
    assert d["classifier"]["name"] == "mlp" and d["strategy"]["name"] == "oversample" and d["seed"] == 42


def test_nan_and_infinite_spec_values_are_refused_where_written(tmp_path):
    from clickpred.modeling.spec import load_spec

    for text, message in [
        ('[classifier]\nname = "logistic"\nC = nan\n', r"s.toml: classifier.C must be a finite number, got nan"),
        ('[strategy]\nname = "oversample"\nratio = inf\n', r"s.toml: strategy.ratio must be a finite number, got inf"),
    ]:
        (tmp_path / "s.toml").write_text(text)
        with pytest.raises(ConfigError, match=message):
            load_spec(tmp_path / "s.toml")


def test_seeds_beyond_what_the_estimators_take_are_refused():
    with pytest.raises(ConfigError, match=r"seed must be an integer between 0 and 4,294,967,295, got 4294967296"):
        spec_from_options(seed=2**32)
    with pytest.raises(ConfigError, match=r"evaluation.seed must be an integer between 0 and 4,294,967,295"):
        spec_from_dict({"evaluation": {"seed": 2**40}})
