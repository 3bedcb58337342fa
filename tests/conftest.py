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


@pytest.fixture
def rng():
    return np.random.default_rng(12345)
