"""The seed notes, reproduced: their worked example and their formulations.

- every number the "hello" example of seeds 004/001 prints, from the notes'
  initial parameters, under the notes' gradient (and the exact one);
- next-character prediction (output at every step) is the same computation
  as classifying each prefix by its last step;
- the notes' gradient differs from the exact one only through attention;
- seed 002's forward-mode (real-time recurrent learning) sensitivities give
  the same gradient as the core's backpropagation through time.

The per-step quantities come from ``examples/plot_seed_worked_example.py``, which
only calls the core, loaded here from its path (examples are not a package).
"""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from sklearn_attnrnn import _network

_EXAMPLE = Path(__file__).parents[1] / "examples" / "plot_seed_worked_example.py"
_spec = importlib.util.spec_from_file_location("seed_worked_example", _EXAMPLE)
example = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(example)

# The notes print 4 decimals: a recomputation that rounds to their number is
# within half a unit of the last place.
ROUNDED = 5e-5
# A few printed numbers are one unit off in the last place (see each use).
LAST_DIGIT = 1e-4


def _notes_problem():
    X, lengths, Y = example.notes_data()
    return example.notes_params(), X, lengths, Y


def _grads(params, X, lengths, Y, gradient):
    return _network.loss_and_grads(
        params, X, lengths, Y, output="every", gradient=gradient
    )


# --------------------------------------------------------------------------
# The worked example, number by number (seed 004, sections 5 and 6)
# --------------------------------------------------------------------------


def test_forward_pass_matches_the_notes():
    steps = example.step_intermediates(*_notes_problem())
    np.testing.assert_allclose(
        steps["h"].ravel(), [0.1432, -0.3055, -0.4540, -0.3821], atol=ROUNDED
    )
    # a_t,i for i = 1..t (the notes' sums start at k = 0 but use 1..t).
    weights = [
        [1.0],
        [0.4658, 0.5342],
        [0.2827, 0.3466, 0.3707],
        [0.2143, 0.2544, 0.2693, 0.2620],
    ]
    for t, row in enumerate(weights):
        np.testing.assert_allclose(steps["weights"][t, : t + 1], row, atol=ROUNDED)
        assert np.all(steps["weights"][t, t + 1 :] == 0.0)  # causal
    np.testing.assert_allclose(
        steps["Z"].ravel(), [0.1432, -0.0965, -0.2337, -0.2694], atol=ROUNDED
    )
    # Two printed Omega entries are one unit off in the last place (0.0703
    # for 0.070244, 0.0294 for 0.029459): the notes' own arithmetic ran on
    # unrounded parameters (their W shows as both -0.5870 and -0.5869).
    Omega = [
        [-0.0322, -0.0437, 0.0703, 0.0396],
        [0.0217, 0.0294, -0.0473, -0.0267],
        [0.0525, 0.0713, -0.1146, -0.0647],
        [0.0605, 0.0822, -0.1321, -0.0746],
    ]
    np.testing.assert_allclose(steps["Omega"], Omega, atol=LAST_DIGIT)
    y_hat = [
        [0.2398, 0.2370, 0.2656, 0.2576],
        [0.2568, 0.2588, 0.2397, 0.2447],
        [0.2663, 0.2714, 0.2254, 0.2369],
        [0.2688, 0.2747, 0.2217, 0.2348],
    ]
    np.testing.assert_allclose(steps["y_hat"], y_hat, atol=ROUNDED)
    # Section 6.1 prints y_hat_t - y_t: only the target entry changes.
    rows, targets = np.arange(4), [1, 2, 2, 3]  # e, l, l, o
    residual = steps["y_hat"] - np.eye(4)[targets]
    np.testing.assert_allclose(
        residual[rows, targets], [-0.7630, -0.7603, -0.7746, -0.7652], atol=ROUNDED
    )
    np.testing.assert_allclose(
        steps["loss"], [1.4397, 1.4284, 1.4901, 1.4489], atol=ROUNDED
    )
    assert steps["loss"].sum() == pytest.approx(5.8071, abs=ROUNDED)
    loss, _ = _grads(*_notes_problem(), "exact")
    assert loss == pytest.approx(steps["loss"].sum(), rel=1e-14)


