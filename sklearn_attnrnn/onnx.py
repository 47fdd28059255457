"""Export fitted models to ONNX, to predict without Python.

:func:`to_onnx` turns a fitted :class:`~sklearn_attnrnn.AttentionRNNClassifier`,
:class:`~sklearn_attnrnn.AttentionRNNRegressor` or
:class:`~sklearn_attnrnn.SequenceStandardScaler`, or a scikit-learn
``Pipeline`` of them, into an ONNX model, which onnxruntime runs
from C++, C#, Java, JavaScript or a phone. The converters are registered with
skl2onnx (:func:`register_converters`), so that ``skl2onnx.to_onnx`` converts
pipelines holding these models among scikit-learn's own.

The ONNX model takes what ``predict_proba`` takes: a float32 tensor ``X`` of
shape (N, T, F), a sequence ending where its steps become all-NaN (N and T
are free). The graph computes each sequence's length (its number of steps
that are not all-NaN), sets the NaN to 0, runs ONNX's ``RNN`` (tanh),
``GRU`` (``linear_before_reset=1``, as PyTorch) or ``LSTM`` operator with
those lengths, then the attention and the output layer of
:mod:`sklearn_attnrnn._network`. The Elman cell with a delayed connection
(``delay=L``) runs as a ``Scan`` over the steps instead, whose state holds
the last L hidden states (no operator has the term R h_{t-L}); the rest of
the graph is the same. A graph cannot raise: the caller sends at
least one sequence (onnxruntime 1.32's GRU and LSTM kernels crash on an
empty batch), each with at least one real step (an all-NaN sequence gets NaN
outputs).

Outputs, as skl2onnx's:

- classifiers: ``label`` (N,) (int64, or strings for string classes) and
  ``probabilities`` (N, K) float32, the columns in the order of
  ``classes_``; skl2onnx's options apply (``zipmap``, ``nocl``). The
  ``to_onnx`` of this module turns ``zipmap`` off (a plain tensor) unless
  told otherwise; ``skl2onnx.to_onnx`` keeps skl2onnx's default (on).
- regressors: ``variable`` (N, n_outputs) float32, also for one output.
- the scaler: ``variable`` (N, T, F) float32, NaN padding kept.

Not exported: :class:`~sklearn_attnrnn.CharLanguageModel` and
:class:`~sklearn_attnrnn.CharOneHotEncoder` (a clear error says so). To
classify text in another language, encode it there as the encoder does: for
each string, one step per character, a one-hot row over the encoder's
``categories_`` (a character outside them: a row of zeros, as
``handle_unknown="ignore"``), and NaN rows after the string's end up to the
longest string of the batch.

Needs the ``onnx`` extra: ``pip install "sklearn-attnrnn[onnx]"`` (onnx,
skl2onnx; onnxruntime to run the models). The package itself imports
without them.
"""

import numpy as np

from . import _network

__all__ = ["register_converters", "to_onnx"]

# Softmax, Squeeze and ReduceSum took their current form (any axis; axes as an
# input) in opset 13; what later opsets changed in the operators used here
# (more types, RNN's layout attribute) leaves this graph's meaning as it is.
MIN_OPSET = 13
# onnx.TensorProto's element types (onnx is imported only when exporting)
_FLOAT, _STRING, _INT32, _INT64, _DOUBLE = 1, 8, 6, 7, 11

_CONVERTER_OPTIONS = {
    "AttentionRNNClassifier": {
        "zipmap": [True, False, "columns"],
        "nocl": [True, False],
    },
}


def _import_skl2onnx():
    try:
        import skl2onnx
    except ImportError as exc:
        raise ImportError(
            "Exporting to ONNX needs onnx and skl2onnx (and onnxruntime to run "
            'the result): pip install "sklearn-attnrnn[onnx]".'
        ) from exc
    return skl2onnx


