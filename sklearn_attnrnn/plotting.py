"""Plots of a fitted attention RNN: its training curve and its attention maps.

This module needs matplotlib, installed with the ``plot`` extra::

    pip install sklearn-attnrnn[plot]

``import sklearn_attnrnn`` never imports this module (nor matplotlib), so the
estimators work without it. ``matplotlib.pyplot`` itself is imported only when
a function has to create a figure, so that importing this module does not
choose a backend.
"""

import numpy as np
from sklearn.base import is_classifier, is_regressor
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

try:
    import matplotlib
except ImportError as exc:  # pragma: no cover - exercised in a subprocess test
    raise ImportError(
        "sklearn_attnrnn.plotting requires matplotlib, which is not installed. "
        "Install it with: pip install sklearn-attnrnn[plot]"
    ) from exc

__all__ = ["plot_attention", "plot_loss_curve"]


def _new_axes(figsize):
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def _final_step(model):
    """The estimator that holds the fitted network (a Pipeline's last step)."""
    return model[-1] if isinstance(model, Pipeline) else model


def plot_loss_curve(estimator, ax=None, *, title=None):
    """Plot the training loss per epoch and, if recorded, the validation score.

    Parameters
    ----------
    estimator : estimator or Pipeline
        A fitted estimator with ``loss_curve_`` (and ``validation_scores_``
        when fitted with ``early_stopping=True``), or a fitted
        :class:`~sklearn.pipeline.Pipeline` whose last step is one.
        :class:`~sklearn.neural_network.MLPClassifier` works too.

    ax : matplotlib Axes, default=None
        Axes to draw on; None creates a new figure.

    title : str, default=None
        Title of the plot; None uses ``"<estimator class> training curve"``.

    Returns
    -------
    ax : matplotlib Axes
        The Axes of the loss curve, its only line. The validation scores,
        when present, are on a twin Axes sharing the x axis (right-hand
        y axis), which also holds a dotted vertical line at the epoch with
        the best validation score, whose parameters the model keeps. One
        legend on ``ax`` names all the lines; ``ax`` is drawn above the twin
        so that no line crosses the legend.

    Raises
    ------
    NotFittedError
        If the estimator is not fitted.
    TypeError
        If the estimator has no ``loss_curve_``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_attnrnn import AttentionRNNClassifier
    >>> from sklearn_attnrnn.plotting import plot_loss_curve
    >>> X = np.random.RandomState(0).randn(60, 5)
    >>> y = (X[:, 0] > 0).astype(int)
    >>> clf = AttentionRNNClassifier(
    ...     hidden_size=4, max_iter=30, early_stopping=True, random_state=0
    ... ).fit(X, y)
    >>> ax = plot_loss_curve(clf)
    >>> len(ax.lines[0].get_xdata()) == len(clf.loss_curve_)
    True
    >>> ax.figure.savefig("loss_curve.png")  # doctest: +SKIP
    """
    est = _final_step(estimator)
    check_is_fitted(est)
    loss = getattr(est, "loss_curve_", None)
    if loss is None:
        raise TypeError(
            f"{type(est).__name__} has no loss_curve_: plot_loss_curve needs an "
            "estimator trained by epochs, such as AttentionRNNClassifier."
        )
    if ax is None:
        ax = _new_axes((6.4, 4.0))

    # L-BFGS records one loss per iteration, not per pass over the data.
    unit = "Iteration" if getattr(est, "solver", None) == "lbfgs" else "Epoch"
    (loss_line,) = ax.plot(
        np.arange(1, len(loss) + 1), loss, color="C0", label="Training loss"
    )
    handles = [loss_line]
    ax.set_xlabel(unit)
    ax.set_ylabel("Training loss")
    ax.set_title(title if title is not None else f"{type(est).__name__} training curve")
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    ax.grid(True, alpha=0.3)

    scores = getattr(est, "validation_scores_", None)
    if scores:
        if is_classifier(est):
            metric = "accuracy"
        elif is_regressor(est):
            metric = "R²"
        else:
            metric = None
        label = "Validation score" + (f" ({metric})" if metric else "")
        twin = ax.twinx()
        epochs = np.arange(1, len(scores) + 1)
        (score_line,) = twin.plot(epochs, scores, color="C1", label=label)
        best = int(np.argmax(scores)) + 1
        best_line = twin.axvline(
            best,
            color="C1",
            linestyle=":",
            label=f"Best validation score (epoch {best})",
        )
        twin.set_ylabel(label)
        handles += [score_line, best_line]
        # Draw ax (and its legend) above the twin, so that no validation line
        # crosses the legend; ax's background would hide the twin's lines.
        ax.set_zorder(twin.get_zorder() + 1)
        ax.patch.set_visible(False)
    # The loss falls and the score rises: the middle right is usually free,
    # and "best" would only avoid ax's own line.
    ax.legend(handles=handles, loc="center right" if len(handles) > 1 else "best")
    return ax


