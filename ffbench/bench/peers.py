"""The peers: the same training step and activation kernels in ffbench, NumPy, PyTorch eager and JAX jit.

Runs inside a worker process (``ffbench.bench.worker``): imports NumPy at the top and each peer's
framework only inside that peer's functions, so the NumPy, PyTorch and JAX workers never import ffbench
or Numba.  Every peer starts from the same weights and data (``init_params``, ``batch_data``), so their
first-step losses agree to rounding: the check that all peers do the same work.

``STEPS[peer](cfg)`` returns a function doing one SGD step (forward, MSE loss, backward, update) of
``cfg`` (see ``grid``) and returning the loss.  ``ACTIVATIONS[peer](dtype, n)`` returns ``{name: (forward,
backward)}`` functions of ``n``-element arrays for every activation the peer has.  ``set_threads[peer]``
sets the peer's thread counts before any work and returns what it will use.
"""
from __future__ import annotations

import math
import os

import numpy as np

LR = 1e-3
SEED = 0


def init_params(sizes, dtype):
    """He-normal ``(fan_in, fan_out)`` weights and zero biases, the same for every peer."""
    rng = np.random.default_rng(SEED)
    Ws = [(rng.standard_normal((m, n)) * math.sqrt(2.0 / m)).astype(dtype) for m, n in zip(sizes[:-1], sizes[1:])]
    return Ws, [np.zeros(n, dtype) for n in sizes[1:]]


def batch_data(batch, sizes, dtype):
    rng = np.random.default_rng(SEED + 1)
    X = rng.standard_normal((batch, sizes[0])).astype(dtype)
    Y = (0.1 * rng.standard_normal((batch, sizes[-1]))).astype(dtype)
    return X, Y


def activation_inputs(dtype, n):
    """``z`` ~ N(0, 9) (both sides of every kink and saturation) and an incoming gradient ``g``."""
    rng = np.random.default_rng(SEED + 2)
    return (3.0 * rng.standard_normal(n)).astype(dtype), rng.standard_normal(n).astype(dtype)


# --- ffbench ------------------------------------------------------------------------------------

def _ffbench_step(cfg):
    import ffbench
    from ffbench.optim import SGD

    dtype = np.dtype(cfg["dtype"])
    model = ffbench.MLP(cfg["sizes"], activation=cfg["activation"], dtype=dtype, seed=SEED)
    for W, b, W0, b0 in zip(model.weights, model.biases, *init_params(cfg["sizes"], dtype)):
        W[...], b[...] = W0, b0
    opt = SGD(model, lr=LR)
    X, Y = batch_data(cfg["batch"], cfg["sizes"], dtype)
    return lambda: model.train_step(X, Y, "mse", opt)


def _ffbench_activations(dtype, n):
    import ffbench
    z, g = activation_inputs(dtype, n)
    table = {}
    for name in ffbench.ACTIVATIONS:
        a = ffbench.activation(name)
        table[name] = (lambda a=a: a.forward(z), lambda a=a: a.backward(z, g))
    return table


# --- NumPy (hand-written) -----------------------------------------------------------------------

def _numpy_table(dtype):
    """``{name: (f(z), f'(z, a))}`` in NumPy/SciPy, ``a = f(z)`` (the derivative may reuse the output)."""
    from scipy.special import erf
    one, half = dtype.type(1), dtype.type(0.5)
    c, d = dtype.type(np.sqrt(0.5)), dtype.type(1 / np.sqrt(2 * np.pi))

    def sigmoid(z):
        return one / (one + np.exp(-z))
    return {
        "identity": (lambda z: z.copy(), None),  # backward: a copy of g (see _numpy_activations)
        "sigmoid": (sigmoid, lambda z, a: a * (one - a)),
        "tanh": (np.tanh, lambda z, a: one - a * a),
        "relu": (lambda z: np.maximum(z, 0), lambda z, a: z > 0),
        "gelu": (lambda z: half * z * (one + erf(z * c)),
                 lambda z, a: half * (one + erf(z * c)) + z * d * np.exp(-half * z * z)),
        "silu": (lambda z: z * sigmoid(z), lambda z, a: (s := sigmoid(z)) * (one + z * (one - s))),
    }


