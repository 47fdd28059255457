"""Tests of CharLanguageModel: the notes' next-character task as an estimator.

scikit-learn's common checks cannot run on it: they generate 2-D numeric
data, and the model reads texts (its tags say ``input_tags.string=True``,
``two_d_array=False``, and ``check_estimator`` then skips every check but
cloning). The properties those checks test are tested here on texts.
"""

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.model_selection import GridSearchCV
from sklearn.utils import get_tags
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.estimator_checks import check_estimator

from sklearn_attnrnn import CharLanguageModel, _network

PREFIXES = ["h", "he", "hel", "hell"]
TEXTS = ["the cat sat on the mat", "a cat and a hat", "that hat is the cat's"]


def _hello_model(**kw):
    params = dict(hidden_size=8, solver="lbfgs", random_state=0)
    params.update(kw)
    return CharLanguageModel(**params).fit("hello")


@pytest.fixture(scope="module")
def hello():
    return _hello_model()


@pytest.fixture(scope="module")
def cats():
    """A small model with markers and a short window, fitted once."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return CharLanguageModel(
            hidden_size=12,
            window=5,
            start_marker="^",
            end_marker="$",
            solver="lbfgs",
            max_iter=60,
            random_state=0,
        ).fit(TEXTS)


def _prefix_log_likelihood(lm, text):
    """Mean log p(next char) over the prefixes of a text, via predict_log_proba."""
    full = (lm.start_marker or "") + text + (lm.end_marker or "")
    skip = 1 if lm.start_marker else 0  # the prefixes exclude the start marker
    prefixes = [full[skip:t] for t in range(1, len(full))]
    log_p = lm.predict_log_proba(prefixes)
    cols = [lm.vocabulary_[c] for c in full[1:]]
    return log_p[np.arange(len(cols)), cols].mean()


# --- the notes' example: "hello" ---------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        dict(solver="lbfgs"),
        dict(solver="adam", learning_rate=0.05, max_iter=200),
        dict(solver="sgd", learning_rate=0.5, max_iter=500),
    ],
    ids=["lbfgs", "adam", "sgd"],
)
def test_hello_predicts_e_l_l_o(params):
    lm = _hello_model(**params)
    assert_array_equal(lm.classes_, ["e", "h", "l", "o"])
    assert lm.vocabulary_ == {"e": 0, "h": 1, "l": 2, "o": 3}
    assert_array_equal(lm.predict(PREFIXES), ["e", "l", "l", "o"])
    assert lm.score("hello") > -0.05


def test_hello_with_the_notes_size_one_hidden_unit():
    lm = _hello_model(hidden_size=1, attention_scores="dot", alpha=0.0)
    assert_array_equal(lm.predict(PREFIXES), ["e", "l", "l", "o"])


def test_every_step_loss_is_the_sum_of_the_prefix_losses(hello):
    # The notes: the every-step loss of "hell" -> "ello" is the sum of the
    # four prefix-classification losses. loss per character = -score.
    lm = clone(hello).set_params(alpha=0.0).fit("hello")
    inputs, targets, lengths, _ = lm._windows(*lm._encode(["hello"], "X", end=True))
    assert_array_equal(lengths, [4])
    weights = np.ones(1)
    total = lm._weight_total(weights, lengths)
    loss, _ = lm._batch_loss_and_grads(
        inputs,
        lengths,
        targets,
        weights,
        total,
        lm._params,
        None,
        lm._core_kwargs(),
    )
    assert_allclose(loss, -lm.score("hello"), rtol=1e-10)
    assert_allclose(loss, -_prefix_log_likelihood(lm, "hello"), rtol=1e-10)


# --- predictions --------------------------------------------------------------


def test_predict_proba_rows_sum_to_one(cats):
    prefixes = ["", "the c", "a hat", "that hat is the cat's and"]
    proba = cats.predict_proba(prefixes)
    assert proba.shape == (4, len(cats.classes_))
    assert_allclose(proba.sum(axis=1), 1.0)
    assert (proba >= 0).all()
    assert_allclose(np.log(proba), cats.predict_log_proba(prefixes), atol=1e-12)
    assert_array_equal(cats.predict(prefixes), cats.classes_[proba.argmax(axis=1)])


def test_single_string_is_one_prefix(hello):
    assert hello.predict_proba("hel").shape == (1, 4)
    assert_array_equal(hello.predict("hel"), ["l"])


def test_prediction_uses_the_last_window_characters(cats):
    # The context is "^" + prefix cropped to its last window = 5 characters:
    # "a hat the cat" reads as "e cat", which "e cat" itself also reads as
    # ("^e cat" cropped), while "the c" keeps its start marker: "^the c"
    # cropped is "the c" too, but " cat" reads as "^ cat".
    long = "a hat the cat"
    assert_allclose(cats.predict_proba(long), cats.predict_proba(long[-5:]))
    assert not np.allclose(cats.predict_proba(long), cats.predict_proba(long[-4:]))
    contexts, lengths = cats._contexts([long, " cat", ""])
    read = ["".join(cats.classes_[c[:n]]) for c, n in zip(contexts, lengths)]
    assert read == ["e cat", "^ cat", "^"]


def test_window_none_reads_the_whole_prefix():
    lm = CharLanguageModel(
        hidden_size=6, window=None, solver="lbfgs", max_iter=20, random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        lm.fit(TEXTS)
    text = TEXTS[0]
    assert_allclose(lm.score(text), _prefix_log_likelihood(lm, text), rtol=1e-10)
    assert not np.allclose(lm.predict_proba(text), lm.predict_proba(text[-3:]))


def test_attention_weights(cats):
    weights = cats.attention_weights(["", "the", "that hat is"])
    # Contexts: "^", "^the", the last 5 characters of "^that hat is".
    assert weights.shape == (3, 5)
    assert_allclose(np.nansum(weights, axis=1), 1.0)
    assert_array_equal(np.isnan(weights), [[0, 1, 1, 1, 1], [0, 0, 0, 0, 1], [0] * 5])
    no_attention = _hello_model(attention=False)
    with pytest.raises(ValueError, match="attention=False"):
        no_attention.attention_weights("he")
    assert_array_equal(no_attention.predict(PREFIXES), ["e", "l", "l", "o"])


# --- score and perplexity -----------------------------------------------------


def test_score_is_the_mean_log_probability_of_the_prefixes(hello):
    assert_allclose(hello.score("hello"), _prefix_log_likelihood(hello, "hello"))
    assert_allclose(hello.perplexity("hello"), np.exp(-hello.score("hello")))
    assert hello.perplexity("hello") >= 1.0


def test_score_with_markers_and_sliding_contexts(cats):
    # Texts longer than the window: every character is still predicted from
    # the (up to) 5 characters before it, as predict_log_proba does.
    for text in TEXTS + ["a cat", "t"]:
        assert_allclose(
            cats.score(text), _prefix_log_likelihood(cats, text), rtol=1e-10
        )
    # Several texts: the mean over all their predicted characters.
    n = [len(t) + 1 for t in TEXTS]  # markers: len + 2 characters, len + 1 targets
    per_text = [cats.score(t) for t in TEXTS]
    assert_allclose(cats.score(TEXTS), np.average(per_text, weights=n))
    assert_allclose(cats.perplexity(TEXTS), np.exp(-cats.score(TEXTS)))


def test_score_needs_something_to_predict(hello):
    with pytest.raises(ValueError, match="no character to predict"):
        hello.score(["h", "e"])
    assert np.isfinite(hello.score(["h", "he"]))


# --- sampling -----------------------------------------------------------------


def test_sample_is_reproducible(cats):
    a = cats.sample("the", 40, random_state=3)
    assert a == cats.sample("the", 40, random_state=3)
    assert a == cats.sample("the", 40, random_state=np.random.RandomState(3))
    others = {cats.sample("the", 40, random_state=s) for s in range(5)}
    assert len(others) > 1
    assert set(a) <= set(cats.classes_)


def test_small_temperature_is_greedy(cats, hello):
    assert hello.sample("h", 4, temperature=1e-3, random_state=0) == "ello"
    prefix = "the"
    greedy = ""
    for _ in range(12):
        nxt = cats.predict(prefix + greedy)[0]
        if nxt == "$":
            break
        greedy += nxt
    for seed in range(3):
        got = cats.sample(prefix, 12, temperature=1e-3, random_state=seed)
        assert got == greedy


def test_high_temperature_flattens(cats):
    cold = [cats.sample("", 60, temperature=0.2, random_state=s) for s in range(4)]
    hot = [cats.sample("", 60, temperature=5.0, random_state=s) for s in range(4)]
    assert len(set("".join(hot))) > len(set("".join(cold)))


def test_sample_markers(cats):
    # From an empty prefix (the start marker is the context); stops at "$".
    texts = [cats.sample("", 200, random_state=s) for s in range(5)]
    assert all("$" not in t and "^" not in t for t in texts)
    assert any(len(t) < 200 for t in texts)
    assert cats.sample("the", 0) == ""


def test_sample_argument_checks(hello, cats):
    with pytest.raises(ValueError, match="temperature"):
        hello.sample("h", 3, temperature=-1e-9)
    with pytest.raises(ValueError, match="temperature"):
        hello.sample("h", 3, temperature=np.inf)
    with pytest.raises(ValueError, match="n_chars"):
        hello.sample("h", -1)
    with pytest.raises(TypeError, match="prefix must be a str"):
        hello.sample(["h"], 3)
    with pytest.raises(ValueError, match="empty prefix"):
        hello.sample("", 3)
    with pytest.raises(ValueError, match="not in the vocabulary"):
        hello.sample("hex", 3)


# --- windows (truncated BPTT) ---------------------------------------------------


def _learn_vocabulary(lm, texts):
    points, _ = lm._code_points(texts, "X", end=True, allow_empty=False)
    lm._learn_vocabulary(points)


def test_windows_pair_each_character_with_the_next():
    lm = CharLanguageModel(window=4)
    _learn_vocabulary(lm, ["abcdefghij", "xyz"])
    codes, lengths = lm._encode(["abcdefghij", "xyz", "a"], "X", end=True)
    inputs, targets, window_lengths, n_windows = lm._windows(codes, lengths)

    def text(row):
        return "".join(lm.classes_[row[row >= 0]])

    assert [text(r) for r in inputs] == ["abcd", "efgh", "i", "xy"]
    assert [text(r) for r in targets] == ["bcde", "fghi", "j", "yz"]
    assert_array_equal(n_windows, [3, 1, 0])  # "a" has no next character
    assert_array_equal(window_lengths, [4, 4, 1, 2])
    assert inputs.shape == (4, 4)
    assert_array_equal(inputs >= 0, targets >= 0)

    lm.set_params(window=None, start_marker="^", end_marker="$")
    _learn_vocabulary(lm, ["abcdefghij", "xyz"])
    codes, lengths = lm._encode(["abcdefghij", "xyz"], "X", end=True)
    inputs, targets, _, _ = lm._windows(codes, lengths)
    assert [text(r) for r in inputs] == ["^abcdefghij", "^xyz"]
    assert [text(r) for r in targets] == ["abcdefghij$", "xyz$"]


def test_training_sequences_are_at_most_window_steps(monkeypatch):
    seen = []
    original = _network.loss_and_grads

    def spy(params, X, lengths, Y, *args, **kwargs):
        seen.append((X.shape[0], int(lengths.max()), Y.shape))
        assert kwargs["output"] == "every"
        return original(params, X, lengths, Y, *args, **kwargs)

    monkeypatch.setattr(_network, "loss_and_grads", spy)
    text = "abracadabra " * 30  # 360 characters
    for solver in ("adam", "lbfgs"):
        seen.clear()
        lm = CharLanguageModel(
            hidden_size=4, window=8, solver=solver, max_iter=2, random_state=0
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            lm.fit(text)
        assert seen
        assert all(T <= 8 and longest <= 8 for T, longest, _ in seen)
        assert all(shape[0] == T for T, _, shape in seen)  # time-major targets


def test_loss_is_per_character(cats):
    # loss_ (per character, + L2 / n_chars) is close to -score on the training
    # texts: both are mean negative log-likelihoods per predicted character.
    lm = clone(cats).set_params(alpha=0.0, window=None, max_iter=5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        lm.fit(TEXTS)
    assert_allclose(lm.loss_, -lm.score(TEXTS), rtol=1e-8)


# --- input checks -----------------------------------------------------------


@pytest.mark.parametrize(
    "X, error, match",
    [
        (None, ValueError, "X is None"),
        (["abc", 3], TypeError, r"Sample 1 of X is of type int \(3\), not str"),
        (["abc", None], TypeError, r"Sample 1 of X is of type NoneType"),
        ([b"abc"], TypeError, r"Sample 0 of X is of type bytes"),
        (b"abc", TypeError, "Decode it first"),
        (np.array([1.0, 2.0]), ValueError, r"1-D array of float64; expected strings"),
        (np.array([["ab"], ["cd"]]), ValueError, "2-D array"),
        (42, ValueError, "X is a scalar int"),
        ([], ValueError, r"0 sample\(s\)"),
        (["abc", ""], ValueError, r"Sample 1 of X is an empty string"),
        (["a", "b"], ValueError, "no next character to learn"),
    ],
)
def test_fit_input_errors(X, error, match):
    with pytest.raises(error, match=match):
        CharLanguageModel(max_iter=1).fit(X)


def test_unknown_characters_at_predict(hello):
    with pytest.raises(
        ValueError,
        match=r"Sample 1 of X contains symbol\(s\) not in the vocabulary.*'x', 'z'",
    ):
        hello.predict(["he", "hzx"])
    with pytest.raises(
        ValueError, match=r"Sample 0 of X .*not in the vocabulary \(classes_\)"
    ):
        hello.score("hello!")
    with pytest.raises(ValueError, match="empty prefix"):
        hello.predict_proba(["he", ""])
    with pytest.raises(TypeError, match=r"Sample 0 of X is of type int"):
        hello.predict([1])


def test_marker_and_vocabulary_checks():
    with pytest.raises(ValueError, match="start_marker must be a single character"):
        CharLanguageModel(start_marker="<s>").fit("abc")
    with pytest.raises(ValueError, match=r"end_marker='\.' occurs inside X\[1\]"):
        CharLanguageModel(end_marker=".").fit(["abc", "a.b"])
    with pytest.raises(ValueError, match="single characters; item 1"):
        CharLanguageModel(vocabulary=["a", "bc"]).fit("abc")
    with pytest.raises(ValueError, match="duplicate"):
        CharLanguageModel(vocabulary="aab").fit("ab")
    with pytest.raises(ValueError, match=r"Sample 0 of X contains symbol.*'c'"):
        CharLanguageModel(vocabulary="ab").fit("abc")
    with pytest.raises(InvalidParameterError, match="window"):
        CharLanguageModel(window=0).fit("abc")


def test_fixed_vocabulary_and_same_start_end_marker():
    lm = CharLanguageModel(
        hidden_size=4,
        vocabulary="zyxcba",
        start_marker="\n",
        end_marker="\n",
        solver="lbfgs",
        max_iter=5,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        lm.fit(["ab", "ba"])
    assert_array_equal(lm.classes_, ["\n", "a", "b", "c", "x", "y", "z"])
    assert lm.predict_proba("").shape == (1, 7)


def test_accepted_text_containers(hello):
    expected = hello.predict_proba(PREFIXES)
    for X in (tuple(PREFIXES), np.array(PREFIXES), np.array(PREFIXES, dtype=object)):
        assert_allclose(hello.predict_proba(X), expected)
    assert_allclose(
        hello.predict_proba(pd.Series(PREFIXES, index=[5, 6, 7, 8])), expected
    )


# --- fitting: continuation, early stopping, weights, verbose --------------------


def test_partial_fit_continues():
    lm = CharLanguageModel(hidden_size=8, learning_rate=0.02, random_state=0)
    losses = []
    for _ in range(30):
        lm.partial_fit(TEXTS)
        losses.append(lm.loss_)
    assert lm.n_iter_ == 30 and lm.loss_curve_ == losses
    assert losses[-1] < 0.8 * losses[0]
    with pytest.raises(ValueError, match="not in the vocabulary"):
        lm.partial_fit("the cat sat on the hat!")
    assert not hasattr(CharLanguageModel(solver="lbfgs"), "partial_fit")
    with pytest.raises(ValueError, match="partial_fit does not support early"):
        CharLanguageModel(early_stopping=True).partial_fit(TEXTS)


def test_warm_start_continues():
    params = dict(hidden_size=8, learning_rate=0.02, max_iter=5, random_state=0)
    lm = CharLanguageModel(warm_start=True, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        lm.fit(TEXTS)
        first = lm.U_.copy()
        lm.fit(TEXTS)
        assert lm.n_iter_ == 10 and len(lm.loss_curve_) == 10
        # Without warm_start, a refit starts again from the same initial state.
        cold = CharLanguageModel(**params).fit(TEXTS)
    assert_allclose(cold.U_, first)
    assert not np.allclose(lm.U_, first)


def test_early_stopping_keeps_the_best_validation_score():
    text = "the cat sat on the mat and the hat sat on the cat. " * 8
    lm = CharLanguageModel(
        hidden_size=8,
        window=16,
        learning_rate=0.02,
        early_stopping=True,
        n_iter_no_change=3,
        max_iter=300,
        random_state=0,
    ).fit(text)
    assert lm.n_iter_ < 300
    assert len(lm.validation_scores_) == lm.n_iter_
    assert lm.best_validation_score_ == max(lm.validation_scores_)
    assert lm.best_validation_score_ > lm.validation_scores_[0]
    assert all(s <= 0 for s in lm.validation_scores_)  # mean log-likelihoods
    with pytest.raises(ValueError, match="at least 2 windows"):
        CharLanguageModel(early_stopping=True).fit("hello")


def test_sample_weight_counts_each_text():
    # Full-batch L-BFGS: a weight of 2 is the same as the text given twice.
    params = dict(hidden_size=6, window=4, solver="lbfgs", max_iter=15, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        weighted = CharLanguageModel(**params).fit(
            ["abcab", "bca"], sample_weight=[2, 1]
        )
        repeated = CharLanguageModel(**params).fit(["abcab", "abcab", "bca"])
    assert_allclose(weighted.loss_, repeated.loss_, rtol=1e-8)
    assert_allclose(weighted.U_, repeated.U_, rtol=1e-6, atol=1e-9)
    with pytest.raises(ValueError, match="sample_weight"):
        CharLanguageModel().fit(["ab", "ba"], sample_weight=[1.0])


def test_verbose_prints_every_epoch(capsys):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        CharLanguageModel(hidden_size=4, max_iter=3, verbose=True).fit(TEXTS)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 3 and lines[0].startswith("Epoch 1: loss = ")


# --- the scikit-learn API, checked on texts ----------------------------------


def test_tags_and_check_estimator():
    tags = get_tags(CharLanguageModel())
    assert tags.input_tags.string and not tags.input_tags.two_d_array
    assert not tags.target_tags.required
    with pytest.warns(UserWarning, match="Can't test estimator CharLanguageModel"):
        results = check_estimator(CharLanguageModel(), on_skip="warn", on_fail=None)
    # Only cloning applies to an estimator without 2-D input; it passes.
    assert [r["check_name"] for r in results] == ["check_estimator_cloneable"]
    assert all(r["status"] == "passed" for r in results)


def test_clone_get_set_params():
    lm = CharLanguageModel(window=7, start_marker="^", random_state=3)
    params = lm.get_params()
    assert params["window"] == 7 and params["start_marker"] == "^"
    assert params["end_marker"] is None and params["vocabulary"] is None
    copy = clone(lm)
    assert copy.get_params() == params
    assert copy.set_params(window=9) is copy and copy.window == 9
    assert lm.window == 7
    fitted = _hello_model()
    assert not hasattr(clone(fitted), "U_")


def test_fit_is_idempotent_and_reproducible():
    params = dict(hidden_size=6, window=6, learning_rate=0.01, max_iter=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        lm = CharLanguageModel(random_state=0, **params)
        first = lm.fit(TEXTS).predict_proba(["the", "a c"])
        again = lm.fit(TEXTS).predict_proba(["the", "a c"])
        other = CharLanguageModel(random_state=0, **params).fit(TEXTS)
        seed1 = CharLanguageModel(random_state=1, **params).fit(TEXTS)
    assert_array_equal(first, again)
    assert_array_equal(first, other.predict_proba(["the", "a c"]))
    assert not np.allclose(first, seed1.predict_proba(["the", "a c"]))
    # A refit on other texts forgets the old vocabulary.
    lm.set_params(max_iter=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        lm.fit("xyzzy")
    assert_array_equal(lm.classes_, ["x", "y", "z"])


def test_pickle_round_trip(cats):
    loaded = pickle.loads(pickle.dumps(cats))
    assert_array_equal(loaded.predict_proba(TEXTS), cats.predict_proba(TEXTS))
    assert loaded.score(TEXTS) == cats.score(TEXTS)
    assert loaded.sample("a", 30, random_state=0) == cats.sample(
        "a", 30, random_state=0
    )


def test_input_is_not_modified():
    texts = list(TEXTS)
    array = np.array(TEXTS, dtype=object)
    weights = np.array([1.0, 2.0, 1.0])
    lm = CharLanguageModel(hidden_size=4, solver="lbfgs", max_iter=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        lm.fit(texts, sample_weight=weights)
        lm.fit(array)
    lm.predict(array)
    lm.score(texts)
    assert texts == TEXTS
    assert_array_equal(array, TEXTS)
    assert_array_equal(weights, [1.0, 2.0, 1.0])


def test_no_n_features_in(hello):
    # Texts have no features, like scikit-learn's text vectorizers: the
    # fitted model has no n_features_in_ (its inputs' width is len(classes_)).
    assert not hasattr(hello, "n_features_in_")
    assert not hasattr(hello, "feature_names_in_")
    assert hello.U_.shape == (8, len(hello.classes_))


@pytest.mark.parametrize(
    "method, args",
    [
        ("predict", (["h"],)),
        ("predict_proba", (["h"],)),
        ("predict_log_proba", (["h"],)),
        ("score", (["hello"],)),
        ("perplexity", (["hello"],)),
        ("sample", ("h", 3)),
        ("attention_weights", (["h"],)),
    ],
)
def test_not_fitted(method, args):
    with pytest.raises(NotFittedError):
        getattr(CharLanguageModel(), method)(*args)


def test_grid_search_uses_score():
    # A fixed vocabulary: a test fold may hold characters the training folds
    # lack.
    alphabet = sorted(set("".join(TEXTS)))
    search = GridSearchCV(
        CharLanguageModel(
            solver="lbfgs", max_iter=10, vocabulary=alphabet, random_state=0
        ),
        {"hidden_size": [2, 6]},
        cv=3,
    )
    texts = [t + " " + t for t in TEXTS]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search.fit(texts)
    assert search.best_params_["hidden_size"] in (2, 6)
    assert np.isfinite(search.best_score_) and search.best_score_ < 0


# --- dropout with every-step outputs -----------------------------------------


def _no_masks(random_state, *args, **kwargs):
    """``dropout_masks`` of a network without dropout: no masks, no draws."""
    return None, None


def test_dropout_zero_unchanged_dropout_reproducible_predictions_plain(monkeypatch):
    params = dict(hidden_size=6, window=6, learning_rate=0.01, max_iter=4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        # The reference: the model's own fit with the masks taken out.
        with monkeypatch.context() as patch:
            patch.setattr(_network, "dropout_masks", _no_masks)
            before = CharLanguageModel(random_state=0, **params).fit(TEXTS)
        zero = CharLanguageModel(random_state=0, **params).fit(TEXTS)
        drop = dict(dropout=0.2, recurrent_dropout=0.3, **params)
        a = CharLanguageModel(random_state=0, **drop).fit(TEXTS)
        b = CharLanguageModel(random_state=0, **drop).fit(TEXTS)
    for name in ("U_", "W_", "b_", "V_", "c_"):
        assert_array_equal(getattr(zero, name), getattr(before, name))
        assert_array_equal(getattr(a, name), getattr(b, name))
    assert zero.loss_curve_ == before.loss_curve_
    assert not np.array_equal(a.W_, zero.W_)
    proba, score = a.predict_proba(["the", "a c"]), a.score(TEXTS)
    sampled = a.sample("t", 5, random_state=0)
    assert sampled == b.sample("t", 5, random_state=0)
    # Prediction, scoring and sampling draw no mask: the same without any.
    monkeypatch.setattr(_network, "dropout_masks", None)
    assert_array_equal(a.predict_proba(["the", "a c"]), proba)
    assert a.score(TEXTS) == score
    assert a.sample("t", 5, random_state=0) == sampled


@pytest.mark.parametrize("bad", [dict(dropout=1.0), dict(recurrent_dropout=-0.1)])
def test_dropout_rate_is_validated(bad):
    with pytest.raises(InvalidParameterError, match="range"):
        CharLanguageModel(**bad).fit(TEXTS)


def test_a_rejected_refit_leaves_the_fitted_model_intact():
    lm = CharLanguageModel(hidden_size=4, max_iter=3, random_state=0).fit("hello")
    before = lm.predict_proba(["he"])
    lm.set_params(solver="lbfgs", dropout=0.2)
    with pytest.raises(ValueError, match=r"^dropout=0.2 needs a stochastic solver"):
        lm.fit("xyz uvw")  # other characters: must not reach the vocabulary
    assert_array_equal(lm.predict_proba(["he"]), before)
    with pytest.raises(ValueError, match="stochastic solver"):
        clone(lm).fit("xyz")  # unfitted: the same error, not an AttributeError
