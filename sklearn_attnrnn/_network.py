"""The attention RNN of the notes: forward pass and backpropagation through time.

This module is the only place that holds the model's equations. Everything is a
plain function over a dict of parameter arrays, under the notes' names::

    h_t   = tanh(U x_t + W h_{t-1} + b)          h_0 = 0
    A_t,i = s * (h_i . h_t)                      i = 1..t  (causal)
    a_t   = softmax_i(A_t,i)
    Z_t   = sum_i a_t,i h_i                      (Z_t = h_t without attention)
    Omega_t = V Z_t + c
    y_hat_t = softmax(Omega_t)   (classification)  or  Omega_t  (regression)

with ``s = 1`` in the notes (raw dot product) or ``s = 1 / sqrt(H)``.
Shapes: U (H, F), W (H, H), b (H,), V (K, H), c (K,).

The delayed connection (seed 000, read as LSTNet's recurrent skip), when a
network has a delay L >= 2 and a matrix R (H, H)::

    h_t   = tanh(U x_t + W h_{t-1} + R h_{t-L} + b)     h_s = 0 for s <= 0

Its exact gradient, with delta_t = dL/d(pre-activation of step t)::

    dL/dh_{t-L} += R^T delta_t        dR = sum_t delta_t h_{t-L}^T

R h_{t-L} depends only on states L or more steps back, so the loop adds it
for L steps at once: at step t = kL, one matrix product puts R h_{t-L..t-1}
into the pre-activations of steps t..t+L-1 (and the backward pass sends
delta_{t..t+L-1} back to h_{t-L..t-1} in one product). It is the same sum,
with T / L products instead of T.

Dropout, in training only (:func:`loss_and_grads` with masks; Keras'
``SimpleRNN(dropout, recurrent_dropout)``): each sequence n has one input
mask m_x (F,) and one recurrent mask m_h (H,), drawn once by
:func:`dropout_masks` and shared by all its steps (variational dropout, Gal
& Ghahramani 2016). Their entries are 0 (dropped, with probability p) or
1 / (1 - p) (kept, inverted dropout), and the recurrence becomes::

    h_t   = tanh(U (m_x * x_t) + W (m_h * h_{t-1}) + b)      h_0 = 0

(``*`` elementwise); the attention and the output read h_t itself. Its
exact gradient, with delta_t = dL/d(pre-activation of step t)::

    dL/dh_{t-1} += m_h * (W^T delta_t)
    dU = sum_t delta_t (m_x * x_t)^T     dW = sum_t delta_t (m_h * h_{t-1})^T

With a delay, the same m_h drops the same units of h_{t-L} (R (m_h *
h_{t-L})): a dropped unit is hidden from the whole recurrence of that
sequence, as recurrent dropout hides a unit from a gated cell's gates.

Without masks (prediction, and training at rates 0) the recurrence is the
unmasked one above, computed by loops that never see a mask.

Arrays are time-major: a batch ``X`` is (T, N, F), so that one time step is a
contiguous slice. ``lengths`` (N,) gives each sequence's number of real steps;
the steps after it are padding and never reach a loss or an attention weight.
The recurrence itself runs over the padding (it is causal, so padded steps
cannot change real ones) which keeps the loop free of per-sample masks.

Two output modes:

- ``"last"``: one output per sequence, read at its last real step, attending
  over that sequence's steps (sequence classification / regression).
- ``"every"``: one output per real step t, attending over h_1..h_t (the notes'
  next-character formulation); the loss is summed over the steps.

Two gradients:

- ``"exact"``: the gradient of the forward pass above, including the path
  through the attention scores A (the default everywhere).
- ``"notes"``: the notes' simplification, kept to reproduce their printed
  numbers: the attention weights are held constant (no gradient through A)
  and dL/dV uses h_t in place of Z_t.
"""

import numpy as np
from scipy.linalg import blas as _blas

PARAM_NAMES = ("U", "W", "b", "V", "c")
# L2 applies to the weight matrices only, as in scikit-learn's MLP (not biases).
PENALIZED = ("U", "W", "V", "R")


def param_names(params):
    """The names of a network's parameters, in the core's order.

    ``U, W, b, V, c``, and ``R`` last for a network with a delay (so that
    the other parameters keep their places in a flat vector).

    Examples
    --------
    >>> import numpy as np
    >>> param_names(init_params(2, 3, 2, np.random.RandomState(0), delay=4))
    ('U', 'W', 'b', 'V', 'c', 'R')
    """
    return PARAM_NAMES + ("R",) if "R" in params else PARAM_NAMES


def _orthogonal(random_state, size):
    """A random orthogonal (size, size) matrix, uniformly distributed."""
    Q, R = np.linalg.qr(random_state.standard_normal((size, size)))
    return Q * np.sign(np.diag(R))  # the sign fix makes Q uniform


