r"""Deterministic matrix products on every core: ``out = a @ b``, tiled by the shape, one BLAS call per tile.

Why not the BLAS's own threads: OpenBLAS gives different bits for the same product on 1 and 2 threads
(see ``ffbench.threads``).  Here every product is cut into tiles that depend on its *shape only*, each
tile is one single-threaded ``cblas_?gemm`` call, and the tiles run on Numba's thread team (a
``prange`` over tiles).  A tile computes its block of ``out`` completely, with the same call whichever
thread runs it, so 1, 2 or 64 threads give the same bits.

The tiling rule (``tiles``): split the longer side of ``out`` (its rows, or its columns when it has
more columns) into ``T`` equal tiles, ``T`` the largest power of two (at most ``MAX_TILES``) that keeps
every tile at least ``MIN_EXTENT`` rows/columns long and at least ``MIN_WORK`` multiply-adds.  A power
of two divides evenly among 2, 4, 8... threads; on a machine with more cores larger products get more
tiles, small ones stay whole.  Measured on the 2-core development machine (AMD EPYC Zen 4, OpenBLAS
0.3.31 SkylakeX kernels, float32, a single-threaded BLAS call is ~90-100 GFLOP/s from 64 x 256 x 256
up): a tile below ~2**21 multiply-adds (~40 us) loses more to the team launch and the repacking of
the shared operand than a second core gains, and tiles narrower than 64 run the BLAS micro-kernels
below their speed.  (The numbers behind the constants are in the report of issue 13 and in
``python -m ffbench.bench``.)

Every product goes through the same BLAS entry point: ffbench calls NumPy's own OpenBLAS
(``cblas_sgemm``/``cblas_dgemm`` found by threadpoolctl) directly from compiled code, never through
``np.matmul`` (which switches to ``gemv`` for one-column outputs, so its bits depend on the shape in
a way a compiled caller would have to mimic).  The compiled small-network path (``ffbench.fused``)
calls the same ``blas_gemm``, so it and the layer-by-layer path give the same bits.

``FFBENCH_BLAS_THREADS`` > 1 (the escape hatch of ``ffbench.threads``) hands each product whole to the
multi-threaded BLAS instead: faster on some machines, no longer bit-reproducible across thread counts.
"""
from __future__ import annotations

import ctypes

import llvmlite.binding as llvm
import numba
import numpy as np
from numba import njit, prange, types
from threadpoolctl import threadpool_info

from .threads import BLAS_THREADS

MIN_EXTENT = 64
MIN_WORK = 1 << 21
MAX_TILES = 64

_ROW_MAJOR, _NO_TRANS, _TRANS = 101, 111, 112


def _numpy_blas():
    """(library path, symbol prefix, symbol suffix, integer type) of NumPy's CBLAS."""
    candidates = [p["filepath"] for p in threadpool_info() if p.get("user_api") == "blas"]
    candidates.sort(key=lambda path: "numpy" not in path)  # NumPy's own BLAS first
    for path in candidates:
        lib = ctypes.CDLL(path)
        for prefix, suffix, itype in (("scipy_", "64_", types.int64), ("", "64_", types.int64),
                                      ("scipy_", "", types.int32), ("", "", types.int32)):
            if hasattr(lib, f"{prefix}cblas_sgemm{suffix}"):
                return path, prefix, suffix, itype
    raise ImportError("ffbench needs NumPy linked to a CBLAS (OpenBLAS, as in NumPy's wheels); "
                      f"threadpoolctl found no cblas_sgemm in {candidates}")


def _gemm_functions():
    path, prefix, suffix, I = _numpy_blas()
    llvm.load_library_permanently(path)  # lets compiled (and cached) code link to the symbols by name
    P = types.intp  # pointers travel as integers (``arr.ctypes.data``): same ABI as ``void *``
    out = []
    for letter, real in (("s", types.float32), ("d", types.float64)):
        sig = types.void(types.int32, types.int32, types.int32, I, I, I, real, P, I, P, I, real, P, I)
        out.append(types.ExternalFunction(f"{prefix}cblas_{letter}gemm{suffix}", sig))
    return out


_SGEMM, _DGEMM = _gemm_functions()


