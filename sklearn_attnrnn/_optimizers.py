"""Stateful stochastic optimizers that do not hold on to the parameters.

This module is modelled on scikit-learn's
``sklearn/neural_network/_stochastic_optimizers.py`` and reproduces its update
rules exactly (bit for bit in float64). As scikit-learn's since 2021 (its
issue #19626: an unpickled MLP's optimizer updated stale copies of the
parameters), the optimizers here keep only their *state* (moments,
velocities, step count and current learning rate) and receive the
parameters, as a ``dict`` of arrays, at every call of :meth:`update`.

State arrays are created lazily, on the first update, with the shapes and
dtypes of the gradients and are keyed like the parameters. A later call with
another set of keys or another shape raises a :class:`ValueError` instead of
broadcasting silently.
"""

# SPDX-License-Identifier: BSD-3-Clause

import math

import numpy as np

__all__ = ["AdamOptimizer", "SGDOptimizer", "clip_grads_by_global_norm"]

_SGD_SCHEDULES = ("constant", "adaptive", "invscaling")
_ADAM_SCHEDULES = ("constant", "adaptive")


def _check_params_grads(params, grads):
    """Check that ``params`` and ``grads`` have the same keys and shapes."""
    if params.keys() != grads.keys():
        missing = sorted(set(params) - set(grads))
        extra = sorted(set(grads) - set(params))
        raise ValueError(
            "params and grads must have the same keys; "
            f"missing gradients for {missing}, gradients without a parameter "
            f"for {extra}."
        )
    for name, grad in grads.items():
        param = params[name]
        if not isinstance(param, np.ndarray):
            raise TypeError(
                f"params[{name!r}] must be a numpy array (it is updated in "
                f"place), got {type(param).__name__}."
            )
        if param.shape != np.shape(grad):
            raise ValueError(
                f"Shape mismatch for {name!r}: parameter has shape {param.shape} "
                f"but its gradient has shape {np.shape(grad)}."
            )


def _get_state(optimizer, attr, grads):
    """Return the state dict ``optimizer.<attr>``, creating it if needed.

    The state is created with ``zeros_like`` of the gradients (same shapes and
    dtypes). An existing state must match the keys and shapes of ``grads``.
    """
    state = getattr(optimizer, attr)
    if state is None:
        state = {
            name: np.zeros_like(np.asarray(grad), subok=False)
            for name, grad in grads.items()
        }
        setattr(optimizer, attr, state)
        return state
    if state.keys() != grads.keys():
        raise ValueError(
            f"{type(optimizer).__name__}.{attr} was created for the parameters "
            f"{sorted(state)} but the update received {sorted(grads)}. Create a "
            "new optimizer when the set of parameters changes."
        )
    for name, grad in grads.items():
        if state[name].shape != np.shape(grad):
            raise ValueError(
                f"{type(optimizer).__name__}.{attr}[{name!r}] has shape "
                f"{state[name].shape} but the gradient has shape "
                f"{np.shape(grad)}. Create a new optimizer when the parameter "
                "shapes change."
            )
    return state


class _BaseOptimizer:
    """Shared behaviour: learning rate bookkeeping and stopping decisions."""

    def iteration_ends(self, time_step):
        """Update the learning rate at the end of an epoch (no-op by default).

        Parameters
        ----------
        time_step : int
            Number of training samples seen so far.
        """

    def trigger_stopping(self, msg, verbose):
        """Decide whether training should stop once progress has stalled.

        With ``lr_schedule='adaptive'`` the learning rate is divided by 5 and
        training continues (returns ``False``) unless the learning rate is
        already ``<= 1e-6``, in which case training stops. With any other
        schedule training stops.

        Parameters
        ----------
        msg : str
            Message printed when ``verbose`` is true.
        verbose : bool
            Whether to print ``msg`` followed by the decision.

        Returns
        -------
        is_stopping : bool
            True if training should stop.
        """
        if self.lr_schedule != "adaptive":
            if verbose:
                print(msg + " Stopping.")
            return True

        if self.learning_rate <= 1e-6:
            if verbose:
                print(msg + " Learning rate too small. Stopping.")
            return True

        self.learning_rate /= 5.0
        if verbose:
            print(f"{msg} Setting learning rate to {self.learning_rate:f}")
        return False