class _Graph:
    """Adds the nodes and constants of one converter to skl2onnx's container.

    Every name is made unique in the scope, so that two models of the same
    pipeline never collide. :meth:`op` returns the name of its output (or
    the names, for several).
    """

    def __init__(self, scope, container):
        self.scope = scope
        self.container = container
        if container.target_opset_onnx < MIN_OPSET:
            raise ValueError(
                f"The ONNX export needs opset {MIN_OPSET} or later; "
                f"target_opset is {container.target_opset_onnx}."
            )

    def const(self, name, value):
        """An initializer holding ``value`` (its numpy dtype decides the type)."""
        from onnx.helper import np_dtype_to_tensor_dtype

        value = np.asarray(value)
        unique = self.scope.get_unique_variable_name(name)
        if value.dtype.kind in "US":
            tensor_type = _STRING
            content = [str(v).encode("utf-8") for v in value.ravel()]
        else:
            tensor_type = np_dtype_to_tensor_dtype(value.dtype)
            content = value.ravel().tolist()
        self.container.add_initializer(unique, tensor_type, list(value.shape), content)
        return unique

    def op(self, op_type, inputs, outputs=1, **attributes):
        """Add one node; ``outputs``: names, or how many new names to make."""
        if isinstance(outputs, int):
            outputs = [
                self.scope.get_unique_variable_name(op_type.lower())
                for _ in range(outputs)
            ]
        self.container.add_node(
            op_type,
            list(inputs),
            list(outputs),
            name=self.scope.get_unique_operator_name(op_type),
            **attributes,
        )
        return outputs[0] if len(outputs) == 1 else outputs

    def axes(self, *axes):
        return self.const("axes", np.array(axes, dtype=np.int64))

    def body(self):
        """A :class:`_Graph` for the body graph of a loop (see :class:`_Body`)."""
        return _Graph(self.scope, _Body(self.container.target_opset_onnx))


class _Body:
    """The nodes and initializers of a loop's body, in place of skl2onnx's
    container (a body is a graph of its own, an attribute of the loop's node)."""

    def __init__(self, target_opset_onnx):
        self.target_opset_onnx = target_opset_onnx
        self.nodes, self.initializers = [], []

    def add_initializer(self, name, tensor_type, shape, content):
        from onnx.helper import make_tensor

        self.initializers.append(make_tensor(name, tensor_type, shape, content))

    def add_node(self, op_type, inputs, outputs, name, **attributes):
        from onnx.helper import make_node

        self.nodes.append(make_node(op_type, inputs, outputs, name, **attributes))


# ----------------------------------------------------------------------
# The network
# ----------------------------------------------------------------------
def _check_exportable(model):
    """Raise for what the export does not cover, before anything is built."""
    from sklearn.utils.validation import check_is_fitted

    name = type(model).__name__
    if name in ("CharLanguageModel", "CharOneHotEncoder"):
        raise NotImplementedError(
            f"{name} is not exported to ONNX. Export the classifier or regressor "
            "alone, and encode strings in the host language as CharOneHotEncoder "
            "does: one step per character, a one-hot row over the encoder's "
            "categories_ (all zeros for a character outside them, as "
            "handle_unknown='ignore'), NaN rows after the string's end (see "
            "sklearn_attnrnn.onnx)."
        )
    check_is_fitted(model)
    if name.startswith("AttentionRNN"):
        # the fitted network's (the estimators refuse a gated cell with a delay)
        _network._check_delay(model._fitted_cell(), model._fitted_delay)


def _real_steps(g, X):
    """IsNaN(X), and the (N, T) mask of real steps: not all features NaN.

    As :func:`sklearn_attnrnn._sequences.sequence_lengths` for valid input
    (which also rejects a NaN anywhere else: a graph cannot raise).
    """
    nan = g.op("IsNaN", [X])
    numbers_per_step = g.op(
        "ReduceSum", [g.op("Cast", [g.op("Not", [nan])], to=_INT32), g.axes(2)]
    )
    real = g.op("Greater", [numbers_per_step, g.const("zero", np.int32(0))])
    return nan, g.op("Squeeze", [real, g.axes(2)])


def _zeros_for_nan(g, X, nan):
    return g.op("Where", [nan, g.const("zero", np.float32(0.0)), X])


# The operator of each cell, and where ONNX's gate blocks sit in the core's
# (PyTorch's) stacking: GRU z, r, h from r, z, n; LSTM i, o, f, c from i, f,
# g, o.
_ONNX_CELLS = {
    "elman": ("RNN", (0,)),
    "gru": ("GRU", (1, 0, 2)),
    "lstm": ("LSTM", (0, 3, 1, 2)),
}


