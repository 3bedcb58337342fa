"""Thread control: Numba's thread team does the parallel work; the BLAS runs on one thread.

Why one BLAS thread: OpenBLAS gives *different bits* for the same product on 1 and 2 threads
(measured, NumPy's OpenBLAS 0.3.31, SkylakeX kernels: 128x784 @ 784x128 in float32 and float64, and
``np.linalg.qr`` of a 300x300 matrix, differ in the last place), which would break ffbench's guarantee
that a seed gives the same numbers on any thread count.  A single-threaded BLAS is bit-reproducible, and
it can never oversubscribe the cores that Numba's team is spinning on.  Importing ffbench therefore
limits every BLAS loaded by then (NumPy's, which ``ffbench.gemm`` calls, and SciPy's, which
``ffbench.activations`` loads through ``scipy.special``) to ``FFBENCH_BLAS_THREADS`` threads (default 1;
set it to trade reproducibility for BLAS speed): ``ffbench/__init__.py`` calls ``limit_blas`` after its
last import, so a library that ffbench itself loads is never left out.  ``set_threads``/``threads`` set
Numba's thread count; ``ffbench.gemm.blas_threads`` reports the library ffbench's products run on.

Why the limit is process-wide, not scoped to ffbench's own calls (issue 17): (1) OpenBLAS keeps its
thread count in one process-global variable; it has no per-call or per-thread setting
(``openblas_set_num_threads_local`` sets the same global in pthreads builds, e.g. 0.3.27-0.3.32).  A
"scoped" limit would set and restore that global around each ffbench call, so the user's NumPy code on
other threads would still be capped while ffbench runs, and a user thread changing the count mid-call
would silently change ffbench's bits.  (2) ``ffbench.gemm``'s tiles are not the only BLAS use whose
bits matter: orthogonal initialisation (``np.linalg.qr`` in ``ffbench.init``), the teacher networks of
``ffbench.data.synthetic`` and the studies' analyses (least squares, norms, products) call NumPy's BLAS
directly, and their results change with its thread count (the QR above).  A scope would have to wrap
nearly every public ffbench function, i.e. the user's whole session with ffbench.  So the cap stays
process-wide, as documented in the README; ``FFBENCH_BLAS_THREADS`` and threadpoolctl's
``threadpool_limits`` (a context manager) remain the ways to run other BLAS work multi-threaded.
"""
from __future__ import annotations

import contextlib
import os

import numba
from threadpoolctl import threadpool_info, threadpool_limits

from ._checks import positive_int

BLAS_THREADS = positive_int(int(os.environ.get("FFBENCH_BLAS_THREADS", "1")), "FFBENCH_BLAS_THREADS")


def limit_blas() -> None:
    """Limit every BLAS loaded in this process so far to ``BLAS_THREADS`` threads (threadpoolctl, ~2 ms)."""
    threadpool_limits(limits=BLAS_THREADS, user_api="blas")


limit_blas()  # NumPy's BLAS at once (the rest of ffbench's imports may use it); again at the end of ffbench's import


def set_threads(n: int) -> None:
    """Use ``n`` threads for Numba's parallel kernels."""
    n = positive_int(n, "threads")
    if n > numba.config.NUMBA_NUM_THREADS:
        raise ValueError(f"threads={n} exceeds the {numba.config.NUMBA_NUM_THREADS} threads Numba "
                         "was started with (set NUMBA_NUM_THREADS before importing ffbench)")
    numba.set_num_threads(n)


def get_threads() -> int:
    return numba.get_num_threads()


@contextlib.contextmanager
def threads(n: int):
    """Run a block with ``n`` Numba threads, then restore the previous count."""
    previous = numba.get_num_threads()
    set_threads(n)
    try:
        yield
    finally:
        numba.set_num_threads(previous)


def threading_layer() -> str:
    """The Numba threading layer in use ('workqueue', 'omp', 'tbb'), or 'none' before first use."""
    try:
        return numba.threading_layer()
    except ValueError:
        return os.environ.get("NUMBA_THREADING_LAYER", numba.config.THREADING_LAYER) + " (not yet started)"
