"""Datasets: deterministic synthetic problems and an MNIST loader.

Every generator takes ``seed`` (an int or an ``np.random.Generator``) and ``dtype`` (float32 or
float64) and returns ``(X, y)``:

- ``X``: C-contiguous ``(n, d)`` array of ``dtype``;
- ``y``: ``(n, k)`` array of ``dtype`` for regression, or ``(n,)`` int64 class labels.

Numbers are drawn and computed in float64 and rounded to ``dtype`` at the end, so the float32 and
the float64 versions of a set hold the same points up to rounding.  The same seed gives the same
arrays; the draw order of each generator is stated in its docstring and is part of that promise.

Sets are ordered by class (or by corner, for XOR), not shuffled: ``ffbench.train`` shuffles each
epoch, and a fixed order makes the sets easy to inspect.

MNIST is read from the IDX files of LeCun, Cortes and Burges (``load_idx``/``write_idx`` handle the
format, gzipped or not), from a local directory or downloaded once into a cache directory.
"""
from __future__ import annotations

import functools
import gzip
import hashlib
import inspect
import math
import numbers
import os
import struct
import urllib.error
import urllib.request
import zlib
from pathlib import Path
from typing import Callable, NamedTuple

import numpy as np

from ._checks import FLOATS, as_rng, lookup, positive_int
from ._io import atomic_write_bytes

__all__ = [
    "TARGETS", "TEACHER_ACTIVATIONS", "MNIST_SHA256", "MNIST_URL",
    "target", "regression_1d", "xor", "two_spirals", "blobs", "teacher",
    "load_idx", "write_idx", "mnist",
]


# --------------------------------------------------------------------------------------------------
# argument checks shared by the generators

def _float_dtype(dtype) -> np.dtype:
    try:
        dt = np.dtype(dtype)
    except TypeError as exc:
        raise TypeError(f"dtype must be float32 or float64, got {dtype!r}") from exc
    if dt not in FLOATS:
        raise TypeError(f"dtype must be float32 or float64, got {dt}")
    return dt


def _real(value, name: str) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    return value


def _nonnegative(value, name: str) -> float:
    value = _real(value, name)
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value}")
    return value


def _positive(value, name: str) -> float:
    value = _real(value, name)
    if value <= 0:
        raise ValueError(f"{name} must be > 0, got {value}")
    return value


def _interval(interval, name: str = "interval") -> tuple[float, float]:
    try:
        lo, hi = interval
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a pair (low, high), got {interval!r}") from exc
    lo, hi = _real(lo, f"{name}[0]"), _real(hi, f"{name}[1]")
    if not lo < hi:
        raise ValueError(f"{name} must satisfy low < high, got ({lo}, {hi})")
    return lo, hi


def _finish(X: np.ndarray, y: np.ndarray, dtype: np.dtype):
    """Round the float64 work arrays to ``dtype``; class labels stay int64."""
    X = np.ascontiguousarray(X, dtype=dtype)
    y = np.ascontiguousarray(y, dtype=np.int64 if y.dtype.kind in "iub" else dtype)
    return X, y


# --------------------------------------------------------------------------------------------------
# 1-D regression targets

def _as_x(x) -> np.ndarray:
    return np.asarray(x, dtype=np.float64)


def _sin(x, freq):
    """``sin(pi * freq * x)``: one full period on [-1, 1] at ``freq=1``."""
    return np.sin(np.pi * freq * _as_x(x))


def _step(x, at):
    """Heaviside step ``1 if x >= at else 0``."""
    return np.where(_as_x(x) >= at, 1.0, 0.0)


def _abs(x):
    """``|x|``: one kink, at 0."""
    return np.abs(_as_x(x))


def _gaussian_bump(x, center, width):
    """``exp(-(x - center)^2 / (2 width^2))``: height 1 at ``center``."""
    z = (_as_x(x) - center) / width
    return np.exp(-0.5 * z * z)


