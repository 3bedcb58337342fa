"""The ``Activation`` type: one registry entry of ``ffbench.activations``, its kernels and its facts.

The four array kernels of an activation are generated from its two scalar functions on first use (see
``_kernels.specialise``): elementwise forward and backward (a ``prange`` loop over the flattened array, so any
shape works) and the two fused kernels of a linear layer (bias + activation, activation gradient: rows in
parallel).  Each element is written by exactly one thread, so results are bit-identical for any thread count.

Why the backward pass computes f'(z) from the saved pre-activation z and not from the saved output y = f(z), as
PyTorch and JAX do for tanh (1 - y^2) and sigmoid (y (1 - y)): y holds f(z) only to an absolute ulp of 1, so any
function of y loses the relative accuracy of a small derivative, exactly where saturation makes it small. Measured
in float32 on a grid of z against float64 (``ffbench.activation(name)``'s forward, then the formula in float32):
tanh' from y is off by 1.2e-5 (relative) at 1 <= |z| < 3, 3.6e-4 at 3-5, 1.8e-2 at 5-7, up to 170% at 7-9 and is
exactly 0 beyond |z| = 9, a 100% error (tanh' ~ 6e-8 there is a normal float32); sigmoid' from y by 9.5e-3 at 9-12.
From z both stay within 4 ulps everywhere (``float32_ulps``). The saving would be small: from y the float32 gradient
kernel costs 0.12 ns per element on one core against 0.54 (tanh) and 0.52 (sigmoid) from z, 2-4% of the 512 x 256 x
8 tanh training step of the bench. relu' already reads only the sign of the saved z (0.13 ns per element, the same
as the sign of y). Saving f'(z) during the forward pass instead (the same bits) pays only where f and f' share a
transcendental (sigmoid, SiLU, GELU: ~0.4 ns per element, ~2% of such a step) and costs an array per layer.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Callable, NamedTuple

import numpy as np

from . import quadrature
from ._checks import as_float_array, same_dtype, same_shape
from ._kernels import specialise


# --- array kernels, generated from the scalar pairs ---------------------------------------------

def _forward_template(z, out, p):
    """out[i] = f(z[i]) for 1-D contiguous ``z``, ``out`` of one float dtype."""
    for i in prange(z.size):  # noqa: F821 (bound by specialise)
        out[i] = _F(z[i], p)  # noqa: F821


def _backward_template(z, grad_out, out, p):
    """out[i] = grad_out[i] * f'(z[i])."""
    for i in prange(z.size):  # noqa: F821
        out[i] = grad_out[i] * _DF(z[i], p)  # noqa: F821


def _bias_act_template(z, b, a, p):
    """z[i, j] += b[j]; a[i, j] = f(z[i, j]) (in place on z, rows in parallel)."""
    n, m = z.shape
    for i in prange(n):  # noqa: F821
        for j in range(m):
            v = z[i, j] + b[j]
            z[i, j] = v
            a[i, j] = _F(v, p)  # noqa: F821


def _act_grad_template(z, da, dz, p):
    """dz[i, j] = da[i, j] * f'(z[i, j]) (rows in parallel)."""
    n, m = z.shape
    for i in prange(n):  # noqa: F821
        for j in range(m):
            dz[i, j] = da[i, j] * _DF(z[i, j], p)  # noqa: F821


class Kernels(NamedTuple):
    """The array kernels of one activation; each takes the parameter tuple ``p`` as its last argument."""

    forward: Callable        # (z, out, p): 1-D, out = f(z)
    backward: Callable       # (z, grad_out, out, p): 1-D, out = grad_out * f'(z)
    bias_forward: Callable   # (z, b, a, p): 2-D (batch, n) and b (n,); z += b in place, a = f(z)
    gradient: Callable       # (z, da, dz, p): 2-D, dz = da * f'(z)


