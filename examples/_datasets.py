"""Real sequence data sets for the examples, built from installed packages only.

Nothing is downloaded:

- :func:`load_digits_sequences` reads scikit-learn's bundled 8x8 digits row by
  row, as sequences of 8 steps with 8 features each (or column by column, or
  pixel by pixel as 64 steps of one feature).
- :func:`load_names_by_language` builds a "which language is this name?" data
  set from the first- and last-name lists that Faker ships inside its package
  (``faker.providers.person.<locale>.Provider``). Faker is installed with the
  ``examples`` extra: ``pip install "sklearn-attnrnn[examples]"``.

The names are normalised as follows (see :func:`normalize_name`): lower-case;
accents and other diacritics stripped by Unicode decomposition (NFKD), with a
small table for the letters that do not decompose (``ł`` -> ``l``, ``ß`` ->
``ss``, ...); names that still contain anything but the letters a-z (spaces,
hyphens, apostrophes: compound names such as "van de berg" or "jean-luc") are
dropped. Stripping diacritics removes give-away characters (``ł`` is always
Polish, ``ñ`` always Spanish) so that a model has to learn spelling patterns,
and keeps the alphabet at 26 letters, so the test set has no unseen symbols.
A name that occurs in the lists of two or more of the chosen locales is
dropped from all of them: its label would be ambiguous.
"""

import functools
import importlib
import re
import unicodedata

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

# The Faker locales of the names data set and the language each one stands for:
# eight European languages with distinct spelling conventions.
NAME_LOCALES = {
    "en_US": "English",
    "fr_FR": "French",
    "de_DE": "German",
    "it_IT": "Italian",
    "es_ES": "Spanish",
    "pl_PL": "Polish",
    "nl_NL": "Dutch",
    "fi_FI": "Finnish",
}

# Letters that NFKD does not decompose into a base letter plus marks.
_EXTRA_FOLDS = str.maketrans(
    {
        "ł": "l",
        "đ": "d",
        "ð": "d",
        "ø": "o",
        "ı": "i",
        "ß": "ss",
        "æ": "ae",
        "œ": "oe",
        "þ": "th",
    }
)
_LETTERS = re.compile("[a-z]+")


def normalize_name(name):
    """Lower-case a name and strip its diacritics.

    Parameters
    ----------
    name : str
        A name as Faker lists it, e.g. ``"Müller"``.

    Returns
    -------
    normalized : str or None
        The name in the letters a-z only, e.g. ``"muller"``; None when
        anything else is left (a space, hyphen, apostrophe or a letter of
        another script), so that compound names are left out.

    Examples
    --------
    >>> normalize_name("Müller"), normalize_name("Łukasz"), normalize_name("Weiß")
    ('muller', 'lukasz', 'weiss')
    >>> normalize_name("van der Berg") is None
    True
    """
    folded = unicodedata.normalize("NFKD", name.lower()).translate(_EXTRA_FOLDS)
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    return folded if _LETTERS.fullmatch(folded) else None


@functools.cache
def _faker_name_lists(locale, kinds=("first_name", "last_name")):
    """All first and last names of a Faker locale, as Faker spells them.

    Reads every ``*first_name*`` / ``*last_name*`` list or weighted dict that
    the locale's person provider (and its parent locales, e.g. ``es`` for
    ``es_ES``) defines, not Faker's generic fallback ("John", "Doe").
    Returns a frozenset (cached: the lists do not change within a process).
    """
    try:
        module = importlib.import_module(f"faker.providers.person.{locale}")
    except ImportError as exc:
        raise ImportError(
            "The names data set is built from Faker's name lists: install Faker "
            'with `pip install "sklearn-attnrnn[examples]"` (or `pip install '
            f"faker`). Could not import faker.providers.person.{locale}: {exc}"
        ) from exc
    names = set()
    for cls in module.Provider.__mro__:
        if not cls.__module__.startswith("faker.providers.person."):
            continue
        for attr, value in vars(cls).items():
            if not any(kind in attr for kind in kinds):
                continue
            if isinstance(value, dict):
                value = value.keys()
            elif not isinstance(value, (list, tuple)):
                continue
            names.update(v for v in value if isinstance(v, str))
    return frozenset(names)


