"""Texts: their validation and encoding, and CharOneHotEncoder.

The functions at the top are the one text path of the package: the encoder
and :class:`~sklearn_attnrnn.CharLanguageModel` both validate texts with
:func:`check_texts`, turn them into code points with
:func:`texts_to_code_points`, learn their alphabet with :func:`alphabet` and
map characters to indices with :func:`lookup`, so that the same bad input
gets the same error from both.

:class:`CharOneHotEncoder` one-hot encodes texts and symbol sequences into
the package's sequence format: an array of shape (n_samples, n_steps,
n_features) in which a step whose features are all NaN ends the sequence.
"""

import numbers

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.validation import (
    _check_feature_names_in,
    check_array,
    check_is_fitted,
    validate_data,
)

from ._docs import DocLinkMixin

# How the fitted input was read; transform and inverse_transform follow it.
_TEXT_1D = "1d_text"  # one string per sample, split into characters
_TEXT_2D = "2d_text"  # a single column of strings, one text per row
_SYMBOLS_2D = "2d_symbols"  # one symbol per cell, a row is a sequence


# ----------------------------------------------------------------------
# Texts: validation, alphabet and encoding, shared by CharOneHotEncoder and
# CharLanguageModel (the same bad input gets the same error from both).
# ----------------------------------------------------------------------
def _reject_non_collections(X, name="X"):
    """Errors for what is no collection of texts at all: None, bytes, a scalar."""
    if X is None:
        raise ValueError(
            f"{name} is None; expected an array-like of strings, one text per sample."
        )
    if isinstance(X, (bytes, bytearray)):
        raise TypeError(
            f"{name} is {type(X).__name__}; expected str. Decode it first, e.g. "
            f"{name}.decode('utf-8')."
        )
    ndim = getattr(X, "ndim", None)
    if ndim == 0 or (
        ndim is None and not hasattr(X, "__len__") and not hasattr(X, "__array__")
    ):
        raise ValueError(
            f"{name} is a scalar {type(X).__name__}; expected an array-like of "
            "strings, one text per sample."
        )


def check_texts(X, name="X"):
    """Validate X as a 1-D array-like of texts.

    Parameters
    ----------
    X : array-like of str of shape (n_samples,)
        A list, tuple, 1-D array or Series of strings.
    name : str, default="X"
        How error messages call X.

    Returns
    -------
    texts : ndarray of object of shape (n_samples,)
        The strings.

    Raises
    ------
    ValueError
        For None, a scalar, an array that is not 1-D, a 1-D array of numbers,
        or no text at all.
    TypeError
        For bytes, or an item that is not a str (naming the first one).

    Examples
    --------
    >>> check_texts(["ab", "c"])
    array(['ab', 'c'], dtype=object)
    >>> check_texts(["ab", 3])
    Traceback (most recent call last):
    ...
    TypeError: Sample 1 of X is of type int (3), not str; ...
    """
    _reject_non_collections(X, name)
    if not hasattr(X, "__len__"):  # an array-like known by its __array__ only
        X = np.asarray(X, dtype=object)
    ndim = getattr(X, "ndim", 1)
    if ndim != 1:
        raise ValueError(
            f"{name} is a {ndim}-D array; expected a 1-D array-like of strings, "
            "one text per sample."
        )
    dtype = getattr(X, "dtype", None)
    if isinstance(dtype, np.dtype) and dtype.kind in "biufc":
        raise ValueError(
            f"{name} is a 1-D array of {dtype}; expected strings, one text per "
            "sample. Reshape your data: sequences of numeric symbols are a 2-D "
            "array of shape (n_samples, n_steps), e.g. X.reshape(1, -1) for a "
            "single sequence (CharOneHotEncoder reads them)."
        )
    items = list(X)
    texts = np.empty(len(items), dtype=object)  # never 2-D, whatever the items
    texts[:] = items
    if not len(texts):
        raise ValueError(
            f"Found array with 0 sample(s) (shape=(0,)) while a minimum of 1 is "
            f"required: {name} has no text."
        )
    is_str = np.fromiter((isinstance(t, str) for t in texts), bool, len(texts))
    if not is_str.all():
        i = int(np.flatnonzero(~is_str)[0])
        item = texts[i]
        hint = ""
        if item is None or (isinstance(item, float) and np.isnan(item)):
            hint = " Missing values are not supported."
        elif isinstance(item, (list, tuple, np.ndarray)):
            hint = (
                " Sequences of symbols must be given as a rectangular 2-D array "
                "(all rows of the same length)."
            )
        shown = repr(item)
        shown = shown if len(shown) <= 40 else shown[:37] + "..."
        raise TypeError(
            f"Sample {i} of {name} is of type {type(item).__name__} ({shown}), not "
            f"str; every sample must be a string of characters.{hint}"
        )
    return texts


