import zipfile

import numpy as np
import pytest
import skops.io as sio

from clickpred.errors import ModelFileError
from clickpred.io.dataset import load_dataset
from clickpred.model.modelfile import (
    FORMAT,
    FORMAT_VERSION,
    load_model,
    save_model,
)
from clickpred.modeling.pipeline import build_pipeline
from clickpred.modeling.spec import spec_from_dict


@pytest.fixture(scope="module")
def small(small_csv):
    return load_dataset(small_csv)


def _fitted(ds, classifier="logistic", strategy="none", **extra):
    spec = spec_from_dict({"classifier": {"name": classifier, **extra}, "strategy": strategy})
    b = build_pipeline(spec, ds.schema, ds.class_counts)
    return b.pipeline.fit(ds.frame, ds.y)


def test_round_trip_gives_identical_scores(small, scoring_model, tmp_path):
    pipe = _fitted(small)
    md = {**load_model(scoring_model).metadata, "score_method": "predict_proba", "correction": None, "decision": None}
    path = save_model(tmp_path / "m.skops", pipe, md)
    model = load_model(path)
    np.testing.assert_array_equal(model.pipeline.predict_proba(small.frame), pipe.predict_proba(small.frame))
    assert model.metadata == md


class Sneaky:
    """Stands for any type clickpred does not write (a crafted file could name os.system)."""

    def __init__(self):
        self.x = 1


def test_a_file_with_a_foreign_type_is_refused_before_it_runs(tmp_path):
    path = tmp_path / "evil.skops"
    sio.dump({"format": FORMAT, "format_version": FORMAT_VERSION, "metadata": {}, "pipeline": Sneaky()}, path)
    with pytest.raises(
        ModelFileError,
        match=r"refused to load: contains types clickpred does not write \(tests\.model\.test_modelfile\.Sneaky\)",
    ):
        load_model(path)


def test_corrupt_foreign_and_missing_files(tmp_path):
    with pytest.raises(ModelFileError, match="model file not found"):
        load_model(tmp_path / "none.skops")
    junk = tmp_path / "junk.skops"
    junk.write_bytes(b"plain text, not a model")
    with pytest.raises(ModelFileError, match=r"not a clickpred model file \(not a skops archive\)"):
        load_model(junk)
    broken = tmp_path / "broken.skops"
    with zipfile.ZipFile(broken, "w") as z:
        z.writestr("schema.json", "{not json")
    with pytest.raises(ModelFileError, match="corrupt model file"):
        load_model(broken)
    other = tmp_path / "other.skops"
    sio.dump({"something": [1, 2]}, other)
    with pytest.raises(ModelFileError, match="not a clickpred model file"):
        load_model(other)


def test_a_newer_format_version_is_refused_with_the_reason(tmp_path):
    path = tmp_path / "future.skops"
    sio.dump({"format": FORMAT, "format_version": 99, "metadata": {}, "pipeline": None}, path)
    with pytest.raises(ModelFileError, match="format version 99 is not supported .* retrain the model"):
        load_model(path)


def test_unwritable_destination(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ModelFileError, match="cannot create folder"):
        save_model(blocker / "sub" / "m.skops", None, {})


class RunsCode:
    """A pickle that runs code when loaded: it would create a file."""

    def __init__(self, target):
        self.target = str(target)

    def __reduce__(self):
        return (open, (self.target, "w"))


def test_a_pickle_is_refused_without_trust_and_nothing_in_it_runs(tmp_path):
    import pickle

    target = tmp_path / "pwned"
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps(RunsCode(target)))
    with pytest.raises(
        ModelFileError, match=r"is a pickle/joblib file, and loading one can run arbitrary code: pass trust_pickle=True"
    ):
        load_model(path)
    assert not target.exists()


def test_a_trusted_joblib_model_loads_and_scores_like_the_skops_file(small, scoring_model, tmp_path):
    import joblib

    pipe = _fitted(small)
    md = {**load_model(scoring_model).metadata, "score_method": "predict_proba", "correction": None, "decision": None}
    payload = {"format": FORMAT, "format_version": FORMAT_VERSION, "metadata": md, "pipeline": pipe}
    for compress in (0, 3):
        path = tmp_path / f"model{compress}.joblib"
        joblib.dump(payload, path, compress=compress)
        with pytest.raises(ModelFileError, match="trust_pickle=True"):
            load_model(path)
        model = load_model(path, trust_pickle=True)
        np.testing.assert_array_equal(model.pipeline.predict_proba(small.frame), pipe.predict_proba(small.frame))
    bare = tmp_path / "bare.joblib"
    joblib.dump(pipe, bare)
    with pytest.raises(ModelFileError, match="not a clickpred model file"):
        load_model(bare, trust_pickle=True)


