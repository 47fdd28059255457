"""The core: exact gradients against finite differences, masking, dtypes."""

import numpy as np
import pytest

from sklearn_attnrnn import _network

LENGTHS = np.array([6, 1, 3, 6, 2])


def _problem(output, loss, seed=0, F=3, H=5, K=4, cell="elman"):
    rng = np.random.RandomState(seed)
    params = _network.init_params(F, H, K, rng, cell=cell)
    for name in params:  # move biases off zero so that every term matters
        params[name] = params[name] + 0.3 * rng.randn(*params[name].shape)
    T, N = LENGTHS.max(), len(LENGTHS)
    X = rng.randn(T, N, F)
    for n, length in enumerate(LENGTHS):
        X[length:, n] = 0.0
    shape = (N,) if output == "last" else (T, N)
    if loss == "log_loss":
        Y = rng.randint(0, K, shape)
    else:
        Y = rng.randn(*shape, K)
    return params, X, Y, rng.rand(N)


def _numerical_grads(params, fun, eps=1e-6):
    grads = {}
    for name, value in params.items():
        grads[name] = np.zeros_like(value)
        for idx in np.ndindex(value.shape):
            old = value[idx]
            value[idx] = old + eps
            plus = fun(params)
            value[idx] = old - eps
            minus = fun(params)
            value[idx] = old
            grads[name][idx] = (plus - minus) / (2 * eps)
    return grads


def _assert_gradients_match_finite_differences(params, X, Y, w, **kwargs):
    """loss_and_grads' gradient equals central differences of its loss."""
    _, grads = _network.loss_and_grads(params, X, LENGTHS, Y, w, **kwargs)
    numerical = _numerical_grads(
        params, lambda p: _network.loss_and_grads(p, X, LENGTHS, Y, w, **kwargs)[0]
    )
    assert set(grads) == set(params)
    for name in grads:
        err = np.abs(grads[name] - numerical[name]).max()
        rel = err / max(np.abs(numerical[name]).max(), 1e-12)
        assert rel < 1e-6, (name, rel)


@pytest.mark.parametrize("output", ["last", "every"])
@pytest.mark.parametrize("attention", [True, False])
@pytest.mark.parametrize("loss", ["log_loss", "squared_error"])
@pytest.mark.parametrize("scale", [1.0, 0.4])
def test_gradients_match_finite_differences(output, attention, loss, scale):
    params, X, Y, w = _problem(output, loss)
    kwargs = dict(loss=loss, output=output, attention=attention, scale=scale, l2=0.05)
    _assert_gradients_match_finite_differences(params, X, Y, w, **kwargs)


@pytest.mark.parametrize("output", ["last", "every"])
def test_padding_never_reaches_the_result(output):
    """Changing what stands in the padding changes neither loss nor grads."""
    params, X, Y, w = _problem(output, "log_loss")
    loss, grads = _network.loss_and_grads(params, X, LENGTHS, Y, w, output=output)
    X2 = X.copy()
    extra = np.concatenate([X2, np.zeros((3,) + X2.shape[1:])])  # longer padding
    for n, length in enumerate(LENGTHS):
        extra[length:, n] = 7.0
    if output == "every":
        Y = np.concatenate([Y, np.zeros((3, Y.shape[1]), dtype=Y.dtype)])
    loss2, grads2 = _network.loss_and_grads(params, extra, LENGTHS, Y, w, output=output)
    assert loss2 == pytest.approx(loss, rel=1e-12)
    for name in grads:
        np.testing.assert_allclose(grads2[name], grads[name], rtol=1e-10, atol=1e-14)


def test_last_step_attention_weights_cover_only_real_steps():
    params, X, _, _ = _problem("last", "log_loss")
    Omega, weights = _network.forward(params, X, LENGTHS)
    assert Omega.shape == (5, 4)
    np.testing.assert_allclose(weights.sum(axis=1), 1.0)
    for n, length in enumerate(LENGTHS):
        assert np.all(weights[n, length:] == 0.0)
        assert np.all(weights[n, :length] > 0.0)
    assert weights[1, 0] == 1.0  # one step: the weight is exactly 1


