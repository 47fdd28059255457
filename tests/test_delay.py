"""The delayed connection R h_{t-L} of the notes' seed 000, in the core."""

import pickle

import numpy as np
import pytest
from test_network import (
    LENGTHS,
    _assert_gradients_match_finite_differences,
    _masks,
    _problem,
)

from sklearn_attnrnn import (
    AttentionRNNClassifier,
    AttentionRNNRegressor,
    CharLanguageModel,
    _network,
)
from sklearn_attnrnn._sequences import to_time_major


def _delayed_problem(output, loss, seed=0, H=5, F=3):
    """_problem's network with an R (moved off its initialisation too)."""
    params, X, Y, w = _problem(output, loss, seed=seed, F=F, H=H)
    rng = np.random.RandomState(seed + 100)
    params["R"] = _network.init_params(1, H, 1, rng, delay=2)["R"]
    params["R"] += 0.3 * rng.randn(H, H)
    return params, X, Y, w


def _step_by_step(params, X, delay, recurrent_mask=None):
    """h_t = tanh(U x_t + W (m h_{t-1}) + R (m h_{t-L}) + b), h_s = 0 for s <= 0."""
    T, N, _ = X.shape
    m = 1.0 if recurrent_mask is None else recurrent_mask
    h = np.zeros((T + 1, N, params["W"].shape[0]))  # h[t] is h_t; h[0] = h_0
    for t in range(1, T + 1):
        pre = X[t - 1] @ params["U"].T + (m * h[t - 1]) @ params["W"].T + params["b"]
        if t - delay >= 1:
            pre += (m * h[t - delay]) @ params["R"].T
        h[t] = np.tanh(pre)
    return h[1:]


@pytest.mark.parametrize("delay", [2, 3, 4, 5, 6, 9])
@pytest.mark.parametrize("recurrent_dropout", [False, True])
@pytest.mark.parametrize("n_features", [3, 9])
def test_delayed_recurrence_is_the_notes_equation_step_by_step(
    delay, recurrent_dropout, n_features
):
    # T = 6: L = 2, 3 divide it or not, 5 leaves one delayed step, 6 and 9 none.
    # With 9 features hidden_states projects batch-major X straight (4F >= 3H).
    params, X, _, _ = _delayed_problem("last", "log_loss", F=n_features)
    m_h = _masks()[1] if recurrent_dropout else None
    expected = _step_by_step(params, X, delay, m_h)
    h = _network._hidden_states(params, X, None, None, m_h, delay=delay)[0].h
    np.testing.assert_allclose(h, expected, rtol=1e-12, atol=1e-14)
    if m_h is None:  # the public function, on both input projections
        batch_major = np.ascontiguousarray(X.transpose(1, 0, 2))
        for view in (X, batch_major.transpose(1, 0, 2)):
            np.testing.assert_allclose(
                _network.hidden_states(params, view, delay=delay),
                expected,
                rtol=1e-12,
                atol=1e-14,
            )
    if delay < X.shape[0]:  # R matters
        without = _step_by_step({**params, "R": 0 * params["R"]}, X, delay, m_h)
        assert np.abs(expected - without).max() > 0.01


@pytest.mark.parametrize("output", ["last", "every"])
@pytest.mark.parametrize("attention", [True, False])
@pytest.mark.parametrize("loss", ["log_loss", "squared_error"])
@pytest.mark.parametrize("delay", [2, 4])
def test_delayed_gradients_match_finite_differences(output, attention, loss, delay):
    # LENGTHS is ragged (6, 1, 3, 6, 2): sequences shorter than, equal to and
    # longer than L, in one batch.
    params, X, Y, w = _delayed_problem(output, loss)
    kwargs = dict(
        loss=loss, output=output, attention=attention, scale=0.4, l2=0.05, delay=delay
    )
    _assert_gradients_match_finite_differences(params, X, Y, w, **kwargs)