def test_notes_gradient_matches_the_notes():
    _, grads = _grads(*_notes_problem(), "notes")
    np.testing.assert_allclose(
        grads["V"].ravel(), [-0.2677, -0.4165, 0.5373, 0.1470], atol=ROUNDED
    )
    np.testing.assert_allclose(
        grads["c"], [1.0317, 0.0419, -1.0476, -0.0260], atol=ROUNDED
    )
    assert grads["W"].item() == pytest.approx(0.0274, abs=ROUNDED)
    # The notes print 0.1817 for 0.181771 (truncated, not rounded).
    np.testing.assert_allclose(
        grads["U"].ravel(), [0.1817, -0.3287, -0.2169, 0.0], atol=LAST_DIGIT
    )
    assert grads["U"][0, 3] == 0.0  # "o" is never an input
    assert grads["b"].item() == pytest.approx(-0.3639, abs=ROUNDED)


def test_exact_gradient_of_the_notes_example():
    # Values from shared/notes/worked-example.md.
    _, grads = _grads(*_notes_problem(), "exact")
    np.testing.assert_allclose(
        grads["V"].ravel(), [-0.1251, -0.2717, 0.2327, 0.1640], atol=ROUNDED
    )
    np.testing.assert_allclose(
        grads["c"], [1.0317, 0.0419, -1.0476, -0.0260], atol=ROUNDED
    )
    assert grads["W"].item() == pytest.approx(0.0402, abs=ROUNDED)
    np.testing.assert_allclose(
        grads["U"].ravel(), [0.2388, -0.3504, -0.2627, 0.0], atol=ROUNDED
    )
    assert grads["b"].item() == pytest.approx(-0.3742, abs=ROUNDED)


def test_one_update_matches_the_notes_with_learning_rate_0_01():
    params, X, lengths, Y = _notes_problem()
    _, grads = _grads(params, X, lengths, Y, "notes")
    # The notes write eta = 0.1, but c_new = 0 - 0.01 * 1.0317 = -0.0103.
    new = example.update(params, grads, learning_rate=0.01)
    np.testing.assert_allclose(
        new["V"].ravel(), [-0.2219, -0.3011, 0.4851, 0.2753], atol=ROUNDED
    )
    np.testing.assert_allclose(
        new["c"], [-0.0103, -0.0004, 0.0105, 0.0003], atol=ROUNDED
    )
    # The notes print -0.5872 for -0.5870 - 0.01 * 0.0274 = -0.587274: their W
    # was about -0.58695 (it shows as -0.5869 in their forward pass).
    assert new["W"].item() == pytest.approx(-0.5872, abs=LAST_DIGIT)
    np.testing.assert_allclose(
        new["U"].ravel(), [0.1424, -0.2282, -0.6668, 1.1585], atol=ROUNDED
    )
    assert new["b"].item() == pytest.approx(0.0036, abs=ROUNDED)


def test_second_epoch_matches_the_notes():
    params, X, lengths, Y = _notes_problem()
    _, grads = _grads(params, X, lengths, Y, "notes")
    steps = example.step_intermediates(
        example.update(params, grads, learning_rate=0.01), X, lengths, Y
    )
    y_hat = [
        [0.2372, 0.2368, 0.2683, 0.2576],
        [0.2539, 0.2583, 0.2428, 0.2450],
        [0.2633, 0.2709, 0.2285, 0.2373],
        [0.2657, 0.2741, 0.2248, 0.2353],
    ]
    np.testing.assert_allclose(steps["y_hat"], y_hat, atol=ROUNDED)
    np.testing.assert_allclose(
        steps["loss"], [1.4404, 1.4155, 1.4764, 1.4468], atol=ROUNDED
    )
    assert steps["loss"].sum() == pytest.approx(5.7791, abs=ROUNDED)


def test_losses_over_epochs_match_the_notes():
    params, X, lengths, Y = _notes_problem()
    losses = example.gradient_descent(
        params, X, lengths, Y, epochs=(1, 2, 100, 1000, 10000), gradient="notes"
    )
    assert losses[1] == pytest.approx(5.8071, abs=ROUNDED)
    assert losses[2] == pytest.approx(5.7791, abs=ROUNDED)
    assert losses[100] == pytest.approx(4.6789, abs=ROUNDED)
    # The notes print 2.1040; float64 gives 2.104073 (worked-example.md).
    assert losses[1000] == pytest.approx(2.1040, abs=LAST_DIGIT)
    assert losses[10000] == pytest.approx(0.3418, abs=ROUNDED)
    exact = example.gradient_descent(
        params, X, lengths, Y, epochs=(1, 2), gradient="exact"
    )
    assert exact[1] == losses[1]
    assert exact[2] == pytest.approx(5.7800, abs=ROUNDED)


