"""Tests of sklearn_attnrnn.plotting: what is drawn, not how it looks."""

import subprocess
import sys
import warnings

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
# Render off-screen: the tests must run on machines without a display.
matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from numpy.testing import assert_allclose, assert_array_equal  # noqa: E402
from sklearn.exceptions import ConvergenceWarning, NotFittedError  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402

from sklearn_attnrnn import (  # noqa: E402
    AttentionRNNClassifier,
    AttentionRNNRegressor,
    CharLanguageModel,
    CharOneHotEncoder,
)
from sklearn_attnrnn.plotting import plot_attention, plot_loss_curve  # noqa: E402

TEXTS = ["abxa", "bab", "xbb", "abba", "bxa", "aab", "xa", "bbbbxb"]
LABELS = ["x" if "x" in t else "no x" for t in TEXTS]
SHOWN = ["abxa", "ba", "bbbbxb"]


def _fit(model, X, y):
    # A few epochs are enough to draw; the models need not converge.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, y)


def _classifier(**params):
    params = {"hidden_size": 4, "max_iter": 8, "random_state": 0, **params}
    return AttentionRNNClassifier(**params)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def pipeline():
    return _fit(
        make_pipeline(CharOneHotEncoder(), _classifier()), TEXTS * 4, LABELS * 4
    )


@pytest.fixture(scope="module")
def early_stopped():
    model = make_pipeline(CharOneHotEncoder(), _classifier(early_stopping=True))
    return _fit(model, TEXTS * 4, LABELS * 4)


def _run(code):
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )


# ----------------------------------------------------------------------------
# Optional dependency
# ----------------------------------------------------------------------------
def test_import_package_does_not_import_matplotlib():
    result = _run(
        "import sys, sklearn_attnrnn\n"
        "assert 'matplotlib' not in sys.modules, 'matplotlib was imported'\n"
    )
    assert result.returncode == 0, result.stderr


def test_import_plotting_without_matplotlib_says_how_to_install():
    # A None entry in sys.modules makes "import matplotlib" raise ImportError,
    # as if it were not installed.
    result = _run(
        "import sys\n"
        "sys.modules['matplotlib'] = None\n"
        "try:\n"
        "    import sklearn_attnrnn.plotting\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
        "else:\n"
        "    raise SystemExit('no ImportError')\n"
    )
    assert result.returncode == 0, result.stderr
    assert "pip install sklearn-attnrnn[plot]" in result.stdout


def test_import_plotting_does_not_import_pyplot():
    # Importing the module must not pick a backend; only drawing does.
    result = _run(
        "import sys, sklearn_attnrnn.plotting\n"
        "assert 'matplotlib.pyplot' not in sys.modules\n"
    )
    assert result.returncode == 0, result.stderr


# ----------------------------------------------------------------------------
# plot_loss_curve
# ----------------------------------------------------------------------------
def test_plot_loss_curve_draws_the_loss_per_epoch(pipeline):
    clf = pipeline[-1]
    ax = plot_loss_curve(pipeline)
    assert len(ax.lines) == 1
    x, y = ax.lines[0].get_data()
    assert len(x) == len(clf.loss_curve_) == clf.n_iter_
    assert_array_equal(x, np.arange(1, clf.n_iter_ + 1))
    assert_allclose(y, clf.loss_curve_)
    assert ax.get_xlabel() == "Epoch"
    assert ax.get_ylabel() == "Training loss"
    assert ax.get_title() == "AttentionRNNClassifier training curve"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["Training loss"]
    # No validation scores without early stopping: no twin axis.
    assert ax.figure.axes == [ax]


def test_plot_loss_curve_adds_validation_scores_with_early_stopping(early_stopped):
    clf = early_stopped[-1]
    ax = plot_loss_curve(clf, title="Curve")
    assert ax.get_title() == "Curve"
    assert len(ax.lines) == 1
    assert len(ax.lines[0].get_xdata()) == len(clf.loss_curve_)
    twins = [other for other in ax.figure.axes if other is not ax]
    assert len(twins) == 1
    twin = twins[0]
    assert twin.get_shared_x_axes().joined(ax, twin)
    score_line, best_line = twin.lines
    assert_allclose(score_line.get_ydata(), clf.validation_scores_)
    assert len(score_line.get_xdata()) == len(clf.validation_scores_)
    best = int(np.argmax(clf.validation_scores_)) + 1
    assert_array_equal(best_line.get_xdata(), [best, best])
    assert twin.get_ylabel() == "Validation score (accuracy)"
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == [
        "Training loss",
        "Validation score (accuracy)",
        f"Best validation score (epoch {best})",
    ]


