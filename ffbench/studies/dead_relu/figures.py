"""The dead_relu figures, drawn from the record alone."""
from __future__ import annotations

import numpy as np

from ffbench.style import (LEQ, MARKERS, MINUS, MUTED, figure, label, ordered, panel_letters, save_figure, series,
                           theory, theory_hline)


def _arr(values):
    return np.asarray(values, dtype=float)


def render(record, out_dir, formats):
    d = record["data"]
    return (_render_init(d["init"], out_dir, formats) + _render_born(d["born"], out_dir, formats)
            + _render_rai(d["born"], out_dir, formats) + _render_trained(d["trained"], out_dir, formats))


BIAS_LABELS = {"zeros": "zero bias", "standard_uniform": "uniform bias"}


def _panels(d) -> list[list[str]]:
    """The initialisers grouped by identical results: a bias-free ReLU net is scale-invariant (relu(cz) = c relu(z)),
    so every zero-bias init kills the same units, and He and Xavier share one panel instead of two equal ones."""
    groups = []
    for init in d["inits"]:
        same = [g for g in groups if np.array_equal(d["dead_fraction"][g[0]], d["dead_fraction"][init])
                and d["bias"][g[0]] == d["bias"][init]]
        if same:
            same[0].append(init)
        else:
            groups.append([init])
    return groups


