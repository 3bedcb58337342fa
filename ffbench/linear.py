r"""Linear layers ``Y = X @ W + b`` and the fused linear + activation layer.

Shapes: ``X`` (batch, fan_in), ``W`` (fan_in, fan_out), ``b`` (fan_out,), ``Y`` (batch, fan_out), all
of one float dtype.  Matrix products go to the BLAS (through NumPy); everything elementwise (bias,
activation, its derivative, the bias gradient) runs in one Numba pass.  The two never run at the same
time; products are tiled by ``ffbench.gemm`` (one single-threaded BLAS call per tile), so they give the
same bits on any thread count and do not oversubscribe.

Backward, for upstream gradient ``dY`` (or ``dA`` for the fused layer, with ``dZ = dA * f'(Z)``):

.. math::  dX = dZ\,W^T, \qquad dW = X^T dZ, \qquad db = \textstyle\sum_i dZ_{i\cdot}

``db`` sums each column serially in row order, so it is bit-identical for any thread count.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from ._checks import as_float_array, same_dtype
from .activations import activation
from .gemm import matmul, matmul_pair


@njit(cache=True, nogil=True, error_model="numpy")
def column_sums(dz, out):
    """out[j] = sum_i dz[i, j] for dz (n, m), out (m,): each column summed serially in row order
    (deterministic), a whole row at a time (contiguous, vectorised).

    Serial on purpose: the 2-thread version (a block of columns per thread) was slower at every size measured on
    the 2-core VM, float32, us: 512 x 64 2.7 vs 6.3, 512 x 256 9.4 vs 20.4, 512 x 1024 46 vs 81 (a launch of the
    team costs more than the sum).  A local accumulator: summing into ``out`` directly, LLVM must assume it may
    alias ``dz`` and adds one column at a time (0.66 ns per element at 512 x 64 against ~0.1 here)."""
    n, m = dz.shape
    acc = np.zeros(m, out.dtype)
    for i in range(n):
        for j in range(m):
            acc[j] += dz[i, j]
    for j in range(m):
        out[j] = acc[j]


def _check_xw(X, W):
    X = as_float_array(X, "X", ndim=2)
    W = as_float_array(W, "W", ndim=2)
    same_dtype(X, W, "X", "W")
    if X.shape[1] != W.shape[0]:
        raise ValueError(f"X has shape {X.shape} but W has shape {W.shape}: "
                         f"X.shape[1] must equal W.shape[0] (fan_in)")
    return X, W


def _check_layer(X, W, b):
    X, W = _check_xw(X, W)
    b = as_float_array(b, "b", ndim=1)
    same_dtype(W, b, "W", "b")
    if b.shape[0] != W.shape[1]:
        raise ValueError(f"b has shape {b.shape} but W has shape {W.shape}: "
                         f"b must have W.shape[1] = {W.shape[1]} entries (fan_out)")
    return X, W, b


def _check_grad(G, X, W, name):
    """``G`` must be a (batch, fan_out) array of the layer's dtype."""
    G = as_float_array(G, name, ndim=2)
    same_dtype(G, X, name, "X")
    want = (X.shape[0], W.shape[1])
    if G.shape != want:
        raise ValueError(f"{name} has shape {G.shape} but X {X.shape} @ W {W.shape} gives {want}; "
                         "they must match")
    return G


def linear_forward(X, W, b):
    """``Y = X @ W + b``; returns Y (batch, fan_out)."""
    Y, _ = linear_act_forward(X, W, b, "identity")
    return Y


def linear_backward(X, W, dY):
    """Returns ``(dX, dW, db)`` for upstream gradient ``dY`` (batch, fan_out)."""
    X, W = _check_xw(X, W)
    dY = _check_grad(dY, X, W, "dY")
    return _param_grads(X, W, dY)


def _param_grads(X, W, dZ):
    db = np.empty(W.shape[1], dtype=W.dtype)
    column_sums(dZ, db)
    dW, dX = matmul_pair(X.T, dZ, None, dZ, W.T, None)
    return dX, dW, db


def linear_act_forward(X, W, b, act="relu", **params):
    """Fused ``Z = X @ W + b``, ``A = f(Z)``.  Returns ``(Z, A)``, both (batch, fan_out).

    ``Z`` (the pre-activation) is what ``linear_act_backward`` needs; ``act`` is a name or an
    ``Activation``."""
    X, W, b = _check_layer(X, W, b)
    act = activation(act, **params)
    Z = matmul(X, W)
    A = np.empty_like(Z)
    act.fused_forward(Z, b, A)
    return Z, A


def linear_act_backward(X, W, Z, dA, act="relu", **params):
    """Returns ``(dX, dW, db, dZ)`` of the fused layer for upstream gradient ``dA``."""
    X, W = _check_xw(X, W)
    Z = _check_grad(Z, X, W, "Z")
    dA = _check_grad(dA, X, W, "dA")
    act = activation(act, **params)
    dZ = np.empty_like(Z)
    act.fused_gradient(Z, dA, dZ)
    dX, dW, db = _param_grads(X, W, dZ)
    return dX, dW, db, dZ