def _numpy_step(cfg):
    dtype = np.dtype(cfg["dtype"])
    Ws, bs = init_params(cfg["sizes"], dtype)
    X, Y = batch_data(cfg["batch"], cfg["sizes"], dtype)
    f, df = _numpy_table(dtype)[cfg["activation"]]
    lr, L = dtype.type(LR), len(Ws)

    def step():
        hs, zs, h = [X], [], X
        for l in range(L):
            z = h @ Ws[l]
            z += bs[l]
            h = f(z) if l < L - 1 else z
            zs.append(z)
            hs.append(h)
        diff = h - Y
        loss = float(np.mean(diff * diff, dtype=np.float64))
        g = diff * dtype.type(2.0 / diff.size)
        for l in range(L - 1, -1, -1):
            if l < L - 1:
                g = g * df(zs[l], hs[l + 1])
            gW = hs[l].T @ g
            gb = g.sum(0)
            if l > 0:
                g = g @ Ws[l].T
            Ws[l] -= lr * gW
            bs[l] -= lr * gb
        return loss
    return step


def _numpy_activations(dtype, n):
    z, g = activation_inputs(dtype, n)
    table = {}
    for name, (f, df) in _numpy_table(dtype).items():
        backward = (lambda: g.copy()) if df is None else (lambda f=f, df=df: g * df(z, f(z)))
        table[name] = (lambda f=f: f(z), backward)
    return table


# --- PyTorch eager ------------------------------------------------------------------------------

def _torch_step(cfg):
    import torch
    import torch.nn.functional as F

    dtype = np.dtype(cfg["dtype"])
    Ws, bs = init_params(cfg["sizes"], dtype)
    X, Y = (torch.from_numpy(a) for a in batch_data(cfg["batch"], cfg["sizes"], dtype))
    act = {"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh, "gelu": torch.nn.GELU}[cfg["activation"]]
    layers = []
    for l, (W, b) in enumerate(zip(Ws, bs)):
        lin = torch.nn.Linear(*W.shape, dtype=getattr(torch, cfg["dtype"]))
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(W.T.copy()))
            lin.bias.copy_(torch.from_numpy(b))
        layers += [lin, act()] if l < len(Ws) - 1 else [lin]
    model = torch.nn.Sequential(*layers)
    opt = torch.optim.SGD(model.parameters(), lr=LR)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = F.mse_loss(model(X), Y)
        loss.backward()
        opt.step()
        return loss.detach()
    return step


def _torch_activations(dtype, n):
    import torch
    import torch.nn.functional as F
    z, g = (torch.from_numpy(a) for a in activation_inputs(dtype, n))
    aten = torch.ops.aten
    return {
        "identity": (lambda: z.clone(), lambda: g.clone()),
        "sigmoid": (lambda: torch.sigmoid(z), lambda: aten.sigmoid_backward(g, torch.sigmoid(z))),
        "tanh": (lambda: torch.tanh(z), lambda: aten.tanh_backward(g, torch.tanh(z))),
        "relu": (lambda: F.relu(z), lambda: aten.threshold_backward(g, z, 0)),
        "leaky_relu": (lambda: F.leaky_relu(z, 0.01), lambda: aten.leaky_relu_backward(g, z, 0.01, False)),
        "elu": (lambda: F.elu(z), lambda: aten.elu_backward(g, 1.0, 1.0, 1.0, False, z)),
        "gelu": (lambda: F.gelu(z), lambda: aten.gelu_backward(g, z)),
        "gelu_tanh": (lambda: F.gelu(z, approximate="tanh"), lambda: aten.gelu_backward(g, z, approximate="tanh")),
        "silu": (lambda: F.silu(z), lambda: aten.silu_backward(g, z)),
        "softplus": (lambda: F.softplus(z), lambda: aten.softplus_backward(g, z, 1.0, 20.0)),
    }


# --- JAX jit ------------------------------------------------------------------------------------

def _jax(dtype):
    """``(jax, jax.numpy)`` with 64-bit types enabled when ``dtype`` is float64 (off by default in JAX)."""
    import jax
    import jax.numpy as jnp
    if np.dtype(dtype) == np.float64:
        jax.config.update("jax_enable_x64", True)
    return jax, jnp


