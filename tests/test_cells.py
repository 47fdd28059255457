"""The gated cells of the core: PyTorch's equations, exact gradients."""

import pickle
import warnings

import joblib
import numpy as np
import pytest
import test_network
from sklearn.exceptions import ConvergenceWarning
from test_network import LENGTHS, _numerical_grads

from sklearn_attnrnn import (
    AttentionRNNClassifier,
    AttentionRNNRegressor,
    CharLanguageModel,
    _network,
)

GATED = ["gru", "lstm"]


def _problem(cell, output="last", loss="log_loss", F=3):
    return test_network._problem(output, loss, F=F, cell=cell)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _reference_hidden_states(params, X, input_mask=None, recurrent_mask=None):
    """PyTorch's nn.GRU / nn.LSTM equations, step by step, with Keras' masks."""
    U, W, b = params["U"], params["W"], params["b"]
    H = W.shape[1]
    T, N, _ = X.shape
    h, c = np.zeros((N, H)), np.zeros((N, H))
    m_x = 1.0 if input_mask is None else input_mask
    m_h = 1.0 if recurrent_mask is None else recurrent_mask
    out = []
    for t in range(T):
        x_part = (m_x * X[t]) @ U.T + b
        h_part = (m_h * h) @ W.T
        if "b_hn" in params:  # GRU: r, z, n
            r = _sigmoid(x_part[:, :H] + h_part[:, :H])
            z = _sigmoid(x_part[:, H : 2 * H] + h_part[:, H : 2 * H])
            n = np.tanh(x_part[:, 2 * H :] + r * (h_part[:, 2 * H :] + params["b_hn"]))
            h = (1 - z) * n + z * h
        else:  # LSTM: i, f, g, o
            a = x_part + h_part
            i, f = _sigmoid(a[:, :H]), _sigmoid(a[:, H : 2 * H])
            g, o = np.tanh(a[:, 2 * H : 3 * H]), _sigmoid(a[:, 3 * H :])
            c = f * c + i * g
            h = o * np.tanh(c)
        out.append(h)
    return np.array(out)


@pytest.mark.parametrize("cell", ["elman", *GATED])
def test_init_params_shapes_and_order(cell):
    p = _network.init_params(7, 4, 3, np.random.RandomState(0), cell=cell)
    G = _network.N_GATES[cell]
    assert tuple(p) == _network.param_names(cell)
    assert p["U"].shape == (G * 4, 7) and p["W"].shape == (G * 4, 4)
    assert p["b"].shape == (G * 4,)
    assert _network.cell_of(p) == cell
    for gate in range(G):  # each gate's recurrent block is orthogonal
        block = p["W"][gate * 4 : (gate + 1) * 4]
        np.testing.assert_allclose(block @ block.T, np.eye(4), atol=1e-12)
    assert np.abs(p["U"]).max() <= np.sqrt(6 / (7 + 4))
    forget = np.zeros(G * 4, bool)
    if cell == "lstm":
        forget[4:8] = True
    np.testing.assert_array_equal(p["b"], forget.astype(float))
    if cell == "gru":
        np.testing.assert_array_equal(p["b_hn"], 0.0)


@pytest.mark.parametrize("cell", GATED)
@pytest.mark.parametrize("n_features", [2, 40])
def test_hidden_states_follow_pytorch_equations(cell, n_features):
    # both input projections (through [X, 1] with few features, straight
    # from batch-major data with many) against the equations step by step
    params, _, _, _ = _problem(cell, F=n_features)
    batch_major = np.random.RandomState(1).randn(4, 7, n_features)
    expected = _reference_hidden_states(params, batch_major.transpose(1, 0, 2))
    view = batch_major.transpose(1, 0, 2)
    for X in (view, np.ascontiguousarray(view)):
        np.testing.assert_allclose(
            _network.hidden_states(params, X), expected, rtol=1e-12, atol=1e-14
        )


@pytest.mark.parametrize("cell", GATED)
def test_hidden_states_equal_torch_modules_with_the_documented_mapping(cell):
    torch = pytest.importorskip("torch")
    params, X, _, _ = _problem(cell)
    H = params["W"].shape[1]
    module = (torch.nn.GRU if cell == "gru" else torch.nn.LSTM)(3, H).double()
    bias_hh = np.zeros_like(params["b"])
    if cell == "gru":
        bias_hh[2 * H :] = params["b_hn"]
    with torch.no_grad():
        module.weight_ih_l0.copy_(torch.from_numpy(params["U"]))
        module.weight_hh_l0.copy_(torch.from_numpy(params["W"]))
        module.bias_ih_l0.copy_(torch.from_numpy(params["b"]))
        module.bias_hh_l0.copy_(torch.from_numpy(bias_hh))
        expected = module(torch.from_numpy(X))[0].numpy()
    np.testing.assert_allclose(
        _network.hidden_states(params, X), expected, rtol=1e-12, atol=1e-14
    )


