"""Character-level language modelling with the attention RNN.

The notes' own task: read a text one character at a time and predict the next
one. Training uses the core's every-step outputs (one output per step t,
attending over h_1..h_t, the loss summed over the steps); prediction after a
prefix is the core's last-step output on that prefix, which is the same
computation (see the notes' worked example: next-character prediction is
prefix classification).
"""

from numbers import Integral, Real

import numpy as np
from sklearn.base import _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import _check_sample_weight, check_is_fitted

from . import _network
from ._base import PREDICT_CHUNK_SIZE, BaseAttentionRNN
from ._classifier import _not_lbfgs
from ._docs import SHARED_ATTRIBUTES_DOC, SHARED_PARAMETERS_DOC
from ._sequences import to_time_major
from ._text import (
    alphabet,
    character_keys,
    check_texts,
    lookup,
    texts_to_code_points,
    unknown_symbols_error,
)
from ._threads import on_one_blas_thread

# Steps (sequences x longest length) per forward pass at prediction time: the
# core's buffers of a chunk then take at most STEP_BUDGET * (a few H) floats.
STEP_BUDGET = 1 << 16
# sample() below this temperature is greedy (documented): softmax(Omega / T)
# gives a character whose Omega is `gap` below the largest a weight of
# exp(-gap / T), under exp(-100) for any gap above 1e-4, so a draw is the
# argmax in all but near-ties; greedy decoding makes it exact, with no draw.
GREEDY_TEMPERATURE = 1e-6


def _as_texts(X, name="X"):
    """One string (one text) or a 1-D collection of strings, as a sequence."""
    return [X] if isinstance(X, str) else check_texts(X, name)


def _check_marker(value, name):
    if value is not None and len(value) != 1:
        raise ValueError(f"{name} must be a single character or None, got {value!r}.")


