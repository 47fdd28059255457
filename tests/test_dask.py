"""A grid search run on a local Dask cluster through joblib.

The fits run in Dask worker processes and must give exactly what the default
joblib backend gives: the same cross-validation scores, hence the same best
parameters. Each test module run starts one local cluster (about 2-3 s).
"""

import signal
import threading
import warnings
from contextlib import contextmanager

import numpy as np
import pytest

pytest.importorskip("distributed")

import joblib  # noqa: E402
from distributed import Client, LocalCluster, get_task_stream  # noqa: E402
from numpy.testing import assert_allclose  # noqa: E402
from sklearn.base import clone  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from threadpoolctl import threadpool_info  # noqa: E402

from sklearn_attnrnn import AttentionRNNClassifier, CharOneHotEncoder  # noqa: E402

# Wall-clock limit for the whole module, cluster start and close included. The
# tests take about 10 s; the margin is for slow CI machines.
TIMEOUT_SECONDS = 120


@contextmanager
def deadline(seconds):
    """Raise TimeoutError in the main thread after ``seconds``, not hang.

    pytest-timeout is not a dependency; SIGALRM interrupts the blocking waits
    on the cluster. Where there is no SIGALRM (Windows) or not in the main
    thread, nothing is enforced.
    """
    if not hasattr(signal, "SIGALRM") or threading.current_thread() is not (
        threading.main_thread()
    ):
        yield
        return

    def on_alarm(signum, frame):
        raise TimeoutError(f"The Dask test did not finish within {seconds} s.")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture(scope="module")
def client():
    """A 2-worker local cluster of processes on the loopback interface."""
    with (
        deadline(TIMEOUT_SECONDS),
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


def make_data():
    rng = np.random.RandomState(0)
    letters = np.array(list("abcde"))
    texts, labels = [], []
    for i in range(90):
        chars = rng.choice(letters, rng.randint(4, 9))
        if i % 2:
            chars[rng.randint(len(chars))] = "x"
        texts.append("".join(chars))
        labels.append("has x" if i % 2 else "no x")
    return texts, np.array(labels)


def make_search():
    return GridSearchCV(
        make_pipeline(
            CharOneHotEncoder(),
            AttentionRNNClassifier(max_iter=15, random_state=0),
        ),
        {
            "attentionrnnclassifier__hidden_size": [3, 6],
            "attentionrnnclassifier__learning_rate": [0.01, 0.05],
        },
        cv=3,
        # A continuous score: any difference between backends shows, and
        # ties between parameter settings are unlikely.
        scoring="neg_log_loss",
        n_jobs=-1,
        # A fit failing on a worker (e.g. an import error) must fail the
        # test, not turn into a NaN score.
        error_score="raise",
    )


def test_grid_search_on_dask_matches_default_backend(client):
    X, y = make_data()
    with warnings.catch_warnings():
        # 15 epochs do not converge; scikit-learn >= 1.7 passes this filter on
        # to the fits in the workers.
        warnings.simplefilter("ignore", ConvergenceWarning)
        local = clone(make_search()).fit(X, y)
        with (
            get_task_stream(client) as tasks,
            joblib.parallel_config(backend="dask"),
        ):
            on_dask = clone(make_search()).fit(X, y)

    # The fits ran on the cluster's workers (joblib may batch several of the
    # 12 fits, 4 settings x 3 folds, into one task, so count no tasks).
    assert tasks.data
    workers = set(client.scheduler_info()["workers"])
    assert {task["worker"] for task in tasks.data} <= workers

    assert on_dask.best_params_ == local.best_params_
    for key in ("mean_test_score", "std_test_score", "rank_test_score"):
        # Each fit is seeded and runs the same arithmetic with single-threaded
        # BLAS in either backend: the scores agree to rounding, in practice
        # bit for bit.
        assert_allclose(
            on_dask.cv_results_[key], local.cv_results_[key], rtol=1e-12, atol=0
        )
    assert on_dask.cv_results_["params"] == local.cv_results_["params"]
    assert np.all(np.isfinite(on_dask.cv_results_["mean_test_score"]))
    assert on_dask.best_score_ == pytest.approx(local.best_score_, rel=1e-12)


def _blas_threads():
    return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]


def test_dask_worker_processes_use_one_blas_thread(client):
    # Dask's nanny starts each worker process with OMP_NUM_THREADS,
    # MKL_NUM_THREADS and OPENBLAS_NUM_THREADS set to 1 (its config
    # distributed.nanny.pre-spawn-environ), so 2 single-threaded workers
    # use 2 cores, not 2 x n_cores BLAS threads.
    per_worker = client.run(_blas_threads)
    assert len(per_worker) == 2
    for threads in per_worker.values():
        assert threads and all(n == 1 for n in threads)
