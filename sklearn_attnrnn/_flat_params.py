"""The fitted parameters as views of one flat vector.

During a stochastic fit the fitted arrays (``U_``, ``W_``, ...) are views of
one vector, so that an optimizer step, the gradient clipping and an epoch's
snapshot are a few NumPy calls on one array instead of a few per parameter.
The vector is laid out in the core's parameter order
(:func:`sklearn_attnrnn._network.names_of`). Models saved by sklearn-attnrnn
0.1 kept the optimizer's state per parameter; :func:`flatten_optimizer_state`
converts it on loading.
"""

import numpy as np

from . import _network


def flatten(arrays):
    """The arrays of a parameter or gradient dict, concatenated in core order."""
    names = _network.names_of(arrays)
    return np.concatenate([arrays[name].ravel() for name in names])


def flat_views(params, flat=None):
    """Views of one flat vector shaped like ``params`` (in the core's order).

    Parameters
    ----------
    params : dict of str to ndarray
        The parameters of one cell, ``U, W, b, V, c``, the GRU's ``b_hn``
        and ``R`` with a delay (one dtype).
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
    >>> flat, views = flat_views(init_params(2, 3, 2, np.random.RandomState(0)))
    >>> flat.shape, views["W"].shape, bool(np.shares_memory(flat, views["W"]))
    ((26,), (3, 3), True)
    """
    if flat is None:
        flat = flatten(params)
    views, begin = {}, 0
    for name in _network.names_of(params):
        shape = params[name].shape
        end = begin + params[name].size
        views[name] = flat[begin:end].reshape(shape)
        begin = end
    return flat, views


def as_flat_views(params):
    """``params`` as views of one flat vector: the one they already share if
    they are laid out as :func:`flat_views` makes them, else a new one.

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
        _, views = flat_views(params, flat)
        if all(
            params[k].__array_interface__ == views[k].__array_interface__ for k in views
        ):
            return flat, params
    return flat_views(params)


def flatten_optimizer_state(optimizer):
    """Convert an optimizer state keyed by parameter (models saved before the
    flat parameter vector) to the flat ``{"theta": ...}`` form, exactly: the
    updates are element-wise, so the concatenated state continues as is."""
    for attr in ("ms", "vs", "velocities"):
        state = getattr(optimizer, attr, None)
        if state is not None and set(state) == set(_network.PARAM_NAMES):
            setattr(optimizer, attr, {"theta": flatten(state)})
