r"""Side-by-side benchmark of ffbench against its peers: ``python -m ffbench.bench [--quick]``.

The same work is timed in ffbench, in a hand-written NumPy implementation, in PyTorch eager and in JAX
``jit`` (each peer only where it is installed; a missing one is reported, not an error):

- **training step**: one SGD step (forward, MSE loss, backward, update) of a plain MLP with ``depth``
  linear layers of ``width`` x ``width`` and the activation after every hidden layer, on a batch of
  ``batch`` random rows; the grid is batch {64, 512} x width {64, 256, 1024} x depth {2, 8, 32} x
  {relu, tanh, gelu} x {float32, float64} (``--quick``: a small subset through the same code).
  Every peer starts from the same weights, and the first-step losses are compared as a check that all
  peers do the same work.  FLOPs per step are counted as :math:`6\,B\,\sum_l n_l n_{l+1}` (forward,
  input gradient and weight gradient GEMMs) and reported as GFLOP/s against a GEMM ceiling the bench
  measures itself (NumPy's sgemm/dgemm at n = 2048, on 1 thread and on all threads).
- **activations**: each activation's forward and backward on 4M elements (float32 and float64), in GB/s
  (forward moves 2 arrays, backward 3) against a copy bandwidth measured at the same size.

Methodology.  Each peer runs in its **own subprocess** (loading Numba's OpenMP layer before PyTorch makes
PyTorch's small ops ~60x slower; isolation also keeps one peer's threads and allocator state away from
the others), started from this file loaded by path so that the NumPy, PyTorch and JAX workers never
import ffbench or Numba.  Each measurement: a first call timed on its own (``first_s``: compile or
JIT-cache load, allocation; reported, never mixed into the step time), one warm-up call, then samples of
enough calls to last ~20 ms each, repeated until a time budget is spent (at least 3 samples, 2 for a
call over 0.5 s); the reported time is the **median** sample (``--statistic min``: the fastest, steadier
on a busy machine).  Peers take turns by blocks of the grid (one dtype x activation each, a fresh process
per block and peer), so a change in the machine's load during the run hits every peer alike; the GEMM and
copy ceilings are measured before and after and the higher values used.  Thread counts are set explicitly and
recorded: ``--threads`` (default: every usable core) for Numba, NumPy's BLAS, PyTorch and XLA; ffbench's
BLAS runs on ``FFBENCH_BLAS_THREADS`` threads (default 1, see ``ffbench.threads``).

Output: a text table on stdout, ``OUT/bench.json`` (every number, thread counts, provenance) and
``OUT/bench.png``/``.svg`` (``--out``, default ``figures/``).  Ratios are ``time(peer) / time(ffbench)``:
above 1 means ffbench is faster.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

PEERS = ("ffbench", "numpy", "torch", "jax")
STEP_GRID = {"batch": (64, 512), "width": (64, 256, 1024), "depth": (2, 8, 32),
             "activation": ("relu", "tanh", "gelu"), "dtype": ("float32", "float64")}
QUICK_GRID = {"batch": (64, 512), "width": (64, 256), "depth": (2, 8),
              "activation": ("relu", "tanh"), "dtype": ("float32",)}
ACT_ELEMENTS = 4 * 1024 * 1024
ACT_DTYPES = ("float32", "float64")
QUICK_ACT_DTYPES = ("float32",)
GEMM_N = 2048
LR = 1e-3
SEED = 0
# Timing: each sample lasts >= SAMPLE_S; samples repeat until BUDGET_S is spent (MIN..MAX samples).
SAMPLE_S, BUDGET_S, MIN_SAMPLES, MAX_SAMPLES = 0.02, 0.3, 3, 15
BIG_S, BIG_MIN_SAMPLES = 0.5, 2  # a call this long gets fewer samples (keeps the full grid's wall time down)

# Worker start-up: load this file by path (not as ffbench.bench), so peers never import ffbench/numba.
_BOOT = ("import importlib.util, sys; s = importlib.util.spec_from_file_location('_ffbench_bench', sys.argv[1]); "
         "m = importlib.util.module_from_spec(s); sys.modules[s.name] = m; s.loader.exec_module(m); "
         "sys.exit(m.worker_main(sys.argv[2:]))")


# --- timing ------------------------------------------------------------------------------------

def measure(fn, budget_s=BUDGET_S) -> dict:
    """Time ``fn()``: first call alone, one warm-up, then the median of samples (seconds per call).

    The first call's return value comes back as ``first_value`` (not JSON: pop it before saving)."""
    t0 = time.perf_counter()
    value = fn()
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    fn()  # warm-up, also sizes the samples
    one = time.perf_counter() - t0
    calls = max(1, int(SAMPLE_S / max(one, 1e-9)))
    least = BIG_MIN_SAMPLES if one >= BIG_S else MIN_SAMPLES
    samples, spent = [], 0.0
    while len(samples) < least or (spent < budget_s and len(samples) < MAX_SAMPLES):
        t0 = time.perf_counter()
        for _ in range(calls):
            fn()
        dt = time.perf_counter() - t0
        spent += dt
        samples.append(dt / calls)
    return {"first_value": value, "first_s": first, "median_s": statistics.median(samples), "min_s": min(samples),
            "samples": len(samples), "calls_per_sample": calls}


