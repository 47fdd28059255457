"""Fast tests of the examples' data loading (examples/_datasets.py)."""

import importlib.util
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

_PATH = Path(__file__).resolve().parents[1] / "examples" / "_datasets.py"
_spec = importlib.util.spec_from_file_location("_examples_datasets", _PATH)
datasets = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(datasets)


@pytest.fixture(scope="module")
def names_data():
    pytest.importorskip("faker")
    return datasets.load_names_by_language()


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("Müller", "muller"),
        ("Łukasz", "lukasz"),
        ("Weiß", "weiss"),
        ("Núñez", "nunez"),
        ("Häkkinen", "hakkinen"),
        ("Cœur", "coeur"),
        ("O'Brien", None),
        ("van der Berg", None),
        ("Jean-Luc", None),
        ("Юлия", None),
    ],
)
def test_normalize_name(raw, expected):
    assert datasets.normalize_name(raw) == expected


def test_names_are_distinct_lower_case_ascii(names_data):
    names, labels = names_data
    assert len(names) == len(labels) > 1000
    assert len(set(names)) == len(names)
    assert all(n.isascii() and n.isalpha() and n == n.lower() for n in names)
    assert all(isinstance(n, str) and len(n) >= 2 for n in names)


def test_names_have_one_language_each(names_data):
    names, labels = names_data
    # Distinct names, so no name can carry two labels; and the names dropped
    # for being listed under two locales are absent from every class.
    by_name = {}
    for name, label in zip(names, labels):
        by_name.setdefault(name, set()).add(label)
    assert all(len(v) == 1 for v in by_name.values())
    # Faker lists these surnames for two of the locales (en_US and es_ES,
    # en_US and de_DE): dropped from both.
    assert "acosta" not in by_name and "becker" not in by_name


def test_names_classes_are_balanced_ish(names_data):
    _, labels = names_data
    counts = Counter(labels.tolist())
    assert set(counts) == set(datasets.NAME_LOCALES.values())
    assert max(counts.values()) == 500
    assert min(counts.values()) >= 0.5 * max(counts.values())


def test_names_are_deterministic(names_data):
    names, labels = names_data
    again_names, again_labels = datasets.load_names_by_language()
    assert again_names == names
    np.testing.assert_array_equal(again_labels, labels)
    other, _ = datasets.load_names_by_language(random_state=1)
    assert other != names  # the seed draws the capped classes


def test_names_custom_locales_and_no_cap():
    pytest.importorskip("faker")
    names, labels = datasets.load_names_by_language(
        {"fi_FI": "Finnish", "it_IT": "Italian"}, max_per_class=None
    )
    first, _ = datasets.load_names_by_language(
        {"fi_FI": "Finnish"}, kinds=("first",), max_per_class=None
    )
    assert "virtanen" not in first and "aada" in first
    counts = Counter(labels.tolist())
    assert set(counts) == {"Finnish", "Italian"}
    assert counts["Italian"] > 500  # uncapped
    assert "bianchi" in names and "virtanen" in names
    # Faker lists Rossi as a Finnish surname too: listed twice, dropped.
    assert "rossi" not in names


def test_names_train_test_split_is_stratified():
    pytest.importorskip("faker")
    X_train, X_test, y_train, y_test = datasets.names_train_test_split()
    assert len(X_test) / (len(X_train) + len(X_test)) == pytest.approx(0.25, abs=0.01)
    assert not set(X_train) & set(X_test)
    train_share = Counter(y_train.tolist())
    test_share = Counter(y_test.tolist())
    for label in train_share:
        ratio = test_share[label] / (train_share[label] + test_share[label])
        assert ratio == pytest.approx(0.25, abs=0.02)


def test_missing_locale_raises_helpful_error():
    pytest.importorskip("faker")
    with pytest.raises(ImportError, match="faker.providers.person.xx_XX"):
        datasets.load_names_by_language({"xx_XX": "Nowhere"})


def test_digits_sequences():
    X_train, X_test, y_train, y_test = datasets.load_digits_sequences()
    assert X_train.shape == (1347, 8, 8) and X_test.shape == (450, 8, 8)
    assert X_train.min() >= 0 and X_train.max() <= 1
    assert set(np.unique(y_test)) == set(range(10))
    again = datasets.load_digits_sequences()
    np.testing.assert_array_equal(again[0], X_train)
    # Row r of an image is step r of its sequence.
    from sklearn.datasets import load_digits

    images = load_digits().images / 16.0
    first = X_train[0]
    assert any(np.array_equal(first, image) for image in images)


def test_digits_columns_and_pixels():
    rows = datasets.load_digits_sequences()[0]
    columns = datasets.load_digits_sequences(read="columns")[0]
    pixels = datasets.load_digits_sequences(read="pixels")[0]
    np.testing.assert_array_equal(columns, rows.transpose(0, 2, 1))
    assert pixels.shape == (1347, 64, 1)
    np.testing.assert_array_equal(pixels[:, :8, 0], rows[:, 0, :])
    with pytest.raises(ValueError, match="read must be"):
        datasets.load_digits_sequences(read="diagonals")


def test_names_baseline_flattens_one_hot_letters_aligned_at_the_end(monkeypatch):
    # plot_names_by_language.py imports `_datasets` as a sibling module.
    monkeypatch.syspath_prepend(str(_PATH.parent))
    path = _PATH.parent / "plot_names_by_language.py"
    spec = importlib.util.spec_from_file_location("_examples_names", path)
    names = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(names)
    from sklearn_attnrnn import CharOneHotEncoder

    one_hot = CharOneHotEncoder().fit(["ab", "cab"]).transform(["ab", "cab"])
    flat = names.flatten_end_aligned(one_hot, width=4).reshape(2, 4, 3)
    letters = np.array(["a", "b", "c"])
    # "ab" ends in the same columns as "cab": the suffix "ab" is aligned.
    assert flat[0, :2].sum() == 0 and (flat[0, 2:].sum(axis=1) == 1).all()
    assert "".join(letters[flat[0, 2:].argmax(axis=1)]) == "ab"
    assert "".join(letters[flat[1, 1:].argmax(axis=1)]) == "cab"
    assert flat[1, 0].sum() == 0


def test_examples_share_their_rnn_options():
    import doctest

    spec = importlib.util.spec_from_file_location(
        "_examples_options", _PATH.parent / "_options.py"
    )
    options = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(options)
    result = doctest.testmod(options)
    assert result.attempted > 0 and result.failed == 0


def test_recall_at_distance_labels_the_symbol_that_far_back():
    rng = np.random.RandomState(1)
    X, y = datasets.recall_at_distance(200, 5, rng, n_symbols=3, max_len=20)
    lengths = (~np.isnan(X[:, :, 0])).sum(axis=1)
    assert lengths.min() >= 7 and lengths.max() <= 20
    assert np.isnan(X[np.arange(20)[None, :] >= lengths[:, None]]).all()
    answer = X[np.arange(200), lengths - 6]
    assert (answer.argmax(axis=1) == y).all() and (answer.sum(axis=1) == 1).all()
    assert set(y) == {0, 1, 2}
