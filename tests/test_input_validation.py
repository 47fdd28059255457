"""Every bad input gets a clear ValueError or TypeError and is left untouched.

Each case is one row of a table: how to build the input, which exception and
what its message must say. The input is built fresh for each case, deep
copied, passed to the estimator, and compared with the copy afterwards (NaN
positions included): a failing call must not modify what it was given.
"""

import copy
import functools
import math

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_array_equal
from scipy import sparse
from sklearn.utils._param_validation import InvalidParameterError

from sklearn_attnrnn import (
    AttentionRNNClassifier,
    AttentionRNNRegressor,
    CharOneHotEncoder,
)

pytestmark = [
    pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning"),
    # scikit-learn's type_of_target casts a y with NaN to int before it refuses it.
    pytest.mark.filterwarnings("ignore:invalid value encountered in cast"),
]

N, T, F = 10, 5, 2
ESTIMATORS = [AttentionRNNClassifier, AttentionRNNRegressor]


# --- helpers -----------------------------------------------------------------


def _assert_unchanged(before, after):
    """Deep equality of an input and its copy: types, dtypes, shapes, NaN."""
    assert type(after) is type(before)
    if isinstance(before, np.ndarray) and before.dtype == object:
        assert after.shape == before.shape
        for b, a in zip(before.ravel(), after.ravel(), strict=True):
            _assert_unchanged(b, a)
    elif sparse.issparse(before):
        assert_array_equal(after.toarray(), before.toarray())
    elif isinstance(before, (pd.DataFrame, pd.Series)):
        if isinstance(before, pd.DataFrame):
            assert_array_equal(after.columns, before.columns)
        _assert_unchanged(before.to_numpy(), after.to_numpy())
    elif isinstance(before, np.ndarray):
        assert after.dtype == before.dtype
        assert after.shape == before.shape
        assert_array_equal(after, before)
    elif isinstance(before, (list, tuple)):
        assert len(after) == len(before)
        for b, a in zip(before, after, strict=True):
            _assert_unchanged(b, a)
    elif isinstance(before, dict):
        assert after.keys() == before.keys()
        for key in before:
            _assert_unchanged(before[key], after[key])
    elif isinstance(before, float) and math.isnan(before):
        assert math.isnan(after)
    else:
        assert after == before


def _check_call(func, args, exc, match):
    """func(*args) raises exc matching `match` and leaves args unchanged."""
    saved = copy.deepcopy(args)
    with pytest.raises(exc, match=match) as info:
        func(*args)
    # Never a leaked NumPy error in place of a message of ours.
    assert "broadcast" not in str(info.value)
    assert "index" not in str(info.value).lower()
    _assert_unchanged(saved, args)


def _x3(n=N, t=T, f=F, seed=0):
    return np.random.RandomState(seed).randn(n, t, f)


def _x2(n=N, t=T, seed=0):
    return np.random.RandomState(seed).randn(n, t)


def _ragged(f=F, n=N):
    rng = np.random.RandomState(1)
    return [rng.randn(1 + i % 4, f) for i in range(n)]


def _y(n=N):
    return np.arange(n) % 2


def _with(X, where, value):
    X = X.copy()
    X[where] = value
    return X


def _replace_item(items, i, item):
    items = list(items)
    items[i] = item
    return items


# --- bad X, at fit -----------------------------------------------------------

