r"""The multilayer perceptron: forward, backward, and everything the studies inspect.

For ``sizes = [d_in, h_1, ..., h_{L-1}, d_out]`` the network has L linear layers.  Hidden layer l maps
its input :math:`h_l` (batch, n_l) to

.. math::  Z_l = h_l W_l + b_l, \quad \tilde Z_l = \mathrm{BN}(Z_l)\ \text{(if norm="batch")}, \quad
           A_l = \mathrm{dropout}(f(\tilde Z_l)),

    h_{l+1} = A_l \quad\text{(plain)}, \qquad h_{l+1} = h_l + s\,A_l \quad\text{(residual, when } n_l = n_{l+1}).

A residual network only adds the skip connection where a layer keeps the width; a layer that changes
the width (the first hidden layer, usually) is plain.  The last layer is linear, with no activation.
Weights are ``(fan_in, fan_out)`` arrays (``X @ W``; PyTorch stores the transpose).

What the studies read after ``forward`` and ``backward``:

- ``preactivations[l]``: the input of the activation function of layer l (:math:`\tilde Z_l`; the
  network output for the last layer), (batch, n_{l+1});
- ``activations[l]``: the output of layer l (:math:`h_{l+1}`; the network output for the last layer);
- ``deltas[l]``: :math:`\partial L / \partial \tilde Z_l`, the gradient back-propagated to
  ``preactivations[l]``;
- ``grad_weights[l]``, ``grad_biases[l]``: the parameter gradients, in the layout of the parameters.
"""
from __future__ import annotations

import numpy as np

from . import fused
from ._checks import FLOATS, as_float_array, as_rng, positive_int
from .activations import activation as get_activation
from .batchnorm import BatchNorm1d
from .gemm import matmul, matmul_pair
from .init import initializer
from .linear import column_sums
from .losses import canonical_name, check_targets, loss_function

NORMS = (None, "batch")
_IDENTITY = get_activation("identity")  # the last layer, and the bias before a BatchNorm


