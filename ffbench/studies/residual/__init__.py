r"""Residual vs plain networks: trainability with depth, the typical gradient at initialisation, shattered gradients.

Training (He, Zhang, Ren & Sun 2016, "Deep Residual Learning for Image Recognition", CVPR: deeper plain nets train
worse, residual nets do not).  Plain MLPs :math:`h \leftarrow \mathrm{relu}(h W + b)` and residual MLPs
:math:`h \leftarrow h + s\,\mathrm{relu}(h W + b)` of the same width and depth (depth = number of hidden layers;
the first hidden layer, which changes the width, is plain in both), the same He-normal weights, zero biases, the
same Adam optimiser, learning rate, batches and data (two spirals), several seeds.  The branch scale
:math:`s = 1/\sqrt{L}` keeps the forward signal bounded, :math:`\prod (1 + s^2) \le e`, at every depth.  Measured
against depth: the final training loss and accuracy (full batch) at the best learning rate, and the first
layer's weight-gradient norm during training.

The typical gradient at initialisation (the finite-width drift).  He et al. (2015) choose Var[W] = 2/n so that
the *expected* squared gradient is the same at every depth.  The *typical* value (the geometric mean over
networks) is not: for one input, a He-initialised ReLU layer of width n multiplies the squared norm of the
back-propagated gradient by :math:`F = (2/n)\,\chi^2_K` with :math:`K \sim \mathrm{Bin}(n, 1/2)` active units
(the gradient through a fresh Gaussian matrix is Gaussian; the mask keeps K of its n entries).  E[F] = 1, but

.. math::  E[\log F] = E_K[\psi(K/2) + \log(4/n)] = -\frac{5}{2n} + O(n^{-2}),

(:math:`\psi` the digamma function; the leading term is -1/(2n) from the variance of K and -2/n from the
chi-square), the drift behind the finite-width results of Hanin (2018, "Which neural net architectures give rise
to exploding and vanishing gradients?", Thm 1) and Hanin & Rolnick (2018, "How to start training", FM2): the
log-variance of the squared length grows by 5/n per layer while its mean stays put, so its median falls by half
that.  Over :math:`\Delta L` more layers the typical first-layer gradient norm changes by
:math:`\log_{10}` ratio :math:`-\tfrac{5}{4}(\Delta L/n)/\ln 10` (-1.66 for width 32 from 2 to 100 hidden
layers).  Measured: for many plain networks per depth, one readout direction v = (1, -1) (the direction of the
softmax cross-entropy gradient of two classes) back-propagated for each spiral point separately, the mean over
points of :math:`\log_{10} \|\partial L/\partial W_1\|` per network, and its mean and standard error over
networks.

Shattered gradients (Balduzzi, Frean, Leary, Lewis, Ma & McWilliams 2017, "The Shattered Gradients Problem: If
resnets are the answer, then what is the question?", ICML).  Their Theorems 1-3 give the covariance, over random
weights, of the input gradients at two inputs: :math:`2^{-L}` for feedforward ReLU nets with He init,
:math:`(3/4)^L` for resnets, about :math:`1/\sqrt{L}` for resnets with BatchNorm.  Each assumes that the two
inputs' activation patterns are independent: a unit is active at both with probability 1/4, so the
*co-activation ratio* P(active at both) / P(active) is 1/2.  We test that hypothesis and its consequence on a 1-D
grid of points on [-2, 2]: a scalar output, He-normal weights and PyTorch's default uniform biases, the gradient
:math:`g(x) = \partial f / \partial x` at each point (with BatchNorm the network is evaluated in eval mode with
running statistics set to the statistics of the grid, so BN is a fixed per-unit affine map), for plain and
residual (s = 1, as in Balduzzi et al.'s analysis) nets, each with and without BatchNorm (before the activation).
Measured per network: the co-activation ratio of grid neighbours in the last hidden layer, the lag-1
autocorrelation :math:`\rho_1` of g over the grid, and the spectral slope of g (least-squares slope of log power
against log frequency: 0 for white noise, -2 for brown noise, a random walk).  No theorem predicts a per-layer
decay rate of :math:`\rho_1` on a fine grid, so none is claimed.  An un-normalised plain ReLU net does not
shatter in 1-D: its units stop kinking (the co-activation ratio stays near 1), so Theorem 1's hypothesis fails
there; that is reported as an observation.
"""
from __future__ import annotations

