"""Tests of CharOneHotEncoder: exact encodings, input forms, errors, sklearn API."""

import pickle

import numpy as np
import pandas as pd
import pytest
from _sklearn_checks import run_check
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_array_equal
from sklearn import config_context
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import NotFittedError
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_attnrnn import CharLanguageModel
from sklearn_attnrnn._text import CharOneHotEncoder

NAN_ROW = [np.nan] * 5
# One-hot rows over the categories ['e', 'h', 'i', 'l', 'o'].
ROW = dict(zip("ehilo", np.eye(5).tolist(), strict=True))
HELLO = [ROW["h"], ROW["e"], ROW["l"], ROW["l"], ROW["o"]]
HI = [ROW["h"], ROW["i"], NAN_ROW, NAN_ROW, NAN_ROW]


@parametrize_with_checks(
    [
        CharOneHotEncoder(),
        CharOneHotEncoder(max_length=12, handle_unknown="ignore", dtype=np.float32),
    ]
)
def test_sklearn_compatible(estimator, check):
    run_check(check, estimator)


# --- exact encodings --------------------------------------------------------


def test_hello_hi_exact_one_hot():
    enc = CharOneHotEncoder()
    X = enc.fit_transform(["hello", "hi"])
    assert_array_equal(enc.categories_, ["e", "h", "i", "l", "o"])
    assert enc.categories_.ndim == 1
    assert enc.max_length_ == 5
    assert X.shape == (2, 5, 5)
    assert X.dtype == np.float64
    assert_array_equal(X[0], HELLO)
    assert_array_equal(X[1], HI)  # assert_array_equal treats NaN == NaN
    assert np.isnan(X[1, 2:]).all()
    assert not np.isnan(X[0]).any()


def test_fit_transform_equals_fit_then_transform():
    texts = ["hello", "hi", "oh"]
    enc = CharOneHotEncoder()
    assert_array_equal(enc.fit_transform(texts), enc.fit(texts).transform(texts))


def test_max_length_pads_with_nan_steps():
    X = CharOneHotEncoder(max_length=7).fit_transform(["hello", "hi"])
    assert X.shape == (2, 7, 5)
    assert_array_equal(X[0], HELLO + [NAN_ROW, NAN_ROW])
    assert_array_equal(X[1], HI + [NAN_ROW, NAN_ROW])


def test_max_length_shorter_than_fit_data_raises():
    msg = r"Sample 0 of X has length 5, longer than the 3 steps allowed \(max_length\)"
    with pytest.raises(ValueError, match=msg):
        CharOneHotEncoder(max_length=3).fit(["hello", "hi"])


def test_too_long_sequence_at_transform_raises():
    enc = CharOneHotEncoder().fit(["hello", "hi"])
    msg = (
        r"Sample 1 of X has length 6, longer than the 5 steps allowed "
        r"\(max_length=None: the longest sequence seen in fit\)"
    )
    with pytest.raises(ValueError, match=msg):
        enc.transform(["hi", "hohoho"])
    # An explicit max_length is the limit instead of the fit data.
    enc = CharOneHotEncoder(max_length=6).fit(["hello", "hi"])
    assert enc.transform(["hi", "hohoho"]).shape == (2, 6, 5)
    with pytest.raises(ValueError, match=r"length 7, longer than the 6 steps"):
        enc.transform(["hohohoh"])


def test_handle_unknown_error_names_symbols_and_sample():
    enc = CharOneHotEncoder().fit(["hello", "hi"])
    msg = (
        r"Sample 1 of X contains symbol\(s\) not in the symbols seen in fit "
        r"\(categories_\): \['x', 'z'\]"
    )
    with pytest.raises(ValueError, match=msg):
        enc.transform(["hi", "zex", "q"])


def test_handle_unknown_ignore_gives_all_zero_steps():
    enc = CharOneHotEncoder(handle_unknown="ignore").fit(["hello", "hi"])
    X = enc.transform(["hxi", "zz"])
    zero = [0.0] * 5
    assert_array_equal(X[0], [ROW["h"], zero, ROW["i"], NAN_ROW, NAN_ROW])
    assert_array_equal(X[1], [zero, zero, NAN_ROW, NAN_ROW, NAN_ROW])