def _sawtooth(x, k):
    """Telgarsky's sawtooth ``tent^k(x)`` on [0, 1], ``tent(x) = 2x if x < 1/2 else 2(1 - x)``.

    Piecewise linear with ``2^k`` pieces of slope ``+-2^k`` and ``2^(k-1)`` teeth of height 1: a
    depth-``O(k)`` ReLU net computes it exactly, a shallow one needs width exponential in ``k``
    (Telgarsky 2016, "Benefits of depth in neural networks").
    """
    x = _as_x(x)
    if np.any((x < 0.0) | (x > 1.0)):
        raise ValueError(f"the sawtooth target is defined on [0, 1]; got x in "
                         f"[{np.nanmin(x)}, {np.nanmax(x)}]")
    for _ in range(k):
        x = np.where(x < 0.5, 2.0 * x, 2.0 * (1.0 - x))
    return x


class _Target(NamedTuple):
    fn: Callable[..., np.ndarray]   # fn(x, **params) -> float64 array of x's shape
    params: Callable[..., dict]     # validates keyword parameters, returns them with defaults
    domain: tuple[float, float]     # the interval regression_1d samples by default


TARGETS: dict[str, _Target] = {
    "sin": _Target(_sin, lambda freq=1.0: {"freq": _real(freq, "freq")}, (-1.0, 1.0)),
    "step": _Target(_step, lambda at=0.0: {"at": _real(at, "at")}, (-1.0, 1.0)),
    "abs": _Target(_abs, lambda: {}, (-1.0, 1.0)),
    "gaussian_bump": _Target(
        _gaussian_bump,
        lambda center=0.0, width=0.25: {"center": _real(center, "center"),
                                        "width": _positive(width, "width")},
        (-1.0, 1.0)),
    "sawtooth": _Target(_sawtooth, lambda k=3: {"k": positive_int(k, "k")}, (0.0, 1.0)),
}


def target(name: str, **params) -> Callable[[np.ndarray], np.ndarray]:
    """The 1-D target function ``name`` with ``params`` bound, as a vectorised callable.

    The callable takes an array (any shape, any real dtype) and returns float64 values of the same
    shape.  Targets (parameters and defaults in brackets):

    - ``"sin"`` (``freq=1``): ``sin(pi * freq * x)``;
    - ``"step"`` (``at=0``): ``1 if x >= at else 0``;
    - ``"abs"``: ``|x|``;
    - ``"gaussian_bump"`` (``center=0``, ``width=0.25``): ``exp(-(x - center)^2 / (2 width^2))``;
    - ``"sawtooth"`` (``k=3``): ``tent^k(x)``, ``tent(x) = 2x`` for ``x < 1/2`` and ``2(1 - x)``
      otherwise (Telgarsky 2016); ``2^k`` linear pieces; defined on [0, 1] only (ValueError outside).

    The result is a ``functools.partial`` of a module-level function, so it pickles.
    """
    entry = lookup(TARGETS, name, "target")
    accepted = inspect.signature(entry.params).parameters
    unexpected = sorted(set(params) - set(accepted))
    if unexpected:
        takes = ", ".join(accepted) or "no parameters"
        raise TypeError(f"target {name!r} takes {takes}; got unexpected {', '.join(unexpected)}")
    return functools.partial(entry.fn, **entry.params(**params))


_SAMPLINGS = {
    "uniform": lambda rng, n, lo, hi: rng.uniform(lo, hi, n),
    "grid": lambda rng, n, lo, hi: np.linspace(lo, hi, n),
}


