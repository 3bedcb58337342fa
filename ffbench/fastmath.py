r"""Vectorisable elementary functions for Numba kernels: exp, expm1, log1p, tanh, sigmoid, erf, erfc.

Numba lowers ``math.exp``, ``np.tanh``, ``math.erf`` to scalar libm calls (llvmlite ships no vector
math library), so an elementwise loop over them runs one element at a time.  The functions here are
branch-free polynomial approximations (special cases are selects, not branches) made of multiplies,
adds, integer bit manipulation and at most one division, which LLVM inlines into the caller's loop
and vectorises (``<8 x double>`` / ``<16 x float>`` with AVX-512).

Use them inside ``@njit`` code through the generic names, which pick the float32 or float64 variant
from the argument type at compile time::

    from ffbench import fastmath as fm

    @njit
    def gelu(z, out):
        for i in range(z.size):
            out[i] = 0.5 * z[i] * fm.erfc(-z[i] * SQRT_HALF)   # float32 stays float32

``exp_f64``/``exp_f32`` etc. are the explicit variants; the float32 ones use float32 constants and
float32 arithmetic throughout, so they run at twice the vector width.  From Python, the generic
names accept a float or a NumPy float scalar; ``apply(name, x)`` maps a whole array.

Accuracy: the error of a result is :math:`|y - f(x)|` in units of the spacing of the result's format
at :math:`f(x)` (ulps), against a reference at least 11 bits more precise (long double, or mpmath
for erf/erfc; float64 libm/scipy for float32 results).  The bound that ``tests/test_fastmath.py``
asserts (``ULP_BOUNDS``; for float32 it also bounds the distance, counted in floats, to the
correctly rounded reference), and the worst error seen in a denser sweep: ~10^7 points per function
over every binade, dense grids and random points (float32 also every 61st bit pattern, ~7*10^7
inputs; float64 erf/erfc 3*10^4 points, mpmath being slow):

========  =================  =================
function  float64 bound/max  float32 bound/max
========  =================  =================
exp       1.0 / 0.98         1.5 / 1.04
expm1     2.0 / 1.82         2.0 / 1.59
log1p     1.0 / 0.88         1.0 / 0.88
tanh      2.0 / 1.49         2.0 / 1.49
sigmoid   2.5 / 2.38         2.5 / 2.40
erf       2.0 / 1.47         2.0 / 1.53
erfc      2.5 / 2.13         2.5 / 2.22
========  =================  =================

Special values are exact: NaN propagates, exp(-inf) = 0, exp overflows to inf and underflows
through the subnormals to 0, tanh and erf saturate to exactly +-1, erfc(-inf) = 2,
log1p(-1) = -inf, log1p(x < -1) = NaN, and odd functions keep the sign of zero.

How they are built:

* exp, expm1 -- Cody-Waite reduction :math:`x = k\ln 2 + r`, :math:`|r| \le \ln 2/2`, with ``k``
  rounded by the 1.5*2**52 shifter trick (which also yields ``k`` as an integer in the low mantissa
  bits), :math:`e^r - 1 = r + r^2 Q(r)` (minimax, degree 10 / 4), and :math:`2^k` assembled in the
  exponent field.  exp scales by :math:`2^{\lfloor k/2\rfloor}2^{k-\lfloor k/2\rfloor}` so results
  overflow and enter the subnormal range with a single rounding; expm1 computes
  :math:`2\,(u\,p + (u - 1/2))`, :math:`u = 2^{k-1}`, to keep full relative accuracy.
* log1p -- :math:`1+x = 2^k m`, :math:`m \in [\sqrt2/2, \sqrt2)` from the bits, :math:`f = m - 1`,
  :math:`s = f/(2+f)`, :math:`\log(1+f) = f - (h - s(h + R(s^2)))`, :math:`h = f^2/2` (fdlibm's
  scheme, own minimax R), plus the rounding error of ``1 + x`` as a first-order correction.
* tanh -- :math:`x + x^3 P(x^2)` (minimax, degree 7 / 3) for :math:`|x| < 0.35`, otherwise
  :math:`\tanh|x| = t/(t+2)`, :math:`t = \mathrm{expm1}(2|x|)`, which has no cancellation; |x| is
  clamped where tanh rounds to 1, so it saturates to exactly +-1.
* sigmoid -- :math:`e = e^{-|x|}`: :math:`1/(1+e)` for :math:`x \ge 0`, :math:`e/(1+e)` otherwise.
* erf, erfc -- for :math:`|x| < 1/2`, :math:`\mathrm{erf}\,x = x + x P(x^2)` (minimax);
  otherwise :math:`\mathrm{erfc}|x| = \tfrac{1}{2+|x|}\exp(-x^2 + q(v))`, with
  :math:`v` affine in :math:`t = 2/(2+|x|)` (Numerical Recipes' variable) and q a single minimax
  polynomial (degree 23 / 9) over :math:`|x| \in [1/2, 27.3]` (float32: [1/2, 10.2]).  Two steps keep
  it within ~2 ulps: :math:`x^2` is split exactly (upper half of the significand squared, plus a
  small remainder) so the exponential sees it without rounding error, and :math:`1/(2+|x|)` is
  carried to twice working precision (one Newton residual).  erf is
  :math:`\pm(1 - \mathrm{erfc}|x|)` there, erfc of a negative argument :math:`2 - \mathrm{erfc}|x|`.

The coefficients are minimax fits (Remez exchange in mpmath, 40 digits) of the approximated
quantity on the stated interval, rounded to the working precision.

Compiler flags: every function is compiled with ``forceinline`` (LLVM's ``alwaysinline``: the big
ones, erf/erfc, would otherwise stay calls and keep the caller's loop scalar; unlike Numba's own
``inline="always"`` it keeps these flags rather than the caller's), ``error_model="numpy"`` (a float
division never raises, so it needs no branch) and only the ``contract`` fast-math flag (lets LLVM
fuse multiply-add into FMA).  ``nnan``/``ninf`` would delete the NaN/inf handling, ``reassoc``
would cancel the exact rounding steps (shifter, Cody-Waite, TwoSum, ``x - (u - 1)``), ``nsz`` would
lose the sign of zero.
"""
from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic, overload

