"""The vanishing-gradient study's figures, drawn from its record alone (``render(record, out_dir, formats)``)."""
from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
from matplotlib.ticker import NullFormatter, ScalarFormatter

from ffbench.style import (INK, PM, SHADE, TIMES, color, figure, label, ordered, panel_letters, save_figure,
                           series, theory, theory_hline, theory_vline)

from ..stats import ALPHA, spread_of, t_tolerance
from .claims import finite_width_allowance, sigmoid_norm_bound


def _mean(values):
    return float(np.mean(values))


def _half_width(values):
    """The half-width of the claims' two-sided Student t interval at ALPHA over these seeds (0 for one value)."""
    v = np.asarray(values, dtype=float)
    return t_tolerance(spread_of(v), ALPHA) if v.size > 1 else 0.0


def _plain_log_ticks(ax):
    """Octave ticks written as plain numbers on a log axis spanning less than two decades (no 3 x 10^0)."""
    lo, hi = ax.get_ylim()
    ax.yaxis.set_major_formatter(ScalarFormatter())
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.set_yticks([t for t in 2.0 ** np.arange(-6, 7) if lo <= t <= hi])
    ax.set_ylim(lo, hi)


def _profiles(record, out_dir, formats, key, theory_key, stem, ylabel, sharey):
    """One panel per activation, one line per init, the mean-field profile over each.  ``sharey``: one y range
    for all panels (gradients, normalised at the last layer) or each its own (pre-activations, whose ranges differ
    by fifty decades between sigmoid and the rest)."""
    config, grid = record["config"], record["data"]["grid"]
    acts, inits = config["activations"], config["inits"]
    ncols = 3
    nrows = (len(acts) + ncols - 1) // ncols
    fig, axes = figure("double", height=2.0 * nrows + 0.6, nrows=nrows, ncols=ncols, squeeze=False, sharex=True,
                       sharey=sharey)
    axes = axes.ravel()
    hidden = np.arange(config["depth"] - 1)  # the output layer is linear, outside the theory's recursion
    for ax, act in zip(axes, acts):
        for init in inits:
            e = grid[f"{act}/{init}"]
            values = np.asarray(e[key], dtype=float)[hidden]
            # gradients relative to the last hidden layer: every panel starts from the same signal
            ref = values[-1] if key == "delta_norm" else 1.0
            nvar = Fraction(e["sigma_w2"]).limit_denominator(12)
            ax.semilogy(hidden, values / ref, markevery=5, linewidth=1.2, linestyle="-",
                        **series(init, label=f"{label(init)}, $n\\,\\mathrm{{Var}}[W] = {nvar}$"))
        for i, init in enumerate(inits):  # over the data: visible where it agrees
            th = np.asarray(grid[f"{act}/{init}"][theory_key], dtype=float)[hidden]
            theory(ax, hidden, th / (th[-1] if key == "delta_norm" else 1.0), zorder=3,
                   label="mean-field" if i == 0 else None)
        if key == "delta_norm" and act == "sigmoid":
            for i, init in enumerate(inits):
                bound = sigmoid_norm_bound(grid[f"sigmoid/{init}"]["sigma_w2"])
                theory(ax, hidden, bound ** (hidden[-1] - hidden), color=color(init), linestyle=":",
                       label=r"bound $(\sqrt{n\,\mathrm{Var}[W]}/4)^{L-1-l}$" if i == 0 else None)
        ax.set_title(label(act))
        ax.grid(True, which="major", axis="y")
    for ax in axes[len(acts):]:
        ax.set_visible(False)
    for ax in axes[-ncols:]:
        ax.set_xlabel("hidden layer $l$ (0 = input side)")
    for ax in axes[::ncols]:
        ax.set_ylabel(ylabel)
    panel_letters(axes[:len(acts)])
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside upper center", ncol=3)
    return save_figure(fig, out_dir, stem, formats)


