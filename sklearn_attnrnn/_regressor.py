"""Sequence regression with the attention RNN (seed 002's squared error)."""

import numpy as np
from sklearn.base import RegressorMixin, _fit_context
from sklearn.metrics import r2_score
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_array

from ._base import BaseAttentionRNN
from ._classifier import _not_lbfgs
from ._docs import SHARED_ATTRIBUTES_DOC, SHARED_PARAMETERS_DOC


class AttentionRNNRegressor(RegressorMixin, BaseAttentionRNN):
    _loss = "squared_error"

    # What differs from the base: real targets in, Omega out.
    def _encode_targets(self, y, *, reset, classes=None):
        y = check_array(
            y, ensure_2d=False, dtype="numeric", input_name="y", ensure_min_samples=0
        )
        if y.ndim > 2:
            raise ValueError(f"y must be 1-D or 2-D, got shape {y.shape}.")
        y2 = y.reshape(len(y), -1).astype(np.float64, copy=False)
        with np.errstate(over="ignore"):
            largest_loss = 0.5 * np.square(y2).max(initial=0.0)
        if not np.isfinite(largest_loss):
            raise ValueError(
                f"y has values up to {np.abs(y2).max():.3g}: their squared error "
                "overflows float64. Scale y, e.g. with TransformedTargetRegressor("
                "regressor=..., transformer=StandardScaler())."
            )
        if reset:
            self._y_1d = y.ndim == 1
            self.n_outputs_ = y2.shape[1]
        elif y2.shape[1] != self.n_outputs_:
            raise ValueError(
                f"y has {y2.shape[1]} outputs, but {type(self).__name__} was "
                f"fitted with {self.n_outputs_}."
            )
        return y2

    def _n_outputs(self):
        return self.n_outputs_

    def _validation_score(self, Omega, targets, sample_weight):
        return float(r2_score(targets, Omega, sample_weight=sample_weight))

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the model to sequences X and real targets y.

        Parameters
        ----------
        X : array-like or list of array-like
            2-D (n_samples, n_steps): univariate sequences; 3-D (n_samples,
            n_steps, n_features): multivariate sequences, a step whose
            features are all NaN ending a sequence; or a list of 2-D arrays
            (n_steps_i, n_features) of varying lengths.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights s_i: the loss is sum_i s_i l_i / sum_i s_i.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._fit(X, y, sample_weight)

    @available_if(_not_lbfgs)
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """Run one epoch of the stochastic solver over X, y.

        The optimizer's state is kept between calls (and across pickling).

        Parameters
        ----------
        X : array-like or list of array-like
            Sequences, as for :meth:`fit`.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights s_i.

        Returns
        -------
        self : object
            The estimator.
        """
        return self._fit(X, y, sample_weight, incremental=True)

    def predict(self, X):
        """Predicted targets Omega = V Z_T + c of each sequence.

        Parameters
        ----------
        X : array-like or list of array-like
            Sequences, as for :meth:`fit`.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            1-D when ``y`` was 1-D in ``fit``.
        """
        values, lengths = self._check_predict_input(X)
        Omega = self._decision_function_raw(values, lengths)
        return Omega.ravel() if self._y_1d else Omega

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags


AttentionRNNRegressor.__doc__ = f"""Sequence regressor: an attention Elman RNN.

    The network of :class:`AttentionRNNClassifier` with an identity output
    and half the mean squared error as the loss; with ``attention=False`` it
    is the network of the notes' seed 002 (plus the output bias c).

    Read more in the user guide: :ref:`input-formats`, :ref:`scaling-targets`
    and :ref:`model`.

    Parameters
    ----------
    hidden_size : int, default=64
        H, the number of hidden units of the recurrence. 64 rather than 32:
        more accurate on most sets of the accuracy benchmark, at a higher
        cost per epoch (:ref:`training-defaults`).

    {SHARED_PARAMETERS_DOC}

    Attributes
    ----------
    n_outputs_ : int
        The number of targets.

    {SHARED_ATTRIBUTES_DOC}

    See Also
    --------
    AttentionRNNClassifier : The same network for labels.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_attnrnn import AttentionRNNRegressor
    >>> X = np.random.RandomState(0).uniform(-1, 1, (300, 10))
    >>> y = X.mean(axis=1)
    >>> reg = AttentionRNNRegressor(max_iter=100, random_state=0).fit(X, y)
    >>> reg.score(X, y) > 0.8
    True
    """
