"""Thread control: Numba's thread team does the parallel work; the BLAS runs on one thread.

Why one BLAS thread: OpenBLAS (0.3.31, measured) gives *different bits* for the same product on 1 and
2 threads at small sizes (300x64 @ 64x128 differs in the last place), which would break ffbench's
guarantee that a seed gives the same numbers on any thread count.  A single-threaded BLAS is
bit-reproducible, and it can never oversubscribe the cores that Numba's team is spinning on.
Importing ffbench therefore limits the BLAS to ``FFBENCH_BLAS_THREADS`` threads (default 1; set it
to trade reproducibility for BLAS speed).  ``set_threads``/``threads`` set Numba's thread count.
"""
from __future__ import annotations

import contextlib
import os

import numba
from threadpoolctl import threadpool_info, threadpool_limits

from ._checks import positive_int

BLAS_THREADS = positive_int(int(os.environ.get("FFBENCH_BLAS_THREADS", "1")), "FFBENCH_BLAS_THREADS")
_BLAS_LIMIT = threadpool_limits(limits=BLAS_THREADS, user_api="blas")


def set_threads(n: int) -> None:
    """Use ``n`` threads for Numba's parallel kernels."""
    n = positive_int(n, "threads")
    if n > numba.config.NUMBA_NUM_THREADS:
        raise ValueError(f"threads={n} exceeds the {numba.config.NUMBA_NUM_THREADS} threads Numba "
                         "was started with (set NUMBA_NUM_THREADS before importing ffbench)")
    numba.set_num_threads(n)


def get_threads() -> int:
    return numba.get_num_threads()


def blas_threads() -> int | None:
    counts = [p["num_threads"] for p in threadpool_info() if p.get("user_api") == "blas"]
    return max(counts) if counts else None


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