@pytest.mark.parametrize("cell", GATED)
@pytest.mark.parametrize("output", ["last", "every"])
@pytest.mark.parametrize("attention", [True, False])
@pytest.mark.parametrize("masks", ["none", "input", "recurrent", "both"])
def test_gradients_match_finite_differences(cell, output, attention, masks):
    loss = "log_loss" if output == "last" else "squared_error"
    params, X, Y, w = _problem(cell, output, loss)
    m_x, m_h = _network.dropout_masks(
        np.random.RandomState(5), len(LENGTHS), 3, 5, 0.4, 0.4
    )
    assert (m_x == 0).any() and (m_h == 0).any()  # something is dropped
    kwargs = dict(
        loss=loss,
        output=output,
        attention=attention,
        scale=0.4,
        l2=0.05,
        input_mask=m_x if masks in ("input", "both") else None,
        recurrent_mask=m_h if masks in ("recurrent", "both") else None,
    )
    value, grads = _network.loss_and_grads(params, X, LENGTHS, Y, w, **kwargs)
    assert tuple(grads) == _network.param_names(cell)
    numerical = _numerical_grads(
        params, lambda p: _network.loss_and_grads(p, X, LENGTHS, Y, w, **kwargs)[0]
    )
    for name in params:
        err = np.abs(grads[name] - numerical[name]).max()
        rel = err / max(np.abs(numerical[name]).max(), 1e-12)
        assert rel < 1e-6, (name, rel)


@pytest.mark.parametrize("cell", GATED)
def test_masked_loss_is_the_masked_recurrence_of_the_equations(cell):
    # Keras' masks: m_x on x_t and m_h on h_{t-1} in every gate's product;
    # the GRU's z h_{t-1} and the LSTM's c_{t-1} undropped.
    params, X, Y, w = _problem(cell)
    m_x, m_h = _network.dropout_masks(
        np.random.RandomState(5), len(LENGTHS), 3, 5, 0.4, 0.4
    )
    h = _reference_hidden_states(params, X, m_x, m_h)
    h_last = h[LENGTHS - 1, np.arange(len(LENGTHS))]
    log_p = _network.log_output_function(h_last @ params["V"].T + params["c"])
    expected = -(w * log_p[np.arange(len(Y)), Y]).sum()
    value, _ = _network.loss_and_grads(
        params, X, LENGTHS, Y, w, attention=False, input_mask=m_x, recurrent_mask=m_h
    )
    assert value == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("cell", GATED)