@pytest.mark.parametrize("output", ["last", "every"])
@pytest.mark.parametrize("attention", [True, False])
@pytest.mark.parametrize("which", ["input", "recurrent", "both"])
@pytest.mark.parametrize("delay", [2, 3])
def test_delayed_gradients_with_dropout_masks_match_finite_differences(
    output, attention, which, delay
):
    params, X, Y, w = _delayed_problem(output, "log_loss")
    m_x, m_h = _masks()
    masks = {
        "input_mask": m_x if which != "recurrent" else None,
        "recurrent_mask": m_h if which != "input" else None,
    }
    kwargs = dict(output=output, attention=attention, l2=0.05, delay=delay, **masks)
    _assert_gradients_match_finite_differences(params, X, Y, w, **kwargs)


def test_delay_beyond_the_longest_sequence_gives_a_zero_dR():
    params, X, Y, w = _delayed_problem("last", "log_loss")
    _, grads = _network.loss_and_grads(params, X, LENGTHS, Y, w, delay=6)
    assert grads["R"].shape == (5, 5) and not grads["R"].any()
    without = {k: v for k, v in params.items() if k != "R"}
    _, plain = _network.loss_and_grads(without, X, LENGTHS, Y, w)
    for name in plain:
        np.testing.assert_array_equal(grads[name], plain[name])


@pytest.mark.parametrize("output", ["last", "every"])
@pytest.mark.parametrize("recurrent_dropout", [False, True])
def test_delayed_padding_never_reaches_a_real_step(output, recurrent_dropout):
    # Padding is at the end and the delayed term looks back only: whatever
    # stands in the padding (and however long it is) changes nothing.
    params, X, Y, w = _delayed_problem(output, "log_loss")
    m_h = _masks()[1] if recurrent_dropout else None
    kwargs = dict(output=output, delay=2, recurrent_mask=m_h)
    loss, grads = _network.loss_and_grads(params, X, LENGTHS, Y, w, **kwargs)
    longer = np.concatenate([X, np.zeros((4,) + X.shape[1:])])
    for n, length in enumerate(LENGTHS):
        longer[length:, n] = 7.0
    if output == "every":
        Y = np.concatenate([Y, np.zeros((4, Y.shape[1]), dtype=Y.dtype)])
    loss2, grads2 = _network.loss_and_grads(params, longer, LENGTHS, Y, w, **kwargs)
    assert loss2 == pytest.approx(loss, rel=1e-12)
    for name in grads:
        np.testing.assert_allclose(grads2[name], grads[name], rtol=1e-10, atol=1e-14)


def test_delayed_batch_equals_each_sequence_alone():
    params, X, _, _ = _delayed_problem("last", "log_loss")
    Omega, _ = _network.forward(params, X, LENGTHS, delay=2)
    for n, length in enumerate(LENGTHS):
        alone, _ = _network.forward(
            params, X[:length, n : n + 1], LENGTHS[n : n + 1], delay=2
        )
        np.testing.assert_allclose(alone[0], Omega[n], rtol=1e-12)


def test_a_zero_R_is_the_network_without_delay():
    params, X, Y, w = _problem("last", "log_loss")
    plain = _network.loss_and_grads(params, X, LENGTHS, Y, w, l2=0.05)
    zero_R = {**params, "R": np.zeros((5, 5))}
    delayed = _network.loss_and_grads(zero_R, X, LENGTHS, Y, w, l2=0.05, delay=2)
    assert delayed[0] == plain[0]
    for name in plain[1]:
        np.testing.assert_array_equal(delayed[1][name], plain[1][name])


def test_delayed_float32_stays_float32_and_close_to_float64():
    params, X, Y, w = _delayed_problem("every", "log_loss")
    p32 = {k: v.astype(np.float32) for k, v in params.items()}
    kwargs = dict(output="every", delay=2)
    loss32, g32 = _network.loss_and_grads(
        p32, X.astype(np.float32), LENGTHS, Y, w, **kwargs
    )
    loss64, g64 = _network.loss_and_grads(params, X, LENGTHS, Y, w, **kwargs)
    assert loss32 == pytest.approx(loss64, rel=1e-5)
    assert g32["R"].dtype == np.float32
    np.testing.assert_allclose(g32["R"], g64["R"], rtol=1e-3, atol=1e-5)