def test_each_sequence_alone_equals_the_batch():
    params, X, _, _ = _problem("last", "log_loss")
    Omega, _ = _network.forward(params, X, LENGTHS)
    for n, length in enumerate(LENGTHS):
        alone, _ = _network.forward(params, X[:length, n : n + 1], LENGTHS[n : n + 1])
        np.testing.assert_allclose(alone[0], Omega[n], rtol=1e-12)


def test_without_attention_the_output_reads_the_last_hidden_state():
    params, X, _, _ = _problem("last", "log_loss")
    h = _network.hidden_states(params, X)
    Omega, weights = _network.forward(params, X, LENGTHS, attention=False)
    assert weights is None
    h_last = h[LENGTHS - 1, np.arange(len(LENGTHS))]
    np.testing.assert_allclose(Omega, h_last @ params["V"].T + params["c"])


def assert_float32_close_to_float64(params, X, Y, w, **kwargs):
    """float32 parameters and X give float32 results close to float64's."""
    p32 = {k: v.astype(np.float32) for k, v in params.items()}
    loss32, grads32 = _network.loss_and_grads(
        p32, X.astype(np.float32), LENGTHS, Y, w, **kwargs
    )
    loss64, grads64 = _network.loss_and_grads(params, X, LENGTHS, Y, w, **kwargs)
    assert loss32 == pytest.approx(loss64, rel=1e-5)
    for name in grads32:
        assert grads32[name].dtype == np.float32
        np.testing.assert_allclose(grads32[name], grads64[name], rtol=1e-3, atol=1e-5)
    Omega32, _ = _network.forward(p32, X.astype(np.float32), LENGTHS)
    assert Omega32.dtype == np.float32


def test_float32_in_float32_out_and_close_to_float64():
    assert_float32_close_to_float64(*_problem("last", "log_loss"))


def test_softmax_is_stable_for_huge_outputs():
    params, X, Y, w = _problem("last", "log_loss")
    params["c"] = np.array([1e4, -1e4, 0.0, 5e3])
    loss, grads = _network.loss_and_grads(params, X, LENGTHS, Y, w)
    assert np.isfinite(loss)
    assert all(np.isfinite(g).all() for g in grads.values())
    np.testing.assert_allclose(
        _network.output_function(np.array([[1e4, 0.0]]), "log_loss"), [[1.0, 0.0]]
    )


def test_init_params_orthogonal_recurrence_and_glorot_bounds():
    p = _network.init_params(7, 16, 3, np.random.RandomState(0))
    np.testing.assert_allclose(p["W"] @ p["W"].T, np.eye(16), atol=1e-12)
    assert np.abs(p["U"]).max() <= np.sqrt(6 / (7 + 16))
    assert np.abs(p["V"]).max() <= np.sqrt(6 / (16 + 3))
    assert not p["b"].any() and not p["c"].any()
    again = _network.init_params(7, 16, 3, np.random.RandomState(0))
    assert all(np.array_equal(p[k], again[k]) for k in p)


def test_weighted_loss_is_the_weighted_sum_of_single_losses():
    params, X, Y, w = _problem("last", "log_loss")
    total, _ = _network.loss_and_grads(params, X, LENGTHS, Y, w)
    singles = [
        _network.loss_and_grads(
            params, X[:, n : n + 1], LENGTHS[n : n + 1], Y[n : n + 1]
        )[0]
        for n in range(len(LENGTHS))
    ]
    assert total == pytest.approx(np.dot(w, singles), rel=1e-12)


@pytest.mark.parametrize("n_features", [2, 9])
def test_both_input_projections_give_the_recurrence_of_the_notes(n_features):
    # forward projects U x_t + b either straight from batch-major data (many
    # features per step) or through [X, 1] (few): both must be the recurrence
    # h_t = tanh(U x_t + W h_{t-1} + b), written here step by step.
    rng = np.random.RandomState(3)
    H, T, N = 6, 5, 4
    p = _network.init_params(n_features, H, 3, rng)
    p["b"] = rng.randn(H)
    batch_major = rng.randn(N, T, n_features)
    expected = np.zeros((T, N, H))
    h_prev = np.zeros((N, H))
    for t in range(T):
        h_prev = np.tanh(batch_major[:, t] @ p["U"].T + h_prev @ p["W"].T + p["b"])
        expected[t] = h_prev
    view = batch_major.transpose(1, 0, 2)  # time-major view (the direct path)
    copy = np.ascontiguousarray(view)  # time-major array (the [X, 1] path)
    for X in (view, copy):
        np.testing.assert_allclose(
            _network.hidden_states(p, X), expected, rtol=1e-12, atol=1e-14
        )
    lengths = np.array([5, 3, 5, 1])
    np.testing.assert_allclose(
        _network.forward(p, view, lengths)[0],
        _network.forward(p, copy, lengths)[0],
        rtol=1e-12,
    )


