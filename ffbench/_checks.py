"""Validation at the public boundary.

Kernels assume clean input: C-contiguous float32/float64 arrays of the right rank.  Everything a user
passes goes through these helpers first, so bad input fails here with a message that names the problem,
never inside a compiled kernel.
"""
from __future__ import annotations

import difflib

import numpy as np

FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def as_float_array(x, name: str, ndim=(1, 2), dtype=None) -> np.ndarray:
    """Return ``x`` as a C-contiguous float32/float64 array, or raise.

    Non-contiguous input (Fortran order, strided views) is accepted by copying, and so is read-only
    input (kernels never write to their inputs, but Numba compiles a separate specialisation for
    read-only arrays; one copy is cheaper than a second compile).  Integer, bool, complex, object and float16
    arrays are rejected rather than converted: a silent cast would hide a bug in the caller.
    ``dtype`` (if given) is the dtype ``x`` must already have.
    """
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{name} must be a numpy array, got {type(x).__name__}")
    if x.dtype not in FLOATS:
        raise TypeError(f"{name} must have dtype float32 or float64, got {x.dtype}")
    if dtype is not None and x.dtype != np.dtype(dtype):
        raise TypeError(f"{name} has dtype {x.dtype} but {np.dtype(dtype)} is required "
                        "(ffbench never mixes precisions silently)")
    if isinstance(ndim, int):
        ndim = (ndim,)
    if x.ndim not in ndim:
        want = " or ".join(f"{d}-D" for d in ndim)
        raise ValueError(f"{name} must be {want}, got a {x.ndim}-D array of shape {x.shape}")
    x = np.ascontiguousarray(x)
    return x if x.flags.writeable else x.copy()


def same_shape(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    if a.shape != b.shape:
        raise ValueError(f"{name_a} has shape {a.shape} but {name_b} has shape {b.shape}; they must match")


def same_dtype(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    if a.dtype != b.dtype:
        raise TypeError(f"{name_a} has dtype {a.dtype} but {name_b} has dtype {b.dtype}; they must match")


def lookup(table: dict, name, kind: str):
    """``table[name]`` or a ValueError listing the valid names (and the closest one)."""
    if isinstance(name, str) and name in table:
        return table[name]
    valid = sorted(table)
    close = difflib.get_close_matches(str(name), valid, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    raise ValueError(f"unknown {kind} {name!r}; valid names: {', '.join(valid)}.{hint}")


def positive_int(value, name: str) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def as_rng(rng) -> np.random.Generator:
    """An ``np.random.Generator`` from a Generator or an integer seed."""
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, (bool, np.bool_)):
        return np.random.default_rng(int(rng))
    raise TypeError(f"rng must be a numpy Generator or an int seed, got {type(rng).__name__}")