from ._checks import as_float_array, lookup, same_dtype, same_shape
from ._kernels import specialise

_OPTS = dict(cache=True, error_model="numpy", fastmath={"contract"}, forceinline=True)

FUNCTIONS = ("exp", "expm1", "log1p", "tanh", "sigmoid", "erf", "erfc")

# The error bounds in ulps that tests/test_fastmath.py asserts (see the module docstring).
ULP_BOUNDS = {
    ("exp", np.float64): 1.0, ("exp", np.float32): 1.5,
    ("expm1", np.float64): 2.0, ("expm1", np.float32): 2.0,
    ("log1p", np.float64): 1.0, ("log1p", np.float32): 1.0,
    ("tanh", np.float64): 2.0, ("tanh", np.float32): 2.0,
    ("sigmoid", np.float64): 2.5, ("sigmoid", np.float32): 2.5,
    ("erf", np.float64): 2.0, ("erf", np.float32): 2.0,
    ("erfc", np.float64): 2.5, ("erfc", np.float32): 2.5,
}


# --- reinterpreting bits (a bitcast, not a conversion: vectorises to nothing) -------------------

@intrinsic
def _bits(typingctx, x):
    """The IEEE-754 bit pattern of a float64 (float32) as an int64 (int32)."""
    if x not in (types.float64, types.float32):
        return None
    ity = types.int64 if x == types.float64 else types.int32

    def codegen(context, builder, sig, args):
        return builder.bitcast(args[0], context.get_value_type(ity))
    return ity(x), codegen


@intrinsic
def _f64(typingctx, i):
    """The float64 whose bit pattern is the integer ``i`` (taken modulo 2**64)."""
    if not isinstance(i, types.Integer):
        return None

    def codegen(context, builder, sig, args):
        v = context.cast(builder, args[0], sig.args[0], types.int64)
        return builder.bitcast(v, ir.DoubleType())
    return types.float64(i), codegen


