"""Weight initialisers, with the variance semantics of ``torch.nn.init``.

Every initialiser returns a ``(fan_in, fan_out)`` array, the layout of ``Y = X @ W`` (PyTorch stores
the transpose, ``(out, in)``; the fans are the same).  Draws come from ``rng`` (a
``np.random.Generator`` or an int seed) in float64 and are rounded once to ``dtype``, so a float32 and
a float64 network built from the same seed hold the same weights up to rounding.

=================  ======================================================  =========================
name               distribution                                            reference
=================  ======================================================  =========================
standard_uniform   U[-1/sqrt(fan_in), 1/sqrt(fan_in)]                      Glorot & Bengio 2010 eq.1;
                                                                           PyTorch's nn.Linear default
xavier_uniform     U[-a, a], a = gain sqrt(6/(fan_in+fan_out))             Glorot & Bengio 2010
xavier_normal      N(0, gain^2 2/(fan_in+fan_out))                         Glorot & Bengio 2010
he_uniform         U[-b, b], b = sqrt(3) gain/sqrt(fan), gain=sqrt(2/(1+a^2))  He et al. 2015
he_normal          N(0, gain^2/fan), fan = fan_in or fan_out (``mode``)    He et al. 2015
lecun_normal       N(0, gain^2/fan_in)                                     LeCun et al. 1998
orthogonal         gain * a random orthogonal matrix (QR of a Gaussian)    Saxe et al. 2014
=================  ======================================================  =========================

``lecun_normal`` is the plain (untruncated) normal; ``torch.nn.init`` has no LeCun initialiser.
"""
from __future__ import annotations

import math

import numpy as np

from ._checks import FLOATS, as_rng, lookup, positive_int


#: name -> initialiser, in the order of the table above; filled by ``_register``.
INITIALIZERS: dict = {}
#: name -> human-readable label for figures and tables ("He", "Xavier"); see ``ffbench.style.label``.
LABELS: dict[str, str] = {}


def _register(label: str):
    """Decorator: add the initialiser to ``INITIALIZERS`` under its function name, with its label."""
    def add(fn):
        INITIALIZERS[fn.__name__] = fn
        LABELS[fn.__name__] = label
        return fn
    return add


def _fans(fan_in, fan_out):
    return positive_int(fan_in, "fan_in"), positive_int(fan_out, "fan_out")


def _finish(w: np.ndarray, dtype) -> np.ndarray:
    dtype = np.dtype(dtype)
    if dtype not in FLOATS:
        raise TypeError(f"dtype must be float32 or float64, got {dtype}")
    return np.ascontiguousarray(w, dtype=dtype)


def _uniform(bound, fan_in, fan_out, rng, dtype):
    return _finish(as_rng(rng).uniform(-bound, bound, size=(fan_in, fan_out)), dtype)


def _normal(std, fan_in, fan_out, rng, dtype):
    return _finish(as_rng(rng).normal(0.0, std, size=(fan_in, fan_out)), dtype)


def _he_gain(a: float) -> float:
    return math.sqrt(2.0 / (1.0 + a * a))


def _he_fan(fan_in, fan_out, mode):
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}")
    return fan_in if mode == "fan_in" else fan_out


@_register("standard")
def standard_uniform(fan_in, fan_out, rng=0, dtype=np.float64):
    fan_in, fan_out = _fans(fan_in, fan_out)
    return _uniform(1.0 / math.sqrt(fan_in), fan_in, fan_out, rng, dtype)


@_register("Xavier")
def xavier_uniform(fan_in, fan_out, rng=0, dtype=np.float64, gain=1.0):
    fan_in, fan_out = _fans(fan_in, fan_out)
    return _uniform(gain * math.sqrt(6.0 / (fan_in + fan_out)), fan_in, fan_out, rng, dtype)


@_register("Xavier (normal)")
def xavier_normal(fan_in, fan_out, rng=0, dtype=np.float64, gain=1.0):
    fan_in, fan_out = _fans(fan_in, fan_out)
    return _normal(gain * math.sqrt(2.0 / (fan_in + fan_out)), fan_in, fan_out, rng, dtype)


@_register("He (uniform)")
def he_uniform(fan_in, fan_out, rng=0, dtype=np.float64, a=0.0, mode="fan_in"):
    fan_in, fan_out = _fans(fan_in, fan_out)
    bound = math.sqrt(3.0) * _he_gain(a) / math.sqrt(_he_fan(fan_in, fan_out, mode))
    return _uniform(bound, fan_in, fan_out, rng, dtype)


@_register("He")
def he_normal(fan_in, fan_out, rng=0, dtype=np.float64, a=0.0, mode="fan_in"):
    fan_in, fan_out = _fans(fan_in, fan_out)
    std = _he_gain(a) / math.sqrt(_he_fan(fan_in, fan_out, mode))
    return _normal(std, fan_in, fan_out, rng, dtype)


@_register("LeCun")
def lecun_normal(fan_in, fan_out, rng=0, dtype=np.float64, gain=1.0):
    fan_in, fan_out = _fans(fan_in, fan_out)
    return _normal(gain / math.sqrt(fan_in), fan_in, fan_out, rng, dtype)


@_register("orthogonal")
def orthogonal(fan_in, fan_out, rng=0, dtype=np.float64, gain=1.0):
    """Rows (if fan_in <= fan_out) or columns are orthonormal, times ``gain``.

    As ``torch.nn.init.orthogonal_``: QR of a standard normal matrix with the signs of R's diagonal
    folded into Q, which makes the result Haar-distributed (Mezzadri 2007)."""
    fan_in, fan_out = _fans(fan_in, fan_out)
    tall = fan_in >= fan_out
    a = as_rng(rng).normal(size=(fan_in, fan_out) if tall else (fan_out, fan_in))
    q, r = np.linalg.qr(a)
    q *= np.sign(np.diag(r))
    return _finish(gain * (q if tall else q.T), dtype)


#: Other names of the initialisers (``initializer`` accepts them).
ALIASES = {"standard": "standard_uniform", "xavier": "xavier_normal", "he": "he_normal",
           "kaiming_uniform": "he_uniform", "kaiming_normal": "he_normal", "glorot_uniform": "xavier_uniform",
           "glorot_normal": "xavier_normal"}


def initializer(name: str):
    """The initialiser called ``name`` (aliases: standard, xavier, he, kaiming_*, glorot_*)."""
    return lookup(INITIALIZERS, ALIASES.get(name, name), "initializer")


def init_weights(name: str, fan_in: int, fan_out: int, rng=0, dtype=np.float64, **params) -> np.ndarray:
    """``initializer(name)(fan_in, fan_out, rng, dtype, **params)``."""
    return initializer(name)(fan_in, fan_out, rng=rng, dtype=dtype, **params)
