"""The language model on integer codes: the numbers of the dense one-hot path.

``lm_reference_a08b07a.json`` holds what :func:`reference_results` returned
with the package at commit a08b07a, whose language model built a dense
float64 one-hot corpus (``git archive a08b07a sklearn_attnrnn`` into a
directory, then ``PYTHONPATH=<that directory> python
tests/test_language_model_codes.py > tests/lm_reference_a08b07a.json``).
"""

import json
import warnings
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.exceptions import ConvergenceWarning

from sklearn_attnrnn import CharLanguageModel, _network

TEXTS = ["the cat sat on the mat", "a cat and a hat", "that hat is the cat's"]
PREFIXES = ["the", "a c", "hat is"]
WEIGHTS = [1.0, 2.0, 0.5]
# Every cell, dropout, early stopping (validation on windows), no attention,
# the delay, each solver, markers, sample weights.
CASES = {
    "elman-dropout": dict(
        hidden_size=6,
        window=5,
        max_iter=3,
        dropout=0.2,
        recurrent_dropout=0.1,
        start_marker="^",
        end_marker="$",
    ),
    "gru-early-stopping": dict(
        cell="gru",
        hidden_size=5,
        window=4,
        max_iter=3,
        early_stopping=True,
        validation_fraction=0.3,
        attention_scores="scaled",
    ),
    "lstm-no-attention": dict(
        cell="lstm", hidden_size=4, window=6, max_iter=2, attention=False, batch_size=3
    ),
    "elman-delay-sgd": dict(
        hidden_size=5, window=7, max_iter=2, delay=2, solver="sgd", learning_rate=0.1
    ),
    "lbfgs": dict(hidden_size=4, window=6, max_iter=5, solver="lbfgs"),
}
REFERENCE = Path(__file__).with_name("lm_reference_a08b07a.json")


def _results(lm):
    return {
        "loss_curve": lm.loss_curve_,
        "proba": lm.predict_proba(PREFIXES).tolist(),
        "score": lm.score(TEXTS),
        "sample": lm.sample("t", 8, random_state=0),
    }


def reference_results():
    """What the tests compare: fits of every case, and two partial_fits."""
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for name, params in CASES.items():
            lm = CharLanguageModel(random_state=0, **params)
            out[name] = _results(lm.fit(TEXTS, sample_weight=WEIGHTS))
        lm = CharLanguageModel(
            hidden_size=5,
            window=4,
            random_state=0,
            vocabulary="abcdefghijklmnopqrstuvwxyz '",
        )
        out["partial_fit"] = _results(lm.partial_fit(TEXTS[:2]).partial_fit(TEXTS[2:]))
    return out


@pytest.fixture(scope="module")
def results():
    return reference_results()


@pytest.mark.parametrize("case", [*CASES, "partial_fit"])
def test_codes_give_the_dense_one_hot_results_of_before(results, case):
    expected = json.loads(REFERENCE.read_text())[case]
    got = results[case]
    assert_allclose(got["loss_curve"], expected["loss_curve"], rtol=1e-10)
    assert_allclose(got["proba"], expected["proba"], rtol=1e-10, atol=1e-14)
    assert got["score"] == pytest.approx(expected["score"], rel=1e-10)
    assert got["sample"] == expected["sample"]


if __name__ == "__main__":
    print(json.dumps(reference_results(), indent=1))


def _spy(monkeypatch, name):
    """Record the X of every call of the core's ``name``."""
    seen = []
    original = getattr(_network, name)

    def spy(params, X, *args, **kwargs):
        seen.append(X)
        return original(params, X, *args, **kwargs)

    monkeypatch.setattr(_network, name, spy)
    return seen


def _assert_codes(seen, lm):
    assert seen
    for X in seen:  # (T, N) codes, never (T, N, n_classes) one-hot
        assert X.ndim == 2 and X.dtype.kind == "i"
        assert X.min() >= -1 and X.max() < len(lm.classes_)


def test_prediction_reads_codes(monkeypatch):
    lm = CharLanguageModel(hidden_size=4, window=5, max_iter=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        lm.fit(TEXTS)
    seen = _spy(monkeypatch, "forward")
    lm.predict(PREFIXES)
    lm.predict_proba(PREFIXES)
    lm.attention_weights(PREFIXES)
    lm.score(TEXTS)
    lm.perplexity(TEXTS)
    lm.sample("t", 3, random_state=0)
    _assert_codes(seen, lm)
    assert np.unique([X.shape[1] for X in seen]).size > 1  # several call sites


@pytest.mark.parametrize(
    "params",
    [
        dict(early_stopping=True, validation_fraction=0.3, dropout=0.2),
        dict(solver="lbfgs"),
    ],
)
def test_fit_passes_the_core_codes(monkeypatch, params):
    trained = _spy(monkeypatch, "loss_and_grads")
    validated = _spy(monkeypatch, "forward")
    lm = CharLanguageModel(hidden_size=3, window=4, max_iter=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        lm.set_params(**params).fit(TEXTS)
    _assert_codes(trained, lm)
    if params.get("early_stopping"):
        _assert_codes(validated, lm)
        trained.clear()
        lm.set_params(early_stopping=False).partial_fit(TEXTS)
        _assert_codes(trained, lm)
    assert not hasattr(lm, "n_features_in_")
