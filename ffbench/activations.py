"""Activation functions: one registry, a forward and a backward kernel for each.

Every activation is one ``Activation`` entry in ``_REGISTRY``: its scalar forward ``f(z, p)`` and
derivative ``df(z, p)`` (both of the *pre-activation* ``z``, never of the output: GELU and SiLU are
not monotonic, so the output does not determine the derivative), its parameter, and its
recommended initialisation gain.  ``p`` is the activation's one scalar parameter (the LeakyReLU
slope, the ELU alpha, the softplus beta) and is ignored by the others.

Array kernels are generated from the scalar functions (see ``_kernels.specialise``): an elementwise
``prange`` loop over the flattened array, so any shape works, each element is written by exactly one
thread and results are bit-identical for any thread count.  Inputs keep their dtype: a float32 array
gives a float32 result.  (Scalar formulas are evaluated with float64 intermediates and rounded once
on store, so a float32 result is within one float32 ulp of the correctly rounded value.)

Speed: the transcendental functions come from ``ffbench.fastmath`` (branch-free, vectorisable,
float64 variants within 4 ulps of libm), never from ``math`` (a scalar libm call per element), and every
scalar function is compiled with ``forceinline`` and ``error_model="numpy"``, so LLVM inlines it into
the array loop and vectorises the loop (AVX-512: 8 doubles at a time).  Inputs are converted to float64
first (``float(z)``), which keeps the float32 accuracy stated above.

Conventions follow PyTorch: relu'(0) = 0, leaky_relu'(0) = slope, elu'(0) = alpha; NaN propagates
through the forward pass; softplus reverts to the identity above ``beta * z > 20``.

Adding an activation: write its two scalar functions, add one ``Activation`` entry, and add its
reference to ``tests/test_activations.py``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np
from numba import njit

from . import fastmath as fm
from ._checks import as_float_array, lookup, same_dtype, same_shape
from ._kernels import specialise

_SQRT_HALF = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_GELU_TANH_C = 0.044715
_SOFTPLUS_THRESHOLD = 20.0
# error_model="numpy": a float division never raises, so it compiles without the zero-divisor branch
# that would keep LLVM from vectorising the kernels (no division here can see a zero divisor).
_SCALAR = dict(cache=True, error_model="numpy", forceinline=True)


# --- scalar forward/derivative pairs ------------------------------------------------------------

@njit(**_SCALAR)
def _identity(z, p):
    return z


@njit(**_SCALAR)
def _identity_d(z, p):
    return 1.0


@njit(**_SCALAR)
def _sigmoid(z, p):
    r"""Logistic :math:`\sigma(z) = 1/(1+e^{-z})`: ``fastmath.sigmoid``, which never lets exp overflow."""
    return fm.sigmoid_f64(float(z))


@njit(**_SCALAR)
def _sigmoid_d(z, p):
    r""":math:`\sigma'(z) = \sigma(z)\sigma(-z) = e^{-|z|}/(1+e^{-|z|})^2 \le 1/4`, with no
    cancellation in ``1 - sigma`` at large ``|z|``."""
    e = fm.exp_f64(-abs(float(z)))
    return e / ((1.0 + e) * (1.0 + e))


@njit(**_SCALAR)
def _tanh(z, p):
    return fm.tanh_f64(float(z))


@njit(**_SCALAR)
def _tanh_d(z, p):
    r""":math:`1 - \tanh^2 z = 1/\cosh^2 z = 4e/(1+e)^2`, :math:`e = e^{-2|z|}`; keeps full relative
    accuracy where ``1 - t*t`` cancels (|z| > 3) and gives exactly 0 once e underflows."""
    e = fm.exp_f64(-2.0 * abs(float(z)))
    return 4.0 * e / ((1.0 + e) * (1.0 + e))


@njit(**_SCALAR)
def _relu(z, p):
    r""":math:`\max(z, 0)`; written as ``not z <= 0`` so that NaN propagates, as in PyTorch."""
    return 0.0 if z <= 0.0 else z


@njit(**_SCALAR)
def _relu_d(z, p):
    return 0.0 if z <= 0.0 else 1.0


@njit(**_SCALAR)
def _leaky_relu(z, p):
    r""":math:`z` for :math:`z > 0`, else :math:`p z` (``p`` = negative_slope)."""
    return z if z > 0.0 else p * z


@njit(**_SCALAR)
def _leaky_relu_d(z, p):
    return 1.0 if z > 0.0 else p


@njit(**_SCALAR)
def _elu(z, p):
    r""":math:`z` for :math:`z > 0`, else :math:`\alpha (e^z - 1)` (``p`` = alpha; expm1 keeps
    full relative accuracy near 0)."""
    return z if z > 0.0 else p * fm.expm1_f64(float(z))


@njit(**_SCALAR)
def _elu_d(z, p):
    return 1.0 if z > 0.0 else p * fm.exp_f64(float(z))


@njit(**_SCALAR)
def _gelu(z, p):
    r"""Exact GELU :math:`z\,\Phi(z) = \tfrac{z}{2}\,\mathrm{erfc}(-z/\sqrt2)` (Hendrycks & Gimpel 2016).

    The erfc form keeps full relative accuracy for negative ``z``, where ``1 + erf`` cancels."""
    return 0.5 * z * fm.erfc_f64(-z * _SQRT_HALF)


@njit(**_SCALAR)
def _gelu_d(z, p):
    r""":math:`\Phi(z) + z\,\varphi(z)`."""
    return 0.5 * fm.erfc_f64(-z * _SQRT_HALF) + z * _INV_SQRT_2PI * fm.exp_f64(-0.5 * z * z)


@njit(**_SCALAR)
def _gelu_tanh(z, p):
    r"""Tanh approximation :math:`\tfrac{z}{2}(1 + \tanh u)`, :math:`u = \sqrt{2/\pi}(z + 0.044715 z^3)`,
    PyTorch's ``gelu(approximate='tanh')``, evaluated as :math:`z\,\sigma(2u)` (the same
    function: :math:`1 + \tanh u = 2\sigma(2u)`) so that it keeps relative accuracy for negative z."""
    u = _SQRT_2_OVER_PI * (z + _GELU_TANH_C * z * z * z)
    return z * _sigmoid(2.0 * u, p)


@njit(**_SCALAR)
def _gelu_tanh_d(z, p):
    r""":math:`\sigma(2u) + 2 z \sigma'(2u)\, u'(z)`; the second term is exactly 0 once
    :math:`\sigma'(2u)` underflows (otherwise |z| > 1e102 would give 0 * inf = NaN)."""
    u = _SQRT_2_OVER_PI * (z + _GELU_TANH_C * z * z * z)
    ds = _sigmoid_d(2.0 * u, p)
    if ds == 0.0:
        return _sigmoid(2.0 * u, p)
    du = _SQRT_2_OVER_PI * (1.0 + 3.0 * _GELU_TANH_C * z * z)
    return _sigmoid(2.0 * u, p) + 2.0 * z * ds * du


@njit(**_SCALAR)
def _silu(z, p):
    r"""SiLU / swish :math:`z\,\sigma(z)` (Elfwing et al. 2018; Ramachandran et al. 2017)."""
    return z * _sigmoid(z, p)


@njit(**_SCALAR)
def _silu_d(z, p):
    r""":math:`\sigma(z) + z\,\sigma'(z)` (the same as PyTorch's :math:`\sigma(1 + z(1-\sigma))`
    without its cancellation in ``1 - sigma``)."""
    return _sigmoid(z, p) + z * _sigmoid_d(z, p)


@njit(**_SCALAR)
def _softplus(z, p):
    r""":math:`\tfrac1\beta\log(1+e^{\beta z})`, the identity where :math:`\beta z > 20`
    (``p`` = beta), as PyTorch."""
    bz = p * z
    s = fm.log1p_f64(fm.exp_f64(bz)) / p  # computed on both sides of the threshold: a select, not a branch
    return z if bz > _SOFTPLUS_THRESHOLD else s


@njit(**_SCALAR)
def _softplus_d(z, p):
    bz = p * z
    return 1.0 if bz > _SOFTPLUS_THRESHOLD else fm.sigmoid_f64(bz)


# --- array kernels, generated from the scalar pairs ---------------------------------------------

def _forward_template(z, out, p):
    """out[i] = f(z[i]) for 1-D contiguous ``z``, ``out`` of one float dtype."""
    for i in prange(z.size):  # noqa: F821 (bound by specialise)
        out[i] = _F(z[i], p)  # noqa: F821


def _backward_template(z, grad_out, out, p):
    """out[i] = grad_out[i] * f'(z[i])."""
    for i in prange(z.size):  # noqa: F821
        out[i] = grad_out[i] * _DF(z[i], p)  # noqa: F821