import math

import numpy as np

from ffbench import MLP, data, optim
from ffbench.losses import loss_function
from ffbench.studies.framework import Choice, derive_seed, group
from ffbench.train import accuracy, train

from .claims import study_claims
from .figures import render  # noqa: F401  (the study contract's render)

NAME = "residual"
VERSION = "2"
DEFAULTS = {
    "seed": 0,
    "train": {"depths": [2, 4, 8, 16, 32, 64, 100], "width": 32, "seeds": 6, "points": 256, "epochs": 60,
              "batch_size": 64, "lrs": [0.001, 0.003, 0.01]},
    "init": {"networks": 300},
    "shatter": {"depths": [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 50], "width": 128, "networks": 16, "points": 256,
                "archs": ["plain", "residual", "plain_bn", "residual_bn"], "judge_depth": 32},
}
QUICK = {
    "train": {"depths": [4, 16], "seeds": 1, "epochs": 40, "lrs": [0.003, 0.01]},
    "init": {"networks": 100},
    "shatter": {"depths": [1, 4, 16, 32], "networks": 4},  # width 128: narrower nets keep neighbours co-active
}

ARCHS = {  # name -> MLP keyword arguments (shattered-gradient nets)
    "plain": {"residual": False, "norm": None},
    "residual": {"residual": True, "norm": None},
    "plain_bn": {"residual": False, "norm": "batch"},
    "residual_bn": {"residual": True, "norm": "batch"},
}
CONSTRAINTS = {"shatter.archs": Choice(ARCHS, "architecture")}  # the rest is inferred from DEFAULTS
# ---------------------------------------------------------------------------------------- measures

def lag1_autocorrelation(g):
    r"""Lag-1 autocorrelation of each row of ``g`` (nets, points):
    :math:`\sum_i (g_i - \bar g)(g_{i+1} - \bar g) / \sum_i (g_i - \bar g)^2`; NaN for a constant row."""
    g = np.atleast_2d(np.asarray(g, dtype=float))
    c = g - g.mean(axis=1, keepdims=True)
    den = np.sum(c * c, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, np.sum(c[:, 1:] * c[:, :-1], axis=1) / den, np.nan)


def spectral_slope(g):
    """Least-squares slope of log power against log frequency of each row of ``g`` (nets, points), mean removed,
    over the nonzero frequencies of the real FFT: ~0 white noise, ~-2 brown noise."""
    g = np.atleast_2d(np.asarray(g, dtype=float))
    power = np.abs(np.fft.rfft(g - g.mean(axis=1, keepdims=True), axis=1))[:, 1:] ** 2
    logf = np.log(np.arange(1, power.shape[1] + 1))
    logp = np.log(np.maximum(power, np.finfo(float).tiny))
    x = logf - logf.mean()
    return (logp - logp.mean(axis=1, keepdims=True)) @ x / (x @ x)


def coactivation_ratio(z):
    """P(active at both) / P(active) over neighbouring rows of the pre-activations ``z`` (points, units), all
    units pooled: 1 when neighbours share their activation pattern, 1/2 when the patterns are independent and
    each unit fires half the time.  NaN when no unit is active."""
    active = np.asarray(z) > 0
    first = active[:-1].sum()
    return float((active[1:] & active[:-1]).sum() / first) if first else math.nan


def _digamma_half(k: int) -> float:
    """psi(k / 2) for an integer k >= 1: psi(1) = -gamma, psi(1/2) = -gamma - 2 ln 2, psi(x+1) = psi(x) + 1/x."""
    x, value = (1.0, -np.euler_gamma) if k % 2 == 0 else (0.5, -np.euler_gamma - 2.0 * math.log(2.0))
    while x < k / 2:
        value += 1.0 / x
        x += 1.0
    return value


def relu_log_drift(width: int) -> tuple[float, float]:
    """``(leading, exact)``: E[log F] per He-initialised ReLU layer of ``width`` units, F = (2/n) chi^2_K the
    factor of a back-propagated squared gradient norm, K ~ Bin(n, 1/2) (the module docstring): the leading term
    -5/(2n) and the exact sum over K >= 1 (K = 0, probability 2^-n, kills the gradient and is left out)."""
    n = int(width)
    weights = [math.comb(n, k) for k in range(1, n + 1)]
    terms = [_digamma_half(k) + math.log(4.0 / n) for k in range(1, n + 1)]
    return -5.0 / (2.0 * n), float(np.dot(weights, terms) / sum(weights))