def _recurrence(g, model, X_time_major, lengths):
    """All h (T, N, H), and h at each sequence's last real step (N, H).

    ONNX's recurrent operators for a network without a delay; a ``Scan``
    over the steps for the Elman cell with one (no operator holds R).
    """
    if model._fitted_delay is not None:
        return _delayed_elman(g, model, X_time_major, lengths)
    return _recurrent_operator(g, model, X_time_major, lengths)


def _recurrent_operator(g, model, X_time_major, lengths):
    """ONNX's RNN, GRU or LSTM operator.

    The operators take the core's equations with the gates' blocks
    reordered; ONNX's recurrent biases are 0, but for the GRU's b_hn, which
    ONNX's ``linear_before_reset=1`` puts where PyTorch does: inside
    r_t * (W_n h_{t-1} + b_hn). Its ``Y_h`` is h at each sequence's length.
    """
    cell = _network.cell_of({"W": model.W_})
    op_type, order = _ONNX_CELLS[cell]
    H = model.W_.shape[1]

    def onnx_blocks(name):
        array = np.asarray(getattr(model, name + "_"), np.float32)
        return np.concatenate([array[k * H : (k + 1) * H] for k in order])

    input_bias = onnx_blocks("b")
    recurrent_bias = np.zeros_like(input_bias)
    attributes = {}
    if cell == "gru":
        recurrent_bias[2 * H :] = model.b_hn_
        attributes["linear_before_reset"] = 1
    h, h_last = g.op(
        op_type,
        [
            X_time_major,
            g.const("U", onnx_blocks("U")[None]),
            g.const("W", onnx_blocks("W")[None]),
            g.const("b", np.concatenate([input_bias, recurrent_bias])[None]),
            lengths,
        ],
        outputs=2,
        hidden_size=H,
        **attributes,
    )
    # (T, 1, N, H) and (1, N, H): one direction
    return g.op("Squeeze", [h, g.axes(1)]), g.op("Squeeze", [h_last, g.axes(0)])


def _delayed_elman(g, model, X_time_major, lengths):
    """h_t = tanh(U x_t + b + W h_{t-1} + R h_{t-L}) as a ``Scan``.

    U x_t + b for all steps is one MatMul before the loop. The loop's state
    is the ring of the last L states (L, N, H), zeros at the start (h_s = 0
    for s <= 0): ring[L-1] is h_{t-1}, ring[0] is h_{t-L}; each step appends
    h_t and drops ring[0]. As in the core, the loop runs over the zeroed
    padding too: it is causal, so the padding cannot change a real step, and
    the attention gives it weight 0; h_T is gathered at each length - 1.
    """
    from onnx import helper

    L = int(model._fitted_delay)
    H = model.W_.shape[1]
    U, W, b, R = (np.asarray(getattr(model, k + "_"), np.float32) for k in "UWbR")
    Ux_plus_b = g.op(
        "Add", [g.op("MatMul", [X_time_major, g.const("UT", U.T)]), g.const("b", b)]
    )
    N = g.op(
        "Slice",
        [
            g.op("Shape", [X_time_major]),
            *(g.const(k, np.array([v], np.int64)) for k, v in [("one", 1), ("two", 2)]),
        ],
    )
    ring_shape = g.op(
        "Concat",
        [
            g.const("L", np.array([L], np.int64)),
            N,
            g.const("H", np.array([H], np.int64)),
        ],
        axis=0,
    )
    ring_start = g.op("ConstantOfShape", [ring_shape])  # float32 zeros

    # the body of the loop: (ring, U x_t + b) -> (the next ring, h_t)
    name = g.scope.get_unique_variable_name
    body = g.body()
    ring, Ux_t = name("ring"), name("Ux_t")
    h_before, h_delayed = (
        body.op("Gather", [ring, body.const(k, np.int64(i))], axis=0)
        for k, i in [("last", L - 1), ("first", 0)]
    )
    pre_activation = body.op(
        "Add",
        [
            body.op(
                "Add", [Ux_t, body.op("MatMul", [h_before, body.const("WT", W.T)])]
            ),
            body.op("MatMul", [h_delayed, body.const("RT", R.T)]),
        ],
    )
    h = body.op("Tanh", [pre_activation])
    older = body.op(
        "Slice",
        [
            ring,
            *(
                body.const(k, np.array([v], np.int64))
                for k, v in [("one", 1), ("L", L)]
            ),
        ],
    )
    next_ring = body.op(
        "Concat", [older, body.op("Unsqueeze", [h, body.axes(0)])], axis=0
    )

    def value(name, shape):
        return helper.make_tensor_value_info(name, _FLOAT, shape)

    graph = helper.make_graph(
        body.container.nodes,
        name("delayed_elman_step"),
        [value(ring, [L, None, H]), value(Ux_t, [None, H])],
        [value(next_ring, [L, None, H]), value(h, [None, H])],
        initializer=body.container.initializers,
    )
    _, h = g.op(
        "Scan", [ring_start, Ux_plus_b], outputs=2, body=graph, num_scan_inputs=1
    )
    return h, _at_lengths(g, h, lengths)


