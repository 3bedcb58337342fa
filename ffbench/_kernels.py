"""Per-activation kernels from one template, and the choice of serial or parallel loop by size.

Numba can neither cache a closure over a jitted function across processes (the closure's hash
includes the dispatcher's per-process uuid) nor inline a jitted function passed as an argument.  So a
kernel that applies "some activation" is written once, as a template that calls global names
(``_F``, ``_DF``), and ``specialise`` re-binds those names to one activation's scalar functions,
under a name of its own so that each specialisation gets its own cache file.  The result is an
ordinary cached ``@njit`` kernel with the activation inlined by LLVM, as fast as a hand-written one.

Serial or parallel: waking Numba's thread team costs microseconds on an idle machine and a whole
scheduler time slice (milliseconds, measured: ~25 ms per launch at load 8 on 2 cores) on a busy one,
so a small array is faster on one thread.  ``parallel="auto"`` (the default) compiles both loops and
runs the parallel one only from ``min_size`` elements up: each kernel family passes its own measured
crossover (the size from which a 2-thread team beats the serial loop, measured on the 2-core machine,
float32 and float64 alike within the noise): SGD's update from 2**18 elements, relu-like activations
from 2**17, tanh and the other transcendental activations from 2**15, Adam from 2**13 (``optim``,
``_activation``); kernels without a measurement of their own use ``PARALLEL_MIN`` (32768 = 2**15).
``FFBENCH_PARALLEL_MIN``, when set, overrides every kernel's threshold.  Both loops evaluate the same
scalar code element by element, so the choice never changes a bit.

How the team waits: importing ffbench sets ``OMP_WAIT_POLICY=PASSIVE`` unless it is already set (it
must be set before Numba starts its OpenMP runtime).  With the default (spinning) policy an idle worker
busy-waits; when another process holds the second core it spins on the main thread's core instead, for a
whole time slice at every launch.  Measured on the 2-core machine (load ~1.5, 64x256 2-layer step,
2 threads): 16.0 ms per step spinning, 0.62 ms passive, 0.59 ms serial.  On an idle machine passive
waiting costs ~10 us more per parallel launch (a futex wake-up), which ``PARALLEL_MIN`` amortises.
"""
from __future__ import annotations

import hashlib
import os
import pathlib
import types

import numba
import numpy as np

#: The modules whose functions end up inside compiled kernels (a new kernel module joins this list).
KERNEL_MODULES = ("_activation", "_kernels", "activations", "batchnorm", "fastmath", "fused", "gemm", "linear", "losses",
                  "optim")


def _source_digest() -> str:
    """Hash of ffbench's kernel modules (``KERNEL_MODULES``).

    Numba invalidates a cached kernel when *its own* file changes, not when a function it inlines from
    another module does (an edited activation in ``activations.py`` or ``fastmath.py`` would leave a
    stale fused kernel of ``linear.py`` in the cache).  Every specialised kernel carries this digest in
    its name, so any edit to a kernel module compiles fresh kernels instead of loading stale ones."""
    digest = hashlib.sha256()
    for name in KERNEL_MODULES:
        digest.update((pathlib.Path(__file__).parent / f"{name}.py").read_bytes())
    return digest.hexdigest()[:12]


SOURCE_DIGEST = _source_digest()

#: How long an idle OpenMP worker spins before it sleeps (libgomp's ``GOMP_SPINCOUNT``; see above).
SPIN_COUNT = 3000
if "OMP_WAIT_POLICY" not in os.environ:
    os.environ.setdefault("GOMP_SPINCOUNT", str(SPIN_COUNT))

_OVERRIDE = os.environ.get("FFBENCH_PARALLEL_MIN")

#: Arrays with fewer elements than this run the serial loop of a ``parallel="auto"`` kernel that has no
#: measured crossover of its own.
PARALLEL_MIN = int(_OVERRIDE or 32768)


def parallel_min(measured: int) -> int:
    """A kernel's threshold: its ``measured`` crossover, unless ``FFBENCH_PARALLEL_MIN`` overrides all."""
    return PARALLEL_MIN if _OVERRIDE else measured


class BySize:
    """A kernel compiled twice, serial and parallel; a call runs the parallel loop only when its first
    argument has at least ``min_size`` elements and Numba has more than one thread.  Each loop
    compiles on its first use, so code that only sees small arrays never compiles the parallel one."""

    __slots__ = ("serial", "parallel", "min_size", "__name__")

    def __init__(self, serial, parallel, name, min_size=None):
        self.serial, self.parallel, self.__name__ = serial, parallel, name
        self.min_size = PARALLEL_MIN if min_size is None else parallel_min(min_size)

    def __call__(self, *args):
        if args[0].size >= self.min_size and numba.get_num_threads() > 1:
            return self.parallel(*args)
        return self.serial(*args)

    def __repr__(self):
        return f"<BySize kernel {self.__name__} (parallel from {self.min_size} elements)>"


def specialise(template, name: str, parallel: bool | str = "auto", min_size: int | None = None, **bindings):
    """``@njit(cache=True)`` copy of ``template`` whose global names ``bindings`` are fixed.

    ``template`` is a plain Python function defined at module level; ``name`` must be unique per
    (template, bindings) because Numba's on-disk cache is keyed by the function's qualified name.
    ``parallel``: True, False, or ``"auto"`` for a ``BySize`` pair (its serial copy is cached as
    ``name + "_serial"``) running in parallel from ``min_size`` elements (default ``PARALLEL_MIN``).
    """
    if parallel == "auto":
        return BySize(specialise(template, name + "_serial", False, **bindings),
                      specialise(template, name, True, **bindings), name, min_size)
    # Without bindings the copy shares its module's globals (names defined later stay visible).
    env = ({"np": np, "prange": numba.prange, **template.__globals__, **bindings} if bindings
           else template.__globals__)
    fn = types.FunctionType(template.__code__, env, f"{name}_{SOURCE_DIGEST}", template.__defaults__)
    fn.__qualname__ = fn.__name__
    fn.__module__ = template.__module__
    fn.__doc__ = template.__doc__
    return numba.njit(parallel=bool(parallel), cache=True, error_model="numpy")(fn)


def by_size(fn=None, *, min_size: int | None = None):
    """Decorator (``@by_size`` or ``@by_size(min_size=...)``): a cached ``BySize`` kernel (serial and
    parallel loops) from a plain ``prange`` function."""
    if fn is None:
        return lambda f: specialise(f, f.__name__, min_size=min_size)
    return specialise(fn, fn.__name__, min_size=min_size)
