"""Time AttentionRNNClassifier against the same model written in PyTorch.

A script, not a test. Run from the repository root::

    python benchmarks/bench.py            # the full grid (~10 min on 2 cores)
    python benchmarks/bench.py --quick    # a small subset (~1 min)
    python benchmarks/bench.py --markdown benchmarks/results.json  # tables only
    python benchmarks/bench.py --cell gru   # the GRU against nn.GRU (also lstm)

What it does, in one process and on the same random data:

1. Checks that both implementations compute the same thing: with the NumPy
   initialisation copied into PyTorch (``weight_ih_l0 = U``, ``weight_hh_l0 =
   W``, ``bias_ih_l0 = b``, ``bias_hh_l0 = 0`` and frozen, ``Linear`` = V, c;
   for the GRU, ``bias_hh_l0 = [0, 0, b_hn]`` with its r and z blocks held
   at 0 by a gradient hook),
   the mean cross-entropy and its gradient agree to float64 precision (relative
   1e-10), for every hidden size and feature count of the grid, on sequences
   of mixed lengths. It stops with an error if they do not. It also trains
   both for one epoch from that common start and reports how far the
   parameters drifted apart (the two Adams differ only in where epsilon sits).
2. Times ``fit`` (exactly ``--epochs`` epochs) and ``predict_proba`` over the
   grid H x T x F x dtype x threads, NumPy and PyTorch interleaved, the best
   of ``--repeat`` runs each, and prints the ratio torch_time / numpy_time
   (> 1: NumPy is faster). It also measures this machine's GEMM peak and
   prints, for predict, the largest ratio that any implementation could
   reach: PyTorch's time over the time the model's multiply-adds take at
   that peak ("max").
3. Measures how fit time grows with N and with T.
4. Measures peak memory with tracemalloc (the NumPy arrays the estimator
   allocates; numpy reports its data buffers to tracemalloc): of fit as N
   grows, and of predict_proba on 1,000,000 sequences of length 5.
5. Times fit with the delayed connection (``delay=L``, ``--delay``, default
   2: the term then acts at every step but the first two, the most work a
   delay adds) against fit without, at every grid point (NumPy, one
   thread, CPU time; Elman cell only).

Both models: h_t = tanh(U x_t + W h_{t-1} + b) (``--cell elman``, the
default; ``--cell gru`` / ``lstm``: nn.GRU / nn.LSTM and the estimator's
``cell="gru"`` / ``"lstm"``, the same equations); at the last step T of each
sequence, a_i = softmax_i(h_i . h_T / sqrt(H)) over its own steps (padding
masked with -inf), Z = sum_i a_i h_i, logits V Z + c; mean softmax
cross-entropy over each mini-batch; Adam(lr=1e-3, betas=(0.9, 0.999),
eps=1e-8); no L2 (alpha=0), no gradient clipping (max_grad_norm=None), no
shuffling, the same batch size and dtype. Thread count: threadpoolctl limits
every BLAS/OpenMP pool of the process (NumPy's and SciPy's OpenBLAS) and
``torch.set_num_threads`` sets PyTorch's.

The timing grid uses sequences that all have length T (a mixed-length batch
is padded to its longest sequence on both sides, so full length is the
worst case of a given T); ``--lengths mixed`` draws lengths in [T/2, T]
instead. The gradient check always uses mixed lengths.

PyTorch is optional (``pip install -e .[bench]`` pins torch==2.13.0): without
it only the NumPy side is timed.
"""

import argparse
import gc
import json
import math
import os
import platform
import sys
import threading
import time
import tracemalloc
import warnings

import numpy as np
import sklearn
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_info, threadpool_limits

from sklearn_attnrnn import AttentionRNNClassifier, _network
from sklearn_attnrnn._base import PREDICT_CHUNK_SIZE

try:  # the estimator's predict chunks, which the PyTorch side copies
    from sklearn_attnrnn._base import predict_chunk_size
except ImportError:  # older versions: fixed chunks

    def predict_chunk_size(n_steps, hidden_size, itemsize, n_features=0):
        return PREDICT_CHUNK_SIZE


try:
    import torch
except ImportError:  # the PyTorch side is optional
    torch = None

try:
    import psutil
except ImportError:
    psutil = None

N_CLASSES = 4
# The recurrence of both sides, set by --cell.
CELL = "elman"
BATCH_SIZE = 64
LEARNING_RATE = 1e-3
GRAD_RTOL = 1e-10
HERE = os.path.dirname(os.path.abspath(__file__))

FULL = dict(
    hidden=[16, 32, 64, 128],
    steps=[10, 50, 100],
    features=[8, 30],
    dtypes=["float32", "float64"],
    threads=[1, os.cpu_count() or 1],
    n_samples=1024,
    n_predict=4096,
    epochs=2,
    repeat=3,
    scaling_n=[256, 512, 1024, 2048],
    scaling_t=[25, 50, 100, 200],
    memory_n=[1024, 4096, 16384],
    predict_n=[100_000, 1_000_000],
)
# The multi-threaded part when other processes load the machine.
CONTENDED = dict(
    hidden=[16, 64, 128], steps=[10, 100], features=[8], repeat=1, budget=20.0
)
QUICK = dict(
    hidden=[16, 64, 128],
    steps=[10, 100],
    features=[8],
    dtypes=["float32"],
    threads=[1],
    n_samples=512,
    n_predict=2048,
    epochs=1,
    repeat=2,
    scaling_n=[256, 512, 1024],
    scaling_t=[25, 50, 100],
    memory_n=[1024, 4096],
    predict_n=[10_000, 100_000],
)


