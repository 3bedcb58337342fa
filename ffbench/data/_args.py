"""Argument checks shared by the data sets, and the on-disk cache directory."""
from __future__ import annotations

import math
import numbers
import os
from pathlib import Path

import numpy as np

from .._checks import FLOATS

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


def data_home(name: str) -> Path:
    """Where data set ``name`` is cached: ``$FFBENCH_DATA/name`` when the environment variable
    ``FFBENCH_DATA`` is set, else ``~/.cache/ffbench/name``."""
    base = os.environ.get("FFBENCH_DATA")
    return Path(base) / name if base else Path.home() / ".cache" / "ffbench" / name
