"""scikit-learn's common checks over every public estimator of the package.

The estimators are found by inspecting the package, so that a new estimator
is checked the day it is exported.
"""

import inspect

from _sklearn_checks import run_check
from sklearn.base import BaseEstimator
from sklearn.utils.estimator_checks import parametrize_with_checks

import sklearn_attnrnn


def _public_estimators():
    return [
        obj
        for name in sklearn_attnrnn.__all__
        if inspect.isclass(obj := getattr(sklearn_attnrnn, name))
        and issubclass(obj, BaseEstimator)
    ]


def _expected_failed_checks(estimator):
    # Each estimator may declare checks that cannot apply to it, with the
    # reason, in a `_expected_failed_checks` class attribute.
    return getattr(estimator, "_expected_failed_checks", {})


def test_every_export_is_found():
    names = {cls.__name__ for cls in _public_estimators()}
    assert names >= {
        "AttentionRNNClassifier",
        "AttentionRNNRegressor",
        "CharOneHotEncoder",
    }


def _gated_variants():
    # A gated cell through the same checks: the GRU, whose extra parameter
    # b_hn_ exercises the parameter plumbing most (the LSTM and the other
    # estimators with gated cells: tests/test_cells.py).
    return [sklearn_attnrnn.AttentionRNNClassifier(cell="gru")]


def _delayed_variants():
    # The delayed connection R h_{t-L} through the same checks.
    return [sklearn_attnrnn.AttentionRNNClassifier(delay=2)]


def _fast(estimator):
    """An instance for the common checks, which test the API, not how well the
    defaults train: the RNNs stop as 0.2's defaults did (``max_iter=200``,
    ``n_iter_no_change=10``) with 0.2's ``hidden_size=32``, which keeps these
    checks several times faster than the 500 / 50 / 64 chosen for real data.
    (At H=64, after 200 Adam steps, the rounding differences between weighted
    and repeated samples reach 8e-5 relative, above the sample-weight check's
    1e-7; they are summation order, not a weighting error.)"""
    if "n_iter_no_change" in estimator.get_params():
        estimator.set_params(max_iter=200, n_iter_no_change=10, hidden_size=32)
    return estimator


@parametrize_with_checks(
    [
        _fast(estimator)
        for estimator in [cls() for cls in _public_estimators()]
        + _gated_variants()
        + _delayed_variants()
    ],
    expected_failed_checks=_expected_failed_checks,
)
def test_sklearn_compatible_estimator(estimator, check):
    run_check(check, estimator)
