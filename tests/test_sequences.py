"""The input contract: every accepted form of X to (values, lengths)."""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator

from sklearn_attnrnn._sequences import (
    check_sequences,
    from_channels_first,
    sequence_lengths,
    to_time_major,
)


def test_three_d_with_nan_padding():
    X = np.arange(24, dtype=float).reshape(2, 4, 3)
    X[0, 2:] = np.nan
    original = X.copy()
    est = BaseEstimator()
    values, lengths = check_sequences(est, X, reset=True)
    assert lengths.tolist() == [2, 4]
    assert est.n_features_in_ == 3
    assert np.all(values[0, 2:] == 0.0)
    np.testing.assert_array_equal(values[1], X[1])
    np.testing.assert_array_equal(X, original)  # the input is untouched


def test_list_of_arrays_is_the_padded_three_d_form():
    seqs = [np.ones((3, 2)), 2 * np.ones((1, 2)), np.zeros((5, 2))]
    values, lengths = check_sequences(BaseEstimator(), seqs, reset=True)
    assert values.shape == (3, 5, 2) and lengths.tolist() == [3, 1, 5]
    assert values[1, 0].tolist() == [2.0, 2.0] and not values[1, 1:].any()


def test_two_d_rows_are_univariate_sequences_and_can_end_with_nan():
    X = np.array([[1.0, 2.0, np.nan], [3.0, 4.0, 5.0]])
    est = BaseEstimator()
    values, lengths = check_sequences(est, X, reset=True)
    assert values.shape == (2, 3, 1) and lengths.tolist() == [2, 3]
    assert est.n_features_in_ == 3


def test_float32_is_kept_and_integers_become_float64():
    values, _ = check_sequences(BaseEstimator(), np.ones((2, 3, 1), "f4"), reset=True)
    assert values.dtype == np.float32
    values, _ = check_sequences(BaseEstimator(), np.ones((2, 3), int), reset=True)
    assert values.dtype == np.float64


@pytest.mark.parametrize(
    "X, message",
    [
        (np.array([[[1.0, np.nan], [1.0, 1.0]]]), "NaN at sample 0, step 0"),
        (np.array([[[np.nan, np.nan], [1.0, 1.0]]]), "NaN at sample 0, step 0"),
        (np.full((2, 3, 1), np.nan), "Sample 0 of X is an empty sequence"),
        (np.array([[[np.inf]]]), "infinity"),
        (np.ones(3), "Reshape your data"),
        (np.ones((2, 2, 2, 2)), "4 dimension"),
        (np.ones((0, 3, 2)), "0 sample"),
        ([np.ones((2, 2)), np.ones((0, 2))], r"X\[1\] is an empty sequence"),
        ([np.ones((2, 2)), np.ones((2, 3))], "X\\[0\\] has 2 and X\\[1\\] has 3"),
        ([[1.0, 2.0], [1.0]], "not rectangular"),
    ],
)
def test_clear_errors(X, message):
    with pytest.raises(ValueError, match=message):
        check_sequences(BaseEstimator(), X, reset=True)


def test_feature_count_is_checked_after_fit():
    est = BaseEstimator()
    check_sequences(est, np.ones((2, 4, 3)), reset=True)
    check_sequences(est, np.ones((2, 9, 3)), reset=False, n_step_features=3)
    with pytest.raises(ValueError, match="X has 2 features, but BaseEstimator is"):
        check_sequences(est, np.ones((2, 4, 2)), reset=False, n_step_features=3)
    with pytest.raises(ValueError, match="1 feature per step"):
        check_sequences(est, np.ones((2, 4)), reset=False, n_step_features=3)


def test_lengths_and_time_major_batches():
    X = np.ones((3, 6, 2))
    X[0, 4:] = np.nan
    X[2, 1:] = np.nan
    lengths = sequence_lengths(X)
    assert lengths.tolist() == [4, 6, 1]
    batch = to_time_major(np.nan_to_num(X)[[0, 2]], lengths[[0, 2]])
    assert batch.shape == (4, 2, 2) and batch.flags.c_contiguous