def test_dtype_float32():
    X = CharOneHotEncoder(dtype=np.float32).fit_transform(["hello", "hi"])
    assert X.dtype == np.float32
    assert_array_equal(X[0], HELLO)
    assert_array_equal(X[1], HI)


def test_unicode_and_nul_characters_are_symbols():
    texts = ["a\x00b", "\U0001f600é"]
    enc = CharOneHotEncoder().fit(texts)
    assert enc.categories_.tolist() == ["\x00", "a", "b", "é", "\U0001f600"]
    X = enc.transform(texts)
    assert_array_equal(X.argmax(axis=2)[0], [1, 0, 2])
    assert_array_equal(enc.inverse_transform(X), texts)


# --- input forms --------------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        list,
        tuple,
        np.array,
        lambda t: np.array(t, dtype=object),
        pd.Series,
        lambda t: pd.Series(t, index=[10, 3], name="text"),
        lambda t: pd.Series(t, dtype="category"),
    ],
    ids=["list", "tuple", "ndarray-str", "ndarray-object", "series", "series-index",
         "series-category"],
)  # fmt: skip
def test_1d_text_forms_give_the_same_output(make):
    enc = CharOneHotEncoder()
    X = enc.fit_transform(make(["hello", "hi"]))
    assert_array_equal(X[0], HELLO)
    assert_array_equal(X[1], HI)
    # Like CountVectorizer: 1-D text has no columns to count or name.
    assert not hasattr(enc, "n_features_in_")
    assert not hasattr(enc, "feature_names_in_")


@pytest.mark.parametrize(
    "X2d",
    [
        pd.DataFrame({"text": ["hello", "hi"]}),
        np.array([["hello"], ["hi"]]),
        np.array([["hello"], ["hi"]], dtype=object),
        [["hello"], ["hi"]],
    ],
    ids=["dataframe", "ndarray-str", "ndarray-object", "list"],
)
def test_single_column_of_strings_is_one_text_per_row(X2d):
    enc = CharOneHotEncoder()
    X = enc.fit_transform(X2d)
    assert_array_equal(enc.categories_, ["e", "h", "i", "l", "o"])
    assert_array_equal(X[0], HELLO)
    assert_array_equal(X[1], HI)
    assert enc.n_features_in_ == 1
    if isinstance(X2d, pd.DataFrame):
        assert_array_equal(enc.feature_names_in_, ["text"])


def test_dataframe_column_name_is_checked_at_transform():
    enc = CharOneHotEncoder().fit(pd.DataFrame({"text": ["hello", "hi"]}))
    with pytest.raises(ValueError, match="feature names should match"):
        enc.transform(pd.DataFrame({"other": ["hi"]}))


def test_2d_numeric_symbols():
    X_in = np.array([[3, 1, 2], [1, 1, 3]])
    enc = CharOneHotEncoder()
    X = enc.fit_transform(X_in)
    assert_array_equal(enc.categories_, [1, 2, 3])
    assert enc.categories_.dtype == X_in.dtype
    assert enc.n_features_in_ == 3
    assert enc.max_length_ == 3
    assert_array_equal(
        X,
        [
            [[0, 0, 1], [1, 0, 0], [0, 1, 0]],
            [[1, 0, 0], [1, 0, 0], [0, 0, 1]],
        ],
    )
    assert_array_equal(enc.get_feature_names_out(), ["char_1", "char_2", "char_3"])


def test_2d_float_symbols_and_max_length():
    enc = CharOneHotEncoder(max_length=3).fit([[0.5, -1.0], [2.0, 0.5]])
    assert_array_equal(enc.categories_, [-1.0, 0.5, 2.0])
    assert_array_equal(
        enc.transform([[2.0, -1.0]]), [[[0, 0, 1], [1, 0, 0], [np.nan] * 3]]
    )
    assert_array_equal(
        enc.get_feature_names_out(), ["char_-1.0", "char_0.5", "char_2.0"]
    )