def texts_to_code_points(texts, name="X", *, before="", after="", allow_empty=False):
    """Code points of all characters, concatenated, and the length of each text.

    Parameters
    ----------
    texts : sequence of str
        Validated texts (:func:`check_texts`).
    name : str, default="X"
        How error messages call the texts.
    before, after : str, default=""
        Put before and after every text (a language model's markers); they
        count in the lengths.
    allow_empty : bool, default=False
        Whether a text may be empty (a prefix after a start marker).

    Returns
    -------
    points : ndarray of uint32
        The code points of every text (with ``before`` and ``after``), one after
        the other.
    lengths : ndarray of intp of shape (n_texts,)

    Examples
    --------
    >>> texts_to_code_points(["ab", "c"], after=".")
    (array([97, 98, 46, 99, 46], dtype=uint32), array([3, 2]))
    """
    lengths = np.fromiter(map(len, texts), np.intp, len(texts))
    if not allow_empty and (lengths == 0).any():
        i = int(np.flatnonzero(lengths == 0)[0])
        raise ValueError(
            f"Sample {i} of {name} is an empty string. An empty sequence cannot be "
            "encoded: the model needs at least one step per sequence."
        )
    # One encode call turns every character into a 4-byte code point: no
    # per-character Python loop. surrogatepass keeps lone surrogates intact.
    if before or after:
        joined = "".join(before + t + after for t in texts)
    else:
        joined = "".join(texts)
    points = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), "<u4")
    return points, lengths + len(before) + len(after)


def alphabet(points):
    """The sorted distinct characters of code points, as a list of str.

    Examples
    --------
    >>> alphabet(texts_to_code_points(["hello"])[0])
    ['e', 'h', 'l', 'o']
    """
    return [chr(c) for c in np.unique(points).tolist()]


def lookup(keys, values):
    """Index of every value in the sorted ``keys``, and whether it is there.

    Sorted keys: one binary search maps every symbol at once.

    Examples
    --------
    >>> lookup(np.array([97, 98]), np.array([98, 120, 97]))
    (array([1, 1, 0]), array([ True, False,  True]))
    """
    idx = np.searchsorted(keys, values)
    np.minimum(idx, len(keys) - 1, out=idx)
    return idx, np.asarray(keys[idx] == values, dtype=bool)


def character_keys(chars):
    """The code points of single characters (sorted characters: sorted keys)."""
    return np.fromiter(map(ord, chars), np.uint32, len(chars))


def unknown_symbols_error(name, i, unknown, *, text, known_as, remedy):
    """The error for symbols of sample i of ``name`` outside the known ones.

    ``unknown`` holds the sample's unknown code points (``text``) or symbols.
    """
    uniq = np.unique(unknown)
    symbols = [chr(c) for c in uniq.tolist()] if text else uniq.tolist()
    shown = symbols[:10] + (["..."] if len(symbols) > 10 else [])
    return ValueError(
        f"Sample {i} of {name} contains symbol(s) not in {known_as}: {shown}. {remedy}"
    )