def init_params(
    n_features, hidden_size, n_outputs, random_state, dtype=np.float64, delay=None
):
    """Draw initial parameters for tanh recurrences.

    ``U`` and ``V`` use Glorot-uniform bounds ``sqrt(6 / (fan_in + fan_out))``
    (as scikit-learn's MLP does for tanh). ``W`` is a random orthogonal
    matrix: its singular values are all 1, so a gradient propagated back
    through many steps neither explodes nor vanishes from the initialisation
    alone (Saxe et al., 2014). Biases start at zero. With a delay, ``R`` is
    another random orthogonal matrix, drawn last (the other parameters are
    those drawn without a delay).

    Parameters
    ----------
    n_features : int
        F, the number of input features per step.
    hidden_size : int
        H, the number of hidden units.
    n_outputs : int
        K, the number of outputs (classes or regression targets).
    random_state : numpy.random.RandomState
        The source of randomness.
    dtype : dtype, default=np.float64
        The dtype of the returned arrays.
    delay : int or None, default=None
        L of the delayed connection R h_{t-L}; None: no ``R``.

    Returns
    -------
    params : dict of str to ndarray
        ``U`` (H, F), ``W`` (H, H), ``b`` (H,), ``V`` (K, H), ``c`` (K,),
        and ``R`` (H, H) with a delay.

    Examples
    --------
    >>> import numpy as np
    >>> p = init_params(3, 4, 2, np.random.RandomState(0))
    >>> {k: v.shape for k, v in p.items()}
    {'U': (4, 3), 'W': (4, 4), 'b': (4,), 'V': (2, 4), 'c': (2,)}
    >>> bool(np.allclose(p["W"] @ p["W"].T, np.eye(4)))
    True
    """
    H, F, K = hidden_size, n_features, n_outputs
    bound_U = np.sqrt(6.0 / (F + H))
    bound_V = np.sqrt(6.0 / (H + K))
    U = random_state.uniform(-bound_U, bound_U, (H, F))
    W = _orthogonal(random_state, H)
    V = random_state.uniform(-bound_V, bound_V, (K, H))
    params = {"U": U, "W": W, "b": np.zeros(H), "V": V, "c": np.zeros(K)}
    if delay is not None:
        params["R"] = _orthogonal(random_state, H)
    return {name: np.ascontiguousarray(a, dtype=dtype) for name, a in params.items()}


class Workspace:
    """Scratch buffers that one caller reuses from batch to batch.

    The (T, N, H) arrays of a forward and backward pass (hidden states,
    their gradient, tanh') are large enough that allocating them afresh for
    every mini-batch costs more than filling them: the allocator hands the
    memory back to the system and every page faults in again. A fit loop or
    a chunked predict keeps one ``Workspace`` and passes it to
    :func:`forward` / :func:`loss_and_grads`; the core then writes into the
    same buffers each time (growing them when a batch is larger).

    Nothing the core returns lives in a workspace buffer, so results stay
    valid after the next call. A workspace must not be shared by two calls
    running at the same time (one per thread).

    Examples
    --------
    >>> import numpy as np
    >>> ws = Workspace()
    >>> a = ws.get("h", (2, 3), np.float64)
    >>> b = ws.get("h", (3, 2), np.float64)  # same memory, another shape
    >>> bool(np.shares_memory(a, b)), b.shape
    (True, (3, 2))
    """

    def __init__(self):
        self._buffers = {}
        self._views = {}

    def get(self, name, shape, dtype):
        """A C-contiguous array of ``shape`` and ``dtype`` (contents undefined).

        Parameters
        ----------
        name : str
            Which buffer: one name, one reused memory block per dtype.
        shape : tuple of int
            The shape wanted.
        dtype : dtype
            The dtype wanted.

        Returns
        -------
        array : ndarray
            A view of the buffer, which the next ``get`` of the same name
            may overwrite.
        """
        key = (name, shape, dtype)
        view = self._views.get(key)
        if view is not None:  # the common case: the same batch shape again
            return view
        dtype = np.dtype(dtype)
        size = 1
        for n in shape:
            size *= int(n)
        buf = self._buffers.get((name, dtype))
        if buf is None or buf.size < size:
            buf = np.empty(size, dtype)
            self._buffers[(name, dtype)] = buf
            # views of the old, smaller buffer must not be handed out again
            self._views = {k: v for k, v in self._views.items() if k[0] != name}
        view = buf[:size].reshape(shape)
        self._views[key] = view
        return view


def _buffer(workspace, name, shape, dtype):
    if workspace is None:
        return np.empty(shape, dtype)
    return workspace.get(name, shape, dtype)


# BLAS gemm, which can add into its output in place (C += A B; numpy's matmul
# cannot): one call per step of the recurrence and of its backward pass.
_GEMM = {np.dtype(np.float32): _blas.sgemm, np.dtype(np.float64): _blas.dgemm}


def _gemm_into(gemm, AT, B, out, beta, trans_a):
    """out^T = op(AT) B^T + beta out^T, in place (out and B are (rows, H)).

    ``AT`` is the Fortran-ordered transpose of a C-ordered (H, H) matrix A:
    ``trans_a=1`` multiplies by A, ``trans_a=0`` by A^T. Working on the
    transposes lets BLAS read and write the C-ordered rows where they lie.
    """
    c = out.T
    res = gemm(1.0, AT, B.T, beta, c, trans_a, 0, 1)
    if res is not c:  # pragma: no cover - f2py had to copy: write it back
        out[...] = res.T


