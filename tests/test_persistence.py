"""Persistence: pickle, joblib and skops round trips, version check, training on.

A loaded model must predict bit for bit like the saved one (also in a fresh
interpreter), warn when it was saved by another version of the package, and
continue training exactly like the model that was never saved: the optimizer
keeps no reference to the parameter arrays (scikit-learn issue #19626).
"""

import io
import pickle
import re
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import joblib
import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.base import BaseEstimator, is_classifier, is_regressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.pipeline import make_pipeline

import sklearn_attnrnn
from sklearn_attnrnn import (
    AttentionRNNClassifier,
    AttentionRNNRegressor,
    CharOneHotEncoder,
    SequenceStandardScaler,
)

PARAMS = ("U_", "W_", "b_", "V_", "c_")

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _ragged_as_3d(n=50, seed=0):
    """Sequences of 1..10 steps of 3 features, NaN-padded into one array."""
    rng = np.random.RandomState(seed)
    X = rng.randn(n, 10, 3)
    lengths = rng.randint(1, 11, n)
    X[np.arange(10)[None, :] >= lengths[:, None]] = np.nan
    score = np.nanmean(X[:, :, 0], axis=1) + 0.1 * lengths
    return X, np.digitize(score, [0.3, 0.8]), score


@pytest.fixture(scope="module")
def models():
    X, y, score = _ragged_as_3d()
    clf = AttentionRNNClassifier(hidden_size=5, max_iter=8, random_state=0)
    reg = AttentionRNNRegressor(hidden_size=5, max_iter=8, random_state=0)
    return X, clf.fit(X, y), reg.fit(X, score)


def _roundtrip(obj, how):
    if how == "pickle":
        return pickle.loads(pickle.dumps(obj))
    buffer = io.BytesIO()
    joblib.dump(obj, buffer)
    buffer.seek(0)
    return joblib.load(buffer)


def _assert_same_params(a, b):
    for name in PARAMS:
        assert_array_equal(getattr(a, name), getattr(b, name))


# --- pickle and joblib in a fresh interpreter --------------------------------

LOAD_AND_PREDICT = textwrap.dedent(
    """
    import pickle, sys, warnings
    import joblib
    import numpy as np

    how, model_path, X_path, out = sys.argv[1:]
    assert "sklearn_attnrnn" not in sys.modules
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # same version: no warning at all
        if how == "pickle":
            with open(model_path, "rb") as f:
                models = pickle.load(f)
        else:
            models = joblib.load(model_path)
    X = np.load(X_path)
    np.save(out + "_proba.npy", models["clf"].predict_proba(X))
    np.save(out + "_weights.npy", models["clf"].attention_weights(X))
    np.save(out + "_reg.npy", models["reg"].predict(X))
    """
)