@dataclass(frozen=True)
class Activation:
    """One registry entry, and the object ``activation(name)`` returns.

    ``forward(z)`` and ``backward(z, grad_out)`` take float32/float64 arrays of any shape (1-D and
    2-D in practice) and return a new array of the same shape and dtype.  ``gain`` is the
    recommended initialisation gain (see ``_REGISTRY`` for where each value comes from).
    """

    name: str
    label: str                                    # human-readable, for figures ("LeakyReLU")
    f: object = field(repr=False)
    df: object = field(repr=False)
    gain_of: object = field(repr=False)           # param -> gain
    param: str | None = None                      # name of the scalar parameter, if any
    default: float = 0.0                          # its default value
    value: float = 0.0                            # the bound value (set by ``activation``)

    @property
    def gain(self) -> float:
        return float(self.gain_of(self.value))

    def forward(self, z: np.ndarray) -> np.ndarray:
        z = as_float_array(z, "z")
        out = np.empty_like(z)
        _kernels(self.name)[0](z.reshape(-1), out.reshape(-1), self.value)
        return out

    def backward(self, z: np.ndarray, grad_out: np.ndarray) -> np.ndarray:
        z = as_float_array(z, "z")
        grad_out = as_float_array(grad_out, "grad_out")
        same_shape(z, grad_out, "z", "grad_out")
        same_dtype(z, grad_out, "z", "grad_out")
        out = np.empty_like(z)
        _kernels(self.name)[1](z.reshape(-1), grad_out.reshape(-1), out.reshape(-1), self.value)
        return out

    def __call__(self, z):
        return self.forward(z)


