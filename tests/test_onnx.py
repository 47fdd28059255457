"""ONNX export: onnxruntime's outputs equal predict / predict_proba."""

import copy
import sys
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.pipeline import make_pipeline

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
skl2onnx = pytest.importorskip("skl2onnx")

from skl2onnx.common.data_types import (  # noqa: E402
    DoubleTensorType,
    FloatTensorType,
    StringTensorType,
)

from sklearn_attnrnn import (  # noqa: E402
    AttentionRNNClassifier,
    AttentionRNNRegressor,
    CharLanguageModel,
    CharOneHotEncoder,
    SequenceStandardScaler,
)
from sklearn_attnrnn.onnx import register_converters, to_onnx  # noqa: E402

ATOL = 1e-5
F = 3


def _ragged(n=50, n_steps=12, seed=0):
    """float32 (n, n_steps, F) with NaN after each end; lengths 1..n_steps."""
    rng = np.random.RandomState(seed)
    X = rng.randn(n, n_steps, F).astype(np.float32)
    lengths = rng.randint(1, n_steps + 1, n)
    lengths[0] = n_steps
    X[np.arange(n_steps)[None, :] >= lengths[:, None]] = np.nan
    return X, lengths


def _fit(model, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, y)


def _targets(kind, X, lengths):
    """Targets that depend on the sequences (a model worth exporting)."""
    first = X[:, 0, 0]
    last = X[np.arange(len(X)), lengths - 1, 1]
    if kind == "binary":
        return (first > last).astype(np.int64)
    if kind == "multiclass":
        return np.array(["low", "mid", "high"])[np.digitize(first + last, [-0.7, 0.7])]
    if kind == "one output":
        return first - last
    return np.column_stack([first, last, lengths / 12.0])  # three outputs


def _session(onx):
    onnx.checker.check_model(onx, full_check=True)
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    return ort.InferenceSession(
        onx.SerializeToString(), options, providers=["CPUExecutionProvider"]
    )


def _run(onx, X):
    return _session(onx).run(None, {"X": X})


def _assert_classifier_matches(onx, model, X):
    label, proba = _run(onx, X)
    expected = model.predict_proba(X)
    assert proba.shape == expected.shape and proba.dtype == np.float32
    np.testing.assert_allclose(proba, expected, rtol=0, atol=ATOL)
    np.testing.assert_array_equal(label, model.predict(X))


def _assert_regressor_matches(onx, model, X):
    (prediction,) = _run(onx, X)
    expected = model.predict(X).reshape(len(X), -1)  # (N, n_outputs)
    assert prediction.shape == expected.shape
    np.testing.assert_allclose(prediction, expected, rtol=0, atol=ATOL)


CONFIGS = [
    {"attention": True, "attention_scores": "dot"},
    {"attention": True, "attention_scores": "scaled"},
    {"attention": False},
]


CELLS = ["elman", "gru", "lstm"]


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("config", CONFIGS, ids=str)
@pytest.mark.parametrize("kind", ["binary", "multiclass", "one output", "outputs"])
def test_onnxruntime_equals_the_model_on_ragged_data(cell, config, kind):
    X, lengths = _ragged()
    y = _targets(kind, X, lengths)
    is_classifier = kind in ("binary", "multiclass")
    cls = AttentionRNNClassifier if is_classifier else AttentionRNNRegressor
    model = _fit(
        cls(
            hidden_size=6,
            cell=cell,
            max_iter=40,
            learning_rate=1e-2,
            random_state=0,
            **config,
        ),
        X.astype(np.float64),  # float64 parameters, cast to float32 by both
        y,
    )
    onx = to_onnx(model, X)
    X_new, _ = _ragged(n=30, n_steps=15, seed=1)  # other N and T than X's
    if is_classifier:
        _assert_classifier_matches(onx, model, X_new)
    else:
        _assert_regressor_matches(onx, model, X_new)


@pytest.mark.parametrize("cell", CELLS)
def test_float32_fit_long_sequences_and_one_step(cell):
    X, lengths = _ragged(n=40, n_steps=60)
    X[1, 1:] = np.nan  # a sequence of one step
    y = _targets("multiclass", X, lengths)
    model = _fit(
        AttentionRNNClassifier(
            hidden_size=16, cell=cell, max_iter=30, learning_rate=1e-2
        ),
        X,
        y,
    )
    assert model.U_.dtype == np.float32
    _assert_classifier_matches(to_onnx(model, X), model, X)


