"""Red-team family 'model files': values inside allowed types are checked before anything runs."""

import copy
import zipfile

import numpy as np
import pytest
import skops.io as sio

from clickpred.errors import ModelFileError
from clickpred.model.modelfile import load_model
from clickpred.model.payload import INFLATION_FLOOR, MAX_INFLATION


def _payload(path):
    return sio.load(path, trusted=sio.get_untrusted_types(file=path))


def _tampered(model_path, tmp_path, mutate, name="evil.skops"):
    """The scoring model's payload, changed by ``mutate(payload)``, written to a new file."""
    payload = copy.deepcopy(_payload(model_path))
    mutate(payload)
    out = tmp_path / name
    sio.dump(payload, out, compression=zipfile.ZIP_DEFLATED)
    return out


def test_the_untouched_payload_loads(scoring_model, tmp_path):
    assert load_model(_tampered(scoring_model, tmp_path, lambda p: None)).metadata["score_method"] == "predict_proba"


def test_a_score_method_that_would_fit_the_pipeline_is_refused(scoring_model, tmp_path, small_csv):
    from clickpred.jobs.score import score

    path = _tampered(scoring_model, tmp_path, lambda p: p["metadata"].update(score_method="fit"))
    with pytest.raises(
        ModelFileError,
        match=r"refused to load: metadata\.score_method: 'fit' is not one of predict_proba, decision_function",
    ):
        load_model(path)
    with pytest.raises(ModelFileError, match="score_method"):
        score(path, [small_csv], tmp_path / "out.parquet")
    assert not (tmp_path / "out.parquet").exists()


def test_a_pipeline_memory_folder_is_refused_before_anything_is_called(scoring_model, tmp_path, monkeypatch):
    """A relative cache folder shipped beside the model would be unpickled by joblib during a fit."""
    monkeypatch.chdir(tmp_path)
    path = _tampered(scoring_model, tmp_path, lambda p: p["pipeline"].set_params(memory="cache"))
    with pytest.raises(ModelFileError, match=r"refused to load: pipeline: Pipeline\.memory: must be empty"):
        load_model(path)
    assert not (tmp_path / "cache").exists()


def test_a_nested_pipeline_memory_is_refused(scoring_model, tmp_path):
    def nested(p):
        prepare = p["pipeline"].named_steps["prepare"]
        inner = next(t for _, t, _ in prepare.transformers_ if hasattr(t, "steps"))
        inner.memory = "/tmp/somewhere"

    with pytest.raises(ModelFileError, match=r"Pipeline\.memory: must be empty"):
        load_model(_tampered(scoring_model, tmp_path, nested))


def test_a_function_transformer_naming_a_function_is_refused(scoring_model, tmp_path):
    def with_func(p):
        prepare = p["pipeline"].named_steps["prepare"]
        ft = next((t for _, t, _ in prepare.transformers_ if type(t).__name__ == "FunctionTransformer"), None)
        if ft is None:  # no passthrough in this ColumnTransformer: put one in
            from sklearn.preprocessing import FunctionTransformer

            ft = FunctionTransformer()
            prepare.transformers_.append(("x", ft, []))
        ft.func = np.log1p

    with pytest.raises(ModelFileError, match="refused to load"):
        load_model(_tampered(scoring_model, tmp_path, with_func))


