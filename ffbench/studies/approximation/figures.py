"""The approximation figures, drawn from the record alone."""
from __future__ import annotations

import numpy as np

from ffbench import data
from ffbench.style import (MINUS, MUTED, THEORY, figure, label, ordered, panel_letters, save_figure, series,
                           theory, theory_hline)


def render(record, out_dir, formats):
    return (_render_staircase(record, out_dir, formats) + _render_staircase_error(record, out_dir, formats)
            + _render_trained(record, out_dir, formats) + _render_barron(record, out_dir, formats))


def _render_staircase(record, out_dir, formats):
    """The picture of the notes: the weighted sigmoids, and their running sum closing in on the target."""
    d = record["data"]
    p = d["picture"]
    x, terms, sums = np.asarray(p["x"]), np.asarray(p["terms"]), np.asarray(p["partial_sums"])
    fig, axes = figure("double", height=2.4, ncols=2)
    ax = axes[0]
    for i, term in enumerate(terms):
        ax.plot(x, term, linewidth=0.7, color=MUTED, linestyle="-", marker="",
                label=r"$c_i\,\sigma(k(x - m_i))$" if i == 0 else None)
    ax.set_title(f"the {len(terms)} weighted sigmoids")
    ax.set_xlabel("$x$")
    ax.set_ylabel("term")
    ax.legend(loc="upper left")
    ax = axes[1]
    theory(ax, x, p["target"], label=f"target ({label(d['picture_target'])})", linewidth=1.4)
    shown = sorted({max(1, len(terms) // 4), len(terms) // 2, len(terms)})
    for k, shade in zip(shown, ordered(shown)):
        ax.plot(x, sums[k - 1], marker="", linestyle="-", color=shade,
                label=f"$f(t_0) + \\sigma_1 + \\dots + \\sigma_{{{k}}}$")
    ax.set_title("running sum closing in on the target")
    ax.set_xlabel("$x$")
    ax.set_ylabel("$g(x)$")
    ax.legend(loc="upper left", fontsize="small", handlelength=2.0)  # the upper left stays empty: no curve there
    panel_letters(axes)
    return save_figure(fig, out_dir, "approximation_staircase", formats)


def _render_staircase_error(record, out_dir, formats):
    """Staircase sup and L2 errors against n, with the 1/n and n^(-1/2) rates."""
    d = record["data"]
    n = np.asarray(d["staircase_n"], float)
    fig, axes = figure("double", height=2.6, ncols=2, sharey=True)
    for ax, norm, title in ((axes[0], "sup", "sup error"), (axes[1], "l2", "$L^2$ error")):
        for name in record["config"]["staircase_targets"]:
            v = d["staircase"][name]
            ax.loglog(n, v[norm], label=f"{label(name)} ({v[norm + '_slope']:+.2f})".replace("-", MINUS))
        theory(ax, n, 1.0 / n, label="$1/n$")
        theory(ax, n, 1.0 / np.sqrt(n), label="$n^{-1/2}$", linestyle=":")
        ax.set_xlabel("sigmoids $n$")
        ax.set_title(f"staircase: {title} (fitted slope)")
        ax.legend(loc="lower left", fontsize="small")
    axes[0].set_ylabel("error")
    panel_letters(axes)
    return save_figure(fig, out_dir, "approximation_staircase_error", formats)


def _render_trained(record, out_dir, formats):
    """Trained nets: L2 error against width, and the fits of a few widths per activation."""
    d = record["data"]
    paths = []
    if d["trained"]:
        acts = list(record["config"]["trained_activations"])
        widths = np.asarray(d["trained_widths"], float)
        fig, axes = figure("double", height=2.7, ncols=1 + len(acts))
        ax = axes[0]
        for act in acts:
            t = d["trained"][act]
            ax.loglog(widths, t["l2"], **series(act, label=f"{label(act)} ({t['l2_slope']:+.2f})".replace("-", MINUS)))
            ax.loglog(widths, t["l2_fit"], marker="", linewidth=0.6, linestyle="--", color=series(act)["color"])
        ax.set_xscale("log", base=2)
        ax.set_xticks(widths, [str(int(w)) for w in widths])
        ax.minorticks_off()
        ax.set_xlabel("hidden units $n$")
        ax.set_ylabel("$L^2$ error (dashed: fitted slope)")
        ax.set_title("error against width")
        xs = np.asarray(d["fit_x"])
        f = data.target(d["trained_target"])(xs)
        for ax, act in zip(axes[1:], acts):
            theory(ax, xs, f, label=f"target ({label(d['trained_target'])})", linewidth=1.4)
            fits = sorted(d["trained"][act]["fits"].items(), key=lambda kv: int(kv[0]))
            for (w, fit), shade in zip(fits, ordered([int(w) for w, _ in fits])):
                ax.plot(xs, fit, marker="", linestyle="-", color=shade, label=f"$n={w}$")  # the same n, the same colour
            ax.set_title(label(act))
            ax.set_xlabel("$x$")
        panel_letters(axes)
        # one row below: the activations of (a) with their fitted slopes (dashed), then the widths of (b)-(d)
        handles, labels = axes[0].get_legend_handles_labels()
        fits = axes[1].get_legend_handles_labels()
        fig.legend(handles + fits[0], labels + fits[1], loc="outside lower center", ncols=len(labels) + len(fits[1]))
        paths += save_figure(fig, out_dir, "approximation_trained", formats)
    return paths


def _render_barron(record, out_dir, formats):
    """n * MSE of Maurey's sampler per dimension, against its exact variance, under Barron's bound (the same in
    every d: the radius is r C_f / C_f(d))."""
    d = record["data"]
    if not d["barron"]:
        return []
    ns = np.asarray(d["barron_n"], float)
    fig, ax = figure("single", height=2.9)
    dims = record["config"]["barron_dims"]
    for dim, shade in zip(map(str, dims), ordered(dims)):
        b = d["barron"][dim]
        ax.errorbar(ns, b["n_mse_mean"], yerr=b["n_mse_std"], label=f"$d={dim}$", capsize=1.5, color=shade)
        theory(ax, ns, np.full(len(ns), b["maurey_variance"]), color=shade)
    bound = d["barron"][str(record["config"]["barron_dims"][0])]["bound"]
    theory_hline(ax, bound, label=f"Barron's bound $(2rC_f)^2 = {bound:g}$", linestyle="-")
    ax.plot([], [], **{**THEORY, "label": "Maurey variance (exact)"})
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("sampled units $n$")
    ax.set_ylabel(r"$n\,\|f - f_n\|^2_\mu$ (mean $\pm$ s.e.)")
    ax.set_title(f"$f = e^{{-|x|^2/2}}$ on the ball with $r C_f = {record['config']['barron_rcf']:g}$")
    fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncols=3, fontsize="small")
    return save_figure(fig, out_dir, "approximation_barron", formats)