def _at_lengths(g, h, lengths):
    """h (T, N, H) at each sequence's last real step, lengths - 1: (N, H)."""
    last = g.op(
        "Sub", [g.op("Cast", [lengths], to=_INT64), g.const("one", np.int64(1))]
    )
    return g.op(
        "GatherND",
        [
            g.op("Transpose", [h], perm=[1, 0, 2]),
            g.op("Unsqueeze", [last, g.axes(1)]),
        ],
        batch_dims=1,
    )


def _attention(g, model, h, h_last, real_time_major):
    """Z = sum_i a_i h_i, a = softmax_i(s h_i . h_T) over the real steps.

    ``h`` (T, N, H) is the recurrence's output (what it holds past a
    sequence's length gets weight 0), ``h_last`` (N, H) its state at each
    sequence's last real step. Computed time-major, as the core does.
    """
    scores = g.op("ReduceSum", [g.op("Mul", [h, h_last]), g.axes(2)], keepdims=0)
    scale = _network.score_scale(model.attention_scores, model.W_.shape[1])
    if scale != 1.0:
        scores = g.op("Mul", [scores, g.const("scale", np.float32(scale))])
    scores = g.op(
        "Where", [real_time_major, scores, g.const("minus_inf", np.float32(-np.inf))]
    )
    weights = g.op("Softmax", [scores], axis=0)  # (T, N)
    weighted = g.op("Mul", [h, g.op("Unsqueeze", [weights, g.axes(2)])])
    return g.op("ReduceSum", [weighted, g.axes(0)], keepdims=0)  # (N, H)


def _omega(g, model, X):
    """Omega = V Z + c (N, K) for NaN-padded X (N, T, F)."""
    nan, real = _real_steps(g, X)
    # the lengths, int32 as ONNX's sequence_lens
    lengths = g.op(
        "ReduceSum", [g.op("Cast", [real], to=_INT32), g.axes(1)], keepdims=0
    )
    real_time_major = g.op("Transpose", [real], perm=[1, 0])
    X_time_major = g.op("Transpose", [_zeros_for_nan(g, X, nan)], perm=[1, 0, 2])
    h, h_last = _recurrence(g, model, X_time_major, lengths)
    if model.attention:
        Z = _attention(g, model, h, h_last, real_time_major)
    else:
        Z = h_last
    V, c = (np.asarray(getattr(model, k + "_"), np.float32) for k in "Vc")
    return g.op("Gemm", [Z, g.const("V", V), g.const("c", c)], transB=1)


def _convert_classifier(scope, operator, container):
    from skl2onnx.common.utils_classifier import get_label_classes

    model = operator.raw_operator
    g = _Graph(scope, container)
    Omega = _omega(g, model, operator.inputs[0].full_name)
    label, probabilities = (v.full_name for v in operator.outputs[:2])
    g.op("Softmax", [Omega], outputs=[probabilities], axis=1)
    index = g.op("ArgMax", [Omega], axis=1, keepdims=0)
    classes = _label_values(get_label_classes(scope, model))
    g.op("Gather", [g.const("classes", classes), index], outputs=[label], axis=0)


def _label_values(classes):
    """The classes as ONNX labels: int64 for numbers and booleans, or strings.

    (scikit-learn only takes floats that are whole numbers as classes.)
    """
    classes = np.asarray(classes)
    if classes.dtype.kind in "biuf":
        return classes.astype(np.int64)
    return classes.astype(str)


