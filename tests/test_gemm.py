"""Tiled GEMMs: correct products, tiles fixed by the shape, the same bits on 1, 2 and 8 threads."""
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

from ffbench import gemm
from ffbench.threads import threads

REPO = pathlib.Path(__file__).resolve().parents[1]

# (m, k, n): one tile, column tiles, row tiles, many tiles, one-column and one-row outputs
SHAPES = [(32, 16, 16), (64, 256, 512), (512, 256, 64), (256, 512, 512), (300, 7, 1), (1, 9, 300)]


def _operands(m, k, n, dtype, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((m, k)).astype(dtype), rng.standard_normal((k, n)).astype(dtype)


def test_the_tiling_depends_on_the_shape_and_respects_the_minimum_tile():
    for m, n, k in [(64, 64, 64), (64, 256, 256), (512, 1024, 1024), (4096, 4096, 4096), (1 << 20, 64, 64)]:
        axis, bounds = gemm.tiles(m, n, k)
        count = bounds.size - 1
        side = (m, n)[axis]
        assert count & (count - 1) == 0 and 1 <= count <= gemm.MAX_TILES  # a power of two
        assert bounds[0] == 0 and bounds[-1] == side and np.all(np.diff(bounds) > 0)
        if count > 1:
            shared = k * (n if axis == 0 else m)
            extent = gemm.MIN_EXTENT * (1 if shared <= gemm.SHARED_CACHE else 4)
            assert side // count >= extent and m * n * k // count >= gemm.MIN_WORK
        if count > 2:
            assert m * n * k // count >= gemm.SPLIT_WORK
    assert gemm.tiles(64, 64, 64)[1].size == 2                       # small: one tile
    assert gemm.tiles(64, 256, 256)[1].size - 1 == 2                 # cut in two from 2 x MIN_WORK
    assert gemm.tiles(512, 256, 256)[1].size - 1 == 2                # more than two only from 4 x SPLIT_WORK
    assert gemm.tiles(4096, 4096, 4096)[1].size - 1 == 16              # large: many tiles, not two halves
    assert gemm.tiles(1 << 20, 64, 64)[1].size - 1 == gemm.MAX_TILES    # the cap
    assert gemm.tiles(64, 1024, 1024)[0] == 1                        # wide outputs split by columns


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", SHAPES)
def test_products_are_right_for_every_layout(shape, dtype):
    m, k, n = shape
    a, b = _operands(m, k, n, dtype)
    exact = a.astype(np.float64) @ b.astype(np.float64)
    tol = (1e-5 if dtype == np.float32 else 1e-13) * np.sqrt(k) * np.abs(exact).max()
    layouts = [(a, b), (np.asfortranarray(a), b), (a, np.asfortranarray(b)),
               (np.ascontiguousarray(a.T).T, np.ascontiguousarray(b.T).T)]
    results = [gemm.matmul(x, y) for x, y in layouts]
    for r in results:
        assert r.dtype == dtype and r.shape == (m, n)
        assert np.abs(r - exact).max() <= tol
    # a strided view the BLAS cannot read is copied first
    wide = np.zeros((m, 2 * k), dtype)
    wide[:, ::2] = a
    assert np.array_equal(gemm.matmul(wide[:, ::2], b), results[0])


def test_empty_inner_dimension_gives_zeros():
    out = gemm.matmul(np.ones((3, 0)), np.ones((0, 4)))
    assert out.shape == (3, 4) and not out.any()


@pytest.mark.parametrize("shape", SHAPES)
def test_one_and_two_threads_give_the_same_bits(shape):
    a, b = _operands(*shape, np.float32)
    with threads(1):
        one = gemm.matmul(a, b)
    with threads(2):
        two = gemm.matmul(a, b)
    assert np.array_equal(one, two)


# (dW, dX) pairs of a layer: batch x fan_in -> fan_out (one tile each; one tiled, one not; both tiled)
PAIRS = [(64, 64, 64), (32, 2, 16), (512, 64, 256), (512, 256, 256), (64, 1024, 1024)]


@pytest.mark.parametrize("count", [1, 2])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("layer", PAIRS)
def test_a_pair_of_products_gives_the_bits_of_two_products(layer, dtype, count):
    """The backward pass's dW = X^T dZ and dX = dZ W^T side by side, as ``matmul`` computes each."""
    batch, fan_in, fan_out = layer
    X, W = _operands(batch, fan_in, fan_out, dtype)
    dZ = _operands(batch, fan_out, 1, dtype, seed=1)[0]
    dW, dX = np.empty_like(W), np.empty_like(X)
    with threads(count):
        got = gemm.matmul_pair(X.T, dZ, dW, dZ, W.T, dX)
    assert got[0] is dW and got[1] is dX
    with threads(1):
        assert np.array_equal(dW, gemm.matmul(X.T, dZ)) and np.array_equal(dX, gemm.matmul(dZ, W.T))


_EIGHT = """
import sys, numpy as np
from ffbench import gemm
from ffbench.threads import set_threads
set_threads(int(sys.argv[1]))
rng = np.random.default_rng(0)
out = []
for m, k, n in [(512, 256, 512), (64, 1024, 2048), (2048, 256, 64)]:
    a, b = rng.standard_normal((m, k)).astype(np.float32), rng.standard_normal((k, n)).astype(np.float32)
    out += [gemm.matmul(a, b), gemm.matmul(a.T.copy().T, b), gemm.matmul(b.T, a.T)]
    out += gemm.matmul_pair(a.T, a, None, a, b, None)
np.savez(sys.argv[2], *out)
"""


def test_eight_threads_give_the_bits_of_one(tmp_path):
    """A fake 8-core machine (8 Numba threads on however many cores there are): the same tiles run in
    a different order on other threads and must give the same bits as one thread."""
    results = []
    for count in (1, 8):
        path = tmp_path / f"threads{count}.npz"
        env = {**os.environ, "NUMBA_NUM_THREADS": "8"}
        done = subprocess.run([sys.executable, "-c", _EIGHT, str(count), str(path)], cwd=REPO, env=env,
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr[-2000:]
        with np.load(path) as f:
            results.append([f[k] for k in sorted(f.files)])
    assert all(np.array_equal(x, y) for x, y in zip(*results))
    assert gemm.tiles(512, 512, 256)[1].size - 1 >= 2 and gemm.tiles(64, 2048, 1024)[1].size - 1 == 4  # split