def _quadrature_gain(name):
    r"""Gain :math:`1/\sqrt{E[f(z)^2]}`, :math:`z \sim N(0,1)`, by 80-point Gauss-Hermite quadrature.

    PyTorch's ``calculate_gain`` has no entry for GELU, SiLU, ELU or softplus; for those we use the
    gain that keeps the second moment of a unit-variance pre-activation, the criterion behind He et
    al.'s sqrt(2) for ReLU (which this formula reproduces exactly, as it does sqrt(2/(1+a^2)) for
    LeakyReLU)."""
    def gain(value):
        x, w = np.polynomial.hermite.hermgauss(80)
        fz = np.empty_like(x)
        _kernels(name)[0](np.sqrt(2.0) * x, fz, value)
        return 1.0 / math.sqrt(float(np.dot(w, fz * fz)) / math.sqrt(math.pi))
    return gain


_REGISTRY: dict[str, Activation] = {a.name: a for a in (
    # gains: torch.nn.init.calculate_gain where PyTorch defines one, else the second-moment gain
    Activation("identity", "identity", _identity, _identity_d, lambda p: 1.0),
    Activation("sigmoid", "sigmoid", _sigmoid, _sigmoid_d, lambda p: 1.0),
    Activation("tanh", "tanh", _tanh, _tanh_d, lambda p: 5.0 / 3.0),
    Activation("relu", "ReLU", _relu, _relu_d, lambda p: math.sqrt(2.0)),
    Activation("leaky_relu", "LeakyReLU", _leaky_relu, _leaky_relu_d, lambda p: math.sqrt(2.0 / (1.0 + p * p)),
               param="negative_slope", default=0.01),
    Activation("elu", "ELU", _elu, _elu_d, _quadrature_gain("elu"), param="alpha", default=1.0),
    Activation("gelu", "GELU", _gelu, _gelu_d, _quadrature_gain("gelu")),
    Activation("gelu_tanh", "GELU (tanh approx.)", _gelu_tanh, _gelu_tanh_d, _quadrature_gain("gelu_tanh")),
    Activation("silu", "SiLU", _silu, _silu_d, _quadrature_gain("silu")),
    Activation("softplus", "softplus", _softplus, _softplus_d, _quadrature_gain("softplus"),
               param="beta", default=1.0),
)}
ALIASES = {"swish": "silu", "linear": "identity"}

#: The activation names, in registry order (aliases: ``swish`` for silu, ``linear`` for identity).
ACTIVATIONS: tuple[str, ...] = tuple(_REGISTRY)

_COMPILED: dict[str, tuple] = {}


def _kernels(name: str):
    """(forward, backward) array kernels of activation ``name``, built on first use."""
    if name not in _COMPILED:
        a = _REGISTRY[name]
        _COMPILED[name] = (specialise(_forward_template, f"forward_{name}", _F=a.f),
                           specialise(_backward_template, f"backward_{name}", _DF=a.df))
    return _COMPILED[name]


def activation(name: str, **params) -> Activation:
    """The activation ``name`` with its parameter bound, e.g. ``activation("leaky_relu", negative_slope=0.2)``."""
    if isinstance(name, Activation):
        if not params:
            return name
        name = name.name
    name = ALIASES.get(name, name)
    entry = lookup(_REGISTRY, name, "activation")
    unknown = set(params) - ({entry.param} if entry.param else set())
    if unknown:
        allowed = entry.param or "none"
        raise ValueError(f"activation {name!r} has no parameter {sorted(unknown)[0]!r} "
                         f"(its parameters: {allowed})")
    value = float(params.get(entry.param, entry.default)) if entry.param else 0.0
    if entry.param and not math.isfinite(value):
        raise ValueError(f"{entry.param} must be finite, got {value}")
    if name == "softplus" and value <= 0:
        raise ValueError(f"softplus beta must be positive, got {value}")
    return replace(entry, value=value)