def step_flops(batch, width, depth) -> float:
    """FLOPs of one training step's GEMMs: 2 B n m each for forward, input gradient, weight gradient."""
    return 6.0 * batch * width * width * depth


def init_params(width, depth, dtype):
    """The shared initial weights: He-normal ``(fan_in, fan_out)`` weights, zero biases, and the data."""
    rng = np.random.default_rng(SEED)
    Ws = [(rng.standard_normal((width, width)) * math.sqrt(2.0 / width)).astype(dtype) for _ in range(depth)]
    bs = [np.zeros(width, dtype) for _ in range(depth)]
    return Ws, bs


def batch_data(batch, width, dtype):
    rng = np.random.default_rng(SEED + 1)
    X = rng.standard_normal((batch, width)).astype(dtype)
    Y = (0.1 * rng.standard_normal((batch, width))).astype(dtype)
    return X, Y


# --- peers: each returns a step function and a function for the activation benchmark ------------

def _ffbench_step(cfg, threads):
    import ffbench
    from ffbench.optim import SGD

    dtype = np.dtype(cfg["dtype"])
    model = ffbench.MLP([cfg["width"]] * (cfg["depth"] + 1), activation=cfg["activation"], dtype=dtype, seed=SEED)
    Ws, bs = init_params(cfg["width"], cfg["depth"], dtype)
    for W, b, w0, b0 in zip(model.weights, model.biases, Ws, bs):
        W[...], b[...] = w0, b0
    opt = SGD(model, lr=LR)
    X, Y = batch_data(cfg["batch"], cfg["width"], dtype)
    return lambda: model.train_step(X, Y, "mse", opt)


def _numpy_activation(name):
    """(f, df-from-(z, a)) of the hand-written NumPy peer; df may use the stored output ``a``."""
    if name == "relu":
        return (lambda z: np.maximum(z, 0), lambda z, a: z > 0)
    if name == "tanh":
        return (np.tanh, lambda z, a: 1 - a * a)
    if name == "gelu":
        from scipy.special import erf
        c, d = np.sqrt(0.5), 1 / np.sqrt(2 * np.pi)
        return (lambda z: 0.5 * z * (1 + erf(z * c)),
                lambda z, a: 0.5 * (1 + erf(z * c)) + z * d * np.exp(-0.5 * z * z))
    raise KeyError(name)


def _numpy_step(cfg, threads):
    dtype = np.dtype(cfg["dtype"])
    Ws, bs = init_params(cfg["width"], cfg["depth"], dtype)
    X, Y = batch_data(cfg["batch"], cfg["width"], dtype)
    f, df = _numpy_activation(cfg["activation"])
    lr = dtype.type(LR)
    L = len(Ws)

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