def test_a_huge_n_jobs_is_refused(scoring_model, tmp_path):
    path = _tampered(scoring_model, tmp_path, lambda p: p["pipeline"].named_steps["prepare"].set_params(n_jobs=10**6))
    with pytest.raises(ModelFileError, match=r"ColumnTransformer\.n_jobs: 1000000 \(at most 256\)"):
        load_model(path)


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda p: p["metadata"].pop("versions"), r"metadata: no 'versions'"),
        (lambda p: p["metadata"]["versions"].pop("scikit-learn"), r"metadata\.versions: no scikit-learn version"),
        (lambda p: p["metadata"].update(classes="view"), r"metadata\.classes: expected a list"),
        (lambda p: p["metadata"].update(classes=["click", "view", "conversion"]), r"metadata\.schema\.classes: differ"),
        (
            lambda p: p["metadata"]["schema"]["features"][0].update(kind="python"),
            r"features\[0\]\.kind: 'python' is not one of",
        ),
        (lambda p: p["metadata"]["schema"]["features"][0].update(dtype="datetime:Mars/Olympus"), r"unknown time zone"),
        (lambda p: p["metadata"]["decision"].update(kind="eval"), r"metadata\.decision\.kind: 'eval' is not one of"),
        (
            lambda p: p["metadata"]["decision"].update(kind="recall", targets={"click": float("nan")}),
            r"metadata\.decision\.targets\.click: expected a finite number, got nan",
        ),
        (
            lambda p: p["metadata"]["decision"].update(kind="cost", costs=[[0, 1e309], [1, 0]]),
            r"metadata\.decision\.costs",
        ),
        (
            lambda p: p["metadata"]["decision"].update(thresholds={"click": 7.0}),
            r"thresholds\.click: 7\.0 outside \[0, 1\]",
        ),
        (
            lambda p: p["metadata"]["correction"].update(method="prior+exec"),
            r"metadata\.correction\.method: 'prior\+exec'",
        ),
        (
            lambda p: p["metadata"]["correction"].update(prior_ratio={"view": -1.0, "click": 1.0, "conversion": 1.0}),
            r"prior_ratio\.view: -1\.0 outside",
        ),
        (lambda p: p["metadata"]["input"].update(header="yes"), r"metadata\.input\.header: expected true or false"),
        (lambda p: p["metadata"]["data"]["class_counts"].update(click=-5), r"class_counts\.click: expected a count"),
        (lambda p: p.update(extra=1), r"payload: unexpected entry 'extra'"),
        (
            lambda p: p["decision_sample"].update(label=np.full(len(p["decision_sample"]["label"]), 9, dtype=np.int8)),
            r"decision_sample: probabilities outside \[0, 1\] or labels outside the classes",
        ),
        (lambda p: p["fastpath"]["base"].__setitem__(0, np.inf), r"fastpath\.base: non-finite values"),
        (
            lambda p: p["fastpath"]["category_tables"].update(
                {k: v[:-1] for k, v in list(p["fastpath"]["category_tables"].items())[:1]}
            ),
            r"fastpath\.category_tables\..*shape",
        ),
        (lambda p: p.update(calibrator={"view": None}), r"calibrator: 'view' is not a minority class"),
        (
            lambda p: p["fastpath"]["categories"].update(
                {k: np.arange(len(v)) for k, v in list(p["fastpath"]["categories"].items())[:1]}
            ),
            r"fastpath\.categories\..*expected a list of text values",
        ),
        (lambda p: p["metadata"]["labels"].update(click=float("nan")), r"metadata\.labels\.click: expected a finite"),
        (lambda p: p["metadata"]["labels"].update(click=[1]), r"metadata\.labels\.click: expected a finite"),
        (lambda p: p["metadata"]["labels"].update(click="view"), r"metadata\.labels\..*two classes with the same"),
        (lambda p: p["metadata"]["labels"].pop("click"), r"metadata\.labels: expected one label per class"),
        (lambda p: p["metadata"]["options"].update(calibration="exec"), r"metadata\.options\.calibration"),
        (lambda p: p["metadata"]["options"].update(extra=1), r"metadata\.options: unexpected fields"),
        (lambda p: p["metadata"]["options"].update(numeric="bid"), r"metadata\.options\.numeric: expected a list"),
        (lambda p: p["metadata"]["options"].update(folds=10**9), r"metadata\.options\.folds: expected a whole"),
        (lambda p: p["metadata"]["options"].update(folds=True), r"metadata\.options\.folds: expected a whole"),
        (lambda p: p["metadata"]["options"].update(funnel="view"), r"metadata\.options\.funnel: expected a list"),
        (lambda p: p["metadata"]["options"].update(funnel=[1]), r"metadata\.options\.funnel: expected text"),
        (lambda p: p["metadata"]["options"].update(split_by=["t"]), r"metadata\.options\.split_by: expected text"),
        (lambda p: p["metadata"].update(importance={"a": 1}), r"metadata\.importance: expected a list"),
        (lambda p: p["metadata"]["importance"][0].update({"class": "x"}), r"metadata\.importance\[0\]\.class"),
        (
            lambda p: p["metadata"]["importance"][0].update(pr_auc_drop=float("nan")),
            r"metadata\.importance\[0\]\.pr_auc_drop: expected a finite",
        ),
        (lambda p: p["metadata"]["importance"][0].update(of=["a"]), r"metadata\.importance\[0\]\.of"),
        (lambda p: p["drift_profile"].update(extra=1), r"drift_profile: unexpected entries"),
        (lambda p: p["drift_profile"]["scores"].update(view={}), r"drift_profile\.scores\.view: not a minority"),
        (
            lambda p: p["drift_profile"]["scores"]["click"].update(counts=np.array([1])),
            r"drift_profile\.scores\.click\.counts",
        ),
        (lambda p: p["drift_profile"]["columns"].pop("bid_price"), r"drift_profile\.columns: do not match"),
        (
            lambda p: p["drift_profile"]["columns"]["bid_price"].update(edges=np.array([3.0, 1.0])),
            r"drift_profile\.columns\.bid_price\.edges: expected increasing",
        ),
        (
            lambda p: p["drift_profile"]["columns"]["bid_price"].update(counts=np.array([1, 2])),
            r"drift_profile\.columns\.bid_price\.counts: 2 bins",
        ),
        (
            lambda p: p["drift_profile"]["columns"]["site_id"].update(vocabulary=np.array(["a", "a"])),
            r"drift_profile\.columns\.site_id\.vocabulary",
        ),
        (
            lambda p: p["drift_profile"]["columns"]["timestamp"].update(counts=-np.ones(25, dtype=np.int64)),
            r"drift_profile\.columns\.timestamp\.counts: negative",
        ),
        (
            lambda p: p["drift_profile"]["columns"]["os"].update(kind="numeric"),
            r"drift_profile\.columns\.os\.kind: expected categorical",
        ),
    ],
    ids=[
        "no-versions",
        "no-sklearn-version",
        "classes-text",
        "classes-order",
        "kind",
        "tz",
        "rule-kind",
        "nan-target",
        "inf-cost",
        "threshold",
        "correction",
        "prior-ratio",
        "header",
        "count",
        "extra-entry",
        "sample-labels",
        "fastpath-inf",
        "fastpath-shape",
        "calibrator-key",
        "fastpath-numbers",
        "label-nan",
        "label-list",
        "label-twice",
        "label-missing",
        "option-calibration",
        "option-extra",
        "option-columns",
        "option-folds-huge",
        "option-folds-bool",
        "option-funnel-text",
        "option-funnel-number",
        "option-split-list",
        "importance-type",
        "importance-class",
        "importance-nan",
        "importance-cross",
        "profile-extra",
        "profile-score-class",
        "profile-score-counts",
        "profile-column",
        "profile-edges",
        "profile-bins",
        "profile-vocabulary",
        "profile-negative",
        "profile-kind",
    ],
)
def test_metadata_values_are_checked(scoring_model, tmp_path, mutate, message):
    with pytest.raises(ModelFileError, match=message):
        load_model(_tampered(scoring_model, tmp_path, mutate))


