"""One BLAS thread for the whole process while any fit or prediction runs."""

import functools
import threading

from threadpoolctl import ThreadpoolController

_BLAS_CONTROLLER = []


def _blas_controller():
    """A threadpoolctl controller of the loaded BLAS, made at the first use.

    Making one scans the process's loaded libraries (~1 ms, more with many
    loaded); NumPy's and SciPy's BLAS, the only ones the core calls, are
    loaded when the package is imported, so one made once keeps serving.
    """
    if not _BLAS_CONTROLLER:
        _BLAS_CONTROLLER.append(ThreadpoolController())
    return _BLAS_CONTROLLER[0]


class one_blas_thread:
    """A context in which BLAS runs on one thread (fit, and every predict).

    The core's matrix products are one small product per time step: with
    several threads each one waits for its helpers to wake, which made
    ``predict_proba`` up to 6x slower on two threads than on one (see
    ``benchmarks/README.md``), and one thread also keeps a fit identical
    whatever the machine's thread count. The limit is process-wide
    (threadpoolctl): it is set when the first of any overlapping contexts
    (in any thread) is entered and lifted when the last one is left, so
    concurrent fits and predictions neither lift it under each other nor
    leave it behind. Entering costs ~15 us.

    Examples
    --------
    >>> with one_blas_thread():
    ...     pass
    """

    _lock = threading.Lock()
    _depth = 0
    _limiter = None  # threadpoolctl's limiter while any context is open

    def __enter__(self):
        cls = type(self)
        with cls._lock:
            if cls._depth == 0:
                cls._limiter = _blas_controller().limit(limits=1, user_api="blas")
            cls._depth += 1
        return self

    def __exit__(self, *exc_info):
        cls = type(self)
        with cls._lock:
            cls._depth -= 1
            if cls._depth == 0:
                limiter, cls._limiter = cls._limiter, None
                limiter.restore_original_limits()


def on_one_blas_thread(method):
    """Decorator: run ``method`` inside :func:`one_blas_thread`."""

    @functools.wraps(method)
    def wrapper(*args, **kwargs):
        with one_blas_thread():
            return method(*args, **kwargs)

    return wrapper