def test_2d_string_symbols_are_whole_cells():
    X_in = np.array([["ab", "c", "ab"], ["c", "c", "d"]])
    enc = CharOneHotEncoder()
    X = enc.fit_transform(X_in)
    assert_array_equal(enc.categories_, ["ab", "c", "d"])
    assert enc.categories_.dtype == object
    assert_array_equal(
        X,
        [
            [[1, 0, 0], [0, 1, 0], [1, 0, 0]],
            [[0, 1, 0], [0, 1, 0], [0, 0, 1]],
        ],
    )
    assert_array_equal(enc.get_feature_names_out(), ["char_ab", "char_c", "char_d"])


def test_2d_dataframe_sets_feature_names_in():
    df = pd.DataFrame({"t0": [1, 2], "t1": [2, 2]})
    enc = CharOneHotEncoder().fit(df)
    assert_array_equal(enc.feature_names_in_, ["t0", "t1"])
    assert enc.n_features_in_ == 2
    assert_array_equal(enc.transform(df), [[[1, 0], [0, 1]], [[0, 1], [0, 1]]])


def test_2d_object_array_of_numbers_is_numeric():
    enc = CharOneHotEncoder().fit(np.array([[1, 2.5], [2.5, 1]], dtype=object))
    assert enc.categories_.dtype.kind == "f"
    assert_array_equal(enc.categories_, [1.0, 2.5])


def test_2d_mixed_cells_compare_as_text():
    # Documented: like np.asarray on a mixed list, non-strings become str(cell).
    enc = CharOneHotEncoder().fit(np.array([[1, "a"], ["b", 1]], dtype=object))
    assert enc.categories_.tolist() == ["1", "a", "b"]


def test_column_transformer_hands_over_a_text_column_but_rejects_3d_output():
    df = pd.DataFrame({"text": ["hello", "hi"], "n": [1.0, 2.0]})
    # The selections a ColumnTransformer passes on: a 1-column DataFrame for a
    # list of columns, a Series for a single column name.
    assert_array_equal(CharOneHotEncoder().fit_transform(df[["text"]])[1], HI)
    assert_array_equal(CharOneHotEncoder().fit_transform(df["text"])[1], HI)
    # ColumnTransformer itself requires 2-D outputs from its transformers, so
    # a 3-D encoding cannot be one of them (sklearn's _validate_output).
    ct = ColumnTransformer([("chars", CharOneHotEncoder(), ["text"])])
    with pytest.raises(ValueError, match="should be 2D"):
        ct.fit_transform(df)


def test_output_is_never_a_dataframe():
    enc = CharOneHotEncoder()
    assert not hasattr(enc, "set_output")
    with config_context(transform_output="pandas"):
        X = enc.fit_transform(pd.DataFrame({"text": ["hello", "hi"]}))
    assert isinstance(X, np.ndarray) and X.shape == (2, 5, 5)


def test_refit_on_text_forgets_2d_feature_names():
    enc = CharOneHotEncoder().fit(pd.DataFrame({"a": [1, 2], "b": [2, 1]}))
    enc.fit(["hello", "hi"])
    assert not hasattr(enc, "n_features_in_")
    assert not hasattr(enc, "feature_names_in_")


# --- feature names ------------------------------------------------------------


def test_get_feature_names_out_text():
    enc = CharOneHotEncoder().fit(["hello", "hi"])
    names = enc.get_feature_names_out()
    assert names.dtype == object
    assert_array_equal(names, ["char_e", "char_h", "char_i", "char_l", "char_o"])
    # 1-D text has no input features: input_features is not used.
    assert_array_equal(enc.get_feature_names_out(["anything"]), names)


def test_get_feature_names_out_checks_input_features_for_2d():
    enc = CharOneHotEncoder().fit(pd.DataFrame({"a": [1, 2], "b": [2, 1]}))
    assert_array_equal(enc.get_feature_names_out(["a", "b"]), ["char_1", "char_2"])
    with pytest.raises(ValueError, match="input_features is not equal"):
        enc.get_feature_names_out(["b", "a"])
    enc = CharOneHotEncoder().fit(np.array([[1, 2], [2, 1]]))
    with pytest.raises(ValueError, match="input_features should have length"):
        enc.get_feature_names_out(["a"])


def test_get_feature_names_out_before_fit():
    with pytest.raises(NotFittedError):
        CharOneHotEncoder().get_feature_names_out()