def _delayed_forward(h, t, delay, RT, gemm, mask=None, workspace=None):
    """Add R (m *) h_{s-L} to the pre-activations of steps s = t..t+L-1.

    Called at step t = kL of the forward loop, when h_{t-L}..h_{t-1} are
    final: one product for the next L steps (fewer at the end).
    """
    T, N, H = h.shape
    n = min(delay, T - t)
    out = h[t : t + n].reshape(n * N, H)
    src = h[t - delay : t - delay + n]
    if mask is not None:  # R (m_h * h_{s-L})
        dropped = _buffer(workspace, "h_delayed", (n, N, H), h.dtype)
        np.multiply(src, mask, out=dropped)
        src = dropped
    src = src.reshape(n * N, H)
    if gemm is None:  # pragma: no cover - only float32 and float64 reach here
        out += src @ RT
    else:
        _gemm_into(gemm, RT, src, out, 1.0, 1)


def _delayed_backward(dh, t, delay, RT, gemm, mask=None, workspace=None):
    """dL/dh_{s-L} += (m *) R^T delta_s for s = t..t+L-1, once delta_t..
    delta_{t+L-1} are known (at step t = kL of the backward loop)."""
    T, N, H = dh.shape
    n = min(delay, T - t)
    out = dh[t - delay : t - delay + n].reshape(n * N, H)
    delta = dh[t : t + n].reshape(n * N, H)
    if mask is None:
        if gemm is None:  # pragma: no cover
            out += delta @ RT.T
        else:
            _gemm_into(gemm, RT, delta, out, 1.0, 0)
        return
    back = _buffer(workspace, "dh_delayed", (n * N, H), dh.dtype)  # delta R
    if gemm is None:  # pragma: no cover
        np.matmul(delta, RT.T, out=back)
    else:
        _gemm_into(gemm, RT, delta, back, 0.0, 0)
    back = back.reshape(n, N, H)
    np.multiply(back, mask, out=back)
    out += back.reshape(n * N, H)


def _first_delayed_step(T, delay, backward=False):
    """The step at which the loop first adds the delayed term: L forward,
    the last multiple of L below T backward; T (never) without a delay."""
    if delay is None or delay >= T:
        return T
    return (T - 1) // delay * delay if backward else delay


def _steps_forward(h, W, R=None, delay=None):
    """h_t = tanh(h_t + h_{t-1} W^T [+ h_{t-L} R^T]) for t = 0..T-1 in place.

    ``h`` (T, N, H) holds the input projections U x_t + b on entry; h_{-1}
    and h_{t-L} for t < L are 0.
    """
    T = h.shape[0]
    tanh = np.tanh
    tanh(h[0], out=h[0])
    gemm = _GEMM.get(h.dtype)
    # W^T as a Fortran-ordered view of a C-ordered W: BLAS reads it in place.
    WT = np.ascontiguousarray(W, dtype=h.dtype).T
    RT = None if R is None else np.ascontiguousarray(R, dtype=h.dtype).T
    delayed = _first_delayed_step(T, delay)
    if gemm is None:  # pragma: no cover - only float32 and float64 reach here
        for t in range(1, T):
            if t == delayed:
                _delayed_forward(h, t, delay, RT, gemm)
                delayed += delay
            h[t] += h[t - 1] @ WT
            tanh(h[t], out=h[t])
        return
    for t in range(1, T):
        if t == delayed:
            _delayed_forward(h, t, delay, RT, gemm)
            delayed += delay
        # h_t^T += W h_{t-1}^T, on the Fortran-ordered transposes (same memory)
        c = h[t].T
        res = gemm(1.0, WT, h[t - 1].T, 1.0, c, 1, 0, 1)
        if res is not c:  # pragma: no cover - f2py had to copy: write it back
            h[t] = res.T
        tanh(h[t], out=h[t])


def _steps_backward(dh, g, W, R=None, delay=None):
    """delta_t = (dh_t + delta_{t+1} W [+ delta_{t+L} R]) * g_t for
    t = T-1..0, in place in dh."""
    T = dh.shape[0]
    multiply = np.multiply
    gemm = _GEMM.get(dh.dtype)
    WT = np.ascontiguousarray(W, dtype=dh.dtype).T
    RT = None if R is None else np.ascontiguousarray(R, dtype=dh.dtype).T
    delayed = _first_delayed_step(T, delay, backward=True)
    for t in range(T - 1, 0, -1):
        multiply(dh[t], g[t], out=dh[t])  # dL/d(pre-activation t)
        if t == delayed:
            _delayed_backward(dh, t, delay, RT, gemm)
            delayed -= delay
        if gemm is None:  # pragma: no cover
            dh[t - 1] += dh[t] @ W
            continue
        # dh_{t-1}^T += W^T delta_t^T, in place
        c = dh[t - 1].T
        res = gemm(1.0, WT, dh[t].T, 1.0, c, 0, 0, 1)
        if res is not c:  # pragma: no cover - f2py had to copy: write it back
            dh[t - 1] = res.T
    multiply(dh[0], g[0], out=dh[0])


# The loops with a recurrent dropout mask: separate functions, so that the
# loops above (every prediction, and training without dropout) stay as they
# are. The mask m (N, H) multiplies h_{t-1} before W (and h_{t-L} before R).


