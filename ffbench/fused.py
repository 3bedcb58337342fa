r"""The compiled path for small networks: many training steps in one Numba call, the layer loop inside.

The studies train thousands of tiny networks (XOR with 2-32 hidden units, born-dead sweeps), where
the layer-by-layer path spends nearly all its time in Python: a dozen kernel dispatches, array
allocations and checks per layer and step for a few thousand floating-point operations.  Here one call
runs whole epochs: gather the mini-batch, forward, loss, backward, optimiser update, for every step,
with per-layer buffers allocated once per call.

Same bits as the layer-by-layer path: every step calls the very kernels that path calls (the fused
bias + activation kernels, ``column_sums``, the loss's row kernel and ordered sum, the optimiser
kernel, ``ffbench.gemm``'s tiles of single-threaded BLAS calls), in their serial form, with arguments
of the same types, in the same order; the optimiser's per-step scalars come from the optimiser's own
``_prepare``.  ``tests/test_train.py`` checks the weights bit for bit against the general path.

When it runs (``applies``): a plain MLP (no BatchNorm, no dropout), an ``SGD``/``Adam``/``AdamW``
optimiser, no gradient clipping and no per-step gradient norms, and small enough that the general path
would run every kernel serially anyway: each layer's batch x width below ``_kernels.PARALLEL_MIN``, each
parameter array below it too, and every product a single GEMM tile (or one thread).  Then the compiled
path does exactly the serial work of the general path, minus the interpreter (Adam's update alone goes
parallel from 2**13 elements in the general path; its loops give the same bits either way).  ``ENABLED = False``
turns it off (the tests compare both paths this way).

After training through this path the model's gradients hold the last step's, as on the general path,
but its forward caches (``preactivations``, ``activations``, ``deltas``) are not filled: call
``forward``/``backward`` to inspect a step.
"""
from __future__ import annotations

import functools
import math

import numpy as np
from numba import njit

from ._kernels import PARALLEL_MIN, specialise, team_size
from .gemm import job_buffer, matmul_serial, tiles
from .activations import activation
from .linear import column_sums
from .losses import _bce_rows, _mse_rows, _ordered_sum, _softmax_ce_rows
from .optim import SGD, Adam, _adam_kernel, _sgd_kernel

ENABLED = True

_LOSS_ROWS = {"mse": _mse_rows, "bce_with_logits": _bce_rows, "softmax_cross_entropy": _softmax_ce_rows}

#: Steps per compiled call at most (bounds the memory of the precomputed shuffles and scalars).
_MAX_CALL_ELEMENTS = 1 << 22


_SGD_SERIAL, _ADAM_SERIAL = _sgd_kernel.serial, _adam_kernel.serial


@njit(cache=True)
def _sgd_apply(p, g, s1, s2, f, i):
    """``SGD._update`` from per-step scalars: floats ``f``, flags ``i`` (``SGD._scalars`` split by type)."""
    _SGD_SERIAL(p, g, s1, f[0], f[1], f[2], f[3], i[0] != 0, i[1] != 0, i[2] != 0, i[3] != 0)


@njit(cache=True)
def _adam_apply(p, g, s1, s2, f, i):
    """``Adam._update`` from per-step scalars (``Adam._scalars`` split by type)."""
    _ADAM_SERIAL(p, g, s1, s2, i[0], f[0], f[1], f[2], f[3], i[1] != 0, f[4], f[5], f[6], f[7], f[8])