@njit(cache=True, nogil=True)
def _layout(x):
    """(CBLAS transpose flag, leading dimension) that reads 2-D ``x`` in place, or (0, 0) if none can."""
    isz = x.itemsize
    rows, cols = x.shape
    if cols == 1 or x.strides[1] == isz:
        ld = x.strides[0] // isz if rows > 1 else cols
        if ld >= max(cols, 1):
            return _NO_TRANS, ld
    if rows == 1 or x.strides[0] == isz:
        ld = x.strides[1] // isz if cols > 1 else rows
        if ld >= max(rows, 1):
            return _TRANS, ld
    return 0, 0


@njit(cache=True, nogil=True)
def blas_gemm(a, b, out):
    """``out = a @ b`` by one single-threaded CBLAS call; ``a`` (m, k), ``b`` (k, n), ``out`` (m, n).

    ``a`` and ``b`` may be transposed views (one unit stride each; ``blas_ready`` checks), ``out`` has
    unit column stride; one float dtype throughout."""
    m, k = a.shape
    n = b.shape[1]
    if m == 0 or n == 0:
        return
    if k == 0:
        out[:, :] = 0.0
        return
    ta, lda = _layout(a)
    tb, ldb = _layout(b)
    ldc = out.strides[0] // out.itemsize if m > 1 else n
    if out.itemsize == 4:
        _SGEMM(_ROW_MAJOR, ta, tb, m, n, k, np.float32(1.0), a.ctypes.data, lda, b.ctypes.data, ldb,
               np.float32(0.0), out.ctypes.data, ldc)
    else:
        _DGEMM(_ROW_MAJOR, ta, tb, m, n, k, 1.0, a.ctypes.data, lda, b.ctypes.data, ldb, 0.0,
               out.ctypes.data, ldc)


@njit(cache=True, nogil=True)
def tiles(m, n, k):
    """(axis, bounds) of the tiling of an (m, n) output with inner size k: axis 0 splits rows, 1
    columns; tile t covers ``bounds[t]:bounds[t + 1]`` along that axis.  Depends on the shape only."""
    side = m if m >= n else n
    work = m * n * k
    count = 1
    while (count < MAX_TILES and side // (2 * count) >= MIN_EXTENT
           and work // (2 * count) >= MIN_WORK):
        count *= 2
    bounds = np.empty(count + 1, np.int64)
    for t in range(count + 1):
        bounds[t] = t * side // count
    return (0 if m >= n else 1), bounds


def _tiled_template(a, b, out, axis, bounds):
    """Run every tile of ``bounds`` (one BLAS call each); ``prange`` in the parallel copy."""
    for t in prange(bounds.size - 1):
        lo, hi = bounds[t], bounds[t + 1]
        if axis == 0:
            blas_gemm(a[lo:hi], b, out[lo:hi])
        else:
            blas_gemm(a, b[:, lo:hi], out[:, lo:hi])


_tiled_serial = njit(cache=True, nogil=True)(_tiled_template)
_tiled_parallel = njit(cache=True, parallel=True)(_tiled_template)


@njit(cache=True, nogil=True)
def matmul_serial(a, b, out):
    """``out = a @ b`` tile by tile on the calling thread (from compiled code; operands BLAS-ready)."""
    axis, bounds = tiles(a.shape[0], b.shape[1], a.shape[1])
    if bounds.size == 2:
        blas_gemm(a, b, out)
    else:
        _tiled_serial(a, b, out, axis, bounds)


def blas_ready(x) -> np.ndarray:
    """``x`` itself if the BLAS can read it in place, else a C-contiguous copy."""
    return x if _layout(x)[0] else np.ascontiguousarray(x)


def matmul(a, b, out=None):
    """``a @ b`` for 2-D float arrays ``a`` (m, k), ``b`` (k, n) of one dtype (transposed views are
    fine), into ``out`` (m, n, C-contiguous) if given; bit-identical for any thread count."""
    a, b = blas_ready(a), blas_ready(b)
    m, n = a.shape[0], b.shape[1]
    if out is None:
        out = np.empty((m, n), a.dtype)
    if BLAS_THREADS > 1:  # the user traded reproducibility for the BLAS's own threads
        return np.matmul(a, b, out=out)
    if numba.get_num_threads() == 1:
        matmul_serial(a, b, out)
        return out
    axis, bounds = tiles(m, n, a.shape[1])
    if bounds.size == 2:
        blas_gemm(a, b, out)
    else:
        _tiled_parallel(a, b, out, axis, bounds)
    return out