@intrinsic
def _f32(typingctx, i):
    """The float32 whose bit pattern is the integer ``i`` (taken modulo 2**32).

    Numba widens int32 arithmetic to int64; truncating here lets LLVM keep the lanes 32 bits wide.
    """
    if not isinstance(i, types.Integer):
        return None

    def codegen(context, builder, sig, args):
        v = context.cast(builder, args[0], sig.args[0], types.int32)
        return builder.bitcast(v, ir.FloatType())
    return types.float32(i), codegen


# --- constants ----------------------------------------------------------------------------------

_INF = np.inf
_NAN = np.nan
_LOG2E = 1.4426950408889634
_LN2_HI = 6.93147180369123816490e-01     # 0x3fe62e42fee00000: k * _LN2_HI is exact for |k| < 2**21
_LN2_LO = 1.90821492927058770002e-10
_SHIFT = 6755399441055744.0              # 1.5 * 2**52: x + _SHIFT rounds x to an integer
_LOG2E_32 = np.float32(1.44269504)
_LN2_HI_32 = np.float32(0.693145751953125)  # 0x3f317200: k * _LN2_HI_32 is exact for |k| < 2**8
_LN2_LO_32 = np.float32(1.428606765330187e-06)
_SHIFT_32 = np.float32(12582912.0)       # 1.5 * 2**23
_ONE_32, _TWO_32, _HALF_32, _ZERO_32 = np.float32(1), np.float32(2), np.float32(0.5), np.float32(0)
_INF_32 = np.float32(np.inf)
_NAN_32 = np.float32(np.nan)

# exp: below _EXP_LO the result rounds to 0, above _EXP_HI to inf.  expm1: below _EXPM1_LO it
# rounds to -1.  Below _TINY, expm1(x) and log1p(x) round to x.  Above _TANH_HI, tanh rounds to 1.
_EXP_LO, _EXP_HI, _EXPM1_LO, _TINY, _TANH_HI = -746.0, 710.0, -40.0, 2.0 ** -54, 20.0
_EXP_LO_32, _EXP_HI_32 = np.float32(-104.0), np.float32(89.0)
_EXPM1_LO_32, _TINY_32, _TANH_HI_32 = np.float32(-20.0), np.float32(2.0 ** -25), np.float32(10.0)

# e^r - 1 = r + r^2 Q(r) on |r| <= 0.3466; relative error 2^-61.7 (float64), 2^-26.2 (float32)
_EXPM1_Q = (0.5, 0.16666666666666677, 0.04166666666666651, 0.008333333333321693,
            0.0013888888888962353, 0.0001984126988595973, 2.480158717256404e-05,
            2.7557244381138705e-06, 2.7557402628366934e-07, 2.510897623351806e-08,
            2.0875332101851017e-09)
_EXPM1_Q32 = tuple(np.float32(c) for c in (
    0.4999999701976776, 0.1666654348373413, 0.04166720062494278, 0.008366518653929234,
    0.0013882523635402322))

# log((1+s)/(1-s)) = 2s + s R(s^2) on s^2 <= 0.0295; absolute error 2^-57.6 (2^-28.4)
_LOG1P_R = (0.666666666666671, 0.39999999999520114, 0.28571428729205034, 0.22222199100283782,
            0.18183571003871268, 0.15313179128378077, 0.1481036421331943)
_LOG1P_R32 = tuple(np.float32(c) for c in (
    0.6666677594184875, 0.39976081252098083, 0.29925453662872314))
_SQRT_HALF_BITS = 0x3fe6a09e667f3bcd     # the bits of sqrt(2)/2
_SQRT_HALF_BITS_32 = 0x3f3504f3

# tanh(x) = x + x^3 P(x^2) on |x| <= 0.35; relative error 2^-56.5 (2^-31.0)
_TANH_SMALL = 0.35
_TANH_P = (-0.33333333333332515, 0.1333333333311664, -0.05396825377159084, 0.021869479889598545,
           -0.008863024668319279, 0.003589118134286718, -0.0014306919833227845,
           0.00047463493439209585)
_TANH_SMALL_32 = np.float32(0.35)
_TANH_P32 = tuple(np.float32(c) for c in (
    -0.33333322405815125, 0.13332349061965942, -0.05372263118624687, 0.01942094974219799))

