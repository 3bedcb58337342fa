"""ffbench.data: synthetic sets (determinism, shapes, formulas) and the IDX/MNIST loader.

Nothing here touches the network: the MNIST tests write small fake IDX files and read them from a
directory or through a file:// URL.
"""
import gzip
import hashlib
import os

import numpy as np
import pytest

from ffbench import data

# one call per generator; each must honour seed and dtype
GENERATORS = {
    "regression_1d": lambda **kw: data.regression_1d("sin", 50, noise=0.1, **kw),
    "regression_1d_sawtooth": lambda **kw: data.regression_1d("sawtooth", 50, k=3, **kw),
    "xor": lambda **kw: data.xor(n_per_corner=10, noise=0.1, **kw),
    "two_spirals": lambda **kw: data.two_spirals(40, noise=0.05, turns=1.5, **kw),
    "blobs": lambda **kw: data.blobs(31, centers=3, dim=4, std=0.5, **kw),
    "teacher": lambda **kw: data.teacher(30, [5, 8, 8, 3], activation="relu", noise=0.1, **kw),
    "teacher_classify": lambda **kw: data.teacher(30, [5, 8, 4], classify=True, **kw),
}
CLASSIFICATION = {"xor", "two_spirals", "blobs", "teacher_classify"}


@pytest.mark.parametrize("name", GENERATORS)
def test_same_seed_same_arrays_different_seed_different(name):
    make = GENERATORS[name]
    X1, y1 = make(seed=3)
    X2, y2 = make(seed=3)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    X3, _ = make(seed=4)
    assert not np.array_equal(X1, X3)
    # a Generator is accepted and gives what its seed gives
    X4, y4 = make(seed=np.random.default_rng(3))
    np.testing.assert_array_equal(X1, X4)
    np.testing.assert_array_equal(y1, y4)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", GENERATORS)
def test_shapes_and_dtypes(name, dtype):
    X, y = GENERATORS[name](seed=0, dtype=dtype)
    assert X.ndim == 2 and X.dtype == dtype and X.flags.c_contiguous
    assert len(y) == len(X) and y.flags.c_contiguous
    if name in CLASSIFICATION:
        assert y.dtype == np.int64 and y.ndim == 1
    else:
        assert y.dtype == dtype and y.ndim == 2


@pytest.mark.parametrize("name", GENERATORS)
def test_float32_is_float64_rounded(name):
    X64, y64 = GENERATORS[name](seed=1, dtype=np.float64)
    X32, y32 = GENERATORS[name](seed=1, dtype=np.float32)
    np.testing.assert_array_equal(X32, X64.astype(np.float32))
    np.testing.assert_array_equal(y32, y64.astype(y32.dtype))


# --------------------------------------------------------------------------------------------------
# 1-D targets

def test_target_formulas():
    x = np.array([-1.0, -0.5, 0.0, 0.5, 1.0])
    np.testing.assert_allclose(data.target("sin")(x), np.sin(np.pi * x), atol=1e-15)
    np.testing.assert_allclose(data.target("sin", freq=2)(0.25), 1.0)
    np.testing.assert_array_equal(data.target("step")(x), [0, 0, 1, 1, 1])
    np.testing.assert_array_equal(data.target("step", at=0.5)(x), [0, 0, 0, 1, 1])
    np.testing.assert_array_equal(data.target("abs")(x), np.abs(x))
    bump = data.target("gaussian_bump", center=0.5, width=0.5)
    np.testing.assert_allclose(bump(x), np.exp(-0.5 * ((x - 0.5) / 0.5) ** 2))
    assert bump(0.5) == 1.0
    # tent(1/4) = 1/2, tent(1/2) = 1, tent(1) = 0
    np.testing.assert_array_equal(data.target("sawtooth", k=2)([0.0, 0.125, 0.25, 0.5, 1.0]),
                                  [0.0, 0.5, 1.0, 0.0, 0.0])
    assert data.target("sin")(np.zeros((2, 3), np.float32)).shape == (2, 3)


@pytest.mark.parametrize("k", [1, 2, 3, 4, 5])
def test_sawtooth_has_2_to_the_k_linear_pieces(k):
    # a dyadic grid holds every breakpoint j / 2^k, and tent is exact on dyadic numbers
    x = np.arange(2**k * 16 + 1) / (2**k * 16)
    y = data.target("sawtooth", k=k)(x)
    slopes = np.diff(y) / np.diff(x)
    np.testing.assert_array_equal(np.abs(slopes), 2.0**k)
    pieces = 1 + np.count_nonzero(np.diff(slopes))
    assert pieces == 2**k
    assert y.min() == 0.0 and y.max() == 1.0