def test_vocabularies_are_stored_as_text_arrays_not_one_json_node_per_value(scoring_model):
    """A 100k-row log's category values, one JSON node each, were most of a model file's write and read time."""
    import json

    payload = _payload(scoring_model)
    for values in payload["fastpath"]["categories"].values():
        assert isinstance(values, np.ndarray) and values.dtype.kind == "U"
    prepare = payload["pipeline"].named_steps["prepare"]
    codes = [t for _, t, _ in prepare.transformers_ if type(t).__name__ == "CategoryCodes"]
    assert codes and all(c.dtype.kind == "U" for t in codes for c in t.categories_)
    with zipfile.ZipFile(scoring_model) as z:
        schema = z.read("schema.json").decode()
    levels = sum(len(v) for v in payload["fastpath"]["categories"].values())
    assert schema.count('"__loader__"') < levels  # not a node per category value
    assert json.loads(schema)


def test_a_fast_path_written_as_lists_by_earlier_versions_still_loads_and_scores_the_same(scoring_model, tmp_path):
    from clickpred.io.schema import Schema
    from clickpred.model.linear_scorer import LinearScorer

    def as_lists(p):
        p["fastpath"]["categories"] = {c: v.tolist() for c, v in p["fastpath"]["categories"].items()}

    old = load_model(_tampered(scoring_model, tmp_path, as_lists))
    new = load_model(scoring_model)
    assert isinstance(next(iter(old.fastpath["categories"].values())), list)
    schema = Schema.from_dict(new.metadata["schema"])
    a = LinearScorer.from_state(old.fastpath, old.pipeline, schema)
    b = LinearScorer.from_state(new.fastpath, new.pipeline, schema)
    assert {c: index for c, (index, _) in a.cat_tables.items()} == {c: index for c, (index, _) in b.cat_tables.items()}


def test_an_archive_that_inflates_far_beyond_its_size_is_refused_before_it_is_read(scoring_model, tmp_path):
    bomb = tmp_path / "bomb.skops"
    with (
        zipfile.ZipFile(scoring_model) as src,
        zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as dst,
    ):
        for info in src.infolist():
            dst.writestr(info, src.read(info))
        with dst.open("zeros.npy", "w") as fh:  # 256 MiB of zeros: ~250 kB on disk
            block = bytes(1 << 20)
            for _ in range(256):
                fh.write(block)
    size = bomb.stat().st_size
    assert 256 * 2**20 > MAX_INFLATION * size + INFLATION_FLOOR  # the bound this test is about
    with pytest.raises(ModelFileError, match=r"refused to load: its members inflate to \d+ MiB from a [\d.]+ MiB file"):
        load_model(bomb)


def test_clickpred_model_files_stay_well_inside_the_inflation_bound(scoring_model):
    with zipfile.ZipFile(scoring_model) as z:
        total = sum(i.file_size for i in z.infolist())
    assert total < (MAX_INFLATION * scoring_model.stat().st_size + INFLATION_FLOOR) / 2


