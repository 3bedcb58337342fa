"""The pitfalls study's figures, drawn from the record alone: the paired effects with their decision rule, and
per pitfall one figure of the quantity its claims judge, every seed shown (a run that failed or diverged is a
marked point, never dropped).  ``data["cells"]`` is described in ``summary``."""
from __future__ import annotations

import math

import numpy as np
from scipy import stats

from ...style import INK, MUTED, SHADE, VERDICT_COLORS, color, figure, ordered, panel_letters, save_figure, theory
from .figures_pitfalls import activation, baseline_table, batchnorm, clipping, dead, dropout, schedulers

# the paired accuracy comparisons (test accuracy difference, by seed) shown on one axis with their rule
EFFECTS = {"baseline_logreg_shuffle_invariant": "logistic regression: shuffled − plain",
           "baseline_mlp_shuffle_invariant": "MLP: shuffled − plain",
           "batchnorm_faster": "deep net at the plain net's best lr: BatchNorm − plain",
           "batchnorm_always": "BatchNorm − plain, weakest cell (never lowers)",
           "clipping_costs_nothing": "notes' loop (AdamW 1e-3): clipped − unclipped",
           "lr_1e-3_below_best_at_budget": "AdamW: best lr − 1e-3",
           "scheduler_cosine_beats_constant": "cosine annealing − constant lr",
           "scheduler_plateau_beats_constant": "ReduceLROnPlateau − constant lr",
           "dropout_p=0.3_better_test": "dropout 0.3 − none",
           "dropout_p=0.5_better_test": "dropout 0.5 − none",
           "dead_leaky_relu_trains_at_high_lr": "Adam at a high lr: LeakyReLU − ReLU"}
def _half(spread, alpha) -> float:
    """One-sided t half-width of a claim's mean (the limit each of its tests uses)."""
    n = int(spread["n"])
    return float(stats.t.ppf(1 - alpha, n - 1) * spread["se"]) if n >= 2 else 0.0


def effects(ax, claims, margin):
    """Paired test-accuracy differences, mean with its one-sided t limits at alpha, the equivalence margin shaded
    and each claim's bound marked."""
    rows = [c for name in EFFECTS for c in claims if c["name"] == name and c.get("spread")]
    ax.axvspan(-margin, margin, color=SHADE, zorder=0, label=f"equivalence margin $\\pm${margin:g}")
    ax.axvline(0.0, color=INK, linewidth=0.6, zorder=0.5)
    for y, c in enumerate(rows):
        half = _half(c["spread"], c.get("alpha") or 0.01)
        verdict = c["verdict"]
        ax.errorbar(c["measured"], y, xerr=half, color=VERDICT_COLORS.get(verdict, MUTED), marker="o",
                    markerfacecolor="none" if verdict == "not judged" else VERDICT_COLORS.get(verdict, MUTED),
                    capsize=2, linestyle="")
        if c["relation"] != "close":  # the bound the effect is tested against (0, or -margin for non-inferiority)
            bound = c["predicted"] + (-half if c["relation"] == "greater" else half)
            ax.plot([bound], [y], marker="|", color=INK, markersize=9, linestyle="")
        ax.annotate(verdict, (1.0, y), xycoords=("axes fraction", "data"), xytext=(3, 0),
                    textcoords="offset points", va="center", color=VERDICT_COLORS.get(verdict))
    ax.set_yticks(range(len(rows)), [EFFECTS[c["name"]] for c in rows])
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.plot([], [], marker="|", color=INK, markersize=9, linestyle="",
            label="an effect holds when its bar clears this bound (0, or the margin for \"never lowers\")")
    ax.set_xlabel("paired test-accuracy difference: mean and one-sided t limits at $\\alpha$ = 0.01\n"
                  "(an equivalence holds when its whole bar lies inside the margin)")
    ax.figure.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncol=2)


