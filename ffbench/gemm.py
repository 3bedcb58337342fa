r"""Deterministic matrix products on every core: ``out = a @ b``, tiled by the shape, one BLAS call per tile.

Why not the BLAS's own threads: OpenBLAS gives different bits for the same product on 1 and 2 threads
(see ``ffbench.threads``).  Here every product is cut into tiles that depend on its *shape only*, each
tile is one single-threaded ``cblas_?gemm`` call made from compiled code, and the tiles are shared out
over Numba's thread team (a ``prange`` over the tiles, ``numba.get_num_threads()`` threads).  A tile
computes its block of ``out`` completely, with the same call whichever thread runs it, so 1, 2 or 64
threads give the same bits (``tests/test_gemm.py`` runs 8 threads against 1).

The tiling rule (``tiles``): split the longer side of ``out`` (its rows, or its columns when it has more
columns) into ``T`` near-equal tiles, ``T`` a power of two (at most ``MAX_TILES``): into two as soon as the
average half (``m * n * k // 2``) keeps ``MIN_WORK`` = 2**21 multiply-adds, and further only while the average
tile keeps ``SPLIT_WORK`` = 2**25; every tile at least ``MIN_EXTENT`` rows/columns long, or ``4 * MIN_EXTENT``
when the operand every tile shares (``b`` for row tiles, ``a`` for column tiles) exceeds ``SHARED_CACHE``
elements. A power of two divides evenly among 2, 4, 8... threads; the rule reads the shape only, so the bits
never depend on the thread count, and changing it means recomputing every record (OpenBLAS's kernels for a
block depend on its size: on the pinned code path a float32 product cut in two gives other bits at the columns
near the cut).

Why these numbers (float32, OpenBLAS 0.3.31, measured on the 2-core Intel Xeon (Sapphire Rapids) VM,
native code path).  A tile is one single-threaded call; its speed depends on its shape, and every tile
repacks the operand it shares with the others.  Per-core GFLOP/s of one tile, two tiles running at once
on the 2-thread team (one 2048^3 call on one core: 156; NumPy's 2-thread 2048^3, the bench's ceiling:
285-308):

    ==============  ======  =======  ========
    tile m x n      k = 64  k = 256  k = 1024
    ==============  ======  =======  ========
    32 x 1024         72      92       86
    64 x 256          77     110      108
    64 x 1024        100     122      118
    128 x 256         90     126      128
    256 x 256        112     139      134
    256 x 1024       120     142      148
    512 x 512        139     154      157
    ==============  ======  =======  ========

So a tile must be long enough on both sides (64-row tiles lose a quarter of the core's speed to packing
and never pass ~120), and every cut beyond the two that keep 2 cores busy costs: 2 threads, GFLOP/s of
whole training-step products by their number of tiles (``r``: row tiles, ``c``: column tiles; dW = X^T dZ,
dX = dZ W^T):

    ========================  =====  =====  =====  =====  =====
    product m x k x n         1      2      4      8      16
    ========================  =====  =====  =====  =====  =====
    64 x 256 x 256, forward   118    c180   c153   c174
    64 x 1024 x 1024, fwd     109    c206   c200   c191   c169
    1024 x 64 x 1024, dW      117    r237   r230   r223   r200
    64 x 1024 x 1024, dX      89     c178   c168   c166   c148
    512 x 256 x 256, fwd      134    r262   r239   r217   r176
    512 x 1024 x 1024, fwd    157    c323   c286   c256   c235
    1024 x 512 x 1024, dW     152    r309   r292   r266   r243
    512 x 768 x 3072, fwd     147    c305   c307   c295   c282
    ========================  =====  =====  =====  =====  =====

Cutting in two pays from 2**21 multiply-adds up (64 x 256 x 256: 118 -> 180; 512 x 64 x 64, 2**21 itself: 37 ->
25 us, but ``MIN_WORK`` stays where it was, since moving it would change the bits of the records' products of
2**21-2**22 multiply-adds for ~7% of a 512 x 64 x 8 step); each further halving costs
0-15% on 2 cores and is worth it only on more cores, so it waits until every tile has ``SPLIT_WORK``
(~0.4 ms of one core: 2**25 multiply-adds), where the repacking stays within a few per cent.  The rule
before (every halving from 2**21) cut 64 x 1024 x 1024 into 16 tiles and 512 x 256 x 256 into 8: the
training steps' products of the bench grid, per step, went from 55% to 67% of the ceiling at 64 x 1024 and
from 69% to 85% at 512 x 256 (the same per-product measurements, summed).  The price on a machine with
more cores: a product under 2**27 multiply-adds uses at most 2 of them, under 2**28 at most 4.

Who runs the tiles (measured on the 2-core AMD EPYC VM, float32, 2 threads, median us): the thread team,
one launch of ``_run_team`` per product, against the Python thread pool used before (a ``submit`` per tile,
each worker taking the GIL to enter the compiled call):

    =================  =====  ==========  ======  =====================
    product m x k x n  tiles  1 thread    pool    team (prange)     (tiles: the rule before SPLIT_WORK)
    =================  =====  ==========  ======  =====================
    64 x 256 x 256     2      90          99      49   (172 GFLOP/s)
    512 x 256 x 256    8      694         411     345
    64 x 1024 x 1024   16     1819        1031    897
    512 x 1024 x 1024  4      10668       5544    5459
    2048^3             8      178777      89403   89281 (192 GFLOP/s)
    =================  =====  ==========  ======  =====================

(An earlier measurement on a 16-core machine found no speed-up from a ``prange`` over BLAS calls.  It
was taken while ffbench made the team's workers sleep between launches (``OMP_WAIT_POLICY=PASSIVE``;
``ffbench._kernels`` says how the team waits now), which may explain it; it has not been repeated on a
machine with more than 2 cores since.)  The backward pass's two products, dW = X^T dZ and
dX = dZ W^T, are independent: ``matmul_pair`` runs them side by side when each is one tile, which
halves their time on small layers (512 x 64 x 64: 97 -> 56 us on 2 threads).

Every product goes through the same BLAS entry point: ffbench calls NumPy's own OpenBLAS
(``cblas_sgemm``/``cblas_dgemm`` found by threadpoolctl) directly from compiled code, never through
``np.matmul`` (which switches to ``gemv`` for one-column outputs, so its bits depend on the shape in
a way a compiled caller would have to mimic).  The compiled small-network path (``ffbench.fused``)
calls the same tiles through ``matmul_serial``, so it and the layer-by-layer path give the same bits.

``FFBENCH_BLAS_THREADS`` > 1 (the escape hatch of ``ffbench.threads``) hands each product whole to the
multi-threaded BLAS instead: faster on some machines, no longer bit-reproducible across thread counts.
"""
from __future__ import annotations

