"""
A delayed recurrent connection: where it helps and where it does not
====================================================================

``delay=L`` adds the notes' delayed term (seed 000) to the Elman recurrence::

    h_t = tanh(U x_t + W h_{t-1} + R h_{t-L} + b),    h_s = 0 for s <= 0

so that the state L steps back reaches step t in one hop, and its gradient
goes back L steps in one hop instead of L (LSTNet's recurrent skip). See
:ref:`delay` for what the damaged note says and how it is read.

Two measurements, each at the same settings with and without the delay,
over the random seeds 0, 1 and 2 (initialisation and shuffling):

1. **Recall at distance 10.** Sequences of 12 to 30 random symbols (one-hot,
   4 symbols); the label is the symbol 10 steps before the last one. The
   lengths vary, so the answer sits nowhere in particular from the start:
   the plain recurrence has to carry it through 10 newer symbols, the
   attention has no position to look for, and ``delay=10`` puts h_{T-10}
   straight into h_T.
2. **Digits read row by row** (scikit-learn's 8x8 digits as 8 steps of 8
   pixels, the data of the accuracy benchmark): nothing in the task lies at
   a fixed distance, and ``delay=4`` brings nothing.

Run it from the repository root (about half a minute; the figure needs the
``plot`` extra, ``pip install sklearn-attnrnn[plot]``)::

    python examples/plot_delay.py
"""

import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
from _datasets import load_digits_sequences, recall_at_distance
from sklearn.exceptions import ConvergenceWarning

from sklearn_attnrnn import AttentionRNNClassifier

SEEDS = (0, 1, 2)
DISTANCE = 10


def measure(X_train, y_train, X_test, y_test, delays, **params):
    """Test accuracy and fit seconds per delay, one row per seed."""
    results = {delay: [] for delay in delays}
    for seed in SEEDS:
        for delay in delays:
            clf = AttentionRNNClassifier(delay=delay, random_state=seed, **params)
            start = time.perf_counter()
            with warnings.catch_warnings():
                # a fixed budget of epochs: both models get the same
                warnings.simplefilter("ignore", ConvergenceWarning)
                clf.fit(X_train, y_train)
            seconds = time.perf_counter() - start
            results[delay].append((clf.score(X_test, y_test), seconds))
    return {delay: np.array(rows) for delay, rows in results.items()}


def report(title, results):
    print(f"\n{title}")
    print(f"{'delay':>6} | {'accuracy (seeds 0, 1, 2)':>26} | {'mean':>5} | fit s")
    for delay, rows in results.items():
        accuracies = " ".join(f"{a:.3f}" for a in rows[:, 0])
        print(
            f"{str(delay):>6} | {accuracies:>26} | {rows[:, 0].mean():.3f} "
            f"| {rows[:, 1].mean():.1f}"
        )


# %%
# Recall at distance 10
# ---------------------
# 1000 training and 500 test sequences; H = 16 and a learning rate of 0.01
# for 60 epochs, for both models.
rng = np.random.RandomState(0)
X_train, y_train = recall_at_distance(1000, DISTANCE, rng)
X_test, y_test = recall_at_distance(500, DISTANCE, rng)
recall = measure(
    X_train,
    y_train,
    X_test,
    y_test,
    delays=(None, DISTANCE),
    hidden_size=16,
    learning_rate=1e-2,
    max_iter=60,
)
report(f"Recall of the symbol {DISTANCE} steps back (4 symbols: chance 0.25)", recall)

# %%
# Digits read row by row
# ----------------------
# 1347 training and 450 test images; H = 32 and a learning rate of 0.01 for
# up to 100 epochs, for both models.
X_train, X_test, y_train, y_test = load_digits_sequences(read="rows")
digits = measure(
    X_train,
    y_train,
    X_test,
    y_test,
    delays=(None, 4),
    hidden_size=32,
    learning_rate=1e-2,
    max_iter=100,
)
report("Digits, 8 rows of 8 pixels (10 classes)", digits)

# %%
# The two side by side
# --------------------
# Mean test accuracy over the three seeds; the bars span the lowest and the
# highest seed.
fig, ax = plt.subplots(figsize=(6, 3.5))
tasks = {f"recall at distance {DISTANCE}": recall, "digits by rows": digits}
for i, results in enumerate(tasks.values()):
    for j, (delay, rows) in enumerate(results.items()):
        acc, x = rows[:, 0], i + 0.4 * j - 0.2
        ax.bar(
            x,
            acc.mean(),
            width=0.38,
            yerr=[[acc.mean() - acc.min()], [acc.max() - acc.mean()]],
            color="tab:orange" if delay else "tab:blue",
            label=("with the delay" if delay else "without") if i == 0 else None,
        )
        ax.text(x, 0.05, f"L={delay}" if delay else "none", ha="center")
ax.set_xticks(range(len(tasks)), list(tasks))
ax.set_ylabel("test accuracy")
ax.set_ylim(0, 1.15)
ax.legend(loc="upper right", ncols=2)
fig.tight_layout()
plt.show()