def _chunks_by_steps(lengths):
    """Index chunks, similar lengths together, of at most STEP_BUDGET steps."""
    order = np.argsort(lengths, kind="stable")
    ordered = lengths[order]
    begin, n = 0, len(order)
    while begin < n:
        end = min(n, begin + PREDICT_CHUNK_SIZE)
        # The chunk's longest sequence is its last one (sorted): shrink to fit.
        while end - begin > 1 and (end - begin) * int(ordered[end - 1]) > STEP_BUDGET:
            end = begin + max(1, STEP_BUDGET // int(ordered[end - 1]))
        yield order[begin:end]
        begin = end


class CharLanguageModel(BaseAttentionRNN):
    _output = "every"
    _loss = "log_loss"

    _parameter_constraints: dict = {
        **BaseAttentionRNN._parameter_constraints,
        "window": [Interval(Integral, 1, None, closed="left"), None],
        "start_marker": [str, None],
        "end_marker": [str, None],
        "vocabulary": [str, "array-like", None],
    }

    def __init__(
        self,
        hidden_size=32,
        *,
        window=64,
        start_marker=None,
        end_marker=None,
        vocabulary=None,
        cell="elman",
        attention=True,
        attention_scores="dot",
        solver="adam",
        alpha=1e-4,
        dropout=0.0,
        recurrent_dropout=0.0,
        delay=None,
        batch_size="auto",
        learning_rate=1e-3,
        learning_rate_schedule="constant",
        power_t=0.5,
        max_iter=500,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=50,
        max_fun=15000,
        max_grad_norm=5.0,
    ):
        super().__init__(
            hidden_size=hidden_size,
            cell=cell,
            attention=attention,
            attention_scores=attention_scores,
            solver=solver,
            alpha=alpha,
            dropout=dropout,
            recurrent_dropout=recurrent_dropout,
            delay=delay,
            batch_size=batch_size,
            learning_rate=learning_rate,
            learning_rate_schedule=learning_rate_schedule,
            power_t=power_t,
            max_iter=max_iter,
            shuffle=shuffle,
            random_state=random_state,
            tol=tol,
            verbose=verbose,
            warm_start=warm_start,
            momentum=momentum,
            nesterovs_momentum=nesterovs_momentum,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            n_iter_no_change=n_iter_no_change,
            max_fun=max_fun,
            max_grad_norm=max_grad_norm,
        )
        self.window = window
        self.start_marker = start_marker
        self.end_marker = end_marker
        self.vocabulary = vocabulary

    # ------------------------------------------------------------------
    # The hooks of BaseAttentionRNN
    # ------------------------------------------------------------------
    def _n_outputs(self):
        return len(self.classes_)

    def _time_major_targets(self, targets, X):
        return np.ascontiguousarray(np.maximum(targets[:, : X.shape[0]], 0).T)

    def _weight_total(self, weights, lengths):
        # The loss is a mean per predicted character, not per window.
        return float(weights @ lengths)

    def _validation_score(self, sums, targets, sample_weight):
        """Weighted mean log-likelihood per character of held-out windows,
        from each window's sum of log p(next character)."""
        n_chars = (targets >= 0).sum(axis=1)
        return float(sample_weight @ sums / (sample_weight @ n_chars))

    @on_one_blas_thread
    def _validation_outputs(self, codes, lengths, targets):
        """Each held-out window's sum of log p(next character) (N,), chunk by
        chunk: the windows' (N, T, K) outputs are never held at once."""
        params = self._compute_params(self.U_.dtype)
        kwargs = self._core_kwargs()
        sums = np.empty(len(lengths))
        for idx in self._chunks(lengths):
            X = to_time_major(codes[idx], lengths[idx])
            Omega = _network.forward(params, X, lengths[idx], **kwargs)[0]
            chunk_targets = targets[idx, : X.shape[0]]
            log_p = np.zeros(chunk_targets.shape)
            log_p[chunk_targets >= 0] = self._log_proba_of_targets(Omega, chunk_targets)
            sums[idx] = log_p.sum(axis=1)
        return sums

    @staticmethod
    def _log_proba_of_targets(Omega, targets):
        """log p(target) at the real steps of every-step outputs, row-major."""
        targets = targets[:, : Omega.shape[1]]
        real = targets >= 0
        log_p = _network.log_output_function(Omega[real])
        return log_p[np.arange(len(log_p)), targets[real]]

    @classmethod
    def _sum_log_proba(cls, Omega, targets):
        """Sum of log p(target) over the real steps of every-step outputs."""
        log_p = cls._log_proba_of_targets(Omega, targets)
        return float(log_p.sum()), len(log_p)

    @on_one_blas_thread
    def _decision_function_raw(self, codes, lengths):
        """Every-step Omega (N, T, K) of windows' codes (the fit loop's check
        of its last epoch, on one batch)."""
        dtype = self.U_.dtype
        params = self._compute_params(dtype)
        kwargs = self._core_kwargs()
        Omega = np.zeros(codes.shape + (self._n_outputs(),), dtype)
        for idx in self._chunks(lengths):
            X = to_time_major(codes[idx], lengths[idx])
            Omega[idx, : X.shape[0]] = _network.forward(
                params, X, lengths[idx], **kwargs
            )[0]
        return Omega

    # ------------------------------------------------------------------
    # Texts to codes, windows and one-hot inputs
    # ------------------------------------------------------------------
    def _learn_vocabulary(self, points):
        """classes_ and vocabulary_ from the code points of the texts with
        their markers, or from ``vocabulary`` and the markers."""
        if self.vocabulary is None:
            chars = alphabet(points)  # the markers' included
        else:
            given = list(self.vocabulary)
            if not given:
                raise ValueError(
                    f"vocabulary={self.vocabulary!r} is empty; give the "
                    "characters the model reads (e.g. vocabulary='abc'), or "
                    "None to learn them from the texts."
                )
            for i, c in enumerate(given):
                if not isinstance(c, str) or len(c) != 1:
                    raise ValueError(
                        f"vocabulary must contain single characters; item {i} is {c!r}."
                    )
            if len(set(given)) != len(given):
                raise ValueError("vocabulary contains duplicate characters.")
            markers = [m for m in (self.start_marker, self.end_marker) if m]
            chars = sorted(set(given).union(markers))
        self.classes_ = np.array(chars, dtype="<U1")
        self.vocabulary_ = {str(c): i for i, c in enumerate(self.classes_)}

    def _code_points(self, texts, name, *, end, allow_empty):
        """Code points of the texts with their markers (the start marker
        always, the end marker if ``end``), and each one's length."""
        return texts_to_code_points(
            texts,
            name,
            before=self.start_marker or "",
            after=(self.end_marker or "") if end else "",
            allow_empty=allow_empty,
        )

    def _codes(self, points, lengths, name):
        """Indices into ``classes_`` of code points of texts of ``lengths``."""
        codes, known = lookup(character_keys(self.classes_), points)
        if not known.all():
            ends = np.cumsum(lengths)
            i = int(np.searchsorted(ends, np.flatnonzero(~known)[0], side="right"))
            text = slice(ends[i] - lengths[i], ends[i])
            raise unknown_symbols_error(
                name,
                i,
                points[text][~known[text]],
                text=True,
                known_as="the vocabulary (classes_)",
                remedy="The model can only read these characters; map or remove "
                "the others, or refit (a fixed alphabet can be given with the "
                "vocabulary parameter).",
            )
        return codes

    def _encode(self, texts, name, *, end, allow_empty=False):
        """Indices into ``classes_`` of the texts with their markers (flat),
        and each one's length."""
        points, lengths = self._code_points(
            texts, name, end=end, allow_empty=allow_empty
        )
        return self._codes(points, lengths, name), lengths

    def _windows(self, codes, lengths):
        """Cut texts into training windows: their input codes and target
        codes (N, T) (-1 = padding), lengths (N,), and the number of windows
        of each text."""
        n_pairs = lengths - 1  # a text of n characters gives n - 1 (x, y) pairs
        width = n_pairs if self.window is None else np.full_like(n_pairs, self.window)
        width = np.maximum(width, 1)
        n_windows = -(-n_pairs // width)  # ceil; 0 for a single character
        text = np.repeat(np.arange(len(lengths)), n_pairs)
        j = np.arange(n_pairs.sum()) - np.repeat(np.cumsum(n_pairs) - n_pairs, n_pairs)
        src = np.repeat(np.cumsum(lengths) - lengths, n_pairs) + j
        row = np.repeat(np.cumsum(n_windows) - n_windows, n_pairs) + j // width[text]
        col = j % width[text]
        shape = (int(n_windows.sum()), int(col.max()) + 1)
        inputs = np.full(shape, -1, dtype=np.intp)
        targets = np.full(shape, -1, dtype=np.intp)
        inputs[row, col] = codes[src]
        targets[row, col] = codes[src + 1]
        return inputs, targets, np.bincount(row, minlength=shape[0]), n_windows

    def _check_no_markers(self, texts, name):
        """Reject a marker inside a text or prefix: the same rule at fit,
        prediction and scoring (the model puts the markers itself)."""
        for marker_name in ("start_marker", "end_marker"):
            marker = getattr(self, marker_name)
            if marker is None:
                continue
            for i, text in enumerate(texts):
                if marker in text:
                    raise ValueError(
                        f"{marker_name}={marker!r} occurs inside {name}[{i}] (at "
                        f"index {text.index(marker)}); a marker must be a "
                        "character that no text or prefix contains (the model "
                        "adds the markers itself)."
                    )

    def _check_text_fit(self, X, sample_weight):
        """The code points of the texts with their markers, each one's
        length, and the sample weights, validated."""
        texts = _as_texts(X)
        _check_marker(self.start_marker, "start_marker")
        _check_marker(self.end_marker, "end_marker")
        self._check_no_markers(texts, "X")
        points, lengths = self._code_points(texts, "X", end=True, allow_empty=False)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(
                sample_weight, np.empty(len(texts)), dtype=np.float64
            )
        return points, lengths, sample_weight

    def _fit_texts(self, X, sample_weight, *, incremental):
        """Fit on texts as one transaction: the vocabulary, the windows and
        the training all happen on a side copy, committed at the end."""
        return self._transaction(
            type(self)._fit_texts_state,
            incremental=incremental,
            X=X,
            y=None,
            sample_weight=sample_weight,
        )

    def _callback_targets(self, X, y):
        # The targets are the texts' own next characters: the callbacks get
        # the texts as y, so that a ScoringMonitor records score(X) per epoch.
        return X

    def _fit_texts_state(self, *, X, y, sample_weight, incremental, tasks):
        self._check_solver_options(incremental)
        points, lengths, sample_weight = self._check_text_fit(X, sample_weight)
        if not self._continues(incremental):
            self._learn_vocabulary(points)
        codes = self._codes(points, lengths, "X")
        del points
        if (lengths < 2).all():
            raise ValueError(
                "There is no next character to learn: every text has a single "
                "character. Give longer texts, or a start_marker or end_marker."
            )
        inputs, targets, window_lengths, n_windows = self._windows(codes, lengths)
        if self.early_stopping and not incremental and len(inputs) < 2:
            raise ValueError(
                f"early_stopping=True needs at least 2 windows to hold some out, "
                f"but X gives {len(inputs)} (window={self.window}). Give more "
                "or longer texts, a smaller window, or set early_stopping=False."
            )
        if sample_weight is not None:
            sample_weight = np.repeat(sample_weight, n_windows)
        # The windows go to the fit loop as codes: nothing of size
        # characters x vocabulary is ever built.
        self._fit_validated(
            inputs,
            window_lengths,
            targets,
            sample_weight,
            n_features=len(self.classes_),
            dtype=np.float64,
            incremental=incremental,
            tasks=tasks,
        )

    # ------------------------------------------------------------------
    # Fitting
    # ------------------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, sample_weight=None):
        """Learn to predict every next character of the texts X.

        The vocabulary (``classes_``) is learned from X and the markers,
        unless ``vocabulary`` is given. Each text (with its markers) is cut
        into windows of ``window`` input characters x_1..x_T whose targets are
        the characters that follow them, y_t = x_{t+1}; the windows are the
        training sequences of the fit loop shared with the other estimators.

        Parameters
        ----------
        X : str or array-like of str of shape (n_texts,)
            One text, or a list (1-D array, Series) of texts.
        y : None
            Ignored: the targets are the texts' own next characters.
        sample_weight : array-like of shape (n_texts,), default=None
            A weight per text, given to each of its characters.

        Returns
        -------
        self : object
            The fitted model.

        Examples
        --------
        >>> from sklearn_attnrnn import CharLanguageModel
        >>> lm = CharLanguageModel(hidden_size=8, solver="lbfgs", random_state=0)
        >>> lm.fit("hello").classes_
        array(['e', 'h', 'l', 'o'], dtype='<U1')
        """
        return self._fit_texts(X, sample_weight, incremental=False)

    @available_if(_not_lbfgs)
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y=None, sample_weight=None):
        """Run one epoch of the stochastic solver over the texts X.

        The first call learns the vocabulary from X (or takes
        ``vocabulary``); later calls must only use its characters. The
        optimizer's state is kept between calls.

        Parameters
        ----------
        X : str or array-like of str of shape (n_texts,)
            Texts, as for :meth:`fit`.
        y : None
            Ignored.
        sample_weight : array-like of shape (n_texts,), default=None
            A weight per text.

        Returns
        -------
        self : object
            The model.

        Examples
        --------
        >>> from sklearn_attnrnn import CharLanguageModel
        >>> lm = CharLanguageModel(hidden_size=8, vocabulary="abc", random_state=0)
        >>> lm = lm.partial_fit(["abcab"]).partial_fit(["cab"])
        >>> lm.n_iter_
        2
        """
        return self._fit_texts(X, sample_weight, incremental=True)

    # ------------------------------------------------------------------
    # Prediction
    # ------------------------------------------------------------------
    def _contexts(self, X, name="X"):
        """Codes (N, T) of each prefix's context (-1 = padding), lengths.

        The context is the start marker (if any) and the prefix, cropped to
        its last ``window`` characters.
        """
        check_is_fitted(self)
        texts = _as_texts(X, name)
        self._check_no_markers(texts, name)
        codes, lengths = self._encode(texts, name, end=False, allow_empty=True)
        if (lengths == 0).any():
            i = int(np.flatnonzero(lengths == 0)[0])
            raise ValueError(
                f"{name}[{i}] is an empty prefix; without a start_marker the model "
                "has no context to predict a first character from."
            )
        ends = np.cumsum(lengths)
        if self.window is not None:
            lengths = np.minimum(lengths, self.window)
        starts = ends - lengths
        steps = np.arange(lengths.max())
        out = np.full((len(lengths), len(steps)), -1, dtype=np.intp)
        real = steps[None, :] < lengths[:, None]
        out[real] = codes[(starts[:, None] + steps[None, :])[real]]
        return out, lengths

    @on_one_blas_thread
    def _forward_last(self, contexts, lengths):
        """Omega (N, K) and attention weights at the last step of each context."""
        params = self._compute_params(np.float64)
        kwargs = {**self._core_kwargs(), "output": "last"}
        Omega = np.empty((len(lengths), self._n_outputs()))
        weights = np.full(contexts.shape, np.nan) if self.attention else None
        for idx in _chunks_by_steps(lengths):
            T = int(lengths[idx].max())
            Omega[idx], a = _network.forward(
                params, contexts[idx, :T].T, lengths[idx], **kwargs
            )
            if a is not None:
                a[np.arange(T)[None, :] >= lengths[idx, None]] = np.nan
                weights[idx, :T] = a
        return Omega, weights

    def _without_start_marker(self, Omega):
        """Omega with the start marker's column at -inf: the marker starts a
        text and is never a next character (unless it is the end marker too),
        so predict and sample never emit it."""
        if self.start_marker is not None and self.start_marker != self.end_marker:
            Omega[..., self.vocabulary_[self.start_marker]] = -np.inf
        return Omega

    def _decision(self, X, name="X"):
        return self._forward_last(*self._contexts(X, name))[0]

    def predict_proba(self, X):
        """Probability of each character to come next after each prefix.

        For a prefix x_1..x_t, the output at its last step attends over
        h_1..h_t: the same number the every-step output gives at step t
        during training. The context is the start marker (if any) and the
        prefix, cropped to its last ``window`` characters (the longest context
        the model was trained on).

        Parameters
        ----------
        X : str or array-like of str of shape (n_prefixes,)
            Prefixes (a single string is one prefix). A prefix may be empty
            only if ``start_marker`` is set.

        Returns
        -------
        proba : ndarray of shape (n_prefixes, n_classes)
            Rows sum to 1; columns in the order of ``classes_``.

        Examples
        --------
        >>> from sklearn_attnrnn import CharLanguageModel
        >>> lm = CharLanguageModel(hidden_size=8, solver="lbfgs", random_state=0)
        >>> lm.fit("hello").predict_proba(["he", "hell"]).shape
        (2, 4)
        """
        return _network.output_function(self._decision(X), "log_loss")

    def predict_log_proba(self, X):
        """Log-probability of each character to come next after each prefix.

        Parameters
        ----------
        X : str or array-like of str of shape (n_prefixes,)
            Prefixes, as for :meth:`predict_proba`.

        Returns
        -------
        log_proba : ndarray of shape (n_prefixes, n_classes)
            log softmax(Omega), columns in the order of ``classes_``.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_attnrnn import CharLanguageModel
        >>> lm = CharLanguageModel(hidden_size=8, solver="lbfgs", random_state=0)
        >>> log_p = lm.fit("hello").predict_log_proba("h")
        >>> bool(np.isclose(np.exp(log_p).sum(), 1.0))
        True
        """
        return _network.log_output_function(self._decision(X))

    def predict(self, X):
        """The most probable next character after each prefix.

        Parameters
        ----------
        X : str or array-like of str of shape (n_prefixes,)
            Prefixes, as for :meth:`predict_proba`.

        Returns
        -------
        chars : ndarray of str of shape (n_prefixes,)
            Characters from ``classes_``.

        Examples
        --------
        >>> from sklearn_attnrnn import CharLanguageModel
        >>> lm = CharLanguageModel(hidden_size=8, solver="lbfgs", random_state=0)
        >>> lm.fit("hello").predict(["h", "he", "hel", "hell"])
        array(['e', 'l', 'l', 'o'], dtype='<U1')
        """
        best = self._without_start_marker(self._decision(X)).argmax(axis=1)
        return self.classes_[best]

    def _log_likelihood(self, X):
        """Sum of log p(next character) over the texts, and how many there are.

        Character t of a text (with its markers) is predicted from the
        characters before it, at most ``window`` of them: exactly what
        :meth:`predict_proba` gives for the text's first t characters. The
        first ``window`` predictions of each text come from one every-step
        pass; the later ones, whose contexts all have ``window`` characters,
        from last-step passes over sliding contexts.
        """
        check_is_fitted(self)
        texts = _as_texts(X)
        self._check_no_markers(texts, "X")
        codes, lengths = self._encode(texts, "X", end=True)
        if (lengths < 2).all():
            raise ValueError(
                "X has no character to predict: every text has a single "
                "character (the first character is the context of the second)."
            )
        offsets = np.cumsum(lengths) - lengths
        keep = lengths >= 2
        total = 0.0

        # Head: predictions 1..min(n - 1, window), one every-step pass.
        head = lengths[keep] - 1
        if self.window is not None:
            head = np.minimum(head, self.window)
        steps = np.arange(head.max())
        real = steps[None, :] < head[:, None]
        pos = (offsets[keep][:, None] + steps[None, :])[real]
        inputs = np.full(real.shape, -1, dtype=np.intp)
        inputs[real] = codes[pos]
        targets = np.full(real.shape, -1, dtype=np.intp)
        targets[real] = codes[pos + 1]
        params = self._compute_params(np.float64)
        kwargs = self._core_kwargs()
        for idx in _chunks_by_steps(head):
            T = int(head[idx].max())
            Omega = _network.forward(params, inputs[idx, :T].T, head[idx], **kwargs)[0]
            total += self._sum_log_proba(Omega, targets[idx])[0]

        # Tail: prediction t > window from the window characters before it.
        count = int((lengths[keep] - 1).sum())
        if self.window is not None and (lengths - 1 > self.window).any():
            W = self.window
            n_tail = np.maximum(lengths - 1 - W, 0)
            starts = np.repeat(offsets + 1, n_tail) + (
                np.arange(n_tail.sum()) - np.repeat(np.cumsum(n_tail) - n_tail, n_tail)
            )
            chunk = max(1, STEP_BUDGET // W)
            full = np.full(chunk, W)
            for begin in range(0, len(starts), chunk):
                sl = slice(begin, begin + chunk)
                # the contexts of this chunk only: all of them would take
                # characters x window integers
                contexts = codes[starts[sl, None] + np.arange(W)[None, :]]
                Omega, _ = self._forward_last(contexts, full[: len(contexts)])
                log_p = _network.log_output_function(Omega)
                total += log_p[np.arange(len(log_p)), codes[starts[sl] + W]].sum()
        return total, count

    @on_one_blas_thread
    def score(self, X, y=None):
        """Mean log-likelihood per predicted character of the texts X.

        Every character of each text (with its markers) after the first is
        predicted from the characters before it, at most ``window`` of them;
        the score is the mean of the log-probabilities given to the actual
        characters (natural log; higher is better). It equals the mean, over
        the texts' prefixes, of ``predict_log_proba`` at the character that
        follows.

        Parameters
        ----------
        X : str or array-like of str of shape (n_texts,)
            Texts; a single string is one text.
        y : None
            Ignored.

        Returns
        -------
        score : float
            Mean log-likelihood per character (<= 0); see also
            :meth:`perplexity`.

        Examples
        --------
        >>> from sklearn_attnrnn import CharLanguageModel
        >>> lm = CharLanguageModel(hidden_size=8, solver="lbfgs", random_state=0)
        >>> lm.fit("hello").score("hello") > -0.1
        True
        """
        total, count = self._log_likelihood(X)
        return float(total / count)

    def perplexity(self, X):
        """Per-character perplexity of the texts X: ``exp(-score(X))``.

        A model that gives every one of k characters the same probability has
        perplexity k; lower is better.

        Parameters
        ----------
        X : str or array-like of str of shape (n_texts,)
            Texts, as for :meth:`score`.

        Returns
        -------
        perplexity : float

        Examples
        --------
        >>> from sklearn_attnrnn import CharLanguageModel
        >>> lm = CharLanguageModel(hidden_size=8, solver="lbfgs", random_state=0)
        >>> lm.fit("hello").perplexity("hello") < 1.1
        True
        """
        return float(np.exp(-self.score(X)))

    def sample(self, prefix, n_chars=100, temperature=1.0, random_state=None):
        """Generate text after a prefix, one sampled character at a time.

        Each next character is drawn from softmax(Omega / temperature) given
        the context so far (cropped to its last ``window`` characters), then
        appended to it. Generation stops after ``n_chars`` characters, or
        earlier when the ``end_marker`` is drawn.

        Parameters
        ----------
        prefix : str
            The text to continue; may be empty only if ``start_marker`` is set.
        n_chars : int, default=100
            The number of characters to generate.
        temperature : float, default=1.0
            Divides Omega before the softmax: below 1 sharpens the
            distribution, above 1 flattens it. Below 1e-6 (0 included) the
            generation is greedy: always the most likely character (the first
            in ``classes_`` on a tie), with no random draw.
        random_state : int, RandomState instance or None, default=None
            The source of randomness; an int gives the same text every time.

        Returns
        -------
        text : str
            The generated characters, without the prefix (and without the
            end marker).

        Examples
        --------
        >>> from sklearn_attnrnn import CharLanguageModel
        >>> lm = CharLanguageModel(hidden_size=8, solver="lbfgs", random_state=0)
        >>> lm.fit("hello").sample("h", 4, temperature=0.1, random_state=0)
        'ello'
        """
        check_is_fitted(self)
        if not isinstance(prefix, str):
            raise TypeError(f"prefix must be a str, got {type(prefix).__name__}.")
        if (
            not isinstance(n_chars, Integral)
            or isinstance(n_chars, bool)
            or n_chars < 0
        ):
            raise ValueError(f"n_chars must be an integer >= 0, got {n_chars!r}.")
        if (
            not isinstance(temperature, Real)
            or isinstance(temperature, bool)
            or not 0 <= temperature < np.inf
        ):
            raise ValueError(
                "temperature must be a finite number >= 0 (below 1e-6: greedy), "
                f"got {temperature!r}."
            )
        rng = check_random_state(random_state)
        contexts, lengths = self._contexts([prefix], "prefix")
        context = contexts[0, : lengths[0]].tolist()
        end = self.vocabulary_.get(self.end_marker) if self.end_marker else None
        out = []
        for _ in range(n_chars):
            if self.window is not None:
                context = context[-self.window :]
            Omega, _ = self._forward_last(np.array([context]), np.array([len(context)]))
            scores = self._without_start_marker(Omega)[0]
            if temperature < GREEDY_TEMPERATURE:
                k = int(np.argmax(scores))
            else:
                # Shifted so that the largest is 0: no overflow to inf at any
                # temperature, only harmless underflow to probability 0.
                with np.errstate(over="ignore"):
                    shifted = (scores - scores.max()) / temperature
                p = _network.output_function(shifted, "log_loss")
                cdf = np.cumsum(p)
                u = rng.random_sample() * cdf[-1]
                k = min(int(np.searchsorted(cdf, u, side="right")), len(cdf) - 1)
            if k == end:
                break
            context.append(k)
            out.append(self.classes_[k])
        return "".join(out)

    def attention_weights(self, X):
        """Attention weights over each prefix's context at its last step.

        Parameters
        ----------
        X : str or array-like of str of shape (n_prefixes,)
            Prefixes, as for :meth:`predict_proba`.

        Returns
        -------
        weights : ndarray of shape (n_prefixes, n_steps)
            Row n holds a_t,i over the context of prefix n: the start marker
            (if any) and the prefix, cropped to its last ``window``
            characters; each row sums to 1 and is NaN after its context ends.

        Raises
        ------
        ValueError
            If the model was fitted with ``attention=False``.

        Examples
        --------
        >>> from sklearn_attnrnn import CharLanguageModel
        >>> lm = CharLanguageModel(hidden_size=8, solver="lbfgs", random_state=0)
        >>> lm.fit("hello").attention_weights(["hel", "h"]).shape
        (2, 3)
        """
        check_is_fitted(self)
        if not self.attention:
            raise ValueError(
                "This model was fitted with attention=False: it has no "
                "attention weights."
            )
        return self._forward_last(*self._contexts(X))[1]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        tags.input_tags.three_d_array = False
        tags.target_tags.required = False
        return tags


# The shared attributes without n_features_in_ / feature_names_in_: the model
# reads texts, which have no features (as scikit-learn's text vectorizers).
_ATTRIBUTES_DOC = SHARED_ATTRIBUTES_DOC
if "U_ :" in _ATTRIBUTES_DOC:
    _ATTRIBUTES_DOC = "U_ :" + _ATTRIBUTES_DOC.split("U_ :", 1)[1]

CharLanguageModel.__doc__ = f"""Character-level language model: an attention RNN.

    Learns to predict each next character of texts, as in the notes: the
    inputs are one-hot characters x_t, the target of step t is the next
    character y_t = x_{{t+1}}, the output at step t attends over h_1..h_t, and
    the loss is the cross-entropy summed over the steps (averaged per
    character for ``loss_``). It reuses the fit loop, solvers, early stopping,
    verbose output, warm start and ``partial_fit`` of the package's other
    estimators; in their parameters below, a *sample* is a training window.

    Long texts are trained by truncated backpropagation through time, as
    min-char-rnn does: each text is cut into consecutive windows of
    ``window`` input characters, each one a training sequence, so that memory
    and time per sequence stay bounded. Unlike min-char-rnn, the hidden state
    restarts at h_0 = 0 in every window instead of carrying the previous
    window's last state (the core starts every sequence at 0), and attention
    reaches only the steps of its own window: the model learns contexts of up
    to ``window`` characters. At prediction the context is therefore the last
    ``window`` characters of a prefix, as nanoGPT crops its context to its
    block size.

    Read more in the user guide: :ref:`language-model`.

    Parameters
    ----------
    hidden_size : int, default=32
        H, the number of hidden units of the recurrence.

    {SHARED_PARAMETERS_DOC}

    window : int or None, default=64
        Input characters per training window (truncated BPTT), and the
        longest context used at prediction. The last window of a text is
        shorter. None: every text is one sequence and the context is the whole
        prefix (attention memory then grows with the square of the longest
        text).

    start_marker : str or None, default=None
        A character put before every text (in fit, and before every prefix at
        prediction), so that the first character of a text is predicted too
        and ``sample("")`` can start a text. It must not occur in the texts
        or prefixes; ``predict`` and ``sample`` never emit it (unless it is
        also the ``end_marker``).

    end_marker : str or None, default=None
        A character put after every text, so that the model learns where texts
        end; :meth:`sample` stops when it draws it. It must not occur in the
        texts; it may equal ``start_marker`` (e.g. ``"\\n"`` for a word list).

    vocabulary : str, array-like of str or None, default=None
        The characters the model reads and predicts (the markers are added).
        None learns them from the texts given to ``fit`` (or to the first
        ``partial_fit``); give it to ``partial_fit`` a stream whose first
        texts do not show every character.

    Attributes
    ----------
    classes_ : ndarray of str of shape (n_classes,)
        The vocabulary, sorted: the order of the one-hot inputs and of the
        columns of :meth:`predict_proba`.

    vocabulary_ : dict of str to int
        Each character's index in ``classes_``.

    {_ATTRIBUTES_DOC}

    Notes
    -----
    ``loss_`` and ``loss_curve_`` are the mean cross-entropy per predicted
    character of the training windows (+ the L2 penalty divided by the number
    of characters); with ``early_stopping`` the validation score is the mean
    log-likelihood per character of the held-out windows, each character
    predicted from those before it in its window. :meth:`score` is the mean
    log-likelihood per character with contexts of up to ``window``
    characters, :meth:`perplexity` its ``exp(-score)``.

    scikit-learn's common checks (``check_estimator``) generate 2-D numeric
    data, which a text model cannot read; its tags say so
    (``input_tags.string=True``, ``two_d_array=False``) and scikit-learn
    then skips them. The package's tests check the same properties on texts.

    See Also
    --------
    AttentionRNNClassifier : The same network, one output per sequence.
    CharOneHotEncoder : One-hot characters for the sequence estimators.

    Examples
    --------
    >>> from sklearn_attnrnn import CharLanguageModel
    >>> lm = CharLanguageModel(hidden_size=8, solver="lbfgs", random_state=0)
    >>> lm.fit("hello").predict(["h", "he", "hel", "hell"])
    array(['e', 'l', 'l', 'o'], dtype='<U1')
    >>> lm.sample("h", 4, temperature=0.1, random_state=0)
    'ello'
    """
