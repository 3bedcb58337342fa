"""Barron's constant and Maurey's sampler for f(x) = exp(-|x|^2/2) on a ball (the derivation is part 3 of the
docstring of ``ffbench.studies.approximation``)."""
from __future__ import annotations

import math

import numpy as np
from scipy import integrate, special, stats


def barron_constant(d):
    """C_f = E|omega| for omega ~ N(0, I_d): the mean of a chi distribution with d degrees of freedom."""
    return math.sqrt(2.0) * math.exp(math.lgamma((d + 1) / 2) - math.lgamma(d / 2))


def barron_radius(rcf, d):
    """The radius r of the ball in R^d on which r C_f = ``rcf``: Barron's bound (2 r C_f)^2 is then the same
    in every dimension, so a growth of the error with d would be the curse of dimensionality Barron rules out."""
    return rcf / barron_constant(d)


def _abs_sin_integral(s):
    """int_0^s |sin v| dv = 2 floor(s / pi) + 1 - cos(s mod pi)."""
    k = np.floor(s / np.pi)
    return 2.0 * k + 1.0 - np.cos(s - np.pi * k)


def total_variation(d, r):
    """V = 2 E_rho int_0^{r rho} |sin v| dv, rho ~ chi_d (the mass of the step representation)."""
    value, _ = integrate.quad(lambda rho: stats.chi.pdf(rho, d) * _abs_sin_integral(r * rho), 0, np.inf,
                              limit=400)
    return 2.0 * value


def cap_fraction(t, d):
    """mu({x in B_1 : x_1 > t}) for mu uniform on the unit ball of R^d, t in [0, 1]."""
    return 0.5 * special.betainc((d + 1) / 2, 0.5, 1.0 - np.asarray(t) ** 2)


def residual_norm2(d, r):
    """||f - f(0)||^2 in L2(mu): E (exp(-R^2/2) - 1)^2 with R = r U^(1/d) the radius of a uniform point."""
    value, _ = integrate.quad(lambda q: d * q ** (d - 1) * (math.exp(-(r * q) ** 2 / 2) - 1.0) ** 2, 0, 1)
    return value


def sample_units(rng, m, d, r):
    """m draws (u (m, d), t (m,), sign (m,)) from p: rho from the size-biased chi_d (= chi_{d+1}), t uniform
    on [0, 1], accepted with probability |sin(r rho t)|; u uniform on the sphere; sign = -sign(sin)."""
    us, ts, signs, have = [], [], [], 0
    while have < m:
        k = 2 * (m - have) + 64
        rho = np.sqrt(rng.chisquare(d + 1, k))
        t = rng.uniform(0.0, 1.0, k)
        sine = np.sin(r * rho * t)
        keep = rng.uniform(0.0, 1.0, k) < np.abs(sine)
        u = rng.standard_normal((k, d))
        us.append(u[keep] / np.linalg.norm(u[keep], axis=1, keepdims=True))
        ts.append(t[keep])
        signs.append(-np.sign(sine[keep]))
        have += int(keep.sum())
    return np.concatenate(us)[:m], np.concatenate(ts)[:m], np.concatenate(signs)[:m]


def ball_points(rng, m, d, r):
    """m points uniform on the ball of radius r in R^d."""
    g = rng.standard_normal((m, d))
    return r * g / np.linalg.norm(g, axis=1, keepdims=True) * rng.uniform(0.0, 1.0, m)[:, None] ** (1.0 / d)
