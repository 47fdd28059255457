"""The estimator logic shared by every model of the package.

``BaseAttentionRNN`` holds the parameters, their validation, the fit loop
(epochs, mini-batches, shuffling, early stopping, warm start, partial fit,
L-BFGS through scipy), chunked prediction and the attention weights. It holds
no equation: the model is :mod:`sklearn_attnrnn._network`. A subclass says
what differs: how targets are encoded, which loss, how outputs are decoded,
how a validation set is scored. The one-BLAS-thread limit
(:mod:`sklearn_attnrnn._threads`), the flat parameter vector
(:mod:`sklearn_attnrnn._flat_params`) and the documentation the estimators
share (:mod:`sklearn_attnrnn._docs`) live in modules of their own.
"""

import copy
import math
import sys
import time
import warnings
from abc import ABCMeta, abstractmethod
from numbers import Integral, Real

import numpy as np
import scipy.optimize
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.optimize import _check_optimize_result
from sklearn.utils.validation import (
    _check_sample_weight,
    _num_samples,
    check_is_fitted,
)

from . import _network
from ._callbacks import CallbackSupportMixin, FitTasks
from ._docs import DocLinkMixin
from ._flat_params import as_flat_views, flatten, flatten_optimizer_state
from ._optimizers import AdamOptimizer, SGDOptimizer, clip_grads_by_global_norm
from ._sequences import check_sequences, to_time_major
from ._threads import one_blas_thread

# Sequences per forward pass at predict time: bounds memory to
# O(chunk * T * H) whatever the number of samples.
PREDICT_CHUNK_SIZE = 1024
# ... and fewer for long sequences, many hidden units or many features, so
# that a chunk's inputs and hidden states (T * chunk * (F + H) numbers, plus
# T * chunk * H for the projection when the core reads X in place) stay
# in the CPU cache: measured up to 15% faster at T=100, H=64 and 17% at
# T=100, H=16, F=30 than whole 1024-sequence chunks.
PREDICT_CHUNK_BYTES = 8 * 2**20


def predict_chunk_size(n_steps, hidden_size, itemsize, n_features=0):
    """Sequences per chunk at predict time for this T, H, F and float size.

    Parameters
    ----------
    n_steps : int
        T, the longest sequence of the data.
    hidden_size : int
        H, the number of hidden units.
    itemsize : int
        Bytes per number (4 for float32, 8 for float64).
    n_features : int, default=0
        F, the number of features per step.

    Returns
    -------
    size : int
        Between 128 and ``PREDICT_CHUNK_SIZE``, so that a chunk's inputs and
        hidden states take about ``PREDICT_CHUNK_BYTES`` at most.

    Examples
    --------
    >>> predict_chunk_size(10, 32, 8), predict_chunk_size(1000, 128, 8)
    (1024, 128)
    >>> predict_chunk_size(100, 16, 4, n_features=30)
    455
    """
    per_sequence = n_steps * (hidden_size + n_features) * itemsize
    fit_in_cache = PREDICT_CHUNK_BYTES // max(1, per_sequence)
    return int(min(PREDICT_CHUNK_SIZE, max(128, fit_in_cache)))


class _FitStopped(Exception):
    """Raised on a fit's side copy when training stops early.

    ``kept`` says whether the side copy holds a state worth committing (the
    best parameters reached, with the history that matches them); then
    ``warning`` is warned if given, else ``error`` is raised; without
    anything kept, ``error`` is raised and the estimator is left as it was.
    """

    def __init__(self, error, *, kept, warning=None):
        super().__init__(error)
        self.error = error
        self.kept = kept
        self.warning = warning


# A parameter this large means training is blowing up (healthy ones stay
# within tens): the fit then checks that the outputs are still finite.
_SUSPICIOUS_PARAMETER = 1e8

# Attributes of scikit-learn's callback machinery: shared with a fit's side
# copy, never copied (they hold the callbacks and their task contexts).
_CALLBACK_STATE = ("_skl_", "_callback_", "_parent_callback_")


def _version():
    from . import __version__

    return __version__


