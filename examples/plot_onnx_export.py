"""
Deploy without Python: export to ONNX
=====================================

A fitted pipeline of :class:`~sklearn_attnrnn.SequenceStandardScaler` and
:class:`~sklearn_attnrnn.AttentionRNNClassifier` becomes one ONNX file with
:func:`sklearn_attnrnn.onnx.to_onnx`; onnxruntime runs it from Python, C++,
C#, Java, JavaScript or a phone, and gives the probabilities that
``predict_proba`` gives. Needs ``pip install "sklearn-attnrnn[onnx]"``.

The data: noisy two-channel oscillations (a sensor's x and y, say) of 20 to
50 steps, labelled by their frequency: slow, medium or fast. The sequences
have different lengths (NaN padding after each end) and a scale far from
1, which the scaler takes care of.

Run: ``python examples/plot_onnx_export.py``
"""

# %%
# Sequences of different lengths, and a fitted pipeline
# ------------------------------------------------------
import os
import tempfile
import time

import numpy as np
import onnx
import onnxruntime as ort
from sklearn.pipeline import make_pipeline

from sklearn_attnrnn import AttentionRNNClassifier, SequenceStandardScaler
from sklearn_attnrnn.onnx import to_onnx

rng = np.random.RandomState(0)
n, longest = 900, 50
y = rng.choice(np.array(["slow", "medium", "fast"]), n)
frequency = np.select([y == "slow", y == "medium"], [0.1, 0.25], 0.45)
t = np.arange(longest)[None, :]
phase = rng.uniform(0, 2 * np.pi, (n, 1))
X = np.stack([np.sin(frequency[:, None] * t + phase), np.cos(0.5 * t + phase)], 2)
X = 5.0 + 10.0 * (X + 1.0 * rng.randn(n, longest, 2))  # in some unit far from 1
X = X.astype(np.float32)
lengths = rng.randint(20, longest + 1, n)
X[t >= lengths[:, None]] = np.nan
print("shape:", X.shape, "lengths from", lengths.min(), "to", lengths.max())

train, test = slice(0, 600), slice(600, None)
pipe = make_pipeline(
    SequenceStandardScaler(),
    AttentionRNNClassifier(hidden_size=16, learning_rate=1e-2, random_state=0),
)
pipe.fit(X[train], y[train])
print(f"test accuracy: {pipe.score(X[test], y[test]):.3f}")

# %%
# Export, check and save
# ----------------------
# ``to_onnx`` reads the number of features from a sample of the input. The
# ONNX model's input ``X`` is float32 of shape (N, T, 2) with N and T free;
# the sequence lengths are computed inside the graph from the NaN padding.
onx = to_onnx(pipe, X[train])
onnx.checker.check_model(onx, full_check=True)
path = os.path.join(tempfile.mkdtemp(), "oscillations.onnx")
onnx.save(onx, path)
print(f"{path}: {os.path.getsize(path) / 1024:.1f} KiB")
for kind, values in [("input", onx.graph.input), ("output", onx.graph.output)]:
    for value in values:
        print(kind, value.name, onnx.helper.printable_type(value.type))

# %%
# Load and run in onnxruntime
# ---------------------------
# The outputs are skl2onnx's: ``label`` (strings here, int64 for integer
# classes) and ``probabilities`` (N, n_classes), columns in the order of
# ``classes_``.
session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
label, proba = session.run(None, {"X": X[test]})
print("labels equal predict:", bool((label == pipe.predict(X[test])).all()))
print(
    "largest difference to predict_proba:",
    float(np.abs(proba - pipe.predict_proba(X[test])).max()),
)

# %%
# Sequences from a list
# ---------------------
# Any host language feeds ragged sequences the same way: one float32 array
# (N, longest length, features), NaN after each sequence's end.
sequences = [X[0, : lengths[0]], X[1, : lengths[1]], X[2, : lengths[2]]]
batch = np.full((len(sequences), max(map(len, sequences)), 2), np.nan, np.float32)
for i, seq in enumerate(sequences):
    batch[i, : len(seq)] = seq
print(session.run(["label"], {"X": batch})[0], pipe.predict(sequences))

# %%
# One sequence at a time
# ----------------------
# A deployed model often scores one sequence per call, where onnxruntime
# saves Python's overhead (benchmarks/onnx_speed.py measures the grid).
one = X[test][:1]
for name, predict in [
    ("predict_proba", lambda: pipe.predict_proba(one)),
    ("onnxruntime", lambda: session.run(["probabilities"], {"X": one})),
]:
    predict()
    start = time.perf_counter()
    for _ in range(200):
        predict()
    print(f"{name}: {(time.perf_counter() - start) / 200 * 1e3:.3f} ms per call")

# %%
# Inside a larger scikit-learn pipeline: skl2onnx
# -----------------------------------------------
# After :func:`~sklearn_attnrnn.onnx.register_converters`, skl2onnx's own
# ``to_onnx`` converts these models too. Declare the input with free N and T
# (skl2onnx would otherwise fix T to the sample's); its classifiers return
# probabilities as a list of dicts unless ``zipmap`` is turned off.
import skl2onnx  # noqa: E402
from skl2onnx.common.data_types import FloatTensorType  # noqa: E402

from sklearn_attnrnn.onnx import register_converters  # noqa: E402

register_converters()
onx = skl2onnx.to_onnx(
    pipe,
    initial_types=[("X", FloatTensorType([None, None, 2]))],
    options={AttentionRNNClassifier: {"zipmap": False}},
)
print("outputs:", [o.name for o in onx.graph.output])
