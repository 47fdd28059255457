"""Documentation the estimators share: the text of the parameters and
attributes inserted into their docstrings, and the link from their HTML repr
to their page in the API reference."""

# Where the HTML repr of an estimator links to (scikit-learn's doc-link
# protocol): the API page that autosummary writes for each public class.
DOCS_URL = "https://sklearn-attnrnn.readthedocs.io/en/stable/"
DOC_LINK_TEMPLATE = DOCS_URL + "api/generated/{estimator_module}.{estimator_name}.html"


class DocLinkMixin:
    """Link an estimator's HTML repr to its page in this package's API reference.

    scikit-learn's HTML repr (in Jupyter) shows a "?" that links to the
    estimator's documentation; without this it would point to scikit-learn's
    site. A public class of the package inherits this before ``BaseEstimator``.
    """

    _doc_link_module = "sklearn_attnrnn"
    _doc_link_template = DOC_LINK_TEMPLATE


# The parameters every estimator of the package shares, documented once and
# inserted into each estimator's docstring.
SHARED_PARAMETERS_DOC = """\
cell : {"elman", "gru", "lstm"}, default="elman"
        The recurrence. ``"elman"`` is the notes' h_t = tanh(U x_t +
        W h_{t-1} + b); ``"gru"`` and ``"lstm"`` are PyTorch's ``nn.GRU``
        (reset gate applied after the recurrent product) and ``nn.LSTM``,
        with the same attention and output on top, and weights that carry
        over to and from PyTorch. The gated cells keep information over
        long sequences, at 3x (GRU) and 4x (LSTM) the recurrent work per
        step. ``warm_start`` and ``partial_fit`` cannot change the cell.
        See :ref:`cells`.

    attention : bool, default=True
        Read the output from the attention context Z_T (True) or, as the plain
        Elman RNN of the notes' seed 003, from the last hidden state h_T. See
        :ref:`model-equations`.

    attention_scores : {"dot", "scaled"}, default="dot"
        ``"dot"`` is the notes' raw dot product A_T,i = h_i . h_T;
        ``"scaled"`` divides it by sqrt(H), as Transformers do. The default
        was chosen by measurement: see :ref:`model-attention-scores`.

    solver : {"adam", "sgd", "lbfgs"}, default="adam"
        The optimizer. ``"lbfgs"`` is full-batch L-BFGS-B through scipy (the
        gradient is summed chunk by chunk so memory stays bounded); it has no
        ``partial_fit`` and ignores ``batch_size`` except as a chunk size.

    alpha : float, default=1e-4
        Strength of the L2 penalty on U, W and V (and R with a delay). The penalty
        ``alpha / 2 * |w|^2`` is divided by the sum of the sample weights.

    dropout : float in [0, 1), default=0.0
        Fraction of the input features dropped during training, as Keras'
        ``SimpleRNN(dropout=...)``: one Bernoulli mask per training sequence,
        the same at every step, kept features scaled by 1 / (1 - dropout).
        Prediction, scoring and early stopping's validation score never drop.
        The masks come from ``random_state``; the default 0 draws nothing.
        Needs ``solver="adam"`` or ``"sgd"``. See :ref:`training-dropout`.

    recurrent_dropout : float in [0, 1), default=0.0
        Fraction of the units of h_{t-1} dropped in the recurrence during
        training, as Keras' ``SimpleRNN(recurrent_dropout=...)``:
        h_t = tanh(U x_t + W (m_h * h_{t-1}) + b), with one mask m_h per
        sequence shared by all its steps, kept units scaled by
        1 / (1 - recurrent_dropout); training only, as ``dropout``. With
        either dropout the training loss is noisy: raise
        ``n_iter_no_change`` and ``max_iter``. See :ref:`training-dropout`.

    delay : int >= 2 or None, default=None
        L of a delayed recurrent connection (the notes' seed 000, read as
        LSTNet's recurrent skip): h_t = tanh(U x_t + W h_{t-1} + R h_{t-L} +
        b), with h_s = 0 for s <= 0, so that a gradient reaches L steps back
        in one hop instead of L. For series with a period of L steps, or
        answers that lie L steps back. ``recurrent_dropout`` drops the same
        units of h_{t-L} as of h_{t-1}. None (the default) has no R and fits
        exactly as without the parameter. Elman cell only (with a gated
        ``cell`` a delay is a ValueError).
        See :ref:`delay`.

    batch_size : int or "auto", default="auto"
        Mini-batch size of the stochastic solvers; ``"auto"`` is
        ``min(200, n_samples)``.

    learning_rate : float, default=1e-3
        The initial step size of "sgd" and "adam".

    learning_rate_schedule : {"constant", "adaptive", "invscaling"}, \
default="constant"
        ``"constant"`` keeps ``learning_rate``; ``"adaptive"`` divides it by 5
        each time the loss (or validation score) stops improving for
        ``n_iter_no_change`` epochs, and stops when it falls below 1e-6 (for
        Adam too, unlike scikit-learn's MLP); ``"invscaling"`` (sgd only)
        decays it as ``learning_rate / t ** power_t``.

    power_t : float, default=0.5
        Exponent of the "invscaling" schedule.

    max_iter : int, default=500
        Maximum number of epochs (passes over the data) per call to ``fit``;
        for "lbfgs", the maximum number of iterations. 500, not
        MLPClassifier's 200: on a small data set an epoch is a single Adam
        step (the classifier's measurements: :ref:`training-defaults`);
        where more epochs overfit, regularize (``alpha``,
        ``recurrent_dropout``).

    shuffle : bool, default=True
        Shuffle the samples at every epoch.

    random_state : int, RandomState instance or None, default=None
        Seeds every source of randomness: the initial parameters, the
        shuffling, the validation split and the dropout masks (drawn only
        when a dropout rate is above 0). An int gives identical models
        from identical data, whatever the number of BLAS threads. A fit
        that continues (``partial_fit``, ``warm_start=True``) goes on with
        the random stream of the fit before it, so 3 + 4 warm-started
        epochs equal 7 epochs of one fit, and each call draws new shuffles
        and dropout masks (scikit-learn's MLP re-seeds at every call).

    tol : float, default=1e-4
        Training stops when the loss (or validation score) has not improved
        by at least ``tol`` for ``n_iter_no_change`` consecutive epochs.

    verbose : bool, default=False
        Print one line per epoch: epoch, loss, validation score, seconds.
        With scikit-learn >= 1.9, ``set_callbacks`` takes scikit-learn's
        callbacks too (``ProgressBar``, ``ScoringMonitor``): one task per
        epoch, or per L-BFGS iteration; a callback asking to stop ends
        training as early stopping does.

    warm_start : bool, default=False
        Continue from the fitted parameters *and* the optimizer's state (Adam
        moments, momentum): each ``fit`` then runs up to ``max_iter`` further
        epochs. ``hidden_size`` and ``delay`` cannot change.

    momentum : float, default=0.9
        Momentum of "sgd".

    nesterovs_momentum : bool, default=True
        Use Nesterov's momentum with "sgd".

    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the data (stratified for a
        classifier), stop when its score stops improving, and keep the
        parameters with the best validation score.

    validation_fraction : float, default=0.1
        Share of the training data held out for early stopping.

    beta_1 : float, default=0.9
        Adam's decay rate of the first moment.

    beta_2 : float, default=0.999
        Adam's decay rate of the second moment.

    epsilon : float, default=1e-8
        Adam's numerical stability constant.

    n_iter_no_change : int, default=50
        Epochs without an improvement of ``tol`` before stopping. 50, not
        MLPClassifier's 10: an RNN's training loss often rests on a plateau
        for tens of epochs before it falls again, and 10 ended most fits
        there. See :ref:`training-defaults`.

    max_fun : int, default=15000
        Maximum number of loss evaluations of "lbfgs".

    max_grad_norm : float or None, default=5.0
        Clip the gradient of each mini-batch to this global L2 norm, so that
        one long or unlucky sequence cannot blow training up; None disables
        it. (The mean-loss gradient of a healthy batch is far below 5.)"""