# (id, X builder, exception, message pattern). The message must name the
# problem, and where it is when it is in one place.
BAD_X = [
    ("1-D", lambda: np.arange(10.0), ValueError, r"got an array with 1 dimension"),
    ("4-D", lambda: np.ones((N, 2, 2, 2)), ValueError, r"with 4 dimension"),
    ("None", lambda: None, ValueError, r"X is None"),
    ("scalar", lambda: 3.0, ValueError, r"got a scalar float"),
    ("string", lambda: "abc", ValueError, r"got a scalar str"),
    ("0 samples 3-D", lambda: np.empty((0, T, F)), ValueError, r"0 sample\(s\)"),
    ("0 samples 2-D", lambda: np.empty((0, T)), ValueError, r"0 sample\(s\)"),
    ("empty list", lambda: [], ValueError, r"0 sample\(s\)"),
    (
        "0 steps 3-D",
        lambda: np.empty((N, 0, F)),
        ValueError,
        r"shape \(10, 0, 2\) has no steps",
    ),
    (
        "0 steps 2-D",
        lambda: np.empty((N, 0)),
        ValueError,
        r"0 feature\(s\) \(shape=\(10, 0\)\)",
    ),
    (
        "0 features 3-D",
        lambda: np.empty((N, T, 0)),
        ValueError,
        r"has no steps or no features",
    ),
    (
        "empty sequence in list",
        lambda: _replace_item(_ragged(), 3, np.empty((0, F))),
        ValueError,
        r"X\[3\] is an empty sequence \(0 steps\)",
    ),
    (
        "all-NaN sequence 3-D",
        lambda: _with(_x3(), 4, np.nan),
        ValueError,
        r"Sample 4 of X is an empty sequence: all its steps are NaN",
    ),
    (
        "all-NaN row 2-D",
        lambda: _with(_x2(), 6, np.nan),
        ValueError,
        r"Sample 6 of X is an empty sequence: all its steps are NaN",
    ),
    (
        "all-NaN sequence in list",
        lambda: _replace_item(_ragged(), 2, np.full((3, F), np.nan)),
        ValueError,
        r"Sample 2 of X is an empty sequence",
    ),
    (
        "NaN in part of a step",
        lambda: _with(_x3(), (2, 1, 0), np.nan),
        ValueError,
        r"NaN at sample 2, step 1, inside the sequence",
    ),
    (
        "NaN in part of the last step",
        lambda: _with(_x3(), (7, T - 1, 1), np.nan),
        ValueError,
        r"NaN at sample 7, step 4, inside the sequence",
    ),
    (
        "NaN step inside a sequence",
        lambda: _with(_x3(), (5, 2), np.nan),
        ValueError,
        r"NaN at sample 5, step 2, inside the sequence",
    ),
    (
        "NaN inside a 2-D row",
        lambda: _with(_x2(), (1, 0), np.nan),
        ValueError,
        r"NaN at sample 1, step 0, inside the sequence",
    ),
    (
        "NaN inside a list item",
        lambda: _replace_item(_ragged(), 1, np.array([[1.0, 2.0], [np.nan, 3.0]])),
        ValueError,
        r"NaN at sample 1, step 1, inside the sequence",
    ),
    (
        "+inf 3-D",
        lambda: _with(_x3(), (1, 1, 1), np.inf),
        ValueError,
        r"Input X contains infinity",
    ),
    ("inf 2-D", lambda: _with(_x2(), (0, 3), np.inf), ValueError, r"infinity"),
    (
        "-inf in a list item",
        lambda: _replace_item(_ragged(), 4, np.array([[0.0, -np.inf]])),
        ValueError,
        r"Input X\[4\] contains infinity",
    ),
    (
        "list of arrays of different feature counts",
        lambda: _replace_item(_ragged(), 6, np.ones((2, 3))),
        ValueError,
        r"same number of features; X\[0\] has 2 and X\[6\] has 3",
    ),
    (
        "object 2-D of mixed types",
        lambda: np.array([[1.0, "a", 2]] * N, dtype=object),
        ValueError,
        r"could not convert string to float: 'a'",
    ),
    (
        "object 3-D of mixed types",
        lambda: np.array([[[1.0, "b"]] * T] * N, dtype=object),
        ValueError,
        r"could not convert string to float: 'b'",
    ),
    (
        "object item of mixed types in a list",
        lambda: _replace_item(_ragged(), 1, np.array([[1.0, "c"]], dtype=object)),
        ValueError,
        r"could not convert string to float: 'c'",
    ),
    (
        "str item in a list of arrays",
        lambda: _replace_item(_ragged(), 1, "abc"),
        TypeError,
        r"item 1 is a str, not a 2-D array",
    ),
    (
        "None item in a list of arrays",
        lambda: _replace_item(_ragged(), 2, None),
        TypeError,
        r"item 2 is a NoneType, not a 2-D array",
    ),
    (
        "1-D item in a list of arrays",
        lambda: _replace_item(_ragged(), 5, np.ones(3)),
        ValueError,
        r"item 5 has 1 dimension\(s\); each sequence must be 2-D",
    ),
    (
        "ragged list of 1-D arrays",
        lambda: [np.ones(2), np.ones(3)] * 5,
        ValueError,
        r"nested list that is not rectangular",
    ),
    ("complex", lambda: _x3() + 1j, ValueError, r"Complex data not supported"),
    ("dict", lambda: {"a": 1}, TypeError, r"X is a dict, not sequences.*values"),
    ("set", lambda: {1.0, 2.0}, TypeError, r"X is a set, not sequences"),
    (
        "object cell holding an array",
        lambda: _with(_x2().astype(object), (3, 2), np.ones(2)),
        ValueError,
        r"X\[3, 2\] holds a ndarray, not a number.*list of 2-D arrays",
    ),
    (
        "object 3-D cell holding a list",
        lambda: _with(_x3().astype(object), (1, 2, 0), [1.0, 2.0]),
        ValueError,
        r"X\[1, 2, 0\] holds a list, not a number",
    ),
    (
        "DataFrame of one column of arrays",
        lambda: pd.DataFrame({"series": list(_x3())}),
        ValueError,
        r"X\[0, 0\] holds a ndarray.*pass the column itself: X\['series'\]",
    ),
    (
        "list of sparse matrices",
        lambda: [sparse.csr_matrix(x) for x in _x3()],
        TypeError,
        r"Sparse data was passed for X\[0\].*toarray",
    ),
    (
        "masked array, mask inside a sequence",
        lambda: np.ma.masked_array(
            _x3(), mask=_with(np.zeros((N, T, F), bool), (2, 1, 0), True)
        ),
        ValueError,
        r"masked array with a masked entry .*\(sample 2, step 1, feature 0\)",
    ),
    (
        "masked array, mask on part of the last step",
        lambda: np.ma.masked_array(
            _x3(), mask=_with(np.zeros((N, T, F), bool), (2, T - 1, 0), True)
        ),
        ValueError,
        r"masked entry inside a sequence \(sample 2, step 4, feature 0\).*whole steps",
    ),
    (
        "masked 2-D, everything masked in a row",
        lambda: np.ma.masked_array(_x2(), mask=_with(np.zeros((N, T), bool), 4, True)),
        ValueError,
        r"X is a masked array with a sequence masked entirely \(sample 4\)",
    ),
    (
        "masked item in a list",
        lambda: _replace_item(
            _ragged(),
            3,
            np.ma.masked_array(np.ones((3, F)), mask=[[0, 0], [1, 0], [0, 0]]),
        ),
        ValueError,
        r"X\[3\] is a masked array with a masked entry .*\(step 1, feature 0\)",
    ),
    (
        "channels-first list",
        lambda: [np.ones((F + 1, 3 + i % 4)) for i in range(N)],
        ValueError,
        r"Every item has 3 rows: if the items are channels-first .*from_channels_first",
    ),
    (
        "1-D object array of 1-D arrays",
        lambda: np.array([np.ones(3), np.ones(2)] * 5, dtype=object),
        ValueError,
        r"item 0 has 1 dimension.*reshape\(-1, 1\)",
    ),
]