def _steps_forward_masked(h, W, mask, workspace=None, R=None, delay=None):
    """h_t = tanh(h_t + (m * h_{t-1}) W^T [+ (m * h_{t-L}) R^T]), in place."""
    T, N, H = h.shape
    tanh = np.tanh
    multiply = np.multiply
    tanh(h[0], out=h[0])
    gemm = _GEMM.get(h.dtype)
    WT = np.ascontiguousarray(W, dtype=h.dtype).T
    RT = None if R is None else np.ascontiguousarray(R, dtype=h.dtype).T
    delayed = _first_delayed_step(T, delay)
    mask = mask.astype(h.dtype, copy=False)
    dropped = _buffer(workspace, "h_dropped", (N, H), h.dtype)  # m * h_{t-1}
    for t in range(1, T):
        if t == delayed:
            _delayed_forward(h, t, delay, RT, gemm, mask, workspace)
            delayed += delay
        multiply(h[t - 1], mask, out=dropped)
        if gemm is None:  # pragma: no cover - only float32 and float64 reach here
            h[t] += dropped @ WT
        else:
            c = h[t].T
            res = gemm(1.0, WT, dropped.T, 1.0, c, 1, 0, 1)
            if res is not c:  # pragma: no cover - f2py had to copy: write it back
                h[t] = res.T
        tanh(h[t], out=h[t])


def _steps_backward_masked(dh, g, W, mask, workspace=None, R=None, delay=None):
    """delta_t = (dh_t + m * (delta_{t+1} W) [+ m * (delta_{t+L} R])) * g_t,
    t = T-1..0, in place."""
    T, N, H = dh.shape
    multiply = np.multiply
    gemm = _GEMM.get(dh.dtype)
    WT = np.ascontiguousarray(W, dtype=dh.dtype).T
    RT = None if R is None else np.ascontiguousarray(R, dtype=dh.dtype).T
    delayed = _first_delayed_step(T, delay, backward=True)
    mask = mask.astype(dh.dtype, copy=False)
    back = _buffer(workspace, "dh_dropped", (N, H), dh.dtype)  # delta_t W
    for t in range(T - 1, 0, -1):
        multiply(dh[t], g[t], out=dh[t])
        if t == delayed:
            _delayed_backward(dh, t, delay, RT, gemm, mask, workspace)
            delayed -= delay
        if gemm is None:  # pragma: no cover
            np.matmul(dh[t], W, out=back)
        else:
            # back^T = W^T delta_t^T (beta = 0: whatever back held is ignored)
            c = back.T
            res = gemm(1.0, WT, dh[t].T, 0.0, c, 0, 0, 1)
            if res is not c:  # pragma: no cover - f2py had to copy: write it back
                back[...] = res.T
        multiply(back, mask, out=back)
        dh[t - 1] += back
    multiply(dh[0], g[0], out=dh[0])


def dropout_masks(
    random_state,
    n_sequences,
    n_features,
    hidden_size,
    dropout=0.0,
    recurrent_dropout=0.0,
    dtype=np.float64,
):
    """Draw the inverted-dropout masks of one mini-batch, one per sequence.

    As Keras' ``SimpleRNN``: a sequence's input mask m_x (over the F
    features of x_t) and recurrent mask m_h (over the H units of h_{t-1})
    are the same at every step. An entry is 0 with probability p (dropped)
    and 1 / (1 - p) otherwise, so that the expected input of each unit is
    the one of the network without dropout, which prediction uses.

    Parameters
    ----------
    random_state : numpy.random.RandomState
        The source of randomness. A rate of 0 draws nothing from it.
    n_sequences : int
        N, the number of sequences of the batch.
    n_features : int
        F, the number of input features per step.
    hidden_size : int
        H, the number of hidden units.
    dropout : float in [0, 1), default=0.0
        Probability that an input feature is dropped.
    recurrent_dropout : float in [0, 1), default=0.0
        Probability that a unit of h_{t-1} is dropped in the recurrence.
    dtype : dtype, default=np.float64
        The dtype of the masks.

    Returns
    -------
    input_mask : ndarray of shape (N, F) or None
        m_x of each sequence; None when ``dropout`` is 0.
    recurrent_mask : ndarray of shape (N, H) or None
        m_h of each sequence; None when ``recurrent_dropout`` is 0.

    Examples
    --------
    >>> import numpy as np
    >>> m_x, m_h = dropout_masks(np.random.RandomState(0), 2, 3, 4, 0.5, 0.0)
    >>> m_x
    array([[2., 2., 2.],
           [2., 0., 2.]])
    >>> m_h is None
    True
    """
    masks = []
    for rate, size in ((dropout, n_features), (recurrent_dropout, hidden_size)):
        if rate == 0:
            masks.append(None)
            continue
        if not 0 <= rate < 1:
            raise ValueError(f"A dropout rate must be in [0, 1), got {rate}.")
        keep = random_state.random_sample((n_sequences, size)) >= rate
        mask = keep.astype(dtype)
        mask *= np.asarray(1.0 / (1.0 - rate), dtype=dtype)
        masks.append(mask)
    return masks[0], masks[1]


def score_scale(attention_scores, hidden_size):
    """s in A_t,i = s * h_i . h_t: 1 for the notes' "dot", 1/sqrt(H) "scaled".

    Parameters
    ----------
    attention_scores : {"dot", "scaled"}
        The raw dot product of the notes, or scaled as in Transformers.
    hidden_size : int
        H, the number of hidden units.

    Returns
    -------
    scale : float

    Examples
    --------
    >>> score_scale("dot", 16), score_scale("scaled", 16)
    (1.0, 0.25)
    """
    return 1.0 / float(np.sqrt(hidden_size)) if attention_scores == "scaled" else 1.0


