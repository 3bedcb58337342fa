"""How the benchmark times a call, and the ceilings it compares against (NumPy only: runs in the workers).

``measure``: the first call timed on its own (compile or JIT-cache load, allocation: reported, never mixed
into the step time), one warm-up call that also sizes the samples, then samples of enough calls to last
``SAMPLE_S`` each, repeated until ``budget_s`` is spent (at least ``MIN_SAMPLES``, ``BIG_MIN_SAMPLES`` for a
call over ``BIG_S``, at most ``MAX_SAMPLES``).  ``ceilings``: the GEMM rate (NumPy's sgemm/dgemm at n =
``GEMM_N`` on 1 thread and on ``threads``) and the copy bandwidth (``threads`` chunks copied at once), the
roofs that the training steps and the activation kernels are measured against.
"""
from __future__ import annotations

import statistics
import time
from concurrent.futures import ThreadPoolExecutor

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


def ceilings(threads, seed, gemm_n=GEMM_N, act_elements=ACT_ELEMENTS) -> dict:
    """GEMM GFLOP/s (keys ``"float32/1"``, ``"float32/THREADS"``...) and copy GB/s per dtype; the ``_best``
    entries come from the fastest sample (to go with ``--statistic min``)."""
    from threadpoolctl import threadpool_limits
    out = {"gemm_n": gemm_n, "act_elements": act_elements, "copy_threads": threads,
           "gemm": {}, "gemm_best": {}, "copy_gbps": {}, "copy_gbps_best": {}}
    rng = np.random.default_rng(seed)
    with ThreadPoolExecutor(max(1, threads - 1)) as pool:
        for dt in ("float32", "float64"):
            a, b = (rng.standard_normal((gemm_n, gemm_n)).astype(dt) for _ in range(2))
            c = np.empty_like(a)
            for th in sorted({1, threads}):
                with threadpool_limits(th, user_api="blas"):
                    rates = _rate(2.0 * gemm_n ** 3 / 1e9, lambda: np.matmul(a, b, out=c), 0.5)
                out["gemm"][f"{dt}/{th}"], out["gemm_best"][f"{dt}/{th}"] = rates
            src = rng.standard_normal(act_elements).astype(dt)
            dst = np.empty_like(src)
            rates = _rate(2 * src.nbytes / 1e9, lambda: _copy(dst, src, pool, threads), BUDGET_S)
            out["copy_gbps"][dt], out["copy_gbps_best"][dt] = rates
    return out


def _copy(dst, src, pool, threads):
    """``dst[:] = src`` in ``threads`` equal chunks at once (``np.copyto`` releases the GIL), so that
    the copy ceiling uses as many cores as the kernels measured against it."""
    bounds = np.linspace(0, src.size, threads + 1).astype(int)
    jobs = [pool.submit(np.copyto, dst[i:j], src[i:j]) for i, j in zip(bounds[1:-1], bounds[2:])]
    np.copyto(dst[:bounds[1]], src[:bounds[1]])
    for job in jobs:
        job.result()
