"""scikit-learn's fit callbacks (``sklearn.callback``, scikit-learn >= 1.9).

The estimators take callbacks such as ``ProgressBar`` and ``ScoringMonitor``
through ``set_callbacks``, as scikit-learn's own iterative estimators do: a
fit is the root task, each epoch (each L-BFGS iteration) one subtask. With an
older scikit-learn there is no ``sklearn.callback``: the estimators then work
without callbacks (no ``set_callbacks``), and this module knows nothing of
the model.
"""

try:
    from sklearn.callback import CallbackSupportMixin
except ImportError:  # scikit-learn < 1.9

    class CallbackSupportMixin:
        """Stand-in for scikit-learn < 1.9, which has no callbacks."""


class FitTasks:
    """The tasks of one fit call, as scikit-learn's callbacks see them.

    Made at the start of a fit (it begins the root task) on the estimator
    the user called, which is what the callbacks were set up with, even
    though the fit trains a side copy: the copy's state reaches the callbacks
    as ``reconstruction_attributes``, a function evaluated only when a
    callback asks for a ``fitted_estimator``. Without callback support every
    method does nothing.

    Parameters
    ----------
    estimator : estimator instance
        The estimator whose fit this is.
    X, y : object
        The training data as given to ``fit``, handed to the callbacks (a
        ``ScoringMonitor`` scores ``fitted_estimator`` on them).
    metadata : dict or None
        Training metadata for the callbacks, e.g. ``{"sample_weight": ...}``.
    max_subtasks : int or None
        The most subtasks (epochs, iterations) the fit can have.

    Examples
    --------
    >>> from sklearn_attnrnn import AttentionRNNClassifier
    >>> tasks = FitTasks(AttentionRNNClassifier(), None, None, None, 3)
    >>> tasks.begin("epoch", dict)
    >>> tasks.end(dict)
    False
    """

    def __init__(self, estimator, X, y, metadata, max_subtasks):
        self._estimator = estimator
        self._data = {"X": X, "y": y, "metadata": metadata}
        self._root = None
        self._task = None
        if hasattr(estimator, "_init_callback_context"):
            self._root = estimator._init_callback_context(max_subtasks=max_subtasks)
            self._root.call_on_fit_task_begin(estimator=estimator, **self._data)

    def begin(self, name, state):
        """Begin a subtask: an epoch, or an L-BFGS iteration.

        Parameters
        ----------
        name : str
            The subtask's name ("epoch", "lbfgs-iter").
        state : callable
            Returns the fitted attributes as they are now.
        """
        if self._root is None:
            return
        self._task = self._root.subcontext(task_name=name)
        self._task.call_on_fit_task_begin(
            estimator=self._estimator, **self._data, reconstruction_attributes=state
        )

    def end(self, state):
        """End the current subtask.

        Parameters
        ----------
        state : callable or None
            Returns the fitted attributes as they are now; None for a subtask
            that did not run (L-BFGS's last one), whose end hands nothing on.

        Returns
        -------
        stop : bool
            Whether a callback asks the fit to stop.
        """
        task, self._task = self._task, None
        if task is None:
            return False
        if state is None:
            return bool(task.call_on_fit_task_end(estimator=self._estimator))
        return bool(
            task.call_on_fit_task_end(
                estimator=self._estimator, **self._data, reconstruction_attributes=state
            )
        )

    def close(self):
        """End the root task, once the fit's state is the estimator's."""
        if self._root is not None:
            self._root.call_on_fit_task_end(
                estimator=self._estimator, **self._data, reconstruction_attributes={}
            )
