"""The depth figures, drawn from the record alone."""
from __future__ import annotations

import numpy as np

from ffbench import data
from ffbench.style import figure, save_figure, theory


def render(record, out_dir, formats):
    d = record["data"]
    paths = []
    ex = d["exact"]
    x = np.asarray(d["plot_x"])

    fig, axes = figure("double", height=2.5, ncols=2)
    ax = axes[0]
    for k in d["picture_k"]:
        ax.plot(x, data.target("sawtooth", k=k)(x), marker="", label=f"$T^{{{k}}}$: {2 ** k} pieces, {2 * k} units")
    ax.set_xlabel("$x$")
    ax.set_ylabel("$T^k(x)$")
    ax.set_title("tent map composed $k$ times")
    ax.legend(loc="upper center", ncols=1, fontsize=6, bbox_to_anchor=(0.5, 1.0), framealpha=1.0)
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
    paths += save_figure(fig, out_dir, "depth_sawtooth", formats)

    if d["shallow"]:
        widths = np.asarray(d["shallow_widths"], float)
        fig, axes = figure("double", height=2.9, ncols=2, sharey=True)
        for ax, method, title in ((axes[0], "lstsq_l1", "uniform knots, least squares"),
                                  (axes[1], "trained_l1", "trained (Adam)")):
            for k in map(str, d["shallow_k"]):
                e = d["shallow"][k]
                line, = ax.plot(widths, e[method], label=f"$k={k}$")
                bound = np.asarray(e["bound"])
                ok = bound > 0
                if ok.any():
                    ax.plot(widths[ok], bound[ok], marker="", linestyle=":", linewidth=0.8, color=line.get_color())
            ax.set_xscale("log", base=2)
            ax.set_xticks(widths, [str(int(w)) for w in widths])
            ax.minorticks_off()
            ax.set_xlabel("width $w$ (one hidden layer)")
            ax.set_title(title)
        axes[0].plot([], [], color="0.3", linestyle=":", marker="", label="piece-count bound")
        axes[0].set_ylabel(r"$\int_0^1 |f - T^k|$")
        fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncols=6, fontsize=6.5)
        paths += save_figure(fig, out_dir, "depth_shallow", formats)

    if d["compare"]:
        pairs = sorted(d["compare"], key=int)
        fig, axes = figure("double", height=2.5, ncols=len(pairs) + 1)
        ax = axes[0]
        for i, pair in enumerate(pairs):
            for j, arch in enumerate(("deep", "shallow")):
                c = d["compare"][pair][arch]
                mses = [r["mse"] for r in c["runs"]]
                xpos = 2 * i + j + np.linspace(-0.15, 0.15, len(mses))
                ax.semilogy(xpos, mses, linestyle="none", color=f"C{j}", marker="os"[j],
                            label=arch if i == 0 else None)
        theory(ax, [-0.5, 2 * len(pairs) - 0.5], [1 / 12, 1 / 12], label="Var$(T^k)$: learned nothing")
        ax.set_xticks(range(2 * len(pairs)), [f"{p}x{d['compare_k']}" if a == "deep"
                                              else str(d["compare"][p][a]["sizes"][1])
                                              for p in pairs for a in ("deep", "shallow")], fontsize=6)
        ax.set_xlabel("hidden units (width x layers)")
        ax.set_ylabel("MSE")
        ax.set_title(f"$T^{{{d['compare_k']}}}$, equal parameters")
        lowest = min(r["mse"] for p in pairs for a in ("deep", "shallow") for r in d["compare"][p][a]["runs"])
        ax.set_ylim(bottom=lowest / 4)  # room for the legend under the data
        ax.legend(loc="lower left", fontsize=6)
        k = d["compare_k"]
        for ax, pair in zip(axes[1:], pairs):
            theory(ax, x, data.target("sawtooth", k=k)(x), label="target", linewidth=1.2)
            for j, arch in enumerate(("deep", "shallow")):
                c = d["compare"][pair][arch]
                best = min(c["runs"], key=lambda r: r["mse"])
                ax.plot(x, best["fit"], marker="", color=f"C{j}", linestyle=("-", "--")[j], label=arch)
            ax.set_title(f"{pair}x{k} vs {c['sizes'][1]} ({best['parameters']} p.)")
            ax.set_xlabel("$x$")
            ax.set_ylim(-0.05, 1.4)
            ax.legend(loc="upper center", fontsize=5.5, ncols=3, handlelength=1.5, columnspacing=0.8)
        paths += save_figure(fig, out_dir, "depth_compare", formats)
    return paths
