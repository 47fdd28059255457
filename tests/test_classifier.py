"""AttentionRNNClassifier: the estimator's behaviour, in numbers."""

import re
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline

from sklearn_attnrnn import AttentionRNNClassifier, CharOneHotEncoder, _network


def _digits(n=400):
    X, y = load_digits(return_X_y=True)
    return X[:n].reshape(-1, 8, 8) / 16.0, y[:n]


def _ragged(n=60, F=3, seed=0):
    """Sequences whose class is the sign of the first step's first feature."""
    rng = np.random.RandomState(seed)
    X = [rng.randn(rng.randint(1, 9), F) for _ in range(n)]
    y = np.array(["pos" if x[0, 0] > 0 else "neg" for x in X])
    return X, y


def _fit(clf, X, y, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return clf.fit(X, y, **kwargs)


def test_learns_digits_as_sequences():
    X, y = _digits(1000)
    clf = AttentionRNNClassifier(random_state=0, max_iter=60, learning_rate=1e-2)
    _fit(clf, X[:800], y[:800])
    assert clf.score(X[800:], y[800:]) > 0.85
    assert clf.classes_.tolist() == list(range(10))
    assert clf.n_features_in_ == 8
    assert (clf.U_.shape, clf.W_.shape, clf.b_.shape) == ((64, 8), (64, 64), (64,))
    assert (clf.V_.shape, clf.c_.shape) == ((10, 64), (10,))
    assert clf.n_iter_ == len(clf.loss_curve_) == 60
    assert clf.loss_ == clf.loss_curve_[-1]
    assert clf.loss_curve_[-1] < clf.loss_curve_[0] / 3


def test_learns_first_step_of_ragged_sequences_with_string_labels():
    X, y = _ragged(200)
    clf = AttentionRNNClassifier(random_state=0, max_iter=80, learning_rate=1e-2)
    _fit(clf, X, y)
    assert clf.classes_.tolist() == ["neg", "pos"]
    assert clf.score(X, y) > 0.95
    proba = clf.predict_proba(X)
    assert proba.shape == (200, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_allclose(np.log(proba), clf.predict_log_proba(X), atol=1e-12)
    assert np.array_equal(clf.predict(X), clf.classes_[proba.argmax(axis=1)])


def test_predict_log_proba_is_finite_where_proba_underflows():
    X, y = _ragged(30)
    clf = _fit(AttentionRNNClassifier(random_state=0, max_iter=2), X, y)
    clf.c_ = np.array([800.0, -800.0])  # softmax of these underflows to 0
    assert np.isfinite(clf.predict_log_proba(X)).all()
    assert clf.predict_log_proba(X)[0, 1] == pytest.approx(-1600, rel=1e-3)


def test_loss_is_the_core_mean_cross_entropy_plus_l2():
    X, y = _ragged(40)
    clf = _fit(
        AttentionRNNClassifier(
            random_state=0, max_iter=1, batch_size=40, shuffle=False, alpha=0.5
        ),
        X,
        y,
    )
    # One epoch = one batch: loss_ is the loss at the *initial* parameters.
    init = _network.init_params(3, 64, 2, np.random.RandomState(0))
    values = np.full((40, 8, 3), 0.0)
    lengths = np.array([len(x) for x in X])
    for i, x in enumerate(X):
        values[i, : len(x)] = x
    expected, _ = _network.loss_and_grads(
        init,
        values.transpose(1, 0, 2),
        lengths,
        np.searchsorted(clf.classes_, y),
        np.full(40, 1 / 40),
        l2=0.5 / 40,
    )
    assert clf.loss_ == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_same_random_state_gives_an_identical_model(solver):
    X, y = _ragged(50)
    a = _fit(AttentionRNNClassifier(solver=solver, random_state=3, max_iter=5), X, y)
    b = _fit(AttentionRNNClassifier(solver=solver, random_state=3, max_iter=5), X, y)
    c = _fit(AttentionRNNClassifier(solver=solver, random_state=4, max_iter=5), X, y)
    for name in ("U_", "W_", "b_", "V_", "c_"):
        assert np.array_equal(getattr(a, name), getattr(b, name))
    assert not np.array_equal(a.W_, c.W_)


def test_identical_whatever_the_number_of_blas_threads():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    X, y = _digits(300)
    models = []
    for threads in (1, 2):
        with threadpoolctl.threadpool_limits(threads):
            clf = AttentionRNNClassifier(hidden_size=64, random_state=0, max_iter=3)
            models.append(_fit(clf, X, y))
    assert np.array_equal(models[0].W_, models[1].W_)
    assert models[0].loss_curve_ == models[1].loss_curve_


def test_fit_and_every_prediction_run_blas_on_one_thread(monkeypatch):
    # The per-step products are small: threads only wait for each other
    # (measured up to 6x slower on two threads), so the core always runs on
    # one; the caller's setting is restored afterwards.
    threadpoolctl = pytest.importorskip("threadpoolctl")

    def blas_threads():
        info = threadpoolctl.threadpool_info()
        return {i["num_threads"] for i in info if i["user_api"] == "blas"}

    seen = []
    forward, loss_and_grads = _network.forward, _network.loss_and_grads

    def spy(function):
        def call(*args, **kwargs):
            seen.append(blas_threads())
            return function(*args, **kwargs)

        return call

    monkeypatch.setattr(_network, "forward", spy(forward))
    monkeypatch.setattr(_network, "loss_and_grads", spy(loss_and_grads))
    X, y = _ragged(30)
    with threadpoolctl.threadpool_limits(2, user_api="blas"):
        clf = _fit(AttentionRNNClassifier(hidden_size=4, max_iter=2), X, y)
        clf.predict_proba(X)
        clf.predict(X)
        clf.score(X, y)
        clf.attention_weights(X)
        assert blas_threads() == {2}
    assert len(seen) >= 4 and all(threads == {1} for threads in seen)


def test_convergence_warning_when_max_iter_is_reached():
    X, y = _ragged(30)
    with pytest.warns(ConvergenceWarning, match=re.escape("Maximum iterations (3)")):
        AttentionRNNClassifier(max_iter=3, random_state=0).fit(X, y)


def test_stops_when_the_loss_stops_improving():
    X, y = _ragged(30)
    clf = AttentionRNNClassifier(
        max_iter=500, tol=10.0, n_iter_no_change=2, random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        clf.fit(X, y)
    # as MLPClassifier: the first epoch improves on inf, the next three do
    # not, and the count must exceed n_iter_no_change
    assert clf.n_iter_ == 4
    assert clf.best_loss_ == min(clf.loss_curve_)
    assert clf.validation_scores_ is None and clf.best_validation_score_ is None


def test_binary_integer_and_multiclass_labels():
    X, y = _digits(300)
    binary = (y > 4).astype(int)
    clf = _fit(AttentionRNNClassifier(random_state=0, max_iter=20), X, binary)
    assert clf.classes_.tolist() == [0, 1] and clf.V_.shape[0] == 2
    assert set(clf.predict(X)) <= {0, 1}
    with pytest.raises(ValueError, match="at least 2 classes"):
        AttentionRNNClassifier().fit(X[:5], np.zeros(5))


def test_input_forms_give_the_same_model():
    rng = np.random.RandomState(0)
    X3 = rng.randn(20, 6, 1)
    y = (X3[:, 0, 0] > 0).astype(int)
    params = dict(random_state=0, max_iter=3)
    from_2d = _fit(AttentionRNNClassifier(**params), X3[:, :, 0], y)
    from_3d = _fit(AttentionRNNClassifier(**params), X3, y)
    from_list = _fit(AttentionRNNClassifier(**params), list(X3), y)
    assert from_2d.n_features_in_ == 6 and from_3d.n_features_in_ == 1
    np.testing.assert_array_equal(from_2d.W_, from_3d.W_)
    np.testing.assert_array_equal(from_3d.W_, from_list.W_)
    # a 3-D model reads 3-D sequences of any length
    assert from_3d.predict(rng.randn(4, 11, 1)).shape == (4,)
    msg = "X has 5 features, but AttentionRNNClassifier is expecting 6 features"
    with pytest.raises(ValueError, match=msg):
        from_2d.predict(X3[:, :5, 0])


def test_nan_padding_equals_a_list_of_shorter_sequences():
    X, y = _ragged(40)
    clf = _fit(AttentionRNNClassifier(random_state=0, max_iter=5), X, y)
    padded = np.full((40, 12, 3), np.nan)
    for i, x in enumerate(X):
        padded[i, : len(x)] = x
    np.testing.assert_allclose(
        clf.predict_proba(padded), clf.predict_proba(X), rtol=1e-12
    )


def test_float32_input_is_computed_in_float32():
    X, y = _digits(200)
    clf = _fit(AttentionRNNClassifier(random_state=0, max_iter=5), X.astype("f4"), y)
    assert clf.W_.dtype == np.float32
    assert clf.predict_proba(X.astype(np.float32)).dtype == np.float32
    assert clf.predict_proba(X).dtype == np.float64
    np.testing.assert_allclose(
        clf.predict_proba(X.astype(np.float32)), clf.predict_proba(X), atol=1e-5
    )


def test_sample_weight_equals_repetition_with_lbfgs():
    X, y = _ragged(30)
    weights = np.arange(30) % 3
    repeated = [x for x, w in zip(X, weights) for _ in range(w)]
    y_repeated = np.repeat(y, weights)
    params = dict(solver="lbfgs", random_state=0, max_iter=15, alpha=1e-2)
    weighted = _fit(AttentionRNNClassifier(**params), X, y, sample_weight=weights)
    plain = _fit(AttentionRNNClassifier(**params), repeated, y_repeated)
    np.testing.assert_allclose(weighted.W_, plain.W_, rtol=1e-5, atol=1e-7)
    with pytest.raises(ValueError, match="non-zero|sum to zero"):
        AttentionRNNClassifier().fit(X, y, sample_weight=np.zeros(30))


def test_class_weight_balanced_equals_the_matching_sample_weight():
    X, y = _ragged(40)
    y[:30] = "neg"
    params = dict(solver="lbfgs", random_state=0, max_iter=10)
    balanced = _fit(AttentionRNNClassifier(class_weight="balanced", **params), X, y)
    counts = {c: (y == c).sum() for c in ("neg", "pos")}
    sw = np.array([40 / (2 * counts[c]) for c in y])
    manual = _fit(AttentionRNNClassifier(**params), X, y, sample_weight=sw)
    np.testing.assert_allclose(balanced.W_, manual.W_, rtol=1e-10)
    as_dict = _fit(
        AttentionRNNClassifier(class_weight={"neg": 1, "pos": 5}, **params), X, y
    )
    assert not np.allclose(as_dict.W_, balanced.W_)


def test_early_stopping_keeps_the_best_validation_parameters():
    X, y = _digits(400)
    clf = AttentionRNNClassifier(
        early_stopping=True, random_state=0, max_iter=40, n_iter_no_change=3
    )
    _fit(clf, X, y)
    assert len(clf.validation_scores_) == clf.n_iter_
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    assert clf.best_loss_ is None
    # the restored parameters score the best validation score on the split
    assert clf.validation_scores_[-1] <= clf.best_validation_score_


def test_partial_fit_continues_one_run_and_keeps_adam():
    X, y = _ragged(60)
    clf = AttentionRNNClassifier(random_state=0, shuffle=False, batch_size=60)
    with pytest.raises(ValueError, match="classes must be passed"):
        clone(clf).partial_fit(X, y)
    clf.partial_fit(X, y, classes=["neg", "pos"])
    assert clf._optimizer.t == 1
    clf.partial_fit(X, y)
    assert clf._optimizer.t == 2 and clf.n_iter_ == 2
    # two partial fits == two epochs of one fit (same batches, same Adam state)
    two_epochs = _fit(
        AttentionRNNClassifier(
            random_state=0, shuffle=False, batch_size=60, max_iter=2
        ),
        X,
        y,
    )
    np.testing.assert_array_equal(clf.W_, two_epochs.W_)
    with pytest.raises(ValueError, match="early_stopping"):
        AttentionRNNClassifier(early_stopping=True).partial_fit(X, y, classes=["neg"])
    assert not hasattr(AttentionRNNClassifier(solver="lbfgs"), "partial_fit")


def test_warm_start_continues_with_the_optimizer_state():
    X, y = _ragged(60)
    params = dict(random_state=0, shuffle=False, batch_size=60)
    clf = _fit(AttentionRNNClassifier(max_iter=2, warm_start=True, **params), X, y)
    moments = clf._optimizer.ms["theta"].copy()
    _fit(clf, X, y)
    assert clf.n_iter_ == 4 and clf._optimizer.t == 4
    assert len(clf.loss_curve_) == 4
    straight = _fit(AttentionRNNClassifier(max_iter=4, **params), X, y)
    np.testing.assert_array_equal(clf.W_, straight.W_)
    assert not np.array_equal(moments, clf._optimizer.ms["theta"])
    cold = _fit(AttentionRNNClassifier(max_iter=2, **params), X, y)
    _fit(cold, X, y)  # without warm_start: a fresh start
    assert cold.n_iter_ == 2


def test_verbose_prints_one_line_per_epoch(capsys):
    X, y = _digits(200)
    _fit(
        AttentionRNNClassifier(
            verbose=True, max_iter=3, early_stopping=True, random_state=0
        ),
        X,
        y,
    )
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 3
    pattern = r"Epoch (\d): loss = [\d.]+, validation score = [\d.]+ \([\d.]+ s\)"
    assert [re.fullmatch(pattern, line).group(1) for line in lines] == ["1", "2", "3"]


def test_gradient_clipping_bounds_each_step():
    X, y = _ragged(60)
    params = dict(
        solver="sgd", momentum=0, learning_rate=1.0, random_state=0, max_iter=1
    )
    params.update(batch_size=60, shuffle=False)
    clipped = _fit(AttentionRNNClassifier(max_grad_norm=1e-3, **params), X, y)
    init = _network.init_params(3, 64, 2, np.random.RandomState(0))
    step = np.sqrt(
        sum(((getattr(clipped, k + "_") - init[k]) ** 2).sum() for k in init)
    )
    assert step == pytest.approx(1e-3, rel=1e-6)
    free = _fit(AttentionRNNClassifier(max_grad_norm=None, **params), X, y)
    assert not np.allclose(free.W_, clipped.W_)


def test_attention_weights_and_plain_rnn():
    X, y = _ragged(30)
    clf = _fit(AttentionRNNClassifier(random_state=0, max_iter=3), X, y)
    weights = clf.attention_weights(X)
    assert weights.shape == (30, 8)
    for row, x in zip(weights, X):
        assert np.isnan(row[len(x) :]).all()
        assert row[: len(x)].sum() == pytest.approx(1.0)
    plain = _fit(AttentionRNNClassifier(attention=False, max_iter=3), X, y)
    with pytest.raises(ValueError, match="attention=False"):
        plain.attention_weights(X)
    assert plain.predict(X).shape == (30,)


def test_pipeline_grid_search_cross_val_and_clone_on_strings():
    rng = np.random.RandomState(0)
    texts = ["".join(rng.choice(list("abc"), rng.randint(2, 8))) for _ in range(60)]
    labels = [t[0] for t in texts]
    pipe = make_pipeline(
        CharOneHotEncoder(), AttentionRNNClassifier(max_iter=30, random_state=0)
    )
    grid = {
        "attentionrnnclassifier__hidden_size": [4, 8],
        "attentionrnnclassifier__learning_rate": [1e-3, 3e-2],
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search = GridSearchCV(pipe, grid, cv=3, n_jobs=2).fit(texts, labels)
        scores = cross_val_score(clone(pipe), texts, labels, cv=3)
    assert search.best_params_["attentionrnnclassifier__learning_rate"] == 3e-2
    assert search.best_score_ > 0.9
    assert search.predict(["cab", "abc"]).tolist() == ["c", "a"]
    assert scores.shape == (3,) and scores.min() > 0.5
    fresh = clone(search.best_estimator_)
    assert not hasattr(fresh[-1], "U_")
    assert fresh.get_params()["attentionrnnclassifier__hidden_size"] in (4, 8)


def test_setting_hidden_size_after_fit_does_not_change_predictions():
    X, y = _ragged(30)
    clf = _fit(AttentionRNNClassifier(hidden_size=8, random_state=0, max_iter=3), X, y)
    before = clf.predict_proba(X)
    clf.set_params(hidden_size=64)
    np.testing.assert_array_equal(clf.predict_proba(X), before)


def test_validation_score_is_weighted():
    clf = AttentionRNNClassifier()
    Omega = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]])
    targets = np.array([0, 0, 0])  # right, wrong, right
    assert clf._validation_score(Omega, targets, np.ones(3)) == pytest.approx(2 / 3)
    assert clf._validation_score(Omega, targets, np.array([1.0, 2.0, 1.0])) == 0.5


def test_lbfgs_warm_start_adds_iterations():
    X, y = _ragged(30)
    clf = AttentionRNNClassifier(solver="lbfgs", max_iter=3, warm_start=True)
    _fit(clf, X, y)
    first = clf.n_iter_
    _fit(clf, X, y)
    assert clf.n_iter_ > first
    assert clf.n_iter_ == len(clf.loss_curve_)


# ----------------------------------------------------------------------
# dropout / recurrent_dropout
# ----------------------------------------------------------------------
PARAMS = ("U_", "W_", "b_", "V_", "c_")


def _no_masks(random_state, *args, **kwargs):
    """``dropout_masks`` of a network without dropout: no masks, no draws."""
    return None, None


@pytest.mark.parametrize("early_stopping", [False, True])
def test_dropout_zero_gives_exactly_the_fit_without_dropout(
    early_stopping, monkeypatch
):
    X, y = _ragged(80)
    params = dict(random_state=0, max_iter=6, batch_size=32)
    params["early_stopping"] = early_stopping
    # The reference: the estimator's own fit with the masks taken out.
    with monkeypatch.context() as patch:
        patch.setattr(_network, "dropout_masks", _no_masks)
        before = _fit(AttentionRNNClassifier(**params), X, y)
    default = _fit(AttentionRNNClassifier(**params), X, y)
    zero = _fit(
        AttentionRNNClassifier(dropout=0.0, recurrent_dropout=0, **params), X, y
    )
    for clf in (default, zero):
        for name in PARAMS:
            assert np.array_equal(getattr(clf, name), getattr(before, name))
        assert clf.loss_curve_ == before.loss_curve_
        assert clf.validation_scores_ == before.validation_scores_


def test_dropout_zero_draws_no_random_number(monkeypatch):
    # Nothing but the masks themselves may differ: at rates 0 the random
    # stream (shuffling, validation split) is the one of before.
    calls = []
    original = _network.dropout_masks

    def spy(random_state, *args, **kwargs):
        before = random_state.get_state()[2]
        masks = original(random_state, *args, **kwargs)
        calls.append((before == random_state.get_state()[2], masks))
        return masks

    monkeypatch.setattr(_network, "dropout_masks", spy)
    X, y = _ragged(40)
    _fit(AttentionRNNClassifier(random_state=0, max_iter=2, batch_size=20), X, y)
    assert len(calls) == 4
    assert all(unchanged and masks == (None, None) for unchanged, masks in calls)


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_dropout_is_reproducible_with_the_same_random_state(solver):
    X, y = _ragged(60)
    params = dict(solver=solver, max_iter=5, dropout=0.2, recurrent_dropout=0.3)
    a = _fit(AttentionRNNClassifier(random_state=3, **params), X, y)
    b = _fit(AttentionRNNClassifier(random_state=3, **params), X, y)
    rs = _fit(
        AttentionRNNClassifier(random_state=np.random.RandomState(3), **params), X, y
    )
    c = _fit(AttentionRNNClassifier(random_state=4, **params), X, y)
    plain = _fit(
        AttentionRNNClassifier(random_state=3, solver=solver, max_iter=5), X, y
    )
    for name in PARAMS:
        assert np.array_equal(getattr(a, name), getattr(b, name))
        assert np.array_equal(getattr(a, name), getattr(rs, name))
    assert a.loss_curve_ == b.loss_curve_
    assert not np.array_equal(a.W_, c.W_)
    assert not np.array_equal(a.W_, plain.W_)  # the masks did act


@pytest.mark.parametrize("which", ["dropout", "recurrent_dropout"])
def test_each_dropout_reaches_the_core_with_one_mask_per_sequence(which, monkeypatch):
    seen = []
    original = _network.loss_and_grads

    def spy(params, X, lengths, *args, **kwargs):
        seen.append((X.shape, kwargs["input_mask"], kwargs["recurrent_mask"]))
        return original(params, X, lengths, *args, **kwargs)

    monkeypatch.setattr(_network, "loss_and_grads", spy)
    X, y = _ragged(30)
    clf = AttentionRNNClassifier(
        hidden_size=6, max_iter=1, batch_size=30, random_state=0, **{which: 0.5}
    )
    _fit(clf, X, y)
    (shape, input_mask, recurrent_mask), *_ = seen
    T, N, F = shape
    if which == "dropout":
        assert recurrent_mask is None and input_mask.shape == (N, F)
        mask = input_mask
    else:
        assert input_mask is None and recurrent_mask.shape == (N, 6)
        mask = recurrent_mask
    assert set(np.unique(mask)) == {0.0, 2.0}  # 1 / (1 - 0.5) for kept units


def test_predictions_with_dropout_are_the_network_without_masks(monkeypatch):
    X, y = _ragged(60)
    clf = AttentionRNNClassifier(
        random_state=0, max_iter=5, dropout=0.3, recurrent_dropout=0.3
    )
    _fit(clf, X, y)
    proba = clf.predict_proba(X)
    # the network without masks, run directly on the fitted parameters
    lengths = np.array([len(x) for x in X])
    values = np.zeros((len(X), lengths.max(), 3))
    for i, x in enumerate(X):
        values[i, : len(x)] = x
    Omega, a = _network.forward(clf._params, values.transpose(1, 0, 2), lengths)
    np.testing.assert_allclose(proba, _network.output_function(Omega, "log_loss"))
    steps = np.arange(lengths.max())[None, :] < lengths[:, None]
    weights = clf.attention_weights(X)
    np.testing.assert_allclose(weights[steps], a[steps])
    assert np.isnan(weights[~steps]).all()
    assert clf.score(X, y) == pytest.approx(np.mean(clf.classes_[proba.argmax(1)] == y))
    # prediction draws no mask
    monkeypatch.setattr(_network, "dropout_masks", None)
    np.testing.assert_array_equal(proba, clf.predict_proba(X))
    clf.predict(X), clf.predict_log_proba(X), clf.attention_weights(X)


def test_early_stopping_validates_without_dropout(monkeypatch):
    # Masks are drawn for the training batches only, never for the
    # validation set: one call per training batch per epoch.
    calls = []
    original = _network.dropout_masks

    def spy(random_state, n_sequences, *args, **kwargs):
        calls.append(n_sequences)
        return original(random_state, n_sequences, *args, **kwargs)

    monkeypatch.setattr(_network, "dropout_masks", spy)
    X, y = _ragged(100)
    clf = AttentionRNNClassifier(
        random_state=0,
        max_iter=4,
        batch_size=30,
        recurrent_dropout=0.3,
        early_stopping=True,
        validation_fraction=0.2,
    )
    _fit(clf, X, y)
    assert calls == [30, 30, 20] * clf.n_iter_
    assert len(clf.validation_scores_) == clf.n_iter_


def test_dropout_with_partial_fit_and_float32():
    X, y = _digits(200)
    clf = AttentionRNNClassifier(
        hidden_size=8, random_state=0, dropout=0.1, recurrent_dropout=0.2
    )
    for _ in range(3):
        clf.partial_fit(X.astype(np.float32), y, classes=np.arange(10))
    assert clf.W_.dtype == np.float32 and clf.n_iter_ == 3
    assert np.isfinite(clf.loss_curve_).all()


def test_dropout_needs_a_stochastic_solver():
    X, y = _ragged(20)
    for params in (dict(dropout=0.1), dict(recurrent_dropout=0.1)):
        clf = AttentionRNNClassifier(solver="lbfgs", **params)
        with pytest.raises(ValueError, match="stochastic solver"):
            clf.fit(X, y)
    # rates of 0 are fine with lbfgs
    _fit(AttentionRNNClassifier(solver="lbfgs", max_iter=2, dropout=0.0), X, y)


@pytest.mark.parametrize("name", ["dropout", "recurrent_dropout"])
@pytest.mark.parametrize("value", [1.0, -0.1, 1.5, "0.2"])
def test_dropout_rates_outside_0_1_are_rejected(name, value):
    X, y = _ragged(20)
    with pytest.raises(ValueError, match=rf"'{name}' parameter .* range \[0.0, 1.0\)"):
        AttentionRNNClassifier(**{name: value}).fit(X, y)


def test_concurrent_predictions_leave_the_blas_threads_as_they_were():
    # The one-thread limit is process-wide: overlapping calls from several
    # threads must neither lift it under each other nor leave it behind.
    threadpoolctl = pytest.importorskip("threadpoolctl")
    from concurrent.futures import ThreadPoolExecutor

    from sklearn_attnrnn._threads import one_blas_thread

    def blas_threads():
        info = threadpoolctl.threadpool_info()
        return {i["num_threads"] for i in info if i["user_api"] == "blas"}

    X, y = _ragged(30)
    clf = _fit(AttentionRNNClassifier(hidden_size=4, max_iter=2), X, y)
    with threadpoolctl.threadpool_limits(2, user_api="blas"):
        expected = clf.predict_proba(X)
        for _ in range(5):
            with ThreadPoolExecutor(4) as pool:
                results = list(pool.map(lambda _: clf.predict_proba(X), range(40)))
            assert blas_threads() == {2} and one_blas_thread._depth == 0
            assert all(np.array_equal(r, expected) for r in results)
        # Overlapping contexts, interleaved as two threads may: the limit
        # holds until the last one is left, then the caller's 2 is back.
        first, second = one_blas_thread(), one_blas_thread()
        first.__enter__()
        second.__enter__()
        first.__exit__(None, None, None)
        assert blas_threads() == {1}
        second.__exit__(None, None, None)
        assert blas_threads() == {2}


def test_continued_fits_go_on_with_the_random_stream():
    # warm_start with shuffling: 3 + 4 epochs are the 7 epochs of one fit;
    # partial_fit draws new dropout masks at every call, not the same ones.
    X, y = _ragged(40)
    params = dict(hidden_size=4, batch_size=10, random_state=0, tol=0.0)
    params.update(n_iter_no_change=100, recurrent_dropout=0.3, dropout=0.2)
    straight = _fit(AttentionRNNClassifier(max_iter=7, **params), X, y)
    warm = _fit(AttentionRNNClassifier(max_iter=3, warm_start=True, **params), X, y)
    _fit(warm.set_params(max_iter=4), X, y)
    for name in PARAMS:
        assert np.array_equal(getattr(warm, name), getattr(straight, name))

    masks = []
    draw = _network.dropout_masks

    def recorded(*args, **kwargs):
        drawn = draw(*args, **kwargs)
        masks.append(drawn[1])  # the recurrent mask of the batch
        return drawn

    clf = AttentionRNNClassifier(**{**params, "batch_size": 40})
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_network, "dropout_masks", recorded)
        for _ in range(3):
            clf.partial_fit(X, y, classes=["neg", "pos"])
    assert len(masks) == 3
    assert not np.array_equal(masks[0], masks[1])
    assert not np.array_equal(masks[1], masks[2])