import ctypes
import llvmlite.binding as llvm
import numpy as np
from numba import njit, prange, types
from threadpoolctl import threadpool_info

from ._kernels import team_size
from .threads import BLAS_THREADS

MIN_EXTENT = 64
SHARED_CACHE = 1 << 18
MIN_WORK = 1 << 21
SPLIT_WORK = 1 << 25
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
    return path, *out


#: The file of the BLAS library every ffbench product runs on (as threadpoolctl names it).
BLAS_PATH, _SGEMM, _DGEMM = _gemm_functions()


def blas_threads() -> int:
    """The thread count of the BLAS that ffbench's products run on (NumPy's, ``BLAS_PATH``); other BLAS
    libraries in the process (SciPy's, PyTorch's) are reported by ``ffbench.provenance``."""
    return next(p["num_threads"] for p in threadpool_info() if p.get("filepath") == BLAS_PATH)


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


_JOB = 12  # a job row: itemsize, transA, transB, m, n, k, A, lda, B, ldb, C, ldc (pointers as integers)


@njit(cache=True, nogil=True)
def _job(a, b, out, job):
    """Describe ``out = a @ b`` as one CBLAS call in ``job`` (int64, (_JOB,)); ``a`` (m, k), ``b`` (k, n),
    ``out`` (m, n).  Returns False when there is nothing to call: an empty ``out``, or k = 0 (``out``
    is zeroed here).  ``a`` and ``b`` may be transposed views (one unit stride each; ``blas_ready``
    checks), ``out`` has unit column stride; one float dtype throughout."""
    m, k = a.shape
    n = b.shape[1]
    if m == 0 or n == 0:
        return False
    if k == 0:
        out[:, :] = 0.0
        return False
    ta, lda = _layout(a)
    tb, ldb = _layout(b)
    ldc = out.strides[0] // out.itemsize if m > 1 else n
    job[0], job[1], job[2], job[3], job[4], job[5] = out.itemsize, ta, tb, m, n, k
    job[6], job[7], job[8], job[9], job[10], job[11] = a.ctypes.data, lda, b.ctypes.data, ldb, out.ctypes.data, ldc
    return True


@njit(cache=True, nogil=True)
def _call(job):
    """The single-threaded CBLAS call that ``job`` describes (C = 1 * op(A) op(B) + 0 * C)."""
    if job[0] == 4:
        _SGEMM(_ROW_MAJOR, job[1], job[2], job[3], job[4], job[5], np.float32(1.0), job[6], job[7], job[8],
               job[9], np.float32(0.0), job[10], job[11])
    else:
        _DGEMM(_ROW_MAJOR, job[1], job[2], job[3], job[4], job[5], 1.0, job[6], job[7], job[8], job[9], 0.0,
               job[10], job[11])


