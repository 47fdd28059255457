"""The input contract: every accepted form of X to (values, lengths).

Accepted forms:

- a 2-D array (n_samples, n_steps): univariate sequences of a fixed length
  (``n_features_in_ = n_steps``); NaN at the end of a row shortens it;
- a 3-D array (n_samples, n_steps, n_features): multivariate sequences
  (``n_features_in_ = n_features``); a step whose features are all NaN ends
  the sequence (NaN padding at the end, as tslearn and the UCR archive store
  unequal lengths);
- a list of 2-D arrays (T_i, n_features) of varying lengths; a 1-D object
  array or a pandas Series (a DataFrame column) holding such arrays is read
  the same way;
- a numpy masked array: masked entries are padding, so they must be whole
  steps at the end of a sequence (as NaN padding must).

Collections stored channels-first, ``(n_cases, n_channels, n_timepoints)`` as
aeon and sktime store them, go through ``from_channels_first``.

Everything else gets a ValueError or TypeError that says what and where.
The input is never modified.
"""

import collections.abc
import contextlib
import numbers

import numpy as np
from sklearn.utils.validation import _check_feature_names, check_array, validate_data

FLOAT_DTYPES = (np.float64, np.float32)


def _is_series(X):
    """True for a pandas Series (pandas is not imported for this)."""
    return type(X).__name__ == "Series" and hasattr(X, "iloc") and X.ndim == 1


def _is_dataframe(X):
    return hasattr(X, "columns") and hasattr(X, "iloc")


def _sequence_items(X):
    """The sequences of X when X holds them one per item, else None.

    A list or tuple whose items are 2-D (or sparse matrices, refused later
    with scikit-learn's message), a 1-D object array, or an object pandas
    Series, such as a DataFrame column holding one array per row.
    """
    if isinstance(X, np.ndarray) and X.dtype == object and X.ndim == 1:
        return list(X)
    if _is_series(X) and X.dtype == object:
        return list(X)
    if not isinstance(X, (list, tuple)) or len(X) == 0:
        return None
    first = X[0]
    if isinstance(first, np.ndarray):
        return X if first.ndim == 2 else None
    if hasattr(first, "tocsr"):  # a sparse matrix
        return X
    nested = (
        isinstance(first, (list, tuple))
        and len(first) > 0
        and isinstance(first[0], (list, tuple, np.ndarray))
    )
    return X if nested else None


def _masked_as_nan(X, name="X", *, one_sequence=False):
    """A masked array as a float array with NaN where it is masked.

    Masked entries are read as padding, which is only well-defined when they
    are whole steps at the end of a sequence; anywhere else is an error.
    ``one_sequence``: X is a single (n_steps, n_features) sequence.
    """
    data = np.ma.getdata(X)
    mask = np.ma.getmaskarray(X)
    dtype = data.dtype if data.dtype in FLOAT_DTYPES else np.float64
    if mask.any() and data.ndim in (2, 3):
        if data.ndim == 3:
            steps, axes = mask, ("sample", "step", "feature")
        elif one_sequence:
            steps, axes = mask[None], ("step", "feature")
        else:
            steps, axes = mask[:, :, None], ("sample", "step")
        whole = steps.all(axis=2)
        tail = np.cumprod(whole[:, ::-1], axis=1)[:, ::-1].astype(bool)
        inside = steps & ~tail[:, :, None]
        if inside.any() or tail[:, 0].any():
            if inside.any():
                index = np.argwhere(inside)[0]
                problem = "a masked entry inside a sequence"
            else:
                index = [int(np.flatnonzero(tail[:, 0])[0])]
                problem = "a sequence masked entirely"
            index = index[1:] if one_sequence else index
            where = ", ".join(f"{a} {int(i)}" for a, i in zip(axes, index))
            where = f" ({where})" if where else ""
            raise ValueError(
                f"{name} is a masked array with {problem}{where}. Masked "
                "entries are read as padding, which must be whole steps (all "
                "features) at the end of a sequence, leaving at least one. Fill "
                f"the others ({name}.filled(value)) or pass {name}.data."
            )
    return np.where(mask, np.nan, data).astype(dtype, copy=False)