def learning_rate(axes, data):
    """(a) final test accuracy over the AdamW sweep, (b) steps to the target loss of the runs that stop there
    against the proportional (1/lr) line, (c) dead fraction per layer of the runs above the best lr."""
    ax, bx, cx = axes
    cells, best = data["cells"]["learning_rate"], data["learning_rate"]["best_lr"]
    lrs = data["learning_rate"]["lrs"]
    for lr in lrs:
        c = cells[f"lr={lr:g}"]
        acc = np.asarray(c["final_test_acc"], dtype=float)
        ok = np.asarray(c["trained"])
        ax.plot([lr] * int(ok.sum()), acc[ok], linestyle="", marker="o", markersize=3, color=INK)
        for a, boom in zip(acc[~ok], np.asarray(c["exploded"])[~ok]):
            ax.plot(lr, 0.1 if not np.isfinite(a) else a, linestyle="", marker="^" if boom else "x",
                    color=VERDICT_COLORS["FAILS"], markersize=5)
    ax.plot(lrs, data["learning_rate"]["mean_test_acc"], color=INK, linewidth=0.8, marker="", linestyle="-")
    ax.plot([], [], linestyle="", marker="x", color=VERDICT_COLORS["FAILS"], label="failed to train")
    ax.plot([], [], linestyle="", marker="^", color=VERDICT_COLORS["FAILS"], label="failed, loss diverged")
    ax.axvline(best, color=MUTED, linestyle="--", linewidth=0.8, label=f"best lr {best:g} (lowest training loss)")
    ax.axvline(1e-3, color=MUTED, linestyle=":", linewidth=0.8, label="the notes' start 1e-3")
    ax.set_xscale("log")
    ax.set_xlabel("AdamW learning rate")
    ax.set_ylabel("final test accuracy")
    ax.legend(loc="upper right")
    slow = {float(n.split("=")[1]): c for n, c in cells.items() if n.startswith("slow/lr=")}
    if slow:
        xs = sorted(slow)
        for lr in xs:
            steps = [s if s is not None else n for s, n in zip(slow[lr]["steps_to_target"], slow[lr]["steps"])]
            censored = [s is None for s in slow[lr]["steps_to_target"]]
            for s, cens in zip(steps, censored):
                bx.plot(lr, s, linestyle="", marker="^" if cens else "o", markersize=3,
                        color=VERDICT_COLORS["FAILS"] if cens else INK)
        ref = max(xs)
        ref_steps = np.mean([s for s in slow[ref]["steps_to_target"] if s is not None] or [math.nan])
        grid = np.geomspace(min(xs), ref, 20)
        theory(bx, grid, ref_steps * ref / grid, label="$\\propto$ 1/lr (the notes' 100x)")
        bx.plot([], [], linestyle="", marker="^", color=VERDICT_COLORS["FAILS"], label="never reached (budget)")
        bx.set_xscale("log")
        bx.set_yscale("log")
        bx.set_xlabel("AdamW learning rate")
        bx.set_ylabel("steps to the target loss")
        bx.legend(loc="upper right")
    top = [lr for lr in lrs if lr > best]
    for lr, colour in zip(top, ordered(top) if top else []):
        layers = np.array([f for f in cells[f"lr={lr:g}"]["silent_per_layer"] if f], dtype=float)
        if layers.size:
            x = np.arange(1, layers.shape[1] + 1)
            cx.plot(x, layers.mean(axis=0), color=colour, marker="o", markersize=3, linestyle="-", label=f"lr {lr:g}")
            for run in layers:
                cx.plot(x, run, color=colour, marker="", linewidth=0.4, alpha=0.5, linestyle="-")
    cx.set_xlabel("hidden layer")
    cx.xaxis.get_major_locator().set_params(integer=True)
    cx.set_ylabel("dead fraction (silent on every input)")
    cx.set_title("runs above the best lr")
    cx.set_ylim(-0.05, 1.05)
    cx.legend(loc="best")


def lr_find(ax, result, best):
    """The range test of the first seed: raw and smoothed loss, the suggestion labelled by its rule."""
    lrs, raw, smooth = (np.asarray(result[k], dtype=float) for k in ("lrs", "losses", "smoothed"))
    ax.plot(lrs, raw, color=MUTED, linewidth=0.6, marker="", label="mini-batch loss")
    ax.plot(lrs, smooth, color=INK, linewidth=1.2, marker="", label="smoothed")
    ax.axvline(result["suggestion"], color=color("relu"), linestyle=":", linewidth=1.0,
               label=f"suggestion {result['suggestion']:.2g} (fastai's rule: lowest smoothed loss / 10)")
    ax.axvline(best, color=MUTED, linestyle="--", linewidth=1.0, label=f"the sweep's best lr {best:g} (training loss)")
    finite = smooth[np.isfinite(smooth)]
    if finite.size:
        ax.set_ylim(0.9 * finite.min(), min(max(finite.max(), raw[0]), 4 * finite[0]) * 1.05)
    ax.set_xscale("log")
    ax.set_xlabel("learning rate (AdamW, one step each)")
    ax.set_ylabel("training loss")
    ax.legend(loc="upper right")


def render(record, out_dir, formats):
    data, claims = record["data"], record["claims"]
    paths = []
    fig, ax = figure("double", height=3.2)
    effects(ax, claims, data["margin"])
    ax.set_title("paired effects on test accuracy, by seed, and their decision rules")
    paths += save_figure(fig, out_dir, "pitfalls_effects", formats)
    for stem, draw, shape in (("activation", activation, 1), ("batchnorm", batchnorm, 2), ("clipping", clipping, 2),
                              ("schedulers", schedulers, 1), ("dropout", dropout, 1), ("dead", dead, 2)):
        fig, axes = figure("double" if shape > 1 else "single", height=2.8, ncols=shape)
        draw(axes, data["cells"][stem], record["config"])
        if shape > 1:
            panel_letters(axes)
        paths += save_figure(fig, out_dir, f"pitfalls_{stem}", formats)
    fig, axes = figure("double", height=2.8, ncols=3)
    learning_rate(axes, data)
    panel_letters(axes)
    paths += save_figure(fig, out_dir, "pitfalls_learning_rate", formats)
    fig, ax = figure("single")
    lr_find(ax, data["lr_find"][0], data["learning_rate"]["best_lr"])
    paths += save_figure(fig, out_dir, "pitfalls_lr_find", formats)
    fig, ax = figure("double", height=1.4)
    baseline_table(ax, data["cells"]["baseline"])
    paths += save_figure(fig, out_dir, "pitfalls_baseline_table", formats)
    return paths