def test_a_model_from_another_major_library_version_is_refused(tmp_path):
    path = tmp_path / "old.skops"
    meta = {"versions": {"scikit-learn": "0.24.2", "imbalanced-learn": "0.14.0"}}
    sio.dump({"format": FORMAT, "format_version": FORMAT_VERSION, "metadata": meta, "pipeline": None}, path)
    with pytest.raises(
        ModelFileError,
        match=r"written with scikit-learn 0\.24\.2, this installation has 1\.\d+\.\d+ \(another major version\)",
    ):
        load_model(path)


def test_an_older_model_file_is_refused_with_how_to_retrain(scoring_model, tmp_path):
    """Format 3 recorded the estimators at their old paths (clickpred.estimators, …): such a file is refused
    before anything in it is loaded, saying it is older and how to retrain — not as a hostile file."""
    import zipfile

    old = tmp_path / "old.skops"
    with zipfile.ZipFile(scoring_model) as src, zipfile.ZipFile(old, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "schema.json":
                data = data.replace(b"clickpred.modeling.estimators", b"clickpred.estimators")
                data = data.replace(b"clickpred.modeling.rebalance", b"clickpred.rebalance")
                data = data.replace(b"clickpred.postfit.correction", b"clickpred.calibrate")
            dst.writestr(item, data)
    with pytest.raises(ModelFileError, match=r"older clickpred \(model-file format 3 or earlier.*retrain it"):
        load_model(old)
    v3 = tmp_path / "v3.skops"
    sio.dump({"format": FORMAT, "format_version": 3, "metadata": {}, "pipeline": None}, v3)
    with pytest.raises(
        ModelFileError,
        match=r"format version 3 is not supported \(this clickpred reads version 4\): "
        r"written by an older clickpred; retrain it",
    ):
        load_model(v3)


def test_info_reads_the_metadata_without_scikit_learn_and_it_is_the_models(scoring_model, tmp_path):
    """`clickpred info` reads the plain-JSON metadata member (validated by value) without importing scikit-learn;
    a file whose member says something else than the payload is refused by load_model."""
    import json
    import subprocess
    import sys
    import zipfile

    from clickpred.model.modelfile import METADATA_MEMBER, read_metadata

    md = read_metadata(scoring_model)
    assert md == json.loads(json.dumps(load_model(scoring_model).metadata, default=lambda v: v.tolist()))
    code = (
        "import sys; from clickpred.model.modelfile import read_metadata; "
        f"read_metadata({str(scoring_model)!r}); print('sklearn' in sys.modules)"
    )
    assert (
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
        == "False"
    )
    # the whole command too: what it prints comes from the reporting layer, which imports scikit-learn only to draw
    # (and pandas only to shuffle: the importance lines info prints come through evaluation.importance)
    code = (
        "import sys; from typer.testing import CliRunner; from clickpred.cli import app; "
        f"r = CliRunner().invoke(app, ['info', {str(scoring_model)!r}]); "
        "print(r.exit_code, 'sklearn' in sys.modules, 'pandas' in sys.modules, 'what drives' in r.output)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "0 False False True"

    def rewritten(name, change):
        out = tmp_path / name
        with zipfile.ZipFile(scoring_model) as src, zipfile.ZipFile(out, "w") as dst:
            for item in src.infolist():
                data = src.read(item.filename)
                if item.filename == METADATA_MEMBER:
                    doc = json.loads(data)
                    change(doc)
                    data = json.dumps(doc).encode()
                dst.writestr(item, data)
        return out

    shown = rewritten("shown.skops", lambda d: d.update(name="something else"))
    with pytest.raises(ModelFileError, match="differs from the model's own metadata"):
        load_model(shown)
    bad = rewritten("bad.skops", lambda d: d.update(classes="view"))
    with pytest.raises(ModelFileError, match="metadata.classes"):
        read_metadata(bad)


def test_a_failed_write_leaves_no_temporary_file(scoring_model, tmp_path, monkeypatch):
    """A full disk while saving left a .tmp-*.skops beside the model path (docs/safety.md says none)."""
    import errno

    import skops.io

    model = load_model(scoring_model)

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(skops.io, "dump", full)
    with pytest.raises(ModelFileError, match=r"model file .*m\.skops: no space left on device \(nothing written\)"):
        save_model(tmp_path / "m.skops", model.pipeline, model.metadata)
    assert list(tmp_path.iterdir()) == []


def test_metadata_nested_beyond_reason_is_a_corrupt_file(scoring_model, tmp_path):
    """A model file whose plain-JSON metadata nests 200,000 deep gave 'unexpected RecursionError' from info."""
    from clickpred.model.modelfile import METADATA_MEMBER, read_metadata

    evil = tmp_path / "deep.skops"
    with zipfile.ZipFile(scoring_model) as src, zipfile.ZipFile(evil, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == METADATA_MEMBER:
                data = ("[" * 200_000 + "]" * 200_000).encode()
            dst.writestr(item, data)
    with pytest.raises(ModelFileError, match=r"deep\.skops: corrupt model file \(RecursionError"):
        read_metadata(evil)
    with pytest.raises(ModelFileError, match=r"deep\.skops: corrupt model file \(RecursionError"):
        load_model(evil)


def test_lean_skops_builds_no_trust_list_and_the_model_loads_the_same(scoring_model, small_csv, tmp_path):
    """Where skops still reads a file (another skops protocol than clickpred's reader knows), the command line
    imports it without its default trust list (every scikit-learn estimator, ~0.5 s of start-up, unused: the
    allowlist decides); the file loads and scores the same. A library import keeps skops as it is (a notebook's
    own skops calls are untouched). Fresh processes: this one has imported skops."""
    import subprocess
    import sys

    probe = (
        "import sys, numpy as np, pandas as pd\n"
        "from clickpred.model import skops_import\n"
        "from clickpred.model.allowlist import file_types\n"
        "if sys.argv[1] == 'lean': skops_import.lean_skops()\n"
        "trusted = sorted({f'{m}.{c}' for m, c, _ in file_types(sys.argv[2])})\n"
        "payload = skops_import.skops_io().load(sys.argv[2], trusted=trusted)\n"
        "from skops.io import _trusted_types as t\n"
        "frame = pd.read_csv(sys.argv[3], nrows=300).drop(columns=['event'])\n"
        "np.save(sys.argv[4], payload['pipeline'].predict_proba(frame))\n"
        "print(len(t.SKLEARN_ESTIMATOR_TYPE_NAMES))\n"
    )
    found = {}
    for mode in ("lean", "library"):
        run = subprocess.run(
            [sys.executable, "-c", probe, mode, str(scoring_model), str(small_csv), str(tmp_path / f"{mode}.npy")],
            capture_output=True,
            text=True,
        )
        assert run.returncode == 0, run.stderr[-2000:]
        found[mode] = run.stdout.split()
    assert found["lean"] == ["0"]  # no list built (all_estimators imports every module of scikit-learn)
    assert int(found["library"][0]) > 100  # skops as it is
    np.testing.assert_array_equal(np.load(tmp_path / "lean.npy"), np.load(tmp_path / "library.npy"))


def test_scoring_a_resampled_model_imports_no_imbalanced_learn(small_csv, tmp_path):
    """The final fit keeps its pipeline as it predicts (the sampler a passthrough), so loading and scoring a model
    trained with oversampling imports no imbalanced-learn (~0.3 s of score's start-up) and gives the probabilities
    the trained model gives. A fresh process: this one has imported it."""
    import subprocess
    import sys

    import pandas as pd

    import clickpred
    from clickpred.jobs.train import run_train
    from clickpred.modeling.spec import spec_from_options

    spec = spec_from_options("logistic", "oversample", folds=2)
    out = run_train(small_csv, spec, model_path=tmp_path / "m.skops", report_dir=tmp_path / "report")
    frame = pd.read_csv(small_csv, nrows=300).drop(columns=["event"])
    probe = (
        "import sys, numpy as np, pandas as pd, clickpred\n"
        "model = clickpred.load_model(sys.argv[1])\n"
        "np.save(sys.argv[3], model.predict_proba(pd.read_csv(sys.argv[2], nrows=300).drop(columns=['event'])))\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'imblearn'))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", probe, str(out.model_path), str(small_csv), str(tmp_path / "p.npy")],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip() == "[]"
    np.testing.assert_array_equal(
        np.load(tmp_path / "p.npy"), clickpred.load_model(out.model_path).predict_proba(frame)
    )