class SGDOptimizer(_BaseOptimizer):
    """Stochastic gradient descent with (Nesterov) momentum.

    Same update rule as scikit-learn's ``SGDOptimizer`` (used by
    ``MLPClassifier(solver='sgd')``); the optimizer holds only its state, the
    parameters are passed to every :meth:`update`.

    Parameters
    ----------
    learning_rate_init : float, default=0.1
        The initial learning rate.

    lr_schedule : {'constant', 'adaptive', 'invscaling'}, default='constant'
        Learning rate schedule, as ``MLPClassifier``'s ``learning_rate``:

        - ``'constant'``: the learning rate stays at ``learning_rate_init``.
        - ``'invscaling'``: :meth:`iteration_ends` sets the learning rate to
          ``learning_rate_init / (time_step + 1) ** power_t``.
        - ``'adaptive'``: each call of :meth:`trigger_stopping` divides the
          learning rate by 5; training stops once it is ``<= 1e-6``.

    momentum : float, default=0.9
        Momentum, ``>= 0``.

    nesterov : bool, default=True
        Whether to use Nesterov's momentum.

    power_t : float, default=0.5
        Exponent of the ``'invscaling'`` schedule.

    Attributes
    ----------
    learning_rate : float
        The current learning rate.

    velocities : dict of str to ndarray or None
        Velocities keyed like the parameters, in the dtype of the gradients;
        ``None`` until the first :meth:`update`.

    See Also
    --------
    AdamOptimizer : Adam optimizer with the same interface.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_attnrnn._optimizers import SGDOptimizer
    >>> opt = SGDOptimizer(learning_rate_init=0.1, momentum=0.9, nesterov=False)
    >>> params = {"w": np.array([1.0, 2.0])}
    >>> opt.update(params, {"w": np.array([1.0, -1.0])})
    >>> print(params["w"])
    [0.9 2.1]
    >>> opt.update(params, {"w": np.array([1.0, -1.0])})
    >>> print(params["w"])
    [0.71 2.29]
    """

    def __init__(
        self,
        learning_rate_init=0.1,
        lr_schedule="constant",
        momentum=0.9,
        nesterov=True,
        power_t=0.5,
    ):
        if lr_schedule not in _SGD_SCHEDULES:
            raise ValueError(
                f"lr_schedule must be one of {_SGD_SCHEDULES}, got {lr_schedule!r}."
            )
        self.learning_rate_init = learning_rate_init
        self.learning_rate = float(learning_rate_init)
        self.lr_schedule = lr_schedule
        self.momentum = momentum
        self.nesterov = nesterov
        self.power_t = power_t
        self.velocities = None

    def update(self, params, grads):
        """Apply one SGD step to ``params`` in place.

        ``velocity = momentum * velocity - learning_rate * grad``, then
        ``param += velocity`` (or, with Nesterov momentum,
        ``param += momentum * velocity - learning_rate * grad``).

        Parameters
        ----------
        params : dict of str to ndarray
            Parameters, modified in place (their dtype is kept).
        grads : dict of str to ndarray
            Gradients, with the same keys and shapes as ``params``.

        Raises
        ------
        ValueError
            If the keys or shapes of ``params``, ``grads`` and the existing
            velocities do not match. Nothing is modified in that case.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_attnrnn._optimizers import SGDOptimizer
        >>> opt = SGDOptimizer(learning_rate_init=0.5, momentum=0.0)
        >>> params = {"b": np.zeros(2, dtype=np.float32)}
        >>> opt.update(params, {"b": np.array([1.0, 2.0], dtype=np.float32)})
        >>> params["b"]
        array([-0.5, -1. ], dtype=float32)
        """
        _check_params_grads(params, grads)
        velocities = _get_state(self, "velocities", grads)
        # Python floats keep float32 arrays in float32 (NEP 50).
        lr = float(self.learning_rate)
        momentum = float(self.momentum)
        for name, grad in grads.items():
            velocity = velocities[name]
            # step = -(lr * grad): negation is exact, so the sums below are
            # bit-identical to scikit-learn's ``momentum * v - lr * grad``.
            step = np.multiply(grad, -lr)
            velocity *= momentum
            velocity += step
            if self.nesterov:
                step += momentum * velocity
                params[name] += step
            else:
                params[name] += velocity

    def iteration_ends(self, time_step):
        """Update the learning rate at the end of an epoch.

        Only the ``'invscaling'`` schedule changes the learning rate here:
        ``learning_rate = learning_rate_init / (time_step + 1) ** power_t``.

        Parameters
        ----------
        time_step : int
            Number of training samples seen so far.

        Examples
        --------
        >>> from sklearn_attnrnn._optimizers import SGDOptimizer
        >>> opt = SGDOptimizer(learning_rate_init=1.0, lr_schedule="invscaling")
        >>> opt.iteration_ends(3)
        >>> opt.learning_rate
        0.5
        """
        if self.lr_schedule == "invscaling":
            self.learning_rate = (
                float(self.learning_rate_init) / (time_step + 1) ** self.power_t
            )

    def trigger_stopping(self, msg, verbose):
        """Decide whether training should stop once progress has stalled.

        With ``lr_schedule='adaptive'`` the learning rate is divided by 5 and
        training continues (returns ``False``) unless the learning rate is
        already ``<= 1e-6``, in which case training stops. With any other
        schedule ``msg`` is printed if ``verbose`` and training stops.

        Parameters
        ----------
        msg : str
            Message printed when ``verbose`` is true.
        verbose : bool
            Whether to print ``msg`` followed by the decision.

        Returns
        -------
        is_stopping : bool
            True if training should stop.

        Examples
        --------
        >>> from sklearn_attnrnn._optimizers import SGDOptimizer
        >>> opt = SGDOptimizer(learning_rate_init=0.1, lr_schedule="adaptive")
        >>> opt.trigger_stopping("No improvement.", verbose=True)
        No improvement. Setting learning rate to 0.020000
        False
        >>> SGDOptimizer().trigger_stopping("No improvement.", verbose=True)
        No improvement. Stopping.
        True
        """
        return super().trigger_stopping(msg, verbose)