# --- inverse_transform --------------------------------------------------------


@pytest.mark.parametrize(
    "texts", [["hello", "hi"], np.array(["hello", "hi"]), pd.Series(["hello", "hi"])]
)
def test_inverse_transform_1d_text(texts):
    enc = CharOneHotEncoder()
    out = enc.inverse_transform(enc.fit_transform(texts))
    assert isinstance(out, np.ndarray)
    assert out.shape == (2,) and out.dtype == object
    assert out.tolist() == ["hello", "hi"]
    assert all(type(s) is str for s in out)


def test_inverse_transform_single_text_column():
    enc = CharOneHotEncoder()
    out = enc.inverse_transform(enc.fit_transform(pd.DataFrame({"t": ["hi", "oh"]})))
    assert out.shape == (2, 1) and out.dtype == object
    assert out.tolist() == [["hi"], ["oh"]]


def test_inverse_transform_2d_symbols():
    X_num = np.array([[3, 1, 2], [1, 1, 3]])
    enc = CharOneHotEncoder(max_length=5)
    out = enc.inverse_transform(enc.fit_transform(X_num))
    assert out.shape == (2, 3) and out.dtype == object
    assert out.tolist() == X_num.tolist()

    X_str = np.array([["ab", "c"], ["c", "d"]])
    enc = CharOneHotEncoder()
    out = enc.inverse_transform(enc.fit_transform(X_str))
    assert out.tolist() == X_str.tolist()


def test_inverse_transform_unknown_steps():
    enc = CharOneHotEncoder(handle_unknown="ignore").fit(["hello", "hi"])
    # An unknown character (all-zero step) decodes to '' in a text.
    assert enc.inverse_transform(enc.transform(["hxi"])).tolist() == ["hi"]

    enc = CharOneHotEncoder(handle_unknown="ignore").fit([[1, 2, 3]])
    # ... and to None in 2-D symbol input.
    assert enc.inverse_transform(enc.transform([[1, 9, 3]])).tolist() == [[1, None, 3]]


def test_inverse_transform_argmax_and_first_nan_step_ends():
    enc = CharOneHotEncoder().fit([[1, 2, 3]])
    nan = [np.nan] * 3
    X = np.array([[[0.1, 0.7, 0.2], nan, [1, 0, 0]]])  # the step after NaN is ignored
    assert enc.inverse_transform(X).tolist() == [[2, None, None]]

    enc = CharOneHotEncoder().fit(["ab"])
    X = np.array([[[0.2, 0.8], [0.9, 0.1]], [[1, 0], [np.nan, np.nan]]])
    assert enc.inverse_transform(X).tolist() == ["ba", "a"]


def test_inverse_transform_bad_input():
    enc = CharOneHotEncoder().fit(["ab"])
    with pytest.raises(ValueError, match=r"expected a 3-D array of shape"):
        enc.inverse_transform(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"\(n_samples, n_steps, 2\)"):
        enc.inverse_transform(np.zeros((2, 3, 4)))
    with pytest.raises(ValueError, match="some but not all features of sample 0"):
        enc.inverse_transform(np.array([[[1.0, np.nan]]]))
    enc = CharOneHotEncoder().fit([[1, 2]])
    with pytest.raises(ValueError, match="fitted on rows of 2 symbols"):
        enc.inverse_transform(np.ones((1, 3, 2)))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.text(min_size=1, max_size=12), min_size=1, max_size=8))
def test_round_trip_any_texts(texts):
    enc = CharOneHotEncoder()
    X = enc.fit_transform(texts)
    assert X.shape == (len(texts), max(map(len, texts)), len(set("".join(texts))))
    assert_array_equal(np.isnan(X).all(axis=2).sum(axis=1), X.shape[1] - np.array(
        [len(t) for t in texts]
    ))  # fmt: skip
    assert enc.inverse_transform(X).tolist() == texts


# --- the input is never modified ---------------------------------------------


