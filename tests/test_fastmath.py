"""ffbench.fastmath: worst-case error in ulps against higher-precision references, exact special
values, vectorisation of the compiled loops, and the array API.

References: float64 results against long double (64-bit significand) NumPy for exp, expm1, log1p,
tanh, sigmoid and against mpmath (80 bits) for erf/erfc; float32 results against the float64 libm /
scipy result.  The error of a result y is |y - ref| / ulp(ref), ulp(ref) the spacing of the result's
format in the binade of ref (subnormal spacing below the normal range); for float32 we also check
the integer distance between y and ref rounded to float32.

All functions of one dtype are evaluated by one loop compiled here (not cached), so the same
compilation serves the accuracy sweep and the check that LLVM vectorised the loop.
"""
import re
import warnings

import llvmlite.binding as llvm
import mpmath
import numba
import numpy as np
import pytest
import scipy.special as sp
from numba import njit

from ffbench import fastmath as fm

DTYPES = (np.float64, np.float32)


@njit(error_model="numpy")
def _all_functions(x, out):
    """out[j, i] = fastmath.FUNCTIONS[j](x[i]): one loop, so it vectorises only if all of them do."""
    for i in range(x.size):
        v = x[i]
        out[0, i] = fm.exp(v)
        out[1, i] = fm.expm1(v)
        out[2, i] = fm.log1p(v)
        out[3, i] = fm.tanh(v)
        out[4, i] = fm.sigmoid(v)
        out[5, i] = fm.erf(v)
        out[6, i] = fm.erfc(v)


def _sweep(dtype, n, rng):
    """Every binade (evenly spaced bit patterns, both signs: subnormals to inf), dense grids and
    random points over each function's working ranges, and the neighbourhood of every threshold."""
    info = np.finfo(dtype)
    ity = np.int64 if dtype == np.float64 else np.int32
    top = int(np.array(np.inf, dtype).view(ity))
    bits = np.linspace(0, top, n).astype(np.int64).astype(ity).view(dtype)
    parts = [bits, -bits]
    for lo, hi in [(-760, 760), (-40, 40), (-7, 7), (-1, 1), (-1e-3, 1e-3), (-1, -0.5), (0.4, 0.6)]:
        parts += [np.linspace(lo, hi, n).astype(dtype), rng.uniform(lo, hi, n).astype(dtype)]
    edges = [0.5, 1.0, 0.3466, 0.69315, 20.0, 10.0, 27.3, 10.2, 37.5, 17.4, 709.78, 745.13, 88.72,
             103.97, 2.0 ** -54, 2.0 ** -25]
    for e in np.asarray(edges, dtype):
        near = e + np.arange(-64, 65) * np.spacing(e)
        parts += [near, -near]
    parts.append(np.array([0, -0.0, np.inf, -np.inf, np.nan, info.max, -info.max, info.tiny, -info.tiny,
                           info.smallest_subnormal, -info.smallest_subnormal], dtype))
    return np.concatenate(parts).astype(dtype)


def _reference(name, x):
    """The exact function, to at least 11 bits beyond the result's precision (see module doc)."""
    if x.dtype == np.float32:
        xd = x.astype(np.float64)
        if name in ("erf", "erfc"):
            return getattr(sp, name)(xd)
    else:
        xd = x.astype(np.longdouble)
        if name in ("erf", "erfc"):
            return _mpmath(name, x)
    with np.errstate(all="ignore"):
        if name == "sigmoid":
            e = np.exp(-np.abs(xd))
            return np.where(xd >= 0, 1 / (1 + e), e / (1 + e))
        return getattr(np, name)(xd)


def _mpmath(name, x):
    f = mpmath.erf if name == "erf" else mpmath.erfc
    out = np.empty(x.size, np.longdouble)
    with mpmath.workprec(80):
        for i, v in enumerate(x.tolist()):
            if v != v or abs(v) > 100:  # NaN, or where the result is +-1, 0 or 2 in any format
                out[i] = v if v != v else (np.sign(v) if name == "erf" else float(v < 0) * 2)
            else:
                out[i] = np.longdouble(mpmath.nstr(f(mpmath.mpf(v)), 24))
    return out


def _ordered(a):
    """Integers in the order of the floats: neighbouring floats differ by 1, -0 and +0 map to 0."""
    ity, mask = (np.int64, 0x7FFFFFFFFFFFFFFF) if a.dtype == np.float64 else (np.int32, 0x7FFFFFFF)
    i = a.view(ity).astype(np.int64)
    return np.where(i < 0, -(i & mask), i)


def _ulp_error(y, ref):
    """|y - ref| in ulps of y's format at ref; for non-finite values the distance in floats."""
    dtype = y.dtype.type
    with np.errstate(all="ignore"):
        r = ref.astype(dtype)
        a = np.abs(r)
        ulp = np.where(np.abs(ref) >= a, np.spacing(a), np.spacing(np.nextafter(a, dtype(0))))
        frac = np.abs(y.astype(ref.dtype) - ref) / ulp.astype(ref.dtype)
    nan_y, nan_r = np.isnan(y), np.isnan(r)
    dist = np.abs(_ordered(np.where(nan_y, dtype(0), y)) - _ordered(np.where(nan_r, dtype(0), r)))
    err = np.where(np.isfinite(y) & np.isfinite(r), frac.astype(np.float64), dist.astype(np.float64))
    err[nan_y != nan_r] = np.inf
    err[nan_y & nan_r] = 0.0
    return err


