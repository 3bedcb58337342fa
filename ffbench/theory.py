r"""Mean-field signal propagation in deep random networks, by Gauss-Hermite quadrature.

A plain network with weights :math:`W_{ij} \sim (0, \sigma_w^2 / n)` and biases :math:`b_i \sim (0, \sigma_b^2)`
carries, in the wide limit, pre-activations that are Gaussian with second moment :math:`q_l` (Poole et al. 2016,
"Exponential expressivity in deep neural networks through transient chaos"; Schoenholz et al. 2017, "Deep
information propagation"):

.. math::  q_{l+1} = \sigma_w^2\, E_z\!\left[\phi(\sqrt{q_l}\, z)^2\right] + \sigma_b^2, \qquad z \sim N(0, 1),

with a fixed point :math:`q^*`.  A gradient back-propagated through layer l is multiplied, in mean square, by

.. math::  \chi(q_l) = \sigma_w^2\, E_z\!\left[\phi'(\sqrt{q_l}\, z)^2\right], \qquad \chi_1 = \chi(q^*),

so gradients vanish when :math:`\chi_1 < 1` (the ordered phase) and explode when :math:`\chi_1 > 1` (chaos).
Special cases: ReLU gives :math:`\chi = \sigma_w^2 / 2` for every q (He et al. 2015: 1/2 per layer with
Xavier's :math:`\sigma_w^2 = 1`, 1 with He's :math:`\sigma_w^2 = 2`); an odd activation with
:math:`\phi'(0) = 1` (tanh) and :math:`\sigma_b = 0` has :math:`q^* = 0` and :math:`\chi_1 = \sigma_w^2` for
:math:`\sigma_w^2 \le 1`, the linear regime of Glorot & Bengio 2010 (:math:`n\,\mathrm{Var}[W] = 1/3` for the
standard initialisation U[-1/sqrt(n), 1/sqrt(n)]).

Expectations evaluate :math:`\phi` and :math:`\phi'` with the very kernels a network runs (the activation's
fused 2-D kernels, float64: already compiled by any model, so the theory adds no compile time) at the nodes of
``ffbench.quadrature`` (probabilists' Gauss-Hermite, an even number of nodes, so that no node sits at z = 0:
``q = 0`` is then the limit q -> 0+, where :math:`\phi'(\sqrt{q} z)` takes its one-sided values).
"""
from __future__ import annotations

import functools
import math
from typing import NamedTuple

import numpy as np

from .activations import activation
from .quadrature import mean_square
# The quadrature under the names this module has always given it (theory.depth_scale's block uses them).
from .quadrature import NODES, TINY_SCALE as _TINY_SCALE, W as _W, Z as _Z  # noqa: F401
from .quadrature import expectation as gauss_expectation, points as _points  # noqa: F401


@functools.lru_cache(maxsize=None)
def _activation(name: str, params: tuple):
    return activation(name, **dict(params))


def phi(name: str, x: np.ndarray, **params) -> np.ndarray:
    """The activation at ``x`` (float64, 1-D), computed by the network's own forward kernel."""
    act = _activation(name, tuple(sorted(params.items())))
    z = np.array(x, dtype=np.float64).reshape(1, -1)  # a copy: the kernel adds the bias to z in place
    out = np.empty_like(z)
    act.fused_forward(z, np.zeros(z.shape[1]), out)
    return out[0]


def phi_prime(name: str, x: np.ndarray, **params) -> np.ndarray:
    """The activation's derivative at ``x`` (float64, 1-D), by the network's own gradient kernel."""
    act = _activation(name, tuple(sorted(params.items())))
    z = np.ascontiguousarray(x, dtype=np.float64).reshape(1, -1)
    out = np.empty_like(z)
    act.fused_gradient(z, np.ones_like(z), out)
    return out[0]


def second_moment(name: str, q: float, **params) -> float:
    r""":math:`E_z[\phi(\sqrt{q} z)^2]` for activation ``name``."""
    return mean_square(lambda x: phi(name, x, **params), q)