def _convert_regressor(scope, operator, container):
    g = _Graph(scope, container)
    Omega = _omega(g, operator.raw_operator, operator.inputs[0].full_name)
    g.op("Identity", [Omega], outputs=[operator.outputs[0].full_name])


# ----------------------------------------------------------------------
# The scaler
# ----------------------------------------------------------------------
def _per_sequence_mean_and_scale(g, X):
    """Each sequence's per-feature mean and scale over its real steps (N, 1, F).

    As :class:`~sklearn_attnrnn.SequenceStandardScaler` computes them: in
    float64, and a (near-)constant feature gets scale 1 by scikit-learn's
    test (``var <= n eps var + (n mean eps)^2``, eps of float64).
    """
    nan, real = _real_steps(g, X)
    values = g.op("Cast", [_zeros_for_nan(g, X, nan)], to=_DOUBLE)
    mask = g.op("Cast", [g.op("Unsqueeze", [real, g.axes(2)])], to=_DOUBLE)
    n = g.op("ReduceSum", [mask, g.axes(1)])  # (N, 1, 1)
    mean = g.op("Div", [g.op("ReduceSum", [values, g.axes(1)]), n])
    centred = g.op("Mul", [g.op("Sub", [values, mean]), mask])
    var = g.op(
        "Div", [g.op("ReduceSum", [g.op("Mul", [centred, centred]), g.axes(1)]), n]
    )
    n_eps = g.op("Mul", [n, g.const("eps", np.float64(np.finfo(np.float64).eps))])
    mean_error = g.op("Mul", [n_eps, mean])
    bound = g.op(
        "Add", [g.op("Mul", [n_eps, var]), g.op("Mul", [mean_error, mean_error])]
    )
    constant = g.op("LessOrEqual", [var, bound])
    scale = g.op(
        "Where", [constant, g.const("one", np.float64(1.0)), g.op("Sqrt", [var])]
    )
    return (g.op("Cast", [v], to=_FLOAT) for v in (mean, scale))


def _convert_scaler(scope, operator, container):
    """(X - mean) / scale; NaN padding stays NaN (NaN - m = NaN)."""
    scaler = operator.raw_operator
    g = _Graph(scope, container)
    X = operator.inputs[0].full_name
    if scaler.per == "sequence":
        mean, scale = _per_sequence_mean_and_scale(g, X)
    else:
        mean, scale = scaler.mean_, scaler.scale_
        mean = g.const("mean", mean.astype(np.float32)) if scaler.with_mean else None
        scale = g.const("scale", scale.astype(np.float32)) if scaler.with_std else None
    if scaler.with_mean:
        X = g.op("Sub", [X, mean])
    if scaler.with_std:
        X = g.op("Div", [X, scale])
    g.op("Identity", [X], outputs=[operator.outputs[0].full_name])


# ----------------------------------------------------------------------
# Shapes and types (skl2onnx's shape calculators)
# ----------------------------------------------------------------------
def _check_sequence_input(operator, n_features):
    """N of a float32 (N, T, F) input; F must be ``n_features`` where known."""
    from skl2onnx.common.data_types import FloatTensorType

    name = type(operator.raw_operator).__name__
    input_type = operator.inputs[0].type
    if not isinstance(input_type, FloatTensorType):
        raise TypeError(
            f"{name} is exported for float32 input; got {type(input_type).__name__}."
        )
    shape = input_type.shape
    if shape is not None and len(shape) not in (0, 3):
        raise ValueError(
            f"The input of {name} must be 3-D (n_samples, n_steps, n_features); "
            f"got shape {shape}. Declare it as FloatTensorType([None, None, "
            f"{n_features or 'n_features'}])."
        )
    if shape and isinstance(shape[2], int) and n_features not in (None, shape[2]):
        raise ValueError(
            f"The input has {shape[2]} features per step, but {name} was fitted "
            f"with {n_features}."
        )
    return operator.inputs[0].get_first_dimension()


