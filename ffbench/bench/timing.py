"""How the benchmark times a call, and the ceilings it compares against (NumPy only: runs in the workers).

``measure``: the first call timed on its own (compile or JIT-cache load, allocation: reported, never mixed
into the step time), one warm-up call that also sizes the samples, then samples of enough calls to last
``SAMPLE_S`` each, repeated until ``budget_s`` is spent (at least ``MIN_SAMPLES``, ``BIG_MIN_SAMPLES`` for a
call over ``BIG_S``, at most ``MAX_SAMPLES``).  ``ceilings``: the GEMM rate (NumPy's sgemm/dgemm at n =
``GEMM_N`` on 1 thread and on ``threads``), the roof that the training steps are measured against.

No copy-bandwidth roof for the activation kernels: the one measured before (``threads`` chunks of
``np.copyto`` at once) was no ceiling. It ran 48-102 GB/s from run to run and the activation kernels beat it
(relu forward by 14% on the AVX-512 VM, the relu kernels by up to 2.2x on the AMD EPYC VM): glibc's memcpy
switches to non-temporal stores for arrays this large, which stream to memory, while the kernels' ordinary
stores stay partly in the L2 and L3 caches. The kernels are compared with their peers, side by side, instead.
"""
from __future__ import annotations

import statistics
import time

import numpy as np

SAMPLE_S, BUDGET_S, MIN_SAMPLES, MAX_SAMPLES = 0.02, 0.3, 3, 15
BIG_S, BIG_MIN_SAMPLES = 0.5, 2  # a call this long gets fewer samples (keeps the full grid's wall time down)
ACT_BUDGET_S = 0.2
GEMM_N = 2048
ACT_ELEMENTS = 4 * 1024 * 1024


def measure(fn, budget_s=BUDGET_S) -> dict:
    """Time ``fn()`` (seconds per call: median and min of the samples, the first call alone).

    The first call's return value comes back as ``first_value`` (not JSON: pop it before saving)."""
    t0 = time.perf_counter()
    value = fn()
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    fn()
    one = time.perf_counter() - t0
    calls = max(1, int(SAMPLE_S / max(one, 1e-9)))
    least = BIG_MIN_SAMPLES if one >= BIG_S else MIN_SAMPLES
    samples, spent = [], 0.0
    while len(samples) < least or (spent < budget_s and len(samples) < MAX_SAMPLES):
        t0 = time.perf_counter()
        for _ in range(calls):
            fn()
        dt = time.perf_counter() - t0
        spent += dt
        samples.append(dt / calls)
    return {"first_value": value, "first_s": first, "median_s": statistics.median(samples), "min_s": min(samples),
            "samples": len(samples), "calls_per_sample": calls}


def _rate(work, fn, budget_s) -> tuple[float, float]:
    """(``work`` per second of the median sample, of the fastest sample)."""
    t = measure(fn, budget_s=budget_s)
    return work / t["median_s"], work / t["min_s"]


def ceilings(threads, seed, gemm_n=GEMM_N) -> dict:
    """GEMM GFLOP/s (keys ``"float32/1"``, ``"float32/THREADS"``...); the ``_best`` entries come from the
    fastest sample (to go with ``--statistic min``)."""
    from threadpoolctl import threadpool_limits
    out = {"gemm_n": gemm_n, "gemm": {}, "gemm_best": {}}
    rng = np.random.default_rng(seed)
    for dt in ("float32", "float64"):
        a, b = (rng.standard_normal((gemm_n, gemm_n)).astype(dt) for _ in range(2))
        c = np.empty_like(a)
        for th in sorted({1, threads}):
            with threadpool_limits(th, user_api="blas"):
                rates = _rate(2.0 * gemm_n ** 3 / 1e9, lambda: np.matmul(a, b, out=c), 0.5)
            out["gemm"][f"{dt}/{th}"], out["gemm_best"][f"{dt}/{th}"] = rates
    return out