def _reject_containers(X):
    """Clear errors for containers that are not sequences of numbers."""
    if isinstance(X, (dict, set, frozenset)) and not hasattr(X, "tocsr"):
        # (scipy's dok sparse format is a dict: scikit-learn's sparse error)
        hint = "list(X.values())" if isinstance(X, dict) else "a list"
        raise TypeError(
            f"X is a {type(X).__name__}, not sequences: pass a 2-D or 3-D array "
            "or a list of 2-D arrays (n_steps_i, n_features); for the values of "
            f"a {type(X).__name__} in a fixed order, {hint}."
        )
    if isinstance(X, collections.abc.Iterator) or not (
        hasattr(X, "__len__") or hasattr(X, "__array__")
    ):
        raise TypeError(
            f"X is a {type(X).__name__}, which can be read only once or has no "
            "length: pass list(X) (a list of 2-D arrays (n_steps_i, n_features)) "
            "or an array."
        )


@contextlib.contextmanager
def _cells_must_be_numbers(X):
    """Where a cell of a 2-D/3-D X holds an array: an error that says where,
    instead of numpy's "setting an array element with a sequence"."""
    try:
        yield
    except ValueError as exc:
        if "sequence" not in str(exc):
            raise
        cells = X.to_numpy() if _is_dataframe(X) else np.asarray(X, dtype=object)
        for index in np.ndindex(cells.shape):
            cell = cells[index]
            if np.ndim(cell) > 0 or hasattr(cell, "tocsr"):
                break
        else:
            raise
        column = (
            " For a DataFrame column holding one sequence per row, pass the "
            f"column itself: X[{X.columns[index[1]]!r}]."
            if _is_dataframe(X)
            else ""
        )
        raise ValueError(
            f"X[{', '.join(map(str, index))}] holds a {type(cell).__name__}, not a "
            "number: every cell of a 2-D or 3-D X is one value. Pass sequences "
            "of varying lengths as a list of 2-D arrays (n_steps_i, n_features), "
            f"or a 1-D object array or pandas Series of them.{column}"
        ) from None


def _stack_ragged(X):
    """Pad a list of (T_i, F) arrays with NaN into one (N, max T_i, F) array."""
    seqs = []
    for i, seq in enumerate(X):
        if isinstance(seq, str) or not hasattr(seq, "__len__"):
            raise TypeError(
                f"X is a list of sequences, but item {i} is a {type(seq).__name__}, "
                "not a 2-D array of shape (n_steps, n_features)."
            )
        if isinstance(seq, np.ma.MaskedArray):
            seq = _masked_as_nan(seq, f"X[{i}]", one_sequence=True)
        arr = check_array(
            seq,
            dtype=FLOAT_DTYPES,
            ensure_all_finite="allow-nan",
            ensure_2d=False,
            ensure_min_samples=0,
            ensure_min_features=0,
            input_name=f"X[{i}]",
        )
        if arr.ndim != 2:
            raise ValueError(
                f"X is a list of sequences, but item {i} has {arr.ndim} "
                "dimension(s); each sequence must be 2-D (n_steps, n_features)"
                + (" (a univariate one: .reshape(-1, 1))." if arr.ndim == 1 else ".")
            )
        if arr.shape[0] == 0:
            raise ValueError(f"X[{i}] is an empty sequence (0 steps).")
        seqs.append(arr)
    n_features = {s.shape[1] for s in seqs}
    if len(n_features) > 1:
        counts = [s.shape[1] for s in seqs]
        odd = next(i for i, c in enumerate(counts) if c != counts[0])
        rows = {s.shape[0] for s in seqs}
        channels_first = (
            f" Every item has {rows.pop()} rows: if the items are channels-first "
            "(n_channels, n_timepoints), as aeon and sktime store them, pass "
            "from_channels_first(X)."
            if len(rows) == 1
            else ""
        )
        raise ValueError(
            "All sequences in X must have the same number of features; "
            f"X[0] has {counts[0]} and X[{odd}] has {counts[odd]}.{channels_first}"
        )
    dtype = np.float32 if all(s.dtype == np.float32 for s in seqs) else np.float64
    out = np.full(
        (len(seqs), max(len(s) for s in seqs), n_features.pop()), np.nan, dtype
    )
    for i, s in enumerate(seqs):
        out[i, : len(s)] = s
    return out