def _symbols_of(X):
    """The symbols of each raw input sequence, as strings, for annotation."""
    arr = np.asarray(X, dtype=object)
    if arr.ndim == 2 and arr.shape[1] == 1 and isinstance(arr[0, 0], str):
        # A single column of texts, one text per row (as CharOneHotEncoder).
        arr = arr[:, 0]
    if arr.ndim == 1:
        return [list(s) if isinstance(s, str) else [str(v) for v in s] for s in arr]
    return [[str(v) for v in row] for row in arr]


def _printable(symbol):
    """A visible rendering of a symbol: spaces and control characters show."""
    if symbol == " ":
        return "␣"
    return symbol if symbol.isprintable() else repr(symbol)[1:-1]


def _prediction_labels(est, predictions):
    """Tick labels of the rows: the prediction for each sequence."""
    predictions = np.asarray(predictions)
    if is_classifier(est):
        return [str(p) for p in predictions], "Predicted class"
    # Real values are rounded to fit a tick label; anything else (e.g. the
    # next character of a language model) is shown as it is.
    fmt = "{:.3g}".format if predictions.dtype.kind in "fiu" else str
    if predictions.ndim == 1:
        return [fmt(p) for p in predictions], "Prediction"
    return [", ".join(map(fmt, row)) for row in predictions], "Prediction"