@pytest.mark.parametrize("how", ["pickle", "joblib"])
def test_predictions_are_identical_in_a_fresh_process(models, tmp_path, how):
    X, clf, reg = models
    model_path = tmp_path / f"models.{how}"
    if how == "pickle":
        model_path.write_bytes(pickle.dumps({"clf": clf, "reg": reg}))
    else:
        joblib.dump({"clf": clf, "reg": reg}, model_path)
    np.save(tmp_path / "X.npy", X)
    out = str(tmp_path / "out")
    run = subprocess.run(
        [sys.executable, "-c", LOAD_AND_PREDICT, how, str(model_path)]
        + [str(tmp_path / "X.npy"), out],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    proba = np.load(out + "_proba.npy")
    assert np.array_equal(proba, clf.predict_proba(X))
    assert np.array_equal(
        np.load(out + "_weights.npy"), clf.attention_weights(X), equal_nan=True
    )
    assert np.array_equal(np.load(out + "_reg.npy"), reg.predict(X))
    # The models are not constant, so equality means something.
    assert proba.std(axis=0).max() > 1e-3


# --- the version stored with the model ---------------------------------------


def test_the_package_version_is_stored_with_the_model(models):
    _, clf, reg = models
    assert clf._fitted_version == sklearn_attnrnn.__version__
    assert reg._fitted_version == sklearn_attnrnn.__version__
    assert "_fitted_version" in clf.__getstate__()


@pytest.mark.parametrize("how", ["pickle", "joblib"])
def test_loading_under_another_version_warns(models, monkeypatch, how):
    X, clf, _ = models
    if how == "pickle":
        data = pickle.dumps(clf)
    else:
        buffer = io.BytesIO()
        joblib.dump(clf, buffer)
        data = buffer.getvalue()
    monkeypatch.setattr(sklearn_attnrnn, "__version__", "99.1")
    pattern = (
        rf"AttentionRNNClassifier was saved with sklearn-attnrnn "
        rf"{clf._fitted_version} and is loaded with 99\.1"
    )
    with pytest.warns(UserWarning, match=pattern):
        loaded = (
            pickle.loads(data) if how == "pickle" else joblib.load(io.BytesIO(data))
        )
    # It warns, but it loads and predicts the same.
    assert loaded._fitted_version == clf._fitted_version
    assert np.array_equal(loaded.predict_proba(X), clf.predict_proba(X))


def test_a_model_saved_by_another_version_warns(models):
    _, _, reg = models
    old = pickle.loads(pickle.dumps(reg))
    old._fitted_version = "0.0.1"
    data = pickle.dumps(old)
    with pytest.warns(UserWarning, match=r"saved with sklearn-attnrnn 0\.0\.1 and is"):
        pickle.loads(data)


def test_same_version_and_unfitted_models_load_silently(models):
    _, clf, _ = models
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pickle.loads(pickle.dumps(clf))
        unfitted = pickle.loads(pickle.dumps(AttentionRNNRegressor()))
    assert not hasattr(unfitted, "_fitted_version")


# --- training on after loading -----------------------------------------------


def _arrays_in(obj):
    """Every ndarray held by an optimizer, in attributes or dicts of them."""
    for value in vars(obj).values():
        values = value.values() if isinstance(value, dict) else [value]
        for item in values:
            if isinstance(item, np.ndarray):
                yield item


@pytest.mark.parametrize("solver", ["adam", "sgd"])
@pytest.mark.parametrize("how", ["pickle", "joblib"])
def test_partial_fit_after_loading_continues_identically(how, solver):
    X, y, _ = _ragged_as_3d(seed=1)
    est = AttentionRNNClassifier(
        hidden_size=4, solver=solver, batch_size=16, random_state=0
    )
    est.partial_fit(X, y, classes=[0, 1, 2])
    est.partial_fit(X, y)
    loaded = _roundtrip(est, how)
    before = {name: getattr(loaded, name).copy() for name in PARAMS}
    # The optimizer shares no memory with the parameters (#19626), in either.
    for model in (est, loaded):
        for state in _arrays_in(model._optimizer):
            for name in PARAMS:
                assert not np.shares_memory(state, getattr(model, name))
    for _ in range(3):
        est.partial_fit(X, y)
        loaded.partial_fit(X, y)
    _assert_same_params(loaded, est)
    assert loaded.n_iter_ == est.n_iter_ == 5
    assert loaded.loss_curve_ == est.loss_curve_
    # The updates reached the loaded model's own arrays (not stale copies).
    assert not np.array_equal(loaded.U_, before["U_"])
    assert np.array_equal(loaded.predict_proba(X), est.predict_proba(X))


def test_warm_start_continues_adam_instead_of_resetting_it():
    X, y, _ = _ragged_as_3d(seed=2)
    params = dict(
        hidden_size=4,
        batch_size=10,  # 5 Adam steps per epoch
        shuffle=False,  # so that 3 + 4 epochs see the batches 7 epochs would
        tol=0.0,
        n_iter_no_change=100,
        random_state=0,
    )
    straight = AttentionRNNClassifier(max_iter=7, **params).fit(X, y)

    warm = AttentionRNNClassifier(max_iter=3, **params).fit(X, y)
    assert warm._optimizer.t == 15
    ms = {k: v.copy() for k, v in warm._optimizer.ms.items()}
    assert all(np.abs(m).max() > 0 for m in ms.values())
    warm.set_params(warm_start=True, max_iter=4)
    warm = _roundtrip(warm, "pickle")  # and across a save in between
    warm.fit(X, y)
    assert warm._optimizer.t == 35
    assert warm.n_iter_ == 7
    assert all(np.abs(m).max() > 0 for m in warm._optimizer.ms.values())
    _assert_same_params(warm, straight)
    assert warm.loss_curve_ == straight.loss_curve_

    # The comparison sees a reset: restarting Adam gives other parameters.
    reset = AttentionRNNClassifier(max_iter=3, **params).fit(X, y)
    del reset._optimizer
    reset.set_params(warm_start=True, max_iter=4).fit(X, y)
    assert reset._optimizer.t == 20
    assert not np.array_equal(reset.U_, straight.U_)


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_optimizer_state_saved_per_parameter_by_0_1_continues_exactly(solver):
    # sklearn-attnrnn 0.1 kept the optimizer's moments / velocities per
    # parameter; 0.2 keeps them as one flat vector. A 0.1 model loaded by
    # 0.2 has its state converted on loading and trains on as it would have.
    X, y, _ = _ragged_as_3d(seed=4)
    params = dict(hidden_size=4, batch_size=10, shuffle=False, solver=solver)
    params.update(tol=0.0, n_iter_no_change=100, random_state=0)
    straight = AttentionRNNClassifier(max_iter=5, **params).fit(X, y)
    old = AttentionRNNClassifier(max_iter=2, **params).fit(X, y)
    opt = old._optimizer
    for attr in ("ms", "vs", "velocities"):
        state = getattr(opt, attr, None)
        if state is not None:  # back to 0.1's layout, keyed like the parameters
            flat = state["theta"]
            sizes = np.cumsum([old._params[k].size for k in ("U", "W", "b", "V")])
            parts = np.split(flat.copy(), sizes)
            setattr(opt, attr, dict(zip(("U", "W", "b", "V", "c"), parts)))
            for k, part in getattr(opt, attr).items():
                getattr(opt, attr)[k] = part.reshape(old._params[k].shape)
    old._fitted_version = "0.1.0"
    with pytest.warns(UserWarning, match="saved with sklearn-attnrnn 0.1.0"):
        loaded = _roundtrip(old, "pickle")
    for attr in ("ms", "vs") if solver == "adam" else ("velocities",):
        assert set(getattr(loaded._optimizer, attr)) == {"theta"}
    loaded.set_params(warm_start=True, max_iter=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        loaded.fit(X, y)
    _assert_same_params(loaded, straight)
    assert loaded.loss_curve_ == straight.loss_curve_


def test_references_to_the_fitted_arrays_stay_live_across_partial_fit():
    X, y, _ = _ragged_as_3d(seed=5)
    clf = AttentionRNNClassifier(hidden_size=4, random_state=0)
    clf.partial_fit(X, y, classes=np.unique(y))
    U, W = clf.U_, clf.W_
    before = U.copy()
    clf.partial_fit(X, y)
    assert clf.U_ is U and clf.W_ is W  # the same arrays, updated in place
    assert not np.array_equal(U, before)


# --- skops: loading without executing arbitrary code -------------------------

TRUSTED = [
    "sklearn_attnrnn._classifier.AttentionRNNClassifier",
    "sklearn_attnrnn._optimizers.AdamOptimizer",
    "sklearn_attnrnn._text.CharOneHotEncoder",
]

TEXTS = ["hello", "hi", "hey", "bye", "ciao", "howdy", "so long", "farewell"]
LABELS = ["hi", "hi", "hi", "bye", "hi", "hi", "bye", "bye"]


@pytest.fixture(scope="module")
def text_pipeline():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return make_pipeline(
            CharOneHotEncoder(),
            AttentionRNNClassifier(hidden_size=4, max_iter=10, random_state=0),
        ).fit(TEXTS, LABELS)


def test_skops_loads_the_pipeline_trusting_only_the_package(text_pipeline, tmp_path):
    sio = pytest.importorskip("skops.io")
    path = tmp_path / "pipeline.skops"
    sio.dump(text_pipeline, path)
    assert sorted(sio.get_untrusted_types(file=path)) == TRUSTED
    # Nothing is loaded without saying what to trust.
    with pytest.raises(sio.exceptions.UntrustedTypesFoundException):
        sio.load(path)
    loaded = sio.load(path, trusted=TRUSTED)
    new = ["hey", "bye", "hi", "so"]
    assert_array_equal(loaded.predict(new), text_pipeline.predict(new))
    assert np.array_equal(loaded.predict_proba(new), text_pipeline.predict_proba(new))
    assert np.array_equal(
        loaded[:-1].transform(new), text_pipeline[:-1].transform(new), equal_nan=True
    )


def test_skops_loaded_model_trains_on_identically(text_pipeline):
    sio = pytest.importorskip("skops.io")
    X = text_pipeline[0].transform(TEXTS)
    clf = pickle.loads(pickle.dumps(text_pipeline[-1]))
    loaded = sio.loads(sio.dumps(clf), trusted=TRUSTED[:2])
    for _ in range(2):
        clf.partial_fit(X, LABELS)
        loaded.partial_fit(X, LABELS)
    _assert_same_params(loaded, clf)
    assert loaded._optimizer.t == clf._optimizer.t


def test_skops_load_under_another_version_warns(text_pipeline, monkeypatch):
    sio = pytest.importorskip("skops.io")
    data = sio.dumps(text_pipeline)
    monkeypatch.setattr(sklearn_attnrnn, "__version__", "99.1")
    with pytest.warns(UserWarning, match=r"and is loaded with 99\.1"):
        sio.loads(data, trusted=TRUSTED)


@pytest.mark.parametrize("per", ["feature", "sequence"])
def test_the_scaler_round_trips_through_pickle_and_skops(per):
    sio = pytest.importorskip("skops.io")
    rng = np.random.default_rng(0)
    seqs = [rng.normal(size=(2 + i % 5, 3)) * 100.0 for i in range(12)]
    scaler = SequenceStandardScaler(per=per).partial_fit(seqs[:6]).partial_fit(seqs)
    trusted = ["sklearn_attnrnn._preprocessing.SequenceStandardScaler"]
    data = sio.dumps(scaler)
    assert sio.get_untrusted_types(data=data) == trusted
    for loaded in (
        pickle.loads(pickle.dumps(scaler)),
        sio.loads(data, trusted=trusted),
    ):
        assert np.array_equal(
            loaded.transform(seqs), scaler.transform(seqs), equal_nan=True
        )
        assert loaded.n_samples_seen_ == scaler.n_samples_seen_
        # streaming goes on from the loaded statistics
        again = loaded.partial_fit(seqs[:3])
        assert again.n_samples_seen_ == scaler.n_samples_seen_ + sum(
            len(s) for s in seqs[:3]
        )


def _every_fitted_estimator():
    """Every public estimator of the package, fitted with each of its solvers."""
    rng = np.random.RandomState(0)
    X = rng.randn(12, 4, 2)
    for name in sklearn_attnrnn.__all__:
        cls = getattr(sklearn_attnrnn, name)
        if not (isinstance(cls, type) and issubclass(cls, BaseEstimator)):
            continue
        solvers = cls._parameter_constraints.get("solver")
        for option in sorted(solvers[0].options) if solvers else [None]:
            est = cls()
            small = {"hidden_size": 3, "max_iter": 2, "solver": option}
            est.set_params(**{k: v for k, v in small.items() if k in est.get_params()})
            if est.__sklearn_tags__().input_tags.string:
                data = TEXTS
            else:
                data = X
            y = None
            if is_classifier(est):
                y = np.arange(len(data)) % 2
            elif is_regressor(est):
                y = rng.randn(len(data))
            yield f"{name} {option}", est.fit(data, y)


def test_the_docs_trust_table_lists_exactly_what_skops_does_not_trust():
    # Derived from what the estimators write: a new estimator, solver or
    # stored object type fails this until the persistence page's table lists it.
    sio = pytest.importorskip("skops.io")
    written = {}
    for label, est in _every_fitted_estimator():
        for type_name in sio.get_untrusted_types(data=sio.dumps(est)):
            written.setdefault(type_name, []).append(label)
    page = Path(__file__).parents[1] / "docs" / "user_guide" / "persistence.md"
    table = set(
        re.findall(r"^\| `(sklearn_attnrnn\.[\w.]+)`", page.read_text("utf-8"), re.M)
    )
    assert "sklearn_attnrnn._language_model.CharLanguageModel" in written
    assert set(written) == table, written
