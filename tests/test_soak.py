"""Soak: 10,000 training steps of a mid-sized net grow neither memory nor step time."""
import resource
import time

import numpy as np

from ffbench import MLP
from ffbench.losses import mse
from ffbench.optim import Adam


def test_ten_thousand_steps_without_memory_growth_or_slowdown():
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(64, 32)), rng.normal(size=(64, 4))
    model = MLP([32, 64, 64, 4], activation="gelu", norm="batch", seed=0)
    opt = Adam(model, lr=1e-3)

    def steps(count):
        start = time.perf_counter()
        for _ in range(count):
            _, grad = mse(model._forward(X, train=True), Y)
            model._backward(grad)
            opt.step()
        return (time.perf_counter() - start) / count

    steps(200)                                          # JIT and allocator warm-up
    rss_start = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    early = steps(1000)
    steps(8000)
    late = steps(1000)
    rss_growth_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_start
    # Peak RSS may rise a little from allocator fragmentation, never by the ~200 MB that 10,000 steps of
    # leaked activations (64x64 float64 arrays, several per step) would take.
    assert rss_growth_kib < 20 * 1024, f"peak RSS grew by {rss_growth_kib} KiB"
    # A leak or a growing cache would make late steps slower; 2x leaves room for a noisy shared machine.
    assert late < 2.0 * early, f"step time went from {early * 1e6:.0f} us to {late * 1e6:.0f} us"
    assert np.isfinite(model.weights[0]).all()