class AdamOptimizer(_BaseOptimizer):
    """Adam optimizer.

    Same bias-corrected update rule as scikit-learn's ``AdamOptimizer``; the
    optimizer holds only its state, the parameters are passed to every
    :meth:`update`. Default values are those of the original Adam paper.

    Parameters
    ----------
    learning_rate_init : float, default=0.001
        The initial learning rate.

    beta_1 : float, default=0.9
        Exponential decay rate of the first moment estimates, in [0, 1).

    beta_2 : float, default=0.999
        Exponential decay rate of the second moment estimates, in [0, 1).

    epsilon : float, default=1e-8
        Value added to the denominator for numerical stability.

    lr_schedule : {'constant', 'adaptive'}, default='constant'
        ``'constant'`` keeps the learning rate at ``learning_rate_init``.
        ``'adaptive'`` divides it by 5 at each :meth:`trigger_stopping` and
        stops once it is ``<= 1e-6``, exactly as for :class:`SGDOptimizer`.
        This is an extension over scikit-learn, whose MLP ignores its
        ``learning_rate`` schedule with Adam. ``'invscaling'`` is not
        supported.

    Attributes
    ----------
    learning_rate : float
        The current (scheduled) learning rate, before bias correction. Unlike
        scikit-learn, where this attribute is overwritten at each step with
        the bias-corrected step size, it is kept so that the ``'adaptive'``
        schedule can act on it; the step size used by step ``t`` is
        ``learning_rate * sqrt(1 - beta_2**t) / (1 - beta_1**t)``.

    t : int
        Number of updates performed so far.

    ms : dict of str to ndarray or None
        First moment estimates keyed like the parameters; ``None`` until the
        first :meth:`update`.

    vs : dict of str to ndarray or None
        Second moment estimates keyed like the parameters; ``None`` until the
        first :meth:`update`.

    See Also
    --------
    SGDOptimizer : SGD with momentum and the same interface.

    References
    ----------
    Kingma, Diederik, and Jimmy Ba (2014). "Adam: A method for stochastic
    optimization." arXiv:1412.6980.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_attnrnn._optimizers import AdamOptimizer
    >>> opt = AdamOptimizer(learning_rate_init=0.1)
    >>> params = {"w": np.array([1.0, 1.0])}
    >>> opt.update(params, {"w": np.array([3.0, -0.5])})
    >>> print(params["w"].round(6))
    [0.9 1.1]
    >>> opt.t
    1
    """

    def __init__(
        self,
        learning_rate_init=0.001,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        lr_schedule="constant",
    ):
        if lr_schedule not in _ADAM_SCHEDULES:
            raise ValueError(
                f"lr_schedule must be one of {_ADAM_SCHEDULES} for Adam, "
                f"got {lr_schedule!r}."
            )
        self.learning_rate_init = learning_rate_init
        self.learning_rate = float(learning_rate_init)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.lr_schedule = lr_schedule
        self.t = 0
        self.ms = None
        self.vs = None

    def update(self, params, grads):
        """Apply one bias-corrected Adam step to ``params`` in place.

        With ``t`` incremented first::

            m = beta_1 * m + (1 - beta_1) * grad
            v = beta_2 * v + (1 - beta_2) * grad ** 2
            step_size = learning_rate * sqrt(1 - beta_2**t) / (1 - beta_1**t)
            param += -step_size * m / (sqrt(v) + epsilon)

        Parameters
        ----------
        params : dict of str to ndarray
            Parameters, modified in place (their dtype is kept).
        grads : dict of str to ndarray
            Gradients, with the same keys and shapes as ``params``.

        Raises
        ------
        ValueError
            If the keys or shapes of ``params``, ``grads`` and the existing
            moments do not match. Nothing is modified in that case.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_attnrnn._optimizers import AdamOptimizer
        >>> opt = AdamOptimizer(learning_rate_init=0.01)
        >>> params = {"w": np.zeros(3, dtype=np.float32)}
        >>> opt.update(params, {"w": np.array([1.0, -2.0, 0.0], dtype=np.float32)})
        >>> params["w"].round(6)
        array([-0.01,  0.01,  0.  ], dtype=float32)
        """
        _check_params_grads(params, grads)
        # Validate (or create) both states before modifying anything.
        if (self.ms is None) != (self.vs is None):
            raise ValueError("Inconsistent Adam state: only one of ms/vs is set.")
        ms = _get_state(self, "ms", grads)
        vs = _get_state(self, "vs", grads)

        self.t += 1
        beta_1 = float(self.beta_1)
        beta_2 = float(self.beta_2)
        epsilon = float(self.epsilon)
        step_size = (
            float(self.learning_rate)
            * math.sqrt(1 - beta_2**self.t)
            / (1 - beta_1**self.t)
        )
        for name, grad in grads.items():
            m = ms[name]
            v = vs[name]
            buf = np.multiply(grad, 1 - beta_1)
            m *= beta_1
            m += buf
            np.square(grad, out=buf)
            buf *= 1 - beta_2
            v *= beta_2
            v += buf
            np.sqrt(v, out=buf)
            buf += epsilon
            np.divide(np.multiply(m, -step_size), buf, out=buf)
            params[name] += buf

    def iteration_ends(self, time_step):
        """Do nothing: Adam has no per-epoch learning rate schedule.

        Parameters
        ----------
        time_step : int
            Number of training samples seen so far (ignored).

        Examples
        --------
        >>> from sklearn_attnrnn._optimizers import AdamOptimizer
        >>> opt = AdamOptimizer(learning_rate_init=0.01)
        >>> opt.iteration_ends(100)
        >>> opt.learning_rate
        0.01
        """

    def trigger_stopping(self, msg, verbose):
        """Decide whether training should stop once progress has stalled.

        With ``lr_schedule='adaptive'`` the learning rate is divided by 5 and
        training continues (returns ``False``) unless the learning rate is
        already ``<= 1e-6``, in which case training stops. With
        ``'constant'`` ``msg`` is printed if ``verbose`` and training stops.

        Parameters
        ----------
        msg : str
            Message printed when ``verbose`` is true.
        verbose : bool
            Whether to print ``msg`` followed by the decision.

        Returns
        -------
        is_stopping : bool
            True if training should stop.

        Examples
        --------
        >>> from sklearn_attnrnn._optimizers import AdamOptimizer
        >>> opt = AdamOptimizer(learning_rate_init=0.01, lr_schedule="adaptive")
        >>> opt.trigger_stopping("No improvement.", verbose=False)
        False
        >>> opt.learning_rate
        0.002
        >>> AdamOptimizer().trigger_stopping("No improvement.", verbose=False)
        True
        """
        return super().trigger_stopping(msg, verbose)