@pytest.mark.parametrize("Estimator", ESTIMATORS, ids=lambda c: c.__name__)
@pytest.mark.parametrize(
    "make_X, exc, match",
    [pytest.param(*case[1:], id=case[0]) for case in BAD_X],
)
def test_fit_rejects_bad_X(Estimator, make_X, exc, match):
    est = Estimator(hidden_size=3, max_iter=1)
    _check_call(est.fit, (make_X(), _y()), exc, match)
    assert not hasattr(est, "U_")


# --- bad y and sample_weight, at fit -----------------------------------------

BAD_Y_BOTH = [
    (
        "y shorter than X",
        lambda: _y(7),
        ValueError,
        r"inconsistent numbers of samples: 10 sequences and 7 targets",
    ),
    (
        "y longer than X",
        lambda: _y(12),
        ValueError,
        r"inconsistent numbers of samples: 10 sequences and 12 targets",
    ),
    (
        "empty y",
        lambda: [],
        ValueError,
        r"inconsistent numbers of samples: 10 sequences and 0 targets",
    ),
    (
        "y with NaN",
        lambda: _with(_y().astype(float), 3, np.nan),
        ValueError,
        r"Input y contains NaN",
    ),
    ("y None", lambda: None, ValueError, r"requires y to be passed"),
]

