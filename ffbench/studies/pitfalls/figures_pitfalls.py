"""One figure per pitfall: the quantity its claims judge, each seed a point (failed runs marked at chance,
diverged ones with their own marker), from ``record["data"]["cells"][pitfall]`` alone (``summary`` describes
it).  Each function draws into the axes it is given; ``figures.render`` saves them."""
from __future__ import annotations

import numpy as np

from ...style import INK, MUTED, VERDICT_COLORS, color, label, marker, ordered, theory_hline

FAILED = {"linestyle": "", "marker": "x", "color": VERDICT_COLORS["FAILS"], "markersize": 5}
DIVERGED = {"linestyle": "", "marker": "^", "color": VERDICT_COLORS["FAILS"], "markersize": 5}
NORMS = {"plain": "plain", "batch": "BatchNorm"}


def _seeds(ax, x, cell, key="final_test_acc", failed_at=0.1, **style):
    """Every seed of ``cell`` at ``x`` (one position, or one per seed): a point where it trained, else a marked
    point at ``failed_at`` (an x, or a triangle where its loss diverged)."""
    values = np.asarray(cell[key], dtype=float)
    xs = np.broadcast_to(np.asarray(x, dtype=float), values.shape)
    for xi, v, ok, boom in zip(xs, values, cell["trained"], cell["exploded"]):
        if ok:
            ax.plot(xi, v, linestyle="", markersize=3, **style)
        else:
            ax.plot(xi, failed_at if not np.isfinite(v) else v, **(DIVERGED if boom else FAILED))


def _failure_legend(ax, **kwargs):
    ax.plot([], [], label="failed to train", **FAILED)
    ax.plot([], [], label="failed, loss diverged", **DIVERGED)
    ax.legend(**{"loc": "best", **kwargs})


def activation(ax, cells, config):
    """Steps to the target loss per activation (SGD), the budget line for runs that never got there."""
    for i, (act, c) in enumerate(cells.items()):
        steps = [s if s is not None else n for s, n in zip(c["steps_to_target"], c["steps"])]
        never = [s is None for s in c["steps_to_target"]]
        jitter = np.linspace(-0.12, 0.12, len(steps))
        for j, (s, cens) in zip(jitter, zip(steps, never)):
            ax.plot(i + j, s, linestyle="", marker=marker(act), color=color(act), markersize=4,
                    markerfacecolor="none" if cens else color(act))
    budget = max(max(c["steps"]) for c in cells.values())
    theory_hline(ax, budget, label="budget (hollow: never reached the target)", color=MUTED)
    ax.set_xticks(range(len(cells)), [label(a) for a in cells])
    ax.set_ylabel(f"SGD steps to training loss {config['activation']['target_loss']:g}")
    ax.set_ylim(0, budget * 1.15)
    ax.legend(loc="upper right")


def batchnorm(axes, cells, config):
    """(a) final test accuracy of the deep net against the lr, plain and BN; (b) the shallow Adam net."""
    ax, bx = axes
    lrs = sorted({float(n.split("/")[1][3:]) for n in cells if n.startswith("deep/")})
    for norm, shift in (("plain", 0.93), ("batch", 1.07)):
        style = {"color": color("plain" if norm == "plain" else "plain_bn"), "marker": "o"}
        means = []
        for lr in lrs:
            c = cells[f"deep/lr={lr:g}/{norm}"]
            _seeds(ax, lr * shift, c, **style)
            acc = np.where(c["trained"], np.asarray(c["final_test_acc"], dtype=float), 0.1)
            means.append(acc.mean())
        ax.plot(np.asarray(lrs) * shift, means, linestyle="-", linewidth=0.8, label=NORMS[norm] + " (mean)", **style)
    ax.set_xscale("log")
    ax.set_xlabel(f"SGD + momentum learning rate ({config['batchnorm']['depth']} hidden layers)")
    ax.set_ylabel("final test accuracy")
    _failure_legend(ax, loc="lower left")
    for i, norm in enumerate(("plain", "batch")):
        c = cells[f"shallow/lr={config['batchnorm']['shallow_lr']:g}/{norm}"]
        _seeds(bx, i + np.linspace(-0.1, 0.1, len(c["trained"])), c,
               color=color("plain" if norm == "plain" else "plain_bn"), marker="o")
    bx.set_xticks([0, 1], [NORMS[n] for n in ("plain", "batch")])
    bx.set_xlim(-0.5, 1.5)
    bx.set_ylabel("final test accuracy")
    bx.set_title(f"baseline MLP, Adam lr {config['batchnorm']['shallow_lr']:g}")


