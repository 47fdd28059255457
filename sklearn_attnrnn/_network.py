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

Cells. The recurrence (the first line) is the Elman cell of the notes; the
gated cells of PyTorch's ``nn.GRU`` and ``nn.LSTM`` replace it, and nothing
else changes (the attention and the output read h_t)::

    GRU   r_t = sigmoid(U_r x_t + b_r + W_r h_{t-1})       (b_r = b_ir + b_hr)
          z_t = sigmoid(U_z x_t + b_z + W_z h_{t-1})       (b_z = b_iz + b_hz)
          n_t = tanh(U_n x_t + b_n + r_t * (W_n h_{t-1} + b_hn))
          h_t = (1 - z_t) * n_t + z_t * h_{t-1}
    LSTM  i_t, f_t, o_t = sigmoid(U_. x_t + b_. + W_. h_{t-1})
          g_t = tanh(U_g x_t + b_g + W_g h_{t-1})
          c_t = f_t * c_{t-1} + i_t * g_t                  c_0 = 0
          h_t = o_t * tanh(c_t)

The gates' blocks are stacked as PyTorch stacks them (GRU r, z, n; LSTM i,
f, g, o): U (G H, F), W (G H, H), b (G H,) with G = 1, 3, 4 gates, so that
``U = weight_ih_l0``, ``W = weight_hh_l0``, ``b = bias_ih_l0 + bias_hh_l0``
except that the GRU keeps ``b_hn = bias_hh_l0[2H:]`` apart (it sits inside
r_t * (...)) and its b's n block is ``bias_ih_l0[2H:]`` alone. The cell is
read from the parameters' shapes (:func:`cell_of`).