BAD_Y_CLASSIFIER = [
    (
        "a single class",
        lambda: np.zeros(N, dtype=int),
        ValueError,
        r"at least 2 classes .* only one class: 0\.",
    ),
    (
        "a single string class",
        lambda: np.array(["spam"] * N),
        ValueError,
        r"only one class: 'spam'\.",
    ),
    (
        "a single float class",
        lambda: np.ones(N),
        ValueError,
        r"only one class: 1\.0\.",
    ),
    (
        "y 2-D",
        lambda: np.c_[_y(), _y()],
        ValueError,
        r"y should be a 1d array, got an array of shape \(10, 2\)",
    ),
    (
        "continuous y",
        lambda: np.linspace(0, 1, N),
        ValueError,
        r"Unknown label type: continuous",
    ),
]

BAD_Y_REGRESSOR = [
    (
        "y with inf",
        lambda: _with(_y().astype(float), 0, np.inf),
        ValueError,
        r"Input y contains infinity",
    ),
    (
        "y of strings",
        lambda: np.array(list("abababaaba")),
        ValueError,
        r"not compatible with arrays of bytes/strings",
    ),
    ("y 3-D", lambda: np.ones((N, 2, 2)), ValueError, r"dim 3"),
]


@pytest.mark.parametrize(
    "Estimator, make_y, exc, match",
    [
        pytest.param(Est, *case[1:], id=f"{Est.__name__}-{case[0]}")
        for Est in ESTIMATORS
        for case in BAD_Y_BOTH
    ]
    + [
        pytest.param(AttentionRNNClassifier, *case[1:], id=case[0])
        for case in BAD_Y_CLASSIFIER
    ]
    + [
        pytest.param(AttentionRNNRegressor, *case[1:], id=case[0])
        for case in BAD_Y_REGRESSOR
    ],
)
def test_fit_rejects_bad_y(Estimator, make_y, exc, match):
    est = Estimator(hidden_size=3, max_iter=1)
    _check_call(est.fit, (_x3(), make_y()), exc, match)
    assert not hasattr(est, "U_")


@pytest.mark.parametrize("Estimator", ESTIMATORS, ids=lambda c: c.__name__)
@pytest.mark.parametrize(
    "make_weight, match",
    [
        pytest.param(lambda: -np.ones(N), r"must not be negative", id="negative"),
        pytest.param(
            lambda: np.ones(3),
            r"sample_weight.shape == \(3,\), expected \(10,\)",
            id="wrong length",
        ),
        pytest.param(
            lambda: np.zeros(N),
            r"must contain at least one non-zero number",
            id="all zero",
        ),
        pytest.param(
            lambda: _with(np.ones(N), 2, np.nan),
            r"Input sample_weight contains NaN",
            id="NaN in sample_weight",
        ),
    ],
)
def test_fit_rejects_bad_sample_weight(Estimator, make_weight, match):
    est = Estimator(hidden_size=3, max_iter=1)
    _check_call(est.fit, (_x3(), _y(), make_weight()), ValueError, match)


# --- invalid hyperparameters -------------------------------------------------

BAD_PARAMS = [
    ({"hidden_size": 0}, r"'hidden_size' parameter .* int in the range \[1, inf\)"),
    ({"hidden_size": 2.5}, r"'hidden_size' parameter .* Got 2\.5"),
    ({"attention": "yes"}, r"'attention' parameter .* instance of 'bool'"),
    ({"attention_scores": "cos"}, r"'attention_scores' parameter .* \{'.*dot"),
    ({"solver": "rmsprop"}, r"'solver' parameter .* Got 'rmsprop'"),
    ({"alpha": -1.0}, r"'alpha' parameter .* range \[0\.0, inf\)"),
    ({"batch_size": 0}, r"'batch_size' parameter .* Got 0 instead"),
    ({"batch_size": "big"}, r"'batch_size' parameter .* Got 'big'"),
    ({"learning_rate": 0.0}, r"'learning_rate' parameter .* range \(0\.0, inf\)"),
    ({"learning_rate_schedule": "cosine"}, r"'learning_rate_schedule' parameter"),
    ({"max_iter": 0}, r"'max_iter' parameter .* range \[1, inf\)"),
    ({"tol": -1e-3}, r"'tol' parameter"),
    ({"momentum": 1.5}, r"'momentum' parameter .* range \[0\.0, 1\.0\]"),
    ({"validation_fraction": 1.0}, r"'validation_fraction' parameter"),
    ({"beta_1": 1.0}, r"'beta_1' parameter .* range \[0\.0, 1\.0\)"),
    ({"beta_2": -0.1}, r"'beta_2' parameter"),
    ({"epsilon": 0.0}, r"'epsilon' parameter"),
    ({"n_iter_no_change": 0}, r"'n_iter_no_change' parameter"),
    ({"max_fun": 0}, r"'max_fun' parameter"),
    ({"max_grad_norm": 0.0}, r"'max_grad_norm' parameter .* or None"),
    ({"shuffle": "no"}, r"'shuffle' parameter"),
    ({"random_state": "seed"}, r"'random_state' parameter"),
]