@pytest.fixture(scope="module", params=DTYPES, ids=lambda d: d.__name__)
def evaluated(request):
    """``(x, out)``: the sweep for one dtype and ``out[j] = FUNCTIONS[j](x)``."""
    dtype = request.param
    rng = np.random.default_rng(20240607)
    x = _sweep(dtype, 40_000, rng)
    out = np.empty((len(fm.FUNCTIONS), x.size), dtype)
    _all_functions(x, out)
    return x, out


@pytest.mark.parametrize("name", fm.FUNCTIONS)
def test_worst_ulp_error(evaluated, name):
    x, out = evaluated
    y = out[fm.FUNCTIONS.index(name)]
    if x.dtype == np.float64 and name in ("erf", "erfc"):
        # mpmath is slow: every special and threshold point, plus a random subset of the rest
        keep = np.zeros(x.size, bool)
        keep[np.random.default_rng(7).choice(x.size, 3000, replace=False)] = True
        keep[~np.isfinite(x) | (np.abs(x) < 1e-300) | (np.abs(x) > 1e300)] = True
        keep[np.abs(np.abs(x) - 0.5) < 1e-10] = True
        x, y = x[keep], y[keep]
    ref = _reference(name, x)
    err = _ulp_error(y, ref)
    bound = fm.ULP_BOUNDS[(name, x.dtype.type)]
    worst = int(np.argmax(err))
    assert err[worst] <= bound, (f"{name}({x[worst]!r}) = {y[worst]!r}, reference {ref[worst]!r}: "
                                 f"{err[worst]:.2f} ulp > {bound}")
    if x.dtype == np.float32:
        with np.errstate(over="ignore"):
            rounded = ref.astype(np.float32)
        both_nan = np.isnan(y) & np.isnan(rounded)
        assert np.abs(_ordered(y) - _ordered(rounded))[~both_nan].max() <= bound


def _same(a, b):
    """Bitwise equality up to NaN payload (so +0 != -0)."""
    a, b = np.asarray(a), np.asarray(b, a.dtype)
    return (np.isnan(a) & np.isnan(b)) | (a.view(f"i{a.itemsize}") == b.view(f"i{b.itemsize}"))


INF, NAN = np.inf, np.nan
SPECIAL = {  # name: [(x, exact f(x)), ...], for both dtypes
    "exp": [(0.0, 1.0), (-0.0, 1.0), (INF, INF), (-INF, 0.0), (NAN, NAN), (1e4, INF), (-1e4, 0.0)],
    "expm1": [(0.0, 0.0), (-0.0, -0.0), (INF, INF), (-INF, -1.0), (NAN, NAN), (-50.0, -1.0),
              (1e-30, 1e-30), (-1e-30, -1e-30)],
    "log1p": [(0.0, 0.0), (-0.0, -0.0), (-1.0, -INF), (-2.0, NAN), (-INF, NAN), (INF, INF),
              (NAN, NAN), (1e-30, 1e-30), (-1e-30, -1e-30)],
    "tanh": [(0.0, 0.0), (-0.0, -0.0), (INF, 1.0), (-INF, -1.0), (NAN, NAN), (25.0, 1.0),
             (-25.0, -1.0), (1e-30, 1e-30), (-1e-30, -1e-30)],
    "sigmoid": [(0.0, 0.5), (-0.0, 0.5), (INF, 1.0), (-INF, 0.0), (NAN, NAN), (1000.0, 1.0),
                (-1000.0, 0.0)],
    "erf": [(0.0, 0.0), (-0.0, -0.0), (INF, 1.0), (-INF, -1.0), (NAN, NAN), (7.0, 1.0), (-7.0, -1.0)],
    "erfc": [(0.0, 1.0), (-0.0, 1.0), (INF, 0.0), (-INF, 2.0), (NAN, NAN), (30.0, 0.0), (-7.0, 2.0)],
}


