"""The estimator logic shared by every model of the package.

``BaseAttentionRNN`` holds the parameters, their validation, the fit loop
(epochs, mini-batches, shuffling, early stopping, warm start, partial fit,
L-BFGS through scipy), chunked prediction and the attention weights. It holds
no equation: the model is :mod:`sklearn_attnrnn._network`. A subclass says
what differs: how targets are encoded, which loss, how outputs are decoded,
how a validation set is scored.
"""

import copy
import functools
import sys
import threading
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
from threadpoolctl import ThreadpoolController

from . import _network
from ._optimizers import AdamOptimizer, SGDOptimizer, clip_grads_by_global_norm
from ._sequences import check_sequences, to_time_major

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


def _flatten(arrays):
    """The arrays of a parameter or gradient dict, concatenated in core order."""
    names = _network.param_names(_network.cell_of(arrays))
    return np.concatenate([arrays[name].ravel() for name in names])


def _flat_views(params, flat=None):
    """Views of one flat vector shaped like ``params`` (in the core's order).

    Parameters
    ----------
    params : dict of str to ndarray
        The parameters of one cell, ``U, W, b, V, c`` and the GRU's ``b_hn``
        (one dtype).
    flat : ndarray, default=None
        The vector to view; None makes one holding a copy of ``params``.

    Returns
    -------
    flat : ndarray of shape (n_parameters,)
    views : dict of str to ndarray
        One view of ``flat`` per parameter, with its shape.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_attnrnn._network import init_params
    >>> flat, views = _flat_views(init_params(2, 3, 2, np.random.RandomState(0)))
    >>> flat.shape, views["W"].shape, bool(np.shares_memory(flat, views["W"]))
    ((26,), (3, 3), True)
    """
    if flat is None:
        flat = _flatten(params)
    views, begin = {}, 0
    for name in _network.param_names(_network.cell_of(params)):
        shape = params[name].shape
        end = begin + params[name].size
        views[name] = flat[begin:end].reshape(shape)
        begin = end
    return flat, views


def _as_flat_views(params):
    """``params`` as views of one flat vector: the one they already share if
    they are laid out as :func:`_flat_views` makes them, else a new one.

    Reusing the vector keeps the fitted arrays the same objects from one
    ``partial_fit`` / warm-started ``fit`` to the next (a reference a user
    holds stays live); after unpickling they are separate arrays again and
    get a new vector.
    """
    flat = params["U"].base
    if (
        isinstance(flat, np.ndarray)
        and flat.ndim == 1
        and flat.flags.c_contiguous
        and flat.dtype == params["U"].dtype
        and flat.size == sum(p.size for p in params.values())
    ):
        _, views = _flat_views(params, flat)
        if all(
            params[k].__array_interface__ == views[k].__array_interface__ for k in views
        ):
            return flat, params
    return _flat_views(params)


def _flatten_optimizer_state(optimizer):
    """Convert an optimizer state keyed by parameter (models saved before the
    flat parameter vector) to the flat ``{"theta": ...}`` form, exactly: the
    updates are element-wise, so the concatenated state continues as is."""
    for attr in ("ms", "vs", "velocities"):
        state = getattr(optimizer, attr, None)
        if state is not None and set(state) == set(_network.PARAM_NAMES):
            setattr(optimizer, attr, {"theta": _flatten(state)})


_BLAS_CONTROLLER = []


def _blas_controller():
    """A threadpoolctl controller of the loaded BLAS, made at the first fit.

    Making one scans the process's loaded libraries (~1 ms, more with many
    loaded); NumPy's and SciPy's BLAS, the only ones the core calls, are
    loaded by the time any fit runs, so one made once keeps serving.
    """
    if not _BLAS_CONTROLLER:
        _BLAS_CONTROLLER.append(ThreadpoolController())
    return _BLAS_CONTROLLER[0]