# erf(x) = x + x P(x^2) on |x| <= 1/2; relative error 2^-57.8 (2^-29.5)
_ERF_SMALL = 0.5
_ERF_P = (0.12837916709551256, -0.37612638903183465, 0.11283791670924813, -0.026866170632715805,
          0.005223977370326622, -0.0008548297524418082, 0.0001205332431474744,
          -1.4845583765096244e-05, 1.4723215611678932e-06)
_ERF_P32 = tuple(np.float32(c) for c in (
    0.12837916612625122, -0.37612608075141907, 0.11282822489738464, -0.02675718441605568,
    0.004717990290373564))
_ERF_SMALL_32 = np.float32(0.5)

# erfc(z) = exp(-z^2 + q(v)) / (2 + z), v = A/(2 + z) - B in [-1, 1] for z in [1/2, _ERFC_HI];
# absolute error of q 2^-60.2 (float64), 2^-29.5 (float32).  erfc(z > _ERFC_HI) rounds to 0.
_ERFC_HI, _ERFC_A, _ERFC_B = 27.3, 5.4664179104477615, 1.1865671641791045
_ERFC_Q = (-0.06633575346411627, 0.4813613156726939, 0.03462048377432351, -0.015776471924459603,
           -0.004313864418398545, 0.0013897370152628542, 0.0005709601321204905,
           -0.00019818139412609284, -7.758540097066373e-05, 3.633085125143854e-05,
           9.2934542517354e-06, -7.106536330907168e-06, -6.01779008732744e-07,
           1.296968029841697e-06, -1.2376703461012902e-07, -1.9417919103323735e-07,
           6.112953985991878e-08, 1.8052616469857192e-08, -1.4233267281890806e-08,
           6.766872948602252e-10, 2.0409202399681306e-09, -5.586182559571379e-10,
           -1.4551910267297777e-10, 7.041406157530077e-11)
_ERFC_HI_32, _ERFC_A_32, _ERFC_B_32 = np.float32(10.2), np.float32(6.288659572601318), \
    np.float32(1.515463948249817)
_ERFC_Q32 = tuple(np.float32(c) for c in (
    -0.002842367859557271, 0.4255579113960266, 0.021174101158976555, -0.011672211810946465,
    -0.001870139967650175, 0.0008711092523299158, 0.0001549021399114281,
    -9.241746738553047e-05, -9.730336387292482e-06, 8.493248060403857e-06))
# Zeroing the low 27 (12) significand bits leaves 26 (12) bits, whose square is exact.
_SPLIT_MASK = -(1 << 27)
_SPLIT_MASK_32 = -(1 << 12)


# --- float64 ------------------------------------------------------------------------------------

@njit(**_OPTS)
def _reduce_f64(hi, lo):
    r"""``(k, r)`` with :math:`hi + lo = k \ln 2 + r`, :math:`|r| \le 0.3466`, ``k`` an int64."""
    t = (hi + lo) * _LOG2E + _SHIFT
    kf = t - _SHIFT
    k = _bits(t) - _bits(_SHIFT)
    r = (hi - kf * _LN2_HI) + (lo - kf * _LN2_LO)
    return k, r


@njit(**_OPTS)
def _expm1_poly_f64(r):
    r""":math:`e^r - 1` for :math:`|r| \le 0.3466`."""
    c = _EXPM1_Q
    r2 = r * r
    r4 = r2 * r2
    # Horner for the leading terms (one rounding at the result's scale), Estrin's scheme for the
    # small tail (shorter dependency chain); the same split is used for the other long polynomials
    tail = ((c[3] + c[4] * r) + (c[5] + c[6] * r) * r2) + ((c[7] + c[8] * r) + (c[9] + c[10] * r) * r2) * r4
    return r + r2 * (c[0] + r * (c[1] + r * (c[2] + r * tail)))


