"""ffbench: a Numba-JIT research benchmark suite for feed-forward neural networks."""
from . import threads
from .activations import ACTIVATIONS, Activation, activation
from . import init, linear, losses
from .model import MLP
from . import data, optim
from .train import History, accuracy, evaluate, train
from .lr_find import lr_find

# After the imports above, so that the BLAS libraries they load (SciPy's too) are limited: see ffbench.threads.
threads.limit_blas()

__version__ = "0.1.0"

__all__ = ["ACTIVATIONS", "Activation", "MLP", "activation", "init", "linear", "losses", "data", "optim", "train", "evaluate", "accuracy", "History", "lr_find", "__version__"]