def derivative_moment(name: str, q: float, **params) -> float:
    r""":math:`E_z[\phi'(\sqrt{q} z)^2]` for activation ``name``."""
    return mean_square(lambda x: phi_prime(name, x, **params), q)


def q_map(name: str, q: float, sigma_w2: float, sigma_b2: float = 0.0, **params) -> float:
    r"""One layer of the length map: :math:`\sigma_w^2 E[\phi(\sqrt{q} z)^2] + \sigma_b^2`."""
    return sigma_w2 * second_moment(name, q, **params) + sigma_b2


def chi(name: str, q: float, sigma_w2: float, **params) -> float:
    r"""Mean-square gradient factor of one layer at pre-activation second moment q:
    :math:`\sigma_w^2 E[\phi'(\sqrt{q} z)^2]`."""
    return sigma_w2 * derivative_moment(name, q, **params)


def q_profile(name: str, q0: float, sigma_w2: float, sigma_b2: float, layers: int, **params) -> np.ndarray:
    """:math:`q_0, q_1, ..., q_{layers-1}` from the length map started at ``q0`` (float64, shape (layers,))."""
    q = np.empty(layers)
    q[0] = q0
    for l in range(1, layers):
        q[l] = q_map(name, q[l - 1], sigma_w2, sigma_b2, **params)
    return q


def fixed_point(name: str, sigma_w2: float, sigma_b2: float = 0.0, q0: float = 1.0, tol: float = 1e-13,
                max_iter: int = 10_000, **params) -> float:
    r"""The fixed point :math:`q^*` of the length map reached from ``q0`` (by iteration).

    Stops when a step changes q by at most ``tol * max(q, 1e-300)``.  Returns 0.0 when q decays below
    1e-200 (the ordered linear regime: q* = 0), ``inf`` when it grows above 1e200 (no finite fixed
    point), and the last iterate after ``max_iter`` steps (a critical point, where q approaches q* = 0
    only like 1/l).  For a positively homogeneous activation (ReLU, LeakyReLU, the identity: slopes c+ for
    z > 0 and c- for z < 0) the map is linear, :math:`q \mapsto \sigma_w^2 m q + \sigma_b^2` with
    :math:`m = E[\phi(z)^2] = (c_+^2 + c_-^2)/2`, and the fixed point is exact: :math:`\sigma_b^2 / (1 -
    \sigma_w^2 m)` when :math:`\sigma_w^2 m < 1`, ``q0`` itself when :math:`\sigma_w^2 m = 1` and
    :math:`\sigma_b = 0` (every q is fixed), else ``inf``.
    """
    act = _activation(name, tuple(sorted(params.items())))
    if act.homogeneous:
        up, down = act.slopes
        slope = sigma_w2 * (up * up + down * down) / 2.0  # exact m; quadrature of the kink would be off by ~1e-14
        if slope < 1.0:
            return sigma_b2 / (1.0 - slope)
        return float(q0) if slope == 1.0 and sigma_b2 == 0 else math.inf
    q = float(q0)
    for _ in range(max_iter):
        new = q_map(name, q, sigma_w2, sigma_b2, **params)
        if new < 1e-200:
            return 0.0
        if new > 1e200:
            return math.inf
        if abs(new - q) <= tol * max(q, 1e-300):
            return new
        q = new
    return q