def _render_init(d, out_dir, formats):
    panels = _panels(d)
    fig, axes = figure("double", height=2.7, ncols=len(panels), sharey=True, squeeze=False)
    layers = _arr(d["layers"])
    shades = ordered(d["widths"])
    for ax, inits in zip(axes[0], panels):
        init = inits[0]
        for k, w in enumerate(d["widths"]):
            ax.plot(layers, _arr(d["dead_fraction"][init][k]), label=f"width $N = {w}$", color=shades[k],
                    marker=MARKERS[k % len(MARKERS)], markevery=max(1, len(layers) // 10))
            if d["bias"][init] == "zeros":  # the one-input bound holds for bias-free nets
                theory(ax, layers, _arr(d["single_input_bound"][k]), color=shades[k],
                       label="one-input bound" if k == 0 else None)
        names = " = ".join(label(i) for i in inits)
        ax.set_title(f"{names}, {BIAS_LABELS[d['bias'][init]]}")
        if len(inits) > 1:
            ax.text(0.97, 0.04, "bias-free ReLU nets are scale-invariant:\nevery init scale kills the same units",
                    transform=ax.transAxes, ha="right", va="bottom", fontsize="small")
        ax.set_xlabel("hidden layer $l$")
        ax.set_ylim(-0.02, 1.02)
    axes[0, 0].set_ylabel("fraction of dead units")
    panel_letters(axes[0])
    fig.legend(*axes[0, 0].get_legend_handles_labels(), loc="outside lower center", ncol=len(d["widths"]) + 1)
    return save_figure(fig, out_dir, "dead_relu_init", formats)


def _render_born(d, out_dir, formats):
    """(a) P(dead at x = 1) against the exact one-input law, (b) the same minus the exact value, where the
    Wilson bands are visible, (c) born dead on [-1, 1] inside its bounds 2p - 1 <= P <= p."""
    fig, axes = figure("double", height=2.9, ncols=3)
    depths = _arr(d["depths"])
    every = max(1, len(depths) // 8)
    show = [k for k, w in enumerate(d["widths"]) if w in (2, 3, 4, 6, 8, 10)] or list(range(len(d["widths"])))
    point, interval = d["symmetric"]["point"], d["symmetric"]["interval"]
    shades = ordered([d["widths"][k] for k in show])
    for c, k in enumerate(show):
        style = {"color": shades[c], "marker": MARKERS[c % len(MARKERS)], "markevery": every}
        exact = _arr(d["exact"][k])
        p, lo, hi = _arr(point["p"][k]), _arr(point["low"][k]), _arr(point["high"][k])
        axes[0].plot(depths, p, label=f"width $N = {d['widths'][k]}$", **style)
        theory(axes[0], depths, exact, label=r"exact $p = 1-(1-2^{-N})^L$" if c == 0 else None)
        if c % 2:  # every other width: the bands of all six would hide each other
            axes[1].fill_between(depths, lo - exact, hi - exact, color=style["color"], alpha=0.25, linewidth=0)
            axes[1].plot(depths, p - exact, linewidth=0.8, **style)
        q, qlo, qhi = _arr(interval["p"][k]), _arr(interval["low"][k]), _arr(interval["high"][k])
        axes[2].fill_between(depths, np.maximum(2 * exact - 1, 0), exact, color=style["color"], alpha=0.15,
                             linewidth=0, label=r"bounds $2p - 1 \leq P \leq p$" if c == 0 else None)
        axes[2].fill_between(depths, qlo, qhi, color=style["color"], alpha=0.35, linewidth=0)
        axes[2].plot(depths, q, **style)
    theory_hline(axes[1], 0.0)
    axes[0].set_title("dead at one input $x = 1$")
    axes[1].set_title(f"measured {MINUS} exact ({d['confidence']:.0%} Wilson)")
    axes[2].set_title("born dead on $[-1, 1]$")
    axes[0].set_ylabel(f"probability ({d['networks']} networks per point)")
    axes[1].set_ylabel(f"P(dead at $x = 1$) {MINUS} exact $p$")
    panel_letters(axes)
    for ax in axes:
        ax.set_xlabel("hidden layers $L$ (bias-free ReLU)")
    handles, labels = axes[0].get_legend_handles_labels()
    extra = axes[2].get_legend_handles_labels()
    fig.legend(handles + extra[0], labels + extra[1], loc="outside lower center", ncol=4)
    return save_figure(fig, out_dir, "dead_relu_born_dead", formats)


def _render_rai(d, out_dir, formats):
    if "rai" not in d:
        return []
    fig, ax = figure("single", height=3.5)
    depths = _arr(d["depths"])
    widths = [k for k, w in enumerate(d["widths"]) if w in (2, 4, 6, 8)] or [0]
    shades = ordered([d["widths"][k] for k in widths])
    for c, k in enumerate(widths):
        for scheme, name, style, marker in (("symmetric", "He", "-", "o"), ("rai", "RAI", "--", "s")):
            ax.plot(depths, _arr(d[scheme]["interval"]["p"][k]), label=f"{name}, width {d['widths'][k]}",
                    color=shades[c], linestyle=style, marker=marker, markevery=max(1, len(depths) // 8))
    ax.set_xlabel("hidden layers $L$")
    ax.set_ylabel("P(born dead on $[-1, 1]$)")
    ax.set_title("bias-free ReLU nets: He against RAI (Lu et al. 2020)")
    fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncols=2, fontsize="small")  # off the curves
    return save_figure(fig, out_dir, "dead_relu_rai", formats)


def _render_trained(d, out_dir, formats):
    """Per activation and learning rate the mean over seeds (line) and the range of the seeds (band)."""
    fig, axes = figure("double", height=2.5, ncols=3)
    lrs = _arr(d["lrs"])
    for key, ax, ylabel in zip(("dead_fraction", "grad_dead_fraction", "accuracy"), axes,
                               (f"dead units ($z {LEQ} 0$ on all data)", "gradient-dead units",
                                "training accuracy")):
        for a in d["activations"]:
            style = series(a)
            ax.semilogx(lrs, _arr(d[key][a]), **style)
            seeds = np.asarray(d["per_seed"][key][a], dtype=float)  # (learning rate, seed)
            ax.fill_between(lrs, seeds.min(axis=1), seeds.max(axis=1), color=style["color"], alpha=0.18,
                            linewidth=0)
        ax.set_xlabel("Adam learning rate")
        ax.set_ylabel(ylabel)
    axes[0].plot([], [], color=MUTED, linewidth=5, alpha=0.4, linestyle="-", marker="",
                 label=f"range of {seeds.shape[1]} seeds")
    axes[0].legend()
    panel_letters(axes)
    return save_figure(fig, out_dir, "dead_relu_trained", formats)