@pytest.mark.parametrize("Estimator", ESTIMATORS, ids=lambda c: c.__name__)
@pytest.mark.parametrize(
    "params, match",
    [pytest.param(p, m, id=next(iter(p))) for p, m in BAD_PARAMS],
)
def test_fit_rejects_invalid_hyperparameters(Estimator, params, match):
    est = Estimator(**params)
    X, y = _x3(), _y()
    _check_call(est.fit, (X, y), InvalidParameterError, match)
    assert not hasattr(est, "U_")


def test_classifier_rejects_invalid_class_weight():
    est = AttentionRNNClassifier(class_weight="uniform")
    _check_call(
        est.fit, (_x3(), _y()), InvalidParameterError, r"'class_weight' parameter"
    )


# --- bad input to a fitted estimator -----------------------------------------


@functools.cache
def _fitted(name):
    """Small fitted models, shared by the cases (predict does not modify them)."""
    X3 = _ragged()
    if name == "classifier":
        return AttentionRNNClassifier(hidden_size=3, max_iter=2, random_state=0).fit(
            X3, _y()
        )
    if name == "regressor":
        return AttentionRNNRegressor(hidden_size=3, max_iter=2, random_state=0).fit(
            X3, _y().astype(float)
        )
    if name == "classifier 2-D":
        return AttentionRNNClassifier(hidden_size=3, max_iter=2, random_state=0).fit(
            _x2(), _y()
        )
    raise KeyError(name)


# Applies to every prediction method of a model fitted on F=2 features.
BAD_X_AT_PREDICT = [
    case
    for case in BAD_X
    if case[0]
    not in {
        # 2-D input to a multivariate model fails first on its form (below).
        "0 samples 2-D",
        "0 steps 2-D",
        "all-NaN row 2-D",
        "NaN inside a 2-D row",
        "inf 2-D",
        "object 2-D of mixed types",
        "ragged list of 1-D arrays",
        "object cell holding an array",
        "DataFrame of one column of arrays",
    }
] + [
    (
        "3-D with another number of features",
        lambda: _x3(f=3),
        ValueError,
        r"X has 3 features, but AttentionRNN\w+ is expecting 2 features",
    ),
    (
        "list with another number of features",
        lambda: [np.ones((4, 1)), np.ones((2, 1))],
        ValueError,
        r"X has 1 features, but AttentionRNN\w+ is expecting 2 features",
    ),
    (
        "2-D to a model of 2 features per step",
        lambda: _x2(),
        ValueError,
        r"X is 2-D, which means univariate sequences .* fitted on sequences "
        r"with 2 features per step",
    ),
]

METHODS = {
    "classifier": [
        "predict",
        "predict_proba",
        "predict_log_proba",
        "attention_weights",
    ],
    "regressor": ["predict", "attention_weights"],
}


@pytest.mark.parametrize(
    "model, method",
    [(model, method) for model, methods in METHODS.items() for method in methods],
)
@pytest.mark.parametrize(
    "make_X, exc, match",
    [pytest.param(*case[1:], id=case[0]) for case in BAD_X_AT_PREDICT],
)
def test_prediction_rejects_bad_X(model, method, make_X, exc, match):
    est = _fitted(model)
    before = {k: getattr(est, k).copy() for k in ("U_", "W_", "b_", "V_", "c_")}
    _check_call(getattr(est, method), (make_X(),), exc, match)
    for k, value in before.items():
        assert_array_equal(getattr(est, k), value)