def test_plot_loss_curve_on_given_axes_regressor_and_lbfgs():
    rng = np.random.RandomState(0)
    X = rng.randn(40, 5)
    reg = _fit(
        AttentionRNNRegressor(
            hidden_size=3, max_iter=6, early_stopping=True, random_state=0
        ),
        X,
        X[:, 0],
    )
    fig, ax = plt.subplots()
    assert plot_loss_curve(reg, ax=ax) is ax
    assert fig.axes[1].get_ylabel() == "Validation score (R²)"

    lbfgs = _fit(_classifier(solver="lbfgs", max_iter=5), X, X[:, 0] > 0)
    ax = plot_loss_curve(lbfgs)
    assert ax.get_xlabel() == "Iteration"
    assert len(ax.lines[0].get_xdata()) == len(lbfgs.loss_curve_)


def test_plot_loss_curve_errors():
    with pytest.raises(NotFittedError):
        plot_loss_curve(_classifier())
    logreg = LogisticRegression().fit([[0.0], [1.0]], [0, 1])
    with pytest.raises(TypeError, match="no loss_curve_"):
        plot_loss_curve(logreg)


# ----------------------------------------------------------------------------
# plot_attention
# ----------------------------------------------------------------------------
def _cells(ax):
    return ax.images[0].get_array()


def test_plot_attention_pipeline_draws_the_weights(pipeline):
    encoder, clf = pipeline
    ax = plot_attention(pipeline, SHOWN)
    cells = _cells(ax)
    # One cell per text and character position, the encoder's width.
    assert cells.shape == (len(SHOWN), encoder.max_length_)
    assert cells.size == len(SHOWN) * encoder.max_length_

    # attention_weights of the fitted pipeline's last step, on encoded texts.
    weights = clf.attention_weights(encoder.transform(SHOWN))
    assert weights.shape == cells.shape
    lengths = np.array([len(t) for t in SHOWN])
    assert_array_equal(
        ~np.isnan(weights), np.arange(weights.shape[1]) < lengths[:, None]
    )
    assert_allclose(np.nansum(weights, axis=1), 1.0)
    # NaN cells (after each text's end) are masked, i.e. left blank.
    assert_array_equal(np.ma.getmaskarray(cells), np.isnan(weights))
    assert_allclose(cells.filled(np.nan), weights)
    assert ax.images[0].cmap.get_bad()[3] == 0  # masked cells are transparent

    # The characters, in their cells, in row order.
    texts = [(t.get_position(), t.get_text()) for t in ax.texts]
    expected = [((j, i), c) for i, s in enumerate(SHOWN) for j, c in enumerate(s)]
    assert texts == expected

    # Rows are labelled by the predicted class; columns by position.
    yticks = [t.get_text() for t in ax.get_yticklabels()]
    assert yticks == list(pipeline.predict(SHOWN))
    xticks = [t.get_text() for t in ax.get_xticklabels()]
    assert xticks == [str(t) for t in range(encoder.max_length_)]
    assert ax.get_xlabel() == "Character position"
    assert ax.get_ylabel() == "Predicted class"
    assert ax.get_title() == "Attention at the output step"

    # The colorbar is the figure's second Axes.
    assert len(ax.figure.axes) == 2
    assert ax.images[0].colorbar.ax.get_ylabel() == "Attention weight"


def test_plot_attention_width_follows_encoder_max_length():
    model = make_pipeline(CharOneHotEncoder(max_length=9), _classifier())
    model = _fit(model, TEXTS * 4, LABELS * 4)
    cells = _cells(plot_attention(model, SHOWN))
    assert cells.shape == (3, 9)
    assert np.ma.getmaskarray(cells)[:, 6:].all()