def test_finite_values_whose_sum_overflows_are_accepted():
    # The fast check is one sum over X; a sum that overflows to inf must fall
    # back to the element-wise check, not reject finite data.
    X = np.full((3, 4, 2), 3e38, dtype=np.float32)
    X[2, 3:] = np.nan
    values, lengths = check_sequences(BaseEstimator(), X, reset=True)
    assert lengths.tolist() == [4, 4, 3]
    assert values.dtype == np.float32 and np.isfinite(values).all()
    assert values[2, 3].tolist() == [0.0, 0.0] and values[0, 0, 0] == np.float32(3e38)


def test_unpadded_input_is_not_copied_and_stays_untouched():
    X = np.arange(24.0).reshape(2, 4, 3)
    X.setflags(write=False)
    values, lengths = check_sequences(BaseEstimator(), X, reset=True)
    assert np.shares_memory(values, X) and lengths.tolist() == [4, 4]
    with pytest.raises(ValueError, match="infinity"):
        check_sequences(BaseEstimator(), np.where(X > 20, np.inf, X), reset=True)


# --- collections of arrays, masked arrays, channels-first --------------------


def _seqs(n=6, n_features=2, dtype=np.float64):
    rng = np.random.RandomState(0)
    return [rng.randn(1 + i % 4, n_features).astype(dtype) for i in range(n)]


@pytest.mark.parametrize(
    "container",
    [
        lambda seqs: np.array(seqs + [None], dtype=object)[:-1],  # 1-D object array
        lambda seqs: pd.Series(seqs, index=np.arange(10, 10 + len(seqs))),
        lambda seqs: pd.DataFrame({"series": seqs, "label": 0})["series"],
    ],
    ids=["object array", "Series", "DataFrame column"],
)
def test_collections_of_arrays_read_like_a_list(container):
    seqs = _seqs()
    expected_values, expected_lengths = check_sequences(
        BaseEstimator(), seqs, reset=True
    )
    est = BaseEstimator()
    values, lengths = check_sequences(est, container(seqs), reset=True)
    np.testing.assert_array_equal(values, expected_values)
    np.testing.assert_array_equal(lengths, expected_lengths)
    assert est.n_features_in_ == 2


def test_a_masked_array_reads_its_trailing_masked_steps_as_padding():
    X = np.arange(24.0).reshape(2, 4, 3)
    mask = np.zeros_like(X, dtype=bool)
    mask[0, 2:] = True  # the last two steps of sequence 0
    masked = np.ma.masked_array(X, mask=mask)
    values, lengths = check_sequences(BaseEstimator(), masked, reset=True)
    assert lengths.tolist() == [2, 4]
    np.testing.assert_array_equal(values[0, :2], X[0, :2])
    np.testing.assert_array_equal(values[1], X[1])
    assert not values[0, 2:].any()
    # 2-D: masked entries at the end of a row; float32 and int data
    masked2 = np.ma.masked_array(
        np.arange(6, dtype=np.float32).reshape(2, 3), mask=[[0, 0, 1], [0, 0, 0]]
    )
    values, lengths = check_sequences(BaseEstimator(), masked2, reset=True)
    assert lengths.tolist() == [2, 3] and values.dtype == np.float32
    ints = np.ma.masked_array(np.ones((2, 3), int), mask=[[0, 1, 1], [0, 0, 0]])
    values, lengths = check_sequences(BaseEstimator(), ints, reset=True)
    assert lengths.tolist() == [1, 3] and values.dtype == np.float64
    # in a list: a masked item's trailing masked steps are padding too
    item = np.ma.masked_array(np.ones((3, 2)), mask=[[0, 0], [1, 1], [1, 1]])
    _, lengths = check_sequences(BaseEstimator(), [item, np.ones((2, 2))], reset=True)
    assert lengths.tolist() == [1, 2]
    # no masked entry: the data as it is
    _, lengths = check_sequences(BaseEstimator(), np.ma.masked_array(X), reset=True)
    assert lengths.tolist() == [4, 4]
    np.testing.assert_array_equal(masked.mask, mask)  # the input is untouched