def regression_1d(name: str, n: int, *, interval=None, sampling: str = "uniform", noise: float = 0.0,
                  seed=0, dtype=np.float64, **params):
    """A 1-D regression set ``y = f(x) + noise * eps`` for the target ``f = target(name, **params)``.

    ``x`` lies in ``interval`` (default: [0, 1] for ``"sawtooth"``, [-1, 1] for the others), drawn
    uniformly (``sampling="uniform"``) or evenly spaced with both ends included (``"grid"``, as
    ``np.linspace``); ``eps ~ N(0, 1)``.  Draw order: ``x`` (uniform sampling only), then ``eps``
    (only when ``noise > 0``).

    Returns ``X`` of shape ``(n, 1)`` and ``y`` of shape ``(n, 1)``, both ``dtype``.
    """
    entry = lookup(TARGETS, name, "target")
    f = target(name, **params)
    n = positive_int(n, "n")
    noise = _nonnegative(noise, "noise")
    dtype = _float_dtype(dtype)
    lo, hi = entry.domain if interval is None else _interval(interval)
    draw = lookup(_SAMPLINGS, sampling, "sampling")
    rng = as_rng(seed)
    x = draw(rng, n, lo, hi)
    y = f(x)
    if noise > 0:
        y = y + noise * rng.standard_normal(n)
    return _finish(x[:, None], y[:, None], dtype)


# --------------------------------------------------------------------------------------------------
# classification sets

_XOR_CORNERS = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
_XOR_LABELS = np.array([0, 1, 1, 0], dtype=np.int64)


def xor(n_per_corner: int = 1, noise: float = 0.0, seed=0, dtype=np.float64):
    """The XOR problem: the corners of the unit square, label ``x1 XOR x2``.

    Each corner (0, 0), (0, 1), (1, 0), (1, 1) (labels 0, 1, 1, 0) is repeated ``n_per_corner``
    times, corner by corner, and gaussian noise of standard deviation ``noise`` is added to every
    coordinate.  The defaults give the exact four-point truth table.  No line separates the
    classes: a linear classifier gets at most 3 of the 4 corners right.

    Returns ``X`` of shape ``(4 * n_per_corner, 2)`` (``dtype``) and ``y`` of shape
    ``(4 * n_per_corner,)`` (int64).
    """
    n_per_corner = positive_int(n_per_corner, "n_per_corner")
    noise = _nonnegative(noise, "noise")
    dtype = _float_dtype(dtype)
    rng = as_rng(seed)
    X = np.repeat(_XOR_CORNERS, n_per_corner, axis=0)
    if noise > 0:
        X = X + noise * rng.standard_normal(X.shape)
    return _finish(X, np.repeat(_XOR_LABELS, n_per_corner), dtype)


def two_spirals(n: int = 200, noise: float = 0.0, turns: float = 1.5, seed=0, dtype=np.float64):
    """Two interleaved spirals (after Lang & Witbrock 1988), ``n / 2`` points each.

    Class 0 is ``t (cos(2 pi turns t), sin(2 pi turns t))`` with ``t = sqrt(u)``, ``u ~ U[0, 1)``
    (points roughly evenly spread along the arc, radius at most 1); class 1 is the same curve turned
    by pi, i.e. its points negated.  Gaussian noise of standard deviation ``noise`` is added to every
    coordinate.  Draw order: ``u`` for class 0, ``u`` for class 1, then the noise.

    ``n`` must be even (the classes are balanced).  Returns ``X`` of shape ``(n, 2)`` (``dtype``),
    first class 0 then class 1, and ``y`` of shape ``(n,)`` (int64).
    """
    n = positive_int(n, "n")
    if n % 2:
        raise ValueError(f"n must be even so that the two spirals have equal size, got {n}")
    noise = _nonnegative(noise, "noise")
    turns = _positive(turns, "turns")
    dtype = _float_dtype(dtype)
    rng = as_rng(seed)
    half = n // 2
    t = np.sqrt(rng.uniform(0.0, 1.0, (2, half)))
    angle = 2.0 * np.pi * turns * t
    arms = np.stack([t * np.cos(angle), t * np.sin(angle)], axis=-1)   # (2, half, 2)
    X = np.concatenate([arms[0], -arms[1]])
    if noise > 0:
        X = X + noise * rng.standard_normal(X.shape)
    return _finish(X, np.repeat(np.arange(2, dtype=np.int64), half), dtype)


