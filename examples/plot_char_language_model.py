"""
A character language model of Python's documentation
====================================================

The text is the docstrings of modules of Python's standard library (always
installed, nothing is downloaded): the model learns from some modules and is
measured on others it never saw. It prints

- the settings, the training time and the loss per character;
- the most likely next characters after a few prefixes;
- text sampled at temperatures 0.5, 1.0 and 1.5;
- the per-character perplexity of the held-out modules, against character
  n-gram baselines written below (add-one smoothed unigram, bigram and
  trigram, and an interpolated trigram).

Run it with ``python examples/plot_char_language_model.py`` (about 30 s on two
cores).
"""

import importlib
import inspect
import math
import platform
import time
import warnings
from collections import Counter

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from sklearn_attnrnn import CharLanguageModel

TRAIN_MODULES = [
    "argparse", "logging", "shutil", "urllib.parse", "socketserver", "re",
    "configparser", "subprocess", "optparse", "base64", "tempfile",
    "collections", "threading", "contextlib", "dataclasses", "csv",
    "functools", "heapq", "copy", "abc", "enum",
]  # fmt: skip
HELD_OUT_MODULES = ["json", "textwrap"]

SETTINGS = dict(
    hidden_size=64,
    window=32,
    solver="adam",
    learning_rate=0.003,
    batch_size=8,
    max_iter=20,
    random_state=0,
)


def docstrings(module_name):
    """The docstrings of a module and of its public functions and classes."""
    module = importlib.import_module(module_name)
    found = [inspect.getdoc(module)]
    for name, obj in sorted(vars(module).items()):
        if name.startswith("_") or getattr(obj, "__module__", None) != module_name:
            continue
        if inspect.isfunction(obj) or inspect.isclass(obj):
            found.append(inspect.getdoc(obj))
    return [doc for doc in found if doc and len(doc) > 1]


# --- character n-gram baselines ----------------------------------------------


class NGramModel:
    """Add-k smoothed character n-gram model over a fixed vocabulary.

    P(c | the n - 1 characters before) = (count(context + c) + k) /
    (count(context) + k V); near the start of a text, where fewer characters
    precede, the longest available context is used (a shorter n-gram).
    """

    def __init__(self, n, vocabulary, k=1.0):
        self.n, self.V, self.k = n, len(vocabulary), k

    def fit(self, texts):
        self.counts = Counter()
        self.context_counts = Counter()
        for text in texts:
            for i in range(len(text)):
                for order in range(self.n):  # contexts of 0..n-1 characters
                    if i - order >= 0:
                        context = text[i - order : i]
                        self.counts[context, text[i]] += 1
                        self.context_counts[context] += 1
        return self

    def prob(self, context, char):
        context = context[len(context) - (self.n - 1) :] if self.n > 1 else ""
        num = self.counts[context, char] + self.k
        return num / (self.context_counts[context] + self.k * self.V)


def interpolated_prob(models, weights, context, char):
    """Jelinek-Mercer interpolation of several n-gram models."""
    return sum(w * m.prob(context, char) for m, w in zip(models, weights, strict=True))


def mean_log_likelihood(prob, texts):
    """Mean log P(char | the characters before it), from each text's 2nd char.

    The same characters as CharLanguageModel.score predicts (no markers).
    """
    total, count = 0.0, 0
    for text in texts:
        for i in range(1, len(text)):
            total += math.log(prob(text[:i], text[i]))
            count += 1
    return total / count


def count(texts):
    """The number of predicted characters: all but the first of each text."""
    return sum(len(t) - 1 for t in texts)