@pytest.mark.parametrize(
    "make_X, match",
    [
        pytest.param(
            lambda: _x2(t=T + 1),
            r"X has 6 features, but AttentionRNNClassifier is expecting 5 features",
            id="2-D of another width",
        ),
        pytest.param(
            lambda: _x3(f=3),
            r"X has 3 features, but AttentionRNNClassifier is expecting 1 features",
            id="3-D of several features",
        ),
    ],
)
def test_prediction_rejects_wrong_width_for_a_2d_fit(make_X, match):
    est = _fitted("classifier 2-D")
    for method in ("predict", "predict_proba", "attention_weights"):
        _check_call(getattr(est, method), (make_X(),), ValueError, match)


def test_score_rejects_bad_X_and_y():
    est = _fitted("classifier")
    _check_call(est.score, (_x3(f=3), _y()), ValueError, r"X has 3 features")
    _check_call(est.score, (_ragged(), _y(7)), ValueError, r"inconsistent numbers")


def test_attention_weights_without_attention():
    est = AttentionRNNClassifier(hidden_size=2, attention=False, max_iter=1)
    est.fit(_x3(), _y())
    _check_call(
        est.attention_weights, (_x3(),), ValueError, r"fitted with attention=False"
    )


@pytest.mark.parametrize(
    "method, make_args, match",
    [
        pytest.param(
            "partial_fit",
            lambda: (_x3(), _with(_y(), 0, 7)),
            r"y contains labels not in classes_ \[0, 1\]: \[7\]",
            id="partial_fit unseen label",
        ),
        pytest.param(
            "partial_fit",
            lambda: (_x3(f=4), _y()),
            r"X has 4 features, but AttentionRNNClassifier is expecting 2",
            id="partial_fit other features",
        ),
        pytest.param(
            "partial_fit",
            lambda: (_with(_x3(), (0, 0, 0), np.nan), _y()),
            r"NaN at sample 0, step 0",
            id="partial_fit NaN inside",
        ),
    ],
)
def test_continued_training_rejects_bad_input(method, make_args, match):
    est = AttentionRNNClassifier(hidden_size=3, max_iter=1, random_state=0)
    est.fit(_x3(), _y())
    U = est.U_.copy()
    _check_call(getattr(est, method), make_args(), ValueError, match)
    assert_array_equal(est.U_, U)


def test_warm_start_rejects_another_hidden_size():
    est = AttentionRNNRegressor(hidden_size=3, max_iter=1, warm_start=True)
    est.fit(_x3(), _y())
    est.set_params(hidden_size=5)
    _check_call(
        est.fit,
        (_x3(), _y()),
        ValueError,
        r"hidden_size=5 differs from the fitted 3",
    )


@pytest.mark.parametrize(
    "classes, match",
    [
        pytest.param([], r"contains no class at all", id="no class"),
        pytest.param(["b"], r"contains only one class: 'b'", id="one class"),
    ],
)
def test_partial_fit_rejects_fewer_than_two_classes(classes, match):
    est = AttentionRNNClassifier(hidden_size=2)
    y = np.array(["b"] * N)
    _check_call(est.partial_fit, (_x3(), y, classes), ValueError, match)
    assert not hasattr(est, "U_")


def test_partial_fit_rejects_early_stopping():
    est = AttentionRNNClassifier(early_stopping=True)
    _check_call(
        est.partial_fit,
        (_x3(), _y(), [0, 1]),
        ValueError,
        r"partial_fit does not support early_stopping=True",
    )


# --- CharOneHotEncoder -------------------------------------------------------

TEXTS = ["hello", "hi", "hey"]