def test_init_params_with_a_delay_draws_R_like_W_after_the_others():
    plain = _network.init_params(3, 6, 2, np.random.RandomState(0))
    delayed = _network.init_params(3, 6, 2, np.random.RandomState(0), delay=4)
    assert _network.names_of(delayed) == ("U", "W", "b", "V", "c", "R")
    for name in plain:
        np.testing.assert_array_equal(delayed[name], plain[name])
    np.testing.assert_allclose(delayed["R"] @ delayed["R"].T, np.eye(6), atol=1e-12)
    assert not np.allclose(delayed["R"], delayed["W"])


def test_R_without_its_delay_is_refused():
    params, X, _, _ = _delayed_problem("last", "log_loss")
    with pytest.raises(ValueError, match="pass their delay"):
        _network.forward(params, X, LENGTHS)
    with pytest.raises(ValueError, match=">= 2"):
        _network.forward(params, X, LENGTHS, delay=1)


# ----------------------------------------------------------------------
# The estimators' ``delay`` parameter
# ----------------------------------------------------------------------
def _series(n=60, T=12, seed=0):
    """Ragged 3-D sequences whose class is the sign of x at step 3."""
    rng = np.random.RandomState(seed)
    X = rng.randn(n, T, 2)
    lengths = rng.randint(4, T + 1, n)
    X[np.arange(T)[None, :] >= lengths[:, None]] = np.nan
    return X, (X[:, 2, 0] > 0).astype(int), X[:, 2, 0]