# --------------------------------------------------------------------------
# Every-step output is prefix classification
# --------------------------------------------------------------------------


def _random_params(F, H, K, seed):
    rng = np.random.RandomState(seed)
    params = _network.init_params(F, H, K, rng)
    params["b"] = 0.3 * rng.randn(H)  # off zero, so that every term matters
    params["c"] = 0.3 * rng.randn(K)
    return params


@pytest.mark.parametrize("hidden", [1, 3])
def test_every_step_equals_summed_prefix_classification(hidden):
    X, lengths, Y = example.notes_data()
    if hidden == 1:
        params = example.notes_params()
    else:
        params = _random_params(4, hidden, 4, seed=hidden)
    T = lengths[0]
    every, every_grads = _network.loss_and_grads(params, X, lengths, Y, output="every")

    # The prefixes "h", "he", "hel", "hell", each alone, labels e, l, l, o.
    alone, alone_grads = 0.0, {name: 0.0 for name in _network.PARAM_NAMES}
    for t in range(1, T + 1):
        loss, grads = _network.loss_and_grads(
            params, X[:t], np.array([t]), Y[t - 1], output="last"
        )
        alone += loss
        for name in grads:
            alone_grads[name] = alone_grads[name] + grads[name]

    # The same four prefixes as one zero-padded batch, lengths 1..4.
    batch_X = np.zeros((T, T, X.shape[2]))
    for n in range(T):
        batch_X[: n + 1, n] = X[: n + 1, 0]
    batch, batch_grads = _network.loss_and_grads(
        params,
        batch_X,
        np.arange(1, T + 1),
        Y[:, 0],
        np.ones(T),
        output="last",
    )

    assert alone == pytest.approx(every, rel=1e-12)
    assert batch == pytest.approx(every, rel=1e-12)
    for name in _network.PARAM_NAMES:
        scale = np.abs(every_grads[name]).max()
        for other in (alone_grads[name], batch_grads[name]):
            np.testing.assert_allclose(other, every_grads[name], atol=1e-12 * scale)


# --------------------------------------------------------------------------
# The notes' gradient: a simplification of the attention path only
# --------------------------------------------------------------------------


def _random_sequences(F, K, T, N, seed):
    rng = np.random.RandomState(seed)
    X = rng.randn(T, N, F)
    lengths = np.full(N, T)
    return X, lengths, rng.randint(0, K, (T, N))


def test_notes_gradient_differs_from_exact_only_through_attention():
    params = _random_params(F=4, H=3, K=4, seed=0)
    X, lengths, Y = _random_sequences(F=4, K=4, T=6, N=2, seed=1)
    kwargs = dict(output="every")
    loss_n, notes = _network.loss_and_grads(
        params, X, lengths, Y, gradient="notes", **kwargs
    )
    loss_e, exact = _network.loss_and_grads(
        params, X, lengths, Y, gradient="exact", **kwargs
    )
    assert loss_n == loss_e  # same forward pass
    assert np.abs(notes["V"] - exact["V"]).max() > 1e-3
    assert np.abs(notes["W"] - exact["W"]).max() > 1e-3
    # Omega's gradient does not depend on the simplification.
    np.testing.assert_array_equal(notes["c"], exact["c"])

    # Without attention Z_t = h_t and no weights exist to hold constant.
    kwargs["attention"] = False
    _, notes = _network.loss_and_grads(
        params, X, lengths, Y, gradient="notes", **kwargs
    )
    _, exact = _network.loss_and_grads(
        params, X, lengths, Y, gradient="exact", **kwargs
    )
    for name in _network.PARAM_NAMES:
        np.testing.assert_array_equal(notes[name], exact[name])


# --------------------------------------------------------------------------
# Seed 002: forward-mode sensitivities (real-time recurrent learning)
# --------------------------------------------------------------------------