def test_hgb_models_load_and_a_partial_wrapping_anything_else_is_refused(small_csv, tmp_path):
    """hgb needs functools.partial (of check_array, inside its preprocessor): exactly that, nothing else."""
    import functools

    from clickpred.jobs.train import run_train
    from clickpred.modeling.spec import spec_from_options

    out = run_train(
        small_csv, spec_from_options("hgb", "none", folds=2), model_path=tmp_path / "h.skops", report_dir=tmp_path / "r"
    )
    model = load_model(out.model_path)
    assert type(model.pipeline.steps[-1][1]).__name__ == "HoldoutHGBClassifier"

    def written_before(p):  # hgb files before HoldoutHGBClassifier held scikit-learn's class, no sampler
        from sklearn.ensemble import HistGradientBoostingClassifier

        clf = p["pipeline"].steps[-1][1]
        clf.__class__ = HistGradientBoostingClassifier
        del clf.sampler

    import pandas as pd

    rows = pd.read_csv(small_csv).head(200)
    old = load_model(_tampered(out.model_path, tmp_path, written_before, name="old.skops"))
    assert type(old.pipeline.steps[-1][1]).__name__ == "HistGradientBoostingClassifier"
    np.testing.assert_array_equal(old.pipeline.predict_proba(rows), model.pipeline.predict_proba(rows))

    def swap(p):
        ft = p["pipeline"].steps[-1][1]._preprocessor.transformers_[1][1]
        ft.func = functools.partial(np.save, "/tmp/x")  # any other function

    with pytest.raises(ModelFileError, match="refused to load"):
        load_model(_tampered(out.model_path, tmp_path, swap))

    def extra_keyword(p):
        ft = p["pipeline"].steps[-1][1]._preprocessor.transformers_[1][1]
        ft.func = functools.partial(ft.func.func, **ft.func.keywords, copy=True)

    with pytest.raises(ModelFileError, match="FunctionTransformer: must not name a function"):
        load_model(_tampered(out.model_path, tmp_path, extra_keyword, name="kw.skops"))


def _train_small(small_csv, tmp_path_factory, classifier, strategy="none", **kwargs):
    """A model of ``classifier`` trained on small_csv (2 folds), written to a fresh folder."""
    from clickpred.jobs.train import run_train
    from clickpred.modeling.spec import spec_from_options

    d = tmp_path_factory.mktemp(classifier)
    spec = spec_from_options(classifier, strategy, folds=2)
    return run_train(small_csv, spec, model_path=d / "m.skops", report_dir=d / "r", **kwargs).model_path


@pytest.fixture(scope="module")
def calibrated_models(small_csv, tmp_path_factory):
    """A logistic model per calibration method, and a linear SVM's (decision values) with sigmoid."""
    pairs = (("logistic", "sigmoid"), ("logistic", "isotonic"), ("logistic", "temperature"), ("svm", "sigmoid"))
    return {
        f"{clf}-{method}": _train_small(small_csv, tmp_path_factory, clf, "class_weight", calibration=method)
        for clf, method in pairs
    }


def _parts(p):
    return [part for cal in p["calibrator"].values() for part in cal.calibrated_classifiers_]


def _set_all(attr, value):
    def mutate(p):
        for part in _parts(p):
            target = part
            *path, last = attr.split(".")
            for name in path:
                target = getattr(target, name)
            setattr(target, last, value)

    return mutate


@pytest.mark.parametrize("name", ["logistic-sigmoid", "logistic-isotonic", "logistic-temperature", "svm-sigmoid"])
def test_every_calibration_method_loads_and_scores_as_written(calibrated_models, small_csv, name):
    import pandas as pd

    import clickpred

    model = load_model(calibrated_models[name])
    method = name.split("-")[1]
    assert method in model.metadata["correction"]["method"]
    assert {cal.method for cal in model.calibrator.values()} == {method}
    scores = clickpred.score(calibrated_models[name], pd.read_csv(small_csv).head(200))
    assert len(scores) == 200