def test_a_sequence_without_steps_gets_nan_where_predict_proba_raises():
    X, lengths = _ragged()
    clf = _fit(AttentionRNNClassifier(hidden_size=3, max_iter=2), X, lengths > 6)
    X[1] = np.nan
    label, proba = _run(to_onnx(clf, X), X)
    assert np.isnan(proba[1]).all() and not np.isnan(np.delete(proba, 1, 0)).any()
    with pytest.raises(ValueError, match="empty sequence"):
        clf.predict_proba(X)


def test_univariate_2d_sequences_take_a_feature_axis():
    X = np.random.RandomState(0).randn(40, 7).astype(np.float32)
    X[::3, 5:] = np.nan
    model = _fit(AttentionRNNRegressor(hidden_size=4, max_iter=20), X, X[:, 0])
    _assert_regressor_matches(to_onnx(model, X), model, X[:, :, None])


def test_pipeline():
    X, lengths = _ragged()
    y = _targets("multiclass", X, lengths)
    pipe = _fit(make_pipeline(AttentionRNNClassifier(hidden_size=5, max_iter=20)), X, y)
    _assert_classifier_matches(to_onnx(pipe, X), pipe, X)


@pytest.mark.parametrize("per", ["feature", "sequence"])
@pytest.mark.parametrize(
    "with_mean, with_std", [(True, True), (False, True), (True, False), (False, False)]
)
def test_scaler(per, with_mean, with_std):
    X, _ = _ragged()
    X[:, :, 1] += 100.0  # far from 0: the mean matters
    X[2, :, 2] = np.where(np.isnan(X[2, :, 2]), np.nan, 7.0)  # constant in a sequence
    scaler = SequenceStandardScaler(per=per, with_mean=with_mean, with_std=with_std)
    scaler.fit(X)
    X_new, _ = _ragged(n=30, n_steps=15, seed=1)
    X_new[3, :, 0] = np.where(np.isnan(X_new[3, :, 0]), np.nan, -2.5)
    (scaled,) = _run(to_onnx(scaler, X), X_new)
    np.testing.assert_allclose(scaled, scaler.transform(X_new), rtol=0, atol=ATOL)
    assert np.array_equal(np.isnan(scaled), np.isnan(X_new))


@pytest.mark.parametrize("per", ["feature", "sequence"])
def test_pipeline_of_the_scaler_and_a_model(per):
    X, lengths = _ragged()
    X *= 50.0
    y = _targets("multiclass", X, lengths)
    pipe = _fit(
        make_pipeline(
            SequenceStandardScaler(per=per),
            AttentionRNNClassifier(hidden_size=5, max_iter=20, learning_rate=1e-2),
        ),
        X,
        y,
    )
    X_new, _ = _ragged(n=30, n_steps=15, seed=1)
    _assert_classifier_matches(to_onnx(pipe, X), pipe, X_new * 50.0)


def test_skl2onnx_to_onnx_with_its_default_zipmap():
    X, lengths = _ragged()
    y = _targets("multiclass", X, lengths)
    clf = _fit(AttentionRNNClassifier(hidden_size=5, max_iter=20), X, y)
    register_converters()
    onx = skl2onnx.to_onnx(
        make_pipeline(clf), initial_types=[("X", FloatTensorType([None, None, F]))]
    )
    label, proba = _run(onx, X)
    np.testing.assert_array_equal(label, clf.predict(X))
    as_array = np.array([[row[c] for c in clf.classes_] for row in proba])
    np.testing.assert_allclose(as_array, clf.predict_proba(X), rtol=0, atol=ATOL)