@functools.lru_cache(maxsize=4096)  # pure, and asked again for every seed; a critical map takes max_iter steps
def chi1(name: str, sigma_w2: float, sigma_b2: float = 0.0, q0: float = 1.0, **params) -> tuple[float, float]:
    r"""``(chi_1, q*)``: :math:`\chi_1 = \sigma_w^2 E[\phi'(\sqrt{q^*} z)^2]` at the fixed point reached from q0.

    For ``q* = inf`` (no finite fixed point) chi_1 is the limit for large q, which exists for a positively
    homogeneous activation (ReLU, LeakyReLU, the identity: chi does not depend on q) and is NaN otherwise.
    """
    q_star = fixed_point(name, sigma_w2, sigma_b2, q0, **params)
    if math.isinf(q_star):
        homogeneous = _activation(name, tuple(sorted(params.items()))).homogeneous
        return (chi(name, 1.0, sigma_w2, **params) if homogeneous else math.nan), q_star
    return chi(name, q_star, sigma_w2, **params), q_star



# ------------------------------------------------------------------ depth scales (Schoenholz et al. 2017)
#
# Two inputs a, b with pre-activations of second moment q* and correlation c = q_ab / q* evolve by the
# correlation map (Schoenholz, Gilmer, Ganguli & Sohl-Dickstein 2017, "Deep information propagation", ICLR,
# Sec. 2-3; Poole et al. 2016):
#
#     c_{l+1} = (sigma_w^2 E[phi(u_1) phi(u_2)] + sigma_b^2) / q*,
#     u_1 = sqrt(q*) z_1,  u_2 = sqrt(q*) (c z_1 + sqrt(1 - c^2) z_2),  z_1, z_2 ~ N(0, 1) independent,
#
# whose slope is chi(c) = sigma_w^2 E[phi'(u_1) phi'(u_2)] (chi(1) = chi_1).  By Mehler's expansion the map is a
# power series in c with non-negative coefficients, so it is increasing and convex on [0, 1] with c = 1 a fixed
# point: stable (c* = 1, the ordered phase) when chi_1 <= 1, else a second, stable fixed point c* < 1 (chaos).
# Near a fixed point |c_l - c*| ~ exp(-l / xi_c) with xi_c = -1 / ln chi(c*), and |q_l - q*| ~ exp(-l / xi_q)
# with xi_q = -1 / ln chi_q, chi_q = sigma_w^2 E[phi'(u)^2 + phi(u) phi''(u)] = dq_{l+1}/dq_l at q*, here by
# Stein's lemma as sigma_w^2 E[z phi(u) phi'(u)] / sqrt(q*) (no second derivative needed).  Both expectations use
# the tensor product of the module's Gauss-Hermite rule (NODES^2 points).

class DepthScales(NamedTuple):
    """Fixed points, slopes and depth scales of the mean-field maps (floats; NaN where q* is infinite)."""

    q_star: float  # fixed point of the length map
    c_star: float  # stable fixed point of the correlation map (1 in the ordered phase)
    chi_1: float   # slope of the correlation map at c = 1: sigma_w^2 E[phi'(u)^2]
    chi_c: float   # slope of the correlation map at c*: sigma_w^2 E[phi'(u_1) phi'(u_2)]
    xi_c: float    # -1 / ln chi_c: the depth over which two inputs' correlation reaches c* (inf at chi_c = 1)
    chi_q: float   # slope of the length map at q*
    xi_q: float    # -1 / ln chi_q


def _pair_expectation(f1: np.ndarray, f2: np.ndarray) -> float:
    """E[f1(z_1) f2(z_1, z_2)] from f1 at the nodes (NODES,) and f2 on the node grid (NODES, NODES)."""
    return float(_W @ (f1[:, None] * f2) @ _W)


def _pair_values(kernel, name: str, q: float, c: float, params: dict):
    """``kernel`` (``phi`` or ``phi_prime``) at u_1 (NODES,) and at u_2 on the node grid (NODES, NODES)."""
    z1 = _points(q)
    z2 = (c * z1[:, None] + math.sqrt(max(1.0 - c * c, 0.0)) * z1[None, :]).ravel()
    return kernel(name, z1, **params), kernel(name, z2, **params).reshape(NODES, NODES)


