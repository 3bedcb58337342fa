r"""Residual vs plain networks: trainability with depth, and shattered gradients.

The claim of He, Zhang, Ren & Sun (2016, "Deep Residual Learning for Image Recognition") and Balduzzi, Frean,
Leary, Lewis, Ma & McWilliams (2017, "The Shattered Gradients Problem: If resnets are the answer, then what is the
question?", ICML): residual connections keep deep networks trainable and their gradients coherent.

Training.  Plain MLPs :math:`h \leftarrow \mathrm{relu}(h W + b)` and residual MLPs
:math:`h \leftarrow h + s\,\mathrm{relu}(h W + b)` of the same width and depth (depth = number of hidden layers;
the first hidden layer, which changes the width, is plain in both), the same He-normal weights, zero biases, the
same Adam optimiser, learning rate, batches and data (two spirals), several seeds.  The residual branch scale is
:math:`s = 1/\sqrt{L}` so that the forward signal stays bounded, :math:`\prod (1 + s^2) \le e`, at every depth
(with s = 1 and He init the second moment doubles per block).  Measured against depth: the final training
loss and accuracy (full batch, after training), and the Frobenius norm of the first layer's weight gradient at
initialisation (the first step) and during training (median over all steps).

Shattered gradients.  A 1-D input on a grid of points on [-2, 2], a scalar output, He-normal weights and
PyTorch's default uniform biases (zero biases would make a 1-D ReLU net positively homogeneous, so its gradient
would take only two values).  The gradient :math:`g(x) = \partial f / \partial x` at each grid point is the
``dX`` that ``model.backward`` returns for ``grad_output`` = ones (per sample: with BatchNorm the network is
evaluated in eval mode with running statistics set to the statistics of the grid, so BN is a fixed per-unit
affine map and samples do not interact).  Four architectures: plain and residual (s = 1, as in Balduzzi et al.'s
analysis), each with and without BatchNorm (before the activation).  Measured: the lag-1 autocorrelation of
g over the grid, :math:`\rho_1 = \sum_i (g_i - \bar g)(g_{i+1} - \bar g) / \sum_i (g_i - \bar g)^2`, against
depth, next to Balduzzi et al.'s idealised decay of gradient correlations: :math:`2^{-L}` for plain nets,
:math:`(3/4)^L` for residual nets, about :math:`1/\sqrt{L}` for residual nets with BatchNorm.  The
predictions are rates, not levels (the level depends on the grid spacing), so the claims compare the fitted
per-layer decay factor r (:math:`\rho_1 \approx c\,r^L`) or the power-law exponent a
(:math:`\rho_1 \approx c L^{-a}`).  Also measured: the spectral slope of g (least-squares slope of log power
against log frequency): about 0 for white noise (shattered), about -2 for brown noise (a random walk).
The curves g(x) themselves are drawn for the shallowest and deepest nets.

A claim that does not hold is reported as such: it is a measurement, not a failure to hide.
"""
from __future__ import annotations

import math

import numpy as np

from .. import MLP, data, optim
from ..losses import loss_function
from ..train import accuracy, train
from .framework import Choice, claim_close, claim_greater, claim_less, derive_seed, group
from ..style import figure, save_figure, theory

NAME = "residual"
VERSION = "1"
DEFAULTS = {
    "seed": 0,
    "train": {"depths": [2, 4, 8, 16, 32, 64, 100], "width": 32, "seeds": 3, "points": 256, "epochs": 60,
              "batch_size": 64, "lrs": [0.001, 0.003, 0.01]},
    "shatter": {"depths": [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 50], "width": 128, "networks": 4, "points": 256,
                "archs": ["plain", "residual", "plain_bn", "residual_bn"]},
}
QUICK = {
    "train": {"depths": [4, 16], "seeds": 1, "epochs": 40, "lrs": [0.003, 0.01]},
    "shatter": {"depths": [1, 2, 4, 8, 16], "width": 64, "networks": 2},
}

