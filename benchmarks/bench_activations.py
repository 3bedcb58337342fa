"""Activation kernels, forward and backward: one size per regime, not every activation x dtype x size.

``Activations`` times every activation at 4M float32 elements, where a kernel is bound by memory bandwidth
and a regression in any one kernel shows.  ``ActivationRegimes`` times one activation (tanh, a transcendental)
in the other two regimes: 1024 float32 elements (call overhead dominates) and 4M float64 elements (double the
traffic, half the SIMD width).  Each parameter combination is a process of its own (an import of Numba and
ffbench, about 2 CPU seconds), so the grid stays small; ``python -m ffbench.bench`` measures the full grid."""
import ffbench

from .common import normal

BANDWIDTH_ELEMENTS = 4 * 1024 * 1024


class Activations:
    params = (list(ffbench.ACTIVATIONS), ["float32"], [BANDWIDTH_ELEMENTS])
    param_names = ("activation", "dtype", "size")

    def setup(self, *params):
        self.act, self.z, self.g = _warm_kernel(*self._case(*params))

    def _case(self, name, dtype, size):
        return name, dtype, size

    def time_forward(self, *params):
        self.act.forward(self.z)

    def time_backward(self, *params):
        self.act.backward(self.z, self.g)


REGIMES = {"float32 1024": ("tanh", "float32", 1024), "float64 4M": ("tanh", "float64", BANDWIDTH_ELEMENTS)}


class ActivationRegimes(Activations):
    params = (list(REGIMES),)
    param_names = ("regime",)

    def _case(self, regime):
        return REGIMES[regime]


def _warm_kernel(name, dtype, size):
    """The activation ``name`` and its inputs z, g (``size`` elements of ``dtype``), the JIT warmed up."""
    act = ffbench.activation(name)
    z = normal(size, dtype, scale=3.0)
    g = normal(size, dtype, offset=1)
    act.forward(z)  # JIT warm-up, outside the timed region
    act.backward(z, g)
    return act, z, g
