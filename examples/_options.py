"""The command-line options of the RNN that the real-data examples share."""

# Option name -> (the estimator's parameter, type or choices).
RNN_OPTIONS = {
    "--hidden-size": ("hidden_size", int),
    "--attention-scores": ("attention_scores", ["scaled", "dot"]),
    "--learning-rate": ("learning_rate", float),
    "--alpha": ("alpha", float),
    "--max-iter": ("max_iter", int),
    "--dropout": ("dropout", float),
    "--recurrent-dropout": ("recurrent_dropout", float),
}


def add_rnn_options(parser):
    """Add one option per entry of :data:`RNN_OPTIONS` to an argparse parser.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The example's parser.
    """
    for option, (name, kind) in RNN_OPTIONS.items():
        if isinstance(kind, list):
            parser.add_argument(option, dest=name, choices=kind)
        else:
            parser.add_argument(option, dest=name, type=kind)


def rnn_options(args):
    """The RNN parameters given on the command line (left out: not set).

    Parameters
    ----------
    args : argparse.Namespace
        Parsed by a parser that :func:`add_rnn_options` filled.

    Returns
    -------
    params : dict of str to object
        Parameter name -> value, for the options that were given.

    Examples
    --------
    >>> import argparse
    >>> parser = argparse.ArgumentParser()
    >>> add_rnn_options(parser)
    >>> rnn_options(parser.parse_args(["--hidden-size", "64", "--alpha", "1"]))
    {'hidden_size': 64, 'alpha': 1.0}
    """
    given = {name: getattr(args, name) for name, _ in RNN_OPTIONS.values()}
    return {name: value for name, value in given.items() if value is not None}