def clip_grads_by_global_norm(grads, max_norm):
    """Scale all gradients in place so that their global L2 norm is bounded.

    The global norm is ``sqrt(sum(g ** 2))`` over every entry of every array
    (accumulated in float64). If it exceeds ``max_norm`` every array is
    multiplied by ``max_norm / norm`` (keeping its dtype), so the clipped
    norm equals ``max_norm`` up to rounding. If the norm is not finite the
    gradients are left unchanged and the caller can inspect the returned
    value.

    Parameters
    ----------
    grads : dict of str to ndarray
        Gradients, modified in place.
    max_norm : float or None
        Maximum global norm, ``> 0``. ``None`` or ``inf`` disables clipping
        (the norm is still computed and returned).

    Returns
    -------
    norm : float
        The global norm before clipping.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_attnrnn._optimizers import clip_grads_by_global_norm
    >>> grads = {"a": np.array([3.0]), "b": np.array([[4.0]])}
    >>> clip_grads_by_global_norm(grads, max_norm=1.0)
    5.0
    >>> print(grads["a"], grads["b"])
    [0.6] [[0.8]]
    >>> clip_grads_by_global_norm(grads, max_norm=None)
    1.0
    """
    if max_norm is not None and not max_norm > 0:
        raise ValueError(f"max_norm must be > 0 or None, got {max_norm!r}.")
    sq_sum = 0.0
    for grad in grads.values():
        flat = np.asarray(grad).ravel()
        if flat.dtype != np.float64:
            flat = flat.astype(np.float64)
        sq_sum += float(np.dot(flat, flat))
    norm = math.sqrt(sq_sum)
    if max_norm is None or math.isinf(max_norm) or not math.isfinite(norm):
        return norm
    if norm > max_norm:
        scale = float(max_norm) / norm
        for grad in grads.values():
            grad *= scale
    return norm
