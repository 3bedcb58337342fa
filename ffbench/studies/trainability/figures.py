"""The trainability figure, drawn from the record alone: (a) the phase diagram at each cell's learning rate
with 6 xi_c and the misclassified cells, (b) which learning rate each cell took, (c) the critical networks'
accuracy against depth at every learning rate of the sweep, (d) measured xi_c at initialisation vs theory."""
from __future__ import annotations

import math

import numpy as np
from matplotlib.colors import BoundaryNorm, ListedColormap

from ...style import (INK, MUTED, SHADE, VERDICT_COLORS, figure, ordered, panel_letters, save_figure, theory,
                      theory_hline, theory_vline)


def _edges(values, log=False):
    """Cell edges around the grid values (midpoints, in log space for ``log``), for ``pcolormesh``."""
    v = np.log(values) if log else np.asarray(values, dtype=float)
    mid = (v[1:] + v[:-1]) / 2
    e = np.concatenate([[v[0] - (mid[0] - v[0])], mid, [v[-1] + (v[-1] - mid[-1])]])
    return np.exp(e) if log else e


def _depth_axis(ax, depths):
    ax.set_yscale("log")
    ax.set_ylim(_edges(depths, log=True)[[0, -1]])
    ax.set_yticks(depths, [f"{d:g}" for d in depths])
    ax.minorticks_off()
    ax.set_ylabel("depth $L$ (hidden layers)")


def _six_xi(ax, data, **style):
    curve = data["curve"]
    xi = np.asarray(curve["xi_c"], dtype=float)
    s = np.asarray(curve["sigma_w2"], dtype=float)
    for side in (s < data["critical_sigma_w2"], s > data["critical_sigma_w2"]):
        theory(ax, s[side], 6 * xi[side], label=r"$6\,\xi_c$" if side[0] else None, **style)
    theory_vline(ax, data["critical_sigma_w2"], label=r"$\chi_1 = 1$", linestyle=":", **style)


def _phase(fig, ax, data, sigmas, depths, sigma_b2):
    acc = np.asarray(data["accuracy"], dtype=float)
    mesh = ax.pcolormesh(_edges(sigmas), _edges(depths, log=True), acc.T, vmin=1.0 / data["classes"],
                         vmax=math.ceil(10 * np.max(acc)) / 10, cmap="cividis", shading="flat")
    fig.colorbar(mesh, ax=ax, label="training accuracy (cell's lr)")
    _six_xi(ax, data, color=SHADE, linewidth=1.2)
    if len(sigmas) > 1 and len(depths) > 1:
        ax.contour(sigmas, depths, acc.T, levels=[data["threshold"]], colors=INK, linewidths=0.8)
    ax.plot([], [], color=INK, linewidth=0.8, marker="", label=f"accuracy = {data['threshold']:.2f}")
    errors = data["errors"]
    ax.plot([e["sigma_w2"] for e in errors], [e["depth"] for e in errors], linestyle="", marker="x",
            color=VERDICT_COLORS["FAILS"],
            markersize=6, label=f"wrong side of $6\\,\\xi_c$ ({len(errors)})")
    _depth_axis(ax, depths)
    ax.set_xlabel(r"$\sigma_w^2$  ($\sigma_b^2$ = %g)" % sigma_b2)
    ax.legend(loc="upper right")


def _chosen(fig, ax, data, sigmas, depths):
    lrs = np.asarray(data["lrs"], dtype=float)
    colours = ordered(lrs)
    chosen = np.asarray(data["chosen_lr"], dtype=float)
    index = np.searchsorted(lrs, chosen)
    mesh = ax.pcolormesh(_edges(sigmas), _edges(depths, log=True), index.T, shading="flat",
                         cmap=ListedColormap(colours), norm=BoundaryNorm(np.arange(len(lrs) + 1) - 0.5, len(lrs)))
    bar = fig.colorbar(mesh, ax=ax, ticks=np.arange(len(lrs)), label="learning rate (lowest training loss)")
    bar.ax.set_yticklabels([f"{lr:g}" for lr in lrs])
    _six_xi(ax, data, color=SHADE, linewidth=1.2)
    _depth_axis(ax, depths)
    ax.set_xlabel(r"$\sigma_w^2$")


def _critical_by_lr(ax, data, depths):
    i_c = list(data["sigma_w2"]).index(data["critical_sigma_w2"])
    lrs = np.asarray(data["lrs"], dtype=float)
    by_lr = np.asarray(data["accuracy_by_lr"], dtype=float)[i_c]                 # (depth, lr)
    for m, (lr, colour) in enumerate(zip(lrs, ordered(lrs))):
        ax.plot(depths, by_lr[:, m], color=colour, marker="o", markersize=3, linewidth=1.0, linestyle="-",
                label=f"lr {lr:g}")
    per_seed = np.asarray(data["accuracy_per_seed"], dtype=float)[i_c]           # (depth, seed)
    ax.plot(np.repeat(depths, per_seed.shape[1]), per_seed.ravel(), linestyle="", marker="_", color=INK,
            markersize=8, label="cell's lr, each network")
    theory_hline(ax, data["threshold"], label=f"trainable above {data['threshold']:.2f}", color=MUTED)
    ax.set_xscale("log")
    ax.set_xticks(depths, [f"{d:g}" for d in depths])
    ax.minorticks_off()
    ax.set_xlabel("depth $L$")
    ax.set_ylabel("training accuracy")
    ax.set_title(r"critical $\sigma_w^2$ = %.4f" % data["critical_sigma_w2"])
    ax.legend(loc="best", ncol=2)


def _xi(ax, data, sigmas, probe):
    curve = data["curve"]
    theory(ax, np.asarray(curve["sigma_w2"], dtype=float), np.asarray(curve["xi_c"], dtype=float),
           label=r"theory $\xi_c = -1/\ln\chi_c$")
    meas = np.asarray(data["xi_measured"], dtype=float)
    ok = np.all(np.isfinite(meas), axis=1)
    ax.errorbar(sigmas[ok], meas[ok].mean(axis=1), yerr=meas[ok].std(axis=1, ddof=1) if meas.shape[1] > 1 else None,
                linestyle="", marker="o", color=INK, label=f"measured at init (width {probe['width']}, mean $\\pm$ sd)")
    ax.axhline(probe["tolerance"] * probe["width"], color=MUTED, linestyle=":", linewidth=0.8,
               label=r"judged below $\xi_c$ = %g $\times$ width" % probe["tolerance"])
    ax.set_yscale("log")
    ax.set_ylim(0.5, 3 * probe["depth"])
    ax.set_xlabel(r"$\sigma_w^2$")
    ax.set_ylabel(r"correlation depth scale $\xi_c$")
    ax.legend(loc="lower center")


def render(record, out_dir, formats):
    data, config = record["data"], record["config"]
    sigmas, depths = np.asarray(data["sigma_w2"], dtype=float), np.asarray(data["depths"], dtype=float)
    fig, axes = figure("double", height=6.0, nrows=2, ncols=2)
    _phase(fig, axes[0, 0], data, sigmas, depths, config["sigma_b2"])
    _chosen(fig, axes[0, 1], data, sigmas, depths)
    _critical_by_lr(axes[1, 0], data, depths)
    _xi(axes[1, 1], data, sigmas, config["probe"])
    training = config["training"]
    fig.suptitle(f"tanh, width {config['width']}, {training['data']}: plain SGD, batch {training['batch_size']}, "
                 f"{training['epochs']} epochs, the lr of lowest training loss per cell")
    panel_letters(axes)
    return save_figure(fig, out_dir, "trainability", formats)
