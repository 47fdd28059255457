"""scikit-learn's fit callbacks: one task per epoch (per L-BFGS iteration),
ScoringMonitor, ProgressBar through meta-estimators, stopping, and the
package without ``sklearn.callback`` (scikit-learn < 1.9)."""

import pickle
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from sklearn_attnrnn import (
    AttentionRNNClassifier,
    AttentionRNNRegressor,
    CharLanguageModel,
)

callback = pytest.importorskip("sklearn.callback")

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

PARAMS = ("U_", "W_", "b_", "V_", "c_")
RNG = np.random.RandomState(0)
X = RNG.randn(40, 5, 2)
Y = (X[:, 0, 0] > 0).astype(int)


class Recorder:
    """Records every task it sees; asks to stop after ``stop_after`` ends of
    tasks named ``name``."""

    max_propagation_depth = None  # auto-propagated through meta-estimators

    def __init__(self, name="epoch", stop_after=None):
        self.name = name
        self.stop_after = stop_after
        self.begun, self.ended = [], []

    def setup(self, estimator, context):
        pass

    def teardown(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context):
        self.begun.append((context.estimator_name, context.task_name))

    def on_fit_task_end(self, estimator, context, *, fitted_estimator=None):
        self.ended.append((context.estimator_name, context.task_name))
        if fitted_estimator is not None and context.task_name == self.name:
            self.last = {k: getattr(fitted_estimator, k).copy() for k in PARAMS}
        done = self.ended.count((context.estimator_name, self.name))
        return self.stop_after is not None and done >= self.stop_after


def _scores(monitor, task_name):
    return [
        row["accuracy"]
        for row in monitor.get_logs().data
        if row["task_name"] == task_name
    ]


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_scoring_monitor_records_the_score_after_every_epoch(solver):
    params = dict(hidden_size=3, solver=solver, learning_rate=0.02, random_state=0)
    monitor = callback.ScoringMonitor(scoring="accuracy")
    model = AttentionRNNClassifier(max_iter=6, **params).set_callbacks(monitor)
    model.fit(X, Y)
    scores = _scores(monitor, "epoch")
    assert len(scores) == model.n_iter_ == 6
    # The score after epoch k is the accuracy of a fit of k epochs.
    for k in (1, 4, 6):
        ref = AttentionRNNClassifier(max_iter=k, **params).fit(X, Y)
        assert scores[k - 1] == ref.score(X, Y)
    assert _scores(monitor, "fit") == [model.score(X, Y)]
    assert len(set(scores)) > 1  # it learns: not the same number six times


def test_scoring_monitor_records_every_lbfgs_iteration():
    params = dict(hidden_size=3, solver="lbfgs", random_state=0)
    monitor = callback.ScoringMonitor(scoring="accuracy")
    model = AttentionRNNClassifier(max_iter=8, **params).set_callbacks(monitor)
    model.fit(X, Y)
    scores = _scores(monitor, "lbfgs-iter")
    assert len(scores) == model.n_iter_ == 8
    ref = AttentionRNNClassifier(max_iter=3, **params).fit(X, Y)
    assert scores[2] == ref.score(X, Y)
    assert scores[-1] == model.score(X, Y)


def test_the_language_model_and_the_regressor_report_their_epochs():
    texts = ["hello there", "hello world"]
    monitor = callback.ScoringMonitor(
        scoring={"loglik": lambda est, X, y: est.score(X)}
    )
    lm = CharLanguageModel(hidden_size=3, max_iter=4, random_state=0)
    lm.set_callbacks(monitor).fit(texts)
    rows = [r for r in monitor.get_logs().data if r["task_name"] == "epoch"]
    assert len(rows) == 4
    assert rows[-1]["loglik"] == lm.score(texts)
    recorder = Recorder()
    reg = AttentionRNNRegressor(hidden_size=3, max_iter=3, random_state=0)
    reg.set_callbacks(recorder)
    reg.fit(X, X[:, 0, 0])
    assert recorder.ended.count(("AttentionRNNRegressor", "epoch")) == 3


@pytest.mark.parametrize("solver, task", [("adam", "epoch"), ("lbfgs", "lbfgs-iter")])
def test_one_task_per_epoch_or_iteration(solver, task):
    recorder = Recorder(task)
    model = AttentionRNNClassifier(
        hidden_size=3, max_iter=5, solver=solver, random_state=0
    )
    model.set_callbacks(recorder).fit(X, Y)
    name = "AttentionRNNClassifier"
    assert recorder.begun[0] == recorder.ended[-1] == (name, "fit")
    # L-BFGS begins one iteration more, which never runs (as LogisticRegression).
    extra = solver == "lbfgs"
    assert recorder.begun.count((name, task)) == model.n_iter_ + extra == 5 + extra
    assert recorder.ended.count((name, task)) == 5 + extra
    # The fitted_estimator of the last epoch's end is the fitted model.
    for k in PARAMS:
        assert_array_equal(recorder.last[k], getattr(model, k))


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_a_callback_asking_to_stop_ends_training(solver):
    task = "lbfgs-iter" if solver == "lbfgs" else "epoch"
    params = dict(hidden_size=3, solver=solver, random_state=0)
    model = AttentionRNNClassifier(max_iter=30, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)  # a stop, not max_iter
        model.set_callbacks(Recorder(task, stop_after=4)).fit(X, Y)
    assert model.n_iter_ == len(model.loss_curve_) == 4
    ref = AttentionRNNClassifier(max_iter=4, **params).fit(X, Y)
    for k in PARAMS:
        assert_array_equal(getattr(model, k), getattr(ref, k))