@pytest.mark.parametrize(
    "name, mutate, message",
    [
        (
            "logistic-sigmoid",
            lambda p: [setattr(c, "classes_", np.array(["0", "2"])) for c in p["calibrator"].values()],
            r"calibrator\.click\.classes_: expected the classes '0', '1'",
        ),
        (
            "logistic-sigmoid",
            lambda p: [setattr(c, "calibrated_classifiers_", []) for c in p["calibrator"].values()],
            r"calibrated_classifiers_: expected a list of 1 to 20",
        ),
        ("logistic-sigmoid", _set_all("classes", np.array(["a", "b"])), r"\]\.classes: expected the classes"),
        ("logistic-sigmoid", _set_all("estimator.estimator.classes_", np.array(["0", "2"])), r"estimator\.classes_"),
        ("logistic-sigmoid", _set_all("estimator.estimator.n_features_in_", 3), r"n_features_in_: 3, expected 2"),
        ("logistic-sigmoid", _set_all("calibrators", []), r"calibrators: expected one map"),
        ("logistic-sigmoid", lambda p: [delattr(part, "calibrators") for part in _parts(p)], r"expected one map"),
        ("logistic-sigmoid", lambda p: [setattr(part.calibrators[0], "a_", np.nan) for part in _parts(p)], r"a_: "),
        ("svm-sigmoid", lambda p: [setattr(part.calibrators[0], "b_", np.inf) for part in _parts(p)], r"b_: "),
        (
            "logistic-temperature",
            lambda p: [setattr(part.calibrators[0], "beta_", "1") for part in _parts(p)],
            r"beta_: expected a finite number",
        ),
        (
            "logistic-isotonic",
            lambda p: [part.calibrators[0].y_thresholds_.__setitem__(-1, 3.0) for part in _parts(p)],
            r"y_thresholds_: probabilities outside \[0, 1\]",
        ),
        (
            "logistic-isotonic",
            lambda p: [
                setattr(part.calibrators[0], "X_thresholds_", part.calibrators[0].X_thresholds_[::-1].copy())
                for part in _parts(p)
            ],
            r"X_thresholds_: not sorted",
        ),
        (
            "logistic-isotonic",
            lambda p: [
                setattr(part.calibrators[0], "y_thresholds_", part.calibrators[0].y_thresholds_[:-1])
                for part in _parts(p)
            ],
            # scikit-learn rebuilds its interpolation while the file is read: refused there, as a corrupt file
            r"corrupt model file \(ValueError: x and y arrays must be equal|y_thresholds_: expected as many steps",
        ),
        (
            "logistic-sigmoid",
            lambda p: [
                (
                    setattr(c, "method", "isotonic"),
                    [setattr(part, "method", "isotonic") for part in c.calibrated_classifiers_],
                )
                for c in p["calibrator"].values()
            ],
            r"method: 'isotonic', but metadata\.correction\.method names sigmoid",
        ),
        ("logistic-sigmoid", lambda p: p.update(calibrator=None), r"calibrator: missing: metadata\.correction\.method"),
        (
            "logistic-sigmoid",
            lambda p: p["metadata"]["correction"].update(method="prior"),
            r"calibrator: present, but metadata\.correction\.method does not name one calibrator",
        ),
    ],
    ids=[
        "classes",
        "no-parts",
        "part-classes",
        "adapter-classes",
        "adapter-columns",
        "no-map",
        "maps-deleted",
        "sigmoid-nan",
        "svm-sigmoid-inf",
        "temperature-text",
        "isotonic-above-1",
        "isotonic-unsorted",
        "isotonic-lengths",
        "method-mismatch",
        "missing",
        "unnamed",
    ],
)
def test_calibrator_values_are_checked_before_scoring(calibrated_models, tmp_path, name, mutate, message):
    """Each value the calibrators' predict_proba reads: a file that passed on types alone failed while scoring
    ('1' is not in list) or scored silently wrong probabilities."""
    with pytest.raises(ModelFileError, match=message):
        load_model(_tampered(calibrated_models[name], tmp_path, mutate))


@pytest.fixture(scope="module")
def hgb_model(small_csv, tmp_path_factory):
    return _train_small(small_csv, tmp_path_factory, "hgb")


def _first_split(mutate_nodes):
    """Change the first tree's first split (``mutate_nodes(nodes, i)``), as a crafted file could."""

    def mutate(p):
        hgb = p["pipeline"].steps[-1][1]
        nodes = hgb._predictors[0][0].nodes
        i = int(np.flatnonzero(nodes["is_leaf"] == 0)[0])
        mutate_nodes(nodes, i)

    return mutate


@pytest.mark.parametrize(
    "mutate, message",
    [
        # each of these crashed `score` (segmentation fault: compiled code read outside the arrays) or never ended
        (_first_split(lambda n, i: n["left"].__setitem__(i, 4_000_000_000)), r"nodes\.left: a split's child outside"),
        (_first_split(lambda n, i: n["right"].__setitem__(i, i)), r"nodes\.right: a split's child .* not after it"),
        (_first_split(lambda n, i: n["feature_idx"].__setitem__(i, 10**6)), r"nodes\.feature_idx: outside the model"),
        (
            _first_split(lambda n, i: (n["is_categorical"].__setitem__(i, 1), n["bitset_idx"].__setitem__(i, 10**6))),
            r"nodes\.bitset_idx: outside the tree's category sets",
        ),
        (_first_split(lambda n, i: n["value"].__setitem__(-1, np.nan)), r"nodes\.value: non-finite"),
        (
            lambda p: p["pipeline"].steps[-1][1]._predictors[0].append(p["pipeline"].steps[-1][1]._predictors[0][0]),
            r"_predictors\[0\]: expected \d+ tree",
        ),
        (
            lambda p: setattr(
                p["pipeline"].steps[-1][1]._predictors[0][0],
                "nodes",
                p["pipeline"].steps[-1][1]._predictors[0][0].nodes[:0],
            ),
            r"nodes: expected gradient boosting's node records",
        ),
        (
            lambda p: setattr(p["pipeline"].steps[-1][1], "n_features_in_", -1),
            r"n_features_in_: -1 is not a count",
        ),
    ],
    ids=[
        "child-out-of-range",
        "child-cycle",
        "feature-out-of-range",
        "bitset-out-of-range",
        "leaf-nan",
        "trees",
        "records",
        "columns",
    ],
)
def test_gradient_boosting_trees_are_checked_before_anything_predicts(hgb_model, tmp_path, mutate, message):
    with pytest.raises(ModelFileError, match=r"HoldoutHGBClassifier\._?\w*.*" + message):
        load_model(_tampered(hgb_model, tmp_path, mutate))


