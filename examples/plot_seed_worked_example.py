"""
The seed notes' worked example
==============================

The notes train an attention RNN with one hidden unit to predict the next
character of "hello": inputs "hell", targets "ello", over the vocabulary
[h, e, l, o]. This script starts from the notes' printed initial parameters
and prints, next to what the notes print:

- the forward pass step by step (h_t, attention weights, Z_t, Omega_t,
  y_hat_t and L_t) and the total loss;
- the notes' gradient and the exact gradient, side by side;
- the parameters after one update with eta = 0.01 under each gradient;
- the total loss at epochs 1, 2, 100, 1000 and 10000 of full-batch gradient
  descent under each gradient ("epoch k" = the loss before the k-th update).

All the arithmetic is the core's (:mod:`sklearn_attnrnn._network`): the
notes' gradient is ``gradient="notes"``, the exact one ``gradient="exact"``.

Run it with ``python examples/plot_seed_worked_example.py``; it takes a few seconds.
"""

import time

import numpy as np

from sklearn_attnrnn import _network

VOCABULARY = ("h", "e", "l", "o")
INPUTS = "hell"
TARGETS = "ello"
LEARNING_RATE = 0.01  # the notes' text says 0.1; every number they print uses 0.01
EPOCHS = (1, 2, 100, 1000, 10000)
# The total losses the notes print at EPOCHS (notes' gradients, eta = 0.01).
NOTES_LOSSES = (5.8071, 5.7791, 4.6789, 2.1040, 0.3418)


def notes_params():
    """The notes' initial parameters (H = 1 hidden unit, K = 4 classes).

    Returns
    -------
    params : dict of str to ndarray
        ``U`` (1, 4), ``W`` (1, 1), ``b`` (1,), ``V`` (4, 1), ``c`` (4,),
        freshly allocated so that callers may update them in place.
    """
    return {
        "U": np.array([[0.1442, -0.2315, -0.6690, 1.1585]]),
        "W": np.array([[-0.5870]]),
        "b": np.zeros(1),
        "V": np.array([[-0.2246], [-0.3053], [0.4905], [0.2768]]),
        "c": np.zeros(4),
    }


def notes_data():
    """The notes' one training sequence, "hell" -> "ello", in the core's layout.

    Returns
    -------
    X : ndarray of shape (4, 1, 4)
        One-hot inputs, time-major: T = 4 steps, N = 1 sequence, F = 4.
    lengths : ndarray of shape (1,)
        ``[4]``.
    Y : ndarray of shape (4, 1)
        Target class indices per step (e, l, l, o -> 1, 2, 2, 3).
    """
    X = np.eye(len(VOCABULARY))[[VOCABULARY.index(ch) for ch in INPUTS]]
    Y = np.array([VOCABULARY.index(ch) for ch in TARGETS])
    return X[:, None, :], np.array([len(INPUTS)]), Y[:, None]


def step_intermediates(params, X, lengths, Y):
    """Every per-step quantity the notes print, for the first sequence of X.

    Parameters
    ----------
    params : dict of str to ndarray
        ``U, W, b, V, c``.
    X : ndarray of shape (T, N, F)
        Time-major inputs.
    lengths : ndarray of shape (N,)
        Real steps per sequence.
    Y : ndarray of shape (T, N)
        Target class indices per step.

    Returns
    -------
    steps : dict of str to ndarray
        For sequence 0 with T0 = ``lengths[0]`` steps: ``h`` (T0, H) the
        hidden states, ``weights`` (T0, T0) the attention weights a_t,i
        (row t, zero for i > t), ``Z`` (T0, H) the contexts, ``Omega``
        (T0, K), ``y_hat`` (T0, K) and ``loss`` (T0,) the step losses L_t.
    """
    T0 = lengths[0]
    h = _network.hidden_states(params, X)[:T0, 0]
    Omega, weights = _network.forward(params, X, lengths, output="every")
    Omega, weights = Omega[0, :T0], weights[0, :T0, :T0]
    log_p = _network.log_output_function(Omega)
    return {
        "h": h,
        "weights": weights,
        # The core keeps Z internal; this is the notes' Z_t = sum_i a_t,i h_i.
        "Z": weights @ h,
        "Omega": Omega,
        "y_hat": np.exp(log_p),
        "loss": -log_p[np.arange(T0), Y[:T0, 0]],
    }


def update(params, grads, learning_rate=LEARNING_RATE):
    """One plain gradient-descent step, ``p - learning_rate * dL/dp``.

    Parameters
    ----------
    params, grads : dict of str to ndarray
        The parameters and their gradients, under the same names.
    learning_rate : float, default=0.01
        eta.

    Returns
    -------
    new_params : dict of str to ndarray
        New arrays; ``params`` is left unchanged.
    """
    return {name: params[name] - learning_rate * grads[name] for name in params}


