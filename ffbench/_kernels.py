"""Per-activation kernels from one template, and the choice of serial or parallel loop by size.

Numba can neither cache a closure over a jitted function across processes (the closure's hash
includes the dispatcher's per-process uuid) nor inline a jitted function passed as an argument.  So a
kernel that applies "some activation" is written once, as a template that calls global names
(``_F``, ``_DF``), and ``specialise`` re-binds those names to one activation's scalar functions,
under a name of its own so that each specialisation gets its own cache file.  The result is an
ordinary cached ``@njit`` kernel with the activation inlined by LLVM, as fast as a hand-written one.

Serial or parallel: handing a loop to Numba's thread team costs a few microseconds while its workers
spin and ~40 us once they sleep (a futex wake-up on this VM), so a small array is faster on one thread.
``parallel="auto"`` (the default) compiles both loops and runs the parallel one only from ``min_size``
elements up: each kernel family passes its own measured crossover (the size from which a 2-thread team
beats the serial loop, measured on the 2-core machine with the spinning team below, float32): SGD's
update from 2**18 elements, relu-like activations from 2**15, tanh and the other transcendental
activations from 2**13, Adam from 2**13 (``optim``, ``_activation``); kernels without a measurement of
their own use ``PARALLEL_MIN`` (32768 = 2**15).  ``FFBENCH_PARALLEL_MIN``, when set, overrides every
kernel's threshold.  Both loops evaluate the same scalar code element by element, so the choice never
changes a bit.  Kernels compile with ``error_model="numpy"``: a float division then has no zero-divisor
branch, which kept LLVM from vectorising the serial loops (Adam's serial update: 27 -> 4.9 us at 8192
float32 elements, the same bits).

How the team waits: importing ffbench sets ``GOMP_SPINCOUNT`` to ``SPIN_COUNT`` unless
``OMP_WAIT_POLICY`` or ``GOMP_SPINCOUNT`` is already set (it must be set before Numba starts its OpenMP
runtime): an idle worker spins that long for the next launch, then sleeps.  A training step launches the team
every few tens of microseconds, but a single-tile product runs on the calling thread alone in between (512 x 64 x
64: ~40 us), long enough for a 3000 spin to run out, so the next kernel paid a wake-up.  Measured, float32 SGD
steps on 2 threads (ms per step, the 2-core Sapphire Rapids VM; "busy": another process spinning on one of the 2
cores; the earlier AMD EPYC measurement chose 3000):

    ===================  =====  =====  =====  ===============================
    GOMP_SPINCOUNT       3000   10000  30000  busy: 3000, 10000, 30000, passive
    ===================  =====  =====  =====  ===============================
    512 x 64 x 8 tanh    1.68   1.37   1.39   3.49, 2.98, 8.12, 1.72
    64 x 256 x 8 relu    2.02   1.91   1.86   4.81, 5.93, 3.81, 2.61
    512 x 256 x 2 relu   1.87   2.00   1.94   4.05, 4.83, 8.61, 3.21
    ===================  =====  =====  =====  ===============================

10000 takes most of the idle gain on the deep narrow steps, at some cost elsewhere (512 x 256 x 2 idle, 64 x 256 x 8
busy); 30000 doubles some busy steps.  On a machine shared with other work, run ffbench
on one thread (``--threads 1``, the default of study workers) or set ``OMP_WAIT_POLICY=PASSIVE`` (workers sleep at
once: no spinning at all; the fastest busy column above).
"""
from __future__ import annotations

import hashlib
import os
import pathlib
import types

import numba
from numba.np.ufunc import parallel as numba_parallel
import numpy as np

#: The modules whose functions end up inside compiled kernels (a new kernel module joins this list).
KERNEL_MODULES = ("_activation", "_kernels", "activations", "activations_f32", "batchnorm", "fastmath", "fused",
                  "gemm", "linear", "losses", "optim")


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
SPIN_COUNT = 10000
if "OMP_WAIT_POLICY" not in os.environ:
    os.environ.setdefault("GOMP_SPINCOUNT", str(SPIN_COUNT))  # also read by libgomp only at its start

_OVERRIDE = os.environ.get("FFBENCH_PARALLEL_MIN")

#: Arrays with fewer elements than this run the serial loop of a ``parallel="auto"`` kernel that has no
#: measured crossover of its own.
PARALLEL_MIN = int(_OVERRIDE or 32768)


def parallel_min(measured: int) -> int:
    """A kernel's threshold: its ``measured`` crossover, unless ``FFBENCH_PARALLEL_MIN`` overrides all."""
    return PARALLEL_MIN if _OVERRIDE else measured


def team_size() -> int:
    """``numba.get_num_threads()`` without its two locks: ~0.2 us against ~0.7 us, and every kernel call
    asks.  The first call starts the threading layer (as ``get_num_threads`` does); later calls read the
    count through the layer's C getter (a private name of Numba's, with the public function as fallback)."""
    return _num_threads()


def _first_team_size() -> int:
    global _num_threads
    count = numba.get_num_threads()  # starts the threading layer, which defines the C getter
    _num_threads = getattr(numba_parallel, "_get_num_threads", numba.get_num_threads)
    return count


_num_threads = _first_team_size


class BySize:
    """A kernel compiled twice, serial and parallel; a call runs the parallel loop only when its first
    argument has at least ``min_size`` elements and Numba has more than one thread.  Each loop
    compiles on its first use, so code that only sees small arrays never compiles the parallel one."""

    __slots__ = ("serial", "parallel", "min_size", "__name__")

    def __init__(self, serial, parallel, name, min_size=None):
        self.serial, self.parallel, self.__name__ = serial, parallel, name
        self.min_size = PARALLEL_MIN if min_size is None else parallel_min(min_size)

    def __call__(self, *args):
        if args[0].size >= self.min_size and team_size() > 1:
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