def test_a_gradient_boosting_model_with_a_categorical_split_loads_and_scores(tmp_path):
    """Category sets (bitsets) in the trees: a genuine model passes the tree checks."""
    import pandas as pd

    import clickpred
    from clickpred.jobs.train import run_train
    from clickpred.modeling.spec import spec_from_options

    rng = np.random.default_rng(0)
    n = 3000
    site = rng.choice(["a", "b", "c", "d", "e"], n)
    frame = pd.DataFrame({"site": site, "x": rng.normal(size=n)})
    frame["label"] = np.where(rng.random(n) < np.where(np.isin(site, ["b", "d"]), 0.4, 0.03), "click", "view")
    out = run_train(
        frame,
        spec_from_options("hgb", "none", folds=2),
        model_path=tmp_path / "c.skops",
        report_dir=tmp_path / "r",
        target="label",
    )
    model = load_model(out.model_path)
    trees = [t for it in model.pipeline.steps[-1][1]._predictors for t in it]
    assert any((t.nodes["is_categorical"][t.nodes["is_leaf"] == 0] != 0).any() for t in trees)
    assert len(clickpred.score(out.model_path, frame.drop(columns="label"))) == n


@pytest.fixture(scope="module")
def svm_rbf_model(small_csv, tmp_path_factory):
    return _train_small(small_csv, tmp_path_factory, "svm-rbf", "class_weight")


def _last(change):
    """Change the pipeline's classifier (``change(classifier)``), as a crafted file could."""

    def mutate(p):
        change(p["pipeline"].steps[-1][1])

    return mutate


def _n_support_moved(svc):
    counts = svc._n_support.copy()
    counts[0], counts[1] = counts[0] + counts[1] + 5, -5
    svc._n_support = counts


@pytest.mark.parametrize(
    "mutate, message",
    [
        # libsvm read past its buffers on each of these (decision values from whatever memory followed)
        (_last(lambda s: setattr(s, "_dual_coef_", s._dual_coef_[:, :5].copy())), r"_dual_coef_: expected shape"),
        (_last(_n_support_moved), r"_n_support: expected \d+ counts ≥ 0"),
        (_last(lambda s: setattr(s, "_intercept_", s._intercept_[:1].copy())), r"_intercept_: expected \d+ values"),
        (_last(lambda s: setattr(s, "_probA", np.ones(7))), r"_probA: expected none or \d+ values"),
        (_last(lambda s: setattr(s, "kernel", "precomputed")), r"kernel: 'precomputed' is not one of"),
        (_last(lambda s: setattr(s, "_gamma", np.nan)), r"_gamma: expected a finite number"),
        (
            _last(lambda s: setattr(s, "support_vectors_", s.support_vectors_[:, :-1].copy())),
            r"support_vectors_: not one value per column",
        ),
    ],
    ids=["dual-coef", "counts", "intercept", "prob", "kernel", "gamma", "width"],
)
def test_kernel_svm_arrays_are_checked_against_each_other(svm_rbf_model, tmp_path, mutate, message):
    with pytest.raises(ModelFileError, match=r"BoundedSVC\.\w*.*" + message):
        load_model(_tampered(svm_rbf_model, tmp_path, mutate))


def test_a_kernel_svm_model_loads_and_scores(svm_rbf_model, small_csv):
    import pandas as pd

    import clickpred

    assert len(clickpred.score(clickpred.load_model(svm_rbf_model), pd.read_csv(small_csv).head(100))) == 100


@pytest.fixture(scope="module")
def mlp_and_nystroem_models(small_csv, tmp_path_factory):
    return {name: _train_small(small_csv, tmp_path_factory, name) for name in ("mlp", "svm-nystroem")}