@pytest.mark.parametrize("output", ["last", "every"])
def test_padding_never_reaches_the_result(cell, output):
    params, X, Y, w = _problem(cell, output)
    value, grads = _network.loss_and_grads(params, X, LENGTHS, Y, w, output=output)
    longer = np.concatenate([X, np.zeros((3,) + X.shape[1:])])
    for n, length in enumerate(LENGTHS):
        longer[length:, n] = 7.0
    if output == "every":
        Y = np.concatenate([Y, np.zeros((3, Y.shape[1]), dtype=Y.dtype)])
    value2, grads2 = _network.loss_and_grads(
        params, longer, LENGTHS, Y, w, output=output
    )
    assert value2 == pytest.approx(value, rel=1e-12)
    for name in grads:
        np.testing.assert_allclose(grads2[name], grads[name], rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("cell", GATED)
def test_float32_in_float32_out_and_close_to_float64(cell):
    m_x, m_h = _network.dropout_masks(
        np.random.RandomState(5), len(LENGTHS), 3, 5, 0.4, 0.4, dtype=np.float32
    )
    test_network.assert_float32_close_to_float64(
        *_problem(cell), input_mask=m_x, recurrent_mask=m_h
    )


@pytest.mark.parametrize("cell", GATED)
def test_the_notes_gradient_is_for_the_elman_cell_only(cell):
    params, X, Y, w = _problem(cell)
    with pytest.raises(ValueError, match="Elman cell"):
        _network.loss_and_grads(params, X, LENGTHS, Y, w, gradient="notes")


@pytest.mark.parametrize("cell", GATED)
def test_a_workspace_reused_across_batch_shapes_gives_the_same_results(cell):
    params, X, Y, w = _problem(cell)
    workspace = _network.Workspace()
    fresh = _network.loss_and_grads(params, X, LENGTHS, Y, w)
    _network.loss_and_grads(
        params, X[:3, :2], np.array([3, 1]), Y[:2], w[:2], workspace=workspace
    )
    reused = _network.loss_and_grads(params, X, LENGTHS, Y, w, workspace=workspace)
    assert reused[0] == fresh[0]
    for name in fresh[1]:
        np.testing.assert_array_equal(reused[1][name], fresh[1][name])


# ----------------------------------------------------------------------
# The estimators with every cell
# ----------------------------------------------------------------------
def _sequences(n=40, seed=0, dtype=np.float64):
    """Ragged NaN-padded sequences of 3 features; a class and a target."""
    rng = np.random.RandomState(seed)
    X = rng.randn(n, 8, 3).astype(dtype)
    lengths = rng.randint(2, 9, n)
    X[np.arange(8)[None, :] >= lengths[:, None]] = np.nan
    score = np.nanmean(X[:, :, 0], axis=1)
    return X, (score > 0).astype(int), score


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("cell", GATED)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_classifier_with_a_gated_cell_learns_and_reads_attention(cell, dtype):
    X, y, _ = _sequences(dtype=dtype)
    clf = AttentionRNNClassifier(
        hidden_size=6,
        cell=cell,
        dropout=0.1,
        recurrent_dropout=0.2,
        learning_rate=1e-2,
        max_iter=40,
        random_state=0,
    ).fit(X, y)
    G = _network.N_GATES[cell]
    assert clf.U_.shape == (G * 6, 3) and clf.W_.shape == (G * 6, 6)
    assert clf.U_.dtype == dtype and clf.predict_proba(X).dtype == dtype
    assert hasattr(clf, "b_hn_") == (cell == "gru")
    assert clf.loss_curve_[-1] < clf.loss_curve_[0]
    assert clf.score(X, y) > 0.8
    weights = clf.attention_weights(X)
    lengths = (~np.isnan(X[:, :, 0])).sum(axis=1)
    np.testing.assert_allclose(np.nansum(weights, axis=1), 1.0, rtol=1e-5)
    assert np.isnan(weights[np.arange(8)[None, :] >= lengths[:, None]]).all()


@pytest.mark.parametrize("cell", GATED)
def test_lbfgs_and_the_regressor_with_a_gated_cell(cell):
    X, _, score = _sequences()
    reg = AttentionRNNRegressor(
        hidden_size=5, cell=cell, solver="lbfgs", max_iter=60, random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg.fit(X, score)
    assert reg.n_iter_ > 5
    assert reg.score(X, score) > 0.9


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("cell", GATED)
def test_language_model_with_a_gated_cell(cell):
    texts = ["abcabcabc", "abcab", "cabca"] * 4
    lm = CharLanguageModel(
        hidden_size=8, cell=cell, learning_rate=2e-2, max_iter=60, random_state=0
    ).fit(texts)
    assert lm.W_.shape == (_network.N_GATES[cell] * 8, 8)
    assert lm.loss_curve_[-1] < 0.5 * lm.loss_curve_[0]
    assert lm.sample("ab", n_chars=4, temperature=0.01, random_state=0) == "cabc"


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("cell", GATED)
def test_warm_start_with_a_gated_cell_continues_exactly(cell):
    # 3 + 4 warm-started epochs are 7 epochs: the flat parameter vector
    # holds every parameter of the cell (b_hn_ too) and Adam's state for it.
    X, y, _ = _sequences(seed=1)
    params = dict(hidden_size=4, cell=cell, batch_size=10, shuffle=False)
    params.update(tol=0.0, n_iter_no_change=100, random_state=0)
    params.update(recurrent_dropout=0.2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        straight = AttentionRNNClassifier(max_iter=7, **params).fit(X, y)
        warm = AttentionRNNClassifier(max_iter=3, **params).fit(X, y)
        warm = pickle.loads(pickle.dumps(warm))
        warm.set_params(warm_start=True, max_iter=4).fit(X, y)
    for name in _network.param_names(cell):
        np.testing.assert_array_equal(
            getattr(warm, name + "_"), getattr(straight, name + "_")
        )
    assert warm.loss_curve_ == straight.loss_curve_


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_a_changed_cell_is_refused_on_continue_and_taken_on_refit():
    X, y, _ = _sequences()
    clf = AttentionRNNClassifier(hidden_size=4, cell="gru", max_iter=2, random_state=0)
    clf.partial_fit(X, y, classes=[0, 1])
    U = clf.U_.copy()
    for change in ({"cell": "lstm"}, {"cell": "elman", "warm_start": True}):
        clf.set_params(**change)
        with pytest.raises(ValueError, match="cell cannot change"):
            clf.partial_fit(X, y) if "warm_start" not in change else clf.fit(X, y)
        np.testing.assert_array_equal(clf.U_, U)  # refused: the model is as it was
        assert clf.predict_proba(X).shape == (40, 2)  # and still the GRU's
    clf.set_params(cell="lstm", warm_start=False).fit(X, y)
    assert clf.W_.shape == (16, 4) and not hasattr(clf, "b_hn_")
    assert _network.cell_of(clf._params) == "lstm"


def test_a_model_pickled_by_0_2_loads_as_elman():
    # 0.2 had no cell parameter: its pickles have no "cell" in their state.
    X, y, _ = _sequences()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = AttentionRNNClassifier(hidden_size=4, max_iter=3, random_state=0)
        clf.fit(X, y)
    old = pickle.loads(pickle.dumps(clf))
    del old.cell
    old._fitted_version = "0.2.0"
    with pytest.warns(UserWarning, match="saved with sklearn-attnrnn 0.2.0"):
        loaded = pickle.loads(pickle.dumps(old))
    assert loaded.get_params()["cell"] == "elman"
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        loaded.set_params(warm_start=True).fit(X, y)  # trains on as an Elman RNN


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("cell", GATED)
def test_gated_models_round_trip_through_joblib_and_skops(cell, tmp_path):
    X, y, _ = _sequences()
    clf = AttentionRNNClassifier(hidden_size=4, cell=cell, max_iter=3, random_state=0)
    clf.fit(X, y)
    joblib.dump(clf, tmp_path / "model.joblib")
    loaded = [joblib.load(tmp_path / "model.joblib")]
    sio = pytest.importorskip("skops.io")
    loaded.append(
        sio.loads(
            sio.dumps(clf),
            trusted=[
                "sklearn_attnrnn._classifier.AttentionRNNClassifier",
                "sklearn_attnrnn._optimizers.AdamOptimizer",
            ],
        )
    )
    for model in loaded:
        assert model.cell == cell
        np.testing.assert_array_equal(model.predict_proba(X), clf.predict_proba(X))


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("cell", GATED)
def test_fitted_weights_carry_over_to_torch_as_documented(cell):
    # The mapping of the cells page (docs/user_guide/cells.md): U_ =
    # weight_ih_l0, W_ = weight_hh_l0, b_ = bias_ih_l0 and bias_hh_l0 =
    # [0, 0, b_hn_] (GRU) or 0.
    torch = pytest.importorskip("torch")
    X, y, _ = _sequences()
    clf = AttentionRNNClassifier(hidden_size=4, cell=cell, max_iter=3, random_state=0)
    clf.fit(X, y)
    module = (torch.nn.GRU if cell == "gru" else torch.nn.LSTM)(3, 4).double()
    bias_hh = np.zeros_like(clf.b_)
    if cell == "gru":
        bias_hh[8:] = clf.b_hn_
    with torch.no_grad():
        module.weight_ih_l0.copy_(torch.from_numpy(clf.U_))
        module.weight_hh_l0.copy_(torch.from_numpy(clf.W_))
        module.bias_ih_l0.copy_(torch.from_numpy(clf.b_))
        module.bias_hh_l0.copy_(torch.from_numpy(bias_hh))
        full = np.nan_to_num(X[:5, :4])  # five sequences of 4 or more steps
        h = module(torch.from_numpy(full.transpose(1, 0, 2)))[0].numpy()
    expected = _network.hidden_states(clf._params, full.transpose(1, 0, 2))
    np.testing.assert_allclose(h, expected, rtol=1e-12, atol=1e-14)


def test_plots_draw_a_gated_model():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from sklearn_attnrnn.plotting import plot_attention, plot_loss_curve

    X, y, _ = _sequences(n=10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = AttentionRNNClassifier(hidden_size=4, cell="lstm", max_iter=3).fit(X, y)
    ax = plot_attention(clf, X[:3])
    assert len(ax.images) == 1
    assert len(plot_loss_curve(clf).lines) >= 1
    plt.close("all")