def test_regression_1d_grid_and_interval():
    X, y = data.regression_1d("abs", 5, sampling="grid", interval=(-2, 2))
    np.testing.assert_array_equal(X[:, 0], [-2, -1, 0, 1, 2])
    np.testing.assert_array_equal(y[:, 0], [2, 1, 0, 1, 2])
    X, _ = data.regression_1d("sin", 1000, seed=0)
    assert -1 <= X.min() and X.max() <= 1 and X.min() < -0.99 and X.max() > 0.99
    X, y = data.regression_1d("sawtooth", 200, k=2, seed=0)   # default domain [0, 1]
    assert 0 <= X.min() and X.max() <= 1
    np.testing.assert_array_equal(y, data.target("sawtooth", k=2)(X.astype(np.float64)))
    # noise is added on top of the exact target
    X, y = data.regression_1d("step", 4000, noise=0.5, seed=0)
    residual = y[:, 0] - data.target("step")(X[:, 0])
    assert abs(residual.std() - 0.5) < 0.03


def test_unknown_names_and_parameters():
    with pytest.raises(ValueError, match="valid names: abs, gaussian_bump, sawtooth, sin, step"):
        data.regression_1d("sine", 10)
    with pytest.raises(ValueError, match="valid names"):
        data.target("nope")
    with pytest.raises(TypeError, match="target 'sin' takes freq; got unexpected k"):
        data.target("sin", k=3)
    with pytest.raises(ValueError, match="unknown sampling"):
        data.regression_1d("sin", 10, sampling="sobol")
    with pytest.raises(ValueError, match="unknown teacher activation 'gelu'"):
        data.teacher(10, [2, 3, 1], activation="gelu")
    with pytest.raises(ValueError, match="defined on \\[0, 1\\]"):
        data.regression_1d("sawtooth", 10, interval=(-1, 1))


@pytest.mark.parametrize("call, match", [
    (lambda: data.regression_1d("sin", 0), "n must be a positive integer"),
    (lambda: data.regression_1d("sin", 2.5), "n must be a positive integer"),
    (lambda: data.regression_1d("sin", 10, noise=-0.1), "noise must be >= 0"),
    (lambda: data.regression_1d("sin", 10, noise=float("nan")), "noise must be finite"),
    (lambda: data.regression_1d("sin", 10, interval=(1, -1)), "low < high"),
    (lambda: data.regression_1d("sawtooth", 10, k=0), "k must be a positive integer"),
    (lambda: data.target("gaussian_bump", width=0), "width must be > 0"),
    (lambda: data.xor(n_per_corner=0), "n_per_corner must be a positive integer"),
    (lambda: data.xor(noise=-1), "noise must be >= 0"),
    (lambda: data.two_spirals(0), "n must be a positive integer"),
    (lambda: data.two_spirals(11), "n must be even"),
    (lambda: data.two_spirals(10, noise=-0.5), "noise must be >= 0"),
    (lambda: data.two_spirals(10, turns=0), "turns must be > 0"),
    (lambda: data.blobs(-3), "n must be a positive integer"),
    (lambda: data.blobs(10, centers=0), "centers must be a positive integer"),
    (lambda: data.blobs(10, std=-1), "std must be >= 0"),
    (lambda: data.blobs(10, centers=np.zeros((2, 3)), dim=2), "dim=2 but centers has shape"),
    (lambda: data.blobs(10, centers=np.zeros(3)), "centers must be an int or a"),
    (lambda: data.teacher(0, [2, 1]), "n must be a positive integer"),
    (lambda: data.teacher(10, [2]), "sizes must be a list"),
    (lambda: data.teacher(10, [2, 0, 1]), "sizes\\[1\\] must be a positive integer"),
    (lambda: data.teacher(10, [2, 3, 1], classify=True), "at least 2 outputs"),
    (lambda: data.teacher(10, [2, 1], noise=-1), "noise must be >= 0"),
])
def test_bad_input_raises_value_error(call, match):
    with pytest.raises(ValueError, match=match):
        call()