# ----------------------------------------------------------------------
# Dropout masks (Keras' SimpleRNN dropout / recurrent_dropout)
# ----------------------------------------------------------------------
def _masks(seed=5, dropout=0.4, recurrent_dropout=0.4, F=3, H=5):
    return _network.dropout_masks(
        np.random.RandomState(seed), len(LENGTHS), F, H, dropout, recurrent_dropout
    )


@pytest.mark.parametrize("output", ["last", "every"])
@pytest.mark.parametrize("attention", [True, False])
@pytest.mark.parametrize("loss", ["log_loss", "squared_error"])
@pytest.mark.parametrize("which", ["input", "recurrent", "both"])
def test_gradients_with_dropout_masks_match_finite_differences(
    output, attention, loss, which
):
    params, X, Y, w = _problem(output, loss)
    m_x, m_h = _masks()
    assert (m_x == 0).any() and (m_h == 0).any()  # something is dropped
    masks = {
        "input_mask": m_x if which != "recurrent" else None,
        "recurrent_mask": m_h if which != "input" else None,
    }
    kwargs = dict(
        loss=loss, output=output, attention=attention, scale=0.4, l2=0.05, **masks
    )
    _assert_gradients_match_finite_differences(params, X, Y, w, **kwargs)


def test_dropout_masks_are_the_masked_recurrence_written_step_by_step():
    # h_t = tanh(U (m_x * x_t) + W (m_h * h_{t-1}) + b), one mask per
    # sequence for all steps; the loss is that of outputs read from these h.
    params, X, Y, w = _problem("last", "log_loss")
    m_x, m_h = _masks()
    h_prev = np.zeros((len(LENGTHS), 5))
    hs = []
    for t in range(X.shape[0]):
        pre = (m_x * X[t]) @ params["U"].T + (m_h * h_prev) @ params["W"].T
        h_prev = np.tanh(pre + params["b"])
        hs.append(h_prev)
    h_last = np.array(hs)[LENGTHS - 1, np.arange(len(LENGTHS))]
    Omega = h_last @ params["V"].T + params["c"]
    log_p = _network.log_output_function(Omega)
    expected = -(w * log_p[np.arange(len(Y)), Y]).sum()
    loss, _ = _network.loss_and_grads(
        params,
        X,
        LENGTHS,
        Y,
        w,
        attention=False,
        input_mask=m_x,
        recurrent_mask=m_h,
    )
    assert loss == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("output", ["last", "every"])
