"""The estimators' batch step as it was before dropout, for comparisons."""

from sklearn_attnrnn import _network


def batch_loss_and_grads_without_masks(
    self, values, lengths, targets, weights, total, params, workspace, core_kwargs
):
    """``BaseAttentionRNN._batch_loss_and_grads`` with no dropout masks at all.

    A subclass that sets ``_batch_loss_and_grads`` to this fits as the
    package did before it had dropout: tests compare a fit at rate 0 with it.
    """
    X = values[:, : int(lengths.max())].transpose(1, 0, 2)
    Y = targets if self._output == "last" else self._time_major_targets(targets, X)
    return _network.loss_and_grads(
        params,
        X,
        lengths,
        Y,
        weights / total,
        loss=self._loss,
        l2=self.alpha / total,
        workspace=workspace,
        **core_kwargs,
    )