def test_options_nocl_and_zipmap():
    X, lengths = _ragged()
    y = _targets("multiclass", X, lengths)
    clf = _fit(AttentionRNNClassifier(hidden_size=5, max_iter=20), X, y)
    label, proba = _run(
        to_onnx(clf, X, options={AttentionRNNClassifier: {"nocl": True}}), X
    )
    assert proba.shape == (len(X), 3)  # zipmap stays off
    np.testing.assert_array_equal(label, clf.predict_proba(X).argmax(axis=1))
    label, proba = _run(to_onnx(clf, X, options={id(clf): {"zipmap": True}}), X)
    assert isinstance(proba, list) and sorted(proba[0]) == ["high", "low", "mid"]


def test_wrong_input_types_are_refused():
    X, lengths = _ragged()
    reg = _fit(AttentionRNNRegressor(hidden_size=3, max_iter=2), X, lengths)
    with pytest.raises(ValueError, match="4 features per step, but Attention"):
        to_onnx(reg, np.zeros((2, 5, 4)))
    register_converters()
    with pytest.raises(ValueError, match="must be 3-D"):
        skl2onnx.to_onnx(reg, initial_types=[("X", FloatTensorType([None, F]))])
    with pytest.raises(TypeError, match="float32"):
        skl2onnx.to_onnx(reg, initial_types=[("X", DoubleTensorType([None, None, F]))])


def test_opset_13_is_enough_and_12_is_refused():
    X, lengths = _ragged()
    pipe = _fit(
        make_pipeline(
            SequenceStandardScaler(per="sequence"),
            AttentionRNNClassifier(hidden_size=3, cell="gru", max_iter=2),
        ),
        X,
        _targets("binary", X, lengths),
    )
    onx = to_onnx(pipe, X, target_opset=13)
    assert {o.domain: o.version for o in onx.opset_import}[""] == 13
    _assert_classifier_matches(onx, pipe, X)
    with pytest.raises(ValueError, match="opset 13"):
        to_onnx(pipe, X, target_opset=12)


def test_text_models_are_refused_with_the_host_language_recipe():
    names = ["anna", "bob", "carla", "dmitri"]
    encoder = CharOneHotEncoder().fit(names)
    lm = _fit(CharLanguageModel(hidden_size=3, max_iter=1), names, None)
    for model in (encoder, lm):
        with pytest.raises(NotImplementedError, match="categories_"):
            to_onnx(model, encoder.transform(names))
    pipe = _fit(
        make_pipeline(CharOneHotEncoder(), AttentionRNNClassifier(max_iter=1)),
        names,
        [0, 1, 0, 1],
    )
    register_converters()
    with pytest.raises(NotImplementedError, match="CharOneHotEncoder is not"):
        skl2onnx.to_onnx(pipe, initial_types=[("X", StringTensorType([None]))])


def _encode_in_the_host_language(strings, categories):
    """The documented recipe, in plain Python: one-hot rows, NaN after the end."""
    position = {c: i for i, c in enumerate(categories)}
    longest = max(len(s) for s in strings)
    rows = []
    for s in strings:
        steps = []
        for t in range(longest):
            step = [float("nan")] * len(categories)
            if t < len(s):
                step = [0.0] * len(categories)
                if s[t] in position:
                    step[position[s[t]]] = 1.0
            steps.append(step)
        rows.append(steps)
    return np.array(rows, dtype=np.float32)


def test_the_host_language_text_recipe_gives_the_pipeline_s_probabilities():
    names = ["anna", "bob", "carla", "dmitri", "eve", "fritz", "gaia", "hal"]
    pipe = _fit(
        make_pipeline(
            CharOneHotEncoder(handle_unknown="ignore"),
            AttentionRNNClassifier(hidden_size=4, max_iter=20),
        ),
        names,
        [0, 1, 1, 0, 1, 0, 0, 1],
    )
    categories = list(pipe[0].categories_)
    onx = to_onnx(pipe[-1], pipe[0].transform(names))
    new = ["bo", "zed", "annab"]  # z is unknown: a row of zeros
    _, proba = _run(onx, _encode_in_the_host_language(new, categories))
    np.testing.assert_allclose(proba, pipe.predict_proba(new), rtol=0, atol=ATOL)


def _ragged_around(delay, n=40, n_steps=15, seed=0):
    """_ragged's data with lengths 1, L - 1, L, L + 1 and n_steps among them."""
    X, lengths = _ragged(n, n_steps, seed)
    lengths[:5] = [1, delay - 1, delay, delay + 1, n_steps]
    X = np.where(np.isnan(X), 1.0, X)  # the steps past the new lengths: NaN
    X[np.arange(n_steps)[None, :] >= lengths[:, None]] = np.nan
    return X, lengths