def from_channels_first(X):
    """Channels-first collections (aeon, sktime) in the estimators' layout.

    aeon and sktime store a collection of time series channels-first: a 3-D
    array ``(n_cases, n_channels, n_timepoints)``, or, for unequal lengths, a
    list of 2-D arrays ``(n_channels, n_timepoints_i)``. The estimators read
    steps first: ``(n_samples, n_steps, n_features)`` and lists of
    ``(n_steps_i, n_features)``. A 3-D array passed as it is would be read as
    ``n_channels`` steps of ``n_timepoints`` features, which nothing can tell
    from a legitimate input; pass it through this function. Read more in
    the user guide: :ref:`input-formats-channels-first`.

    Parameters
    ----------
    X : array-like of shape (n_cases, n_channels, n_timepoints), or list, \
            1-D object array or pandas Series of arrays of shape \
            (n_channels, n_timepoints_i)
        A collection stored channels-first. A 2-D array
        ``(n_cases, n_timepoints)`` (univariate, as aeon also accepts) is
        already in the estimators' 2-D form and is returned as it is.

    Returns
    -------
    X_steps_first : ndarray of shape (n_cases, n_timepoints, n_channels) or \
            list of ndarray of shape (n_timepoints_i, n_channels)
        Transposed views of X (nothing is copied); NaN padding at the end of
        the time axis stays padding.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_attnrnn import from_channels_first
    >>> X = np.zeros((40, 6, 100))  # aeon's BasicMotions: 6 channels, 100 steps
    >>> from_channels_first(X).shape
    (40, 100, 6)
    >>> [x.shape for x in from_channels_first([np.zeros((1, 5)), np.zeros((1, 3))])]
    [(5, 1), (3, 1)]

    In a pipeline:

    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import FunctionTransformer
    >>> from sklearn_attnrnn import AttentionRNNClassifier, SequenceStandardScaler
    >>> model = make_pipeline(
    ...     FunctionTransformer(from_channels_first),
    ...     SequenceStandardScaler(),
    ...     AttentionRNNClassifier(),
    ... )
    """
    if X is None or isinstance(X, (str, bytes, numbers.Number)):
        raise ValueError(
            "Expected a channels-first collection: a 3-D array (n_cases, "
            "n_channels, n_timepoints) or a list of 2-D arrays (n_channels, "
            f"n_timepoints_i); got {type(X).__name__}."
        )
    if _is_dataframe(X):
        raise TypeError(
            "X is a DataFrame; from_channels_first takes a 3-D array (n_cases, "
            "n_channels, n_timepoints) or a list of 2-D arrays (n_channels, "
            "n_timepoints_i). Convert sktime's nested DataFrame to one of these "
            "first (its 'numpy3D' or 'np-list' mtypes)."
        )
    items = _sequence_items(X)
    if items is None and isinstance(X, (list, tuple)):
        items = X  # a list of (n_channels, T_i) arrays whose first is not 2-D
    if items is not None:
        out = []
        for i, item in enumerate(items):
            item = np.asarray(item) if not hasattr(item, "T") else item
            if getattr(item, "ndim", None) != 2:
                raise ValueError(
                    f"X[{i}] has shape {np.shape(item)}; each case of a "
                    "channels-first list must be 2-D (n_channels, n_timepoints_i)"
                    " (a univariate one: x.reshape(1, -1))."
                )
            out.append(item.T)
        return out
    _reject_containers(X)
    array = X if isinstance(X, np.ndarray) else np.asarray(X)  # masks kept
    if array.ndim == 2:
        return X
    if array.ndim != 3:
        raise ValueError(
            "Expected a channels-first collection: a 3-D array (n_cases, "
            "n_channels, n_timepoints) or a list of 2-D arrays (n_channels, "
            f"n_timepoints_i); got an array of shape {array.shape}."
        )
    return array.transpose(0, 2, 1)