@pytest.mark.parametrize("cell", ["elman", "gru", "lstm"])
def test_a_padded_batch_step_is_the_sum_of_its_sequences_alone(output, cell):
    # The fit's batch step (weighted loss and gradients, with dropout masks)
    # over a padded batch equals the sum over its sequences, each run alone
    # with no padding: nothing crosses between sequences or out of padding.
    params, X, Y, w = _problem(output, "log_loss", cell=cell)
    m_x, m_h = _masks()
    kwargs = dict(output=output, attention=True, scale=0.4)
    loss, grads = _network.loss_and_grads(
        params, X, LENGTHS, Y, w, input_mask=m_x, recurrent_mask=m_h, **kwargs
    )
    total, summed = 0.0, {name: 0.0 for name in grads}
    for n, length in enumerate(LENGTHS):
        alone = slice(n, n + 1)
        Y_n = Y[alone] if output == "last" else Y[:length, alone]
        loss_n, grads_n = _network.loss_and_grads(
            params,
            X[:length, alone],
            LENGTHS[alone],
            Y_n,
            w[alone],
            input_mask=m_x[alone],
            recurrent_mask=m_h[alone],
            **kwargs,
        )
        total += loss_n
        summed = {name: summed[name] + grads_n[name] for name in grads}
    assert loss == pytest.approx(total, rel=1e-12)
    for name in grads:
        np.testing.assert_allclose(grads[name], summed[name], rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("output", ["last", "every"])
@pytest.mark.parametrize("attention", [True, False])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("H", [5, 64])
def test_masks_of_ones_give_bit_identical_results(output, attention, dtype, H):
    # The masked loops do the same float operations as the unmasked ones when
    # nothing is dropped. (Bit for bit as long as H fits in one block of the
    # BLAS gemm kernel, a few hundred units: beyond, the masked backward
    # adds W^T delta_t to dh_{t-1} after the product instead of inside it.)
    params, X, Y, w = _problem(output, "log_loss", H=H)
    params = {k: v.astype(dtype) for k, v in params.items()}
    X = X.astype(dtype)
    N, F = len(LENGTHS), X.shape[2]
    kwargs = dict(output=output, attention=attention, l2=0.05)
    loss, grads = _network.loss_and_grads(params, X, LENGTHS, Y, w, **kwargs)
    loss1, grads1 = _network.loss_and_grads(
        params,
        X,
        LENGTHS,
        Y,
        w,
        input_mask=np.ones((N, F), dtype),
        recurrent_mask=np.ones((N, H), dtype),
        **kwargs,
    )
    assert loss1 == loss
    for name in _network.PARAM_NAMES:
        assert grads1[name].dtype == dtype
        np.testing.assert_array_equal(grads1[name], grads[name])


def test_dropout_masks_draw_inverted_bernoulli_masks_per_sequence():
    rng = np.random.RandomState(0)
    m_x, m_h = _network.dropout_masks(rng, 4000, 3, 5, 0.25, 0.5)
    assert m_x.shape == (4000, 3) and m_h.shape == (4000, 5)
    assert set(np.unique(m_x)) == {0.0, 1 / 0.75}
    assert set(np.unique(m_h)) == {0.0, 2.0}
    assert (m_x == 0).mean() == pytest.approx(0.25, abs=0.02)
    assert (m_h == 0).mean() == pytest.approx(0.5, abs=0.02)
    # inverted dropout: each unit's expected multiplier is 1
    assert m_x.mean() == pytest.approx(1.0, abs=0.03)
    m_x32, _ = _network.dropout_masks(rng, 2, 3, 5, 0.25, 0.0, dtype=np.float32)
    assert m_x32.dtype == np.float32


def test_dropout_masks_at_rate_zero_draw_nothing():
    rng = np.random.RandomState(0)
    state = rng.get_state()[1].copy(), rng.get_state()[2]
    assert _network.dropout_masks(rng, 10, 3, 5, 0.0, 0.0) == (None, None)
    assert np.array_equal(rng.get_state()[1], state[0])
    assert rng.get_state()[2] == state[1]
    m_x, m_h = _network.dropout_masks(rng, 10, 3, 5, 0.0, 0.3)
    assert m_x is None and m_h.shape == (10, 5)
    # the same seed draws the same masks
    again = _network.dropout_masks(np.random.RandomState(0), 10, 3, 5, 0.0, 0.3)
    np.testing.assert_array_equal(again[1], m_h)


@pytest.mark.parametrize("rate", [1.0, -0.1, 1.5])
def test_dropout_masks_reject_rates_outside_0_1(rate):
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        _network.dropout_masks(np.random.RandomState(0), 2, 3, 5, rate, 0.0)


def test_prediction_never_drops():
    # forward takes no mask: Omega is that of the unmasked recurrence, and a
    # masked loss differs from it only through the masks.
    params, X, Y, w = _problem("last", "log_loss")
    m_x, m_h = _masks()
    plain, _ = _network.loss_and_grads(params, X, LENGTHS, Y, w)
    masked, _ = _network.loss_and_grads(
        params, X, LENGTHS, Y, w, input_mask=m_x, recurrent_mask=m_h
    )
    assert masked != plain
    Omega, _ = _network.forward(params, X, LENGTHS)
    log_p = _network.log_output_function(Omega)
    assert plain == pytest.approx(-(w * log_p[np.arange(len(Y)), Y]).sum(), rel=1e-12)
