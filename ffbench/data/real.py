"""Small real data sets that work offline: MNIST-1D (generated locally) and scikit-learn's digits.

Both need the ``data`` extra (``pip install -e '.[data]'``: the ``mnist1d`` and ``scikit-learn``
packages); without it they raise ImportError naming the extra.  Nothing here touches the network.
"""
from __future__ import annotations

import importlib
import importlib.metadata
import io
import random
from pathlib import Path

import numpy as np

from .._checks import as_rng, lookup
from .._io import atomic_write_bytes
from ._args import _finish, _float_dtype, _real, data_home

__all__ = ["mnist1d", "digits"]

_SPLITS = {"train": "train", "test": "test"}


def _require(module: str, package: str, what: str):
    """Import ``module`` or raise ImportError saying which extra provides it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(f"{what} needs the {package!r} package, part of ffbench's 'data' extra: "
                          f"pip install -e '.[data]' (or pip install {package})") from exc


# --------------------------------------------------------------------------------------------------
# MNIST-1D

def _generate_mnist1d(shuffle_seq: bool) -> dict[str, np.ndarray]:
    """Run the ``mnist1d`` package's generator with its default arguments (seed 42).

    Never ``mnist1d.get_dataset``: it downloads, and it reads and writes a pickle in the working
    directory (unpickling a file someone left there runs their code).  The generator seeds NumPy's
    and Python's global random states; both are restored afterwards, so calling this leaves the
    caller's random streams untouched.
    """
    generator = _require("mnist1d.data", "mnist1d", "ffbench.data.mnist1d")
    args = generator.get_dataset_args()
    args.shuffle_seq = bool(shuffle_seq)
    np_state, py_state = np.random.get_state(), random.getstate()
    try:
        made = generator.make_dataset(args)
    finally:
        np.random.set_state(np_state)
        random.setstate(py_state)
    return {"x": np.asarray(made["x"], np.float64), "y": np.asarray(made["y"], np.int64),
            "x_test": np.asarray(made["x_test"], np.float64),
            "y_test": np.asarray(made["y_test"], np.int64)}


_MNIST1D_SHAPES = {"x": ((4000, 40), np.float64), "y": ((4000,), np.int64),
                   "x_test": ((1000, 40), np.float64), "y_test": ((1000,), np.int64)}


def _load_cached(path: Path) -> dict[str, np.ndarray]:
    """Read our cache file (``.npz``, never pickles) and check every array's shape and dtype."""
    try:
        with np.load(path, allow_pickle=False) as f:
            arrays = {key: f[key] for key in f.files}
    except (OSError, ValueError, EOFError) as exc:
        raise ValueError(f"{path}: not a readable MNIST-1D cache file ({exc}); delete it to "
                         "regenerate the data set") from exc
    for key, (shape, dtype) in _MNIST1D_SHAPES.items():
        a = arrays.get(key)
        if a is None or a.shape != shape or a.dtype != dtype:
            found = "missing" if a is None else f"{a.dtype} of shape {a.shape}"
            raise ValueError(f"{path}: array {key!r} should be {np.dtype(dtype)} of shape {shape}, "
                             f"found {found}; delete the file to regenerate the data set")
    return arrays


def mnist1d(split: str = "train", shuffle_seq: bool = False, cache_dir=None, dtype=np.float64):
    """MNIST-1D (Greydanus 2020, "Scaling down deep learning", arXiv:2011.14439): 10 classes of
    1-D signals of length 40, 4000 for training and 1000 for testing.

    Generated locally by the ``mnist1d`` package's own generator (``mnist1d.data.make_dataset``)
    with its default arguments (5000 samples, 80/20 split, seed 42), the paper's configuration;
    ``shuffle_seq=True`` gives the paper's spatially shuffled variant (the same samples with one
    fixed permutation of the 40 positions).  Generation takes about a second; the result is cached
    as a ``.npz`` file (no pickle) in ``cache_dir`` (default: ``$FFBENCH_DATA/mnist1d`` or
    ``~/.cache/ffbench/mnist1d``), named by the package version and variant, written atomically,
    and read back on later calls.  A cache file with the wrong arrays raises ValueError naming it.

    Returns ``X`` of shape ``(n, 40)`` (``dtype``; the generator centres the whole set and scales
    it to unit standard deviation) and ``y`` of shape ``(n,)`` (int64 in 0..9), in the generator's
    (shuffled) order.  Needs the ``data`` extra (ImportError naming it otherwise).
    """
    which = lookup(_SPLITS, split, "MNIST-1D split")
    if not isinstance(shuffle_seq, (bool, np.bool_)):
        raise TypeError(f"shuffle_seq must be a bool, got {type(shuffle_seq).__name__}")
    dtype = _float_dtype(dtype)
    _require("mnist1d", "mnist1d", "ffbench.data.mnist1d")
    version = importlib.metadata.version("mnist1d")
    directory = data_home("mnist1d") if cache_dir is None else Path(cache_dir)
    path = directory / f"mnist1d{'_shuffle_seq' if shuffle_seq else ''}-{version}.npz"
    if path.is_file():
        arrays = _load_cached(path)
    else:
        arrays = _generate_mnist1d(bool(shuffle_seq))
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)
        directory.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, buffer.getvalue())
    suffix = "" if which == "train" else "_test"
    return _finish(arrays["x" + suffix], arrays["y" + suffix], dtype)


# --------------------------------------------------------------------------------------------------
# scikit-learn's digits

def digits(split: str = "train", seed=0, test_fraction: float = 0.2, normalize: bool = True,
           dtype=np.float64):
    """scikit-learn's bundled 8x8 handwritten digits (``sklearn.datasets.load_digits``: 1797 real
    scans from the UCI "Optical Recognition of Handwritten Digits" set, 10 classes), with a fixed
    stratified train/test split.

    The split: for each class ``c`` in 0..9 in order, a permutation of that class's indices is
    drawn from ``np.random.default_rng(seed)`` and its first ``round(test_fraction * n_c)`` go to
    the test set.  So each class keeps its share in both sets, the same ``seed`` gives the same
    split everywhere, and the two splits of one seed are disjoint and cover the data.  Each split is
    returned in the original order of the data set.

    Returns ``X`` of shape ``(n, 64)`` (``dtype``; pixel values 0..16, divided by 16 into [0, 1]
    when ``normalize``) and ``y`` of shape ``(n,)`` (int64).  Needs the ``data`` extra.
    """
    which = lookup(_SPLITS, split, "digits split")
    rng = as_rng(seed)
    test_fraction = _real(test_fraction, "test_fraction")
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must lie strictly between 0 and 1, got {test_fraction}")
    dtype = _float_dtype(dtype)
    datasets = _require("sklearn.datasets", "scikit-learn", "ffbench.data.digits")
    bunch = datasets.load_digits()
    X, y = np.asarray(bunch.data, np.float64), np.asarray(bunch.target, np.int64)
    in_test = np.zeros(len(y), dtype=bool)
    for c in range(10):
        members = np.flatnonzero(y == c)
        in_test[rng.permutation(members)[: round(test_fraction * len(members))]] = True
    keep = in_test if which == "test" else ~in_test
    X = X[keep] / 16.0 if normalize else X[keep]
    return _finish(X, y[keep], dtype)
