"""Faults: a diverging fit, Ctrl-C during fit, concurrent and read-only predict.

Divergence and interruption are injected where the estimators call the core:
the fit loop calls ``_network.loss_and_grads`` through the module, so
monkeypatching ``sklearn_attnrnn._network.loss_and_grads`` reaches it.
"""

import pickle
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.exceptions import ConvergenceWarning, NotFittedError

import sklearn_attnrnn._network as network
from sklearn_attnrnn import AttentionRNNClassifier, AttentionRNNRegressor

PARAMS = ("U_", "W_", "b_", "V_", "c_")

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _data(n=40, t=6, f=2, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.randn(n, t, f)
    X[::3, 4:] = np.nan  # some shorter sequences
    y_reg = np.nan_to_num(X[:, :, 0]).sum(axis=1)
    return X, (y_reg > 0).astype(int), y_reg


def _assert_same_state(est, ref):
    """Same parameters, history and optimizer state, bit for bit."""
    for name in PARAMS:
        assert_array_equal(getattr(est, name), getattr(ref, name))
    assert est.n_iter_ == ref.n_iter_
    assert est.t_ == ref.t_
    assert est.loss_curve_ == ref.loss_curve_
    opt, ref_opt = est._optimizer, ref._optimizer
    assert type(opt) is type(ref_opt)
    assert opt.learning_rate == ref_opt.learning_rate
    for attr in ("t", "ms", "vs", "velocities"):
        mine, theirs = getattr(opt, attr, None), getattr(ref_opt, attr, None)
        if isinstance(theirs, dict):
            assert mine.keys() == theirs.keys()
            for key in theirs:
                assert_array_equal(mine[key], theirs[key])
        else:
            assert mine == theirs


def _fault_on_call(monkeypatch, call, fault):
    """Make the `call`-th call of loss_and_grads (1-based) misbehave."""
    original = network.loss_and_grads
    calls = []

    def patched(*args, **kwargs):
        calls.append(None)
        if len(calls) == call:
            if fault == "interrupt":
                raise KeyboardInterrupt
            loss, grads = original(*args, **kwargs)
            return float(fault), grads
        return original(*args, **kwargs)

    monkeypatch.setattr(network, "loss_and_grads", patched)
    return calls


# --- divergence --------------------------------------------------------------


def test_diverging_fit_stops_and_keeps_the_last_finite_parameters():
    X, _, y = _data()
    params = dict(
        hidden_size=4,
        solver="sgd",
        learning_rate=1e6,
        max_grad_norm=None,
        alpha=0.0,
        n_iter_no_change=500,
        max_iter=500,
        random_state=0,
    )
    est = AttentionRNNRegressor(**params)
    with pytest.raises(
        FloatingPointError,
        match=r"The training loss became (inf|nan) during epoch (\d+): the "
        r"parameters grew to .*lower learning_rate=1e\+06 \(or set max_grad_norm"
        r".* The model keeps the parameters it had after epoch (\d+), the last "
        r"whose loss was evaluated and finite\.",
    ) as info:
        est.fit(X, y)
    done = est.n_iter_
    assert 1 <= done < 500
    # One batch per epoch: the loss of epoch done + 2 evaluates the parameters
    # after epoch done + 1, so those are the first with a non-finite loss.
    assert f"during epoch {done + 2}:" in str(info.value)
    assert f"after epoch {done}," in str(info.value)
    # It did diverge: the last finite losses were growing out of bounds.
    assert len(est.loss_curve_) == done
    assert np.isfinite(est.loss_curve_).all()
    assert est.loss_curve_[-1] > 1e50
    for name in PARAMS:
        assert np.isfinite(getattr(est, name)).all(), name
    assert np.isfinite(est.predict(X)).all()
    # The parameters are exactly those of a fit stopped after `done` epochs.
    ref = AttentionRNNRegressor(**{**params, "max_iter": done}).fit(X, y)
    _assert_same_state(est, ref)
    assert_array_equal(est.predict(X), ref.predict(X))


@pytest.mark.parametrize("bad_loss", [np.nan, np.inf])
@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_non_finite_loss_mid_epoch_restores_the_epoch_start(
    monkeypatch, bad_loss, solver
):
    # 40 samples in batches of 15: 3 calls per epoch; call 8 is the second
    # batch of epoch 3, after the first batch has already updated the model.
    X, y, _ = _data()
    params = dict(hidden_size=3, batch_size=15, solver=solver, random_state=0)
    _fault_on_call(monkeypatch, 8, bad_loss)
    est = AttentionRNNClassifier(max_iter=10, **params)
    with pytest.raises(FloatingPointError, match=r"training loss became (nan|inf)"):
        est.fit(X, y)
    monkeypatch.undo()
    assert est.n_iter_ == 2
    ref = AttentionRNNClassifier(max_iter=2, **params).fit(X, y)
    _assert_same_state(est, ref)
    assert_array_equal(est.predict_proba(X), ref.predict_proba(X))


# --- Ctrl-C ------------------------------------------------------------------

INTERRUPTED = (
    r"fit was interrupted \(KeyboardInterrupt\) during epoch {}; the model "
    r"keeps the parameters it had after epoch {}, and can be used"
)


@pytest.mark.parametrize(
    "Estimator, target", [(AttentionRNNClassifier, 1), (AttentionRNNRegressor, 2)]
)
@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_keyboard_interrupt_keeps_the_last_completed_epoch(
    monkeypatch, Estimator, target, solver
):
    X, y = _data()[0], _data()[target]
    params = dict(hidden_size=3, batch_size=15, solver=solver, random_state=0)
    calls = _fault_on_call(monkeypatch, 8, "interrupt")  # epoch 3, batch 2
    est = Estimator(max_iter=10, **params)
    with pytest.warns(UserWarning, match=INTERRUPTED.format(3, 2)):
        returned = est.fit(X, y)
    assert returned is est
    assert len(calls) == 8  # training stopped at the interruption
    monkeypatch.undo()
    assert est.n_iter_ == 2
    ref = Estimator(max_iter=2, **params).fit(X, y)
    _assert_same_state(est, ref)
    assert_array_equal(est.predict(X), ref.predict(X))
    # ... and it can be trained further.
    est.set_params(warm_start=True, max_iter=1)
    est.fit(X, y)
    assert est.n_iter_ == 3


def test_keyboard_interrupt_in_the_first_epoch_leaves_the_estimator_unfitted(
    monkeypatch,
):
    # Nothing completed: nothing to keep, and the interruption goes on up.
    X, y, _ = _data()
    _fault_on_call(monkeypatch, 2, "interrupt")
    est = AttentionRNNClassifier(hidden_size=3, batch_size=15, random_state=0)
    with pytest.raises(KeyboardInterrupt):
        est.fit(X, y)
    monkeypatch.undo()
    assert not hasattr(est, "U_") and not hasattr(est, "classes_")
    with pytest.raises(NotFittedError):
        est.predict(X)


def test_keyboard_interrupt_during_partial_fit_changes_nothing(monkeypatch):
    X, y, _ = _data()
    est = AttentionRNNClassifier(hidden_size=3, batch_size=15, random_state=0)
    est.partial_fit(X, y, classes=[0, 1])
    ref = pickle.loads(pickle.dumps(est))
    _fault_on_call(monkeypatch, 2, "interrupt")
    with pytest.raises(KeyboardInterrupt):  # a loop of partial_fit stops too
        est.partial_fit(X, y)
    monkeypatch.undo()
    _assert_same_state(est, ref)
    assert_array_equal(est.predict_proba(X), ref.predict_proba(X))


def test_keyboard_interrupt_during_validation_scoring(monkeypatch):
    X, y, _ = _data()
    original = network.forward
    calls = []

    def patched(*args, **kwargs):
        calls.append(None)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return original(*args, **kwargs)

    monkeypatch.setattr(network, "forward", patched)
    est = AttentionRNNClassifier(
        hidden_size=3, early_stopping=True, max_iter=10, random_state=0
    )
    try:
        with pytest.warns(UserWarning, match=r"interrupted"):
            est.fit(X, y)
    except KeyboardInterrupt:  # caught here: pytest would stop the session
        pytest.fail("KeyboardInterrupt propagated out of fit")
    # the third forward pass scores epoch 3: two epochs were completed
    assert len(est.validation_scores_) == est.n_iter_ == 2
    assert len(est.loss_curve_) == 2


# --- concurrent and read-only prediction -------------------------------------


@pytest.fixture(scope="module")
def fitted():
    X, y, y_reg = _data(n=60, seed=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = AttentionRNNClassifier(hidden_size=5, max_iter=10, random_state=0)
        reg = AttentionRNNRegressor(hidden_size=5, max_iter=10, random_state=0)
        return clf.fit(X, y), reg.fit(X, y_reg)


def _batches():
    rng = np.random.RandomState(7)
    out = []
    for i in range(12):
        n = rng.randint(1, 30)
        if i % 3 == 0:
            out.append([rng.randn(rng.randint(1, 15), 2) for _ in range(n)])
        elif i % 3 == 1:
            out.append(rng.randn(n, rng.randint(1, 15), 2))
        else:
            out.append(rng.randn(n, rng.randint(1, 15), 2).astype(np.float32))
    return out


def _calls(clf, reg):
    return [
        clf.predict,
        clf.predict_proba,
        clf.predict_log_proba,
        clf.attention_weights,
        reg.predict,
        reg.attention_weights,
    ]


def test_concurrent_predictions_equal_sequential_ones(fitted):
    methods = _calls(*fitted)
    batches = _batches()
    tasks = [(m, b) for m in range(len(methods)) for b in range(len(batches))] * 6
    expected = {
        (m, b): methods[m](batches[b])
        for m in range(len(methods))
        for b in range(len(batches))
    }
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda task: methods[task[0]](batches[task[1]]), tasks))
    assert len(results) == len(tasks) > 400
    for task, result in zip(tasks, results, strict=True):
        assert result.dtype == expected[task].dtype
        assert_array_equal(result, expected[task])


def test_prediction_does_not_write_the_fitted_arrays():
    clf, reg = (
        AttentionRNNClassifier(hidden_size=5, max_iter=3, random_state=0),
        AttentionRNNRegressor(hidden_size=5, max_iter=3, random_state=0),
    )
    X, y, y_reg = _data(n=30, seed=4)
    clf.fit(X, y)
    reg.fit(X, y_reg)
    methods = _calls(clf, reg)
    batches = _batches()
    expected = [[m(b) for b in batches] for m in methods]
    for est in (clf, reg):
        for name in PARAMS:
            getattr(est, name).setflags(write=False)
    for m, row in zip(methods, expected, strict=True):
        for b, value in zip(batches, row, strict=True):
            assert_array_equal(m(b), value)
    assert clf.score(X, y) == pytest.approx(np.mean(clf.predict(X) == y))
    # The flags held: a write would have raised.
    with pytest.raises(ValueError, match="read-only"):
        clf.U_[0, 0] = 1.0
