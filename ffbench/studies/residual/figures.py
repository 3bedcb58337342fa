"""The residual study's figures, drawn from its record alone (``render(record, out_dir, formats)``)."""
from __future__ import annotations

import math

import numpy as np

from ffbench.studies.stats import ALPHA, t_quantile
from ffbench.style import MINUS, figure, label, panel_letters, save_figure, series, theory, theory_hline


def _arr(values):
    return np.asarray([np.nan if v is None else v for v in values], dtype=float)


def render(record, out_dir, formats):
    d = record["data"]
    return (_render_train(d["train"], d["init"], out_dir, formats) + _render_shatter(d["shatter"], out_dir, formats)
            + _render_curves(d["shatter"], out_dir, formats))


def _render_train(d, init, out_dir, formats):
    fig, axes = figure("double", height=4.4, nrows=2, ncols=2)
    axes = axes.ravel()
    depths = _arr(d["depths"])
    best = d["best"]
    for a in d["archs"]:
        axes[0].loglog(depths, _arr(best["final_loss"][a]), **series(a))
        axes[1].semilogx(depths, _arr(best["accuracy"][a]), **series(a))
        for ax, key in ((axes[0], "final_loss_runs"), (axes[1], "accuracy_runs")):
            if key in best:  # every seed, hollow, beside its mean (records before final_loss_runs lack it)
                seeds = [_arr(v) for v in best[key][a]]
                ax.plot(np.repeat(depths, [len(v) for v in seeds]), np.concatenate(seeds), linestyle="none",
                        markerfacecolor="none", markersize=2.5, alpha=0.8,
                        **series(a, label=f"{label(a)}, each seed" if key == "accuracy_runs" else None))
    axes[0].set_ylabel("final training loss (best lr)")
    axes[1].set_ylabel("training accuracy (best lr)")
    idepths, g, se = _arr(init["depths"]), _arr(init["log10_grad"]), _arr(init["log10_grad_se"])
    t = t_quantile(init["networks"], ALPHA)  # the claims' two-sided Student t interval
    axes[2].errorbar(idepths, g, yerr=t * se, capsize=2,
                     **series("plain", label=f"plain, mean over {init['networks']} networks "
                                             f"({100 * (1 - ALPHA):g}% t interval)"))
    theory(axes[2], idepths, g[0] + _arr(init["drift_leading"]), label=r"$-\frac{5}{4}\,(\Delta L/n)/\ln 10$")
    axes[2].set_xscale("log")
    axes[2].set_ylabel(r"$E\,\log_{10}\|\partial L / \partial W_1\|$ at init")
    for ax in axes[:3]:
        ax.set_xlabel("hidden layers $L$")
    for a in d["archs"]:
        trace = _arr(d["grad_first_trace"][a])
        axes[3].semilogy(np.linspace(0.0, 1.0, trace.size), trace, markevery=max(1, trace.size // 8),
                         **series(a, label=f"{label(a)}, lr {best['lr'][a][-1]:g}"))
    axes[3].set_xlabel(f"fraction of training steps ({d['depths'][-1]} hidden layers, best lr)")
    axes[3].set_ylabel(r"first-layer $\|\partial L / \partial W_1\|_F$")
    for ax in (axes[1], axes[2], axes[3]):
        ax.legend(fontsize="small", loc="best")
    panel_letters(axes)
    return save_figure(fig, out_dir, "residual_training", formats)


def _render_shatter(d, out_dir, formats):
    fig, axes = figure("double", height=2.9, ncols=3)
    depths = _arr(d["depths"])
    for a in d["archs"]:
        for ax, key in zip(axes, ("rho1", "spectral_slope", "coactive")):
            runs_ = [_arr(v) for v in d[f"{key}_runs"][a]]
            se = [3 * v.std(ddof=1) / math.sqrt(v.size) if v.size > 1 else 0.0 for v in runs_]
            ax.errorbar(depths, _arr(d[key][a]), yerr=se, capsize=1.5, **series(a))
    theory_hline(axes[0], 0.0, label="white noise")
    theory_hline(axes[1], 0.0)
    theory_hline(axes[1], -2.0, linestyle=":")
    theory_hline(axes[2], 0.5, label="independent patterns")
    axes[0].set_ylabel(r"lag-1 autocorrelation $\rho_1$ of $\partial f/\partial x$")
    axes[1].set_ylim(-2.8, 0.6)  # one BatchNorm layer gives a single step (slope far below -2): off the scale
    axes[1].set_ylabel(f"spectral slope (0 white, {MINUS}2 brown)")
    axes[2].set_ylabel("co-activation ratio of neighbours")
    for ax in axes:
        ax.set_xscale("log")
        ax.set_xlabel("hidden layers $L$")
    entries = dict(zip(*reversed(axes[0].get_legend_handles_labels())))
    entries.update(zip(*reversed(axes[2].get_legend_handles_labels())))
    entries = {k: entries[k] for k in [label(a) for a in d["archs"]] + ["white noise", "independent patterns"]}
    fig.legend(entries.values(), entries.keys(), loc="outside upper center", ncol=3)
    panel_letters(axes)
    return save_figure(fig, out_dir, "residual_shattered", formats)


def _render_curves(d, out_dir, formats):
    archs = d["archs"]
    keys = list(d["curves"][archs[0]])
    fig, axes = figure("double", height=3.4, nrows=len(keys), ncols=len(archs), sharex=True, squeeze=False)
    x = _arr(d["x"])
    for i, key in enumerate(keys):
        drawn = {}  # an architecture whose curve repeats an earlier one's (at L = 1 there is no skip to add)
        for j, a in enumerate(archs):
            ax = axes[i, j]
            curve = _arr(d["curves"][a][key])
            same = next((b for b, c in drawn.items() if np.array_equal(c, curve, equal_nan=True)), None)
            drawn[a] = curve
            if same is not None:
                ax.text(0.5, 0.5, f"= {label(same)}\n(one layer:\nnothing to skip)", ha="center", va="center",
                        transform=ax.transAxes)
                ax.set_axis_off()
                continue
            ax.plot(x, curve, marker="", linewidth=0.6, linestyle="-", color=series(a)["color"])
            ax.set_ylim(-1.15, 1.15)  # scaled by the largest |g|: a BatchNorm step at L = 1 stays off the frame
    for ax, a in zip(axes[0], archs):
        ax.set_title(label(a))
    for ax in axes[-1]:
        ax.set_xlabel("input $x$")
    for ax, key in zip(axes[:, 0], keys):
        ax.set_ylabel(f"$L$ = {key}\n" + r"$\partial f/\partial x$ / max $|\partial f/\partial x|$")
    panel_letters(axes)
    return save_figure(fig, out_dir, "residual_gradients", formats)