def test_stopping_with_early_stopping_keeps_the_best_validation_parameters():
    params = dict(
        hidden_size=3,
        early_stopping=True,
        validation_fraction=0.25,
        n_iter_no_change=50,
        learning_rate=0.05,
        batch_size=10,
        random_state=3,
    )
    model = AttentionRNNClassifier(max_iter=50, **params)
    model.set_callbacks(Recorder(stop_after=9)).fit(X, Y)
    assert model.n_iter_ == len(model.validation_scores_) == 9
    # Exactly the model of an early-stopped fit of 9 epochs: the best epoch's
    # parameters, restored.
    ref = AttentionRNNClassifier(max_iter=9, **params).fit(X, Y)
    assert model.best_validation_score_ == ref.best_validation_score_
    assert model.validation_scores_ == ref.validation_scores_
    for k in PARAMS:
        assert_array_equal(getattr(model, k), getattr(ref, k))
    best = int(np.argmax(model.validation_scores_)) + 1
    assert best < 9  # so the restore is visible: not the last epoch's parameters


def test_a_failing_callback_leaves_the_model_as_it_was():
    class Failing(Recorder):
        def on_fit_task_end(self, estimator, context, *, fitted_estimator=None):
            if context.task_name == "epoch":
                raise RuntimeError("callback failed")

    model = AttentionRNNClassifier(hidden_size=3, max_iter=3, random_state=0).fit(X, Y)
    before = model.predict_proba(X)
    state = pickle.dumps(model.U_)
    with pytest.raises(RuntimeError, match="callback failed"):
        model.set_callbacks(Failing()).fit(X, Y)
    assert pickle.dumps(model.U_) == state
    assert_array_equal(model.predict_proba(X), before)


def test_ctrl_c_inside_a_callback_drops_the_unfinished_epoch():
    class Interrupting(Recorder):
        def on_fit_task_end(self, estimator, context, *, fitted_estimator=None):
            self.ended.append(context.task_name)
            if len(self.ended) == 3:  # the end of epoch 3
                raise KeyboardInterrupt

    params = dict(hidden_size=3, max_iter=10, random_state=0)
    model = AttentionRNNClassifier(**params).set_callbacks(Interrupting())
    with pytest.warns(UserWarning, match="during epoch 3; .* after epoch 2,"):
        model.fit(X, Y)
    assert model.n_iter_ == len(model.loss_curve_) == 2
    ref = AttentionRNNClassifier(**{**params, "max_iter": 2}).fit(X, Y)
    for k in PARAMS:
        assert_array_equal(getattr(model, k), getattr(ref, k))


@pytest.mark.parametrize("meta", ["pipeline", "grid search"])
def test_callbacks_reach_the_epochs_through_meta_estimators(meta):
    recorder = Recorder()
    model = AttentionRNNClassifier(hidden_size=2, max_iter=3, random_state=0)
    if meta == "pipeline":
        outer, fits = make_pipeline(FunctionTransformer(), model), 1
    else:
        outer, fits = GridSearchCV(model, {"hidden_size": [2, 3]}, cv=2), 2 * 2 + 1
    outer.set_callbacks(recorder).fit(X, Y)
    epochs = recorder.ended.count(("AttentionRNNClassifier", "epoch"))
    assert epochs == 3 * fits


def test_progress_bar_on_a_grid_search(capsys):
    pytest.importorskip("rich")
    model = AttentionRNNClassifier(hidden_size=2, max_iter=3, random_state=0)
    search = GridSearchCV(model, {"hidden_size": [2, 3]}, cv=2)
    search.set_callbacks(callback.ProgressBar(max_propagation_depth=None))
    search.fit(X, Y)
    assert search.best_estimator_.n_iter_ == 3
    shown = capsys.readouterr()
    assert "AttentionRNNClassifier - fit" in shown.out + shown.err


def test_without_sklearn_callback_the_package_works_without_callbacks():
    # scikit-learn < 1.9 has no sklearn.callback: simulate it by hiding the
    # module while the package is imported.
    code = textwrap.dedent(
        """
        import sys
        import numpy as np
        import sklearn_attnrnn  # loads the parts of scikit-learn it uses

        for name in [m for m in sys.modules if m.startswith("sklearn_attnrnn")]:
            del sys.modules[name]
        sys.modules["sklearn.callback"] = None  # "import sklearn.callback" fails
        from sklearn_attnrnn import AttentionRNNClassifier
        del sys.modules["sklearn.callback"]

        X = np.random.RandomState(0).randn(30, 4, 2)
        y = (X[:, 0, 0] > 0).astype(int)
        model = AttentionRNNClassifier(hidden_size=3, max_iter=3, verbose=True)
        print(hasattr(model, "set_callbacks"), model.fit(X, y).n_iter_)
        print(model.predict(X).shape)
        """
    )
    root = Path(__file__).parents[1]
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=root,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
        check=True,
    )
    lines = result.stdout.splitlines()
    assert [line.split(":")[0] for line in lines[:3]] == [
        "Epoch 1",
        "Epoch 2",
        "Epoch 3",
    ]
    assert lines[-2:] == ["False 3", "(30,)"]