FAST = dict(hidden_size=4, max_iter=6, random_state=0, tol=0.0)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_every_solver_trains_R(solver):
    X, y, _ = _series()
    clf = AttentionRNNClassifier(delay=3, solver=solver, **FAST)
    init = _network.init_params(2, 4, 2, np.random.RandomState(0), delay=3)
    clf.fit(X, y)
    assert clf.R_.shape == (4, 4) and clf.R_.dtype == np.float64
    assert np.abs(clf.R_ - init["R"]).max() > 1e-4  # R learned something
    assert clf.loss_curve_[-1] < clf.loss_curve_[0]
    assert clf.predict_proba(X).shape == (60, 2)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_no_delay_has_no_R_and_a_refit_without_delay_drops_it():
    X, y, _ = _series()
    clf = AttentionRNNClassifier(**FAST).fit(X, y)
    assert clf.delay is None and not hasattr(clf, "R_")
    clf.set_params(delay=2).fit(X, y)
    assert clf.R_.shape == (4, 4)
    clf.set_params(delay=None).fit(X, y)
    assert not hasattr(clf, "R_")
    plain = AttentionRNNClassifier(**FAST).fit(X, y)
    np.testing.assert_array_equal(clf.predict_proba(X), plain.predict_proba(X))


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_prediction_uses_the_fitted_delay():
    X, y, _ = _series()
    clf = AttentionRNNClassifier(delay=3, **FAST).fit(X, y)
    proba = clf.predict_proba(X)
    weights = clf.attention_weights(X)
    clf.set_params(delay=5)  # not fitted: prediction keeps L = 3
    np.testing.assert_array_equal(clf.predict_proba(X), proba)
    np.testing.assert_array_equal(clf.attention_weights(X), weights)
    # ... and L = 3 matters: the same weights without R predict otherwise.
    values, lengths = clf._check_predict_input(X)
    without = {k: v for k, v in clf._params.items() if k != "R"}
    Omega, _ = _network.forward(
        without, to_time_major(values, lengths), lengths, scale=1.0
    )
    assert np.abs(_network.output_function(Omega, "log_loss") - proba).max() > 1e-3


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("before, after", [(3, 4), (None, 3), (3, None)])
def test_a_changed_delay_is_refused_on_continue(before, after):
    X, y, _ = _series()
    clf = AttentionRNNClassifier(delay=before, **FAST).fit(X, y)
    fitted = {k: v.copy() for k, v in clf._params.items()}
    for continue_fit in (
        lambda: clf.set_params(warm_start=True).fit(X, y),
        lambda: clf.partial_fit(X, y),
    ):
        clf.set_params(delay=after)
        with pytest.raises(ValueError, match="delay cannot change"):
            continue_fit()
        clf.set_params(delay=before, warm_start=False)
        for name, value in fitted.items():  # nothing changed
            np.testing.assert_array_equal(clf._params[name], value)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_warm_start_with_a_delay_continues_like_one_fit():
    X, y, _ = _series()
    params = dict(FAST, delay=3, shuffle=False, batch_size=20, n_iter_no_change=99)
    straight = AttentionRNNClassifier(**{**params, "max_iter": 7}).fit(X, y)
    warm = AttentionRNNClassifier(**{**params, "max_iter": 3}).fit(X, y)
    warm = pickle.loads(pickle.dumps(warm))  # across a save, too
    warm.set_params(warm_start=True, max_iter=4).fit(X, y)
    for name in ("U", "W", "R", "V"):
        np.testing.assert_array_equal(warm._params[name], straight._params[name])
    assert warm.loss_curve_ == straight.loss_curve_


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_regressor_with_a_delay_and_recurrent_dropout_partial_fits():
    X, _, target = _series()
    reg = AttentionRNNRegressor(delay=2, recurrent_dropout=0.3, **FAST)
    for _ in range(3):
        reg.partial_fit(X, target)
    assert reg.n_iter_ == 3 and reg.R_.shape == (4, 4)
    assert np.isfinite(reg.predict(X)).all()


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_pickle_and_skops_keep_the_delay():
    X, y, _ = _series()
    clf = AttentionRNNClassifier(delay=3, **FAST).fit(X, y)
    loaded = pickle.loads(pickle.dumps(clf))
    assert loaded.delay == 3
    np.testing.assert_array_equal(loaded.R_, clf.R_)
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    sio = pytest.importorskip("skops.io")
    trusted = [
        "sklearn_attnrnn._classifier.AttentionRNNClassifier",
        "sklearn_attnrnn._optimizers.AdamOptimizer",
    ]
    loaded = sio.loads(sio.dumps(clf), trusted=trusted)
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_a_model_saved_before_the_delay_existed_loads_with_delay_none():
    X, y, _ = _series()
    clf = AttentionRNNClassifier(**FAST).fit(X, y)
    state = clf.__getstate__()
    del state["delay"]  # what an older version pickled had neither the
    del state["_fitted_delay"]  # parameter nor the fitted delay
    old = AttentionRNNClassifier.__new__(AttentionRNNClassifier)
    old.__setstate__(state)
    assert old.get_params()["delay"] is None
    np.testing.assert_array_equal(old.predict_proba(X), clf.predict_proba(X))
    old.set_params(warm_start=True, max_iter=2).fit(X, y)  # and trains on
    assert not hasattr(old, "R_")


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_language_model_with_a_delay():
    lm = CharLanguageModel(
        hidden_size=8, delay=2, solver="lbfgs", max_iter=50, random_state=0
    )
    lm.fit(["hello hello", "help"])
    assert lm.R_.shape == (8, 8)
    assert lm.perplexity("hello") < 3.0
    assert len(lm.sample("he", 3, random_state=0)) == 3
    weights = lm.attention_weights(["hel", "h"])
    np.testing.assert_allclose(np.nansum(weights, axis=1), 1.0)


@pytest.mark.parametrize("delay", [1, 0, 2.5, "2"])
def test_delay_must_be_an_int_of_at_least_2(delay):
    X, y, _ = _series()
    with pytest.raises(ValueError, match="delay"):
        AttentionRNNClassifier(delay=delay, **FAST).fit(X, y)


@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_a_gated_cell_with_a_delay_is_a_clear_error(cell):
    with pytest.raises(ValueError, match="Elman cell"):
        _network.init_params(3, 4, 2, np.random.RandomState(0), cell=cell, delay=2)
    params = _network.init_params(3, 4, 2, np.random.RandomState(0), cell=cell)
    params["R"] = np.eye(4)
    X = np.zeros((5, 2, 3))
    with pytest.raises(ValueError, match="Elman cell"):
        _network.loss_and_grads(params, X, np.array([5, 3]), np.array([0, 1]), delay=2)


@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_estimators_refuse_a_delay_with_a_gated_cell_before_any_change(cell):
    X, y, _ = _series()
    clf = AttentionRNNClassifier(cell=cell, delay=2, **FAST)
    with pytest.raises(ValueError, match="has no delay"):
        clf.fit(X, y)
    assert not hasattr(clf, "classes_") and not hasattr(clf, "W_")