# ----------------------------------------------------------------------------
# Data
# ----------------------------------------------------------------------------
def make_data(n, T, F, dtype, *, lengths="full", seed=0):
    """X (n, T, F) with NaN padding after each length, y in 0..K-1, lengths."""
    rng = np.random.RandomState(seed)
    X = rng.standard_normal((n, T, F)).astype(dtype)
    if lengths == "full":
        lens = np.full(n, T, dtype=np.int64)
    else:
        lens = rng.randint(max(1, T // 2), T + 1, size=n).astype(np.int64)
        lens[0] = T  # the longest length is T
        X[np.arange(T)[None, :] >= lens[:, None]] = np.nan
    y = rng.randint(0, N_CLASSES, size=n)
    return X, y, lens


def numpy_classifier(H, epochs, **kwargs):
    params = dict(
        hidden_size=H,
        batch_size=BATCH_SIZE,
        max_iter=epochs,
        tol=0.0,
        n_iter_no_change=10**9,  # never stop early: exactly `epochs` epochs
        shuffle=False,
        alpha=0.0,
        max_grad_norm=None,
        learning_rate=LEARNING_RATE,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        random_state=0,
        attention_scores="scaled",
        cell=CELL,
    )
    params.update(kwargs)
    return AttentionRNNClassifier(**params)


def attention_scale(H):
    """The score scale both sides use: attention_scores='scaled', 1/sqrt(H).

    (The estimator's default is 'dot', s = 1; the cost is the same.)
    """
    return 1.0 / math.sqrt(H)


def numpy_fit(X, y, H, epochs, **kwargs):
    clf = numpy_classifier(H, epochs, **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    assert clf.n_iter_ == epochs, clf.n_iter_
    return clf


# ----------------------------------------------------------------------------
# The same model in PyTorch
# ----------------------------------------------------------------------------
if torch is not None:
    import torch.nn.functional as torch_F

    def torch_recurrence(n_features, hidden_size):
        if CELL == "gru":
            return torch.nn.GRU(n_features, hidden_size)
        if CELL == "lstm":
            return torch.nn.LSTM(n_features, hidden_size)
        return torch.nn.RNN(n_features, hidden_size, nonlinearity="tanh")

    class TorchAttentionRNN(torch.nn.Module):
        """nn.RNN(tanh) (or nn.GRU, nn.LSTM) + masked last-step dot-product
        attention + Linear."""

        def __init__(self, n_features, hidden_size, n_classes, scale):
            super().__init__()
            self.rnn = torch_recurrence(n_features, hidden_size)
            self.out = torch.nn.Linear(hidden_size, n_classes)
            self.scale = scale
            # One hidden bias, as the NumPy model: bias_hh is 0 and not
            # trained; the GRU's n block of it is b_hn, and a hook keeps the
            # gradient of its r and z blocks at 0 (so that Adam leaves them).
            bias_hh = self.rnn.bias_hh_l0
            with torch.no_grad():
                bias_hh.zero_()
            if CELL == "gru":
                keep = torch.zeros_like(bias_hh)
                keep[2 * hidden_size :] = 1.0
                bias_hh.register_hook(lambda grad: grad * keep)
            else:
                bias_hh.requires_grad_(False)

        def forward(self, X, lengths):
            """X (T, N, F) time-major, zero padded; lengths (N,) int64."""
            h, _ = self.rnn(X)  # (T, N, H)
            T, N = X.shape[0], X.shape[1]
            h_last = h[lengths - 1, torch.arange(N)]  # (N, H)
            hb = h.transpose(0, 1)  # (N, T, H)
            scores = torch.bmm(hb, h_last.unsqueeze(2)).squeeze(2) * self.scale
            padding = torch.arange(T)[None, :] >= lengths[:, None]
            scores = scores.masked_fill(padding, float("-inf"))
            a = torch.softmax(scores, dim=1)
            Z = torch.bmm(a.unsqueeze(1), hb).squeeze(1)  # (N, H)
            return self.out(Z)

        def load_numpy(self, params):
            with torch.no_grad():
                self.rnn.weight_ih_l0.copy_(torch.from_numpy(params["U"]))
                self.rnn.weight_hh_l0.copy_(torch.from_numpy(params["W"]))
                self.rnn.bias_ih_l0.copy_(torch.from_numpy(params["b"]))
                self.rnn.bias_hh_l0.zero_()
                if CELL == "gru":
                    H = self.rnn.hidden_size
                    self.rnn.bias_hh_l0[2 * H :] = torch.from_numpy(params["b_hn"])
                self.out.weight.copy_(torch.from_numpy(params["V"]))
                self.out.bias.copy_(torch.from_numpy(params["c"]))

        def numpy_params(self, grad=False):
            """The parameters (or their gradients) under the core's names."""

            def get(tensor):
                return (tensor.grad if grad else tensor).detach().numpy().copy()

            out = {
                "U": get(self.rnn.weight_ih_l0),
                "W": get(self.rnn.weight_hh_l0),
                "b": get(self.rnn.bias_ih_l0),
                "V": get(self.out.weight),
                "c": get(self.out.bias),
            }
            if CELL == "gru":
                out["b_hn"] = get(self.rnn.bias_hh_l0)[2 * self.rnn.hidden_size :]
            return out

    def torch_dtype(dtype):
        return torch.float32 if np.dtype(dtype) == np.float32 else torch.float64

    def to_torch(X, lens):
        """NaN-padded (N, T, F) numpy -> zero-padded time-major tensor."""
        Xt = torch.from_numpy(X).transpose(0, 1).contiguous()  # (T, N, F)
        if not bool((lens == X.shape[1]).all()):
            Xt = torch.nan_to_num(Xt, nan=0.0)
        return Xt, torch.from_numpy(lens)

    def torch_fit(X, y, lens, H, epochs, init=None, epsilon=1e-8):
        """Train like the estimator: same batches in the same order, Adam."""
        Xt, Lt = to_torch(X, lens)
        yt = torch.from_numpy(y)
        torch.manual_seed(0)
        model = TorchAttentionRNN(X.shape[2], H, N_CLASSES, attention_scale(H))
        model = model.to(torch_dtype(X.dtype))
        if init is not None:
            model.load_numpy(init)
        optimizer = torch.optim.Adam(
            [p for p in model.parameters() if p.requires_grad],
            lr=LEARNING_RATE,
            betas=(0.9, 0.999),
            eps=epsilon,
        )
        n = len(y)
        full = bool((lens == X.shape[1]).all())
        for _ in range(epochs):
            for begin in range(0, n, BATCH_SIZE):
                check_deadline()
                sl = slice(begin, begin + BATCH_SIZE)
                lb = Lt[sl]
                xb = Xt[:, sl] if full else Xt[: int(lb.max()), sl]
                optimizer.zero_grad(set_to_none=True)
                loss = torch_F.cross_entropy(model(xb, lb), yt[sl])
                loss.backward()
                optimizer.step()
        return model

    def torch_predict_proba(model, X, lens):
        """The estimator's chunks (same sizes, sorted by length), no autograd."""
        Xt, Lt = to_torch(X, lens)
        size = predict_chunk_size(  # with U_.shape[0] = G H, as the estimator
            int(lens.max()),
            model.rnn.weight_ih_l0.shape[0],
            X.itemsize,
            X.shape[2],
        )
        out = torch.empty((len(lens), N_CLASSES), dtype=Xt.dtype)
        if bool((lens == X.shape[1]).all()):
            chunks = [slice(b, b + size) for b in range(0, len(lens), size)]
        else:
            order = torch.from_numpy(np.argsort(lens, kind="stable"))
            chunks = [order[b : b + size] for b in range(0, len(lens), size)]
        with torch.inference_mode():
            for idx in chunks:
                check_deadline()
                lb = Lt[idx]
                logits = model(Xt[: int(lb.max()), idx], lb)
                out[idx] = torch.softmax(logits, dim=1)
        return out.numpy()


# ----------------------------------------------------------------------------
# 1. Same loss and gradient
# ----------------------------------------------------------------------------
def check_gradients(H, F, T=12, n=24, seed=0):
    """Loss and gradients of both implementations, float64, mixed lengths."""
    rng = np.random.RandomState(seed)
    params = _network.init_params(F, H, N_CLASSES, rng, dtype=np.float64, cell=CELL)
    for name in ("b", "b_hn", "c"):  # non-zero biases: every term counts
        if name in params:
            params[name] = 0.3 * rng.standard_normal(params[name].shape)
    X, y, lens = make_data(n, T, F, np.float64, lengths="mixed", seed=seed + 1)
    scale = attention_scale(H)

    Xtm = np.ascontiguousarray(np.nan_to_num(X, nan=0.0).transpose(1, 0, 2))
    loss_np, grads_np = _network.loss_and_grads(
        params, Xtm, lens, y, np.full(n, 1.0 / n), scale=scale, l2=0.0
    )
    model = TorchAttentionRNN(F, H, N_CLASSES, scale).double()
    model.load_numpy(params)
    Xt, Lt = to_torch(X, lens)
    loss_t = torch_F.cross_entropy(model(Xt, Lt), torch.from_numpy(y))
    loss_t.backward()
    grads_t = model.numpy_params(grad=True)
    assert set(grads_t) == set(grads_np)  # every parameter is compared
    errors = {"loss": abs(loss_np - loss_t.item()) / abs(loss_t.item())}
    for name, g in grads_t.items():
        errors[name] = float(np.abs(grads_np[name] - g).max() / np.abs(g).max())
    worst = max(errors.values())
    if not worst < GRAD_RTOL:
        raise SystemExit(
            f"GRADIENT CHECK FAILED ({CELL}, H={H}, F={F}): NumPy and PyTorch "
            "disagree; "
            f"relative errors {errors} (must be < {GRAD_RTOL})."
        )
    return worst


def check_training(H, F, T=20, n=256, epochs=2, seed=0):
    """Train both from the same start: do they end at the same parameters?

    The two Adams differ only in where epsilon enters (scikit-learn's form
    divides by sqrt(v) + eps, PyTorch's by sqrt(v) / sqrt(1 - beta2^t) +
    eps), so with a negligible epsilon (1e-30) both must follow the same
    trajectory up to float64 rounding.
    """
    X, y, lens = make_data(n, T, F, np.float64, lengths="mixed", seed=seed)
    clf = numpy_classifier(H, epochs, epsilon=1e-30)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    # The estimator's initialisation: init_params from RandomState(0) first.
    init = _network.init_params(F, H, N_CLASSES, np.random.RandomState(0), cell=CELL)
    model = torch_fit(X, y, lens, H, epochs, init=init, epsilon=1e-30)
    theirs = model.numpy_params()
    moved = max(float(np.abs(getattr(clf, k + "_") - init[k]).max()) for k in init)
    diff = max(float(np.abs(getattr(clf, k + "_") - theirs[k]).max()) for k in init)
    drift = diff / moved
    if not drift < 1e-6:
        raise SystemExit(
            f"TRAINING CHECK FAILED (H={H}, F={F}): after {epochs} epochs from "
            f"the same start the parameters differ by {drift:.1e} of how far "
            "they moved; the two sides do not train the same model."
        )
    return drift


# ----------------------------------------------------------------------------
# 2. Timing
# ----------------------------------------------------------------------------
def measure(fn):
    """(wall seconds, CPU seconds of this process, result) of one call."""
    gc.collect()
    cpu, wall = time.process_time(), time.perf_counter()
    result = fn()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def best_time(fn, repeat):
    """Best wall time of ``repeat`` calls, and the last result."""
    best, result = math.inf, None
    for _ in range(repeat):
        wall, _, result = measure(fn)
        best = min(best, wall)
    return best, result


class TooSlow(Exception):
    """A PyTorch run passed its deadline (see ``--budget``)."""


_DEADLINE = [None]


def check_deadline():
    if _DEADLINE[0] is not None and time.perf_counter() > _DEADLINE[0]:
        raise TooSlow


class Best:
    """The best (smallest) wall and CPU time seen of one quantity.

    With a ``budget`` (seconds), a run that passes it is abandoned (the
    PyTorch loops check the deadline between batches and chunks) and the
    quantity is recorded as "more than budget"; it is not run again.
    """

    def __init__(self, budget=None):
        self.wall = self.cpu = math.inf
        self.budget, self.timed_out = budget, False

    def add(self, fn):
        if self.timed_out:
            return None, None
        if self.budget is not None:
            _DEADLINE[0] = time.perf_counter() + self.budget
        try:
            wall, cpu, result = measure(fn)
        except TooSlow:
            self.timed_out = True
            return None, None
        finally:
            _DEADLINE[0] = None
        self.wall, self.cpu = min(self.wall, wall), min(self.cpu, cpu)
        return wall, result


def gemm_peak(dtype, repeat=5):
    """The best rate of a large matrix product here (flop/s), under the
    current thread limit: (2048 x 512) @ (512 x 512), the best of ``repeat``.

    No implementation of the model can beat its floating-point operations at
    this rate, so ``torch time / (flops / peak)`` caps the ratio any NumPy
    code could reach at a grid point (see :func:`predict_flops`).
    """
    rng = np.random.RandomState(0)
    a = rng.randn(2048, 512).astype(dtype)
    b = rng.randn(512, 512).astype(dtype)
    out = np.empty((2048, 512), dtype)
    np.matmul(a, b, out=out)
    best = min(measure(lambda: np.matmul(a, b, out=out))[0] for _ in range(repeat))
    return 2 * 2048 * 512 * 512 / best


def predict_flops(n, T, H, F):
    """Multiply-adds x 2 of predict_proba on n full-length sequences.

    Per step and sequence: U x_t + b (G H (F + 1), G = 1, 3, 4 gates of
    the Elman, GRU, LSTM cell), W h_{t-1} (G H^2), the attention score h_i
    . h_T and the context sum (2 H); the output layer is negligible.
    Element-wise work (tanh, gates, softmax) is not counted, so the bound is
    generous to NumPy.
    """
    G = _network.N_GATES[CELL]
    return 2 * n * T * H * (G * (H + F + 1) + 2)


def time_point(H, T, F, dtype, cfg, use_torch, lengths):
    """Fit and predict_proba times of both sides at one grid point.

    NumPy and PyTorch runs alternate, so that a burst of load from elsewhere
    hits both alike; each side keeps its best wall time and, separately, its
    best CPU time (the CPU time of a one-thread run does not count the time
    the process waited for a core, so it is the robust number on a busy
    machine).
    """
    X, y, lens = make_data(cfg["n_samples"], T, F, dtype, lengths=lengths, seed=1)
    Xp, _, lens_p = make_data(cfg["n_predict"], T, F, dtype, lengths=lengths, seed=2)
    init = _network.init_params(
        F, H, N_CLASSES, np.random.RandomState(0), dtype, cell=CELL
    )
    budget = cfg.get("budget")
    fit_np, pred_np = Best(), Best()
    fit_t, pred_t = Best(budget), Best(budget)
    clf = model = None
    for _ in range(cfg["repeat"]):
        _, clf = fit_np.add(lambda: numpy_fit(X, y, H, cfg["epochs"]))
        if use_torch:
            _, fitted = fit_t.add(
                lambda: torch_fit(X, y, lens, H, cfg["epochs"], init=init)
            )
            model = fitted if fitted is not None else model
    if use_torch and model is None:  # too slow to train: predict with the init
        model = TorchAttentionRNN(F, H, N_CLASSES, attention_scale(H))
        model = model.to(torch_dtype(X.dtype))
        model.load_numpy(init)
    # predict is quick: repeat it until ~0.3 s per side have been spent.
    first, _ = pred_np.add(lambda: clf.predict_proba(Xp))
    n_pred = int(min(20, max(cfg["repeat"], 0.3 / max(first, 1e-4))))
    for i in range(n_pred):
        if i:
            pred_np.add(lambda: clf.predict_proba(Xp))
        if use_torch:
            pred_t.add(lambda: torch_predict_proba(model, Xp, lens_p))
    row = {"H": H, "T": T, "F": F, "dtype": dtype}
    peak = cfg.get("gemm_peak")
    if peak:  # the least time any implementation needs at the GEMM peak
        row["predict_floor"] = predict_flops(cfg["n_predict"], T, H, F) / peak
    for name, best in (("fit_numpy", fit_np), ("predict_numpy", pred_np)):
        row[name], row[name + "_cpu"] = best.wall, best.cpu
    if use_torch:
        for name, best in (("fit_torch", fit_t), ("predict_torch", pred_t)):
            if best.timed_out and best.wall == math.inf:
                # never finished: record the budget, a lower bound
                row[name + "_timeout"] = best.budget
                row[name], row[name + "_cpu"] = best.budget, None
            else:
                row[name], row[name + "_cpu"] = best.wall, best.cpu
        for what in ("fit", "predict"):
            row[what + "_ratio"] = row[what + "_torch"] / row[what + "_numpy"]
            cpu = row[what + "_torch_cpu"]
            row[what + "_ratio_cpu"] = (
                cpu / row[what + "_numpy_cpu"] if cpu is not None else None
            )
        if row.get("predict_floor"):
            row["predict_ratio_ceiling"] = row["predict_torch"] / row["predict_floor"]
    return row


def warm_up(dtype, use_torch):
    X, y, lens = make_data(128, 10, 4, dtype, seed=3)
    clf = numpy_fit(X, y, 8, 1)
    clf.predict_proba(X)
    if use_torch:
        model = torch_fit(X, y, lens, 8, 1)
        torch_predict_proba(model, X, lens)


def run_grid(cfg, use_torch, lengths):
    rows = []
    header = (
        f"{'thr':>3} {'dtype':>7} {'H':>4} {'T':>4} {'F':>3} | "
        f"{'fit np':>8} {'fit torch':>9} {'ratio':>5} {'(cpu)':>5} | "
        f"{'pred np':>8} {'pred torch':>9} {'ratio':>5} {'(cpu)':>5} {'max':>5}"
    )
    print(header)
    print("-" * len(header))
    contention, peaks = {}, {}
    for threads in cfg["threads"]:
        grid = cfg
        if threads > 1:
            busy = other_processes_cpu()
            contention[threads] = busy
            if busy is not None and busy > 0.3 and not cfg.get("force_threads"):
                grid = {**cfg, **CONTENDED}
                print(
                    f"-- WARNING: other processes keep {busy:.1f} of the "
                    f"{os.cpu_count()} cores busy. With {threads} threads every "
                    "small parallel operation waits for a descheduled thread, so "
                    "these timings measure the contention, not the libraries; "
                    "timing a subset only (--force-threads for all) and giving "
                    f"up on a PyTorch run after {grid['budget']:g} s.",
                    flush=True,
                )
        with threadpool_limits(limits=threads):
            if use_torch:
                torch.set_num_threads(threads)
            for dtype in grid["dtypes"]:
                warm_up(dtype, use_torch)
                peak = gemm_peak(dtype)
                peaks[f"{dtype}, {threads} thread(s)"] = peak
                grid = {**grid, "gemm_peak": peak}
                print(
                    f"-- {dtype}, {threads} thread(s): GEMM peak {peak / 1e9:.0f} "
                    "GFLOP/s (2048x512 @ 512x512)",
                    flush=True,
                )
                for H in grid["hidden"]:
                    for T in grid["steps"]:
                        for F in grid["features"]:
                            row = time_point(H, T, F, dtype, grid, use_torch, lengths)
                            row["threads"] = threads
                            rows.append(row)
                            print(format_row(row), flush=True)
    return rows, contention, peaks


def other_processes_cpu(seconds=2.0):
    """Cores' worth of CPU that other processes use (psutil), while we sleep."""
    if psutil is None:
        return None
    psutil.cpu_percent(None)
    time.sleep(seconds)
    return psutil.cpu_percent(None) / 100 * (os.cpu_count() or 1)


def format_row(r):
    def ms(key, width=8):
        v = r.get(key)
        if r.get(key + "_timeout"):
            return f"{'>' + format(v, 'g') + ' s':>{width}}"
        return f"{v * 1e3:{width}.1f}" if v is not None else f"{'-':>{width}}"

    def ratio(key):
        v = r.get(key)
        if v is None:
            return f"{'-':>5}"
        timed_out = r.get(key.split("_")[0] + "_torch_timeout")
        return f"{'>' + format(v, '.0f'):>5}" if timed_out else f"{v:5.2f}"

    return (
        f"{r['threads']:>3} {r['dtype']:>7} {r['H']:>4} {r['T']:>4} {r['F']:>3} | "
        f"{ms('fit_numpy')} {ms('fit_torch', 9)} {ratio('fit_ratio')} "
        f"{ratio('fit_ratio_cpu')} | "
        f"{ms('predict_numpy')} {ms('predict_torch', 9)} {ratio('predict_ratio')} "
        f"{ratio('predict_ratio_cpu')} {ratio('predict_ratio_ceiling')}"
    )


# ----------------------------------------------------------------------------
# 3. Scaling with N and T
# ----------------------------------------------------------------------------
def run_scaling(cfg, H=32, F=8, T0=50, N0=1024, epochs=2):
    """Fit time (NumPy, float32, one thread) as N and as T grow."""
    out = {"H": H, "F": F, "epochs": epochs, "dtype": "float32", "threads": 1}
    with threadpool_limits(limits=1):
        warm_up("float32", False)

        def timed(n, T):
            X, y, _ = make_data(n, T, F, np.float32, seed=4)
            t, _ = best_time(lambda: numpy_fit(X, y, H, epochs), cfg["repeat"])
            per_step = t / (n * T * epochs) * 1e6
            return {"N": n, "T": T, "seconds": t, "us_per_seq_step": per_step}

        by_n = [timed(n, T0) for n in cfg["scaling_n"]]
        by_t = [timed(N0, T) for T in cfg["scaling_t"]]
    out["by_n"], out["by_t"] = by_n, by_t
    print(f"\nFit time growth (H={H}, F={F}, float32, 1 thread, {epochs} epochs)")
    for label, rows in (("N", by_n), ("T", by_t)):
        print(
            f"{label:>6} {'N':>6} {'T':>5} {'seconds':>9} {'us/(seq*step*epoch)':>20}"
        )
        for r in rows:
            print(
                f"{'':>6} {r['N']:>6} {r['T']:>5} {r['seconds']:>9.3f} "
                f"{r['us_per_seq_step']:>20.3f}"
            )
    return out


# ----------------------------------------------------------------------------
# 4. Memory
# ----------------------------------------------------------------------------
class RSSPeak:
    """Peak resident set size above the start, sampled every 2 ms (psutil)."""

    def __enter__(self):
        self.proc = psutil.Process()
        self.start = self.proc.memory_info().rss
        self.peak = self.start
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, self.proc.memory_info().rss)
            time.sleep(0.002)

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.proc.memory_info().rss)
        self.delta = self.peak - self.start


def traced_peak(fn):
    """Peak of traced (Python + NumPy) allocations during fn, in bytes."""
    gc.collect()
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    try:
        result = fn()
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    return peak, result


def run_memory(cfg, H=64, T=100, F=8):
    """Peak traced memory of fit as N grows, and of predict_proba on up to 1e6.

    tracemalloc sees every NumPy data buffer (NumPy reports them to it) and
    every Python object, not BLAS's own small work buffers. The input X is
    made before tracing starts, so the peak is what fit / predict add.
    """
    MiB = 2**20
    out = {"method": "tracemalloc", "fit": [], "predict": []}
    print(
        f"\nPeak memory of fit (tracemalloc; H={H}, T={T}, F={F}, float32, "
        f"batch {BATCH_SIZE}, 1 epoch)"
    )
    print(f"{'N':>9} {'X MiB':>8} {'peak MiB':>9}")
    with threadpool_limits(limits=1):
        for n in cfg["memory_n"]:
            X, y, _ = make_data(n, T, F, np.float32, seed=5)
            peak, _ = traced_peak(lambda: numpy_fit(X, y, H, 1))  # noqa: B023
            # X without NaN padding is used in place (padded X is copied once,
            # O(N T F)); everything fit allocates besides is per batch.
            row = {"N": n, "X_bytes": X.nbytes, "peak_bytes": peak}
            out["fit"].append(row)
            print(f"{n:>9} {X.nbytes / MiB:>8.1f} {peak / MiB:>9.1f}")
        out["batch_T_H_bytes"] = BATCH_SIZE * T * H * 4
        print(
            f"(one batch x T x H float32 array: {BATCH_SIZE * T * H * 4 / MiB:.2f} MiB)"
        )

        T1, F1 = 5, 8
        X, y, _ = make_data(4096, T1, F1, np.float32, seed=6)
        clf = numpy_fit(X, y, H, 1)
        print(f"\npredict_proba, sequences of length {T1} (F={F1}, H={H}, float32)")
        print(f"{'N':>9} {'X MiB':>8} {'peak MiB':>9} {'RSS+ MiB':>9} {'seconds':>8}")
        for n in cfg["predict_n"]:
            Xm = np.random.RandomState(7).standard_normal((n, T1, F1))
            Xm = Xm.astype(np.float32)
            gc.collect()
            rss_delta = None
            start = time.perf_counter()
            if psutil is not None:
                with RSSPeak() as rss:
                    clf.predict_proba(Xm)
                rss_delta = rss.delta
            else:
                clf.predict_proba(Xm)
            seconds = time.perf_counter() - start
            peak, _ = traced_peak(lambda: clf.predict_proba(Xm))  # noqa: B023
            row = {
                "N": n,
                "T": T1,
                "F": F1,
                "H": H,
                "X_bytes": Xm.nbytes,
                "peak_bytes": peak,
                "rss_delta_bytes": rss_delta,
                "seconds": seconds,
            }
            out["predict"].append(row)
            rss_text = (
                f"{rss_delta / MiB:9.0f}" if rss_delta is not None else f"{'-':>9}"
            )
            print(
                f"{n:>9} {Xm.nbytes / MiB:>8.1f} {peak / MiB:>9.1f} "
                f"{rss_text} {seconds:>8.2f}"
            )
    return out


# ----------------------------------------------------------------------------
# Machine and report
# ----------------------------------------------------------------------------
# ----------------------------------------------------------------------------
# 5. The delayed connection
# ----------------------------------------------------------------------------
def delay_point(H, T, F, dtype, cfg, delay):
    """Best CPU time of fit without and with ``delay`` at one grid point.

    The two fits alternate, each keeping its best CPU time of ``repeat``
    runs (robust to other processes on a busy machine).
    """
    X, y, _ = make_data(cfg["n_samples"], T, F, dtype, seed=1)
    plain, delayed = Best(), Best()
    for _ in range(cfg["repeat"]):
        plain.add(lambda: numpy_fit(X, y, H, cfg["epochs"]))
        delayed.add(lambda: numpy_fit(X, y, H, cfg["epochs"], delay=delay))
    row = {"dtype": dtype, "H": H, "T": T, "F": F}
    row["fit"], row["fit_delay"] = plain.cpu, delayed.cpu
    row["ratio"] = delayed.cpu / plain.cpu
    return row


def run_delay(cfg, delay):
    """Fit time with ``delay`` against without, over the grid (one thread)."""
    print(
        f"\nFit with delay={delay} against without (NumPy, 1 thread, CPU ms, "
        f"N={cfg['n_samples']}, {cfg['epochs']} epochs)"
    )
    print(f"{'dtype':>7} {'H':>4} {'T':>4} {'F':>3} | {'plain':>8} {'delay':>8} ratio")
    rows = []
    with threadpool_limits(limits=1):
        for dtype in cfg["dtypes"]:
            warm_up(dtype, False)
            for H in cfg["hidden"]:
                for T in cfg["steps"]:
                    for F in cfg["features"]:
                        r = delay_point(H, T, F, dtype, cfg, delay)
                        rows.append(r)
                        print(
                            f"{dtype:>7} {H:>4} {T:>4} {F:>3} | "
                            f"{r['fit'] * 1e3:8.1f} {r['fit_delay'] * 1e3:8.1f} "
                            f"{r['ratio']:5.2f}",
                            flush=True,
                        )
    return {"delay": delay, "epochs": cfg["epochs"], "rows": rows}


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_info():
    info = {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scikit-learn": sklearn.__version__,
        "torch": torch.__version__ if torch is not None else None,
        "blas": [
            {
                k: d.get(k)
                for k in (
                    "internal_api",
                    "version",
                    "architecture",
                    "threading_layer",
                    "num_threads",
                    "prefix",
                )
            }
            for d in threadpool_info()
        ],
        "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE"),
        "OPENBLAS_L2_SIZE": os.environ.get("OPENBLAS_L2_SIZE"),
        "loadavg_start": os.getloadavg(),
    }
    if psutil is not None:
        info["memory_GiB"] = round(psutil.virtual_memory().total / 2**30, 1)
    if torch is not None:
        info["torch_parallel"] = torch.__config__.parallel_info().splitlines()[:6]
    return info