class one_blas_thread:
    """A context in which BLAS runs on one thread (fit, and every predict).

    The core's matrix products are one small product per time step: with
    several threads each one waits for its helpers to wake, which made
    ``predict_proba`` up to 6x slower on two threads than on one (see
    ``benchmarks/README.md``), and one thread also keeps a fit identical
    whatever the machine's thread count. The limit is process-wide
    (threadpoolctl): it is set when the first of any overlapping contexts
    (in any thread) is entered and lifted when the last one is left, so
    concurrent fits and predictions neither lift it under each other nor
    leave it behind. Entering costs ~15 us.

    Examples
    --------
    >>> with one_blas_thread():
    ...     pass
    """

    _lock = threading.Lock()
    _depth = 0
    _limiter = None  # threadpoolctl's limiter while any context is open

    def __enter__(self):
        cls = type(self)
        with cls._lock:
            if cls._depth == 0:
                cls._limiter = _blas_controller().limit(limits=1, user_api="blas")
            cls._depth += 1
        return self

    def __exit__(self, *exc_info):
        cls = type(self)
        with cls._lock:
            cls._depth -= 1
            if cls._depth == 0:
                limiter, cls._limiter = cls._limiter, None
                limiter.restore_original_limits()


def _on_one_blas_thread(method):
    """Decorator: run ``method`` inside :func:`one_blas_thread`."""

    @functools.wraps(method)
    def wrapper(*args, **kwargs):
        with one_blas_thread():
            return method(*args, **kwargs)

    return wrapper


def _version():
    from . import __version__

    return __version__


