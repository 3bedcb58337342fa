"""ffbench.data.mnist1d and ffbench.data.digits: shapes, determinism, the cache, no network, bad
input, and the error naming the ``data`` extra when its packages are missing."""
import random
import socket
import sys

import numpy as np
import pytest

from ffbench import data
from ffbench.data import real

def _have(module):
    try:
        __import__(module)
        return True
    except ImportError:
        return False


needs_mnist1d = pytest.mark.skipif(not _have("mnist1d"), reason="mnist1d (the 'data' extra) not installed")
needs_sklearn = pytest.mark.skipif(not _have("sklearn"), reason="scikit-learn (the 'data' extra) not installed")


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to open a network connection fails the test."""
    def refuse(*args, **kwargs):
        raise AssertionError("a data loader tried to open a network connection")
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.fixture(scope="module")
def mnist1d_cache(tmp_path_factory):
    """One cache directory, filled once for the module (generation takes about a second)."""
    return tmp_path_factory.mktemp("mnist1d")


# --------------------------------------------------------------------------------------------------
# MNIST-1D

@needs_mnist1d
def test_mnist1d_generated_offline_without_touching_the_working_directory(tmp_path, monkeypatch,
                                                                         no_network):
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    np.random.seed(7)
    random.seed(7)
    before = np.random.get_state()[1].copy(), random.getstate()
    X, y = data.mnist1d(cache_dir=tmp_path / "cache")
    # the package's generator seeds the global random states: they are given back untouched
    np.testing.assert_array_equal(np.random.get_state()[1], before[0])
    assert random.getstate() == before[1]
    assert list(workdir.iterdir()) == []                      # no pickle left in the working directory
    assert [p.suffix for p in (tmp_path / "cache").iterdir()] == [".npz"]
    assert X.shape == (4000, 40) and y.shape == (4000,)


@needs_mnist1d
@pytest.mark.parametrize("split, n", [("train", 4000), ("test", 1000)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_mnist1d_shapes_dtypes_labels(mnist1d_cache, split, n, dtype):
    X, y = data.mnist1d(split, cache_dir=mnist1d_cache, dtype=dtype)
    assert X.shape == (n, 40) and X.dtype == dtype and X.flags.c_contiguous
    assert y.shape == (n,) and y.dtype == np.int64
    assert set(np.unique(y)) == set(range(10))
    assert np.all(np.isfinite(X))
    X64, _ = data.mnist1d(split, cache_dir=mnist1d_cache)
    np.testing.assert_array_equal(X, X64.astype(dtype))


@needs_mnist1d
def test_mnist1d_is_the_paper_configuration(mnist1d_cache):
    X, y = data.mnist1d(cache_dir=mnist1d_cache)
    Xt, yt = data.mnist1d("test", cache_dir=mnist1d_cache)
    both = np.concatenate([X, Xt])
    # the generator standardises the whole set (train and test together)
    assert abs(both.mean()) < 1e-12 and abs(both.std() - 1.0) < 1e-12
    np.testing.assert_array_equal(np.bincount(np.concatenate([y, yt])), np.full(10, 500))


@needs_mnist1d
def test_mnist1d_cache_gives_the_generated_bits_and_is_used(mnist1d_cache, tmp_path, monkeypatch):
    fresh = data.mnist1d(cache_dir=tmp_path)                 # generated now
    cached = data.mnist1d(cache_dir=mnist1d_cache)           # read back (filled by an earlier test)

    def fail(*args):
        raise AssertionError("regenerated although the cache holds the data")
    monkeypatch.setattr(real, "_generate_mnist1d", fail)
    again = data.mnist1d(cache_dir=tmp_path)
    for a, b, c in zip(fresh, cached, again):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, c)


@needs_mnist1d
def test_mnist1d_cache_dir_from_environment(mnist1d_cache, tmp_path, monkeypatch):
    data.mnist1d(cache_dir=mnist1d_cache)
    path = next(mnist1d_cache.glob("mnist1d-*.npz"))
    (tmp_path / "mnist1d").mkdir()
    (tmp_path / "mnist1d" / path.name).write_bytes(path.read_bytes())
    monkeypatch.setenv("FFBENCH_DATA", str(tmp_path))
    monkeypatch.setattr(real, "_generate_mnist1d", None)      # must be read from $FFBENCH_DATA
    np.testing.assert_array_equal(data.mnist1d("test")[1], data.mnist1d("test", cache_dir=mnist1d_cache)[1])


@needs_mnist1d
def test_mnist1d_shuffle_seq_is_one_fixed_permutation_of_the_positions(mnist1d_cache):
    for split in ("train", "test"):
        X, y = data.mnist1d(split, cache_dir=mnist1d_cache)
        Xs, ys = data.mnist1d(split, shuffle_seq=True, cache_dir=mnist1d_cache)
        np.testing.assert_array_equal(ys, y)
        assert not np.array_equal(Xs, X)
        # column j of the shuffled set is some column of the plain one (the same for every sample,
        # up to the rounding of the standardisation, which is computed after the shuffle)
        perm = [int(np.argmin(np.abs(X - Xs[:, [j]]).max(axis=0))) for j in range(40)]
        assert sorted(perm) == list(range(40))
        np.testing.assert_allclose(Xs, X[:, perm], rtol=0, atol=1e-12)


@needs_mnist1d
def test_mnist1d_bad_input(mnist1d_cache, tmp_path):
    with pytest.raises(ValueError, match="split"):
        data.mnist1d("validation", cache_dir=mnist1d_cache)
    with pytest.raises(TypeError, match="shuffle_seq"):
        data.mnist1d(shuffle_seq="yes", cache_dir=mnist1d_cache)
    with pytest.raises(TypeError, match="dtype"):
        data.mnist1d(cache_dir=mnist1d_cache, dtype=np.int32)
    # a damaged cache file is reported with its path, never silently used
    path = next(mnist1d_cache.glob("mnist1d-*.npz"))
    bad = tmp_path / path.name
    bad.write_bytes(b"not an npz file")
    with pytest.raises(ValueError, match="delete it"):
        data.mnist1d(cache_dir=tmp_path)
    np.savez(bad, x=np.zeros((3, 40)), y=np.zeros(3, np.int64), x_test=np.zeros((1, 40)),
             y_test=np.zeros(1, np.int64))
    with pytest.raises(ValueError, match="'x' should be float64 of shape"):
        data.mnist1d(cache_dir=tmp_path)


# --------------------------------------------------------------------------------------------------
# digits

@needs_sklearn
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_digits_shapes_stratified_disjoint_split(dtype, no_network):
    X, y = data.digits("train", dtype=dtype)
    Xt, yt = data.digits("test", dtype=dtype)
    assert X.shape == (1438, 64) and Xt.shape == (359, 64)
    assert X.dtype == Xt.dtype == dtype and y.dtype == yt.dtype == np.int64
    assert X.min() == 0.0 and X.max() == 1.0
    total = np.bincount(y) + np.bincount(yt)
    assert total.sum() == 1797
    # stratified: each class's test share is its rounded 20%
    np.testing.assert_array_equal(np.bincount(yt), np.round(0.2 * total).astype(int))
    # disjoint and covering: together the splits hold every image once
    from sklearn.datasets import load_digits
    full = load_digits().data / 16.0
    key = lambda a: sorted(map(bytes, np.asarray(a, np.float64)))   # noqa: E731
    assert key(np.concatenate([X, Xt])) == key(full.astype(dtype))


@needs_sklearn
def test_digits_same_seed_same_split_other_seed_other_split():
    a, b = data.digits("test", seed=3), data.digits("test", seed=3)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    c = data.digits("test", seed=np.random.default_rng(3))
    np.testing.assert_array_equal(a[0], c[0])
    assert not np.array_equal(a[0], data.digits("test", seed=4)[0])
    raw, _ = data.digits("test", seed=3, normalize=False)
    np.testing.assert_array_equal(raw / 16.0, a[0])


@needs_sklearn
def test_digits_bad_input():
    with pytest.raises(ValueError, match="split"):
        data.digits("val")
    for fraction in (0.0, 1.0, -0.1):
        with pytest.raises(ValueError, match="test_fraction"):
            data.digits(test_fraction=fraction)
    with pytest.raises(TypeError, match="seed|rng"):
        data.digits(seed=1.5)


# --------------------------------------------------------------------------------------------------
# the 'data' extra

@pytest.mark.parametrize("load, modules, package", [
    (data.mnist1d, ("mnist1d", "mnist1d.data"), "mnist1d"),
    (data.digits, ("sklearn", "sklearn.datasets"), "scikit-learn"),
])
def test_missing_extra_is_named(load, modules, package, monkeypatch, tmp_path):
    for module in modules:
        monkeypatch.setitem(sys.modules, module, None)      # import then raises ImportError
    with pytest.raises(ImportError, match=rf"'{package}' package, part of ffbench's 'data' extra"):
        load("train", cache_dir=tmp_path) if load is data.mnist1d else load("train")