def log10_drift(width: int, layers: int) -> tuple[float, float]:
    """``(leading, exact)`` predicted change of log10 of a typical gradient *norm* over ``layers`` more layers."""
    return tuple(layers * d / (2.0 * math.log(10.0)) for d in relu_log_drift(width))


def input_gradients(model, X):
    """Per-sample dOutput/dx (n, d_in) of a scalar-output model, BatchNorm (if any) as an affine map with the
    statistics of X: one training-mode pass with momentum 1 sets the running statistics, then eval mode."""
    if model.norm is not None:
        for bn in model.norms:
            bn.momentum = 1.0
        model.forward(X, train=True)
    model.forward(X, train=False)
    return model.backward(np.ones((X.shape[0], 1)))


# ---------------------------------------------------------------------------------------------- runs

def runs(config):
    seed, t, s = config["seed"], config["train"], config["shatter"]
    specs = [{"kind": "train", "arch": arch, "depth": d, "lr": lr, "replicate": r, "width": t["width"],
              "points": t["points"], "epochs": t["epochs"], "batch_size": t["batch_size"],
              "seed": derive_seed(seed, "train", d, r)}  # same weights, data and batches for plain and residual
             for arch in ("plain", "residual") for d in t["depths"] for lr in t["lrs"] for r in range(t["seeds"])]
    specs += [{"kind": "init", "depth": d, "width": t["width"], "points": t["points"],
               "networks": config["init"]["networks"], "seed": derive_seed(seed, "init", d)} for d in t["depths"]]
    specs += [{"kind": "shatter", "arch": arch, "depth": d, "width": s["width"], "networks": s["networks"],
               "points": s["points"], "seed": derive_seed(seed, "shatter", d)}
              for arch in s["archs"] for d in s["depths"]]
    return specs


def _spirals(spec):
    return data.two_spirals(spec["points"], seed=derive_seed(spec["seed"], "data"))


