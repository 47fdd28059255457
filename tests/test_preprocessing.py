"""SequenceStandardScaler: StandardScaler's numbers over the real steps."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_attnrnn import AttentionRNNClassifier, SequenceStandardScaler


def ragged(seed=0, n=7, n_features=3, dtype=np.float64):
    """Sequences of lengths 1..6, features of very different scales."""
    rng = np.random.default_rng(seed)
    scales = np.array([1.0, 100.0, 0.01])[:n_features]
    offsets = np.array([5.0, -300.0, 0.0])[:n_features]
    return [
        (rng.normal(size=(1 + i % 6, n_features)) * scales + offsets).astype(dtype)
        for i in range(n)
    ]


def padded(seqs):
    out = np.full((len(seqs), max(map(len, seqs)), seqs[0].shape[1]), np.nan)
    for i, s in enumerate(seqs):
        out[i, : len(s)] = s
    return out.astype(seqs[0].dtype)


def test_statistics_and_output_are_standardscaler_on_the_stacked_real_steps():
    seqs = ragged()
    steps = np.vstack(seqs)
    reference = StandardScaler().fit(steps)
    for X in (seqs, padded(seqs)):
        scaler = SequenceStandardScaler().fit(X)
        assert_array_equal(scaler.mean_, reference.mean_)
        assert_array_equal(scaler.var_, reference.var_)
        assert_array_equal(scaler.scale_, reference.scale_)
        assert scaler.n_samples_seen_ == len(steps) == sum(map(len, seqs))
        assert scaler.n_features_in_ == 3
        out = scaler.transform(X)
        assert out.shape == (7, 6, 3)
        real = ~np.isnan(padded(seqs)).all(axis=2)
        assert_array_equal(out[real], reference.transform(steps))
        assert np.isnan(out[~real]).all()  # the padding stays NaN
        assert_allclose(out[real].mean(axis=0), 0, atol=1e-12)
        assert_allclose(out[real].std(axis=0), 1)


def test_2d_univariate_input_comes_back_2d_with_its_padding():
    X = np.array([[1.0, 2.0, 3.0, np.nan], [10.0, 20.0, np.nan, np.nan]])
    scaler = SequenceStandardScaler().fit(X)
    values = np.array([1.0, 2.0, 3.0, 10.0, 20.0])
    assert_allclose(scaler.mean_, [values.mean()])
    assert_allclose(scaler.scale_, [values.std()])
    assert scaler.n_features_in_ == 4 and scaler.n_samples_seen_ == 5
    out = scaler.transform(X)
    assert out.shape == X.shape
    assert_allclose(out[0, :3], (values[:3] - values.mean()) / values.std())
    assert np.isnan(out[0, 3]) and np.isnan(out[1, 2:]).all()
    assert_array_equal(scaler.get_feature_names_out(), ["x0", "x1", "x2", "x3"])


def test_float32_stays_float32_with_the_same_numbers():
    seqs32 = ragged(dtype=np.float32)
    out32 = SequenceStandardScaler().fit_transform(seqs32)
    out64 = SequenceStandardScaler().fit_transform(
        [s.astype(np.float64) for s in seqs32]
    )
    assert out32.dtype == np.float32
    assert_allclose(out32, out64, rtol=1e-5, atol=1e-5)
    assert SequenceStandardScaler().fit_transform(padded(seqs32)).dtype == np.float32
    assert SequenceStandardScaler().fit_transform(seqs32[0][None, :, 0]).dtype == (
        np.float32
    )


def test_input_is_never_modified_and_read_only_input_works():
    X = padded(ragged())
    X.setflags(write=False)
    before = X.copy()
    scaler = SequenceStandardScaler().fit(X)
    out = scaler.transform(X)
    back = scaler.inverse_transform(out)
    assert_array_equal(X, before)
    assert out is not X and not np.shares_memory(out, X)
    assert_allclose(back, X)
    full = np.random.default_rng(0).normal(size=(4, 5, 2))  # no padding: X as is
    full.setflags(write=False)
    copy = full.copy()
    SequenceStandardScaler(per="sequence").fit(full).transform(full)
    SequenceStandardScaler(with_mean=False, with_std=False).fit_transform(full)
    assert_array_equal(full, copy)


@pytest.mark.parametrize("form", ["list", "padded", "2d"])
def test_inverse_transform_round_trip(form):
    seqs = ragged(n_features=1) if form == "2d" else ragged()
    X = {"list": seqs, "padded": padded(seqs), "2d": padded(seqs)[:, :, 0]}[form]
    scaler = SequenceStandardScaler().fit(X)
    back = scaler.inverse_transform(scaler.transform(X))
    assert_allclose(back, padded(seqs)[:, :, 0] if form == "2d" else padded(seqs))


def test_partial_fit_in_parts_equals_fit_on_everything():
    seqs = ragged(n=20, seed=3)
    whole = SequenceStandardScaler().fit(seqs)
    parts = SequenceStandardScaler()
    for begin in (0, 5, 6, 13):
        stop = {0: 5, 5: 6, 6: 13, 13: 20}[begin]
        parts.partial_fit(seqs[begin:stop])
    assert parts.n_samples_seen_ == whole.n_samples_seen_
    assert_allclose(parts.mean_, whole.mean_, rtol=1e-12)
    assert_allclose(parts.var_, whole.var_, rtol=1e-12)
    assert_allclose(parts.transform(seqs), whole.transform(seqs), rtol=1e-10)
    # a later fit starts again
    again = parts.fit(seqs[:5])
    assert again.n_samples_seen_ == sum(map(len, seqs[:5]))


def test_per_sequence_is_each_sequence_z_normalized_by_its_own_statistics():
    seqs = ragged()
    scaler = SequenceStandardScaler(per="sequence").fit(seqs[:2])
    assert scaler.mean_ is None and scaler.scale_ is None
    assert not hasattr(scaler, "inverse_transform")
    out = scaler.transform(seqs)  # stateless: other sequences than fit's
    for i, s in enumerate(seqs):
        expected = (s - s.mean(axis=0)) / np.where(s.std(axis=0) > 0, s.std(axis=0), 1)
        assert_allclose(out[i, : len(s)], expected, atol=1e-12)
        assert np.isnan(out[i, len(s) :]).all()
    with_std_only = SequenceStandardScaler(per="sequence", with_mean=False)
    s = seqs[3]
    assert_allclose(
        with_std_only.fit(seqs).transform(seqs)[3, : len(s)], s / s.std(axis=0)
    )


def test_a_constant_feature_is_centred_and_not_divided():
    X = np.zeros((3, 4, 2))
    X[:, :, 0] = 7.0
    X[:, :, 1] = np.arange(12.0).reshape(3, 4)
    scaler = SequenceStandardScaler().fit(X)
    assert scaler.scale_[0] == 1.0 and scaler.var_[0] == 0.0
    out = scaler.transform(X)
    assert_array_equal(out[:, :, 0], 0.0)
    # per sequence: a sequence of one step, or a constant one, is only centred
    out = SequenceStandardScaler(per="sequence").fit_transform(
        [np.array([[3.0, 4.0]]), np.array([[1.0, 5.0], [1.0, 7.0]])]
    )
    assert_array_equal(out[0, 0], [0.0, 0.0])
    assert_array_equal(out[1], [[0.0, -1.0], [0.0, 1.0]])


def test_with_mean_and_with_std_switches():
    seqs = ragged()
    steps = np.vstack(seqs)
    for with_mean in (True, False):
        for with_std in (True, False):
            scaler = SequenceStandardScaler(with_mean=with_mean, with_std=with_std)
            reference = StandardScaler(with_mean=with_mean, with_std=with_std)
            out = scaler.fit_transform(seqs)
            expected = reference.fit_transform(steps)
            assert_allclose(out[~np.isnan(out).all(axis=2)], expected)
            for name in ("mean_", "var_", "scale_"):
                mine, theirs = getattr(scaler, name), getattr(reference, name)
                assert (mine is None) == (theirs is None), name
                if mine is not None:
                    assert_allclose(mine, theirs)


@pytest.mark.parametrize(
    "method, bad",
    [
        ("partial_fit", [np.ones((3, 2))]),  # not the fitted number of features
        ("fit", np.array([[[1.0, np.nan, 3.0]]])),  # NaN inside a sequence
        ("partial_fit", np.array([[[1.0, np.nan, 3.0]]])),
        ("fit", np.array([[[1.0, np.inf, 3.0]]])),
        ("partial_fit", np.array([[[1.0, np.inf, 3.0]]])),
    ],
)
def test_failed_fit_and_partial_fit_leave_the_scaler_as_it_was(method, bad):
    seqs = ragged()
    scaler = SequenceStandardScaler().fit(seqs)
    state = {k: np.copy(v) for k, v in vars(scaler).items()}
    expected = scaler.transform(seqs)
    with pytest.raises(ValueError):
        getattr(scaler, method)(bad)
    assert vars(scaler).keys() == state.keys()
    for k, v in state.items():
        assert_array_equal(getattr(scaler, k), v)
    assert_array_equal(scaler.transform(seqs), expected)


def test_a_failed_first_fit_leaves_the_scaler_unfitted():
    fresh = SequenceStandardScaler()
    with pytest.raises(ValueError, match="NaN"):
        fresh.fit(np.array([[[1.0, np.nan, 3.0]]]))
    with pytest.raises(NotFittedError):
        fresh.transform(ragged())
    assert not hasattr(fresh, "n_features_in_")


def test_the_estimators_errors_for_bad_input():
    scaler = SequenceStandardScaler().fit(ragged())
    with pytest.raises(ValueError, match="X has 2 features, but .* expecting 3"):
        scaler.transform([np.ones((2, 2))])
    with pytest.raises(ValueError, match="fitted on sequences with 3 features"):
        scaler.transform(np.ones((2, 5)))
    with pytest.raises(ValueError, match="inside the sequence"):
        scaler.transform(np.array([[[1.0, 2.0, np.nan]]]))
    with pytest.raises(ValueError, match="scalar"):
        scaler.transform(3.0)
    with pytest.raises(ValueError, match="per"):
        SequenceStandardScaler(per="step").fit(ragged())


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("form", ["list", "padded", "2d"])
def test_pipeline_with_the_classifier_and_grid_search(form):
    rng = np.random.default_rng(0)
    n_features = 1 if form == "2d" else 2
    seqs = [
        rng.normal(size=(3 + i % 4, n_features)) * 1000.0 + 50.0 * (i % 2)
        for i in range(24)
    ]
    y = np.arange(24) % 2
    X = {"list": seqs, "padded": padded(seqs), "2d": padded(seqs)[:, :, 0]}[form]
    model = make_pipeline(
        SequenceStandardScaler(), AttentionRNNClassifier(hidden_size=4, max_iter=3)
    )
    model.fit(X, y)
    assert model.predict(X).shape == (24,)
    search = GridSearchCV(
        clone(model), {"sequencestandardscaler__per": ["feature", "sequence"]}, cv=2
    )
    search.fit(X, y)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    # the classifier saw the same lengths
    scaled = model[0].transform(X)
    assert model[-1].n_features_in_ == (scaled.shape[1] if form == "2d" else 2)
