"""The input contract: every accepted form of X to (values, lengths)."""

import numpy as np
import pytest
from sklearn.base import BaseEstimator

from sklearn_attnrnn._sequences import check_sequences, sequence_lengths, to_time_major


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