@njit(**_OPTS)
def _exp_parts_f64(hi, lo):
    r"""``(p, s1, s2)`` with :math:`e^{hi + lo} = (1 + p)\,s_1 s_2` for :math:`hi + lo \in [-746, 710]`.

    :math:`s_1 s_2 = 2^k` in two normal halves, so that :math:`2^k` may be out of range and a
    subnormal or overflowing result still comes from one rounding (the multiplication by s2)."""
    k, r = _reduce_f64(hi, lo)
    k1 = k >> 1
    return _expm1_poly_f64(r), _f64((k1 + 1023) << 52), _f64((k - k1 + 1023) << 52)


@njit(**_OPTS)
def exp_f64(x):
    r""":math:`e^x` (float64)."""
    xc = _EXP_LO if x < _EXP_LO else x      # these clamps keep NaN (comparisons with NaN are false)
    xc = _EXP_HI if xc > _EXP_HI else xc
    p, s1, s2 = _exp_parts_f64(xc, 0.0)
    return ((1.0 + p) * s1) * s2


@njit(**_OPTS)
def expm1_f64(x):
    r""":math:`e^x - 1` (float64): :math:`2(u\,p + (u - 1/2))`, :math:`u = 2^{k-1}`."""
    xc = _EXPM1_LO if x < _EXPM1_LO else x
    xc = _EXP_HI if xc > _EXP_HI else xc
    k, r = _reduce_f64(xc, 0.0)
    u = _f64((k - 1 + 1023) << 52)
    res = 2.0 * (u * _expm1_poly_f64(r) + (u - 0.5))
    return x if abs(x) < _TINY else res


@njit(**_OPTS)
def log1p_f64(x):
    r""":math:`\log(1 + x)` (float64)."""
    u = 1.0 + x
    c = x - (u - 1.0)                        # the rounding error of 1 + x, exactly
    k = (_bits(u) - _SQRT_HALF_BITS) >> 52
    f = _f64(_bits(u) - (k << 52)) - 1.0    # 1 + f in [sqrt2/2, sqrt2)
    s = f / (2.0 + f)
    z = s * s
    a = _LOG1P_R
    z2 = z * z
    rz = z * (((a[0] + a[1] * z) + (a[2] + a[3] * z) * z2) + ((a[4] + a[5] * z) + a[6] * z2) * (z2 * z2))
    h = 0.5 * f * f
    kc = k if k < 60 else 60                 # c = 0 beyond; keeps 2^-kc finite
    corr = c * _f64((1023 - kc) << 52) * (1.0 - 2.0 * s * (1.0 - s))   # c / u, 1/(1+f) = (1-s)/(1+s)
    kd = np.float64(k)
    res = kd * _LN2_HI - ((h - (s * (h + rz) + (kd * _LN2_LO + corr))) - f)
    res = res if x > -1.0 else (-_INF if x == -1.0 else _NAN)
    res = x if x == _INF else res
    return x if abs(x) < _TINY else res


@njit(**_OPTS)
def tanh_f64(x):
    r""":math:`\tanh x`: :math:`x + x^3 P(x^2)` for :math:`|x| < 0.35`, else
    :math:`\mathrm{sign}(x)\,t/(t + 2)`, :math:`t = e^{2|x|} - 1` (float64)."""
    u = x * x
    u2 = u * u
    c = _TANH_P
    tail = ((c[2] + c[3] * u) + (c[4] + c[5] * u) * u2) + (c[6] + c[7] * u) * (u2 * u2)
    small = x + x * (u * (c[0] + u * (c[1] + u * tail)))
    a = abs(x)
    a = _TANH_HI if a > _TANH_HI else a
    t = expm1_f64(a + a)
    return np.copysign(small if a < _TANH_SMALL else t / (t + 2.0), x)   # copysign: tanh(-0) = -0


@njit(**_OPTS)
def sigmoid_f64(x):
    r""":math:`1/(1 + e^{-x})` as :math:`1/(1+e^{-|x|})` or :math:`e^{-|x|}/(1+e^{-|x|})` (float64);
    never overflows."""
    e = exp_f64(-abs(x))
    return (1.0 if x >= 0.0 else e) / (1.0 + e)


