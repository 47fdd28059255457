"""Line-by-line profile of fit or predict_proba at one point of the grid.

A script, not a test. It needs line_profiler (in the ``bench`` extra)::

    python benchmarks/profile_lines.py --what predict --hidden 64 --steps 100
    python benchmarks/profile_lines.py --what fit --hidden 64 --steps 10 --features 30
    python benchmarks/profile_lines.py --what fit --cell gru --features 8

It times the same work as ``bench.py`` (float32, BLAS on one thread, the
same data sizes) and prints, for the core functions that do the work, the
time spent on each line, so that what bounds a ratio can be read off: the
matrix products of the recurrence, the passes over X, the attention, or
Python overhead.
"""

import argparse
import sys
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits

from sklearn_attnrnn import AttentionRNNClassifier, _base, _network, _sequences

try:
    from line_profiler import LineProfiler
except ImportError:  # pragma: no cover - an optional tool
    sys.exit("line_profiler is needed: pip install 'sklearn-attnrnn[bench]'")

PREDICT_FUNCTIONS = (
    _sequences._finish,
    _base.BaseAttentionRNN._decision_function_raw,
    _network.forward,
    _network.hidden_states,
    _network._hidden_states,
    _network._steps_forward,
    _network._last_step_attention,
)
FIT_FUNCTIONS = (
    _base.BaseAttentionRNN._fit_stochastic,
    _network.loss_and_grads,
    _network._hidden_states,
    _network._steps_forward,
    _network._last_step_attention,
    _network._backprop_through_time,
    _network._steps_backward,
)

# A gated cell's steps (the Elman cell's step is a closure inside the loop);
# _equations is the step of both layouts, _unit_major_cell predict's setup.
CELL_FUNCTIONS = {
    name: (
        _network._unit_major_cell,
        cls._equations,
        cls.__init__,
        cls._activate,
        cls._activate_and_keep_factors,
        cls.back_step,
        cls.finish_backward,
    )
    for name, cls in (("gru", _network._GRU), ("lstm", _network._LSTM))
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--what", choices=["fit", "predict"], default="predict")
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--features", type=int, default=30)
    parser.add_argument("--n-samples", type=int, default=1024)
    parser.add_argument("--n-predict", type=int, default=4096)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--cell", choices=list(_network.CELLS), default="elman")
    args = parser.parse_args(argv)

    rng = np.random.RandomState(0)
    shape = (args.steps, args.features)
    X = rng.standard_normal((args.n_samples, *shape)).astype(np.float32)
    y = rng.randint(0, 4, args.n_samples)
    # The benchmark's training settings: 2 epochs of batch 64, nothing else.
    clf = AttentionRNNClassifier(
        hidden_size=args.hidden,
        batch_size=64,
        max_iter=2,
        shuffle=False,
        alpha=0.0,
        max_grad_norm=None,
        tol=0.0,
        n_iter_no_change=10**9,
        attention_scores="scaled",
        random_state=0,
        cell=args.cell,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)  # warm-up
        profiler = LineProfiler()
        functions = PREDICT_FUNCTIONS if args.what == "predict" else FIT_FUNCTIONS
        for function in functions + CELL_FUNCTIONS.get(args.cell, ()):
            profiler.add_function(function)
        Xp = rng.standard_normal((args.n_predict, *shape)).astype(np.float32)
        with threadpool_limits(limits=1):
            for _ in range(args.repeat):
                if args.what == "predict":
                    profiler.runcall(clf.predict_proba, Xp)
                else:
                    profiler.runcall(clf.fit, X, y)
    print(
        f"{args.what}, {args.cell} cell, H={args.hidden}, T={args.steps}, "
        f"F={args.features}, float32, one thread, {args.repeat} calls "
        "(times are totals)"
    )
    profiler.print_stats(output_unit=1e-3, stripzeros=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