class MLP:
    """A fully connected network; see the module docstring for the equations and the stored state.

    Parameters: ``sizes`` [d_in, hidden..., d_out]; ``activation`` a name from ``ffbench.ACTIVATIONS``
    (its parameter, e.g. ``negative_slope``, as a keyword); ``init`` a name from
    ``ffbench.init.INITIALIZERS`` (``init_params`` are passed to it, e.g. ``{"gain": 2.0}``);
    ``bias_init`` "zeros", "standard_uniform" (PyTorch's nn.Linear default) or a constant;
    ``residual``/``residual_scale`` skip connections; ``norm`` None or "batch"; ``dropout`` the drop
    probability of hidden activations in training; ``dtype`` float32 or float64; ``seed`` for the
    weights (and, independently, the dropout masks).
    """

    def __init__(self, sizes, activation="relu", init="he_normal", residual=False, residual_scale=1.0,
                 norm=None, dropout=0.0, dtype=np.float64, seed=0, bias_init="zeros", init_params=None,
                 **activation_params):
        sizes = [positive_int(s, "each layer size") for s in sizes]
        if len(sizes) < 2:
            raise ValueError(f"sizes needs at least [d_in, d_out], got {sizes}")
        if norm not in NORMS:
            raise ValueError(f"unknown norm {norm!r}; valid: None, 'batch'")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        if np.dtype(dtype) not in FLOATS:
            raise TypeError(f"dtype must be float32 or float64, got {np.dtype(dtype)}")
        self.sizes, self.dtype = sizes, np.dtype(dtype)
        self.act = get_activation(activation, **activation_params)
        self.init, self.norm, self.dropout = init, norm, float(dropout)
        self.residual, self.residual_scale = bool(residual), float(residual_scale)
        self.seed = seed

        rng = as_rng(seed)
        make = initializer(init)
        self.weights = [make(m, n, rng=rng, dtype=dtype, **(init_params or {})) for m, n in self.layer_shapes]
        self.biases = [_bias(bias_init, m, n, rng, self.dtype) for m, n in self.layer_shapes]
        self.norms = [BatchNorm1d(n, self.dtype) if norm == "batch" else None
                      for _, n in self.layer_shapes[:-1]]
        self._dropout_rng = np.random.default_rng([int(rng.integers(2**63)), 1])
        self.grad_weights = [np.zeros_like(w) for w in self.weights]
        self.grad_biases = [np.zeros_like(b) for b in self.biases]
        self.preactivations, self.activations, self.deltas = [], [], []
        self._inputs, self._masks = [], []
        self._workspace: dict[tuple, np.ndarray] = {}  # training work arrays (see _work)

    # --- structure ----------------------------------------------------------------------------

    @property
    def layer_shapes(self):
        return list(zip(self.sizes[:-1], self.sizes[1:]))

    @property
    def depth(self) -> int:
        """Number of linear layers."""
        return len(self.sizes) - 1

    def is_residual(self, layer: int) -> bool:
        m, n = self.layer_shapes[layer]
        return self.residual and m == n and layer < self.depth - 1

    def parameters(self):
        """Every trainable array, in a fixed order: W_0, b_0, [gamma_0, beta_0,] W_1, ..."""
        return self._interleave(self.weights, self.biases, "gamma", "beta")

    def gradients(self):
        """The gradients of ``parameters()``, in the same order and layout."""
        return self._interleave(self.grad_weights, self.grad_biases, "grad_gamma", "grad_beta")

    def _interleave(self, ws, bs, gamma, beta):
        out = []
        for l, (w, b) in enumerate(zip(ws, bs)):
            out += [w, b]
            if l < self.depth - 1 and self.norms[l] is not None:
                out += [getattr(self.norms[l], gamma), getattr(self.norms[l], beta)]
        return out

    @property
    def parameters_count(self) -> int:
        return int(sum(p.size for p in self.parameters()))

    def __repr__(self):
        lines = []
        for l, (m, n) in enumerate(self.layer_shapes):
            parts = [f"Linear({m}, {n})"]
            if l < self.depth - 1:
                if self.norm:
                    parts.append(f"BatchNorm1d({n})")
                parts.append(str(self.act))
                if self.dropout:
                    parts.append(f"Dropout({self.dropout:g})")
            text = " -> ".join(parts)
            if self.is_residual(l):
                text = f"x + {self.residual_scale:g} * [{text}]"
            lines.append(f"  ({l}): {text}")
        return ("MLP(\n" + "\n".join(lines) + f"\n)  # {self.parameters_count} parameters, {self.dtype}, "
                f"init={self.init}")

    # --- forward and backward -----------------------------------------------------------------

    def check_input(self, X) -> np.ndarray:
        """X as a (batch, d_in) array of the model's dtype, or a clear error."""
        X = as_float_array(X, "X", ndim=2, dtype=self.dtype)
        if X.shape[1] != self.sizes[0]:
            raise ValueError(f"X has shape {X.shape} but the model expects {self.sizes[0]} input features "
                             f"(sizes={self.sizes})")
        if not np.isfinite(X).all():
            raise ValueError("X contains NaN or inf")
        return X

    def forward(self, X, train: bool = False) -> np.ndarray:
        """Output (batch, d_out) for input X (batch, d_in); ``train`` enables dropout and batch statistics."""
        return self._forward(self.check_input(X), train)

    def _work(self, reuse: bool, name: str, l: int, shape) -> np.ndarray:
        """A work array of layer ``l``: with ``reuse`` (training) the same array at every step with this
        shape, so a training step allocates nothing large; otherwise a new one the caller may keep."""
        if not reuse:
            return np.empty(shape, self.dtype)
        key = (name, l, shape)
        if key not in self._workspace:
            self._workspace[key] = np.empty(shape, self.dtype)
        return self._workspace[key]

    def _forward(self, X, train, reuse=False):
        """``forward`` without validation; ``reuse`` writes into the training work arrays (the cached
        ``preactivations`` etc. are then overwritten by the next training step)."""
        self.preactivations, self.activations, self._inputs, self._masks = [], [], [], []
        h = X
        for l, (W, b) in enumerate(zip(self.weights, self.biases)):
            self._inputs.append(h)
            Z = matmul(h, W, out=self._work(reuse, "Z", l, (h.shape[0], W.shape[1])))
            A = self._work(reuse, "A", l, Z.shape)
            if l == self.depth - 1:
                _IDENTITY.fused_forward(Z, b, A)
                self.preactivations.append(Z)
                self.activations.append(A)
                return A
            bn = self.norms[l]
            if bn is not None:
                _IDENTITY.fused_forward(Z, b, A)
                Z = bn.forward(A, train)
                A = self.act.forward(Z)
            else:
                self.act.fused_forward(Z, b, A)
            mask = None
            if train and self.dropout > 0.0:
                keep = 1.0 - self.dropout
                mask = (self._dropout_rng.random(A.shape) < keep).astype(self.dtype) / self.dtype.type(keep)
                A *= mask
            if self.is_residual(l):  # h + s A
                H = np.multiply(A, self.dtype.type(self.residual_scale), out=self._work(reuse, "H", l, A.shape))
                h = np.add(h, H, out=H)
            else:
                h = A
            self.preactivations.append(Z)
            self.activations.append(h)
            self._masks.append(mask)

    def backward(self, grad_output) -> np.ndarray:
        """Back-propagate dL/d(output) (batch, d_out); fill the gradients; return dL/dX (batch, d_in)."""
        if not self.activations:
            raise RuntimeError("backward() called before forward()")
        G = as_float_array(grad_output, "grad_output", ndim=2, dtype=self.dtype)
        if G.shape != self.activations[-1].shape:
            raise ValueError(f"grad_output has shape {G.shape} but the last output has shape "
                             f"{self.activations[-1].shape}")
        return self._backward(G)

    def _backward(self, G, input_grad=True, reuse=False):
        """``backward`` without validation; ``input_grad=False`` skips dL/dX (a whole product that
        training throws away) and returns None; ``reuse`` as in ``_forward``."""
        self.deltas = [None] * self.depth
        self.deltas[-1] = G
        dh = self._param_grads(self.depth - 1, G, self.depth > 1 or input_grad, reuse)
        for l in range(self.depth - 2, -1, -1):
            dA = dh
            if self.is_residual(l):
                dA = np.multiply(dh, self.dtype.type(self.residual_scale), out=self._work(reuse, "dA", l, dh.shape))
            if self._masks[l] is not None:
                dA = dA * self._masks[l]
            delta = self._work(reuse, "delta", l, dA.shape)
            self.act.fused_gradient(self.preactivations[l], dA, delta)
            self.deltas[l] = delta
            dZ = self.norms[l].backward(delta) if self.norms[l] is not None else delta
            dh_in = self._param_grads(l, dZ, l > 0 or input_grad, reuse)
            if dh_in is None:
                return None
            dh = np.add(dh_in, dh, out=dh_in) if self.is_residual(l) else dh_in
        return dh

    def _param_grads(self, l, dZ, input_grad, reuse):
        """Fill the gradients of layer l from dL/dZ_l; return dL/d(input of layer l) (None if not wanted)."""
        column_sums(dZ, self.grad_biases[l])
        if not input_grad:
            matmul(self._inputs[l].T, dZ, out=self.grad_weights[l])
            return None
        W = self.weights[l]
        dh = self._work(reuse, "dh", l, (dZ.shape[0], W.shape[0]))
        return matmul_pair(self._inputs[l].T, dZ, self.grad_weights[l], dZ, W.T, dh)[1]

    def train_step(self, X, y, loss, optimizer) -> float:
        """One step: forward (training mode), loss, backward, ``optimizer.step()``; returns the loss.

        A small network takes the compiled path (``ffbench.fused``): the same bits in one call."""
        if fused.applies(self, optimizer, len(X)):
            X = self.check_input(X)
            loss = canonical_name(loss)
            y = check_targets(y, loss, X.shape[0], self.sizes[-1], self.dtype)
            return float(fused.run(self, X, y, loss, optimizer, fused.in_order(X.shape[0]), X.shape[0],
                                   stop_on_nonfinite=False)[0])
        value, grad = loss_function(loss)(self._forward(self.check_input(X), True, reuse=True), y)
        self._backward(grad, input_grad=False, reuse=True)
        optimizer.step()
        return value


def _bias(bias_init, fan_in, fan_out, rng, dtype):
    if bias_init == "zeros":
        return np.zeros(fan_out, dtype)
    if bias_init == "standard_uniform":
        bound = 1.0 / np.sqrt(fan_in)
        return rng.uniform(-bound, bound, fan_out).astype(dtype)
    if isinstance(bias_init, (int, float)) and not isinstance(bias_init, bool):
        return np.full(fan_out, bias_init, dtype)
    raise ValueError(f"bias_init must be 'zeros', 'standard_uniform' or a number, got {bias_init!r}")
