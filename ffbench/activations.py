"""Activation functions: one registry entry per activation, which owns its kernels and its facts.

Every activation is one ``Activation`` entry in ``_REGISTRY``: its scalar forward ``f(z, p)`` and
derivative ``df(z, p)`` (both of the *pre-activation* ``z``, never of the output: GELU and SiLU are
not monotonic, so the output does not determine the derivative), a NumPy twin of the pair (written
independently of the kernels: the oracle of the property tests and the NumPy peer of the benchmark),
its named parameters with their defaults and checks, and its facts: a label for figures, the
recommended initialiser and gain, and whether it is positively homogeneous.  ``p`` is the tuple of
parameter values in the order the entry declares them (``()`` for none); ``activation(name, **params)``
looks an entry up once and returns it with the parameters bound, and everything else uses that object.

Array kernels are generated from the scalar functions on first use (see ``_kernels.specialise``), four
per activation: elementwise forward and backward (an elementwise ``prange`` loop over the flattened
array, so any shape works) and the two fused kernels of a linear layer (bias + activation, activation
gradient: rows in parallel).  Each element is written by exactly one thread, so results are
bit-identical for any thread count.  Inputs keep their dtype: a float32 array gives a float32 result.

float32 at float32 speed: every activation evaluates a float32 input in float32 arithmetic (16 lanes per
AVX-512 vector instead of 8): sigmoid, tanh, elu and softplus with fastmath's ``_f32`` functions, the GELUs and
SiLU with a float32 evaluation of their own (``ffbench.activations_f32``) that keeps the accuracy for which they
used float64 intermediates before: GELU's exponent -z^2/2 is split exactly (the tanh GELU's cubic is evaluated
in float64), so the left tail does not magnify its rounding ~z^2 times; z sigma(z) below -87 and z Phi(z) below
-13, where sigma or Phi is subnormal but the result is not, are scaled so that only the result is rounded into
the subnormals; each derivative near its zero (gelu' at -0.752, silu' at -1.278) is (z - z0) G(z - z0), relatively
accurate down to the zero.  Serial on the 2-core machine (AVX-512; 512 x 64 float32, fused bias + activation /
activation gradient, ns per element, float64 intermediates before -> float32 now): gelu 3.5 -> 0.66 / 4.7 -> 0.83,
gelu_tanh 1.54 -> 1.02 / 2.25 -> 1.50, silu 1.30 -> 0.42 / 1.45 -> 0.64 (tanh 0.51 / 0.45, sigmoid 0.42 / 0.42).
Elementwise on 4M elements, one thread: gelu 0.59 / 0.76, gelu_tanh 0.86 / 1.38, silu 0.36 / 0.55, PyTorch's
float32 kernels 0.51 / 0.83, 1.67 / 1.85, 0.41 / 0.51 (less accurate: its erf has only absolute accuracy in
GELU's left tail).  A float64 input takes the float64 code, bit for bit as before.  Each entry's
``float32_ulps`` states the error bound of its float32 kernels against 40-digit mpmath, which
``tests/test_float32_activations.py`` checks.

Speed: the transcendental functions come from ``ffbench.fastmath`` (branch-free, vectorisable,
float64 variants within 4 ulps of libm), never from ``math`` (a scalar libm call per element), and every
scalar function is compiled with ``forceinline`` and ``error_model="numpy"``, so LLVM inlines it into
the array loop and vectorises the loop (AVX-512: 8 doubles or 16 floats at a time).

Conventions follow PyTorch: relu'(0) = 0, leaky_relu'(0) = slope, elu'(0) = alpha; NaN propagates
through the forward pass; softplus reverts to the identity above ``beta * z > threshold`` (default 20).

Adding an activation (done for softsign from scratch, in exactly these places):

1. here: its scalar ``f(z, p)`` and ``df(z, p)`` under ``@njit(**_SCALAR)`` (of z, in z's dtype: constants via
   ``fm.like``, transcendental functions from ``ffbench.fastmath``), their NumPy twins ``_np_NAME(z, *p)`` and
   ``_np_NAME_d``, and one ``Activation`` entry in ``_REGISTRY`` with its label, recommended initialiser, its
   parameters and check if any, its gain rule (or None: ``second_moment_gain``) and ``float32_ulps``;
2. ``tests/references.py``: one line in ``TORCH`` and one in ``MPMATH``.

Then run ``tests/test_activations.py`` and ``tests/test_float32_activations.py``.  ``float32_ulps`` is the
measured worst float32 error plus a margin (the float32 test prints the worst point); if the derivative (or
forward) is far off, a float32 evaluation loses accuracy to cancellation or to a rounded argument magnified in a
tail: rewrite it without the cancellation, or evaluate it as ``ffbench.activations_f32`` does for the GELUs and
SiLU (the float32 section above), rather than raising the bound.  Every test, the benchmark's ffbench and NumPy
peers, ``ffbench.style`` (its next colour) and the studies pick the new entry up from there.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit, types
from numba.extending import overload
from scipy import special

from . import fastmath as fm
from .activations_f32 import (_GELU_TANH_C, _SQRT_2_OVER_PI, _gelu_d_f32, _gelu_f32, _gelu_tanh_d_f32,
                              _gelu_tanh_f32, _silu_d_f32, _silu_f32)
from ._activation import Activation, second_moment_gain  # noqa: F401  (second_moment_gain: re-exported)
from ._checks import lookup

_SQRT_HALF = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
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
    return fm.sigmoid(z)


@njit(**_SCALAR)
def _sigmoid_d(z, p):
    r""":math:`\sigma'(z) = \sigma(z)\sigma(-z) = e^{-|z|}/(1+e^{-|z|})^2 \le 1/4`, with no
    cancellation in ``1 - sigma`` at large ``|z|``."""
    e = fm.exp(-abs(z))
    one = fm.like(1.0, z)
    return e / ((one + e) * (one + e))


@njit(**_SCALAR)
def _tanh(z, p):
    return fm.tanh(z)


@njit(**_SCALAR)
def _tanh_d(z, p):
    r""":math:`1 - \tanh^2 z = 1/\cosh^2 z = 4e/(1+e)^2`, :math:`e = e^{-2|z|}`; keeps full relative
    accuracy where ``1 - t*t`` cancels (|z| > 3) and gives exactly 0 once e underflows."""
    a = abs(z)
    e = fm.exp(-(a + a))
    one = fm.like(1.0, z)
    return fm.like(4.0, z) * e / ((one + e) * (one + e))


@njit(**_SCALAR)
def _relu(z, p):
    r""":math:`\max(z, 0)`; written as ``not z <= 0`` so that NaN propagates, as in PyTorch."""
    return 0.0 if z <= 0.0 else z


@njit(**_SCALAR)
def _relu_d(z, p):
    return fm.like(0.0, z) if z <= 0.0 else fm.like(1.0, z)


@njit(**_SCALAR)
def _leaky_relu(z, p):
    r""":math:`z` for :math:`z > 0`, else :math:`a z` (``p = (a,)``, the negative slope)."""
    return z if z > 0.0 else p[0] * z


@njit(**_SCALAR)
def _leaky_relu_d(z, p):
    return 1.0 if z > 0.0 else p[0]


@njit(**_SCALAR)
def _elu(z, p):
    r""":math:`z` for :math:`z > 0`, else :math:`\alpha (e^z - 1)` (``p = (alpha,)``; expm1 keeps
    full relative accuracy near 0)."""
    return z if z > 0.0 else fm.like(p[0], z) * fm.expm1(z)


@njit(**_SCALAR)
def _elu_d(z, p):
    return fm.like(1.0, z) if z > 0.0 else fm.like(p[0], z) * fm.exp(z)


@njit(**_SCALAR)
def _gelu_f64(z, p):
    r"""Exact GELU :math:`z\,\Phi(z) = \tfrac{z}{2}\,\mathrm{erfc}(-z/\sqrt2)` (Hendrycks & Gimpel 2016).

    The erfc form keeps full relative accuracy for negative ``z``, where ``1 + erf`` cancels."""
    return 0.5 * z * fm.erfc_f64(-z * _SQRT_HALF)


@njit(**_SCALAR)
def _gelu_d_f64(z, p):
    r""":math:`\Phi(z) + z\,\varphi(z)`."""
    return 0.5 * fm.erfc_f64(-z * _SQRT_HALF) + z * _INV_SQRT_2PI * fm.exp_f64(-0.5 * z * z)


@njit(**_SCALAR)
def _gelu_tanh_f64(z, p):
    r"""Tanh approximation :math:`\tfrac{z}{2}(1 + \tanh u)`, :math:`u = \sqrt{2/\pi}(z + 0.044715 z^3)`,
    PyTorch's ``gelu(approximate='tanh')``, evaluated as :math:`z\,\sigma(2u)` (the same
    function: :math:`1 + \tanh u = 2\sigma(2u)`) so that it keeps relative accuracy for negative z."""
    u = _SQRT_2_OVER_PI * (z + _GELU_TANH_C * z * z * z)
    return z * _sigmoid(2.0 * u, p)


@njit(**_SCALAR)
def _gelu_tanh_d_f64(z, p):
    r""":math:`\sigma(2u) + 2 z \sigma'(2u)\, u'(z)`; the second term is exactly 0 once
    :math:`\sigma'(2u)` underflows (otherwise |z| > 1e102 would give 0 * inf = NaN)."""
    u = _SQRT_2_OVER_PI * (z + _GELU_TANH_C * z * z * z)
    ds = _sigmoid_d(2.0 * u, p)
    if ds == 0.0:
        return _sigmoid(2.0 * u, p)
    du = _SQRT_2_OVER_PI * (1.0 + 3.0 * _GELU_TANH_C * z * z)
    return _sigmoid(2.0 * u, p) + 2.0 * z * ds * du


@njit(**_SCALAR)
def _silu_f64(z, p):
    r"""SiLU / swish :math:`z\,\sigma(z)` (Elfwing et al. 2018; Ramachandran et al. 2017), in float64."""
    x = np.float64(z)
    return x * _sigmoid(x, p)


@njit(**_SCALAR)
def _silu_d_f64(z, p):
    r""":math:`\sigma(z) + z\,\sigma'(z)` (the same as PyTorch's :math:`\sigma(1 + z(1-\sigma))`
    without its cancellation in ``1 - sigma``), in float64."""
    x = np.float64(z)
    return _sigmoid(x, p) + x * _sigmoid_d(x, p)


def _by_dtype(f32, f64, name, doc):
    """The scalar ``(z, p)`` function ``name``: ``f32(z)`` for a float32 z, ``f64(z, p)`` otherwise, chosen at
    compile time inside ``@njit`` code (also callable from Python)."""
    def scalar(z, p):
        return f32(z) if isinstance(z, np.float32) else f64(z, p)

    @overload(scalar, inline="always")
    def _dispatch(z, p):
        if z == types.float32:
            return lambda z, p: f32(z)
        return lambda z, p: f64(z, p)
    scalar.__name__ = scalar.__qualname__ = name
    scalar.__doc__ = doc
    return scalar


_gelu = _by_dtype(_gelu_f32, _gelu_f64, "_gelu", r"Exact GELU :math:`z\,\Phi(z)` (Hendrycks & Gimpel 2016).")
_gelu_d = _by_dtype(_gelu_d_f32, _gelu_d_f64, "_gelu_d", r":math:`\Phi(z) + z\,\varphi(z)`.")
_gelu_tanh = _by_dtype(_gelu_tanh_f32, _gelu_tanh_f64, "_gelu_tanh",
                       r"PyTorch's ``gelu(approximate='tanh')``, :math:`z\,\sigma(2u)`.")
_gelu_tanh_d = _by_dtype(_gelu_tanh_d_f32, _gelu_tanh_d_f64, "_gelu_tanh_d", "The tanh GELU's derivative.")
_silu = _by_dtype(_silu_f32, _silu_f64, "_silu", r"SiLU / swish :math:`z\,\sigma(z)`.")
_silu_d = _by_dtype(_silu_d_f32, _silu_d_f64, "_silu_d", r":math:`\sigma(z) + z\,\sigma'(z)`.")


@njit(**_SCALAR)
def _softsign(z, p):
    r"""Softsign :math:`z / (1 + |z|)` (Bergstra et al. 2009; Glorot & Bengio 2010): tanh's shape with
    polynomial tails, so it saturates more slowly.  One rounding of ``1 + |z|`` and one of the quotient."""
    return z / (fm.like(1.0, z) + abs(z))


@njit(**_SCALAR)
def _softsign_d(z, p):
    r""":math:`1 / (1 + |z|)^2`, from z and never as ``(1 - |f|)^2``, which cancels where f nears +-1."""
    d = fm.like(1.0, z) + abs(z)
    return fm.like(1.0, z) / (d * d)


@njit(**_SCALAR)
def _softplus(z, p):
    r""":math:`\tfrac1\beta\log(1+e^{\beta z})`, the identity where :math:`\beta z` exceeds the threshold
    (``p = (beta, threshold)``), as PyTorch."""
    beta = fm.like(p[0], z)
    bz = beta * z
    s = fm.log1p(fm.exp(bz)) / beta  # computed on both sides of the threshold: a select, not a branch
    return z if bz > p[1] else s


@njit(**_SCALAR)
def _softplus_d(z, p):
    bz = fm.like(p[0], z) * z
    return fm.like(1.0, z) if bz > p[1] else fm.sigmoid(bz)  # 1.0 would make a float32 gradient float64


# --- NumPy twins of the scalar pairs: f(z, *p) and f'(z, *p) on arrays, keeping z's dtype -----------
# Independent evaluations (scipy's erfcx, ndtr and expit, logaddexp, 1/cosh^2), accurate in both tails; the
# GELUs share only the rounded argument of erfc and expit with the kernels (the rounding of z/sqrt2 or of u
# would otherwise be magnified ~z^2 times in the left tail).  The float64 oracle of the property and theory
# tests (tests/references.py states their accuracy), and the NumPy peer that ffbench.bench times.
# Python-float constants keep a float32 input in float32 (NumPy >= 2).

def _np_sigmoid_d(z):
    return special.expit(z) * special.expit(-z)


def _np_tanh_d(z):
    return np.cosh(z) ** -2.0


def _np_relu(z):
    return np.maximum(z, 0.0)


def _np_relu_d(z):
    return (z > 0.0).astype(z.dtype)


def _np_leaky_relu(z, negative_slope):
    return np.where(z > 0.0, z, negative_slope * z)


def _np_leaky_relu_d(z, negative_slope):
    return np.where(z > 0.0, 1.0, negative_slope).astype(z.dtype)


def _np_elu(z, alpha):
    return np.where(z > 0.0, z, alpha * np.expm1(np.minimum(z, 0.0)))


def _np_elu_d(z, alpha):
    return np.where(z > 0.0, 1.0, alpha * np.exp(np.minimum(z, 0.0)))


def _np_erfc(x):
    """erfc keeping its relative accuracy in the right tail, where scipy's erfc loses up to ~260 ulps:
    erfcx(x) exp(-x^2) with x^2 split exactly as hi^2 + (x - hi)(x + hi), hi = x to 24 bits (x capped at
    40, where erfc has long underflowed, so that hi stays finite)."""
    x_tail = np.minimum(x, 40.0)
    hi = x_tail.astype(np.float32).astype(x.dtype)
    with np.errstate(under="ignore"):
        tail = special.erfcx(x_tail) * np.exp(-hi * hi) * np.exp(-(x_tail - hi) * (x_tail + hi))
    return np.where(x > 1.0, tail, special.erfc(x))


def _np_gelu(z):
    return 0.5 * z * _np_erfc(-z * _SQRT_HALF)


def _np_gelu_d(z):
    return special.ndtr(z) + z * _INV_SQRT_2PI * np.exp(-0.5 * z * z)


def _np_gelu_tanh(z):
    return z * special.expit(2.0 * _SQRT_2_OVER_PI * (z + _GELU_TANH_C * z * z * z))


def _np_gelu_tanh_d(z):
    u = _SQRT_2_OVER_PI * (z + _GELU_TANH_C * z * z * z)
    s, ds = special.expit(2.0 * u), special.expit(2.0 * u) * special.expit(-2.0 * u)
    with np.errstate(invalid="ignore"):  # 0 * inf where sigma'(2u) underflows: that term is 0 (see _gelu_tanh_d)
        return np.where(ds == 0.0, s, s + 2.0 * z * ds * _SQRT_2_OVER_PI * (1.0 + 3.0 * _GELU_TANH_C * z * z))


def _np_silu(z):
    return z * special.expit(z)


def _np_silu_d(z):
    return special.expit(z) * (1.0 + z * special.expit(-z))


def _np_softsign(z):
    return z / (1.0 + np.abs(z))


def _np_softsign_d(z):
    return np.reciprocal(np.square(1.0 + np.abs(z)))


def _np_softplus(z, beta, threshold):
    return np.where(beta * z > threshold, z, np.logaddexp(0.0, beta * z) / beta)


def _np_softplus_d(z, beta, threshold):
    return np.where(beta * z > threshold, 1.0, special.expit(beta * z))


def _check_softplus(beta, threshold):
    if not beta > 0:
        raise ValueError(f"softplus beta must be positive, got {beta}")


# Gains: torch.nn.init.calculate_gain where PyTorch defines one, else second_moment_gain (gain_rule None).
# Initialisers: Glorot for the saturating ones and the identity, He for the rectifiers and their smooth kin.
# float32_ulps (forward, derivative): the error bound of the float32 kernels in float32 ulps of the exact value
# (default parameters, normal-range results): fastmath's ``_f32`` bound plus half an ulp per later rounding.
# Measured maxima over ~2,800 points from 0.05 to 40 in scale (tests/test_float32_activations.py): sigmoid 1.65 /
# 3.24, tanh 1.45 / 3.03, elu 0.80 / 0.82, softplus 1.28 / 1.65; softsign over 10M points from 0.01 to 1000 in
# scale, 1.50 (z = 1023.2) / 3.46 (z = -7.016: 1 + |z| is rounded, then squared); for the GELUs and SiLU
# (float32 section above) over every float32 in [-110, 110] and every 997th beyond, against the float64 kernels
# (worst points checked against mpmath), on the AVX-512 machine: gelu 6.73 (z = -6.0791) / 4.99
# (z = -1.2427), gelu_tanh 3.46 (-2.9779) / 5.62 (-2.2319), silu 3.39 (-3.2113) / 5.73 (-6.5667); their bounds
# and softsign's are those maxima plus 0.1, rounded up to a quarter ulp.
_REGISTRY: dict[str, Activation] = {a.name: a for a in (
    Activation("identity", "identity", _identity, _identity_d, (np.copy, np.ones_like), "xavier_normal",
               gain_rule=lambda: 1.0, slopes_rule=lambda: (1.0, 1.0), float32_ulps=(0.0, 0.0)),
    Activation("sigmoid", "sigmoid", _sigmoid, _sigmoid_d, (special.expit, _np_sigmoid_d), "xavier_normal",
               gain_rule=lambda: 1.0, float32_ulps=(2.5, 4.0)),
    Activation("tanh", "tanh", _tanh, _tanh_d, (np.tanh, _np_tanh_d), "xavier_normal", gain_rule=lambda: 5.0 / 3.0,
               float32_ulps=(2.0, 4.0)),
    Activation("relu", "ReLU", _relu, _relu_d, (_np_relu, _np_relu_d), "he_normal",
               gain_rule=lambda: math.sqrt(2.0), slopes_rule=lambda: (1.0, 0.0), float32_ulps=(0.0, 0.0)),
    Activation("leaky_relu", "LeakyReLU", _leaky_relu, _leaky_relu_d, (_np_leaky_relu, _np_leaky_relu_d), "he_normal",
               (("negative_slope", 0.01),), gain_rule=lambda negative_slope: math.sqrt(2.0 / (1.0 + negative_slope
                                                                                             * negative_slope)),
               slopes_rule=lambda negative_slope: (1.0, negative_slope), float32_ulps=(0.5, 0.5)),
    Activation("elu", "ELU", _elu, _elu_d, (_np_elu, _np_elu_d), "he_normal", (("alpha", 1.0),),
               float32_ulps=(2.5, 2.0)),
    Activation("gelu", "GELU", _gelu, _gelu_d, (_np_gelu, _np_gelu_d), "he_normal", float32_ulps=(7.0, 5.25)),
    Activation("gelu_tanh", "GELU (tanh approx.)", _gelu_tanh, _gelu_tanh_d, (_np_gelu_tanh, _np_gelu_tanh_d),
               "he_normal", float32_ulps=(3.75, 5.75)),
    Activation("silu", "SiLU", _silu, _silu_d, (_np_silu, _np_silu_d), "he_normal", float32_ulps=(3.5, 6.0)),
    Activation("softplus", "softplus", _softplus, _softplus_d, (_np_softplus, _np_softplus_d), "he_normal",
               (("beta", 1.0), ("threshold", 20.0)), check=_check_softplus, float32_ulps=(3.0, 2.5)),
    Activation("softsign", "softsign", _softsign, _softsign_d, (_np_softsign, _np_softsign_d), "xavier_normal",
               float32_ulps=(1.75, 3.75)),
)}
#: Other names of the activations (``activation`` accepts them).
ALIASES = {"swish": "silu", "linear": "identity"}

#: The activation names, in registry order (aliases: ``swish`` for silu, ``linear`` for identity).
ACTIVATIONS: tuple[str, ...] = tuple(_REGISTRY)


def activation(name: str | Activation, **params) -> Activation:
    """The activation ``name`` with its parameters bound, e.g. ``activation("leaky_relu", negative_slope=0.2)``.

    ``name`` may be an ``Activation``: returned as it is without ``params``, else rebound (parameters not
    given keep its values).  Parameters not given take their defaults; each must be a finite number that
    passes the entry's own check."""
    if isinstance(name, Activation):
        if not params:
            return name
        return lookup(_REGISTRY, name.name, "activation").bind(**{**name.params, **params})
    return lookup(_REGISTRY, ALIASES.get(name, name), "activation").bind(**params)
