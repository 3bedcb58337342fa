"""The training step's matrix products alone (``ffbench.gemm.matmul``), at the shapes where the tiling rule of
``ffbench/gemm.py`` decides most: the 64-row batch of a 1024-wide layer (forward X W, weight gradient X^T dZ,
input gradient dZ W^T on a transposed view) and the 512-row batch of a 256-wide one, float32.

``time_product`` tracks each product across commits; ``track_percent_of_ceiling`` its speed as a percentage of the
GEMM ceiling of ``python -m ffbench.bench`` (NumPy's 2048^3 sgemm on the same thread count), measured in the same
process, so a change of the tiling rule or of the BLAS shows as a change of that percentage whatever the machine's
absolute speed.  Both rates are best-of samples (the bench's table uses medians: compare like with like)."""
import time

import numpy as np

from .common import normal

# name: (m, k, n, layout): "plain" a (m, k) @ b (k, n); "dW" a = X.T, X (k, m); "dX" b = W.T, W (n, k)
PRODUCTS = {"forward 64x1024x1024": (64, 1024, 1024, "plain"), "dW 1024x64x1024": (1024, 64, 1024, "dW"),
            "dX 64x1024x1024": (64, 1024, 1024, "dX"), "forward 512x256x256": (512, 256, 256, "plain")}
CEILING_N = 2048


def _operands(m, k, n, layout):
    if layout == "dW":
        return normal((k, m), "float32").T, normal((k, n), "float32", offset=1)
    if layout == "dX":
        return normal((m, k), "float32"), normal((n, k), "float32", offset=1).T
    return normal((m, k), "float32"), normal((k, n), "float32", offset=1)


def _best_seconds(fn, repeat=7, seconds=0.05):
    # Not ffbench.bench.timing: asv takes ffbench from the commit it times, and older commits lack that module.
    fn()
    t0 = time.perf_counter()
    fn()
    calls = max(1, int(seconds / max(time.perf_counter() - t0, 1e-9)))
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(calls):
            fn()
        best = min(best, (time.perf_counter() - t0) / calls)
    return best


class GemmTiles:
    params = (list(PRODUCTS),)
    param_names = ("product",)
    timeout = 300

    def setup(self, product):
        from ffbench import gemm
        self.gemm = gemm
        m, k, n, layout = PRODUCTS[product]
        self.a, self.b = _operands(m, k, n, layout)
        self.out = np.empty((m, n), np.float32)
        gemm.matmul(self.a, self.b, self.out)  # compiles or loads the kernels outside the timed samples
        self.flops = 2.0 * m * k * n

    def time_product(self, product):
        self.gemm.matmul(self.a, self.b, self.out)

    def track_percent_of_ceiling(self, product):
        import numba
        from threadpoolctl import threadpool_limits
        a = normal((CEILING_N, CEILING_N), "float32")
        c = np.empty_like(a)
        with threadpool_limits(numba.get_num_threads(), user_api="blas"):
            ceiling = 2.0 * CEILING_N ** 3 / _best_seconds(lambda: np.matmul(a, a, out=c), repeat=3)
        rate = self.flops / _best_seconds(lambda: self.gemm.matmul(self.a, self.b, self.out))
        return 100.0 * rate / ceiling

    track_percent_of_ceiling.unit = "%"
