"""
Which language is a surname from?
=================================

The data are the last names that Faker ships for eight locales (English,
French, German, Italian, Spanish, Polish, Dutch, Finnish), built by
``examples/_datasets.py`` without any download: lower-cased, diacritics
stripped (``müller`` -> ``muller``), single words of the letters a-z only,
names listed under two locales dropped, at most 500 names per language
(3559 names; French has 309, German 353, Finnish 397). Faker is installed
with the ``examples`` extra: ``pip install "sklearn-attnrnn[examples]"``.

Each name is one-hot encoded character by character
(:class:`~sklearn_attnrnn.CharOneHotEncoder`) and classified by
:class:`~sklearn_attnrnn.AttentionRNNClassifier` in a pipeline. The baselines:

- the majority class (:class:`~sklearn.dummy.DummyClassifier`);
- :class:`~sklearn.linear_model.LogisticRegression` on the flattened one-hot
  letters (the per-step input the RNN sees, laid side by side and aligned at
  the end of the name, as the digits' baselines see the flattened pixels);
- :class:`~sklearn.linear_model.LogisticRegression` on TF-IDF character
  1-3-grams (``TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3))``);
- :class:`~sklearn.naive_bayes.MultinomialNB` on counts of the same n-grams.

Character n-grams are a strong baseline for short names: suffixes such as
"-nen", "-ski", "-ez" or "-ini" carry most of the signal, and a linear model
over n-gram counts finds them from few examples. On this data it beats the
RNN: this example prints both, and the
:ref:`accuracy benchmark <benchmarks-accuracy>` compares them over several
seeds.

The split is stratified, 75% / 25%, with a fixed seed. The RNN is fitted
once per seed of ``--seeds`` (its initialisation and shuffling) on that same
split, in each configuration of ``--configs``:

- ``defaults``: the estimator's default parameters;
- ``tuned``: a larger model held back by the L2 penalty,
  ``hidden_size=64, alpha=1.0``;
- ``regularized``: dropout instead of a large L2 penalty,
  ``hidden_size=64, recurrent_dropout=0.3, dropout=0.1, learning_rate=3e-3``.

These are the settings of the ``[tuned]`` and ``[regularized]`` rows of the
:ref:`accuracy benchmark <benchmarks-accuracy>`, which measures them over
several seeds on every data set of the suite.

Run it with::

    python examples/plot_names_by_language.py
    python examples/plot_names_by_language.py --seeds 0 1 2 --configs tuned

Each fit takes seconds to tens of seconds on two cores; the script prints
the time of every fit.
``--max-per-class 0`` keeps every name (8290, imbalanced).
"""

import argparse
import time
import warnings

import numpy as np
from _datasets import NAME_LOCALES, names_train_test_split
from _options import add_rnn_options, rnn_options
from sklearn.dummy import DummyClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import MultinomialNB
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from sklearn_attnrnn import AttentionRNNClassifier, CharOneHotEncoder

SPLIT_SEED = 0
# Parameters of each RNN configuration (the others keep their defaults).
CONFIGS = {
    "defaults": {},
    "tuned": {"hidden_size": 64, "alpha": 1.0},
    "regularized": {
        "hidden_size": 64,
        "recurrent_dropout": 0.3,
        "dropout": 0.1,
        "learning_rate": 3e-3,
    },
}
# The settings printed with the results.
SHOWN = (
    "hidden_size",
    "attention",
    "attention_scores",
    "learning_rate",
    "alpha",
    "dropout",
    "recurrent_dropout",
    "batch_size",
    "max_iter",
    "n_iter_no_change",
    "early_stopping",
)


def flatten_end_aligned(one_hot, width=16):
    """Flatten NaN-padded one-hot names, aligned at their last letter.

    Parameters
    ----------
    one_hot : ndarray of shape (n_names, n_steps, n_letters)
        :class:`~sklearn_attnrnn.CharOneHotEncoder`'s output.
    width : int, default=16
        How many of the last letters to keep (the names have at most 14).

    Returns
    -------
    flat : ndarray of shape (n_names, width * n_letters)
        Column block j is the letter ``width - j`` places from the end, so
        that a suffix always lands in the same columns (aligned at the start,
        a suffix would move with the name's length).
    """
    n, _, n_letters = one_hot.shape
    lengths = (~np.isnan(one_hot).all(axis=2)).sum(axis=1)
    out = np.zeros((n, width, n_letters))
    for i, length in enumerate(lengths):
        keep = min(length, width)
        out[i, width - keep :] = one_hot[i, length - keep : length]
    return out.reshape(n, -1)


