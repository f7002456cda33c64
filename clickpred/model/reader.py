"""A model file's objects rebuilt by clickpred itself: the skops archive read node by node, each node kind allowed
only the types clickpred writes in it.

A model file stays a skops archive (``skops.io.dump`` writes it, ``skops.io.load`` still opens it), but ``score``
no longer imports skops to read one: importing ``skops.io`` walks ``scipy.special`` and every scikit-learn
estimator to build a default trust list clickpred never uses (0.14–0.29 s of start-up, measured in
``benchmarks/bench_startup.py``), and its loader would rebuild any type a caller trusts through any of its node
kinds. This reader knows the archive's protocol 2 and the fifteen node kinds of :data:`~.allowlist.LOADERS`, and
is stricter than skops on each: a list node builds a ``list``, a dict node a ``dict`` or ``OrderedDict``, an
object node only a type on :data:`~.allowlist.ALLOWED_TYPES` (``__new__`` then its state, as skops does), arrays
through ``numpy.load(allow_pickle=False)``. It runs after :func:`~.allowlist.refused_types` has passed every node
of the schema, and before :mod:`~.payload` checks the objects by value. A file of another protocol is read by
skops' own loader (with the same allowlist as its trust list).

Example
-------
>>> import io, zipfile, json
>>> buffer = io.BytesIO()
>>> with zipfile.ZipFile(buffer, "w") as z:
...     z.writestr("schema.json", json.dumps({"protocol": 2, "__class__": "list", "__module__": "builtins",
...         "__loader__": "ListNode", "content": [{"__class__": "int", "__module__": "builtins",
...         "__loader__": "JsonNode", "content": "1", "__id__": 7}]}))
>>> with zipfile.ZipFile(buffer) as z:
...     read_archive(z)
[1]
"""

from __future__ import annotations

import importlib
import io
import json
import zipfile
from collections import OrderedDict
from functools import partial
from typing import Any

import numpy as np

from .allowlist import ALLOWED_TYPES, LOADERS, allowed

PROTOCOL = 2  # skops' archive protocol this reader knows (skops 0.16 writes it)
_IN_PROGRESS = object()


class ArchiveError(ValueError):
    """A node this reader will not rebuild (the loader turns it into a one-line "corrupt model file" error)."""


def read_archive(archive: zipfile.ZipFile, schema: Any = None) -> Any:
    """The object a skops archive of protocol :data:`PROTOCOL` holds, rebuilt by :class:`_Reader` (``schema``: its
    ``schema.json`` when the caller has already read it)."""
    if schema is None:
        schema = json.loads(archive.read("schema.json"))
    return _Reader(archive).build(schema)


def _import(module: str, name: str) -> Any:
    if not allowed(module, name, None):  # refused_types has passed the file: a second look costs nothing
        raise ArchiveError(f"{module}.{name} is not a type clickpred writes")
    return getattr(importlib.import_module(module), name)


