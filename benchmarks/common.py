"""Shared, seeded helpers for the asv benchmarks.

Only ever append to this module: asv keys a benchmark's history by its source, so editing a helper that
benchmarks call would orphan their results.  Every helper draws its numbers from
``np.random.default_rng(SEED)``, so each benchmark times the same data on every run.
"""
import os
import subprocess
import sys
import tempfile

import numpy as np

SEED = 0
DTYPES = ("float32", "float64")


def rng(offset=0):
    return np.random.default_rng(SEED + offset)


def normal(shape, dtype, scale=1.0, offset=0):
    """A C-contiguous ``shape`` array of N(0, scale^2) draws in ``dtype``."""
    return (scale * rng(offset).standard_normal(shape)).astype(dtype)


def mlp_and_batch(batch, width, depth, activation, dtype, lr=1e-3):
    """A ``depth``-layer ``width``-wide MLP: ``sized_mlp_and_batch`` with sizes ``[width] * (depth + 1)``."""
    return sized_mlp_and_batch(batch, [width] * (depth + 1), activation, dtype, lr)


def sized_mlp_and_batch(batch, sizes, activation, dtype, lr=1e-3):
    """An MLP of layer sizes ``sizes``, an SGD optimiser and one (X, Y) batch, the JIT warmed up.

    The warm-up step compiles (or loads from Numba's cache) every kernel of the step, so no compile
    time lands in a timed sample."""
    import ffbench
    from ffbench.optim import SGD

    model = ffbench.MLP(sizes, activation=activation, dtype=dtype, seed=SEED)
    opt = SGD(model, lr=lr)
    X = normal((batch, sizes[0]), dtype, offset=1)
    Y = normal((batch, sizes[-1]), dtype, scale=0.1, offset=2)
    model.train_step(X, Y, "mse", opt)
    return model, opt, X, Y


# Run in a fresh interpreter: import ffbench, build an MLP and time its first training step (which
# compiles, or loads from the cache, every kernel the step needs); print the seconds.
_FIRST_STEP = """
import time, numpy as np
t0 = time.perf_counter()
import ffbench
from ffbench.optim import SGD
t1 = time.perf_counter()
m = ffbench.MLP([32, 32, 32, 4], activation="tanh", dtype=np.float32)
X = np.ones((16, 32), np.float32); Y = np.zeros((16, 4), np.float32)
m.train_step(X, Y, "mse", SGD(m, lr=0.1))
print(time.perf_counter() - t1)
"""


def first_step_seconds(cache_dir):
    """Seconds of a fresh process's first training step with Numba's cache in ``cache_dir``."""
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache_dir))
    out = subprocess.run([sys.executable, "-c", _FIRST_STEP], env=env, capture_output=True, text=True,
                         check=True, timeout=600)
    return float(out.stdout.strip().splitlines()[-1])


def temporary_directory(prefix):
    return tempfile.TemporaryDirectory(prefix=prefix)