def baselines():
    """The baseline classifiers, each a pipeline from raw names.

    Returns
    -------
    baselines : dict of str to estimator
        Unfitted estimators by display name.
    """
    ngrams = {"analyzer": "char_wb", "ngram_range": (1, 3)}
    return {
        "majority class (DummyClassifier)": DummyClassifier(),
        "LogisticRegression, flattened one-hot letters": make_pipeline(
            CharOneHotEncoder(handle_unknown="ignore"),
            FunctionTransformer(flatten_end_aligned),
            LogisticRegression(max_iter=2000),
        ),
        "LogisticRegression, TF-IDF char 1-3-grams": make_pipeline(
            TfidfVectorizer(**ngrams), LogisticRegression(max_iter=1000)
        ),
        "MultinomialNB, char 1-3-gram counts": make_pipeline(
            CountVectorizer(**ngrams), MultinomialNB()
        ),
    }


def make_rnn(random_state, **params):
    """The RNN pipeline: one-hot characters, then the attention RNN.

    Parameters
    ----------
    random_state : int
        Seed of the RNN (initial parameters, shuffling).

    **params : dict
        Parameters of :class:`~sklearn_attnrnn.AttentionRNNClassifier`.

    Returns
    -------
    pipeline : Pipeline
        Unfitted; fit it on an array of strings.
    """
    return make_pipeline(
        CharOneHotEncoder(handle_unknown="ignore"),
        AttentionRNNClassifier(random_state=random_state, **params),
    )


def parse_args(argv=None):
    """Command-line options; an RNN option given overrides every config."""
    parser = argparse.ArgumentParser(
        description=(__doc__ or "").strip().partition("\n")[0]
    )
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument(
        "--configs", nargs="+", choices=list(CONFIGS), default=list(CONFIGS)
    )
    parser.add_argument(
        "--max-per-class", type=int, default=500, help="0: every name, no cap"
    )
    add_rnn_options(parser)
    return parser.parse_args(argv)


def main(argv=None):
    """Fit the baselines and the RNN, print accuracies, times and settings."""
    args = parse_args(argv)
    X_train, X_test, y_train, y_test = names_train_test_split(
        random_state=SPLIT_SEED, max_per_class=args.max_per_class or None
    )
    classes, counts = np.unique(np.concatenate([y_train, y_test]), return_counts=True)
    print(
        f"names by language: {len(X_train)} train / {len(X_test)} test names, "
        f"{len(classes)} languages from Faker locales {list(NAME_LOCALES)}"
    )
    print(
        "  names per language: "
        + ", ".join(f"{c} {n}" for c, n in zip(classes, counts))
    )
    print(f"  e.g. {', '.join(f'{x} ({y})' for x, y in zip(X_test[:4], y_test[:4]))}")

    rows = []
    for name, model in baselines().items():
        start = time.perf_counter()
        model.fit(X_train, y_train)
        rows.append((name, model.score(X_test, y_test), time.perf_counter() - start))

    overrides = rnn_options(args)
    defaults = AttentionRNNClassifier().get_params()
    summaries = []
    for config in args.configs:
        if config != "defaults" and "defaults" in args.configs:
            if all(defaults[k] == v for k, v in CONFIGS[config].items()):
                print(f"({config} is the same as the defaults: not fitted twice)")
                continue
        params = {**CONFIGS[config], **overrides}
        accuracies = []
        for seed in args.seeds:
            model = make_rnn(seed, **params)
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                model.fit(X_train, y_train)
            seconds = time.perf_counter() - start
            accuracy = model.score(X_test, y_test)
            accuracies.append(accuracy)
            clf = model[-1]
            label = f"{config}*" if overrides else config
            name = f"AttentionRNN {label}, seed {seed} ({clf.n_iter_} epochs)"
            rows.append((name, accuracy, seconds))
        shown = {k: v for k, v in clf.get_params().items() if k in SHOWN}
        summaries.append((config, np.array(accuracies), shown))

    width = max(len(r[0]) for r in rows)
    print(f"\n{'model':<{width}}  test accuracy  fit time (s)")
    for name, accuracy, seconds in rows:
        print(f"{name:<{width}}  {accuracy:13.3f}  {seconds:12.1f}")
    print()
    if overrides:
        print(f"* with the command-line settings {overrides}")
    for config, acc, shown in summaries:
        if len(acc) > 1:
            print(
                f"RNN {config} over seeds {args.seeds}: mean {acc.mean():.3f}, "
                f"spread (max - min) {acc.max() - acc.min():.3f}"
            )
        print(f"RNN {config} settings: {shown}")


if __name__ == "__main__":
    main()
