"""Activation kernels: forward and backward per activation x dtype x size (elements)."""
import ffbench

from .common import DTYPES, normal


class Activations:
    params = (list(ffbench.ACTIVATIONS), list(DTYPES), [1024, 65536, 4 * 1024 * 1024])
    param_names = ("activation", "dtype", "size")

    def setup(self, name, dtype, size):
        self.act = ffbench.activation(name)
        self.z = normal(size, dtype, scale=3.0)
        self.g = normal(size, dtype, offset=1)
        self.act.forward(self.z)  # JIT warm-up, outside the timed region
        self.act.backward(self.z, self.g)

    def time_forward(self, name, dtype, size):
        self.act.forward(self.z)

    def time_backward(self, name, dtype, size):
        self.act.backward(self.z, self.g)