class _Reader:
    def __init__(self, archive: zipfile.ZipFile) -> None:
        self.archive = archive
        self.memo: dict[Any, Any] = {}  # a node's __id__ → what it built: a shared object is built once

    def build(self, node: Any) -> Any:
        if not isinstance(node, dict) or not isinstance(node.get("__loader__"), str):
            raise ArchiveError("a node without its loader")
        key = node.get("__id__")
        if key is not None and key in self.memo:  # as skops: a node seen before is the object built then
            if self.memo[key] is _IN_PROGRESS:
                raise ArchiveError("an object that contains itself")
            return self.memo[key]
        if key is not None:
            self.memo[key] = _IN_PROGRESS
        if node["__loader__"] not in LOADERS:  # refused_types has checked it: the method is looked up by this name
            raise ArchiveError(f"unknown node kind {node['__loader__']!r}")
        build = getattr(self, "_" + node["__loader__"])
        module, name = str(node.get("__module__")), str(node.get("__class__"))
        out = build(node, module, name)
        if key is not None:
            self.memo[key] = out
        return out

    @staticmethod
    def _expect(module: str, name: str, *names: str) -> None:
        if f"{module}.{name}" not in names:
            raise ArchiveError(f"{module}.{name} where {' or '.join(names)} belongs")

    # containers and plain values ------------------------------------------------------------------------------
    def _DictNode(self, node: dict, module: str, name: str) -> dict:
        self._expect(module, name, "builtins.dict", "collections.OrderedDict")
        out: dict = OrderedDict() if name == "OrderedDict" else {}
        key_types, content = self.build(node["key_types"]), node["content"]
        if not isinstance(key_types, list) or not isinstance(content, dict) or len(key_types) != len(content):
            raise ArchiveError("a dict whose keys and key types differ")
        for kind, (k, v) in zip(key_types, content.items()):
            if kind not in (str, int, float, bool):
                raise ArchiveError(f"a dict key of type {kind!r}")
            out[kind(k)] = self.build(v)
        return out

    def _ListNode(self, node: dict, module: str, name: str) -> list:
        self._expect(module, name, "builtins.list")
        return [self.build(v) for v in node["content"]]

    def _TupleNode(self, node: dict, module: str, name: str) -> tuple:
        self._expect(module, name, "builtins.tuple")
        return tuple(self.build(v) for v in node["content"])

    def _SliceNode(self, node: dict, module: str, name: str) -> slice:
        self._expect(module, name, "builtins.slice")
        c = node["content"]
        parts = (c["start"], c["stop"], c["step"])
        if not all(p is None or (isinstance(p, int) and not isinstance(p, bool)) for p in parts):
            raise ArchiveError("a slice of other than whole numbers")
        return slice(*parts)

    def _JsonNode(self, node: dict, module: str, name: str) -> Any:
        if module != "builtins":
            raise ArchiveError(f"{module}.{name} stored as JSON")
        return json.loads(node["content"])

    def _TypeNode(self, node: dict, module: str, name: str) -> type:
        kind = _import(module, name)
        if not isinstance(kind, type):
            raise ArchiveError(f"{module}.{name} is not a type")
        return kind

    def _FunctionNode(self, node: dict, module: str, name: str) -> Any:
        if f"{module}.{name}" not in ALLOWED_TYPES:
            raise ArchiveError(f"function {module}.{name}")
        return _import(module, name)

    def _PartialNode(self, node: dict, module: str, name: str) -> partial:
        self._expect(module, name, "functools.partial")
        c = node["content"]
        func, args, kwds, namespace = (self.build(c[k]) for k in ("func", "args", "kwds", "namespace"))
        if not isinstance(args, tuple) or not isinstance(kwds, dict) or not isinstance(namespace, (dict, type(None))):
            raise ArchiveError("a partial whose arguments are not a tuple and a dict")
        out = partial(func, *args, **kwds)
        if namespace:
            out.__dict__.update(namespace)
        return out

    # objects ----------------------------------------------------------------------------------------------------
    def _ObjectNode(self, node: dict, module: str, name: str) -> Any:
        if f"{module}.{name}" not in ALLOWED_TYPES:
            raise ArchiveError(f"object of type {module}.{name}")
        cls = _import(module, name)
        instance = cls.__new__(cls)  # as skops: no __init__, then the state
        if node.get("content") is not None:
            self._set_state(instance, self.build(node["content"]))
        return instance

    def _LossNode(self, node: dict, module: str, name: str) -> Any:
        if not module.startswith("sklearn._loss.") or f"{module}.{name}" not in ALLOWED_TYPES:
            raise ArchiveError(f"loss of type {module}.{name}")
        args = self.build(node["__reduce__"]["args"])
        if not isinstance(args, tuple):
            raise ArchiveError("a loss whose arguments are not a tuple")
        instance = _import(module, name)(*args)
        attrs = self.build(node["content"])
        if attrs:
            self._set_state(instance, attrs)
        return instance

    @staticmethod
    def _set_state(instance: Any, attrs: Any) -> None:
        if attrs is None:
            return
        if hasattr(instance, "__setstate__"):
            instance.__setstate__(attrs)
        elif isinstance(attrs, dict):
            instance.__dict__.update(attrs)
        else:
            raise ArchiveError(f"the state of a {type(instance).__name__} is not a dict")

    # numpy and scipy ----------------------------------------------------------------------------------------------
    def _NdArrayNode(self, node: dict, module: str, name: str) -> Any:
        if node.get("type") == "numpy":
            array = np.load(io.BytesIO(self.archive.read(node["file"])), allow_pickle=False)
            if f"{module}.{name}" == "numpy.ndarray":
                return array
            scalar = _import(module, name)  # a numpy scalar type (allowed() checks it is one)
            if module != "numpy" or not issubclass(scalar, np.generic):
                raise ArchiveError(f"{module}.{name} stored as an array")
            return scalar(array)
        if node.get("type") == "json":
            self._expect(module, name, "numpy.ndarray")
            items = [self.build(v) for v in node["content"]]
            shape = self.build(node["shape"])
            if len(shape) == 1:
                out = np.empty(len(items), dtype=object)
                for i, v in enumerate(items):
                    out[i] = v
                return out
            return np.array(items, dtype=object)
        raise ArchiveError(f"an array stored as {node.get('type')!r}")

    def _DTypeNode(self, node: dict, module: str, name: str) -> np.dtype:
        self._expect(module, name, "numpy.dtype")
        empty = self.build(node["content"])
        if not isinstance(empty, np.ndarray):
            raise ArchiveError("a dtype not stored as an array")
        return empty.dtype

    def _SparseMatrixNode(self, node: dict, module: str, name: str) -> Any:
        from scipy.sparse import load_npz

        self._expect(module, name, "scipy.sparse._csr.csr_matrix")
        if node.get("type") != "scipy":
            raise ArchiveError(f"a sparse matrix stored as {node.get('type')!r}")
        return load_npz(io.BytesIO(self.archive.read(node["file"])))  # numpy.load without pickle underneath

    def _RandomStateNode(self, node: dict, module: str, name: str) -> np.random.RandomState:
        self._expect(module, name, "numpy.random.mtrand.RandomState")
        out = np.random.RandomState()
        out.set_state(self.build(node["content"]))
        return out

    def _RandomGeneratorNode(self, node: dict, module: str, name: str) -> np.random.Generator:
        self._expect(module, name, "numpy.random._generator.Generator")
        c = node["content"]
        bit_state, seed_state = self.build(c["bit_generator"]), self.build(c["seed_seq"])
        if not isinstance(bit_state, dict) or not isinstance(seed_state, dict):
            raise ArchiveError("a random generator's state is not a dict")
        kind = getattr(np.random, str(bit_state.get("bit_generator")), None)
        if not (isinstance(kind, type) and issubclass(kind, np.random.BitGenerator)):
            raise ArchiveError(f"a random generator of bit generator {bit_state.get('bit_generator')!r}")
        bits = kind(np.random.SeedSequence(**seed_state))
        bits.state = bit_state
        return np.random.Generator(bits)
