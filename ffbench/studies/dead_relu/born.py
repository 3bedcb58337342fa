"""Born-dead ReLU networks: a kernel counting dead units, the exact one-input law, random bias-free and RAI
networks.  The derivations are in the docstring of ``ffbench.studies.dead_relu``."""
from __future__ import annotations

import math

import numpy as np
from numba import njit, prange
from scipy import stats


# ------------------------------------------------------------------------------------------ kernels

@njit(cache=True)
def _relu_layer(h_in, W, bias, h_out, active):
    r"""One ReLU layer for one network: :math:`h_{out} = \max(h_{in} W + b, 0)`; ``active[j]`` is set if unit j
    fires (z > 0) on any input.  h_in (n, m), W (m, N), bias (N,), h_out (n, N) float64; active (N,) bool."""
    n, m = h_in.shape
    N = W.shape[1]
    for i in range(n):
        for j in range(N):
            s = bias[j]
            for k in range(m):
                s += h_in[i, k] * W[k, j]
            if s > 0.0:
                h_out[i, j] = s
                active[j] = True
            else:
                h_out[i, j] = 0.0


@njit(parallel=True, cache=True)
def dead_unit_counts(X, W_in, W_hidden, B, out):
    r"""Dead units per layer of many ReLU networks on one data set.

    Network b: :math:`h_0 = X`, :math:`h_l = \max(h_{l-1} W_l + b_l, 0)` with :math:`W_1` = ``W_in[b]`` and
    :math:`W_l` = ``W_hidden[b, l-2]`` for l >= 2.  ``out[b, l-1]`` = number of units j of layer l with
    :math:`z_{l,j}(x) \le 0` for every row x of X (dead units); layer l is dead at every input iff it equals N.
    X (n, d), W_in (nets, d, N), W_hidden (nets, L-1, N, N), B (nets, L, N) float64; out (nets, L) int64.
    Networks are independent: the loop is partitioned by network, so any thread count gives the same counts.
    """
    nets, L = out.shape
    n = X.shape[0]
    N = W_in.shape[2]
    for b in prange(nets):
        h = np.empty((n, N))
        h_next = np.empty((n, N))
        active = np.zeros(N, dtype=np.bool_)
        _relu_layer(X, W_in[b], B[b, 0], h, active)
        out[b, 0] = N - active.sum()
        for l in range(1, L):
            active[:] = False
            _relu_layer(h, W_hidden[b, l - 1], B[b, l], h_next, active)
            out[b, l] = N - active.sum()
            h, h_next = h_next, h


# ------------------------------------------------------------------------------------- exact pieces

def exact_dead_at_input(width, depth):
    r"""P(a bias-free ReLU net with ``depth`` hidden layers of ``width`` is dead at a fixed input x != 0)
    :math:`= 1 - (1 - 2^{-N})^L` (see the module docstring).  Broadcasts over arrays of widths and depths."""
    width, depth = np.asarray(width, dtype=float), np.asarray(depth, dtype=float)
    return -np.expm1(depth * np.log1p(-(2.0 ** -width)))


def expected_inactive_fraction(width, layer):
    r"""Expected fraction of inactive units of hidden layer ``layer`` (1-based) at one input of a bias-free
    ReLU net: :math:`1 - \tfrac12 (1 - 2^{-N})^{l-1}`."""
    width, layer = np.asarray(width, dtype=float), np.asarray(layer, dtype=float)
    return 1.0 - 0.5 * (1.0 - 2.0 ** -width) ** (layer - 1.0)


def wilson_interval(k, n, confidence=0.95):
    r"""Wilson score interval for a binomial proportion k/n (arrays broadcast):
    :math:`(\hat p + z^2/2n \pm z\sqrt{\hat p(1-\hat p)/n + z^2/4n^2}) / (1 + z^2/n)`,
    z the two-sided normal quantile of ``confidence`` (scipy.stats.norm).  Returns (low, high)."""
    k, n = np.asarray(k, dtype=float), np.asarray(n, dtype=float)
    z = stats.norm.ppf(0.5 + confidence / 2.0)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return np.clip(centre - half, 0.0, 1.0), np.clip(centre + half, 0.0, 1.0)


# -------------------------------------------------------------------------------- random networks

def _symmetric_layer(rng, nets, fan_in, width):
    """Bias-free layer with N(0, 2/fan_in) weights (He; for a bias-free ReLU net only the signs matter)."""
    W = rng.normal(0.0, math.sqrt(2.0 / fan_in), (nets, fan_in, width))
    return W, np.zeros((nets, width))


def _rai_layer(rng, nets, fan_in, width):
    """RAI (Lu et al. 2020): per unit, one of its fan_in + 1 parameters (weights, bias), chosen uniformly, is
    Beta(2, 1); the others N(0, 2/fan_in)."""
    V = rng.normal(0.0, math.sqrt(2.0 / fan_in), (nets, fan_in + 1, width))
    pick = rng.integers(0, fan_in + 1, (nets, width))
    positive = rng.beta(2.0, 1.0, (nets, width))
    np.put_along_axis(V, pick[:, None, :], positive[:, None, :], axis=1)
    return np.ascontiguousarray(V[:, :fan_in]), np.ascontiguousarray(V[:, fan_in])


SCHEMES = {"symmetric": _symmetric_layer, "rai": _rai_layer}


def random_networks(scheme, rng, nets, d_in, width, depth):
    """``nets`` random ReLU networks [d_in, width x depth]: (W_in (nets, d_in, N), W_hidden (nets, depth-1, N, N),
    B (nets, depth, N)), layer by layer from ``rng``."""
    make = SCHEMES[scheme]
    W_in, b0 = make(rng, nets, d_in, width)
    hidden = [make(rng, nets, width, width) for _ in range(depth - 1)]
    W_hidden = np.stack([w for w, _ in hidden], axis=1) if hidden else np.zeros((nets, 0, width, width))
    B = np.stack([b0] + [b for _, b in hidden], axis=1)
    return W_in, np.ascontiguousarray(W_hidden), np.ascontiguousarray(B)


def born_dead_depths(counts, width):
    """First hidden layer (1-based) dead at every input, per network (0: none), from ``dead_unit_counts``."""
    dead = counts == width
    return np.where(dead.any(axis=1), dead.argmax(axis=1) + 1, 0)


def datasets(interval_points):
    """The 1-D data sets of the born-dead sweep: "point" x = 1 and "interval", a grid on [-1, 1]."""
    return {"point": np.ones((1, 1)), "interval": np.linspace(-1.0, 1.0, interval_points).reshape(-1, 1)}
