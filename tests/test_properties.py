"""Properties of prediction that hold for any batch of sequences (hypothesis).

One small model of each kind is fitted per module; hypothesis varies the data
given to it, never the fit. The batches are ragged: lists of (T_i, 3) arrays
with T_i in 1..12.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.testing import assert_allclose, assert_array_equal

from sklearn_attnrnn import AttentionRNNClassifier, AttentionRNNRegressor

F = 3
MAX_T = 12
SETTINGS = settings(max_examples=40, deadline=None)

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _training_data(seed=0, n=120):
    rng = np.random.RandomState(seed)
    X = [rng.uniform(-2, 2, (rng.randint(1, MAX_T + 1), F)) for _ in range(n)]
    # Targets that depend on the whole sequence, so the model is not constant.
    score = np.array([x[:, 0].mean() + 0.5 * x[-1, 1] for x in X])
    return X, score


@pytest.fixture(scope="module")
def classifier():
    X, score = _training_data()
    y = np.digitize(score, [-0.4, 0.4])  # three classes
    return AttentionRNNClassifier(hidden_size=6, max_iter=15, random_state=0).fit(X, y)


@pytest.fixture(scope="module")
def regressor():
    X, score = _training_data(seed=1)
    return AttentionRNNRegressor(hidden_size=6, max_iter=15, random_state=0).fit(
        X, score
    )


@st.composite
def ragged_batches(draw, min_size=1, max_size=16):
    """A list of float64 arrays (T_i, F), T_i in 1..12."""
    lengths = draw(
        st.lists(st.integers(1, MAX_T), min_size=min_size, max_size=max_size)
    )
    elements = st.floats(-3, 3, allow_nan=False, allow_infinity=False, width=64)
    return [draw(hnp.arrays(np.float64, (t, F), elements=elements)) for t in lengths]


def _pad(X, extra=0):
    """The 3-D form of a list of sequences, NaN-padded to max T + extra steps."""
    out = np.full((len(X), max(len(x) for x in X) + extra, F), np.nan)
    for i, x in enumerate(X):
        out[i, : len(x)] = x
    return out


# --- classifier --------------------------------------------------------------


@SETTINGS
@given(X=ragged_batches())
def test_probabilities_are_a_distribution(classifier, X):
    proba = classifier.predict_proba(X)
    assert proba.shape == (len(X), 3)
    assert proba.dtype == np.float64
    assert np.all((proba >= 0) & (proba <= 1))
    assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    assert_allclose(np.exp(classifier.predict_log_proba(X)), proba, rtol=1e-12)
    assert_array_equal(classifier.predict(X), classifier.classes_[proba.argmax(axis=1)])


@SETTINGS
@given(X=ragged_batches(min_size=2), data=st.data())
def test_predicting_a_subset_is_the_subset_of_predicting_all(classifier, X, data):
    idx = data.draw(
        st.lists(st.integers(0, len(X) - 1), min_size=1, max_size=len(X)),
        label="subset",
    )
    proba = classifier.predict_proba(X)
    subset = classifier.predict_proba([X[i] for i in idx])
    assert_allclose(subset, proba[idx], rtol=1e-12, atol=0)
    weights = classifier.attention_weights(X)
    sub_weights = classifier.attention_weights([X[i] for i in idx])
    width = max(len(X[i]) for i in idx)
    assert_allclose(sub_weights, weights[idx, :width], rtol=1e-12, atol=0)


@SETTINGS
@given(X=ragged_batches(min_size=2), data=st.data())
def test_sample_order_does_not_matter(classifier, X, data):
    perm = data.draw(st.permutations(range(len(X))), label="permutation")
    proba = classifier.predict_proba(X)
    permuted = classifier.predict_proba([X[i] for i in perm])
    assert_allclose(permuted, proba[perm], rtol=1e-12, atol=0)
    assert_array_equal(
        classifier.predict([X[i] for i in perm]), classifier.predict(X)[perm]
    )


@SETTINGS
@given(X=ragged_batches(), extra=st.integers(1, 5))
def test_extra_nan_padding_changes_nothing(classifier, X, extra):
    proba = classifier.predict_proba(X)
    padded = _pad(X)
    more = _pad(X, extra)
    assert_array_equal(classifier.predict_proba(padded), proba)
    assert_array_equal(classifier.predict_proba(more), proba)
    weights = classifier.attention_weights(more)
    assert weights.shape == more.shape[:2]
    assert_array_equal(weights[:, : padded.shape[1]], classifier.attention_weights(X))
    # Each row sums to 1 over its own steps and is NaN after its end.
    lengths = np.array([len(x) for x in X])
    real = np.arange(more.shape[1])[None, :] < lengths[:, None]
    assert not np.isnan(weights[real]).any()
    assert np.isnan(weights[~real]).all()
    assert_allclose(np.nansum(weights, axis=1), 1.0, rtol=0, atol=1e-12)


@SETTINGS
@given(X=ragged_batches())
def test_float32_agrees_with_float64(classifier, X):
    proba64 = classifier.predict_proba(X)
    proba32 = classifier.predict_proba([x.astype(np.float32) for x in X])
    assert proba32.dtype == np.float32
    assert_allclose(proba32, proba64, rtol=1e-4, atol=1e-6)


@SETTINGS
@given(X=ragged_batches(min_size=2))
def test_each_sequence_alone_predicts_as_in_the_batch(classifier, X):
    # Alone, a sequence has no padding and no neighbours in its chunk.
    proba = classifier.predict_proba(X)
    weights = classifier.attention_weights(X)
    for i, x in enumerate(X):
        assert_allclose(classifier.predict_proba([x])[0], proba[i], rtol=1e-12)
        alone = classifier.attention_weights([x])[0]
        assert_allclose(alone, weights[i, : len(x)], rtol=1e-12, atol=0)


# --- regressor ---------------------------------------------------------------


@SETTINGS
@given(X=ragged_batches(min_size=2), data=st.data())
def test_regressor_subset_and_order(regressor, X, data):
    idx = data.draw(
        st.lists(st.integers(0, len(X) - 1), min_size=1, max_size=len(X)),
        label="subset",
    )
    perm = data.draw(st.permutations(range(len(X))), label="permutation")
    pred = regressor.predict(X)
    assert pred.shape == (len(X),)
    assert np.isfinite(pred).all()
    assert_allclose(regressor.predict([X[i] for i in idx]), pred[idx], rtol=1e-12)
    assert_allclose(regressor.predict([X[i] for i in perm]), pred[perm], rtol=1e-12)


@SETTINGS
@given(X=ragged_batches(), extra=st.integers(1, 5))
def test_regressor_extra_nan_padding_changes_nothing(regressor, X, extra):
    pred = regressor.predict(X)
    assert_array_equal(regressor.predict(_pad(X)), pred)
    assert_array_equal(regressor.predict(_pad(X, extra)), pred)


@SETTINGS
@given(X=ragged_batches())
def test_regressor_float32_agrees_with_float64(regressor, X):
    pred = regressor.predict(X)
    pred32 = regressor.predict([x.astype(np.float32) for x in X])
    assert pred32.dtype == np.float32
    scale = np.abs(pred).max() + 1.0
    assert_allclose(pred32, pred, rtol=1e-4, atol=1e-5 * scale)


# --- the models are not trivial ----------------------------------------------


def test_models_depend_on_the_input(classifier, regressor):
    """Properties of a constant model would hold trivially: these are not."""
    X, _ = _training_data(seed=5, n=50)
    proba = classifier.predict_proba(X)
    assert proba.std(axis=0).max() > 0.05
    assert len(np.unique(classifier.predict(X))) >= 2
    assert regressor.predict(X).std() > 0.05
