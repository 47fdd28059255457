"""Tests for sklearn_attnrnn._optimizers."""

import doctest
import pickle

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.neural_network._stochastic_optimizers import (
    AdamOptimizer as SkAdamOptimizer,
)
from sklearn.neural_network._stochastic_optimizers import (
    SGDOptimizer as SkSGDOptimizer,
)

from sklearn_attnrnn import _optimizers
from sklearn_attnrnn._optimizers import (
    AdamOptimizer,
    SGDOptimizer,
    clip_grads_by_global_norm,
)

RTOL = 1e-12
SHAPES = {"W": (3, 4), "b": (4,), "v": (2, 2, 3)}


def make_params(seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return {k: rng.standard_normal(s).astype(dtype) for k, s in SHAPES.items()}


def make_grad_sequence(n_steps, seed=1, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return [
        {k: rng.standard_normal(s).astype(dtype) for k, s in SHAPES.items()}
        for _ in range(n_steps)
    ]


def copy_dict(d):
    return {k: v.copy() for k, v in d.items()}


# --------------------------------------------------------------------------- SGD


@pytest.mark.parametrize("momentum", [0.0, 0.9])
@pytest.mark.parametrize("nesterov", [True, False])
def test_sgd_two_steps_match_formula_and_sklearn(momentum, nesterov):
    lr = 0.05
    params = make_params()
    grads_seq = make_grad_sequence(2)

    # Formula by hand.
    expected = copy_dict(params)
    vel = {k: np.zeros(s) for k, s in SHAPES.items()}
    for grads in grads_seq:
        for k in SHAPES:
            vel[k] = momentum * vel[k] - lr * grads[k]
            if nesterov:
                step = momentum * vel[k] - lr * grads[k]
            else:
                step = vel[k]
            expected[k] = expected[k] + step

    # scikit-learn's optimizer works on lists of arrays it holds references to.
    sk_params = [p.copy() for p in params.values()]
    sk_opt = SkSGDOptimizer(
        sk_params, learning_rate_init=lr, momentum=momentum, nesterov=nesterov
    )

    opt = SGDOptimizer(learning_rate_init=lr, momentum=momentum, nesterov=nesterov)
    assert opt.velocities is None
    for grads in grads_seq:
        opt.update(params, grads)
        sk_opt.update_params(sk_params, [grads[k] for k in SHAPES])

    for i, k in enumerate(SHAPES):
        assert_allclose(params[k], expected[k], rtol=RTOL, atol=0)
        assert_allclose(params[k], sk_params[i], rtol=RTOL, atol=0)
        assert_allclose(opt.velocities[k], vel[k], rtol=RTOL, atol=0)
        assert_allclose(opt.velocities[k], sk_opt.velocities[i], rtol=RTOL, atol=0)


def test_sgd_velocity_matters_on_second_step():
    # Scalar case written out: lr=0.1, momentum=0.9, Nesterov, g=1 twice.
    opt = SGDOptimizer(learning_rate_init=0.1, momentum=0.9, nesterov=True)
    params = {"w": np.array([0.0])}
    opt.update(params, {"w": np.array([1.0])})
    # v1 = -0.1; step = 0.9 * -0.1 - 0.1 = -0.19
    assert_allclose(opt.velocities["w"], [-0.1], rtol=RTOL)
    assert_allclose(params["w"], [-0.19], rtol=RTOL)
    opt.update(params, {"w": np.array([1.0])})
    # v2 = 0.9 * -0.1 - 0.1 = -0.19; step = 0.9 * -0.19 - 0.1 = -0.271
    assert_allclose(opt.velocities["w"], [-0.19], rtol=RTOL)
    assert_allclose(params["w"], [-0.19 - 0.271], rtol=RTOL)


# -------------------------------------------------------------------------- Adam


def test_adam_three_steps_match_formula_and_sklearn():
    lr, b1, b2, eps = 0.01, 0.8, 0.99, 1e-7
    params = make_params()
    grads_seq = make_grad_sequence(3)

    expected = copy_dict(params)
    m = {k: np.zeros(s) for k, s in SHAPES.items()}
    v = {k: np.zeros(s) for k, s in SHAPES.items()}
    for t, grads in enumerate(grads_seq, start=1):
        step_size = lr * np.sqrt(1 - b2**t) / (1 - b1**t)
        for k in SHAPES:
            m[k] = b1 * m[k] + (1 - b1) * grads[k]
            v[k] = b2 * v[k] + (1 - b2) * grads[k] ** 2
            expected[k] = expected[k] - step_size * m[k] / (np.sqrt(v[k]) + eps)

    sk_params = [p.copy() for p in params.values()]
    sk_opt = SkAdamOptimizer(
        sk_params, learning_rate_init=lr, beta_1=b1, beta_2=b2, epsilon=eps
    )

    opt = AdamOptimizer(learning_rate_init=lr, beta_1=b1, beta_2=b2, epsilon=eps)
    assert opt.ms is None and opt.vs is None and opt.t == 0
    for grads in grads_seq:
        opt.update(params, grads)
        sk_opt.update_params(sk_params, [grads[k] for k in SHAPES])

    assert opt.t == sk_opt.t == 3
    for i, k in enumerate(SHAPES):
        assert_allclose(params[k], expected[k], rtol=RTOL, atol=0)
        assert_allclose(params[k], sk_params[i], rtol=RTOL, atol=0)
        assert_allclose(opt.ms[k], sk_opt.ms[i], rtol=RTOL, atol=0)
        assert_allclose(opt.vs[k], sk_opt.vs[i], rtol=RTOL, atol=0)
    # Documented deviation: learning_rate stays the scheduled (uncorrected) rate.
    assert opt.learning_rate == lr
    assert sk_opt.learning_rate == pytest.approx(
        lr * np.sqrt(1 - b2**3) / (1 - b1**3), rel=RTOL
    )


def test_adam_first_step_is_about_lr_times_sign():
    opt = AdamOptimizer(learning_rate_init=0.1)
    params = {"w": np.array([1.0, 1.0, 1.0])}
    opt.update(params, {"w": np.array([3.0, -0.5, 0.0])})
    assert_allclose(params["w"], [0.9, 1.1, 1.0], rtol=1e-6)


# --------------------------------------------------------------------- schedules


def test_sgd_invscaling_schedule():
    opt = SGDOptimizer(learning_rate_init=0.2, lr_schedule="invscaling", power_t=0.5)
    opt.iteration_ends(3)
    assert opt.learning_rate == pytest.approx(0.2 / 4**0.5, rel=RTOL)
    opt.iteration_ends(15)
    assert opt.learning_rate == pytest.approx(0.2 / 16**0.5, rel=RTOL)

    # The scheduled rate is the one used by the next update.
    opt2 = SGDOptimizer(
        learning_rate_init=1.0, lr_schedule="invscaling", momentum=0.0, power_t=1.0
    )
    opt2.iteration_ends(9)
    params = {"w": np.array([1.0])}
    opt2.update(params, {"w": np.array([2.0])})
    assert_allclose(params["w"], [1.0 - 0.1 * 2.0], rtol=RTOL)

    sk_opt = SkSGDOptimizer([np.zeros(1)], 0.2, "invscaling", power_t=0.5)
    sk_opt.iteration_ends(15)
    assert opt.learning_rate == sk_opt.learning_rate


@pytest.mark.parametrize("schedule", ["constant", "adaptive"])
def test_sgd_iteration_ends_keeps_rate_for_other_schedules(schedule):
    opt = SGDOptimizer(learning_rate_init=0.3, lr_schedule=schedule)
    opt.iteration_ends(100)
    assert opt.learning_rate == 0.3


@pytest.mark.parametrize("cls", [SGDOptimizer, AdamOptimizer])
def test_adaptive_divides_by_five_then_stops(cls, capsys):
    opt = cls(learning_rate_init=1e-3, lr_schedule="adaptive")
    rates = []
    decisions = []
    while True:
        stop = opt.trigger_stopping("Plateau.", verbose=True)
        decisions.append(stop)
        rates.append(opt.learning_rate)
        if stop:
            break
    # 1e-3 -> 2e-4 -> 4e-5 -> 8e-6 -> 1.6e-6 -> 3.2e-7 (<= 1e-6: stop)
    assert decisions == [False] * 5 + [True]
    assert_allclose(rates, [2e-4, 4e-5, 8e-6, 1.6e-6, 3.2e-7, 3.2e-7], rtol=1e-12)
    out = capsys.readouterr().out
    assert "Plateau. Setting learning rate to 0.000200" in out
    assert out.strip().endswith("Plateau. Learning rate too small. Stopping.")

    if cls is SGDOptimizer:  # same sequence as scikit-learn's SGD
        sk_opt = SkSGDOptimizer([np.zeros(1)], 1e-3, "adaptive")
        sk_decisions = [sk_opt.trigger_stopping("", False) for _ in range(6)]
        assert sk_decisions == decisions
        assert sk_opt.learning_rate == opt.learning_rate


@pytest.mark.parametrize("cls", [SGDOptimizer, AdamOptimizer])
def test_constant_schedule_stops(cls, capsys):
    opt = cls(learning_rate_init=0.01, lr_schedule="constant")
    assert opt.trigger_stopping("Plateau.", verbose=False) is True
    assert capsys.readouterr().out == ""
    assert opt.trigger_stopping("Plateau.", verbose=True) is True
    assert capsys.readouterr().out == "Plateau. Stopping.\n"
    assert opt.learning_rate == 0.01


def test_sgd_invscaling_stops_on_trigger():
    opt = SGDOptimizer(learning_rate_init=0.1, lr_schedule="invscaling")
    assert opt.trigger_stopping("x", verbose=False) is True
    assert opt.learning_rate == 0.1


def test_adam_adaptive_rate_is_used_by_update():
    params = make_params()
    grads = make_grad_sequence(1)[0]
    ref_params = copy_dict(params)
    opt = AdamOptimizer(learning_rate_init=0.05, lr_schedule="adaptive")
    ref = AdamOptimizer(learning_rate_init=0.01)
    assert opt.trigger_stopping("", verbose=False) is False
    assert opt.learning_rate == pytest.approx(0.01, rel=RTOL)
    opt.update(params, grads)
    ref.update(ref_params, grads)
    for k in SHAPES:
        assert_allclose(params[k], ref_params[k], rtol=1e-12)


def test_adam_iteration_ends_is_noop():
    opt = AdamOptimizer(learning_rate_init=0.01, lr_schedule="adaptive")
    opt.iteration_ends(1000)
    assert opt.learning_rate == 0.01


def test_invalid_schedules():
    with pytest.raises(ValueError, match="lr_schedule must be one of"):
        SGDOptimizer(lr_schedule="cosine")
    with pytest.raises(ValueError, match="for Adam"):
        AdamOptimizer(lr_schedule="invscaling")


# ---------------------------------------------------------------------- clipping


def test_clip_exact_norm_and_scaled_result():
    grads = make_grad_sequence(1)[0]
    original = copy_dict(grads)
    expected_norm = np.sqrt(sum(np.sum(g**2) for g in original.values()))
    ids = {k: id(g) for k, g in grads.items()}

    max_norm = 0.5 * expected_norm
    norm = clip_grads_by_global_norm(grads, max_norm)
    assert isinstance(norm, float)
    assert norm == pytest.approx(expected_norm, rel=1e-12)
    for k in SHAPES:
        assert id(grads[k]) == ids[k]  # in place
        assert_allclose(grads[k], original[k] * 0.5, rtol=1e-12)
    new_norm = np.sqrt(sum(np.sum(g**2) for g in grads.values()))
    assert new_norm == pytest.approx(max_norm, rel=1e-12)
    # Clipping again is a no-op apart from rounding: the norm is now max_norm.
    assert clip_grads_by_global_norm(grads, max_norm) == pytest.approx(
        max_norm, rel=1e-12
    )


def test_clip_simple_numbers():
    grads = {"a": np.array([3.0]), "b": np.array([[0.0, 4.0]])}
    assert clip_grads_by_global_norm(grads, 2.5) == 5.0
    assert_allclose(grads["a"], [1.5], rtol=1e-15)
    assert_allclose(grads["b"], [[0.0, 2.0]], rtol=1e-15)


@pytest.mark.parametrize("max_norm", [None, np.inf, 1e6])
def test_clip_noop(max_norm):
    grads = make_grad_sequence(1)[0]
    original = copy_dict(grads)
    expected_norm = np.sqrt(sum(np.sum(g**2) for g in original.values()))
    norm = clip_grads_by_global_norm(grads, max_norm)
    assert norm == pytest.approx(expected_norm, rel=1e-12)
    for k in SHAPES:
        assert_array_equal(grads[k], original[k])


def test_clip_float32_keeps_dtype():
    grads = make_grad_sequence(1, dtype=np.float32)[0]
    norm = clip_grads_by_global_norm(grads, 1.0)
    assert norm > 1.0
    for g in grads.values():
        assert g.dtype == np.float32
    new_norm = np.sqrt(sum(np.sum(g.astype(np.float64) ** 2) for g in grads.values()))
    assert new_norm == pytest.approx(1.0, rel=1e-6)


def test_clip_nonfinite_norm_leaves_grads_unchanged():
    grads = {"a": np.array([1.0, np.inf])}
    assert clip_grads_by_global_norm(grads, 1.0) == np.inf
    assert_array_equal(grads["a"], [1.0, np.inf])


@pytest.mark.parametrize("max_norm", [0.0, -1.0, np.nan])
def test_clip_invalid_max_norm(max_norm):
    with pytest.raises(ValueError, match="max_norm"):
        clip_grads_by_global_norm({"a": np.ones(2)}, max_norm)


def test_clip_empty():
    assert clip_grads_by_global_norm({}, 1.0) == 0.0


# ----------------------------------------------------------------------- float32


@pytest.mark.parametrize(
    "make_opt",
    [
        lambda: SGDOptimizer(learning_rate_init=0.05, nesterov=True),
        lambda: SGDOptimizer(learning_rate_init=0.05, nesterov=False),
        lambda: AdamOptimizer(learning_rate_init=0.01),
    ],
)
def test_float32_params_stay_float32(make_opt):
    params32 = make_params(dtype=np.float32)
    params64 = {k: p.astype(np.float64) for k, p in params32.items()}
    grads_seq = make_grad_sequence(3, dtype=np.float32)
    opt32, opt64 = make_opt(), make_opt()
    for grads in grads_seq:
        opt32.update(params32, grads)
        opt64.update(params64, {k: g.astype(np.float64) for k, g in grads.items()})
    for k in SHAPES:
        assert params32[k].dtype == np.float32
        assert_allclose(params32[k], params64[k], rtol=1e-5, atol=1e-6)
    state = opt32.velocities if isinstance(opt32, SGDOptimizer) else opt32.ms
    assert all(s.dtype == np.float32 for s in state.values())
    if isinstance(opt32, AdamOptimizer):
        assert all(s.dtype == np.float32 for s in opt32.vs.values())


# ------------------------------------------------------------ pickle / references


@pytest.mark.parametrize(
    "make_opt",
    [
        lambda: SGDOptimizer(learning_rate_init=0.05, momentum=0.9),
        lambda: SGDOptimizer(learning_rate_init=0.05, nesterov=False),
        lambda: AdamOptimizer(learning_rate_init=0.01),
    ],
)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_pickle_round_trip_continues_identically(make_opt, dtype):
    # Regression test for scikit-learn #19626: after unpickling, the optimizer
    # must keep training the (unpickled) parameters it is given.
    k_steps = 3
    params = make_params(dtype=dtype)
    grads_seq = make_grad_sequence(2 * k_steps, dtype=dtype)
    opt = make_opt()
    for grads in grads_seq[:k_steps]:
        opt.update(params, grads)

    # Pickled separately, so nothing can be shared between the two.
    opt2 = pickle.loads(pickle.dumps(opt))
    params2 = pickle.loads(pickle.dumps(params))
    before = copy_dict(params2)

    for grads in grads_seq[k_steps:]:
        opt.update(params, grads)
        opt2.update(params2, grads)

    for k in SHAPES:
        assert params2[k].dtype == dtype
        assert not np.array_equal(params2[k], before[k])  # it did train
        assert_array_equal(params2[k], params[k])  # bit-identical
    assert opt2.learning_rate == opt.learning_rate
    if isinstance(opt, AdamOptimizer):
        assert opt2.t == opt.t == 2 * k_steps


def _all_attribute_arrays(opt):
    for value in vars(opt).values():
        if isinstance(value, dict):
            yield from value.values()
        else:
            yield value


@pytest.mark.parametrize(
    "make_opt",
    [lambda: SGDOptimizer(), lambda: AdamOptimizer()],
)
def test_optimizer_holds_no_reference_to_params(make_opt):
    params = make_params()
    grads_seq = make_grad_sequence(2)
    opt = make_opt()
    opt.update(params, grads_seq[0])

    arrays = list(params.values()) + list(grads_seq[0].values())
    for value in _all_attribute_arrays(opt):
        assert value is not params
        assert all(value is not a for a in arrays)
        if isinstance(value, np.ndarray):
            assert not any(np.shares_memory(value, a) for a in arrays)

    # A fresh dict of fresh arrays is updated; the old arrays are left alone.
    fresh = copy_dict(params)
    old = copy_dict(params)
    reference = copy_dict(params)
    ref_opt = pickle.loads(pickle.dumps(opt))
    opt.update(fresh, grads_seq[1])
    ref_opt.update(reference, grads_seq[1])
    for k in SHAPES:
        assert_array_equal(params[k], old[k])
        assert not np.array_equal(fresh[k], old[k])
        assert_array_equal(fresh[k], reference[k])


# -------------------------------------------------------------------- mismatches


@pytest.mark.parametrize(
    "make_opt",
    [lambda: SGDOptimizer(), lambda: AdamOptimizer()],
)
def test_key_and_shape_mismatch_raise(make_opt):
    opt = make_opt()
    params = make_params()
    grads = make_grad_sequence(1)[0]

    # params / grads disagree (before any state exists).
    bad_grads = copy_dict(grads)
    del bad_grads["b"]
    with pytest.raises(ValueError, match=r"same keys.*\['b'\]"):
        opt.update(params, bad_grads)
    bad_grads = copy_dict(grads)
    bad_grads["b"] = np.zeros(5)
    with pytest.raises(ValueError, match="Shape mismatch for 'b'"):
        opt.update(params, bad_grads)

    opt.update(params, grads)
    snapshot = pickle.dumps(opt)
    params_before = copy_dict(params)

    # Another set of keys than the state was created for.
    params3 = copy_dict(params)
    grads3 = copy_dict(grads)
    params3["extra"] = np.zeros(2)
    grads3["extra"] = np.ones(2)
    with pytest.raises(ValueError, match="new optimizer"):
        opt.update(params3, grads3)

    # Same keys, another shape (e.g. the estimator was re-initialised bigger).
    params4 = copy_dict(params)
    grads4 = copy_dict(grads)
    params4["W"] = np.zeros((3, 5))
    grads4["W"] = np.ones((3, 5))
    with pytest.raises(ValueError, match=r"has shape \(3, 4\).*\(3, 5\)"):
        opt.update(params4, grads4)
    # A broadcastable shape must not be accepted either.
    params4["b"] = np.zeros((1, 4))
    grads4["b"] = np.ones((1, 4))
    params4["W"], grads4["W"] = params["W"].copy(), grads["W"].copy()
    with pytest.raises(ValueError, match="shape"):
        opt.update(params4, grads4)

    # Failed updates left the optimizer and the params untouched.
    assert pickle.dumps(opt) == snapshot
    for k in SHAPES:
        assert_array_equal(params[k], params_before[k])


def test_non_array_param_raises_type_error():
    with pytest.raises(TypeError, match="numpy array"):
        SGDOptimizer().update({"w": 1.0}, {"w": np.array(1.0)})


# ------------------------------------------------------------------------- docs


def test_docstring_examples():
    result = doctest.testmod(_optimizers, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0