@pytest.mark.parametrize("call, match", [
    (lambda: data.xor(dtype=np.int64), "dtype must be float32 or float64"),
    (lambda: data.blobs(10, dtype=np.float16), "dtype must be float32 or float64"),
    (lambda: data.xor(seed="zero"), "rng must be"),
    (lambda: data.xor(noise="a lot"), "noise must be a real number"),
])
def test_bad_types_raise_type_error(call, match):
    with pytest.raises(TypeError, match=match):
        call()


# --------------------------------------------------------------------------------------------------
# classification sets

def _least_squares_accuracy(X, y):
    A = np.hstack([X, np.ones((len(X), 1))])
    w, *_ = np.linalg.lstsq(A, 2.0 * y - 1.0, rcond=None)
    return np.mean((A @ w > 0) == (y == 1))


def test_xor_exact_truth_table():
    X, y = data.xor()
    np.testing.assert_array_equal(X, [[0, 0], [0, 1], [1, 0], [1, 1]])
    np.testing.assert_array_equal(y, [0, 1, 1, 0])
    assert y.dtype == np.int64


def test_xor_is_not_linearly_separable():
    X, y = data.xor(n_per_corner=50, noise=0.1, seed=0)
    assert np.bincount(y).tolist() == [100, 100]
    assert _least_squares_accuracy(X, y) <= 0.75
    # no linear classifier at all gets more than 3 of the 4 exact corners right
    X4, y4 = data.xor()
    rng = np.random.default_rng(0)
    w, b = rng.standard_normal((2, 5000)), rng.standard_normal(5000)
    accuracy = ((X4 @ w + b > 0) == (y4[:, None] == 1)).mean(axis=0)
    assert accuracy.max() <= 0.75


def test_two_spirals_formula_and_balance():
    turns = 1.75
    X, y = data.two_spirals(400, turns=turns, seed=0)
    assert np.bincount(y).tolist() == [200, 200]
    # class 0 lies on t (cos 2 pi T t, sin 2 pi T t); class 1 is that curve negated
    arms = np.where(y[:, None] == 0, X, -X)
    t = np.hypot(arms[:, 0], arms[:, 1])
    assert t.max() <= 1.0
    curve = np.stack([t * np.cos(2 * np.pi * turns * t), t * np.sin(2 * np.pi * turns * t)], axis=1)
    np.testing.assert_allclose(arms, curve, atol=1e-12)
    # noise keeps the balance and moves points off the curve by about `noise`
    Xn, yn = data.two_spirals(400, noise=0.1, turns=turns, seed=0)
    np.testing.assert_array_equal(yn, y)
    assert abs((Xn - X).std() - 0.1) < 0.01


def test_blobs_balance_and_centres():
    _, y = data.blobs(10, centers=3, seed=0)
    assert np.bincount(y).tolist() == [4, 3, 3]
    centers = np.array([[0.0, 0.0, 0.0], [5.0, -5.0, 2.0]])
    X, y = data.blobs(4000, centers=centers, std=0.3, seed=0)
    assert X.shape == (4000, 3) and np.bincount(y).tolist() == [2000, 2000]
    for c in range(2):
        np.testing.assert_allclose(X[y == c].mean(axis=0), centers[c], atol=0.03)
        np.testing.assert_allclose(X[y == c].std(axis=0), 0.3, rtol=0.05)
    X, _ = data.blobs(100, centers=5, dim=7, box=2.0, std=0.0, seed=0)
    assert X.shape == (100, 7) and np.abs(X).max() <= 2.0
    assert len(np.unique(X, axis=0)) == 5


def test_teacher_identity_is_affine_and_teacher_seed_fixes_the_teacher():
    kw = dict(sizes=[4, 6, 6, 2], activation="identity", bias_std=0.5, teacher_seed=7)
    X1, y1 = data.teacher(50, seed=0, **kw)
    X2, y2 = data.teacher(50, seed=1, **kw)
    assert not np.array_equal(X1, X2)
    A = np.hstack([X1, np.ones((50, 1))])
    coef, *_ = np.linalg.lstsq(A, y1, rcond=None)
    np.testing.assert_allclose(A @ coef, y1, atol=1e-10)                     # affine in x
    np.testing.assert_allclose(np.hstack([X2, np.ones((50, 1))]) @ coef, y2, atol=1e-10)  # same map
    # without teacher_seed, a new seed draws a new teacher
    X3, y3 = data.teacher(50, seed=1, sizes=[4, 6, 6, 2], activation="identity", bias_std=0.5)
    assert not np.allclose(np.hstack([X3, np.ones((50, 1))]) @ coef, y3)


