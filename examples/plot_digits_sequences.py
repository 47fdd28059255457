"""
Handwritten digits read row by row
==================================

scikit-learn's 8x8 digits (1797 images, bundled with scikit-learn: nothing is
downloaded) are read as sequences of 8 steps, one per pixel row, each a vector
of the row's 8 pixels scaled to [0, 1]. The attention RNN sees the rows one
after the other and reads its output from the attention context at the last
row. It is compared with baselines that see the whole flattened image:

- the majority class (:class:`~sklearn.dummy.DummyClassifier`);
- :class:`~sklearn.linear_model.LogisticRegression` on the 64 pixels;
- :class:`~sklearn.neural_network.MLPClassifier` (one hidden layer of 100) on
  the 64 pixels.

``--read columns`` reads the images column by column instead, and
``--read pixels`` pixel by pixel: 64 steps of one feature, a long sequence
whose output step must gather what it needs from up to 64 steps back
(``--attention-scores scaled`` divides the attention scores by the square
root of ``hidden_size``: see :ref:`model-attention-scores`).

The split is stratified, 75% / 25%, with a fixed seed; ``--seeds`` fits the
RNN once per seed (its initialisation and shuffling) on that same split and
prints the mean and the spread (max - min) of the test accuracy.

Run it with::

    python examples/plot_digits_sequences.py
    python examples/plot_digits_sequences.py --seeds 0 1 2 --attention-scores dot
    python examples/plot_digits_sequences.py --read pixels --seeds 0 1 2

It takes a few seconds per seed on two cores (rows), up to 20 s per seed
(pixels). Any parameter not given on the command line is the estimator's
default, and the script prints the settings it used.
"""

import argparse
import time
import warnings

import numpy as np
from _datasets import load_digits_sequences
from _options import add_rnn_options, rnn_options
from sklearn.dummy import DummyClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier

from sklearn_attnrnn import AttentionRNNClassifier

SPLIT_SEED = 0
# The settings printed with the results.
SHOWN = (
    "hidden_size",
    "attention",
    "attention_scores",
    "solver",
    "learning_rate",
    "alpha",
    "dropout",
    "recurrent_dropout",
    "batch_size",
    "max_iter",
    "early_stopping",
)


def baselines(random_state=0):
    """The baseline classifiers, each fitted on the flattened 64 pixels.

    Parameters
    ----------
    random_state : int, default=0
        Seed of the MLP.

    Returns
    -------
    baselines : dict of str to estimator
        Unfitted estimators by display name.
    """
    return {
        "majority class (DummyClassifier)": DummyClassifier(),
        "LogisticRegression, 64 pixels": LogisticRegression(max_iter=2000),
        "MLPClassifier(100), 64 pixels": MLPClassifier(
            max_iter=500, random_state=random_state
        ),
    }


def parse_args(argv=None):
    """Command-line options; an RNN option left out keeps the default."""
    parser = argparse.ArgumentParser(
        description=(__doc__ or "").strip().partition("\n")[0]
    )
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--read", choices=["rows", "columns", "pixels"], default="rows")
    add_rnn_options(parser)
    parser.add_argument("--no-attention", action="store_true")
    parser.add_argument("--early-stopping", action="store_true")
    return parser.parse_args(argv)


def rnn_params(args):
    """The RNN's parameters given on the command line (the rest: defaults)."""
    params = rnn_options(args)
    if args.no_attention:
        params["attention"] = False
    if args.early_stopping:
        params["early_stopping"] = True
    return params


def main(argv=None):
    """Fit the baselines and the RNN, print accuracies, times and settings."""
    args = parse_args(argv)
    X_train, X_test, y_train, y_test = load_digits_sequences(
        random_state=SPLIT_SEED, read=args.read
    )
    print(
        f"digits read by {args.read}: {len(X_train)} train / {len(X_test)} test, "
        f"each {X_train.shape[1]} steps x {X_train.shape[2]} features, "
        f"{len(np.unique(y_train))} classes (stratified split, seed {SPLIT_SEED})"
    )
    rows = []
    flat_train = X_train.reshape(len(X_train), -1)
    flat_test = X_test.reshape(len(X_test), -1)
    for name, model in baselines().items():
        start = time.perf_counter()
        model.fit(flat_train, y_train)
        seconds = time.perf_counter() - start
        rows.append((name, model.score(flat_test, y_test), seconds))

    params = rnn_params(args)
    accuracies = []
    for seed in args.seeds:
        clf = AttentionRNNClassifier(random_state=seed, **params)
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf.fit(X_train, y_train)
        seconds = time.perf_counter() - start
        accuracy = clf.score(X_test, y_test)
        accuracies.append(accuracy)
        name = f"AttentionRNNClassifier, seed {seed} ({clf.n_iter_} epochs)"
        rows.append((name, accuracy, seconds))

    width = max(len(r[0]) for r in rows)
    print(f"\n{'model':<{width}}  test accuracy  fit time (s)")
    for name, accuracy, seconds in rows:
        print(f"{name:<{width}}  {accuracy:13.3f}  {seconds:12.1f}")
    if len(accuracies) > 1:
        acc = np.array(accuracies)
        print(
            f"\nRNN over seeds {args.seeds}: mean {acc.mean():.3f}, "
            f"spread (max - min) {acc.max() - acc.min():.3f}"
        )
    shown = {k: v for k, v in clf.get_params().items() if k in SHOWN}
    print(f"RNN settings: {shown}")


if __name__ == "__main__":
    main()
