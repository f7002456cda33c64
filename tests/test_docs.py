"""The examples in module docstrings run and stay true."""

import doctest
import importlib
import pkgutil

import pytest

import clickpred

MODULES = [m.name for m in pkgutil.iter_modules(clickpred.__path__, "clickpred.") if m.name != "clickpred.cli"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