class BaseAttentionRNN(BaseEstimator, metaclass=ABCMeta):
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
        hidden_size=32,
        *,
        cell="elman",
        attention=True,
        attention_scores="dot",
        solver="adam",
        alpha=1e-4,
        dropout=0.0,
        recurrent_dropout=0.0,
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
    @abstractmethod
    def _encode_targets(self, y, *, reset, classes=None):
        """Validate y and return the core's targets; set ``classes_`` etc."""

    @abstractmethod
    def _n_outputs(self):
        """K, the number of outputs of the network."""

    @abstractmethod
    def _validation_score(self, Omega, targets, sample_weight):
        """Weighted score of outputs Omega against encoded targets (higher
        is better)."""

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
    @property
    def _params(self):
        """The fitted parameters as the core's dict (the same arrays)."""
        names = _network.param_names(self._fitted_cell())
        return {name: getattr(self, name + "_") for name in names}

    def _fitted_cell(self):
        """The fitted network's cell (``cell`` may have been set since)."""
        return _network.cell_of({"W": self.W_})

    def _set_params_arrays(self, params):
        for name in ("b_hn",):  # another cell's parameter, from an earlier fit
            if name not in params and hasattr(self, name + "_"):
                delattr(self, name + "_")
        for name in params:
            setattr(self, name + "_", params[name])

    def _core_kwargs(self):
        return {
            "output": self._output,
            "attention": self.attention,
            # the fitted network's H: hidden_size may have been set since
            "scale": _network.score_scale(self.attention_scores, self.W_.shape[1]),
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

    def _fit(self, X, y, sample_weight=None, *, incremental=False, classes=None):
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target "
                "y is None."
            )
        fitted = hasattr(self, "U_")
        continuing = fitted and (incremental or self.warm_start)
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
        sample_weight = self._check_weights(sample_weight, targets, values)
        if not continuing or not hasattr(self, "_random_state"):
            self._random_state = check_random_state(self.random_state)
        # else: partial_fit and warm_start go on with the fit's random stream
        # (shuffling, dropout masks), as if the epochs had run in one fit,
        # instead of drawing the same permutation and masks again.

        if continuing:
            values = values.astype(self.U_.dtype, copy=False)
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
        else:
            self._initialize(values)
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
        # small for threads to pay off anyway). The limit is process-wide:
        # fits running in threads of one process may see it lifted by another
        # fit that ends first, which changes only the last bits.
        with one_blas_thread():
            if self.solver == "lbfgs":
                self._fit_lbfgs(values, lengths, targets, sample_weight)
            else:
                self._fit_stochastic(
                    values, lengths, targets, sample_weight, incremental
                )
        return self

    def _check_weights(self, sample_weight, targets, values):
        weights = _check_sample_weight(sample_weight, values[:, 0, 0], dtype=np.float64)
        if (weights < 0).any():
            raise ValueError("sample_weight must not be negative.")
        implied = self._target_weights(targets)
        if implied is not None:
            weights = weights * implied
        if not weights.sum() > 0:
            raise ValueError(
                "The sample weights (with class_weight) sum to zero; at least "
                "one sample needs a positive weight."
            )
        return weights

    def _initialize(self, values):
        """Fresh parameters, optimizer and training history."""
        dtype = values.dtype
        params = _network.init_params(
            values.shape[2],
            self.hidden_size,
            self._n_outputs(),
            self._random_state,
            dtype=dtype,
            cell=self.cell,
        )
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
        # A time-major view: the core copies it once, into its own buffer.
        X = values[:, : int(lengths.max())].transpose(1, 0, 2)
        Y = targets if self._output == "last" else self._time_major_targets(targets, X)
        # Dropout masks from the fit's random stream (rates of 0 draw nothing).
        input_mask, recurrent_mask = _network.dropout_masks(
            self._random_state,
            len(lengths),
            X.shape[2],
            params["W"].shape[1],
            self.dropout,
            self.recurrent_dropout,
            dtype=X.dtype,
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

    def _fit_stochastic(self, values, lengths, targets, sample_weight, incremental):
        n_samples = len(lengths)
        rng = self._random_state
        X_val = None
        self._best_params = None
        if self.early_stopping:
            self.best_validation_score_ = -np.inf
            if self.validation_scores_ is None:
                self.validation_scores_ = []
            # An integer from rng keeps the split reproducible and independent
            # of what train_test_split does with a RandomState.
            split = train_test_split(
                np.arange(n_samples),
                random_state=rng.randint(np.iinfo(np.int32).max),
                test_size=self.validation_fraction,
                stratify=self._validation_split_stratify(targets),
            )
            train, val = split
            if len(val) < 2:
                raise ValueError(
                    "The validation set is too small: validation_fraction="
                    f"{self.validation_fraction} of {n_samples} samples leaves "
                    f"{len(val)}. Raise validation_fraction or pass more data."
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
        # one array, not a few per parameter. Checked at every fit against
        # the arrays the estimator holds (after unpickling, its own copies),
        # so nothing stale is ever updated.
        theta, params = _as_flat_views(self._params)
        self._set_params_arrays(params)
        order = np.arange(n_samples)
        # The core's scratch buffers, reused by every batch of this fit.
        workspace = _network.Workspace()
        core_kwargs = self._core_kwargs()
        for _ in range(self.max_iter):
            start = time.perf_counter()
            # What to go back to if this epoch is interrupted or diverges.
            snapshot = (theta.copy(), copy.deepcopy(optimizer))
            try:
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
                    if not np.isfinite(loss):
                        self._diverged(snapshot, loss)
                    grad = {"theta": _flatten(grads)}
                    if self.max_grad_norm is not None:  # None: skip the norm
                        clip_grads_by_global_norm(grad, self.max_grad_norm)
                    optimizer.update({"theta": theta}, grad)
                    if not np.isfinite(epoch_loss):
                        self._diverged(snapshot, epoch_loss)
                score = None
                if X_val is not None:
                    score = self._validation_score(
                        self._decision_function_raw(*X_val[:2]), *X_val[2:]
                    )
            except KeyboardInterrupt:
                self._restore(snapshot)
                warnings.warn(
                    f"fit was interrupted (KeyboardInterrupt) during epoch "
                    f"{self.n_iter_ + 1}; the model keeps the parameters of the "
                    f"last completed epoch ({self.n_iter_}) and can be used or "
                    "trained further with warm_start=True.",
                    UserWarning,
                )
                return
            self.n_iter_ += 1
            self.t_ += n_samples
            self.loss_ = epoch_loss / self._weight_total(sample_weight, lengths)
            self.loss_curve_.append(self.loss_)
            optimizer.iteration_ends(self.t_)

            message = f"Epoch {self.n_iter_}: loss = {self.loss_:.8f}"
            if score is not None:
                self.validation_scores_.append(score)
                message += f", validation score = {score:.6f}"
            if self.verbose:
                seconds = time.perf_counter() - start
                print(f"{message} ({seconds:.2f} s)", file=sys.stdout, flush=True)

            self._update_no_improvement_count(X_val is not None, params)
            if self._no_improvement_count > self.n_iter_no_change:
                what = "Validation score" if X_val is not None else "Training loss"
                msg = (
                    f"{what} did not improve more than tol={self.tol} for "
                    f"{self.n_iter_no_change} consecutive epochs."
                )
                if optimizer.trigger_stopping(msg, self.verbose):
                    break
                self._no_improvement_count = 0
            if incremental:
                break
        else:
            if not incremental:
                warnings.warn(
                    f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) "
                    "reached and the optimization hasn't converged yet.",
                    ConvergenceWarning,
                )
        if X_val is not None and self._best_params is not None:
            # Restore the best parameters seen on the validation set, into the
            # fitted arrays so that nothing else holds stale copies.
            for name, best in self._best_params.items():
                params[name][...] = best

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

    def _restore(self, snapshot):
        theta, optimizer = snapshot
        _, saved = _flat_views(self._params, theta)
        for name, value in saved.items():
            getattr(self, name + "_")[...] = value
        self._optimizer = optimizer

    def _diverged(self, snapshot, loss):
        self._restore(snapshot)
        raise FloatingPointError(
            f"The training loss became {loss} during epoch {self.n_iter_ + 1}; "
            f"the model keeps the parameters of the last finite epoch "
            f"({self.n_iter_}). Lower learning_rate or max_grad_norm, or scale X."
        )

    def _fit_lbfgs(self, values, lengths, targets, sample_weight):
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
        curve = []
        result = scipy.optimize.minimize(
            loss_and_grad,
            theta0,
            method="L-BFGS-B",
            jac=True,
            callback=lambda intermediate_result: curve.append(
                float(intermediate_result.fun)
            ),
            options={
                "maxfun": self.max_fun,
                "maxiter": self.max_iter,
                "gtol": self.tol,
            },
        )
        if not np.isfinite(result.fun):
            raise FloatingPointError(
                f"The training loss became {result.fun} with solver='lbfgs'."
            )
        # += : a warm start adds iterations, as the stochastic solvers add epochs
        self.n_iter_ += _check_optimize_result("lbfgs", result, self.max_iter)
        self.loss_ = float(result.fun)
        self.loss_curve_.extend(curve or [self.loss_])
        self.best_loss_ = min(self.loss_curve_)
        for k, value in unpack(result.x).items():
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
            _flatten_optimizer_state(optimizer)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        return tags


# The parameters every estimator of the package shares, documented once and
# inserted into each estimator's docstring.
SHARED_PARAMETERS_DOC = """\
hidden_size : int, default=32
        H, the number of hidden units of the recurrence.

    cell : {"elman", "gru", "lstm"}, default="elman"
        The recurrence. ``"elman"`` is the notes' h_t = tanh(U x_t +
        W h_{t-1} + b); ``"gru"`` and ``"lstm"`` are PyTorch's ``nn.GRU``
        (reset gate applied after the recurrent product, as cuDNN and
        Keras' default) and ``nn.LSTM``, with the same attention and output
        on top. The gated cells learn long-range dependencies that the
        Elman cell's gradient loses (multiplied by W and tanh' at every
        step), at 3x (GRU) and 4x (LSTM) the recurrent work per step and
        parameters; the GRU is the cheaper of the two. Their parameters
        carry over to and from PyTorch: ``U_ = weight_ih_l0``, ``W_ =
        weight_hh_l0``; for the LSTM ``b_ = bias_ih_l0 + bias_hh_l0``; for
        the GRU ``b_hn_ = bias_hh_l0[2H:]``, and ``b_`` is ``bias_ih_l0``
        plus ``bias_hh_l0`` with its n block (``[2H:]``) left out (set
        ``bias_ih_l0 = b_`` and ``bias_hh_l0 = [0, 0, b_hn_]`` the other
        way). Dropout drops inputs and h_{t-1} in every gate's product with
        one mask each, as Keras' GRU and LSTM. The LSTM's forget-gate bias
        starts at 1 (Keras' ``unit_forget_bias``), the other biases at 0,
        each gate's U block Glorot-uniform and W block orthogonal.
        ``warm_start`` and ``partial_fit`` cannot change the cell.

    attention : bool, default=True
        Read the output from the attention context Z_T (True) or, as the plain
        Elman RNN of the notes' seed 003, from the last hidden state h_T.

    attention_scores : {"dot", "scaled"}, default="dot"
        How the attention scores are computed. ``"dot"`` is the notes' raw dot
        product A_T,i = h_i . h_T; ``"scaled"`` divides it by sqrt(H), as
        Transformers do. The raw dot product is the default because it was
        measured to be as accurate or better, and more stable across seeds, on
        every dataset tried (README, "Training on real sequences"): since
        |h| <= 1 the scores are small already, and dividing them by sqrt(H)
        leaves the attention almost uniform, so that on long sequences (digits
        read pixel by pixel, 64 steps) training stalls on a plateau for some
        seeds (accuracy spread 0.57 scaled against 0.07 dot at H=32).

    solver : {"adam", "sgd", "lbfgs"}, default="adam"
        The optimizer. ``"lbfgs"`` is full-batch L-BFGS-B through scipy (the
        gradient is summed chunk by chunk so memory stays bounded); it has no
        ``partial_fit`` and ignores ``batch_size`` except as a chunk size.

    alpha : float, default=1e-4
        Strength of the L2 penalty on U, W and V. The penalty
        ``alpha / 2 * |w|^2`` is divided by the sum of the sample weights.

    dropout : float in [0, 1), default=0.0
        Fraction of the input features dropped during training, as Keras'
        ``SimpleRNN(dropout=...)``: each training sequence of a mini-batch
        draws one Bernoulli mask over the features of x_t, the same at every
        step of the sequence (Keras' convention), and the recurrence reads
        ``U (m_x * x_t)``; with one-hot characters, a dropped feature is
        one letter of the alphabet, hidden from that whole sequence. Kept
        features are scaled by 1 / (1 - dropout)
        (inverted dropout), so that nothing changes at prediction:
        ``predict``, ``predict_proba``, ``score``, ``attention_weights`` and
        the validation score of early stopping never drop. The masks come
        from ``random_state``'s stream, so fits stay reproducible. Needs
        ``solver="adam"`` or ``"sgd"``. The default 0 draws nothing and
        leaves ``fit`` exactly as without the parameter; dropout slows
        training down and pays off on small data sets that overfit (see
        ``recurrent_dropout``), so it is an opt-in, as in Keras.

    recurrent_dropout : float in [0, 1), default=0.0
        Fraction of the units of h_{t-1} dropped in the recurrence during
        training, as Keras' ``SimpleRNN(recurrent_dropout=...)``:
        h_t = tanh(U x_t + W (m_h * h_{t-1}) + b) with one Bernoulli mask m_h
        per sequence, shared by all its steps (variational dropout, Gal and
        Ghahramani, 2016), kept units scaled by 1 / (1 - recurrent_dropout).
        The attention and the output read h_t undropped. Training only, as
        for ``dropout``. On the surnames of the README ("Training on real
        sequences") 0.2 raises the test accuracy from 0.560 to 0.610 at the
        other defaults. The default 0 keeps ``fit`` as it was.
        With either dropout the training loss is noisy (each epoch sees
        other masks), so that the stopping rule on it (``tol``,
        ``n_iter_no_change``) may end training early: raise
        ``n_iter_no_change`` (and ``max_iter``: dropout needs more epochs),
        or use ``early_stopping=True``, whose validation score is computed
        without dropout (on small data the held-out share may cost more
        than it saves: README, "Training on real sequences").

    batch_size : int or "auto", default="auto"
        Mini-batch size of the stochastic solvers; ``"auto"`` is
        ``min(200, n_samples)``.

    learning_rate : float, default=1e-3
        The initial step size of "sgd" and "adam".

    learning_rate_schedule : {"constant", "adaptive", "invscaling"}, \
default="constant"
        ``"constant"`` keeps ``learning_rate``; ``"adaptive"`` divides it by 5
        each time the loss (or validation score) stops improving for
        ``n_iter_no_change`` epochs, and stops when it falls below 1e-6 (for
        Adam too, unlike scikit-learn's MLP); ``"invscaling"`` (sgd only)
        decays it as ``learning_rate / t ** power_t``.

    power_t : float, default=0.5
        Exponent of the "invscaling" schedule.

    max_iter : int, default=500
        Maximum number of epochs (passes over the data) per call to ``fit``;
        for "lbfgs", the maximum number of iterations. 500, not
        MLPClassifier's 200: on a small data set an epoch is a single Adam
        step, and 500 raised the mean accuracy on the benchmark's numeric
        sets (benchmarks/results/accuracy.md); where more epochs overfit
        (the surnames), regularize (``alpha``, ``recurrent_dropout``).

    shuffle : bool, default=True
        Shuffle the samples at every epoch.

    random_state : int, RandomState instance or None, default=None
        Seeds every source of randomness: the initial parameters, the
        shuffling, the validation split and the dropout masks (drawn only
        when a dropout rate is above 0). An int gives identical models
        from identical data, whatever the number of BLAS threads. A fit
        that continues (``partial_fit``, ``warm_start=True``) goes on with
        the random stream of the fit before it, so 3 + 4 warm-started
        epochs equal 7 epochs of one fit, and each call draws new shuffles
        and dropout masks (scikit-learn's MLP re-seeds at every call).

    tol : float, default=1e-4
        Training stops when the loss (or validation score) has not improved
        by at least ``tol`` for ``n_iter_no_change`` consecutive epochs.

    verbose : bool, default=False
        Print one line per epoch: epoch, loss, validation score, seconds.

    warm_start : bool, default=False
        Continue from the fitted parameters *and* the optimizer's state (Adam
        moments, momentum): each ``fit`` then runs up to ``max_iter`` further
        epochs. ``hidden_size`` cannot change.

    momentum : float, default=0.9
        Momentum of "sgd".

    nesterovs_momentum : bool, default=True
        Use Nesterov's momentum with "sgd".

    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the data (stratified for a
        classifier), stop when its score stops improving, and keep the
        parameters with the best validation score.

    validation_fraction : float, default=0.1
        Share of the training data held out for early stopping.

    beta_1 : float, default=0.9
        Adam's decay rate of the first moment.

    beta_2 : float, default=0.999
        Adam's decay rate of the second moment.

    epsilon : float, default=1e-8
        Adam's numerical stability constant.

    n_iter_no_change : int, default=50
        Epochs without an improvement of ``tol`` before stopping. 50, not
        MLPClassifier's 10: an RNN's training loss often rests on a plateau
        for tens of epochs before it falls again, and 10 ended most fits
        there (benchmarks/results/stopping_study.md).

    max_fun : int, default=15000
        Maximum number of loss evaluations of "lbfgs".

    max_grad_norm : float or None, default=5.0
        Clip the gradient of each mini-batch to this global L2 norm, so that
        one long or unlucky sequence cannot blow training up; None disables
        it. (The mean-loss gradient of a healthy batch is far below 5.)"""

SHARED_ATTRIBUTES_DOC = """\
n_features_in_ : int
        Features per step (the width of X for a 2-D X, whose steps have one
        feature each).

    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the columns of a 2-D X given as a DataFrame.

    U_ : ndarray of shape (n_gates * hidden_size, n_step_features)
        Input weights U of h_t = tanh(U x_t + W h_{t-1} + b); for a gated
        cell, its gates' blocks stacked as PyTorch's ``weight_ih_l0``
        (n_gates 1 Elman, 3 GRU: r, z, n; 4 LSTM: i, f, g, o).

    W_ : ndarray of shape (n_gates * hidden_size, hidden_size)
        Recurrent weights W (PyTorch's ``weight_hh_l0``).

    b_ : ndarray of shape (n_gates * hidden_size,)
        Hidden bias b, one per gate unit (see ``cell`` for PyTorch's biases).

    b_hn_ : ndarray of shape (hidden_size,)
        The GRU's bias inside r_t * (W_n h_{t-1} + b_hn); only with
        ``cell="gru"``.

    V_ : ndarray of shape (n_outputs, hidden_size)
        Output weights V of Omega = V Z + c.

    c_ : ndarray of shape (n_outputs,)
        Output bias c.

    loss_ : float
        The loss of the last epoch (for "lbfgs", at the solution).

    loss_curve_ : list of float
        The loss of every epoch (for "lbfgs", of every iteration).

    best_loss_ : float or None
        The lowest training loss; None with early stopping.

    validation_scores_ : list of float or None
        The validation score of every epoch with early stopping; else None.

    best_validation_score_ : float or None
        The best validation score with early stopping; else None.

    n_iter_ : int
        Epochs run (for "lbfgs", iterations).

    t_ : int
        Samples seen by the stochastic solver."""
