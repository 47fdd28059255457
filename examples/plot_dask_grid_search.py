"""
Grid search on a Dask cluster
=============================

``GridSearchCV`` runs its fits through joblib; inside
``joblib.parallel_config(backend="dask")`` joblib hands them to the Dask
cluster of the current ``Client`` instead of local processes. Nothing in the
search changes, and the results are those of the default backend.

By default the script starts a small cluster on this machine (2 worker
processes of 1 thread each, listening on 127.0.0.1 only, no dashboard)::

    python examples/plot_dask_grid_search.py

``--threads`` runs the workers as threads of this process instead;
``--scheduler tcp://scheduler:8786`` uses a running cluster (the address is
a placeholder: give your scheduler's). Its workers need the same versions of
sklearn-attnrnn, scikit-learn and NumPy as this machine.

It needs the ``distributed`` extra: ``pip install sklearn-attnrnn[distributed]``.
"""

import argparse
import time
import warnings
from contextlib import ExitStack

import joblib
import numpy as np
from _datasets import strings_with_x
from dask.distributed import Client, LocalCluster
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from threadpoolctl import threadpool_info, threadpool_limits

from sklearn_attnrnn import AttentionRNNClassifier, CharOneHotEncoder


def blas_threads():
    """Threads of each BLAS library (NumPy's, SciPy's) where this runs."""
    return sorted(
        {
            info["num_threads"]
            for info in threadpool_info()
            if info["user_api"] == "blas"
        }
    )


def main():
    parser = argparse.ArgumentParser(
        description=(__doc__ or "").strip().partition("\n")[0]
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="address of a running Dask scheduler, e.g. tcp://scheduler:8786",
    )
    where.add_argument(
        "--threads",
        action="store_true",
        help="local workers as threads of this process instead of processes",
    )
    args = parser.parse_args()

    rng = np.random.RandomState(0)
    texts, labels = strings_with_x(600, rng, 6, 13)
    X_train, X_test, y_train, y_test = train_test_split(
        texts, labels, test_size=0.25, random_state=0, stratify=labels
    )
    search = GridSearchCV(
        make_pipeline(
            CharOneHotEncoder(),
            AttentionRNNClassifier(
                max_iter=100, early_stopping=True, n_iter_no_change=20, random_state=0
            ),
        ),
        {
            "attentionrnnclassifier__hidden_size": [4, 8, 16],
            "attentionrnnclassifier__learning_rate": [0.003, 0.01, 0.03],
        },
        cv=3,
        n_jobs=-1,
    )

    with ExitStack() as stack:
        if args.scheduler:
            client = stack.enter_context(Client(args.scheduler))
        else:
            # One thread per worker: a fit is single-threaded Python plus
            # small matrix products, so parallelism comes from the workers.
            # dashboard_address=None: no web server. Worker processes talk
            # over TCP on the loopback interface only; thread workers use
            # in-process communication, no socket at all.
            network = {} if args.threads else {"host": "127.0.0.1"}
            cluster = stack.enter_context(
                LocalCluster(
                    n_workers=2,
                    threads_per_worker=1,
                    processes=not args.threads,
                    dashboard_address=None,
                    **network,
                )
            )
            client = stack.enter_context(Client(cluster))
            if args.threads:
                # Thread workers share this process's BLAS pool, which Dask
                # does not limit (it only sets OMP_NUM_THREADS & co. for the
                # worker processes it spawns); limit it here.
                stack.enter_context(threadpool_limits(limits=1))
        n_workers = len(client.scheduler_info()["workers"])
        print(f"Dask cluster: {n_workers} workers at {client.scheduler.address}")
        print(f"BLAS threads per worker: {client.run(blas_threads)}")

        start = time.perf_counter()
        # scikit-learn >= 1.7 passes these warning filters on to the fits.
        with warnings.catch_warnings(), joblib.parallel_config(backend="dask"):
            warnings.simplefilter("ignore", ConvergenceWarning)
            search.fit(X_train, y_train)
        seconds = time.perf_counter() - start

    print(f"{len(search.cv_results_['params']) * 3} fits in {seconds:.1f} s")
    for params, mean, std in zip(
        search.cv_results_["params"],
        search.cv_results_["mean_test_score"],
        search.cv_results_["std_test_score"],
    ):
        short = {key.split("__")[1]: value for key, value in params.items()}
        print(f"  {mean:.3f} +/- {std:.3f}  {short}")
    print(f"best: {search.best_params_}")
    print(
        f"test accuracy of the refitted best model: {search.score(X_test, y_test):.3f}"
    )


if __name__ == "__main__":
    main()
