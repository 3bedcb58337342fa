"""The depth figures, drawn from the record alone."""
from __future__ import annotations

import numpy as np

from ffbench import data
from ffbench.style import TIMES, figure, label, ordered, panel_letters, save_figure, series, theory


def render(record, out_dir, formats):
    d = record["data"]
    paths = []
    ex = d["exact"]
    x = np.asarray(d["plot_x"])

    fig, axes = figure("double", height=2.5, ncols=2)
    ax = axes[0]
    for k, shade in zip(d["picture_k"], ordered(d["picture_k"])):
        ax.plot(x, data.target("sawtooth", k=k)(x), marker="", color=shade,
                label=f"$T^{{{k}}}$: {2 ** k} pieces, {2 * k} units")
    ax.set_xlabel("$x$")
    ax.set_ylabel("$T^k(x)$")
    ax.set_title("tent map composed $k$ times")
    ax.legend(loc="upper center", ncols=1, fontsize="small", bbox_to_anchor=(0.5, 1.0), framealpha=1.0)
    ax.set_ylim(-0.02, 1.45)
    ax = axes[1]
    ks = np.asarray(ex["k"])
    ax.semilogy(ks, ex["pieces"], label="pieces (exact count)")
    ax.semilogy(ks, ex["crossings"], label="crossings of 1/2", linestyle="none", markerfacecolor="none")
    ax.semilogy(ks, ex["units"], label="units of the deep net ($2k$)")
    theory(ax, ks, 2.0 ** ks, label="$2^k$ (= shallow units needed)")
    ax.set_xlabel("compositions $k$")
    ax.set_ylabel("count")
    ax.set_title("exact counts")
    ax.legend(loc="upper left")
    panel_letters(axes)
    paths += save_figure(fig, out_dir, "depth_sawtooth", formats)

    if d["shallow"]:
        widths = np.asarray(d["shallow_widths"], float)
        fig, axes = figure("double", height=2.9, ncols=2, sharey=True)
        for ax, method, title in ((axes[0], "lstsq_l1", "uniform knots, least squares"),
                                  (axes[1], "trained_l1", "trained (Adam)")):
            for k, shade in zip(map(str, d["shallow_k"]), ordered(d["shallow_k"])):
                e = d["shallow"][k]
                ax.plot(widths, e[method], label=f"$k={k}$", color=shade)
                bound = np.asarray(e["bound"])
                ok = bound > 0
                if ok.any():
                    theory(ax, widths[ok], bound[ok], color=shade)
            ax.set_xscale("log", base=2)
            ax.set_xticks(widths, [str(int(w)) for w in widths])
            ax.minorticks_off()
            ax.set_xlabel("width $w$ (one hidden layer)")
            ax.set_title(title)
        theory(axes[0], [], [], label="piece-count bound")
        axes[0].set_ylabel(r"$\int_0^1 |f - T^k|$")
        panel_letters(axes)
        fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncols=7)
        paths += save_figure(fig, out_dir, "depth_shallow", formats)

    if d["compare"]:
        pairs = sorted(d["compare"], key=int)
        fig, axes = figure("double", height=2.5, ncols=len(pairs) + 1)
        ax = axes[0]
        k = d["compare_k"]
        for i, pair in enumerate(pairs):
            for j, arch in enumerate(("deep", "shallow")):
                c = d["compare"][pair][arch]
                mses = [r["mse"] for r in c["runs"]]
                xpos = 2 * i + j + np.linspace(-0.15, 0.15, len(mses))
                ax.semilogy(xpos, mses, linestyle="none", **series(arch, label=None))
        theory(ax, [-0.5, 2 * len(pairs) - 0.5], [1 / 12, 1 / 12], label="Var$(T^k)$: learned nothing")
        ax.set_xticks(range(2 * len(pairs)), [f"{p}{TIMES}{k}" if a == "deep" else str(d["compare"][p][a]["sizes"][1])
                                              for p in pairs for a in ("deep", "shallow")], fontsize="small")
        ax.set_xlabel(f"hidden units (width {TIMES} layers)")
        ax.set_ylabel("MSE (every seed)")
        ax.set_title(f"$T^{{{k}}}$, equal parameters")
        for ax, pair in zip(axes[1:], pairs):
            theory(ax, x, data.target("sawtooth", k=k)(x), label=f"target $T^{{{k}}}$", linewidth=1.2)
            for j, arch in enumerate(("deep", "shallow")):
                c = d["compare"][pair][arch]
                best = min(c["runs"], key=lambda r: r["mse"])
                ax.plot(x, best["fit"], linestyle=("-", "--")[j],
                        **series(arch, marker="", label=f"{label(arch)}, best seed"))
            ax.set_title(f"{pair}{TIMES}{k} vs {c['sizes'][1]} units\n{best['parameters']} parameters each")
            ax.set_xlabel("$x$")
            ax.set_ylim(-0.05, 1.05)
        panel_letters(axes)
        handles, labels = axes[1].get_legend_handles_labels()
        handles += axes[0].get_lines()[:2]  # the first pair's deep and shallow seeds
        labels += [f"{label('deep')}, every seed", f"{label('shallow')}, every seed"]
        fig.legend(handles, labels, loc="outside lower center", ncols=5)
        paths += save_figure(fig, out_dir, "depth_compare", formats)
    return paths
