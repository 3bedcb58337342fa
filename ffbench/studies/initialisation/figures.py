"""The initialisation study's figures, drawn from the record alone (``record["data"]``).

- ``initialisation_he``: He et al. Fig. 3 on MNIST-1D: training loss against steps, 22 and 30 layers, Var[w] = 1/n
  against 2/n (each draw thin, the mean thick), and the forward signal log2(q_L / q_1) during training;
- ``initialisation_glorot``: the sigmoid top layer's mean activation during training (Fig. 2), the per-layer
  sd of activations and back-propagated gradients at init (Figs. 6-7 as a statistic), the test errors (Table 1);
- ``initialisation_histograms``: tanh's per-layer histograms of activations and gradients at init, standard
  against normalized init (Figs. 6-7 as the paper draws them);
- ``initialisation_isometry``: the Jacobian's spread against depth with the formula, the singular values at
  the largest depth, and steps to the target loss against depth.
"""
from __future__ import annotations

import numpy as np

from ffbench.style import MUTED, TIMES, figure, label, ordered, panel_letters, save_figure, series, theory, theory_hline

GAUSSIAN = "lecun_normal"  # the initialiser behind the "gaussian" weights (its colour and marker)
WEIGHT_LABELS = {"gaussian": "Gaussian", "orthogonal": "orthogonal"}
FLOOR = 1e-8  # singular values below FLOOR x the largest are drawn in the first bin (float64 products reach 1e-16)


def _arr(v):
    return np.asarray(v, dtype=float)


def render(record, out_dir, formats):
    d = record["data"]
    return (_he(d["he"], out_dir, formats) + _glorot(d["glorot"], out_dir, formats)
            + _histograms(d["glorot"], out_dir, formats) + _isometry(d["isometry"], out_dir, formats))


def _curves(ax, step, values, name, text):
    values = _arr(values)
    for v in values:
        ax.plot(step, v, color=series(name)["color"], linewidth=0.5, alpha=0.35, marker="")
    ax.plot(step, np.nanmean(values, axis=0), **series(name, label=text, marker=""))


def _he(d, out_dir, formats):
    depths = list(d["curves"])
    fig, axes = figure("double", height=2.4, ncols=len(depths) + 1)
    for ax, depth in zip(axes, depths):
        for init, c in d["curves"][depth].items():
            _curves(ax, _arr(c["step"]), c["loss"], init, "Var[w] = 1/n" if init == "lecun_normal" else "Var[w] = 2/n")
        theory_hline(ax, d["start_threshold"], label="start: 0.9 ln 10")
        ax.set_title(f"{depth} layers, ReLU")
        ax.set_xlabel("step")
        ax.set_ylabel("training loss")
        ax.set_ylim(0.0, 3.0)
    axes[0].legend(fontsize="small")
    ax = axes[-1]
    for depth, colour in zip(depths, ordered([int(x) for x in depths])):
        for init, style in (("lecun_normal", ":"), ("he_normal", "-")):
            c = d["curves"][depth][init]
            ax.plot(_arr(c["step"]), np.mean(_arr(c["log2_signal"]), axis=0), color=colour, linestyle=style,
                    marker="", label=f"{depth} layers, {'1/n' if init == 'lecun_normal' else '2/n'}")
    ax.set_xlabel("step")
    ax.set_ylabel(r"$\log_2(q_L / q_1)$ (probe batch)")
    ax.legend(fontsize="small")
    panel_letters(axes)
    return save_figure(fig, out_dir, "initialisation_he", formats)


def _glorot(d, out_dir, formats):
    cells = d["cells"]
    fig, axes = figure("double", height=4.4, nrows=2, ncols=2)
    ax = axes[0, 0]
    if "sigmoid" in cells:
        for init, c in cells["sigmoid"].items():
            _curves(ax, _arr(c["step"]), c["top_mean"], init, label(init))
    ax.set_xlabel("step")
    ax.set_ylabel("sigmoid, top layer: mean activation")
    ax.legend(fontsize="small")
    panels = ((axes[0, 1], "act_sd", "sd of activations"), (axes[1, 0], "grad_sd", r"sd of $\partial L/\partial Z_l$"))
    for ax, what, text in panels:
        for act in (a for a in ("tanh", "softsign") if a in cells):
            for init, style in (("standard_uniform", ":"), ("xavier_uniform", "-")):
                sd = _arr(cells[act][init][what])
                layers = np.arange(1, sd.shape[1] + 1)
                ax.errorbar(layers, sd.mean(axis=0), yerr=sd.std(axis=0), linestyle=style,
                            **series(act, label=f"{label(act)}, {label(init)}"))
        ax.set_yscale("log")
        ax.set_xlabel("hidden layer (input side first)")
        ax.set_ylabel(f"{text} at init")
        ax.legend(fontsize="small")
    ax = axes[1, 1]
    names = [(a, i) for a in cells for i in cells[a]]
    for k, (act, init) in enumerate(names):
        err = _arr(cells[act][init]["test_error"])
        ax.bar(k, err.mean(), yerr=err.std(), color=series(act)["color"], edgecolor=MUTED,
               hatch="" if init == "xavier_uniform" else "//")
    ax.set_xticks(range(len(names)), [f"{label(a)}\n{'N' if i == 'xavier_uniform' else 'std'}" for a, i in names],
                  fontsize="small")
    ax.set_ylabel("test error (%), MNIST-1D")
    panel_letters(axes.ravel())
    return save_figure(fig, out_dir, "initialisation_glorot", formats)