@njit(**_OPTS)
def _erf_parts_f64(x):
    r"""``(erf x, erfc |x|)``: the first valid for :math:`|x| < 1/2`, the second for :math:`|x| \ge 1/2`."""
    u = x * x
    u2 = u * u
    p = _ERF_P
    tail = ((p[2] + p[3] * u) + (p[4] + p[5] * u) * u2) + ((p[6] + p[7] * u) + p[8] * u2) * (u2 * u2)
    small = x + x * (p[0] + u * (p[1] + u * tail))
    a = abs(x)
    a = _ERFC_HI if a > _ERFC_HI else a
    # A relative error in 1/(2 + a) reaches erfc about doubled (through the prefactor and through
    # v), so 1/(2 + a) = inv (1 + e) is carried to twice working precision, 2 + a split by TwoSum.
    d = 2.0 + a
    d2 = d - a
    d_lo = (a - (d - d2)) + (2.0 - d2)
    inv = 1.0 / d
    e = (1.0 - inv * d) - inv * d_lo
    v = (inv * _ERFC_A) * e + (inv * _ERFC_A - _ERFC_B)
    c = _ERFC_Q
    v2 = v * v
    v4 = v2 * v2
    v8 = v4 * v4
    tail = (((c[4] + c[5] * v) + (c[6] + c[7] * v) * v2)
            + ((c[8] + c[9] * v) + (c[10] + c[11] * v) * v2) * v4
            + (((c[12] + c[13] * v) + (c[14] + c[15] * v) * v2)
               + ((c[16] + c[17] * v) + (c[18] + c[19] * v) * v2) * v4) * v8
            + ((c[20] + c[21] * v) + (c[22] + c[23] * v) * v2) * (v8 * v8))
    q = c[0] + v * (c[1] + v * (c[2] + v * (c[3] + v * tail)))
    ah = _f64(_bits(a) & _SPLIT_MASK)
    p, s1, s2 = _exp_parts_f64(-(ah * ah), (ah - a) * (ah + a) + q)   # -a^2 = -ah^2 + (ah-a)(ah+a)
    big = ((inv + inv * (p + e * (1.0 + p))) * s1) * s2                # inv (1+e) (1+p) 2^k
    return small, big


@njit(**_OPTS)
def erf_f64(x):
    r""":math:`\mathrm{erf}\,x` (float64)."""
    small, big = _erf_parts_f64(x)
    return small if abs(x) < _ERF_SMALL else np.copysign(1.0 - big, x)


@njit(**_OPTS)
def erfc_f64(x):
    r""":math:`\mathrm{erfc}\,x = 1 - \mathrm{erf}\,x` (float64), accurate down to the subnormals."""
    small, big = _erf_parts_f64(x)
    return 1.0 - small if abs(x) < _ERF_SMALL else (big if x > 0.0 else 2.0 - big)


# --- float32: the same algorithms in float32 arithmetic ------------------------------------------

@njit(**_OPTS)
def _reduce_f32(hi, lo):
    t = (hi + lo) * _LOG2E_32 + _SHIFT_32
    kf = t - _SHIFT_32
    k = np.int32(_bits(t) - _bits(_SHIFT_32))   # int32: Numba would widen the lanes to int64
    r = (hi - kf * _LN2_HI_32) + (lo - kf * _LN2_LO_32)
    return k, r


@njit(**_OPTS)
def _expm1_poly_f32(r):
    c = _EXPM1_Q32
    return r + (r * r) * (c[0] + r * (c[1] + r * (c[2] + r * (c[3] + r * c[4]))))


@njit(**_OPTS)
def _exp_parts_f32(hi, lo):
    k, r = _reduce_f32(hi, lo)
    k1 = k >> 1
    return _expm1_poly_f32(r), _f32((k1 + 127) << 23), _f32((k - k1 + 127) << 23)


@njit(**_OPTS)
def exp_f32(x):
    r""":math:`e^x` (float32)."""
    xc = _EXP_LO_32 if x < _EXP_LO_32 else x
    xc = _EXP_HI_32 if xc > _EXP_HI_32 else xc
    p, s1, s2 = _exp_parts_f32(xc, _ZERO_32)
    return ((_ONE_32 + p) * s1) * s2


