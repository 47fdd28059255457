"""Fault injection: a failed fit never corrupts a model (issue 13, items 1-7, 9).

Faults are injected where the fit loop calls the core: it calls
``_network.loss_and_grads`` (and ``forward`` for validation scores) through the
module, so patching ``sklearn_attnrnn._network`` makes the chosen call raise or
return a non-finite loss. Item 8 (input forms) is tested with the input
contract, item 9 (the skops trust table) in ``test_persistence.py``.
"""

import pickle
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_array_equal
from sklearn.exceptions import ConvergenceWarning, NotFittedError

import sklearn_attnrnn._network as network
from sklearn_attnrnn import (
    AttentionRNNClassifier,
    AttentionRNNRegressor,
    CharLanguageModel,
)

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

PARAMS = ("U_", "W_", "b_", "V_", "c_")


def _data(n=40, t=5, f=2, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.randn(n, t, f)
    y = (X[:, 0, 0] > 0).astype(int)
    return X, y


def _inject(monkeypatch, fault, call=1, function="loss_and_grads"):
    """From its ``call``-th call on (1-based), make the core ``function``
    raise ``fault`` (an exception class) or return ``fault`` (a number) as
    the loss. Returns the list of calls made."""
    original = getattr(network, function)
    calls = []

    def patched(*args, **kwargs):
        calls.append(None)
        if len(calls) >= call:
            if isinstance(fault, type):
                raise fault("injected")
            loss, grads = original(*args, **kwargs)
            return float(fault), grads
        return original(*args, **kwargs)

    monkeypatch.setattr(network, function, patched)
    return calls


def _inject_once(monkeypatch, fault, call):
    """Make only the ``call``-th call of loss_and_grads raise or return
    ``fault``."""
    original = network.loss_and_grads
    calls = []

    def patched(*args, **kwargs):
        calls.append(None)
        if len(calls) == call:
            if isinstance(fault, type):
                raise fault("injected")
            return float(fault), original(*args, **kwargs)[1]
        return original(*args, **kwargs)

    monkeypatch.setattr(network, "loss_and_grads", patched)
    return calls


def _state(est):
    """Everything the estimator learned (all but its parameters, which a test
    may set before the failing call), as bytes: equal bytes, equal state."""
    params = est.get_params(deep=False)
    return pickle.dumps({k: v for k, v in vars(est).items() if k not in params})


def _assert_same_history(est, ref):
    for name in PARAMS:
        assert_array_equal(getattr(est, name), getattr(ref, name))
    for name in (
        "n_iter_",
        "t_",
        "loss_",
        "loss_curve_",
        "best_loss_",
        "validation_scores_",
        "best_validation_score_",
    ):
        assert getattr(est, name) == getattr(ref, name), name
    assert pickle.dumps(est._optimizer) == pickle.dumps(ref._optimizer)
    assert_array_equal(
        est._random_state.get_state()[1], ref._random_state.get_state()[1]
    )


def _fitted(Estimator=AttentionRNNClassifier, **params):
    X, y = _data()
    target = y if Estimator is AttentionRNNClassifier else np.c_[y, 1.0 - y]
    params = {"hidden_size": 3, "max_iter": 4, "random_state": 0, **params}
    return Estimator(**params).fit(X, target)


# --- items 1 and 2: a failing call changes nothing ---------------------------

X0, Y0 = _data()
BAD_CALLS = {
    "labels and a negative weight": lambda m: m.fit(
        X0, np.where(Y0 == 1, "cat", "dog"), sample_weight=np.r_[-1.0, np.ones(39)]
    ),
    "one class": lambda m: m.fit(X0, np.zeros(40)),
    "y of the wrong length": lambda m: m.fit(X0, Y0[:-1]),
    "another feature count": lambda m: m.fit(
        np.random.RandomState(1).randn(40, 5, 3), Y0, sample_weight=-np.ones(40)
    ),
    "zero weights": lambda m: m.fit(X0, Y0, sample_weight=np.zeros(40)),
}


@pytest.mark.parametrize("bad", BAD_CALLS, ids=list(BAD_CALLS))
def test_a_failed_refit_leaves_a_fitted_classifier_as_it_was(bad):
    model = _fitted()
    before, proba = _state(model), model.predict_proba(X0)
    with pytest.raises(ValueError):
        BAD_CALLS[bad](model)
    assert _state(model) == before
    assert_array_equal(model.predict_proba(X0), proba)
    assert model.classes_.tolist() == [0, 1]


@pytest.mark.parametrize("bad", BAD_CALLS, ids=list(BAD_CALLS))
def test_a_failed_fit_leaves_a_fresh_classifier_unfitted(bad):
    model = AttentionRNNClassifier(hidden_size=3, max_iter=2)
    fresh = dict(vars(model))
    with pytest.raises(ValueError):
        BAD_CALLS[bad](model)
    assert vars(model) == fresh  # not a single attribute was added
    with pytest.raises(NotFittedError):
        model.predict(X0)


def test_a_failed_one_output_refit_keeps_the_two_output_regressor():
    model = _fitted(AttentionRNNRegressor)
    before, prediction = _state(model), model.predict(X0)
    with pytest.raises(ValueError, match="sample_weight"):
        model.fit(X0, Y0.astype(float), sample_weight=np.r_[-1.0, np.ones(39)])
    assert _state(model) == before
    assert model.n_outputs_ == 2
    assert_array_equal(model.predict(X0), prediction)  # (40, 2), no broadcast error


def test_a_failed_refit_keeps_the_language_models_vocabulary():
    lm = CharLanguageModel(hidden_size=3, max_iter=3, random_state=0).fit("abab")
    before, proba = _state(lm), lm.predict_proba(["a", "ab"])
    with pytest.raises(ValueError, match="no next character"):
        lm.fit(["c", "d"])
    assert _state(lm) == before
    assert lm.classes_.tolist() == ["a", "b"]
    assert_array_equal(lm.predict_proba(["a", "ab"]), proba)


@pytest.mark.parametrize("call", [1, 2, 5])
@pytest.mark.parametrize("how", ["fit", "warm_start", "partial_fit", "lbfgs"])
def test_an_exception_inside_training_changes_nothing(monkeypatch, how, call):
    # Any exception, anywhere in training: here a RuntimeError from the core
    # at its 1st, 2nd or 5th call (20 samples in batches of 8: 3 per epoch).
    params = dict(batch_size=8, solver="lbfgs" if how == "lbfgs" else "adam")
    model = _fitted(**params, warm_start=how == "warm_start")
    before, proba = _state(model), model.predict_proba(X0)
    calls = _inject(monkeypatch, RuntimeError, call)
    with pytest.raises(RuntimeError, match="injected"):
        if how == "partial_fit":
            model.partial_fit(X0, Y0)
        else:
            model.fit(X0, Y0)
    assert len(calls) == call
    monkeypatch.undo()
    assert _state(model) == before
    assert_array_equal(model.predict_proba(X0), proba)


# --- item 3: divergence -------------------------------------------------------


def test_divergence_in_the_second_epoch_leaves_a_fresh_model_unfitted():
    # One batch per epoch: the step of epoch 1 overflows, so the loss of
    # epoch 2 is the first evaluation of the new parameters, and not finite.
    model = AttentionRNNClassifier(hidden_size=4, learning_rate=1e308, random_state=0)
    with pytest.raises(
        FloatingPointError,
        match=r"became (nan|inf) during epoch 2: the parameters grew to .*: lower "
        r"learning_rate=1e\+308\. No epoch of this call ended with parameters "
        r"whose loss is finite, so the estimator is left as it was",
    ):
        model.fit(X0, Y0)
    with pytest.raises(NotFittedError):
        model.predict_proba(X0)


@pytest.mark.parametrize("solver", ["adam", "sgd"])
@pytest.mark.parametrize("learning_rate", [1e300, 1e308])
def test_an_overflowing_last_update_never_leaves_non_finite_outputs(
    solver, learning_rate
):
    # max_iter=1: no later epoch evaluates the parameters of the last update.
    model = AttentionRNNClassifier(
        hidden_size=4,
        solver=solver,
        learning_rate=learning_rate,
        max_iter=1,
        random_state=0,
    )
    try:
        model.fit(X0, Y0)
    except FloatingPointError as error:
        assert "outputs became non-finite after epoch 1: " in str(error)
        assert not hasattr(model, "U_")
    else:
        assert np.isfinite(model.predict_proba(X0)).all()
    # A warm start whose only epoch overflows keeps the model it continued.
    model = _fitted(solver=solver, warm_start=True)
    before, proba = _state(model), model.predict_proba(X0)
    try:
        model.set_params(learning_rate=learning_rate, max_iter=1).fit(X0, Y0)
    except FloatingPointError as error:
        assert "left as it was" in str(error)
        assert _state(model) == before
        assert_array_equal(model.predict_proba(X0), proba)
    else:
        assert np.isfinite(model.predict_proba(X0)).all()


def test_adam_with_a_huge_learning_rate_is_caught_after_its_only_epoch():
    model = AttentionRNNClassifier(
        hidden_size=4, learning_rate=1e308, max_iter=1, random_state=0
    )
    with pytest.raises(FloatingPointError, match="non-finite after epoch 1: "):
        model.fit(X0, Y0)
    with pytest.raises(NotFittedError):
        model.predict(X0)


def test_a_refit_that_diverges_at_once_keeps_the_previous_model():
    model = _fitted()
    before, proba = _state(model), model.predict_proba(X0)
    with pytest.raises(FloatingPointError, match="left as it was"):
        model.set_params(learning_rate=1e308).fit(X0, Y0)
    assert _state(model) == before
    assert_array_equal(model.predict_proba(X0), proba)


@pytest.mark.parametrize(
    "call, kept",
    [
        # 40 samples in batches of 15: calls 1-3 are epoch 1, 4-6 epoch 2, ...
        (8, 2),  # a later batch of epoch 3: the start of epoch 3 was evaluated
        (7, 1),  # the first batch of epoch 3 evaluates its start: not finite
        (4, 0),  # the first batch of epoch 2: nothing of this call is kept
        (2, 0),
    ],
)
@pytest.mark.parametrize("bad_loss", [np.inf, np.nan])
def test_divergence_keeps_the_last_evaluated_finite_parameters(
    monkeypatch, call, kept, bad_loss
):
    params = dict(hidden_size=3, batch_size=15, random_state=0)
    model = AttentionRNNClassifier(max_iter=10, **params)
    _inject_once(monkeypatch, bad_loss, call)
    with pytest.raises(FloatingPointError, match=f"became {bad_loss} during epoch"):
        model.fit(X0, Y0)
    monkeypatch.undo()
    if not kept:
        assert not hasattr(model, "U_")
        return
    assert model.n_iter_ == kept
    # Exactly the model (and optimizer, random stream) of a fit of `kept` epochs.
    ref = AttentionRNNClassifier(max_iter=kept, **params).fit(X0, Y0)
    _assert_same_history(model, ref)
    assert np.isfinite(model.predict_proba(X0)).all()


@pytest.mark.parametrize(
    "X, y, Estimator, match",
    [
        (X0, Y0, AttentionRNNClassifier, "check X for huge values"),
        (X0, Y0 * 1e7, AttentionRNNRegressor, r"y has values up to 1e\+07: scale"),
    ],
)
def test_the_divergence_error_names_a_cause_that_matches(
    monkeypatch, X, y, Estimator, match
):
    _inject_once(monkeypatch, np.inf, 5)
    with pytest.raises(FloatingPointError, match=match):
        Estimator(hidden_size=3, batch_size=15, random_state=0).fit(X, y)


def test_lbfgs_divergence_at_the_start_leaves_the_model_as_it_was(monkeypatch):
    model = _fitted(solver="lbfgs")
    before = _state(model)
    _inject(monkeypatch, np.inf, 1)
    with pytest.raises(FloatingPointError, match="solver='lbfgs'.*left as it was"):
        model.fit(X0, Y0)
    assert _state(model) == before


# --- items 4 and 5: Ctrl-C ----------------------------------------------------


@pytest.mark.parametrize("call", [4, 9])
def test_ctrl_c_with_lbfgs_keeps_the_last_completed_iteration(monkeypatch, call):
    params = dict(hidden_size=3, solver="lbfgs", random_state=0)
    model = AttentionRNNClassifier(max_iter=50, **params)
    # An iteration ends by a callback from scipy: count them as they come.
    _inject(monkeypatch, KeyboardInterrupt, call)
    with pytest.warns(UserWarning, match=r"during L-BFGS iteration \d+; the model"):
        assert model.fit(X0, Y0) is model
    monkeypatch.undo()
    done = model.n_iter_
    assert 1 <= done < call and len(model.loss_curve_) == done
    ref = AttentionRNNClassifier(max_iter=done, **params).fit(X0, Y0)
    for name in PARAMS:
        assert_array_equal(getattr(model, name), getattr(ref, name))
    assert model.loss_curve_ == ref.loss_curve_


def test_ctrl_c_with_lbfgs_before_any_iteration_leaves_it_unfitted(monkeypatch):
    model = AttentionRNNClassifier(hidden_size=3, solver="lbfgs")
    _inject(monkeypatch, KeyboardInterrupt, 1)
    with pytest.raises(KeyboardInterrupt):
        model.fit(X0, Y0)
    with pytest.raises(NotFittedError):
        model.predict(X0)


ES = dict(hidden_size=3, early_stopping=True, validation_fraction=0.25, batch_size=10)


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_ctrl_c_with_early_stopping_restores_the_best_validation_epoch(
    monkeypatch, solver
):
    # 30 training samples in batches of 10: call 3 * 8 + 2 is epoch 9's second.
    params = dict(ES, solver=solver, learning_rate=0.05, random_state=3)
    model = AttentionRNNClassifier(max_iter=40, n_iter_no_change=40, **params)
    _inject(monkeypatch, KeyboardInterrupt, 26)
    with pytest.warns(
        UserWarning,
        match=r"during epoch 9; the model keeps the parameters of epoch (\d), the "
        r"best on the validation set \(score [\d.]+\) of the 8 epochs completed",
    ) as record:
        model.fit(X0, Y0)
    monkeypatch.undo()
    assert model.n_iter_ == len(model.loss_curve_) == len(model.validation_scores_) == 8
    assert model.best_validation_score_ == max(model.validation_scores_)
    best = int(str(record[0].message).split("parameters of epoch ")[1][0])
    assert model.validation_scores_[best - 1] == model.best_validation_score_
    # Everything as a fit of 8 epochs, which restores the same best epoch.
    ref = AttentionRNNClassifier(max_iter=8, n_iter_no_change=40, **params)
    _assert_same_history(model, ref.fit(X0, Y0))


def test_divergence_with_early_stopping_restores_the_best_validation_epoch(
    monkeypatch,
):
    params = dict(ES, learning_rate=0.05, random_state=3)
    model = AttentionRNNClassifier(max_iter=40, n_iter_no_change=40, **params)
    _inject_once(monkeypatch, np.inf, 3 * 6 + 2)  # epoch 7, second batch
    with pytest.raises(
        FloatingPointError, match=r"keeps the parameters of epoch \d, the best on"
    ):
        model.fit(X0, Y0)
    monkeypatch.undo()
    assert model.n_iter_ == 6
    ref = AttentionRNNClassifier(max_iter=6, n_iter_no_change=40, **params)
    _assert_same_history(model, ref.fit(X0, Y0))


def test_ctrl_c_while_scoring_the_validation_set_keeps_the_best(monkeypatch):
    model = AttentionRNNClassifier(max_iter=10, random_state=0, **ES)
    _inject(monkeypatch, KeyboardInterrupt, 4, function="forward")
    with pytest.warns(UserWarning, match="during epoch 4; .* of the 3 epochs"):
        model.fit(X0, Y0)
    monkeypatch.undo()
    assert model.n_iter_ == len(model.validation_scores_) == 3
    ref = AttentionRNNClassifier(max_iter=3, random_state=0, **ES).fit(X0, Y0)
    _assert_same_history(model, ref)


# --- item 6: weights and scales, checked up front ------------------------------

SCALES = {
    "negative class weight": (dict(class_weight={0: -1.0, 1: 1.0}), {}, "class_weight"),
    "NaN class weight": (dict(class_weight={0: np.nan, 1: 1.0}), {}, "class_weight"),
    "infinite class weight": (
        dict(class_weight={0: np.inf, 1: 1.0}),
        {},
        "class_weight",
    ),
    "infinite sample weights": (
        {},
        dict(sample_weight=np.full(40, np.inf)),
        "sample_weight",
    ),
    "weights summing beyond float64": (
        {},
        dict(sample_weight=np.full(40, 1e308)),
        r"sum to inf.*divide sample_weight",
    ),
    "subnormal weights": (
        {},
        dict(sample_weight=np.full(40, 1e-320)),
        r"down to 1e-320.*Multiply sample_weight",
    ),
    "absurd alpha": (dict(alpha=1e308), {}, r"alpha=1e\+308 is too large"),
}


@pytest.mark.parametrize("case", SCALES, ids=list(SCALES))
def test_weights_and_scales_get_a_clear_error_naming_the_argument(case):
    params, fit_params, match = SCALES[case]
    model = _fitted()
    before = _state(model)
    with pytest.raises(ValueError, match=match):
        model.set_params(**params).fit(X0, Y0, **fit_params)
    assert _state(model) == before


def test_a_regression_target_too_large_to_square_is_a_clear_error():
    with pytest.raises(ValueError, match=r"y has values up to 1e\+200.*Scale y"):
        AttentionRNNRegressor().fit(X0, Y0 * 1e200)


def test_large_but_representable_weights_train_like_unit_weights():
    # Scaling every weight by 1e300 changes only the L2 penalty's divisor:
    # with alpha=0 the fit is the same.
    params = dict(hidden_size=3, max_iter=3, alpha=0.0, random_state=0)
    plain = AttentionRNNClassifier(**params).fit(X0, Y0)
    heavy = AttentionRNNClassifier(**params).fit(
        X0, Y0, sample_weight=np.full(40, 1e300)
    )
    np.testing.assert_allclose(heavy.U_, plain.U_, rtol=1e-12)


def test_a_validation_split_too_small_for_the_classes_is_a_clear_error():
    # 40 samples of 4 classes (10 each): 5% is 2 validation samples.
    model = _fitted()
    before = _state(model)
    with pytest.raises(
        ValueError, match=r"2 for validation.*stratified over 4 classes"
    ):
        model.set_params(early_stopping=True, validation_fraction=0.05).fit(
            X0, np.arange(40) % 4
        )
    assert _state(model) == before


# --- item 7: the language model -----------------------------------------------


@pytest.mark.parametrize("vocabulary", ["", []])
def test_an_empty_vocabulary_is_a_clear_error(vocabulary):
    with pytest.raises(ValueError, match=r"vocabulary=.* is empty"):
        CharLanguageModel(vocabulary=vocabulary).fit("ab")


@pytest.fixture(scope="module")
def marked():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        lm = CharLanguageModel(
            hidden_size=4, start_marker="^", end_marker="$", max_iter=30, random_state=0
        )
        return lm.fit(["abc", "bca", "cab"])


def test_a_tiny_temperature_is_greedy(marked):
    greedy = marked.sample("a", 12, temperature=0)
    assert greedy == marked.sample("a", 12, temperature=1e-320, random_state=5)
    assert greedy == marked.sample("a", 12, temperature=9e-7, random_state=6)
    # Greedy: each character is predict's answer for the text so far.
    text = "a"
    for char in greedy:
        assert marked.predict([text])[0] == char
        text += char


def test_predict_and_sample_never_emit_the_start_marker(marked, monkeypatch):
    # Make the start marker the most likely next character everywhere.
    original = type(marked)._forward_last
    start = marked.vocabulary_["^"]

    def favour_start(self, contexts, lengths):
        Omega, weights = original(self, contexts, lengths)
        Omega[:, start] = Omega.max() + 50.0
        return Omega, weights

    monkeypatch.setattr(type(marked), "_forward_last", favour_start)
    assert marked.predict_proba(["a"])[0, start] > 0.99  # the model's own view
    assert "^" not in marked.predict(["a", "ab", "abc", "b"]).tolist()
    for seed in range(5):
        assert "^" not in marked.sample("a", 30, random_state=seed)
    assert "^" not in marked.sample("a", 30, temperature=0)


@pytest.mark.parametrize("marker", ["^", "$"])
@pytest.mark.parametrize(
    "method",
    ["predict", "predict_proba", "attention_weights", "score", "sample", "fit"],
)
def test_markers_inside_texts_are_rejected_everywhere(marked, method, marker):
    text = f"a{marker}b"
    call = {
        "sample": lambda: marked.sample(text, 3),
        "fit": lambda: CharLanguageModel(start_marker="^", end_marker="$").fit([text]),
    }.get(method, lambda: getattr(marked, method)([text]))
    with pytest.raises(ValueError, match=rf"marker='\{marker}' occurs inside"):
        call()


# --- a failed call never changes predict ----------------------------------------

SMALL_X, SMALL_Y = _data(n=12, t=3, seed=4)
FAILURES = {
    "one class": lambda m: m.set_params(warm_start=False).fit(SMALL_X, np.zeros(12)),
    "negative weight": lambda m: m.fit(SMALL_X, SMALL_Y, sample_weight=-np.ones(12)),
    "features or zero weights": lambda m: m.partial_fit(
        SMALL_X[:, :, :1], SMALL_Y, classes=[0, 1], sample_weight=np.zeros(12)
    ),
    "unseen label": lambda m: m.partial_fit(SMALL_X, SMALL_Y + 5, classes=[0, 1]),
    "error in training": lambda m: m.fit(SMALL_X, SMALL_Y),
    "divergence at once": lambda m: m.fit(SMALL_X, SMALL_Y),
    "Ctrl-C at once": lambda m: m.partial_fit(SMALL_X, SMALL_Y, classes=[0, 1]),
}
INJECTED = {
    "error in training": RuntimeError,
    "divergence at once": np.inf,
    "Ctrl-C at once": KeyboardInterrupt,
}
STEPS = st.lists(
    st.one_of(
        st.sampled_from(["fit", "warm fit", "partial_fit", "predict"]),
        st.tuples(st.just("fail"), st.sampled_from(sorted(FAILURES))),
    ),
    min_size=1,
    max_size=6,
)


def _predicted(model):
    try:
        return model.predict_proba(SMALL_X)
    except NotFittedError:
        return None


@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(steps=STEPS)
def test_a_failed_call_never_changes_what_predict_returns(monkeypatch, steps):
    model = AttentionRNNClassifier(
        hidden_size=2, max_iter=2, batch_size=5, random_state=0
    )
    for step in steps:
        if step == "predict":
            _predicted(model)
        elif step == "fit":
            model.set_params(warm_start=False).fit(SMALL_X, SMALL_Y)
        elif step == "warm fit":
            model.set_params(warm_start=True).fit(SMALL_X, SMALL_Y)
        elif step == "partial_fit":
            model.partial_fit(SMALL_X, SMALL_Y, classes=[0, 1])
        else:
            failure = step[1]
            before, proba = _state(model), _predicted(model)
            if failure in INJECTED:
                _inject(monkeypatch, INJECTED[failure], 1)
            with pytest.raises(
                (ValueError, RuntimeError, FloatingPointError, KeyboardInterrupt)
            ):
                FAILURES[failure](model)
            monkeypatch.undo()
            assert _state(model) == before
            after = _predicted(model)
            if proba is None:
                assert after is None
            else:
                assert_array_equal(after, proba)
