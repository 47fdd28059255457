"""Standardization of sequences: StandardScaler over the real steps.

scikit-learn's ``StandardScaler`` refuses 3-D and ragged input. This scaler
reads X through the estimators' input contract (``_sequences``), computes its
statistics over the real steps only (padding never counts), and hands back a
form the estimators take, with the padding still NaN.
"""

import functools

import numpy as np
from sklearn.base import (
    BaseEstimator,
    OneToOneFeatureMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.preprocessing._data import _handle_zeros_in_scale, _is_constant_feature
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.extmath import _incremental_mean_and_var
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from ._docs import DocLinkMixin
from ._sequences import check_sequences


def _all_or_nothing(method):
    """A call that raises leaves the estimator's attributes as they were."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        state = self.__dict__.copy()
        try:
            return method(self, *args, **kwargs)
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(state)
            raise

    return wrapper


def _padding(lengths, n_steps):
    """(n_samples, n_steps) mask: True on the steps after each sequence's end."""
    return np.arange(n_steps)[None, :] >= lengths[:, None]


def _output(values, lengths, form):
    """The scaled values in the form X came in: padding back to NaN."""
    if lengths.min() < values.shape[1]:
        values[_padding(lengths, values.shape[1])] = np.nan
    return values[:, :, 0] if form == "2d" else values


def _per_sequence_mean_and_scale(values, lengths):
    """Each sequence's per-feature mean and scale over its real steps.

    Accumulated in float64, as StandardScaler does; a (near-)constant feature
    of a sequence gets scale 1.
    """
    n = lengths[:, None].astype(np.float64)
    mean = values.sum(axis=1, dtype=np.float64) / n  # the padding holds 0
    centred = values - mean[:, None, :]
    centred[_padding(lengths, values.shape[1])] = 0.0
    var = np.einsum("ntf,ntf->nf", centred, centred) / n
    constant = _is_constant_feature(var, mean, n)
    return mean, _handle_zeros_in_scale(np.sqrt(var), constant_mask=constant)


class SequenceStandardScaler(
    DocLinkMixin, OneToOneFeatureMixin, TransformerMixin, BaseEstimator
):
    """Standardize the features of sequences: StandardScaler over real steps.

    Takes every form of X the estimators take (a 2-D array of univariate
    sequences, a NaN-padded 3-D array, a list of 2-D arrays of varying
    lengths) and returns the same sequences, scaled, in a form they take:

    - a 2-D array for 2-D input (same shape, univariate steps);
    - a 3-D array of shape (n_samples, n_steps, n_features) otherwise; a
      list of sequences comes back padded to its longest sequence.

    Every sequence keeps its length: padding steps stay NaN and never enter
    a statistic. float32 stays float32, and X is never modified.

    Read more in the user guide: :ref:`scaling`.

    Parameters
    ----------
    per : {"feature", "sequence"}, default="feature"
        ``"feature"``: each feature is centred and divided by its mean and
        standard deviation over every real step of every training sequence
        (what ``StandardScaler`` computes on the stacked steps).
        ``"sequence"``: every sequence is standardized by its own per-feature
        mean and standard deviation (z-normalization, common for time series
        whose offset and amplitude carry no class information); nothing is
        learned but the number of features, and ``inverse_transform`` is not
        available.
    with_mean : bool, default=True
        Subtract the mean.
    with_std : bool, default=True
        Divide by the standard deviation. A (near-)constant feature is only
        centred, as in ``StandardScaler``.

    Attributes
    ----------
    mean_ : ndarray of shape (n_step_features,) or None
        Mean of each feature over the real training steps (float64). None
        when ``per="sequence"``, or when both ``with_mean`` and ``with_std``
        are False.
    var_ : ndarray of shape (n_step_features,) or None
        Variance of each feature over the real training steps (float64).
        None when ``per="sequence"`` or ``with_std=False``.
    scale_ : ndarray of shape (n_step_features,) or None
        What each feature is divided by: the standard deviation, 1 for a
        constant feature. None when ``per="sequence"`` or ``with_std=False``.
    n_samples_seen_ : int
        The number of real steps seen (over all sequences), across
        ``partial_fit`` calls.
    n_features_in_ : int
        As for the estimators: the number of features per step, or, for
        2-D input, the number of columns (steps).
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the columns of a DataFrame X, when it had string names.

    See Also
    --------
    sklearn.preprocessing.StandardScaler : The same for rows of features.
    sklearn.compose.TransformedTargetRegressor : To scale a regressor's target.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_attnrnn import SequenceStandardScaler
    >>> X = [np.array([[0.0, 10.0], [2.0, 30.0]]), np.array([[4.0, 20.0]])]
    >>> scaler = SequenceStandardScaler().fit(X)
    >>> scaler.mean_, scaler.n_samples_seen_
    (array([ 2., 20.]), 3)
    >>> scaler.transform(X).round(3)
    array([[[-1.225, -1.225],
            [ 0.   ,  1.225]],
    <BLANKLINE>
           [[ 1.225,  0.   ],
            [   nan,    nan]]])

    In a pipeline:

    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn_attnrnn import AttentionRNNClassifier
    >>> model = make_pipeline(SequenceStandardScaler(), AttentionRNNClassifier())
    """

    _parameter_constraints: dict = {
        "per": [StrOptions({"feature", "sequence"})],
        "with_mean": ["boolean"],
        "with_std": ["boolean"],
    }

    def __init__(self, *, per="feature", with_mean=True, with_std=True):
        self.per = per
        self.with_mean = with_mean
        self.with_std = with_std

    def _reset(self):
        for name in ("mean_", "var_", "scale_", "n_samples_seen_"):
            self.__dict__.pop(name, None)

    @_fit_context(prefer_skip_nested_validation=True)
    @_all_or_nothing
    def fit(self, X, y=None):
        """Compute the mean and standard deviation over the real steps.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_steps) or (n_samples, n_steps, \
                n_features), or list of array-like of shape (n_steps_i, n_features)
            Sequences, in any form the estimators take.
        y : None
            Ignored.

        Returns
        -------
        self : object
            The fitted scaler. A call that raises leaves it as it was.
        """
        self._reset()
        return self._partial_fit(X)

    @_fit_context(prefer_skip_nested_validation=True)
    @_all_or_nothing
    def partial_fit(self, X, y=None):
        """Update the mean and standard deviation with more sequences.

        The counts, means and variances are combined as in
        ``StandardScaler.partial_fit``, so that fitting in parts gives the
        statistics of fitting on all the sequences at once.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_steps) or (n_samples, n_steps, \
                n_features), or list of array-like of shape (n_steps_i, n_features)
            Sequences, in any form the estimators take.
        y : None
            Ignored.

        Returns
        -------
        self : object
            The fitted scaler. A call that raises leaves it as it was.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_attnrnn import SequenceStandardScaler
        >>> scaler = SequenceStandardScaler()
        >>> scaler.partial_fit([np.array([[0.0], [2.0]])]).mean_
        array([1.])
        >>> scaler.partial_fit([np.array([[4.0]])]).mean_, scaler.n_samples_seen_
        (array([2.]), 3)
        """
        return self._partial_fit(X)

    def _partial_fit(self, X):
        first_call = not hasattr(self, "n_samples_seen_")
        values, lengths = check_sequences(
            self,
            X,
            reset=first_call,
            n_step_features=None if first_call else self._n_step_features,
        )
        n_features = values.shape[2]
        n_seen = 0 if first_call else self.n_samples_seen_
        self._n_step_features = n_features
        self.n_samples_seen_ = n_seen + int(lengths.sum())
        if self.per == "sequence" or not (self.with_mean or self.with_std):
            self.mean_ = self.var_ = self.scale_ = None
            return self
        if lengths.min() == values.shape[1]:
            steps = values.reshape(-1, n_features)
        else:
            steps = values[~_padding(lengths, values.shape[1])]
        if first_call or self.mean_ is None:
            # as StandardScaler: no variance is accumulated without with_std
            mean, var = 0.0, 0.0 if self.with_std else None
        else:
            mean, var = self.mean_, self.var_
        self.mean_, self.var_, _ = _incremental_mean_and_var(
            steps, mean, var, np.full(n_features, n_seen, dtype=np.int64)
        )
        if self.with_std:
            constant = _is_constant_feature(self.var_, self.mean_, self.n_samples_seen_)
            self.scale_ = _handle_zeros_in_scale(
                np.sqrt(self.var_), copy=False, constant_mask=constant
            )
        else:
            self.scale_ = None
        return self

    def transform(self, X):
        """Standardize sequences; padding stays NaN.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_steps) or (n_samples, n_steps, \
                n_features), or list of array-like of shape (n_steps_i, n_features)
            Sequences with the number of features seen in ``fit``.

        Returns
        -------
        X_scaled : ndarray of shape (n_samples, n_steps) or (n_samples, \
                n_steps, n_features)
            2-D for 2-D input, else 3-D (a list padded with NaN to its
            longest sequence); the dtype of X (float32 or float64).
        """
        check_is_fitted(self)
        values, lengths, form = check_sequences(
            self,
            X,
            reset=False,
            n_step_features=self._n_step_features,
            return_form=True,
        )
        dtype = values.dtype
        if self.per == "sequence":
            mean, scale = _per_sequence_mean_and_scale(values, lengths)
            mean, scale = mean[:, None, :], scale[:, None, :]
        else:
            mean, scale = self.mean_, self.scale_
        # out of place: values may be X itself
        out = values - mean.astype(dtype) if self.with_mean else values.copy()
        if self.with_std:
            out /= scale.astype(dtype)
        return _output(out, lengths, form)

    def _invertible(self):
        return self.per == "feature"

    @available_if(_invertible)
    def inverse_transform(self, X):
        """Undo ``transform``: scale back and add the mean.

        Only with ``per="feature"``: per-sequence statistics are not kept.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_steps) or (n_samples, n_steps, \
                n_features), or list of array-like of shape (n_steps_i, n_features)
            Scaled sequences.

        Returns
        -------
        X_original : ndarray of shape (n_samples, n_steps) or (n_samples, \
                n_steps, n_features)
            In the form ``transform`` returns; padding stays NaN.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_attnrnn import SequenceStandardScaler
        >>> X = np.array([[1.0, 2.0, np.nan], [3.0, 4.0, 5.0]])
        >>> scaler = SequenceStandardScaler().fit(X)
        >>> scaler.inverse_transform(scaler.transform(X))
        array([[ 1.,  2., nan],
               [ 3.,  4.,  5.]])
        """
        check_is_fitted(self)
        values, lengths, form = check_sequences(
            self,
            X,
            reset=False,
            n_step_features=self._n_step_features,
            return_form=True,
        )
        out = (
            values * self.scale_.astype(values.dtype)
            if self.with_std
            else values.copy()
        )
        if self.with_mean:
            out += self.mean_.astype(out.dtype)
        return _output(out, lengths, form)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
