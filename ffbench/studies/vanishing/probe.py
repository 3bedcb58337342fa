"""The vanishing study's probe, streamed layer by layer: the numbers of one forward and backward pass of a deep
plain network (``ffbench.MLP``'s, bit for bit) while holding one weight matrix at a time, not all of them.

Why: the ``wide`` cells (depth 50, width 2048, batch 256, float64) held every weight matrix and its gradient
(50 x 32 MiB each) and every layer's pre-activations, activations and gradients through ``MLP``: 4.2 GB resident
for one run.  Here the forward pass keeps only each layer's pre-activation Z_l (batch x width float64; 0.2 GB at
the wide size) and the random generator's state before each W_l; the backward pass redraws W_l from that state
(the same bits), recomputes the layer's input f(Z_{l-1}) with the forward's own kernel, and reduces every
gradient to the statistics the study keeps as soon as it exists.

The same products (``matmul``, ``matmul_pair``: the tiling depends on the shape only) and the same fused kernels
as ``MLP.forward``/``MLP.backward``, in the same order, so every number is the one ``MLP`` gives
(``tests/test_vanishing.py`` checks it against the full model).
"""
from __future__ import annotations

import math

import numpy as np

from ffbench.activations import activation
from ffbench.gemm import matmul, matmul_pair
from ffbench.init import initializer

_IDENTITY = activation("identity")  # the last layer, as in MLP


class _Weights:
    """W_0 ... W_{depth-1} of ``MLP([width] * (depth + 1), init=..., seed=...)`` (float64, (width, width)),
    drawn in order once and redrawn on demand from the generator state saved before each first draw."""

    def __init__(self, spec):
        self._make = initializer(spec["init"])
        self._params = spec["init_params"] or {}
        self._width = spec["width"]
        self._rng = np.random.default_rng(int(spec["seed"]))  # MLP's generator: weights first, in layer order
        self._states = []

    def get(self, l: int) -> np.ndarray:
        if l == len(self._states):
            self._states.append(self._rng.bit_generator.state)
        else:
            self._rng.bit_generator.state = self._states[l]
        return self._make(self._width, self._width, rng=self._rng, dtype=np.float64, **self._params)


def _biases(spec) -> np.ndarray:
    """(depth, width) float64: zeros (MLP's default), or N(0, sigma_b2) drawn layer by layer as the study did."""
    b = np.zeros((spec["depth"], spec["width"]))
    if spec["sigma_b2"] > 0:
        rng = np.random.default_rng([spec["seed"], 1])
        for row in b:
            row[:] = rng.normal(0.0, math.sqrt(spec["sigma_b2"]), row.shape)
    return b


def _histogram(delta, hist):
    """log10 |delta| counted in ``hist``'s bins, with the values below, above and exactly zero."""
    edges = np.linspace(*hist["log10_range"], hist["bins"] + 1)
    d = np.abs(delta.ravel())
    nonzero = d[d > 0]
    logs = np.log10(nonzero)
    return {"counts": np.histogram(logs, edges)[0], "below": int(np.sum(logs < edges[0])),
            "above": int(np.sum(logs > edges[-1])), "zeros": int(d.size - nonzero.size)}


def probe(spec) -> dict:
    """One forward and backward pass of a fresh plain network of ``spec["depth"]`` square float64 layers on the
    fixed batch X (batch, width) ~ N(0, 1), loss sum(R * output) / batch: per layer l, q_l = mean(Z_l^2), the
    norm and variance of delta_l = dL/dZ_l and ||dL/dW_l|| (lists of ``depth`` floats), plus the histograms of
    log10 |delta_l| at ``spec["histogram"]["layers"]`` when asked."""
    width, depth, batch = spec["width"], spec["depth"], spec["batch"]
    data = np.random.default_rng(spec["data_seed"])
    X = data.standard_normal((batch, width))
    R = data.standard_normal((batch, width))
    act = activation(spec["activation"], **spec["activation_params"])
    weights, biases = _Weights(spec), _biases(spec)

    # Forward: keep Z_l (bias added) of the hidden layers, all the backward pass needs besides the weights.
    Z, q, h = [], [], X
    for l in range(depth):
        z = matmul(h, weights.get(l))
        a = np.empty_like(z)
        (act if l < depth - 1 else _IDENTITY).fused_forward(z, biases[l], a)
        q.append(float(np.mean(z * z)))
        if l < depth - 1:
            Z.append(z)
        h = a
    del z, a, h

    hist = spec["histogram"]
    delta_norm, delta_var, grad_norm = [0.0] * depth, [0.0] * depth, [0.0] * depth
    histograms = {}
    zero_bias = np.zeros(width)
    grad_w = np.empty((width, width))
    delta = R / batch  # dL/d(output) = dL/dZ_{depth-1} (the last layer is linear)
    for l in range(depth - 1, -1, -1):
        delta_norm[l], delta_var[l] = float(np.linalg.norm(delta)), float(np.var(delta))
        if hist is not None and l in hist["layers"]:
            histograms[str(l)] = _histogram(delta, hist)
        if l == 0:  # dL/dX is not wanted; matmul gives the bits of MLP's matmul_pair for dL/dW_0
            matmul(X.T, delta, out=grad_w)
        else:
            # The input of layer l, f(Z_{l-1}), by the forward's kernel again: Z_{l-1} + 0.0 == Z_{l-1} (no
            # stored Z is -0.0, being a sum with a +0.0 or non-zero bias), so the same bits.
            z = Z[l - 1]
            h = np.empty_like(z)
            act.fused_forward(z, zero_bias, h)
            W = weights.get(l)
            dh = matmul_pair(h.T, delta, grad_w, delta, W.T, np.empty_like(delta))[1]
            del W, h  # before the next redraw: one weight matrix alive at a time
            delta = np.empty_like(dh)
            act.fused_gradient(z, dh, delta)
            Z[l - 1] = None
        grad_norm[l] = float(np.linalg.norm(grad_w))

    result = {"input_second_moment": float(np.mean(X * X)), "q": q, "delta_norm": delta_norm,
              "delta_var": delta_var, "weight_grad_norm": grad_norm}
    if hist is not None:
        result["histograms"] = {str(l): histograms[str(l)] for l in hist["layers"]}
    return result
