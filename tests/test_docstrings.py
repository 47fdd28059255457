"""Every example in the package's docstrings runs and prints what it says."""

import doctest
import importlib
import pkgutil
import warnings

import pytest
from sklearn.exceptions import ConvergenceWarning

import sklearn_attnrnn

MODULES = sorted(
    "sklearn_attnrnn." + info.name
    for info in pkgutil.iter_modules(sklearn_attnrnn.__path__)
)


def test_every_module_is_listed():
    assert "sklearn_attnrnn._network" in MODULES
    assert "sklearn_attnrnn.plotting" in MODULES


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    with warnings.catch_warnings():
        # short examples stop before converging, on purpose
        warnings.simplefilter("ignore", ConvergenceWarning)
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0, f"{result.failed} failing example(s) in {name}"