def plot_attention(
    model,
    X,
    *,
    labels=None,
    ax=None,
    annotate=True,
    cmap="viridis",
    vmax=None,
    colorbar=True,
    title=None,
):
    """Plot the attention weights at the output step as a heatmap.

    Row i shows ``attention_weights(X)[i]``: how much the output of sequence
    i reads each of its steps. Columns are step (character) positions;
    cells after the end of a sequence are NaN and left blank. Each row's
    y tick label is the model's prediction for that sequence.

    Parameters
    ----------
    model : Pipeline or estimator
        A fitted :class:`~sklearn.pipeline.Pipeline` whose last step has an
        ``attention_weights`` method (e.g. ``make_pipeline(CharOneHotEncoder(),
        AttentionRNNClassifier())``) and whose earlier steps encode X; or such
        a fitted estimator itself, given already-encoded X.

    X : array-like
        With a Pipeline: its raw input, e.g. a list of strings. With a bare
        estimator: sequences in any form it accepts (2-D, 3-D with NaN
        padding, or a list of 2-D arrays).

    labels : sequence of (str or sequence of str), default=None
        The symbol of each step, one entry per row: a string gives one
        symbol per character (so the texts themselves can be passed), a
        sequence gives one string per step. Each entry must have as many
        symbols as its sequence has steps. None uses the symbols of X when
        ``model`` is a Pipeline (the characters of each text, ``str`` of each
        cell of a 2-D array of symbols), and no symbols for a bare estimator.

    ax : matplotlib Axes, default=None
        Axes to draw on; None creates a figure sized to the number of rows
        and columns.

    annotate : bool, default=True
        Write each step's symbol in its cell, in black or white for contrast
        (a space is shown as "␣"). With a single row the symbols are also
        the x tick labels; with several rows the x tick labels are the
        positions 0, 1, ... (as ``text[i]``), since every row has its own
        symbols.

    cmap : str or Colormap, default="viridis"
        Colormap of the weights.

    vmax : float, default=None
        Weight at the top of the color scale (the bottom is 0); None uses the
        largest weight shown, so that weak focus stays visible. Pass 1.0 to
        compare plots on the same scale.

    colorbar : bool, default=True
        Add a colorbar labelled "Attention weight".

    title : str, default=None
        Title of the plot; None uses "Attention at the output step".

    Returns
    -------
    ax : matplotlib Axes
        The Axes of the heatmap. The heatmap is ``ax.images[0]``, an
        ``AxesImage`` whose array is the weights of shape (n_samples,
        n_steps) as a masked array (masked where NaN); the symbols written
        in the cells are ``ax.texts``.

    Raises
    ------
    TypeError
        If the (last step of the) model has no ``attention_weights`` method.
    ValueError
        If ``labels`` does not match the sequences, or the model was fitted
        with ``attention=False``.

    See Also
    --------
    sklearn_attnrnn.AttentionRNNClassifier.attention_weights : The weights.

    Examples
    --------
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn_attnrnn import AttentionRNNClassifier, CharOneHotEncoder
    >>> from sklearn_attnrnn.plotting import plot_attention
    >>> texts = ["abxa", "bab", "xbb", "abba", "bxa", "aab"] * 5
    >>> y = ["x" if "x" in t else "no x" for t in texts]
    >>> pipe = make_pipeline(
    ...     CharOneHotEncoder(),
    ...     AttentionRNNClassifier(hidden_size=4, max_iter=20, random_state=0),
    ... ).fit(texts, y)
    >>> ax = plot_attention(pipe, ["abxa", "bab"])
    >>> ax.images[0].get_array().shape  # 2 texts x 4 characters (max_length_)
    (2, 4)
    >>> [t.get_text() for t in ax.texts]
    ['a', 'b', 'x', 'a', 'b', 'a', 'b']
    >>> ax.figure.savefig("attention.png")  # doctest: +SKIP
    """
    if isinstance(model, Pipeline):
        final = model[-1]
        encode = model[:-1] if len(model) > 1 else None
    else:
        final, encode = model, None
    if not hasattr(final, "attention_weights"):
        raise TypeError(
            f"{type(final).__name__} has no attention_weights method; "
            "plot_attention needs an attention RNN such as AttentionRNNClassifier "
            "(or a Pipeline ending with one)."
        )
    check_is_fitted(final)
    if labels is None and isinstance(model, Pipeline):
        labels = _symbols_of(X)
    Xt = encode.transform(X) if encode is not None else X
    weights = np.asarray(final.attention_weights(Xt), dtype=float)
    ticks, ylabel = _prediction_labels(final, final.predict(Xt))
    n_rows, n_steps = weights.shape
    lengths = (~np.isnan(weights)).sum(axis=1)

    if labels is not None:
        if len(labels) != n_rows:
            raise ValueError(
                f"labels has {len(labels)} entries but X has {n_rows} sequences; "
                "give one entry (a string or a sequence of symbols) per sequence."
            )
        labels = [list(entry) for entry in labels]
        for i, entry in enumerate(labels):
            if len(entry) != lengths[i]:
                raise ValueError(
                    f"labels[{i}] has {len(entry)} symbols but sequence {i} has "
                    f"{lengths[i]} steps; give one symbol per step."
                )

    if ax is None:
        # About 0.4 inch per cell, within sensible bounds for a screen or page.
        width = float(np.clip(0.4 * n_steps + 2.8, 4.0, 20.0))
        height = float(np.clip(0.4 * n_rows + 1.4, 2.0, 20.0))
        ax = _new_axes((width, height))

    # Masked (NaN) cells are fully transparent: past a sequence's end there is
    # no step, so nothing is drawn there, not a color meaning "weight 0".
    colormap = matplotlib.colormaps.get_cmap(cmap).with_extremes(bad=(0, 0, 0, 0))
    shown = np.ma.masked_invalid(weights)
    top = vmax if vmax is not None else (float(shown.max()) if shown.count() else 1)
    image = ax.imshow(
        shown,
        cmap=colormap,
        vmin=0.0,
        vmax=top,
        aspect="auto",
        interpolation="nearest",
    )

    if annotate and labels is not None:
        for i, entry in enumerate(labels):
            for t, symbol in enumerate(entry):
                # Black on light cells, white on dark ones, whatever the cmap.
                r, g, b, _ = colormap(image.norm(weights[i, t]))
                light = 0.299 * r + 0.587 * g + 0.114 * b > 0.5
                ax.text(
                    t,
                    i,
                    _printable(symbol),
                    ha="center",
                    va="center",
                    color="black" if light else "white",
                    fontsize=9,
                    parse_math=False,
                )

    ax.set_xticks(np.arange(n_steps))
    if labels is not None and n_rows == 1:
        ax.set_xticklabels(
            [_printable(s) for s in labels[0]] + [""] * (n_steps - lengths[0]),
            parse_math=False,
        )
    else:
        ax.set_xticklabels([str(t) for t in range(n_steps)])
    ax.set_xlabel("Character position" if labels is not None else "Step")
    ax.set_yticks(np.arange(n_rows))
    ax.set_yticklabels(ticks, parse_math=False)
    ax.set_ylabel(ylabel)
    ax.set_title(title if title is not None else "Attention at the output step")
    # Thin white lines between cells make rows and steps easy to follow.
    ax.set_xticks(np.arange(n_steps + 1) - 0.5, minor=True)
    ax.set_yticks(np.arange(n_rows + 1) - 0.5, minor=True)
    ax.grid(which="minor", color="white", linewidth=1.0)
    ax.grid(which="major", visible=False)
    ax.tick_params(which="minor", length=0)
    ax.tick_params(which="major", length=0)
    if colorbar:
        ax.figure.colorbar(image, ax=ax, label="Attention weight")
    return ax