def _steps_template(X, Y, order, batch, Ws, bs, gWs, gbs, s1, s2, fs, ints, p, residual, scale,
                    count_rows, stop_on_nonfinite, losses):
    """Train on ``order`` (epochs, n): mini-batches of ``batch`` rows of ``X`` (n, d_in) and ``Y``
    (n, d_out) or labels (n,); ``Ws``/``bs``/``gWs``/``gbs`` tuples of the layers' arrays, ``s1``/``s2``
    the optimiser state per parameter (W_0, b_0, W_1, ...), ``fs``/``ints`` (steps, *) its scalars.
    Writes each step's loss to ``losses`` and returns the number of steps run: with
    ``stop_on_nonfinite``, fewer than planned if a loss is not finite (that step stops before its
    backward pass, as in ``ffbench.train``)."""
    L = len(Ws)
    n = order.shape[1]
    B = min(batch, n)
    dt = X.dtype
    xb = np.empty((B, X.shape[1]), dt)
    yb = np.empty_like(Y[:B])
    Zs = [np.empty((B, Ws[l].shape[1]), dt) for l in range(L)]
    As = [np.empty((B, Ws[l].shape[1]), dt) for l in range(L)]
    Hs = [np.empty((B, Ws[l].shape[1]), dt) for l in range(L)]   # residual outputs h + s A
    Ds = [np.empty((B, Ws[l].shape[1]), dt) for l in range(L)]   # deltas (the loss gradient for the last)
    DH = [np.empty((B, Ws[l].shape[0]), dt) for l in range(L)]   # gradients w.r.t. each layer's input
    DA = [np.empty((B, Ws[l].shape[1]), dt) for l in range(L)]   # s dh on residual layers
    partial = np.empty(B, np.float64)
    jobs = job_buffer()  # GEMM scratch, reused by every product of every step
    step = 0
    for e in range(order.shape[0]):
        for lo in range(0, n, batch):
            hi = min(lo + batch, n)
            nb = hi - lo
            for r in range(nb):
                xb[r] = X[order[e, lo + r]]
                yb[r] = Y[order[e, lo + r]]
            # forward: Z_l = h_l W_l, Z_l += b_l, A_l = f(Z_l), h_{l+1} = A_l or h_l + s A_l
            h = xb[:nb]
            for l in range(L):
                Z, A = Zs[l][:nb], As[l][:nb]
                matmul_serial(h, Ws[l], Z, jobs)
                if l == L - 1:
                    _FWD_LAST(Z, bs[l], A, ())  # noqa: F821 (bound by specialise)
                    h = A
                else:
                    _FWD(Z, bs[l], A, p)  # noqa: F821
                    if residual[l]:
                        H = Hs[l][:nb]
                        for i in range(nb):
                            for j in range(H.shape[1]):
                                H[i, j] = h[i, j] + scale * A[i, j]
                        h = H
                    else:
                        h = A
            grad = Ds[L - 1][:nb]
            _LOSS(h, yb[:nb], grad, partial[:nb])  # noqa: F821
            value = _ordered_sum(partial[:nb]) / (nb if count_rows else h.size)
            losses[step] = value
            step += 1
            if stop_on_nonfinite and not math.isfinite(value):
                return step
            # backward: dW_l = h_l^T dZ_l, db_l = column sums, dh_l = dZ_l W_l^T (not for layer 0)
            dZ = grad
            for l in range(L - 1, -1, -1):
                h_in = xb[:nb] if l == 0 else (Hs[l - 1][:nb] if residual[l - 1] else As[l - 1][:nb])
                matmul_serial(h_in.T, dZ, gWs[l], jobs)
                _COLUMN_SUMS(dZ, gbs[l])  # noqa: F821
                if l == 0:
                    break
                dh = DH[l][:nb]
                matmul_serial(dZ, Ws[l].T, dh, jobs)
                if l < L - 1 and residual[l]:
                    dh_out = DH[l + 1][:nb]
                    for i in range(nb):
                        for j in range(dh.shape[1]):
                            dh[i, j] = dh[i, j] + dh_out[i, j]
                k = l - 1
                dA = dh
                if residual[k]:
                    dA = DA[k][:nb]
                    for i in range(nb):
                        for j in range(dA.shape[1]):
                            dA[i, j] = scale * dh[i, j]
                delta = Ds[k][:nb]
                _DF(Zs[k][:nb], dA, delta, p)  # noqa: F821
                dZ = delta
            for l in range(L):
                t = step - 1
                _OPT(Ws[l].reshape(-1), gWs[l].reshape(-1), s1[2 * l], s2[2 * l], fs[t], ints[t])  # noqa: F821
                _OPT(bs[l], gbs[l], s1[2 * l + 1], s2[2 * l + 1], fs[t], ints[t])  # noqa: F821
    return step


_COMPILED: dict[tuple, object] = {}


def _kernel(act, loss: str, opt: str):
    key = (act.name, loss, opt)
    if key not in _COMPILED:
        _COMPILED[key] = specialise(
            _steps_template, f"steps_{act.name}_{loss}_{opt}", parallel=False,
            _FWD=act.kernels.bias_forward.serial, _DF=act.kernels.gradient.serial,
            _FWD_LAST=activation("identity").kernels.bias_forward.serial, _LOSS=_LOSS_ROWS[loss].serial,
            _COLUMN_SUMS=column_sums,
            _OPT=_adam_apply if opt == "adam" else _sgd_apply)
    return _COMPILED[key]


def applies(model, optimizer, batch_size: int, clip_norm=None, record_grad_norms=False) -> bool:
    """Whether ``ffbench.train`` runs ``model`` through the compiled path (see the module docstring)."""
    if not (ENABLED and model.norm is None and model.dropout == 0.0 and clip_norm is None
            and not record_grad_norms and isinstance(optimizer, (SGD, Adam))
            and optimizer.model is model):
        return False
    if any(not (w.flags.c_contiguous and w.flags.writeable) for w in model.weights):
        return False
    return _small(tuple(model.sizes), batch_size, team_size() == 1)