def main():
    start = time.perf_counter()
    train = [doc for name in TRAIN_MODULES for doc in docstrings(name)]
    held_out = [doc for name in HELD_OUT_MODULES for doc in docstrings(name)]
    print(f"Python {platform.python_version()}, NumPy {np.__version__}")
    print(
        f"training text: {len(train)} docstrings of {len(TRAIN_MODULES)} modules, "
        f"{sum(map(len, train))} characters"
    )

    lm = CharLanguageModel(**SETTINGS)
    print(f"settings: {SETTINGS}")
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        lm.fit(train)
    fit_seconds = time.perf_counter() - t0
    curve = lm.loss_curve_
    print(
        f"fit: {lm.n_iter_} epochs in {fit_seconds:.1f} s; vocabulary of "
        f"{len(lm.classes_)} characters; loss per character (nats) "
        + ", ".join(f"epoch {i}: {curve[i - 1]:.3f}" for i in (1, 5, 10, len(curve)))
    )

    # Held-out characters the training text never showed cannot be read.
    vocabulary = set(lm.classes_)
    unknown = Counter(c for doc in held_out for c in doc if c not in vocabulary)
    held_out = ["".join(c for c in doc if c in vocabulary) for doc in held_out]
    held_out = [doc for doc in held_out if len(doc) > 1]
    print(
        f"held-out text: {len(held_out)} docstrings of {HELD_OUT_MODULES}, "
        f"{sum(map(len, held_out))} characters "
        f"({sum(unknown.values())} unknown characters removed: "
        f"{''.join(sorted(unknown))!r})"
    )

    print("\nmost likely next characters:")
    prefixes = ["Return the ", "If the ", "def __init__(sel", "Raise ValueErr"]
    proba = lm.predict_proba(prefixes)
    for prefix, row in zip(prefixes, proba, strict=True):
        top = np.argsort(row)[::-1][:3]
        shown = ", ".join(f"{str(lm.classes_[i])!r} {row[i]:.2f}" for i in top)
        print(f"  {prefix!r:>20} -> {shown}")

    print("\nsamples (prefix 'The ', 200 characters, random_state=0):")
    for temperature in (0.5, 1.0, 1.5):
        t0 = time.perf_counter()
        text = lm.sample("The ", 200, temperature=temperature, random_state=0)
        seconds = time.perf_counter() - t0
        print(f"--- temperature {temperature} ({seconds:.2f} s)")
        print("The " + text)

    print(
        f"\nper-character perplexity (lower is better; uniform = {len(lm.classes_)}):"
    )
    # Training perplexity on every 10th training docstring (scoring costs
    # `window` recurrence steps per character: each context runs on its own).
    train_part = train[::10]
    t0 = time.perf_counter()
    results = {}
    for n, label in [(1, "unigram"), (2, "bigram"), (3, "trigram")]:
        model = NGramModel(n, lm.classes_).fit(train)
        results[f"{label}, add-one"] = (
            math.exp(-mean_log_likelihood(model.prob, held_out)),
            math.exp(-mean_log_likelihood(model.prob, train_part)),
        )
    models = [NGramModel(n, lm.classes_, k=0.01).fit(train) for n in (1, 2, 3)]
    weights = (0.1, 0.3, 0.6)

    def interp(context, char):
        return interpolated_prob(models, weights, context, char)

    results["trigram, interpolated (0.1, 0.3, 0.6), add-0.01"] = (
        math.exp(-mean_log_likelihood(interp, held_out)),
        math.exp(-mean_log_likelihood(interp, train_part)),
    )
    ngram_seconds = time.perf_counter() - t0
    t0 = time.perf_counter()
    results[f"CharLanguageModel (H={lm.hidden_size}, window={lm.window})"] = (
        lm.perplexity(held_out),
        lm.perplexity(train_part),
    )
    rnn_seconds = time.perf_counter() - t0
    print(f"  {'model':<50} {'held-out':>9} {'training':>9}")
    print(f"  {'(texts)':<50} {'2 modules':>9} {'1 in 10':>9}")
    print(f"  {'(characters)':<50} {count(held_out):>9} {count(train_part):>9}")
    for name, (test_ppl, train_ppl) in results.items():
        print(f"  {name:<50} {test_ppl:9.2f} {train_ppl:9.2f}")
    print(
        f"(n-gram baselines: {ngram_seconds:.1f} s; the model's perplexities: "
        f"{rnn_seconds:.1f} s)"
    )
    print(f"\ntotal: {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
