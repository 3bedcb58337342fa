"""One switch for every thread pool ffbench touches: Numba's and the BLAS's.

Numba's parallel kernels and the BLAS never run at the same time in ffbench (a kernel never calls a
threaded BLAS inside ``prange``), but both pools spin-wait after their work, so on a small machine
they steal cores from each other.  ``set_threads`` sets both to the same count; ``threads`` does it
for a ``with`` block and restores the previous counts afterwards.
"""
from __future__ import annotations

import contextlib
import os

import numba
from threadpoolctl import threadpool_info, threadpool_limits

from ._checks import positive_int

_BLAS = None  # the threadpool_limits handle that holds the BLAS limit we last set


def set_threads(n: int) -> None:
    """Use ``n`` threads for Numba's parallel kernels and for the BLAS."""
    global _BLAS
    n = positive_int(n, "threads")
    if n > numba.config.NUMBA_NUM_THREADS:
        raise ValueError(f"threads={n} exceeds the {numba.config.NUMBA_NUM_THREADS} threads Numba "
                         "was started with (set NUMBA_NUM_THREADS before importing ffbench)")
    numba.set_num_threads(n)
    _BLAS = threadpool_limits(limits=n, user_api="blas")


def get_threads() -> int:
    return numba.get_num_threads()


def blas_threads() -> int | None:
    counts = [p["num_threads"] for p in threadpool_info() if p.get("user_api") == "blas"]
    return max(counts) if counts else None


@contextlib.contextmanager
def threads(n: int):
    """Run a block with ``n`` Numba and BLAS threads, then restore the previous counts."""
    previous_numba = numba.get_num_threads()
    with threadpool_limits(limits=positive_int(n, "threads"), user_api="blas"):
        numba.set_num_threads(n)
        try:
            yield
        finally:
            numba.set_num_threads(previous_numba)


def threading_layer() -> str:
    """The Numba threading layer in use ('workqueue', 'omp', 'tbb'), or 'none' before first use."""
    try:
        return numba.threading_layer()
    except ValueError:
        return os.environ.get("NUMBA_THREADING_LAYER", numba.config.THREADING_LAYER) + " (not yet started)"