def blobs(n: int = 300, centers=3, dim: int | None = None, std: float = 1.0, box: float = 5.0, seed=0,
          dtype=np.float64):
    """Isotropic gaussian blobs: ``x = c_label + std * eps``, ``eps ~ N(0, I)``.

    ``centers`` is either the number of classes (centres drawn uniformly in ``[-box, box]^dim``,
    ``dim`` default 2) or a ``(classes, dim)`` array of centres (``dim`` then defaults to, and must
    equal, its width).  The ``n`` points are split as evenly as possible, the first ``n % classes``
    classes getting one extra.  Draw order: the centres (when drawn), then ``eps``.

    Returns ``X`` of shape ``(n, dim)`` (``dtype``), class by class, and ``y`` of shape ``(n,)``
    (int64 in ``[0, classes)``).
    """
    n = positive_int(n, "n")
    std = _nonnegative(std, "std")
    dtype = _float_dtype(dtype)
    rng = as_rng(seed)
    if isinstance(centers, numbers.Integral) and not isinstance(centers, (bool, np.bool_)):
        classes = positive_int(centers, "centers")
        dim = 2 if dim is None else positive_int(dim, "dim")
        box = _positive(box, "box")
        means = rng.uniform(-box, box, (classes, dim))
    else:
        means = np.asarray(centers, dtype=np.float64)
        if means.ndim != 2 or means.shape[0] < 1 or means.shape[1] < 1:
            raise ValueError(f"centers must be an int or a (classes, dim) array, got shape {means.shape}")
        if not np.all(np.isfinite(means)):
            raise ValueError("centers must be finite")
        classes = means.shape[0]
        if dim is not None and positive_int(dim, "dim") != means.shape[1]:
            raise ValueError(f"dim={dim} but centers has shape {means.shape} ({means.shape[1]} columns)")
        dim = means.shape[1]
    counts = np.full(classes, n // classes)
    counts[: n % classes] += 1
    y = np.repeat(np.arange(classes, dtype=np.int64), counts)
    X = means[y] + std * rng.standard_normal((n, dim))
    return _finish(X, y, dtype)


# --------------------------------------------------------------------------------------------------
# teacher networks

def _sigmoid(z):
    # the tanh form never overflows, unlike 1 / (1 + exp(-z)) at z = -1000
    return 0.5 * (1.0 + np.tanh(0.5 * z))


class _Activation(NamedTuple):
    fn: Callable[[np.ndarray], np.ndarray]
    gain: float   # torch.nn.init.calculate_gain's value


TEACHER_ACTIVATIONS: dict[str, _Activation] = {
    "relu": _Activation(lambda z: np.maximum(z, 0.0), math.sqrt(2.0)),
    "tanh": _Activation(np.tanh, 5.0 / 3.0),
    "sigmoid": _Activation(_sigmoid, 1.0),
    "identity": _Activation(lambda z: z, 1.0),
}


def teacher(n: int, sizes, activation: str = "tanh", seed=0, teacher_seed=None, noise: float = 0.0,
            bias_std: float = 0.0, classify: bool = False, dtype=np.float64):
    """Inputs ``x ~ N(0, I)`` labelled by a random "teacher" MLP.

    The teacher has layer sizes ``sizes = [d_in, h1, ..., d_out]`` and computes, in float64 NumPy,
    ``h_0 = x``, ``h_l = f(h_{l-1} W_l + b_l)`` for the hidden layers and a linear last layer
    ``out = h_{L-1} W_L + b_L``, with ``W_l ~ N(0, gain^2 / fan_in)`` (He-normal for relu, the
    ``torch.nn.init.calculate_gain`` gain of ``f`` otherwise, so activations keep an O(1) scale) and
    ``b_l ~ N(0, bias_std^2)``.  ``f`` is one of ``TEACHER_ACTIVATIONS``: relu, tanh, sigmoid,
    identity.

    Regression (default): ``y = out + noise * eps``, ``eps ~ N(0, 1)``, shape ``(n, d_out)``,
    ``dtype``.  ``classify=True``: ``y = argmax(out + noise * eps)`` over ``d_out >= 2`` classes,
    shape ``(n,)``, int64.

    Weights come from ``teacher_seed`` when given, otherwise from ``seed`` before anything else, so
    ``teacher_seed`` fixed and ``seed`` varied gives fresh inputs for the same teacher (a test set).
    Draw order: ``W_1, b_1, ..., W_L, b_L`` (biases only when ``bias_std > 0``), then ``x``, then
    ``eps`` (only when ``noise > 0``).  Returns ``X`` of shape ``(n, d_in)`` (``dtype``) and ``y``.
    """
    n = positive_int(n, "n")
    if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__len__") or len(sizes) < 2:
        raise ValueError(f"sizes must be a list [d_in, ..., d_out] of at least 2 widths, got {sizes!r}")
    sizes = [positive_int(s, f"sizes[{i}]") for i, s in enumerate(sizes)]
    act = lookup(TEACHER_ACTIVATIONS, activation, "teacher activation")
    noise = _nonnegative(noise, "noise")
    bias_std = _nonnegative(bias_std, "bias_std")
    if classify and sizes[-1] < 2:
        raise ValueError(f"classify=True needs at least 2 outputs, got sizes[-1] = {sizes[-1]}")
    dtype = _float_dtype(dtype)
    rng = as_rng(seed)
    weight_rng = rng if teacher_seed is None else as_rng(teacher_seed)
    layers = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        W = weight_rng.normal(0.0, act.gain / math.sqrt(fan_in), (fan_in, fan_out))
        b = weight_rng.normal(0.0, bias_std, fan_out) if bias_std > 0 else np.zeros(fan_out)
        layers.append((W, b))
    X = rng.standard_normal((n, sizes[0]))
    h = X
    for W, b in layers[:-1]:
        h = act.fn(h @ W + b)
    W, b = layers[-1]
    out = h @ W + b
    if noise > 0:
        out = out + noise * rng.standard_normal(out.shape)
    y = np.argmax(out, axis=1).astype(np.int64) if classify else out
    return _finish(X, y, dtype)


# --------------------------------------------------------------------------------------------------
# IDX files

# IDX header: two zero bytes, a type code, the number of dimensions, then one big-endian uint32 per
# dimension; the data follow, big-endian, in C order.
_IDX_DTYPES = {
    0x08: np.dtype(">u1"), 0x09: np.dtype(">i1"), 0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8"),
}
_IDX_CODES = {dt.newbyteorder("="): code for code, dt in _IDX_DTYPES.items()}
_GZIP_MAGIC = b"\x1f\x8b"


def _read_bytes(path: Path) -> bytes:
    """The file's bytes, gunzipped when it starts with the gzip magic number."""
    with open(path, "rb") as f:
        data = f.read()
    if not data.startswith(_GZIP_MAGIC):
        return data
    try:
        return gzip.decompress(data)
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise ValueError(f"{path}: corrupt or truncated gzip data ({exc})") from exc


def load_idx(path) -> np.ndarray:
    """Read an IDX file (gzipped or not: detected from the content) into a native-endian array.

    Type codes: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64.  The
    array has the header's shape and is writable.  A wrong magic number, an unknown type code, or
    a data size that does not match the header (a truncated or padded file) raises ValueError
    naming the file; a missing file raises FileNotFoundError.
    """
    path = Path(path)
    data = _read_bytes(path)
    if len(data) < 4:
        raise ValueError(f"{path}: not an IDX file: {len(data)} bytes, shorter than the 4-byte magic number")
    if data[0] != 0 or data[1] != 0:
        raise ValueError(f"{path}: not an IDX file: magic number 0x{data[:4].hex()} does not start "
                         "with two zero bytes")
    code, ndim = data[2], data[3]
    if code not in _IDX_DTYPES:
        valid = ", ".join(f"0x{c:02X}" for c in _IDX_DTYPES)
        raise ValueError(f"{path}: unknown IDX type code 0x{code:02X} (valid: {valid})")
    if ndim == 0:
        raise ValueError(f"{path}: IDX header declares 0 dimensions")
    start = 4 + 4 * ndim
    if len(data) < start:
        raise ValueError(f"{path}: truncated IDX header: {ndim} dimensions need {start} bytes, "
                         f"the file has {len(data)}")
    shape = struct.unpack(f">{ndim}I", data[4:start])
    dtype = _IDX_DTYPES[code]
    expected = math.prod(shape) * dtype.itemsize
    found = len(data) - start
    if found != expected:
        what = "truncated" if found < expected else "has trailing bytes"
        raise ValueError(f"{path}: IDX size mismatch ({what}): header says shape {shape} of "
                         f"{dtype.newbyteorder('=')}, i.e. {expected} data bytes, but the file has {found}")
    return np.frombuffer(data, dtype=dtype, offset=start).reshape(shape).astype(dtype.newbyteorder("="))


def write_idx(path, array) -> Path:
    """Write ``array`` as an IDX file, gzipped when ``path`` ends in ``.gz``; returns the path.

    ``array`` must have 1 to 255 dimensions, each below 2^32, and dtype uint8, int8, int16, int32,
    float32 or float64 (any byte order; other dtypes raise TypeError rather than being cast).  The
    write is atomic, and a gzipped file carries no timestamp, so the same array gives the same bytes.
    """
    path = Path(path)
    array = np.asarray(array)
    code = _IDX_CODES.get(array.dtype.newbyteorder("="))
    if code is None:
        raise TypeError(f"IDX cannot store dtype {array.dtype}; use one of uint8, int8, int16, int32, "
                        "float32, float64")
    if not 1 <= array.ndim <= 255:
        raise ValueError(f"IDX stores 1 to 255 dimensions, got a {array.ndim}-D array")
    if max(array.shape) >= 2**32:
        raise ValueError(f"IDX dimensions must be below 2**32, got shape {array.shape}")
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    payload = header + np.ascontiguousarray(array, dtype=_IDX_DTYPES[code]).tobytes()
    if path.suffix == ".gz":
        payload = gzip.compress(payload, mtime=0)
    atomic_write_bytes(path, payload)
    return path


# --------------------------------------------------------------------------------------------------
# MNIST

MNIST_URL = "https://storage.googleapis.com/cvdf-datasets/mnist/"
"""A public mirror of the original MNIST files; pass it as ``mnist(url=MNIST_URL)`` to download."""

MNIST_SHA256 = {
    "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}
"""SHA-256 of the official gzipped MNIST files, by file name: ``mnist``'s default ``checksums``."""

_MNIST_SPLITS = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


def _mnist_cache_dir() -> Path:
    base = os.environ.get("FFBENCH_DATA")
    return Path(base) / "mnist" if base else Path.home() / ".cache" / "ffbench" / "mnist"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _check_digest(found: str, name: str, checksums: dict, source: str) -> None:
    """Raise unless ``found`` matches ``checksums[name]`` (no entry: nothing to check)."""
    expected = checksums.get(name)
    if expected is not None and found != expected.lower():
        raise ValueError(f"checksum mismatch for {name} ({source}): expected sha256 {expected.lower()}, "
                         f"got {found}")


def _find(directory: Path, name: str) -> Path | None:
    for candidate in (directory / name, directory / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    return None


def _download(url: str, directory: Path, filename: str, checksums: dict) -> Path:
    """Fetch ``url/filename`` into ``directory``; it is checked before anything is written."""
    source = url.rstrip("/") + "/" + filename
    try:
        with urllib.request.urlopen(source, timeout=60) as response:
            payload = response.read()
    except urllib.error.URLError as exc:
        raise OSError(f"could not download {source}: {exc.reason}") from exc
    _check_digest(hashlib.sha256(payload).hexdigest(), filename, checksums,
                  f"downloaded from {source}; nothing was saved")
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / filename
    atomic_write_bytes(path, payload)
    return path


def mnist(root=None, url=None, split: str = "train", cache_dir=None, checksums=None, normalize: bool = True,
          flatten: bool = True, dtype=np.float64):
    """The MNIST digits (LeCun, Cortes & Burges) from their IDX files.

    Files: ``train-images-idx3-ubyte`` and ``train-labels-idx1-ubyte`` (``split="train"``, 60000
    images) or ``t10k-images-idx3-ubyte`` and ``t10k-labels-idx1-ubyte`` (``split="test"``, 10000),
    each gzipped (``.gz``) or not.  Where they come from:

    - ``root`` given: that directory, read only (``url`` and ``cache_dir`` must then be None);
    - otherwise the cache directory ``cache_dir`` (default ``$FFBENCH_DATA/mnist`` when the
      ``FFBENCH_DATA`` environment variable is set, else ``~/.cache/ffbench/mnist``).  Files missing
      there are downloaded as ``url/<name>.gz`` when ``url`` is given (any URL urllib opens,
      ``file://`` included; ``MNIST_URL`` is a public mirror), checked in memory, then written to a
      temporary file moved into place with ``os.replace``, so the cache never holds a partial or
      unchecked download.  Without ``url`` nothing is downloaded.

    ``checksums`` maps file names (as on disk, e.g. ``"train-images-idx3-ubyte.gz"``) to SHA-256 hex
    digests; every file used that has an entry is checked, on download and on every load, and a
    mismatch raises ValueError naming the file and both digests.  Default: ``MNIST_SHA256``, the
    official gzipped files; ``{}`` turns checking off (uncompressed files are never in the default).

    Returns ``X``, ``dtype``, of shape ``(n, rows * cols)`` (``(n, 784)`` for MNIST) or
    ``(n, rows, cols)`` when ``flatten=False``, pixel values divided by 255 into [0, 1] when
    ``normalize`` (raw 0..255 otherwise); and ``y``, int64 labels of shape ``(n,)``.  Missing files
    raise FileNotFoundError saying where they were looked for; corrupt files and an image count
    that differs from the label count raise ValueError.
    """
    dtype = _float_dtype(dtype)
    names = lookup(_MNIST_SPLITS, split, "MNIST split")
    checksums = dict(MNIST_SHA256 if checksums is None else checksums)
    if root is not None:
        if url is not None or cache_dir is not None:
            raise ValueError("give root (a directory holding the MNIST files) or url/cache_dir "
                             "(download into a cache), not both")
        directory, origin = Path(root), "root"
    else:
        directory, origin = (_mnist_cache_dir() if cache_dir is None else Path(cache_dir)), "cache"
    paths = []
    for name in names:
        path = _find(directory, name)
        if path is None and url is not None:
            path = _download(url, directory, f"{name}.gz", checksums)
        if path is None:
            hint = ("" if origin == "root" else
                    "; pass url=... to download them (for example url=ffbench.data.MNIST_URL)")
            raise FileNotFoundError(f"MNIST file {name} not found: looked for {directory / name} and "
                                    f"{directory / name}.gz{hint}")
        if path.name in checksums:
            _check_digest(_sha256(path), path.name, checksums,
                          str(path) if origin == "root" else f"{path}; delete it to download it again")
        paths.append(path)
    images, labels = (load_idx(p) for p in paths)
    if images.ndim != 3 or images.dtype != np.uint8:
        raise ValueError(f"{paths[0]}: expected uint8 images of shape (n, rows, cols), got "
                         f"{images.dtype} of shape {images.shape}")
    if labels.ndim != 1 or labels.dtype != np.uint8:
        raise ValueError(f"{paths[1]}: expected uint8 labels of shape (n,), got "
                         f"{labels.dtype} of shape {labels.shape}")
    if images.shape[0] != labels.shape[0]:
        raise ValueError(f"MNIST {split} split: {paths[0].name} holds {images.shape[0]} images but "
                         f"{paths[1].name} holds {labels.shape[0]} labels")
    X = images.reshape(images.shape[0], -1) if flatten else images
    X = X.astype(dtype)
    if normalize:
        X /= dtype.type(255)
    return np.ascontiguousarray(X), labels.astype(np.int64)