@pytest.mark.parametrize("activation", sorted(data.TEACHER_ACTIVATIONS))
def test_teacher_outputs_keep_unit_scale(activation):
    X, y = data.teacher(2000, [20, 64, 64, 64, 64, 3], activation=activation, seed=0)
    assert np.all(np.isfinite(y))
    assert 0.1 < y.std() < 10.0, y.std()


def test_teacher_classify_labels():
    _, y = data.teacher(500, [3, 16, 4], classify=True, seed=0)
    assert y.dtype == np.int64 and set(np.unique(y)) <= {0, 1, 2, 3}
    assert len(np.unique(y)) > 1


# --------------------------------------------------------------------------------------------------
# IDX

IDX_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: np.int16, 0x0C: np.int32, 0x0D: np.float32,
              0x0E: np.float64}


@pytest.mark.parametrize("suffix", ["", ".gz"])
@pytest.mark.parametrize("code", IDX_DTYPES)
def test_idx_round_trip(tmp_path, code, suffix):
    dtype = np.dtype(IDX_DTYPES[code])
    rng = np.random.default_rng(code)
    if dtype.kind == "f":
        array = rng.standard_normal((3, 4, 5)).astype(dtype) * 1e3
    else:
        info = np.iinfo(dtype)
        array = rng.integers(info.min, info.max, (3, 4, 5), endpoint=True).astype(dtype)
    path = data.write_idx(tmp_path / f"a.idx{suffix}", array)
    raw = path.read_bytes()
    if suffix:
        assert raw[:2] == b"\x1f\x8b"
        raw = gzip.decompress(raw)
    assert raw[:4] == bytes([0, 0, code, 3])
    assert raw[4:16] == (3).to_bytes(4, "big") + (4).to_bytes(4, "big") + (5).to_bytes(4, "big")
    assert raw[16:] == array.astype(dtype.newbyteorder(">")).tobytes()
    back = data.load_idx(path)
    assert back.dtype == dtype and back.dtype.isnative and back.flags.writeable
    np.testing.assert_array_equal(back, array)


def test_idx_other_shapes_and_byte_orders(tmp_path):
    for array in [np.arange(7, dtype=np.uint8), np.zeros((0, 28, 28), np.uint8),
                  np.arange(6, dtype=">i4").reshape(2, 3), np.ones((1, 2, 1, 2), "<f8")]:
        back = data.load_idx(data.write_idx(tmp_path / "x.idx", array))
        assert back.shape == array.shape
        np.testing.assert_array_equal(back, array)
    # gzip is detected from the content, not the name; and gzipped output is byte-stable
    a = data.write_idx(tmp_path / "a.gz", np.arange(10, dtype=np.int16))
    b = data.write_idx(tmp_path / "b.gz", np.arange(10, dtype=np.int16))
    assert a.read_bytes() == b.read_bytes()
    os.replace(a, tmp_path / "plain-name")
    np.testing.assert_array_equal(data.load_idx(tmp_path / "plain-name"), np.arange(10))
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")] == []


def test_write_idx_rejects_unsupported_arrays(tmp_path):
    with pytest.raises(TypeError, match="IDX cannot store dtype int64"):
        data.write_idx(tmp_path / "x", np.arange(3, dtype=np.int64))
    with pytest.raises(ValueError, match="1 to 255 dimensions"):
        data.write_idx(tmp_path / "x", np.float64(1.0))


@pytest.mark.parametrize("payload, match", [
    (b"", "shorter than the 4-byte magic number"),
    (b"\x00\x00", "shorter than the 4-byte magic number"),
    (b"\x00\x01\x08\x01" + bytes(8), "magic number 0x00010801"),
    (b"PK\x03\x04" + bytes(8), "not an IDX file"),
    (b"\x00\x00\x07\x01" + (1).to_bytes(4, "big") + b"x", "unknown IDX type code 0x07"),
    (b"\x00\x00\x08\x00", "0 dimensions"),
    (b"\x00\x00\x08\x03" + (2).to_bytes(4, "big"), "truncated IDX header"),
    (b"\x00\x00\x08\x01" + (5).to_bytes(4, "big") + bytes(4), "size mismatch \\(truncated\\)"),
    (b"\x00\x00\x0b\x01" + (2).to_bytes(4, "big") + bytes(5), "size mismatch \\(has trailing bytes\\)"),
])
def test_corrupt_idx_files_raise_clear_errors(tmp_path, payload, match):
    for name, content in [("bad.idx", payload), ("bad.idx.gz", gzip.compress(payload))]:
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(ValueError, match=match) as info:
            data.load_idx(path)
        assert name in str(info.value)