@pytest.mark.parametrize("delay", [2, 5])
@pytest.mark.parametrize("config", CONFIGS, ids=str)
@pytest.mark.parametrize("kind", ["multiclass", "outputs"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_delayed_connection_on_ragged_and_full_data(delay, config, kind, dtype):
    X, lengths = _ragged_around(delay, n_steps=12)
    y = _targets(kind, X, lengths)
    is_classifier = kind == "multiclass"
    cls = AttentionRNNClassifier if is_classifier else AttentionRNNRegressor
    model = _fit(
        cls(hidden_size=6, delay=delay, max_iter=30, random_state=0, **config),
        X.astype(dtype),
        y,
    )
    onx = to_onnx(model, X)
    X_ragged, _ = _ragged_around(delay, n=30, n_steps=15, seed=1)
    X_full = np.random.RandomState(2).randn(7, 9, F).astype(np.float32)
    assert_matches = (
        _assert_classifier_matches if is_classifier else _assert_regressor_matches
    )
    for X_new in (X_ragged, X_full):
        assert_matches(onx, model, X_new)
    # R reaches the outputs: without it, the figures would be off
    without_R = copy.deepcopy(model)
    without_R.R_ = np.zeros_like(model.R_)
    predict = "predict_proba" if is_classifier else "predict"
    change = getattr(without_R, predict)(X_ragged) - getattr(model, predict)(X_ragged)
    assert np.abs(change).max() > 100 * ATOL


@pytest.mark.parametrize("per", ["feature", "sequence"])
def test_delayed_connection_in_a_pipeline_at_opset_13(per):
    X, lengths = _ragged_around(3)
    X *= 50.0
    y = _targets("binary", X, lengths)
    pipe = _fit(
        make_pipeline(
            SequenceStandardScaler(per=per),
            AttentionRNNClassifier(hidden_size=5, delay=3, max_iter=20),
        ),
        X,
        y,
    )
    X_new, _ = _ragged_around(3, n=30, n_steps=20, seed=1)
    onx = to_onnx(pipe, X, target_opset=13)
    _assert_classifier_matches(onx, pipe, X_new * 50.0)


def test_delayed_connection_through_skl2onnx():
    X, lengths = _ragged_around(2)
    pipe = _fit(
        make_pipeline(
            SequenceStandardScaler(),
            AttentionRNNRegressor(hidden_size=4, delay=2, max_iter=20),
        ),
        X,
        lengths,
    )
    register_converters()
    onx = skl2onnx.to_onnx(
        pipe, initial_types=[("X", FloatTensorType([None, None, F]))]
    )
    _assert_regressor_matches(onx, pipe, _ragged_around(2, n=30, seed=1)[0])


def test_the_fitted_delay_is_exported_not_the_parameter_set_since():
    X, lengths = _ragged_around(4)
    reg = _fit(AttentionRNNRegressor(hidden_size=4, delay=4, max_iter=10), X, lengths)
    reg.set_params(delay=None)  # predict still uses the fitted network's L = 4
    _assert_regressor_matches(to_onnx(reg, X), reg, X)


def test_a_gated_cell_with_a_delay_is_refused():
    X, lengths = _ragged()
    reg = _fit(AttentionRNNRegressor(hidden_size=3, cell="gru", max_iter=2), X, lengths)
    reg._fitted_delay = 2  # the estimators never fit this
    with pytest.raises(ValueError, match="'gru' cell has no delay"):
        to_onnx(reg, X)


def test_the_package_imports_without_onnx(monkeypatch):
    monkeypatch.setitem(sys.modules, "skl2onnx", None)  # import skl2onnx fails
    import sklearn_attnrnn.onnx

    X, lengths = _ragged()
    reg = _fit(AttentionRNNRegressor(hidden_size=3, max_iter=2), X, lengths)
    with pytest.raises(ImportError, match=r"sklearn-attnrnn\[onnx\]"):
        sklearn_attnrnn.onnx.to_onnx(reg, X)
