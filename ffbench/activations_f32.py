"""float32 evaluations of the GELUs and SiLU: the float32 halves of their ``activations`` registry entries.

A float32 evaluation of z Phi(z), z sigma(y(z)) and their derivatives (float64 arguments never come here) that
keeps relative accuracy where a naive one loses it:

* the exponent (-z^2/2 for GELU, y = 2u for the tanh GELU) enters exp without rounding error: GELU splits
  z^2 exactly (upper half of the significand squared plus a remainder, as fastmath's erfc does), the tanh
  GELU evaluates its cubic y(z) in float64 and hands exp the pair (hi, lo); a rounded exponent would be
  magnified ~z^2 (~|y|) times in the left tail;
* results whose exponential factor is subnormal are scaled: exp comes as x = e^t 2^64 (``_exp_scaled_f32``,
  normal for every t used), every other factor multiplies x, and 2^-64 comes last, so z sigma(z) for z < -87
  (sigma subnormal, the result still normal down to z ~ -92) or z Phi(z) for z < -13 is rounded once into
  the subnormals;
* each derivative crosses zero on the left (gelu' at z ~ -0.752, gelu_tanh' at -0.752, silu' at -1.278),
  where its two terms cancel and the error of the exponential would dominate: in a window around the root it
  is (z - z0) G(z - z0), z0 in two pieces (z - z0_hi is exact there) and G a polynomial, so it keeps
  relative accuracy down to its zero; outside the window the terms cancel at most ~1.5-fold.

GELU: Phi(-|z|) = m e^{-z^2/2}, m = erfcx(|z|/sqrt2)/2 = P(|z|)/Q(|z|), a rational function (degrees 4 and 5, all
coefficients positive, relative error 2^-25.9) over |z| <= 14.5 (beyond, z Phi(z) and gelu' are 0 in float32 for
z < 0); gelu = z Phi(z), gelu' = Phi(z) + z phi(z) = e^{-z^2/2} (m - |z|/sqrt(2 pi)) for z < 0, one minus that
for z >= 0.  The tanh GELU and SiLU are z sigma(y) with y = 2u(z) or z: with e = e^{-|y|}, z/(1 + e) for z >= 0
and z e/(1 + e) for z < 0, derivative (1 + e + z y' e)/(1 + e)^2, resp. e (1 + e + z y')/(1 + e)^2.  Each
result is a chain of ~8 roundings (exp's own error included): measured worst errors in each registry entry's float32_ulps.
The coefficients: least-squares fits to 30-40-digit mpmath values on Chebyshev nodes (the polynomials G
reweighted to minimax (Lawson), each coefficient rounded to float32 in turn and the later ones refitted; P/Q
linearised and iterated (Loeb), then P and Q rounded and refitted in turn).
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

from . import fastmath as fm

_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_GELU_TANH_C = 0.044715  # the tanh GELU's cubic coefficient (Hendrycks & Gimpel 2016; PyTorch's)

_F32 = dict(cache=True, error_model="numpy", fastmath={"contract"}, forceinline=True)  # as fastmath's


def _f32s(*cs):
    return tuple(np.float32(c) for c in cs)


_ZERO_32, _ONE_32, _HALF_32 = _f32s(0.0, 1.0, 0.5)
_INV_SQRT_2PI_32 = _f32s(0.3989422917366028, -1.1335170135851058e-08)   # hi + lo
_GELU_ZMAX_32 = np.float32(14.5)
# Phi(-a) e^{a^2/2} = P(a)/Q(a) on [0, 14.5], relative error 2^-25.9 (all coefficients positive: no cancellation)
_GELU_P32 = _f32s(0.5, 0.44077685475349426, 0.1851264238357544, 0.0412854366004467, 0.004217024426907301)
_GELU_Q32 = _f32s(1.0, 1.679438829421997, 1.210245132446289, 0.47447484731674194, 0.1034931018948555,
                  0.01057040598243475)
_SCALE_32 = np.float32(2.0 ** -64)  # see _exp_scaled_f32
# e^{-|y|} is taken as 0 below -110: there |z| e^{-|y|} < 2^-150 rounds to 0 (for silu, |y| = |z|; for
# gelu_tanh, |z| < |y|)
_EXP_MIN_32 = np.float32(-110.0)
_GELU_TANH_A = 2.0 * _SQRT_2_OVER_PI               # y = 2u = z (A + B z^2), y' = A + 3 B z^2
_GELU_TANH_B = 2.0 * _SQRT_2_OVER_PI * _GELU_TANH_C
_GELU_TANH_ZMAX_32 = np.float32(1e4)                # |z| clamp of y and y' (y has long saturated)
# the roots of the derivatives, z0 = hi + lo, the window around each where (z - z0) G(z - z0) is used, and G:
# relative error of the fits 2^-26.8 (gelu), 2^-33 (silu), 2^-32 (gelu_tanh)
_GELU_ROOT_32 = _f32s(-0.7517915368080139, 1.211444988769017e-08, -1.1, -0.3)
_GELU_G32 = _f32s(0.5724061727523804, 0.08475642651319504, 0.03658212721347809, 0.014310815371572971,
                  0.005151456221938133, 0.0017777936300262809, 0.0006267578573897481)
_SILU_ROOT_32 = _f32s(-1.2784645557403564, 1.2979282537628478e-08, -1.45, -1.05)
_SILU_G32 = _f32s(1.2784645557403564, 0.13923212885856628, 0.04640844091773033, 0.011618584394454956,
                  0.0023918943479657173)
_GELU_TANH_ROOT_32 = _f32s(-0.7524614334106445, 1.1339627903339533e-08, -0.85, -0.6)
_GELU_TANH_G32 = _f32s(2.4606568813323975, -0.09991155564785004, 0.4004107415676117, 0.0760534256696701,
                       0.03306933119893074)


@njit(**_F32)
def _near_root_f32(z, root):
    """``(w, inside)``: w = z - z0 (z0 = root[0] + root[1]) and whether z lies in the window (root[2], root[3])."""
    return (z - root[0]) - root[1], (z > root[2]) & (z < root[3])


@njit(**_F32)
def _exp_scaled_f32(t, t_lo):
    r""":math:`e^{t + t_{lo}}\,2^{64}` for :math:`t + t_{lo} \in [-111, 0]`: a normal float32, so that a product of
    it with the other factors of a result, times ``_SCALE_32`` last, rounds only once into the subnormals."""
    k, r = fm._reduce_f32(t, t_lo)
    return (_ONE_32 + fm._expm1_poly_f32(r)) * fm._f32((k + (127 + 64)) << 23)


@njit(**_F32)
def _gauss_parts_f32(z):
    r"""``(a, m, x)`` for a float32 z: a = min(|z|, 14.5), :math:`e^{-a^2/2} = x\,2^{-64}` and
    :math:`\Phi(-a) = m\,x\,2^{-64}` (m = erfcx(a/sqrt2)/2 = P(a)/Q(a))."""
    a = abs(z)
    a = _GELU_ZMAX_32 if a > _GELU_ZMAX_32 else a
    p, q = _GELU_P32, _GELU_Q32
    m = (p[0] + a * (p[1] + a * (p[2] + a * (p[3] + a * p[4])))) / (
        q[0] + a * (q[1] + a * (q[2] + a * (q[3] + a * (q[4] + a * q[5])))))
    ah = fm._f32(fm._bits(a) & fm._SPLIT_MASK_32)     # a^2 = ah^2 + (a - ah)(a + ah), ah^2 exact
    return a, m, _exp_scaled_f32(-_HALF_32 * (ah * ah), -_HALF_32 * ((a - ah) * (a + ah)))


@njit(**_F32)
def _gelu_f32(z):
    a, m, x = _gauss_parts_f32(z)
    y = m * x                                           # Phi(-|z|) 2^64
    left = (z * y) * (_ZERO_32 if z < -_GELU_ZMAX_32 else _SCALE_32)
    return left if z < _ZERO_32 else z * (_ONE_32 - y * _SCALE_32)


@njit(**_F32)
def _gelu_d_f32(z):
    a, m, x = _gauss_parts_f32(z)
    d = (m - a * _INV_SQRT_2PI_32[0]) - a * _INV_SQRT_2PI_32[1]      # (Phi(-a) - a phi(a)) e^{a^2/2}
    w, inside = _near_root_f32(z, _GELU_ROOT_32)
    c = _GELU_G32
    near = w * (c[0] + w * (c[1] + w * (c[2] + w * (c[3] + w * (c[4] + w * (c[5] + w * c[6]))))))
    g = (near if inside else d) * x
    left = g * (_ZERO_32 if z < -_GELU_ZMAX_32 else _SCALE_32)
    return left if z < _ZERO_32 else _ONE_32 - g * _SCALE_32


@njit(**_F32)
def _exp_neg_f32(t, t_lo):
    r"""``(x, dead)`` for :math:`t + t_{lo} \le 0`: :math:`e^{t + t_{lo}} = x\,2^{-64}` (``_exp_scaled_f32``),
    and ``dead`` where t < -110 (there x is that of -110, and every result 0)."""
    dead = t < _EXP_MIN_32
    return _exp_scaled_f32(_EXP_MIN_32 if dead else t, _ZERO_32 if dead else t_lo), dead


@njit(**_F32)
def _z_sigmoid_f32(z, x, dead):
    r""":math:`z\,\sigma(y)` for y of z's sign, from :math:`e^{-|y|} = x\,2^{-64}` (``_exp_neg_f32``)."""
    q = (z * (x if z < _ZERO_32 else _ONE_32)) / (_ONE_32 + x * _SCALE_32)
    return q * ((_ZERO_32 if dead else _SCALE_32) if z < _ZERO_32 else _ONE_32)


