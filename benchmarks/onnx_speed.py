"""Time onnxruntime on the exported model against predict_proba.

A script, not a test. Run from the repository root (needs the ``onnx``
extra)::

    python benchmarks/onnx_speed.py            # the grid, ~2 min here
    python benchmarks/onnx_speed.py --quick    # a few points

For each point of the grid (cell x hidden size H x longest length T x
batch size N), it fits an ``AttentionRNNClassifier`` in float32 for one epoch (the
time does not depend on the weights), exports it with
``sklearn_attnrnn.onnx.to_onnx``, checks that onnxruntime's probabilities
equal ``predict_proba``'s within 1e-5, then times both on the same float32
NaN-padded batch (lengths drawn in [T/2, T], F features per step, 3
classes): the best of ``--repeat`` runs, each over enough calls to last a
few tenths of a second, the two taking turns. Both on one thread:
``predict_proba`` limits BLAS to one thread itself; the onnxruntime session
gets ``intra_op_num_threads=1`` and ``inter_op_num_threads=1``. N = 1 is
the latency of one sequence, a deployed model's usual call.

It prints a markdown table and writes it, with the machine and the versions,
to ``benchmarks/results/onnx.md``.
"""

import argparse
import os
import platform
import sys
import time
import warnings

import numpy as np
import onnxruntime as ort
import sklearn
from sklearn.exceptions import ConvergenceWarning

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import cpu_model, make_data  # noqa: E402

import sklearn_attnrnn  # noqa: E402
from sklearn_attnrnn import AttentionRNNClassifier  # noqa: E402
from sklearn_attnrnn.onnx import to_onnx  # noqa: E402

F = 8
RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")


def session(onx):
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    return ort.InferenceSession(
        onx.SerializeToString(), options, providers=["CPUExecutionProvider"]
    )


def _run(fn, calls):
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - start) / calls


def seconds_per_call(fns, repeat, min_seconds=0.2):
    """Best over ``repeat`` runs of the mean time of one call, per function.

    The functions take turns in each run, so that a burst of load from
    other processes hits both.
    """
    calls = []
    for fn in fns:  # enough calls for one run to last min_seconds
        fn()  # warm up
        n = 1
        while _run(fn, n) * n < min_seconds:
            n *= 2
        calls.append(n)
    best = [np.inf] * len(fns)
    for _ in range(repeat):
        for i, (fn, n) in enumerate(zip(fns, calls)):
            best[i] = min(best[i], _run(fn, n))
    return best


def time_point(cell, H, T, N, attention, repeat):
    X_fit, y, _ = make_data(256, T, F, np.float32, lengths="mixed", seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = AttentionRNNClassifier(
            hidden_size=H, cell=cell, attention=attention, max_iter=1, random_state=0
        ).fit(X_fit, y)
    X, _, _ = make_data(N, T, F, np.float32, lengths="mixed", seed=1)
    sess = session(to_onnx(clf, X))
    proba = sess.run(["probabilities"], {"X": X})[0]
    error = float(np.abs(proba - clf.predict_proba(X)).max())
    if error > 1e-5:
        raise AssertionError(f"onnxruntime differs from predict_proba by {error}")
    numpy_time, onnx_time = seconds_per_call(
        [lambda: clf.predict_proba(X), lambda: sess.run(["probabilities"], {"X": X})],
        repeat,
    )
    return {
        "cell": cell,
        "H": H,
        "T": T,
        "N": N,
        "attention": attention,
        "predict_proba_ms": 1e3 * numpy_time,
        "onnxruntime_ms": 1e3 * onnx_time,
        "max_abs_diff": error,
    }


def markdown(rows):
    lines = [
        "| cell | H | T | N | attention | predict_proba (ms) | onnxruntime (ms) "
        "| speed-up | max abs diff |",
        "|:---|---:|---:|---:|:---|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['cell']} | {r['H']} | {r['T']} | {r['N']} "
            f"| {'on' if r['attention'] else 'off'} "
            f"| {r['predict_proba_ms']:.3f} | {r['onnxruntime_ms']:.3f} "
            f"| {r['predict_proba_ms'] / r['onnxruntime_ms']:.1f}x "
            f"| {r['max_abs_diff']:.1e} |"
        )
    return "\n".join(lines)


def machine():
    return (
        f"{cpu_model()}, {os.cpu_count()} cores; Python {platform.python_version()}, "
        f"numpy {np.__version__}, scikit-learn {sklearn.__version__}, "
        f"onnxruntime {ort.__version__}, sklearn-attnrnn {sklearn_attnrnn.__version__}"
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a few points")
    parser.add_argument("--cells", nargs="+", default=["elman", "gru", "lstm"])
    parser.add_argument("--hidden", type=int, nargs="+", default=[16, 64, 128])
    parser.add_argument("--steps", type=int, nargs="+", default=[20, 100])
    parser.add_argument("--batch", type=int, nargs="+", default=[1, 1000])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--out", default=os.path.join(RESULTS, "onnx.md"))
    args = parser.parse_args(argv)
    if args.quick:
        args.hidden, args.steps, args.batch, args.repeat = [16], [20], [1, 100], 3
    points = [
        (cell, H, T, N, True)
        for cell in args.cells
        for H in args.hidden
        for T in args.steps
        for N in args.batch
    ]
    # attention off at one size: the recurrence alone
    points += [
        (args.cells[0], args.hidden[0], args.steps[-1], N, False) for N in args.batch
    ]
    load_start = os.getloadavg()
    rows = []
    for point in points:
        rows.append(time_point(*point, repeat=args.repeat))
        r = rows[-1]
        print(
            f"{r['cell']:5} H={r['H']:4d} T={r['T']:4d} N={r['N']:5d}"
            f" attention={r['attention']!s:5}"
            f" predict_proba {r['predict_proba_ms']:9.3f} ms"
            f"  onnxruntime {r['onnxruntime_ms']:9.3f} ms",
            flush=True,
        )
    load = ", ".join(f"{v:.1f}" for v in (load_start[0], os.getloadavg()[0]))
    table = markdown(rows)
    print()
    print(table)
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        f.write(
            "# onnxruntime against predict_proba\n\n"
            "Written by `benchmarks/onnx_speed.py` (float32, one thread, F = "
            f"{F} features, 3 classes, lengths drawn in [T/2, T]; the time of "
            "one call, best of "
            f"{args.repeat} runs).\n\nMachine: {machine()}; load average at the "
            f"start and the end: {load} (other processes share the cores: "
            f"compare the two columns of a row, not rows of two runs).\n\n"
            f"{table}\n"
        )
    print(f"\nwritten to {args.out}")


if __name__ == "__main__":
    main()