def _softmax(scores, axis=-1):
    """Numerically stable softmax (shift by the max; -inf entries get 0)."""
    if scores.ndim == 2 and axis in (-1, 1):
        # Rows of a few classes: reduce over the leading axis of the
        # transpose, which numpy does many times faster than short rows.
        e = scores.T.copy()  # C-ordered (K, N)
        e -= e.max(axis=0)
        np.exp(e, out=e)
        e /= e.sum(axis=0)
        return np.ascontiguousarray(e.T)
    shifted = scores - scores.max(axis=axis, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=axis, keepdims=True)


def _log_softmax(scores, axis=-1):
    if scores.ndim == 2 and axis in (-1, 1):  # as in _softmax
        shifted = scores.T.copy()  # C-ordered (K, N)
        shifted -= shifted.max(axis=0)
        shifted -= np.log(np.exp(shifted).sum(axis=0))
        return np.ascontiguousarray(shifted.T)
    shifted = scores - scores.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def hidden_states(params, X, workspace=None, delay=None):
    """Run the recurrence h_t = tanh(U x_t + W h_{t-1} + b) over a batch.

    Parameters
    ----------
    params : dict of str to ndarray
        The parameters ``U, W, b`` (and ``R`` with a delay; ``V, c`` are not
        used).
    X : ndarray of shape (T, N, F)
        Time-major inputs; padding must be finite (zeros).
    workspace : Workspace, default=None
        Where to put h (a buffer that the next call with the same workspace
        overwrites); None allocates a new array.
    delay : int or None, default=None
        L: add R h_{t-L} to the pre-activation of every step t > L.

    Returns
    -------
    h : ndarray of shape (T, N, H)
        The hidden states h_1..h_T, in the common dtype of ``X`` and the
        parameters.

    Examples
    --------
    >>> import numpy as np
    >>> p = init_params(2, 3, 2, np.random.RandomState(0))
    >>> hidden_states(p, np.zeros((5, 4, 2))).shape
    (5, 4, 3)
    """
    U, W, b = params["U"], params["W"], params["b"]
    T, N, F = X.shape
    H = W.shape[0]
    dtype = np.result_type(X, U, W, b)
    h = _buffer(workspace, "h", (T, N, H), dtype)
    batch_major = X.transpose(1, 0, 2)
    if 4 * F >= 3 * H and batch_major.flags.c_contiguous and X.dtype == dtype:
        # A time-major view of batch-major data with many features per step
        # (predict passes one): U x_t for all steps in one matmul over X as it
        # lies in memory, then one pass that adds b and turns the (N, T, H)
        # result time-major. Reading X once, in order, is what counts when X
        # is about as large as h or larger (measured up to 1.5x faster than
        # building [X, 1] at F >= 3H/4; with fewer features, slower).
        P = _buffer(workspace, "XU", (N, T, H), dtype)
        np.matmul(
            batch_major.reshape(N * T, F),
            U.T.astype(dtype, copy=False),
            out=P.reshape(N * T, H),
        )
        np.add(P.transpose(1, 0, 2), b, out=h)
        _steps_forward(h, W, *_delayed_weights(params, delay))
        return h
    return _hidden_states(params, X, workspace, delay=delay)[0]


def _delayed_weights(params, delay):
    """(R, L) for the loops: (None, None) without a delay."""
    if delay is None:
        if "R" in params:
            raise ValueError("These parameters hold R: pass their delay.")
        return None, None
    if delay < 2:
        raise ValueError(f"A delay must be an int >= 2 or None, got {delay!r}.")
    return params["R"], int(delay)


def _hidden_states(
    params, X, workspace, input_mask=None, recurrent_mask=None, delay=None
):
    """h, and the inputs with a column of ones ``X1`` (T, N, F + 1).

    The bias rides in the input projection: h = [X, 1] @ [U, b]^T is one
    matmul for every step, and in the backward pass [dU, db] is one matmul
    with X1 too. With an ``input_mask`` (N, F), X1 holds m_x * x_t (so that
    dU comes out right as well); with a ``recurrent_mask`` (N, H) the
    recurrence reads m_h * h_{t-1} (and m_h * h_{t-L} with a delay).
    """
    U, W, b = params["U"], params["W"], params["b"]
    T, N, F = X.shape
    H = W.shape[0]
    dtype = np.result_type(X, U, W, b)
    X1 = _buffer(workspace, "X1", (T, N, F + 1), dtype)
    if input_mask is None:
        X1[:, :, :F] = X
    else:
        np.multiply(X, input_mask.astype(dtype, copy=False), out=X1[:, :, :F])
    X1[:, :, F] = 1.0
    U1 = np.empty((H, F + 1), dtype)
    U1[:, :F] = U
    U1[:, F] = b
    h = _buffer(workspace, "h", (T, N, H), dtype)
    np.matmul(X1.reshape(T * N, F + 1), U1.T, out=h.reshape(T * N, H))
    R, delay = _delayed_weights(params, delay)
    if recurrent_mask is None:
        _steps_forward(h, W, R, delay)
    else:
        _steps_forward_masked(h, W, recurrent_mask, workspace, R, delay)
    return h, X1