@njit(**_OPTS)
def expm1_f32(x):
    r""":math:`e^x - 1` (float32)."""
    xc = _EXPM1_LO_32 if x < _EXPM1_LO_32 else x
    xc = _EXP_HI_32 if xc > _EXP_HI_32 else xc
    k, r = _reduce_f32(xc, _ZERO_32)
    u = _f32((k - 1 + 127) << 23)
    res = _TWO_32 * (u * _expm1_poly_f32(r) + (u - _HALF_32))
    return x if abs(x) < _TINY_32 else res


@njit(**_OPTS)
def log1p_f32(x):
    r""":math:`\log(1 + x)` (float32)."""
    u = _ONE_32 + x
    c = x - (u - _ONE_32)
    k = np.int32(_bits(u) - _SQRT_HALF_BITS_32) >> 23
    f = _f32(_bits(u) - (k << 23)) - _ONE_32
    s = f / (_TWO_32 + f)
    z = s * s
    a = _LOG1P_R32
    rz = z * ((a[0] + a[1] * z) + a[2] * (z * z))
    h = _HALF_32 * f * f
    kc = k if k < 30 else 30
    corr = c * _f32((127 - kc) << 23) * (_ONE_32 - _TWO_32 * s * (_ONE_32 - s))
    kd = np.float32(k)
    res = kd * _LN2_HI_32 - ((h - (s * (h + rz) + (kd * _LN2_LO_32 + corr))) - f)
    res = res if x > -_ONE_32 else (-_INF_32 if x == -_ONE_32 else _NAN_32)
    res = x if x == _INF_32 else res
    return x if abs(x) < _TINY_32 else res


@njit(**_OPTS)
def tanh_f32(x):
    r""":math:`\tanh x` (float32)."""
    u = x * x
    c = _TANH_P32
    small = x + x * (u * (c[0] + u * (c[1] + u * (c[2] + u * c[3]))))
    a = abs(x)
    a = _TANH_HI_32 if a > _TANH_HI_32 else a
    t = expm1_f32(a + a)
    return np.copysign(small if a < _TANH_SMALL_32 else t / (t + _TWO_32), x)


@njit(**_OPTS)
def sigmoid_f32(x):
    r""":math:`1/(1 + e^{-x})` (float32)."""
    e = exp_f32(-abs(x))
    return (_ONE_32 if x >= _ZERO_32 else e) / (_ONE_32 + e)


@njit(**_OPTS)
def _erf_parts_f32(x):
    u = x * x
    p = _ERF_P32
    small = x + x * (p[0] + u * (p[1] + u * (p[2] + u * (p[3] + u * p[4]))))
    a = abs(x)
    a = _ERFC_HI_32 if a > _ERFC_HI_32 else a
    d = _TWO_32 + a
    d2 = d - a
    d_lo = (a - (d - d2)) + (_TWO_32 - d2)
    inv = _ONE_32 / d
    e = (_ONE_32 - inv * d) - inv * d_lo
    v = (inv * _ERFC_A_32) * e + (inv * _ERFC_A_32 - _ERFC_B_32)
    c = _ERFC_Q32
    v2 = v * v
    tail = ((c[3] + c[4] * v) + (c[5] + c[6] * v) * v2) + ((c[7] + c[8] * v) + c[9] * v2) * (v2 * v2)
    q = c[0] + v * (c[1] + v * (c[2] + v * tail))
    ah = _f32(_bits(a) & _SPLIT_MASK_32)
    p, s1, s2 = _exp_parts_f32(-(ah * ah), (ah - a) * (ah + a) + q)
    big = ((inv + inv * (p + e * (_ONE_32 + p))) * s1) * s2
    return small, big


@njit(**_OPTS)
def erf_f32(x):
    r""":math:`\mathrm{erf}\,x` (float32)."""
    small, big = _erf_parts_f32(x)
    return small if abs(x) < _ERF_SMALL_32 else np.copysign(_ONE_32 - big, x)