@njit(**_F32)
def _z_sigmoid_d_f32(z, x, dead, zdy, bracket):
    r""":math:`\frac{d}{dz} z\,\sigma(y(z)) = \sigma(y) + z y' \sigma'(y)` from :math:`e = e^{-|y|} = x\,2^{-64}`,
    ``zdy`` = z y'(z) and ``bracket`` = 1 + e + z y' (used for z < 0, where it cancels near the root)."""
    e = x * _SCALE_32
    den = _ONE_32 + e
    num = x * bracket if z < _ZERO_32 else den + zdy * e
    return (num / (den * den)) * ((_ZERO_32 if dead else _SCALE_32) if z < _ZERO_32 else _ONE_32)


@njit(**_F32)
def _silu_f32(z):
    x, dead = _exp_neg_f32(-abs(z), _ZERO_32)
    return _z_sigmoid_f32(z, x, dead)


@njit(**_F32)
def _silu_d_f32(z):
    x, dead = _exp_neg_f32(-abs(z), _ZERO_32)
    w, inside = _near_root_f32(z, _SILU_ROOT_32)
    c = _SILU_G32
    near = w * (c[0] + w * (c[1] + w * (c[2] + w * (c[3] + w * c[4]))))
    bracket = near if inside else (_ONE_32 + z) + x * _SCALE_32   # 1 + z exact for z <= -1/2
    return _z_sigmoid_d_f32(z, x, dead, z, bracket)