SHARED_ATTRIBUTES_DOC = """\
n_features_in_ : int
        Features per step (the width of X for a 2-D X, whose steps have one
        feature each).

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the columns of a 2-D X given as a DataFrame.

    U_ : ndarray of shape (n_gates * hidden_size, n_step_features)
        Input weights U of h_t = tanh(U x_t + W h_{t-1} + b); for a gated
        cell, its gates' blocks stacked as PyTorch's ``weight_ih_l0``
        (n_gates 1 Elman, 3 GRU: r, z, n; 4 LSTM: i, f, g, o).

    W_ : ndarray of shape (n_gates * hidden_size, hidden_size)
        Recurrent weights W (PyTorch's ``weight_hh_l0``).

    R_ : ndarray of shape (hidden_size, hidden_size)
        Delayed recurrent weights R of the term R h_{t-L}; only with a
        ``delay``. Initialised as W is (a random orthogonal matrix) and
        penalized by ``alpha`` as U, W and V are.

    b_ : ndarray of shape (n_gates * hidden_size,)
        Hidden bias b, one per gate unit (see ``cell`` for PyTorch's biases).

    b_hn_ : ndarray of shape (hidden_size,)
        The GRU's bias inside r_t * (W_n h_{t-1} + b_hn); only with
        ``cell="gru"``.

    V_ : ndarray of shape (n_outputs, hidden_size)
        Output weights V of Omega = V Z + c.

    c_ : ndarray of shape (n_outputs,)
        Output bias c.

    loss_ : float
        The loss of the last epoch (for "lbfgs", at the solution).

    loss_curve_ : list of float
        The loss of every epoch (for "lbfgs", of every iteration).

    best_loss_ : float or None
        The lowest training loss; None with early stopping.

    validation_scores_ : list of float or None
        The validation score of every epoch with early stopping; else None.

    best_validation_score_ : float or None
        The best validation score with early stopping; else None.

    n_iter_ : int
        Epochs run (for "lbfgs", iterations).

    t_ : int
        Samples seen by the stochastic solver."""