BAD_TEXT_FIT = [
    ("None", {}, lambda: None, ValueError, r"X is None"),
    ("a single string", {}, lambda: "hello", ValueError, r"X is a single string"),
    (
        "1-D numbers",
        {},
        lambda: np.arange(3),
        ValueError,
        r"1-D array of int64; expected strings",
    ),
    ("3-D", {}, lambda: np.ones((2, 2, 2)), ValueError, r"X has 3 dimensions"),
    ("empty list", {}, lambda: [], ValueError, r"0 sample\(s\)"),
    (
        "empty string",
        {},
        lambda: ["ab", ""],
        ValueError,
        r"Sample 1 of X is an empty string",
    ),
    (
        "int among strings",
        {},
        lambda: ["ab", 3],
        TypeError,
        r"Sample 1 of X is of type int \(3\), not str",
    ),
    (
        "None among strings",
        {},
        lambda: ["ab", "c", None],
        TypeError,
        r"Sample 2 of X is of type NoneType .* Missing values are not supported",
    ),
    (
        "NaN among strings",
        {},
        lambda: [np.nan, "ab"],
        TypeError,
        r"Sample 0 of X is of type float \(nan\)",
    ),
    (
        "bytes among strings",
        {},
        lambda: ["ab", b"cd"],
        TypeError,
        r"Sample 1 of X is of type bytes",
    ),
    (
        "ragged lists of symbols",
        {},
        lambda: [["a", "b"], ["c"]],
        TypeError,
        r"must be given as a rectangular 2-D array",
    ),
    (
        "longer than max_length",
        {"max_length": 3},
        lambda: ["abc", "abcd"],
        ValueError,
        r"Sample 1 of X has length 4, longer than the 3 steps allowed",
    ),
    (
        "NaN in 2-D symbols",
        {},
        lambda: np.array([[1.0, np.nan], [2.0, 3.0]]),
        ValueError,
        r"Input X contains NaN",
    ),
    (
        "inf in 2-D symbols",
        {},
        lambda: np.array([[1.0, np.inf]]),
        ValueError,
        r"infinity",
    ),
    (
        "None in 2-D symbols",
        {},
        lambda: np.array([["a", "b"], ["c", None]], dtype=object),
        ValueError,
        r"X\[1, 1\] is None",
    ),
    (
        "max_length=0",
        {"max_length": 0},
        lambda: TEXTS,
        InvalidParameterError,
        r"'max_length' parameter .* range \[1, inf\) or None",
    ),
    (
        "handle_unknown='warn'",
        {"handle_unknown": "warn"},
        lambda: TEXTS,
        InvalidParameterError,
        r"'handle_unknown' parameter .* Got 'warn'",
    ),
    (
        "dtype=int32",
        {"dtype": np.int32},
        lambda: TEXTS,
        InvalidParameterError,
        r"'dtype' parameter",
    ),
]


@pytest.mark.parametrize(
    "params, make_X, exc, match",
    [pytest.param(*case[1:], id=case[0]) for case in BAD_TEXT_FIT],
)
def test_encoder_fit_rejects_bad_input(params, make_X, exc, match):
    enc = CharOneHotEncoder(**params)
    _check_call(enc.fit, (make_X(),), exc, match)
    assert not hasattr(enc, "categories_")


@functools.cache
def _fitted_encoder(form):
    if form == "texts":
        return CharOneHotEncoder().fit(TEXTS)
    return CharOneHotEncoder().fit(np.array([[1, 2, 3], [3, 2, 2]]))


BAD_TEXT_TRANSFORM = [
    (
        "unknown characters",
        "texts",
        lambda: ["hi", "hez", "yo"],
        ValueError,
        r"Sample 1 of X contains symbol\(s\) not in the symbols seen in fit "
        r"\(categories_\): \['z'\]",
    ),
    (
        "longer than the longest text of fit",
        "texts",
        lambda: ["hi", "hellohello"],
        ValueError,
        r"Sample 1 of X has length 10, longer than the 5 steps allowed",
    ),
    (
        "int among strings",
        "texts",
        lambda: ["hi", 7],
        TypeError,
        r"Sample 1 of X is of type int \(7\), not str",
    ),
    (
        "list among strings",
        "texts",
        lambda: np.array(["hi", ["h", "i"]], dtype=object),
        TypeError,
        r"Sample 1 of X is of type list",
    ),
    (
        "2-D to a text encoder",
        "texts",
        lambda: np.array([["h", "i"]]),
        ValueError,
        r"fitted on a 1-D array of texts, but X is 2-D",
    ),
    (
        "empty string",
        "texts",
        lambda: ["hi", ""],
        ValueError,
        r"Sample 1 of X is an empty string",
    ),
    (
        "unknown symbols",
        "symbols",
        lambda: np.array([[1, 2, 9]]),
        ValueError,
        r"Sample 0 of X contains symbol\(s\) not in the symbols seen in fit "
        r"\(categories_\): \[9\]",
    ),
    (
        "2-D of another width",
        "symbols",
        lambda: np.array([[1, 2]]),
        ValueError,
        r"X has 2 features, but CharOneHotEncoder is expecting 3",
    ),
    (
        "strings to a numeric-symbol encoder",
        "symbols",
        lambda: np.array([["a", "b", "c"]]),
        TypeError,
        r"fitted on symbols that are numbers, but X contains strings",
    ),
]