def _ndim(X):
    """Number of dimensions of X, with clear errors for non-array input."""
    _reject_non_collections(X)
    if isinstance(X, str):
        raise ValueError(
            "X is a single string; expected an array-like of strings (one text "
            "per sample), e.g. [X]."
        )
    ndim = getattr(X, "ndim", None)
    if ndim is None:
        try:
            ndim = np.asarray(X, dtype=object).ndim
        except ValueError as exc:
            raise ValueError(
                "X could not be read as an array: its rows do not have a "
                "consistent shape. Pass a 1-D array-like of strings, or a "
                "rectangular 2-D array of symbols."
            ) from exc
    return ndim


def _symbols_to_values(arr):
    """Flatten a validated 2-D array of symbols to numbers or Python strings."""
    kind = arr.dtype.kind
    if kind in "biuf":
        return arr.ravel()
    flat = arr.astype(object).ravel()
    if kind != "O":
        return np.array([str(v) for v in flat], dtype=object)
    is_str = np.fromiter((isinstance(v, str) for v in flat), bool, flat.size)
    if is_str.all():
        return flat
    is_none = np.fromiter((v is None for v in flat), bool, flat.size)
    if is_none.any():
        i, j = divmod(int(np.flatnonzero(is_none)[0]), arr.shape[1])
        raise ValueError(
            f"X[{i}, {j}] is None. Missing symbols are not supported: every cell "
            "of a 2-D input is one step of its row's sequence."
        )
    if not is_str.any() and all(isinstance(v, numbers.Real) for v in flat):
        # Object array of numbers (e.g. a DataFrame's object column): numeric.
        numeric = np.array(flat.tolist())
        if numeric.dtype.kind in "biuf":
            return numeric
    # Mixed types compare as their text, as np.asarray does for a mixed list.
    return np.array([str(v) for v in flat], dtype=object)