def load_names_by_language(
    locales=None, *, kinds=("last",), max_per_class=500, random_state=0
):
    """Names labelled by language, from the name lists Faker ships.

    Parameters
    ----------
    locales : dict of str to str, default=None
        Faker locale -> label. None uses :data:`NAME_LOCALES` (eight European
        languages).

    kinds : tuple of {"first", "last"}, default=("last",)
        Which of Faker's lists to read: last names (the default), first
        names, or both. Surnames carry their language's spelling; the first
        names Faker lists for a country are often international ("imran" is
        listed as Dutch, "abbas" as German), which makes the labels noisy:
        with both lists, the n-gram baseline's test accuracy drops from 0.70
        to 0.62.

    max_per_class : int or None, default=500
        Keep at most this many names per language, drawn at random, so that
        the classes are of similar size (the lists range from ~400 to ~3500
        usable names). None keeps all of them.

    random_state : int, default=0
        Seed of the draw of ``max_per_class`` names.

    Returns
    -------
    names : list of str
        Distinct lower-case names in the letters a-z, sorted by label and
        then alphabetically (shuffle or split them before use).

    labels : ndarray of str of shape (n_names,)
        The language of each name.

    Examples
    --------
    >>> names, labels = load_names_by_language()  # doctest: +SKIP
    >>> names[:3], labels[:3]  # doctest: +SKIP
    (['aalders', 'aalts', 'aarden'], array(['Dutch', 'Dutch', 'Dutch'], ...))
    """
    if locales is None:
        locales = NAME_LOCALES
    per_locale = {}
    for locale in locales:
        lists = _faker_name_lists(locale, tuple(f"{k}_name" for k in sorted(kinds)))
        normalized = (normalize_name(n) for n in lists)
        per_locale[locale] = {n for n in normalized if n is not None}
    # A name listed under two locales has no single language: drop it.
    seen_in = {}
    for names in per_locale.values():
        for name in names:
            seen_in[name] = seen_in.get(name, 0) + 1
    rng = np.random.RandomState(random_state)
    by_label = {}
    for locale, label in locales.items():
        unique = sorted(n for n in per_locale[locale] if seen_in[n] == 1)
        if max_per_class is not None and len(unique) > max_per_class:
            keep = rng.choice(len(unique), max_per_class, replace=False)
            unique = sorted(unique[i] for i in keep)
        by_label.setdefault(label, []).extend(unique)
    names, labels = [], []
    for label in sorted(by_label):
        group = sorted(by_label[label])
        names.extend(group)
        labels.extend([label] * len(group))
    return names, np.array(labels)


def names_train_test_split(test_size=0.25, random_state=0, **kwargs):
    """The names data set split into stratified train and test sets.

    Parameters
    ----------
    test_size : float, default=0.25
        Share of the names in the test set.

    random_state : int, default=0
        Seed of the split (and of the draw of names per class).

    **kwargs : dict
        Passed to :func:`load_names_by_language`.

    Returns
    -------
    names_train, names_test : ndarray of str
        The names of the two sets.

    y_train, y_test : ndarray of str
        Their languages.
    """
    names, labels = load_names_by_language(random_state=random_state, **kwargs)
    return train_test_split(
        np.array(names, dtype=object),
        labels,
        test_size=test_size,
        stratify=labels,
        random_state=random_state,
    )