@functools.lru_cache(maxsize=1024)
def _small(sizes, batch_size, one_thread):
    """Whether the general path would run every kernel of this shape serially, each product whole."""
    layers = list(zip(sizes[:-1], sizes[1:]))
    if max(batch_size * s for s in sizes[1:]) >= PARALLEL_MIN or max(m * n for m, n in layers) >= PARALLEL_MIN:
        return False
    shapes = [(batch_size, n, m) for m, n in layers]          # forward
    shapes += [(m, n, batch_size) for m, n in layers]         # dW
    shapes += [(batch_size, m, n) for m, n in layers[1:]]     # dh
    return one_thread or all(tiles(*s)[1].size == 2 for s in shapes)


_SCALAR_KINDS: dict[type, tuple[list[int], list[int]]] = {}  # optimiser class -> (float, flag) positions


def _scalar_table(optimizer, steps: int):
    """The optimiser's ``_scalars`` for each of the next ``steps`` steps, split by type into a float
    table (steps, *) of the parameters' dtype and an integer table of its flags and codes."""
    start = optimizer.steps
    rows = []
    for t in range(steps):
        optimizer.steps = start + t + 1
        optimizer._prepare()
        rows.append(optimizer._scalars)
    optimizer.steps = start
    kind = type(optimizer)
    if kind not in _SCALAR_KINDS:
        floats = [k for k, v in enumerate(rows[0]) if isinstance(v, np.floating)]
        _SCALAR_KINDS[kind] = floats, [k for k in range(len(rows[0])) if k not in floats]
    floats, flags = _SCALAR_KINDS[kind]
    return (np.array([[row[k] for k in floats] for row in rows], optimizer.dtype),
            np.array([[row[k] for k in flags] for row in rows], np.int64))


_IN_ORDER: dict[int, np.ndarray] = {}


def in_order(n: int) -> np.ndarray:
    """``np.arange(n)[None]``: one epoch of ``n`` rows in order (what ``MLP.train_step`` trains on),
    made once per ``n`` (never written: the compiled path only reads its orders)."""
    if n not in _IN_ORDER:
        _IN_ORDER[n] = np.arange(n)[None]
    return _IN_ORDER[n]


def _static_arguments(model, optimizer):
    """The arguments that stay the same from call to call (cached on the optimiser, whose state arrays
    are its own and never replaced): state views and the residual flags."""
    cache = getattr(optimizer, "_fused_arguments", None)
    if cache is None or cache[0] is not model:
        s1, s2 = optimizer._state_views()
        residual = np.array([model.is_residual(l) for l in range(model.depth)])
        cache = (model, tuple(s1), tuple(s2), residual)
        optimizer._fused_arguments = cache
    return cache[1:]


def run(model, X, Y, loss: str, optimizer, orders, batch_size: int, stop_on_nonfinite=True) -> np.ndarray:
    """Train ``model`` on the mini-batches of ``orders`` (epochs, n) in one compiled call; returns the
    losses of the steps run (a non-finite last one means training diverged there, and stopped before
    that step's update if ``stop_on_nonfinite``, as ``ffbench.train`` does; ``MLP.train_step`` updates
    anyway).  ``loss`` a canonical name; ``X``, ``Y`` as ``ffbench.train`` checked them."""
    n = orders.shape[1]
    steps = orders.shape[0] * (-(-n // batch_size))
    opt = "adam" if isinstance(optimizer, Adam) else "sgd"
    start = optimizer.steps
    fs, ints = _scalar_table(optimizer, steps)
    s1, s2, residual = _static_arguments(model, optimizer)
    losses = np.empty(steps, np.float64)
    done = _kernel(model.act, loss, opt)(
        X, Y, orders, batch_size, tuple(model.weights), tuple(model.biases), tuple(model.grad_weights),
        tuple(model.grad_biases), s1, s2, fs, ints, model.act.values, residual,
        model.dtype.type(model.residual_scale), loss == "softmax_cross_entropy", stop_on_nonfinite, losses)
    diverged = stop_on_nonfinite and done and not math.isfinite(losses[done - 1])
    optimizer.steps = start + done - int(diverged)
    model.preactivations, model.activations, model.deltas = [], [], []
    return losses[:done]


def epochs_per_call(n: int, epochs: int) -> int:
    """How many epochs one compiled call may take (bounded by ``_MAX_CALL_ELEMENTS`` shuffled indices)."""
    return max(1, min(epochs, _MAX_CALL_ELEMENTS // max(n, 1)))
