"""Serial or parallel by size (``ffbench._kernels.BySize``): each kernel family's own threshold, the
``FFBENCH_PARALLEL_MIN`` override, and the same bits from both loops."""
import os
import pathlib
import subprocess
import sys

import numba
import numpy as np
import pytest

from ffbench import activation, optim
from ffbench._kernels import PARALLEL_MIN, SPIN_COUNT

REPO = pathlib.Path(__file__).resolve().parents[1]


def test_each_kernel_family_has_its_measured_threshold():
    if "FFBENCH_PARALLEL_MIN" in os.environ:
        # The user's override replaces every measured threshold by design (tested in a subprocess below), so the
        # measured values cannot be checked in this process; CI never sets it, so there the test runs.
        pytest.skip("FFBENCH_PARALLEL_MIN overrides every threshold")
    assert optim._sgd_kernel.min_size == 1 << 18
    assert optim._adam_kernel.min_size == 1 << 13
    for name in ("relu", "leaky_relu"):
        assert {k.min_size for k in activation(name).kernels} == {1 << 15}
    for name in ("tanh", "gelu", "silu"):
        assert {k.min_size for k in activation(name).kernels} == {1 << 13}
    assert PARALLEL_MIN == 1 << 15


def test_the_environment_variable_overrides_every_threshold():
    code = ("from ffbench import activation, optim\n"
            "print(optim._sgd_kernel.min_size, optim._adam_kernel.min_size, activation('relu').kernels.forward.min_size)")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "FFBENCH_PARALLEL_MIN": "1000"})
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["1000"] * 3


# Comparing 1 with 2 threads needs 2; every machine we run on (CI included) has 2 cores, so it runs there.
@pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2, reason="needs 2 Numba threads")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_serial_and_parallel_loops_give_the_same_bits(dtype):
    rng = np.random.default_rng(3)
    n = 5000  # odd split between the threads
    z, g = rng.standard_normal(n).astype(dtype), rng.standard_normal(n).astype(dtype)
    f = dtype
    cases = {
        "sgd": (optim._sgd_kernel, lambda: (z.copy(), g, g.copy(), f(-0.01), f(1e-4), f(0.9), f(1.0), True, True,
                                            False, True)),
        "adam": (optim._adam_kernel, lambda: (z.copy(), g, g.copy(), np.abs(g), 2, f(1e-2), f(0.999), f(0.9),
                                              f(0.1), True, f(0.999), f(0.001), f(0.5), f(1e-8), f(-1e-3))),
    }
    for name in ("relu", "tanh", "gelu"):
        k = activation(name).kernels
        cases[f"{name} forward"] = (k.forward, lambda: (z, np.empty_like(z), ()))
        cases[f"{name} backward"] = (k.backward, lambda: (z, g, np.empty_like(z), ()))
    numba.set_num_threads(2)
    try:
        for name, (kernel, make) in cases.items():
            serial, parallel = make(), make()
            kernel.serial(*serial)
            kernel.parallel(*parallel)
            for a, b in zip(serial, parallel):
                if isinstance(a, np.ndarray):
                    assert a.tobytes() == b.tobytes(), name
    finally:
        numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)


@pytest.mark.parametrize("environment, expected", [
    ({}, ("", str(SPIN_COUNT))),                                              # ffbench's bounded spin
    ({"OMP_WAIT_POLICY": "PASSIVE"}, ("PASSIVE", "")),                        # the user's policy is kept
    ({"GOMP_SPINCOUNT": "50"}, ("", "50")),                                   # and the user's spin count
])
def test_the_thread_team_spins_a_bounded_time_unless_the_user_says_otherwise(environment, expected):
    """libgomp reads these when Numba starts it, after ffbench's import: ffbench sets a bounded spin only
    where the user chose no waiting policy (see ``ffbench._kernels``)."""
    code = "import os, ffbench; print(os.environ.get('OMP_WAIT_POLICY', ''), os.environ.get('GOMP_SPINCOUNT', ''), sep=',')"
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")}
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=300,
                          env={**env, **environment})
    assert done.returncode == 0, done.stderr[-2000:]
    assert tuple(done.stdout.strip().split(",")) == expected