def _histograms(record, out_dir, formats):
    grid = record["data"]["grid"]
    entries = [(key, e) for key, e in grid.items() if "histograms" in e]
    cfg = record["config"]["histograms"]
    edges = np.linspace(*cfg["log10_range"], cfg["bins"] + 1)
    centers = 0.5 * (edges[1:] + edges[:-1])
    fig, axes = figure("double", height=2.4, ncols=max(len(entries), 1), squeeze=False, sharey=True)
    for ax, (key, e) in zip(axes.ravel(), entries):
        act, init = key.split("/")
        layers = sorted(e["histograms"].items(), key=lambda kv: int(kv[0]))
        for (l, h), shade in zip(layers, ordered([int(l) + 1 for l, _ in layers])):
            counts = np.asarray(h["counts"], dtype=float)
            total = counts.sum() + h["below"] + h["above"] + h["zeros"]
            ax.plot(centers, counts / total, drawstyle="steps-mid", marker="", linestyle="-", color=shade,
                    label=f"layer {int(l)}")
        ax.set_title(f"{label(act)}, {label(init)} init")
        ax.set_xlabel(r"$\log_{10} |\partial L / \partial Z_l|$")
    axes.ravel()[0].set_ylabel("fraction of entries")
    axes.ravel()[0].legend(loc="upper left")
    panel_letters(axes)
    return save_figure(fig, out_dir, "vanishing_histograms", formats)


def _chi(record, out_dir, formats):
    """Left: the sigma_w^2 sweep against chi_1 with the critical points; right: every cell's measured factor over
    its mean-field prediction, with the tolerance it is judged with."""
    data, config = record["data"], record["config"]
    fig, (ax, bx) = figure("double", height=3.0, ncols=2, width_ratios=[1, 1.3])
    for i, act in enumerate(config["sweep"]["activations"]):  # config order: the record's keys are sorted
        s = data["sweep"][act]
        pts = s["points"]
        x = np.array([p["sigma_w2"] for p in pts])
        ax.errorbar(x, [_mean(p["measured"]) for p in pts], yerr=[_half_width(p["measured"]) for p in pts],
                    linestyle="", markerfacecolor="none", capsize=2,
                    **series(act, label=f"{label(act)}, measured ({100 * (1 - ALPHA):g}% t interval)"))
        ax.plot(x, [p["mean_field"] for p in pts], linestyle="", marker=".", color=INK, markersize=2.5,
                zorder=3, label="mean-field, same layers" if i == 0 else None)
        theory(ax, s["curve_sigma_w2"], s["curve_chi1"], color=color(act), label=rf"{label(act)}: $\chi_1$ at $q^*$")
        if s["critical"] is not None:
            theory_vline(ax, s["critical"], color=color(act), linestyle=":")
    theory_hline(ax, 1.0)
    ax.set_yscale("log")
    _plain_log_ticks(ax)
    ax.set_xlabel(rf"$\sigma_w^2 = n\,\mathrm{{Var}}[W]$  ($\sigma_b^2$ = {config['sweep']['sigma_b2']:g}; "
                  r"dotted: $\chi_1 = 1$)")
    ax.set_ylabel("per-layer gradient variance factor")
    ax.set_title("order (< 1) to chaos (> 1)")
    ax.legend(loc="lower right", fontsize="small")

    grid, wide, inits = data["grid"], data["wide"], config["inits"]
    lo, hi = 0.9, 1.1  # the judged cells sit within a few percent; a cell beyond is marked at the edge
    for a, act in enumerate(config["activations"]):
        for j, init in enumerate(inits):
            key = f"{act}/{init}"
            for e, filled in ((grid[key], True), (wide.get(key), False)):
                if e is None:
                    continue
                xpos = a + (j - 1) * 0.24 + (0 if filled else 0.12)
                f = np.asarray(e["backward_factor"], dtype=float)
                ratio, bar = f.mean() / e["backward_factor_theory"], _half_width(f) / e["backward_factor_theory"]
                style = series(init, label=f"{label(init)}, width {e['width']}",
                               markerfacecolor=None if filled else "none")
                if lo < ratio < hi:
                    bx.errorbar(xpos, ratio, yerr=bar, linestyle="", capsize=1.5, **style)
                else:  # an arrow inside the frame, pointing the way it left, with its value
                    up = ratio > hi
                    edge = hi - 0.006 if up else lo + 0.006
                    bx.plot(xpos, edge, linestyle="", **{**style, "marker": "^" if up else "v"})
                    bx.annotate(f"{ratio:.2f} {PM} {bar:.2f}", (xpos, edge), textcoords="offset points",
                                xytext=(-5, 0), va="center", ha="right", fontsize="small", color=color(init))
    allowance = finite_width_allowance(config["width"])
    bx.axhspan(math.exp(-allowance), math.exp(allowance), color=SHADE, zorder=0,
               label=f"allowance $5/(2n)$, $n = {config['width']}$")
    theory_hline(bx, 1.0)
    bx.set_ylim(lo, hi)
    bx.set_xticks(range(len(config["activations"])), [label(a) for a in config["activations"]])
    bx.set_ylabel("measured factor / mean-field (same layers)")
    bx.set_title(f"every activation {TIMES} init (bars: {100 * (1 - ALPHA):g}% t interval over seeds)")
    handles, labels = bx.get_legend_handles_labels()
    unique = dict(sorted(zip(labels, handles),
                         key=lambda lh: (lh[0].startswith("allowance"), _init_rank(lh[0], inits))))
    bx.legend(unique.values(), unique.keys(), loc="lower left", fontsize="small", ncol=2)
    panel_letters([ax, bx])
    return save_figure(fig, out_dir, "vanishing_chi", formats)