# Where a 2-thread team starts to pay for an activation's kernels (measured on the 2-core machine, serial vs
# parallel forward/backward side by side): relu's few instructions per element are memory-bound, so only from
# ~2**17 elements; tanh and its derivative (tens of flops per element) from ~2**15.  The piecewise-linear
# activations (``homogeneous``: relu, leaky relu) share relu's cost and the others (sigmoid, gelu, silu, elu,
# softplus ...) at least tanh's; the fused bias and gradient kernels do the same work per element.
_PIECEWISE_LINEAR_PARALLEL_MIN, _TRANSCENDENTAL_PARALLEL_MIN = 1 << 15, 1 << 13

_COMPILED: dict[str, Kernels] = {}  # name -> kernels, shared by every binding of the parameters


@dataclass(frozen=True)
class Activation:
    """One registry entry, and the object ``activation(name, **params)`` returns (with ``values`` bound).

    ``forward(z)`` and ``backward(z, grad_out)`` take float32/float64 arrays of any shape (1-D and
    2-D in practice) and return a new array of the same shape and dtype; ``fused_forward`` and
    ``fused_gradient`` are the unchecked in-place kernels of a linear layer.  Facts: ``label`` (for
    figures), ``init`` (the recommended ``ffbench.init`` initialiser), ``gain`` (the recommended
    initialisation gain), ``homogeneous``, ``slopes`` and ``float32_ulps`` (the stated accuracy of its float32
    kernels).
    """

    name: str
    label: str                                    # human-readable, for figures ("LeakyReLU")
    f: Callable = field(repr=False)               # scalar f(z, p), compiled
    df: Callable = field(repr=False)              # scalar f'(z, p), compiled
    numpy: tuple = field(repr=False)              # NumPy twins (f, f') of (z, *p)
    init: str                                     # recommended initialiser
    defaults: tuple[tuple[str, float], ...] = ()  # (parameter, default value), in the order of p
    values: tuple[float, ...] | None = None       # the bound values, p (None: the defaults)
    gain_rule: Callable | None = field(default=None, repr=False)    # (**params) -> gain; None: second_moment_gain
    slopes_rule: Callable | None = field(default=None, repr=False)  # (**params) -> (slope z > 0, slope z < 0)
    check: Callable | None = field(default=None, repr=False)        # (**params) -> None, or a ValueError
    # Error bound (forward, derivative) of the float32 kernels in float32 ulps of the exact value (default
    # parameters, normal-range results), checked against mpmath by tests/test_float32_activations.py; None: not
    # yet measured (that test then fails, saying how to measure and state it).
    float32_ulps: tuple[float, float] | None = None

    def __post_init__(self):
        if self.values is None:
            object.__setattr__(self, "values", tuple(value for _, value in self.defaults))

    @property
    def params(self) -> dict[str, float]:
        """The bound parameters by name, e.g. ``{"beta": 1.0, "threshold": 20.0}``."""
        return {name: value for (name, _), value in zip(self.defaults, self.values)}

    @property
    def gain(self) -> float:
        """The recommended initialisation gain: ``torch.nn.init.calculate_gain``'s where PyTorch defines
        one, else ``second_moment_gain``."""
        return float(self.gain_rule(**self.params)) if self.gain_rule else second_moment_gain(self)

    @property
    def homogeneous(self) -> bool:
        r"""Positively homogeneous, :math:`f(az) = a f(z)` for :math:`a > 0`: then the mean-field maps of
        ``ffbench.theory`` are linear in q and chi does not depend on q."""
        return self.slopes_rule is not None

    @property
    def slopes(self) -> tuple[float, float] | None:
        """``(c+, c-)`` with f(z) = c+ z for z > 0 and c- z for z < 0 when ``homogeneous``, else None."""
        return self.slopes_rule(**self.params) if self.slopes_rule else None

    @property
    def kernels(self) -> Kernels:
        """The four array kernels, generated from ``f`` and ``df`` on first use."""
        if self.name not in _COMPILED:
            n = self.name
            size = _PIECEWISE_LINEAR_PARALLEL_MIN if self.homogeneous else _TRANSCENDENTAL_PARALLEL_MIN
            _COMPILED[n] = Kernels(specialise(_forward_template, f"forward_{n}", min_size=size, _F=self.f),
                                   specialise(_backward_template, f"backward_{n}", min_size=size, _DF=self.df),
                                   specialise(_bias_act_template, f"bias_act_{n}", min_size=size, _F=self.f),
                                   specialise(_act_grad_template, f"act_grad_{n}", min_size=size, _DF=self.df))
        return _COMPILED[self.name]

    def forward(self, z: np.ndarray) -> np.ndarray:
        z = as_float_array(z, "z")
        out = np.empty_like(z)
        self.kernels.forward(z.reshape(-1), out.reshape(-1), self.values)
        return out

    def backward(self, z: np.ndarray, grad_out: np.ndarray) -> np.ndarray:
        z = as_float_array(z, "z")
        grad_out = as_float_array(grad_out, "grad_out")
        same_shape(z, grad_out, "z", "grad_out")
        same_dtype(z, grad_out, "z", "grad_out")
        out = np.empty_like(z)
        self.kernels.backward(z.reshape(-1), grad_out.reshape(-1), out.reshape(-1), self.values)
        return out

    def __call__(self, z):
        return self.forward(z)

    def fused_forward(self, z: np.ndarray, b: np.ndarray, a: np.ndarray) -> None:
        """``z += b``, ``a = f(z)``: z, a (batch, n) C-contiguous and b (n,), one float dtype; no checks."""
        self.kernels.bias_forward(z, b, a, self.values)

    def fused_gradient(self, z: np.ndarray, da: np.ndarray, dz: np.ndarray) -> None:
        """``dz = da * f'(z)``: 2-D C-contiguous arrays of one shape and float dtype; no checks."""
        self.kernels.gradient(z, da, dz, self.values)

    def numpy_forward(self, z: np.ndarray) -> np.ndarray:
        """f(z) by the NumPy twin (z's dtype)."""
        return self.numpy[0](z, *self.values)

    def numpy_derivative(self, z: np.ndarray) -> np.ndarray:
        """f'(z) by the NumPy twin (z's dtype)."""
        return self.numpy[1](z, *self.values)

    def bind(self, **params) -> Activation:
        """This activation with ``params`` bound (the others keep their values); every value is checked."""
        names = [name for name, _ in self.defaults]
        unknown = set(params) - set(names)
        if unknown:
            raise ValueError(f"activation {self.name!r} has no parameter {sorted(unknown)[0]!r} "
                             f"(its parameters: {', '.join(names) or 'none'})")
        values = {**self.params, **{key: float(value) for key, value in params.items()}}
        for key, value in values.items():
            if not math.isfinite(value):
                raise ValueError(f"{key} must be finite, got {value}")
        if self.check:
            self.check(**values)
        return replace(self, values=tuple(values[name] for name in names))

    def __str__(self):
        """``leaky_relu(negative_slope=0.01)``: the name and the bound parameters."""
        params = ", ".join(f"{key}={value:g}" for key, value in self.params.items())
        return f"{self.name}({params})" if params else self.name


def second_moment_gain(act: Activation) -> float:
    r"""Gain :math:`1/\sqrt{E[f(z)^2]}`, :math:`z \sim N(0,1)`, by ``ffbench.quadrature``.

    PyTorch's ``calculate_gain`` has no entry for GELU, SiLU, ELU or softplus; for those we use the
    gain that keeps the second moment of a unit-variance pre-activation, the criterion behind He et
    al.'s sqrt(2) for ReLU (which this formula reproduces, as it does sqrt(2/(1+a^2)) for LeakyReLU)."""
    return 1.0 / math.sqrt(quadrature.mean_square(act.forward, 1.0))