def test_input_not_modified():
    texts = ["hello", "hi"]
    arr = np.array([["ab", "c"], ["c", "d"]], dtype=object)
    num = np.array([[1.0, 2.0], [2.0, 1.0]])
    df = pd.DataFrame({"t": ["hello", "hi"]})
    copies = [list(texts), arr.copy(), num.copy(), df.copy()]
    for X in (texts, arr, num, df):
        enc = CharOneHotEncoder()
        enc.inverse_transform(enc.fit_transform(X))
    assert texts == copies[0]
    assert_array_equal(arr, copies[1])
    assert_array_equal(num, copies[2])
    pd.testing.assert_frame_equal(df, copies[3])
    # Read-only input works: nothing is written into it.
    num.setflags(write=False)
    CharOneHotEncoder().fit_transform(num)
    X3 = CharOneHotEncoder().fit(texts).transform(texts)
    X3.setflags(write=False)
    CharOneHotEncoder().fit(texts).inverse_transform(X3)


# --- errors -------------------------------------------------------------------


@pytest.mark.parametrize(
    "X, err, match",
    [
        (None, ValueError, "X is None"),
        ("hello", ValueError, "single string"),
        (5, ValueError, "X is a scalar int"),
        ([], ValueError, "0 sample"),
        (np.empty((0, 3)), ValueError, "0 sample"),
        (np.empty((3, 0)), ValueError, "0 feature"),
        (["hello", 3], TypeError, r"Sample 1 of X is of type int \(3\), not str"),
        (["hello", None], TypeError, r"Sample 1 .*NoneType.*Missing values"),
        (
            pd.Series(["a", None]),
            TypeError,
            # None as pandas stores it: None before pandas 3, NaN since
            f"Sample 1 .*{type(pd.Series(['a', None]).iloc[1]).__name__}.*Missing",
        ),
        ([b"ab"], TypeError, "Sample 0 of X is of type bytes"),
        ([["a", "b"], ["c"]], TypeError, "rectangular 2-D array"),
        (["hello", ""], ValueError, "Sample 1 of X is an empty string"),
        (pd.DataFrame({"t": ["a", ""]}), ValueError, "Sample 1 .*empty string"),
        (np.array([1.0, 2.0]), ValueError, "1-D array of float64.*Reshape"),
        (np.zeros((2, 2, 2)), ValueError, "X has 3 dimensions"),
        ([[1.0, np.nan]], ValueError, "NaN"),
        ([[1.0, np.inf]], ValueError, "inf"),
        (np.array([["a", np.nan]], dtype=object), ValueError, "NaN"),
        (np.array([["a", None]], dtype=object), ValueError, r"X\[0, 1\] is None"),
        ([[1 + 2j, 1]], ValueError, "Complex data not supported"),
    ],
)
def test_bad_input_raises_clear_error(X, err, match):
    with pytest.raises(err, match=match):
        CharOneHotEncoder().fit(X)


def test_transform_input_must_match_fitted_form():
    enc = CharOneHotEncoder().fit(["hello", "hi"])
    with pytest.raises(ValueError, match="fitted on a 1-D array of texts"):
        enc.transform(pd.DataFrame({"t": ["hi"]}))
    with pytest.raises(TypeError, match="Sample 0 of X is of type int"):
        enc.transform([1, "hi"])

    enc = CharOneHotEncoder().fit([[1, 2], [2, 1]])
    with pytest.raises(ValueError, match="Reshape your data"):
        enc.transform([1, 2])
    with pytest.raises(ValueError, match="X has 3 features, but CharOneHotEncoder"):
        enc.transform([[1, 2, 1]])
    with pytest.raises(TypeError, match="symbols that are numbers, but X contains"):
        enc.transform([["a", "b"]])

    enc = CharOneHotEncoder().fit([["a", "b"]])
    with pytest.raises(TypeError, match="symbols that are strings, but X contains"):
        enc.transform([[1, 2]])


def test_transform_before_fit():
    with pytest.raises(NotFittedError):
        CharOneHotEncoder().transform(["hi"])
    with pytest.raises(NotFittedError):
        CharOneHotEncoder().inverse_transform(np.zeros((1, 1, 1)))