def gradient_descent(
    params, X, lengths, Y, *, epochs=EPOCHS, learning_rate=LEARNING_RATE, gradient
):
    """Full-batch gradient descent on the summed loss, as the notes train.

    Parameters
    ----------
    params : dict of str to ndarray
        Initial ``U, W, b, V, c`` (not modified).
    X, lengths, Y
        The data, as returned by :func:`notes_data`.
    epochs : sequence of int, default=(1, 2, 100, 1000, 10000)
        The epochs at which to record the loss; epoch k is the total loss
        before the k-th update, so epoch 1 is the initial loss.
    learning_rate : float, default=0.01
        eta.
    gradient : {"exact", "notes"}
        The gradient to descend, passed to the core.

    Returns
    -------
    losses : dict of int to float
        The total loss at each requested epoch.
    """
    params = {name: value.copy() for name, value in params.items()}
    wanted = set(epochs)
    last = max(wanted)
    losses = {}
    for epoch in range(1, last + 1):
        loss, grads = _network.loss_and_grads(
            params, X, lengths, Y, output="every", gradient=gradient
        )
        if epoch in wanted:
            losses[epoch] = loss
        if epoch < last:
            for name, value in params.items():  # in place: 10^4 tiny steps
                value -= learning_rate * grads[name]
    return losses


def _vec(a):
    return " ".join(f"{x:8.4f}" for x in np.ravel(a))


def main():
    """Print the worked example's tables."""
    params = notes_params()
    X, lengths, Y = notes_data()

    steps = step_intermediates(params, X, lengths, Y)
    print("Forward pass from the notes' initial parameters")
    print(
        f"{'t':>2} {'x':>2} {'y':>2} {'h_t':>8} {'Z_t':>8}   "
        f"{'attention weights a_t,1..t':<36} {'L_t':>8}"
    )
    for t in range(len(INPUTS)):
        weights = _vec(steps["weights"][t, : t + 1])
        print(
            f"{t + 1:>2} {INPUTS[t]:>2} {TARGETS[t]:>2} {_vec(steps['h'][t])} "
            f"{_vec(steps['Z'][t])}   {weights:<36} {steps['loss'][t]:8.4f}"
        )
    print()
    print(f"{'t':>2}  {'Omega_t':<36}  y_hat_t")
    for t in range(len(INPUTS)):
        print(f"{t + 1:>2} {_vec(steps['Omega'][t]):<36} {_vec(steps['y_hat'][t])}")
    print(f"total loss L = {steps['loss'].sum():.4f}")

    grads = {}
    for kind in ("notes", "exact"):
        _, grads[kind] = _network.loss_and_grads(
            params, X, lengths, Y, output="every", gradient=kind
        )
    print()
    print("Gradients")
    print(f"{'':6}  {'notes (a_t,i held constant, h_t for Z_t)':<43} exact")
    for name in ("V", "c", "W", "U", "b"):
        print(
            f"{'d' + name:<6} {_vec(grads['notes'][name]):<44} "
            f"{_vec(grads['exact'][name])}"
        )

    print()
    print(f"Parameters after one update, eta = {LEARNING_RATE}")
    print(f"{'':6}  {'initial':<36} {'notes gradient':<36} exact gradient")
    after = {kind: update(params, grads[kind]) for kind in grads}
    for name in ("V", "c", "W", "U", "b"):
        print(
            f"{name:<6} {_vec(params[name]):<36} "
            f"{_vec(after['notes'][name]):<36} {_vec(after['exact'][name])}"
        )

    start = time.perf_counter()
    losses = {
        kind: gradient_descent(params, X, lengths, Y, gradient=kind)
        for kind in ("notes", "exact")
    }
    elapsed = time.perf_counter() - start
    print()
    print(
        f"Total loss, full-batch gradient descent, eta = {LEARNING_RATE} "
        "(epoch k = before the k-th update)"
    )
    # Printed as a Markdown table, ready to paste into a document.
    print("| epoch |  notes | notes' gradients | exact gradients |")
    print("|------:|-------:|-----------------:|----------------:|")
    for epoch, printed in zip(EPOCHS, NOTES_LOSSES, strict=True):
        print(
            f"| {epoch:>5} | {printed:6.4f} | {losses['notes'][epoch]:16.4f} | "
            f"{losses['exact'][epoch]:15.4f} |"
        )
    print(f"({2 * (EPOCHS[-1] - 1)} gradient steps in {elapsed:.1f} s)")


if __name__ == "__main__":
    main()
