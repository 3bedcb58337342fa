r"""Expectations over a standard normal by Gauss-Hermite quadrature: the one rule of ffbench.

:math:`E_z[g(z)]`, :math:`z \sim N(0, 1)`, is :math:`\sum_k w_k\, g(z_k)` at the ``NODES`` nodes of
probabilists' Gauss-Hermite quadrature (``numpy.polynomial.hermite_e.hermegauss``, weights divided by
:math:`\sqrt{2\pi}` so that they sum to 1), exact for polynomials of degree below ``2 * NODES``.  ``NODES`` is
even, so that no node sits at z = 0: ``points(0)`` is then the limit q -> 0+, where a function with a kink
at 0 takes its one-sided values (ReLU's derivative at exactly 0 is a convention, 0, which the limit does not
see).  Used by ``ffbench.theory`` (the mean-field maps) and by ``ffbench.activations`` (the second-moment
gain).
"""
from __future__ import annotations

import math

import numpy as np

NODES = 160  # even: no node at z = 0
Z, W = np.polynomial.hermite_e.hermegauss(NODES)
W = W / math.sqrt(2.0 * math.pi)  # weights of E over N(0, 1): they sum to 1
TINY_SCALE = math.sqrt(np.finfo(np.float64).tiny)  # sqrt(q) for q = 0: the limit q -> 0+


def points(q: float) -> np.ndarray:
    r"""The nodes of :math:`\sqrt{q}\, z` (float64, (NODES,)) for a second moment ``q >= 0``."""
    if not q >= 0:
        raise ValueError(f"q must be a non-negative number, got {q!r}")
    scale = math.sqrt(q) if q > 0 else TINY_SCALE
    return scale * Z


def expectation(values) -> float:
    """:math:`E_z[g(z)]` for z ~ N(0, 1), given ``values`` = g at the nodes (float64, (NODES,))."""
    return float(np.dot(W, values))


def mean_square(f, q: float) -> float:
    r""":math:`E_z[f(\sqrt{q} z)^2]` for ``f`` mapping a float64 (NODES,) array to one of the same shape."""
    return expectation(f(points(q)) ** 2)