@pytest.mark.parametrize("name", fm.FUNCTIONS)
def test_special_values_are_exact(evaluated, name):
    x_all, _ = evaluated
    dtype = x_all.dtype
    x, want = (np.array(v, dtype) for v in zip(*SPECIAL[name]))
    out = np.empty((len(fm.FUNCTIONS), x.size), dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow/invalid warnings either
        _all_functions(x, out)
    got = out[fm.FUNCTIONS.index(name)]
    assert _same(got, want).all(), f"{name}({x}) = {got}, want {want}"


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_overflow_and_subnormal_range(dtype):
    """exp and erfc leave the normal range gradually: subnormal results, then exact 0 / inf."""
    info = np.finfo(dtype)
    big = {np.float64: (709.78, 709.79, -745.1, -745.2), np.float32: (88.72, 88.73, -103.9, -104.0)}
    finite, inf, sub, zero = (dtype(v) for v in big[dtype])
    x = np.array([finite, inf, sub, zero], dtype)
    out = np.empty((len(fm.FUNCTIONS), 4), dtype)
    _all_functions(x, out)
    e = out[fm.FUNCTIONS.index("exp")]
    assert np.isfinite(e[0]) and e[1] == np.inf and 0 < e[2] < info.tiny and e[3] == 0
    erfc_sub = {np.float64: 26.6, np.float32: 9.9}[dtype]
    x = np.array([erfc_sub, erfc_sub + 1], dtype)
    out = np.empty((len(fm.FUNCTIONS), 2), dtype)
    _all_functions(x, out)
    c = out[fm.FUNCTIONS.index("erfc")]
    assert 0 < c[0] < info.tiny and c[1] == 0


def _vector_widths(dtype):
    """The lane counts a full-width loop may use for ``dtype`` on this CPU."""
    features = llvm.get_host_cpu_features()
    # LLVM prefers 256-bit vectors on some AVX-512 CPUs (Intel since Skylake-SP: its "prefer-256-bit" tuning), so
    # there either width is full width; the AVX2 width is the least the kernels must reach on an x86-64 CPU.
    bits = (512, 256) if features.get("avx512f") else (256,) if features.get("avx2") else (128,)
    return [b // (8 * np.dtype(dtype).itemsize) for b in bits]


def test_loop_vectorises(evaluated):
    """The loop over all seven functions compiles to full-width vector code with no calls left:
    a change that adds a libm call, a branch LLVM cannot if-convert, or a silent float64
    promotion in the float32 path fails here."""
    dtype = evaluated[0].dtype.type
    sig = next(s for s in _all_functions.signatures if s[0].dtype == numba.from_dtype(np.dtype(dtype)))
    ir = _all_functions.inspect_llvm(sig)
    start = re.search(r"^define [^\n]*@_ZN(?!7cpython)\w*_all_functions", ir, re.M).start()
    body = ir[start:ir.index("\n}\n", start)]                 # the kernel itself, not its wrappers
    scalar = "double" if dtype == np.float64 else "float"
    lanes = _vector_widths(dtype)
    assert any(f"<{n} x {scalar}>" in body for n in lanes), f"no <{lanes} x {scalar}> in the loop"
    asm = _all_functions.inspect_asm(sig)
    start = re.search(r"^_ZN(?!7cpython)\w*_all_functions\w*:", asm, re.M).start()
    calls = re.findall(r"\bcall\w*\s+\S+", asm[start:asm.index(".Lfunc_end", start)])
    assert not calls, f"calls left in the loop (an llvm.exp etc. vectorises, then calls libm): {calls}"
    if dtype == np.float32:
        assert "fpext" not in body and "x double>" not in body, "float32 path promotes to float64"


@njit
def _exps(a, b):
    return fm.exp(a), fm.exp(b)


def test_generic_names_keep_the_dtype(evaluated):
    """Inside @njit code the generic names pick the variant by type (float32 in, float32 out);
    from Python they accept scalars and agree with the array loop."""
    _exps(np.float32(0.5), 0.5)
    assert _exps.nopython_signatures[0].return_type == numba.types.Tuple((numba.float32, numba.float64))
    x, out = evaluated
    for i in (0, x.size // 3, x.size // 2):
        scalar = fm.exp(x[i])
        assert isinstance(scalar, np.float32) == (x.dtype == np.float32)
        assert _same(np.array(scalar, x.dtype), out[fm.FUNCTIONS.index("exp"), i])
    with pytest.raises(TypeError, match="apply"):
        fm.tanh(np.ones(3))
    with pytest.raises(TypeError, match="float scalar"):
        fm.tanh("1")


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_apply_serial_and_parallel_agree_bitwise(dtype):
    x = np.random.default_rng(3).normal(0, 3, (40, 100)).astype(dtype)
    serial = fm.apply("tanh", x)
    assert serial.dtype == dtype and serial.shape == x.shape
    out = np.empty_like(x)
    assert fm.apply("tanh", x, out=out, parallel=True) is out
    np.testing.assert_array_equal(out.view(f"i{x.itemsize}"), serial.view(f"i{x.itemsize}"))
    inlined = np.empty((len(fm.FUNCTIONS), x.size), dtype)   # the same function inlined elsewhere
    _all_functions(x.ravel(), inlined)
    assert _same(serial.ravel(), inlined[fm.FUNCTIONS.index("tanh")]).all()


def test_apply_rejects_bad_input():
    x = np.ones(4)
    with pytest.raises(ValueError, match="erfc"):
        fm.apply("erfcx", x)
    with pytest.raises(TypeError, match="int64"):
        fm.apply("exp", np.ones(4, np.int64))
    with pytest.raises(ValueError, match="shape"):
        fm.apply("exp", x, out=np.empty(5))
    with pytest.raises(TypeError, match="dtype"):
        fm.apply("exp", x, out=np.empty(4, np.float32))
    with pytest.raises(ValueError, match="contiguous"):
        fm.apply("exp", x, out=np.empty(8)[::2])