def _run_train(spec):
    X, y = _spirals(spec)
    depth = spec["depth"]
    residual = spec["arch"] == "residual"
    model = MLP([2] + [spec["width"]] * depth + [2], "relu", init="he_normal", residual=residual,
                residual_scale=1.0 / math.sqrt(depth) if residual else 1.0, seed=spec["seed"])
    history = train(model, X, y, loss="softmax_cross_entropy", optimizer=optim.Adam(model, lr=spec["lr"]),
                    epochs=spec["epochs"], batch_size=spec["batch_size"], seed=derive_seed(spec["seed"], "batches"),
                    record_grad_norms=True)
    first = np.asarray(history.grad_norms[0], dtype=float)
    result = {"diverged": history.diverged, "grad_first_median": float(np.median(first)) if first.size else None,
              "grad_first_trace": first[:: max(1, first.size // 50)]}
    if history.diverged:
        return {**result, "final_loss": None, "accuracy": None}
    value, _ = loss_function("softmax_cross_entropy")(model.forward(X), y)
    return {**result, "final_loss": value, "accuracy": accuracy(model, X, y)}


def _run_init(spec):
    """Per plain network: the mean over spiral points of log10 ||dL/dW_1|| for that point alone (readout v)."""
    X, _ = _spirals(spec)
    readout = np.tile([1.0, -1.0], (X.shape[0], 1))
    seeds = np.random.default_rng(spec["seed"]).integers(0, 2**63, spec["networks"])
    log10_norm = np.empty(spec["networks"])
    for i, s in enumerate(seeds):
        model = MLP([2] + [spec["width"]] * spec["depth"] + [2], "relu", init="he_normal", seed=int(s))
        model.forward(X)
        model.backward(readout)
        # one point's dL/dW_1 is the outer product x_b delta_1[b]: its norm is ||x_b|| ||delta_1[b]||
        per_point = np.linalg.norm(X, axis=1) * np.linalg.norm(model.deltas[0], axis=1)
        # a point whose gradient died (some layer all inactive, probability ~ L 2^-n) is outside the drift law,
        # which conditions on live layers: left out, and a network dead at every point gets NaN
        live = per_point[per_point > 0]
        log10_norm[i] = np.mean(np.log10(live)) if live.size else np.nan
    return {"log10_grad": log10_norm}


def _run_shatter(spec):
    x = np.linspace(-2.0, 2.0, spec["points"]).reshape(-1, 1)
    seeds = np.random.default_rng(spec["seed"]).integers(0, 2**63, spec["networks"])
    grads = np.empty((spec["networks"], spec["points"]))
    coactive = np.empty(spec["networks"])
    for i, s in enumerate(seeds):
        model = MLP([1] + [spec["width"]] * spec["depth"] + [1], "relu", init="he_normal",
                    bias_init="standard_uniform", seed=int(s), **ARCHS[spec["arch"]])
        grads[i] = input_gradients(model, x)[:, 0]
        coactive[i] = coactivation_ratio(model.preactivations[spec["depth"] - 1])
    scale = np.abs(grads[0]).max()
    return {"rho1": lag1_autocorrelation(grads), "spectral_slope": spectral_slope(grads), "coactive": coactive,
            "curve": grads[0] / scale if scale > 0 else grads[0]}


KINDS = {"train": _run_train, "init": _run_init, "shatter": _run_shatter}


def run(spec):
    return KINDS[spec["kind"]](spec)


# ---------------------------------------------------------------------------------------- numbers

def _mean(values):
    values = np.array([np.nan if v is None else v for v in values], dtype=float)
    return float(np.mean(values[np.isfinite(values)])) if np.isfinite(values).any() else float("nan")


def _geomean(values):
    values = np.array([np.nan if v is None else v for v in values], dtype=float)
    ok = np.isfinite(values) & (values > 0)
    return float(np.exp(np.mean(np.log(values[ok])))) if ok.any() else float("nan")


def _train_numbers(config, pairs):
    t = config["train"]
    depths, lrs, archs = t["depths"], t["lrs"], ["plain", "residual"]
    group = {}
    for s, r in pairs:
        group.setdefault((s["arch"], s["depth"], s["lr"]), []).append(r)
    out = {"depths": depths, "lrs": lrs, "width": t["width"], "archs": archs}
    for key, agg in (("final_loss", _mean), ("accuracy", _mean), ("grad_first_median", _geomean)):
        out[key] = {a: [[agg([r[key] for r in group[a, d, lr]]) for lr in lrs] for d in depths] for a in archs}
    out["diverged"] = {a: [[sum(r["diverged"] for r in group[a, d, lr]) for lr in lrs] for d in depths]
                       for a in archs}
    best = {"lr": {}, "accuracy": {}, "accuracy_runs": {}, "final_loss": {}, "final_loss_runs": {},
            "grad_first_median": {}}
    for a in archs:
        picks = []
        for k in range(len(depths)):
            acc = np.nan_to_num(np.asarray(out["accuracy"][a][k], dtype=float), nan=-1.0)
            loss = np.nan_to_num(np.asarray(out["final_loss"][a][k], dtype=float), nan=np.inf)
            picks.append(int(np.lexsort((loss, -acc))[0]))  # highest accuracy, then lowest loss
        best["lr"][a] = [lrs[j] for j in picks]
        for key in ("accuracy", "final_loss"):  # every seed at the chosen lr: the figure shows their spread
            best[f"{key}_runs"][a] = [[r[key] for r in group[a, d, lrs[j]]] for d, j in zip(depths, picks)]
        for key in ("accuracy", "final_loss", "grad_first_median"):
            best[key][a] = [out[key][a][k][j] for k, j in enumerate(picks)]
    out["best"] = best
    out["grad_first_trace"] = {a: group[a, depths[-1], best["lr"][a][-1]][0]["grad_first_trace"] for a in archs}
    rows = [{"part": "train", "arch": s["arch"], "depth": s["depth"], "lr": s["lr"], "replicate": s["replicate"],
             **{k: r[k] for k in ("final_loss", "accuracy", "grad_first_median", "diverged")}} for s, r in pairs]
    return out, rows


def _init_numbers(config, pairs):
    t = config["train"]
    by = {s["depth"]: np.asarray([np.nan if v is None else v for v in r["log10_grad"]], dtype=float) for s, r in pairs}
    by = {d: v[np.isfinite(v)] for d, v in by.items()}  # networks dead at every point are left out
    depths = t["depths"]
    out = {"depths": depths, "width": t["width"], "networks": min(v.size for v in by.values()),
           "log10_grad": [float(by[d].mean()) for d in depths],
           "log10_grad_se": [float(by[d].std(ddof=1) / math.sqrt(by[d].size)) if by[d].size > 1 else math.nan
                             for d in depths],
           "drift_leading": [log10_drift(t["width"], d - depths[0])[0] for d in depths],
           "drift_exact": [log10_drift(t["width"], d - depths[0])[1] for d in depths]}
    rows = [{"part": "init", "depth": s["depth"], "network": i, "log10_grad": v}
            for s, r in pairs for i, v in enumerate(r["log10_grad"])]
    return out, rows


def _shatter_numbers(config, pairs):
    s = config["shatter"]
    depths = s["depths"]
    by = {(sp["arch"], sp["depth"]): r for sp, r in pairs}
    out = {"depths": depths, "archs": s["archs"], "width": s["width"], "points": s["points"],
           "networks": s["networks"], "judge_depth": s["judge_depth"], "x": np.linspace(-2.0, 2.0, s["points"])}
    for key in ("rho1", "spectral_slope", "coactive"):
        out[key] = {a: [_mean(by[a, d][key]) for d in depths] for a in s["archs"]}
        out[f"{key}_runs"] = {a: [list(by[a, d][key]) for d in depths] for a in s["archs"]}
    out["curves"] = {a: {str(depths[0]): by[a, depths[0]]["curve"], str(depths[-1]): by[a, depths[-1]]["curve"]}
                     for a in s["archs"]}
    rows = [{"part": "shatter", "arch": sp["arch"], "depth": sp["depth"], "network": i, "rho1": v,
             "spectral_slope": r["spectral_slope"][i], "coactive": r["coactive"][i]}
            for sp, r in pairs for i, v in enumerate(r["rho1"])]
    return out, rows


def summarize(config, pairs):
    parts = group(pairs, "kind", KINDS)
    tr, rows_t = _train_numbers(config, parts["train"])
    init, rows_i = _init_numbers(config, parts["init"])
    sh, rows_s = _shatter_numbers(config, parts["shatter"])
    return {"data": {"train": tr, "init": init, "shatter": sh}, "rows": rows_t + rows_i + rows_s,
            "claims": study_claims(tr, init, sh), "table": _table(tr, init, sh)}


def _table(tr, init, sh):
    lines = ["Training (two spirals, Adam; accuracy per learning rate " + ", ".join(f"{lr:g}" for lr in tr["lrs"])
             + "), median first-layer gradient norm during training at the best lr"]
    for a in tr["archs"]:
        lines.append(f"  {a}")
        for k, d in enumerate(tr["depths"]):
            accs = " ".join(f"{v:.3f}" for v in tr["accuracy"][a][k])
            lines.append(f"    L={d:<4} acc {accs}  best lr {tr['best']['lr'][a][k]:g}: loss "
                         f"{tr['best']['final_loss'][a][k]:.3g}  grad {tr['best']['grad_first_median'][a][k]:.3g}")
    lines.append(f"\nTypical first-layer gradient at init, plain, width {init['width']} ({init['networks']} networks):"
                 " mean log10 norm (se), drift predicted from the shallowest (leading, exact)")
    for k, d in enumerate(init["depths"]):
        lines.append(f"  L={d:<4} {init['log10_grad'][k]:8.3f} ({init['log10_grad_se'][k]:.3f})  "
                     f"{init['drift_leading'][k]:7.3f} {init['drift_exact'][k]:7.3f}")
    lines.append("\nShattered gradients: lag-1 autocorrelation, spectral slope, co-activation ratio of dOut/dx")
    lines.append("  L     " + "  ".join(f"{a:<22}" for a in sh["archs"]))
    for k, d in enumerate(sh["depths"]):
        cells = [f"{sh['rho1'][a][k]:.3f} {sh['spectral_slope'][a][k]:6.2f} {sh['coactive'][a][k]:.3f}"
                 for a in sh["archs"]]
        lines.append(f"  {d:<5} " + "  ".join(f"{c:<22}" for c in cells))
    return "\n".join(lines)