class BaseAttentionRNN(
    DocLinkMixin, CallbackSupportMixin, BaseEstimator, metaclass=ABCMeta
):
    """Base class of the attention RNN estimators; not for direct use.

    See :class:`~sklearn_attnrnn.AttentionRNNClassifier` for the parameters.
    """

    _parameter_constraints: dict = {
        "hidden_size": [Interval(Integral, 1, None, closed="left")],
        "cell": [StrOptions(set(_network.CELLS))],
        "attention": ["boolean"],
        "attention_scores": [StrOptions({"scaled", "dot"})],
        "solver": [StrOptions({"adam", "sgd", "lbfgs"})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "recurrent_dropout": [Interval(Real, 0, 1, closed="left")],
        "delay": [Interval(Integral, 2, None, closed="left"), None],
        "batch_size": [
            StrOptions({"auto"}),
            Interval(Integral, 1, None, closed="left"),
        ],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "learning_rate_schedule": [StrOptions({"constant", "adaptive", "invscaling"})],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
        "max_grad_norm": [Interval(Real, 0, None, closed="neither"), None],
    }

    # What a subclass sets: the core's loss and output mode.
    _loss = "log_loss"
    _output = "last"

    def __init__(
        self,
        hidden_size=64,
        *,
        cell="elman",
        attention=True,
        attention_scores="dot",
        solver="adam",
        alpha=1e-4,
        dropout=0.0,
        recurrent_dropout=0.0,
        delay=None,
        batch_size="auto",
        learning_rate=1e-3,
        learning_rate_schedule="constant",
        power_t=0.5,
        max_iter=500,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=50,
        max_fun=15000,
        max_grad_norm=5.0,
    ):
        self.hidden_size = hidden_size
        self.cell = cell
        self.attention = attention
        self.attention_scores = attention_scores
        self.solver = solver
        self.alpha = alpha
        self.dropout = dropout
        self.recurrent_dropout = recurrent_dropout
        self.delay = delay
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_schedule = learning_rate_schedule
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.max_grad_norm = max_grad_norm

    # ------------------------------------------------------------------
    # What a subclass provides
    # ------------------------------------------------------------------
    def _encode_targets(self, y, *, reset, classes=None):
        """Validate y and return the core's targets; set ``classes_`` etc.
        (for the estimators that fit on X and y through :meth:`_fit_state`)."""
        raise NotImplementedError

    @abstractmethod
    def _n_outputs(self):
        """K, the number of outputs of the network."""

    @abstractmethod
    def _validation_score(self, outputs, targets, sample_weight):
        """Weighted score of a validation set's :meth:`_validation_outputs`
        against its encoded targets (higher is better)."""

    def _validation_outputs(self, values, lengths, targets):
        """What :meth:`_validation_score` reads of a validation set (non-finite
        if the network diverged): Omega."""
        return self._decision_function_raw(values, lengths)

    def _target_weights(self, targets):
        """Per-sample weights implied by the targets (class_weight); None."""
        return None

    def _validation_split_stratify(self, targets):
        """What to stratify the validation split on (None: no stratification)."""
        return None

    def _weight_total(self, weights, lengths):
        """What the training loss is a weighted mean over: here, the sequences.

        The loss is ``sum_n w_n l_n / _weight_total`` (and the L2 penalty is
        divided by it too). A subclass with every-step outputs can return
        ``weights @ lengths`` to make it a mean per step instead.
        """
        return weights.sum()

    # ------------------------------------------------------------------
    # Parameters of the network
    # ------------------------------------------------------------------
    # L of the fitted network's delayed connection; None for a network
    # without one (and for models saved before the parameter existed).
    _fitted_delay = None

    @property
    def _params(self):
        """The fitted parameters as the core's dict (the same arrays)."""
        names = _network.param_names(self._fitted_cell(), self._fitted_delay)
        return {name: getattr(self, name + "_") for name in names}

    def _fitted_cell(self):
        """The fitted network's cell (``cell`` may have been set since)."""
        return _network.cell_of({"W": self.W_})

    def _set_params_arrays(self, params):
        # another cell's or delay's parameter, from an earlier fit
        for name in ("b_hn", "R"):
            if name not in params and hasattr(self, name + "_"):
                delattr(self, name + "_")
        for name in params:
            setattr(self, name + "_", params[name])

    def _core_kwargs(self):
        return {
            "output": self._output,
            "attention": self.attention,
            # the fitted network's H and L: the parameters may have been set since
            "scale": _network.score_scale(self.attention_scores, self.W_.shape[1]),
            "delay": self._fitted_delay,
        }

    def _make_optimizer(self):
        if self.solver == "sgd":
            return SGDOptimizer(
                learning_rate_init=self.learning_rate,
                lr_schedule=self.learning_rate_schedule,
                momentum=self.momentum,
                nesterov=self.nesterovs_momentum,
                power_t=self.power_t,
            )
        return AdamOptimizer(
            learning_rate_init=self.learning_rate,
            beta_1=self.beta_1,
            beta_2=self.beta_2,
            epsilon=self.epsilon,
            lr_schedule=self.learning_rate_schedule,
        )

    def _optimizer_matches(self):
        """Whether the kept optimizer is the solver asked for now."""
        kind = SGDOptimizer if self.solver == "sgd" else AdamOptimizer
        return isinstance(getattr(self, "_optimizer", None), kind)

    # ------------------------------------------------------------------
    # Fitting
    # ------------------------------------------------------------------
    def _check_solver_options(self, incremental):
        """Reject option combinations no solver can honour, before any change."""
        if self.solver == "lbfgs" and incremental:
            raise ValueError("partial_fit is not available with solver='lbfgs'.")
        rates = {"dropout": self.dropout, "recurrent_dropout": self.recurrent_dropout}
        rates = {name: rate for name, rate in rates.items() if rate}
        if self.solver == "lbfgs" and rates:
            given = " and ".join(f"{name}={rate}" for name, rate in rates.items())
            raise ValueError(
                f"{given} needs a stochastic solver ('adam' or 'sgd'): with "
                "solver='lbfgs' the dropout masks would change the loss between "
                "L-BFGS's evaluations. Set it to 0 or change the solver."
            )
        if incremental and self.early_stopping:
            raise ValueError(
                "partial_fit does not support early_stopping=True: one call is "
                "one pass over the data it is given, so there is no held-out "
                "set to stop on. Set early_stopping=False."
            )
        if self.delay is not None and self.cell != "elman":
            raise ValueError(
                f"delay={self.delay} adds R h_(t-L) to the Elman cell's "
                f"recurrence; the {self.cell!r} cell has no delay. Use "
                "cell='elman' or delay=None."
            )

    def _continues(self, incremental):
        """Whether this call continues the fitted network (partial_fit, or
        fit with warm_start) instead of starting a new one."""
        return hasattr(self, "U_") and (incremental or self.warm_start)

    def _side_copy(self):
        """A private copy of the estimator to build and train a fit's new
        state on: the hyperparameters (and callbacks) shared, every fitted
        attribute and private fit state copied, so that nothing the fit does
        reaches ``self`` before :meth:`_commit`."""
        side = object.__new__(type(self))
        shared = self.get_params(deep=False)
        side.__dict__ = {
            key: value
            if key in shared or key.startswith(_CALLBACK_STATE)
            else copy.deepcopy(value)
            for key, value in self.__dict__.items()
        }
        return side

    def _commit(self, side, continuing):
        """Make ``side``'s state the estimator's, in one assignment.

        A fit that continues the network writes the new parameters into the
        fitted arrays (one flat copy), so that references to them stay live
        from one ``partial_fit`` / warm-started ``fit`` to the next.
        """
        state = dict(side.__dict__)
        if continuing:
            flat, params = as_flat_views(self._params)
            new = side._params
            if all(
                new[k].shape == params[k].shape and new[k].dtype == params[k].dtype
                for k in params
            ):
                flat[...] = flatten(new)
                state.update({name + "_": params[name] for name in params})
        # One assignment: no half-committed estimator (only a Ctrl-C between
        # the flat copy above and this line could see new parameters with the
        # old history).
        self.__dict__ = state

    def _transaction(self, fit_state, *, incremental, X, y, sample_weight, **kwargs):
        """Run ``fit_state`` on a side copy of the estimator; commit it once.

        Any exception before the commit leaves the estimator exactly as it
        was (a fitted model predicts as before, bit for bit; an unfitted one
        stays unfitted). A fit that stops early with something worth keeping
        (divergence after a finite epoch, Ctrl-C after a completed one)
        commits what it kept first, then raises or warns.
        """
        continuing = self._continues(incremental)
        if self.solver == "lbfgs":
            # scipy's callback ends an iteration and begins the next: the
            # last one begun never runs.
            max_subtasks = self.max_iter + 1
        else:
            max_subtasks = 1 if incremental else self.max_iter
        tasks = FitTasks(
            self,
            X,
            self._callback_targets(X, y),
            None if sample_weight is None else {"sample_weight": sample_weight},
            max_subtasks,
        )
        side = self._side_copy()
        try:
            fit_state(
                side,
                incremental=incremental,
                tasks=tasks,
                X=X,
                y=y,
                sample_weight=sample_weight,
                **kwargs,
            )
        except _FitStopped as stopped:
            if not stopped.kept:
                raise stopped.error from None
            self._commit(side, continuing)
            if stopped.warning is None:
                raise stopped.error from None
            warnings.warn(stopped.warning, UserWarning, stacklevel=3)
        else:
            self._commit(side, continuing)
        tasks.close()
        return self

    def _callback_targets(self, X, y):
        """What the callbacks get as ``y`` (a ScoringMonitor scores on X, y)."""
        return y

    def _fitted_state(self):
        """The fitted attributes as they are now, copied: what a callback's
        ``fitted_estimator`` is made of while training goes on changing them."""
        shared = self.get_params(deep=False)
        return {
            key: copy.deepcopy(value)
            for key, value in vars(self).items()
            if key not in shared and not key.startswith(_CALLBACK_STATE)
        }

    def _fit(self, X, y, sample_weight=None, *, incremental=False, classes=None):
        return self._transaction(
            type(self)._fit_state,
            incremental=incremental,
            X=X,
            y=y,
            sample_weight=sample_weight,
            classes=classes,
        )

    def _fit_state(
        self, *, X, y, sample_weight=None, incremental=False, classes=None, tasks
    ):
        """Validate X and y, then train on them with :meth:`_fit_validated`
        (on the side copy, see :meth:`_transaction`)."""
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target "
                "y is None."
            )
        continuing = self._continues(incremental)
        self._check_solver_options(incremental)
        values, lengths = check_sequences(
            self,
            X,
            reset=not continuing,
            n_step_features=self.U_.shape[1] if continuing else None,
        )
        if _num_samples(y) != len(lengths):  # before y is read: y may be empty
            raise ValueError(
                f"X and y have inconsistent numbers of samples: {len(lengths)} "
                f"sequences and {_num_samples(y)} targets."
            )
        targets = self._encode_targets(y, reset=not continuing, classes=classes)
        if len(targets) != len(lengths):
            raise ValueError(
                f"X and y have inconsistent numbers of samples: {len(lengths)} "
                f"sequences and {len(targets)} targets."
            )
        if continuing:
            values = values.astype(self.U_.dtype, copy=False)
        return self._fit_validated(
            values,
            lengths,
            targets,
            sample_weight,
            n_features=values.shape[2],
            dtype=values.dtype,
            incremental=incremental,
            tasks=tasks,
        )

    def _fit_validated(
        self,
        values,
        lengths,
        targets,
        sample_weight,
        *,
        n_features,
        dtype,
        incremental,
        tasks,
    ):
        """Train on validated sequences (on the side copy, see
        :meth:`_transaction`).

        ``values`` (N, T, F) are features (padding anywhere after each
        sequence's length), or (N, T) integer codes of one-hot inputs of
        ``n_features`` (-1 on padding; see :func:`_network.forward`);
        ``lengths`` (N,) and ``targets`` as the subclass's hooks read them;
        ``dtype`` is that of a new network's parameters.
        """
        continuing = self._continues(incremental)
        sample_weight = self._check_weights(sample_weight, targets, lengths)
        if not continuing or not hasattr(self, "_random_state"):
            self._random_state = check_random_state(self.random_state)
        # else: partial_fit and warm_start go on with the fit's random stream
        # (shuffling, dropout masks), as if the epochs had run in one fit,
        # instead of drawing the same permutation and masks again.

        if continuing:
            if self.W_.shape[1] != self.hidden_size:
                raise ValueError(
                    f"hidden_size={self.hidden_size} differs from the fitted "
                    f"{self.W_.shape[1]}; warm_start and partial_fit continue "
                    "the fitted network, so hidden_size cannot change."
                )
            if self._fitted_cell() != self.cell:
                raise ValueError(
                    f"cell={self.cell!r} differs from the fitted "
                    f"{self._fitted_cell()!r}; warm_start and partial_fit "
                    "continue the fitted network, so the cell cannot change."
                )
            if self.delay != self._fitted_delay:
                raise ValueError(
                    f"delay={self.delay} differs from the fitted "
                    f"{self._fitted_delay}; warm_start and partial_fit continue "
                    "the fitted network, so delay cannot change."
                )
        else:
            self._initialize(n_features, dtype)
        self._check_penalty_scale(sample_weight)
        self._fitted_version = _version()

        if self.solver != "lbfgs":
            if not self._optimizer_matches():
                self._optimizer = self._make_optimizer()
            elif not incremental:
                # warm_start keeps Adam's moments and momentum; a learning
                # rate changed with set_params still applies.
                self._optimizer.learning_rate_init = self.learning_rate
                self._optimizer.learning_rate = self.learning_rate
        # Multithreaded BLAS may sum the long reductions of the weight
        # gradients in another order, so one thread keeps a fit identical
        # whatever the machine's thread count (the matrices here are too
        # small for threads to pay off anyway). The limit is process-wide and
        # counted: it holds until the last of any concurrent fits and
        # predictions ends, so none lifts it under another.
        with one_blas_thread():
            if self.solver == "lbfgs":
                self._fit_lbfgs(values, lengths, targets, sample_weight, tasks)
            else:
                self._fit_stochastic(
                    values, lengths, targets, sample_weight, incremental, tasks
                )
        return self

    def _check_weights(self, sample_weight, targets, lengths):
        """The weight of each sample (sample_weight times class_weight),
        checked so that the loss, a weighted mean, stays within float range."""
        weights = _check_sample_weight(sample_weight, lengths, dtype=np.float64)
        if sample_weight is not None and not weights.any():
            # the wording of _check_sample_weight since scikit-learn 1.9
            raise ValueError(
                "Sample weights must contain at least one non-zero number."
            )
        if (weights < 0).any():
            raise ValueError("sample_weight must not be negative.")
        implied = self._target_weights(targets)
        if implied is not None:
            weights = weights * implied
        with np.errstate(over="ignore"):
            total = weights.sum()
        if not np.isfinite(total):
            raise ValueError(
                f"The sample weights (with class_weight) sum to {total}, beyond "
                "float64. The loss is a weighted mean, so only their ratios "
                "matter (and the L2 penalty, divided by their sum): divide "
                "sample_weight (or class_weight) by a common factor."
            )
        if not total > 0:
            raise ValueError(
                "The sample weights (with class_weight) sum to zero; at least "
                "one sample needs a positive weight."
            )
        smallest = weights[weights > 0].min()
        if smallest < np.finfo(np.float64).tiny:
            raise ValueError(
                f"The sample weights (with class_weight) go down to {smallest:.3g}, "
                "below the smallest normal float64 "
                f"({np.finfo(np.float64).tiny:.3g}): the loss divided by the "
                "weight total of a batch of such samples overflows. Multiply "
                "sample_weight (or class_weight) by a common factor."
            )
        return weights

    def _check_penalty_scale(self, weights):
        """Reject an ``alpha`` whose L2 penalty overflows at the start.

        A batch's penalty is alpha / 2 * |theta|^2 divided by the batch's
        weight total, which can be as small as the smallest positive weight.
        """
        dtype = self.U_.dtype
        smallest = weights[weights > 0].min()
        squares = float(np.square(flatten(self._params), dtype=np.float64).sum())
        with np.errstate(over="ignore"):
            penalty = self.alpha / 2 * max(squares, 1.0) / smallest
        if not penalty < np.finfo(dtype).max:
            raise ValueError(
                f"alpha={self.alpha} is too large: the L2 penalty "
                "alpha / 2 * |w|^2 divided by a batch's weight total (here down "
                f"to {smallest:.3g}) overflows {dtype} at the initial "
                "parameters. Lower alpha (the default is 1e-4)."
            )

    def _initialize(self, n_features, dtype):
        """Fresh parameters, optimizer and training history."""
        params = _network.init_params(
            n_features,
            self.hidden_size,
            self._n_outputs(),
            self._random_state,
            dtype=dtype,
            cell=self.cell,
            delay=self.delay,
        )
        self._fitted_delay = self.delay
        self._set_params_arrays(params)
        self.n_iter_ = 0
        self.t_ = 0
        self.loss_ = None
        self.loss_curve_ = []
        self.best_loss_ = np.inf if not self.early_stopping else None
        self.validation_scores_ = [] if self.early_stopping else None
        self.best_validation_score_ = -np.inf if self.early_stopping else None
        self._no_improvement_count = 0
        if hasattr(self, "_optimizer"):
            del self._optimizer

    def _batch_loss_and_grads(
        self, values, lengths, targets, weights, total, params, workspace, core_kwargs
    ):
        """Loss (weighted mean + L2, both over ``total``, the batch's weight
        total) and gradients."""
        # A time-major view (of features or codes): the core reads it once.
        X = np.swapaxes(values[:, : int(lengths.max())], 0, 1)
        Y = targets if self._output == "last" else self._time_major_targets(targets, X)
        # Dropout masks from the fit's random stream (rates of 0 draw nothing).
        U = params["U"]
        input_mask, recurrent_mask = _network.dropout_masks(
            self._random_state,
            len(lengths),
            U.shape[1],
            params["W"].shape[1],
            self.dropout,
            self.recurrent_dropout,
            dtype=U.dtype,
        )
        return _network.loss_and_grads(
            params,
            X,
            lengths,
            Y,
            weights / total,
            loss=self._loss,
            l2=self.alpha / total,
            workspace=workspace,
            input_mask=input_mask,
            recurrent_mask=recurrent_mask,
            **core_kwargs,
        )

    def _check_validation_size(self, n_samples, stratify):
        """Before splitting: a validation set of at least 2 samples, and, when
        the split is stratified, one sample of each class on either side."""
        n_val = math.ceil(self.validation_fraction * n_samples)
        n_classes = 0 if stratify is None else len(np.unique(stratify))
        needed = max(2, n_classes)
        if n_val < needed or n_samples - n_val < n_classes:
            stratified = (
                f", and the split is stratified over {n_classes} classes"
                if n_classes
                else ""
            )
            raise ValueError(
                f"early_stopping=True holds out validation_fraction="
                f"{self.validation_fraction} of the {n_samples} samples: "
                f"{n_val} for validation and {n_samples - n_val} for training. "
                f"The validation set needs at least {needed}{stratified}. "
                f"Raise validation_fraction (to {needed / n_samples:.3g} or "
                "more, leaving each class a training sample), pass more data, "
                "or set early_stopping=False."
            )

    def _fit_stochastic(
        self, values, lengths, targets, sample_weight, incremental, tasks
    ):
        n_samples = len(lengths)
        rng = self._random_state
        X_val = None
        self._best_params = None
        if self.early_stopping:
            self.best_validation_score_ = -np.inf
            if self.validation_scores_ is None:
                self.validation_scores_ = []
            stratify = self._validation_split_stratify(targets)
            self._check_validation_size(n_samples, stratify)
            # An integer from rng keeps the split reproducible and independent
            # of what train_test_split does with a RandomState.
            train, val = train_test_split(
                np.arange(n_samples),
                random_state=rng.randint(np.iinfo(np.int32).max),
                test_size=self.validation_fraction,
                stratify=stratify,
            )
            X_val = (values[val], lengths[val], targets[val], sample_weight[val])
            values, lengths = values[train], lengths[train]
            targets, sample_weight = targets[train], sample_weight[train]
            n_samples = len(train)
        if self.batch_size == "auto":
            batch_size = min(200, n_samples)
        else:
            if self.batch_size > n_samples:
                warnings.warn(
                    "Got `batch_size` less than 1 or larger than sample size. "
                    "It is going to be clipped"
                )
            batch_size = int(np.clip(self.batch_size, 1, n_samples))
        if getattr(self, "best_loss_", None) is None and not self.early_stopping:
            self.best_loss_ = np.inf

        optimizer = self._optimizer
        # One flat vector of every parameter, and the fitted arrays are views
        # of it: an optimizer step or a clipping is then a few numpy calls on
        # one array, not a few per parameter. Made from the arrays this side
        # copy holds (its own copies of the fitted ones), so nothing stale is
        # updated; _commit hands the result to the estimator.
        theta, params = as_flat_views(self._params)
        self._set_params_arrays(params)
        order = np.arange(n_samples)
        # The core's scratch buffers, reused by every batch of this fit.
        workspace = _network.Workspace()
        core_kwargs = self._core_kwargs()
        start_iter = self.n_iter_
        # The start of the latest epoch whose parameters were evaluated (an
        # epoch's first batch computes the loss before any of its updates):
        # what a diverging fit goes back to.
        evaluated = None
        for _ in range(self.max_iter):
            start = time.perf_counter()
            # What to go back to if this epoch is interrupted or diverges.
            snapshot = self._epoch_snapshot(theta)
            try:
                tasks.begin("epoch", self._fitted_state)
                if self.shuffle:
                    order = rng.permutation(n_samples)
                epoch_loss = 0.0
                for begin in range(0, n_samples, batch_size):
                    # Unshuffled batches are slices: views, not copies.
                    idx = (
                        order[begin : begin + batch_size]
                        if self.shuffle
                        else slice(begin, begin + batch_size)
                    )
                    w = sample_weight[idx]
                    batch_total = self._weight_total(w, lengths[idx])
                    if not batch_total > 0:
                        continue
                    # Overflow shows as a non-finite loss, checked right after.
                    with np.errstate(over="ignore", invalid="ignore"):
                        loss, grads = self._batch_loss_and_grads(
                            values[idx],
                            lengths[idx],
                            targets[idx],
                            w,
                            batch_total,
                            params,
                            workspace,
                            core_kwargs,
                        )
                        # Finite batch losses can still overflow the sum.
                        epoch_loss += loss * batch_total
                    if not (np.isfinite(loss) and np.isfinite(epoch_loss)):
                        what = (
                            f"The training loss became {loss} during epoch "
                            f"{self.n_iter_ + 1}"
                        )
                        self._diverged(evaluated, theta, what, targets, start_iter)
                    # The first batch of the epoch saw the snapshot's parameters.
                    evaluated = snapshot
                    grad = {"theta": flatten(grads)}
                    if self.max_grad_norm is not None:  # None: skip the norm
                        clip_grads_by_global_norm(grad, self.max_grad_norm)
                    optimizer.update({"theta": theta}, grad)
                if not np.isfinite(theta).all():
                    what = (
                        f"The parameters became non-finite in epoch {self.n_iter_ + 1}"
                    )
                    self._diverged(evaluated, theta, what, targets, start_iter)
                score = None
                if X_val is not None:
                    outputs = self._validation_outputs(*X_val[:3])
                    if not np.isfinite(outputs).all():
                        what = (
                            "The outputs on the validation set became non-finite "
                            f"after epoch {self.n_iter_ + 1}"
                        )
                        self._diverged(evaluated, theta, what, targets, start_iter)
                    score = self._validation_score(outputs, *X_val[2:])
                self.n_iter_ += 1
                self.t_ += n_samples
                self.loss_ = epoch_loss / self._weight_total(sample_weight, lengths)
                self.loss_curve_.append(self.loss_)
                optimizer.iteration_ends(self.t_)
                if score is not None:
                    self.validation_scores_.append(score)
                self._update_no_improvement_count(X_val is not None, params)
                # A callback asking to stop ends training as early stopping does.
                stop = tasks.end(self._fitted_state)
                if self.verbose:
                    message = f"Epoch {self.n_iter_}: loss = {self.loss_:.8f}"
                    if score is not None:
                        message += f", validation score = {score:.6f}"
                    seconds = time.perf_counter() - start
                    print(f"{message} ({seconds:.2f} s)", file=sys.stdout, flush=True)
                    if stop:
                        print("A callback asked to stop. Stopping.")
                if self._no_improvement_count > self.n_iter_no_change:
                    what = "Validation score" if X_val is not None else "Training loss"
                    msg = (
                        f"{what} did not improve more than tol={self.tol} for "
                        f"{self.n_iter_no_change} consecutive epochs."
                    )
                    if optimizer.trigger_stopping(msg, self.verbose):
                        stop = True
                    else:
                        self._no_improvement_count = 0
            except KeyboardInterrupt:
                # Anywhere in the epoch, its bookkeeping included: the epoch
                # counts only once all of it is done.
                self._interrupted(snapshot, theta, start_iter)
            if stop or incremental:
                break
        else:
            if not incremental:
                warnings.warn(
                    f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) "
                    "reached and the optimization hasn't converged yet.",
                    ConvergenceWarning,
                )
        if np.abs(theta).max() > _SUSPICIOUS_PARAMETER:
            # The last epoch's updates were never evaluated: make sure they
            # did not overflow, as the next epoch's loss would have told.
            first = slice(0, batch_size)
            with np.errstate(over="ignore", invalid="ignore"):
                Omega = self._decision_function_raw(values[first], lengths[first])
            if not np.isfinite(Omega).all():
                what = f"The outputs became non-finite after epoch {self.n_iter_}"
                self._diverged(evaluated, theta, what, targets, start_iter)
        self._restore_best()

    def _update_no_improvement_count(self, early_stopping, params):
        if early_stopping:
            score = self.validation_scores_[-1]
            if score < self.best_validation_score_ + self.tol:
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            if score > self.best_validation_score_:
                self.best_validation_score_ = score
                self._best_params = {k: v.copy() for k, v in params.items()}
        else:
            if self.loss_curve_[-1] > self.best_loss_ - self.tol:
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            if self.loss_curve_[-1] < self.best_loss_:
                self.best_loss_ = self.loss_curve_[-1]

    _best_params = None

    def _restore_best(self):
        """With early stopping, put back the parameters of the best validation
        score, into the fitted arrays so that nothing else holds stale copies."""
        if self.early_stopping and self._best_params is not None:
            params = self._params
            for name, best in self._best_params.items():
                params[name][...] = best

    # What an epoch changes besides the parameters, the optimizer, the random
    # stream and the histories (which only grow).
    _EPOCH_STATE = (
        "n_iter_",
        "t_",
        "loss_",
        "best_loss_",
        "best_validation_score_",
        "_no_improvement_count",
        "_best_params",
    )

    def _epoch_snapshot(self, theta):
        """Everything an epoch changes, as it is at the epoch's start."""
        snapshot = {key: getattr(self, key) for key in self._EPOCH_STATE}
        snapshot.update(
            theta=theta.copy(),
            optimizer=copy.deepcopy(self._optimizer),
            random_state=self._random_state.get_state(),
            n_losses=len(self.loss_curve_),
            n_scores=len(self.validation_scores_ or ()),
        )
        return snapshot

    def _rewind(self, snapshot, theta):
        """Put the fit back exactly as it was at ``snapshot``: as if it had
        been asked to stop there."""
        theta[...] = snapshot["theta"]
        self._optimizer = snapshot["optimizer"]
        self._random_state.set_state(snapshot["random_state"])
        del self.loss_curve_[snapshot["n_losses"] :]
        if self.validation_scores_ is not None:
            del self.validation_scores_[snapshot["n_scores"] :]
        for key in self._EPOCH_STATE:
            setattr(self, key, snapshot[key])

    def _kept(self, start_iter):
        """What the model keeps, said in words, after a rewind."""
        if not (self.early_stopping and self._best_params is not None):
            return f"the parameters it had after epoch {self.n_iter_}"
        # This call appended one score per epoch it completed (and its best
        # validation score counts from the call's start).
        scores = self.validation_scores_[-(self.n_iter_ - start_iter) :]
        best = start_iter + 1 + int(np.argmax(scores))
        return (
            f"the parameters of epoch {best}, the best on the validation set "
            f"(score {self.best_validation_score_:.6g}) of the {self.n_iter_} "
            "epochs completed"
        )

    def _interrupted(self, snapshot, theta, start_iter):
        """Ctrl-C during an epoch: go back to its start, keep the best
        parameters reached if this call completed an epoch."""
        epoch = snapshot["n_iter_"] + 1
        self._rewind(snapshot, theta)
        if self.n_iter_ == start_iter:
            # Nothing completed: the estimator stays as it was before the
            # call, and the interruption goes on up (a loop of partial_fit
            # calls stops too).
            raise _FitStopped(KeyboardInterrupt(), kept=False)
        self._restore_best()
        raise _FitStopped(
            None,
            kept=True,
            warning=f"fit was interrupted (KeyboardInterrupt) during epoch "
            f"{epoch}; the model keeps {self._kept(start_iter)}, and can be "
            "used or trained further with warm_start=True.",
        )

    def _divergence_cause(self, theta, targets):
        """The likely cause of a non-finite loss, from what the fit holds."""
        clipping = (
            " (or set max_grad_norm: clipping is off)"
            if self.max_grad_norm is None
            else ""
        )
        if not np.isfinite(theta).all():
            cause = (
                "an update took the parameters beyond the float range: lower "
                f"learning_rate={self.learning_rate:g}{clipping}"
            )
        else:
            largest = float(np.abs(theta).max())
            if largest > _SUSPICIOUS_PARAMETER:
                cause = (
                    f"the parameters grew to {largest:.3g}: lower "
                    f"learning_rate={self.learning_rate:g}{clipping}"
                )
            else:
                cause = (
                    "the loss overflowed with parameters no larger than "
                    f"{largest:.3g}: check X for huge values (scale it), or "
                    f"lower learning_rate={self.learning_rate:g}"
                )
        if self._loss == "squared_error":
            largest_y = float(np.abs(targets).max())
            if largest_y > 1e6:
                cause += (
                    f"; y has values up to {largest_y:.3g}: scale it (e.g. "
                    "TransformedTargetRegressor with a StandardScaler)"
                )
        return cause

    def _diverged(self, evaluated, theta, what, targets, start_iter):
        """Something became non-finite (``what``): go back to the last
        parameters whose loss was evaluated and finite, if this call reached
        any after its first epoch, and raise."""
        message = f"{what}: {self._divergence_cause(theta, targets)}."
        if evaluated is None or evaluated["n_iter_"] == start_iter:
            raise _FitStopped(
                FloatingPointError(
                    message + " No epoch of this call ended with parameters whose "
                    "loss is finite, so the estimator is left as it was before "
                    "the call."
                ),
                kept=False,
            )
        self._rewind(evaluated, theta)
        self._restore_best()
        raise _FitStopped(
            FloatingPointError(
                f"{message} The model keeps {self._kept(start_iter)}, the last "
                "whose loss was evaluated and finite."
            ),
            kept=True,
        )

    def _fit_lbfgs(self, values, lengths, targets, sample_weight, tasks):
        """Full-batch L-BFGS-B through scipy, the gradient summed in chunks."""
        params = self._params
        names = tuple(params)
        shapes = [params[k].shape for k in names]
        sizes = [params[k].size for k in names]
        splits = np.cumsum(sizes)[:-1]
        dtype = params["U"].dtype
        total = self._weight_total(sample_weight, lengths)
        chunk = 200 if self.batch_size == "auto" else self.batch_size

        def unpack(theta):
            return {
                k: part.reshape(shape).astype(dtype, copy=False)
                for k, part, shape in zip(names, np.split(theta, splits), shapes)
            }

        def loss_and_grad(theta):
            current = unpack(theta)
            loss = 0.0
            grad = {k: np.zeros(s, dtype=np.float64) for k, s in zip(names, shapes)}
            kwargs = self._core_kwargs()
            for begin in range(0, len(lengths), chunk):
                sl = slice(begin, begin + chunk)
                X = to_time_major(values[sl], lengths[sl])
                Y = targets[sl]
                if self._output != "last":
                    Y = self._time_major_targets(Y, X)
                with np.errstate(over="ignore", invalid="ignore"):
                    part, g = _network.loss_and_grads(
                        current,
                        X,
                        lengths[sl],
                        Y,
                        sample_weight[sl] / total,
                        loss=self._loss,
                        l2=self.alpha / total if begin == 0 else 0.0,
                        **kwargs,
                    )
                loss += part
                for k in names:
                    grad[k] += g[k]
            return loss, np.concatenate([grad[k].ravel() for k in names])

        theta0 = np.concatenate([params[k].ravel() for k in names]).astype(np.float64)
        # The loss and parameters of every completed iteration (L-BFGS-B's
        # loss decreases from one to the next: the last one is the best).
        curve, last = [], {}

        def state_at(x):
            """The fitted attributes with L-BFGS's parameters x."""
            return lambda: {
                **self._fitted_state(),
                **{k + "_": value for k, value in unpack(x).items()},
            }

        def iteration_ends(intermediate_result):
            curve.append(float(intermediate_result.fun))
            last["x"] = intermediate_result.x.copy()
            if tasks.end(state_at(last["x"])):
                raise StopIteration  # a callback asked to stop: scipy stops
            tasks.begin("lbfgs-iter", state_at(last["x"]))

        tasks.begin("lbfgs-iter", state_at(theta0))
        try:
            result = scipy.optimize.minimize(
                loss_and_grad,
                theta0,
                method="L-BFGS-B",
                jac=True,
                callback=iteration_ends,
                options={
                    "maxfun": self.max_fun,
                    "maxiter": self.max_iter,
                    "gtol": self.tol,
                },
            )
        except KeyboardInterrupt:
            if not curve:
                raise _FitStopped(KeyboardInterrupt(), kept=False) from None
            self._lbfgs_keeps(last["x"], curve, len(curve), unpack)
            raise _FitStopped(
                None,
                kept=True,
                warning="fit was interrupted (KeyboardInterrupt) during L-BFGS "
                f"iteration {self.n_iter_ + 1}; the model keeps the parameters "
                f"of the last completed iteration ({self.n_iter_}), the best "
                "reached (L-BFGS lowers the loss at every iteration), and can be "
                "used or trained further with warm_start=True.",
            ) from None
        if not (np.isfinite(result.fun) and np.isfinite(result.x).all()):
            message = (
                f"The training loss became {result.fun} with solver='lbfgs': "
                f"{self._divergence_cause(result.x, targets)}."
            )
            if not (curve and np.isfinite(curve[-1])):
                raise _FitStopped(
                    FloatingPointError(
                        message + " No iteration of this call reached a finite "
                        "loss, so the estimator is left as it was before the call."
                    ),
                    kept=False,
                )
            self._lbfgs_keeps(last["x"], curve, len(curve), unpack)
            raise _FitStopped(
                FloatingPointError(
                    f"{message} The model keeps the parameters of iteration "
                    f"{self.n_iter_}, the last whose loss was finite."
                ),
                kept=True,
            )
        tasks.end(None)  # the iteration begun last, which never ran
        if result.status == 99:  # stopped by a callback: no convergence check
            n_iter = result.nit
        else:
            n_iter = _check_optimize_result("lbfgs", result, self.max_iter)
        # += : a warm start adds iterations, as the stochastic solvers add epochs
        self._lbfgs_keeps(result.x, curve or [float(result.fun)], n_iter, unpack)

    def _lbfgs_keeps(self, x, curve, n_iter, unpack):
        """Make L-BFGS's parameters x and its history the fitted ones."""
        self.n_iter_ += n_iter
        self.loss_ = curve[-1]
        self.loss_curve_.extend(curve)
        self.best_loss_ = min(self.loss_curve_)
        params = self._params
        for k, value in unpack(x).items():
            params[k][...] = value

    # ------------------------------------------------------------------
    # Prediction
    # ------------------------------------------------------------------
    def _check_predict_input(self, X):
        check_is_fitted(self)
        return check_sequences(self, X, reset=False, n_step_features=self.U_.shape[1])

    def _chunks(self, lengths):
        """Index chunks, sequences of similar length together (less padding)."""
        order = np.argsort(lengths, kind="stable")
        U = self.U_  # (G H, F): a gated cell's G gates count as G H units here
        size = predict_chunk_size(
            int(lengths.max()), U.shape[0], U.dtype.itemsize, U.shape[1]
        )
        # Already in length order (e.g. all of one length): slices, so that
        # values[idx] is a view, not a copy.
        in_order = bool((order == np.arange(len(order))).all())
        for begin in range(0, len(order), size):
            end = begin + size
            yield slice(begin, end) if in_order else order[begin:end]

    def _compute_params(self, dtype):
        """The parameters in the dtype of the data (new arrays if cast)."""
        return {k: v.astype(dtype, copy=False) for k, v in self._params.items()}

    def _decision_function_raw(self, values, lengths):
        """Omega (N, K) for validated values, computed chunk by chunk."""
        params = self._compute_params(values.dtype)
        kwargs = self._core_kwargs()
        Omega = np.empty((len(lengths), self._n_outputs()), dtype=values.dtype)
        workspace = _network.Workspace()  # scratch buffers shared by the chunks
        with one_blas_thread():
            for idx in self._chunks(lengths):
                # A time-major view, which the core reads in place or copies once.
                X = values[idx, : int(lengths[idx].max())].transpose(1, 0, 2)
                Omega[idx] = _network.forward(
                    params, X, lengths[idx], workspace=workspace, **kwargs
                )[0]
        return Omega

    def attention_weights(self, X):
        """Attention weights over each sequence's steps at its output step.

        The output of a sequence is read at its last real step T; the weights
        are a_T,i = softmax_i(s h_i . h_T) over its steps i = 1..T.

        Parameters
        ----------
        X : array-like or list of array-like
            Sequences in any accepted form (see the estimator's ``fit``).

        Returns
        -------
        weights : ndarray of shape (n_samples, n_steps)
            One row per sequence; each row sums to 1 over the sequence's
            steps and is NaN after its end. ``n_steps`` is the longest
            sequence in X (the width of X for 2-D and 3-D arrays).

        Raises
        ------
        ValueError
            If the estimator was fitted with ``attention=False``.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_attnrnn import AttentionRNNClassifier
        >>> X = np.random.RandomState(0).randn(20, 6)
        >>> y = (X[:, 0] > 0).astype(int)
        >>> clf = AttentionRNNClassifier(hidden_size=4, max_iter=5).fit(X, y)
        >>> weights = clf.attention_weights(X)
        >>> weights.shape, bool(np.allclose(weights.sum(axis=1), 1))
        ((20, 6), True)
        """
        values, lengths = self._check_predict_input(X)
        if not self.attention:
            raise ValueError(
                "This model was fitted with attention=False: it has no "
                "attention weights."
            )
        params = self._compute_params(values.dtype)
        kwargs = self._core_kwargs()
        weights = np.full(values.shape[:2], np.nan, dtype=values.dtype)
        with one_blas_thread():
            for idx in self._chunks(lengths):
                X_chunk = to_time_major(values[idx], lengths[idx])
                a = _network.forward(params, X_chunk, lengths[idx], **kwargs)[1]
                a[np.arange(a.shape[1])[None, :] >= lengths[idx, None]] = np.nan
                weights[idx, : a.shape[1]] = a
        return weights

    def __setstate__(self, state):
        state.setdefault("cell", "elman")  # saved before 0.3, which had no cell
        state.setdefault("delay", None)  # ... nor a delay
        saved = state.get("_fitted_version")
        if saved is not None and saved != _version():
            warnings.warn(
                f"This {type(self).__name__} was saved with sklearn-attnrnn "
                f"{saved} and is loaded with {_version()}; it may not behave "
                "the same. Refit it, or load it with the version that saved it.",
                UserWarning,
            )
        super().__setstate__(state)
        optimizer = self.__dict__.get("_optimizer")
        if optimizer is not None:
            flatten_optimizer_state(optimizer)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        return tags
