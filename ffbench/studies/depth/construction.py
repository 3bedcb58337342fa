"""The tent-map construction and exact piece counting (parts 1 and 2 of the docstring of
``ffbench.studies.depth``): the deep net computing T^k, the shallow net of 2^k units equal to it, the exact
piecewise-linear function of any 1-D ReLU net in rational arithmetic, and the piece-count bound."""
from __future__ import annotations

from fractions import Fraction

import numpy as np

from ffbench import MLP


def tent_network(k):
    """Weights and biases ((fan_in, fan_out) float64 arrays) of the ReLU net [1, 2 x k, 1] computing T^k."""
    weights = [np.array([[1.0, 1.0]])] + [np.array([[2.0, 2.0], [-4.0, -4.0]])] * (k - 1) + [np.array([[2.0], [-4.0]])]
    biases = [np.array([0.0, -0.5])] * k + [np.array([0.0])]
    return [w.copy() for w in weights], [b.copy() for b in biases]


def tent_mlp(k):
    """``ffbench.MLP`` with the tent-map weights set directly."""
    model = MLP([1] + [2] * k + [1], activation="relu", init="he_normal", seed=0)
    model.weights, model.biases = tent_network(k)
    return model


def exact_pwl(weights, biases, interval=(0, 1)):
    """The exact piecewise-linear function of a ReLU net with a 1-D input on ``interval``.

    Propagates knots and values in rational arithmetic: before each ReLU, every sign change of a unit's
    pre-activation inside an interval adds a knot at its exact root, so each layer's output is linear
    between knots.  Returns (knots, values): lists of Fractions of equal length (the output at each knot).
    """
    W = [[[Fraction(float(v)) for v in row] for row in w] for w in weights]
    B = [[Fraction(float(v)) for v in b] for b in biases]
    knots = [Fraction(interval[0]), Fraction(interval[1])]
    acts = [[knots[0]], [knots[1]]]
    for layer, (w, b) in enumerate(zip(W, B)):
        pre = [[sum((a[i] * w[i][j] for i in range(len(a))), b[j]) for j in range(len(b))] for a in acts]
        if layer == len(W) - 1:
            return knots, [p[0] for p in pre]
        new_knots, new_pre = [knots[0]], [pre[0]]
        for i in range(len(knots) - 1):
            x0, x1, z0, z1 = knots[i], knots[i + 1], pre[i], pre[i + 1]
            roots = sorted({x0 + (x1 - x0) * z0[j] / (z0[j] - z1[j])
                            for j in range(len(b)) if z0[j] * z1[j] < 0})
            for r in roots:
                s = (r - x0) / (x1 - x0)
                new_knots.append(r)
                new_pre.append([a + s * (c - a) for a, c in zip(z0, z1)])
            new_knots.append(x1)
            new_pre.append(z1)
        knots = new_knots
        acts = [[max(v, Fraction(0)) for v in p] for p in new_pre]
    raise ValueError("a network needs at least one layer")


def count_pieces(knots, values):
    """Maximal intervals of constant slope of the piecewise-linear function through (knots, values)."""
    slopes = [(values[i + 1] - values[i]) / (knots[i + 1] - knots[i]) for i in range(len(knots) - 1)]
    return 1 + sum(s != t for s, t in zip(slopes, slopes[1:]))


def count_crossings(values, level=Fraction(1, 2)):
    """Points where the piecewise-linear function equals ``level`` (it is nowhere constant at that level):
    knots on the level plus intervals whose ends lie strictly on opposite sides."""
    h = [v - level for v in values]
    return sum(v == 0 for v in h) + sum(a * c < 0 for a, c in zip(h, h[1:]))


def shallow_exact(k):
    """A one-hidden-layer ReLU net of width 2^k equal to T^k on [0, 1]: T^k = sum_j c_j relu(x - j/2^k) with
    c_0 = 2^k (the first slope) and c_j = -+2^(k+1) (the slope flips at each knot)."""
    m = 2 ** k
    c = np.array([float(m)] + [(-2.0 * m) * (-1) ** (j + 1) for j in range(1, m)])
    return [np.ones((1, m)), c[:, None]], [-np.arange(m) / m, np.zeros(1)]


def piece_lower_bound(k, w):
    """Lower bound on int_0^1 |f - T^k| for any one-hidden-layer ReLU net f of width w (see docstring)."""
    return max(0, 2 ** (k - 1) - w - 2) / 2 ** (k + 2)