def correlation_map(name: str, c: float, q_star: float, sigma_w2: float, sigma_b2: float = 0.0, **params) -> float:
    """One layer of the correlation map at the length fixed point ``q_star`` (see the block comment)."""
    return (sigma_w2 * _pair_expectation(*_pair_values(phi, name, q_star, c, params)) + sigma_b2) / q_star


def correlation_slope(name: str, c: float, q_star: float, sigma_w2: float, **params) -> float:
    r""":math:`\sigma_w^2 E[\phi'(u_1)\phi'(u_2)]`: the slope of the correlation map at c."""
    return sigma_w2 * _pair_expectation(*_pair_values(phi_prime, name, q_star, c, params))


def _correlation_fixed_point(name, q_star, sigma_w2, sigma_b2, chi_1, params) -> float:
    """c* by Newton's method from c = 0 on g(c) = map(c) - c.  g is convex on [0, 1] with g(0) >= 0, so the
    iterates increase monotonically to the smaller root: c* < 1 when chi_1 > 1, and 1 otherwise."""
    if not chi_1 > 1.0 or q_star == 0.0:
        return 1.0
    c = 0.0
    for _ in range(100):
        g = correlation_map(name, c, q_star, sigma_w2, sigma_b2, **params) - c
        if g <= 0.0:
            return c
        step = g / (1.0 - correlation_slope(name, c, q_star, sigma_w2, **params))
        c += step
        if step <= 1e-15 * max(c, 1e-300):
            return c
    raise RuntimeError(f"correlation fixed point of {name} at sigma_w2={sigma_w2}: Newton did not converge")


def _depth(chi_value: float) -> float:
    return -1.0 / math.log(chi_value) if chi_value < 1.0 else math.inf


@functools.lru_cache(maxsize=4096)  # pure; a study asks again for every seed and depth
def depth_scale(name: str, sigma_w2: float, sigma_b2: float = 0.0, **params) -> DepthScales:
    r"""q*, c*, chi_1, chi_c, xi_c = -1/ln chi_c, chi_q, xi_q of a plain network (Schoenholz et al. 2017, Sec. 3).

    q* is ``fixed_point`` from q0 = 1; at q* = 0 (an odd activation with sigma_b = 0 in the ordered phase) the
    limit q -> 0+ gives c* = 1 and chi_c = chi_q = chi_1.  xi_c diverges where chi_1 = 1 (the critical line,
    ``critical_sigma_w2``), from either side.
    """
    chi_1, q_star = chi1(name, sigma_w2, sigma_b2, **params)
    if not math.isfinite(q_star):
        return DepthScales(q_star, *([math.nan] * 6))
    c_star = _correlation_fixed_point(name, q_star, sigma_w2, sigma_b2, chi_1, params)
    chi_c = chi_1 if c_star == 1.0 else correlation_slope(name, c_star, q_star, sigma_w2, **params)
    u = _points(q_star)
    scale = math.sqrt(q_star) if q_star > 0 else _TINY_SCALE  # u = scale * z, as _points draws it
    chi_q = sigma_w2 * gauss_expectation(_Z * phi(name, u, **params) * phi_prime(name, u, **params)) / scale
    return DepthScales(q_star, c_star, chi_1, chi_c, _depth(chi_c), chi_q, _depth(chi_q))


def critical_sigma_w2(name: str, sigma_b2: float = 0.0, lo: float = 1e-3, hi: float = 100.0, **params) -> float:
    """The sigma_w^2 where chi_1 = 1 (order to chaos), by bisection on [lo, hi] (chi_1 increases with
    sigma_w^2); to a relative 1e-12."""
    def above(s2):
        return chi1(name, s2, sigma_b2, **params)[0] > 1.0
    if above(lo) or not above(hi):
        raise ValueError(f"chi_1 of {name} does not cross 1 on sigma_w2 in [{lo}, {hi}]")
    while hi - lo > 1e-12 * hi:
        mid = 0.5 * (lo + hi)
        lo, hi = (lo, mid) if above(mid) else (mid, hi)
    return 0.5 * (lo + hi)
