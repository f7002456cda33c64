"""clickpred's own reader of its skops archives: every file clickpred writes is rebuilt exactly as skops' loader
rebuilds it, without importing skops; a node kind asked to build something else than clickpred writes in it is a
corrupt file, not an object."""

import json
import subprocess
import sys
import zipfile

import numpy as np
import pytest

from clickpred.errors import ModelFileError
from clickpred.model.modelfile import load_model
from clickpred.model.reader import ArchiveError

from ._trees import assert_same, our_read, skops_read


def test_a_model_file_reads_as_skops_reads_it(scoring_model):
    """The whole payload of a trained model (pipeline, calibrators, decision sample, drift profile)."""
    assert_same(our_read(scoring_model), skops_read(scoring_model))


@pytest.mark.parametrize("classifier", ["logistic", "hgb"])
def test_a_funnel_model_file_reads_as_skops_reads_it(small_csv, tmp_path, classifier):
    """A funnel's file: its stages' imbalanced-learn pipelines, unfitted and fitted, and gradient boosting's."""
    from clickpred.jobs.train import run_train
    from clickpred.modeling.spec import spec_from_dict

    spec = spec_from_dict({"classifier": {"name": classifier}, "strategy": "none", "evaluation": {"folds": 2}})
    out = run_train(
        small_csv,
        spec,
        model_path=tmp_path / "f.skops",
        report_dir=tmp_path / "r",
        funnel=["view", "click", "conversion"],
    )
    assert_same(our_read(out.model_path), skops_read(out.model_path))


def test_loading_a_model_imports_no_skops(scoring_model, small_csv, tmp_path):
    """``score``'s process never imports skops (its import builds a trust list from every scikit-learn estimator
    and ``scipy.special``), and the model scores as in this process. A fresh process: this one has imported
    skops."""
    import pandas as pd

    import clickpred

    probe = (
        "import sys, numpy as np, pandas as pd, clickpred\n"
        "model = clickpred.load_model(sys.argv[1])\n"
        "np.save(sys.argv[3], model.predict_proba(pd.read_csv(sys.argv[2], nrows=300).drop(columns=['event'])))\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'skops'))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", probe, str(scoring_model), str(small_csv), str(tmp_path / "p.npy")],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip() == "[]"
    frame = pd.read_csv(small_csv, nrows=300).drop(columns=["event"])
    np.testing.assert_array_equal(np.load(tmp_path / "p.npy"), clickpred.load_model(scoring_model).predict_proba(frame))


def _rewritten(path, tmp_path, change, name="crafted.skops"):
    out = tmp_path / name
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "schema.json":
                schema = json.loads(data)
                change(schema)
                data = json.dumps(schema).encode()
            dst.writestr(item, data)
    return out


def _node(kind, module, name, **rest):
    return {"__class__": name, "__module__": module, "__loader__": kind, **rest}


def _archive(tmp_path, schema, files=None):
    path = tmp_path / "a.skops"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("schema.json", json.dumps({"protocol": 2, **schema}))
        for name, data in (files or {}).items():
            z.writestr(name, data)
    return path


@pytest.mark.parametrize(
    "schema, said",
    [
        # a list node asked to call an allowed estimator with the list (skops would: content_type(list))
        (_node("ListNode", "sklearn.pipeline", "Pipeline", content=[]), "builtins.list belongs"),
        # a dict node asked to build an estimator (skops would call it with no argument)
        (
            _node(
                "DictNode",
                "sklearn.pipeline",
                "Pipeline",
                content={},
                key_types=_node("ListNode", "builtins", "list", content=[]),
            ),
            "builtins.dict",
        ),
        # an object node asked to build a plain dict through __new__ and its state
        (_node("ObjectNode", "builtins", "dict", content=None), "object of type builtins.dict"),
        # a function node naming a type that is not a function clickpred writes
        (_node("FunctionNode", "builtins", "dict"), "function builtins.dict"),
        # a slice of floats
        (_node("SliceNode", "builtins", "slice", content={"start": 0.5, "stop": None, "step": None}), "whole numbers"),
    ],
    ids=["list-as-estimator", "dict-as-estimator", "object-as-dict", "function-as-type", "slice-of-floats"],
)
def test_a_node_kind_builds_only_what_clickpred_writes_in_it(tmp_path, schema, said):
    with pytest.raises(ArchiveError, match=said):
        our_read(_archive(tmp_path, schema))


def test_a_node_kind_is_one_of_the_loaders_not_any_method_of_the_reader(tmp_path):
    with pytest.raises(ArchiveError, match="unknown node kind '_expect'"):
        our_read(_archive(tmp_path, _node("_expect", "builtins", "list", content=[])))


def test_an_object_that_contains_itself_is_refused_not_a_recursion(tmp_path):
    inner = _node("ListNode", "builtins", "list", content=[], __id__=5)
    inner["content"].append({**inner, "content": []})  # the same id inside itself
    with pytest.raises(ArchiveError, match="contains itself"):
        our_read(_archive(tmp_path, inner))


def test_a_crafted_node_in_a_model_file_is_a_one_line_corrupt_file(scoring_model, tmp_path):
    def change(schema):
        schema["content"]["pipeline"]["__loader__"] = "ListNode"  # an allowed type, an allowed loader, not together

    with pytest.raises(ModelFileError, match=r"crafted\.skops: corrupt model file \(ArchiveError: sklearn\.pipeline"):
        load_model(_rewritten(scoring_model, tmp_path, change))


def test_a_file_of_another_skops_protocol_is_read_by_skops(scoring_model, tmp_path, monkeypatch):
    """clickpred's reader knows protocol 2; another (older) protocol goes to skops' own loader, same allowlist."""
    import clickpred.model.modelfile as modelfile

    def change(schema):
        schema["protocol"] = 1

    older = _rewritten(scoring_model, tmp_path, change)
    expected = load_model(scoring_model).pipeline
    monkeypatch.setattr(modelfile, "read_archive", lambda *_: pytest.fail("clickpred's reader read protocol 1"))
    assert_same(load_model(older).pipeline, expected)