def _jax_functions(jax, jnp):
    return {"sigmoid": jax.nn.sigmoid, "tanh": jnp.tanh, "relu": jax.nn.relu,
            "leaky_relu": lambda x: jax.nn.leaky_relu(x, 0.01), "elu": jax.nn.elu,
            "gelu": lambda x: jax.nn.gelu(x, approximate=False), "gelu_tanh": lambda x: jax.nn.gelu(x, approximate=True),
            "silu": jax.nn.silu, "softplus": jax.nn.softplus}


def _jax_step(cfg):
    jax, jnp = _jax(cfg["dtype"])
    dtype = np.dtype(cfg["dtype"])
    X, Y = (jnp.asarray(a) for a in batch_data(cfg["batch"], cfg["sizes"], dtype))
    act = _jax_functions(jax, jnp)[cfg["activation"]]

    def loss_fn(params, X, Y):
        h = X
        for l, (W, b) in enumerate(params):
            h = h @ W + b
            if l < len(params) - 1:
                h = act(h)
        return jnp.mean((h - Y) ** 2)

    @jax.jit
    def update(params, X, Y):
        loss, grads = jax.value_and_grad(loss_fn)(params, X, Y)
        return [(W - LR * gW, b - LR * gb) for (W, b), (gW, gb) in zip(params, grads)], loss

    state = {"params": [(jnp.asarray(W), jnp.asarray(b)) for W, b in zip(*init_params(cfg["sizes"], dtype))]}

    def step():
        state["params"], loss = update(state["params"], X, Y)
        return loss.block_until_ready()
    return step


def _jax_activations(dtype, n):
    jax, jnp = _jax(dtype)
    z, g = (jnp.asarray(a) for a in activation_inputs(dtype, n))
    table = {}
    for name, f in _jax_functions(jax, jnp).items():  # no identity: jit returns its input buffer, no copy
        fwd = jax.jit(f)
        bwd = jax.jit(lambda z, g, f=f: jax.vjp(f, z)[1](g)[0])
        table[name] = (lambda fwd=fwd: fwd(z).block_until_ready(), lambda bwd=bwd: bwd(z, g).block_until_ready())
    return table


# --- threads ------------------------------------------------------------------------------------

def _ffbench_threads(threads):
    from ffbench.gemm import blas_threads
    from ffbench.threads import set_threads, threading_layer
    set_threads(threads)
    return {"numba": threads, "blas": blas_threads(), "numba_layer": threading_layer()}


def _numpy_threads(threads):
    from threadpoolctl import threadpool_info, threadpool_limits
    threadpool_limits(threads, user_api="blas")
    return {"blas": max([p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"] or [0])}


def _torch_threads(threads):
    import torch
    torch.set_num_threads(threads)
    return {"intra_op": torch.get_num_threads(), "inter_op": torch.get_num_interop_threads()}


def _jax_threads(threads):
    """XLA has no thread-count setting: it sizes its pool from the CPUs the process may run on, so the
    worker is pinned to ``threads`` CPUs (and XLA's Eigen threading is switched off for one thread).
    Must run before ``import jax``.  ``JAX_PLATFORMS=cpu`` unless set: a CUDA-enabled jax would otherwise
    time the GPU."""
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    if cpus and threads < len(cpus):
        os.sched_setaffinity(0, cpus[:threads])
    if threads == 1:
        os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " --xla_cpu_multi_thread_eigen=false"
                                   " intra_op_parallelism_threads=1").strip()
    import jax
    return {"xla_cpus": len(os.sched_getaffinity(0)) if cpus else None, "devices": len(jax.devices("cpu"))}


STEPS = {"ffbench": _ffbench_step, "numpy": _numpy_step, "torch": _torch_step, "jax": _jax_step}
ACTIVATIONS = {"ffbench": _ffbench_activations, "numpy": _numpy_activations, "torch": _torch_activations,
               "jax": _jax_activations}
SET_THREADS = {"ffbench": _ffbench_threads, "numpy": _numpy_threads, "torch": _torch_threads, "jax": _jax_threads}
MODULES = {"ffbench": "numba", "numpy": "numpy", "torch": "torch", "jax": "jax"}  # what each peer needs installed
PEERS = tuple(STEPS)
