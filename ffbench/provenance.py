"""Where a number came from: software versions, git commit, hardware and thread settings.

``collect()`` returns a JSON-able dict that every study record carries under ``"provenance"``.  It holds
a UTC time stamp, so it belongs in records, never in anything that must be byte-identical (figures).
The host name and user name are left out on purpose (records are committed and shared); library file
paths are left out for the same reason.
"""
from __future__ import annotations

import datetime
import importlib.metadata
import os
import platform
import subprocess
from pathlib import Path

PACKAGES = ("numba", "llvmlite", "numpy", "scipy", "matplotlib", "threadpoolctl", "tqdm")

# Environment variables that change numerical results or speed; recorded only when set.
ENVIRONMENT = ("NUMBA_NUM_THREADS", "NUMBA_THREADING_LAYER", "NUMBA_OPT", "NUMBA_CPU_NAME", "NUMBA_CPU_FEATURES",
               "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "OPENBLAS_CORETYPE", "NPY_ENABLE_CPU_FEATURES",
               "NPY_DISABLE_CPU_FEATURES", "MKL_NUM_THREADS", "SOURCE_DATE_EPOCH")

GIT_TIMEOUT_S = 5


def repo_root() -> Path | None:
    """The checkout holding this ffbench package (the parent of ``ffbench/`` with ``studies/`` and
    ``pyproject.toml`` next to it), or None for a pip-installed ffbench."""
    root = Path(__file__).resolve().parent.parent
    if (root / "studies").is_dir() and (root / "pyproject.toml").is_file():
        return root
    return None


def ffbench_version() -> str | None:
    try:
        import ffbench
        version = getattr(ffbench, "__version__", None)
    except ImportError:
        version = None
    if version is None:
        try:
            version = importlib.metadata.version("ffbench")
        except importlib.metadata.PackageNotFoundError:
            version = None
    return version


def _git(root: Path, *args: str) -> str | None:
    # --no-optional-locks: `git status` must never rewrite the index of a checkout someone is working in.
    try:
        done = subprocess.run(["git", "--no-optional-locks", "-C", str(root), *args], capture_output=True,
                              text=True, timeout=GIT_TIMEOUT_S, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


def git_state(root: Path | None = None) -> dict | None:
    """``{"commit": sha, "dirty": bool}`` for the checkout, or None outside a git checkout (or without git).
    ``dirty`` means tracked files differ from the commit; untracked files are ignored."""
    root = repo_root() if root is None else root
    if root is None or not (root / ".git").exists():
        return None
    commit = _git(root, "rev-parse", "HEAD")
    if commit is None:
        return None
    status = _git(root, "status", "--porcelain", "--untracked-files=no")
    return {"commit": commit.strip(), "dirty": None if status is None else bool(status.strip())}


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _package_version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def blas_info() -> list[dict]:
    """The BLAS libraries loaded in this process, as threadpoolctl sees them (without file paths), the one
    that ffbench's products run on (NumPy's, ``ffbench.gemm.BLAS_PATH``) first and marked ``"ffbench": True``;
    the others (SciPy's, PyTorch's) are listed because other code in the process may use them."""
    from threadpoolctl import threadpool_info

    from ffbench.gemm import BLAS_PATH

    keep = ("internal_api", "version", "num_threads", "threading_layer", "architecture")
    libs = [{**{k: lib.get(k) for k in keep}, "ffbench": lib.get("filepath") == BLAS_PATH}
            for lib in threadpool_info() if lib.get("user_api") == "blas"]
    return sorted(libs, key=lambda lib: not lib["ffbench"])


def peak_rss_mib() -> float | None:
    """Peak resident memory of this process so far, in MiB (Linux and macOS; None elsewhere).  With ``--workers``
    the runs happen in worker processes, whose peaks this does not include; a serial run (``ffbench refresh``'s
    default) counts everything."""
    try:
        import resource
    except ImportError:  # Windows
        return None
    # ru_maxrss is in KiB on Linux, in bytes on macOS.
    scale = 2**20 if platform.system() == "Darwin" else 2**10
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / scale, 1)


def collect(seed=None, threads=None) -> dict:
    """Provenance of a computation done in this process.

    ``seed``: the study seed.  ``threads``: the Numba thread count used (default: the current one).
    """
    from ffbench.pinning import instruction_set
    from ffbench.threads import get_threads, threading_layer

    try:
        usable_cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        usable_cores = os.cpu_count()
    return {
        "ffbench": ffbench_version(),
        "git": git_state(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "packages": {name: _package_version(name) for name in PACKAGES},
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu": cpu_model(),
        "instruction_set": instruction_set(),
        "logical_cores": os.cpu_count(),
        "usable_cores": usable_cores,
        "numba_threads": get_threads() if threads is None else int(threads),
        "numba_threading_layer": threading_layer(),
        "blas": blas_info(),
        "environment": {k: os.environ[k] for k in ENVIRONMENT if k in os.environ},
        "seed": seed,
        "date_utc": datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat(),
    }