def _last_step_attention(h, lengths, scale, attention):
    """Context Z at each sequence's last real step, and its attention weights.

    Returns ``(Z, weights, h_last, last)``: Z (N, H); weights (N, T) with
    zeros on padding (None without attention; a transposed view of a (T, N)
    array); h_last (N, H); last (N,).
    """
    T, N, H = h.shape
    last = lengths - 1
    full = lengths.min() == T  # every sequence ends at the last step
    h_last = h[T - 1].copy() if full else h[last, np.arange(N)]
    if not attention:
        return h_last, None, h_last, last
    # A_i = s * h_i . h_T for i <= T_n, computed time-major: einsum reads h in
    # memory order (a batched matmul over the batch-major view jumps by N * H
    # between rows; measured 1.1x-1.8x slower once h is out of the cache).
    scores = np.einsum("tnh,nh->tn", h, h_last)  # (T, N)
    if scale != 1.0:
        scores *= scale
    if not full:
        scores[np.arange(T)[:, None] >= lengths[None, :]] = -np.inf
    # The softmax over the steps, time-major: numpy reduces over the leading
    # axis of a (T, N) array many times faster than over a short last axis.
    scores -= scores.max(axis=0)
    np.exp(scores, out=scores)
    scores /= scores.sum(axis=0)
    # Z = sum_i a_i h_i, time-major too; the weights go out as an (N, T) view.
    Z = np.einsum("tn,tnh->nh", scores, h)
    return Z, scores.T, h_last, last


def _every_step_attention(h, lengths, scale, attention):
    """Contexts Z_t for every step t, attending over h_1..h_t.

    Returns ``(Z, weights, hb)``: Z (N, T, H); weights (N, T, T) indexed
    [n, t, i] (None without attention); hb, the batch-major view of h.
    """
    hb = h.transpose(1, 0, 2)  # (N, T, H): batched matmuls want batch first
    if not attention:
        return hb, None, hb
    T = h.shape[0]
    scores = np.matmul(hb, hb.transpose(0, 2, 1))
    if scale != 1.0:
        scores *= scale
    # Causal (i <= t) and padding (i < length) masks; rows t >= length are
    # outputs nobody reads, but must stay finite: their diagonal is causal-ok.
    steps = np.arange(T)
    hidden = (steps[None, :] > steps[:, None])[None] | (
        steps[None, None, :] >= lengths[:, None, None]
    )
    hidden &= ~np.eye(T, dtype=bool)[None]
    scores[hidden] = -np.inf
    weights = _softmax(scores, axis=2)
    Z = np.matmul(weights, hb)
    return Z, weights, hb


def forward(
    params,
    X,
    lengths,
    *,
    output="last",
    attention=True,
    scale=1.0,
    workspace=None,
    delay=None,
):
    """Compute the outputs Omega (before the output function) for a batch.

    Parameters
    ----------
    params : dict of str to ndarray
        ``U, W, b, V, c`` (and ``R`` with a delay).
    X : ndarray of shape (T, N, F)
        Time-major inputs with finite (zero) padding.
    lengths : ndarray of shape (N,)
        Real steps per sequence, each in 1..T.
    output : {"last", "every"}, default="last"
        One output per sequence at its last real step, or one per step.
    attention : bool, default=True
        Read the attention context Z (True) or the hidden state h (False).
    scale : float, default=1.0
        s in A_t,i = s * h_i . h_t (1 in the notes; 1/sqrt(H) scaled).
    workspace : Workspace, default=None
        Scratch buffers to reuse across calls (see :class:`Workspace`).
    delay : int or None, default=None
        L of the delayed connection R h_{t-L}; None: none.

    Returns
    -------
    Omega : ndarray
        (N, K) for ``"last"``; (N, T, K) for ``"every"`` (rows past each
        sequence's end are meaningless).
    weights : ndarray or None
        Attention weights: (N, T) for ``"last"`` (0 on padding), (N, T, T)
        indexed [n, t, i] for ``"every"``; None without attention.

    Examples
    --------
    >>> import numpy as np
    >>> p = init_params(2, 3, 4, np.random.RandomState(0))
    >>> X = np.random.RandomState(1).randn(5, 2, 2)
    >>> Omega, weights = forward(p, X, np.array([5, 3]))
    >>> Omega.shape, weights.shape
    ((2, 4), (2, 5))
    >>> weights[1, 3:].tolist()
    [0.0, 0.0]
    """
    scale = float(scale)
    h = hidden_states(params, X, workspace, delay)
    if output == "last":
        Z, weights, _, _ = _last_step_attention(h, lengths, scale, attention)
    else:
        Z, weights, _ = _every_step_attention(h, lengths, scale, attention)
    Omega = Z @ params["V"].T
    Omega += params["c"]
    return Omega, weights


def output_function(Omega, loss):
    """Map Omega to predictions: softmax for ``"log_loss"``, identity otherwise.

    Examples
    --------
    >>> import numpy as np
    >>> output_function(np.array([[0.0, 0.0]]), "log_loss").tolist()
    [[0.5, 0.5]]
    """
    return _softmax(Omega) if loss == "log_loss" else Omega


def log_output_function(Omega):
    """Log-softmax of Omega (the log-probabilities of the classes).

    Examples
    --------
    >>> import numpy as np
    >>> np.exp(log_output_function(np.array([[0.0, 0.0]]))).tolist()
    [[0.5, 0.5]]
    """
    return _log_softmax(Omega)


