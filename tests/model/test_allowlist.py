"""The exact allowlist: every type clickpred writes is on it, everything on it is written, and a file of any other
type — skops-trusted ones included — is refused before anything in it is rebuilt."""

import json
import zipfile

import numpy as np
import pytest
import skops.io as sio
from sklearn.ensemble import HistGradientBoostingRegressor, StackingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.svm import NuSVC

from clickpred.errors import ModelFileError
from clickpred.io.dataset import load_dataset
from clickpred.model.allowlist import ALLOWED_TYPES, file_types, refused_types
from clickpred.model.modelfile import load_model
from clickpred.modeling.classifiers import CLASSIFIERS
from clickpred.modeling.pipeline import build_pipeline
from clickpred.modeling.rebalance import STRATEGIES
from clickpred.modeling.spec import spec_from_dict

from ._trees import assert_same, our_read, skops_read
from .test_payload import _payload, _tampered


@pytest.fixture(scope="module")
def small(small_csv):
    return load_dataset(small_csv)


def _fitted(ds, classifier="logistic", strategy="none", **extra):
    spec = spec_from_dict({"classifier": {"name": classifier, **extra}, "strategy": strategy})
    return build_pipeline(spec, ds.schema, ds.class_counts).pipeline.fit(ds.frame, ds.y)


def _written(path) -> set[str]:
    return {f"{m}.{c}" for m, c, _ in file_types(path)}


@pytest.mark.parametrize("classifier", list(CLASSIFIERS))
def test_every_type_clickpred_writes_is_on_the_allowlist(small, tmp_path, classifier):
    extra = {"n_components": 30} if classifier == "svm-nystroem" else {}
    if "calibration" in CLASSIFIERS[classifier].defaults:
        extra["calibration"] = "sigmoid"
    if classifier == "mlp":
        extra["max_iter"] = 20
    for strategy in STRATEGIES:
        strat = {"name": strategy, "ratio": 0.3} if strategy in ("oversample", "smote") else strategy
        path = tmp_path / f"{classifier}-{strategy}.skops"
        fitted = _fitted(small, classifier, strat, **extra)
        sio.dump(fitted, path)
        assert refused_types(file_types(path)) == [], strategy
        # and clickpred's own reader rebuilds it as skops' loader does, scoring the same (samplers, SMOTENC's
        # neighbours, hgb's losses and partial, the SVMs' random states)
        ours = our_read(path)
        assert_same(ours, skops_read(path))
        method = "predict_proba" if hasattr(ours, "predict_proba") else "decision_function"
        np.testing.assert_array_equal(getattr(ours, method)(small.frame), getattr(fitted, method)(small.frame))


@pytest.mark.slow
def test_every_type_on_the_allowlist_is_one_clickpred_writes(small_csv, tmp_path):
    """The other way round (slow: trains every configuration that writes a type of its own)."""
    from clickpred.jobs.train import run_train

    configs = [
        ({"name": c}, {"name": s}, {}, {})
        for c in CLASSIFIERS
        for s in STRATEGIES
        if not (c in ("svm-rbf", "mlp") and s in ("oversample", "class_weight"))
    ]
    configs += [({"name": "logistic"}, {"name": "none"}, {}, {"calibration": m}) for m in ("isotonic", "temperature")]
    configs += [
        ({"name": "logistic"}, {"name": "none"}, {"id_encoding": e, "max_onehot_levels": 5}, {})
        for e in ("target", "frequency")
    ]
    configs += [({"name": "logistic"}, {"name": "none"}, {"numeric_bins": 5}, {})]  # ValueBins
    funnel = {"funnel": ["view", "click", "conversion"]}
    configs += [({"name": c}, {"name": "none"}, {}, funnel) for c in ("logistic", "hgb")]  # hgb: binary losses
    seen: set[str] = set()
    for i, (clf, strat, features, options) in enumerate(configs):
        spec = spec_from_dict({"classifier": clf, "strategy": strat, "features": features, "evaluation": {"folds": 2}})
        out = run_train(small_csv, spec, model_path=tmp_path / f"m{i}.skops", report_dir=tmp_path / f"r{i}", **options)
        seen |= _written(out.model_path)
        load_model(out.model_path)  # and clickpred's own reader rebuilds it, its checks pass
    # Integer codes read as codes by their shape: hgb also gets them as numbers (CodesAsNumbers).
    from clickpred.jobs.simulate import simulate

    coded = simulate(
        tmp_path / "codes.csv", rows=4000, seed=5, click_rate=0.05, conversion_rate=0.25, integer_codes=True
    )
    assert coded
    spec = spec_from_dict({"classifier": "hgb", "strategy": "none", "evaluation": {"folds": 2}})
    out = run_train(tmp_path / "codes.csv", spec, model_path=tmp_path / "codes.skops", report_dir=tmp_path / "rc")
    seen |= _written(out.model_path)
    # SMOTE (no categorical column) and SMOTEN (no numeric one) need other data; scikit-learn's own booster is
    # what hgb files held before HoldoutHGBClassifier (tests/model/test_payload.py writes one).
    elsewhere = {
        "imblearn.over_sampling._smote.base.SMOTE",
        "imblearn.over_sampling._smote.base.SMOTEN",
        "sklearn.ensemble._hist_gradient_boosting.gradient_boosting.HistGradientBoostingClassifier",
    }
    assert ALLOWED_TYPES - seen - elsewhere == set()


