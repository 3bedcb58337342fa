"""Shared test helpers: finite differences, error measures, and the optional oracles."""
import numpy as np
import pytest


def central_difference(f, x, h=1e-6):
    """Gradient of the scalar function ``f`` at ``x`` (float64 array) by central differences."""
    grad = np.empty_like(x)
    flat, gflat = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + h
        up = f(x)
        flat[i] = old - h
        down = f(x)
        flat[i] = old
        gflat[i] = (up - down) / (2 * h)
    return grad


def max_rel_err(a, b):
    """max_i |a_i - b_i| / |b_i| (0 where both are equal, so exact zeros compare cleanly)."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    diff = np.abs(a - b)
    rel = np.where(diff == 0, 0.0, diff / np.maximum(np.abs(b), np.finfo(np.float64).tiny))
    return float(rel.max()) if rel.size else 0.0


def norm_rel_err(a, b):
    """||a - b|| / ||b||, the relative error of a whole array (used for finite differences)."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(b), np.finfo(np.float64).tiny))


# The oracles are optional (extras), so a plain install skips their tests: the skip says how to get each one.
ORACLES = {"torch": "pip install torch==2.13.0 (the CPU wheel), or pip install -e '.[peers]'",
           "mpmath": "pip install mpmath, or pip install -e '.[test]'"}


def oracle(module: str):
    """Import the oracle ``module`` (torch, mpmath), or skip the test with the command that installs it."""
    return pytest.importorskip(module, reason=f"the {module} oracle is not installed: {ORACLES[module]}")
