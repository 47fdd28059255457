"""sklearn-attnrnn: a scikit-learn estimator for sequences.

A NumPy attention RNN (an Elman RNN whose output reads a causal dot-product
attention over its hidden states), trained by exact backpropagation through
time, behind the scikit-learn estimator API.
"""

__version__ = "0.3.0"

from ._classifier import AttentionRNNClassifier  # noqa: E402
from ._language_model import CharLanguageModel  # noqa: E402
from ._preprocessing import SequenceStandardScaler  # noqa: E402
from ._regressor import AttentionRNNRegressor  # noqa: E402
from ._text import CharOneHotEncoder  # noqa: E402

__all__ = [
    "AttentionRNNClassifier",
    "AttentionRNNRegressor",
    "CharLanguageModel",
    "CharOneHotEncoder",
    "SequenceStandardScaler",
    "__version__",
]