def _swap_classifier(replacement):
    def mutate(p):
        p["pipeline"].steps[-1] = ("classifier", replacement)

    return mutate


def _fitted_on_noise(estimator):
    rng = np.random.default_rng(0)
    return estimator.fit(rng.normal(size=(60, 3)), np.arange(60) % 3)


@pytest.mark.parametrize(
    "replacement, named",
    [
        (lambda: _fitted_on_noise(NuSVC()), "sklearn.svm._classes.NuSVC"),
        (
            lambda: _fitted_on_noise(
                StackingClassifier([("h", HistGradientBoostingRegressor(max_iter=3))], LogisticRegression())
            ),
            "sklearn._loss._loss.CyHalfSquaredError",  # the regressor's loss sorts first of what is refused
        ),
        (lambda: _fitted_on_noise(LogisticRegression()), "sklearn.linear_model._logistic.LogisticRegression"),
    ],
    ids=["nusvc", "stacking", "plain-logistic"],
)
def test_a_type_skops_trusts_but_clickpred_never_writes_is_refused(scoring_model, tmp_path, replacement, named):
    """The red team's crashes came through types skops trusts by default: refused by name, before skops rebuilds
    anything (so no crafted array reaches compiled code)."""
    evil = _tampered(scoring_model, tmp_path, _swap_classifier(replacement()))
    assert named not in sio.get_untrusted_types(file=evil)  # skops itself trusts it: its default would load it
    with pytest.raises(ModelFileError, match=f"refused to load: contains types clickpred does not write.*{named}"):
        load_model(evil)


def test_a_node_rebuilt_by_another_skops_loader_is_refused(scoring_model, tmp_path):
    """A known type declared with a loader clickpred's files never use (one that would call a method or an
    operator) is refused with the loader named."""
    evil = tmp_path / "loader.skops"
    with zipfile.ZipFile(scoring_model) as src, zipfile.ZipFile(evil, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "schema.json":
                schema = json.loads(data)
                schema["content"]["pipeline"]["__loader__"] = "MethodNode"
                data = json.dumps(schema).encode()
            dst.writestr(item, data)
    with pytest.raises(ModelFileError, match=r"sklearn\.pipeline\.Pipeline \(as MethodNode\)"):
        load_model(evil)


def test_a_schema_nested_beyond_reason_is_a_corrupt_file_not_a_crash(scoring_model, tmp_path):
    evil = tmp_path / "deep.skops"
    deep = "[" * 200_000 + "]" * 200_000
    with zipfile.ZipFile(scoring_model) as src, zipfile.ZipFile(evil, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "schema.json":
                data = ('{"deep": ' + deep + ", " + data.decode()[1:]).encode()
            dst.writestr(item, data)
    with pytest.raises(ModelFileError, match="corrupt model file"):
        load_model(evil)


def test_clickpreds_own_file_holds_only_listed_types(scoring_model):
    assert refused_types(file_types(scoring_model)) == []
    assert _payload(scoring_model)["format"] == "clickpred-model"
