"""Integer-coded inputs in the core: the one-hot path's numbers, without it."""

import numpy as np
import pytest
from test_network import (
    LENGTHS,
    _assert_gradients_match_finite_differences,
)

from sklearn_attnrnn import _network

F = 7  # the vocabulary: codes 0..6
# (cell, delay): every cell, and the Elman cell's delayed connection.
NETWORKS = [("elman", None), ("gru", None), ("lstm", None), ("elman", 2)]
MASKS = ["none", "input", "recurrent", "both"]


def _coded_problem(cell, delay, output, seed=0, H=5, K=4):
    """Parameters moved off their initialisation, codes with -1 on padding,
    class targets and sample weights."""
    rng = np.random.RandomState(seed)
    params = _network.init_params(F, H, K, rng, cell=cell, delay=delay)
    for name in params:  # biases off zero, so that every term matters
        params[name] = params[name] + 0.3 * rng.randn(*params[name].shape)
    T, N = LENGTHS.max(), len(LENGTHS)
    codes = rng.randint(0, F, (T, N))
    codes[np.arange(T)[:, None] >= LENGTHS[None, :]] = -1
    Y = rng.randint(0, K, (N,) if output == "last" else (T, N))
    return params, codes, Y, rng.rand(N)


def _one_hot(codes, dtype=np.float64):
    """The dense inputs the codes stand for: zero vectors on padding."""
    X = np.zeros(codes.shape + (F,), dtype)
    t, n = np.nonzero(codes >= 0)
    X[t, n, codes[t, n]] = 1.0
    return X


def _masks(which, H=5, seed=3):
    m_x, m_h = _network.dropout_masks(
        np.random.RandomState(seed), len(LENGTHS), F, H, 0.4, 0.4
    )
    assert (m_x == 0).any() and (m_h == 0).any()  # something is dropped
    return {
        "input_mask": m_x if which in ("input", "both") else None,
        "recurrent_mask": m_h if which in ("recurrent", "both") else None,
    }


@pytest.mark.parametrize("cell, delay", NETWORKS)
@pytest.mark.parametrize("output", ["last", "every"])
@pytest.mark.parametrize("attention", [True, False])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_codes_give_the_numbers_of_their_one_hot_inputs(
    cell, delay, output, attention, dtype
):
    params, codes, Y, w = _coded_problem(cell, delay, output)
    params = {k: v.astype(dtype) for k, v in params.items()}
    X = _one_hot(codes, dtype)
    # float64 to 1e-12; float32 to its own precision (the sums of dU run in
    # another order than the dense product's, and round at 1e-7)
    rtol, atol = (1e-12, 1e-14) if dtype == np.float64 else (1e-5, 1e-6)
    kwargs = dict(output=output, attention=attention, scale=0.4, delay=delay)
    for which in MASKS:
        masks = {
            k: None if m is None else m.astype(dtype) for k, m in _masks(which).items()
        }
        loss, grads = _network.loss_and_grads(
            params, codes, LENGTHS, Y, w, l2=0.05, **kwargs, **masks
        )
        dense_loss, dense_grads = _network.loss_and_grads(
            params, X, LENGTHS, Y, w, l2=0.05, **kwargs, **masks
        )
        assert loss == pytest.approx(dense_loss, rel=rtol), which
        assert set(grads) == set(dense_grads)
        for name, grad in grads.items():
            assert grad.dtype == dtype and grad.shape == params[name].shape
            np.testing.assert_allclose(
                grad, dense_grads[name], rtol=rtol, atol=atol, err_msg=f"{which} {name}"
            )
    Omega, weights = _network.forward(params, codes, LENGTHS, **kwargs)
    dense_Omega, dense_weights = _network.forward(params, X, LENGTHS, **kwargs)
    assert Omega.dtype == dtype
    real = (
        Omega if output == "last" else Omega[np.arange(X.shape[0]) < LENGTHS[:, None]]
    )
    dense_real = (
        dense_Omega
        if output == "last"
        else dense_Omega[np.arange(X.shape[0]) < LENGTHS[:, None]]
    )
    np.testing.assert_allclose(real, dense_real, rtol=rtol, atol=atol)
    if attention:
        np.testing.assert_allclose(weights, dense_weights, rtol=rtol, atol=atol)
    else:
        assert weights is None and dense_weights is None
    np.testing.assert_allclose(
        _network.hidden_states(params, codes, delay=delay),
        _network.hidden_states(params, X, delay=delay),
        rtol=rtol,
        atol=atol,
    )


@pytest.mark.parametrize("cell, delay", NETWORKS)
@pytest.mark.parametrize("output", ["last", "every"])
@pytest.mark.parametrize("attention", [True, False])
def test_coded_gradients_with_dropout_match_finite_differences(
    cell, delay, output, attention
):
    params, codes, Y, w = _coded_problem(cell, delay, output)
    kwargs = dict(output=output, attention=attention, scale=0.4, l2=0.05, delay=delay)
    _assert_gradients_match_finite_differences(
        params, codes, Y, w, **kwargs, **_masks("both")
    )


def test_a_dropped_character_is_a_zero_input_and_gets_no_gradient():
    # m_x[n, code] = 0: that character reads as padding does in sequence n
    # (U x_t = 0, the code -1), and its column of U learns nothing from n.
    params, codes, Y, _ = _coded_problem("elman", None, "every")
    N = len(LENGTHS)
    code = codes[0, 0]
    m_x = np.ones((N, F))
    m_x[0, code] = 0.0
    as_padding = codes.copy()
    as_padding[:, 0][codes[:, 0] == code] = -1
    h_dropped = _network._hidden_states(params, codes, None, m_x)[0].h
    h_padding = _network.hidden_states(params, as_padding)
    np.testing.assert_array_equal(h_dropped[:, 0], h_padding[:, 0])
    only_first = np.eye(N)[0]
    _, grads = _network.loss_and_grads(
        params, codes, LENGTHS, Y, only_first, output="every", input_mask=m_x
    )
    unused = set(range(F)) - set(codes[: LENGTHS[0], 0].tolist())
    for column in unused | {code}:
        assert not grads["U"][:, column].any()
    assert np.abs(grads["U"]).sum(axis=0).astype(bool).sum() == F - len(unused) - 1


def test_codes_on_padding_never_reach_the_result():
    params, codes, Y, w = _coded_problem("lstm", None, "every")
    other = codes.copy()
    other[codes < 0] = 3  # any code at all on padding
    loss, grads = _network.loss_and_grads(params, codes, LENGTHS, Y, w, output="every")
    loss3, grads3 = _network.loss_and_grads(
        params, other, LENGTHS, Y, w, output="every"
    )
    assert loss3 == loss
    for name in grads:
        np.testing.assert_array_equal(grads3[name], grads[name])