def clipping(axes, cells, config):
    """(a) the notes' loop (AdamW 1e-3): test accuracy clipped vs not, each seed a line; (b) SGD at the spike
    learning rates: final training loss per seed, diverged runs marked at the top."""
    ax, bx = axes
    c = config["clipping"]
    if {"adamw/none", "adamw/clip"} <= set(cells):
        a = np.asarray(cells["adamw/none"]["final_test_acc"], dtype=float)
        b = np.asarray(cells["adamw/clip"]["final_test_acc"], dtype=float)
        for u, v in zip(a, b):
            ax.plot([0, 1], [u, v], color=MUTED, linewidth=0.6, marker="o", markersize=3, linestyle="-")
        ax.plot([0, 1], [np.nanmean(a), np.nanmean(b)], color=INK, linewidth=1.5, marker="s", linestyle="-",
                label="mean (each line: one seed)")
        ax.set_xticks([0, 1], ["unclipped", f"clipped to {c['max_norm']:g}"])
        ax.set_xlim(-0.4, 1.4)
        ax.set_ylabel("final test accuracy")
        ax.set_title(f"the notes' loop: AdamW, lr {c['lr']:g}")
        ax.legend(loc="best")
    lrs = sorted({float(n.split("/")[1][3:]) for n in cells if n.startswith("sgd/")})
    top = 0.0
    for k, lr in enumerate(lrs):
        for i, variant in enumerate(("none", "clip")):
            cell = cells[f"sgd/lr={lr:g}/{variant}"]
            loss = np.asarray(cell["final_loss"], dtype=float)
            top = max(top, np.nanmax(loss, initial=0.0))
            x = 2 * k + i + np.linspace(-0.15, 0.15, len(loss))
            for xi, v, boom in zip(x, loss, cell["exploded"]):
                if boom:
                    bx.plot(xi, 3.2, **DIVERGED)
                else:
                    bx.plot(xi, v, linestyle="", marker="o", markersize=3, color=INK if i else MUTED)
    theory_hline(bx, np.log(10), label="chance (ln 10)", color=MUTED)
    bx.plot([], [], label="diverged (drawn at the top)", **DIVERGED)
    bx.set_xticks(range(2 * len(lrs)), [f"lr {lr:g}\n{v}" for lr in lrs for v in ("unclipped", "clipped")])
    bx.set_ylim(0, 3.4)
    bx.set_ylabel("final training loss")
    bx.set_title("plain SGD at blow-up learning rates")
    bx.legend(loc="lower right")


def schedulers(ax, cells, config):
    """Final test accuracy per schedule, each seed a point, the mean a bar."""
    for i, (name, c) in enumerate(cells.items()):
        acc = np.asarray(c["final_test_acc"], dtype=float)
        ax.plot(i + np.linspace(-0.1, 0.1, acc.size), acc, linestyle="", marker="o", markersize=3, color=INK)
        ax.plot([i - 0.25, i + 0.25], [acc.mean()] * 2, color=INK, linewidth=1.5, marker="", linestyle="-")
    ax.set_xticks(range(len(cells)), [{"constant": "constant", "step": "StepLR", "cosine": "cosine",
                                       "plateau": "ReduceLROnPlateau"}.get(n, n) for n in cells])
    ax.set_ylabel("final test accuracy")
    ax.set_title(f"AdamW lr {config['schedulers']['lr']:g}, {config['schedulers']['epochs']} epochs")


def dropout(ax, cells, config):
    """Training and test accuracy after each epoch per dropout rate (mean over seeds, range shaded)."""
    rates = [float(n[2:]) for n in cells]
    for (name, c), colour in zip(cells.items(), ordered(rates, log=False)):
        for key, style, what in (("train_acc_curve", "--", "train"), ("test_acc", "-", "test")):
            curves = np.asarray(c[key], dtype=float)
            if curves.size == 0:
                continue
            epochs = np.arange(1, curves.shape[1] + 1)
            ax.plot(epochs, curves.mean(axis=0), color=colour, linestyle=style, marker="",
                    label=f"p = {name[2:]}, {what}")
            ax.fill_between(epochs, curves.min(axis=0), curves.max(axis=0), color=colour, alpha=0.15, linewidth=0)
    ax.set_xlabel("epoch")
    ax.set_ylabel("accuracy")
    ax.set_title(f"{config['dropout']['train_size']} training signals, width {config['dropout']['width']}")
    ax.figure.legend(*ax.get_legend_handles_labels(), loc="outside right upper")


def dead(axes, cells, config):
    """Dead fraction per hidden layer after Adam at each lr, ReLU (a) and LeakyReLU (b), every seed a line."""
    lrs = sorted({float(n.split("/")[1][3:]) for n in cells})
    for ax, act in zip(axes, ("relu", "leaky_relu")):
        for lr, colour in zip(lrs, ordered(lrs)):
            layers = np.array([f for f in cells[f"{act}/lr={lr:g}"]["silent_per_layer"] if f], dtype=float)
            if not layers.size:
                continue
            x = np.arange(1, layers.shape[1] + 1)
            ax.plot(x, layers.mean(axis=0), color=colour, marker="o", markersize=3, linestyle="-", label=f"lr {lr:g}")
            for run in layers:
                ax.plot(x, run, color=colour, linewidth=0.4, marker="", linestyle="-")
        ax.set_xticks(range(1, 1 + len(config["baseline"]["hidden"])))  # the baseline MLP's hidden layers
        ax.set_ylim(-0.05, 1.05)
        ax.set_xlabel("hidden layer")
        ax.set_ylabel("dead fraction (silent on every input)")
        ax.set_title(f"{label(act)}, He init, Adam")
        ax.legend(loc="upper left")


def baseline_table(ax, cells):
    """Mean +- sd test accuracy of the baseline cells next to the paper's numbers, as a table."""
    paper = {"logreg": "32%", "mlp": "68%"}
    names = {"mnist1d": "MNIST-1D", "mnist1d_shuffled": "MNIST-1D, shuffled", "digits": "digits (8x8)"}
    text = []
    for dataset in ("mnist1d", "mnist1d_shuffled", "digits"):
        row = [names[dataset]]
        for model in ("logreg", "mlp"):
            acc = 100 * np.asarray(cells[f"{model}/{dataset}"]["final_test_acc"], dtype=float)
            row.append(f"{acc.mean():.1f} ± {acc.std(ddof=1) if acc.size > 1 else 0:.1f}%")
            row.append(paper[model] if dataset != "digits" else "–")
        text.append(row)
    ax.axis("off")
    table = ax.table(cellText=text, colLabels=["data set", "logistic (ours)", "paper", "MLP (ours)", "paper"],
                     loc="center", cellLoc="center")
    table.scale(1.0, 1.4)
    ax.set_title("MNIST-1D and digits test accuracy, mean ± sd over seeds (paper: Greydanus 2020)")
