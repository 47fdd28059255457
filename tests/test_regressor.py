"""AttentionRNNRegressor: the same estimator code, a squared-error loss."""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from sklearn_attnrnn import AttentionRNNClassifier, AttentionRNNRegressor, _network


def _sequences(n=200, seed=0):
    rng = np.random.RandomState(seed)
    X = [rng.uniform(-1, 1, (rng.randint(2, 10), 2)) for _ in range(n)]
    y = np.array([[x[:, 0].mean(), x[0, 1]] for x in X])
    return X, y


def _fit(est, X, y, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y, **kwargs)


def test_learns_ragged_multi_output_targets():
    X, y = _sequences()
    reg = _fit(AttentionRNNRegressor(random_state=0, learning_rate=1e-2), X, y)
    assert reg.n_outputs_ == 2 and reg.V_.shape == (2, 64)
    assert reg.predict(X).shape == (200, 2)
    assert reg.score(X, y) > 0.9
    single = _fit(
        AttentionRNNRegressor(random_state=0, max_iter=5), X, y[:, 0]
    ).predict(X)
    assert single.shape == (200,)


def test_loss_is_half_the_mean_squared_error_as_mlp():
    X, y = _sequences(30)
    reg = _fit(
        AttentionRNNRegressor(
            max_iter=1, batch_size=30, shuffle=False, alpha=0.0, random_state=0
        ),
        X,
        y,
    )
    # the first epoch's loss is at the initial parameters: recompute it from
    # the initial network's outputs
    init = _network.init_params(2, 64, 2, np.random.RandomState(0))
    fresh = AttentionRNNRegressor(random_state=0).fit(X, y)  # for its shapes
    for name, value in init.items():
        setattr(fresh, name + "_", value)
    residual = fresh.predict(X) - y
    assert reg.loss_ == pytest.approx(0.5 * np.mean(residual**2), rel=1e-12)


def test_plain_rnn_of_seed_002_and_lbfgs():
    X, y = _sequences(100)
    reg = _fit(
        AttentionRNNRegressor(attention=False, solver="lbfgs", random_state=0),
        X,
        y[:, 0],
    )
    assert reg.score(X, y[:, 0]) > 0.9
    h = _network.hidden_states(
        reg._params, np.asarray(X[0])[:, None, :].astype(np.float64)
    )
    assert reg.predict(X[:1])[0] == pytest.approx(h[-1, 0] @ reg.V_[0] + reg.c_[0])


def test_partial_fit_and_output_count_check():
    X, y = _sequences(50)
    reg = AttentionRNNRegressor(random_state=0)
    for _ in range(3):
        reg.partial_fit(X, y)
    assert reg.n_iter_ == 3 and reg._optimizer.t == 3
    with pytest.raises(ValueError, match="y has 1 outputs"):
        reg.partial_fit(X, y[:, 0])


def test_classifier_and_regressor_differ_in_loss_and_class_weight_only():
    assert AttentionRNNRegressor._loss == "squared_error"
    assert AttentionRNNClassifier._loss == "log_loss"
    assert set(AttentionRNNClassifier().get_params()) - set(
        AttentionRNNRegressor().get_params()
    ) == {"class_weight"}


def test_early_stopping_scores_r2():
    X, y = _sequences(200)
    reg = _fit(
        AttentionRNNRegressor(
            early_stopping=True, random_state=0, learning_rate=1e-2, max_iter=30
        ),
        X,
        y,
    )
    assert len(reg.validation_scores_) == reg.n_iter_
    assert reg.best_validation_score_ == max(reg.validation_scores_) > 0.5


def test_early_stopping_needs_two_validation_samples():
    # one held-out sample has no R^2: refuse rather than never stop
    X, y = _sequences(10)
    with pytest.raises(
        ValueError, match=r"0\.1 of the 10 samples: 1 for valid.*at least 2"
    ):
        AttentionRNNRegressor(early_stopping=True, validation_fraction=0.1).fit(X, y)


def test_dropout_reproducible_zero_unchanged_and_validated():
    X, y = _sequences(80)
    params = dict(max_iter=4, random_state=0)
    plain = _fit(AttentionRNNRegressor(**params), X, y)
    zero = _fit(
        AttentionRNNRegressor(dropout=0.0, recurrent_dropout=0.0, **params), X, y
    )
    drop = dict(dropout=0.2, recurrent_dropout=0.2, **params)
    a = _fit(AttentionRNNRegressor(**drop), X, y)
    b = _fit(AttentionRNNRegressor(**drop), X, y)
    for name in ("U_", "W_", "b_", "V_", "c_"):
        assert np.array_equal(getattr(zero, name), getattr(plain, name))
        assert np.array_equal(getattr(a, name), getattr(b, name))
    assert not np.array_equal(a.W_, plain.W_)
    # Prediction never drops: it is the network without masks.
    for x, pred in zip(X[:10], a.predict(X[:10])):
        Omega, _ = _network.forward(a._params, x[:, None, :], np.array([len(x)]))
        np.testing.assert_allclose(pred, Omega[0], rtol=1e-12)
    for bad in (dict(dropout=1.0), dict(recurrent_dropout=-0.5)):
        with pytest.raises(ValueError, match="range"):
            AttentionRNNRegressor(**bad).fit(X, y)