The delayed connection (seed 000, read as LSTNet's recurrent skip), for the
Elman cell with a delay L >= 2 and a matrix R (H, H)::

    h_t   = tanh(U x_t + W h_{t-1} + R h_{t-L} + b)     h_s = 0 for s <= 0

Its exact gradient, with delta_t = dL/d(pre-activation of step t)::

    dL/dh_{t-L} += R^T delta_t        dR = sum_t delta_t h_{t-L}^T

R h_{t-L} depends only on states L or more steps back, so the time loop
adds it for L steps at once: at step t = kL, one matrix product puts R
h_{t-L..t-1} into the pre-activations of steps t..t+L-1, and the backward
pass sends delta_{t..t+L-1} back to h_{t-L..t-1} in one product. It is the
same sum, with T / L products instead of T.

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

A gated cell reads m_x * x_t and m_h * h_{t-1} in all its gates' products
(as Keras' GRU and LSTM; one mask each, shared by the gates); the GRU's
update z_t * h_{t-1} and the LSTM's c_{t-1} are not dropped. With a delay,
the same m_h drops the same units of h_{t-L} (R (m_h * h_{t-L})): a dropped
unit is hidden from the whole recurrence of its sequence.

Arrays are time-major: a batch ``X`` is (T, N, F), so that one time step is a
contiguous slice. One-hot inputs (characters) can instead be given as their
integer codes, X (T, N): U x_t is then the column U[:, code], gathered, and
dU sums columns by code; nothing else differs (see ``_CodedInputs``).
``lengths`` (N,) gives each sequence's number of real steps; the steps after
it are padding and never reach a loss or an attention weight.
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
  and dL/dV uses h_t in place of Z_t. Elman cell only.
"""

import numpy as np
import scipy.sparse
from scipy.linalg import blas as _blas

# The Elman cell's parameters, the notes' names, in the order of the flat
# parameter vector; see param_names for every cell.
PARAM_NAMES = ("U", "W", "b", "V", "c")
# L2 applies to the weight matrices only, as in scikit-learn's MLP (not biases).
PENALIZED = ("U", "W", "V", "R")
CELLS = ("elman", "gru", "lstm")
N_GATES = {"elman": 1, "gru": 3, "lstm": 4}


def param_names(cell="elman", delay=None):
    """The names of a cell's parameters, in the flat parameter vector's order.

    Parameters
    ----------
    cell : {"elman", "gru", "lstm"}, default="elman"
        The recurrence.
    delay : int or None, default=None
        L of the delayed connection: its ``R`` comes last (so that the other
        parameters keep their places).

    Returns
    -------
    names : tuple of str

    Examples
    --------
    >>> param_names("gru")
    ('U', 'W', 'b', 'b_hn', 'V', 'c')
    >>> param_names("elman", delay=3)
    ('U', 'W', 'b', 'V', 'c', 'R')
    """
    names = ("U", "W", "b", "b_hn", "V", "c") if cell == "gru" else PARAM_NAMES
    return names if delay is None else names + ("R",)


def names_of(params):
    """The names of a parameter dict, in the flat parameter vector's order.

    Parameters
    ----------
    params : dict of str to ndarray
        A network's parameters (or gradients): its cell is read from the
        shape of ``W``, its delayed connection from the presence of ``R``.

    Returns
    -------
    names : tuple of str
        :func:`param_names` of the cell, with ``R`` last if present.

    Examples
    --------
    >>> import numpy as np
    >>> names_of(init_params(2, 3, 2, np.random.RandomState(0), delay=4))
    ('U', 'W', 'b', 'V', 'c', 'R')
    """
    names = param_names(cell_of(params))
    return names + ("R",) if "R" in params else names


def cell_of(params):
    """The cell that parameters belong to, read from the shape of W (G H, H).

    Parameters
    ----------
    params : dict of str to ndarray
        At least ``W``.

    Returns
    -------
    cell : {"elman", "gru", "lstm"}

    Examples
    --------
    >>> import numpy as np
    >>> cell_of({"W": np.zeros((12, 3))})
    'lstm'
    """
    rows, H = params["W"].shape
    return {1: "elman", 3: "gru", 4: "lstm"}[rows // H]


def init_params(
    n_features,
    hidden_size,
    n_outputs,
    random_state,
    dtype=np.float64,
    cell="elman",
    delay=None,
):
    """Draw initial parameters.

    ``U`` and ``V`` use Glorot-uniform bounds ``sqrt(6 / (fan_in + fan_out))``
    (as scikit-learn's MLP does for tanh); for a gated cell, each gate's
    (H, F) block of ``U`` has the bound of an (H, F) matrix. ``W`` (each
    gate's (H, H) block) is a random orthogonal matrix: its singular values
    are all 1, so a gradient propagated back through many steps neither
    explodes nor vanishes from the initialisation alone (Saxe et al., 2014).
    Biases start at zero, except the LSTM's forget gate at 1, so that
    c_{t-1} is kept rather than halved at the start of training
    (Jozefowicz et al., 2015). This is Keras' initialisation of its RNN
    layers (``glorot_uniform``, ``orthogonal``, ``unit_forget_bias``), with
    Glorot bounds per gate; PyTorch draws every weight from
    uniform(-1/sqrt(H), 1/sqrt(H)) instead, whose recurrent matrices are
    far from orthogonal at large H. With a delay, ``R`` is another random
    orthogonal matrix, drawn last (the other parameters are those drawn
    without a delay).

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
    cell : {"elman", "gru", "lstm"}, default="elman"
        The recurrence: G = 1, 3 or 4 gates.
    delay : int or None, default=None
        L of the delayed connection R h_{t-L} (Elman cell only); None: no R.

    Returns
    -------
    params : dict of str to ndarray
        ``U`` (G H, F), ``W`` (G H, H), ``b`` (G H,), for the GRU ``b_hn``
        (H,), ``V`` (K, H), ``c`` (K,), with a delay ``R`` (H, H); in
        :func:`param_names` order.

    Examples
    --------
    >>> import numpy as np
    >>> p = init_params(3, 4, 2, np.random.RandomState(0))
    >>> {k: v.shape for k, v in p.items()}
    {'U': (4, 3), 'W': (4, 4), 'b': (4,), 'V': (2, 4), 'c': (2,)}
    >>> bool(np.allclose(p["W"] @ p["W"].T, np.eye(4)))
    True
    >>> init_params(3, 4, 2, np.random.RandomState(0), cell="lstm")["b"]
    array([0., 0., 0., 0., 1., 1., 1., 1., 0., 0., 0., 0., 0., 0., 0., 0.])
    """
    _check_delay(cell, delay)
    H, F, K = hidden_size, n_features, n_outputs
    G = N_GATES[cell]
    bound_U = np.sqrt(6.0 / (F + H))
    bound_V = np.sqrt(6.0 / (H + K))
    U = random_state.uniform(-bound_U, bound_U, (G * H, F))
    blocks = [_orthogonal(random_state, H) for _ in range(G)]
    W = blocks[0] if G == 1 else np.concatenate(blocks)
    V = random_state.uniform(-bound_V, bound_V, (K, H))
    b = np.zeros(G * H)
    if cell == "lstm":
        b[H : 2 * H] = 1.0  # the forget gate's bias
    params = {"U": U, "W": W, "b": b}
    if cell == "gru":
        params["b_hn"] = np.zeros(H)
    params.update(V=V, c=np.zeros(K))
    if delay is not None:
        params["R"] = _orthogonal(random_state, H)
    return {name: np.ascontiguousarray(a, dtype=dtype) for name, a in params.items()}


def _orthogonal(random_state, size):
    """A random orthogonal (size, size) matrix, uniformly distributed."""
    Q, R = np.linalg.qr(random_state.standard_normal((size, size)))
    return Q * np.sign(np.diag(R))  # the sign fix makes Q uniform


def _check_delay(cell, delay):
    if delay is None:
        return
    if isinstance(delay, bool) or int(delay) != delay or delay < 2:
        raise ValueError(f"A delay must be an int >= 2 or None, got {delay!r}.")
    if cell != "elman":
        raise ValueError(
            f"The delayed connection R h_(t-L) is defined for the Elman cell; "
            f"the {cell!r} cell has no delay (use cell='elman' or delay=None)."
        )


def _delayed_weights(params, delay):
    """(R, L) for the time loops: (None, None) without a delay."""
    if delay is None:
        if "R" in params:
            raise ValueError("These parameters hold R: pass their delay.")
        return None, None
    _check_delay(cell_of(params), delay)
    return params["R"], int(delay)


class Workspace:
    """Scratch buffers that one caller reuses from batch to batch.

    The (T, N, H) arrays of a forward and backward pass (hidden states,
    their gradient, tanh') are large enough that allocating them afresh for
    every mini-batch costs more than filling them: the allocator hands the
    memory back to the system and every page faults in again. A fit loop or
    a chunked predict keeps one ``Workspace`` and passes it to
    :func:`forward` / :func:`loss_and_grads`; the core then writes into the
    same buffers each time (growing them when a batch is larger).

    What :func:`forward` and :func:`loss_and_grads` return never lives in
    a workspace buffer, so it stays valid after the next call;
    :func:`hidden_states` returns h in one (its ``workspace`` says so). A
    workspace must not be shared by two calls running at the same time (one
    per thread).

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
# cannot): one call per step of the recurrence and of its backward pass. The
# core computes in float32 or float64, the only dtypes the estimators pass it.
_GEMM = {np.dtype(np.float32): _blas.sgemm, np.dtype(np.float64): _blas.dgemm}

# The gates whose activation is the sigmoid, by block (PyTorch's order).
_SIGMOID_GATES = {"elman": (), "gru": (0, 1), "lstm": (0, 1, 3)}


def _forward_layout(params, cell):
    """U, W, b as the forward pass reads them: the sigmoid gates' rows halved.

    sigmoid(x) = (1 + tanh(x / 2)) / 2, and numpy's tanh is several times
    faster than scipy's expit; with those rows halved (exact: a power of
    two) the product lands as x / 2, so that a step's activations are one
    tanh and one affine map. The Elman cell's arrays are returned as they are.
    """
    U, W, b = params["U"], params["W"], params["b"]
    if cell == "elman":
        return U, W, b
    H = W.shape[1]
    half = np.ones(W.shape[0], np.result_type(U, W, b))
    for gate in _SIGMOID_GATES[cell]:
        half[gate * H : (gate + 1) * H] = 0.5
    return U * half[:, None], W * half[:, None], b * half


class _Elman:
    """The notes' cell, h_t = tanh(U x_t + b + W h_{t-1}).

    Every cell has the same interface, which :func:`_steps_forward` and
    :func:`_steps_backward` drive: ``product`` (T, N, G H) is where the
    driver adds the recurrent product W h_{t-1} of step t (holding the
    input projection U x_t + b on entry), ``step(t)`` computes h_t from it,
    ``start_backward(dh)`` prepares the backward pass, ``back_step(t)``
    turns dL/dh_t into ``d_product[t]``, dL/d(W h_{t-1}) (and adds to
    dL/dh_{t-1} what does not flow through W), and ``finish_backward``
    returns dL/d(U x_t + b) for every step and adds any other gradient.
    A cell made with ``training=True`` keeps what its backward pass needs.
    """

    projection_buffer = "h"  # U x_t + b becomes h_t in place

    def __init__(self, projection, params, workspace, training=False):
        self.h = self.product = projection

        # A closure, not a method: the loop calls it T times per batch.
        def step(t, h=projection, tanh=np.tanh):
            tanh(h[t], out=h[t])

        self.step = step

    def start_backward(self, dh, workspace):
        g = _buffer(workspace, "tanh_grad", self.h.shape, dh.dtype)
        np.multiply(self.h, self.h, out=g)
        np.subtract(1.0, g, out=g)  # tanh' = 1 - h^2, for every step at once
        self.g, self.dh = g, dh
        self.d_product = dh  # delta_t = dL/d(pre-activation) overwrites dh_t

        def back_step(t, dh=dh, g=g, multiply=np.multiply):
            multiply(dh[t], g[t], out=dh[t])

        self.back_step = back_step

    def finish_backward(self, grads):
        return self.dh


class _GRU:
    """PyTorch's GRU cell (see the module docstring), gates r, z, n.

    ``gates`` (T, N, 3H) holds r_t, z_t and W_n h_{t-1} + b_hn (which n_t
    reads inside r_t * (...) and the backward pass reads again); ``n`` (T,
    N, H) holds U_n x_t + b_n, then n_t.

    dL/d(pre-activations) are dL/dh_t times factors that the forward pass
    knows; in training, each step computes its own while its arrays are in
    the cache (a pass over all steps afterwards reads them from memory)::

        n:  (1 - z)(1 - n^2)               = A_n
        r:  (W_n h_{t-1} + b_hn) r (1 - r) A_n  = A_r
        z:  (h_{t-1} - n) z (1 - z)         = A_z

    and in the recurrent product the n block is A_n r. ``P`` holds A_r,
    A_z and A_n r, and becomes dL/d(W h_{t-1}) in the backward loop; A_n
    is kept apart for dL/d(U_n x_t + b_n) = A_n dL/dh_t.

    :meth:`predicting` makes the cell of a forward pass without gradients,
    which keeps one step's gates, unit-major (see :func:`_unit_major_cell`).
    """

    projection_buffer = "gates"

    def __init__(self, projection, params, workspace, training=False):
        T, N, G = projection.shape
        H = self.H = G // 3
        dtype = projection.dtype
        self.n = _buffer(workspace, "gru_n", (T, N, H), dtype)
        self.n[...] = projection[:, :, 2 * H :]
        projection[:, :, 2 * H :] = params["b_hn"]  # the product adds W_n h_{t-1}
        self.gates = self.product = projection
        self.g4 = projection.reshape(T, N, 3, H)
        self.h = _buffer(workspace, "h", (T, N, H), dtype)
        self.tmp = _buffer(workspace, "cell_tmp", (N, H), dtype)
        self.step = self._activate
        if training:
            self.A_n = _buffer(workspace, "gru_A_n", (T, N, H), dtype)
            self.P = _buffer(workspace, "d_product", (T, N, 3, H), dtype)
            self.step = self._activate_and_keep_factors

    @classmethod
    def predicting(cls, X, U, W, b, params, workspace):
        """The cell of a forward pass without gradients (see
        :func:`_unit_major_cell`): its gate block holds r, z, W_n h_{t-1} +
        b_hn and, last, U_n x_t + b_n, which becomes n_t."""
        H = W.shape[1]
        # r, z and W_n h_{t-1} + b_hn from [h_{t-1}, x_t, 1]; U_n x_t + b_n
        # from [x_t, 1] alone (W_n's product must stay apart from it)
        rzh = _stacked_weights(W, U[: 2 * H], b[: 2 * H], 3)
        rzh[2 * H :, -1] = params["b_hn"]
        n = np.concatenate([U[2 * H :], b[2 * H :, None]], axis=1)
        self = _unit_major_cell(cls, X, [rzh, n], H, workspace)

        def step(t):
            gates = self.product(t)
            self._equations(
                gates[: 2 * H],
                gates[:H],
                gates[H : 2 * H],
                gates[2 * H : 3 * H],
                gates[3 * H :],
                self.h_units[t - 1] if t else None,
                self.h_units[t],
            )

        self.step = step
        return self

    def _equations(self, rz, r, z, hn, n, h_previous, h):
        """One step, in place: rz holds the halved pre-activations of r and
        z (r, z its halves), hn = W_n h_{t-1} + b_hn, n = U_n x_t + b_n;
        h_previous is None at t = 0. Views of one layout (N, H) or (H, N)."""
        np.tanh(rz, out=rz)  # of the halved pre-activations:
        rz *= 0.5
        rz += 0.5  # r_t, z_t = sigmoid(...)
        tmp = self.tmp
        np.multiply(r, hn, out=tmp)
        n += tmp
        np.tanh(n, out=n)
        if h_previous is None:  # h_0 = (1 - z) n, as h_{-1} = 0
            np.multiply(z, n, out=tmp)
            np.subtract(n, tmp, out=h)
        else:  # h_t = n + z (h_{t-1} - n)
            np.subtract(h_previous, n, out=tmp)
            tmp *= z
            np.add(tmp, n, out=h)

    def _activate(self, t):
        gates = self.g4[t]
        self._equations(
            self.gates[t][:, : 2 * self.H],
            gates[:, 0],
            gates[:, 1],
            gates[:, 2],
            self.n[t],
            self.h[t - 1] if t else None,
            self.h[t],
        )

    def _activate_and_keep_factors(self, t):
        self._activate(t)
        g4, n, P, A_n = self.g4[t], self.n[t], self.P[t], self.A_n[t]
        r, z, hn = g4[:, 0], g4[:, 1], g4[:, 2]
        A_r, A_z = P[:, 0], P[:, 1]
        np.multiply(n, n, out=A_n)
        np.subtract(1.0, A_n, out=A_n)
        np.subtract(1.0, z, out=A_z)
        A_n *= A_z
        np.subtract(1.0, r, out=A_r)
        A_r *= r
        A_r *= hn
        A_r *= A_n
        A_z *= z
        if t:
            np.subtract(self.h[t - 1], n, out=self.tmp)
        else:  # h_{-1} = 0
            np.negative(n, out=self.tmp)
        A_z *= self.tmp
        np.multiply(A_n, r, out=P[:, 2])

    def start_backward(self, dh, workspace):
        T, N, H = self.h.shape
        self.dh, self.z = dh, self.g4[:, :, 1]
        self.d_product = self.P.reshape(T, N, 3 * H)

    def back_step(self, t):
        dh = self.dh[t]
        np.multiply(self.P[t], dh[:, None, :], out=self.P[t])
        if t:  # h_t = ... + z h_{t-1}: the path that skips W
            np.multiply(dh, self.z[t], out=self.tmp)
            self.dh[t - 1] += self.tmp

    def finish_backward(self, grads):
        # d_product has served dW: its r and z blocks are dL/d(U x_t + b)'s
        # too, its n block becomes A_n dL/dh_t
        grads["b_hn"] = self.P[:, :, 2].sum(axis=(0, 1))
        np.multiply(self.A_n, self.dh, out=self.P[:, :, 2])
        return self.d_product


class _LSTM:
    """PyTorch's LSTM cell (see the module docstring), gates i, f, g, o.

    ``gates`` (T, N, 4H) holds i_t, f_t, g_t, o_t; ``c`` the cell states
    c_t and ``tanh_c`` tanh(c_t). With dc_t = dL/dc_t (through h_t and
    c_{t+1})::

        di = dc g i (1 - i)     df = dc c_{t-1} f (1 - f)
        dg = dc i (1 - g^2)     do = dh tanh(c) o (1 - o)
        dc_t = dc_{t+1} f_{t+1} + dh_t o (1 - tanh(c)^2)

    In training, each step computes the factors next to dc and dh (``P``,
    ``through_h``) while its arrays are in the cache. :meth:`predicting`
    makes the cell of a forward pass without gradients, which keeps one
    step's gates, unit-major (see :func:`_unit_major_cell`).
    """

    projection_buffer = "gates"

    def __init__(self, projection, params, workspace, training=False):
        T, N, G = projection.shape
        H = G // 4
        dtype = projection.dtype
        self.gates = self.product = projection
        self.g4 = projection.reshape(T, N, 4, H)
        self.c = _buffer(workspace, "lstm_c", (T, N, H), dtype)
        self.tanh_c = _buffer(workspace, "lstm_tanh_c", (T, N, H), dtype)
        self.h = _buffer(workspace, "h", (T, N, H), dtype)
        self.tmp = _buffer(workspace, "cell_tmp", (N, H), dtype)
        self.slope = np.repeat(np.array([0.5, 0.5, 1.0, 0.5], dtype), H)
        self.shift = np.repeat(np.array([0.5, 0.5, 0.0, 0.5], dtype), H)
        self.step = self._activate
        if training:
            self.P = _buffer(workspace, "d_product", (T, N, 4, H), dtype)
            self.through_h = _buffer(workspace, "lstm_dc_dh", (T, N, H), dtype)
            self.step = self._activate_and_keep_factors

    def _to_sigmoid(self, gates):
        # After one tanh over a step's gates (the sigmoid gates' halved),
        # sigmoid(x) = 0.5 tanh(x / 2) + 0.5 for i, f, o; g stays tanh.
        gates *= self.slope
        gates += self.shift

    @classmethod
    def predicting(cls, X, U, W, b, params, workspace):
        """The cell of a forward pass without gradients (see
        :func:`_unit_major_cell`). Its block holds the gates in the order
        i, f, o, g, so that the sigmoid gates' halves are one contiguous
        span; c_{t-1} and c_t alternate between two (H, N) buffers."""
        H = W.shape[1]
        ifog = np.r_[0 : 2 * H, 3 * H : 4 * H, 2 * H : 3 * H]
        weights = _stacked_weights(W[ifog], U[ifog], b[ifog], 4)
        self = _unit_major_cell(cls, X, [weights], H, workspace)
        N = X.shape[1]
        c = _buffer(workspace, "lstm_c", (2, H, N), self.h_units.dtype)
        tanh_c = _buffer(workspace, "lstm_tanh_c", (H, N), self.h_units.dtype)

        def to_sigmoid(gates):
            ifo = gates[: 3 * H]
            ifo *= 0.5
            ifo += 0.5

        self._to_sigmoid = to_sigmoid

        def step(t):
            gates = self.product(t)
            self._equations(
                gates,
                gates[:H],
                gates[H : 2 * H],
                gates[3 * H :],
                gates[2 * H : 3 * H],
                c[(t - 1) % 2] if t else None,
                c[t % 2],
                tanh_c,
                self.h_units[t],
            )

        self.step = step
        return self

    def _equations(self, gates, i, f, g, o, c_previous, c, tanh_c, h):
        """One step, in place: gates holds the pre-activations (the sigmoid
        gates' halved), i, f, g, o its blocks; c_previous is None at t = 0.
        Views of one layout (N, H) or (H, N)."""
        np.tanh(gates, out=gates)
        self._to_sigmoid(gates)
        np.multiply(i, g, out=c)
        if c_previous is not None:
            np.multiply(f, c_previous, out=self.tmp)
            c += self.tmp
        np.tanh(c, out=tanh_c)
        np.multiply(o, tanh_c, out=h)

    def _activate(self, t):
        g4 = self.g4[t]
        self._equations(
            self.gates[t],
            g4[:, 0],
            g4[:, 1],
            g4[:, 2],
            g4[:, 3],
            self.c[t - 1] if t else None,
            self.c[t],
            self.tanh_c[t],
            self.h[t],
        )

    def _activate_and_keep_factors(self, t):
        self._activate(t)
        gates, g4, P = self.gates[t], self.g4[t], self.P[t]
        i, g, o = g4[:, 0], g4[:, 2], g4[:, 3]
        tanh_c, through_h = self.tanh_c[t], self.through_h[t]
        flat = P.reshape(gates.shape)
        np.subtract(1.0, gates, out=flat)
        flat *= gates  # s (1 - s) for i, f, o (and g (1 - g), replaced next)
        np.multiply(g, g, out=P[:, 2])
        np.subtract(1.0, P[:, 2], out=P[:, 2])
        P[:, 0] *= g
        if t:
            P[:, 1] *= self.c[t - 1]
        else:  # c_{-1} = 0
            P[:, 1] = 0.0
        P[:, 2] *= i
        P[:, 3] *= tanh_c
        np.multiply(tanh_c, tanh_c, out=through_h)
        np.subtract(1.0, through_h, out=through_h)
        through_h *= o

    def start_backward(self, dh, workspace):
        T, N, _, H = self.g4.shape
        self.dc = _buffer(workspace, "lstm_dc", (N, H), dh.dtype)
        self.dc.fill(0.0)
        self.dh, self.f = dh, self.g4[:, :, 1]
        self.d_product = self.P.reshape(T, N, 4 * H)

    def back_step(self, t):
        dc, dh = self.dc, self.dh[t]
        np.multiply(dh, self.through_h[t], out=self.tmp)
        dc += self.tmp
        P = self.P[t]
        np.multiply(P[:, :3], dc[:, None, :], out=P[:, :3])
        np.multiply(P[:, 3], dh, out=P[:, 3])
        dc *= self.f[t]  # what reaches c_{t-1}

    def finish_backward(self, grads):
        return self.d_product


def _stacked_weights(W, U, b, n_blocks):
    """[W, U, b] (n_blocks H, H + F + 1) for :func:`_unit_major_cell`, with
    W (n_blocks H, H) and U, b in the first blocks (0 in the others)."""
    H, F = W.shape[1], U.shape[1]
    weights = np.zeros((n_blocks * H, H + F + 1), np.result_type(W, U, b))
    weights[:, :H] = W
    weights[: U.shape[0], H:-1] = U
    weights[: U.shape[0], -1] = b
    return weights


def _unit_major_cell(cls, X, weights, H, workspace):
    """A gated cell for a forward pass without gradients, unit-major.

    A step's gates are one (G' H, N) block, reused at every step: each
    gate's (H, N) slice is contiguous, where the (N, G H) rows of training
    are strided, which numpy's element-wise passes run several times
    faster; and no (T, N, G H) array of all steps' gates leaves the cache.
    ``product(t)`` fills the block's rows, from the first, with the
    products of ``weights`` (the sigmoid gates' rows halved, in the block's
    order of gates) and [h_{t-1}, x_t, 1] (H + F + 1 columns, e.g. from
    :func:`_stacked_weights`) or [x_t, 1] (F + 1 columns): ``inputs[t]``
    (H + F + 1, N) holds h_{t-1}, x_t and ones, and the step writes h_t
    into ``inputs[t + 1]``, so that the recurrent and the input product
    are one gemm (measured up to 1.15x faster than two). ``h`` is the (T,
    N, H) view of the states, Fortran-ordered at each step. The cell's
    ``step(t)`` runs ``product(t)`` itself, so that it runs without
    :func:`_steps_forward`.
    """
    self = cls.__new__(cls)
    T, N, F = X.shape
    dtype = np.result_type(X, *weights)
    inputs = _buffer(workspace, "h", (T + 1, H + F + 1, N), dtype)
    inputs[0, :H] = 0.0  # h_{-1}
    np.copyto(inputs[:T, H : H + F], X.transpose(0, 2, 1))
    inputs[:, H + F] = 1.0
    self.h_units = inputs[1:, :H]
    self.h = self.h_units.transpose(0, 2, 1)
    block = _buffer(workspace, "gates", (sum(len(w) for w in weights), N), dtype)
    self.tmp = _buffer(workspace, "cell_tmp", (H, N), dtype)
    gemm = _GEMM[dtype]
    products, row = [], 0
    for w in weights:  # (weights^T, first input row, block rows^T)
        rows = block[row : row + len(w)]
        products.append((w.astype(dtype).T, H + F + 1 - w.shape[1], rows.T))
        row += len(w)

    def product(t):  # rows^T = inputs^T weights^T
        for weightsT, first, rowsT in products:
            res = gemm(1.0, inputs[t, first:].T, weightsT, 0.0, rowsT, 0, 0, 1)
            if res is not rowsT:  # pragma: no cover - f2py had to copy
                rowsT[...] = res
        return block

    self.product = product
    return self


_CELLS = {"elman": _Elman, "gru": _GRU, "lstm": _LSTM}


def _gemm_into(gemm, AT, B, out, beta, trans_a):
    """out^T = op(A) B^T + beta out^T in place, for C-ordered (rows, H) B, out.

    ``AT`` is the Fortran-ordered transpose of a C-ordered (H, H) matrix A:
    ``trans_a=1`` multiplies by A, ``trans_a=0`` by A^T. Working on the
    transposes lets BLAS read and write the C-ordered rows where they lie.
    """
    c = out.T
    res = gemm(1.0, AT, B.T, beta, c, trans_a, 0, 1)
    if res is not c:  # pragma: no cover - f2py had to copy: write it back
        out[...] = res.T


def _first_delayed_step(T, delay, backward=False):
    """The step at which a time loop first adds the delayed term: L forward,
    the last multiple of L below T backward; T (never) without a delay."""
    if delay is None or delay >= T:
        return T
    return (T - 1) // delay * delay if backward else delay


def _delayed_forward(h, product, t, delay, RT, gemm, mask=None, workspace=None):
    """product_s += R (m_h *) h_{s-L} for the steps s = t..t+L-1.

    Called at step t = kL of the forward loop, when h_{t-L}..h_{t-1} are
    final: one product for the next L steps (fewer at the end).
    """
    T, N, H = h.shape
    n = min(delay, T - t)
    out = product[t : t + n].reshape(n * N, H)
    source = h[t - delay : t - delay + n]
    if mask is not None:
        dropped = _buffer(workspace, "h_delayed", (n, N, H), h.dtype)
        source = np.multiply(source, mask, out=dropped)
    source = source.reshape(n * N, H)
    _gemm_into(gemm, RT, source, out, 1.0, 1)


def _delayed_backward(dh, d_product, t, delay, RT, gemm, mask=None, workspace=None):
    """dL/dh_{s-L} += m_h * (R^T d_product_s) for the steps s = t..t+L-1.

    Called at step t = kL of the backward loop, once d_product_t..
    d_product_{t+L-1} are final: one product for L steps.
    """
    T, N, H = dh.shape
    n = min(delay, T - t)
    out = dh[t - delay : t - delay + n].reshape(n * N, H)
    delta = d_product[t : t + n].reshape(n * N, H)
    if mask is None:
        _gemm_into(gemm, RT, delta, out, 1.0, 0)
        return
    back = _buffer(workspace, "dh_delayed", (n * N, H), dh.dtype)  # R^T delta
    _gemm_into(gemm, RT, delta, back, 0.0, 0)
    back = back.reshape(n, N, H)
    np.multiply(back, mask, out=back)
    out += back.reshape(n * N, H)


def _steps_forward(cell, W, recurrent_mask=None, workspace=None, R=None, delay=None):
    """Run the recurrence of any cell over t = 0..T-1, in place.

    ``cell.product[t]`` += W (m_h * h_{t-1}) (one gemm for all gates), then
    ``cell.step(t)``; h_{-1} = 0 adds nothing at t = 0. With a delay L (the
    Elman cell), every L steps one gemm adds R (m_h * h_{s-L}) to the
    products of the next L steps s first.
    """
    h, product, step = cell.h, cell.product, cell.step
    T, N, H = h.shape
    multiply = np.multiply
    gemm = _GEMM[h.dtype]
    # W^T as a Fortran-ordered view of a C-ordered W: BLAS reads it in place.
    WT = np.ascontiguousarray(W, dtype=h.dtype).T
    RT = None if R is None else np.ascontiguousarray(R, dtype=h.dtype).T
    delayed = _first_delayed_step(T, delay)
    mask = None
    if recurrent_mask is not None:
        mask = recurrent_mask.astype(h.dtype, copy=False)
        dropped = _buffer(workspace, "h_dropped", (N, H), h.dtype)  # m * h_{t-1}
    step(0)
    for t in range(1, T):
        if t == delayed:
            _delayed_forward(h, product, t, delay, RT, gemm, mask, workspace)
            delayed += delay
        previous = h[t - 1]
        if recurrent_mask is not None:
            previous = multiply(previous, mask, out=dropped)
        # product_t^T += W previous^T, on the Fortran-ordered transposes
        c = product[t].T
        res = gemm(1.0, WT, previous.T, 1.0, c, 1, 0, 1)
        if res is not c:  # pragma: no cover - f2py had to copy: write it back
            product[t] = res.T
        step(t)


def _steps_backward(cell, W, recurrent_mask=None, workspace=None, R=None, delay=None):
    """dL/dh_{t-1} += m_h * (W^T d_product_t) for t = T-1..1, after
    ``cell.back_step(t)`` made d_product_t from the complete dL/dh_t; with a
    delay L, every L steps dL/dh_{s-L} += m_h * (R^T d_product_s) for the
    L steps s from t on in one gemm."""
    dh, back_step = cell.dh, cell.back_step
    T, N, H = dh.shape
    multiply = np.multiply
    gemm = _GEMM[dh.dtype]
    WT = np.ascontiguousarray(W, dtype=dh.dtype).T
    RT = None if R is None else np.ascontiguousarray(R, dtype=dh.dtype).T
    delayed = _first_delayed_step(T, delay, backward=True)
    mask = None
    if recurrent_mask is not None:
        mask = recurrent_mask.astype(dh.dtype, copy=False)
        back = _buffer(workspace, "dh_dropped", (N, H), dh.dtype)  # W^T d_product_t
    for t in range(T - 1, 0, -1):
        back_step(t)
        if t == delayed:
            _delayed_backward(dh, cell.d_product, t, delay, RT, gemm, mask, workspace)
            delayed -= delay
        d_product = cell.d_product[t]
        if recurrent_mask is None:
            # dh_{t-1}^T += W^T d_product_t^T, in place
            c = dh[t - 1].T
            res = gemm(1.0, WT, d_product.T, 1.0, c, 0, 0, 1)
            if res is not c:  # pragma: no cover - f2py had to copy: write it back
                dh[t - 1] = res.T
        else:
            # back^T = W^T d_product_t^T (beta = 0: whatever back held is ignored)
            c = back.T
            res = gemm(1.0, WT, d_product.T, 0.0, c, 0, 0, 1)
            if res is not c:  # pragma: no cover - f2py had to copy: write it back
                back[...] = res.T
            multiply(back, mask, out=back)
            dh[t - 1] += back
    back_step(0)


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
    """Run the recurrence (h_t = tanh(U x_t + W h_{t-1} + b), or a gated
    cell's) over a batch.

    Parameters
    ----------
    params : dict of str to ndarray
        The parameters ``U, W, b`` (and the GRU's ``b_hn``; ``V, c`` are not
        used). Their shapes say which cell (see :func:`cell_of`).
    X : ndarray of shape (T, N, F), or of int of shape (T, N)
        Time-major inputs; padding must be finite (zeros). Or integer codes
        of one-hot inputs, -1 on padding (see :func:`forward`).
    workspace : Workspace, default=None
        Where to put h (a buffer that the next call with the same workspace
        overwrites); None allocates a new array.
    delay : int or None, default=None
        L: add R h_{t-L} to the pre-activation of every step t > L (``R``
        in ``params``).

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
    if _is_coded(X):
        return _hidden_states(params, X, workspace, delay=delay)[0].h
    cell = cell_of(params)
    U, W, b = _forward_layout(params, cell)
    T, N, F = X.shape
    G_H = W.shape[0]  # G gates of H units
    dtype = np.result_type(X, U, W, b)
    batch_major = X.transpose(1, 0, 2)
    if 4 * F >= 3 * G_H and batch_major.flags.c_contiguous and X.dtype == dtype:
        # A time-major view of batch-major data with many features per step
        # (predict passes one): U x_t for all steps in one matmul over X as it
        # lies in memory, then one pass that adds b and turns the (N, T, G H)
        # result time-major. Reading X once, in order, is what counts when X
        # is about as large as h or larger (measured up to 1.5x faster than
        # building [X, 1] at F >= 3H/4 for the Elman cell; with fewer
        # features, slower).
        P = _buffer(workspace, "XU", (N, T, G_H), dtype)
        np.matmul(
            batch_major.reshape(N * T, F),
            U.T.astype(dtype, copy=False),
            out=P.reshape(N * T, G_H),
        )
        projection = _buffer(
            workspace, _CELLS[cell].projection_buffer, (T, N, G_H), dtype
        )
        np.add(P.transpose(1, 0, 2), b, out=projection)
        recurrence = _CELLS[cell](projection, params, workspace)
        R, delay = _delayed_weights(params, delay)
        _steps_forward(recurrence, W, None, workspace, R, delay)
        return recurrence.h
    if cell != "elman":
        # A gated cell unit-major, x_t projected step by step (see
        # _unit_major_cell): predict_proba measured 1.6x-2.4x faster than
        # with the training layout (T = 100, F = 8, H = 16..128). Each step
        # runs its own products.
        recurrence = _CELLS[cell].predicting(X, U, W, b, params, workspace)
        for t in range(T):
            recurrence.step(t)
        return recurrence.h
    return _hidden_states(params, X, workspace, delay=delay)[0].h


def _hidden_states(
    params,
    X,
    workspace,
    input_mask=None,
    recurrent_mask=None,
    training=False,
    delay=None,
):
    """The cell after its forward pass (h is ``.h``), and the inputs as the
    backward pass reads them (:class:`_DenseInputs` or :class:`_CodedInputs`).

    The input projection U (m_x *) x_t + b of every step and gate comes first,
    in one operation (see the two input classes); with a ``recurrent_mask``
    (N, H) the recurrence reads m_h * h_{t-1} (and m_h * h_{t-L} with a
    delay). ``training=True`` makes the cell keep what its backward pass
    needs.
    """
    cell = cell_of(params)
    U, W, b = _forward_layout(params, cell)
    T, N = X.shape[:2]
    G_H = W.shape[0]
    inputs = _inputs(X, U.shape[1], input_mask, _dtype(X, U, W, b), workspace)
    projection = _buffer(
        workspace, _CELLS[cell].projection_buffer, (T, N, G_H), inputs.dtype
    )
    inputs.project(U, b, projection)
    recurrence = _CELLS[cell](projection, params, workspace, training)
    R, delay = _delayed_weights(params, delay)
    _steps_forward(recurrence, W, recurrent_mask, workspace, R, delay)
    return recurrence, inputs


def _is_coded(X):
    """Whether X holds integer codes (T, N) rather than features (T, N, F)."""
    return X.ndim == 2


def _dtype(X, *params):
    """The dtype of a pass: that of the features and parameters; codes, which
    are indices, leave it to the parameters."""
    return np.result_type(*params) if _is_coded(X) else np.result_type(X, *params)


def _inputs(X, n_features, input_mask, dtype, workspace):
    if _is_coded(X):
        return _CodedInputs(X, n_features, input_mask, dtype)
    return _DenseInputs(X, input_mask, dtype, workspace)


class _DenseInputs:
    """Inputs x_t given as features, with a column of ones: X1 (T, N, F + 1).

    The bias rides in the input projection: [X, 1] @ [U, b]^T is one matmul
    for every step and gate, and in the backward pass [dU, db] is one matmul
    with X1 too. With an ``input_mask`` (N, F), X1 holds m_x * x_t, so that
    dU comes out right as well.
    """

    def __init__(self, X, input_mask, dtype, workspace):
        T, N, F = X.shape
        self.dtype = dtype
        self.X1 = X1 = _buffer(workspace, "X1", (T, N, F + 1), dtype)
        if input_mask is None:
            X1[:, :, :F] = X
        else:
            np.multiply(X, input_mask.astype(dtype, copy=False), out=X1[:, :, :F])
        X1[:, :, F] = 1.0

    def project(self, U, b, projection):
        """projection (T, N, G H) = U (m_x *) x_t + b for every step."""
        T, N, F1 = self.X1.shape
        U1 = np.empty((U.shape[0], F1), self.dtype)
        U1[:, : F1 - 1] = U
        U1[:, F1 - 1] = b
        np.matmul(self.X1.reshape(T * N, F1), U1.T, out=projection.reshape(T * N, -1))

    def gradients(self, d_input):
        """dU, db from dL/d(U x_t + b) (T, N, G H) of every step."""
        T, N, F1 = self.X1.shape
        # [dU, db]^T in one matmul (this orientation is the faster one in BLAS
        # when F + 1 is not a multiple of the kernel's width)
        dU1T = self.X1.reshape(T * N, F1).T @ d_input.reshape(T * N, -1)
        return np.ascontiguousarray(dU1T[: F1 - 1].T), dU1T[F1 - 1].copy()


class _CodedInputs:
    """Inputs x_t given as integer codes (T, N): x_t is the one-hot vector of
    ``code`` in 0..F-1, and the code -1 (padding) is the zero vector.

    U x_t is then the column U[:, code] (as min-char-rnn indexes its input
    matrix): the input projection of every step is one gather from a table
    of the columns U^T + b (b for -1), and dU sums each step's dL/d(U x_t)
    into the column of its code, as one product with the sparse (F, T N)
    one-hot matrix (its CSC form holds one entry per step: built without a
    sort, and measured 10x-50x faster than ``np.add.at``, ``np.bincount``
    per column or a dense one-hot product). Nothing of size T N F exists.
    With an ``input_mask`` (N, F), m_x * x_t is the one-hot vector scaled by
    m_x[n, code]: a dropped character is a zero vector, as on the dense path.
    """

    def __init__(self, codes, n_features, input_mask, dtype):
        self.dtype = dtype
        self.n_features = F = n_features
        # The code -1 reads row F: the table's row of the zero input.
        self.rows = np.where(codes < 0, F, codes).astype(np.intp, copy=False)
        self.weights = None
        if input_mask is not None:
            N = codes.shape[1]
            mask = np.zeros((N, F + 1), dtype)
            mask[:, :F] = input_mask
            self.weights = mask[np.arange(N), self.rows]  # m_x[n, code], (T, N)

    def project(self, U, b, projection):
        """projection (T, N, G H) = U (m_x *) x_t + b for every step."""
        F = self.n_features
        table = np.empty((F + 1, U.shape[0]), self.dtype)
        table[:F] = U.T
        table[F] = 0.0
        if self.weights is None:
            table += b  # U x_t + b in one gather
            np.take(table, self.rows, axis=0, out=projection)
        else:
            np.take(table, self.rows, axis=0, out=projection)
            projection *= self.weights[:, :, None]
            projection += b

    def gradients(self, d_input):
        """dU, db from dL/d(U x_t + b) (T, N, G H) of every step."""
        F, T_N = self.n_features, self.rows.size
        d_input = d_input.reshape(T_N, -1)
        if self.weights is None:
            values = np.ones(T_N, self.dtype)
        else:
            values = self.weights.ravel()
        one_hot = scipy.sparse.csc_array(
            (values, self.rows.ravel(), np.arange(T_N + 1)), shape=(F + 1, T_N)
        )
        dUT = one_hot @ d_input  # (F + 1, G H); row F, the padding's, is dropped
        return np.ascontiguousarray(dUT[:F].T), d_input.sum(axis=0)


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
        ``U, W, b, V, c`` (and the GRU's ``b_hn``); their shapes say which
        cell (see :func:`cell_of`).
    X : ndarray of shape (T, N, F), or of int of shape (T, N)
        Time-major inputs with finite (zero) padding; or integer codes, each
        x_t the one-hot vector of its code in 0..F-1 (F = ``U.shape[1]``),
        -1 on padding (the zero vector), never materialised.
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
        L of the delayed connection R h_{t-L} (Elman cell, ``R`` in
        ``params``); None: none.

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
    else:  # its batched products want h C-ordered (a gated cell's is a view)
        h = np.ascontiguousarray(h)
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
    params, inputs, cell, dh, workspace=None, recurrent_mask=None, delay=None
):
    """Gradients of U, W, b (and b_hn, R) given dL/dh_t from the outputs.

    ``dh`` (T, N, H) holds the direct gradient of each h_t; the recurrence
    adds what flows back from h_{t+1} (and from h_{t+L} with a delay; the
    cell overwrites it for the Elman cell). dW (and dR) is one matmul after
    the loop, over the cell's dL/d(W h_{t-1}) of every step; [dU, db] one
    from dL/d(U x_t + b) by ``inputs`` (those of :func:`_hidden_states`,
    masked if the forward pass masked them); ``recurrent_mask`` is the
    forward pass's m_h.
    """
    h = cell.h
    T, N, H = h.shape
    cell.start_backward(dh, workspace)
    R, delay = _delayed_weights(params, delay)
    _steps_backward(cell, params["W"], recurrent_mask, workspace, R, delay)
    if recurrent_mask is None:
        previous = h[:-1]
    else:  # what W multiplied: m_h * h_{t-1}
        previous = _buffer(workspace, "h_previous", (T - 1, N, H), h.dtype)
        np.multiply(h[:-1], recurrent_mask.astype(h.dtype, copy=False), out=previous)
    G_H = cell.d_product.shape[2]
    d_product = cell.d_product[1:].reshape((T - 1) * N, G_H)
    grads = {"W": d_product.T @ previous.reshape((T - 1) * N, H)}
    if delay is not None:
        # dR = sum_t delta_t (m_h *) h_{t-L}^T over the steps t > L: the
        # h_{t-L} are the first T - L of ``previous`` (h_{t-1}, masked).
        steps = max(T - delay, 0)
        delayed = previous[:steps].reshape(steps * N, H)
        grads["R"] = cell.d_product[delay:].reshape(steps * N, G_H).T @ delayed
    d_input = cell.finish_backward(grads)  # after dW, dR: it may reuse d_product
    grads["U"], grads["b"] = inputs.gradients(d_input)
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
    """The loss of a batch and its gradient with respect to U, W, b, V, c.

    The loss is ``sum_n w_n l_n + l2 / 2 * (|U|^2 + |W|^2 + |V|^2 + |R|^2)``
    (R with a delay only) where l_n is the loss of sequence n (summed over
    its steps for ``"every"``). Pass ``sample_weight = s / s.sum()`` for a
    weighted mean.

    Parameters
    ----------
    params : dict of str to ndarray
        ``U, W, b, V, c`` (and the GRU's ``b_hn``); their shapes say which
        cell (see :func:`cell_of`).
    X : ndarray of shape (T, N, F), or of int of shape (T, N)
        Time-major inputs with finite (zero) padding; or integer codes, each
        x_t the one-hot vector of its code in 0..F-1 (F = ``U.shape[1]``),
        -1 on padding (the zero vector), never materialised.
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
        weights held constant, dL/dV taken from h_t instead of Z_t); for
        the Elman cell only (a ValueError for a gated cell).
    workspace : Workspace, default=None
        Scratch buffers to reuse across calls (see :class:`Workspace`).
    input_mask : ndarray of shape (N, F), default=None
        Dropout mask m_x of each sequence's inputs, the same at every step
        (see :func:`dropout_masks`); None: no input dropout.
    recurrent_mask : ndarray of shape (N, H), default=None
        Dropout mask m_h of each sequence's h_{t-1} in the recurrence, the
        same at every step; None: no recurrent dropout.
    delay : int or None, default=None
        L of the delayed connection R h_{t-L} (see :func:`forward`); the
        same ``recurrent_mask`` drops the same units of h_{t-L}.

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
    cell = cell_of(params)
    if gradient != "exact" and cell != "elman":
        raise ValueError(
            f"gradient={gradient!r} is the notes' simplified gradient of the "
            f"Elman cell; the {cell!r} cell has the exact gradient only."
        )
    V = params["V"]
    T, N = X.shape[:2]
    dtype = X.dtype if not _is_coded(X) else np.result_type(params["U"], V)
    w = np.ones(N, dtype) if sample_weight is None else sample_weight.astype(dtype)
    scale = float(scale)
    recurrence, inputs = _hidden_states(
        params, X, workspace, input_mask, recurrent_mask, training=True, delay=delay
    )
    h = recurrence.h
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
    grads = _backprop_through_time(
        params, inputs, recurrence, dh, workspace, recurrent_mask, delay
    )
    grads["V"] = dV
    grads["c"] = (dOmega if output == "last" else dc_rows).sum(axis=0)
    names = param_names(cell, delay)
    if l2:
        for name in PENALIZED:
            if name in names:
                value += 0.5 * l2 * float(np.vdot(params[name], params[name]))
                grads[name] += l2 * params[name]
    return float(value), {name: grads[name].astype(dtype, copy=False) for name in names}
