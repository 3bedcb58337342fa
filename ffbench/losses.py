r"""Losses, each returning ``(loss, grad)`` with PyTorch's default ``reduction='mean'``.

=======================  =====================================================  ===========================
name                     loss (mean over the N terms)                           grad w.r.t. the input
=======================  =====================================================  ===========================
mse                      mean((pred - target)^2) over all elements              2 (pred - target) / N
softmax_cross_entropy    mean_i( logsumexp(x_i) - x_{i, y_i} ), integer labels  (softmax(x_i) - onehot(y_i)) / n
bce_with_logits          mean( max(x,0) - x t + log1p(exp(-|x|)) )              (sigmoid(x) - t) / N
=======================  =====================================================  ===========================

The log-sum-exp subtracts the row maximum and the BCE uses the ``|x|`` form, so both are exact at
logits of 1e4.  ``loss`` is a Python float accumulated in float64 whatever the input dtype; ``grad``
has the input's dtype.  Per-row partial sums are computed in parallel and added serially in row order,
so the loss is bit-identical for any thread count.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from ._kernels import by_size
from ._checks import as_float_array, lookup, same_dtype, same_shape


@by_size
def _mse_rows(pred, target, grad, partial):
    n, m = pred.shape
    scale = 2.0 / (n * m)
    for i in prange(n):
        s = 0.0
        for j in range(m):
            d = pred[i, j] - target[i, j]
            s += d * d
            grad[i, j] = scale * d
        partial[i] = s


@by_size
def _softmax_ce_rows(logits, labels, grad, partial):
    n, k = logits.shape
    inv_n = 1.0 / n
    for i in prange(n):
        m = logits[i, 0]
        for j in range(1, k):
            m = max(m, logits[i, j])
        s = 0.0
        for j in range(k):
            s += math.exp(logits[i, j] - m)
        # Never form m + log(s): rounding it costs eps * |m| absolutely, all of the loss at logits of 1e4.
        for j in range(k):
            grad[i, j] = math.exp(logits[i, j] - m) / s * inv_n
        grad[i, labels[i]] -= inv_n
        partial[i] = (m - logits[i, labels[i]]) + math.log(s)


@by_size
def _bce_rows(logits, target, grad, partial):
    n, m = logits.shape
    inv_n = 1.0 / (n * m)
    for i in prange(n):
        s = 0.0
        for j in range(m):
            x = logits[i, j]
            t = target[i, j]
            e = math.exp(-abs(x))
            s += max(x, 0.0) - x * t + math.log1p(e)
            sig = 1.0 / (1.0 + e) if x >= 0.0 else e / (1.0 + e)
            grad[i, j] = (sig - t) * inv_n
        partial[i] = s


@njit(cache=True)
def _ordered_sum(partial):
    """Serial sum in row order: the same total for any thread count."""
    total = 0.0
    for value in partial:
        total += value
    return total


def _as_rows(x):
    """View a 1-D array as one column, so every kernel sees 2-D (n, m)."""
    return x.reshape(-1, 1) if x.ndim == 1 else x


def mse(pred: np.ndarray, target: np.ndarray):
    """Mean squared error; ``pred`` and ``target`` (n,) or (n, m) of one dtype."""
    pred = as_float_array(pred, "pred")
    target = as_float_array(target, "target")
    same_shape(pred, target, "pred", "target")
    same_dtype(pred, target, "pred", "target")
    _nonempty(pred, "pred")
    p2, t2 = _as_rows(pred), _as_rows(target)
    grad = np.empty_like(p2)
    partial = np.empty(p2.shape[0], dtype=np.float64)
    _mse_rows(p2, t2, grad, partial)
    return _finish(partial, pred.size), grad.reshape(pred.shape)


def softmax_cross_entropy(logits: np.ndarray, labels: np.ndarray):
    """Cross-entropy of ``softmax(logits)`` (n, k) against integer ``labels`` (n,) in [0, k)."""
    logits = as_float_array(logits, "logits", ndim=2)
    labels = np.asarray(labels)
    if labels.dtype.kind not in "iu" or labels.dtype == np.bool_:
        raise TypeError(f"labels must be an integer array, got dtype {labels.dtype}")
    if labels.shape != (logits.shape[0],):
        raise ValueError(f"labels has shape {labels.shape} but logits has shape {logits.shape}; "
                         f"labels must have shape ({logits.shape[0]},)")
    _nonempty(logits, "logits")
    if labels.min() < 0 or labels.max() >= logits.shape[1]:
        bad = labels[(labels < 0) | (labels >= logits.shape[1])][0]
        raise ValueError(f"label {bad} out of range for {logits.shape[1]} classes (valid: 0..{logits.shape[1] - 1})")
    grad = np.empty_like(logits)
    partial = np.empty(logits.shape[0], dtype=np.float64)
    _softmax_ce_rows(logits, labels.astype(np.int64), grad, partial)
    return _finish(partial, logits.shape[0]), grad


def bce_with_logits(logits: np.ndarray, target: np.ndarray):
    """Binary cross-entropy on logits; ``target`` in [0, 1], same shape (n,) or (n, m) and dtype."""
    logits = as_float_array(logits, "logits")
    target = as_float_array(target, "target")
    same_shape(logits, target, "logits", "target")
    same_dtype(logits, target, "logits", "target")
    _nonempty(logits, "logits")
    l2, t2 = _as_rows(logits), _as_rows(target)
    grad = np.empty_like(l2)
    partial = np.empty(l2.shape[0], dtype=np.float64)
    _bce_rows(l2, t2, grad, partial)
    return _finish(partial, logits.size), grad.reshape(logits.shape)


def _nonempty(x: np.ndarray, name: str) -> None:
    """Checked before any kernel runs: the kernels divide by the element count."""
    if x.size == 0:
        raise ValueError(f"{name} has shape {x.shape} (0 elements): the mean loss of an empty batch is undefined")


def _finish(partial: np.ndarray, count: int) -> float:
    return _ordered_sum(partial) / count


LOSSES = {"mse": mse, "softmax_cross_entropy": softmax_cross_entropy, "bce_with_logits": bce_with_logits}
_ALIASES = {"cross_entropy": "softmax_cross_entropy", "ce": "softmax_cross_entropy", "bce": "bce_with_logits"}


def canonical_name(name: str) -> str:
    """The registry name of loss ``name`` (resolving aliases: cross_entropy, ce, bce)."""
    name = _ALIASES.get(name, name)
    lookup(LOSSES, name, "loss")
    return name


def loss_function(name: str):
    """The loss called ``name`` (aliases: cross_entropy, ce, bce)."""
    return LOSSES[canonical_name(name)]


def check_targets(y, loss: str, n: int, d_out: int, dtype):
    """``y`` checked for ``loss`` (its canonical name) and ``n`` rows of a model with ``d_out`` outputs:
    int64 labels (n,) for softmax cross-entropy, else finite (n, d_out) targets of ``dtype``."""
    if loss == "softmax_cross_entropy":
        y = np.asarray(y)
        if y.dtype.kind not in "iu":
            raise TypeError(f"labels for softmax_cross_entropy must be integers, got dtype {y.dtype}")
        if y.shape != (n,):
            raise ValueError(f"y has shape {y.shape} but X has {n} rows; labels must have shape ({n},)")
        if y.size and (y.min() < 0 or y.max() >= d_out):
            raise ValueError(f"labels must be in [0, {d_out}) for a model with {d_out} outputs, "
                             f"got values in [{y.min()}, {y.max()}]")
        return y.astype(np.int64)
    y = as_float_array(y, "y", ndim=(1, 2), dtype=dtype)
    y = y.reshape(-1, 1) if y.ndim == 1 else y
    if y.shape != (n, d_out):
        raise ValueError(f"y has shape {y.shape} but the model gives ({n}, {d_out}) for X's {n} rows")
    if not np.isfinite(y).all():
        raise ValueError("y contains NaN or inf")
    return y