def test_from_channels_first_transposes_arrays_and_lists():
    X = np.arange(2 * 3 * 5.0).reshape(2, 3, 5)  # 2 cases, 3 channels, 5 points
    out = from_channels_first(X)
    assert out.shape == (2, 5, 3) and np.shares_memory(out, X)
    np.testing.assert_array_equal(out[1, 4], X[1, :, 4])
    cases = [np.ones((3, 5)), 2 * np.ones((3, 2))]
    for container in (cases, tuple(cases), pd.Series(cases)):
        out = from_channels_first(container)
        assert [x.shape for x in out] == [(5, 3), (2, 3)]
        np.testing.assert_array_equal(out[1], 2.0)
    univariate = np.ones((4, 7))
    assert from_channels_first(univariate) is univariate
    masked = np.ma.masked_array(X, mask=X > 26)
    assert isinstance(from_channels_first(masked), np.ma.MaskedArray)


@pytest.mark.parametrize(
    "X, exc, match",
    [
        (np.ones((2, 3, 4, 5)), ValueError, r"got an array of shape \(2, 3, 4, 5\)"),
        (np.ones(3), ValueError, r"got an array of shape \(3,\)"),
        ([np.ones((3, 4)), np.ones(4)], ValueError, r"X\[1\] has shape \(4,\)"),
        (pd.DataFrame({"a": [1.0]}), TypeError, r"DataFrame.*numpy3D"),
        (None, ValueError, r"channels-first collection"),
        ((x for x in range(3)), TypeError, r"generator"),
    ],
)
def test_from_channels_first_errors(X, exc, match):
    with pytest.raises(exc, match=match):
        from_channels_first(X)


def test_channels_first_data_passed_as_it_is_gets_a_hint():
    est = BaseEstimator()
    check_sequences(est, np.ones((4, 100, 6)), reset=True)  # steps-first: 6 features
    with pytest.raises(ValueError, match=r"expecting 6 .*from_channels_first\(X\)"):
        check_sequences(est, np.ones((4, 6, 100)), reset=False, n_step_features=6)
    with pytest.raises(ValueError, match=r"Every item has 6 rows.*channels-first"):
        check_sequences(BaseEstimator(), [np.ones((6, 9)), np.ones((6, 4))], reset=True)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_aeon_collections_through_from_channels_first_into_a_pipeline():
    datasets = pytest.importorskip("aeon.datasets")
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    from sklearn_attnrnn import AttentionRNNClassifier, SequenceStandardScaler

    X, y = datasets.load_basic_motions(split="train")  # shipped with aeon
    assert X.shape == (40, 6, 100)
    model = make_pipeline(
        FunctionTransformer(from_channels_first),
        SequenceStandardScaler(),
        AttentionRNNClassifier(hidden_size=8, max_iter=2, random_state=0),
    ).fit(X, y)
    assert model[-1].n_features_in_ == 6  # channels are the features
    assert model.predict(X[:3]).shape == (3,)
    # unequal lengths: a list of (n_channels, n_timepoints_i) arrays
    X, y = datasets.load_japanese_vowels(split="train")
    assert len({x.shape[1] for x in X}) > 1 and {x.shape[0] for x in X} == {12}
    values, lengths = check_sequences(
        BaseEstimator(), from_channels_first(X), reset=True
    )
    assert values.shape[2] == 12
    assert lengths.tolist() == [x.shape[1] for x in X]
    with pytest.raises(ValueError, match="channels-first"):
        check_sequences(BaseEstimator(), X, reset=True)


def test_tslearn_datasets_are_the_padded_3d_form():
    utils = pytest.importorskip("tslearn.utils")
    X = utils.to_time_series_dataset([[1.0, 2.0, 3.0], [4.0, 5.0]])
    values, lengths = check_sequences(BaseEstimator(), X, reset=True)
    assert lengths.tolist() == [3, 2]
    np.testing.assert_array_equal(values[:, :, 0], [[1.0, 2.0, 3.0], [4.0, 5.0, 0.0]])


def test_a_masked_item_masked_entirely_is_an_empty_sequence():
    item = np.ma.masked_array(np.ones((2, 2)), mask=True)
    with pytest.raises(ValueError, match=r"X\[1\] is a masked array with a sequence "):
        check_sequences(BaseEstimator(), [np.ones((2, 2)), item], reset=True)
