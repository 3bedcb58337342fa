r"""BatchNorm1d kernels, as ``torch.nn.BatchNorm1d`` (Ioffe & Szegedy 2015).

Training mode normalises each feature (column) of ``Z`` (batch, features) by the batch statistics,

.. math::  \hat z = (z - \mu_B) / \sqrt{\sigma_B^2 + \epsilon}, \qquad y = \gamma \hat z + \beta,

with the biased variance :math:`\sigma_B^2`, and updates the running statistics with momentum ``m``
(the running variance uses the unbiased batch variance, as PyTorch).  Evaluation mode uses the
running statistics.  The training-mode backward pass is

.. math::  dz = \frac{1}{N\sqrt{\sigma_B^2+\epsilon}}\left(N\,d\hat z - \textstyle\sum d\hat z
           - \hat z \sum d\hat z\,\hat z\right), \quad d\hat z = \gamma\,dy.

All kernels run one thread per block of columns and reduce over rows serially, so the results are
bit-identical for any thread count.
"""
from __future__ import annotations

import math

import numpy as np
from numba import prange

from ._kernels import by_size

_BLOCK = 32


@by_size
def train_forward(z, gamma, beta, eps, momentum, running_mean, running_var, xhat, y, invstd):
    """Fill xhat, y (batch, features) and invstd (features,); update the running statistics in place."""
    n, m = z.shape
    for jb in prange((m + _BLOCK - 1) // _BLOCK):
        for j in range(jb * _BLOCK, min((jb + 1) * _BLOCK, m)):
            mean = 0.0
            for i in range(n):
                mean += z[i, j]
            mean /= n
            var = 0.0
            for i in range(n):
                d = z[i, j] - mean
                var += d * d
            var /= n
            s = 1.0 / math.sqrt(var + eps)
            invstd[j] = s
            for i in range(n):
                xhat[i, j] = (z[i, j] - mean) * s
                y[i, j] = gamma[j] * xhat[i, j] + beta[j]
            running_mean[j] = (1.0 - momentum) * running_mean[j] + momentum * mean
            running_var[j] = (1.0 - momentum) * running_var[j] + momentum * var * n / (n - 1)


@by_size
def eval_forward(z, gamma, beta, eps, running_mean, running_var, xhat, y, invstd):
    """Normalise by the running statistics."""
    n, m = z.shape
    for j in range(m):
        invstd[j] = 1.0 / math.sqrt(running_var[j] + eps)
    for i in prange(n):
        for j in range(m):
            xhat[i, j] = (z[i, j] - running_mean[j]) * invstd[j]
            y[i, j] = gamma[j] * xhat[i, j] + beta[j]


@by_size
def backward(dy, xhat, gamma, invstd, train, dz, dgamma, dbeta):
    """dz (batch, features), dgamma, dbeta (features,).  ``train``: of the training-mode forward
    (batch statistics, the formula above); otherwise of the evaluation mode (an affine map per feature)."""
    n, m = dy.shape
    for jb in prange((m + _BLOCK - 1) // _BLOCK):
        for j in range(jb * _BLOCK, min((jb + 1) * _BLOCK, m)):
            sum_dy = 0.0
            sum_dy_xhat = 0.0
            for i in range(n):
                sum_dy += dy[i, j]
                sum_dy_xhat += dy[i, j] * xhat[i, j]
            dgamma[j] = sum_dy_xhat
            dbeta[j] = sum_dy
            if train:
                scale = gamma[j] * invstd[j] / n
                for i in range(n):
                    dz[i, j] = scale * (n * dy[i, j] - sum_dy - xhat[i, j] * sum_dy_xhat)
            else:
                for i in range(n):
                    dz[i, j] = dy[i, j] * gamma[j] * invstd[j]


class BatchNorm1d:
    """Per-feature batch normalisation with affine parameters ``gamma`` (ones) and ``beta`` (zeros).

    ``forward(Z, train)`` returns the normalised (batch, features) array and keeps what the backward
    pass needs; ``backward(dY)`` fills ``grad_gamma``, ``grad_beta`` and returns dZ."""

    def __init__(self, features: int, dtype=np.float64, momentum: float = 0.1, eps: float = 1e-5):
        self.features, self.momentum, self.eps = features, momentum, eps
        self.gamma = np.ones(features, dtype)
        self.beta = np.zeros(features, dtype)
        self.running_mean = np.zeros(features, dtype)
        self.running_var = np.ones(features, dtype)
        self.grad_gamma = np.zeros(features, dtype)
        self.grad_beta = np.zeros(features, dtype)
        self._cache = None

    def forward(self, z: np.ndarray, train: bool) -> np.ndarray:
        if train and z.shape[0] < 2:
            raise ValueError(f"BatchNorm in training mode needs more than 1 sample per batch, got a batch of "
                             f"{z.shape[0]} (as torch.nn.BatchNorm1d); use train=False or a larger batch")
        xhat, y = np.empty_like(z), np.empty_like(z)
        invstd = np.empty(self.features, z.dtype)
        if train:
            train_forward(z, self.gamma, self.beta, self.eps, self.momentum, self.running_mean,
                          self.running_var, xhat, y, invstd)
        else:
            eval_forward(z, self.gamma, self.beta, self.eps, self.running_mean, self.running_var,
                         xhat, y, invstd)
        self._cache = (xhat, invstd, train)
        return y

    def backward(self, dy: np.ndarray) -> np.ndarray:
        xhat, invstd, train = self._cache
        dz = np.empty_like(dy)
        backward(dy, xhat, self.gamma, invstd, train, dz, self.grad_gamma, self.grad_beta)
        return dz