ARCHS = {  # name -> MLP keyword arguments (shattered-gradient nets)
    "plain": {"residual": False, "norm": None},
    "residual": {"residual": True, "norm": None},
    "plain_bn": {"residual": False, "norm": "batch"},
    "residual_bn": {"residual": True, "norm": "batch"},
}
CONSTRAINTS = {"shatter.archs": Choice(ARCHS, "architecture")}  # the rest is inferred from DEFAULTS
PREDICTIONS = {  # name -> (law, parameter): "exp" rho ~ r^L, "power" rho ~ L^-a (Balduzzi et al. 2017)
    "plain": ("exp", 0.5), "residual": ("exp", 0.75), "plain_bn": ("exp", 0.5), "residual_bn": ("power", 0.5),
}
RHO_FLOOR = 0.05  # below this, rho_1 is at the noise level of a finite grid: left out of the fits


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


def fit_rate(depths, rho):
    """Per-layer factor r of rho ~ c r^L (least squares on log rho), over the points with rho > RHO_FLOOR."""
    depths, rho = np.asarray(depths, dtype=float), np.asarray(rho, dtype=float)
    keep = np.isfinite(rho) & (rho > RHO_FLOOR)
    if keep.sum() < 2:
        return float("nan")
    return float(np.exp(np.polyfit(depths[keep], np.log(rho[keep]), 1)[0]))


def fit_power(depths, rho):
    """Exponent a of rho ~ c L^-a (least squares on log-log), over the points with rho > RHO_FLOOR."""
    depths, rho = np.asarray(depths, dtype=float), np.asarray(rho, dtype=float)
    keep = np.isfinite(rho) & (rho > RHO_FLOOR)
    if keep.sum() < 2:
        return float("nan")
    return float(-np.polyfit(np.log(depths[keep]), np.log(rho[keep]), 1)[0])


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
    specs += [{"kind": "shatter", "arch": arch, "depth": d, "width": s["width"], "networks": s["networks"],
               "points": s["points"], "seed": derive_seed(seed, "shatter", d)}
              for arch in s["archs"] for d in s["depths"]]
    return specs