def _classifier_shapes(operator):
    from skl2onnx.common.data_types import (
        FloatTensorType,
        Int64TensorType,
        StringTensorType,
    )
    from skl2onnx.common.utils_classifier import get_label_classes

    N = _check_sequence_input(operator, operator.raw_operator.U_.shape[1])
    classes = _label_values(
        get_label_classes(operator.scope_inst, operator.raw_operator)
    )
    label_type = StringTensorType if classes.dtype.kind == "U" else Int64TensorType
    operator.outputs[0].type = label_type([N])
    operator.outputs[1].type = FloatTensorType([N, len(classes)])


def _regressor_shapes(operator):
    from skl2onnx.common.data_types import FloatTensorType

    model = operator.raw_operator
    N = _check_sequence_input(operator, model.U_.shape[1])
    operator.outputs[0].type = FloatTensorType([N, model.V_.shape[0]])


def _scaler_shapes(operator):
    from skl2onnx.common.data_types import FloatTensorType

    _check_sequence_input(operator, operator.raw_operator._n_step_features)
    operator.outputs[0].type = FloatTensorType(operator.inputs[0].type.shape)


def _refuse_parser(scope, model, inputs, custom_parsers=None):
    _check_exportable(model)  # raises the clear error


def _unreachable(*args):  # pragma: no cover - the parser raises first
    raise NotImplementedError


def _checked_parser(parser):
    """skl2onnx's parser for a model, after checking what it cannot export."""

    def parse(scope, model, inputs, custom_parsers=None):
        _check_exportable(model)
        return parser(scope, model, inputs, custom_parsers=custom_parsers)

    return parse


def register_converters():
    """Register this package's converters with skl2onnx.

    After this call, ``skl2onnx.to_onnx`` and ``skl2onnx.convert_sklearn``
    convert the classifier, the regressor and the scaler, also inside
    pipelines, under the aliases ``"SklearnAttnRNNClassifier"``,
    ``"SklearnAttnRNNRegressor"`` and
    ``"SklearnAttnRNNSequenceStandardScaler"``. :func:`to_onnx` calls it; calling it
    again does nothing new.

    Examples
    --------
    >>> import numpy as np
    >>> import skl2onnx
    >>> from skl2onnx.common.data_types import FloatTensorType
    >>> from sklearn_attnrnn import AttentionRNNRegressor
    >>> from sklearn_attnrnn.onnx import register_converters
    >>> X = np.random.RandomState(0).randn(20, 5, 2).astype(np.float32)
    >>> reg = AttentionRNNRegressor(hidden_size=4, max_iter=3).fit(X, X[:, 0, 0])
    >>> register_converters()
    >>> onx = skl2onnx.to_onnx(
    ...     reg, initial_types=[("X", FloatTensorType([None, None, 2]))]
    ... )
    >>> [output.name for output in onx.graph.output]
    ['variable']
    """
    _import_skl2onnx()
    from skl2onnx import update_registered_converter
    from skl2onnx._parse import _parse_sklearn_classifier, _parse_sklearn_simple_model

    from ._classifier import AttentionRNNClassifier
    from ._language_model import CharLanguageModel
    from ._preprocessing import SequenceStandardScaler
    from ._regressor import AttentionRNNRegressor
    from ._text import CharOneHotEncoder

    table = [
        (
            AttentionRNNClassifier,
            _classifier_shapes,
            _convert_classifier,
            _parse_sklearn_classifier,
        ),
        (
            AttentionRNNRegressor,
            _regressor_shapes,
            _convert_regressor,
            _parse_sklearn_simple_model,
        ),
        (
            SequenceStandardScaler,
            _scaler_shapes,
            _convert_scaler,
            _parse_sklearn_simple_model,
        ),
    ]
    for cls, shapes, convert, parser in table:
        update_registered_converter(
            cls,
            "SklearnAttnRNN" + cls.__name__.removeprefix("AttentionRNN"),
            shapes,
            convert,
            parser=_checked_parser(parser),
            options=_CONVERTER_OPTIONS.get(cls.__name__),
        )
    for cls in (CharLanguageModel, CharOneHotEncoder):
        update_registered_converter(
            cls,
            "SklearnAttnRNN" + cls.__name__,
            _unreachable,
            lambda scope, operator, container: _unreachable(),
            parser=_refuse_parser,
        )


