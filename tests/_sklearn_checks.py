"""scikit-learn's common checks as the tests run them, at every supported version."""

import sklearn
from sklearn.base import clone
from sklearn.datasets import load_iris
from sklearn.utils import get_tags
from sklearn.utils._testing import raises, set_random_state
from sklearn.utils.estimator_checks import (
    _enforce_estimator_tags_X,
    _enforce_estimator_tags_y,
)
from sklearn.utils.fixes import parse_version

_SKLEARN_VERSION = parse_version(parse_version(sklearn.__version__).base_version)


def check_positive_only_tag_during_fit(name, estimator_orig):
    """scikit-learn 1.7.1's version of this check.

    Up to 1.7.0 the check subtracts a float mean in place from the int32 data
    it makes for estimators tagged categorical, and fails before it fits; 1.7.1
    keeps the dtype. Same assertions otherwise.
    """
    estimator = clone(estimator_orig)
    X, y = load_iris(return_X_y=True)
    y = _enforce_estimator_tags_y(estimator, y)
    set_random_state(estimator, 0)
    X = _enforce_estimator_tags_X(estimator, X)
    X -= X.mean().astype(X.dtype)
    if get_tags(estimator).input_tags.positive_only:
        with raises(ValueError, match="Negative values in data"):
            estimator.fit(X, y)
    else:
        estimator.fit(X, y)  # negative values must be accepted


def run_check(check, estimator):
    """Run one check of ``parametrize_with_checks``, fixed where the installed
    scikit-learn's own check is broken."""
    func = getattr(check, "func", check)
    if (
        func.__name__ == "check_positive_only_tag_during_fit"
        and _SKLEARN_VERSION < parse_version("1.7.1")
    ):
        check = check_positive_only_tag_during_fit
        return check(type(estimator).__name__, estimator)
    return check(estimator)
