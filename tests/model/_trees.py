"""Two object trees compared node for node, and a model file rebuilt by clickpred's reader or by skops' loader (for
tests/model/test_reader.py and test_allowlist.py)."""

import zipfile
from functools import partial
from types import FunctionType

import numpy as np
import skops.io as sio

from clickpred.model.allowlist import file_types
from clickpred.model.reader import read_archive


def skops_read(path):
    return sio.load(path, trusted=sorted({f"{m}.{c}" for m, c, _ in file_types(path)}))


def our_read(path):
    with zipfile.ZipFile(path) as z:
        return read_archive(z)


def assert_same(a, b, where="root", seen=None):
    """Two object trees equal node for node: types, dict keys in order, arrays (dtype, shape, values), objects'
    attributes; a shared object shared the same way."""
    seen = {} if seen is None else seen
    assert type(a) is type(b), f"{where}: {type(a)} vs {type(b)}"
    if id(a) in seen:
        assert seen[id(a)] is b, f"{where}: shared in one tree, not in the other"
        return
    if isinstance(a, (dict, list, tuple, np.ndarray)) or hasattr(a, "__dict__"):
        seen[id(a)] = b
    if isinstance(a, dict):
        assert list(a) == list(b), where
        for k in a:
            assert_same(a[k], b[k], f"{where}.{k}", seen)
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{where}[{i}]", seen)
    elif isinstance(a, np.ndarray):
        assert (a.dtype, a.shape) == (b.dtype, b.shape), where
        if a.dtype == object:
            for i, (x, y) in enumerate(zip(a.ravel(), b.ravel())):
                assert_same(x, y, f"{where}[{i}]", seen)
        else:
            np.testing.assert_array_equal(a, b, err_msg=where)
    elif isinstance(a, np.random.Generator):
        assert a.bit_generator.state == b.bit_generator.state, where
    elif isinstance(a, np.random.RandomState):
        assert_same(a.get_state(legacy=False), b.get_state(legacy=False), where, seen)
    elif isinstance(a, partial):
        for part in ("func", "args", "keywords", "__dict__"):
            assert_same(getattr(a, part), getattr(b, part), f"{where}.{part}", seen)
    elif hasattr(a, "__dict__") and not isinstance(a, (type, FunctionType)):
        assert_same(vars(a), vars(b), f"{where}.{type(a).__name__}", seen)
    elif hasattr(a, "__reduce__") and type(a).__module__.startswith("sklearn._loss"):
        assert a.__reduce__()[1:] == b.__reduce__()[1:], where
    else:
        assert a == b or a is b, f"{where}: {a!r} vs {b!r}"