@pytest.mark.parametrize(
    "params, match",
    [
        ({"max_length": 0}, "'max_length' parameter"),
        ({"max_length": 2.5}, "'max_length' parameter"),
        ({"handle_unknown": "warn"}, "'handle_unknown' parameter"),
        ({"dtype": np.int64}, "'dtype' parameter"),
    ],
)
def test_invalid_parameters(params, match):
    with pytest.raises(InvalidParameterError, match=match):
        CharOneHotEncoder(**params).fit(["hi"])


# --- clone / pickle -------------------------------------------------------------


def test_clone_and_pickle_round_trip():
    enc = CharOneHotEncoder(max_length=6, handle_unknown="ignore", dtype=np.float32)
    cloned = clone(enc)
    assert cloned.get_params() == enc.get_params()
    assert not hasattr(cloned, "categories_")

    enc.fit(["hello", "hi"])
    restored = pickle.loads(pickle.dumps(enc))
    texts = ["oh", "hex"]
    assert_array_equal(restored.transform(texts), enc.transform(texts))
    assert_array_equal(restored.categories_, enc.categories_)
    assert restored.max_length_ == 6
    assert restored.inverse_transform(enc.transform(texts)).tolist() == ["oh", "he"]
    # A clone of a fitted encoder is unfitted.
    with pytest.raises(NotFittedError):
        clone(enc).transform(texts)


def test_tags():
    tags = CharOneHotEncoder().__sklearn_tags__()
    assert tags.input_tags.string
    assert tags.input_tags.two_d_array
    assert tags.input_tags.categorical
    assert not tags.input_tags.allow_nan
    assert tags.transformer_tags.preserves_dtype == ["float64"]
    tags32 = CharOneHotEncoder(dtype=np.float32).__sklearn_tags__()
    assert tags32.transformer_tags.preserves_dtype == ["float32"]


# --- one text path: the encoder and the language model ----------------------

SAME_BAD_TEXTS = [
    pytest.param(lambda: None, id="None"),
    pytest.param(lambda: b"hello", id="bytes"),
    pytest.param(lambda: 5, id="scalar"),
    pytest.param(lambda: [], id="no text"),
    pytest.param(lambda: ["he", 3], id="int among strings"),
    pytest.param(lambda: ["he", None], id="None among strings"),
    pytest.param(lambda: [np.nan, "he"], id="NaN among strings"),
    pytest.param(lambda: ["he", b"lo"], id="bytes among strings"),
    pytest.param(lambda: np.array(["he", ["h", "e"]], dtype=object), id="a list"),
    pytest.param(lambda: np.array([1.0, 2.0]), id="1-D numbers"),
    pytest.param(lambda: pd.Series(["he", 7]), id="Series with an int"),
]


def _error_of(call, X):
    with pytest.raises((TypeError, ValueError)) as info:
        call(X)
    return type(info.value), str(info.value)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("make_X", SAME_BAD_TEXTS)
def test_the_encoder_and_the_language_model_give_the_same_errors(make_X):
    encoder = CharOneHotEncoder()
    lm = CharLanguageModel(hidden_size=2, max_iter=1)
    assert _error_of(encoder.fit, make_X()) == _error_of(lm.fit, make_X())
    assert not hasattr(encoder, "categories_") and not hasattr(lm, "classes_")
    encoder.fit(["hello"])
    lm.fit(["hello"])
    assert _error_of(encoder.transform, make_X()) == _error_of(lm.predict, make_X())


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_an_empty_text_and_unknown_characters_get_the_same_errors():
    encoder = CharOneHotEncoder()
    lm = CharLanguageModel(hidden_size=2, max_iter=1)
    assert _error_of(encoder.fit, ["he", ""]) == _error_of(lm.fit, ["he", ""])
    encoder.fit(["hello"])
    lm.fit(["hello"])
    kind, encoder_message = _error_of(encoder.transform, ["he", "hzx"])
    lm_kind, lm_message = _error_of(lm.predict, ["he", "hzx"])
    # the same error, each naming what it knows and how to get past it
    assert kind is lm_kind is ValueError
    head = "Sample 1 of X contains symbol(s) not in the {}: ['x', 'z']."
    assert encoder_message.startswith(head.format("symbols seen in fit (categories_)"))
    assert lm_message.startswith(head.format("vocabulary (classes_)"))
