"""--classifier auto: logistic and hgb on the same folds, hgb kept only where distinguishably better."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import average_precision_score

from clickpred.errors import ConfigError
from clickpred.estimator.choose import CHOICE_ROWS, choice_rows, judged_class
from clickpred.estimator.fitting import train
from clickpred.jobs.train import run_train
from clickpred.modeling.spec import spec_from_options


def _log(kind: str, rows: int = 6_000, seed: int = 0) -> pd.DataFrame:
    """A log whose clicks follow an interaction of two measurements (``"xor"``: what one slope per column cannot
    fit) or a sum of them (``"linear"``)."""
    rng = np.random.default_rng(seed)
    a, b = rng.random(rows), rng.random(rows)
    site = rng.choice(["s1", "s2", "s3"], rows)
    if kind == "xor":
        p = np.where((a > 0.5) ^ (b > 0.5), 0.16, 0.004)
    else:
        p = 1 / (1 + np.exp(-(-5.5 + 2.5 * a + 2.0 * b)))
    y = np.where(rng.random(rows) < p, "click", "view")
    return pd.DataFrame({"a": a.round(4), "b": b.round(4), "site": site, "event": y})


def test_the_rows_chosen_on_keep_every_minority_row_and_are_seeded():
    y = np.array(["v"] * 95_000 + ["c"] * 4_000 + ["k"] * 1_000)
    classes = ["v", "c", "k"]
    rows = choice_rows(y, classes, seed=1)
    assert len(rows) == CHOICE_ROWS and np.all(np.diff(rows) > 0)
    assert (y[rows] == "c").sum() == 4_000 and (y[rows] == "k").sum() == 1_000  # every minority row
    assert np.array_equal(rows, choice_rows(y, classes, seed=1))
    assert not np.array_equal(rows, choice_rows(y, classes, seed=2))
    assert np.array_equal(choice_rows(y[:40_000], classes, seed=1), np.arange(40_000))  # small: all of them
    # minority rows beyond half the budget: each class in proportion, the majority the rest
    many = np.array(["v"] * 60_000 + ["c"] * 30_000 + ["k"] * 10_000)
    share = many[choice_rows(many, classes, seed=0)]
    assert len(share) == CHOICE_ROWS and (share == "c").sum() == 18_750 and (share == "k").sum() == 6_250


def test_the_class_judged_is_compares_rarest_with_enough_rows():
    y = np.array(["v"] * 1000 + ["c"] * 80 + ["k"] * 20)
    assert judged_class(y, ["v", "c", "k"])[0] == "c"  # k has fewer than 50 rows
    assert judged_class(y[:1060], ["v", "c"])[0] == "c"


def test_trees_are_chosen_where_they_are_distinguishably_better_on_the_same_folds():
    frame = _log("xor")
    res = train(frame, spec_from_options(folds=3), target="event", importance=False)
    ch = res.classifier_choice
    assert ch["chosen"] == "hgb" and res.spec.classifier.name == "hgb" and res.spec.name == "auto-none"
    assert ch["difference"]["low"] > 0 and ch["why"] == "hgb is distinguishably better"
    assert ch["rows"] == len(frame) and not ch["share"] and ch["class"] == "click"
    # the same folds and readings as train's own: the winner's figure is train's raw out-of-fold PR-AUC
    k = res.cv.classes.index("click")
    own = average_precision_score(res.cv.y_true == "click", res.cv.raw_scores[:, k])
    assert ch["candidates"]["hgb"]["pr_auc"] == pytest.approx(own, abs=1e-12)
    assert any(n.startswith("classifier auto: out-of-fold PR-AUC of click (3 folds on 6,000 rows)") for n in res.notes)


@pytest.fixture(scope="module")
def kept_logistic(tmp_path_factory):
    """Default train on the linear log, written: logistic kept (one run serves the tests that read its files)."""
    d = tmp_path_factory.mktemp("kept_logistic")
    out = run_train(
        _log("linear"),
        spec_from_options(folds=3),
        target="event",
        importance=False,
        model_path=d / "m.skops",
        report_dir=d / "rep",
    )
    return out, d


def test_logistic_is_kept_where_the_trees_are_not_distinguishably_better(kept_logistic):
    out, d = kept_logistic
    ch = out.result.classifier_choice
    assert ch["chosen"] == "logistic" and out.result.spec.classifier.name == "logistic"
    assert ch["difference"]["low"] <= 0  # hgb not distinguishably better
    doc = json.loads((d / "rep" / "metrics.json").read_text())
    assert doc["classifier_choice"] == json.loads(json.dumps(ch)) and doc["spec"]["classifier"]["name"] == "logistic"
    assert {"choice_logistic_seconds", "choice_hgb_seconds"} <= set(doc["timings"])
    html = (d / "rep" / "report.html").read_text()
    assert "<h2>Classifier: logistic (auto)</h2>" in html and "hgb - logistic" in html
    from clickpred import load_model

    model = load_model(d / "m.skops")
    assert model.classifier_choice_ == doc["classifier_choice"]  # the model file keeps it (validated at load)


def test_an_explicit_classifier_skips_the_choice_and_auto_takes_no_parameters(tmp_path):
    res = train(_log("linear", rows=2_000), spec_from_options("logistic", folds=3), target="event", importance=False)
    assert res.classifier_choice is None and not any("classifier auto" in n for n in res.notes)
    p = tmp_path / "auto.toml"
    p.write_text('[classifier]\nname = "auto"\nC = 2.0\n')
    from clickpred.modeling.spec import load_spec

    with pytest.raises(ConfigError, match="auto.toml: classifier 'auto' takes no parameters"):
        load_spec(p)


def test_compare_refuses_a_spec_that_leaves_the_choice_to_auto(tmp_path):
    from clickpred.jobs.compare import candidate_specs

    p = tmp_path / "a.toml"
    p.write_text('[classifier]\nname = "auto"\n')
    with pytest.raises(ConfigError, match="classifier 'auto' is train's choice"):
        candidate_specs(pipelines=[str(p)])


def test_a_tampered_choice_in_a_model_file_is_refused(kept_logistic):
    from clickpred.errors import ModelFileError
    from clickpred.estimator.training import model_metadata
    from clickpred.model.payload import validate_metadata

    out, _ = kept_logistic
    md = json.loads(json.dumps(model_metadata(out.result, out.document)))
    validate_metadata("m.skops", md)
    for field, value, message in (
        ("chosen", "xgboost", r"classifier_choice: expected the candidates logistic, hgb and one of them chosen"),
        ("class", "nope", r"classifier_choice\.class: 'nope' is not a class of the model"),
        ("rows", -1, r"classifier_choice\.rows: expected a count"),
    ):
        bad = json.loads(json.dumps(md))
        bad["classifier_choice"][field] = value
        with pytest.raises(ModelFileError, match=message):
            validate_metadata("m.skops", bad)


def test_the_streaming_trainer_chooses_on_its_kept_rows(small_csv):
    from clickpred.jobs.stream_train import train_stream

    res = train_stream([small_csv], spec_from_options(folds=3), negative_rate=0.5, holdout_fraction=0.3)
    ch = res.classifier_choice
    assert ch is not None and res.spec.classifier.name == ch["chosen"]
    assert ch["rows"] == len(res.data.y)  # the kept rows, never the held-out ones
    assert any(n.startswith("classifier auto: ") for n in res.notes)


def test_an_estimator_fitted_with_auto_loads_with_the_same_parameters(tmp_path):
    import clickpred
    from clickpred import ClickClassifier

    frame = _log("xor", rows=3_000)
    y = frame.pop("event").to_numpy()
    clf = ClickClassifier(classifier="auto", folds=3, importance=False).fit(frame, y)
    assert clf.classifier_choice_["chosen"] in ("logistic", "hgb") and clf.get_params()["classifier"] == "auto"
    clickpred.save_model(clf, tmp_path / "m.skops")
    loaded = clickpred.load_model(tmp_path / "m.skops")
    assert loaded.get_params() == clf.get_params() and loaded.classifier_choice_ == clf.classifier_choice_
    np.testing.assert_allclose(loaded.predict_proba(frame), clf.predict_proba(frame), rtol=0, atol=1e-12)


def test_warnings_in_the_choices_fits_become_notes_not_python_warnings():
    """auto's fits ran outside the catch that turns the folds' warnings into notes: the quantile bins' merging
    of repeated values ("Bins whose width are too small …", not news by design) reached the terminal."""
    import warnings
    from dataclasses import replace

    frame = _log("linear", rows=3_000).assign(level=lambda f: np.arange(len(f)) % 3)
    spec = spec_from_options(folds=3)
    spec = replace(spec, features=replace(spec.features, numeric_bins=10))
    with warnings.catch_warnings(record=True) as heard:
        warnings.simplefilter("always")
        res = train(frame, spec, target="event", importance=False)
    assert res.classifier_choice is not None
    assert not [w for w in heard if "Bins whose width" in str(w.message)]
    assert len(res.notes) == len(set(res.notes))  # a warning both the choice and the folds gave is one note