def sequence_lengths(values):
    """Lengths of NaN-padded sequences, after checking where the NaN are.

    Parameters
    ----------
    values : ndarray of shape (n_samples, n_steps, n_features)
        Sequences, padded at the end with steps whose features are all NaN.

    Returns
    -------
    lengths : ndarray of shape (n_samples,), dtype=int64
        The number of steps before the trailing all-NaN steps.

    Raises
    ------
    ValueError
        If a NaN stands anywhere else, or a sequence has no step at all.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1.0, 2.0, np.nan], [1.0, 2.0, 3.0]])[:, :, None]
    >>> sequence_lengths(X).tolist()
    [2, 3]
    """
    nan = np.isnan(values)
    empty_step = nan.all(axis=2)
    n_steps = values.shape[1]
    trailing = np.cumprod(empty_step[:, ::-1], axis=1).sum(axis=1)
    lengths = (n_steps - trailing).astype(np.int64)
    if (lengths == 0).any():
        i = int(np.flatnonzero(lengths == 0)[0])
        raise ValueError(
            f"Sample {i} of X is an empty sequence: all its steps are NaN. "
            "Every sequence needs at least one step."
        )
    inside = nan.any(axis=2) & (np.arange(n_steps)[None, :] < lengths[:, None])
    if inside.any():
        i, t = (int(v) for v in np.argwhere(inside)[0])
        raise ValueError(
            f"X contains NaN at sample {i}, step {t}, inside the sequence. NaN "
            "is only allowed as padding: whole steps (all features NaN) at the "
            "end of a sequence."
        )
    return lengths


def check_sequences(estimator, X, *, reset, n_step_features=None, return_form=False):
    """Validate X in any accepted form and return (values, lengths).

    Sets (``reset=True``) or checks (``reset=False``) ``n_features_in_`` and
    ``feature_names_in_`` as scikit-learn's ``validate_data`` does.

    Parameters
    ----------
    estimator : estimator instance
        The estimator whose input this is.
    X : array-like or list of array-like
        2-D (n_samples, n_steps), 3-D (n_samples, n_steps, n_features), or a
        list of 2-D (n_steps_i, n_features) arrays.
    reset : bool
        True in ``fit``; False where the fitted estimator checks new data.
    n_step_features : int, default=None
        With ``reset=False``: the number of features per step the estimator
        was fitted with.
    return_form : bool, default=False
        Also return which form X had: ``"2d"`` (univariate rows) or
        ``"3d"`` (a 3-D array or a list of sequences), so that a transformer
        can hand back the form it was given.

    Returns
    -------
    values : ndarray of shape (n_samples, n_steps, n_step_features)
        float64 or float32 (kept from the input), with the NaN padding set
        to 0 (a copy then; without padding, possibly ``X`` itself: treat it
        as read-only).
    lengths : ndarray of shape (n_samples,)
        The number of real steps of each sequence.
    form : {"2d", "3d"}
        Only with ``return_form=True``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.base import BaseEstimator
    >>> est = BaseEstimator()
    >>> values, lengths = check_sequences(est, [np.ones((3, 2)), np.ones((1, 2))],
    ...                                   reset=True)
    >>> values.shape, lengths.tolist(), est.n_features_in_
    ((2, 3, 2), [3, 1], 2)
    """
    if X is None:
        raise ValueError("X is None; expected sequences of numbers.")
    if isinstance(X, np.ma.MaskedArray):
        X = _masked_as_nan(X)
    items = _sequence_items(X)
    if items is not None:
        values = _stack_ragged(items)
        _check_feature_names(estimator, values, reset=reset)
    else:
        if isinstance(X, (str, bytes, numbers.Number)):
            raise ValueError(
                f"Expected sequences, got a scalar {type(X).__name__}: {X!r}."
            )
        _reject_containers(X)
        ndim = getattr(X, "ndim", None)
        if ndim is None:
            try:
                ndim = np.asarray(X).ndim
            except ValueError as exc:  # a ragged nested list
                raise ValueError(
                    "X is a nested list that is not rectangular; pass sequences "
                    "of varying lengths as a list of 2-D arrays (n_steps_i, "
                    f"n_features) instead. ({exc})"
                ) from None
        if ndim == 2 or (ndim != 3 and hasattr(X, "tocsr")):
            if not reset and n_step_features not in (None, 1):
                raise ValueError(
                    "X is 2-D, which means univariate sequences (1 feature per "
                    f"step), but {type(estimator).__name__} was fitted on "
                    f"sequences with {n_step_features} features per step; pass a "
                    "3-D array or a list of 2-D arrays."
                )
            # Finiteness is checked once, in _finish (one pass over X).
            check = dict(dtype=FLOAT_DTYPES, ensure_all_finite=False)
            with _cells_must_be_numbers(X):
                if reset or getattr(estimator, "_fitted_on_2d", True):
                    values = validate_data(estimator, X, reset=reset, **check)
                else:  # fitted on 3-D univariate sequences: any width will do
                    values = check_array(X, **check)
            values = values[:, :, None]
            if reset:
                estimator._fitted_on_2d = True
            return _finish(values, estimator) + (("2d",) if return_form else ())
        with _cells_must_be_numbers(X):
            values = check_array(
                X,
                dtype=FLOAT_DTYPES,
                ensure_all_finite=False,
                allow_nd=True,
                ensure_2d=False,
            )
        if values.ndim != 3:
            raise ValueError(
                f"Expected a 2-D array (n_samples, n_steps), a 3-D array "
                "(n_samples, n_steps, n_features) or a list of 2-D arrays; got "
                f"an array with {values.ndim} dimension(s) of shape {values.shape}. "
                "Reshape your data: a single univariate sequence is X.reshape(1, -1)."
            )
        if values.shape[1] == 0 or values.shape[2] == 0:
            raise ValueError(
                f"X of shape {values.shape} has no steps or no features; every "
                "sequence needs at least one step of at least one feature."
            )
        _check_feature_names(estimator, values, reset=reset)
    n_features = values.shape[2]
    name = type(estimator).__name__
    if reset:
        estimator.n_features_in_ = n_features
        estimator._fitted_on_2d = False
    elif n_step_features is not None and n_features != n_step_features:
        channels_first = (
            f" X has {n_step_features} steps: if it is channels-first (n_cases, "
            "n_channels, n_timepoints), as aeon and sktime store it, pass "
            "from_channels_first(X)."
            if values.shape[1] == n_step_features
            else ""
        )
        raise ValueError(
            f"X has {n_features} features, but {name} is expecting "
            f"{n_step_features} features as input.{channels_first}"
        )
    return _finish(values, estimator) + (("3d",) if return_form else ())