@pytest.mark.parametrize(
    "model, mutate, message",
    [
        ("logistic", _last(lambda c: c.coef_.__setitem__((0, 0), np.nan)), r"coef_: non-finite values"),
        (
            "logistic",
            _last(lambda c: setattr(c, "coef_", c.coef_[:, :-3].copy())),
            r"coef_: shape \(\d+, \d+\), expected",
        ),
        (
            "logistic",
            _last(lambda c: setattr(c, "intercept_", c.intercept_[:1].copy())),
            r"intercept_: expected \d+ values",
        ),
        ("mlp", _last(lambda c: c.coefs_.__setitem__(1, c.coefs_[1][:-1].copy())), r"coefs_\[1\]: \d+ rows, expected"),
        ("mlp", _last(lambda c: c.intercepts_[0].__setitem__(0, np.inf)), r"intercepts_\[0\]: non-finite"),
        (
            "mlp",
            _last(lambda c: setattr(c, "out_activation_", "softplus")),
            r"out_activation_: .softplus. is not a known",
        ),
        ("svm-nystroem", _last(lambda c: setattr(c, "coef_", c.coef_[:, :-1].copy())), r"coef_: shape .*, expected"),
        (
            "svm-nystroem",
            _last(lambda c: setattr(c.kernel_, "components_", c.kernel_.components_[:, :-1].copy())),
            r"kernel_\.components_: not one value per column",
        ),
    ],
    ids=[
        "logistic-nan",
        "logistic-width",
        "logistic-intercept",
        "mlp-chain",
        "mlp-inf",
        "mlp-activation",
        "nystroem-width",
        "nystroem-components",
    ],
)
def test_linear_and_network_weights_are_checked_before_scoring(
    scoring_model, mlp_and_nystroem_models, tmp_path, model, mutate, message
):
    """A NaN weight scored NaN probabilities (without a calibrator: silently); a short row failed mid-file with
    'unexpected ValueError: matmul: dimension mismatch'. Both are refused at load, naming the field."""
    path = scoring_model if model == "logistic" else mlp_and_nystroem_models[model]
    with pytest.raises(ModelFileError, match=message):
        load_model(_tampered(path, tmp_path, mutate))


def test_mlp_and_nystroem_models_load_and_score(mlp_and_nystroem_models, small_csv):
    import pandas as pd

    import clickpred

    rows = pd.read_csv(small_csv).head(100)
    for path in mlp_and_nystroem_models.values():
        assert len(clickpred.score(clickpred.load_model(path), rows)) == 100


def _fitted_step(p, name):
    """The prepare step's fitted transformer of that name (the scoring model is logistic + class_weight)."""
    prepare = p["pipeline"].steps[0][1]
    return next(t for n, t, _ in prepare.transformers_ if n == name)


def _drop_a_table(p):
    codes = _fitted_step(p, "categorical")
    codes.categories_.pop()
    codes._lookup.pop()


def _short_scale(p):
    _fitted_step(p, "numeric").named_steps["scale"].scale_ = np.ones(1)


def _zero_scale(p):
    scaler = _fitted_step(p, "numeric").named_steps["scale"]
    scaler.scale_ = np.zeros_like(scaler.scale_)
    scaler.mean_ = np.full_like(scaler.mean_, np.inf)


def _break_imputer(p):
    """A fitted step without a field its transform reads (no value check names it: the probe finds it)."""
    del _fitted_step(p, "numeric").named_steps["impute"].indicator_


@pytest.mark.parametrize(
    "mutate, message",
    [
        (_drop_a_table, r"CategoryCodes\.categories_: expected one per input column \(2\)"),
        (_short_scale, r"StandardScaler\.scale_: expected one value per input column"),
        (_zero_scale, r"StandardScaler\.mean_: non-finite values"),
        (
            _break_imputer,
            r"its pipeline fails on rows of its own schema \(ValueError: Make sure to call _fit_indicator",
        ),
    ],
    ids=["category-table-missing", "scaler-short", "scaler-inf", "imputer-gutted"],
)
def test_fitted_preprocessing_is_checked_before_scoring(scoring_model, tmp_path, mutate, message):
    """A category encoder with fewer tables than columns left a column of uninitialised memory (scores changed
    from run to run, exit 0); other crafted preprocessing failed mid-file as 'unexpected <Type>'. Each is refused
    at load, naming the field or saying what its own schema's rows gave."""
    with pytest.raises(ModelFileError, match=message):
        load_model(_tampered(scoring_model, tmp_path, mutate))


@pytest.fixture(scope="module")
def encoded_id_models(small_csv, tmp_path_factory):
    """Logistic models whose ID columns are frequency- and target-encoded (the spec's id_encoding)."""
    from clickpred.jobs.train import run_train
    from clickpred.modeling.spec import spec_from_dict

    d = tmp_path_factory.mktemp("encoded_ids")
    out = {}
    for encoding in ("frequency", "target"):
        spec = spec_from_dict(
            {"classifier": "logistic", "evaluation": {"folds": 2}, "features": {"id_encoding": encoding}},
            source="test",
        )
        res = run_train(small_csv, spec, model_path=d / f"{encoding}.skops", report_dir=d / encoding)
        out[encoding] = res.model_path
    return out


def _id_step(p, name):
    return _fitted_step(p, "id_encoded").named_steps[name]


def _drop_a_frequency_table(p):
    _id_step(p, "encode").counts_.pop()


def _negative_frequency(p):
    table = _id_step(p, "encode").counts_[0]
    table[next(iter(table))] = -1.0


def _wide_clip(p):
    _id_step(p, "logit").eps = 0.7


def _nan_target_encoding(p):
    enc = _id_step(p, "encode")
    enc.encodings_[0] = np.full_like(enc.encodings_[0], np.nan)


def _short_target_encoding(p):
    enc = _id_step(p, "encode")
    enc.encodings_[0] = enc.encodings_[0][:1]