def test_truncated_and_damaged_gzip(tmp_path):
    good = gzip.compress(b"\x00\x00\x08\x01" + (1000).to_bytes(4, "big") + bytes(range(250)) * 4)
    (tmp_path / "cut.gz").write_bytes(good[: len(good) // 2])
    with pytest.raises(ValueError, match="cut.gz: corrupt or truncated gzip"):
        data.load_idx(tmp_path / "cut.gz")
    damaged = bytearray(good)
    damaged[-6] ^= 0xFF   # the CRC32 in the trailer
    (tmp_path / "crc.gz").write_bytes(bytes(damaged))
    with pytest.raises(ValueError, match="crc.gz: corrupt or truncated gzip"):
        data.load_idx(tmp_path / "crc.gz")
    with pytest.raises(FileNotFoundError):
        data.load_idx(tmp_path / "missing.idx")


# --------------------------------------------------------------------------------------------------
# MNIST from fake files

TRAIN, TEST = 12, 5


def _fake_mnist(directory, gz=True, rows=28, cols=28):
    """Write a small MNIST look-alike; returns {split: (images, labels)} and the written paths."""
    rng = np.random.default_rng(0)
    directory.mkdir(parents=True, exist_ok=True)
    suffix = ".gz" if gz else ""
    sets, paths = {}, {}
    for split, prefix, n in [("train", "train", TRAIN), ("test", "t10k", TEST)]:
        images = rng.integers(0, 255, (n, rows, cols), endpoint=True).astype(np.uint8)
        images[0, 0, 0], images[0, 0, 1] = 0, 255
        labels = rng.integers(0, 9, n, endpoint=True).astype(np.uint8)
        paths[f"{prefix}-images-idx3-ubyte{suffix}"] = data.write_idx(
            directory / f"{prefix}-images-idx3-ubyte{suffix}", images)
        paths[f"{prefix}-labels-idx1-ubyte{suffix}"] = data.write_idx(
            directory / f"{prefix}-labels-idx1-ubyte{suffix}", labels)
        sets[split] = images, labels
    return sets, paths


def _digests(paths):
    return {name: hashlib.sha256(p.read_bytes()).hexdigest() for name, p in paths.items()}


@pytest.mark.parametrize("gz", [True, False])
def test_mnist_from_a_directory(tmp_path, gz):
    sets, _ = _fake_mnist(tmp_path / "raw", gz=gz)
    for split, n in [("train", TRAIN), ("test", TEST)]:
        X, y = data.mnist(root=tmp_path / "raw", split=split, checksums={})
        images, labels = sets[split]
        assert X.shape == (n, 784) and X.dtype == np.float64 and X.flags.c_contiguous
        assert y.dtype == np.int64 and y.shape == (n,)
        np.testing.assert_array_equal(y, labels)
        np.testing.assert_allclose(X, images.reshape(n, -1) / 255.0, rtol=1e-15)
        assert X.min() == 0.0 and X.max() == 1.0
    X, _ = data.mnist(root=tmp_path / "raw", checksums={}, flatten=False, normalize=False,
                      dtype=np.float32)
    assert X.shape == (TRAIN, 28, 28) and X.dtype == np.float32
    np.testing.assert_array_equal(X, sets["train"][0])


def test_mnist_from_a_file_url_into_a_cache(tmp_path):
    sets, paths = _fake_mnist(tmp_path / "server")
    cache = tmp_path / "cache"
    url = (tmp_path / "server").as_uri()
    digests = _digests(paths)
    X, y = data.mnist(url=url, cache_dir=cache, checksums=digests)
    assert X.shape == (TRAIN, 784)
    np.testing.assert_array_equal(y, sets["train"][1])
    assert sorted(p.name for p in cache.iterdir()) == ["train-images-idx3-ubyte.gz",
                                                       "train-labels-idx1-ubyte.gz"]
    # the cached copy is used from now on: the source can go away
    for p in paths.values():
        p.unlink()
    X2, y2 = data.mnist(cache_dir=cache, checksums=digests)
    np.testing.assert_array_equal(X2, X)
    np.testing.assert_array_equal(y2, y)
    with pytest.raises(OSError, match="could not download .*t10k-images-idx3-ubyte.gz"):
        data.mnist(url=url, cache_dir=cache, split="test", checksums={})


def test_mnist_cache_dir_from_environment(tmp_path, monkeypatch):
    _, paths = _fake_mnist(tmp_path / "server")
    monkeypatch.setenv("FFBENCH_DATA", str(tmp_path / "data"))
    X, _ = data.mnist(url=(tmp_path / "server").as_uri() + "/", split="test", checksums={})
    assert X.shape == (TEST, 784)
    assert (tmp_path / "data" / "mnist" / "t10k-labels-idx1-ubyte.gz").is_file()


def test_mnist_checksums(tmp_path):
    _, paths = _fake_mnist(tmp_path / "raw")
    digests = _digests(paths)
    X, _ = data.mnist(root=tmp_path / "raw", checksums=digests)
    assert X.shape == (TRAIN, 784)
    upper = {k: v.upper() for k, v in digests.items()}
    data.mnist(root=tmp_path / "raw", checksums=upper)

    # a wrong digest names the file and both digests
    wrong = dict(digests, **{"train-labels-idx1-ubyte.gz": "0" * 64})
    with pytest.raises(ValueError) as info:
        data.mnist(root=tmp_path / "raw", checksums=wrong)
    message = str(info.value)
    assert "checksum mismatch for train-labels-idx1-ubyte.gz" in message
    assert "0" * 64 in message and digests["train-labels-idx1-ubyte.gz"] in message

    # the default checks against the official digests, which fake files fail
    with pytest.raises(ValueError, match="checksum mismatch for train-images-idx3-ubyte.gz") as info:
        data.mnist(root=tmp_path / "raw")
    assert data.MNIST_SHA256["train-images-idx3-ubyte.gz"] in str(info.value)

    # a download that fails its checksum is not saved (the good file before it is)
    cache = tmp_path / "cache"
    with pytest.raises(ValueError,
                       match="checksum mismatch for train-labels-idx1-ubyte.gz.*nothing was saved"):
        data.mnist(url=(tmp_path / "raw").as_uri(), cache_dir=cache, checksums=wrong)
    assert sorted(p.name for p in cache.iterdir()) == ["train-images-idx3-ubyte.gz"]

    # a cached file that was damaged later is caught on load
    (cache / "train-images-idx3-ubyte.gz").write_bytes(b"garbage")
    with pytest.raises(ValueError, match="delete it to download it again"):
        data.mnist(cache_dir=cache, checksums=digests)


def test_mnist_missing_files_say_where_they_looked(tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        data.mnist(root=tmp_path, checksums={})
    assert str(tmp_path / "train-images-idx3-ubyte") in str(info.value)
    assert "train-images-idx3-ubyte.gz" in str(info.value)
    with pytest.raises(FileNotFoundError, match="pass url="):
        data.mnist(cache_dir=tmp_path / "empty", split="test")


def test_mnist_corrupt_and_inconsistent_files(tmp_path):
    _fake_mnist(tmp_path)
    # labels for 11 images next to 12 images
    data.write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.zeros(TRAIN - 1, np.uint8))
    with pytest.raises(ValueError, match="holds 12 images but train-labels-idx1-ubyte.gz holds 11 labels"):
        data.mnist(root=tmp_path, checksums={})
    # a truncated image file
    path = tmp_path / "t10k-images-idx3-ubyte.gz"
    raw = gzip.decompress(path.read_bytes())
    path.write_bytes(gzip.compress(raw[:-100]))
    with pytest.raises(ValueError, match="t10k-images-idx3-ubyte.gz: IDX size mismatch"):
        data.mnist(root=tmp_path, split="test", checksums={})
    # images stored with the wrong type
    data.write_idx(path, np.zeros((TEST, 28, 28), np.float32))
    with pytest.raises(ValueError, match="expected uint8 images"):
        data.mnist(root=tmp_path, split="test", checksums={})


def test_mnist_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="unknown MNIST split 'validation'"):
        data.mnist(root=tmp_path, split="validation")
    with pytest.raises(ValueError, match="not both"):
        data.mnist(root=tmp_path, url="file:///nowhere")
    with pytest.raises(TypeError, match="dtype must be float32 or float64"):
        data.mnist(root=tmp_path, dtype=np.uint8)