def _torch_step(cfg, threads):
    import torch
    import torch.nn.functional as F

    dtype = {"float32": torch.float32, "float64": torch.float64}[cfg["dtype"]]
    Ws, bs = init_params(cfg["width"], cfg["depth"], np.dtype(cfg["dtype"]))
    X, Y = (torch.from_numpy(a) for a in batch_data(cfg["batch"], cfg["width"], np.dtype(cfg["dtype"])))
    layers = []
    for l, (W, b) in enumerate(zip(Ws, bs)):
        lin = torch.nn.Linear(cfg["width"], cfg["width"], dtype=dtype)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(W.T.copy()))
            lin.bias.copy_(torch.from_numpy(b))
        layers.append(lin)
        if l < len(Ws) - 1:
            layers.append({"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh, "gelu": torch.nn.GELU}[cfg["activation"]]())
    model = torch.nn.Sequential(*layers)
    opt = torch.optim.SGD(model.parameters(), lr=LR)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = F.mse_loss(model(X), Y)
        loss.backward()
        opt.step()
        return loss.detach()
    return step


def _jax_step(cfg, threads):
    import jax
    import jax.numpy as jnp

    if cfg["dtype"] == "float64":
        jax.config.update("jax_enable_x64", True)
    dtype = np.dtype(cfg["dtype"])
    Ws, bs = init_params(cfg["width"], cfg["depth"], dtype)
    X, Y = (jnp.asarray(a) for a in batch_data(cfg["batch"], cfg["width"], dtype))
    act = {"relu": jax.nn.relu, "tanh": jnp.tanh, "gelu": lambda z: jax.nn.gelu(z, approximate=False)}[cfg["activation"]]

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

    state = {"params": [(jnp.asarray(W), jnp.asarray(b)) for W, b in zip(Ws, bs)]}

    def step():
        state["params"], loss = update(state["params"], X, Y)
        loss.block_until_ready()
        return loss
    return step


_STEPS = {"ffbench": _ffbench_step, "numpy": _numpy_step, "torch": _torch_step, "jax": _jax_step}


def _act_inputs(dtype, n):
    rng = np.random.default_rng(SEED + 2)
    z = (3.0 * rng.standard_normal(n)).astype(dtype)
    g = rng.standard_normal(n).astype(dtype)
    return z, g


def _ffbench_acts(dtype, n):
    import ffbench
    z, g = _act_inputs(dtype, n)
    out = {}
    for name in ffbench.ACTIVATIONS:
        a = ffbench.activation(name)
        out[name] = (lambda a=a: a.forward(z), lambda a=a: a.backward(z, g))
    return out


def _numpy_acts(dtype, n):
    from scipy.special import erf
    z, g = _act_inputs(dtype, n)
    one, half, c, d = dtype.type(1), dtype.type(0.5), dtype.type(np.sqrt(0.5)), dtype.type(1 / np.sqrt(2 * np.pi))

    def sigmoid(x):
        return one / (one + np.exp(-x))
    return {
        "identity": (lambda: z.copy(), lambda: g.copy()),
        "sigmoid": (lambda: sigmoid(z), lambda: g * (s := sigmoid(z)) * (one - s)),
        "tanh": (lambda: np.tanh(z), lambda: g * (one - np.tanh(z) ** 2)),
        "relu": (lambda: np.maximum(z, 0), lambda: np.where(z > 0, g, 0)),
        "gelu": (lambda: half * z * (one + erf(z * c)),
                 lambda: g * (half * (one + erf(z * c)) + z * d * np.exp(-half * z * z))),
        "silu": (lambda: z * sigmoid(z), lambda: g * (s := sigmoid(z)) * (one + z * (one - s))),
    }


def _torch_acts(dtype, n):
    import torch
    import torch.nn.functional as F
    z, g = (torch.from_numpy(a) for a in _act_inputs(dtype, n))
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


def _jax_acts(dtype, n):
    import jax
    import jax.numpy as jnp
    if dtype == np.float64:
        jax.config.update("jax_enable_x64", True)
    z, g = (jnp.asarray(a) for a in _act_inputs(dtype, n))
    fns = {"sigmoid": jax.nn.sigmoid, "tanh": jnp.tanh, "relu": jax.nn.relu,
           "gelu": lambda x: jax.nn.gelu(x, approximate=False), "silu": jax.nn.silu, "softplus": jax.nn.softplus}
    out = {}
    for name, f in fns.items():
        fwd = jax.jit(f)
        bwd = jax.jit(lambda z, g, f=f: jax.vjp(f, z)[1](g)[0])
        out[name] = (lambda fwd=fwd: fwd(z).block_until_ready(), lambda bwd=bwd: bwd(z, g).block_until_ready())
    return out


_ACTS = {"ffbench": _ffbench_acts, "numpy": _numpy_acts, "torch": _torch_acts, "jax": _jax_acts}


# --- worker (one peer, in its own process) ------------------------------------------------------

def _set_threads(peer, threads) -> dict:
    """Set the peer's thread counts; return what it will use."""
    if peer == "ffbench":
        from ffbench.threads import blas_threads, set_threads, threading_layer
        set_threads(threads)
        return {"numba": threads, "blas": blas_threads(), "numba_layer": threading_layer()}
    from threadpoolctl import threadpool_info, threadpool_limits
    if peer == "numpy":
        threadpool_limits(threads, user_api="blas")
        return {"blas": max([p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"] or [0])}
    if peer == "torch":
        import torch
        torch.set_num_threads(threads)
        return {"intra_op": torch.get_num_threads(), "inter_op": torch.get_num_interop_threads()}
    if threads == 1:  # XLA reads its flags when it starts, so this must precede ``import jax``
        os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " --xla_cpu_multi_thread_eigen=false"
                                   " intra_op_parallelism_threads=1").strip()
        return {"xla": 1}
    return {"xla": "default (every core)"}


def _peer_available(peer) -> str | None:
    """None if the peer can run here, else why not."""
    import importlib.util
    module = {"ffbench": "numba", "numpy": "numpy", "torch": "torch", "jax": "jax"}[peer]
    if importlib.util.find_spec(module) is None:
        return f"{module} is not installed"
    return None


def _ceilings(threads, gemm_n, act_elements) -> dict:
    """GEMM GFLOP/s (1 thread and ``threads``) and copy bandwidth (GB/s) measured with NumPy."""
    from threadpoolctl import threadpool_limits
    from concurrent.futures import ThreadPoolExecutor
    out = {"gemm_n": gemm_n, "gemm": {}, "copy_gbps": {}, "gemm_best": {}, "copy_gbps_best": {},
           "act_elements": act_elements, "copy_threads": threads}
    pool = ThreadPoolExecutor(max(1, threads - 1))
    rng = np.random.default_rng(SEED)
    for dt in ("float32", "float64"):
        a = rng.standard_normal((gemm_n, gemm_n)).astype(dt)
        b = rng.standard_normal((gemm_n, gemm_n)).astype(dt)
        c = np.empty_like(a)
        for th in sorted({1, threads}):
            with threadpool_limits(th, user_api="blas"):
                t = measure(lambda: np.matmul(a, b, out=c), budget_s=0.5)
                t.pop("first_value")
            out["gemm"][f"{dt}/{th}"] = 2.0 * gemm_n ** 3 / t["median_s"] / 1e9
            out["gemm_best"][f"{dt}/{th}"] = 2.0 * gemm_n ** 3 / t["min_s"] / 1e9
        src = rng.standard_normal(act_elements).astype(dt)
        dst = np.empty_like(src)
        t = measure(lambda: _copy(dst, src, pool, threads))
        out["copy_gbps"][dt] = 2 * src.nbytes / t["median_s"] / 1e9
        out["copy_gbps_best"][dt] = 2 * src.nbytes / t["min_s"] / 1e9
    pool.shutdown()
    return out


def _copy(dst, src, pool, threads):
    """``dst[:] = src`` in ``threads`` equal chunks at once (``np.copyto`` releases the GIL), so that
    the copy ceiling uses as many cores as the kernels measured against it."""
    bounds = np.linspace(0, src.size, threads + 1).astype(int)
    jobs = [pool.submit(np.copyto, dst[i:j], src[i:j]) for i, j in zip(bounds[1:-1], bounds[2:])]
    np.copyto(dst[:bounds[1]], src[:bounds[1]])
    for job in jobs:
        job.result()


def worker_main(argv) -> int:
    """``worker PEER SPEC.json RESULT.json``: run SPEC's work for PEER; write results as JSON lines."""
    peer, spec_path, result_path = argv
    spec = json.loads(Path(spec_path).read_text())
    threads = spec["threads"]
    budget = spec["budget_s"]
    with open(result_path, "a") as out:
        def emit(**record):
            out.write(json.dumps(record) + "\n")
            out.flush()
        emit(kind="threads", peer=peer, threads=_set_threads(peer, threads))
        if spec.get("ceilings"):
            emit(kind="ceilings", **_ceilings(threads, spec["gemm_n"], spec["act_elements"]))
        for cfg in spec["steps"]:
            try:
                fn = _STEPS[peer](cfg, threads)
                t = measure(fn, budget_s=budget)
                loss = float(t.pop("first_value"))  # the first step's loss, from the shared initial weights
                emit(kind="step", peer=peer, config=cfg, first_loss=loss, **t)
            except Exception as exc:  # a peer that cannot do one configuration: record why, go on
                emit(kind="step", peer=peer, config=cfg, error=f"{type(exc).__name__}: {exc}")
        for dt in spec["act_dtypes"]:
            try:
                table = _ACTS[peer](np.dtype(dt), spec["act_elements"])
            except Exception as exc:
                emit(kind="act_error", peer=peer, dtype=dt, error=f"{type(exc).__name__}: {exc}")
                continue
            nbytes = spec["act_elements"] * np.dtype(dt).itemsize
            for name in spec["activations"]:
                if name not in table:
                    continue
                for direction, fn, moved in (("forward", table[name][0], 2), ("backward", table[name][1], 3)):
                    try:
                        t = measure(fn, budget_s=0.2)
                        t.pop("first_value")
                        emit(kind="act", peer=peer, activation=name, dtype=dt, direction=direction,
                             gbps=moved * nbytes / t["median_s"] / 1e9, **t)
                    except Exception as exc:
                        emit(kind="act", peer=peer, activation=name, dtype=dt, direction=direction,
                             error=f"{type(exc).__name__}: {exc}")
    return 0


def run_peer(peer, spec, timeout_s, cold_cache=False) -> tuple[list[dict], str | None]:
    """Run one peer's worker in a fresh interpreter; return its records and an error (or None).

    ``cold_cache``: give the worker an empty Numba cache, so ffbench's first calls include compiling."""
    why = _peer_available(peer)
    if why:
        return [], why
    with tempfile.TemporaryDirectory(prefix="ffbench-bench-") as tmp:
        spec_path, result_path = Path(tmp, "spec.json"), Path(tmp, "result.jsonl")
        spec_path.write_text(json.dumps(spec))
        result_path.touch()
        cmd = [sys.executable, "-c", _BOOT, str(Path(__file__).resolve()), peer, str(spec_path), str(result_path)]
        env = dict(os.environ, NUMBA_CACHE_DIR=str(Path(tmp, "numba-cache"))) if cold_cache else None
        error = None
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, env=env)
            if proc.returncode != 0:
                error = f"worker exited {proc.returncode}: {proc.stderr.strip()[-2000:]}"
        except subprocess.TimeoutExpired:
            error = f"worker timed out after {timeout_s} s (partial results kept)"
        records = [json.loads(line) for line in result_path.read_text().splitlines() if line.strip()]
    return records, error


# --- orchestration, tables, figure -----------------------------------------------------------

def grid(quick) -> list[dict]:
    g = QUICK_GRID if quick else STEP_GRID
    return [{"batch": b, "width": w, "depth": d, "activation": a, "dtype": dt}
            for dt in g["dtype"] for a in g["activation"] for b in g["batch"] for w in g["width"] for d in g["depth"]]


def _key(cfg) -> tuple:
    return (cfg["dtype"], cfg["activation"], cfg["batch"], cfg["width"], cfg["depth"])


def geomean(xs) -> float | None:
    xs = [x for x in xs if x and x > 0 and math.isfinite(x)]
    return math.exp(sum(map(math.log, xs)) / len(xs)) if xs else None


def summarize(records_by_peer, peers, threads, stat="median_s") -> dict:
    """Join the peers' records into step rows, activation rows and summary ratios (of statistic ``stat``)."""
    ceilings = next((r for r in records_by_peer.get("numpy", []) if r["kind"] == "ceilings"), None)
    if ceilings and stat == "min_s":  # best-of ceilings to go with best-of times
        ceilings = {**ceilings, "gemm": ceilings["gemm_best"], "copy_gbps": ceilings["copy_gbps_best"]}
    steps, acts = {}, {}
    for peer, records in records_by_peer.items():
        for r in records:
            if r["kind"] == "step":
                row = steps.setdefault(_key(r["config"]), {**r["config"], "flops": step_flops(
                    r["config"]["batch"], r["config"]["width"], r["config"]["depth"])})
                row[peer] = {k: r[k] for k in ("median_s", "min_s", "first_s", "samples", "first_loss", "error") if k in r}
            elif r["kind"] == "act":
                row = acts.setdefault((r["activation"], r["dtype"], r["direction"]),
                                      {"activation": r["activation"], "dtype": r["dtype"], "direction": r["direction"]})
                if "median_s" in r:
                    nbytes = r["gbps"] * r["median_s"]  # GB moved per call
                    r = {**r, "gbps": nbytes / r[stat]}
                row[peer] = {k: r[k] for k in ("gbps", "median_s", "min_s", "first_s", "error") if k in r}
    summary = {}
    for row in steps.values():
        ff = row.get("ffbench", {}).get(stat)
        row["ratio"] = {p: row[p][stat] / ff for p in peers if p != "ffbench" and ff and row.get(p, {}).get(stat)}
        if ff:
            row["ffbench_gflops"] = row["flops"] / ff / 1e9
            if ceilings:
                row["ceiling_fraction"] = row["ffbench_gflops"] / ceilings["gemm"][f"{row['dtype']}/{threads}"]
        losses = [row[p]["first_loss"] for p in peers if row.get(p, {}).get("first_loss") is not None]
        if losses:
            row["first_loss_spread"] = (max(losses) - min(losses)) / max(abs(min(losses)), 1e-300)
    for dt in sorted({r["dtype"] for r in steps.values()}):
        rows = [r for r in steps.values() if r["dtype"] == dt]
        summary[dt] = {p: {"geomean": geomean([r["ratio"].get(p) for r in rows]),
                           "min": min((r["ratio"][p] for r in rows if p in r["ratio"]), default=None),
                           "max": max((r["ratio"][p] for r in rows if p in r["ratio"]), default=None)}
                       for p in peers if p != "ffbench"}
    for row in acts.values():
        if ceilings:
            bw = ceilings["copy_gbps"][row["dtype"]]
            row["copy_fraction"] = {p: row[p]["gbps"] / bw for p in peers if row.get(p, {}).get("gbps")}
    return {"ceilings": ceilings, "steps": sorted(steps.values(), key=lambda r: _key(r)),
            "activations": sorted(acts.values(), key=lambda r: (r["dtype"], r["activation"], r["direction"])),
            "summary": summary}


def _ms(row, peer, stat) -> str:
    t = row.get(peer, {}).get(stat)
    return f"{t * 1e3:9.3f}" if t else f"{'-':>9}"


def _x(value) -> str:
    return f"{value:6.2f}x" if value else f"{'-':>7}"


def format_tables(result) -> str:
    peers = result["peers_run"]
    others = [p for p in peers if p != "ffbench"]
    lines = []
    c = result["ceilings"]
    if c:
        lines.append(f"GEMM ceiling (NumPy, n={c['gemm_n']}): " + ", ".join(
            f"{k.split('/')[0]} {k.split('/')[1]} thr {v:.0f} GFLOP/s" for k, v in c["gemm"].items()))
        lines.append(f"copy bandwidth ({c['act_elements']} elements, {c.get('copy_threads', 1)} threads): " + ", ".join(f"{k} {v:.1f} GB/s" for k, v in c["copy_gbps"].items()))
    lines.append(f"threads: {json.dumps(result['thread_counts'])}")
    load = result.get("load_average") or {}
    if load.get("start"):
        lines.append(f"load average (1 min) at start {load['start'][0]:.1f}, at end {load['end'][0]:.1f} "
                     f"on {result['provenance'].get('usable_cores')} usable cores")
    for peer, why in result["skipped"].items():
        lines.append(f"skipped {peer}: {why}")
    lines.append("")
    lines.append(f"Training step (SGD, MSE), {result['statistic'][:-2]} ms per step; ratio = peer time / ffbench time (>1: ffbench faster)")
    head = f"{'dtype':7} {'act':5} {'batch':>5} {'width':>5} {'depth':>5} " + "".join(f"{p:>9} " for p in peers)
    head += "".join(f"{'/' + p:>8}" for p in others) + f" {'GFLOP/s':>8} {'%ceil':>6}"
    lines.append(head)
    for r in result["steps"]:
        line = f"{r['dtype']:7} {r['activation']:5} {r['batch']:5d} {r['width']:5d} {r['depth']:5d} "
        line += "".join(_ms(r, p, result["statistic"]) + " " for p in peers)
        line += "".join(f"{_x(r['ratio'].get(p)):>8}" for p in others)
        line += f" {r.get('ffbench_gflops', 0):8.1f} {100 * r.get('ceiling_fraction', 0):5.0f}%"
        lines.append(line)
    lines.append("")
    for dt, s in result["summary"].items():
        lines.append(f"{dt}: " + "; ".join(
            f"vs {p}: geomean {_x(v['geomean']).strip()} (min {_x(v['min']).strip()}, max {_x(v['max']).strip()})"
            for p, v in s.items() if v["geomean"]))
    for peer in peers:
        over = [r[peer]["first_s"] - r[peer][result["statistic"]] for r in result["steps"] if r.get(peer, {}).get("median_s")]
        if over:
            what = "compile" if peer == "ffbench" and result.get("cold_cache") else "compile / cache load / warm-up"
            lines.append(f"{peer}: first-call overhead ({what}, excluded above): total {sum(over):.2f} s, "
                         f"largest {max(over):.2f} s over {len(over)} configurations")
    spreads = [r["first_loss_spread"] for r in result["steps"] if "first_loss_spread" in r]
    if spreads:
        lines.append(f"same work check: first-step losses of all peers agree to {max(spreads):.1e} (relative, worst case)")
    lines.append("")
    n = result["ceilings"]["act_elements"] if c else ACT_ELEMENTS
    lines.append(f"Activations on {n} elements, GB/s (forward moves 2 arrays, backward 3); %copy = ffbench / copy bandwidth")
    lines.append(f"{'dtype':7} {'activation':11} {'dir':8} " + "".join(f"{p:>9} " for p in peers) + f"{'%copy':>6}")
    for r in result["activations"]:
        vals = "".join((f"{r[p]['gbps']:9.1f} " if r.get(p, {}).get("gbps") else f"{'-':>9} ") for p in peers)
        frac = r.get("copy_fraction", {}).get("ffbench")
        lines.append(f"{r['dtype']:7} {r['activation']:11} {r['direction']:8} {vals}"
                     + (f"{100 * frac:5.0f}%" if frac else f"{'-':>6}"))
    if result["errors"]:
        lines.append("")
        lines += [f"error ({peer}): {msg}" for peer, msg in result["errors"].items()]
    return "\n".join(lines)


def render(result, out_dir, formats=("png", "svg")):
    """Speed-up over each peer against FLOPs per step, and activation bandwidth against copy."""
    from ffbench.style import figure, paper_style, save_figure
    with paper_style():
        fig, (ax1, ax2) = figure("double", height=3.0, ncols=2)
        markers = {"numpy": "o", "torch": "s", "jax": "^"}
        for peer in [p for p in result["peers_run"] if p != "ffbench"]:
            for dt, fill in (("float32", None), ("float64", "none")):
                pts = [(r["flops"], r["ratio"][peer]) for r in result["steps"] if r["dtype"] == dt and peer in r["ratio"]]
                if pts:
                    x, y = zip(*pts)
                    ax1.plot(x, y, linestyle="none", marker=markers.get(peer, "x"), markersize=3,
                             label=f"{peer} {dt}", **({"markerfacecolor": fill} if fill else {}))
        ax1.axhline(1.0, color="0.4", linewidth=0.6, linestyle="--")
        ax1.set(xscale="log", yscale="log", xlabel="GEMM work per step (FLOP)",
                ylabel="speed-up of ffbench (peer time / ffbench time)", title="training step")
        ax1.legend(fontsize=6)
        rows = [r for r in result["activations"] if r["dtype"] == "float32"]
        labels = [f"{r['activation']} {'fwd' if r['direction'] == 'forward' else 'bwd'}" for r in rows]
        width = 0.8 / max(1, len(result["peers_run"]))
        for k, peer in enumerate(result["peers_run"]):
            ax2.barh([i + k * width for i in range(len(rows))], [r.get(peer, {}).get("gbps", math.nan) for r in rows],
                     height=width, label=peer, hatch=["", "//", "..", "xx"][k % 4], edgecolor="0.2", linewidth=0.3)
        if result["ceilings"]:
            ax2.axvline(result["ceilings"]["copy_gbps"]["float32"], color="0.2", linestyle="--", linewidth=0.8,
                        label="copy")
        ax2.set_yticks([i + 0.4 - width / 2 for i in range(len(rows))], labels, fontsize=5)
        n = result["ceilings"]["act_elements"] if result["ceilings"] else ACT_ELEMENTS
        ax2.set(xscale="log", xlabel=f"GB/s (float32, {n} elements)", title="activations")
        ax2.legend(fontsize=6)
        return save_figure(fig, out_dir, "bench", formats)


def run(quick=False, peers=PEERS, threads=None, out_dir="figures", plot=True, steps=None,
        activations=None, act_dtypes=None, budget_s=None, gemm_n=GEMM_N, act_elements=ACT_ELEMENTS,
        statistic="median", cold_cache=False, timeout_s=1800, verbose=True) -> dict:
    """Run the benchmark (every peer in its own process); write ``OUT/bench.json`` and the figure."""
    threads = threads or (len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count())
    if activations is None:
        from ffbench.activations import ACTIVATIONS
        activations = list(ACTIVATIONS)
    spec = {"threads": threads, "quick": quick, "budget_s": budget_s or BUDGET_S,
            "steps": grid(quick) if steps is None else steps, "activations": list(activations),
            "act_dtypes": list(act_dtypes or (QUICK_ACT_DTYPES if quick else ACT_DTYPES)),
            "gemm_n": int(gemm_n), "act_elements": int(act_elements)}
    t_start = time.perf_counter()
    load_start = os.getloadavg() if hasattr(os, "getloadavg") else None
    records, skipped, errors, wall = {}, {}, {}, {}
    for peer in peers:
        why = _peer_available(peer)
        if why:
            skipped[peer] = why
    active = [p for p in peers if p not in skipped]
    # Interleaved blocks: one block of configurations (a dtype x activation) per peer in turn, each in a
    # fresh process, so that a change in the machine's load during the run hits every peer alike.  The
    # ceilings are measured before the first block and after the last, and the higher one is used.
    blocks = {}
    for cfg in spec["steps"]:
        blocks.setdefault((cfg["dtype"], cfg["activation"]), []).append(cfg)
    jobs = [("numpy", {"ceilings": True, "steps": [], "act_dtypes": []})] if "numpy" in active else []
    for k, block in enumerate(blocks.values()):
        order = active[k % len(active):] + active[:k % len(active)] if active else []
        jobs += [(peer, {"steps": block, "act_dtypes": []}) for peer in order]
    jobs += [(peer, {"steps": []}) for peer in active]  # the activation benchmark, one process per peer
    if "numpy" in active:
        jobs.append(("numpy", {"ceilings": True, "steps": [], "act_dtypes": []}))
    for n, (peer, part) in enumerate(jobs, 1):
        t0 = time.perf_counter()
        if verbose:
            what = f"{len(part['steps'])} step configs" if part["steps"] else (
                "ceilings" if part.get("ceilings") else "activations")
            print(f"[bench] {n}/{len(jobs)} {peer}: {what}", file=sys.stderr, flush=True)
        recs, error = run_peer(peer, {**spec, **part}, timeout_s, cold_cache)
        wall[peer] = wall.get(peer, 0.0) + time.perf_counter() - t0
        records.setdefault(peer, []).extend(recs)
        if error:
            errors[peer] = (errors[peer] + "\n" if peer in errors else "") + error
    ceilings = [r for r in records.get("numpy", []) if r["kind"] == "ceilings"]
    if len(ceilings) > 1:  # the higher of the two measurements, per entry
        best = {key: {k: max(c[key][k] for c in ceilings) for k in ceilings[0][key]}
                for key in ("gemm", "copy_gbps", "gemm_best", "copy_gbps_best")}
        records["numpy"] = [r for r in records["numpy"] if r["kind"] != "ceilings"] + [{**ceilings[0], **best}]
    peers_run = [p for p in PEERS if records.get(p)]
    stat = {"median": "median_s", "min": "min_s"}[statistic]
    result = summarize(records, peers_run, threads, stat)
    from ffbench.provenance import collect
    result.update({
        "quick": quick, "threads": threads, "statistic": stat, "cold_cache": cold_cache, "peers_run": peers_run, "skipped": skipped, "errors": errors,
        "thread_counts": {p: next((r["threads"] for r in records[p] if r["kind"] == "threads"), None)
                          for p in peers_run},
        "methodology": {"sample_s": SAMPLE_S, "budget_s": spec["budget_s"], "min_samples": MIN_SAMPLES,
                        "max_samples": MAX_SAMPLES, "statistic": statistic, "lr": LR, "act_elements": spec["act_elements"],
                        "flops_per_step": "6 * batch * width^2 * depth", "isolation": "one subprocess per peer"},
        "peer_wall_s": wall, "wall_time_s": time.perf_counter() - t_start,
        # Other processes on the machine slow every peer (parallel ones most): record how busy it was.
        "load_average": {"start": load_start, "end": os.getloadavg() if hasattr(os, "getloadavg") else None},
        "provenance": collect(threads=threads),
    })
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    from ffbench._io import atomic_write_bytes
    atomic_write_bytes(out / "bench.json", json.dumps(result, indent=1, sort_keys=True, default=str).encode())
    if plot:
        render(result, out)
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ffbench.bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a small subset of the grid (same code paths)")
    parser.add_argument("--peers", default=",".join(PEERS), help=f"comma-separated subset of {','.join(PEERS)}")
    parser.add_argument("--threads", type=int, default=None, help="threads for every peer (default: all cores)")
    parser.add_argument("--out", default="figures", help="output directory for bench.json and the figure")
    parser.add_argument("--budget", type=float, default=None, help=f"seconds of timing per step config ({BUDGET_S})")
    parser.add_argument("--statistic", choices=("median", "min"), default="median",
                        help="per-configuration statistic of the samples (min is steadier on a busy machine)")
    parser.add_argument("--cold-cache", action="store_true",
                        help="start ffbench with an empty Numba cache (first-call times then include compiling)")
    parser.add_argument("--no-plot", action="store_true", help="skip the figure")
    args = parser.parse_args(argv)
    peers = [p.strip() for p in args.peers.split(",") if p.strip()]
    unknown = sorted(set(peers) - set(PEERS))
    if unknown:
        parser.error(f"unknown peer {unknown[0]!r}; valid: {', '.join(PEERS)}")
    result = run(quick=args.quick, peers=peers, threads=args.threads, out_dir=args.out, plot=not args.no_plot,
                 budget_s=args.budget, statistic=args.statistic, cold_cache=args.cold_cache)
    print(format_tables(result))
    print(f"\nwall time {result['wall_time_s']:.1f} s; wrote {Path(args.out) / 'bench.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
