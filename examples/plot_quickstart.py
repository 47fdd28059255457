"""
Quickstart: digits and words as sequences
=========================================

1. scikit-learn's handwritten digits read row by row: each 8x8 image is a
   sequence of 8 steps of 8 pixels, standardized by SequenceStandardScaler.
2. Strings: random words over a small alphabet, labelled by their *first*
   letter, of 4 to 16 characters. The answer sits at the far end of the
   sequence from where the output is read, which is what the attention over
   all hidden states is for.

Run: ``python examples/plot_quickstart.py``
"""

import time

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline

from sklearn_attnrnn import (
    AttentionRNNClassifier,
    CharOneHotEncoder,
    SequenceStandardScaler,
)


def random_words(n_words, alphabet="abcdef", min_len=4, max_len=16, seed=0):
    """Random words and their first letters.

    Parameters
    ----------
    n_words : int
        How many words.
    alphabet : str, default="abcdef"
        The letters to draw from.
    min_len, max_len : int, default=4, 16
        The range of word lengths (inclusive).
    seed : int, default=0
        Seed of the generator.

    Returns
    -------
    words : list of str
    first_letters : ndarray of str

    Examples
    --------
    >>> words, labels = random_words(3, seed=1)
    >>> all(word[0] == label for word, label in zip(words, labels))
    True
    """
    rng = np.random.RandomState(seed)
    letters = np.array(list(alphabet))
    words = [
        "".join(rng.choice(letters, rng.randint(min_len, max_len + 1)))
        for _ in range(n_words)
    ]
    return words, np.array([w[0] for w in words])


def main():
    """Train on digits and on words; print the test accuracies."""
    X, y = load_digits(return_X_y=True)
    X = X.reshape(-1, 8, 8)  # (n_samples, n_steps, n_features)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    start = time.perf_counter()
    # Numeric sequences: scale the features first (over every real step).
    clf = make_pipeline(
        SequenceStandardScaler(), AttentionRNNClassifier(random_state=0)
    )
    clf.fit(X_train, y_train)
    print(
        f"digits as 8-step sequences: test accuracy "
        f"{clf.score(X_test, y_test):.3f} ({clf[-1].n_iter_} epochs, "
        f"{time.perf_counter() - start:.1f} s)"
    )

    words, first = random_words(3000)
    w_train, w_test, f_train, f_test = train_test_split(
        words, first, test_size=0.25, random_state=0
    )
    start = time.perf_counter()
    model = make_pipeline(
        CharOneHotEncoder(), AttentionRNNClassifier(random_state=0)
    ).fit(w_train, f_train)
    print(
        f"first letter of 4-16 letter words: test accuracy "
        f"{model.score(w_test, f_test):.3f} "
        f"({time.perf_counter() - start:.1f} s)"
    )
    print("e.g.", dict(zip(w_test[:3], model.predict(w_test[:3]).tolist())))


if __name__ == "__main__":
    main()