def _finish(values, estimator=None):
    """Check finiteness; lengths from the NaN padding; values with 0 there.

    Without any NaN, ``values`` is returned as it is (possibly the caller's
    array: nothing downstream writes into it); with padding, a copy.
    """
    if values.shape[0] == 0:
        raise ValueError(
            f"Found array with 0 sample(s) (shape={values.shape}) while a "
            "minimum of 1 is required."
        )
    with np.errstate(over="ignore", invalid="ignore"):  # inf: checked below
        total = np.sum(values)
    if np.isfinite(total):
        # The one pass over X on the fast path: a finite sum means no NaN and
        # no inf anywhere, so every sequence has every step.
        return values, np.full(values.shape[0], values.shape[1], np.int64)
    # NaN (padding), inf, or a sum that overflowed: scikit-learn's own check
    # rejects inf with its usual message, then the NaN must be padding.
    check_array(
        values,
        dtype=None,
        ensure_all_finite="allow-nan",
        allow_nd=True,
        ensure_2d=False,
        ensure_min_features=0,
        estimator=estimator,
        input_name="X",
    )
    lengths = sequence_lengths(values)
    return np.nan_to_num(values, nan=0.0, copy=True), lengths


def to_time_major(values, lengths):
    """A batch as the core wants it: (T, N, F) contiguous, T = longest length
    (or (T, N) for integer codes (N, T)).

    Examples
    --------
    >>> import numpy as np
    >>> to_time_major(np.zeros((4, 6, 2)), np.array([2, 3, 1, 1])).shape
    (3, 4, 2)
    >>> to_time_major(np.zeros((4, 6), int), np.array([2, 3, 1, 1])).shape
    (3, 4)
    """
    T = int(lengths.max())
    return np.ascontiguousarray(np.swapaxes(values[:, :T], 0, 1))