@njit(**_OPTS)
def erfc_f32(x):
    r""":math:`\mathrm{erfc}\,x` (float32)."""
    small, big = _erf_parts_f32(x)
    return _ONE_32 - small if abs(x) < _ERF_SMALL_32 else (big if x > _ZERO_32 else _TWO_32 - big)


# --- generic names: the float32 or float64 variant by argument type ------------------------------

_VARIANTS = {
    "exp": (exp_f32, exp_f64), "expm1": (expm1_f32, expm1_f64), "log1p": (log1p_f32, log1p_f64),
    "tanh": (tanh_f32, tanh_f64), "sigmoid": (sigmoid_f32, sigmoid_f64),
    "erf": (erf_f32, erf_f64), "erfc": (erfc_f32, erfc_f64),
}


def _scalar(name, x):
    """Python-level call: a float32 scalar gets the float32 variant (and a np.float32 back), any
    other real number the float64 one."""
    f32, f64 = _VARIANTS[name]
    if isinstance(x, np.float32):
        return np.float32(f32(x))
    if isinstance(x, (float, int, np.floating, np.integer)) and not isinstance(x, (bool, np.bool_)):
        return f64(float(x))
    raise TypeError(f"fastmath.{name} takes a float scalar, got {type(x).__name__}; "
                    f"use fastmath.apply({name!r}, array) for arrays")


def _generic(name):
    f32, f64 = _VARIANTS[name]

    def python_impl(x):
        return _scalar(name, x)
    python_impl.__name__ = python_impl.__qualname__ = name
    python_impl.__doc__ = (f"{name}(x): the float32 variant for a float32 argument, else the "
                           f"float64 one (also inside @njit code).\n\n{f64.__doc__}")

    @overload(python_impl, inline="always")
    def _dispatch(x):
        if x == types.float32:
            return lambda x: f32(x)
        if isinstance(x, (types.Float, types.Integer)):
            return lambda x: f64(np.float64(x))
        return None
    return python_impl


def like(c, x):
    """The number ``c`` in the float type of ``x``: inside ``@njit`` code a float32 ``x`` gives a float32
    constant (so float32 arithmetic stays float32), anything else a float64."""
    return np.float32(c) if isinstance(x, np.float32) else float(c)


@overload(like, inline="always")
def _like(c, x):
    if x == types.float32:
        return lambda c, x: np.float32(c)
    return lambda c, x: np.float64(c)


_GENERIC = {name: _generic(name) for name in FUNCTIONS}
exp, expm1, log1p, tanh, sigmoid, erf, erfc = (_GENERIC[name] for name in FUNCTIONS)


# --- array kernels --------------------------------------------------------------------------------

def _map(x, out):
    """``out[i] = F(x[i])`` for 1-D ``x`` and ``out`` of one float dtype (prange: split by output)."""
    for i in prange(x.size):  # noqa: F821 (bound by specialise)
        out[i] = F(x[i])  # noqa: F821


# name -> (serial kernel, prange kernel), each kernel(x, out) over 1-D arrays
KERNELS = {name: (specialise(_map, f"fastmath_{name}_array", parallel=False, F=fn),
                  specialise(_map, f"fastmath_{name}_array_parallel", parallel=True, F=fn))
           for name, fn in _GENERIC.items()}


def apply(name: str, x, out=None, parallel: bool = False) -> np.ndarray:
    """``name`` applied elementwise to the float32/float64 array ``x`` (1-D or 2-D), into ``out``.

    ``out`` (optional) must be a writeable C-contiguous array of ``x``'s shape and dtype.
    ``parallel`` uses the ``prange`` kernel (Numba's threads, see ``ffbench.threads``).
    """
    kernels = lookup(KERNELS, name, "fastmath function")
    x = as_float_array(x, "x")
    if out is None:
        out = np.empty_like(x)
    else:
        if not isinstance(out, np.ndarray):
            raise TypeError(f"out must be a numpy array, got {type(out).__name__}")
        same_shape(x, out, "x", "out")
        same_dtype(x, out, "x", "out")
        if not (out.flags.c_contiguous and out.flags.writeable):
            raise ValueError("out must be a writeable C-contiguous array")
    kernels[bool(parallel)](x.reshape(-1), out.reshape(-1))
    return out