def _histograms(d, out_dir, formats):
    if "tanh" not in d["cells"]:
        return []
    cells, bins = d["cells"]["tanh"], _arr(d["bins"])
    fig, axes = figure("double", height=4.0, nrows=2, ncols=2)
    for col, init in enumerate(("standard_uniform", "xavier_uniform")):
        c = cells[init]
        layers = len(c["act_hist"])
        colours = ordered(list(range(1, layers + 1)))
        gb = np.linspace(-c["grad_edge"], c["grad_edge"], len(c["grad_hist"][0]) + 1)
        for row, (hist, edges) in enumerate(((c["act_hist"], bins), (c["grad_hist"], gb))):
            ax = axes[row, col]
            centres = 0.5 * (edges[1:] + edges[:-1])
            for l, (h, colour) in enumerate(zip(hist, colours)):
                h = _arr(h)
                ax.plot(centres, h / h.sum(), color=colour, marker="", label=f"layer {l + 1}")
            ax.set_title(f"tanh, {label(init)} init: " + ("activations" if row == 0 else "back-propagated gradients"))
            ax.set_xlabel("activation value" if row == 0 else r"$\partial L/\partial Z_l$")
            ax.set_ylabel("fraction")
        axes[0, col].legend(fontsize="small")
    panel_letters(axes.ravel())
    return save_figure(fig, out_dir, "initialisation_histograms", formats)


def _isometry(d, out_dir, formats):
    crit, spectra, speed = d["critical"], d["spectra"], d["speed"]
    fig, axes = figure("double", height=2.4, ncols=3)
    ax = axes[0]
    for w, s in spectra.items():
        name = GAUSSIAN if w == "gaussian" else "orthogonal"
        depth, var = _arr(s["depth"]), _arr(s["var"])
        ax.errorbar(depth, var.mean(axis=1), yerr=var.std(axis=1), linestyle="", **series(name, label=WEIGHT_LABELS[w]))
        theory(ax, depth, crit["slope"][w] * depth, color=series(name)["color"])
    ax.set_xlabel("depth $L$")
    ax.set_ylabel(r"$\sigma^2_{JJ^T} / m_1^2$")
    ax.set_title(r"theory: $L(\mu_2/\mu_1^2 - 1 - s_1)$", fontsize="small")
    ax.legend(fontsize="small", loc="upper left")
    ax = axes[1]
    for w, s in spectra.items():
        name = GAUSSIAN if w == "gaussian" else "orthogonal"
        sv = _arr(s["singular_values"][-1])
        floor = sv.max() * FLOOR
        ax.hist(np.maximum(sv, floor), bins=np.geomspace(floor, sv.max(), 25), histtype="step",
                color=series(name)["color"], label=WEIGHT_LABELS[w])
    ax.set_xscale("log")
    ax.set_xlabel(f"singular value of $J$, depth {spectra[next(iter(spectra))]['depth'][-1]}\n"
                  f"(first bin: all below {FLOOR:g} {TIMES} the largest)")
    ax.set_ylabel("count")
    ax.legend(fontsize="small")
    ax = axes[2]
    for w, s in speed.items():
        name = GAUSSIAN if w == "gaussian" else "orthogonal"
        steps = _arr(s["steps"])
        ax.errorbar(_arr(s["depth"]), steps.mean(axis=1), yerr=steps.std(axis=1),
                    **series(name, label=WEIGHT_LABELS[w]))
    if any(np.any(_arr(s["steps"]) >= d["censored"]) for s in speed.values()):
        theory_hline(ax, d["censored"], label="budget (never reached)")
    ax.set_xlabel("depth $L$")
    ax.set_ylabel(f"steps to training loss {d['target']:g}")
    ax.legend(fontsize="small", loc="upper left")
    panel_letters(axes)
    return save_figure(fig, out_dir, "initialisation_isometry", formats)