@njit(**_F32)
def _gelu_tanh_parts_f32(z):
    """``(x, dead, zy)``: e^{-|y|} as ``_exp_neg_f32`` gives it, y = 2u(z) evaluated in float64 (exact
    enough) and handed over as hi + lo, and zy = z y'(z) in float64."""
    zc = _GELU_TANH_ZMAX_32 if z > _GELU_TANH_ZMAX_32 else z
    zd = np.float64(-_GELU_TANH_ZMAX_32 if zc < -_GELU_TANH_ZMAX_32 else zc)
    zz = zd * zd
    t = -abs(zd * (_GELU_TANH_A + _GELU_TANH_B * zz))
    hi = np.float32(t)
    x, dead = _exp_neg_f32(hi, np.float32(t - np.float64(hi)))
    return x, dead, zd * (_GELU_TANH_A + 3.0 * _GELU_TANH_B * zz)


@njit(**_F32)
def _gelu_tanh_f32(z):
    x, dead, zy = _gelu_tanh_parts_f32(z)
    return _z_sigmoid_f32(z, x, dead)


@njit(**_F32)
def _gelu_tanh_d_f32(z):
    x, dead, zy = _gelu_tanh_parts_f32(z)
    w, inside = _near_root_f32(z, _GELU_TANH_ROOT_32)
    c = _GELU_TANH_G32
    near = w * (c[0] + w * (c[1] + w * (c[2] + w * (c[3] + w * c[4]))))
    bracket = near if inside else np.float32((1.0 + zy) + np.float64(x * _SCALE_32))  # one rounding
    return _z_sigmoid_d_f32(z, x, dead, np.float32(zy), bracket)
