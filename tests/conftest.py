"""Test session setup.

Numba's on-disk cache is keyed by each function's own source file, so an edit to a scalar function in
``activations.py`` would not invalidate a cached kernel in ``linear.py`` that inlines it.  Tests
therefore use a cache directory named by a hash of every ffbench source file: an edit anywhere gives
a fresh, cold cache, and an unchanged tree reuses the warm one.  CI sets NUMBA_CACHE_DIR to an empty
directory of its own.
"""
import hashlib
import os
import pathlib
import tempfile

_ROOT = pathlib.Path(__file__).resolve().parents[1]

if "NUMBA_CACHE_DIR" not in os.environ:
    digest = hashlib.sha256()
    for path in sorted((_ROOT / "ffbench").rglob("*.py")):
        digest.update(path.read_bytes())
    os.environ["NUMBA_CACHE_DIR"] = str(pathlib.Path(tempfile.gettempdir())
                                        / f"ffbench-numba-{digest.hexdigest()[:16]}")

import numpy as np  # noqa: E402
import pytest  # noqa: E402


_COMPILED = ("*.nbi", "*.nbc")


def _compiled_in_tree() -> set:
    return {p for pattern in _COMPILED for p in (_ROOT / "ffbench").rglob(pattern)}


def pytest_sessionstart(session):
    session.config._ffbench_compiled = _compiled_in_tree()


def pytest_sessionfinish(session, exitstatus):
    # The tests must leave the source tree as they found it: Numba's cache belongs in NUMBA_CACHE_DIR.
    new = sorted(_compiled_in_tree() - session.config._ffbench_compiled)
    if new:
        print(f"\nERROR: the tests wrote {len(new)} Numba cache files into the source tree, e.g. {new[0]}")
        session.exitstatus = 1


@pytest.fixture
def rng():
    return np.random.default_rng(12345)
