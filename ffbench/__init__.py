"""ffbench: a Numba-JIT research benchmark suite for feed-forward neural networks."""
from .activations import ACTIVATIONS, Activation, activation
from . import init, linear, losses

__version__ = "0.1.0"

__all__ = ["ACTIVATIONS", "Activation", "activation", "init", "linear", "losses", "__version__"]