@pytest.mark.parametrize(
    "encoding, mutate, message",
    [
        ("frequency", _drop_a_frequency_table, r"FrequencyEncoder\.counts_: expected one table per input column"),
        ("frequency", _negative_frequency, r"FrequencyEncoder\.counts_\[0\]: expected \{value: log\(1 \+ count\)\}"),
        ("target", _wide_clip, r"ClippedLogit\.eps: 0\.7 is not a clip in \(0, 0\.5\)"),
        ("target", _nan_target_encoding, r"TargetEncoder\.encodings_\[0\]: non-finite values"),
        ("target", _short_target_encoding, r"TargetEncoder\.encodings_\[0\]: expected one encoding per category"),
    ],
    ids=["frequency-table-missing", "frequency-negative", "logit-clip", "target-nan", "target-short"],
)
def test_encoded_id_columns_are_checked_before_scoring(encoded_id_models, tmp_path, encoding, mutate, message):
    """A frequency encoder with fewer tables than columns scored the last ID column as 0 for every row, silently;
    a clip of 0.7 or a NaN encoding changed every score without an error (issue 32). Each is refused at load."""
    load_model(encoded_id_models[encoding])  # the untouched files load
    with pytest.raises(ModelFileError, match=message):
        load_model(_tampered(encoded_id_models[encoding], tmp_path, mutate))


@pytest.fixture(scope="module")
def binned_model(small_csv, tmp_path_factory):
    from clickpred.jobs.train import run_train
    from clickpred.modeling.spec import spec_from_dict

    d = tmp_path_factory.mktemp("binned")
    spec = spec_from_dict(
        {"classifier": "logistic", "evaluation": {"folds": 2}, "features": {"numeric_bins": 8}}, source="test"
    )
    return run_train(small_csv, spec, model_path=d / "m.skops", report_dir=d / "r").model_path


def _bins(p):
    return _fitted_step(p, "numeric_bins").named_steps["bins"]


def _unsorted_edges(p):
    e = _bins(p).bin_edges_[0]
    e[1], e[2] = e[2] + 1.0, e[1]


def _edges_short(p):
    b = _bins(p)
    b.bin_edges_ = b.bin_edges_[:1]


def _counts_short(p):
    b = _bins(p)
    b.n_bins_ = b.n_bins_[:0]


def _nan_edge(p):
    _bins(p).bin_edges_[0][1] = np.nan


@pytest.mark.parametrize(
    "mutate, message",
    [
        (_unsorted_edges, r"ValueBins\.bin_edges_\[0\]: expected \d+ increasing edges"),
        (_edges_short, r"ValueBins\.bin_edges_: expected one array of edges per input column"),
        (_counts_short, r"ValueBins\.n_bins_: expected one count per input column"),
        (_nan_edge, r"ValueBins\.bin_edges_\[0\]: expected a 1-d numeric array"),
    ],
    ids=["edges-unsorted", "edges-short", "counts-short", "nan-edge"],
)
def test_quantile_bins_are_checked_before_scoring(binned_model, small_csv, tmp_path, mutate, message):
    """Unsorted edges give bin codes that mean nothing (every score wrong, no error)."""
    load_model(binned_model)
    with pytest.raises(ModelFileError, match=message):
        load_model(_tampered(binned_model, tmp_path, mutate))


def test_a_file_binned_by_kbinsdiscretizer_is_an_older_model_to_retrain(binned_model, tmp_path):
    """[features] numeric_bins was KBinsDiscretizer before ValueBins: such a file is refused as an older model (with
    the retrain message), not as a hostile one — and nothing in it is rebuilt."""
    from sklearn.preprocessing import KBinsDiscretizer

    def older(p):
        bins = _fitted_step(p, "numeric_bins")
        bins.steps[-1] = ("bins", KBinsDiscretizer(n_bins=3, encode="ordinal").fit(np.arange(12.0).reshape(-1, 1)))

    with pytest.raises(ModelFileError, match=r"written by an older clickpred \(\[features\] numeric_bins.*retrain it"):
        load_model(_tampered(binned_model, tmp_path, older))


def _fast_bins(p):
    bins = p["fastpath"]["num_bins"]
    assert bins  # the binned model compiles: a slope plus a step per bin
    return next(iter(bins.values()))


def _fast_edges_unsorted(p):
    e = _fast_bins(p)["edges"]
    e[0], e[1] = e[1] + 1.0, e[0]


def _fast_table_short(p):
    b = _fast_bins(p)
    b["table"] = b["table"][:-1]


@pytest.mark.parametrize(
    "mutate, message",
    [
        (_fast_edges_unsorted, r"fastpath\.num_bins\.\w+\.edges: expected increasing edges"),
        (_fast_table_short, r"fastpath\.num_bins\.\w+\.table: shape"),  # searchsorted would index past it
    ],
    ids=["edges-unsorted", "table-short"],
)
def test_the_compiled_bins_are_checked_before_scoring(binned_model, tmp_path, mutate, message):
    with pytest.raises(ModelFileError, match=message):
        load_model(_tampered(binned_model, tmp_path, mutate))