def _run_train(spec):
    X, y = data.two_spirals(spec["points"], seed=derive_seed(spec["seed"], "data"))
    depth = spec["depth"]
    residual = spec["arch"] == "residual"
    model = MLP([2] + [spec["width"]] * depth + [2], "relu", init="he_normal", residual=residual,
                residual_scale=1.0 / math.sqrt(depth) if residual else 1.0, seed=spec["seed"])
    history = train(model, X, y, loss="softmax_cross_entropy", optimizer=optim.Adam(model, lr=spec["lr"]),
                    epochs=spec["epochs"], batch_size=spec["batch_size"], seed=derive_seed(spec["seed"], "batches"),
                    record_grad_norms=True)
    first = np.asarray(history.grad_norms[0], dtype=float)
    result = {"diverged": history.diverged, "grad_first_init": first[0] if first.size else None,
              "grad_first_median": float(np.median(first)) if first.size else None,
              "grad_first_trace": first[:: max(1, first.size // 50)]}
    if history.diverged:
        return {**result, "final_loss": None, "accuracy": None}
    value, _ = loss_function("softmax_cross_entropy")(model.forward(X), y)
    return {**result, "final_loss": value, "accuracy": accuracy(model, X, y)}


def _run_shatter(spec):
    x = np.linspace(-2.0, 2.0, spec["points"]).reshape(-1, 1)
    seeds = np.random.default_rng(spec["seed"]).integers(0, 2**63, spec["networks"])
    grads = np.empty((spec["networks"], spec["points"]))
    for i, s in enumerate(seeds):
        model = MLP([1] + [spec["width"]] * spec["depth"] + [1], "relu", init="he_normal",
                    bias_init="standard_uniform", seed=int(s), **ARCHS[spec["arch"]])
        grads[i] = input_gradients(model, x)[:, 0]
    scale = np.abs(grads[0]).max()
    return {"rho1": lag1_autocorrelation(grads), "spectral_slope": spectral_slope(grads),
            "curve": grads[0] / scale if scale > 0 else grads[0]}


KINDS = {"train": _run_train, "shatter": _run_shatter}


def run(spec):
    return KINDS[spec["kind"]](spec)


# ----------------------------------------------------------------------------------------- summary

def _mean(values):
    values = np.array([np.nan if v is None else v for v in values], dtype=float)
    return float(np.mean(values[np.isfinite(values)])) if np.isfinite(values).any() else float("nan")


def _geomean(values):
    values = np.array([np.nan if v is None else v for v in values], dtype=float)
    ok = np.isfinite(values) & (values > 0)
    return float(np.exp(np.mean(np.log(values[ok])))) if ok.any() else float("nan")


def _summarize_train(config, pairs):
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
    # the first step's gradient comes before any update: the same for every learning rate
    out["grad_first_init"] = {a: [_geomean([r["grad_first_init"] for r in group[a, d, lrs[0]]]) for d in depths]
                              for a in archs}
    best = {"lr": {}, "accuracy": {}, "final_loss": {}, "grad_first_median": {}}
    for a in archs:
        picks = []
        for k in range(len(depths)):
            acc = np.nan_to_num(np.asarray(out["accuracy"][a][k], dtype=float), nan=-1.0)
            loss = np.nan_to_num(np.asarray(out["final_loss"][a][k], dtype=float), nan=np.inf)
            picks.append(int(np.lexsort((loss, -acc))[0]))  # highest accuracy, then lowest loss
        best["lr"][a] = [lrs[j] for j in picks]
        for key in ("accuracy", "final_loss", "grad_first_median"):
            best[key][a] = [out[key][a][k][j] for k, j in enumerate(picks)]
    out["best"] = best
    out["grad_first_trace"] = {a: group[a, depths[-1], best["lr"][a][-1]][0]["grad_first_trace"] for a in archs}
    rows = [{"part": "train", "arch": s["arch"], "depth": s["depth"], "lr": s["lr"], "replicate": s["replicate"],
             **{k: r[k] for k in ("final_loss", "accuracy", "grad_first_init", "grad_first_median", "diverged")}}
            for s, r in pairs]
    return out, rows


def _summarize_shatter(config, pairs):
    s = config["shatter"]
    depths = s["depths"]
    by = {(sp["arch"], sp["depth"]): r for sp, r in pairs}
    out = {"depths": depths, "archs": s["archs"], "width": s["width"], "points": s["points"],
           "x": np.linspace(-2.0, 2.0, s["points"]), "rho1": {}, "rho1_runs": {}, "spectral_slope": {},
           "curves": {}, "fit": {}, "predicted": {}}
    for a in s["archs"]:
        rho = [_mean(by[a, d]["rho1"]) for d in depths]
        out["rho1"][a] = rho
        out["rho1_runs"][a] = [by[a, d]["rho1"] for d in depths]
        out["spectral_slope"][a] = [_mean(by[a, d]["spectral_slope"]) for d in depths]
        out["curves"][a] = {str(depths[0]): by[a, depths[0]]["curve"], str(depths[-1]): by[a, depths[-1]]["curve"]}
        law, param = PREDICTIONS[a]
        out["predicted"][a] = {"law": law, "parameter": param}
        out["fit"][a] = fit_rate(depths, rho) if law == "exp" else fit_power(depths, rho)
    rows = [{"part": "shatter", "arch": sp["arch"], "depth": sp["depth"], "network": i, "rho1": v,
             "spectral_slope": r["spectral_slope"][i]} for sp, r in pairs for i, v in enumerate(r["rho1"])]
    return out, rows


def summarize(config, pairs):
    parts = group(pairs, "kind", KINDS)
    tr, rows_t = _summarize_train(config, parts["train"])
    sh, rows_s = _summarize_shatter(config, parts["shatter"])
    return {"data": {"train": tr, "shatter": sh}, "rows": rows_t + rows_s, "claims": _claims(tr, sh),
            "table": _table(tr, sh)}


def _claims(tr, sh):
    depths = tr["depths"]
    deep = depths[-1]
    moderate = max([d for d in depths if d <= 8] or [depths[0]])
    acc = {a: np.asarray(tr["best"]["accuracy"][a], dtype=float) for a in tr["archs"]}
    k_mod = depths.index(moderate)
    claims = [
        claim_greater("residual_trains_deep", f"residual (s = 1/sqrt(L)), {deep} hidden layers: training accuracy at "
                      "the best learning rate (He et al.: residual nets stay trainable)", acc["residual"][-1], 0.95),
        claim_less("plain_fails_deep", f"plain, {deep} hidden layers: training accuracy at the best learning rate "
                   "(folklore: deep plain nets do not train)", acc["plain"][-1], 0.95),
        claim_greater("plain_trains_moderate", f"plain, {moderate} hidden layers, Adam: training accuracy at the best "
                      "learning rate (moderate depth trains fine)", acc["plain"][k_mod], 0.95),
        claim_greater("residual_beats_plain_deep", f"{deep} hidden layers: residual minus plain training accuracy, "
                      "each at its best learning rate", acc["residual"][-1] - acc["plain"][-1], 0.0),
    ]
    g = {a: np.asarray(tr["grad_first_init"][a], dtype=float) for a in tr["archs"]}
    claims.append(claim_close(
        "plain_grad_at_init_no_vanishing", f"plain, He init: log10 of first-layer gradient norm at {deep} over "
        f"{depths[0]} hidden layers, at initialisation (He: no vanishing in expectation)",
        math.log10(g["plain"][-1] / g["plain"][0]), 0.0, atol=1.0, note="geometric mean over seeds"))
    for a in sh["archs"]:
        law, param = PREDICTIONS[a]
        if law == "exp":
            claims.append(claim_close(
                f"shatter_rate_{a}", f"{a}: per-layer decay factor r of the lag-1 gradient autocorrelation, "
                f"rho ~ r^L (Balduzzi et al.: {param:g})", sh["fit"][a], param, atol=0.1,
                note=f"fit over depths with rho > {RHO_FLOOR:g}"))
        else:
            claims.append(claim_close(
                f"shatter_power_{a}", f"{a}: exponent a of rho ~ L^-a (Balduzzi et al.: about {param:g})",
                sh["fit"][a], param, atol=0.25, note=f"fit over depths with rho > {RHO_FLOOR:g}"))
    rho = {a: np.asarray(sh["rho1"][a], dtype=float) for a in sh["archs"]}
    slope = {a: np.asarray(sh["spectral_slope"][a], dtype=float) for a in sh["archs"]}
    deepest = sh["depths"][-1]
    for res, plain in (("residual", "plain"), ("residual_bn", "plain_bn")):
        if res in rho and plain in rho:
            claims.append(claim_greater(
                f"{res}_more_coherent", f"{deepest} hidden layers: lag-1 autocorrelation of {res} minus {plain} "
                "(skip connections keep gradients coherent)", rho[res][-1] - rho[plain][-1], 0.0))
    if "plain_bn" in slope:
        claims.append(claim_greater(
            "plain_bn_white_noise", f"plain_bn, {deepest} hidden layers: spectral slope of the gradient (white noise: 0)",
            slope["plain_bn"][-1], 0.0, tolerance=0.5))
    if "residual_bn" in slope:
        claims.append(claim_less(
            "residual_bn_brown_noise", f"residual_bn, {deepest} hidden layers: spectral slope of the gradient (brown "
            "noise: -2)", slope["residual_bn"][-1], -2.0, tolerance=0.5))
    return claims


def _table(tr, sh):
    lines = ["Training (two spirals, Adam; accuracy per learning rate " + ", ".join(f"{lr:g}" for lr in tr["lrs"])
             + "), first-layer gradient norm at init and its median during training at the best lr"]
    for a in tr["archs"]:
        lines.append(f"  {a}")
        for k, d in enumerate(tr["depths"]):
            accs = " ".join(f"{v:.3f}" for v in tr["accuracy"][a][k])
            lines.append(f"    L={d:<4} acc {accs}  best lr {tr['best']['lr'][a][k]:g}: loss "
                         f"{tr['best']['final_loss'][a][k]:.3g}  grad init {tr['grad_first_init'][a][k]:.3g}, "
                         f"training {tr['best']['grad_first_median'][a][k]:.3g}")
    lines.append("\nShattered gradients: lag-1 autocorrelation of dOut/dx (spectral slope)")
    lines.append("  L     " + "  ".join(f"{a:<18}" for a in sh["archs"]))
    for k, d in enumerate(sh["depths"]):
        cells = [f"{sh['rho1'][a][k]:.3f} ({sh['spectral_slope'][a][k]:.2f})" for a in sh["archs"]]
        lines.append(f"  {d:<5} " + "  ".join(f"{c:<18}" for c in cells))
    lines.append("  fit   " + "  ".join(f"{sh['fit'][a]:<18.3f}" for a in sh["archs"]))
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------ figures

def _arr(values):
    return np.asarray([np.nan if v is None else v for v in values], dtype=float)


def render(record, out_dir, formats):
    d = record["data"]
    return (_render_train(d["train"], out_dir, formats) + _render_shatter(d["shatter"], out_dir, formats)
            + _render_curves(d["shatter"], out_dir, formats))


def _render_train(d, out_dir, formats):
    fig, axes = figure("double", height=4.4, nrows=2, ncols=2)
    axes = axes.ravel()
    depths = _arr(d["depths"])
    best = d["best"]
    for a in d["archs"]:
        axes[0].loglog(depths, _arr(best["final_loss"][a]), label=a)
        axes[1].semilogx(depths, _arr(best["accuracy"][a]), label=a)
        line, = axes[2].loglog(depths, _arr(d["grad_first_init"][a]), label=f"{a}, at init")
        axes[2].loglog(depths, _arr(best["grad_first_median"][a]), label=f"{a}, training median",
                       color=line.get_color(), linestyle=":", marker="x")
    axes[0].set_ylabel("final training loss (best lr)")
    axes[1].set_ylabel("training accuracy (best lr)")
    axes[2].set_ylabel(r"first-layer $\|\partial L / \partial W_1\|_F$")
    for ax in axes[:3]:
        ax.set_xlabel("hidden layers $L$")
    for a in d["archs"]:
        trace = _arr(d["grad_first_trace"][a])
        axes[3].semilogy(np.linspace(0.0, 1.0, trace.size), trace, label=f"{a}, lr {best['lr'][a][-1]:g}",
                         markevery=max(1, trace.size // 8))
    axes[3].set_xlabel(f"fraction of training steps ({d['depths'][-1]} hidden layers, best lr)")
    axes[3].set_ylabel(r"first-layer $\|\partial L / \partial W_1\|_F$")
    axes[1].legend()
    axes[2].legend(fontsize=6, loc="best")
    axes[3].legend(fontsize=6, loc="best")
    return save_figure(fig, out_dir, "residual_training", formats)


def _prediction(law, param, depths, anchor_depth, anchor):
    if law == "exp":
        return anchor * param ** (depths - anchor_depth)
    return anchor * (depths / anchor_depth) ** -param


def _render_shatter(d, out_dir, formats):
    fig, axes = figure("double", height=2.6, ncols=2)
    depths = _arr(d["depths"])
    for a in d["archs"]:
        rho = _arr(d["rho1"][a])
        axes[0].semilogy(depths, np.where(rho > 0, rho, np.nan), label=a)
        axes[1].plot(depths, _arr(d["spectral_slope"][a]), label=a)
    labels = {"plain": "$2^{-L}$", "residual": "$(3/4)^L$", "residual_bn": r"$L^{-1/2}$"}
    for a, label in labels.items():
        if a in d["archs"]:
            law, param = d["predicted"][a]["law"], d["predicted"][a]["parameter"]
            theory(axes[0], depths, _prediction(law, param, depths, depths[0], _arr(d["rho1"][a])[0]),
                   label=label + " (from $L_{min}$)")
    axes[0].set_ylim(1e-2, 1.5)
    axes[0].set_ylabel(r"lag-1 autocorrelation $\rho_1$ of $\partial f/\partial x$")
    axes[1].axhline(0.0, **{"color": "0.6", "linewidth": 0.5})
    axes[1].axhline(-2.0, **{"color": "0.6", "linewidth": 0.5})
    axes[1].set_ylim(-2.8, 0.6)  # one BatchNorm layer gives a single step (slope far below -2): off the scale
    axes[1].set_ylabel("spectral slope (0 white, -2 brown)")
    for ax in axes:
        ax.set_xlabel("hidden layers $L$")
    axes[0].legend(fontsize=6, ncol=2)
    return save_figure(fig, out_dir, "residual_shattered", formats)


def _render_curves(d, out_dir, formats):
    archs = d["archs"]
    keys = list(d["curves"][archs[0]])
    fig, axes = figure("double", height=3.2, nrows=len(keys), ncols=len(archs), sharex=True, squeeze=False)
    x = _arr(d["x"])
    for i, key in enumerate(keys):
        for j, a in enumerate(archs):
            ax = axes[i, j]
            ax.plot(x, _arr(d["curves"][a][key]), marker="", linewidth=0.6, color="0")
            ax.set_title(f"{a}, L = {key}", fontsize=7)
            ax.set_yticks([])
    for ax in axes[-1]:
        ax.set_xlabel("input $x$")
    for ax in axes[:, 0]:
        ax.set_ylabel(r"$\partial f/\partial x$ (scaled)")
    return save_figure(fig, out_dir, "residual_gradients", formats)


if __name__ == "__main__":
    from ffbench.studies.framework import main

    main(__name__)