@pytest.mark.parametrize(
    "form, make_X, exc, match",
    [pytest.param(*case[1:], id=case[0]) for case in BAD_TEXT_TRANSFORM],
)
def test_encoder_transform_rejects_bad_input(form, make_X, exc, match):
    enc = _fitted_encoder(form)
    _check_call(enc.transform, (make_X(),), exc, match)


@pytest.mark.parametrize(
    "make_X, match",
    [
        pytest.param(
            lambda: np.ones((2, 3)),
            r"shape \(2, 3\); expected a 3-D array of shape \(n_samples, n_steps, 6\)",
            id="2-D",
        ),
        pytest.param(
            lambda: np.ones((1, 2, 4)), r"\(n_samples, n_steps, 6\)", id="features"
        ),
        pytest.param(
            lambda: _with(np.zeros((1, 3, 6)), (0, 1, 2), np.nan),
            r"NaN in some but not all features of sample 0, step 1",
            id="partial NaN step",
        ),
    ],
)
def test_encoder_inverse_transform_rejects_bad_input(make_X, match):
    enc = _fitted_encoder("texts")
    _check_call(enc.inverse_transform, (make_X(),), ValueError, match)


# --- the harness itself ------------------------------------------------------


def test_unchanged_check_sees_a_modified_input():
    """The comparison used above detects an in-place change, NaN included."""
    X = [np.array([[1.0, np.nan]]), np.ones((2, 2))]
    saved = copy.deepcopy(X)
    _assert_unchanged(saved, X)
    X[0][0, 1] = 0.0
    with pytest.raises(AssertionError):
        _assert_unchanged(saved, X)
    with pytest.raises(AssertionError):
        _assert_unchanged([np.ones(2)], [np.ones(2, dtype=np.float32)])


# --- containers and labels that need a word of explanation --------------------


@pytest.mark.parametrize("Estimator", ESTIMATORS, ids=lambda c: c.__name__)
def test_a_generator_as_X_is_refused_with_the_fix(Estimator):
    with pytest.raises(TypeError, match=r"X is a generator.*pass list\(X\)"):
        Estimator(hidden_size=3, max_iter=1).fit((x for x in _x3()), _y())


@pytest.mark.parametrize(
    "y, classes, match",
    [
        (np.array(["a", 1] * (N // 2), dtype=object), None, r"y mixes .*int, str"),
        (np.array([1, "a"] * (N // 2), dtype=object), None, r"y mixes .*int, str"),
        (np.array([1.5, "b"] * (N // 2), dtype=object), None, r"float, str"),
        (_y(), np.array([0, "1"], dtype=object), r"classes mixes .*int, str"),
    ],
)
def test_mixed_type_labels_are_refused_with_the_fix(y, classes, match):
    est = AttentionRNNClassifier(hidden_size=3, max_iter=1)
    method = est.fit if classes is None else est.partial_fit
    kwargs = {} if classes is None else {"classes": classes}
    with pytest.raises(TypeError, match=match + r".*astype\(str\)"):
        method(_x3(), y, **kwargs)
    assert not hasattr(est, "classes_")


@pytest.mark.parametrize(
    "n_samples, n_classes, fraction, match",
    [
        # the stratified split needs one validation sample per class
        (
            10,
            3,
            0.1,
            r"0\.1 of the 10 samples: 1 for valid.*at least 3, and the "
            r"split is stratified over 3 classes.*\(to 0\.3 or more",
        ),
        # and one training sample per class
        (10, 3, 0.8, r"8 for validation and 2 for training"),
        (19, 2, 0.05, r"1 for validation .* at least 2"),
    ],
)
def test_a_too_small_validation_split_names_validation_fraction(
    n_samples, n_classes, fraction, match
):
    est = AttentionRNNClassifier(
        hidden_size=3, max_iter=1, early_stopping=True, validation_fraction=fraction
    )
    y = np.arange(n_samples) % n_classes
    with pytest.raises(ValueError, match=match + r".*early_stopping=False"):
        est.fit(_x3(n=n_samples), y)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_the_smallest_validation_fraction_the_message_names_works():
    est = AttentionRNNClassifier(
        hidden_size=3, max_iter=1, early_stopping=True, validation_fraction=0.3
    )
    est.fit(_x3(n=10), np.arange(10) % 3)
    assert len(est.validation_scores_) == 1