def _init_rank(text, inits):
    """Legend order: the config's init order, then width."""
    ranks = [i for i, init in enumerate(inits) if text.startswith(label(init) + ",")]
    width = text.rsplit(" ", 1)[-1]
    return (ranks[0] if ranks else len(inits), int(width) if width.isdigit() else 0)


def _training(record, out_dir, formats):
    training = record["data"]["training"]
    cfg = record["config"]["training"]
    acts = cfg["activations"]
    fig, grid = figure("double", height=3.2, nrows=2, ncols=3)
    gs = grid[0, 1].get_gridspec()
    for ax in grid[:, 1:].ravel():
        ax.remove()
    loss_ax, zoom_ax = grid[:, 0]
    grad_ax, change_ax = fig.add_subplot(gs[:, 1]), fig.add_subplot(gs[:, 2])
    # runs that make no progress overlap on the full scale: the lower panel zooms in on them
    stuck = [a for a in acts if training[a]["epoch_loss"][-1] > 0.9 * training[a]["epoch_loss"][0]]
    for i, act in enumerate(acts):
        r = training[act]
        loss = np.asarray(r["epoch_loss"], dtype=float)
        epochs = np.arange(1, len(loss) + 1)
        loss_ax.semilogy(epochs, loss, markevery=(i % 3, 3), **series(act))
        if act in stuck:
            zoom_ax.plot(epochs, loss, markevery=(i % 3, 3), **series(act))
        layers = np.arange(len(r["weight_change"]))
        grad_ax.semilogy(layers, r["grad_norm_mean"], **series(act))
        change_ax.semilogy(layers, r["weight_change"], **series(act))
    _plain_log_ticks(loss_ax)
    loss_ax.set_ylabel("training loss (MSE)")
    loss_ax.set_title(f"depth {cfg['depth']}, {label(cfg['init'])} init, SGD")
    zoom_ax.set_xlabel("epoch")
    zoom_ax.set_ylabel("zoom: no progress")
    if not stuck:
        zoom_ax.set_visible(False)
    grad_ax.set_xlabel("layer $l$")
    grad_ax.set_ylabel(r"mean $\|\partial L/\partial W_l\|$ during training")
    change_ax.set_xlabel("layer $l$")
    change_ax.set_ylabel(r"$\|W_l - W_l^{(0)}\| / \|W_l^{(0)}\|$")
    handles, labels = loss_ax.get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside upper center", ncol=len(labels))
    panel_letters([loss_ax, grad_ax, change_ax])
    return save_figure(fig, out_dir, "vanishing_training", formats)


def render(record, out_dir, formats):
    return (_profiles(record, out_dir, formats, "delta_norm", "delta_norm_theory", "vanishing_gradients",
                      r"$\|\partial L/\partial Z_l\| \,/\, \|\partial L/\partial Z_{L-1}\|$", sharey=True)
            + _profiles(record, out_dir, formats, "q", "q_theory", "vanishing_preactivations",
                        r"$q_l = E[Z_l^2]$", sharey=False)
            + _histograms(record, out_dir, formats) + _chi(record, out_dir, formats)
            + _training(record, out_dir, formats))