def test_plot_attention_single_text_has_characters_as_tick_labels(pipeline):
    ax = plot_attention(pipeline, ["bxa"])
    xticks = [t.get_text() for t in ax.get_xticklabels()]
    width = pipeline[0].max_length_
    assert xticks == ["b", "x", "a"] + [""] * (width - 3)
    assert _cells(ax).shape == (1, width)


def test_plot_attention_bare_estimator_on_encoded_X(pipeline):
    encoder, clf = pipeline
    X = encoder.transform(SHOWN)
    ax = plot_attention(clf, X, labels=SHOWN, colorbar=False, title="T")
    assert_allclose(_cells(ax).filled(np.nan), clf.attention_weights(X))
    assert [t.get_text() for t in ax.texts] == list("".join(SHOWN))
    assert [t.get_text() for t in ax.get_yticklabels()] == list(clf.predict(X))
    assert ax.figure.axes == [ax]
    assert ax.get_title() == "T"

    # Without labels: no symbols to write, columns are plain steps.
    ax = plot_attention(clf, X)
    assert len(ax.texts) == 0
    assert ax.get_xlabel() == "Step"


def test_plot_attention_regressor_on_numeric_sequences():
    rng = np.random.RandomState(0)
    X = rng.randn(30, 6)
    X[::3, 4:] = np.nan  # shorter sequences
    reg = _fit(
        AttentionRNNRegressor(hidden_size=3, max_iter=5, random_state=0), X, X[:, 0]
    )
    fig, ax = plt.subplots()
    assert plot_attention(reg, X[:4], ax=ax, annotate=False) is ax
    cells = _cells(ax)
    assert_array_equal(np.ma.getmaskarray(cells), np.isnan(X[:4]))
    assert ax.get_ylabel() == "Prediction"
    expected = [f"{p:.3g}" for p in reg.predict(X[:4])]
    assert [t.get_text() for t in ax.get_yticklabels()] == expected


def test_plot_attention_language_model_predicts_characters():
    lm = _fit(
        CharLanguageModel(hidden_size=4, solver="lbfgs", max_iter=5, random_state=0),
        "hello world hello",
        None,
    )
    prefixes = ["hel", "h"]
    ax = plot_attention(lm, prefixes)
    # Predictions that are not numbers (the next character) are shown as is.
    assert [t.get_text() for t in ax.get_yticklabels()] == list(lm.predict(prefixes))
    assert_allclose(_cells(ax).filled(np.nan), lm.attention_weights(prefixes))


def test_plot_attention_shows_spaces_and_dollars_literally():
    texts = ["a b$", "$ab", "ba a"] * 4
    model = _fit(
        make_pipeline(CharOneHotEncoder(), _classifier()), texts, [0, 1, 0] * 4
    )
    ax = plot_attention(model, ["a b$", "$ab"])
    assert [t.get_text() for t in ax.texts] == ["a", "␣", "b", "$", "$", "a", "b"]
    ax.figure.canvas.draw()  # no mathtext error from the "$" signs


def test_plot_attention_annotate_false(pipeline):
    ax = plot_attention(pipeline, SHOWN, annotate=False)
    assert len(ax.texts) == 0
    assert ax.get_xlabel() == "Character position"


def test_plot_attention_errors(pipeline):
    encoder, clf = pipeline
    X = encoder.transform(SHOWN)
    with pytest.raises(ValueError, match="labels has 2 entries"):
        plot_attention(clf, X, labels=SHOWN[:2])
    with pytest.raises(ValueError, match=r"labels\[1\] has 3 symbols"):
        plot_attention(clf, X, labels=["abxa", "bax", "bbbbxb"])
    with pytest.raises(NotFittedError):
        plot_attention(_classifier(), X)
    logreg = LogisticRegression().fit([[0.0], [1.0]], [0, 1])
    with pytest.raises(TypeError, match="no attention_weights"):
        plot_attention(logreg, [[0.0]])
    no_attention = _fit(
        make_pipeline(CharOneHotEncoder(), _classifier(attention=False)),
        TEXTS * 4,
        LABELS * 4,
    )
    with pytest.raises(ValueError, match="attention=False"):
        plot_attention(no_attention, SHOWN)