def load_digits_sequences(test_size=0.25, random_state=0, *, read="rows"):
    """scikit-learn's 8x8 digits as sequences: row by row, by column or by pixel.

    Pixel values are divided by 16, into [0, 1].

    Parameters
    ----------
    test_size : float, default=0.25
        Share of the 1797 images in the test set.

    random_state : int, default=0
        Seed of the stratified split.

    read : {"rows", "columns", "pixels"}, default="rows"
        How an image becomes a sequence: ``"rows"``, 8 steps (top to bottom)
        of the 8 pixels of a row; ``"columns"``, 8 steps (left to right) of
        the 8 pixels of a column; ``"pixels"``, 64 steps of one pixel each,
        row after row (a long sequence: the output step must gather what it
        needs from 64 steps back).

    Returns
    -------
    X_train, X_test : ndarray of shape (n, n_steps, n_step_features)
        (n, 8, 8) for rows and columns, (n, 64, 1) for pixels.

    y_train, y_test : ndarray of int
        The digits 0-9.

    Examples
    --------
    >>> X_train, X_test, y_train, y_test = load_digits_sequences()
    >>> X_train.shape, X_test.shape
    ((1347, 8, 8), (450, 8, 8))
    >>> load_digits_sequences(read="pixels")[0].shape
    (1347, 64, 1)
    """
    images = load_digits().images / 16.0
    if read == "rows":
        X = images
    elif read == "columns":
        X = images.transpose(0, 2, 1)
    elif read == "pixels":
        X = images.reshape(len(images), 64, 1)
    else:
        raise ValueError(f"read must be 'rows', 'columns' or 'pixels', got {read!r}.")
    target = load_digits().target
    return train_test_split(
        X, target, test_size=test_size, stratify=target, random_state=random_state
    )


def strings_with_x(n_samples, rng, min_len, max_len):
    """Random strings over "abcdefgh", half with one letter replaced by "x".

    Parameters
    ----------
    n_samples : int
        How many strings.
    rng : numpy.random.RandomState
        The source of randomness.
    min_len, max_len : int
        Lengths are drawn from ``min_len`` to ``max_len - 1``.

    Returns
    -------
    texts : list of str
    labels : ndarray of str
        "has x" or "no x".

    Examples
    --------
    >>> import numpy as np
    >>> texts, labels = strings_with_x(4, np.random.RandomState(0), 6, 13)
    >>> all(("x" in t) == (label == "has x") for t, label in zip(texts, labels))
    True
    """
    letters = np.array(list("abcdefgh"))
    texts, labels = [], []
    for _ in range(n_samples):
        chars = rng.choice(letters, rng.randint(min_len, max_len))
        has_x = rng.rand() < 0.5
        if has_x:
            chars[rng.randint(len(chars))] = "x"
        texts.append("".join(chars))
        labels.append("has x" if has_x else "no x")
    return texts, np.array(labels)


def recall_at_distance(n_samples, distance, rng, n_symbols=4, max_len=None):
    """Sequences of random symbols labelled by the one ``distance`` steps back.

    Each sequence is a one-hot string of ``n_symbols`` symbols, of a random
    length from ``distance + 2`` to ``max_len``; its label is the symbol
    ``distance`` steps before its last one (at step T - distance of a
    sequence of T steps). Lengths vary, so the answer is nowhere in
    particular counted from the start: a model has to keep it for
    ``distance`` steps, or reach back that far.

    Parameters
    ----------
    n_samples : int
        How many sequences.
    distance : int
        How many steps before the last one the answer lies.
    rng : numpy.random.RandomState
        The source of randomness.
    n_symbols : int, default=4
        The number of symbols (and classes).
    max_len : int or None, default=None
        The longest length; None is ``3 * distance``.

    Returns
    -------
    X : ndarray of shape (n_samples, max_len, n_symbols)
        One-hot steps, NaN after each sequence's end.
    y : ndarray of shape (n_samples,)
        The symbol at step T - distance.

    Examples
    --------
    >>> import numpy as np
    >>> X, y = recall_at_distance(3, 4, np.random.RandomState(0))
    >>> X.shape, y.shape
    ((3, 12, 4), (3,))
    >>> T = (~np.isnan(X[:, :, 0])).sum(axis=1)
    >>> bool((X[np.arange(3), T - 1 - 4].argmax(axis=1) == y).all())
    True
    """
    max_len = 3 * distance if max_len is None else max_len
    lengths = rng.randint(distance + 2, max_len + 1, n_samples)
    symbols = rng.randint(0, n_symbols, (n_samples, max_len))
    X = np.eye(n_symbols)[symbols]
    X[np.arange(max_len)[None, :] >= lengths[:, None]] = np.nan
    return X, symbols[np.arange(n_samples), lengths - 1 - distance]
