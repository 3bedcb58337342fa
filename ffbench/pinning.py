"""One x86-64 code path for the committed records and figures, whatever CPU makes them.

Three libraries pick machine code for the CPU they load on, and different code rounds differently:

- **OpenBLAS** picks its GEMM kernels (SkylakeX on AVX-512, Haswell on AVX2): the same product differs in the
  last bits.  Pinned by ``OPENBLAS_CORETYPE=Haswell`` (read by NumPy's and SciPy's OpenBLAS when they load).
- **NumPy** dispatches its ufunc loops (exp, log, tanh, sum, ...) at import to the best of its compiled targets
  (NumPy 2.4: X86_V3 = AVX2/FMA, X86_V4 and AVX512_ICL/SPR = AVX-512).  Measured on an AVX-512 Xeon: ``np.exp``,
  ``np.log`` and ``np.tanh`` over 10^5 float64 values, and a float32 sum, change bits between the two, and so does
  a figure (matplotlib's log-axis transform goes through ``np.log10``: 9 pixels of
  ``approximation_staircase_error.png`` moved by up to 3 levels).  Pinned by ``NPY_ENABLE_CPU_FEATURES`` set to
  the AVX2 target (read once, when NumPy is imported).
- **Numba** compiles for the host CPU (``rocketlake``, ``znver4``, ...).  Measured: no bit of the xor, dead_relu
  or vanishing quick records changed between the haswell, rocketlake and znver4 targets, since ffbench's kernels
  reduce serially in a fixed order (no fastmath reassociation), while a fastmath loop may not (a float32 sum compiled
  for haswell with the host's AVX-512 features used 512-bit vectors, with 256-bit ones for rocketlake).  Pinned all the same, since LLVM's choices are per
  CPU model and version: ``NUMBA_CPU_NAME=haswell`` with the features of that CPU only (``NUMBA_CPU_FEATURES`` set
  to the empty list: LLVM then uses the named CPU's own features).

All three are environment variables read when a library loads, so they cannot be changed inside a running process:
``pinned_environment`` gives the environment for a child process (``ffbench refresh`` runs every study in one,
``python -m ffbench.figures`` re-executes itself in one).  A machine without AVX2 and FMA cannot run the pinned
code; there the environment is left alone and the note says why.  What stays outside the pin: the versions
(NumPy, OpenBLAS, Numba/LLVM, glibc's libm), which the record's provenance names, and non-x86-64 machines.

``instruction_set()`` says which code this process runs (the CPU flags that matter, NumPy's enabled dispatch
targets, Numba's target CPU, OpenBLAS's core), so a difference between two records is explainable.
"""
from __future__ import annotations

import os
import platform
import sys

CORETYPE = "Haswell"          # OpenBLAS's kernel family for AVX2 + FMA
NUMBA_CPU = "haswell"         # LLVM's name for the same instruction set
NUMPY_TARGET = "X86_V3"       # NumPy 2.x's dispatch target for AVX2 + FMA (NumPy 1.x names the features one by one)
NUMPY_1_TARGET = "SSSE3 SSE41 POPCNT SSE42 AVX F16C FMA3 AVX2"
#: CPU flags (as /proc/cpuinfo spells them) that decide which code the three libraries pick.
FLAGS = ("sse4_2", "avx", "fma", "avx2", "avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512_fp16")
REQUIRED = ("avx", "fma", "avx2")
PINNED_BY = "FFBENCH_PINNED"  # set in a pinned child, so that it never re-executes itself


def cpu_flags() -> set[str]:
    """The flags of this CPU (Linux's /proc/cpuinfo; empty elsewhere)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def _numpy_target() -> str:
    import numpy as np

    return NUMPY_TARGET if int(np.__version__.split(".")[0]) >= 2 else NUMPY_1_TARGET


def pins() -> dict[str, str]:
    """The environment variables that pin the code path."""
    return {"OPENBLAS_CORETYPE": CORETYPE, "NPY_ENABLE_CPU_FEATURES": _numpy_target(),
            "NUMBA_CPU_NAME": NUMBA_CPU, "NUMBA_CPU_FEATURES": "", PINNED_BY: "1"}


def cannot_pin() -> str | None:
    """Why this machine cannot run the pinned code, or None when it can."""
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return f"this is a {platform.machine()} machine, not x86-64"
    missing = [f for f in REQUIRED if f not in cpu_flags()]
    if missing:
        return f"this CPU lacks {', '.join(missing)}"
    return None


def pinned_environment(environ=None) -> tuple[dict, str | None]:
    """``(environment for a child process, note)``: ``environ`` (default ``os.environ``) with the pins set, a value
    the user set kept; the note (else None) says why nothing is pinned on this machine, or which pin the user
    overrode, since then the results may differ from the committed ones in the last bits."""
    env = dict(os.environ if environ is None else environ)
    reason = cannot_pin()
    if reason:
        return env, (f"{reason}: ffbench cannot pin the AVX2 code path that made the committed records; results "
                     "may differ from them in the last bits")
    overridden = [k for k, v in pins().items() if k != PINNED_BY and k in env and env[k] != v]
    for key, value in pins().items():
        env.setdefault(key, value)
    note = None
    if overridden:
        note = (f"{', '.join(f'{k}={env[k]!r}' for k in overridden)} set by you overrides the pinned code path: "
                "results may differ from the committed records in the last bits")
    return env, note


def is_pinned(environ=None) -> bool:
    """Whether this process (or ``environ``) runs the pinned code path."""
    env = os.environ if environ is None else environ
    return all(env.get(k) == v for k, v in pins().items() if k != PINNED_BY)


def reexec_pinned(module: str, argv) -> None:
    """Replace this process by ``python -m module *argv`` in the pinned environment, unless it is pinned already,
    was started pinned (``FFBENCH_PINNED``: the user's overrides stand), or the machine cannot be pinned (a note
    on stderr).  Call it first thing in a command's ``main``, before anything reads the libraries' choices."""
    if os.environ.get(PINNED_BY) or is_pinned():
        return
    env, note = pinned_environment()
    if note:
        print(f"note: {note}", file=sys.stderr)
    if cannot_pin():
        return
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, [sys.executable, "-m", module, *argv], env)


def instruction_set() -> dict:
    """Which code this process runs: ``{"cpu_flags", "numpy_features", "numba_target", "openblas_core",
    "pinned"}`` (JSON-able), for a record's provenance."""
    import numpy as np

    try:
        from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__
    except ImportError:  # NumPy 1.x
        from numpy.core._multiarray_umath import __cpu_dispatch__, __cpu_features__
    from numba.core import config
    import llvmlite.binding as ll
    from threadpoolctl import threadpool_info

    flags = cpu_flags()
    features = config.CPU_FEATURES if config.CPU_FEATURES is not None else ll.get_host_cpu_features().flatten()
    wide = sorted(f[1:] for f in features.split(",") if f.startswith("+") and f[1:].startswith(("avx", "fma")))
    cores = sorted({lib.get("architecture") or "?" for lib in threadpool_info() if lib.get("user_api") == "blas"})
    cpu = config.CPU_NAME or ll.get_host_cpu_name()
    return {"cpu_flags": [f for f in FLAGS if f in flags],
            "numpy_features": [t for t in __cpu_dispatch__ if __cpu_features__.get(t)],
            "numpy": np.__version__,
            "numba_target": {"cpu": cpu, "features": f"those of {cpu}" if config.CPU_FEATURES == "" else wide},
            "openblas_core": cores,
            "pinned": is_pinned()}