def _n_step_features(X):
    """F, the number of features per step, of a sample of the input."""
    if isinstance(X, (list, tuple)):
        return np.asarray(X[0]).shape[1]
    X = np.asarray(X)
    if X.ndim == 2:
        return 1  # univariate sequences; the ONNX model takes X[:, :, None]
    if X.ndim != 3:
        raise ValueError(
            f"X must be sequences as the model takes them (2-D, 3-D or a list of "
            f"2-D arrays); got an array of shape {X.shape}."
        )
    return X.shape[2]


def to_onnx(model, X, *, target_opset=None, options=None, name=None):
    """Convert a fitted model or pipeline to an ONNX model.

    Read more in the user guide: :ref:`onnx`.

    Parameters
    ----------
    model : estimator or Pipeline
        A fitted :class:`~sklearn_attnrnn.AttentionRNNClassifier`,
        :class:`~sklearn_attnrnn.AttentionRNNRegressor` or
        :class:`~sklearn_attnrnn.SequenceStandardScaler`, or a fitted
        scikit-learn ``Pipeline`` of these (and of models that skl2onnx
        converts). Every cell, attention on or off, ``"dot"`` or
        ``"scaled"`` scores, and the Elman cell's delayed connection
        (``delay``), run as a ``Scan`` over the steps.
    X : array-like or list of array-like
        A sample of the input, in any form the model takes; only its number
        of features per step is read. The ONNX model's input is ``X``, a
        float32 tensor (N, T, F) with N and T free: pass 2-D univariate
        sequences as ``X[:, :, None]`` and a list as a NaN-padded array.
    target_opset : int or dict, default=None
        The ONNX opset (at least 13); None: the latest skl2onnx supports.
    options : dict, default=None
        skl2onnx's options (see ``skl2onnx.to_onnx``), e.g.
        ``{AttentionRNNClassifier: {"zipmap": True}}``. The classifier's
        ``zipmap`` is False unless set here: ``probabilities`` is then the
        (N, K) tensor ``predict_proba`` returns.
    name : str, default=None
        The name of the ONNX graph.

    Returns
    -------
    onx : onnx.ModelProto
        Run it with ``onnxruntime.InferenceSession(onx.SerializeToString())``;
        its outputs are ``label`` and ``probabilities`` for a classifier,
        ``variable`` (N, n_outputs) for a regressor, ``variable`` (N, T, F)
        for the scaler.

    Raises
    ------
    NotImplementedError
        For a model the export does not cover (the language model, the
        string encoder).

    Examples
    --------
    >>> import numpy as np
    >>> import onnxruntime as ort
    >>> from sklearn_attnrnn import AttentionRNNClassifier
    >>> from sklearn_attnrnn.onnx import to_onnx
    >>> rng = np.random.RandomState(0)
    >>> X = rng.randn(40, 6, 2).astype(np.float32)
    >>> X[::2, 4:] = np.nan  # every other sequence ends after 4 steps
    >>> y = np.where(np.nanmean(X[:, :, 0], axis=1) > 0, "up", "down")
    >>> clf = AttentionRNNClassifier(hidden_size=8, max_iter=20).fit(X, y)
    >>> session = ort.InferenceSession(to_onnx(clf, X).SerializeToString())
    >>> label, proba = session.run(None, {"X": X})
    >>> bool((label == clf.predict(X)).all())
    True
    >>> bool(np.allclose(proba, clf.predict_proba(X), atol=1e-5))
    True
    """
    skl2onnx = _import_skl2onnx()
    from skl2onnx.common.data_types import FloatTensorType
    from sklearn.pipeline import Pipeline

    from ._classifier import AttentionRNNClassifier

    for step in model.steps if isinstance(model, Pipeline) else [(None, model)]:
        if step[1] not in (None, "passthrough"):
            if type(step[1]).__module__.startswith("sklearn_attnrnn"):
                _check_exportable(step[1])
    register_converters()
    options = dict(options or {})
    options[AttentionRNNClassifier] = {
        "zipmap": False,
        **options.get(AttentionRNNClassifier, {}),
    }
    return skl2onnx.to_onnx(
        model,
        initial_types=[("X", FloatTensorType([None, None, _n_step_features(X)]))],
        target_opset=target_opset,
        options=options,
        name=name,
    )