def _ratio(r, key):
    v = r.get(key)
    if v is None:
        return "-"
    return f"> {v:.0f}" if r.get(key.split("_")[0] + "_torch_timeout") else f"{v:.2f}"


def _ms(r, key):
    v = r.get(key)
    if r.get(key + "_timeout"):
        return f"> {v * 1e3:.0f}"
    return f"{v * 1e3:.1f}" if v is not None else "-"


def summary(rows):
    """Worst (smallest) ratios per hidden size, float32 on one thread."""
    out = {}
    for r in rows:
        if r.get("fit_ratio") is None or r["threads"] != 1 or r["dtype"] != "float32":
            continue
        s = out.setdefault(r["H"], {})
        for key in ("fit_ratio", "fit_ratio_cpu", "predict_ratio", "predict_ratio_cpu"):
            s[key] = min(s.get(key, math.inf), r[key])
    return out


def markdown(results):
    """The README's tables, from a results dict, after the machine and date."""
    m = results.get("machine", {})
    lines = [
        f"Measured on {results.get('date', 'an unrecorded date')} on {m.get('cpu')} "
        f"({m.get('cores')} cores), Python {m.get('python')}, NumPy {m.get('numpy')}, "
        f"PyTorch {m.get('torch')}.",
        "",
    ]
    c = results.get("config", {})
    if c:
        load = m.get("loadavg_start")
        lines += [
            f"Fit: N={c.get('n_samples')}, {c.get('epochs')} epoch(s), batch "
            f"{c.get('batch_size')}; predict_proba: {c.get('n_predict')} "
            f"sequences; best of {c.get('repeat')} runs"
            + (f"; load average {load[0]:.2f} at the start." if load else "."),
            "",
        ]
    rows = results.get("grid", [])
    worst = summary(rows)
    cell = results.get("config", {}).get("cell", "elman")
    if worst:
        lines += [
            f"Cell {cell}: worst ratio over T and F (float32, one thread; wall "
            "clock, CPU time):",
            "",
            "| H | fit: torch / numpy | predict: torch / numpy |",
            "|---:|---:|---:|",
        ]
        for H, s in sorted(worst.items()):
            lines.append(
                f"| {H} | {s['fit_ratio']:.2f} ({s['fit_ratio_cpu']:.2f}) "
                f"| {s['predict_ratio']:.2f} ({s['predict_ratio_cpu']:.2f}) |"
            )
    groups = {}
    for r in rows:
        groups.setdefault((r["threads"], r["dtype"]), []).append(r)
    for (threads, dtype), group in groups.items():
        lines += [
            "",
            f"**{dtype}, {threads} thread{'s' if threads > 1 else ''}** "
            "(times in ms; ratio = PyTorch / NumPy, wall clock, then CPU time)",
            "",
            "| H | T | F | fit NumPy | fit PyTorch | ratio | (CPU) "
            "| predict NumPy | predict PyTorch | ratio | (CPU) | max ratio |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for r in group:
            lines.append(
                f"| {r['H']} | {r['T']} | {r['F']} | {_ms(r, 'fit_numpy')} "
                f"| {_ms(r, 'fit_torch')} | {_ratio(r, 'fit_ratio')} "
                f"| {_ratio(r, 'fit_ratio_cpu')} | {_ms(r, 'predict_numpy')} "
                f"| {_ms(r, 'predict_torch')} | {_ratio(r, 'predict_ratio')} "
                f"| {_ratio(r, 'predict_ratio_cpu')} "
                f"| {_ratio(r, 'predict_ratio_ceiling')} |"
            )
    sc = results.get("scaling")
    if sc:
        lines += [
            "",
            f"Fit time, H={sc['H']}, F={sc['F']}, float32, one thread, "
            f"{sc['epochs']} epochs:",
            "",
            "| N | T | seconds | µs per sequence · step · epoch |",
            "|---:|---:|---:|---:|",
        ]
        for r in sc["by_n"] + sc["by_t"]:
            lines.append(
                f"| {r['N']} | {r['T']} | {r['seconds']:.3f} "
                f"| {r['us_per_seq_step']:.3f} |"
            )
    mem = results.get("memory")
    if mem:
        MiB = 2**20
        lines += ["", "| fit: N | X (MiB) | peak allocated by fit (MiB) |"]
        lines.append("|---:|---:|---:|")
        for r in mem["fit"]:
            lines.append(
                f"| {r['N']} | {r['X_bytes'] / MiB:.1f} | {r['peak_bytes'] / MiB:.1f} |"
            )
        lines += [
            "",
            "| predict_proba: N | X (MiB) | peak allocated (MiB) "
            "| RSS increase (MiB) | seconds |",
            "|---:|---:|---:|---:|---:|",
        ]
        for r in mem["predict"]:
            rss = r.get("rss_delta_bytes")
            rss = f"{rss / MiB:.0f}" if rss is not None else "-"
            lines.append(
                f"| {r['N']:,} | {r['X_bytes'] / MiB:.0f} "
                f"| {r['peak_bytes'] / MiB:.0f} | {rss} "
                f"| {r['seconds']:.2f} |"
            )
    delayed = results.get("delay")
    if delayed:
        lines += [
            "",
            f"**Fit with delay={delayed['delay']} against without** (NumPy, one "
            "thread, CPU ms)",
            "",
            "| dtype | H | T | F | fit | fit with delay | ratio |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        for r in delayed["rows"]:
            lines.append(
                f"| {r['dtype']} | {r['H']} | {r['T']} | {r['F']} "
                f"| {r['fit'] * 1e3:.1f} | {r['fit_delay'] * 1e3:.1f} "
                f"| {r['ratio']:.2f} |"
            )
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="a small subset of everything"
    )
    parser.add_argument("--hidden", type=int, nargs="+", help="hidden sizes H")
    parser.add_argument("--steps", type=int, nargs="+", help="sequence lengths T")
    parser.add_argument("--features", type=int, nargs="+", help="features per step F")
    parser.add_argument("--dtypes", nargs="+", choices=["float32", "float64"])
    parser.add_argument("--threads", type=int, nargs="+", help="thread counts")
    parser.add_argument("--n-samples", type=int, help="training sequences N")
    parser.add_argument("--n-predict", type=int, help="sequences to predict")
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--repeat", type=int, help="best of this many runs")
    parser.add_argument("--lengths", choices=["full", "mixed"], default="full")
    parser.add_argument("--no-torch", action="store_true", help="time NumPy only")
    parser.add_argument(
        "--cell",
        choices=list(_network.CELLS),
        default="elman",
        help="the recurrence of both sides (PyTorch: nn.RNN, nn.GRU, nn.LSTM)",
    )
    parser.add_argument(
        "--force-threads",
        action="store_true",
        help="the whole grid with all threads even if other processes load the CPU",
    )
    parser.add_argument(
        "--budget",
        type=float,
        default=120.0,
        help="seconds after which a PyTorch run is abandoned (recorded as more)",
    )
    parser.add_argument("--skip-grid", action="store_true")
    parser.add_argument("--skip-scaling", action="store_true")
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument(
        "--delay",
        type=int,
        default=2,
        metavar="L",
        help="time fit with delay=L against without (default 2, the worst case)",
    )
    parser.add_argument("--skip-delay", action="store_true")
    parser.add_argument(
        "--out", help="results file (default: results.json, results_<cell>.json)"
    )
    parser.add_argument(
        "--tables",
        help="where to write the markdown tables, which the documentation shows "
        "(default: results/speed.md, results/speed_<cell>.md)",
    )
    parser.add_argument(
        "--markdown",
        metavar="JSON",
        help="print the README tables of a results file and exit",
    )
    args = parser.parse_args(argv)
    global CELL
    CELL = args.cell
    if args.out is None:
        name = "results.json" if CELL == "elman" else f"results_{CELL}.json"
        args.out = os.path.join(HERE, name)
    if args.tables is None:
        name = "speed.md" if CELL == "elman" else f"speed_{CELL}.md"
        args.tables = os.path.join(HERE, "results", name)

    if args.markdown:
        with open(args.markdown) as f:
            print(markdown(json.load(f)))
        return 0

    cfg = dict(QUICK if args.quick else FULL)
    for key in (
        "hidden",
        "steps",
        "features",
        "dtypes",
        "threads",
        "n_samples",
        "n_predict",
        "epochs",
        "repeat",
    ):
        value = getattr(args, key)
        if value is not None:
            cfg[key] = value
    cfg["budget"], cfg["force_threads"] = args.budget, args.force_threads
    use_torch = torch is not None and not args.no_torch
    if torch is None and not args.no_torch:
        print("torch is not installed: timing the NumPy side only.", file=sys.stderr)

    results = {
        "date": time.strftime("%Y-%m-%d", time.gmtime()),
        "machine": machine_info(),
        "config": {
            **cfg,
            "lengths": args.lengths,
            "cell": CELL,
            "batch_size": BATCH_SIZE,
            "classes": N_CLASSES,
        },
    }
    m = results["machine"]
    print(
        f"CPU: {m['cpu']} ({m['cores']} cores); numpy {m['numpy']}, torch "
        f"{m['torch']}; cell {CELL}"
    )
    for b in m["blas"]:
        print(
            f"  {b['internal_api']} {b['version']} ({b['architecture']}, "
            f"{b['threading_layer']}, {b['num_threads']} threads) [{b['prefix']}]"
        )
    print(
        f"  OPENBLAS_CORETYPE={m['OPENBLAS_CORETYPE']} "
        f"OPENBLAS_L2_SIZE={m['OPENBLAS_L2_SIZE']}; "
        f"load average {m['loadavg_start']}"
    )
    started = time.perf_counter()

    if use_torch:
        worst = 0.0
        for H in cfg["hidden"]:
            for F in cfg["features"]:
                worst = max(worst, check_gradients(H, F))
        drift = check_training(cfg["hidden"][0], cfg["features"][0])
        results["gradient_check"] = {"max_relative_error": worst, "rtol": GRAD_RTOL}
        results["training_check_relative_drift"] = drift
        print(
            f"\nGradient check passed ({CELL}): loss and gradients agree, worst "
            f"relative error {worst:.1e} (< {GRAD_RTOL:g}) over H={cfg['hidden']}, "
            f"F={cfg['features']}."
        )
        print(
            f"Training check passed: 2 epochs of Adam from the same start "
            f"(float64, epsilon 1e-30) end {drift:.1e} apart, relative to how "
            "far the parameters moved."
        )

    if not args.skip_grid:
        print(
            f"\nTimes in ms; fit: N={cfg['n_samples']}, {cfg['epochs']} epochs, "
            f"batch {BATCH_SIZE}; predict_proba: {cfg['n_predict']} sequences; "
            f"ratio = torch / numpy (wall clock, CPU time); lengths {args.lengths}"
        )
        grid = run_grid(cfg, use_torch, args.lengths)
        results["grid"], results["contention"], results["gemm_peak"] = grid
    if not args.skip_scaling:
        results["scaling"] = run_scaling(cfg)
    if not args.skip_memory:
        results["memory"] = run_memory(cfg)
    if not args.skip_delay and CELL == "elman":  # the delay is for the Elman cell
        results["delay"] = run_delay(cfg, args.delay)

    results["machine"]["loadavg_end"] = os.getloadavg()
    results["seconds"] = time.perf_counter() - started
    with open(args.out, "w") as f:
        json.dump(results, f, indent=1)
    os.makedirs(os.path.dirname(os.path.abspath(args.tables)), exist_ok=True)
    with open(args.tables, "w") as f:
        f.write(markdown(results) + "\n")
    print(
        f"\nDone in {results['seconds']:.0f} s; results in {args.out}, "
        f"tables in {args.tables}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
