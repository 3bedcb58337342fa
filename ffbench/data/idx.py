"""IDX files (``load_idx``/``write_idx``, gzipped or not) and the MNIST loader built on them."""
from __future__ import annotations

import gzip
import hashlib
import math
import struct
import urllib.error
import urllib.request
import zlib
from pathlib import Path

import numpy as np

from .._checks import lookup
from .._io import atomic_write_bytes
from ._args import _float_dtype, data_home

__all__ = ["MNIST_SHA256", "MNIST_URL", "load_idx", "write_idx", "mnist"]


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
        directory, origin = (data_home("mnist") if cache_dir is None else Path(cache_dir)), "cache"
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