@njit(cache=True, nogil=True)
def tiles(m, n, k):
    """(axis, bounds) of the tiling of an (m, n) output with inner size k: axis 0 splits rows, 1
    columns; tile t covers ``bounds[t]:bounds[t + 1]`` along that axis.  Depends on the shape only: the rule
    of the module docstring (halve while the average tile keeps ``MIN_WORK``, then ``SPLIT_WORK``, and the
    shortest tile its minimum extent)."""
    side = m if m >= n else n
    shared = k * (n if m >= n else m)
    extent = MIN_EXTENT if shared <= SHARED_CACHE else 4 * MIN_EXTENT
    work = m * n * k
    count = 1
    while (count < MAX_TILES and side // (2 * count) >= extent
           and work // (2 * count) >= (MIN_WORK if count == 1 else SPLIT_WORK)):
        count *= 2
    bounds = np.empty(count + 1, np.int64)
    for t in range(count + 1):
        bounds[t] = t * side // count
    return (0 if m >= n else 1), bounds


@njit(cache=True, nogil=True)
def _plan(a, b, out, jobs, start):
    """Write the calls of ``out = a @ b``'s tiles into rows ``start, start + 1, ...`` of ``jobs``
    (int64, (rows, _JOB)); return the row after the last.  Compiled per operand layout, but serial
    (cheap to compile); the team runs the jobs through one signature (``_run_team``)."""
    axis, bounds = tiles(a.shape[0], b.shape[1], a.shape[1])
    j = start
    for t in range(bounds.size - 1):
        lo, hi = bounds[t], bounds[t + 1]
        if axis == 0:
            j += _job(a[lo:hi], b, out[lo:hi], jobs[j])
        else:
            j += _job(a, b[:, lo:hi], out[:, lo:hi], jobs[j])
    return j


@njit(cache=True, nogil=True)
def _run_serial(jobs, lo, hi):
    for j in range(lo, hi):
        _call(jobs[j])


@njit(cache=True, nogil=True, parallel=True)
def _run_team(jobs, lo, hi):
    """Jobs ``lo:hi`` shared out over Numba's thread team (a static schedule: on 2 threads, the first
    half on one thread and the second on the other).  One signature for every product, layout and
    dtype: a ``parallel=True`` function takes ~3 s to compile, so it is compiled once, not per layout."""
    for j in prange(lo, hi):
        _call(jobs[j])


@njit(cache=True, nogil=True)
def job_buffer(products=1):
    """Scratch for the jobs of ``products`` products: int64 (products * MAX_TILES, _JOB)."""
    return np.empty((products * MAX_TILES, _JOB), np.int64)


@njit(cache=True, nogil=True)
def matmul_serial(a, b, out, jobs):
    """``out = a @ b`` tile by tile on the calling thread (from compiled code; operands BLAS-ready);
    ``jobs`` a ``job_buffer()`` the caller allocates once, not per product."""
    _run_serial(jobs, 0, _plan(a, b, out, jobs, 0))


def _run(jobs, lo, hi):
    if hi - lo > 1 and team_size() > 1:
        _run_team(jobs, lo, hi)
    else:
        _run_serial(jobs, lo, hi)


def blas_ready(x) -> np.ndarray:
    """``x`` itself if the BLAS can read it in place, else a C-contiguous copy."""
    return x if _layout(x)[0] else np.ascontiguousarray(x)


def _prepare(a, b, out):
    a, b = blas_ready(a), blas_ready(b)
    if out is None:
        out = np.empty((a.shape[0], b.shape[1]), a.dtype)
    return a, b, out


def matmul(a, b, out=None):
    """``a @ b`` for 2-D float arrays ``a`` (m, k), ``b`` (k, n) of one dtype (transposed views are
    fine), into ``out`` (m, n, C-contiguous) if given; bit-identical for any thread count."""
    a, b, out = _prepare(a, b, out)
    if BLAS_THREADS > 1:  # the user traded reproducibility for the BLAS's own threads
        return np.matmul(a, b, out=out)
    jobs = job_buffer()
    _run(jobs, 0, _plan(a, b, out, jobs, 0))
    return out


def matmul_pair(a1, b1, out1, a2, b2, out2):
    """``out1 = a1 @ b1`` and ``out2 = a2 @ b2`` (two independent products, as ``matmul``): the backward
    pass's dW = X^T dZ and dX = dZ W^T.  Side by side on the thread team when each is one tile (then
    neither could use a second thread alone: 512 x 64 x 64, 97 -> 56 us on 2 threads), else one after
    the other with each one's tiles shared out (two tiled products side by side, each on its own
    thread, measured slower: 1.00 vs 0.86 ms for the 512 x 256 x 256 pair on 2 threads, the two
    competing for memory bandwidth).  The same bits as two ``matmul`` calls; returns ``(out1, out2)``."""
    a1, b1, out1 = _prepare(a1, b1, out1)
    a2, b2, out2 = _prepare(a2, b2, out2)
    if BLAS_THREADS > 1:
        return np.matmul(a1, b1, out=out1), np.matmul(a2, b2, out=out2)
    jobs = job_buffer(2)
    middle = _plan(a1, b1, out1, jobs, 0)
    end = _plan(a2, b2, out2, jobs, middle)
    if middle == 1 and end == 2:
        _run(jobs, 0, 2)
    else:
        _run(jobs, 0, middle)
        _run(jobs, middle, end)
    return out1, out2
