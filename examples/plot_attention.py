"""
Attention maps: where does the model look?
==========================================

Each sample is a random string of 8 to 15 letters from "abcdefgh"; half of
them have one letter replaced by an "x". The label says whether the string
contains an "x". A pipeline of ``CharOneHotEncoder`` and
``AttentionRNNClassifier`` learns the rule, and the attention weights at the
output step show which characters' hidden states the answer is read from.

Run it from the repository root (under a minute; it needs the ``plot``
extra, ``pip install sklearn-attnrnn[plot]``)::

    python examples/plot_attention.py pictures/

It writes ``attention_heatmap.png`` and ``loss_curve.png`` into the directory
given as its first argument; without one (as in the documentation's gallery)
it leaves the figures open for the caller to show.
"""

import sys
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from _datasets import strings_with_x
from matplotlib.patches import Rectangle
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline

from sklearn_attnrnn import AttentionRNNClassifier, CharOneHotEncoder
from sklearn_attnrnn.plotting import plot_attention, plot_loss_curve

# %%
# The data and the model
# ----------------------
# 800 strings, a quarter of them held out. Early stopping keeps the parameters
# of the epoch with the best validation accuracy.
rng = np.random.RandomState(0)
texts, labels = strings_with_x(800, rng, 8, 16)
X_train, X_test, y_train, y_test = train_test_split(
    texts, labels, test_size=0.25, random_state=0, stratify=labels
)
model = make_pipeline(
    CharOneHotEncoder(),
    AttentionRNNClassifier(
        hidden_size=8,
        learning_rate=0.03,
        max_iter=300,
        early_stopping=True,
        n_iter_no_change=30,
        random_state=0,
    ),
)
model.fit(X_train, y_train)
print(f"test accuracy: {model.score(X_test, y_test):.3f}")

# %%
# The attention map
# -----------------
# Six test strings with the "x" at different places (framed in red), and
# three without. Each row is one string, each cell one character, coloured by
# the weight the output step puts on that character's hidden state.
with_x = [t for t in X_test if "x" in t]
with_x.sort(key=lambda t: t.index("x") / len(t))
shown = (
    with_x[:: max(1, len(with_x) // 6)][:6] + [t for t in X_test if "x" not in t][:3]
)

ax = plot_attention(model, shown)
ax.set_title('Attention at the output step: does the string contain an "x"?')
for row, text in enumerate(shown):
    for step, char in enumerate(text):
        if char == "x":
            ax.add_patch(
                Rectangle(
                    (step - 0.5, row - 0.5),
                    1,
                    1,
                    fill=False,
                    edgecolor="red",
                    linewidth=2,
                )
            )
figures = {"attention_heatmap.png": ax.figure}

# %%
# The weight lies on characters *after* the "x": their hidden states have
# seen it, while the states before it cannot know the answer, and the "x"'s
# own cell gets little weight. The output reads the answer from what the
# recurrence remembers rather than from the "x" itself. In strings without
# an "x" the weight also goes to the later characters, spread more evenly.
#
# The training curve
# ------------------
# The training loss per epoch and the validation accuracy early stopping
# monitors, with the epoch whose parameters the model keeps.
figures["loss_curve.png"] = plot_loss_curve(model).figure

# %%
# Saving the pictures (only when a directory is given on the command line).
if len(sys.argv) > 1:
    out_dir = Path(sys.argv[1])
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, figure in figures.items():
        figure.savefig(out_dir / name, dpi=120)
        plt.close(figure)
    print(f"wrote {', '.join(figures)} to {out_dir}")