def _loss_and_dOmega(Omega, Y, sample_weight, loss):
    """Weighted loss sum_n w_n l_n and dL/dOmega for one output per row.

    ``log_loss``: l = -log softmax(Omega)[y] with Y integer class indices;
    ``squared_error``: l = mean_k (Omega_k - Y_k)^2 / 2, as scikit-learn's MLP.
    """
    if loss == "log_loss":
        rows = np.arange(Omega.shape[0])
        log_p = _log_softmax(Omega)
        value = -(sample_weight * log_p[rows, Y]).sum()
        dOmega = np.exp(log_p)
        dOmega[rows, Y] -= 1.0
    else:
        diff = Omega - Y
        K = Omega.shape[1]
        value = 0.5 * (sample_weight * (diff * diff).sum(axis=1)).sum() / K
        dOmega = diff / K
    dOmega *= sample_weight[:, None]
    return value, dOmega


def _backprop_through_time(
    params, X1, h, dh, workspace=None, recurrent_mask=None, delay=None
):
    """Gradients of U, W, b (and R) given dL/dh_t from the outputs.

    ``dh`` (T, N, H) holds the direct gradient of each h_t; the recurrence
    adds what flows back from h_{t+1} (and from h_{t+L}). ``dh`` is
    overwritten with dL/d(pre-activation), so that dW and dR are one matmul
    each after the loop. ``X1`` is the input with a column of ones (see
    :func:`_hidden_states`), masked if the forward pass masked it;
    ``recurrent_mask`` is the forward pass's m_h.
    """
    T, N, H = h.shape
    F = X1.shape[2] - 1
    g = _buffer(workspace, "tanh_grad", h.shape, dh.dtype)
    np.multiply(h, h, out=g)
    np.subtract(1.0, g, out=g)  # tanh' = 1 - h^2, for every step at once
    R, delay = _delayed_weights(params, delay)
    if recurrent_mask is None:
        _steps_backward(dh, g, params["W"], R, delay)
        previous = h[:-1]
    else:
        _steps_backward_masked(dh, g, params["W"], recurrent_mask, workspace, R, delay)
        # what W multiplied: m_h * h_{t-1} (and R: m_h * h_{t-L}, below)
        previous = _buffer(workspace, "h_previous", (T - 1, N, H), h.dtype)
        np.multiply(h[:-1], recurrent_mask.astype(h.dtype, copy=False), out=previous)
    delta = dh.reshape(T * N, H)
    # [dU, db]^T in one matmul (this orientation is the faster one in BLAS
    # when F + 1 is not a multiple of the kernel's width)
    dU1T = X1.reshape(T * N, F + 1).T @ delta
    grads = {
        "U": np.ascontiguousarray(dU1T[:F].T),
        "W": dh[1:].reshape((T - 1) * N, H).T @ previous.reshape((T - 1) * N, H),
        "b": dU1T[F].copy(),
    }
    if delay is not None:
        # dR = sum_t delta_t h_{t-L}^T over the steps t > L: previous[s]
        # holds (m_h *) h_s for s < T - 1, so h_{t-L} for t >= L + 1 is in it.
        steps = max(T - delay, 0)
        delayed = (h[:-1] if recurrent_mask is None else previous)[:steps]
        grads["R"] = dh[delay:].reshape(steps * N, H).T @ delayed.reshape(-1, H)
    return grads