class CharOneHotEncoder(
    DocLinkMixin, TransformerMixin, BaseEstimator, auto_wrap_output_keys=None
):
    """One-hot encode texts (or symbol sequences) into padded 3-D arrays.

    Each sample is a sequence of symbols: the characters of a string, or the
    cells of a row of a 2-D array. Every symbol becomes a one-hot vector over
    the sorted symbols seen in :meth:`fit`, so that a batch becomes an array of
    shape (n_samples, n_steps, n_categories). Shorter sequences are padded at
    the end with steps whose features are all NaN, the package's marker for
    the end of a sequence.

    Read more in the user guide: :ref:`input-formats`.

    Parameters
    ----------
    max_length : int, default=None
        Number of steps of the output. None uses the longest sequence seen in
        :meth:`fit`. A longer sequence raises a ValueError (in fit and in
        transform); nothing is truncated silently.

    handle_unknown : {'error', 'ignore'}, default='error'
        What :meth:`transform` does with a symbol not seen in :meth:`fit`:
        'error' raises a ValueError naming the symbols and the sample; 'ignore'
        encodes it as an all-zero step (a real step, not the NaN end marker).

    dtype : {np.float64, np.float32}, default=np.float64
        Data type of the output.

    Attributes
    ----------
    categories_ : ndarray of shape (n_categories,)
        The sorted distinct symbols seen in fit, the order of the last output
        axis. Object dtype (Python str) for text and string symbols; the
        input's numeric dtype for numeric symbols.

    max_length_ : int
        Number of steps of the output of :meth:`transform`.

    n_features_in_ : int
        Number of columns of a 2-D input seen in fit. Not set for 1-D text
        input (like :class:`~sklearn.feature_extraction.text.CountVectorizer`).

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names of a DataFrame seen in fit, when they are all strings.

    See Also
    --------
    sklearn.preprocessing.OneHotEncoder : One-hot encoding of tabular features.

    Notes
    -----
    Accepted input:

    - a 1-D array-like of strings (list, tuple, ndarray, pandas Series): each
      string is split into its characters;
    - a 2-D array or DataFrame with a single column of strings: one text per
      row, read as above, so that the encoder accepts the column a
      ColumnTransformer or a DataFrame selection hands over;
    - any other 2-D array or DataFrame: each row is a sequence of symbols, one
      per cell. The symbols are numbers if every cell is a number, otherwise
      strings (cells that are not strings are compared as ``str(cell)``, as
      ``np.asarray`` does for a list that mixes them). NaN, inf and None are
      rejected.

    A 1-D array of numbers is rejected: use a 2-D array of shape
    (n_samples, n_steps) for numeric symbols.

    The output is 3-D, so it cannot be returned as a DataFrame: ``set_output``
    is not available and the global ``transform_output`` setting is ignored.
    For the same reason the encoder cannot be a step of a
    :class:`~sklearn.compose.ColumnTransformer`, which requires every
    transformer's output to be 2-D.

    Examples
    --------
    >>> from sklearn_attnrnn._text import CharOneHotEncoder
    >>> enc = CharOneHotEncoder().fit(["hello", "hi"])
    >>> enc.categories_
    array(['e', 'h', 'i', 'l', 'o'], dtype=object)
    >>> X = enc.transform(["hi", "oh"])
    >>> X.shape
    (2, 5, 5)
    >>> X[0, :3]
    array([[ 0.,  1.,  0.,  0.,  0.],
           [ 0.,  0.,  1.,  0.,  0.],
           [nan, nan, nan, nan, nan]])
    >>> enc.inverse_transform(X)
    array(['hi', 'oh'], dtype=object)
    """

    _parameter_constraints: dict = {
        "max_length": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "handle_unknown": [StrOptions({"error", "ignore"})],
        "dtype": [Options(type, {np.float64, np.float32})],
    }

    def __init__(self, *, max_length=None, handle_unknown="error", dtype=np.float64):
        self.max_length = max_length
        self.handle_unknown = handle_unknown
        self.dtype = dtype

    def _read(self, X, *, reset):
        """Validate X and return (form, flat symbols, sequence lengths)."""
        ndim = _ndim(X)
        form = None if reset else self._input_form
        name = type(self).__name__
        if form == _TEXT_1D or (form is None and ndim == 1):
            if ndim != 1:
                raise ValueError(
                    f"{name} was fitted on a 1-D array of texts, but X is "
                    f"{ndim}-D. Pass a 1-D array-like of strings."
                )
            codes, lengths = texts_to_code_points(check_texts(X))
            if reset:
                # A refit on texts must not keep a previous 2-D fit's names.
                for attr in ("n_features_in_", "feature_names_in_"):
                    if hasattr(self, attr):
                        delattr(self, attr)
            return _TEXT_1D, codes, lengths
        if ndim > 2:
            raise ValueError(
                f"X has {ndim} dimensions; expected a 1-D array-like of strings or "
                "a 2-D array of symbols (n_samples, n_steps)."
            )
        arr = validate_data(self, X, reset=reset, dtype=None, ensure_all_finite=True)
        if form is None:
            is_text = arr.shape[1] == 1 and (
                arr.dtype.kind == "U"
                or (arr.dtype == object and any(isinstance(v, str) for v in arr[:, 0]))
            )
            form = _TEXT_2D if is_text else _SYMBOLS_2D
        if form == _TEXT_2D:
            codes, lengths = texts_to_code_points(check_texts(arr[:, 0]))
            return form, codes, lengths
        values = _symbols_to_values(arr)
        return form, values, np.full(arr.shape[0], arr.shape[1], dtype=np.intp)

    def _check_lengths(self, lengths, limit, source):
        too_long = lengths > limit
        if too_long.any():
            i = int(np.flatnonzero(too_long)[0])
            raise ValueError(
                f"Sample {i} of X has length {int(lengths[i])}, longer than the "
                f"{limit} steps allowed ({source}). Longer sequences are not "
                "truncated: shorten them or set a larger max_length."
            )

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Learn the symbols and the number of output steps.

        Parameters
        ----------
        X : array-like of str of shape (n_samples,) or array-like of shape \
                (n_samples, n_steps)
            Texts, one per sample, or sequences of symbols, one per row (a
            single column of strings is read as one text per row).

        y : None
            Ignored.

        Returns
        -------
        self : object
            The fitted encoder.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_attnrnn._text import CharOneHotEncoder
        >>> enc = CharOneHotEncoder().fit(np.array([[3, 1, 2], [1, 1, 1]]))
        >>> enc.categories_, enc.max_length_, enc.n_features_in_
        (array([1, 2, 3]), 3, 3)
        """
        form, values, lengths = self._read(X, reset=True)
        if self.max_length is not None:
            self._check_lengths(lengths, self.max_length, "max_length")
        if form == _SYMBOLS_2D:
            self.categories_ = np.unique(values)
        else:
            self.categories_ = np.array(alphabet(values), dtype=object)
        self.max_length_ = int(
            self.max_length if self.max_length is not None else lengths.max()
        )
        self._input_form = form
        return self

    def transform(self, X):
        """One-hot encode X into a NaN-padded 3-D array.

        Parameters
        ----------
        X : array-like of str of shape (n_samples,) or array-like of shape \
                (n_samples, n_steps)
            Input of the same form as in :meth:`fit`.

        Returns
        -------
        X_out : ndarray of shape (n_samples, `max_length_`, n_categories)
            Step t of sample i is the one-hot vector of its t-th symbol (all
            zeros for an unknown symbol with ``handle_unknown='ignore'``);
            the steps after the end of the sequence are all NaN.

        Examples
        --------
        >>> from sklearn_attnrnn._text import CharOneHotEncoder
        >>> enc = CharOneHotEncoder(handle_unknown="ignore").fit(["ab"])
        >>> enc.transform(["bx"])
        array([[[0., 1.],
                [0., 0.]]])
        """
        check_is_fitted(self)
        form, values, lengths = self._read(X, reset=False)
        source = (
            "max_length"
            if self.max_length is not None
            else "max_length=None: the longest sequence seen in fit"
        )
        self._check_lengths(lengths, self.max_length_, source)

        if form == _SYMBOLS_2D:
            keys = self.categories_
            fitted_str, given_str = keys.dtype == object, values.dtype == object
            if fitted_str != given_str:
                kinds = {True: "strings", False: "numbers"}
                raise TypeError(
                    f"{type(self).__name__} was fitted on symbols that are "
                    f"{kinds[fitted_str]}, but X contains {kinds[given_str]}."
                )
        else:
            keys = character_keys(self.categories_)
        idx, known = lookup(keys, values)

        n = lengths.shape[0]
        rows = np.repeat(np.arange(n), lengths)
        if not known.all() and self.handle_unknown == "error":
            i = int(rows[np.flatnonzero(~known)[0]])
            raise unknown_symbols_error(
                "X",
                i,
                values[(rows == i) & ~known],
                text=form != _SYMBOLS_2D,
                known_as="the symbols seen in fit (categories_)",
                remedy="Use handle_unknown='ignore' to encode unknown symbols as "
                "all-zero steps.",
            )

        starts = np.cumsum(lengths) - lengths
        steps = np.arange(values.shape[0]) - np.repeat(starts, lengths)
        out = np.full((n, self.max_length_, len(keys)), np.nan, dtype=self.dtype)
        out[np.arange(self.max_length_) < lengths[:, None]] = 0
        out[rows[known], steps[known], idx[known]] = 1
        return out

    def inverse_transform(self, X):
        """Decode a 3-D one-hot array back to the form of the fitted input.

        Each step decodes to the category of its largest value (argmax); an
        all-zero step (an unknown symbol encoded with
        ``handle_unknown='ignore'``) decodes to ``''`` in texts and to None in
        2-D symbol input. A sequence ends at its first all-NaN step.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_steps, n_categories)
            Encoded sequences, e.g. the output of :meth:`transform`.

        Returns
        -------
        X_original : ndarray of object dtype
            - fitted on 1-D texts: shape (n_samples,), of str;
            - fitted on a single column of texts: shape (n_samples, 1), of str;
            - fitted on 2-D symbols: shape (n_samples, ``n_features_in_``), of the
              symbols (Python numbers or str), with None after the end of a
              shorter sequence.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_attnrnn._text import CharOneHotEncoder
        >>> enc = CharOneHotEncoder().fit([["a", "b"], ["b", "c"]])
        >>> enc.inverse_transform(enc.transform([["c", "a"]]))
        array([['c', 'a']], dtype=object)
        """
        check_is_fitted(self)
        X = check_array(
            X,
            dtype=(np.float64, np.float32),
            ensure_all_finite="allow-nan",
            allow_nd=True,
            ensure_2d=False,
            input_name="X",
        )
        k = len(self.categories_)
        if X.ndim != 3 or X.shape[2] != k:
            raise ValueError(
                f"X has shape {X.shape}; expected a 3-D array of shape "
                f"(n_samples, n_steps, {k}), one feature per category."
            )
        nan = np.isnan(X)
        ended = np.logical_or.accumulate(nan.all(axis=2), axis=1)
        valid = ~ended
        partial = nan.any(axis=2) & valid
        if partial.any():
            i, t = (int(v) for v in np.argwhere(partial)[0])
            raise ValueError(
                f"X has NaN in some but not all features of sample {i}, step {t}. "
                "Only whole steps of NaN (the end of a sequence) are allowed."
            )
        steps = X[valid]
        # Index k stands for an all-zero (unknown) step.
        idx = np.where((steps != 0).any(axis=1), steps.argmax(axis=1), k)
        lengths = valid.sum(axis=1)

        if self._input_form == _SYMBOLS_2D:
            width = self.n_features_in_
            if (lengths > width).any():
                i = int(np.flatnonzero(lengths > width)[0])
                raise ValueError(
                    f"Sample {i} of X has {int(lengths[i])} steps, but the encoder "
                    f"was fitted on rows of {width} symbols."
                )
            symbols = np.append(self.categories_.astype(object), None)
            out = np.full((X.shape[0], width), None, dtype=object)
            n_steps = min(width, X.shape[1])
            mask = np.zeros(out.shape, dtype=bool)
            mask[:, :n_steps] = valid[:, :n_steps]
            out[mask] = symbols[idx]
            return out

        chars = np.append(self.categories_, "")[idx]
        texts = np.empty(X.shape[0], dtype=object)
        texts[:] = ["".join(c) for c in np.split(chars, np.cumsum(lengths)[:-1])]
        return texts[:, None] if self._input_form == _TEXT_2D else texts

    def get_feature_names_out(self, input_features=None):
        """Names of the features of the last output axis, one per category.

        The output of :meth:`transform` is 3-D: these names describe its last
        axis (the categories), not its second axis (the steps).

        Parameters
        ----------
        input_features : array-like of str, default=None
            Checked against ``feature_names_in_`` / ``n_features_in_`` when
            the encoder was fitted on 2-D input, as scikit-learn does; ignored
            for 1-D text input. It does not change the names.

        Returns
        -------
        feature_names_out : ndarray of str objects of shape (n_categories,)
            ``"char_<symbol>"`` for each category, e.g. ``"char_a"`` or
            ``"char_3"`` (numbers are written with ``str``: a float category
            3.0 gives ``"char_3.0"``).

        Examples
        --------
        >>> from sklearn_attnrnn._text import CharOneHotEncoder
        >>> CharOneHotEncoder().fit(["ba"]).get_feature_names_out()
        array(['char_a', 'char_b'], dtype=object)
        """
        check_is_fitted(self)
        if hasattr(self, "n_features_in_"):
            _check_feature_names_in(self, input_features)
        return np.asarray([f"char_{c}" for c in self.categories_], dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        # Every symbol is a category (like OneHotEncoder): numbers are matched
        # exactly, never treated as continuous values.
        tags.input_tags.categorical = True
        # The output dtype is the dtype parameter whatever the input's dtype.
        tags.transformer_tags.preserves_dtype = (
            [np.dtype(self.dtype).name]
            if self.dtype in (np.float64, np.float32)
            else []
        )
        return tags
