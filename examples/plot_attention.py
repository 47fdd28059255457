"""Where does the model look? Attention over the characters of short strings.

Each sample is a random string of 8 to 15 letters from "abcdefgh"; half of
them have one letter replaced by an "x". The label says whether the string
contains an "x". A pipeline of ``CharOneHotEncoder`` and
``AttentionRNNClassifier`` learns the rule, and the attention weights at the
output step show how it reads the strings:

- in a string with an "x", the weight before the "x" is close to zero: those
  hidden states cannot know the answer, the ones from the "x" on can;
- in a string without an "x", no step stands out and the weight spreads
  over the later characters.

Run it from the repository root (under a minute; it needs the ``plot``
extra, ``pip install sklearn-attnrnn[plot]``)::

    python examples/plot_attention.py

It writes ``docs/attention_heatmap.png`` and ``docs/loss_curve.png``; pass
another directory as the first argument to write them there instead.
"""

import sys
from pathlib import Path

import matplotlib

# A file-writing script: no window, whatever the machine's default backend.
matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from _datasets import strings_with_x  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402

from sklearn_attnrnn import AttentionRNNClassifier, CharOneHotEncoder  # noqa: E402
from sklearn_attnrnn.plotting import plot_attention, plot_loss_curve  # noqa: E402


def main(out_dir):
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.RandomState(0)
    texts, labels = strings_with_x(800, rng, 8, 16)
    X_train, X_test, y_train, y_test = train_test_split(
        texts, labels, test_size=0.25, random_state=0, stratify=labels
    )

    model = make_pipeline(
        CharOneHotEncoder(),
        AttentionRNNClassifier(
            hidden_size=8,
            # Raw dot-product scores give sharper weights than the scaled
            # default at this small hidden size, which makes the map easier
            # to read; accuracy is the same.
            attention_scores="dot",
            learning_rate=0.03,
            max_iter=300,
            early_stopping=True,
            n_iter_no_change=30,
            random_state=0,
        ),
    )
    model.fit(X_train, y_train)
    print(f"test accuracy: {model.score(X_test, y_test):.3f}")

    # A few test strings with the "x" at different places, and some without.
    with_x = [t for t in X_test if "x" in t]
    with_x.sort(key=lambda t: t.index("x") / len(t))
    shown = (
        with_x[:: max(1, len(with_x) // 6)][:6]
        + [t for t in X_test if "x" not in t][:3]
    )
    ax = plot_attention(model, shown)
    ax.set_title('Attention at the output step: does the string contain an "x"?')
    # Frame every "x" so that the eye finds where the weight starts.
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
    heatmap = out_dir / "attention_heatmap.png"
    ax.figure.savefig(heatmap, dpi=120)
    plt.close(ax.figure)

    ax = plot_loss_curve(model)
    curve = out_dir / "loss_curve.png"
    ax.figure.savefig(curve, dpi=120)
    plt.close(ax.figure)
    print(f"wrote {heatmap} and {curve}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).parents[1] / "docs")