def loss_and_grads(
    params,
    X,
    lengths,
    Y,
    sample_weight=None,
    *,
    loss="log_loss",
    output="last",
    attention=True,
    scale=1.0,
    l2=0.0,
    gradient="exact",
    workspace=None,
    input_mask=None,
    recurrent_mask=None,
    delay=None,
):
    """The loss of a batch and its gradient with respect to U, W, b, V, c (, R).

    The loss is ``sum_n w_n l_n + l2 / 2 * (|U|^2 + |W|^2 + |V|^2 + |R|^2)``
    (no R without a delay) where l_n is the loss of sequence n (summed over
    its steps for ``"every"``). Pass ``sample_weight = s / s.sum()`` for a
    weighted mean.

    Parameters
    ----------
    params : dict of str to ndarray
        ``U, W, b, V, c`` (and ``R`` with a delay).
    X : ndarray of shape (T, N, F)
        Time-major inputs with finite (zero) padding.
    lengths : ndarray of shape (N,)
        Real steps per sequence, each in 1..T.
    Y : ndarray
        Targets. ``"log_loss"``: class indices, (N,) for ``"last"`` or (T, N)
        for ``"every"``. ``"squared_error"``: (N, K) for ``"last"``, (T, N, K)
        for ``"every"``. Entries past a sequence's end are ignored.
    sample_weight : ndarray of shape (N,), default=None
        w_n; None means 1 for every sequence.
    loss : {"log_loss", "squared_error"}, default="log_loss"
        Softmax cross-entropy or half the mean squared error.
    output : {"last", "every"}, default="last"
        See :func:`forward`.
    attention : bool, default=True
        See :func:`forward`.
    scale : float, default=1.0
        See :func:`forward`.
    l2 : float, default=0.0
        Strength of the L2 penalty on U, W, V (and R).
    gradient : {"exact", "notes"}, default="exact"
        ``"notes"`` computes the notes' simplified gradient (attention
        weights held constant, dL/dV taken from h_t instead of Z_t).
    workspace : Workspace, default=None
        Scratch buffers to reuse across calls (see :class:`Workspace`).
    input_mask : ndarray of shape (N, F), default=None
        Dropout mask m_x of each sequence's inputs, the same at every step
        (see :func:`dropout_masks`); None: no input dropout.
    recurrent_mask : ndarray of shape (N, H), default=None
        Dropout mask m_h of each sequence's h_{t-1} (and h_{t-L}) in the
        recurrence, the same at every step; None: no recurrent dropout.
    delay : int or None, default=None
        L of the delayed connection R h_{t-L} (see :func:`forward`).

    Returns
    -------
    loss : float
    grads : dict of str to ndarray
        One array per parameter, same shapes and dtype.

    Examples
    --------
    >>> import numpy as np
    >>> p = init_params(2, 3, 2, np.random.RandomState(0))
    >>> X = np.random.RandomState(1).randn(4, 3, 2)
    >>> value, grads = loss_and_grads(p, X, np.array([4, 2, 1]), np.array([0, 1, 1]))
    >>> sorted(grads), grads["W"].shape
    (['U', 'V', 'W', 'b', 'c'], (3, 3))
    """
    V = params["V"]
    T, N, _ = X.shape
    dtype = X.dtype
    w = np.ones(N, dtype) if sample_weight is None else sample_weight.astype(dtype)
    scale = float(scale)
    h, X1 = _hidden_states(params, X, workspace, input_mask, recurrent_mask, delay)
    dh = _buffer(workspace, "dh", h.shape, h.dtype)
    exact = gradient == "exact"

    if output == "last":
        Z, a, h_last, last = _last_step_attention(h, lengths, scale, attention)
        if a is not None:
            a = np.ascontiguousarray(a)  # for the batched products below
        Omega = Z @ V.T
        Omega += params["c"]
        value, dOmega = _loss_and_dOmega(Omega, Y, w, loss)
        dV = dOmega.T @ (Z if exact else h_last)
        dZ = dOmega @ V
        rows = np.arange(N)
        if a is None:
            dh.fill(0.0)
            dh[last, rows] += dZ
        else:
            hb = h.transpose(1, 0, 2)  # (N, T, H) views: batched BLAS products
            dhb = dh.transpose(1, 0, 2)  # writing it fills dh
            if exact:
                # da_i = h_i . dZ;  dA = a * (da - sum_j a_j da_j)  (softmax)
                da = np.matmul(hb, dZ[:, :, None])[:, :, 0]
                dA = a * (da - (a * da).sum(axis=1, keepdims=True))
                dA *= scale
                # Z = sum_i a_i h_i -> dh_i = a_i dZ; A_i = s h_i . h_T ->
                # dh_i += dA_i h_T: both at once, per sequence a (T, 2) @
                # (2, H) product written straight into dh (no temporary).
                left = _buffer(workspace, "attn_left", (N, T, 2), dh.dtype)
                left[:, :, 0] = a
                left[:, :, 1] = dA
                right = _buffer(workspace, "attn_right", (N, 2, h.shape[2]), dh.dtype)
                right[:, 0] = dZ
                right[:, 1] = h_last
                np.matmul(left, right, out=dhb)
                # ... and dh_T += sum_i dA_i h_i
                dh_last = np.matmul(dA[:, None, :], hb)[:, 0]
                if lengths.min() == T:
                    dh[T - 1] += dh_last
                else:
                    dh[last, rows] += dh_last
            else:
                # Z = sum_i a_i h_i  ->  dh_i = a_i dZ
                np.matmul(
                    a[:, :, None], dZ[:, None, :].astype(dh.dtype, copy=False), out=dhb
                )
    else:
        Z, a, hb = _every_step_attention(h, lengths, scale, attention)
        Omega = Z @ V.T
        Omega += params["c"]
        real = np.arange(T)[None, :] < lengths[:, None]  # (N, T)
        Yb = np.swapaxes(Y, 0, 1)[real]
        w_steps = np.broadcast_to(w[:, None], real.shape)[real]
        value, dOmega_real = _loss_and_dOmega(Omega[real], Yb, w_steps, loss)
        dOmega = np.zeros_like(Omega)
        dOmega[real] = dOmega_real
        K = Omega.shape[2]
        dV = dOmega.reshape(-1, K).T @ (Z if exact else hb).reshape(-1, Z.shape[2])
        dZ = dOmega @ V  # (N, T, H)
        dh.fill(0.0)
        dhb = dh.transpose(1, 0, 2)  # a view: writing it fills dh
        if a is None:
            dhb += dZ
        else:
            # Z_t = sum_i a_ti h_i  ->  dh_i += sum_t a_ti dZ_t
            dhb += np.matmul(a.transpose(0, 2, 1), dZ)
            if exact:
                da = np.matmul(dZ, hb.transpose(0, 2, 1))
                dA = a * (da - (a * da).sum(axis=2, keepdims=True))
                dA *= scale
                # A_ti = s h_i . h_t: both factors receive a gradient
                dhb += np.matmul(dA, hb)
                dhb += np.matmul(dA.transpose(0, 2, 1), hb)
        dc_rows = dOmega_real
    grads = _backprop_through_time(params, X1, h, dh, workspace, recurrent_mask, delay)
    grads["V"] = dV
    grads["c"] = (dOmega if output == "last" else dc_rows).sum(axis=0)
    names = param_names(grads)
    if l2:
        for name in PENALIZED:
            if name in names:
                value += 0.5 * l2 * float(np.vdot(params[name], params[name]))
                grads[name] += l2 * params[name]
    return float(value), {name: grads[name].astype(dtype, copy=False) for name in names}