def _rtrl_reference(params, X, Y):
    """Gradient of seed 002's E = sum_t sum_k (y_hat_k^t - y_k^t)^2, forward mode.

    Seed 002's plain RNN, one sequence ``X`` (T, F), targets ``Y`` (T, K):

        z^t = U x^t + W s^{t-1} + b,   s^t = f(z^t),   f = tanh,   s^0 = 0
        y_hat^t = V s^t + c

    Sensitivities ds_l^t/du_ij are carried forward in time (seed 002):

        ds_l^0/du_ij = 0
        ds_l^t/du_ij = f'(z_l^t) (x_j^t delta_li + sum_m w_lm ds_m^{t-1}/du_ij)

    (the seed's garbled text reads ds_m^t inside the sum; it is t-1). For W
    the input term is s_j^{t-1} instead of x_j^t, for b it is 1 (the seed has
    no b and no c; they follow the same pattern). Then

        dE^t/du_ij = sum_k sum_l 2 (y_hat_k^t - y_k^t) v_kl ds_l^t/du_ij
        dE^t/dv_ij = 2 (y_hat_i^t - y_i^t) s_j^t,    dE^t/dc_i = 2 (y_hat_i^t - y_i^t)
    """
    U, W, b, V, c = (params[name] for name in _network.PARAM_NAMES)
    H, F = U.shape
    K = V.shape[0]
    delta = np.eye(H)  # delta_li
    ds_du = np.zeros((H, H, F))  # [l, i, j] = ds_l/du_ij
    ds_dw = np.zeros((H, H, H))  # [l, i, j] = ds_l/dw_ij
    ds_db = np.zeros((H, H))  # [l, i] = ds_l/db_i
    s_prev = np.zeros(H)
    dE = {
        "U": np.zeros((H, F)),
        "W": np.zeros((H, H)),
        "b": np.zeros(H),
        "V": np.zeros((K, H)),
        "c": np.zeros(K),
    }
    for x, y in zip(X, Y, strict=True):
        z = U @ x + W @ s_prev + b
        s = np.tanh(z)
        f_prime = 1.0 - s**2  # f'(z_l^t) for tanh
        # All three use ds^{t-1}: the right-hand sides are built before assigning.
        ds_du, ds_dw, ds_db = (
            f_prime[:, None, None]
            * (np.einsum("li,j->lij", delta, x) + np.einsum("lm,mij->lij", W, ds_du)),
            f_prime[:, None, None]
            * (
                np.einsum("li,j->lij", delta, s_prev)
                + np.einsum("lm,mij->lij", W, ds_dw)
            ),
            f_prime[:, None] * (delta + W @ ds_db),
        )
        y_hat = V @ s + c
        dE_dy = 2.0 * (y_hat - y)  # d/dy_hat_k of (y_hat_k - y_k)^2
        dE["U"] += np.einsum("k,kl,lij->ij", dE_dy, V, ds_du)
        dE["W"] += np.einsum("k,kl,lij->ij", dE_dy, V, ds_dw)
        dE["b"] += np.einsum("k,kl,li->i", dE_dy, V, ds_db)
        dE["V"] += np.outer(dE_dy, s)
        dE["c"] += dE_dy
        s_prev = s
    return dE


def test_rtrl_sensitivities_of_seed_002_equal_bptt():
    F, H, K, T, N = 3, 4, 2, 6, 2
    params = _random_params(F, H, K, seed=2)
    rng = np.random.RandomState(3)
    X = rng.randn(T, N, F)
    Y = rng.randn(T, N, K)
    _, bptt = _network.loss_and_grads(
        params,
        X,
        np.full(N, T),
        Y,
        loss="squared_error",
        output="every",
        attention=False,
    )
    # The core's squared error is sum_t mean_k (Omega_k - y_k)^2 / 2 (as
    # scikit-learn's MLP), i.e. seed 002's E = sum_t sum_k (y_hat_k - y_k)^2
    # divided by 2K: the gradients differ by that constant factor. The core
    # also sums over the sequences of a batch.
    reference = {name: 0.0 for name in _network.PARAM_NAMES}
    for n in range(N):
        dE = _rtrl_reference(params, X[:, n], Y[:, n])
        for name in reference:
            reference[name] = reference[name] + dE[name] / (2 * K)
    for name in _network.PARAM_NAMES:
        np.testing.assert_allclose(bptt[name], reference[name], rtol=1e-10, atol=0)
